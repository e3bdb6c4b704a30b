"""Every figure the course draws. Each function returns the matplotlib Figure.

Figures have a title, labelled axes (with units where there are any), and a colour bar on
heatmaps. Notebooks call these; nothing here trains or computes a model.
"""

from __future__ import annotations

import math

import matplotlib

import matplotlib.pyplot as plt
import torch

FIGSIZE = (8, 4.5)

plt.rcParams.update({
    "figure.dpi": 100,
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.labelsize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.autolayout": True,
})


def _new(figsize=FIGSIZE):
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def show_char(c: str) -> str:
    """A printable label for a character: '\\n' for a new line, '␣' for a space."""
    return {"\n": "\\n", " ": "␣", "\t": "\\t"}.get(c, c)


def plot_loss_curves(history, title: str = "Training loss", baseline: float | None = None,
                     baseline_label: str = "ln(vocab_size): uniform guessing"):
    """The per-step minibatch loss (thin) and the estimated train and val losses (markers)."""
    fig, ax = _new()
    if history.steps:
        ax.plot(history.steps, history.train_loss, lw=0.8, alpha=0.4, label="minibatch loss")
    if history.eval_steps:
        ax.plot(history.eval_steps, history.eval_train, "o-", label="train (estimate)")
        ax.plot(history.eval_steps, history.eval_val, "s-", label="val (estimate)")
    if baseline is not None:
        ax.axhline(baseline, color="gray", ls="--", lw=1, label=baseline_label)
    ax.set(title=title, xlabel="optimisation step", ylabel="cross-entropy loss (nats)")
    ax.legend()
    return fig


def plot_heatmap(matrix, title: str, xlabel: str, ylabel: str, xticklabels=None,
                 yticklabels=None, colorbar_label: str = "", cmap: str = "viridis",
                 annotate: bool = False, fmt: str = "{:.2f}", figsize=(7, 6), log: bool = False):
    """A matrix as an image with a colour bar; optional tick labels and cell values."""
    m = matrix.detach().cpu().float() if isinstance(matrix, torch.Tensor) else torch.tensor(matrix)
    fig, ax = plt.subplots(figsize=figsize)
    norm = matplotlib.colors.LogNorm(vmin=1, vmax=max(1.0, float(m.max()))) if log else None
    im = ax.imshow((m + 1 if log else m).numpy(), cmap=cmap, norm=norm, aspect="auto")
    cb = fig.colorbar(im, ax=ax)
    cb.set_label(colorbar_label)
    ax.grid(False)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if xticklabels is not None:
        ax.set_xticks(range(len(xticklabels)), [show_char(str(t)) for t in xticklabels],
                      fontsize=_tick_size(len(xticklabels)))
    if yticklabels is not None:
        ax.set_yticks(range(len(yticklabels)), [show_char(str(t)) for t in yticklabels],
                      fontsize=_tick_size(len(yticklabels)))
    if annotate:
        vmax = float(m.max()) if m.numel() else 0.0
        for i in range(m.shape[0]):
            for j in range(m.shape[1]):
                v = float(m[i, j])
                if math.isfinite(v):
                    ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=9,
                            color="white" if v < 0.6 * vmax else "black")
    return fig


def _tick_size(n: int) -> int:
    return 10 if n <= 20 else 8 if n <= 40 else 6


# ----------------------------------------------------------------------------- lesson 00

def plot_char_frequencies(text: str, chars: list[str], top: int | None = None):
    """How often each vocabulary character occurs in `text`, most frequent first (a bar chart)."""
    from collections import Counter
    counts = Counter(text)
    order = sorted(chars, key=lambda c: -counts[c])[:top]
    fig, ax = plt.subplots(figsize=(12, 4))
    ax.bar(range(len(order)), [counts[c] for c in order])
    ax.set_xticks(range(len(order)), [show_char(c) for c in order], fontsize=_tick_size(len(order)))
    ax.set_yscale("log")
    ax.set(title=f"How often each of the {len(chars)} characters occurs",
           xlabel="character (␣ is a space, \\n a new line)", ylabel="count (log scale)")
    ax.grid(axis="x", visible=False)
    return fig


# ----------------------------------------------------------------------------- lesson 08

def plot_parameter_breakdown(breakdown: dict[str, int], title: str = "Where the parameters are"):
    """A horizontal bar per part of the model (from `parameter_breakdown`), with count and share."""
    if not isinstance(breakdown, dict) or not breakdown:
        raise ValueError("breakdown must be a non-empty dict {part: parameter count}, for "
                         "example parameter_breakdown(model)")
    bad = [k for k, v in breakdown.items()
           if isinstance(v, bool) or not isinstance(v, int) or v < 0]
    if bad:
        raise ValueError(f"parameter counts must be integers >= 0; {bad[0]!r} has "
                         f"{breakdown[bad[0]]!r}")
    total = sum(breakdown.values())
    if total == 0:
        raise ValueError("every count in breakdown is 0: there is nothing to draw")
    names = list(breakdown)[::-1]            # the first part at the top
    counts = [breakdown[n] for n in names]
    fig, ax = _new((8, 0.5 * len(names) + 1.8))
    ax.barh(names, counts, color="tab:blue")
    for i, c in enumerate(counts):
        ax.text(c, i, f"  {c:,} ({100 * c / total:.1f}%)", va="center", fontsize=10)
    ax.set_xlim(0, max(counts) * 1.45)       # room for the labels
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set(title=f"{title}: {total:,} in total", xlabel="parameters (count)")
    ax.grid(axis="y", visible=False)
    return fig


def _check_sweep_results(results) -> None:
    if not isinstance(results, list) or not results:
        raise ValueError("results must be a non-empty list of sweep results, for example "
                         "load_sweep()['results']")
    for key in ("n_embd", "params", "val_loss", "seconds"):
        if any(key not in r for r in results):
            raise ValueError(f"every sweep result needs {key!r}; load them with load_sweep()")


def plot_n_embd_sweep(results: list[dict]):
    """Two panels: final val loss against parameter count, and training time against n_embd."""
    _check_sweep_results(results)
    n = [r["n_embd"] for r in results]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    ax1.plot([r["params"] for r in results], [r["val_loss"] for r in results], "o-")
    for r in results:
        ax1.annotate(f"n_embd={r['n_embd']}", (r["params"], r["val_loss"]),
                     textcoords="offset points", xytext=(4, 6), fontsize=9)
    ax1.set_xscale("log")
    ax1.set(title="Validation loss after the same number of steps",
            xlabel="parameters (log scale)", ylabel="val loss (nats)")
    ax2.bar([str(v) for v in n], [r["seconds"] for r in results], color="tab:orange")
    for i, r in enumerate(results):
        ax2.text(i, r["seconds"], f"{r['seconds']:.0f} s", ha="center", va="bottom", fontsize=9)
    ax2.set(title="Training time of each run", xlabel="n_embd", ylabel="wall time (s)")
    ax2.grid(axis="x", visible=False)
    return fig


def plot_sweep_curves(results: list[dict], highlight: int | None = None):
    """Val loss against (estimated) training time for every run; `highlight` one n_embd.

    The time of each evaluation is estimated as step x (run seconds / last step), so it
    assumes every step of a run took as long. Step 0 (before training) is left out: it has
    no time on a log scale.
    """
    _check_sweep_results(results)
    sizes = [r["n_embd"] for r in results]
    if highlight is not None and highlight not in sizes:
        raise ValueError(f"highlight={highlight!r} is not one of the sweep's sizes {sizes}")
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
    ax.set(title="Validation loss during training, by wall time",
           xlabel="training time (s, log scale)", ylabel="val loss (nats)")
    ax.legend(fontsize=9)
    return fig


# ----------------------------------------------------------------------------- lesson 09

def plot_scaling(runs: list[dict], title: str = "Training throughput: 1 process vs 2 (torchrun)"):
    """Measured tokens/s of each run as bars, and what perfect scaling would give."""
    fig, ax = _new((7, 4))
    labels = [f"{r['processes']} process{'es' if r['processes'] > 1 else ''}\n"
              f"x {r['threads_per_process']} thread{'s' if r['threads_per_process'] > 1 else ''}"
              for r in runs]
    values = [r["tokens_per_second"] for r in runs]
    bars = ax.bar(labels, values, color=["tab:blue", "tab:orange", "tab:green"][:len(runs)])
    for bar, v in zip(bars, values):
        ax.text(bar.get_x() + bar.get_width() / 2, v, f"{v:,.0f}", ha="center", va="bottom")
    ax.set(title=title, ylabel="tokens per second (all processes)")
    ax.grid(axis="x", visible=False)
    return fig
