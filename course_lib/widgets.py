"""Every interactive control the course shows, built with ipywidgets around plots.py.

Each function returns a widget to display. A callback redraws from data at hand (well
under a second); a widget that trains says so in its label and shows a progress bar.
"""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt

from .plots import show_char


def _figure_bundle(fig) -> dict:
    """The display_data output of a figure: a PNG and a short text line."""
    import base64
    import io
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
    import traceback

    from IPython.utils.capture import capture_output

    items, error = [], None
    with capture_output() as cap:
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
    """Slide along the corpus and see the block_size (context -> target) examples in one chunk."""
    data = tokenizer.encode(text[:5000])
    start = widgets.IntSlider(value=0, min=0, max=len(data) - block_size - 1, step=1,
                              description="start", continuous_update=False)
    size = widgets.IntSlider(value=block_size, min=1, max=16, description="block_size",
                             continuous_update=False)
    out = widgets.Output()

    def draw():
        s, T = start.value, size.value
        chunk = data[s:s + T + 1]
        rows = []
        for t in range(T):
            context = tokenizer.decode(chunk[:t + 1])
            target = tokenizer.decode(chunk[t + 1:t + 2])
            rows.append(f"{t + 1:>2} token(s): {''.join(show_char(c) for c in context):>{T * 2}}"
                        f"  ->  {show_char(target)!r}")
        print(f"chunk of {T + 1} tokens starting at position {s}: {chunk}")
        print("\n".join(rows))

    redraw_on_change([start, size], out, draw)
    return widgets.VBox([widgets.HBox([start, size]), out])


# ----------------------------------------------------------------------------- lesson 01

def n_embd_explorer(sweep: dict, vocab_size: int, seed: int = 0):
    """Pick n_embd and see the embedding table it makes, what it costs, and the trained loss.

    `sweep` is data/sweep_n_embd.json (scripts/sweep_n_embd.py): the same GPT trained at
    each n_embd. The tables are random (a fresh nn.Embedding), made once when the widget is
    built.
    """
    import torch

    from .plots import plot_n_embd_view

    results = sweep.get("results") if isinstance(sweep, dict) else None
    if not results:
        raise ValueError("the sweep holds no results; load data/sweep_n_embd.json (made by "
                         "`python scripts/sweep_n_embd.py`) and pass the parsed JSON")
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
        print(f"token_embedding_table: {vocab_size} tokens × {n} dimensions = {params:,} "
              f"parameters = {4 * params:,} bytes ({4 * params / 1024:.1f} KB) at float32")
        print(f"whole GPT (n_layer={fixed['n_layer']}, n_head={fixed['n_head']}, block_size="
              f"{fixed['block_size']}): {r['params']:,} parameters, "
              f"{r['embedding_params'] / r['params']:.1%} of them in the token table")
        print(f"after {steps:,} training steps: train loss {r['train_loss']:.3f}, val loss "
              f"{r['val_loss']:.3f}, {r['seconds']:.0f} s on the machine that ran the sweep")
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
    from .bigram import bigram_probs, counting_model_loss
    from .plots import plot_next_char_distribution

    V = len(chars)
    for name, m in (("counts", counts), ("model_probs", model_probs)):
        if tuple(m.shape) != (V, V):
            raise ValueError(f"{name} must have shape (V, V) = {(V, V)} for {V} characters, got "
                             f"{tuple(m.shape)}")

    probs = {s: bigram_probs(counts, s) for s in smoothings}
    val_loss = {s: counting_model_loss(p, val_data) for s, p in probs.items()}
    options = [(show_char(c), i) for i, c in enumerate(chars)]   # labels: \\n, ␣, !, ...  (unique)
    char = widgets.Dropdown(options=options, value=chars.index("t") if "t" in chars else 0,
                            description="character")
    smooth = widgets.SelectionSlider(options=list(smoothings), value=1.0,
                                     description="smoothing", continuous_update=False)
    out = widgets.Output()

    def draw():
        i, s = char.value, smooth.value
        row = counts[i]
        p = probs[s][i]
        never = int((row == 0).sum())
        print(f"{show_char(chars[i])!r} occurs {int(row.sum()):,} times in the training text; "
              f"{len(chars) - never} of the {len(chars)} characters follow it at least once, "
              f"{never} never do")
        print(f"smoothing {s:g}: P(an unseen next character) = {float(p[row == 0].max()) if never else 0.0:.2g}; "
              f"counting model's val loss = {val_loss[s]:.4f}")
        return plot_next_char_distribution(chars[i], chars, {
            f"counts (smoothing {s:g})": p, "trained BigramLanguageModel": model_probs[i]})

    redraw_on_change([char, smooth], out, draw)
    return widgets.VBox([widgets.HBox([smooth, char]), out])


# ----------------------------------------------------------------------------- lesson 09

def scaling_calculator(block_size: int, corpus_tokens: int, measured: dict[int, float]):
    """Sliders for processes and batch size; shows the global batch, tokens per step, steps
    per pass over the data, and (for process counts measured here) the time it takes."""
    nproc = widgets.IntSlider(value=2, min=1, max=8, description="processes",
                              continuous_update=False)
    batch = widgets.IntSlider(value=16, min=1, max=64, description="batch/proc",
                              continuous_update=False)
    out = widgets.Output()

    def draw():
        global_batch = batch.value * nproc.value
        tokens = global_batch * block_size
        steps = -(-corpus_tokens // tokens)          # ceiling division
        print(f"global batch     = {batch.value} x {nproc.value} = {global_batch} sequences per step")
        print(f"tokens per step  = {global_batch} x block_size {block_size} = {tokens:,}")
        print(f"steps per pass over the {corpus_tokens:,} training tokens = {steps:,}")
        if nproc.value in measured:
            seconds = corpus_tokens / measured[nproc.value]
            print(f"time per pass at the {measured[nproc.value]:,.0f} tokens/s measured here "
                  f"with {nproc.value} process(es): {seconds / 60:.1f} min")
        else:
            print(f"time per pass: not measured here ({nproc.value} processes need at least "
                  f"{nproc.value} cores or GPUs)")

    redraw_on_change([nproc, batch], out, draw)
    return widgets.VBox([widgets.HBox([nproc, batch]), out])
