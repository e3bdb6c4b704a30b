"""Train the same small GPT with and without LayerNorm and save both loss curves.

    python scripts/compare_layernorm.py        # a few minutes on 2 CPU cores

For each (learning rate, seed) in RUNS, it builds a GPTLanguageModel from that seed twice:
once as it is, once with every LayerNorm (ln1 and ln2 of each block, and ln_f) replaced by
nn.Identity() (course_lib.lessons.experiments.without_layernorm). Everything else is equal: the
other weights, the batches, the number of steps. There is no gradient clipping, so the run
shows what LayerNorm alone does. A run whose loss becomes NaN or infinite stops there and
is recorded as diverged. Lesson 07 loads the result, data/layernorm_curves.json.

Whether a run without LayerNorm blows up at a high learning rate is a matter of chance (a
different seed, or even a different order of floating-point additions, can change it), so
the high learning rate is run with several seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

from course_lib import GPTConfig, GPTLanguageModel, TrainingDiverged, load_corpus, train
from course_lib.core.defaults import SEED
from course_lib.lessons.experiments import without_layernorm

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "data" / "layernorm_curves.json"
CONFIG = dict(block_size=32, n_embd=64, n_head=4, n_layer=6, dropout=0.0)
RUNS = [(1e-3, SEED), (1e-2, SEED), (1e-2, SEED + 1), (1e-2, SEED + 2)]   # (learning rate, seed)
LRS = sorted({lr for lr, _ in RUNS})
TRAIN = dict(max_iters=600, batch_size=16, warmup_iters=0, weight_decay=0.01,
             grad_clip=None, eval_interval=50, eval_iters=10)


def run_one(corpus, lr: float, seed: int, layernorm: bool, max_iters: int) -> dict:
    cfg = GPTConfig(vocab_size=corpus.tokenizer.vocab_size, **CONFIG)
    torch.manual_seed(seed)
    model = GPTLanguageModel(cfg)
    if not layernorm:
        without_layernorm(model)
    start = time.perf_counter()
    diverged_at = None
    try:
        h = train(model, corpus.train_data, corpus.val_data, lr=lr, seed=seed, progress=False,
                  **(TRAIN | {"max_iters": max_iters}))
    except TrainingDiverged as err:
        h = err.history
        diverged_at = h.steps[-1]
    seconds = time.perf_counter() - start
    # 4 decimals are plenty for a plot, and keep the file small; NaN and inf become None
    finite = [round(v, 4) if v == v and abs(v) != float("inf") else None for v in h.train_loss]
    label = "with" if layernorm else "without"
    last = f"val {h.eval_val[-1]:.4f}" if h.eval_val else "no evaluation"
    print(f"lr={lr:g}  seed={seed}  {label:>7} LayerNorm  params={model.num_parameters():>8,}  "
          f"{last}  max train loss {max((v for v in finite if v is not None), default=0):.3g}  "
          f"{'diverged at step ' + str(diverged_at) if diverged_at else ''}  {seconds:5.1f} s",
          flush=True)
    return {"lr": lr, "seed": seed, "layernorm": layernorm, "params": model.num_parameters(),
            "steps": h.steps, "train_loss": finite, "eval_steps": h.eval_steps,
            "eval_train": [round(v, 4) for v in h.eval_train],
            "eval_val": [round(v, 4) for v in h.eval_val], "diverged_at": diverged_at,
            "seconds": round(seconds, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, nargs="+", default=None,
                        help=f"learning rates to compare, each with seed {SEED} (default: the "
                             f"runs {RUNS} as (lr, seed))")
    parser.add_argument("--max-iters", type=int, default=TRAIN["max_iters"],
                        help=f"steps per run (default {TRAIN['max_iters']})")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the JSON")
    args = parser.parse_args(argv)
    runs = RUNS if args.lr is None else [(lr, SEED) for lr in args.lr]
    if any(lr <= 0 for lr, _ in runs):
        parser.error(f"every learning rate must be > 0, got {args.lr}")
    if args.max_iters < 1:
        parser.error(f"--max-iters must be at least 1, got {args.max_iters}")
    corpus = load_corpus()
    results = [run_one(corpus, lr, seed, ln, args.max_iters)
               for lr, seed in runs for ln in (True, False)]
    out = {"what": "the same GPTLanguageModel trained with and without LayerNorm",
           "config": CONFIG | {"vocab_size": corpus.tokenizer.vocab_size},
           "training": TRAIN | {"max_iters": args.max_iters,
                                "lr_and_seed": [list(run) for run in runs]},
           "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, torch "
                      f"{torch.__version__}, {torch.get_num_threads()} threads",
           "command": "python scripts/compare_layernorm.py",
           "runs": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(out, indent=1), encoding="utf-8")
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
