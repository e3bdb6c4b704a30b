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
