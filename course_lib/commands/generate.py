"""The `generate` command: write text with a checkpoint made by the `train` command.

    python -m course_lib.generate --checkpoint data/checkpoints/gpt --prompt "ROMEO:"
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..core.checkpoint import load_checkpoint
from .cli import OneLineParser, fail, non_negative_int, positive_float, positive_int
from ..core.device import pick_device
from ..core.sampling import generate_text


def build_parser() -> OneLineParser:
    p = OneLineParser(prog="python -m course_lib.generate",
                      description="Generate text from a checkpoint written by course_lib.train.")
    p.add_argument("--checkpoint", type=Path, required=True, help="checkpoint directory")
    p.add_argument("--prompt", default="\n", help="text to start from (default: a new line)")
    p.add_argument("--max-new-tokens", type=non_negative_int, default=500)
    p.add_argument("--temperature", type=positive_float, default=1.0)
    p.add_argument("--top-k", type=positive_int, default=None)
    p.add_argument("--seed", type=int, default=1337)
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        device = pick_device(args.device)
        model, tokenizer = load_checkpoint(args.checkpoint, device=device)
        text = generate_text(model, tokenizer, args.prompt, args.max_new_tokens,
                             args.temperature, args.top_k, args.seed)
    except (ValueError, TypeError, OSError, RuntimeError) as err:
        if os.environ.get("COURSE_DEBUG"):
            raise
        return fail(parser.prog, err)
    print(text)
    return 0
