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
