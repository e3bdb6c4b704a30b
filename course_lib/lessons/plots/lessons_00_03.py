"""The figures of lessons 00 to 03: characters, embeddings, the bigram model, softmax."""

from __future__ import annotations

import math
from collections import Counter

import matplotlib.pyplot as plt
import torch

from ...core.validate import finite_number
from ...i18n import _
from .base import (COURSE_STYLE, _bars_over_chars, _new, plot_heatmap, plot_loss_curves,
                   show_char, _styled)


# ----------------------------------------------------------------------------- lesson 00

@_styled
def plot_char_frequencies(text: str, chars: list[str], top: int | None = None):
    """How often each vocabulary character occurs in `text`, most frequent first (a bar chart)."""
    counts = Counter(text)
    order = sorted(chars, key=lambda c: -counts[c])[:top]
    fig, ax = _new((12, 4))
    _bars_over_chars(ax, {None: [counts[c] for c in order]}, order)
    ax.set_yscale("log")
    ax.set(title=_("How often each of the {n} characters occurs").format(n=len(chars)),
           xlabel=_("character (␣ is a space, \\n a new line)"), ylabel=_("count (log scale)"))
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
            (axes[0], oh, _("one-hot: {n} numbers, all 0 but one").format(n=oh.shape[1]),
             _("token ID"), "Greys"),
            (axes[1], de, _("dense: {n} numbers, all used").format(n=de.shape[1]),
             _("dimension"), "coolwarm")):
        lim = float(m.abs().max()) or 1.0
        im = ax.imshow(m.numpy(), cmap=cmap, aspect="auto",
                       vmin=0 if cmap == "Greys" else -lim, vmax=lim)
        fig.colorbar(im, ax=ax, fraction=0.05 if ax is axes[1] else 0.02).set_label(_("value"))
        ax.grid(False)
        ax.set(title=title, xlabel=xlabel, ylabel=_("token"))
        ax.set_yticks(range(len(ticks)), ticks)
    return fig


@_styled
def plot_vectors_2d(vectors: dict, title: str | None = None):
    """Arrows from the origin, one per named 2-D vector, to see angles and lengths.

    `title` defaults to "Vectors in 2-D" (in the language set with set_language)."""
    if title is None:
        title = _("Vectors in 2-D")
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
           xlabel=_("dimension 0"), ylabel=_("dimension 1"))
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


def _group_names() -> dict[str, str]:
    """The legend's name of each group of char_group, in the language in use now."""
    return {"vowel": _("vowel"), "consonant": _("consonant"),
            "vowel, upper case": _("vowel, upper case"),
            "consonant, upper case": _("consonant, upper case"),
            "space or new line": _("space or new line"), "punctuation": _("punctuation")}


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
               xlabel=_("principal direction 1 ({share:.0f}% of variance)").format(
                   share=100 * float(proj.explained[0])),
               ylabel=_("principal direction 2 ({share:.0f}% of variance)").format(
                   share=100 * float(proj.explained[1])))
    names = _group_names()
    handles = [plt.Line2D([], [], ls="", marker="s", color=col, label=names[g])
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
           title=title, xlabel=_("principal direction 1"), ylabel=_("principal direction 2"))
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
    fig.colorbar(im, ax=ax0, fraction=0.04).set_label(_("value (random at the start)"))
    ax0.grid(False)
    ax0.set(xlim=(-0.5, max_n_embd - 0.5), title=f"token_embedding_table: {m.shape[0]} × {m.shape[1]}",
            xlabel=_("dimension (n_embd columns)"), ylabel=_("token ID (one row each)"))
    xs = [r["n_embd"] for r in sweep_results]
    ax1.plot(xs, [r["train_loss"] for r in sweep_results], "o-", label="train")
    ax1.plot(xs, [r["val_loss"] for r in sweep_results], "s-", label="val")
    sel = next((r for r in sweep_results if r["n_embd"] == n_embd), None)
    if sel is not None:
        ax1.plot([n_embd], [sel["val_loss"]], "o", ms=16, mfc="none", mec="black", mew=2,
                 label=f"n_embd = {n_embd}")
    ax1.set_xscale("log", base=2)
    ax1.set_xticks(xs, [str(x) for x in xs])
    ax1.set(title=_("Loss after the same training"), xlabel=_("n_embd (log scale)"),
            ylabel=_("cross-entropy loss (nats)"))
    ax1.legend()
    return fig


# ----------------------------------------------------------------------------- lesson 02

@_styled
def plot_bigram_matrix(matrix, chars: list[str], title: str, colorbar_label: str,
                       log: bool = True):
    """A (V, V) bigram table as a heatmap: rows = current character, columns = next one."""
    fig = plot_heatmap(matrix, title=title, xlabel=_("next character"),
                       ylabel=_("current character"),
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
    ax.set(title=_("What follows '{char}'? The {top} most likely next characters").format(
               char=show_char(char), top=top),
           xlabel=_("next character"), ylabel=_("probability"))
    ax.legend()
    return fig


@_styled
def plot_bigram_loss_curves(history, uniform_loss: float, counting_loss: float):
    """The bigram model's training curves, with the uniform guess and the counting model."""
    fig = plot_loss_curves(history, title=_("Training the bigram model"), baseline=uniform_loss)
    ax = fig.axes[0]
    ax.axhline(counting_loss, color="black", ls=":", lw=1.5,
               label=_("counting model on val: {loss:.3f}").format(loss=counting_loss))
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
        raise ValueError(_("{name} must be 1-D (one value per vocabulary entry), got shape "
                           "{shape}; take one row, e.g. {name}[0]").format(
                               name=name, shape=tuple(t.shape)))
    if len(chars) != t.numel():
        raise ValueError(_("got {n} {name} but {n_chars} character labels; pass the "
                           "tokenizer's chars (one label per vocabulary entry)").format(
                               n=t.numel(), name=name, n_chars=len(chars)))
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
    ax1.set(title=_("logits: any real number"), xlabel=_("next character"), ylabel=_("logit"))
    _bars_over_chars(ax2, {None: p[order]}, labels, colors=["tab:blue"])
    ax2.set(title=_("softmax(logits): between 0 and 1, sum 1"), xlabel=_("next character"),
            ylabel=_("probability"))
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
    ax.set(title=title or _("Next-character probabilities"), xlabel=_("next character"),
           ylabel=_("probability"))
    if ylim is not None:
        ax.set_ylim(0, ylim)
    return fig


@_styled
def plot_temperature_distributions(logits, chars, temperatures, top: int | None = 15):
    """Side-by-side bars: softmax(logits / T) for each temperature T, same characters."""
    z = _one_value_per_char("logits", logits, chars)
    temperatures = list(temperatures)
    if not temperatures:
        raise ValueError(_("temperatures must be a non-empty list of numbers > 0, got []"))
    for i, t in enumerate(temperatures):
        finite_number(f"temperatures[{i}]", t, above=0, hint=_("0 would divide the logits by zero"))
    order = _top_order(z, top)
    fig, ax = _new((11, 4))
    _bars_over_chars(ax, {f"T = {t:g}": torch.softmax(z / t, dim=-1)[order] for t in temperatures},
                     [chars[i] for i in order])
    ax.set(title=_("Temperature: low T sharpens, high T flattens"), xlabel=_("next character"),
           ylabel=_("probability"))
    ax.legend()
    return fig


@_styled
def plot_sample_frequencies(probs, counts, chars, top: int | None = 15):
    """Bars of the model's probabilities next to the frequencies in `counts` samples."""
    p = _one_value_per_char("probs", probs, chars)
    c = _one_value_per_char("counts", counts, chars)
    n = int(c.sum())
    if n <= 0:
        raise ValueError(_("counts sum to 0: draw at least one sample before plotting "
                           "frequencies"))
    freq = c / n
    order = _top_order(p, top)
    fig, ax = _new((10, 4))
    _bars_over_chars(ax, {_("probability (softmax)"): p[order],
                          _("frequency in {n:,} samples").format(n=n): freq[order]},
                     [chars[i] for i in order])
    ax.set(title=_("Sampling with torch.multinomial follows the probabilities"),
           xlabel=_("next character"), ylabel=_("probability / frequency"))
    ax.legend()
    return fig
