"""The n_embd experiment (lesson 08): read the precomputed sweep, and re-run one size of it.

`scripts/sweep_n_embd.py` trains the same GPT at several widths and writes
data/sweep_n_embd.json. This module reads that file and trains one width again with the
same settings, for a few steps or seconds, so a learner can watch what one size costs:

    sweep = load_sweep()
    print(sweep_table(sweep))             # mean and min-max over the seeds, per size
    print(doubling_table(sweep))          # each doubling's change against the seed spread
    model, history = train_sweep_size(sweep, corpus, n_embd=64, max_seconds=10)

It also reads data/gpt_changes.json (`scripts/measure_gpt_changes.py`): the sweep's
n_embd=64 model with one later-GPT change at a time (`load_gpt_changes`, `gpt_changes_table`).
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ..core.data import DATA_DIR, Corpus
from ..core.defaults import SEED
from ..core.model import GPTConfig, GPTLanguageModel
from ..core.training import TrainHistory, train
from ..i18n import _, ngettext

SWEEP_PATH = DATA_DIR / "sweep_n_embd.json"
SWEEP_COMMAND = "python scripts/sweep_n_embd.py"
RESULT_KEYS = ("n_embd", "params", "embedding_params", "train_loss", "val_loss", "seconds",
               "tokens_per_second", "eval_steps", "eval_train", "eval_val")


def _read_result(path: Path, what: str, command: str, takes: str) -> dict:
    """Read a result file a script wrote; a missing or broken file names the command that
    makes it again."""
    if not path.is_file():
        raise FileNotFoundError(_("no {what} at {path}; run `{command}` from the repository "
                                  "root to make them ({takes})").format(
            what=what, path=path, command=command, takes=takes))
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(_("{path} is not valid JSON ({error}); run `{command}` again").format(
            path=path, error=err, command=command)) from None


def load_sweep(path: str | Path | None = None) -> dict:
    """Read the sweep file (data/sweep_n_embd.json when `path` is None) and check its shape.

    Returns the dict the script wrote; its "results" are sorted by n_embd. Raises
    FileNotFoundError (with the command that makes the file) or ValueError naming what is
    missing.
    """
    path = SWEEP_PATH if path is None else Path(path)
    sweep = _read_result(path, _("sweep results"), SWEEP_COMMAND, _("about 10 minutes"))
    validate_sweep(sweep, source=str(path))
    sweep["results"] = sorted(sweep["results"], key=lambda r: r["n_embd"])
    return sweep


def validate_sweep(sweep, source: str | None = None) -> None:
    """Raise ValueError unless `sweep` has the keys that load_sweep's users read.

    `source` names the sweep in the messages (default: "the sweep")."""
    source = _("the sweep") if source is None else source
    if not isinstance(sweep, dict):
        raise ValueError(_("{source} should be a dict with 'results', got {kind}").format(
            source=source, kind=type(sweep).__name__))
    for key in ("results", "fixed_config", "training"):
        if key not in sweep:
            raise ValueError(_("{source} has no {key!r}; it was not written by `{command}` (run "
                               "it again)").format(source=source, key=key,
                                                   command=SWEEP_COMMAND))
    validate_sweep_results(sweep["results"], source)


def validate_sweep_results(results, source: str | None = None,
                           keys: tuple[str, ...] = RESULT_KEYS) -> None:
    """Raise ValueError unless `results` is a non-empty list of results that each have `keys`
    (the plots ask only for the keys they draw) and, if they have them, lists of seed losses.

    `source` names the results in the messages (default: "the sweep results")."""
    source = _("the sweep results") if source is None else source
    if not isinstance(results, list) or not results:
        raise ValueError(_("{source} holds no results: it must be a non-empty list of sweep "
                           "results (load_sweep()['results']); run `{command}` again").format(
            source=source, command=SWEEP_COMMAND))
    for r in results:
        if not isinstance(r, dict):
            raise ValueError(_("each result in {source} should be a dict, got {kind}").format(
                source=source, kind=type(r).__name__))
        missing = [k for k in keys if k not in r]
        if missing:
            raise ValueError(_("a result in {source} (n_embd={n_embd}) lacks {missing}; run "
                               "`{command}` again").format(
                source=source, n_embd=r.get("n_embd", "?"), missing=missing,
                command=SWEEP_COMMAND))
        for key in ("val_losses", "train_losses"):
            values = r.get(key)
            if values is not None and (not isinstance(values, list) or not values or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)):
                raise ValueError(_("{key} of n_embd={n_embd} in {source} should be a non-empty "
                                   "list of losses (one per seed), got {values!r}; run "
                                   "`{command}` again").format(
                    key=key, n_embd=r.get("n_embd", "?"), source=source, values=values,
                    command=SWEEP_COMMAND))


def sweep_result(sweep: dict, n_embd: int) -> dict:
    """The result for one n_embd; ValueError listing the sizes the sweep has if it is not there."""
    sizes = [r["n_embd"] for r in sweep["results"]]
    for r in sweep["results"]:
        if r["n_embd"] == n_embd:
            return r
    raise ValueError(_("the sweep has no run with n_embd={n_embd!r}; it has {sizes}").format(
        n_embd=n_embd, sizes=sizes))


def seed_losses(result: dict, split: str = "val") -> list[float]:
    """Every seed's final `split` loss ("val" or "train") of one result; a file from before
    seeds has one."""
    if split not in ("val", "train"):
        raise ValueError(_("split must be 'val' or 'train', got {split!r}").format(split=split))
    values = result.get(f"{split}_losses") or [result[f"{split}_loss"]]
    return [float(v) for v in values]


def loss_range(values: list[float]) -> tuple[float, float, float]:
    """(mean, smallest, largest) of a list of losses."""
    if not values:
        raise ValueError(_("loss_range needs at least one loss, got an empty list"))
    return sum(values) / len(values), min(values), max(values)


def compare_losses(before: list[float], after: list[float]) -> dict:
    """How `after` differs from `before` (each a list of losses, one per seed).

    Returns {"change": mean(after) - mean(before), "spread": the wider of the two min-max
    ranges, "apart": True when the ranges do not overlap (every seed of one is below every
    seed of the other), "lower_in": for how many seeds `after` is below `before`, seed by
    seed (the lists must hold the same seeds in the same order)}. With one seed each,
    "apart" says nothing about noise.
    """
    if len(before) != len(after):
        raise ValueError(_("before and after need one loss per seed each, for the same seeds; "
                           "got {before} and {after} losses").format(before=len(before),
                                                                     after=len(after)))
    (m0, lo0, hi0), (m1, lo1, hi1) = loss_range(before), loss_range(after)
    return {"change": m1 - m0, "spread": max(hi0 - lo0, hi1 - lo1),
            "apart": hi1 < lo0 or lo1 > hi0,
            "lower_in": sum(b < a for a, b in zip(before, after))}


def _seeds_line(sweep: dict) -> str:
    seeds = sweep.get("seeds") or [sweep["training"].get("seed", "?")]
    return ngettext("{n} seed ({seeds})", "{n} seeds ({seeds})", len(seeds)).format(
        n=len(seeds), seeds=", ".join(map(str, seeds)))


def _columns(spec) -> tuple[str, list[int]]:
    """A table's header line and its column widths, from (label, width, align) triples.

    A column is as wide as its width or its label in the learner's language, whichever is
    wider, so a longer translated label keeps the rows under it aligned.
    """
    widths = [max(width, len(label)) for label, width, _align in spec]
    head = " ".join(f"{label:{align}{w}}" for (label, _width, align), w in zip(spec, widths))
    return head, widths


def sweep_table(sweep: dict) -> str:
    """The sweep results as a fixed-width text table, one row per n_embd: the mean and the
    min-max of the final losses over the seeds, and the first seed's time."""
    validate_sweep(sweep)
    steps = sweep["training"].get("max_iters", "?")
    first = (sweep.get("seeds") or [sweep["training"].get("seed", "?")])[0]
    head, w = _columns((("n_embd", 6, ">"), (_("parameters"), 11, ">"),
                        (_("embedding"), 10, ">"), (_("train (mean)"), 12, ">"),
                        (_("val (mean)"), 10, ">"), (_("val min-max"), 13, ">"),
                        (_("seconds"), 8, ">"), (_("tokens/s"), 9, ">")))
    lines = [_("{sizes} sizes x {seeds}, {steps} steps each run; seconds and tokens/s: seed "
               "{first}'s run").format(sizes=len(sweep["results"]), seeds=_seeds_line(sweep),
                                       steps=steps, first=first), head, "-" * len(head)]
    for r in sweep["results"]:
        train_mean = loss_range(seed_losses(r, "train"))[0]
        mean, lo, hi = loss_range(seed_losses(r))
        lines.append(f"{r['n_embd']:>{w[0]}} {r['params']:>{w[1]},} "
                     f"{r['embedding_params']:>{w[2]},} {train_mean:>{w[3]}.4f} "
                     f"{mean:>{w[4]}.4f} {f'{lo:.3f}-{hi:.3f}':>{w[5]}} "
                     f"{r['seconds']:>{w[6]}.1f} {r['tokens_per_second']:>{w[7]},}")
    return "\n".join(lines)


def doubling_table(sweep: dict) -> str:
    """One line per step from one size to the next: the change of the mean val loss, the
    seed spread (the wider min-max range of the two sizes), whether the ranges overlap, and
    for how many seeds the wider model ended lower than the narrower one from the same seed
    (a seed gives every size the same batches)."""
    validate_sweep(sweep)
    rs = sweep["results"]
    head, w = _columns((("n_embd", 10, ">"), (_("mean val change"), 16, ">"),
                        (_("seed spread"), 12, ">"), (_("ranges"), 8, ">"),
                        (_("lower in"), 9, ">")))
    lines = [head, "-" * len(head)]
    for a, b in zip(rs, rs[1:]):
        c = compare_losses(seed_losses(a), seed_losses(b))
        step = f"{a['n_embd']}->{b['n_embd']}"
        lower = _("{lower} of {n}").format(lower=c["lower_in"], n=len(seed_losses(b)))
        ranges = _("apart") if c["apart"] else _("overlap")
        lines.append(f"{step:>{w[0]}} {c['change']:>+{w[1]}.4f} {c['spread']:>{w[2]}.4f} "
                     f"{ranges:>{w[3]}} {lower:>{w[4]}}")
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
        raise ValueError(_("give max_iters or max_seconds: this trains a short run, for "
                           "example max_seconds=10"))
    fixed = dict(sweep["fixed_config"])
    if fixed.get("vocab_size") != corpus.tokenizer.vocab_size:
        raise ValueError(_("the sweep was run with vocab_size={vocab_size} but this corpus has "
                           "{n} characters; use the course corpus (load_corpus())").format(
            vocab_size=fixed.get("vocab_size"), n=corpus.tokenizer.vocab_size))
    cfg = GPTConfig.from_dict({**fixed, "n_embd": n_embd})   # checks n_embd and n_head
    settings = dict(sweep["training"])
    seed = settings.get("seed", SEED)
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


# ------------------------------------------------------------- what later GPTs changed

GPT_CHANGES_PATH = DATA_DIR / "gpt_changes.json"
GPT_CHANGES_COMMAND = "python scripts/measure_gpt_changes.py"
CHANGE_KEYS = ("variant", "change", "params", "seeds", "train_losses", "val_losses", "seconds")


def load_gpt_changes(path: str | Path | None = None) -> dict:
    """Read data/gpt_changes.json (or `path`): the sweep's n_embd=64 model with one change
    at a time. Its "results" start with the baseline (no change). Raises FileNotFoundError
    with the command that makes the file, or ValueError naming what is missing."""
    path = GPT_CHANGES_PATH if path is None else Path(path)
    data = _read_result(path, _("results"), GPT_CHANGES_COMMAND, _("about 15 minutes"))
    validate_gpt_changes(data, source=str(path))
    return data


def validate_gpt_changes(data, source: str | None = None) -> None:
    """Raise ValueError unless `data` looks like what measure_gpt_changes.py writes.

    `source` names the data in the messages (default: "the measurement")."""
    source = _("the measurement") if source is None else source
    if not isinstance(data, dict) or not isinstance(data.get("results"), list) \
            or not data["results"]:
        raise ValueError(_("{source} should be a dict with a non-empty 'results' list; run "
                           "`{command}` again").format(source=source,
                                                       command=GPT_CHANGES_COMMAND))
    for r in data["results"]:
        missing = [k for k in CHANGE_KEYS if k not in r]
        if missing:
            raise ValueError(_("a result in {source} ({variant}) lacks {missing}; run "
                               "`{command}` again").format(
                source=source, variant=r.get("variant", "?"), missing=missing,
                command=GPT_CHANGES_COMMAND))
    if data["results"][0]["change"]:
        raise ValueError(_("{source} should start with the baseline (no change), got "
                           "{variant!r} first").format(source=source,
                                                       variant=data["results"][0]["variant"]))


def gpt_changes_table(data: dict) -> str:
    """One row per variant: parameters, val loss mean and min-max over the seeds, the change
    of the mean against the baseline next to the seed spread, whether the ranges overlap,
    and for how many seeds the variant ended below the baseline run of the same seed."""
    validate_gpt_changes(data)
    base = data["results"][0]
    head, w = _columns(((_("variant"), 26, "<"), (_("parameters"), 10, ">"),
                        (_("val (mean)"), 10, ">"), (_("val min-max"), 13, ">"),
                        (_("vs baseline"), 11, ">"), (_("seed spread"), 11, ">"),
                        (_("ranges"), 8, ">"), (_("lower in"), 9, ">")))
    lines = [head, "-" * len(head)]
    for r in data["results"]:
        mean, lo, hi = loss_range(r["val_losses"])
        name = r["variant"] + "".join(f" {k}={v}" for k, v in r["change"].items())
        row = (f"{name:<{w[0]}} {r['params']:>{w[1]},} {mean:>{w[2]}.4f} "
               f"{f'{lo:.3f}-{hi:.3f}':>{w[3]}}")
        if r is not base:
            c = compare_losses(base["val_losses"], r["val_losses"])
            lower = _("{lower} of {n}").format(lower=c["lower_in"], n=len(r["val_losses"]))
            ranges = _("apart") if c["apart"] else _("overlap")
            row += (f" {c['change']:>+{w[4]}.4f} {c['spread']:>{w[5]}.4f} "
                    f"{ranges:>{w[6]}} {lower:>{w[7]}}")
        lines.append(row)
    return "\n".join(lines)
