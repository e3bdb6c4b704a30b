"""The figures of lessons 04 to 07: attention weights, heads, blocks, LayerNorm."""

from __future__ import annotations

import math

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import torch

from ...core.validate import positive_int
from ...i18n import _
from .base import (_annotate_cells, _char_ticks, _grouped_bars, _new, plot_heatmap, show_char,
                   _styled, _tick_size)


# ----------------------------------------------------------------------------- lesson 04

@_styled
def plot_attention_weights(wei, labels=None, title: str | None = None,
                           annotate: bool = False, figsize=(7, 6), vmax: float | None = 1.0):
    """A (T, T) weight matrix as a heatmap: row t = how much position t takes from each column.

    `labels` (T characters or strings) name the positions; without them positions are numbered.
    Entries above the diagonal that are exactly 0 (the causal mask) are drawn in light grey.
    The colour scale runs from 0 to `vmax` (1 by default, so maps can be compared; None
    uses the largest weight, which shows small weights in more detail). `title` defaults to
    "Attention weights" (in the language set with set_language).
    """
    if title is None:
        title = _("Attention weights")
    w = torch.as_tensor(wei).detach().cpu().float()
    if w.dim() != 2 or w.shape[0] != w.shape[1]:
        raise ValueError(_("wei must be a square (T, T) matrix, got shape {shape}; for a "
                           "batch (B, T, T) pass one example, e.g. wei[0]").format(
                               shape=tuple(w.shape)))
    T = w.shape[0]
    if labels is None:
        labels = [str(t) for t in range(T)]
    labels = [str(c) for c in labels]
    if len(labels) != T:
        raise ValueError(_("got {n} labels for a {T} x {T} matrix; give one per position")
                         .format(n=len(labels), T=T))
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    masked = future & (w == 0)
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#dddddd")   # grey: masked future
    fig, ax = _new(figsize)
    shown = w.masked_fill(masked, float("nan"))
    im = ax.imshow(shown.numpy(), cmap=cmap, vmin=0.0,
                   vmax=float(w.max()) if vmax is None else vmax)
    fig.colorbar(im, ax=ax).set_label(_("weight (each row sums to 1)"))
    ax.grid(False)
    ax.set(title=title, xlabel=_("position it takes from (key)"), ylabel=_("position t (query)"))
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
        raise ValueError(_("head_sizes, var_unscaled and var_scaled must be non-empty and of "
                           "the same length, got {a}, {b}, {c}").format(
                               a=len(head_sizes), b=len(var_unscaled), c=len(var_scaled)))
    fig, ax = _new((8, 4.5))
    ax.plot(head_sizes, head_sizes, color="gray", ls="--", lw=1, label="y = head_size")
    ax.plot(head_sizes, var_unscaled, "o-", label=_("q·k (no scale)"))
    ax.plot(head_sizes, var_scaled, "s-", label="q·k / sqrt(head_size)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set(title=_("Variance of attention scores (q and k with unit variance)"),
           xlabel=_("head_size (log scale)"), ylabel=_("variance of the score (log scale)"))
    ax.legend()
    return fig


# ----------------------------------------------------------------------------- lesson 05

def _square_maps(weights, dims: int, what: str) -> torch.Tensor:
    w = weights.detach().cpu().float() if isinstance(weights, torch.Tensor) else None
    if w is None or w.dim() != dims or w.shape[-1] != w.shape[-2]:
        shape = tuple(weights.shape) if isinstance(weights, torch.Tensor) else type(weights).__name__
        raise ValueError(_("{what} must be a tensor with {dims} dimensions ending in (T, T), "
                           "got {shape}").format(what=what, dims=dims, shape=shape))
    return w


def _one_label_per_position(chars, T: int) -> list[str]:
    chars = list(chars)
    if len(chars) != T:
        raise ValueError(_("got {n} characters for a {T} x {T} attention map; pass "
                           "exactly the T characters the model read").format(n=len(chars), T=T))
    return chars


@_styled
def plot_attention_map(weights, chars, title: str | None = None, figsize=(7.5, 6.5),
                       vmax: float | None = 1.0):
    """One head's (T, T) attention weights; rows are queries, columns keys, both labelled.

    Row t shows how much the character at position t takes from each earlier character.
    The colour scale runs from 0 to `vmax` (1 by default, so the maps of different heads
    can be compared; None uses the largest weight). `title` defaults to "Attention weights".
    """
    if title is None:
        title = _("Attention weights")
    w = _square_maps(weights, 2, "weights")
    chars = _one_label_per_position(chars, w.shape[-1])
    return plot_heatmap(w, title=title, xlabel=_("key: the character looked at"),
                        ylabel=_("query: the character looking"), xticklabels=chars,
                        yticklabels=chars,
                        colorbar_label=_("attention weight (each row sums to 1)"),
                        cmap="Blues", figsize=figsize, vmin=0.0,
                        vmax=float(w.max()) if vmax is None else vmax)


@_styled
def plot_attention_grid(maps, chars, title: str | None = None):
    """(n_layer, n_head, T, T) weights as a grid of small maps: a row per layer, a column per head.

    `title` defaults to "Every head of every layer"."""
    if title is None:
        title = _("Every head of every layer")
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
                ax.set_title(_("head {j}").format(j=j), fontsize=10)
            if j == 0:
                ax.set_ylabel(_("layer {i}").format(i=i), fontsize=10)
    text = "".join(show_char(c) for c in chars)
    caption = _("{text}: query (row) looks at key (column)").format(text=repr(text))
    fig.suptitle(f"{title}\n{caption}", fontsize=12)
    fig.colorbar(im, ax=axes, shrink=0.6, label=_("attention weight"))
    return fig


@_styled
def plot_qkv_layout(weight, n_head: int, title: str | None = None):
    """The (3C, C) weight of CausalSelfAttention.qkv, with the rows of each head's q, k, v marked.

    `title` defaults to "The rows of qkv.weight"."""
    if title is None:
        title = _("The rows of qkv.weight")
    if not isinstance(weight, torch.Tensor) or weight.dim() != 2 or weight.shape[0] != 3 * weight.shape[1]:
        shape = tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__
        raise ValueError(_("weight must be the (3 * n_embd, n_embd) weight of a qkv Linear, "
                           "got {shape}").format(shape=shape))
    C = weight.shape[1]
    hint = _("it must divide n_embd={C}").format(C=C)
    if positive_int("n_head", n_head, hint) and C % n_head:
        raise ValueError(_("n_head must be a positive divisor of n_embd={C}, got {n_head!r}")
                         .format(C=C, n_head=n_head))
    hs = C // n_head
    w = weight.detach().cpu().float()
    fig, ax = plt.subplots(figsize=(6, 7.5))
    lim = float(w.abs().max()) or 1.0
    im = ax.imshow(w.numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim, aspect="auto")
    fig.colorbar(im, ax=ax, label=_("weight value"))
    ax.grid(False)
    for r in range(hs, 3 * C, hs):
        ax.axhline(r - 0.5, color="black", lw=2.0 if r % C == 0 else 0.6)
    ticks = [i * hs + (hs - 1) / 2 for i in range(3 * n_head)]
    labels = [part.format(h=h) for part in (_("query of head {h}"), _("key of head {h}"),
                                            _("value of head {h}")) for h in range(n_head)]
    ax.set_yticks(ticks, labels, fontsize=_tick_size(len(labels)))
    ax.set(title=title, xlabel=_("input channel (0 to {last})").format(last=C - 1),
           ylabel=_("output row: {hs} rows (head_size) per label").format(hs=hs))
    return fig


# ----------------------------------------------------------------------------- lesson 06

GRAD_FLOOR = 1e-40   # where an exactly-zero gradient norm is drawn on a log axis


@_styled
def plot_gradient_norms(curves: dict, title: str | None = None,
                        ylim: tuple | None = None):
    """Gradient norm per block (block 1 is next to the input), one line per entry, log scale.

    `curves` maps a label to a list of norms, one per block. A norm of exactly 0 (the
    gradient underflowed in float32) cannot sit on a log axis: it is drawn as a triangle
    at the bottom of the plot. `title` defaults to "Gradient norm of each block".
    """
    if title is None:
        title = _("Gradient norm of each block")
    if not isinstance(curves, dict) or not curves:
        raise ValueError(_("curves must be a non-empty dict {label: [norm of block 1, ...]}"))
    fig, ax = _new()
    zero_label = _("exactly 0 (underflow)")
    lowest = []
    for label, norms in curves.items():
        norms = [float(v) for v in norms]
        if not norms or any(v < 0 or v != v for v in norms):
            raise ValueError(_("curve {label!r} must be a non-empty list of norms >= 0, got "
                               "{norms}").format(label=label, norms=norms))
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
    ax.set(title=title, xlabel=_("block (1 = next to the input, right = next to the output)"),
           ylabel=_("gradient norm of the block's weights"))
    ax.legend(fontsize=9)
    return fig


@_styled
def plot_dropout(x, y_train, y_eval, p: float):
    """One vector before dropout, after dropout in training mode, and in evaluation mode."""
    xs = [torch.as_tensor(t).detach().float().flatten() for t in (x, y_train, y_eval)]
    if not len(xs[0]) == len(xs[1]) == len(xs[2]):
        raise ValueError(_("x, y_train and y_eval must have the same length, got {lengths}")
                         .format(lengths=[len(t) for t in xs]))
    fig, ax = _new()
    names = (_("input"), _("train mode (p={p:g})").format(p=p), _("eval mode"))
    _grouped_bars(ax, dict(zip(names, xs)), width=0.28)
    ax.axhline(1 / (1 - p), color="gray", ls="--", lw=1, label=f"1/(1-p) = {1 / (1 - p):.3f}")
    top = max(float(t.max()) for t in xs)
    ax.set_ylim(min(0.0, *(float(t.min()) for t in xs)), max(top, 1 / (1 - p)) * 1.45)
    ax.set(title=_("nn.Dropout: zero some values, scale up the rest (only in training)"),
           xlabel=_("position in the vector"), ylabel=_("value"))
    ax.legend(fontsize=9)
    return fig


# ----------------------------------------------------------------------------- lesson 07

@_styled
def plot_layernorm_io(x, y, title: str | None = None):
    """Two bar charts side by side: a vector `x` and its normalised version `y`.

    `title` defaults to "LayerNorm: input and output"."""
    if title is None:
        title = _("LayerNorm: input and output")
    x = torch.as_tensor(x).detach().float().flatten()
    y = torch.as_tensor(y).detach().float().flatten()
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(_("x and y must be non-empty vectors of the same length, got {nx} "
                           "and {ny}").format(nx=len(x), ny=len(y)))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.8))
    positions = range(len(x))
    left.bar(positions, x.numpy(), color="tab:blue")
    right.bar(positions, y.numpy(), color="tab:orange")
    left.set(title=_("input x"), xlabel=_("channel"), ylabel=_("value"))
    right.set(title="LayerNorm(x)", xlabel=_("channel"), ylabel=_("value"), ylim=(-2, 2))
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
        raise ValueError(_("results must be the dict saved by scripts/compare_layernorm.py, "
                           "with a non-empty 'runs' list; run "
                           "`python scripts/compare_layernorm.py`"))
    lrs = sorted({r["lr"] for r in runs})
    # each panel has its own y range: a run that blows up would flatten the others
    fig, axes = plt.subplots(1, len(lrs), figsize=(5.5 * len(lrs), 4.5), squeeze=False)
    colors = {True: "tab:blue", False: "tab:red"}
    for ax, lr in zip(axes[0], lrs):
        here = [r for r in runs if r["lr"] == lr]
        n_seeds = len({r.get("seed") for r in here})
        labelled = set()
        for run in here:
            name = _("with LayerNorm") if run["layernorm"] else _("without LayerNorm")
            first = name not in labelled          # one legend entry per variant, not per seed
            labelled.add(name)
            loss = torch.tensor([float("nan") if v is None else v for v in run["train_loss"]])
            k = max(1, min(smooth, len(loss)))
            mean = loss.unfold(0, k, 1).mean(-1) if len(loss) >= k else loss
            ax.plot(run["steps"][k - 1:], mean.numpy(), lw=0.7, alpha=0.5,
                    color=colors[run["layernorm"]])
            label = (_("{name} (val, {n} seeds)").format(name=name, n=n_seeds) if n_seeds > 1
                     else _("{name} (val)").format(name=name))
            ax.plot(run["eval_steps"], run["eval_val"], "o-", ms=3 if n_seeds > 1 else 4,
                    color=colors[run["layernorm"]], label=label if first else None)
            if run.get("diverged_at"):
                first_divergence = (name, "diverged") not in labelled
                labelled.add((name, "diverged"))
                ax.axvline(run["diverged_at"], color=colors[run["layernorm"]], ls=":",
                           label=_("{name}: diverged").format(name=name)
                           if first_divergence else None)
        values = [v for r in runs if r["lr"] == lr for v in r["eval_val"] + r["train_loss"]
                  if v is not None and math.isfinite(v) and v > 0]
        log = bool(values) and max(values) / min(values) > 10    # only where a loss spiked
        if log:
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _pos: f"{v:g}"))
            ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set(title=_("learning rate {lr:g}").format(lr=lr), xlabel=_("optimisation step"),
               ylabel=_("cross-entropy loss (nats, log scale)") if log
               else _("cross-entropy loss (nats)"))
        ax.legend(fontsize=9)
    fig.suptitle(_("Thin lines: training loss (each step); markers: validation loss")
                 if smooth <= 1 else
                 _("Thin lines: training loss (mean of {smooth} steps); markers: validation loss")
                 .format(smooth=smooth), fontsize=11)
    return fig
