"""The plots, widgets and experiments of lessons 05 (heads), 06 (blocks) and 07 (LayerNorm).

Each plot returns a labelled Figure; each widget redraws when a control changes (its
Output's `outputs` change); each experiment gives a known answer; bad input gets a
message that names the problem.
"""


import pytest
import torch

from course_lib.lessons.experiments import attention_pattern_stats
from course_lib.lessons.plots import plot_attention_grid, plot_attention_map, plot_qkv_layout
from course_lib.lessons.widgets import attention_map_explorer


def causal_uniform(T):
    w = torch.tril(torch.ones(T, T))
    return w / w.sum(-1, keepdim=True)


def redraw_changes(widget, control, value):
    """Set `control` to `value`; assert the widget's Output changed, without an error.

    No time bound: a busy machine must not fail a test. That a redraw trains nothing and
    runs no model (what keeps it fast) is asserted for every widget in test_widget_speed.py.
    """
    out = widget.children[-1]
    before = out.outputs
    control.value = value
    assert out.outputs != before, "the Output did not change"
    assert not any(o["output_type"] == "error" for o in out.outputs), out.outputs


pytestmark = pytest.mark.usefixtures("close_figures", "ipython_shell")   # both in conftest.py


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
    assert "'hello'" in fig.get_suptitle()
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


def test_attention_map_explorer_needs_a_gpt(tiny_tokenizer):
    from course_lib import BigramLanguageModel
    with pytest.raises(TypeError, match="model must be a GPTLanguageModel .* got BigramLanguageModel"):
        attention_map_explorer(BigramLanguageModel(5), tiny_tokenizer, ["Speak"])


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


# ----------------------------------------------------------------------------- lesson 06

from course_lib import Block, GPTLanguageModel  # noqa: E402
from course_lib.lessons.experiments import (  # noqa: E402
    block_forward,
    gradient_norms_per_block,
    without_layernorm,
)
from course_lib.lessons.plots import GRAD_FLOOR, plot_dropout, plot_gradient_norms  # noqa: E402
from course_lib.lessons.widgets import residual_gradient_explorer  # noqa: E402


def test_plot_gradient_norms_log_scale_and_zero_markers():
    fig = plot_gradient_norms({"a": [1.0, 0.5, 0.25], "b": [0.0, 0.0, 1e-3]})
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["a", "b", "exactly 0 (underflow)"]
    zeros = ax.lines[2]
    assert list(zeros.get_xdata()) == [1, 2] and list(zeros.get_ydata()) == [GRAD_FLOOR] * 2
    assert ax.get_xlabel().startswith("block") and ax.get_ylabel()


@pytest.mark.parametrize("curves,fragment", [
    ({}, "non-empty dict"),
    ([1.0, 2.0], "non-empty dict"),
    ({"a": []}, "curve 'a' must be a non-empty list of norms >= 0"),
    ({"a": [1.0, -1.0]}, "curve 'a' must be a non-empty list of norms >= 0"),
])
def test_plot_gradient_norms_bad_input(curves, fragment):
    with pytest.raises(ValueError) as err:
        plot_gradient_norms(curves)
    assert fragment in str(err.value)


def test_plot_dropout_draws_three_bars_per_value():
    x = torch.ones(5)
    fig = plot_dropout(x, torch.tensor([2.0, 0, 2, 0, 2]), x, 0.5)
    ax = fig.axes[0]
    assert len(ax.patches) == 15
    assert "1/(1-p) = 2.000" in ax.get_legend_handles_labels()[1]
    with pytest.raises(ValueError, match=r"the same length, got \[5, 4, 5\]"):
        plot_dropout(x, torch.ones(4), x, 0.5)


def test_block_forward_with_residual_is_the_block():
    torch.manual_seed(0)
    block = Block(16, 4, 8).eval()
    x = torch.randn(2, 8, 16)
    torch.testing.assert_close(block_forward(block, x), block(x))
    no_res = block_forward(block, x, residual=False)
    torch.testing.assert_close(no_res, block.ffwd(block.ln2(block.sa(block.ln1(x)))))


def test_block_forward_bad_input():
    with pytest.raises(TypeError, match="block must be a course_lib Block, got Linear"):
        block_forward(torch.nn.Linear(2, 2), torch.zeros(1, 1, 2))
    with pytest.raises(TypeError, match="residual must be True or False, got 'yes'"):
        block_forward(Block(16, 4, 8), torch.zeros(1, 1, 16), residual="yes")


def test_gradient_norms_residual_keeps_them_flat_and_plain_stack_vanishes():
    flat = gradient_norms_per_block(8, residual=True, layernorm=False)
    assert len(flat) == 8 and max(flat) / min(flat) < 1.5
    plain = gradient_norms_per_block(12, residual=False, layernorm=False)
    assert plain[0] == 0.0, "float32 underflow in the first block"
    assert plain[-1] > 1e-4 and all(a <= b for a, b in zip(plain, plain[1:]))


def test_gradient_norms_are_reproducible_and_leave_the_random_stream_alone():
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    want = torch.rand(1)
    torch.manual_seed(123)
    a = gradient_norms_per_block(3)
    assert torch.rand(1) == want
    assert a == gradient_norms_per_block(3)
    assert a != gradient_norms_per_block(3, seed=1)
    assert torch.get_num_threads() == threads, "the thread count is restored"


@pytest.mark.parametrize("kwargs,error,fragment", [
    (dict(depth=0), ValueError, "depth must be a positive integer (the number of blocks), got 0"),
    (dict(depth=True), ValueError, "depth must be a positive integer"),
    (dict(depth=2, residual=1), TypeError, "residual must be True or False, got 1"),
    (dict(depth=2, layernorm=None), TypeError, "layernorm must be True or False, got None"),
    (dict(depth=2, n_embd=30, n_head=4), ValueError, "n_embd=30 is not divisible by n_head=4"),
])
def test_gradient_norms_bad_input(kwargs, error, fragment):
    with pytest.raises(error) as err:
        gradient_norms_per_block(**kwargs)
    assert fragment in str(err.value)


def test_residual_gradient_explorer_redraws(ipython_shell):
    w = residual_gradient_explorer(depths=(2, 4), n_embd=16)
    depth, residual, layernorm = w.children[0].children
    assert has_png(w)
    redraw_changes(w, residual, False)
    redraw_changes(w, layernorm, False)
    redraw_changes(w, depth, 2)
    assert "block 2 (next to the output)" in w.children[-1].outputs[0]["text"]


@pytest.mark.parametrize("depths", [(), (0, 4), (2.5,), (True,)])
def test_residual_gradient_explorer_bad_input(depths):
    with pytest.raises(ValueError, match="depths must be a non-empty list of positive integers"):
        residual_gradient_explorer(depths=depths)


# ----------------------------------------------------------------------------- lesson 07

def test_without_layernorm_replaces_the_three_norms_and_keeps_the_rest(tiny_cfg):
    torch.manual_seed(0)
    normal = GPTLanguageModel(tiny_cfg)
    torch.manual_seed(0)
    stripped = without_layernorm(GPTLanguageModel(tiny_cfg))
    assert isinstance(stripped.ln_f, torch.nn.Identity)
    assert all(isinstance(b.ln1, torch.nn.Identity) and isinstance(b.ln2, torch.nn.Identity)
               for b in stripped.blocks)
    kept = stripped.state_dict()
    for name, value in normal.state_dict().items():
        if ".ln" in name or name.startswith("ln_f"):
            assert name not in kept
        else:
            assert torch.equal(kept[name], value), name
    logits, loss = stripped(torch.zeros(2, 4, dtype=torch.long), torch.zeros(2, 4, dtype=torch.long))
    assert logits.shape == (2, 4, tiny_cfg.vocab_size) and torch.isfinite(loss)


def test_without_layernorm_bad_input():
    with pytest.raises(TypeError, match="without_layernorm expects a GPTLanguageModel, got Block"):
        without_layernorm(Block(16, 4, 8))


import json  # noqa: E402

import compare_layernorm  # noqa: E402  (scripts/ is on sys.path, see conftest.py)
from course_lib import DATA_DIR  # noqa: E402
from course_lib.lessons.plots import plot_layernorm_curves, plot_layernorm_io  # noqa: E402
from course_lib.lessons.widgets import layernorm_explorer  # noqa: E402


def test_plot_layernorm_io_two_bar_charts():
    fig = plot_layernorm_io([1.0, 2.0, 3.0], [-1.2, 0.0, 1.2])
    left, right = fig.axes
    assert len(left.patches) == len(right.patches) == 3
    assert right.patches[2].get_height() == pytest.approx(1.2)
    with pytest.raises(ValueError, match="the same length, got 3 and 2"):
        plot_layernorm_io([1.0, 2.0, 3.0], [0.0, 1.0])


def _fake_results(blow_up: bool):
    def run(lr, ln, losses, diverged=None):
        return {"lr": lr, "layernorm": ln, "steps": list(range(1, len(losses) + 1)),
                "train_loss": losses, "eval_steps": [0, len(losses)],
                "eval_val": [losses[0], losses[-1]], "diverged_at": diverged}
    bad = [4.0, 50.0, 1e9, None] if blow_up else [4.0, 3.5, 3.0, 2.9]
    return {"runs": [run(1e-3, True, [4.0, 3.0, 2.5, 2.4]), run(1e-3, False, [4.0, 3.5, 3.0, 2.9]),
                     run(1e-2, True, [4.0, 3.2, 2.9, 2.8]),
                     run(1e-2, False, [4.0, 3.5, 3.2, 3.0]),
                     run(1e-2, False, bad, 4 if blow_up else None)]}


def test_plot_layernorm_curves_one_panel_per_lr_log_only_where_needed():
    fig = plot_layernorm_curves(_fake_results(blow_up=True), smooth=2)
    left, right = fig.axes
    assert left.get_title() == "learning rate 0.001" and right.get_title() == "learning rate 0.01"
    assert left.get_yscale() == "linear" and right.get_yscale() == "log"
    labels = right.get_legend_handles_labels()[1]
    assert "without LayerNorm: diverged" in labels
    assert labels.count("without LayerNorm (val)") == 1, "one legend entry per variant"
    fig = plot_layernorm_curves(_fake_results(blow_up=False), smooth=2)
    assert fig.axes[1].get_yscale() == "linear"


def test_plot_layernorm_curves_reads_the_stored_results():
    results = json.loads((DATA_DIR / "layernorm_curves.json").read_text())
    assert [(r["lr"], r["seed"], r["layernorm"]) for r in results["runs"]] == [
        (lr, seed, ln) for lr, seed in compare_layernorm.RUNS for ln in (True, False)]
    fig = plot_layernorm_curves(results)
    assert len(fig.axes) == len(compare_layernorm.LRS)


@pytest.mark.parametrize("results", [{}, {"runs": []}, [1, 2], None])
def test_plot_layernorm_curves_bad_input(results):
    with pytest.raises(ValueError, match="run `python scripts/compare_layernorm.py`"):
        plot_layernorm_curves(results)


def test_layernorm_explorer_redraws(ipython_shell):
    w = layernorm_explorer()
    scale, shift, eps = w.children[0].children
    assert "LayerNorm(x): -1.2247  0.0000  1.2247" in w.children[-1].outputs[0]["text"]
    assert has_png(w)
    redraw_changes(w, shift, 40.0)
    assert "LayerNorm(x): -1.2247  0.0000  1.2247" in w.children[-1].outputs[0]["text"]
    redraw_changes(w, scale, 1e-4)          # spread far below sqrt(eps): the output shrinks
    assert "LayerNorm(x): -1.2247" not in w.children[-1].outputs[0]["text"]
    redraw_changes(w, eps, 1e-10)


@pytest.mark.parametrize("base", [[1.0], [2.0, 2.0, 2.0], [1.0, float("nan")]])
def test_layernorm_explorer_bad_input(base):
    with pytest.raises(ValueError, match="at least 2 numbers that are not all equal"):
        layernorm_explorer(base)


def test_compare_layernorm_script_writes_both_curves(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(compare_layernorm.TRAIN, "eval_iters", 1)   # a quick run
    out = tmp_path / "curves.json"
    assert compare_layernorm.main(["--lr", "1e-3", "--max-iters", "3", "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert [(r["lr"], r["seed"], r["layernorm"]) for r in data["runs"]] == [
        (1e-3, 1337, True), (1e-3, 1337, False)]
    with_ln, without_ln = data["runs"]
    assert with_ln["params"] - without_ln["params"] == (2 * 6 + 1) * 2 * 64
    assert with_ln["steps"] == [1, 2, 3] and len(with_ln["train_loss"]) == 3
    assert data["command"] == "python scripts/compare_layernorm.py"
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("argv,fragment", [
    (["--lr", "0"], "every learning rate must be > 0"),
    (["--max-iters", "0"], "--max-iters must be at least 1, got 0"),
])
def test_compare_layernorm_script_bad_arguments(argv, fragment, capsys):
    with pytest.raises(SystemExit):
        compare_layernorm.main(argv)
    assert fragment in capsys.readouterr().err
