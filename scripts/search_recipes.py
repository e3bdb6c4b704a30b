"""Which train-command defaults learn the most in nanoGPT's CPU wall time? (docs/performance.md)

    python scripts/search_recipes.py                       # every candidate (about an hour)
    python scripts/search_recipes.py --only base n_layer_2 # some of them
    python scripts/search_recipes.py --threads 1           # on a busy machine

"The same wall time" on a shared machine: wall times wander with the load, so the script
first times a training step of nanoGPT's recipe and of every candidate, alternating them
step by step (medians), and gives each candidate the number of steps that fits in the time
nanoGPT's 2000 steps take: steps = 2000 x (nanoGPT's step time / the candidate's). Then every
run trains for its fixed number of steps, so the losses do not depend on how busy the
machine was during training. `python -m course_lib.bench --recipes` checks the chosen
defaults against a real clock.

Held-out loss: the mean over the same 100 validation windows (recipes.EVAL) for every run.
Results go to data/recipe_search.json with the timings, the CPU model and the thread count.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from course_lib.commands.bench import machine_line
from course_lib.commands.contender import NanoGPTStyle, nanogpt_optimizer
from course_lib.commands.recipes import (NANOGPT_CPU, held_out_loss,
                                         train_nanogpt_recipe)
from course_lib.core.data import get_batch, load_corpus
from course_lib.core.model import GPTConfig, GPTLanguageModel
from course_lib.core.training import DEFAULTS, make_optimizer, train

OUT = Path(__file__).resolve().parent.parent / "data" / "recipe_search.json"

# each candidate: changes to GPTConfig() and TrainConfig() (the current defaults)
CANDIDATES = {
    "base": {},
    "n_layer_2": dict(n_layer=2),
    "n_layer_3": dict(n_layer=3),
    "tied": dict(tie_weights=True),
    "gelu": dict(activation="gelu"),
    "no_bias": dict(bias=False),
    "lr_3e-3": dict(lr=3e-3, min_lr=3e-4),
    "batch_64": dict(batch_size=64),
    "batch_16": dict(batch_size=16),
    "n_layer_2_tied": dict(n_layer=2, tie_weights=True),
    "n_layer_2_lr_3e-3": dict(n_layer=2, lr=3e-3, min_lr=3e-4),
    "n_layer_2_n_embd_192": dict(n_layer=2, n_embd=192, n_head=6),
    "n_layer_3_n_embd_96": dict(n_layer=3, n_embd=96),
    "warmup_50": dict(warmup_iters=50),
    "n_layer_2_tied_gelu": dict(n_layer=2, tie_weights=True, activation="gelu"),
    "n_layer_2_tied_lr_3e-3": dict(n_layer=2, tie_weights=True, lr=3e-3, min_lr=3e-4),
    "n_layer_2_batch_16": dict(n_layer=2, batch_size=16),
}
MODEL_FIELDS = set(GPTConfig.__dataclass_fields__)


def split(overrides: dict) -> tuple[dict, dict]:
    model = {k: v for k, v in overrides.items() if k in MODEL_FIELDS}
    return model, {k: v for k, v in overrides.items() if k not in MODEL_FIELDS}


def build(corpus, overrides: dict):
    model_kw, train_kw = split(overrides)
    cfg = GPTConfig(**{"vocab_size": corpus.tokenizer.vocab_size, **model_kw})
    settings = {**DEFAULTS.__dict__, **train_kw}
    return cfg, settings


def time_steps(corpus, names: list[str], steps: int) -> dict[str, float]:
    """Median seconds of one training step of nanoGPT's recipe and of each candidate."""
    r = NANOGPT_CPU
    ncfg = GPTConfig(vocab_size=corpus.tokenizer.vocab_size, block_size=r["block_size"],
                     n_embd=r["n_embd"], n_head=r["n_head"], n_layer=r["n_layer"], bias=False)
    torch.manual_seed(0)
    nano = NanoGPTStyle(ncfg)
    runs = {"nanogpt": (nano, nanogpt_optimizer(nano), r["batch_size"], r["block_size"])}
    for name in names:
        cfg, s = build(corpus, CANDIDATES[name])
        m = GPTLanguageModel(cfg)
        runs[name] = (m, make_optimizer(m, s["lr"], s["weight_decay"]), s["batch_size"],
                      cfg.block_size)
    g = torch.Generator().manual_seed(0)
    times = {k: [] for k in runs}
    order = list(runs)
    for i in range(steps + 2):
        for k in (order if i % 2 == 0 else order[::-1]):
            model, opt, B, T = runs[k]
            x, y = get_batch(corpus.train_data, B, T, generator=g)
            start = time.perf_counter()
            _, loss = model(x, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if i >= 2:
                times[k].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def run_candidate(corpus, name: str, steps: int) -> dict:
    cfg, s = build(corpus, CANDIDATES[name])
    torch.manual_seed(s["seed"])
    model = GPTLanguageModel(cfg)
    h = train(model, corpus.train_data, corpus.val_data, max_iters=steps,
              batch_size=s["batch_size"], lr=s["lr"], min_lr=s["min_lr"],
              warmup_iters=s["warmup_iters"], weight_decay=s["weight_decay"],
              grad_clip=s["grad_clip"], eval_interval=10**9, eval_iters=1, seed=s["seed"],
              progress=False, precision="fp32")
    return {"steps": steps, "held_out": round(held_out_loss(model, corpus, cfg.block_size), 4),
            "params": model.num_parameters(), "overrides": CANDIDATES[name],
            "seconds_training": round(h.seconds, 1)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", choices=list(CANDIDATES))
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--timing-steps", type=int, default=20)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    names = args.only or list(CANDIDATES)
    corpus = load_corpus()
    print(machine_line(), flush=True)
    t = time_steps(corpus, names, args.timing_steps)
    print("step times (ms): " + ", ".join(f"{k} {v * 1e3:.1f}" for k, v in t.items()), flush=True)
    result = json.loads(args.out.read_text()) if args.out.exists() else {}
    result.update({"machine": machine_line(), "timing_steps": args.timing_steps,
                   "step_ms": {**result.get("step_ms", {}),
                               **{k: round(v * 1e3, 2) for k, v in t.items()}}})
    if "nanogpt" not in result.get("runs", {}):
        nano, steps, seconds = train_nanogpt_recipe(corpus)
        result.setdefault("runs", {})["nanogpt"] = {
            "steps": steps, "held_out": round(held_out_loss(nano, corpus, NANOGPT_CPU["block_size"]), 4),
            "recipe": NANOGPT_CPU}
        print(f"nanogpt: {result['runs']['nanogpt']}", flush=True)
    for name in names:
        steps = round(NANOGPT_CPU["iters"] * t["nanogpt"] / t[name])
        result["runs"][name] = {**run_candidate(corpus, name, steps),
                                "step_ratio_vs_nanogpt": round(t["nanogpt"] / t[name], 3)}
        print(f"{name}: {result['runs'][name]}", flush=True)
        args.out.write_text(json.dumps(result, indent=1))
    args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
