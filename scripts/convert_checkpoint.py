"""Convert a version 1 checkpoint (vocab.json) to version 2 (tokenizer.json, every file checked).

    python scripts/convert_checkpoint.py path/to/checkpoint [--out new/path] [--overwrite]

Version 1 checkpoints still load, but only their weights carry a checksum: a changed
vocab.json goes unnoticed. The converted checkpoint holds the same weights (the same
numbers, checked after writing) and the same training notes. Without --out it replaces the
checkpoint in place; the course's shipped checkpoint (data/checkpoints/gpt) was converted
with this script and --overwrite.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from course_lib.core.checkpoint import load_checkpoint, read_checkpoint_info, save_checkpoint


def convert(path: Path, out: Path | None = None, overwrite: bool = False) -> Path:
    """Rewrite the checkpoint at `path` in format version 2 (at `out`, or in place)."""
    info = read_checkpoint_info(path)
    model, tokenizer = load_checkpoint(path)
    target = save_checkpoint(out or path, model, tokenizer, extra=info.get("extra", {}))
    again, tokenizer_again = load_checkpoint(target)
    same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                 again.state_dict().values()))
    if not same or tokenizer_again != tokenizer:
        raise RuntimeError(f"the converted checkpoint at {target} differs from {path}")
    return target


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("path", type=Path, help="the version 1 checkpoint directory")
    p.add_argument("--out", type=Path, default=None, help="write here instead of in place")
    p.add_argument("--overwrite", action="store_true",
                   help="allow replacing the course's shipped data under data/")
    args = p.parse_args(argv)
    version = read_checkpoint_info(args.path).get("version")
    if version != 1 and args.out is None:
        print(f"{args.path} is already format version {version}; nothing to do")
        return 0
    target = convert(args.path, args.out, args.overwrite)
    print(f"converted {args.path} (version {version}) to format version 2 at {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
