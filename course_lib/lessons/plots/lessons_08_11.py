"""The figures of lessons 08 to 11: the full GPT, its sweeps, scaling up, your own GPT."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker

from ...core.validate import is_whole
from ...i18n import _, ngettext
from ..sweep import loss_range, seed_losses, validate_sweep_results
from .base import _new, _styled


# ----------------------------------------------------------------------------- lesson 08

@_styled
def plot_parameter_breakdown(breakdown: dict[str, int], title: str | None = None):
    """A horizontal bar per part of the model (from `parameter_breakdown`), with count and share.

    `title` defaults to "Where the parameters are"."""
    if title is None:
        title = _("Where the parameters are")
    if not isinstance(breakdown, dict) or not breakdown:
        raise ValueError(_("breakdown must be a non-empty dict {part: parameter count}, for "
                           "example parameter_breakdown(model)"))
    bad = [k for k, v in breakdown.items() if not is_whole(v) or v < 0]
    if bad:
        raise ValueError(_("parameter counts must be integers >= 0; {part!r} has {count!r}")
                         .format(part=bad[0], count=breakdown[bad[0]]))
    total = sum(breakdown.values())
    if total == 0:
        raise ValueError(_("every count in breakdown is 0: there is nothing to draw"))
    names = list(breakdown)[::-1]            # the first part at the top
    counts = [breakdown[n] for n in names]
    fig, ax = _new((8, 0.5 * len(names) + 1.8))
    ax.barh(names, counts, color="tab:blue")
    for i, c in enumerate(counts):
        ax.text(c, i, f"  {c:,} ({100 * c / total:.1f}%)", va="center", fontsize=10)
    ax.set_xlim(0, max(counts) * 1.45)       # room for the labels
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.set(title=_("{title}: {total:,} in total").format(title=title, total=total),
           xlabel=_("parameters (count)"))
    ax.grid(axis="y", visible=False)
    return fig


PLOTTED_KEYS = ("n_embd", "params", "val_loss", "seconds")   # what the sweep plots read


@_styled
def plot_n_embd_sweep(results: list[dict]):
    """Two panels: final val loss against parameter count (the mean over the seeds, a bar
    from the smallest to the largest, and each seed as a dot), and the first seed's training
    time against n_embd."""
    validate_sweep_results(results, "results", PLOTTED_KEYS)
    n = [r["n_embd"] for r in results]
    params = [r["params"] for r in results]
    spread = [loss_range(seed_losses(r)) for r in results]          # (mean, min, max) each
    n_seeds = max(len(seed_losses(r)) for r in results)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    means = [m for m, _lo, _hi in spread]
    ax1.errorbar(params, means, yerr=[[m - lo for m, lo, _hi in spread],
                                      [hi - m for m, _lo, hi in spread]],
                 fmt="o-", capsize=4,
                 label=_("mean of {n} seeds, bar: min to max").format(n=n_seeds)
                 if n_seeds > 1 else _("one seed"))
    if n_seeds > 1:
        xs, ys = zip(*[(r["params"], v) for r in results for v in seed_losses(r)])
        ax1.plot(xs, ys, ".", color="black", ms=4, alpha=0.6, label=_("each seed"))
        ax1.legend(fontsize=9, loc="upper right")
    for r, m in zip(results, means):
        ax1.annotate(f"n_embd={r['n_embd']}", (r["params"], m),
                     textcoords="offset points", xytext=(6, 6), fontsize=9)
    ax1.set_xscale("log")
    ax1.margins(x=0.15, y=0.1)               # room for the labels at both ends
    ax1.set(title=_("Validation loss after the same number of steps"),
            xlabel=_("parameters (log scale)"), ylabel=_("val loss (nats)"))
    ax2.bar([str(v) for v in n], [r["seconds"] for r in results], color="tab:orange")
    for i, r in enumerate(results):
        ax2.text(i, r["seconds"], f"{r['seconds']:.0f} s", ha="center", va="bottom", fontsize=9)
    first = (results[0].get("seeds") or [results[0].get("seed")])[0]
    ax2.set(title=_("Training time of each run (seed {seed} only)").format(seed=first)
            if n_seeds > 1 and first is not None else _("Training time of each run"),
            xlabel="n_embd", ylabel=_("wall time (s)"))
    ax2.grid(axis="x", visible=False)
    return fig


@_styled
def plot_sweep_curves(results: list[dict], highlight: int | None = None):
    """Val loss against (estimated) training time for every run; `highlight` one n_embd.

    The time of each evaluation is estimated as step x (run seconds / last step), so it
    assumes every step of a run took as long. Step 0 (before training) is left out: it has
    no time on a log scale.
    """
    validate_sweep_results(results, "results", PLOTTED_KEYS)
    sizes = [r["n_embd"] for r in results]
    if highlight is not None and highlight not in sizes:
        raise ValueError(_("highlight={highlight!r} is not one of the sweep's sizes {sizes}")
                         .format(highlight=highlight, sizes=sizes))
    fig, ax = _new()
    colors = plt.get_cmap("tab10").colors
    for i, r in enumerate(results):
        steps = r["eval_steps"]
        per_step = r["seconds"] / max(1, steps[-1])
        bold = highlight is None or r["n_embd"] == highlight
        points = [(s * per_step, v) for s, v in zip(steps, r["eval_val"]) if s > 0]
        ax.plot(*zip(*points), "o-", ms=3,
                color=colors[i % len(colors)], lw=2.5 if bold else 1,
                alpha=1.0 if bold else 0.35, label=f"n_embd={r['n_embd']}")
    ax.set_xscale("log")
    ax.set(title=_("Validation loss during training, by wall time"),
           xlabel=_("training time (s, log scale)"), ylabel=_("val loss (nats)"))
    ax.legend(fontsize=9)
    return fig


@_styled
def plot_gpt_changes(results: list[dict]):
    """Each variant's val loss per seed (dots) and mean (a bar), one row per variant; the
    first result is the baseline, whose min-max range is shaded across the whole plot."""
    if not isinstance(results, list) or not results:
        raise ValueError(_("results must be a non-empty list, for example "
                           "load_gpt_changes()['results']"))
    for key in ("variant", "val_losses"):
        if any(key not in r for r in results):
            raise ValueError(_("every result needs {key!r}; load them with load_gpt_changes()")
                             .format(key=key))
    fig, ax = _new((8, 0.7 * len(results) + 1.8))
    _mean, lo, hi = loss_range(results[0]["val_losses"])
    ax.axvspan(lo, hi, color="tab:blue", alpha=0.12,
               label=_("{variant}: min to max of its seeds").format(variant=results[0]["variant"]))
    for i, r in enumerate(results):
        mean = loss_range(r["val_losses"])[0]
        ax.plot(r["val_losses"], [i] * len(r["val_losses"]), "o", color="black", ms=5,
                alpha=0.7, label=_("each seed") if i == 0 else None)
        ax.plot([mean, mean], [i - 0.3, i + 0.3], color="tab:red", lw=2.5,
                label=_("mean") if i == 0 else None)
    ax.set_yticks(range(len(results)), [
        r["variant"] + "".join(f"\n{k}={v}" for k, v in r.get("change", {}).items())
        for r in results])
    ax.invert_yaxis()                        # the baseline on top
    ax.margins(y=0.3)
    ax.set(title=_("Validation loss of each variant (same steps, same seeds)"),
           xlabel=_("val loss (nats)"))
    ax.legend(fontsize=9, loc="best")
    return fig


# ----------------------------------------------------------------------------- lesson 09

@_styled
def plot_scaling(runs: list[dict], title: str | None = None):
    """Measured tokens/s of each run as bars, and what perfect scaling would give.

    `title` defaults to "Training throughput: 1 process vs 2 (torchrun)"."""
    if title is None:
        title = _("Training throughput: 1 process vs 2 (torchrun)")
    fig, ax = _new((7, 4))
    labels = [ngettext("{n} process\nx {k} thread", "{n} processes\nx {k} thread",
                       r["processes"]).format(n=r["processes"], k=r["threads_per_process"])
              if r["threads_per_process"] <= 1 else
              ngettext("{n} process\nx {k} threads", "{n} processes\nx {k} threads",
                       r["processes"]).format(n=r["processes"], k=r["threads_per_process"])
              for r in runs]
    values = [r["tokens_per_second"] for r in runs]
    bars = ax.bar(labels, values, color=["tab:blue", "tab:orange", "tab:green"][:len(runs)])
    for bar, v in zip(bars, values):
        ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v:,.0f}", ha="center", va="bottom")
    ax.set(title=title, ylabel=_("tokens per second (all processes)"))
    ax.grid(axis="x", visible=False)
    return fig


# Lesson 11

@_styled
def plot_live_loss(steps, losses, floor: float | None = None, title: str | None = None,
                   val_steps=(), val_losses=()):
    """The minibatch loss of each step so far, the val estimates so far (`val_steps`,
    `val_losses`) and, for the addition task, its floor as a line. `title` defaults to
    "Training loss, live"."""
    if title is None:
        title = _("Training loss, live")
    if len(steps) != len(losses):
        raise ValueError(_("steps and losses differ in length ({a} and {b})").format(
            a=len(steps), b=len(losses)))
    if len(val_steps) != len(val_losses):
        raise ValueError(_("val_steps and val_losses differ in length ({a} and {b})").format(
            a=len(val_steps), b=len(val_losses)))
    fig, ax = _new((7, 3.5))
    if steps:
        ax.plot(steps, losses, lw=1, color="tab:blue", alpha=0.6, label=_("minibatch loss (train)"))
    if len(val_steps):
        ax.plot(val_steps, val_losses, "o-", ms=3, color="tab:orange",
                label=_("val loss (estimate)"))
    if floor is not None:
        ax.axhline(floor, color="tab:green", ls="--",
                   label=_("floor: a perfect adder ({floor:.2f})").format(floor=floor))
    ax.set(title=title, xlabel=_("step"), ylabel=_("loss (nats per token)"))
    if steps or len(val_steps) or floor is not None:
        ax.legend(fontsize=9)
    return fig


@_styled
def plot_loss_levels(history, floor: float, format_only: float, title: str | None = None):
    """A TrainHistory's train and val estimates against the two levels of the addition task.

    `title` defaults to "Addition: the loss against its two levels"."""
    if title is None:
        title = _("Addition: the loss against its two levels")
    fig, ax = _new((8, 4))
    ax.plot(history.steps, history.train_loss, lw=0.8, alpha=0.4, color="tab:blue",
            label=_("minibatch loss"))
    ax.plot(history.eval_steps, history.eval_val, "o-", ms=3, color="tab:orange",
            label=_("val loss (estimate)"))
    ax.axhline(format_only, color="tab:red", ls=":",
               label=_("knows the format, cannot add ({loss:.3f})").format(loss=format_only))
    ax.axhline(floor, color="tab:green", ls="--",
               label=_("floor: a perfect adder ({floor:.3f})").format(floor=floor))
    ax.set(title=title, xlabel=_("step"), ylabel=_("loss (nats per character)"))
    ax.set_ylim(0, max(3.0, format_only + 0.5))
    ax.legend(fontsize=9)
    return fig


@_styled
def plot_addition_digits(runs: dict, title: str | None = None):
    """Per-place accuracy (hundreds, tens, units) and whole-answer accuracy over training,
    one panel per run ({"reversed": run, "as written": run}, each with "eval_steps",
    "accuracy" and "per_place" lists). `title` defaults to "Held-out accuracy of each
    answer digit"."""
    if title is None:
        title = _("Held-out accuracy of each answer digit")
    if not runs:
        raise ValueError(_("no runs to plot; give a dict such as {'reversed': run}"))
    fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 3.8), sharey=True,
                             squeeze=False)
    for ax, (name, run) in zip(axes[0], runs.items()):
        for place, label, color in (("hundreds", _("hundreds digit"), "tab:purple"),
                                    ("tens", _("tens digit"), "tab:orange"),
                                    ("units", _("units digit"), "tab:green")):
            ax.plot(run["eval_steps"], [p[place] for p in run["per_place"]], "o-", ms=3,
                    color=color, label=label)
        ax.plot(run["eval_steps"], run["accuracy"], "s-", ms=4, lw=2, color="black",
                label=_("whole answer"))
        ax.set(title=_("answers {name}").format(name=name), xlabel=_("step"), ylim=(0, 1.02))
    axes[0][0].set_ylabel(_("fraction right (held-out sums)"))
    axes[0][-1].legend(fontsize=8, loc="lower right")
    fig.suptitle(title)
    return fig
