"""Characters against BPE tokens: the same small GPT, the same training, compared in bits per character.

    python scripts/compare_tokenizers.py                  # 1,000 steps per run, 3 seeds, 1 thread
    python scripts/compare_tokenizers.py --steps 3000     # longer runs, better models

For each tokenizer (characters, BPE with 512 and 1,024 tokens) and each seed, it trains the
same GPTLanguageModel for the same number of steps on batches of the same number of tokens
(steps, not seconds: a wall clock on a busy machine gives one run more steps than another),
then measures the loss on the whole validation text and turns it into bits per character:

    bits per character = loss per token / (characters per token) / ln 2

block_size counts tokens, so with block_size=64 a BPE model sees 64 tokens, about twice as
many characters of context as the character model. To take that confound away, each BPE
tokenizer is also run with block_size = 64 / (its characters per token), rounded: the same
characters of context as the character model (but fewer characters per batch).

The text is split at the same character for every tokenizer (the first 90% trains, BPE
included), so every model is judged on the same validation characters. Lesson 10 loads
the result, data/bpe_vs_char.json, and shows the table and a sample of each model.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F

# F.linear everywhere: the automatic choice times each new shape, which would spend part of a
# run's time on measuring and make runs differ by machine.
os.environ.setdefault("COURSE_LINEAR_BACKEND", "aten")

from course_lib import (CharTokenizer, GPTConfig, GPTLanguageModel, generate_text,  # noqa: E402
                        load_text, train)
from course_lib.commands.bench import cpu_model  # noqa: E402
from course_lib.core.bpe import ENDOFTEXT, BPETokenizer  # noqa: E402
from course_lib.core.windows import SlidingWindowDataset  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "data" / "bpe_vs_char.json"
TOKENIZERS = [("char", None), ("bpe", 512), ("bpe", 1024)]
SEEDS = [0, 1, 2]
MODEL = dict(block_size=64, n_embd=64, n_head=4, n_layer=2, dropout=0.0)
TRAIN = dict(batch_size=16, lr=2e-3, min_lr=2e-4, warmup_iters=20, eval_iters=5)


@torch.no_grad()
def heldout_loss(model: GPTLanguageModel, val: torch.Tensor, block_size: int) -> float:
    """Mean cross-entropy per token over the whole validation text, in windows that touch."""
    model.eval()
    ds = SlidingWindowDataset(val, block_size, block_size)
    total, count = 0.0, 0
    for start in range(0, len(ds), 64):
        xs, ys = zip(*(ds[i] for i in range(start, min(start + 64, len(ds)))))
        logits, _ = model(torch.stack(xs))
        total += F.cross_entropy(logits.flatten(0, 1), torch.stack(ys).flatten(),
                                 reduction="sum").item()
        count += torch.stack(ys).numel()
    return total / count


def _name(tokenizer) -> str:
    kind, vocab_size = tokenizer
    return kind if vocab_size is None else f"{kind}{vocab_size}"


def run(args) -> dict:
    text = load_text()
    n = int(0.9 * len(text))
    train_text, val_text = text[:n], text[n:]
    results = []
    for kind, vocab_size in [t for t in TOKENIZERS if _name(t) in args.tokenizers]:
        if kind == "char":
            tok = CharTokenizer.from_text(text)
        else:
            tok = BPETokenizer.train(train_text, vocab_size, special_tokens=[ENDOFTEXT])
        train_ids = torch.tensor(tok.encode(train_text), dtype=torch.long)
        val_ids = torch.tensor(tok.encode(val_text), dtype=torch.long)
        chars_per_token = len(val_text) / len(val_ids)
        blocks = [MODEL["block_size"]]
        if kind != "char":                       # the same characters of context as "char"
            blocks.append(round(MODEL["block_size"] / chars_per_token))
        for block_size, seed in [(b, s) for b in blocks for s in SEEDS]:
            torch.manual_seed(seed)
            model = GPTLanguageModel(GPTConfig(vocab_size=tok.vocab_size,
                                               **(MODEL | {"block_size": block_size})))
            h = train(model, train_ids, val_ids, max_iters=args.steps, seed=seed,
                      progress=False, **TRAIN)
            loss = heldout_loss(model, val_ids, block_size)
            bpc = loss / chars_per_token / math.log(2)
            sample = generate_text(model, tok, "\n", max_new_tokens=math.ceil(240 / chars_per_token),
                                   temperature=1.0, seed=0)
            row = {"tokenizer": kind, "vocab_size": tok.vocab_size, "seed": seed,
                   "block_size": block_size, "context_chars": block_size * chars_per_token,
                   "params": model.num_parameters(), "steps": h.steps[-1] if h.steps else 0,
                   "seconds": round(h.train_seconds, 1), "chars_per_token": chars_per_token,
                   "val_loss_per_token": loss, "bits_per_char": bpc, "sample": sample[:241]}
            results.append(row)
            print(f"{kind:>4} {tok.vocab_size:>5}  block {block_size:>3}  seed {seed}  "
                  f"{row['steps']:>5} steps  "
                  f"loss/token {loss:.3f}  bits/char {bpc:.3f}", flush=True)
    return {"command": f"python scripts/compare_tokenizers.py --steps {args.steps}",
            "steps": args.steps, "model": MODEL, "train": TRAIN, "seeds": SEEDS,
            "torch_threads": torch.get_num_threads(), "cpu": cpu_model(),
            "runs": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=1000, help="optimisation steps of each run")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tokenizers", nargs="+", default=[_name(t) for t in TOKENIZERS],
                        choices=[_name(t) for t in TOKENIZERS],
                        help="which tokenizers to run (default: all three)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be >= 1")
    torch.set_num_threads(args.threads)
    result = run(args)
    fd, tmp = tempfile.mkstemp(dir=args.out.parent, suffix=".json")   # never a half-written file
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
