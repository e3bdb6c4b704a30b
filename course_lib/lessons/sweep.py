"""The n_embd experiment (lesson 08): read the precomputed sweep, and re-run one size of it.

`scripts/sweep_n_embd.py` trains the same GPT at several widths and writes
data/sweep_n_embd.json. This module reads that file and trains one width again with the
same settings, for a few steps or seconds, so a learner can watch what one size costs:

    sweep = load_sweep()
    print(sweep_table(sweep))
    model, history = train_sweep_size(sweep, corpus, n_embd=64, max_seconds=10)
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ..core.data import DATA_DIR, Corpus
from ..core.model import GPTConfig, GPTLanguageModel
from ..core.training import TrainHistory, train

SWEEP_PATH = DATA_DIR / "sweep_n_embd.json"
SWEEP_COMMAND = "python scripts/sweep_n_embd.py"
RESULT_KEYS = ("n_embd", "params", "embedding_params", "train_loss", "val_loss", "seconds",
               "tokens_per_second", "eval_steps", "eval_train", "eval_val")


def load_sweep(path: str | Path | None = None) -> dict:
    """Read the sweep file (data/sweep_n_embd.json when `path` is None) and check its shape.

    Returns the dict the script wrote; its "results" are sorted by n_embd. Raises
    FileNotFoundError (with the command that makes the file) or ValueError naming what is
    missing.
    """
    path = SWEEP_PATH if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no sweep results at {path}; run `{SWEEP_COMMAND}` from the "
                                f"repository root to make them (about 10 minutes)")
    try:
        sweep = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path} is not valid JSON ({err}); run `{SWEEP_COMMAND}` again") from None
    validate_sweep(sweep, source=str(path))
    sweep["results"] = sorted(sweep["results"], key=lambda r: r["n_embd"])
    return sweep


def validate_sweep(sweep, source: str = "the sweep") -> None:
    """Raise ValueError unless `sweep` has the keys that load_sweep's users read."""
    if not isinstance(sweep, dict):
        raise ValueError(f"{source} should be a dict with 'results', got {type(sweep).__name__}")
    for key in ("results", "fixed_config", "training"):
        if key not in sweep:
            raise ValueError(f"{source} has no {key!r}; it was not written by "
                             f"`{SWEEP_COMMAND}` (run it again)")
    results = sweep["results"]
    if not isinstance(results, list) or not results:
        raise ValueError(f"{source} holds no results; run `{SWEEP_COMMAND}` again")
    for r in results:
        missing = [k for k in RESULT_KEYS if k not in r]
        if missing:
            raise ValueError(f"a result in {source} (n_embd={r.get('n_embd', '?')}) lacks "
                             f"{missing}; run `{SWEEP_COMMAND}` again")


def sweep_result(sweep: dict, n_embd: int) -> dict:
    """The result for one n_embd; ValueError listing the sizes the sweep has if it is not there."""
    sizes = [r["n_embd"] for r in sweep["results"]]
    for r in sweep["results"]:
        if r["n_embd"] == n_embd:
            return r
    raise ValueError(f"the sweep has no run with n_embd={n_embd!r}; it has {sizes}")


def sweep_table(sweep: dict) -> str:
    """The sweep results as a fixed-width text table, one row per n_embd."""
    validate_sweep(sweep)
    steps = sweep["training"].get("max_iters", "?")
    head = (f"{'n_embd':>6} {'parameters':>11} {'embedding':>10} {'train loss':>10} "
            f"{'val loss':>9} {'seconds':>8} {'tokens/s':>9}")
    lines = [f"{len(sweep['results'])} runs of {steps} steps each", head, "-" * len(head)]
    for r in sweep["results"]:
        lines.append(f"{r['n_embd']:>6} {r['params']:>11,} {r['embedding_params']:>10,} "
                     f"{r['train_loss']:>10.4f} {r['val_loss']:>9.4f} {r['seconds']:>8.1f} "
                     f"{r['tokens_per_second']:>9,}")
    return "\n".join(lines)


def train_sweep_size(sweep: dict, corpus: Corpus, n_embd: int, *, max_iters: int | None = None,
                     max_seconds: float | None = None, eval_iters: int | None = None,
                     progress: bool = True, callback=None
                     ) -> tuple[GPTLanguageModel, TrainHistory]:
    """Train one width of the sweep again, from the same seed, for a few steps or seconds.

    Everything but n_embd and the length of the run comes from the sweep file (model
    config, batch size, learning rate, warmup, seed), so the first steps repeat the sweep's
    run of that size. One difference: the learning rate stays constant after warmup (the
    sweep's cosine decay barely moves in its first few hundred steps, and a short run has no
    "end" to decay towards). `eval_iters` (default: the sweep's) sets how many batches each
    loss estimate uses; fewer is faster and noisier. Returns (model, history). Raises
    ValueError for an n_embd the config cannot take or when neither max_iters nor
    max_seconds is given.
    """
    validate_sweep(sweep)
    if max_iters is None and max_seconds is None:
        raise ValueError("give max_iters or max_seconds: this trains a short run, for example "
                         "max_seconds=10")
    fixed = dict(sweep["fixed_config"])
    if fixed.get("vocab_size") != corpus.tokenizer.vocab_size:
        raise ValueError(f"the sweep was run with vocab_size={fixed.get('vocab_size')} but this "
                         f"corpus has {corpus.tokenizer.vocab_size} characters; use the course "
                         f"corpus (load_corpus())")
    cfg = GPTConfig.from_dict({**fixed, "n_embd": n_embd})   # checks n_embd and n_head
    settings = dict(sweep["training"])
    seed = settings.get("seed", 1337)
    torch.manual_seed(seed)                                   # the sweep's initial weights
    model = GPTLanguageModel(cfg)
    history = train(model, corpus.train_data, corpus.val_data, max_iters=max_iters,
                    max_seconds=max_seconds, batch_size=settings.get("batch_size", 32),
                    lr=settings.get("lr", 1e-3), min_lr=None,
                    warmup_iters=settings.get("warmup_iters", 0),
                    grad_clip=settings.get("grad_clip"),
                    eval_interval=settings.get("eval_interval"),
                    eval_iters=eval_iters or settings.get("eval_iters", 20), seed=seed,
                    progress=progress,
                    callback=callback)
    return model, history
