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
    import torch

    from .plots import plot_next_token_distribution
    from .sampling import next_token_probs

    if not contexts or not all(isinstance(c, str) and c for c in contexts):
        raise ValueError("contexts must be a non-empty list of non-empty strings, for example "
                         "['ROMEO:\\nO', 'To be, or not to b']")
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
                                        for t in contexts], description="context",
                               layout=widgets.Layout(width="420px"))
    temperature = widgets.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.05,
                                      description="temperature", readout_format=".2f",
                                      continuous_update=False)
    out = widgets.Output()

    def draw():
        T = temperature.value
        probs = next_token_probs(logits[context.value][None], temperature=T)[0]   # (V,)
        g = torch.Generator().manual_seed(seed)
        samples = torch.multinomial(probs, n_samples, replacement=True, generator=g)
        entropy = -(probs * probs.clamp_min(1e-30).log()).sum()
        best = int(probs.argmax())
        print(f"temperature {T:.2f}: most likely {show_char(chars[best])!r} with p = "
              f"{probs[best]:.3f}; entropy {entropy:.3f} nats")
        print(f"{n_samples} samples of the next character: "
              + "".join(show_char(chars[i]) for i in samples.tolist()))
        return plot_next_token_distribution(
            probs, chars, top, title=f"After '...{_label(context.value[-20:])}' at T = {T:.2f}",
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
    import torch

    from .plots import plot_attention_weights

    if isinstance(max_head_size, bool) or not isinstance(max_head_size, int) or max_head_size < 1:
        raise ValueError(f"max_head_size must be a positive integer, got {max_head_size!r}")
    if isinstance(T, bool) or not isinstance(T, int) or not 2 <= T <= 32:
        raise ValueError(f"T must be an integer from 2 to 32 (the heatmap shows T x T), got {T!r}")
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(batch, T, max_head_size, generator=g)       # (B, T, hs_max), unit variance
    k = torch.randn(batch, T, max_head_size, generator=g)
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    sizes = [2 ** i for i in range(max_head_size.bit_length()) if 2 ** i <= max_head_size]
    head_size = widgets.SelectionSlider(options=sizes, value=min(16, sizes[-1]),
                                        description="head_size", continuous_update=False)
    scaled = widgets.Checkbox(value=True, description="scale by 1/sqrt(head_size)")
    out = widgets.Output()

    def draw():
        hs = head_size.value
        scores = q[:, :, :hs] @ k[:, :, :hs].transpose(-2, -1)  # (B, T, hs) @ (B, hs, T) -> (B, T, T)
        if scaled.value:
            scores = scores * hs ** -0.5
        wei = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)   # (B, T, T)
        top = wei[:, 1:].max(dim=-1).values.mean()   # row 0 has one position: its max is 1 anyway
        print(f"head_size {hs}, {'scaled' if scaled.value else 'not scaled'}: variance of the "
              f"scores {scores.var():.3f}")
        print(f"average largest weight in rows 1 to {T - 1}: {top:.3f}  (1.000 = one-hot)")
        state = "scaled" if scaled.value else "NOT scaled"
        return plot_attention_weights(wei[0], title=f"head_size = {hs}, {state}", annotate=True,
                                      figsize=(5.5, 4.4))

    redraw_on_change([head_size, scaled], out, draw)
    return widgets.VBox([widgets.HBox([head_size, scaled]), out])


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
