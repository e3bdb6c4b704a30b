"""Learning per minute: the train command's defaults against nanoGPT's CPU recipe.

    python -m course_lib.bench --recipes

nanoGPT's README trains its character-level Shakespeare model on a CPU with: n_layer 4,
n_head 4, n_embd 128, block_size 64, batch_size 12, dropout 0, no biases, AdamW at 1e-3
(betas 0.9, 0.99; weight decay 0.1 on the matrices), 100 warmup steps and a cosine decay to
1e-4 at step 2000, gradient clipping at 1.0, 2000 steps. That recipe runs first, on
`NanoGPTStyle` (commands/contender.py), and its wall time becomes the budget. Then the
train command's defaults (GPTConfig() and TrainConfig(), the same function `train()` the
command calls) train for that many seconds. Both are scored on the same held-out text:
the mean loss over the same validation windows.
"""

from __future__ import annotations

import math
import time

import torch

from ..core.data import get_batch, load_corpus
from ..core.defaults import SEED
from ..core.model import GPTConfig, GPTLanguageModel
from ..core.training import DEFAULTS, estimate_loss, train
from .contender import NanoGPTStyle, nanogpt_optimizer

NANOGPT_CPU = dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12, lr=1e-3,
                   min_lr=1e-4, warmup_iters=100, iters=2000, grad_clip=1.0)
EVAL = dict(batch_size=32, eval_iters=100, seed=4242)   # the same held-out windows for both


def nanogpt_lr(it: int, r: dict = NANOGPT_CPU) -> float:
    """nanoGPT's schedule: linear warmup, then a cosine from lr down to min_lr."""
    if it < r["warmup_iters"]:
        return r["lr"] * (it + 1) / (r["warmup_iters"] + 1)
    progress = (it - r["warmup_iters"]) / (r["iters"] - r["warmup_iters"])
    return r["min_lr"] + 0.5 * (r["lr"] - r["min_lr"]) * (1 + math.cos(math.pi * progress))


def train_nanogpt_recipe(corpus, seed: int = SEED):
    """nanoGPT's CPU recipe on NanoGPTStyle -> (model, steps, seconds)."""
    r = NANOGPT_CPU
    cfg = GPTConfig(vocab_size=corpus.tokenizer.vocab_size, block_size=r["block_size"],
                    n_embd=r["n_embd"], n_head=r["n_head"], n_layer=r["n_layer"], bias=False)
    torch.manual_seed(seed)
    model = NanoGPTStyle(cfg)
    opt = nanogpt_optimizer(model, lr=r["lr"])
    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for it in range(r["iters"]):
        for group in opt.param_groups:
            group["lr"] = nanogpt_lr(it)
        x, y = get_batch(corpus.train_data, r["batch_size"], r["block_size"], generator=g)
        _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), r["grad_clip"])
        opt.step()
        opt.zero_grad(set_to_none=True)
    return model, r["iters"], time.perf_counter() - start


def train_course_defaults(corpus, seconds: float, seed: int = SEED, **overrides):
    """The train command's defaults for `seconds` of wall time -> (model, steps, seconds).

    `overrides` change GPTConfig or TrainConfig fields (for trying other recipes).
    """
    model_fields = set(GPTConfig.__dataclass_fields__)
    cfg = GPTConfig(**{"vocab_size": corpus.tokenizer.vocab_size,
                       **{k: v for k, v in overrides.items() if k in model_fields}})
    settings = {k: v for k, v in overrides.items() if k not in model_fields}
    torch.manual_seed(seed)
    model = GPTLanguageModel(cfg)
    start = time.perf_counter()
    h = train(model, corpus.train_data, corpus.val_data, max_iters=None, max_seconds=seconds,
              eval_interval=10**9, eval_iters=1, seed=seed, progress=False,
              precision=settings.pop("precision", "auto"), **settings)
    return model, h.steps[-1], time.perf_counter() - start, h


def held_out_loss(model, corpus, block_size: int) -> float:
    """Mean loss over the same validation windows (EVAL), at the model's own block_size."""
    return estimate_loss(model, corpus.train_data, corpus.val_data, EVAL["eval_iters"],
                         EVAL["batch_size"], block_size, seed=EVAL["seed"])["val"]


def compare_recipes() -> int:
    corpus = load_corpus()
    r = NANOGPT_CPU
    print(f"nanoGPT's CPU recipe on NanoGPTStyle: {r}", flush=True)
    nano, nano_steps, nano_s = train_nanogpt_recipe(corpus)
    print(f"  {nano_steps} steps in {nano_s:.1f} s", flush=True)
    print(f"the train command's defaults for the same {nano_s:.1f} s: {GPTConfig()} {DEFAULTS} "
          f"(precision auto)", flush=True)
    course, steps, took, h = train_course_defaults(corpus, nano_s)
    print(f"  precision: {h.precision} ({h.precision_reason})")
    rows = [("nanoGPT CPU recipe", nano_steps, nano_s, held_out_loss(nano, corpus, r["block_size"])),
            ("course defaults", steps, took,
             held_out_loss(course, corpus, course.cfg.block_size))]
    print(f"\n{'recipe':<20} {'steps':>6} {'seconds':>8} {'held-out loss':>14}")
    for name, n, sec, loss in rows:
        print(f"{name:<20} {n:6d} {sec:8.1f} {loss:14.4f}")
    print(f"difference: {rows[0][3] - rows[1][3]:+.4f} (positive: the course defaults are lower)")
    print(f"held-out loss: mean over {EVAL['eval_iters']} windows of {EVAL['batch_size']} "
          f"sequences from the validation text, drawn with seed {EVAL['seed']}, each model at "
          f"its own block_size")
    return 0
