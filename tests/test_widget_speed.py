"""Every widget of the course redraws from data at hand when a control changes.

Each widget is built as its lesson builds it: from the shipped corpus, the shipped course
checkpoint and the shipped measurements (data/). Then every control of the widget (every
slider, dropdown, checkbox and text box found in it) is changed three times, and each
change must

- show something new in the widget's output, without an error;
- train nothing (no backward pass, no optimiser step);
- run no model (no module's forward: no generation, no new attention maps), except where
  the widget generates on purpose (lesson 08: a new setting; a setting seen before, or a
  shorter length, is taken from what was generated);
- make at most one new figure, and none for the widgets that lay out their figure once and
  only change its data (lessons 05, 06, 07).

These are what make a redraw fast on any machine, so the test asserts them instead of a
time: a wall-clock budget fails on a busy machine (the medians are printed as information,
see `pytest -s`). Buttons that train on purpose (lesson 08's "train it" button) are not
value controls, so they are not changed here; the browser test clicks them.
"""

import contextlib
import json
import statistics
import time

import ipywidgets as widgets
import matplotlib.figure
import pytest
import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook
import torch.nn.functional as F

from course_lib import DATA_DIR, load_checkpoint
from course_lib.lessons import widgets as course_widgets
from course_lib.lessons.bigram import bigram_counts

CHECKPOINT = DATA_DIR / "checkpoints" / "gpt"


pytestmark = [pytest.mark.usefixtures("close_figures", "ipython_shell"),   # both in conftest.py
              pytest.mark.slow]


@pytest.fixture(scope="module")
def course_model():
    return load_checkpoint(CHECKPOINT)


def read_json(name):
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def controls_of(widget):
    """Every value control inside `widget` (depth first), without outputs and plain text."""
    found = []
    if isinstance(widget, widgets.ValueWidget) and not isinstance(
            widget, (widgets.HTML, widgets.HTMLMath, widgets.Label, widgets.Valid,
                     widgets.FloatProgress, widgets.IntProgress)) \
            and not getattr(widget, "disabled", False):
        found.append(widget)
    for child in getattr(widget, "children", ()):
        found.extend(controls_of(child))
    return found


def changes(control):
    """Three changes of `control` (trait name, value), each different from the one before."""
    if isinstance(control, (widgets.Checkbox, widgets.ToggleButton)):
        values = [not control.value, control.value, not control.value]
        return [("value", v) for v in values]
    if hasattr(control, "options") and hasattr(control, "index"):
        n, i = len(control.options), control.index
        return [("index", j) for j in ((i + 1) % n, i, (i + 1) % n)]
    if isinstance(control, widgets.FloatLogSlider):
        low, high = control.base ** control.min, control.base ** control.max
        return [("value", v) for v in (high, low, high)]
    if hasattr(control, "min") and hasattr(control, "max"):
        other = control.max if control.value != control.max else control.min
        return [("value", v) for v in (other, control.value, other)]
    if isinstance(control, (widgets.Text, widgets.Textarea)):
        return [("value", v) for v in (control.value + " the", control.value,
                                        control.value + " the")]
    raise AssertionError(f"no way to change a {type(control).__name__}: add it to changes()")


class Work:
    """What happened while it was watched: module forwards, backward passes, optimiser
    steps and new matplotlib figures, each counted."""

    def __init__(self):
        self.forwards = self.backwards = self.steps = self.figures = 0

    def __repr__(self):
        return (f"{self.forwards} forward(s), {self.backwards} backward(s), {self.steps} "
                f"optimiser step(s), {self.figures} new figure(s)")


@contextlib.contextmanager
def watch():
    """Count the work done inside the block (see Work)."""
    work = Work()

    def count(name):
        setattr(work, name, getattr(work, name) + 1)

    hooks = [torch.nn.modules.module.register_module_forward_hook(
                 lambda *a: count("forwards")),
             register_optimizer_step_pre_hook(
                 lambda *a: count("steps"))]
    backward, init = torch.autograd.backward, matplotlib.figure.Figure.__init__

    def counting_backward(*args, **kwargs):
        count("backwards")
        return backward(*args, **kwargs)

    def counting_init(self, *args, **kwargs):
        count("figures")
        return init(self, *args, **kwargs)

    torch.autograd.backward, matplotlib.figure.Figure.__init__ = counting_backward, counting_init
    try:
        yield work
    finally:
        torch.autograd.backward, matplotlib.figure.Figure.__init__ = backward, init
        for h in hooks:
            h.remove()


def assert_every_control_redraws_from_data(box, leave_out=(), generates=(), figures=1):
    """Change every control of `box` three times (see the module docstring). Controls in
    `generates` may run the model on their first change only: the second and third bring
    back settings the widget has already generated. `figures` is the most new figures one
    redraw may make (0: the widget reuses its figure)."""
    out = next(w for w in _walk(box) if isinstance(w, widgets.Output))
    controls = [c for c in controls_of(box) if all(c is not o for o in leave_out)]
    assert controls, "the widget has no controls"
    problems, medians = [], []
    for control in controls:
        name = control.description or type(control).__name__
        times = []
        for i, (trait, value) in enumerate(changes(control)):
            before = out.outputs
            with watch() as work:
                start = time.perf_counter()
                setattr(control, trait, value)
                times.append(time.perf_counter() - start)
            errors = [o for o in out.outputs if o["output_type"] == "error"]
            assert not errors, f"{name}: {errors}"
            may_generate = i == 0 and any(control is g for g in generates)
            if out.outputs == before:
                problems.append(f"{name}={value!r}: the output did not change")
            if work.backwards or work.steps:
                problems.append(f"{name}={value!r} trained: {work}")
            if work.forwards and not may_generate:
                problems.append(f"{name}={value!r} ran the model: {work}")
            if work.figures > figures:
                problems.append(f"{name}={value!r} made {work.figures} figures (at most "
                                f"{figures} expected): {work}")
        medians.append(f"{name} {statistics.median(times):.3f} s")
    print("median redraw times (information, not a test):", ", ".join(medians))
    assert not problems, "; ".join(problems)


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def test_lesson_00_context_target_explorer(corpus):
    text = corpus.text[:2000]
    assert_every_control_redraws_from_data(
        course_widgets.context_target_explorer(text, corpus.tokenizer, block_size=8))


def test_lesson_01_embedding_size_explorer(corpus):
    assert_every_control_redraws_from_data(
        course_widgets.embedding_size_explorer(read_json("sweep_n_embd.json"),
                                               corpus.tokenizer.vocab_size))


def test_lesson_02_next_char_explorer(corpus):
    V = corpus.tokenizer.vocab_size
    counts = bigram_counts(corpus.train_data, V)
    model_probs = F.softmax(torch.randn(V, V, generator=torch.Generator().manual_seed(0)), dim=1)
    assert_every_control_redraws_from_data(
        course_widgets.next_char_explorer(corpus.tokenizer.chars, counts, model_probs,
                                          corpus.val_data))


def test_lesson_03_temperature_explorer(course_model):
    model, tokenizer = course_model
    contexts = ["ROMEO:\nWhat light through yonder w", "To be, or not to b", "\nHam.\nO"]
    assert_every_control_redraws_from_data(
        course_widgets.temperature_explorer(model, tokenizer, contexts))


def test_lesson_04_attention_scaling_explorer():
    assert_every_control_redraws_from_data(course_widgets.attention_scaling_explorer())


def test_lesson_05_attention_map_explorer(course_model):
    model, tokenizer = course_model
    assert_every_control_redraws_from_data(course_widgets.attention_map_explorer(
        model, tokenizer, ["ROMEO:\nBut soft!", "Ham.\nTo be, or not to be,"]), figures=0)


def test_lesson_06_residual_gradient_explorer():
    assert_every_control_redraws_from_data(course_widgets.residual_gradient_explorer(),
                                           figures=0)


def test_lesson_07_layernorm_explorer():
    assert_every_control_redraws_from_data(course_widgets.layernorm_explorer(), figures=0)


def test_lesson_08_generation_explorer(course_model):
    """A new setting generates; a setting seen before and a shorter length do not.

    The i-th character depends only on the ones before it and the i-th random draw, so the
    widget cuts a shorter text from the longest one it generated for these settings.
    """
    model, tokenizer = course_model
    box = course_widgets.generation_explorer(model, tokenizer, max_new_tokens=80)
    length = next(c for c in controls_of(box) if c.description == "characters")
    assert_every_control_redraws_from_data(
        box, leave_out=[length], generates=[c for c in controls_of(box) if c is not length],
        figures=0)
    out = box.children[-1]
    for n in (20, 60, 40):
        with watch() as work:
            length.value = n
        assert work.forwards == 0, f"length {n}: {work}"
        assert "cut from the longer text" in out.outputs[-1]["text"]
        assert f" {n} new characters" in out.outputs[-1]["text"]
    with watch() as work:
        length.value = 120                  # longer than any text so far: new work
    assert work.forwards > 0 and "generated in" in out.outputs[-1]["text"]


def test_lesson_08_n_embd_explorer(corpus):
    assert_every_control_redraws_from_data(
        course_widgets.n_embd_explorer(read_json("sweep_n_embd.json"), corpus))


def test_lesson_09_scaling_calculator(corpus):
    scaling = read_json("scaling_cpu.json")
    measured = {r["processes"]: r["tokens_per_second"] for r in scaling["runs"]}
    assert_every_control_redraws_from_data(course_widgets.scaling_calculator(
        block_size=scaling["block_size"], corpus_tokens=len(corpus.train_data),
        measured=measured))


@pytest.fixture(scope="module")
def own_addition():
    from course_lib.lessons.own_gpt import load_task, train_task
    return train_task(load_task("addition", n_lines=3000), "tiny", max_iters=5, eval_iters=1)


def test_lesson_11_training_panel():
    """Changing the text, the size or the path shows that text's size and cost; nothing
    trains (only the Train button does; the browser test presses it). The upload button
    and the live curve are not value controls a learner moves."""
    from course_lib.lessons.own_gpt_panels import training_panel
    panel = training_panel("addition", "tiny")
    assert_every_control_redraws_from_data(panel.widget, leave_out=[panel.upload, panel.curve],
                                           figures=0)
    assert panel.result is None


def test_lesson_11_generation_panel(own_addition):
    """A new prompt, temperature or top-k generates (and answers the held-out sums); a
    setting seen before is shown from memory; nothing trains."""
    from course_lib.lessons.own_gpt_panels import generation_panel
    box = generation_panel(own_addition)
    assert_every_control_redraws_from_data(box, generates=controls_of(box), figures=0)
    box.children[0].value = "12+34="            # the prompt: a question the model knows
    html = [o for o in box.children[-1].outputs if "text/html" in o.get("data", {})]
    assert html and "Held-out sums answered right" in html[0]["data"]["text/html"]


def _broken_explorer(draw_for):
    slider = widgets.IntSlider(value=1, min=1, max=3)
    out = widgets.Output()
    course_widgets.redraw_on_change([slider], out, lambda: draw_for(slider.value))
    return widgets.VBox([slider, out])


def test_the_check_rejects_a_widget_that_trains_runs_a_model_or_shows_nothing_new():
    """Each kind of slow redraw is caught: the check can fail."""
    layer = torch.nn.Linear(4, 4)
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)

    def trains(value):
        opt.zero_grad()
        layer(torch.randn(2, 4)).sum().backward()
        opt.step()
        print(value)

    def runs_a_model(value):
        with torch.no_grad():
            layer(torch.randn(2, 4))
        print(value)

    def new_figures(value):
        import matplotlib.pyplot as plt
        for _ in range(3):
            plt.figure()
        print(value)

    for draw, message in [(trains, "trained"), (runs_a_model, "ran the model"),
                          (new_figures, "made 3 figures"),
                          (lambda value: print("always the same"), "did not change")]:
        with pytest.raises(AssertionError, match=message):
            assert_every_control_redraws_from_data(_broken_explorer(draw))


def test_the_check_passes_a_widget_that_only_prints():
    assert_every_control_redraws_from_data(_broken_explorer(print))


def test_every_widget_of_the_course_is_tested_here():
    from pathlib import Path
    source = Path(__file__).read_text(encoding="utf-8")
    public = [name for name, obj in vars(course_widgets).items()
              if callable(obj) and getattr(obj, "__module__", "") == course_widgets.__name__
              and not name.startswith("_") and name != "redraw_on_change"]
    assert public
    missing = [name for name in public if f"course_widgets.{name}(" not in source]
    assert not missing, f"widgets without a redraw test: {missing}"
