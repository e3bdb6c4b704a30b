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


# ----------------------------------------------------------------------------- lesson 08

DEFAULT_PROMPTS = ("\n", "Ham.\n", "OTHELLO.\n", "To be, or not to be", "[Enter ")


def generation_explorer(model, tokenizer, prompts=DEFAULT_PROMPTS, max_new_tokens: int = 80,
                        seed: int = 1337):
    """Generate text from `model` with sliders for temperature, top-k, length and the seed.

    The same settings give the same text (the seed fixes the random draws). Each redraw
    generates the text again, so its time grows with the length; it is printed.
    """
    import time

    from .model import LanguageModel
    from .sampling import generate_text

    if not isinstance(model, LanguageModel):
        raise TypeError(f"model must be a course_lib language model, got {type(model).__name__}; "
                        f"load one with load_checkpoint(...)")
    prompts = list(prompts) if not isinstance(prompts, str) else [prompts]
    if not prompts or any(not isinstance(p, str) or not p for p in prompts):
        raise ValueError("prompts must be a non-empty list of non-empty strings, for example "
                         "['\\n', 'Ham.\\n']")
    for p in prompts:
        tokenizer.encode(p)                  # names a character the model does not know
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) \
            or not 1 <= max_new_tokens <= 1000:
        raise ValueError(f"max_new_tokens must be an integer from 1 to 1000, got "
                         f"{max_new_tokens!r}")
    vocab = tokenizer.vocab_size
    prompt = widgets.Dropdown(options=[("".join(show_char(c) for c in p), p) for p in prompts],
                              value=prompts[0], description="prompt")
    temperature = widgets.FloatSlider(value=1.0, min=0.1, max=2.0, step=0.1,
                                      description="temperature", readout_format=".1f",
                                      continuous_update=False)
    top_k = widgets.IntSlider(value=0, min=0, max=vocab, description="top_k",
                              continuous_update=False)
    length = widgets.IntSlider(value=max_new_tokens, min=1, max=max(300, max_new_tokens),
                               description="characters", continuous_update=False)
    seed_box = widgets.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed")
    out = widgets.Output()

    def draw():
        k = top_k.value or None              # 0 on the slider means: no top-k filter
        start = time.perf_counter()
        text = generate_text(model, tokenizer, prompt.value, length.value,
                             temperature=temperature.value, top_k=k, seed=seed_box.value)
        took = time.perf_counter() - start
        pool = f"all {vocab} characters" if k is None else f"the {k} most likely character(s)"
        print(f"temperature {temperature.value:.1f}, sampling from {pool}, seed {seed_box.value}:"
              f" {length.value} new characters in {took:.2f} s")
        print("-" * 72)
        print(text)

    controls = [prompt, temperature, top_k, length, seed_box]
    redraw_on_change(controls, out, draw)
    note = widgets.HTML("<small>top_k = 0 means no top-k filter: every character can be "
                        "drawn.</small>")
    return widgets.VBox([widgets.HBox([prompt, seed_box]), widgets.HBox([temperature, top_k]),
                         widgets.HBox([length, note]), out])


def n_embd_explorer(sweep: dict, corpus, train_seconds: float = 10.0):
    """Pick an n_embd of the precomputed sweep and see its cost and loss; a button retrains it.

    Moving the slider only reads the sweep (fast). The button trains a new model of the
    chosen size for `train_seconds` seconds (at most 15), with a progress bar, and compares
    its val loss with the sweep's run of that size. To keep the time for training, its loss
    estimates use 5 batches (the sweep's use more), so they are a little noisier.
    """
    import time

    from .plots import plot_sweep_curves
    from .sweep import check_sweep, sweep_result, train_sweep_size

    check_sweep(sweep)
    if isinstance(train_seconds, bool) or not isinstance(train_seconds, (int, float)) \
            or not 0 < train_seconds <= 15:
        raise ValueError(f"train_seconds must be a number in (0, 15], got {train_seconds!r}: a "
                         f"widget that trains should finish within 15 s")
    results = sorted(sweep["results"], key=lambda r: r["n_embd"])
    sizes = [r["n_embd"] for r in results]
    total_steps = sweep["training"].get("max_iters", "?")
    size = widgets.SelectionSlider(options=sizes, value=sizes[len(sizes) // 2],
                                   description="n_embd", continuous_update=False)
    out = widgets.Output()

    def draw():
        r = sweep_result(sweep, size.value)
        share = 100 * r["embedding_params"] / r["params"]
        print(f"n_embd={r['n_embd']}: {r['params']:,} parameters, of which the token embedding "
              f"holds {r['embedding_params']:,} ({share:.1f}%)")
        print(f"after {total_steps} steps: train loss {r['train_loss']:.4f}, val loss "
              f"{r['val_loss']:.4f}; {r['seconds']:.1f} s at {r['tokens_per_second']:,} tokens/s")
        return plot_sweep_curves(results, highlight=r["n_embd"])

    redraw_on_change([size], out, draw)

    button = widgets.Button(description="", icon="play", layout=widgets.Layout(width="auto"),
                            tooltip="trains a new model of this size (a few seconds)")
    button.add_class("course-trains")     # the browser test allows it the training budget
    bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="training")
    status = widgets.Label("")
    train_out = widgets.Output()

    def label(change=None):
        button.description = f"train n_embd={size.value} for {train_seconds:g} s (trains)"

    size.observe(label, names="value")
    label()

    def on_click(_):
        button.disabled = True
        n = size.value
        start = time.perf_counter()
        last = [0.0]

        def progress(step, loss):
            now = time.perf_counter() - start
            if now - last[0] > 0.2:          # a few updates per second are enough
                last[0] = now
                bar.value = min(1.0, now / train_seconds)
                status.value = f"step {step}, minibatch loss {loss:.3f}"

        def report():
            _, h = train_sweep_size(sweep, corpus, n, max_seconds=train_seconds, eval_iters=5,
                                    progress=False, callback=progress)
            r = sweep_result(sweep, n)
            step = h.steps[-1]
            near = max(s for s in r["eval_steps"] if s <= step)
            at = r["eval_val"][r["eval_steps"].index(near)]
            print(f"n_embd={n}: {step} steps in {h.seconds:.1f} s "
                  f"({h.tokens_per_second:,.0f} tokens/s), val loss {h.final()['val']:.4f} "
                  f"(estimated on 5 batches)")
            print(f"the sweep's run of this size had val loss {at:.4f} at step {near}, and "
                  f"{r['val_loss']:.4f} after all {total_steps} steps")

        try:
            bar.value, status.value = 0.0, "training..."
            _redraw(train_out, report)
            bar.value, status.value = 1.0, "done"
        finally:
            button.disabled = False

    button.on_click(on_click)
    return widgets.VBox([size, out, widgets.HBox([button, bar, status]), train_out])


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
