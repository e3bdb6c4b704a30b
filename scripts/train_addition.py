"""Train the addition task longer than a notebook can, and record how it learns.

    python scripts/train_addition.py                    # small model, 3,000 steps, 3 seeds
    python scripts/train_addition.py --steps 1000 --eval-every 200 --seeds 0 --out /tmp/try.json

For answers reversed and answers as written, and for each seed, it trains a fresh model of
`--size` on the lesson's addition text with course_lib.train (the function the train
command runs) and, every `--eval-every` steps, records the loss estimates and the accuracy
on the held-out sums (whose mirrors b + a are held out too): the whole answer and each
digit (hundreds, tens, units), answered greedily (the most likely character each time).
It also measures the accuracy on 500 sums of the training text, so remembering and adding
can be told apart. The results go to data/addition_run.json, which lesson 11 loads. One
thread by default, so a run on a busy machine measures the same work (steps, not seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch  # noqa: E402

from course_lib.commands.bench import cpu_model  # noqa: E402
from course_lib.lessons.own_gpt import (SIZES, addition_accuracy, addition_pairs,  # noqa: E402
                                        load_task, loss_levels, new_model, train_task)

OUT = REPO / "data" / "addition_run.json"
KIND = "lesson 11 addition run"


def run_one(reverse: bool, size: str, max_iters: int, eval_every: int, seed: int) -> dict:
    task = load_task("addition", reverse=reverse)
    record = {"seed": seed, "eval_steps": [], "accuracy": [], "train_accuracy": [],
              "per_place": [], "seconds": []}
    seen = addition_pairs()[0][::19][:500]            # 500 sums of the training text
    start = time.perf_counter()
    own = new_model(task, size, seed)

    def measure(step):
        result = addition_accuracy(own.model, own.tokenizer, task.held_out, reverse)
        record["train_accuracy"].append(
            addition_accuracy(own.model, own.tokenizer, seen, reverse)["accuracy"])
        record["eval_steps"].append(step)
        record["accuracy"].append(result["accuracy"])
        record["per_place"].append(result["per_place"])
        record["seconds"].append(round(time.perf_counter() - start, 1))
        print(f"reverse={reverse} seed {seed} step {step}: held-out accuracy "
              f"{result['accuracy']:.3f} (training sums {record['train_accuracy'][-1]:.3f}) "
              f"{result['per_place']}", flush=True)

    def callback(step, loss):
        if step % eval_every == 0:
            measure(step)
        return False

    train_task(task, size, max_iters=max_iters, callback=callback, seed=seed,
               eval_interval=eval_every, eval_iters=20, own=own)
    if not record["eval_steps"] or record["eval_steps"][-1] != own.history.steps[-1]:
        measure(own.history.steps[-1])
    h = own.history
    return record | {"reverse": reverse, "train_steps": h.steps[::10],
                     "train_loss": h.train_loss[::10], "loss_eval_steps": h.eval_steps,
                     "eval_train": h.eval_train, "eval_val": h.eval_val,
                     "total_seconds": round(h.seconds, 1),
                     "levels": {k: v for k, v in loss_levels(task.text).items()
                                if k in ("floor", "format_only")}}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", choices=list(SIZES), default="small")
    p.add_argument("--steps", "--max-iters", dest="max_iters", type=int, default=3000,
                   help="optimisation steps of each run (default: 3000)")
    p.add_argument("--eval-every", type=int, default=500,
                   help="steps between accuracy measurements (default: 500)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                   help="one run per seed and order (default: 0 1 2)")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    if args.max_iters < 1 or args.eval_every < 1:
        p.error("--steps and --eval-every must be >= 1")
    if args.out.exists():
        try:
            ours = json.loads(args.out.read_text(encoding="utf-8")).get("kind") == KIND
        except (ValueError, AttributeError):
            ours = False
        if not ours:
            p.error(f"{args.out} exists and was not written by this script; give another --out")
    torch.set_num_threads(args.threads)
    s = SIZES[args.size]
    runs = {}
    for reverse in (True, False):
        runs["reversed" if reverse else "as written"] = [
            run_one(reverse, args.size, args.max_iters, args.eval_every, seed)
            for seed in args.seeds]
    result = {"kind": KIND, "size": args.size, "config": s.__dict__ | {"max_iters": args.max_iters},
              "eval_every": args.eval_every, "seeds": args.seeds, "threads": args.threads, "cpu": cpu_model(),
              "python": platform.python_version(), "torch": torch.__version__,
              "command": "python scripts/train_addition.py " + " ".join(argv or sys.argv[1:]),
              "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text(json.dumps(result, indent=1), encoding="utf-8")
    os.replace(tmp, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
