"""Lesson 12's figures, widgets and result file: what changed after GPT-2.

    load_modern_gpt          data/modern_gpt.json (scripts/measure_modern_gpt.py), checked
    modern_table             the measured table: equal steps and equal time, over seeds
    kv_cache_bytes           the key/value cache's size from a config's shape
    plot_modern_results      each variant's val loss per seed, equal steps and equal time
    plot_rope_rotation       the channel pairs of one query vector, turned by a position
    plot_kv_cache_memory     cache memory against context length, per n_kv_head
    rope_rotation_explorer   a position slider over plot_rope_rotation
    kv_cache_explorer        n_layer, head size, n_kv_head and context sliders over the cache
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from ..core.data import DATA_DIR
from ..core.model import rope_frequencies
from ..core.validate import int_at_least, positive_int
from ..i18n import _
from .plots.base import _new, _styled
from .widgets import _ReusableFigure, redraw_on_change

MODERN_GPT = DATA_DIR / "modern_gpt.json"
RESULT_KEYS = ("variant", "change", "seconds_per_step", "equal_steps", "equal_time")


# ----------------------------------------------------------------------------- the result file

def load_modern_gpt(path: str | Path = MODERN_GPT) -> dict:
    """The measurement of scripts/measure_modern_gpt.py, after checking its shape."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(_("{path} not found; make it with "
                                  "`python scripts/measure_modern_gpt.py` (about 40 minutes)")
                                .format(path=path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise ValueError(_("{path} is not valid JSON ({err}); make it again with "
                           "`python scripts/measure_modern_gpt.py`").format(path=path, err=err)
                         ) from None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list) or not results or results[0].get("variant") != "baseline" \
            or any(k not in r for r in results for k in RESULT_KEYS):
        raise ValueError(_("{path} does not hold the results of scripts/measure_modern_gpt.py "
                           "(a 'results' list starting with the baseline, each with "
                           "{keys}); make it again").format(path=path, keys=", ".join(RESULT_KEYS)))
    return data


def modern_table(data: dict) -> str:
    """One line per variant: parameters, s/step, and the val loss (mean, min-max over seeds)
    and bits per character at equal steps and at equal time, with the change from the
    baseline's mean."""
    base = data["results"][0]
    # each column header is a message of its own: its translation must fit the column
    equal_time = _("equal time (Δ: mean minus the baseline's mean)")
    lines = [f"{'':<9} {'':>8} {'':>7} | {_('equal steps'):<28}| {equal_time}",
             f"{_('variant'):<9} {_('params'):>8} {_('s/step'):>7} | {'loss (min-max)':<16} "
             f"{_('bits'):>4} {'Δ':>5} | {_('steps'):>5} {'loss (min-max)':<16} {'Δ':>5}"]
    for r in data["results"]:
        s, t = r["equal_steps"], r["equal_time"]
        lines.append(
            f"{r['variant']:<9} {s['params']:>8,} {r['seconds_per_step']:>7.3f} | "
            f"{s['mean']:.2f} ({s['min']:.2f}-{s['max']:.2f}) {s['mean_bits_per_char']:.2f} "
            f"{s['mean'] - base['equal_steps']['mean']:+.2f} | "
            f"{t['steps']:>5} {t['mean']:.2f} ({t['min']:.2f}-{t['max']:.2f}) "
            f"{t['mean'] - base['equal_time']['mean']:+.2f}")
    return "\n".join(lines)


def kv_cache_bytes(n_layer: int, n_kv_head: int, head_size: int, context: int,
                   batch: int = 1, bytes_per_number: int = 4) -> int:
    """Bytes of a key/value cache: keys and values (2) of every layer, kv head, position
    and channel: 2 · n_layer · batch · n_kv_head · context · head_size · bytes_per_number."""
    for name, v in (("n_layer", n_layer), ("n_kv_head", n_kv_head), ("head_size", head_size),
                    ("batch", batch), ("bytes_per_number", bytes_per_number)):
        positive_int(name, v)
    int_at_least("context", context, 0)
    return 2 * n_layer * batch * n_kv_head * context * head_size * bytes_per_number


# ----------------------------------------------------------------------------- figures

@_styled
def plot_modern_results(results: list[dict]):
    """Each variant's val loss per seed (dots) and mean (a bar) at equal steps (left) and
    equal time (right); the baseline's min-max range is shaded."""
    if not isinstance(results, list) or not results:
        raise ValueError(_("results must be a non-empty list: load_modern_gpt()['results']"))
    fig, axes = _new((10, 0.55 * len(results) + 2.2), ncols=2, sharey=True)
    for ax, key, title in ((axes[0], "equal_steps", _("Same number of steps")),
                           (axes[1], "equal_time", _("Same training time"))):
        base = results[0][key]
        ax.axvspan(base["min"], base["max"], color="tab:blue", alpha=0.12,
                   label=_("{variant}: min to max of its seeds").format(variant="baseline"))
        for i, r in enumerate(results):
            vals = r[key]["val_losses"]
            ax.plot(vals, [i] * len(vals), "o", color="black", ms=5, alpha=0.7,
                    label=_("each seed") if i == 0 else None)
            ax.plot([r[key]["mean"]] * 2, [i - 0.3, i + 0.3], color="tab:red", lw=2.5,
                    label=_("mean") if i == 0 else None)
        ax.set(title=title, xlabel=_("val loss (nats)"))
    axes[0].set_yticks(range(len(results)),
                       [r["variant"] + "\n" + _("{steps} steps at equal time").format(
                           steps=r["equal_time"]["steps"]) for r in results], fontsize=9)
    axes[0].invert_yaxis()
    axes[0].margins(y=0.15)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9)
    fig.suptitle(_("Lesson 08's GPT and the changes of later GPTs (3 seeds each)"))
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def _rope_points(query: torch.Tensor, position: int):
    """(hs/2,) radius, the (hs/2,) angles at `position`, and (hs/2, 100) angles on the way."""
    hs = query.numel()
    inv = rope_frequencies(hs)                                  # (hs/2,) radians per position
    pairs = query.detach().float().view(hs // 2, 2)             # (hs/2, 2): one row per pair
    start = torch.atan2(pairs[:, 1], pairs[:, 0])               # (hs/2,)
    path = start[:, None] + torch.linspace(0, position, 100)[None, :] * inv[:, None]
    return pairs.norm(dim=-1), start + position * inv, path     # the length never changes


@_styled
def plot_rope_rotation(query: torch.Tensor, position: int):
    """The channel pairs of one query vector as arrows in the plane, each turned by
    position · theta_i (pair 0 fastest), with the path each tip took from position 0."""
    hs, position = _check_query(query, position)
    inv = rope_frequencies(hs)
    radius, angle, path = _rope_points(query, position)
    colors = plt.cm.viridis(torch.linspace(0, 0.9, hs // 2).numpy())
    fig, ax = _new((7.5, 5.5))
    top = float(radius.max()) * 1.15
    for i in range(hs // 2):
        r = float(radius[i])
        ax.plot(r * path[i].cos(), r * path[i].sin(), color=colors[i], lw=1, alpha=0.35)
        ax.annotate("", xy=(r * math.cos(angle[i]), r * math.sin(angle[i])), xytext=(0, 0),
                    arrowprops=dict(arrowstyle="->", color=colors[i], lw=2))
        ax.plot([], [], color=colors[i], lw=2,
                label=_("pair {i}: {speed:.3g} rad/step").format(i=i, speed=float(inv[i])))
    ax.set(xlim=(-top, top), ylim=(-top, top), aspect="equal",
           title=_rope_title(hs // 2, position),
           xlabel=_("first channel of the pair"), ylabel=_("second channel of the pair"))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def _rope_title(n_pairs: int, position: int) -> str:
    return _("RoPE: the {n} channel pairs of a query at position {position}").format(
        n=n_pairs, position=position)


def _check_query(query, position) -> tuple[int, int]:
    if not isinstance(query, torch.Tensor) or query.dim() != 1 or query.numel() < 2 \
            or query.numel() % 2:
        shape = tuple(query.shape) if isinstance(query, torch.Tensor) else type(query).__name__
        raise ValueError(_("query must be a 1-D tensor with an even number of channels (one "
                           "head's query, for example torch.randn(16)), got {shape}")
                         .format(shape=shape))
    int_at_least("position", position, 0)
    return query.numel(), position


@_styled
def plot_kv_cache_memory(n_layer: int, n_head: int, head_size: int, contexts: list[int],
                         kv_heads: list[int], bytes_per_number: int = 4, marked: int | None = None,
                         title: str | None = None):
    """Cache size against context length, one line per n_kv_head (batch 1), in MiB or, when
    the largest is over 4 GiB, in GiB."""
    for nkv in kv_heads:
        if n_head % nkv:
            raise ValueError(_("n_kv_head={nkv} does not divide n_head={n_head}").format(
                nkv=nkv, n_head=n_head))
    unit, scale = _cache_unit(n_layer, max(kv_heads), head_size, max(contexts), bytes_per_number)
    fig, ax = _new((7, 4.2))
    for nkv in kv_heads:
        mb = [kv_cache_bytes(n_layer, nkv, head_size, c, 1, bytes_per_number) / scale
              for c in contexts]
        kind = (_("multi-head") if nkv == n_head else _("multi-query") if nkv == 1
                else _("grouped, {n} query heads per kv head").format(n=n_head // nkv))
        ax.plot(contexts, mb, marker="o", ms=3, label=f"n_kv_head={nkv} ({kind})")
    if marked is not None:
        ax.axvline(marked, color="gray", ls=":",
                   label=_("context {context:,}").format(context=marked))
    ax.set(title=title or _("Key/value cache: {n_layer} layers, {n_head} heads of {head_size} "
                            "channels").format(n_layer=n_layer, n_head=n_head,
                                               head_size=head_size),
           xlabel=_("context length (tokens)"),
           ylabel=_("cache size ({unit}, batch 1)").format(unit=unit))
    ax.legend(fontsize=9)
    return fig


def _cache_unit(n_layer, n_kv_head, head_size, context, bytes_per_number) -> tuple[str, int]:
    """("GiB", 2**30) when the largest cache shown is over 4 GiB, else ("MiB", 2**20)."""
    top = kv_cache_bytes(n_layer, n_kv_head, head_size, context, 1, bytes_per_number)
    return ("GiB", 2**30) if top > 4 * 2**30 else ("MiB", 2**20)


# ----------------------------------------------------------------------------- widgets

def rope_rotation_explorer(head_size: int = 16, seed: int = 0, max_position: int = 200):
    """Move the position: every channel pair of one query turns, each at its own speed.

    The figure is laid out once; a move changes the arrows and paths only."""
    positive_int("max_position", max_position)
    query = torch.randn(head_size, generator=torch.Generator().manual_seed(seed))
    _check_query(query, 0)
    position = widgets.IntSlider(value=3, min=0, max=max_position, description=_("position"),
                                 continuous_update=False)
    out = widgets.Output()
    inv = rope_frequencies(head_size)
    reusable = _ReusableFigure(plot_rope_rotation(query, position.value))
    ax = reusable.figure.axes[0]
    arrows = [c for c in ax.texts]                              # one annotation per pair
    paths = [line for line in ax.get_lines() if len(line.get_xdata())]

    def draw():
        p = position.value
        radius, angle, path = _rope_points(query, p)
        for i, (arrow, line) in enumerate(zip(arrows, paths)):
            r = float(radius[i])
            arrow.xy = (r * math.cos(angle[i]), r * math.sin(angle[i]))
            line.set_data(r * path[i].cos(), r * path[i].sin())
        ax.set_title(_rope_title(head_size // 2, p))
        turns = [p * float(f) / (2 * math.pi) for f in inv]
        print(_("position {p}: pair 0 has turned {first:.2f} times round the circle, "
                "pair {last} {last_turns:.4f} times").format(
                    p=p, first=turns[0], last=head_size // 2 - 1, last_turns=turns[-1]))
        reusable.display()

    redraw_on_change([position], out, draw)
    return widgets.VBox([position, out])


def kv_cache_explorer(n_layer: int = 32, n_head: int = 32, head_size: int = 128,
                      bytes_per_number: int = 2, max_context: int = 131072):
    """Choose n_kv_head and a context: the cache's size, next to full multi-head attention.

    The defaults are the shape of a Llama-3-8B-like model in 16-bit numbers."""
    choices = [d for d in range(1, n_head + 1) if n_head % d == 0]
    nkv = widgets.Dropdown(options=choices, value=choices[len(choices) // 2], description="n_kv_head")
    context = widgets.IntSlider(value=8192, min=1024, max=max_context, step=1024,
                                description=_("context"), continuous_update=False)
    out = widgets.Output()
    contexts = list(range(0, max_context + 1, max_context // 16))
    reusable = _ReusableFigure(plot_kv_cache_memory(n_layer, n_head, head_size, contexts,
                                                    [n_head, nkv.value], bytes_per_number))
    ax = reusable.figure.axes[0]
    _unit, scale = _cache_unit(n_layer, n_head, head_size, max(contexts), bytes_per_number)

    def draw():
        ys = [kv_cache_bytes(n_layer, nkv.value, head_size, c, 1, bytes_per_number) / scale
              for c in contexts]
        line = ax.get_lines()[1]
        line.set_ydata(ys)
        line.set_label(f"n_kv_head={nkv.value}")
        ax.legend(fontsize=9)
        for old in ax.get_lines()[2:]:
            old.remove()
        ax.axvline(context.value, color="gray", ls=":")
        full = kv_cache_bytes(n_layer, n_head, head_size, context.value, 1, bytes_per_number)
        mine = kv_cache_bytes(n_layer, nkv.value, head_size, context.value, 1, bytes_per_number)
        print(_("context {context:,}: n_kv_head={nkv} needs {mine:.2f} GiB, "
                "n_kv_head={n_head} needs {full:.2f} GiB ({ratio}x as much)").format(
                    context=context.value, nkv=nkv.value, mine=mine / 2**30, n_head=n_head,
                    full=full / 2**30, ratio=full // mine))
        reusable.display()

    redraw_on_change([nkv, context], out, draw)
    return widgets.VBox([widgets.HBox([nkv, context]), out])
