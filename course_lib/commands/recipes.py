"""Training recipes: the course's CPU recipe (the train command's defaults) and the standard one.

`python -m course_lib.bench --recipes` trains both for the same wall time on the course
corpus and prints their held-out losses. The standard recipe is what a learner gets from the
usual small-model setup: the small CPU model (4 layers, 4 heads, n_embd 128, block 64,
batch 12), AdamW at 1e-3 with a cosine decay to 1e-4 over 2000 steps, no dropout, run for
2000 steps, in the standard implementation (benchmark's ReferenceGPT, PyTorch's default
AdamW). The course recipe is the train command's defaults, run for the same wall time.
"""

from __future__ import annotations

import math
import time

import torch

from ..core.data import get_batch, load_corpus
from ..core.model import GPTConfig, GPTLanguageModel
from ..core.training import estimate_loss, train

# The train command's defaults (course_lib/train.py reads them from here).
CPU_RECIPE = dict(
    n_layer=4, n_head=4, n_embd=128, block_size=64, dropout=0.0,
    batch_size=32, lr=2e-3, min_lr=2e-4, warmup_iters=100, weight_decay=0.01, grad_clip=1.0,
)

STANDARD = dict(n_layer=4, n_head=4, n_embd=128, block_size=64, batch_size=12, lr=1e-3,
                min_lr=1e-4, iters=2000)

EVAL = dict(batch_size=32, block_size=64, eval_iters=50, seed=4242)   # the same held-out windows


def train_standard(corpus, seed: int = 1337) -> tuple[torch.nn.Module, int, float]:
    """The standard recipe in the standard implementation; returns (model, steps, seconds)."""
    from .bench import ReferenceGPT
    s = STANDARD
    cfg = GPTConfig(vocab_size=corpus.tokenizer.vocab_size, block_size=s["block_size"],
                    n_embd=s["n_embd"], n_head=s["n_head"], n_layer=s["n_layer"])
    torch.manual_seed(seed)
    model = GPTLanguageModel(cfg)
    ref = ReferenceGPT(cfg)
    from .bench import reference_state_from_course
    ref.load_state_dict(reference_state_from_course(model))   # the same initial weights
    opt = torch.optim.AdamW(ref.parameters(), lr=s["lr"])
    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for it in range(s["iters"]):
        lr = s["min_lr"] + 0.5 * (s["lr"] - s["min_lr"]) * (1 + math.cos(math.pi * it / s["iters"]))
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = get_batch(corpus.train_data, s["batch_size"], s["block_size"], generator=g)
        _, loss = ref(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return ref, s["iters"], time.perf_counter() - start


def train_course(corpus, seconds: float, seed: int = 1337, recipe: dict | None = None):
    """The course recipe for `seconds` of wall time; returns (model, steps, seconds)."""
    r = dict(CPU_RECIPE, **(recipe or {}))
    cfg = GPTConfig(vocab_size=corpus.tokenizer.vocab_size, block_size=r["block_size"],
                    n_embd=r["n_embd"], n_head=r["n_head"], n_layer=r["n_layer"],
                    dropout=r["dropout"])
    torch.manual_seed(seed)
    model = GPTLanguageModel(cfg)
    start = time.perf_counter()
    h = train(model, corpus.train_data, corpus.val_data, max_iters=None, max_seconds=seconds,
              batch_size=r["batch_size"], lr=r["lr"], min_lr=r["min_lr"],
              warmup_iters=r["warmup_iters"], weight_decay=r["weight_decay"],
              grad_clip=r["grad_clip"], eval_interval=10**9, eval_iters=1, seed=seed,
              progress=False)
    return model, h.steps[-1], time.perf_counter() - start


def held_out_loss(model, corpus) -> float:
    return estimate_loss(model, corpus.train_data, corpus.val_data, EVAL["eval_iters"],
                         EVAL["batch_size"], EVAL["block_size"], seed=EVAL["seed"])["val"]


def compare_recipes(seconds: float | None = None) -> int:
    corpus = load_corpus()
    print("standard recipe: small CPU model, batch 12, AdamW 1e-3 -> 1e-4 cosine, 2000 steps, "
          "reference implementation", flush=True)
    std_model, std_steps, std_seconds = train_standard(corpus)
    budget = seconds or std_seconds
    print(f"  {std_steps} steps in {std_seconds:.1f} s", flush=True)
    print(f"course recipe (the train command's defaults) for the same {budget:.1f} s: "
          f"{CPU_RECIPE}", flush=True)
    model, steps, took = train_course(corpus, budget)
    rows = [("standard recipe", std_steps, std_seconds, held_out_loss(std_model, corpus)),
            ("course CPU recipe", steps, took, held_out_loss(model, corpus))]
    print(f"\n{'recipe':<20} {'steps':>6} {'seconds':>8} {'held-out loss':>14}")
    for name, n, sec, loss in rows:
        print(f"{name:<20} {n:6d} {sec:8.1f} {loss:14.4f}")
    print(f"difference: {rows[0][3] - rows[1][3]:+.4f} (positive: the course recipe is lower)")
    print(f"held-out loss: mean over {EVAL['eval_iters']} validation batches of "
          f"{EVAL['batch_size']} x {EVAL['block_size']} tokens, the same batches for both")
    return 0
