"""The plots, widgets and experiments of lessons 05 (heads), 06 (blocks) and 07 (LayerNorm).

Each plot returns a labelled Figure; each widget redraws when a control changes (its
Output's `outputs` change) and fast; each experiment gives a known answer; bad input gets a
message that names the problem.
"""

import time

import matplotlib.pyplot as plt
import pytest
import torch

from course_lib.experiments import attention_pattern_stats
from course_lib.plots import plot_attention_grid, plot_attention_map, plot_qkv_layout
from course_lib.widgets import attention_map_explorer


def causal_uniform(T):
    w = torch.tril(torch.ones(T, T))
    return w / w.sum(-1, keepdim=True)


def redraw_changes(widget, control, value, max_seconds=3.0):
    """Set `control` to `value`; assert the widget's Output changed; return the seconds.

    The time bound is a guard against a redraw that recomputes a model, not a benchmark:
    the test machine may be busy. (Redraws take about 0.1 to 0.3 s on a quiet laptop.)
    """
    out = widget.children[-1]
    before = out.outputs
    start = time.perf_counter()
    control.value = value
    seconds = time.perf_counter() - start
    assert out.outputs != before, "the Output did not change"
    assert not any(o["output_type"] == "error" for o in out.outputs), out.outputs
    assert seconds < max_seconds, f"redraw took {seconds:.2f} s"
    return seconds


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module", autouse=True)
def ipython_shell():
    """An IPython shell, so that display() inside a widget's draw is captured as in Jupyter."""
    from IPython.core.interactiveshell import InteractiveShell
    return InteractiveShell.instance()


def has_png(widget) -> bool:
    return any("image/png" in o.get("data", {}) for o in widget.children[-1].outputs)


# ----------------------------------------------------------------------------- lesson 05

def test_plot_attention_map_labels_every_character():
    fig = plot_attention_map(causal_uniform(4), "a b\n", title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "␣", "b", "\\n"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "␣", "b", "\\n"]
    assert len(fig.axes) == 2, "a colour bar"
    assert ax.get_title() == "t" and ax.get_xlabel() and ax.get_ylabel()


@pytest.mark.parametrize("weights,chars,fragment", [
    (torch.ones(3, 4), "abc", "ending in (T, T), got (3, 4)"),
    (torch.ones(2, 3, 3), "abc", "with 2 dimensions"),
    ([[1.0]], "a", "got list"),
    (torch.ones(3, 3), "ab", "got 2 characters for a 3 x 3 attention map"),
])
def test_plot_attention_map_bad_input(weights, chars, fragment):
    with pytest.raises(ValueError, match=None) as err:
        plot_attention_map(weights, chars)
    assert fragment in str(err.value)


def test_plot_attention_grid_has_a_map_per_head_and_a_colour_bar():
    maps = causal_uniform(5).expand(2, 3, 5, 5)
    fig = plot_attention_grid(maps, "hello")
    assert len(fig.axes) == 2 * 3 + 1
    assert "'hello'" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="with 4 dimensions"):
        plot_attention_grid(causal_uniform(5), "hello")


def test_plot_qkv_layout_labels_the_rows_of_each_head():
    fig = plot_qkv_layout(torch.randn(24, 8), n_head=2)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["query of head 0", "query of head 1", "key of head 0", "key of head 1",
                      "value of head 0", "value of head 1"]
    with pytest.raises(ValueError, match=r"\(3 \* n_embd, n_embd\) weight of a qkv Linear, got \(8, 8\)"):
        plot_qkv_layout(torch.randn(8, 8), n_head=2)
    with pytest.raises(ValueError, match="n_head must be a positive divisor of n_embd=8, got 3"):
        plot_qkv_layout(torch.randn(24, 8), n_head=3)


def test_attention_pattern_stats_known_answers():
    T = 5
    itself = torch.eye(T)
    previous = torch.zeros(T, T)
    previous[0, 0] = 1
    previous[torch.arange(1, T), torch.arange(T - 1)] = 1
    assert attention_pattern_stats(itself)["itself"].item() == 1.0
    assert attention_pattern_stats(itself)["previous"].item() == 0.0
    assert attention_pattern_stats(previous)["previous"].item() == 1.0
    s = attention_pattern_stats(causal_uniform(T).expand(2, 3, T, T))
    assert s["first"].shape == (2, 3)
    want = sum(1 / (t + 1) for t in range(1, T)) / (T - 1)   # row t spreads 1 over t+1 positions
    torch.testing.assert_close(s["first"], torch.full((2, 3), want))


@pytest.mark.parametrize("weights,fragment", [
    (torch.ones(2, 3), "ending in (T, T), got (2, 3)"),
    (torch.ones(1, 1), "at least 2 positions"),
    ("abc", "got str"),
])
def test_attention_pattern_stats_bad_input(weights, fragment):
    with pytest.raises(ValueError) as err:
        attention_pattern_stats(weights)
    assert fragment in str(err.value)


def test_attention_map_explorer_redraws_on_each_control(tiny_model, tiny_tokenizer):
    w = attention_map_explorer(tiny_model, tiny_tokenizer, ["Speak, speak.", "All:\nSpeak"])
    sentence, (layer, head) = w.children[0], w.children[1].children
    assert "layer 0, head 0" in w.children[-1].outputs[0]["text"]
    redraw_changes(w, head, 3)
    redraw_changes(w, layer, 1)
    redraw_changes(w, sentence, "All:\nSpeak")
    assert "layer 1, head 3" in w.children[-1].outputs[0]["text"]
    assert has_png(w)


@pytest.mark.parametrize("sentences,fragment", [
    ([], "non-empty list of strings"),
    ("Speak", "non-empty list of strings"),
    (["Speak", ""], "every sentence must be a non-empty string, got ''"),
    (["Speak " * 4], "has 24 characters but the model reads at most block_size=16"),
])
def test_attention_map_explorer_bad_input(tiny_model, tiny_tokenizer, sentences, fragment):
    with pytest.raises(ValueError) as err:
        attention_map_explorer(tiny_model, tiny_tokenizer, sentences)
    assert fragment in str(err.value)
