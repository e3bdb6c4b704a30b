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


# ----------------------------------------------------------------------------- lesson 03

def _top_order(values: torch.Tensor, top: int | None) -> list[int]:
    """The indices of the `top` largest values, largest first (all of them when top is None)."""
    order = torch.argsort(values.detach().float(), descending=True, stable=True).tolist()
    return order if top is None else order[:top]


def _check_1d(name: str, t, chars) -> torch.Tensor:
    t = torch.as_tensor(t).detach().cpu().float()
    if t.dim() != 1:
        raise ValueError(f"{name} must be 1-D (one value per vocabulary entry), got shape "
                         f"{tuple(t.shape)}; take one row, e.g. {name}[0]")
    if len(chars) != t.numel():
        raise ValueError(f"got {t.numel()} {name} but {len(chars)} character labels; pass the "
                         f"tokenizer's chars (one label per vocabulary entry)")
    return t


def plot_logits_and_probs(logits, chars, top: int | None = 20, title: str = ""):
    """Two bar charts: the logits of the `top` most likely characters, and their softmax."""
    z = _check_1d("logits", logits, chars)
    p = torch.softmax(z, dim=-1)
    order = _top_order(z, top)
    labels = [show_char(chars[i]) for i in order]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
    ax1.bar(range(len(order)), z[order].numpy(), color="tab:gray")
    ax1.axhline(0, color="black", lw=0.8)
    ax1.set(title="logits: any real number", xlabel="next character", ylabel="logit")
    ax2.bar(range(len(order)), p[order].numpy(), color="tab:blue")
    ax2.set(title="softmax(logits): between 0 and 1, sum 1", xlabel="next character",
            ylabel="probability")
    for ax in (ax1, ax2):
        ax.set_xticks(range(len(order)), labels, fontsize=_tick_size(len(order)))
        ax.grid(axis="x", visible=False)
    if title:
        fig.suptitle(title)
    return fig


def plot_next_token_distribution(probs, chars, top: int | None = 20, title: str = "",
                                 ylim: float | None = None):
    """One bar chart of next-character probabilities, the `top` most likely first."""
    p = _check_1d("probs", probs, chars)
    order = _top_order(p, top)
    fig, ax = _new((9, 3.8))
    ax.bar(range(len(order)), p[order].numpy(), color="tab:blue")
    ax.set_xticks(range(len(order)), [show_char(chars[i]) for i in order],
                  fontsize=_tick_size(len(order)))
    ax.set(title=title or "Next-character probabilities", xlabel="next character",
           ylabel="probability")
    if ylim is not None:
        ax.set_ylim(0, ylim)
    ax.grid(axis="x", visible=False)
    return fig


def plot_temperature_distributions(logits, chars, temperatures, top: int | None = 15):
    """Side-by-side bars: softmax(logits / T) for each temperature T, same characters."""
    z = _check_1d("logits", logits, chars)
    temperatures = list(temperatures)
    if not temperatures or any(not t > 0 for t in temperatures):
        raise ValueError(f"temperatures must be a non-empty list of numbers > 0, got "
                         f"{temperatures}; 0 would divide the logits by zero")
    order = _top_order(z, top)
    width = 0.8 / len(temperatures)
    fig, ax = _new((11, 4))
    for i, t in enumerate(temperatures):
        p = torch.softmax(z / t, dim=-1)
        x = [j + (i - (len(temperatures) - 1) / 2) * width for j in range(len(order))]
        ax.bar(x, p[order].numpy(), width=width, label=f"T = {t:g}")
    ax.set_xticks(range(len(order)), [show_char(chars[i]) for i in order],
                  fontsize=_tick_size(len(order)))
    ax.set(title="Temperature: low T sharpens, high T flattens", xlabel="next character",
           ylabel="probability")
    ax.legend()
    ax.grid(axis="x", visible=False)
    return fig


def plot_sample_frequencies(probs, counts, chars, top: int | None = 15):
    """Bars of the model's probabilities next to the frequencies in `counts` samples."""
    p = _check_1d("probs", probs, chars)
    c = _check_1d("counts", counts, chars)
    n = int(c.sum())
    if n <= 0:
        raise ValueError("counts sum to 0: draw at least one sample before plotting frequencies")
    freq = c / n
    order = _top_order(p, top)
    xs = torch.arange(len(order)).float()
    fig, ax = _new((10, 4))
    ax.bar((xs - 0.2).numpy(), p[order].numpy(), width=0.4, label="probability (softmax)")
    ax.bar((xs + 0.2).numpy(), freq[order].numpy(), width=0.4,
           label=f"frequency in {n:,} samples")
    ax.set_xticks(range(len(order)), [show_char(chars[i]) for i in order],
                  fontsize=_tick_size(len(order)))
    ax.set(title="Sampling with torch.multinomial follows the probabilities",
           xlabel="next character", ylabel="probability / frequency")
    ax.legend()
    ax.grid(axis="x", visible=False)
    return fig


# ----------------------------------------------------------------------------- lesson 04

def plot_attention_weights(wei, labels=None, title: str = "Attention weights",
                           annotate: bool = False, figsize=(7, 6), vmax: float | None = 1.0):
    """A (T, T) weight matrix as a heatmap: row t = how much position t takes from each column.

    `labels` (T characters or strings) name the positions; without them positions are numbered.
    Entries above the diagonal that are exactly 0 (the causal mask) are drawn in light grey.
    The colour scale runs from 0 to `vmax` (1 by default, so maps can be compared; None
    uses the largest weight, which shows small weights in more detail).
    """
    w = torch.as_tensor(wei).detach().cpu().float()
    if w.dim() != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(f"wei must be a square (T, T) matrix, got shape {tuple(w.shape)}; for a "
                         f"batch (B, T, T) pass one example, e.g. wei[0]")
    T = w.shape[0]
    if labels is None:
        labels = [str(t) for t in range(T)]
    labels = [show_char(str(c)) for c in labels]
    if len(labels) != T:
        raise ValueError(f"got {len(labels)} labels for a {T} x {T} matrix; give one per position")
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    masked = future & (w == 0)
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#dddddd")   # grey: masked future
    fig, ax = plt.subplots(figsize=figsize)
    shown = w.masked_fill(masked, float("nan"))
    im = ax.imshow(shown.numpy(), cmap=cmap, vmin=0.0,
                   vmax=float(w.max()) if vmax is None else vmax)
    fig.colorbar(im, ax=ax).set_label("weight (each row sums to 1)")
    ax.grid(False)
    ax.set(title=title, xlabel="position it takes from (key)", ylabel="position t (query)")
    ax.set_xticks(range(T), labels, fontsize=_tick_size(T))
    ax.set_yticks(range(T), labels, fontsize=_tick_size(T))
    if annotate:
        top = float(w.max()) if vmax is None else vmax
        for i in range(T):
            for j in range(T):
                if masked[i, j]:
                    continue                            # the grey future needs no number
                v = float(w[i, j])
                ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8 if T <= 10 else 6,
                        color="white" if v < 0.6 * top else "black")
    return fig


def plot_score_variance(head_sizes, var_unscaled, var_scaled):
    """Variance of q·k against head_size, without and with the 1/sqrt(head_size) scale (log-log)."""
    head_sizes, var_unscaled, var_scaled = list(head_sizes), list(var_unscaled), list(var_scaled)
    if not (len(head_sizes) == len(var_unscaled) == len(var_scaled)) or not head_sizes:
        raise ValueError(f"head_sizes, var_unscaled and var_scaled must be non-empty and of the "
                         f"same length, got {len(head_sizes)}, {len(var_unscaled)}, "
                         f"{len(var_scaled)}")
    fig, ax = _new((8, 4.5))
    ax.plot(head_sizes, head_sizes, color="gray", ls="--", lw=1, label="y = head_size")
    ax.plot(head_sizes, var_unscaled, "o-", label="q·k (no scale)")
    ax.plot(head_sizes, var_scaled, "s-", label="q·k / sqrt(head_size)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set(title="Variance of attention scores (q and k with unit variance)",
           xlabel="head_size (log scale)", ylabel="variance of the score (log scale)")
    ax.legend()
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
