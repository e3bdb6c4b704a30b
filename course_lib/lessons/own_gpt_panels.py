"""Lesson 11's panels: the training panel (text and size, Train and Stop, a progress bar, a
live loss curve) and the generation panel (prompt, temperature, top-k; for addition, a table
of held-out sums). They are ipywidgets around the functions of own_gpt.py, which holds the
lesson's library (tasks, sizes, training, accuracy, saving) and imports no widgets.

    panel = training_panel("addition", "small")   # display(panel.widget); panel.result
    generation_panel(panel.result)
"""

from __future__ import annotations

import functools
import io
import threading
import time

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython.display import HTML, display

from ..core.defaults import SEED, TRAIN_FRACTION
from ..core.sampling import generate_text
from ..core.training import TrainHistory
from .experiments import one_thread
from .own_gpt import (ANSWER_DIGITS, SIZES, OwnModel, Task, addition_accuracy, addition_line,
                      addition_table_html, get_size, load_task, size_costs, task_from_path,
                      task_from_upload, train_task, validate_text_fits)
from .plots import plot_live_loss
from .widgets import redraw_on_change


TOKENIZER_CHOICES = (("characters", "char"), ("BPE tokens", "bpe"))
BPE_VOCAB_SIZE = 512                     # the panel's first BPE vocabulary size

TASK_CHOICES = (("addition, answers as written", "addition"),
                ("addition, answers reversed", "addition-reversed"),
                ("Python code (standard library)", "python"),
                ("Shakespeare", "shakespeare"),
                ("my own file (upload it or give a path)", "file"))


def _choose_task(choice: str, upload=None, path: str = "") -> Task:
    if choice == "addition":
        return _cached_task("addition", False)
    if choice == "addition-reversed":
        return _cached_task("addition", True)
    if choice in ("python", "shakespeare"):
        return _cached_task(choice, False)
    if choice == "file":
        if path and path.strip():
            return task_from_path(path)
        return task_from_upload(upload)
    raise ValueError(f"unknown task choice {choice!r}")


@functools.lru_cache(maxsize=8)
def _cached_task(name: str, reverse: bool) -> Task:
    return load_task(name, reverse=reverse)


def describe_task(task: Task, size) -> str:
    """A few lines on the text and on the chosen size's cost for it."""
    s = get_size(size)
    vocab = len(set(task.text))
    cost = size_costs(vocab, [size])[0]
    shown = "".join(sorted(set(task.text)))[:60].replace("\n", "\\n")
    return (f"{task.source}\n{len(task.text):,} characters, vocabulary {vocab} characters: "
            f"{shown!s}{' ...' if vocab > 60 else ''}\n"
            f"size {size!r}: n_layer={s.n_layer}, n_embd={s.n_embd}, n_head={s.n_head}, "
            f"block_size={s.block_size}, batch {s.batch_size}, {s.max_iters:,} steps: "
            f"{cost['params']:,} parameters, {cost['train_bytes'] / 1e6:,.1f} MB for weights "
            f"and AdamW state")


class TrainingPanel:
    """The training panel: task, size, tokenizer and dropout; Train and Stop buttons, progress,
    live train and val curves.

    `panel.widget` is what to display; `panel.result` is the OwnModel of the last training
    (None before any). Training runs in a background thread, so the Stop button is handled
    while it trains: Stop sets a flag that the training callback returns, and train() then
    ends cleanly after the step, keeps the weights and makes its final loss estimate.
    """

    REDRAW_S = 0.5                       # the live curve is drawn at most twice a second

    def __init__(self, task: str = "addition", size: str = "tiny", max_iters: int | None = None,
                 floor: float | None = None):
        self.result: OwnModel | None = None
        self.max_iters = max_iters
        self.floor = floor
        self._stop = threading.Event()
        self.thread: threading.Thread | None = None
        self.task_box = widgets.Dropdown(options=TASK_CHOICES, value=task, description="text")
        self.task_box.add_class("course-task-select")
        self.size_box = widgets.Dropdown(options=list(SIZES), value=size, description="size")
        self.size_box.add_class("course-size-select")
        self.tokenizer_box = widgets.Dropdown(options=TOKENIZER_CHOICES, value="char",
                                              description="tokens")
        self.tokenizer_box.add_class("course-tokenizer-select")
        self.vocab_box = widgets.BoundedIntText(value=BPE_VOCAB_SIZE, min=257, max=4096,
                                                step=64, description="BPE vocab", disabled=True)
        self.dropout_box = widgets.FloatSlider(value=0.0, min=0.0, max=0.5, step=0.05,
                                               description="dropout", readout_format=".2f",
                                               continuous_update=False)
        self.upload = widgets.FileUpload(accept=".txt,.py,.md,text/*", multiple=False,
                                         description="upload")
        self.path_box = widgets.Text(value="", placeholder="or a path, e.g. ../data/shakespeare.txt",
                                     description="path", continuous_update=False)
        self.info = widgets.Output()
        self.train_button = widgets.Button(description="Train", icon="play",
                                           tooltip="train a new model of this size on this text")
        self.train_button.add_class("course-train-button")
        self.train_button.add_class("course-trains")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True,
                                          tooltip="stop after this step and keep the model")
        self.stop_button.add_class("course-stop-button")
        self.bar = widgets.IntProgress(value=0, min=0, max=1, description="steps")
        self.status = widgets.Label("Choose a text and a size, then press Train.")
        self.status.add_class("course-train-status")
        self.curve = widgets.Image(format="png", layout=widgets.Layout(width="640px"))
        self.curve.add_class("course-no-redraw")

        def path_typed(change):          # a path typed in means: train on that file
            if change["new"].strip():
                self.task_box.value = "file"
        self.path_box.observe(path_typed, names="value")

        def tokenizer_chosen(change):    # the vocabulary size is BPE's only
            self.vocab_box.disabled = change["new"] != "bpe"
        self.tokenizer_box.observe(tokenizer_chosen, names="value")
        redraw_on_change([self.task_box, self.size_box, self.path_box, self.upload,
                          self.tokenizer_box, self.vocab_box, self.dropout_box], self.info,
                         self._describe)
        self._draw([], [])                # empty axes until training starts: never a blank image
        self.train_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.widget = widgets.VBox([
            widgets.HBox([self.task_box, self.size_box]),
            widgets.HBox([self.tokenizer_box, self.vocab_box, self.dropout_box]),
            widgets.HBox([self.upload, self.path_box]), self.info,
            widgets.HBox([self.train_button, self.stop_button, self.bar]), self.status,
            self.curve])

    def _settings(self):
        return (self.train_button, self.task_box, self.size_box, self.tokenizer_box,
                self.vocab_box, self.dropout_box)

    def _describe(self):
        try:
            task = _choose_task(self.task_box.value, self.upload, self.path_box.value)
        except (ValueError, OSError) as err:
            print(f"This text cannot be used yet: {err}")
            return
        print(describe_task(task, self.size_box.value))
        tokens = ("characters: one token per character" if self.tokenizer_box.value == "char"
                  else f"BPE tokens: {self.vocab_box.value:,} tokens learned from the first "
                       f"{TRAIN_FRACTION:.0%} of the text (the loss is then per token, not "
                       f"per character)")
        print(f"tokens: {tokens}; dropout {self.dropout_box.value:.2f} (the fraction of "
              f"activations zeroed at each training step; 0 turns it off)")

    def stop(self) -> None:
        """Ask the training to stop after its current step (the model is kept)."""
        self._stop.set()
        self.status.value = "stopping after this step..."

    def start(self) -> threading.Thread | None:
        """Start training in a background thread; returns the thread (None if it cannot)."""
        if self.thread is not None and self.thread.is_alive():
            return self.thread
        try:
            task = _choose_task(self.task_box.value, self.upload, self.path_box.value)
            s = get_size(self.size_box.value)
            validate_text_fits(task.text, s.block_size, s.batch_size)
        except (ValueError, OSError) as err:
            self.status.value = f"Cannot train: {err}"
            return None
        self._stop.clear()
        self.thread = threading.Thread(target=self._run, args=(task, self.size_box.value),
                                       daemon=True)
        for w in self._settings():
            w.disabled = True
        self.stop_button.disabled = False
        self.thread.start()
        return self.thread

    def _run(self, task: Task, size: str) -> None:
        s = get_size(size)
        iters = self.max_iters or s.max_iters
        bpe = self.tokenizer_box.value == "bpe"
        # the floor is addition's, in nats per character: BPE's loss is per token
        self._floor_now = self.floor if task.is_addition and not bpe else None
        self.bar.max, self.bar.value = iters, 0
        self.status.value = (f"learning {self.vocab_box.value:,} BPE tokens from the text, then "
                             f"{iters:,} steps" if bpe else f"training: step 0 of {iters:,}")
        steps, losses, last = [], [], [0.0]
        history = TrainHistory()         # train() fills it: the val estimates drawn live
        start = time.perf_counter()

        def callback(step, loss):
            steps.append(step)
            losses.append(loss)
            now = time.perf_counter() - start
            if now - last[0] >= self.REDRAW_S:
                last[0] = now
                self.bar.value = step
                self.status.value = (f"training: step {step:,} of {iters:,}, minibatch loss "
                                     f"{loss:.3f}, {now:.0f} s")
                self._draw(steps, losses, history)
            return self._stop.is_set()

        try:
            with one_thread():           # small tensors: one thread waits for no other
                own = train_task(task, size, max_iters=iters, callback=callback, eval_iters=5,
                                 tokenizer="bpe" if bpe else "char",
                                 vocab_size=self.vocab_box.value if bpe else None,
                                 dropout=self.dropout_box.value, history=history)
            self.result = own
            self.bar.value = own.history.steps[-1] if own.history.steps else 0
            self._draw(steps, losses, own.history)
            how = ("stopped by the Stop button" if own.history.stopped == "callback"
                   else "finished")
            val = own.history.final().get("val")
            unit = "token" if bpe else "character"
            self.status.value = (f"{how} at step {self.bar.value:,}: kept the model "
                                 f"(panel.result), val loss {val:.3f} nats per {unit} "
                                 f"({own.bits_per_char():.2f} bits per character), "
                                 f"{own.history.seconds:.1f} s")
        except Exception as err:  # noqa: BLE001 - shown to the learner, the panel stays usable
            self.status.value = f"training failed: {type(err).__name__}: {err}"
        finally:
            for w in self._settings():
                w.disabled = False
            self.vocab_box.disabled = self.tokenizer_box.value != "bpe"
            self.stop_button.disabled = True

    def _draw(self, steps, losses, history: TrainHistory | None = None) -> None:
        n = len(history.eval_val) if history is not None else 0   # both lists grow in train()
        fig = plot_live_loss(steps, losses, floor=getattr(self, "_floor_now", self.floor),
                             val_steps=history.eval_steps[:n] if n else (),
                             val_losses=history.eval_val[:n] if n else ())
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=72)
        plt.close(fig)
        self.curve.value = buf.getvalue()


def training_panel(task: str = "addition", size: str = "tiny", max_iters: int | None = None,
                   floor: float | None = None) -> TrainingPanel:
    """A TrainingPanel (display `panel.widget`; the trained model is `panel.result`)."""
    if task not in dict((v, k) for k, v in TASK_CHOICES):
        raise ValueError(f"unknown task {task!r}; choose one of {[v for _, v in TASK_CHOICES]}")
    get_size(size)
    return TrainingPanel(task, size, max_iters, floor)


def generation_panel(own: OwnModel, length: int = 120, seed: int = SEED):
    """Generate from `own` with a prompt, temperature and top-k; for addition also the
    held-out sums answered with the same settings (right and wrong) and the accuracy.

    Nothing trains. A setting seen before is shown from memory without running the model.
    """
    if not isinstance(own, OwnModel):
        raise TypeError(f"generation_panel needs an OwnModel (what train_task or load_model "
                        f"returns), got {type(own).__name__}")
    task, tok = own.task, own.tokenizer
    default = (addition_line(*task.held_out[0], task.reverse)[:-ANSWER_DIGITS]
               if task.is_addition and task.held_out else task.text[:20].split("\n")[0] or "\n")
    prompt = widgets.Text(value=default, description="prompt", continuous_update=False)
    temperature = widgets.FloatSlider(value=1.0, min=0.1, max=2.0, step=0.1,
                                      description="temperature", readout_format=".1f",
                                      continuous_update=False)
    top_k = widgets.IntSlider(value=0, min=0, max=tok.vocab_size, description="top_k",
                              continuous_update=False)
    out = widgets.Output()
    memory: dict[tuple, tuple] = {}

    def draw():
        k = top_k.value or None
        key = (prompt.value, round(temperature.value, 3), k)
        unknown = sorted(set(prompt.value) - set(tok.chars))
        pool = "every character" if k is None else f"the {k} most likely characters"
        print(f"temperature {temperature.value:.1f}, sampling from {pool}:")
        if not prompt.value or unknown:
            print(f"The prompt must be made of characters the model knows; "
                  f"{'it is empty' if not prompt.value else f'it holds {unknown[:5]}'}. This "
                  f"model knows {tok.vocab_size} characters: "
                  f"{''.join(tok.chars)[:60]!r}")
            return
        if key not in memory:
            with one_thread():
                text = generate_text(own.model, tok, "\n" + prompt.value
                                     if task.is_addition else prompt.value, length,
                                     temperature=temperature.value, top_k=k, seed=seed)
                table = (addition_accuracy(own.model, tok, task.held_out, task.reverse,
                                           temperature.value, k, seed)
                         if task.is_addition else None)
            memory[key] = (text.lstrip("\n") if task.is_addition else text, table)
        text, table = memory[key]
        print(text)
        if table is not None:
            display(HTML(addition_table_html(table)))

    redraw_on_change([prompt, temperature, top_k], out, draw)
    note = widgets.HTML("<small>top_k = 0 means no top-k filter.</small>")
    return widgets.VBox([prompt, widgets.HBox([temperature, top_k, note]), out])
