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
from ..i18n import _, current_language
from .experiments import one_thread
from .own_gpt import (ANSWER_DIGITS, SIZES, OwnModel, Task, addition_accuracy, addition_line,
                      addition_table_html, get_size, load_task, size_costs, task_from_path,
                      task_from_upload, train_task, validate_text_fits)
from .plots import plot_live_loss
from .widgets import redraw_on_change


BPE_VOCAB_SIZE = 512                     # the panel's first BPE vocabulary size
TASK_NAMES = ("addition", "addition-reversed", "python", "shakespeare", "file")


def tokenizer_choices() -> list[tuple[str, str]]:
    """The tokenizer dropdown's (label, value) pairs, labelled in the learner's language."""
    return [(_("characters"), "char"), (_("BPE tokens"), "bpe")]


def task_choices() -> list[tuple[str, str]]:
    """The text dropdown's (label, value) pairs (values: TASK_NAMES), labelled in the
    learner's language when the panel is made."""
    return [(_("addition, answers as written"), "addition"),
            (_("addition, answers reversed"), "addition-reversed"),
            (_("Python code (standard library)"), "python"),
            ("Shakespeare", "shakespeare"),
            (_("my own file (upload it or give a path)"), "file")]


def _choose_task(choice: str, upload=None, path: str = "") -> Task:
    if choice == "addition":
        return _cached_task("addition", False, current_language())
    if choice == "addition-reversed":
        return _cached_task("addition", True, current_language())
    if choice in ("python", "shakespeare"):
        return _cached_task(choice, False, current_language())
    if choice == "file":
        if path and path.strip():
            return task_from_path(path)
        return task_from_upload(upload)
    raise ValueError(_("unknown task choice {choice!r}").format(choice=choice))


@functools.lru_cache(maxsize=8)
def _cached_task(name: str, reverse: bool, lang: str) -> Task:
    """A built-in task, made once per language (its source line is in the learner's)."""
    return load_task(name, reverse=reverse)


def describe_task(task: Task, size) -> str:
    """A few lines on the text and on the chosen size's cost for it."""
    s = get_size(size)
    vocab = len(set(task.text))
    cost = size_costs(vocab, [size])[0]
    shown = "".join(sorted(set(task.text)))[:60].replace("\n", "\\n")
    return (f"{task.source}\n"
            + _("{n:,} characters, vocabulary {vocab} characters: {shown}").format(
                n=len(task.text), vocab=vocab, shown=shown)
            + f"{' ...' if vocab > 60 else ''}\n"
            + _("size {size!r}: n_layer={n_layer}, n_embd={n_embd}, n_head={n_head}, "
                "block_size={block_size}, batch {batch}, {steps:,} steps: {params:,} parameters, "
                "{mb:,.1f} MB for weights and AdamW state").format(
                size=size, n_layer=s.n_layer, n_embd=s.n_embd, n_head=s.n_head,
                block_size=s.block_size, batch=s.batch_size, steps=s.max_iters,
                params=cost["params"], mb=cost["train_bytes"] / 1e6))


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
        self.task_box = widgets.Dropdown(options=task_choices(), value=task,
                                         description=_("text"))
        self.task_box.add_class("course-task-select")
        self.size_box = widgets.Dropdown(options=list(SIZES), value=size,
                                         description=_("size"))
        self.size_box.add_class("course-size-select")
        self.tokenizer_box = widgets.Dropdown(options=tokenizer_choices(),
                                              value="char", description=_("tokens"))
        self.tokenizer_box.add_class("course-tokenizer-select")
        self.vocab_box = widgets.BoundedIntText(value=BPE_VOCAB_SIZE, min=257, max=4096,
                                                step=64, description=_("BPE vocab"),
                                                disabled=True)
        self.dropout_box = widgets.FloatSlider(value=0.0, min=0.0, max=0.5, step=0.05,
                                               description="dropout", readout_format=".2f",
                                               continuous_update=False)
        self.upload = widgets.FileUpload(accept=".txt,.py,.md,text/*", multiple=False,
                                         description=_("upload"))
        self.path_box = widgets.Text(value="",
                                     placeholder=_("or a path, e.g. ../data/shakespeare.txt"),
                                     description=_("path"), continuous_update=False)
        self.info = widgets.Output()
        self.train_button = widgets.Button(description=_("Train"), icon="play",
                                           tooltip=_("train a new model of this size on this "
                                                     "text"))
        self.train_button.add_class("course-train-button")
        self.train_button.add_class("course-trains")
        self.stop_button = widgets.Button(description=_("Stop"), icon="stop", disabled=True,
                                          tooltip=_("stop after this step and keep the model"))
        self.stop_button.add_class("course-stop-button")
        self.bar = widgets.IntProgress(value=0, min=0, max=1, description=_("steps"))
        self.status = widgets.Label(_("Choose a text and a size, then press Train."))
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
        self.train_button.on_click(lambda _button: self.start())
        self.stop_button.on_click(lambda _button: self.stop())
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
            print(_("This text cannot be used yet: {error}").format(error=err))
            return
        print(describe_task(task, self.size_box.value))
        tokens = (_("characters: one token per character") if self.tokenizer_box.value == "char"
                  else _("BPE tokens: {n:,} tokens learned from the first {fraction:.0%} of the "
                         "text (the loss is then per token, not per character)").format(
                      n=self.vocab_box.value, fraction=TRAIN_FRACTION))
        print(_("tokens: {tokens}; dropout {dropout:.2f} (the fraction of activations zeroed at "
                "each training step; 0 turns it off)").format(
            tokens=tokens, dropout=self.dropout_box.value))

    def stop(self) -> None:
        """Ask the training to stop after its current step (the model is kept)."""
        self._stop.set()
        self.status.value = _("stopping after this step...")

    def start(self) -> threading.Thread | None:
        """Start training in a background thread; returns the thread (None if it cannot)."""
        if self.thread is not None and self.thread.is_alive():
            return self.thread
        try:
            task = _choose_task(self.task_box.value, self.upload, self.path_box.value)
            s = get_size(self.size_box.value)
            validate_text_fits(task.text, s.block_size, s.batch_size)
        except (ValueError, OSError) as err:
            self.status.value = _("Cannot train: {error}").format(error=err)
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
        self.status.value = (_("learning {n:,} BPE tokens from the text, then {iters:,} steps")
                             .format(n=self.vocab_box.value, iters=iters) if bpe
                             else _("training: step 0 of {iters:,}").format(iters=iters))
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
                self.status.value = _("training: step {step:,} of {iters:,}, minibatch loss "
                                      "{loss:.3f}, {seconds:.0f} s").format(
                    step=step, iters=iters, loss=loss, seconds=now)
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
            stopped = own.history.stopped == "callback"
            val = own.history.final().get("val")
            template = {
                (True, True): _("stopped by the Stop button at step {step:,}: kept the model "
                                "(panel.result), val loss {val:.3f} nats per token ({bits:.2f} "
                                "bits per character), {seconds:.1f} s"),
                (True, False): _("stopped by the Stop button at step {step:,}: kept the model "
                                 "(panel.result), val loss {val:.3f} nats per character "
                                 "({bits:.2f} bits per character), {seconds:.1f} s"),
                (False, True): _("finished at step {step:,}: kept the model (panel.result), "
                                 "val loss {val:.3f} nats per token ({bits:.2f} bits per "
                                 "character), {seconds:.1f} s"),
                (False, False): _("finished at step {step:,}: kept the model (panel.result), "
                                  "val loss {val:.3f} nats per character ({bits:.2f} bits per "
                                  "character), {seconds:.1f} s")}[(stopped, bpe)]
            self.status.value = template.format(step=self.bar.value, val=val,
                                                bits=own.bits_per_char(),
                                                seconds=own.history.seconds)
        except Exception as err:  # noqa: BLE001 - shown to the learner, the panel stays usable
            self.status.value = _("training failed: {kind}: {error}").format(
                kind=type(err).__name__, error=err)
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
    if task not in TASK_NAMES:
        raise ValueError(_("unknown task {task!r}; choose one of {names}").format(
            task=task, names=list(TASK_NAMES)))
    get_size(size)
    return TrainingPanel(task, size, max_iters, floor)


def generation_panel(own: OwnModel, length: int = 120, seed: int = SEED):
    """Generate from `own` with a prompt, temperature and top-k; for addition also the
    held-out sums answered with the same settings (right and wrong) and the accuracy.

    Nothing trains. A setting seen before is shown from memory without running the model.
    """
    if not isinstance(own, OwnModel):
        raise TypeError(_("generation_panel needs an OwnModel (what train_task or load_model "
                          "returns), got {kind}").format(kind=type(own).__name__))
    task, tok = own.task, own.tokenizer
    default = (addition_line(*task.held_out[0], task.reverse)[:-ANSWER_DIGITS]
               if task.is_addition and task.held_out else task.text[:20].split("\n")[0] or "\n")
    prompt = widgets.Text(value=default, description="prompt", continuous_update=False)
    temperature = widgets.FloatSlider(value=1.0, min=0.1, max=2.0, step=0.1,
                                      description=_("temperature"), readout_format=".1f",
                                      continuous_update=False)
    top_k = widgets.IntSlider(value=0, min=0, max=tok.vocab_size, description="top_k",
                              continuous_update=False)
    out = widgets.Output()
    memory: dict[tuple, tuple] = {}

    def draw():
        k = top_k.value or None
        key = (prompt.value, round(temperature.value, 3), k)
        unknown = sorted(set(prompt.value) - set(tok.chars))
        pool = (_("every character") if k is None
                else _("the {k} most likely characters").format(k=k))
        print(_("temperature {T:.1f}, sampling from {pool}:").format(T=temperature.value,
                                                                    pool=pool))
        if not prompt.value or unknown:
            template = (_("The prompt must be made of characters the model knows; it is empty. "
                          "This model knows {n} characters: {chars!r}") if not prompt.value else
                        _("The prompt must be made of characters the model knows; it holds "
                          "{unknown}. This model knows {n} characters: {chars!r}"))
            print(template.format(unknown=unknown[:5], n=tok.vocab_size,
                                  chars="".join(tok.chars)[:60]))
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
    note = widgets.HTML(_("<small>top_k = 0 means no top-k filter.</small>"))
    return widgets.VBox([prompt, widgets.HBox([temperature, top_k, note]), out])
