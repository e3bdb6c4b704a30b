"""Every interactive control the course shows, built with ipywidgets around plots.py.

Each function returns a widget to display. A callback redraws from data at hand (well
under a second); a widget that trains says so in its label and shows a progress bar.
"""

from __future__ import annotations

import base64
import io
import math
import time
import traceback

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch
from IPython.display import Image, display
from IPython.utils.capture import capture_output
from matplotlib.backends.backend_agg import FigureCanvasAgg

from ..core.defaults import SEED
from ..core.model import LanguageModel
from ..core.sampling import generate_text, next_token_probs
from ..core.validate import finite_number, is_whole, positive_int
from ..i18n import _
from .bigram import bigram_probs, counting_model_loss
from .experiments import attention_pattern_stats, gradient_norms_per_block, one_thread
from .plots import (GRAD_FLOOR, course_style, plot_attention_map, plot_attention_weights,
                    plot_gradient_norms, plot_layernorm_io, plot_n_embd_view,
                    plot_next_char_distribution, plot_next_token_distribution, plot_sweep_curves,
                    show_char)
from .sweep import sweep_result, train_sweep_size, validate_sweep
from .widget_text import float32_rounding, n_examples, n_tokens, start_moved


def _figure_bundle(fig) -> dict:
    """The display_data output of a figure: a PNG and a short text line."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return {"output_type": "display_data", "metadata": {},
            "data": {"image/png": base64.b64encode(buf.getvalue()).decode("ascii"),
                     "text/plain": repr(fig)}}


def _redraw(out: widgets.Output, draw, raise_errors: bool = False) -> None:
    """Run `draw()` and put what it prints, displays and returns into the Output widget.

    The outputs are set on the widget's state directly (not streamed while a cell runs), so
    the notebook's own cell outputs stay the same whether or not widgets are rendered: what
    nbval compares is what a learner sees. An exception inside `draw` is shown in the widget
    as an error with its traceback; with raise_errors=True (the first draw, while the cell
    runs) it is raised too, so a broken widget fails the cell.
    """
    items, error = [], None
    with capture_output() as cap, course_style():   # titles set on a redraw get the course look
        try:
            result = draw()
        except Exception as err:  # shown in the widget; re-raised below for the first draw
            result, error = None, err
    if cap.stdout:
        items.append({"output_type": "stream", "name": "stdout", "text": cap.stdout})
    for rich in cap.outputs:
        items.append({"output_type": "display_data", "data": rich.data, "metadata": rich.metadata})
    if isinstance(result, plt.Figure):
        items.append(_figure_bundle(result))
        plt.close(result)
    elif result is not None:
        items.append({"output_type": "display_data", "metadata": {},
                      "data": {"text/plain": repr(result)}})
    if error is not None:
        items.append({"output_type": "error", "ename": type(error).__name__, "evalue": str(error),
                      "traceback": traceback.format_exception(error)})
    for fig_num in plt.get_fignums():   # figures drawn but not returned would pile up
        plt.close(fig_num)
    out.outputs = tuple(items)
    if error is not None and raise_errors:
        raise error


def redraw_on_change(controls: list, out: widgets.Output, draw) -> None:
    """Draw once now (errors raise), and again whenever one of `controls` changes value."""
    for control in controls:
        control.observe(lambda change: _redraw(out, draw), names="value")
    _redraw(out, draw, raise_errors=True)


# ----------------------------------------------------------------------------- lesson 00

def context_target_explorer(text: str, tokenizer, block_size: int = 8):
    """Slide along the corpus and see the block_size (context -> target) examples in one chunk.

    Each redraw says what the last move changed; the first one says what to try.
    """
    max_size = 16
    data = tokenizer.encode(text[:5000])
    if not 1 <= positive_int("block_size", block_size) <= max_size:
        raise ValueError(_("block_size must be from 1 to {most} (the slider's range), got "
                           "{block_size}").format(most=max_size, block_size=block_size))
    if len(data) < max_size + 1:
        raise ValueError(_("text must hold at least {least} characters (one chunk at the largest "
                           "block_size), got {n}").format(least=max_size + 1, n=len(data)))
    start = widgets.IntSlider(value=0, min=0, max=len(data) - max_size - 1, step=1,
                              description=_("start"), continuous_update=False)
    size = widgets.IntSlider(value=block_size, min=1, max=max_size, description="block_size",
                             continuous_update=False)
    out = widgets.Output()
    last = {}                                    # the values of the previous redraw

    def draw():
        s, T = start.value, size.value
        chunk = data[s:s + T + 1]
        if not last:
            print(_("Try: set block_size to 1, then 16; then move start one step to the right."))
        elif T != last["T"]:
            note = (" " + _("One token of context is all the bigram model of lesson 02 ever "
                            "sees.") if T == 1 else "")
            print(_("What changed: block_size {old} -> {new}: {examples} instead of {old}, and "
                    "the longest context is now {tokens}.").format(
                old=last["T"], new=T, examples=n_examples(T), tokens=n_tokens(T)) + note)
        elif s != last["s"]:
            print(_("What changed: start {old} -> {new}: {what}.").format(
                old=last["s"], new=s, what=start_moved(last["s"], s, T)))
        last.update(s=s, T=T)
        rows = []
        for t in range(T):
            context = tokenizer.decode(chunk[:t + 1])
            target = tokenizer.decode(chunk[t + 1:t + 2])
            rows.append(_("{n:>2} token(s):").format(n=t + 1)
                        + f" {''.join(show_char(c) for c in context):>{T * 2}}"
                        f"  ->  {show_char(target)!r}")
        print(_("chunk of {n} tokens starting at position {start}: {chunk}").format(
            n=T + 1, start=s, chunk=chunk))
        print(_("it holds {examples}; the contexts grow from 1 to {tokens}:").format(
            examples=n_examples(T), tokens=n_tokens(T)))
        print("\n".join(rows))

    redraw_on_change([start, size], out, draw)
    return widgets.VBox([widgets.HBox([start, size]), out])


# ----------------------------------------------------------------------------- lesson 01

def embedding_size_explorer(sweep: dict, vocab_size: int, seed: int = 0):
    """Pick n_embd and see the embedding table it makes, what it costs, and the trained loss.

    `sweep` is data/sweep_n_embd.json (scripts/sweep_n_embd.py): the same GPT trained at
    each n_embd. The tables are random (a fresh nn.Embedding), made once when the widget is
    built.
    """
    results = sweep.get("results") if isinstance(sweep, dict) else None
    if not results:
        raise ValueError(_("the sweep holds no results; load data/sweep_n_embd.json (made by "
                           "`python scripts/sweep_n_embd.py`) and pass the parsed JSON"))
    sizes = [r["n_embd"] for r in results]
    g = torch.Generator().manual_seed(seed)
    full = torch.randn(vocab_size, max(sizes), generator=g)   # each table is its first columns
    slider = widgets.SelectionSlider(options=sizes, value=sizes[len(sizes) // 2],
                                     description="n_embd", continuous_update=False)
    out = widgets.Output()
    fixed = sweep["fixed_config"]
    steps = sweep["training"]["max_iters"]

    def draw():
        n = slider.value
        r = next(r for r in results if r["n_embd"] == n)
        params = vocab_size * n
        print(_("token_embedding_table: {vocab} tokens × {n} dimensions = {params:,} "
                "parameters = {bytes:,} bytes ({kb:.1f} KB) at float32").format(
            vocab=vocab_size, n=n, params=params, bytes=4 * params, kb=4 * params / 1024))
        print(_("whole GPT (n_layer={n_layer}, n_head={n_head}, block_size={block_size}): "
                "{params:,} parameters, {share:.1%} of them in the token table").format(
            n_layer=fixed["n_layer"], n_head=fixed["n_head"], block_size=fixed["block_size"],
            params=r["params"], share=r["embedding_params"] / r["params"]))
        print(_("after {steps:,} training steps: train loss {train:.3f}, val loss {val:.3f}, "
                "{seconds:.0f} s on the machine that ran the sweep").format(
            steps=steps, train=r["train_loss"], val=r["val_loss"], seconds=r["seconds"]))
        return plot_n_embd_view(full[:, :n], results, n, max(sizes))

    redraw_on_change([slider], out, draw)
    return widgets.VBox([slider, out])


# ----------------------------------------------------------------------------- lesson 02

def next_char_explorer(chars: list[str], counts, model_probs, val_data,
                       smoothings=(0.0, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0)):
    """Pick a character and a smoothing; compare P(next | char) from counts and from the model.

    `counts` is the (V, V) bigram count matrix of the training text, `model_probs` the
    trained BigramLanguageModel's (V, V) softmax table. The counting model's val loss for
    each smoothing is computed once, when the widget is built.
    """
    V = len(chars)
    for name, m in (("counts", counts), ("model_probs", model_probs)):
        if tuple(m.shape) != (V, V):
            raise ValueError(_("{name} must have shape (V, V) = {shape} for {V} characters, got "
                               "{got}").format(name=name, shape=(V, V), V=V,
                                               got=tuple(m.shape)))

    probs = {s: bigram_probs(counts, s) for s in smoothings}
    val_loss = {s: counting_model_loss(p, val_data) for s, p in probs.items()}
    options = [(show_char(c), i) for i, c in enumerate(chars)]   # labels: \\n, ␣, !, ...  (unique)
    char = widgets.Dropdown(options=options, value=chars.index("t") if "t" in chars else 0,
                            description=_("character"))
    smooth = widgets.SelectionSlider(options=list(smoothings), value=1.0,
                                     description=_("smoothing"), continuous_update=False)
    out = widgets.Output()

    def draw():
        i, s = char.value, smooth.value
        row = counts[i]
        p = probs[s][i]
        never = int((row == 0).sum())
        print(_("'{char}' occurs {count:,} times in the training text; {seen} of the {V} "
                "characters follow it at least once, {never} never do").format(
            char=show_char(chars[i]), count=int(row.sum()), seen=len(chars) - never,
            V=len(chars), never=never))
        print(_("smoothing {s:g}: P(an unseen next character) = {p:.2g}; counting model's val "
                "loss = {loss:.4f}").format(
            s=s, p=float(p[row == 0].max()) if never else 0.0, loss=val_loss[s]))
        return plot_next_char_distribution(chars[i], chars, {
            _("counts (smoothing {s:g})").format(s=s): p,
            _("trained BigramLanguageModel"): model_probs[i]})

    redraw_on_change([char, smooth], out, draw)
    return widgets.VBox([widgets.HBox([smooth, char]), out])


# ----------------------------------------------------------------------------- lesson 03

def _label(text: str) -> str:
    """A one-line label for a piece of text: new lines and spaces made visible."""
    return "".join(show_char(c) for c in text)


def temperature_explorer(model, tokenizer, contexts: list[str], top: int = 20,
                         n_samples: int = 40, seed: int = 0):
    """Pick a context and a temperature; see the next-character distribution and samples.

    The model runs once per context when the widget is built; moving the slider only
    rescales those logits, so a redraw is fast. The samples use the same seed every time,
    so what changes between two redraws is the temperature, not luck.
    """
    if not contexts or not all(isinstance(c, str) and c for c in contexts):
        raise ValueError(_("contexts must be a non-empty list of non-empty strings, for "
                           "example ['ROMEO:\\nO', 'To be, or not to b']"))
    logits = {}
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for text in contexts:
            idx = torch.tensor([tokenizer.encode(text)], dtype=torch.long)
            idx = idx[:, -model.context_size:] if model.context_size else idx
            logits[text] = model(idx)[0][0, -1]                 # (V,): the last position
    model.train(was_training)
    chars = tokenizer.chars
    context = widgets.Dropdown(options=[(_label(t[-40:]), t)
                                        for t in contexts], description=_("context"),
                               layout=widgets.Layout(width="420px"))
    temperature = widgets.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.05,
                                      description=_("temperature"), readout_format=".2f",
                                      continuous_update=False)
    out = widgets.Output()

    def draw():
        T = temperature.value
        probs = next_token_probs(logits[context.value][None], temperature=T)[0]   # (V,)
        g = torch.Generator().manual_seed(seed)
        samples = torch.multinomial(probs, n_samples, replacement=True, generator=g)
        entropy = -(probs * probs.clamp_min(1e-30).log()).sum()
        best = int(probs.argmax())
        print(_("temperature {T:.2f}: most likely {char!r} with p = {p:.3f}; entropy "
                "{entropy:.3f} nats").format(T=T, char=show_char(chars[best]),
                                              p=float(probs[best]), entropy=float(entropy)))
        print(_("{n} samples of the next character:").format(n=n_samples) + " "
              + "".join(show_char(chars[i]) for i in samples.tolist()))
        return plot_next_token_distribution(
            probs, chars, top, title=_("After '...{context}' at T = {T:.2f}").format(
                context=_label(context.value[-20:]), T=T),
            ylim=1.0)

    redraw_on_change([context, temperature], out, draw)
    return widgets.VBox([widgets.HBox([context, temperature]), out])


# ----------------------------------------------------------------------------- lesson 04

def attention_scaling_explorer(T: int = 8, max_head_size: int = 1024, batch: int = 64,
                               seed: int = 0):
    """Pick head_size and turn the 1/sqrt(head_size) scale on or off; see the causal weights.

    Queries and keys are random with unit variance, drawn once when the widget is built;
    a redraw only slices and multiplies them. The printed variance uses `batch` examples.
    """
    positive_int("max_head_size", max_head_size)
    if not is_whole(T) or not 2 <= T <= 32:
        raise ValueError(_("T must be an integer from 2 to 32 (the heatmap shows T x T), got "
                           "{T!r}").format(T=T))
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(batch, T, max_head_size, generator=g)       # (B, T, hs_max), unit variance
    k = torch.randn(batch, T, max_head_size, generator=g)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    sizes = [2 ** i for i in range(max_head_size.bit_length()) if 2 ** i <= max_head_size]
    head_size = widgets.SelectionSlider(options=sizes, value=min(16, sizes[-1]),
                                        description="head_size", continuous_update=False)
    scaled = widgets.Checkbox(value=True, description=_("scale by 1/sqrt(head_size)"))
    out = widgets.Output()

    def draw():
        hs = head_size.value
        scores = q[:, :, :hs] @ k[:, :, :hs].transpose(-2, -1)  # (B, T, hs) @ (B, hs, T) -> (B, T, T)
        if scaled.value:
            scores = scores * hs ** -0.5
        wei = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)   # (B, T, T)
        top = wei[:, 1:].max(dim=-1).values.mean()   # row 0 has one position: its max is 1 anyway
        variance = (_("head_size {hs}, scaled: variance of the scores {var:.3f}") if scaled.value
                    else _("head_size {hs}, not scaled: variance of the scores {var:.3f}"))
        print(variance.format(hs=hs, var=float(scores.var())))
        print(_("average largest weight in rows 1 to {last}: {top:.3f}  (1.000 = one-hot)")
              .format(last=T - 1, top=float(top)))
        title = (_("head_size = {hs}, scaled") if scaled.value
                 else _("head_size = {hs}, NOT scaled")).format(hs=hs)
        return plot_attention_weights(wei[0], title=title, annotate=True, figsize=(5.5, 4.4))

    redraw_on_change([head_size, scaled], out, draw)
    return widgets.VBox([widgets.HBox([head_size, scaled]), out])


# ----------------------------------------------------------------------------- lesson 05

class _ReusableFigure:
    """A figure laid out once, with that layout kept, so redrawing it later is quick.

    The figure is closed in pyplot (the cell must not show it; the widget's Output does)
    but stays usable: a redraw changes the data of `figure` and calls `display()`.
    """

    def __init__(self, fig):
        plt.close(fig)
        canvas = FigureCanvasAgg(fig)     # a canvas of its own: pyplot no longer manages it
        canvas.draw()                     # runs the layout engine once
        fig.set_layout_engine("none")     # ... and freezes the result
        self.figure = fig
        # the area bbox_inches="tight" would keep, computed once instead of on every save
        self.bbox = fig.get_tightbbox(canvas.get_renderer()).padded(0.1)

    def display(self) -> None:
        """Display the figure as a PNG, cropped to the area measured when it was laid out."""
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", bbox_inches=self.bbox)
        display(Image(data=buf.getvalue(), format="png"))


def attention_map_explorer(model, tokenizer, sentences: list[str]):
    """Pick a sentence, a layer and a head: see that head's attention map on the sentence.

    The maps of every sentence, and a figure for each sentence, are made once when the
    widget is built (`model.attention_maps`), so moving a control only redraws.
    """
    if not hasattr(model, "attention_maps"):
        raise TypeError(_("model must be a GPTLanguageModel (it has attention_maps), got "
                          "{kind}; load one with load_checkpoint(...)").format(
            kind=type(model).__name__))
    if isinstance(sentences, str) or not sentences:
        raise ValueError(_("sentences must be a non-empty list of strings, e.g. "
                           "['To be, or not to be']"))
    device = next(model.parameters()).device
    maps = {}
    for s in sentences:
        if not isinstance(s, str) or not s:
            raise ValueError(_("every sentence must be a non-empty string, got {s!r}").format(
                s=s))
        if len(s) > model.cfg.block_size:
            raise ValueError(_("the sentence {start!r}... has {n} characters but the model reads "
                               "at most block_size={block_size}; shorten it").format(
                start=s[:20], n=len(s), block_size=model.cfg.block_size))
        idx = torch.tensor([tokenizer.encode(s)], dtype=torch.long, device=device)
        maps[s] = model.attention_maps(idx)[:, 0].cpu()  # (n_layer, n_head, T, T)
    n_layer, n_head = maps[sentences[0]].shape[:2]
    sentence = widgets.Dropdown(options=[(repr(s), s) for s in sentences], value=sentences[0],
                                description=_("sentence"), layout=widgets.Layout(width="480px"))
    layer = widgets.IntSlider(value=0, min=0, max=n_layer - 1, description="layer",
                              continuous_update=False)
    head = widgets.IntSlider(value=0, min=0, max=n_head - 1, description="head",
                             continuous_update=False)
    out = widgets.Output()
    # one figure per sentence (its tick labels), laid out now; a redraw only changes the image
    figures = {s: _ReusableFigure(plot_attention_map(maps[s][0, 0], list(s))) for s in maps}

    def draw():
        s, l, h = sentence.value, layer.value, head.value
        w = maps[s][l, h]                                 # (T, T)
        stats = attention_pattern_stats(w)
        print(_("layer {layer}, head {head}, mean over the rows 1 to {last}: weight on the "
                "character itself {itself:.2f}, on the one before {previous:.2f}, on the first "
                "character {first:.2f}").format(
            layer=l, head=h, last=w.shape[0] - 1, itself=float(stats["itself"]),
            previous=float(stats["previous"]), first=float(stats["first"])))
        print(_("the colours run from 0 to 1 for every layer and head, so the maps compare"))
        fig = figures[s].figure
        image = fig.axes[0].images[0]
        image.set_data(w.numpy())    # one colour scale, 0 to 1, for every head (set by the plot)
        fig.axes[0].set_title(_("Layer {layer}, head {head}").format(layer=l, head=h))
        figures[s].display()

    redraw_on_change([sentence, layer, head], out, draw)
    return widgets.VBox([sentence, widgets.HBox([layer, head]), out])


# ----------------------------------------------------------------------------- lesson 06

def residual_gradient_explorer(depths=(4, 8, 12, 16, 20, 24), n_embd: int = 32):
    """Depth, residual on/off, LayerNorm on/off: the gradient norm of each block of a fresh GPT.

    Every combination is computed when the widget is built (about a second); moving a
    control only redraws. See course_lib.experiments.gradient_norms_per_block.
    """
    depths = list(depths)
    if not depths or any(not is_whole(d) or d < 1 for d in depths):
        raise ValueError(_("depths must be a non-empty list of positive integers, got {depths}")
                         .format(depths=depths))
    norms = {(d, r, ln): gradient_norms_per_block(d, r, ln, n_embd=n_embd)
             for d in depths for r in (True, False) for ln in (True, False)}
    positive = [v for vs in norms.values() for v in vs if v > 0]
    ylim = (GRAD_FLOOR / 10, max(positive) * 10)     # one scale for every view
    depth = widgets.SelectionSlider(options=depths, value=depths[len(depths) // 2],
                                    description=_("blocks"), continuous_update=False)
    residual = widgets.Checkbox(value=True, description=_("residual: x + f(x)"), indent=False)
    layernorm = widgets.Checkbox(value=True, description=_("LayerNorm in the blocks"),
                                 indent=False)
    out = widgets.Output()
    # a figure with one line and its zero markers, laid out once; draw() replaces their data
    reusable = _ReusableFigure(plot_gradient_norms(
        {_("gradient norm"): [0.0] + [1.0] * (max(depths) - 1)}, ylim=ylim))
    ax = reusable.figure.axes[0]
    line, zero_marks = ax.lines[:2]
    ax.set_xlim(0.5, max(depths) + 0.5)

    def draw():
        d, r, ln = depth.value, residual.value, layernorm.value
        values = norms[(d, r, ln)]
        blocks = list(range(1, d + 1))
        line.set_data(blocks, [v if v > 0 else float("nan") for v in values])
        zeros = [b for b, v in zip(blocks, values) if v == 0]
        zero_marks.set_data(zeros, [GRAD_FLOOR] * len(zeros))
        zero_marks.set_color(line.get_color())
        title = {(True, True): _("{d} blocks, with residual connections, with LayerNorm"),
                 (True, False): _("{d} blocks, with residual connections, without LayerNorm"),
                 (False, True): _("{d} blocks, without residual connections, with LayerNorm"),
                 (False, False): _("{d} blocks, without residual connections, without "
                                   "LayerNorm")}[(bool(r), bool(ln))]
        ax.set_title(title.format(d=d), fontsize=11)
        first, last = values[0], values[-1]
        ratio = f"{first / last:.2g}" if last > 0 else _("undefined")
        print(_("block 1 (next to the input): {first:.2e}   block {d} (next to the output): "
                "{last:.2e}   ratio first/last: {ratio}").format(
            first=first, d=d, last=last, ratio=ratio))
        if zeros:
            print(_("blocks with a gradient of exactly 0: {zeros} of {d}").format(
                zeros=len(zeros), d=d))
        reusable.display()

    redraw_on_change([depth, residual, layernorm], out, draw)
    return widgets.VBox([widgets.HBox([depth, residual, layernorm]), out])


# ----------------------------------------------------------------------------- lesson 07

def layernorm_explorer(base=(1.0, 2.0, 3.0)):
    """Scale and shift a vector and change epsilon: see what nn.LayerNorm makes of it.

    Where float32 rounding changes the output (a tiny scale with a large shift), the widget
    says so and prints the float64 result next to it.
    """
    base = torch.as_tensor(base, dtype=torch.float32).flatten()
    if len(base) < 2 or torch.isnan(base).any() or float(base.std()) == 0:
        raise ValueError(_("base must hold at least 2 numbers that are not all equal, got "
                           "{base}").format(base=base.tolist()))
    scale = widgets.FloatLogSlider(value=1.0, base=10, min=-5, max=3, step=0.25,
                                   description=_("scale"), continuous_update=False,
                                   readout_format=".0e")
    shift = widgets.FloatSlider(value=0.0, min=-100, max=100, step=1, description=_("shift"),
                                continuous_update=False)
    eps = widgets.FloatLogSlider(value=1e-5, base=10, min=-10, max=0, step=0.5,
                                 description="eps", continuous_update=False, readout_format=".0e")
    out = widgets.Output()
    reusable = _ReusableFigure(plot_layernorm_io(base, base,
                                                 title=_("x = scale * base + shift")))
    fig = reusable.figure
    left, right = fig.axes[:2]

    def draw():
        x = scale.value * base + shift.value
        y = torch.nn.functional.layer_norm(x, (len(x),), eps=eps.value)
        for bar, v in zip(left.patches, x.tolist()):
            bar.set_height(v)
        for bar, v in zip(right.patches, y.tolist()):
            bar.set_height(v)
        lo, hi = min(0.0, float(x.min())), max(0.0, float(x.max()))
        pad = 0.1 * (hi - lo) or 1.0
        left.set_ylim(lo - pad, hi + pad)
        fig.suptitle(f"x = {scale.value:.0e} * {base.tolist()} + {shift.value:g},  "
                     f"eps = {eps.value:.0e}", fontsize=11)
        var = float(x.var(correction=0))
        exact = scale.value * base.double() + shift.value
        y_exact = torch.nn.functional.layer_norm(exact, (len(exact),), eps=eps.value)
        rounding = float32_rounding(x, exact, y, y_exact)
        digits = 9 if rounding else 6        # 9 significant digits show a float32 exactly
        print("x:           ", "  ".join(f"{v:.{digits}g}" for v in x.tolist()))
        print("LayerNorm(x):", "  ".join(f"{v:.4f}" for v in y.tolist()))
        print(_("variance of x {var:.3e}  vs eps {eps:.0e}:  sqrt(var / (var + eps)) = "
                "{ratio:.4f}").format(var=var, eps=eps.value,
                                      ratio=math.sqrt(var / (var + eps.value))))
        for line in rounding:
            print(line)
        reusable.display()

    redraw_on_change([scale, shift, eps], out, draw)
    return widgets.VBox([widgets.HBox([scale, shift, eps]), out])


# ----------------------------------------------------------------------------- lesson 08

DEFAULT_PROMPTS = ("\n", "Ham.\n", "OTHELLO.\n", "To be, or not to be", "[Enter ")


def generation_explorer(model, tokenizer, prompts=DEFAULT_PROMPTS, max_new_tokens: int = 80,
                        seed: int = SEED):
    """Generate text from `model` with sliders for temperature, top-k, length and the seed.

    The same settings give the same text (the seed fixes the random draws), and a shorter
    length gives the first characters of the longer text: the i-th character depends only on
    the ones before it and on the i-th random draw. So the widget keeps the longest text it
    generated for each setting, and a length it already has is cut from it at once. A new
    setting, or a longer text, is generated; its time is printed.
    """
    if not isinstance(model, LanguageModel):
        raise TypeError(_("model must be a course_lib language model, got {kind}; load one "
                          "with load_checkpoint(...)").format(kind=type(model).__name__))
    prompts = list(prompts) if not isinstance(prompts, str) else [prompts]
    if not prompts or any(not isinstance(p, str) or not p for p in prompts):
        raise ValueError(_("prompts must be a non-empty list of non-empty strings, for example "
                           "['\\n', 'Ham.\\n']"))
    for p in prompts:
        tokenizer.encode(p)                  # names a character the model does not know
    if not is_whole(max_new_tokens) or not 1 <= max_new_tokens <= 1000:
        raise ValueError(_("max_new_tokens must be an integer from 1 to 1000, got {n!r}")
                         .format(n=max_new_tokens))
    vocab = tokenizer.vocab_size
    prompt = widgets.Dropdown(options=[("".join(show_char(c) for c in p), p) for p in prompts],
                              value=prompts[0], description="prompt")
    temperature = widgets.FloatSlider(value=1.0, min=0.1, max=2.0, step=0.1,
                                      description=_("temperature"), readout_format=".1f",
                                      continuous_update=False)
    top_k = widgets.IntSlider(value=0, min=0, max=vocab, description="top_k",
                              continuous_update=False)
    length = widgets.IntSlider(value=max_new_tokens, min=1, max=max(300, max_new_tokens),
                               description=_("characters"), continuous_update=False)
    seed_box = widgets.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed")
    out = widgets.Output()
    generated: dict[tuple, str] = {}         # settings -> the longest text generated so far

    def draw():
        k = top_k.value or None              # 0 on the slider means: no top-k filter
        key = (prompt.value, round(temperature.value, 3), k, seed_box.value)
        n_prompt = len(prompt.value)
        known = generated.get(key, "")
        if len(known) - n_prompt >= length.value:
            text = known[:n_prompt + length.value]
            how = _("cut from the longer text these settings already gave")
        else:
            start = time.perf_counter()
            with one_thread():              # one token at a time: tiny products
                text = generate_text(model, tokenizer, prompt.value, length.value,
                                     temperature=temperature.value, top_k=k,
                                     seed=seed_box.value)
            generated[key] = text
            how = _("generated in {seconds:.2f} s").format(seconds=time.perf_counter() - start)
        pool = (_("all {n} characters").format(n=vocab) if k is None
                else _("the {k} most likely character(s)").format(k=k))
        print(_("temperature {T:.1f}, sampling from {pool}, seed {seed}: {n} new characters, "
                "{how}").format(T=temperature.value, pool=pool, seed=seed_box.value,
                                n=length.value, how=how))
        print("-" * 72)
        print(text)

    controls = [prompt, temperature, top_k, length, seed_box]
    redraw_on_change(controls, out, draw)
    note = widgets.HTML(_("<small>top_k = 0 means no top-k filter: every character can be "
                          "drawn.</small>"))
    return widgets.VBox([widgets.HBox([prompt, seed_box]), widgets.HBox([temperature, top_k]),
                         widgets.HBox([length, note]), out])


def n_embd_explorer(sweep: dict, corpus, train_seconds: float = 10.0):
    """Pick an n_embd of the precomputed sweep and see its cost and loss; a button retrains it.

    Moving the slider only reads the sweep (fast). The button trains a new model of the
    chosen size for `train_seconds` seconds (at most 15), with a progress bar, and compares
    its val loss with the sweep's run of that size. To keep the time for training, its loss
    estimates use 5 batches (the sweep's use more), so they are a little noisier.
    """
    validate_sweep(sweep)
    if isinstance(train_seconds, bool) or not isinstance(train_seconds, (int, float)) \
            or not 0 < train_seconds <= 15:
        raise ValueError(_("train_seconds must be a number in (0, 15], got {seconds!r}: a "
                           "widget that trains should finish within 15 s").format(
            seconds=train_seconds))
    results = sorted(sweep["results"], key=lambda r: r["n_embd"])
    sizes = [r["n_embd"] for r in results]
    total_steps = sweep["training"].get("max_iters", "?")
    size = widgets.SelectionSlider(options=sizes, value=sizes[len(sizes) // 2],
                                   description="n_embd", continuous_update=False)
    out = widgets.Output()

    def draw():
        r = sweep_result(sweep, size.value)
        share = 100 * r["embedding_params"] / r["params"]
        print(_("n_embd={n_embd}: {params:,} parameters, of which the token embedding holds "
                "{embedding:,} ({share:.1f}%)").format(
            n_embd=r["n_embd"], params=r["params"], embedding=r["embedding_params"], share=share))
        print(_("after {steps} steps: train loss {train:.4f}, val loss {val:.4f}; {seconds:.1f} s "
                "at {speed:,} tokens/s").format(
            steps=total_steps, train=r["train_loss"], val=r["val_loss"], seconds=r["seconds"],
            speed=r["tokens_per_second"]))
        return plot_sweep_curves(results, highlight=r["n_embd"])

    redraw_on_change([size], out, draw)

    button = widgets.Button(description="", icon="play", layout=widgets.Layout(width="auto"),
                            tooltip=_("trains a new model of this size (a few seconds)"))
    button.add_class("course-trains")     # the browser test allows it the training budget
    bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description=_("training"))
    status = widgets.Label("")
    train_out = widgets.Output()

    def label(change=None):
        button.description = _("train n_embd={n} for {seconds:g} s (trains)").format(
            n=size.value, seconds=train_seconds)

    size.observe(label, names="value")
    label()

    def on_click(_button):
        button.disabled = True
        n = size.value
        start = time.perf_counter()
        last = [0.0]

        def progress(step, loss):
            now = time.perf_counter() - start
            if now - last[0] > 0.2:          # a few updates per second are enough
                last[0] = now
                bar.value = min(1.0, now / train_seconds)
                status.value = _("step {step}, minibatch loss {loss:.3f}").format(
                    step=step, loss=loss)

        def report():
            _model, h = train_sweep_size(sweep, corpus, n, max_seconds=train_seconds,
                                         eval_iters=5, progress=False, callback=progress)
            r = sweep_result(sweep, n)
            step = h.steps[-1]
            near = max(s for s in r["eval_steps"] if s <= step)
            at = r["eval_val"][r["eval_steps"].index(near)]
            print(_("n_embd={n}: {steps} steps in {seconds:.1f} s ({speed:,.0f} tokens/s), val "
                    "loss {val:.4f} (estimated on 5 batches)").format(
                n=n, steps=step, seconds=h.seconds, speed=h.tokens_per_second,
                val=h.final()["val"]))
            print(_("the sweep's run of this size had val loss {at:.4f} at step {near}, and "
                    "{final:.4f} after all {steps} steps").format(
                at=at, near=near, final=r["val_loss"], steps=total_steps))

        try:
            bar.value, status.value = 0.0, _("training...")
            _redraw(train_out, report)
            bar.value, status.value = 1.0, _("done")
        finally:
            button.disabled = False

    button.on_click(on_click)
    return widgets.VBox([size, out, widgets.HBox([button, bar, status]), train_out])


# ----------------------------------------------------------------------------- lesson 09

def scaling_calculator(block_size: int, corpus_tokens: int, measured: dict[int, float],
                       measured_batch: int | None = None):
    """Sliders for processes and batch size; shows the global batch, tokens per step, steps
    per pass over the data, and the time per step and per pass, and says what a move changed.

    `measured` maps a process count to the tokens/s measured with it, at `measured_batch`
    sequences per process (None: not known). The time of a step is estimated as its tokens
    divided by that speed, so a bigger batch gives fewer steps that each take longer: the
    time per pass only changes where the batch changes the speed, which was measured at
    `measured_batch` alone.
    """
    positive_int("block_size", block_size)
    positive_int("corpus_tokens", corpus_tokens)
    if measured_batch is not None:
        positive_int("measured_batch", measured_batch)
    for n, speed in measured.items():
        positive_int("a process count in measured", n)
        finite_number(f"measured[{n}]", speed, above=0, hint="it is tokens per second")
    nproc = widgets.IntSlider(value=2, min=1, max=8, description=_("processes"),
                              continuous_update=False)
    batch = widgets.IntSlider(value=measured_batch or 16, min=1, max=64,
                              description="batch/proc", continuous_update=False)
    out = widgets.Output()
    last = {}                                    # the values of the previous redraw

    def draw():
        P, B = nproc.value, batch.value
        global_batch = B * P
        tokens = global_batch * block_size
        steps = -(-corpus_tokens // tokens)          # ceiling division
        if not last:
            print(_("Try: double processes, then halve batch/proc. The global batch comes back "
                    "to where it was, and so do the tokens per step and the steps per pass."))
        else:
            moved = [f"{shown} {last[name]} -> {now}"
                     for name, shown, now in (("processes", _("processes"), P),
                                              ("batch/proc", "batch/proc", B))
                     if last[name] != now]
            factor = global_batch / last["global_batch"]
            print(_("What changed: {moved}: the global batch is {factor:.3g}x ({old} -> {new}), "
                    "so each step takes {factor:.3g}x the tokens and a pass needs {old_steps:,} "
                    "-> {steps:,} steps.").format(
                moved=", ".join(moved), factor=factor, old=last["global_batch"],
                new=global_batch, old_steps=last["steps"], steps=steps))
        last.update({"processes": P, "batch/proc": B, "global_batch": global_batch,
                     "steps": steps})
        print(_("global batch     = {B} x {P} = {global_batch} sequences per step").format(
            B=B, P=P, global_batch=global_batch))
        print(_("tokens per step  = {global_batch} x block_size {block_size} = {tokens:,}")
              .format(global_batch=global_batch, block_size=block_size, tokens=tokens))
        print(_("steps per pass over the {corpus:,} training tokens = {steps:,}").format(
            corpus=corpus_tokens, steps=steps))
        if P not in measured:
            print(_("time: not measured here ({P} processes need at least {P} cores or GPUs)")
                  .format(P=P))
            return
        speed = measured[P]
        step_time = (_("time per step    = {tokens:,} tokens / {speed:,.0f} tokens/s (measured "
                       "here with {P} process(es) at batch/proc {batch}) = {seconds:.3f} s")
                     if measured_batch else
                     _("time per step    = {tokens:,} tokens / {speed:,.0f} tokens/s (measured "
                       "here with {P} process(es)) = {seconds:.3f} s"))
        print(step_time.format(tokens=tokens, speed=speed, P=P, batch=measured_batch,
                               seconds=tokens / speed))
        print(_("time per pass    = {steps:,} steps x {seconds:.3f} s = {minutes:.1f} min").format(
            steps=steps, seconds=tokens / speed, minutes=steps * tokens / speed / 60))
        if measured_batch is None or B != measured_batch:
            estimate = (_("  (an estimate: the speed was measured at batch/proc {batch}. More "
                          "steps of fewer tokens, or fewer of more, take the same time at the "
                          "same tokens/s; a larger batch is faster only where the hardware has "
                          "work to spare, as a GPU often has.)") if measured_batch else
                        _("  (an estimate: the speed was measured at one batch size. More steps "
                          "of fewer tokens, or fewer of more, take the same time at the same "
                          "tokens/s; a larger batch is faster only where the hardware has work "
                          "to spare, as a GPU often has.)"))
            print(estimate.format(batch=measured_batch))

    redraw_on_change([nproc, batch], out, draw)
    return widgets.VBox([widgets.HBox([nproc, batch]), out])
