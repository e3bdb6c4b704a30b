"""Every widget of the course redraws in under 0.3 s when a control changes.

Each widget is built as its lesson builds it: from the shipped corpus, the shipped course
checkpoint and the shipped measurements (data/). Then every control of the widget (every
slider, dropdown, checkbox and text box found in it) is changed three times, and the median
time of the callback must stay under REDRAW_SECONDS. Buttons that train on purpose (lesson
08's "train it" button) are not value controls, so they are not timed here; the browser test
gives them 15 s.

The median of three keeps one hiccup of a busy machine from failing the test; a widget that
recomputes a model on every change still fails.
"""

import json
import statistics
import time

import ipywidgets as widgets
import pytest
import torch
import torch.nn.functional as F

from course_lib import DATA_DIR, load_checkpoint
from course_lib.lessons import widgets as course_widgets
from course_lib.lessons.bigram import bigram_counts

REDRAW_SECONDS = 0.3
CHECKPOINT = DATA_DIR / "checkpoints" / "gpt"


pytestmark = pytest.mark.usefixtures("close_figures", "ipython_shell")   # both in conftest.py


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


def assert_every_control_redraws_fast(box, leave_out=()):
    out = next(w for w in _walk(box) if isinstance(w, widgets.Output))
    controls = [c for c in controls_of(box) if all(c is not o for o in leave_out)]
    assert controls, "the widget has no controls"
    slow = []
    for control in controls:
        times = []
        for trait, value in changes(control):
            start = time.perf_counter()
            setattr(control, trait, value)
            times.append(time.perf_counter() - start)
            errors = [o for o in out.outputs if o["output_type"] == "error"]
            assert not errors, f"{control.description}: {errors}"
        median = statistics.median(times)
        if median >= REDRAW_SECONDS:
            slow.append(f"{control.description or type(control).__name__}: {median:.2f} s")
    assert not slow, f"redraws slower than {REDRAW_SECONDS} s: {slow}"


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def test_lesson_00_context_target_explorer(corpus):
    text = corpus.text[:2000]
    assert_every_control_redraws_fast(
        course_widgets.context_target_explorer(text, corpus.tokenizer, block_size=8))


def test_lesson_01_embedding_size_explorer(corpus):
    assert_every_control_redraws_fast(
        course_widgets.embedding_size_explorer(read_json("sweep_n_embd.json"),
                                               corpus.tokenizer.vocab_size))


def test_lesson_02_next_char_explorer(corpus):
    V = corpus.tokenizer.vocab_size
    counts = bigram_counts(corpus.train_data, V)
    model_probs = F.softmax(torch.randn(V, V, generator=torch.Generator().manual_seed(0)), dim=1)
    assert_every_control_redraws_fast(
        course_widgets.next_char_explorer(corpus.tokenizer.chars, counts, model_probs,
                                          corpus.val_data))


def test_lesson_03_temperature_explorer(course_model):
    model, tokenizer = course_model
    contexts = ["ROMEO:\nWhat light through yonder w", "To be, or not to b", "\nHam.\nO"]
    assert_every_control_redraws_fast(
        course_widgets.temperature_explorer(model, tokenizer, contexts))


def test_lesson_04_attention_scaling_explorer():
    assert_every_control_redraws_fast(course_widgets.attention_scaling_explorer())


def test_lesson_05_attention_map_explorer(course_model):
    model, tokenizer = course_model
    assert_every_control_redraws_fast(course_widgets.attention_map_explorer(
        model, tokenizer, ["ROMEO:\nBut soft!", "Ham.\nTo be, or not to be,"]))


def test_lesson_06_residual_gradient_explorer():
    assert_every_control_redraws_fast(course_widgets.residual_gradient_explorer())


def test_lesson_07_layernorm_explorer():
    assert_every_control_redraws_fast(course_widgets.layernorm_explorer())


def test_lesson_08_generation_explorer(course_model):
    """Every setting generates its 80 characters in time; a shorter length is cut at once.

    A longer text than any generated so far is new work (about 1.3 s for 300 characters of
    the course model, most of it past block_size, where no key/value cache can help), so
    the length slider is timed going down, where the text is at hand.
    """
    model, tokenizer = course_model
    box = course_widgets.generation_explorer(model, tokenizer, max_new_tokens=80)
    length = next(c for c in controls_of(box) if c.description == "characters")
    assert_every_control_redraws_fast(box, leave_out=[length])
    out = box.children[-1]
    times = []
    for n in (20, 60, 40):
        start = time.perf_counter()
        length.value = n
        times.append(time.perf_counter() - start)
        assert "cut from the longer text" in out.outputs[-1]["text"]
    assert statistics.median(times) < REDRAW_SECONDS, times


def test_lesson_08_n_embd_explorer(corpus):
    assert_every_control_redraws_fast(
        course_widgets.n_embd_explorer(read_json("sweep_n_embd.json"), corpus))


def test_lesson_09_scaling_calculator(corpus):
    scaling = read_json("scaling_cpu.json")
    measured = {r["processes"]: r["tokens_per_second"] for r in scaling["runs"]}
    assert_every_control_redraws_fast(course_widgets.scaling_calculator(
        block_size=scaling["block_size"], corpus_tokens=len(corpus.train_data),
        measured=measured))


def test_the_speed_check_rejects_a_slow_widget():
    slider = widgets.IntSlider(value=1, min=1, max=3)
    out = widgets.Output()

    def slow_draw():
        time.sleep(REDRAW_SECONDS + 0.05)
        print(slider.value)

    course_widgets.redraw_on_change([slider], out, slow_draw)
    with pytest.raises(AssertionError, match="slower than"):
        assert_every_control_redraws_fast(widgets.VBox([slider, out]))


def test_every_widget_of_the_course_is_timed_here():
    from pathlib import Path
    source = Path(__file__).read_text(encoding="utf-8")
    public = [name for name, obj in vars(course_widgets).items()
              if callable(obj) and getattr(obj, "__module__", "") == course_widgets.__name__
              and not name.startswith("_") and name != "redraw_on_change"]
    assert public
    missing = [name for name in public if f"course_widgets.{name}(" not in source]
    assert not missing, f"widgets without a speed test: {missing}"
