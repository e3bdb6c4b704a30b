"""Lessons 03 and 04: each figure has its title, labels and colour bar; each widget redraws
when a control changes; bad input gets an error that names the fix."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib.lessons.plots import (plot_attention_weights, plot_logits_and_probs,  # noqa: E402
                              plot_next_token_distribution, plot_sample_frequencies,
                              plot_score_variance, plot_temperature_distributions)
from course_lib.lessons.widgets import attention_scaling_explorer, temperature_explorer  # noqa: E402

CHARS = list("\n abcde")


pytestmark = pytest.mark.usefixtures("close_figures")   # in conftest.py


def tick_labels(ax):
    return [t.get_text() for t in ax.get_xticklabels()]


# ----------------------------------------------------------------------------- lesson 03

def test_logits_and_probs_shows_top_characters_in_order():
    z = torch.tensor([0.0, 3.0, -1.0, 1.0, 2.0, -2.0, 0.5])
    fig = plot_logits_and_probs(z, CHARS, top=3, title="t")
    ax1, ax2 = fig.axes
    assert tick_labels(ax1) == ["␣", "c", "b"] == tick_labels(ax2)
    assert ax2.get_ylabel() == "probability" and ax1.get_ylabel() == "logit"
    heights = [p.get_height() for p in ax2.patches]
    torch.testing.assert_close(torch.tensor(heights, dtype=torch.float32), torch.softmax(z, -1)[[1, 4, 3]])


def test_next_token_distribution_labels_and_limit():
    p = torch.softmax(torch.arange(7.0), -1)
    fig = plot_next_token_distribution(p, CHARS, top=None, ylim=1.0)
    ax = fig.axes[0]
    assert tick_labels(ax)[0] == "e" and len(ax.patches) == 7
    assert ax.get_ylim() == (0.0, 1.0) and ax.get_xlabel() == "next character"


def test_temperature_distributions_one_series_per_temperature():
    fig = plot_temperature_distributions(torch.randn(7), CHARS, [0.5, 1.0, 2.0], top=4)
    ax = fig.axes[0]
    assert len(ax.patches) == 12
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["T = 0.5", "T = 1", "T = 2"]


def test_sample_frequencies_shows_probabilities_and_frequencies():
    p = torch.softmax(torch.randn(7), -1)
    counts = torch.tensor([1, 2, 3, 4, 5, 6, 9])
    fig = plot_sample_frequencies(p, counts, CHARS, top=None)
    ax = fig.axes[0]
    assert len(ax.patches) == 14
    assert "frequency in 30 samples" in [t.get_text() for t in ax.get_legend().get_texts()]


@pytest.mark.parametrize("call,message", [
    (lambda: plot_logits_and_probs(torch.zeros(2, 7), CHARS), r"logits must be 1-D .* got shape \(2, 7\)"),
    (lambda: plot_next_token_distribution(torch.zeros(5), CHARS), r"got 5 probs but 7 character labels"),
    (lambda: plot_temperature_distributions(torch.zeros(7), CHARS, [1.0, 0]),
     r"temperatures\[1\] must be a finite number > 0, got 0; 0 would divide the logits by zero"),
    (lambda: plot_sample_frequencies(torch.zeros(7), torch.zeros(7), CHARS),
     r"counts sum to 0: draw at least one sample"),
])
def test_lesson03_plots_reject_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_temperature_explorer_redraws(tiny_model, tiny_tokenizer):
    w = temperature_explorer(tiny_model, tiny_tokenizer, ["Speak", "First Cit"], n_samples=10)
    (context, temperature), out = w.children[0].children, w.children[1]
    before = out.outputs
    assert any("image/png" in o.get("data", {}) for o in before)
    assert "temperature 1.00" in before[0]["text"]
    temperature.value = 0.2
    assert out.outputs != before and "temperature 0.20" in out.outputs[0]["text"]
    after_t = out.outputs
    context.value = "First Cit"
    assert out.outputs != after_t
    assert not [o for o in out.outputs if o["output_type"] == "error"]


def test_temperature_explorer_rejects_empty_contexts(tiny_model, tiny_tokenizer):
    with pytest.raises(ValueError, match=r"contexts must be a non-empty list of non-empty strings"):
        temperature_explorer(tiny_model, tiny_tokenizer, [])
    with pytest.raises(ValueError, match=r"not in the vocabulary"):
        temperature_explorer(tiny_model, tiny_tokenizer, ["Zebra"])


def test_temperature_explorer_crops_long_contexts(tiny_model, tiny_tokenizer, tiny_cfg):
    long = "Speak, speak. " * 5                      # longer than block_size = 16
    assert len(long) > tiny_cfg.block_size
    temperature_explorer(tiny_model, tiny_tokenizer, [long])


# ----------------------------------------------------------------------------- lesson 04

def test_attention_weights_heatmap_has_labels_colorbar_and_fixed_scale():
    wei = torch.softmax(torch.zeros(4, 4).masked_fill(torch.tril(torch.ones(4, 4)) == 0,
                                                      float("-inf")), -1)
    fig = plot_attention_weights(wei, labels=list("a b\n"), annotate=True)
    ax, cbar = fig.axes
    assert tick_labels(ax) == ["a", "␣", "b", "\\n"]
    assert cbar.get_ylabel() == "weight (each row sums to 1)"
    assert ax.images[0].get_clim() == (0.0, 1.0)
    assert len(ax.texts) == 10 and ax.texts[0].get_text() == "1.00"   # masked cells: no number
    assert ax.get_xlabel() == "position it takes from (key)"
    shown = ax.images[0].get_array()
    assert shown.mask[0, 1] and not shown.mask[1, 0]       # the future is drawn as masked


def test_attention_weights_scale_can_follow_the_data():
    wei = torch.tensor([[1.0, 0.0], [0.7, 0.3]])
    fig = plot_attention_weights(wei, vmax=None)
    assert fig.axes[0].images[0].get_clim() == (0.0, 1.0)
    fig = plot_attention_weights(wei * 0.5, vmax=None)
    assert fig.axes[0].images[0].get_clim() == (0.0, 0.5)


@pytest.mark.parametrize("wei,labels,message", [
    (torch.zeros(2, 3, 3), None, r"wei must be a square \(T, T\) matrix, got shape \(2, 3, 3\)"),
    (torch.zeros(3, 4), None, r"wei must be a square"),
    (torch.zeros(3, 3), ["a", "b"], r"got 2 labels for a 3 x 3 matrix"),
])
def test_attention_weights_rejects_bad_input(wei, labels, message):
    with pytest.raises(ValueError, match=message):
        plot_attention_weights(wei, labels)


def test_score_variance_plot():
    fig = plot_score_variance([1, 4, 16], [1.0, 4.1, 15.8], [1.0, 1.02, 0.99])
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    assert len(ax.get_lines()) == 3
    with pytest.raises(ValueError, match=r"same length, got 3, 2, 3"):
        plot_score_variance([1, 4, 16], [1.0, 4.0], [1.0, 1.0, 1.0])


def test_attention_scaling_explorer_redraws():
    w = attention_scaling_explorer(T=6, max_head_size=256, batch=16)
    (head_size, scaled), out = w.children[0].children, w.children[1]
    assert head_size.options == (1, 2, 4, 8, 16, 32, 64, 128, 256)
    first = out.outputs
    assert "head_size 16, scaled" in first[0]["text"]
    head_size.value = 256
    scaled_256 = out.outputs
    assert scaled_256 != first
    scaled.value = False
    assert out.outputs != scaled_256 and "not scaled" in out.outputs[0]["text"]
    var = float(out.outputs[0]["text"].split("variance of the scores ")[1].split()[0])
    assert var > 100                                   # about head_size without the scale
    assert any("image/png" in o.get("data", {}) for o in out.outputs)


@pytest.mark.parametrize("kwargs,message", [
    (dict(max_head_size=0), r"max_head_size must be a positive integer, got 0"),
    (dict(T=1), r"T must be an integer from 2 to 32"),
])
def test_attention_scaling_explorer_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        attention_scaling_explorer(**kwargs)
