"""Every figure the course draws. Each function returns the matplotlib Figure.

Figures have a title, labelled axes (with units where there are any), and a colour bar on
heatmaps. Notebooks call these; nothing here trains or computes a model.

The course's look (font sizes, a light grid) is applied inside each function with
`course_style()`; importing this module leaves matplotlib's global settings as they are, so
a learner's own figures look the way matplotlib draws them. The pieces the figures share
are drawn by a few building blocks, as d2l's `d2l.plot` and `d2l.set_axes` are:
`_bars_over_chars` (grouped bars with a character under each group, from `_grouped_bars`),
`_annotate_cells` (the value written in each cell of a heatmap) and `_char_ticks`
(character tick labels, smaller when there are many).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from contextlib import contextmanager

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import torch
from matplotlib.layout_engine import TightLayoutEngine

from ..core.validate import finite_number, is_whole, positive_int
from .sweep import loss_range, seed_losses

FIGSIZE = (8, 4.5)

COURSE_STYLE = {
    "figure.dpi": 100,
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.labelsize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "figure.autolayout": True,
}


@contextmanager
def course_style():
    """The course's figure settings for a `with` block; outside it they are as before.

        with course_style():
            fig, ax = plt.subplots()

    Only the settings in COURSE_STYLE are put back at the end. (matplotlib.rc_context would
    put back every setting, also those that Jupyter changes when the first figure of a
    session loads the inline backend, such as `interactive`; later figures would then not
    be shown.)
    """
    before = {key: matplotlib.rcParams[key] for key in COURSE_STYLE}
    matplotlib.rcParams.update(COURSE_STYLE)
    try:
        yield
    finally:
        matplotlib.rcParams.update(before)


class _CourseTightLayout(TightLayoutEngine):
    """matplotlib's automatic layout, run in the course style whenever the figure is drawn.

    The layout runs at each draw, and measures its margins in units of the font size that
    is set at that moment; running it inside `course_style()` keeps the figure's margins
    the same whatever a learner has set globally.
    """

    def execute(self, fig):
        with course_style():
            super().execute(fig)


def _settle(fig) -> None:
    """Make the parts that matplotlib creates later take the course style now.

    matplotlib makes ticks lazily, when the figure is first drawn, and reads their font size
    and grid style from the settings of that moment (after the `with` block has ended).
    Later ticks copy the first one, so creating it here keeps the course's look. The
    automatic layout is also run at draw time, so it is swapped for one that runs in the
    course style.
    """
    if isinstance(fig.get_layout_engine(), TightLayoutEngine):
        fig.set_layout_engine(_CourseTightLayout())
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for which, ticks in (("major", axis.majorTicks), ("minor", axis.minorTicks)):
                # reading the list creates the first tick; recording its label size keeps
                # it for the ticks made later and for how many ticks fit on the axis
                axis.set_tick_params(which=which, labelsize=ticks[0].label1.get_fontsize())


def _styled(draw):
    """Run a plotting function inside `course_style()` (see the module docstring)."""
    @functools.wraps(draw)
    def styled(*args, **kwargs):
        with course_style():
            fig = draw(*args, **kwargs)
            _settle(fig)
        return fig
    return styled


def _new(figsize=FIGSIZE, **kwargs):
    return plt.subplots(figsize=figsize, **kwargs)


def show_char(c: str) -> str:
    """A printable label for a character: '\\n' for a new line, '␣' for a space."""
    return {"\n": "\\n", " ": "␣", "\t": "\\t"}.get(c, c)


# ----------------------------------------------------------------------------- building blocks

def _tick_size(n: int) -> int:
    """A font size for n tick labels: smaller when there are many, so they do not overlap."""
    return 10 if n <= 20 else 8 if n <= 40 else 6


def _char_ticks(ax, labels, axis: str = "x", fontsize: int | None = None) -> None:
    """One tick per position with its character drawn visibly (␣, \\n); sized by their number."""
    shown = [show_char(str(c)) for c in labels]
    set_ticks = ax.set_xticks if axis == "x" else ax.set_yticks
    set_ticks(range(len(shown)), shown, fontsize=fontsize or _tick_size(len(shown)))


def _grouped_bars(ax, series: dict, width: float | None = None, colors=None) -> None:
    """Bars for each series side by side around positions 0, 1, 2, ...

    `series` maps a legend label (None: no legend entry) to its values, one per position;
    the bars of position j are centred on j. `width` is that of one bar (default: the group
    fills 0.8 of the space between positions).
    """
    n = len(series)
    width = 0.8 / n if width is None else width
    colors = colors or [None] * n
    for k, ((label, values), color) in enumerate(zip(series.items(), colors)):
        values = torch.as_tensor(values).detach().float()
        xs = [j + (k - (n - 1) / 2) * width for j in range(len(values))]
        ax.bar(xs, values.numpy(), width=width, label=label, color=color)


def _bars_over_chars(ax, series: dict, labels, colors=None, tick_fontsize: int | None = None):
    """The course's most common chart: grouped bars with a character under each group.

    `series` maps a legend label (or None) to one value per character in `labels`.
    """
    _grouped_bars(ax, series, colors=colors)
    _char_ticks(ax, labels, fontsize=tick_fontsize)
    ax.grid(axis="x", visible=False)        # vertical grid lines would cut through the bars


def _annotate_cells(ax, m: torch.Tensor, fmt: str = "{:.2f}", vmax: float | None = None,
                    skip=None, fontsize: int = 9) -> None:
    """Write the value of each cell of a heatmap of `m` (rows, columns) in the cell.

    The text is white on dark cells (below 0.6 of `vmax`, default the largest value) and
    black on light ones. Cells that are not finite, or True in `skip`, get no number.
    """
    if vmax is None:
        vmax = float(m.max()) if m.numel() else 0.0
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            v = float(m[i, j])
            if not math.isfinite(v) or (skip is not None and skip[i, j]):
                continue
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize,
                    color="white" if v < 0.6 * vmax else "black")


# ----------------------------------------------------------------------------- any lesson

@_styled
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


@_styled
def plot_heatmap(matrix, title: str, xlabel: str, ylabel: str, xticklabels=None,
                 yticklabels=None, colorbar_label: str = "", cmap: str = "viridis",
                 annotate: bool = False, fmt: str = "{:.2f}", figsize=(7, 6), log: bool = False,
                 vmin: float | None = None, vmax: float | None = None):
    """A matrix as an image with a colour bar; optional tick labels and cell values.

    The colour scale runs from `vmin` to `vmax` (default: the smallest and largest value;
    with log=True, from 1 to the largest count + 1).
    """
    m = matrix.detach().cpu().float() if isinstance(matrix, torch.Tensor) else torch.tensor(matrix)
    fig, ax = _new(figsize)
    if log:
        norm = matplotlib.colors.LogNorm(vmin=1, vmax=max(1.0, float(m.max())))
    else:
        norm = matplotlib.colors.Normalize(vmin=vmin, vmax=vmax)
    im = ax.imshow((m + 1 if log else m).numpy(), cmap=cmap, norm=norm, aspect="auto")
    fig.colorbar(im, ax=ax).set_label(colorbar_label)
    ax.grid(False)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if xticklabels is not None:
        _char_ticks(ax, xticklabels, "x")
    if yticklabels is not None:
        _char_ticks(ax, yticklabels, "y")
    if annotate:
        _annotate_cells(ax, m, fmt)
    return fig


# ----------------------------------------------------------------------------- lesson 00

@_styled
def plot_char_frequencies(text: str, chars: list[str], top: int | None = None):
    """How often each vocabulary character occurs in `text`, most frequent first (a bar chart)."""
    counts = Counter(text)
    order = sorted(chars, key=lambda c: -counts[c])[:top]
    fig, ax = _new((12, 4))
    _bars_over_chars(ax, {None: [counts[c] for c in order]}, order)
    ax.set_yscale("log")
    ax.set(title=f"How often each of the {len(chars)} characters occurs",
           xlabel="character (␣ is a space, \\n a new line)", ylabel="count (log scale)")
    return fig


# ----------------------------------------------------------------------------- lesson 01

@_styled
def plot_one_hot_vs_dense(one_hot, dense, labels):
    """Side by side: the one-hot rows (T, V) and the dense embedding rows (T, n_embd)."""
    oh = one_hot.detach().float()
    de = dense.detach().float()
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.6),
                             gridspec_kw={"width_ratios": [max(oh.shape[1], 1), 3 * de.shape[1]]})
    ticks = [show_char(str(c)) for c in labels]
    for ax, m, title, xlabel, cmap in (
            (axes[0], oh, f"one-hot: {oh.shape[1]} numbers, all 0 but one", "token ID", "Greys"),
            (axes[1], de, f"dense: {de.shape[1]} numbers, all used", "dimension", "coolwarm")):
        lim = float(m.abs().max()) or 1.0
        im = ax.imshow(m.numpy(), cmap=cmap, aspect="auto",
                       vmin=0 if cmap == "Greys" else -lim, vmax=lim)
        fig.colorbar(im, ax=ax, fraction=0.05 if ax is axes[1] else 0.02).set_label("value")
        ax.grid(False)
        ax.set(title=title, xlabel=xlabel, ylabel="token")
        ax.set_yticks(range(len(ticks)), ticks)
    return fig


@_styled
def plot_vectors_2d(vectors: dict, title: str = "Vectors in 2-D"):
    """Arrows from the origin, one per named 2-D vector, to see angles and lengths."""
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    lim = max(max(abs(float(v[0])), abs(float(v[1]))) for v in vectors.values()) * 1.25
    items = list(zip(vectors.items(), colors))
    for (name, v), color in reversed(items):         # the first vector is drawn on top
        x, y = float(v[0]), float(v[1])
        ax.annotate("", xy=(x, y), xytext=(0, 0),
                    arrowprops=dict(arrowstyle="->", lw=2.5, color=color))
        norm = math.hypot(x, y) or 1.0
        dx, dy = 0.1 * lim * y / norm, -0.1 * lim * x / norm   # beside the tip, off the line
        ax.text(x + dx, y + dy, f"{name} ({x:g}, {y:g})", color=color, fontsize=11,
                ha="center", va="center")
    ax.axhline(0, color="gray", lw=0.8)
    ax.axvline(0, color="gray", lw=0.8)
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal", title=title,
           xlabel="dimension 0", ylabel="dimension 1")
    return fig


def char_group(c: str) -> str:
    """The kind of a character, for colouring plots of character embeddings."""
    if c in "aeiou":
        return "vowel"
    if c.islower():
        return "consonant"
    if c in "AEIOU":
        return "vowel, upper case"
    if c.isupper():
        return "consonant, upper case"
    if c in " \n":
        return "space or new line"
    return "punctuation"


_GROUP_COLORS = {"vowel": "tab:red", "consonant": "tab:blue", "vowel, upper case": "tab:orange",
                 "consonant, upper case": "tab:cyan", "space or new line": "tab:green",
                 "punctuation": "tab:gray"}


@_styled
def plot_char_embeddings_2d(projections: dict, chars: list[str]):
    """One scatter per projection (title -> Projection), each character drawn as its label."""
    fig, axes = plt.subplots(1, len(projections), figsize=(6.5 * len(projections), 6),
                             squeeze=False)
    for ax, (title, proj) in zip(axes[0], projections.items()):
        pts = proj.points
        for (x, y), c in zip(pts.tolist(), chars):
            ax.text(x, y, show_char(c), fontsize=12, ha="center", va="center",
                    color=_GROUP_COLORS[char_group(c)], fontweight="bold")
        pad = 0.08 * float((pts.max(0).values - pts.min(0).values).max())
        ax.set(xlim=(float(pts[:, 0].min()) - pad, float(pts[:, 0].max()) + pad),
               ylim=(float(pts[:, 1].min()) - pad, float(pts[:, 1].max()) + pad), title=title,
               xlabel=f"principal direction 1 ({100 * float(proj.explained[0]):.0f}% of variance)",
               ylabel=f"principal direction 2 ({100 * float(proj.explained[1]):.0f}% of variance)")
    handles = [plt.Line2D([], [], ls="", marker="s", color=col, label=g)
               for g, col in _GROUP_COLORS.items()]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=10,
               bbox_to_anchor=(0.5, -0.04))
    return fig


@_styled
def plot_word_map(points, words: list[str], groups: list[str], title: str):
    """Words at 2-D positions (for example a PCA of their vectors), coloured by group."""
    fig, ax = plt.subplots(figsize=(9, 6.5))
    names = list(dict.fromkeys(groups))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    color_of = {g: colors[i % len(colors)] for i, g in enumerate(names)}
    pts = points.tolist()
    for (x, y), w, g in zip(pts, words, groups):
        ax.scatter([x], [y], color=color_of[g], s=18)
        ax.text(x, y, " " + w, color=color_of[g], fontsize=10, va="center")
    ax.legend(handles=[plt.Line2D([], [], ls="", marker="o", color=color_of[g], label=g)
                       for g in names], fontsize=9, loc="best")
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    padx, pady = 0.12 * (max(xs) - min(xs)), 0.06 * (max(ys) - min(ys))
    ax.set(xlim=(min(xs) - padx / 3, max(xs) + padx), ylim=(min(ys) - pady, max(ys) + pady),
           title=title, xlabel="principal direction 1", ylabel="principal direction 2")
    return fig


@_styled
def plot_n_embd_view(table, sweep_results: list[dict], n_embd: int, max_n_embd: int):
    """What n_embd changes: the embedding table's width (left) and the trained loss (right)."""
    # fixed margins instead of the automatic layout: a widget redraws this often, and fast
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.2), gridspec_kw={"width_ratios": [3, 2]},
                                   layout="none")
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.13, top=0.91, wspace=0.25)
    m = table.detach().float()
    im = ax0.imshow(m.numpy(), cmap="coolwarm", aspect="auto", vmin=-3, vmax=3,
                    extent=(-0.5, m.shape[1] - 0.5, m.shape[0] - 0.5, -0.5))
    fig.colorbar(im, ax=ax0, fraction=0.04).set_label("value (random at the start)")
    ax0.grid(False)
    ax0.set(xlim=(-0.5, max_n_embd - 0.5), title=f"token_embedding_table: {m.shape[0]} × {m.shape[1]}",
            xlabel="dimension (n_embd columns)", ylabel="token ID (one row each)")
    xs = [r["n_embd"] for r in sweep_results]
    ax1.plot(xs, [r["train_loss"] for r in sweep_results], "o-", label="train")
    ax1.plot(xs, [r["val_loss"] for r in sweep_results], "s-", label="val")
    sel = next((r for r in sweep_results if r["n_embd"] == n_embd), None)
    if sel is not None:
        ax1.plot([n_embd], [sel["val_loss"]], "o", ms=16, mfc="none", mec="black", mew=2,
                 label=f"n_embd = {n_embd}")
    ax1.set_xscale("log", base=2)
    ax1.set_xticks(xs, [str(x) for x in xs])
    ax1.set(title="Loss after the same training", xlabel="n_embd (log scale)",
            ylabel="cross-entropy loss (nats)")
    ax1.legend()
    return fig


# ----------------------------------------------------------------------------- lesson 02

@_styled
def plot_bigram_matrix(matrix, chars: list[str], title: str, colorbar_label: str,
                       log: bool = True):
    """A (V, V) bigram table as a heatmap: rows = current character, columns = next one."""
    fig = plot_heatmap(matrix, title=title, xlabel="next character", ylabel="current character",
                       xticklabels=chars, yticklabels=chars, colorbar_label=colorbar_label,
                       log=log, figsize=(11, 10))
    fig.axes[0].tick_params(axis="both", labelsize=8)
    return fig


@_styled
def plot_next_char_distribution(char: str, chars: list[str], dists: dict, top: int = 15):
    """Bars of P(next | char) for the `top` most likely next characters, one colour per model."""
    first = next(iter(dists.values()))
    order = torch.argsort(first, descending=True)[:top].tolist()
    fig, ax = _new((10, 4), layout="none")   # fixed margins: fast redraws
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.9)
    _bars_over_chars(ax, {name: torch.as_tensor(p)[order] for name, p in dists.items()},
                     [chars[j] for j in order], tick_fontsize=COURSE_STYLE["font.size"])
    ax.set(title=f"What follows '{show_char(char)}'? The {top} most likely next characters",
           xlabel="next character", ylabel="probability")
    ax.legend()
    return fig


@_styled
def plot_bigram_loss_curves(history, uniform_loss: float, counting_loss: float):
    """The bigram model's training curves, with the uniform guess and the counting model."""
    fig = plot_loss_curves(history, title="Training the bigram model", baseline=uniform_loss)
    ax = fig.axes[0]
    ax.axhline(counting_loss, color="black", ls=":", lw=1.5,
               label=f"counting model on val: {counting_loss:.3f}")
    ax.legend()
    return fig


# ----------------------------------------------------------------------------- lesson 03

def _top_order(values: torch.Tensor, top: int | None) -> list[int]:
    """The indices of the `top` largest values, largest first (all of them when top is None)."""
    order = torch.argsort(values.detach().float(), descending=True, stable=True).tolist()
    return order if top is None else order[:top]


def _one_value_per_char(name: str, t, chars) -> torch.Tensor:
    t = torch.as_tensor(t).detach().cpu().float()
    if t.dim() != 1:
        raise ValueError(f"{name} must be 1-D (one value per vocabulary entry), got shape "
                         f"{tuple(t.shape)}; take one row, e.g. {name}[0]")
    if len(chars) != t.numel():
        raise ValueError(f"got {t.numel()} {name} but {len(chars)} character labels; pass the "
                         f"tokenizer's chars (one label per vocabulary entry)")
    return t


@_styled
def plot_logits_and_probs(logits, chars, top: int | None = 20, title: str = ""):
    """Two bar charts: the logits of the `top` most likely characters, and their softmax."""
    z = _one_value_per_char("logits", logits, chars)
    p = torch.softmax(z, dim=-1)
    order = _top_order(z, top)
    labels = [chars[i] for i in order]
    fig, (ax1, ax2) = _new((12, 4), ncols=2)
    _bars_over_chars(ax1, {None: z[order]}, labels, colors=["tab:gray"])
    ax1.axhline(0, color="black", lw=0.8)
    ax1.set(title="logits: any real number", xlabel="next character", ylabel="logit")
    _bars_over_chars(ax2, {None: p[order]}, labels, colors=["tab:blue"])
    ax2.set(title="softmax(logits): between 0 and 1, sum 1", xlabel="next character",
            ylabel="probability")
    if title:
        fig.suptitle(title)
    return fig


@_styled
def plot_next_token_distribution(probs, chars, top: int | None = 20, title: str = "",
                                 ylim: float | None = None):
    """One bar chart of next-character probabilities, the `top` most likely first."""
    p = _one_value_per_char("probs", probs, chars)
    order = _top_order(p, top)
    fig, ax = _new((9, 3.8))
    _bars_over_chars(ax, {None: p[order]}, [chars[i] for i in order], colors=["tab:blue"])
    ax.set(title=title or "Next-character probabilities", xlabel="next character",
           ylabel="probability")
    if ylim is not None:
        ax.set_ylim(0, ylim)
    return fig


@_styled
def plot_temperature_distributions(logits, chars, temperatures, top: int | None = 15):
    """Side-by-side bars: softmax(logits / T) for each temperature T, same characters."""
    z = _one_value_per_char("logits", logits, chars)
    temperatures = list(temperatures)
    if not temperatures:
        raise ValueError("temperatures must be a non-empty list of numbers > 0, got []")
    for i, t in enumerate(temperatures):
        finite_number(f"temperatures[{i}]", t, above=0, hint="0 would divide the logits by zero")
    order = _top_order(z, top)
    fig, ax = _new((11, 4))
    _bars_over_chars(ax, {f"T = {t:g}": torch.softmax(z / t, dim=-1)[order] for t in temperatures},
                     [chars[i] for i in order])
    ax.set(title="Temperature: low T sharpens, high T flattens", xlabel="next character",
           ylabel="probability")
    ax.legend()
    return fig


@_styled
def plot_sample_frequencies(probs, counts, chars, top: int | None = 15):
    """Bars of the model's probabilities next to the frequencies in `counts` samples."""
    p = _one_value_per_char("probs", probs, chars)
    c = _one_value_per_char("counts", counts, chars)
    n = int(c.sum())
    if n <= 0:
        raise ValueError("counts sum to 0: draw at least one sample before plotting frequencies")
    freq = c / n
    order = _top_order(p, top)
    fig, ax = _new((10, 4))
    _bars_over_chars(ax, {"probability (softmax)": p[order],
                          f"frequency in {n:,} samples": freq[order]}, [chars[i] for i in order])
    ax.set(title="Sampling with torch.multinomial follows the probabilities",
           xlabel="next character", ylabel="probability / frequency")
    ax.legend()
    return fig


# ----------------------------------------------------------------------------- lesson 04

@_styled
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
    labels = [str(c) for c in labels]
    if len(labels) != T:
        raise ValueError(f"got {len(labels)} labels for a {T} x {T} matrix; give one per position")
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    masked = future & (w == 0)
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#dddddd")   # grey: masked future
    fig, ax = _new(figsize)
    shown = w.masked_fill(masked, float("nan"))
    im = ax.imshow(shown.numpy(), cmap=cmap, vmin=0.0,
                   vmax=float(w.max()) if vmax is None else vmax)
    fig.colorbar(im, ax=ax).set_label("weight (each row sums to 1)")
    ax.grid(False)
    ax.set(title=title, xlabel="position it takes from (key)", ylabel="position t (query)")
    _char_ticks(ax, labels, "x")
    _char_ticks(ax, labels, "y")
    if annotate:        # the grey future needs no number
        _annotate_cells(ax, w, vmax=vmax, skip=masked, fontsize=8 if T <= 10 else 6)
    return fig


@_styled
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


# ----------------------------------------------------------------------------- lesson 05

def _square_maps(weights, dims: int, what: str) -> torch.Tensor:
    w = weights.detach().cpu().float() if isinstance(weights, torch.Tensor) else None
    if w is None or w.dim() != dims or w.shape[-1] != w.shape[-2]:
        shape = tuple(weights.shape) if isinstance(weights, torch.Tensor) else type(weights).__name__
        raise ValueError(f"{what} must be a tensor with {dims} dimensions ending in (T, T), "
                         f"got {shape}")
    return w


def _one_label_per_position(chars, T: int) -> list[str]:
    chars = list(chars)
    if len(chars) != T:
        raise ValueError(f"got {len(chars)} characters for a {T} x {T} attention map; pass "
                         f"exactly the T characters the model read")
    return chars


@_styled
def plot_attention_map(weights, chars, title: str = "Attention weights", figsize=(7.5, 6.5),
                       vmax: float | None = 1.0):
    """One head's (T, T) attention weights; rows are queries, columns keys, both labelled.

    Row t shows how much the character at position t takes from each earlier character.
    The colour scale runs from 0 to `vmax` (1 by default, so the maps of different heads
    can be compared; None uses the largest weight).
    """
    w = _square_maps(weights, 2, "weights")
    chars = _one_label_per_position(chars, w.shape[-1])
    return plot_heatmap(w, title=title, xlabel="key: the character looked at",
                        ylabel="query: the character looking", xticklabels=chars,
                        yticklabels=chars, colorbar_label="attention weight (each row sums to 1)",
                        cmap="Blues", figsize=figsize, vmin=0.0,
                        vmax=float(w.max()) if vmax is None else vmax)


@_styled
def plot_attention_grid(maps, chars, title: str = "Every head of every layer"):
    """(n_layer, n_head, T, T) weights as a grid of small maps: a row per layer, a column per head."""
    w = _square_maps(maps, 4, "maps")
    chars = _one_label_per_position(chars, w.shape[-1])
    n_layer, n_head = w.shape[:2]
    fig, axes = plt.subplots(n_layer, n_head, figsize=(1.7 * n_head + 1.2, 1.7 * n_layer + 0.8),
                             squeeze=False, constrained_layout=True)
    for i in range(n_layer):
        for j in range(n_head):
            ax = axes[i][j]
            im = ax.imshow(w[i, j].numpy(), cmap="Blues", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            if i == 0:
                ax.set_title(f"head {j}", fontsize=10)
            if j == 0:
                ax.set_ylabel(f"layer {i}", fontsize=10)
    text = "".join(show_char(c) for c in chars)
    fig.suptitle(f"{title}\n{text!r}: query (row) looks at key (column)", fontsize=12)
    fig.colorbar(im, ax=axes, shrink=0.6, label="attention weight")
    return fig


@_styled
def plot_qkv_layout(weight, n_head: int, title: str = "The rows of qkv.weight"):
    """The (3C, C) weight of CausalSelfAttention.qkv, with the rows of each head's q, k, v marked."""
    if not isinstance(weight, torch.Tensor) or weight.dim() != 2 or weight.shape[0] != 3 * weight.shape[1]:
        shape = tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__
        raise ValueError(f"weight must be the (3 * n_embd, n_embd) weight of a qkv Linear, got {shape}")
    C = weight.shape[1]
    hint = f"it must divide n_embd={C}"
    if positive_int("n_head", n_head, hint) and C % n_head:
        raise ValueError(f"n_head must be a positive divisor of n_embd={C}, got {n_head!r}")
    hs = C // n_head
    w = weight.detach().cpu().float()
    fig, ax = plt.subplots(figsize=(6, 7.5))
    lim = float(w.abs().max()) or 1.0
    im = ax.imshow(w.numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    fig.colorbar(im, ax=ax, label="weight value")
    ax.grid(False)
    for r in range(hs, 3 * C, hs):
        ax.axhline(r - 0.5, color="black", lw=2.0 if r % C == 0 else 0.6)
    ticks = [i * hs + (hs - 1) / 2 for i in range(3 * n_head)]
    labels = [f"{part} of head {h}" for part in ("query", "key", "value") for h in range(n_head)]
    ax.set_yticks(ticks, labels, fontsize=_tick_size(len(labels)))
    ax.set(title=title, xlabel=f"input channel (0 to {C - 1})",
           ylabel=f"output row: {hs} rows (head_size) per label")
    return fig


# ----------------------------------------------------------------------------- lesson 06

GRAD_FLOOR = 1e-40   # where an exactly-zero gradient norm is drawn on a log axis


@_styled
def plot_gradient_norms(curves: dict, title: str = "Gradient norm of each block",
                        ylim: tuple | None = None):
    """Gradient norm per block (block 1 is next to the input), one line per entry, log scale.

    `curves` maps a label to a list of norms, one per block. A norm of exactly 0 (the
    gradient underflowed in float32) cannot sit on a log axis: it is drawn as a triangle
    at the bottom of the plot.
    """
    if not isinstance(curves, dict) or not curves:
        raise ValueError("curves must be a non-empty dict {label: [norm of block 1, ...]}")
    fig, ax = _new()
    zero_label = "exactly 0 (underflow)"
    lowest = []
    for label, norms in curves.items():
        norms = [float(v) for v in norms]
        if not norms or any(v < 0 or v != v for v in norms):
            raise ValueError(f"curve {label!r} must be a non-empty list of norms >= 0, got {norms}")
        blocks = range(1, len(norms) + 1)
        line, = ax.plot(blocks, [v if v > 0 else float("nan") for v in norms], "o-", ms=4,
                        label=label)
        lowest += [v for v in norms if v > 0]
        zeros = [b for b, v in zip(blocks, norms) if v == 0]
        if zeros:
            ax.plot(zeros, [GRAD_FLOOR] * len(zeros), "v", color=line.get_color(), ms=7,
                    label=zero_label)
            zero_label = None
    ax.set_yscale("log")
    if ylim is not None:
        ax.set_ylim(*ylim)
    elif any(0 in map(float, v) for v in curves.values()):
        ax.set_ylim(GRAD_FLOOR / 10, max(lowest + [1.0]) * 10)
    ax.set(title=title, xlabel="block (1 = next to the input, right = next to the output)",
           ylabel="gradient norm of the block's weights")
    ax.legend(fontsize=9)
    return fig


@_styled
def plot_dropout(x, y_train, y_eval, p: float):
    """One vector before dropout, after dropout in training mode, and in evaluation mode."""
    xs = [torch.as_tensor(t).detach().float().flatten() for t in (x, y_train, y_eval)]
    if not len(xs[0]) == len(xs[1]) == len(xs[2]):
        raise ValueError(f"x, y_train and y_eval must have the same length, got "
                         f"{[len(t) for t in xs]}")
    fig, ax = _new()
    _grouped_bars(ax, dict(zip(("input", f"train mode (p={p:g})", "eval mode"), xs)), width=0.28)
    ax.axhline(1 / (1 - p), color="gray", ls="--", lw=1, label=f"1/(1-p) = {1 / (1 - p):.3f}")
    top = max(float(t.max()) for t in xs)
    ax.set_ylim(min(0.0, *(float(t.min()) for t in xs)), max(top, 1 / (1 - p)) * 1.45)
    ax.set(title="nn.Dropout: zero some values, scale up the rest (only in training)",
           xlabel="position in the vector", ylabel="value")
    ax.legend(fontsize=9)
    return fig


# ----------------------------------------------------------------------------- lesson 07

@_styled
def plot_layernorm_io(x, y, title: str = "LayerNorm: input and output"):
    """Two bar charts side by side: a vector `x` and its normalised version `y`."""
    x = torch.as_tensor(x).detach().float().flatten()
    y = torch.as_tensor(y).detach().float().flatten()
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(f"x and y must be non-empty vectors of the same length, got {len(x)} "
                         f"and {len(y)}")
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    positions = range(len(x))
    left.bar(positions, x.numpy(), color="tab:blue")
    right.bar(positions, y.numpy(), color="tab:orange")
    left.set(title="input x", xlabel="channel", ylabel="value")
    right.set(title="LayerNorm(x)", xlabel="channel", ylabel="value", ylim=(-2, 2))
    for ax in (left, right):
        ax.set_xticks(list(positions))
        ax.axhline(0, color="black", lw=0.8)
    fig.suptitle(title, fontsize=12)
    return fig


@_styled
def plot_layernorm_curves(results: dict, smooth: int = 1):
    """Loss curves of the same model trained with and without LayerNorm, one panel per lr.

    `results` is the content of data/layernorm_curves.json (scripts/compare_layernorm.py).
    Thin lines: the minibatch loss of each step (averaged over `smooth` steps if > 1);
    markers: the validation loss estimates. A panel where a loss spikes gets a logarithmic
    y axis.
    """
    runs = results.get("runs") if isinstance(results, dict) else None
    if not runs:
        raise ValueError("results must be the dict saved by scripts/compare_layernorm.py, "
                         "with a non-empty 'runs' list; run `python scripts/compare_layernorm.py`")
    lrs = sorted({r["lr"] for r in runs})
    # each panel has its own y range: a run that blows up would flatten the others
    fig, axes = plt.subplots(1, len(lrs), figsize=(5.5 * len(lrs), 4.5), squeeze=False)
    colors = {True: "tab:blue", False: "tab:red"}
    for ax, lr in zip(axes[0], lrs):
        here = [r for r in runs if r["lr"] == lr]
        n_seeds = len({r.get("seed") for r in here})
        labelled = set()
        for run in here:
            name = "with LayerNorm" if run["layernorm"] else "without LayerNorm"
            first = name not in labelled          # one legend entry per variant, not per seed
            labelled.add(name)
            loss = torch.tensor([float("nan") if v is None else v for v in run["train_loss"]])
            k = max(1, min(smooth, len(loss)))
            mean = loss.unfold(0, k, 1).mean(-1) if len(loss) >= k else loss
            ax.plot(run["steps"][k - 1:], mean.numpy(), lw=0.7, alpha=0.5,
                    color=colors[run["layernorm"]])
            seeds = f", {n_seeds} seeds" if n_seeds > 1 else ""
            ax.plot(run["eval_steps"], run["eval_val"], "o-", ms=3 if n_seeds > 1 else 4,
                    color=colors[run["layernorm"]], label=f"{name} (val{seeds})" if first else None)
            if run.get("diverged_at"):
                first_divergence = (name, "diverged") not in labelled
                labelled.add((name, "diverged"))
                ax.axvline(run["diverged_at"], color=colors[run["layernorm"]], ls=":",
                           label=f"{name}: diverged" if first_divergence else None)
        values = [v for r in runs if r["lr"] == lr for v in r["eval_val"] + r["train_loss"]
                  if v is not None and math.isfinite(v) and v > 0]
        log = bool(values) and max(values) / min(values) > 10    # only where a loss spiked
        if log:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set(title=f"learning rate {lr:g}", xlabel="optimisation step",
               ylabel="cross-entropy loss (nats" + (", log scale)" if log else ")"))
        ax.legend(fontsize=9)
    steps = "each step" if smooth <= 1 else f"mean of {smooth} steps"
    fig.suptitle(f"Thin lines: training loss ({steps}); markers: validation loss", fontsize=11)
    return fig


# ----------------------------------------------------------------------------- lesson 08

@_styled
def plot_parameter_breakdown(breakdown: dict[str, int], title: str = "Where the parameters are"):
    """A horizontal bar per part of the model (from `parameter_breakdown`), with count and share."""
    if not isinstance(breakdown, dict) or not breakdown:
        raise ValueError("breakdown must be a non-empty dict {part: parameter count}, for "
                         "example parameter_breakdown(model)")
    bad = [k for k, v in breakdown.items() if not is_whole(v) or v < 0]
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


def _validate_sweep_results(results) -> None:
    if not isinstance(results, list) or not results:
        raise ValueError("results must be a non-empty list of sweep results, for example "
                         "load_sweep()['results']")
    for key in ("n_embd", "params", "val_loss", "seconds"):
        if any(key not in r for r in results):
            raise ValueError(f"every sweep result needs {key!r}; load them with load_sweep()")


@_styled
def plot_n_embd_sweep(results: list[dict]):
    """Two panels: final val loss against parameter count (the mean over the seeds, a bar
    from the smallest to the largest, and each seed as a dot), and the first seed's training
    time against n_embd."""
    _validate_sweep_results(results)
    n = [r["n_embd"] for r in results]
    params = [r["params"] for r in results]
    spread = [loss_range(seed_losses(r)) for r in results]          # (mean, min, max) each
    n_seeds = max(len(seed_losses(r)) for r in results)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    means = [m for m, _, _ in spread]
    ax1.errorbar(params, means, yerr=[[m - lo for m, lo, _ in spread],
                                      [hi - m for m, _, hi in spread]],
                 fmt="o-", capsize=4, label=f"mean of {n_seeds} seeds, bar: min to max"
                 if n_seeds > 1 else "one seed")
    if n_seeds > 1:
        xs, ys = zip(*[(r["params"], v) for r in results for v in seed_losses(r)])
        ax1.plot(xs, ys, ".", color="black", ms=4, alpha=0.6, label="each seed")
        ax1.legend(fontsize=9, loc="upper right")
    for r, m in zip(results, means):
        ax1.annotate(f"n_embd={r['n_embd']}", (r["params"], m),
                     textcoords="offset points", xytext=(6, 6), fontsize=9)
    ax1.set_xscale("log")
    ax1.margins(x=0.15, y=0.1)               # room for the labels at both ends
    ax1.set(title="Validation loss after the same number of steps",
            xlabel="parameters (log scale)", ylabel="val loss (nats)")
    ax2.bar([str(v) for v in n], [r["seconds"] for r in results], color="tab:orange")
    for i, r in enumerate(results):
        ax2.text(i, r["seconds"], f"{r['seconds']:.0f} s", ha="center", va="bottom", fontsize=9)
    first = (results[0].get("seeds") or [results[0].get("seed")])[0]
    ax2.set(title="Training time of each run" + (f" (seed {first} only)" if n_seeds > 1 and first
                                                 is not None else ""),
            xlabel="n_embd", ylabel="wall time (s)")
    ax2.grid(axis="x", visible=False)
    return fig


@_styled
def plot_sweep_curves(results: list[dict], highlight: int | None = None):
    """Val loss against (estimated) training time for every run; `highlight` one n_embd.

    The time of each evaluation is estimated as step x (run seconds / last step), so it
    assumes every step of a run took as long. Step 0 (before training) is left out: it has
    no time on a log scale.
    """
    _validate_sweep_results(results)
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


@_styled
def plot_gpt_changes(results: list[dict]):
    """Each variant's val loss per seed (dots) and mean (a bar), one row per variant; the
    first result is the baseline, whose min-max range is shaded across the whole plot."""
    if not isinstance(results, list) or not results:
        raise ValueError("results must be a non-empty list, for example "
                         "load_gpt_changes()['results']")
    for key in ("variant", "val_losses"):
        if any(key not in r for r in results):
            raise ValueError(f"every result needs {key!r}; load them with load_gpt_changes()")
    fig, ax = _new((8, 0.7 * len(results) + 1.8))
    _, lo, hi = loss_range(results[0]["val_losses"])
    ax.axvspan(lo, hi, color="tab:blue", alpha=0.12,
               label=f"{results[0]['variant']}: min to max of its seeds")
    for i, r in enumerate(results):
        mean = loss_range(r["val_losses"])[0]
        ax.plot(r["val_losses"], [i] * len(r["val_losses"]), "o", color="black", ms=5,
                alpha=0.7, label="each seed" if i == 0 else None)
        ax.plot([mean, mean], [i - 0.3, i + 0.3], color="tab:red", lw=2.5,
                label="mean" if i == 0 else None)
    ax.set_yticks(range(len(results)), [
        r["variant"] + "".join(f"\n{k}={v}" for k, v in r.get("change", {}).items())
        for r in results])
    ax.invert_yaxis()                        # the baseline on top
    ax.margins(y=0.3)
    ax.set(title="Validation loss of each variant (same steps, same seeds)",
           xlabel="val loss (nats)")
    ax.legend(fontsize=9, loc="best")
    return fig


# ----------------------------------------------------------------------------- lesson 09

@_styled
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


# Lesson 11

@_styled
def plot_live_loss(steps, losses, floor: float | None = None, format_only: float | None = None,
                   title: str = "Training loss, live"):
    """The minibatch loss of each step so far, with the addition task's levels as lines."""
    if len(steps) != len(losses):
        raise ValueError(f"steps and losses differ in length ({len(steps)} and {len(losses)})")
    fig, ax = _new((7, 3.5))
    if steps:
        ax.plot(steps, losses, lw=1, color="tab:blue", label="minibatch loss")
    if floor is not None:
        ax.axhline(floor, color="tab:green", ls="--", label=f"floor: a perfect adder ({floor:.2f})")
    if format_only is not None:
        ax.axhline(format_only, color="tab:red", ls=":",
                   label=f"knows the format, cannot add ({format_only:.2f})")
    ax.set(title=title, xlabel="step", ylabel="loss (nats per character)")
    if steps or floor is not None:
        ax.legend(fontsize=9)
    return fig


@_styled
def plot_loss_levels(history, floor: float, format_only: float,
                     title: str = "Addition: the loss against its two levels"):
    """A TrainHistory's train and val estimates against the two levels of the addition task."""
    fig, ax = _new((8, 4))
    ax.plot(history.steps, history.train_loss, lw=0.8, alpha=0.4, color="tab:blue",
            label="minibatch loss")
    ax.plot(history.eval_steps, history.eval_val, "o-", ms=3, color="tab:orange",
            label="val loss (estimate)")
    ax.axhline(format_only, color="tab:red", ls=":",
               label=f"knows the format, cannot add ({format_only:.3f})")
    ax.axhline(floor, color="tab:green", ls="--", label=f"floor: a perfect adder ({floor:.3f})")
    ax.set(title=title, xlabel="step", ylabel="loss (nats per character)")
    ax.set_ylim(0, max(3.0, format_only + 0.5))
    ax.legend(fontsize=9)
    return fig


@_styled
def plot_addition_digits(runs: dict, title: str = "Held-out accuracy of each answer digit"):
    """Per-place accuracy (hundreds, tens, units) and whole-answer accuracy over training,
    one panel per run ({"reversed": run, "as written": run}, each with "eval_steps",
    "accuracy" and "per_place" lists)."""
    if not runs:
        raise ValueError("no runs to plot; give a dict such as {'reversed': run}")
    fig, axes = plt.subplots(1, len(runs), figsize=(5 * len(runs), 3.8), sharey=True,
                             squeeze=False)
    for ax, (name, run) in zip(axes[0], runs.items()):
        for place, color in (("hundreds", "tab:purple"), ("tens", "tab:orange"),
                             ("units", "tab:green")):
            ax.plot(run["eval_steps"], [p[place] for p in run["per_place"]], "o-", ms=3,
                    color=color, label=f"{place} digit")
        ax.plot(run["eval_steps"], run["accuracy"], "s-", ms=4, lw=2, color="black",
                label="whole answer")
        ax.set(title=f"answers {name}", xlabel="step", ylim=(0, 1.02))
    axes[0][0].set_ylabel("fraction right (held-out sums)")
    axes[0][-1].legend(fontsize=8, loc="lower right")
    fig.suptitle(title)
    return fig
