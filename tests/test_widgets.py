"""Widgets say what to try and what a move changed, and show what they claim (issue 14):
lesson 05's maps share one colour scale, lesson 07 explains float32 rounding, lesson 09's
time follows the batch slider. (Lessons 00 to 04: tests/test_lesson_00_02.py and
tests/test_lesson_03_04.py; redraw speed: tests/test_widget_speed.py.)"""

import pytest

from course_lib.lessons import widgets as course_widgets

pytestmark = pytest.mark.usefixtures("close_figures", "ipython_shell")   # in conftest.py


def texts(out):
    return "".join(o.get("text", "") for o in out.outputs)


# ----------------------------------------------------------------------------- lesson 05

def test_attention_map_explorer_keeps_one_colour_scale_for_every_head(monkeypatch, tiny_model,
                                                                      tiny_tokenizer):
    drawn = []

    def spy(*args, **kwargs):
        fig = real(*args, **kwargs)
        drawn.append(fig)
        return fig

    real = course_widgets.plot_attention_map
    monkeypatch.setattr(course_widgets, "plot_attention_map", spy)
    box = course_widgets.attention_map_explorer(tiny_model, tiny_tokenizer, ["Speak, speak."])
    _, controls, out = box.children
    layer, head = controls.children
    image = drawn[0].axes[0].images[0]
    for h in range(4):
        head.value = h
        assert image.get_clim() == (0.0, 1.0)
    assert "the colours run from 0 to 1 for every layer and head" in texts(out)


# ----------------------------------------------------------------------------- lesson 07

def test_layernorm_explorer_explains_float32_rounding():
    box = course_widgets.layernorm_explorer()
    (scale, shift, eps), out = box.children[0].children, box.children[1]
    assert "float32 rounding" not in texts(out)
    scale.value, shift.value = 1e-5, 100.0
    text = texts(out)
    assert "x:            100.000008  100.000023  100.000031" in text   # what float32 holds
    assert "LayerNorm(x): -0.0048  0.0000  0.0024" in text
    assert "float32 stores numbers only 7.6e-06 apart, and the entries of x are 1e-05 apart" in text
    assert "in float64, LayerNorm(x) = -0.0032  0.0000  0.0032" in text
    shift.value = 0.0                                 # near 0 float32 is fine
    assert "float32 rounding" not in texts(out)
    assert "LayerNorm(x): -0.0032  0.0000  0.0032" in texts(out)


# ----------------------------------------------------------------------------- lesson 09

def line(text, start):
    return next(x for x in text.splitlines() if x.startswith(start))


def test_scaling_calculator_time_follows_the_batch_and_says_why():
    box = course_widgets.scaling_calculator(64, 100_000, {1: 1000.0, 2: 2000.0},
                                            measured_batch=16)
    (nproc, batch), out = box.children[0].children, box.children[1]
    assert texts(out).startswith("Try: double processes, then halve batch/proc.")
    assert "time per step    = 2,048 tokens / 2,000 tokens/s" in texts(out)
    assert "an estimate" not in texts(out)            # 2 processes at batch 16: measured
    batch.value = 32
    text = texts(out)
    assert text.startswith("What changed: batch/proc 16 -> 32: the global batch is 2x (32 -> 64)"
                           ", so each step takes 2x the tokens and a pass needs 49 -> 25 steps.")
    assert line(text, "time per step") == ("time per step    = 4,096 tokens / 2,000 tokens/s "
                                           "(measured here with 2 process(es) at batch/proc "
                                           "16) = 2.048 s")
    assert line(text, "time per pass") == "time per pass    = 25 steps x 2.048 s = 0.9 min"
    assert "an estimate: the speed was measured at batch/proc 16" in text
    nproc.value = 3
    assert "time: not measured here (3 processes need at least 3 cores or GPUs)" in texts(out)


def test_scaling_calculator_bad_input():
    with pytest.raises(ValueError, match=r"measured\[2\] must be a finite number > 0, got 0"):
        course_widgets.scaling_calculator(64, 1000, {2: 0})
