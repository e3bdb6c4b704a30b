"""The course's look and the pieces its figures share: course_style(), the building blocks
(_bars_over_chars, _annotate_cells, _char_ticks) and the figures any lesson draws."""

from __future__ import annotations

import functools
import math
from contextlib import contextmanager

import matplotlib
import matplotlib.pyplot as plt
import torch
from matplotlib.layout_engine import TightLayoutEngine

from ...i18n import _


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
def plot_loss_curves(history, title: str | None = None, baseline: float | None = None,
                     baseline_label: str | None = None):
    """The per-step minibatch loss (thin) and the estimated train and val losses (markers).

    `title` defaults to "Training loss" and `baseline_label` to "ln(vocab_size): uniform
    guessing", in the language set with course_lib.set_language.
    """
    if title is None:
        title = _("Training loss")
    if baseline_label is None:
        baseline_label = _("ln(vocab_size): uniform guessing")
    fig, ax = _new()
    if history.steps:
        ax.plot(history.steps, history.train_loss, lw=0.8, alpha=0.4, label=_("minibatch loss"))
    if history.eval_steps:
        ax.plot(history.eval_steps, history.eval_train, "o-", label=_("train (estimate)"))
        ax.plot(history.eval_steps, history.eval_val, "s-", label=_("val (estimate)"))
    if baseline is not None:
        ax.axhline(baseline, color="gray", ls="--", lw=1, label=baseline_label)
    ax.set(title=title, xlabel=_("optimisation step"), ylabel=_("cross-entropy loss (nats)"))
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
