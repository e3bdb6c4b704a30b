"""Lesson 08's library parts: the sweep helpers, the parameter and sweep plots, and the
generation and n_embd widgets (each built, each control moved, bad input refused)."""

import json
import re

import matplotlib.pyplot as plt
import pytest
import torch

from course_lib import GPTConfig, GPTLanguageModel, parameter_breakdown
from course_lib.lessons.plots import (plot_gpt_changes, plot_n_embd_sweep,
                                     plot_parameter_breakdown, plot_sweep_curves)
from course_lib.lessons.sweep import (GPT_CHANGES_COMMAND, SWEEP_COMMAND, compare_losses,
                                     doubling_table, gpt_changes_table, load_gpt_changes,
                                     load_sweep, loss_range, seed_losses, sweep_result,
                                     sweep_table, train_sweep_size, validate_sweep)
from course_lib.lessons.widgets import generation_explorer, n_embd_explorer


def fake_result(n_embd, val):
    return {"n_embd": n_embd, "params": 1000 * n_embd, "embedding_params": 67 * n_embd,
            "train_loss": val - 0.01, "val_loss": val, "seconds": n_embd / 4,
            "tokens_per_second": 10_000 // n_embd, "eval_steps": [0, 100, 200],
            "eval_train": [4.2, 3.0, val - 0.01], "eval_val": [4.2, 3.1, val]}


@pytest.fixture
def sweep():
    """A small made-up sweep whose fixed config trains fast (one layer, short blocks)."""
    return {"fixed_config": {"block_size": 16, "n_head": 2, "n_layer": 1, "dropout": 0.0,
                             "vocab_size": 67},
            "training": {"max_iters": 200, "batch_size": 4, "lr": 2e-3, "min_lr": 2e-4,
                         "warmup_iters": 2, "grad_clip": 1.0, "eval_interval": 100,
                         "eval_iters": 2, "seed": 1337},
            "results": [fake_result(16, 2.5), fake_result(8, 2.8), fake_result(32, 2.3)]}


def outputs_text(out) -> str:
    return "".join(o.get("text", "") for o in out.outputs)


# ----------------------------------------------------------------------------- sweep.py

def test_load_sweep_reads_and_sorts(tmp_path, sweep):
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(sweep))
    loaded = load_sweep(path)
    assert [r["n_embd"] for r in loaded["results"]] == [8, 16, 32]


def test_load_sweep_missing_file_names_the_command(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(f"run `{SWEEP_COMMAND}`")):
        load_sweep(tmp_path / "nope.json")


def test_load_sweep_bad_json(tmp_path):
    path = tmp_path / "sweep.json"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="is not valid JSON"):
        load_sweep(path)


@pytest.mark.parametrize("change,message", [
    (lambda s: s.pop("results"), "has no 'results'"),
    (lambda s: s.pop("training"), "has no 'training'"),
    (lambda s: s.update(results=[]), "holds no results"),
    (lambda s: s["results"][0].pop("val_loss"), "(n_embd=16) lacks ['val_loss']"),
])
def test_validate_sweep_names_what_is_missing(sweep, change, message):
    change(sweep)
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_sweep(sweep)


def test_validate_sweep_wants_a_dict():
    with pytest.raises(ValueError, match="should be a dict with 'results', got list"):
        validate_sweep([])


def test_sweep_result_and_table(sweep):
    assert sweep_result(sweep, 32)["val_loss"] == 2.3
    with pytest.raises(ValueError, match=re.escape("no run with n_embd=64; it has [16, 8, 32]")):
        sweep_result(sweep, 64)
    lines = sweep_table(sweep).splitlines()
    assert lines[0] == ("3 sizes x 1 seed (1337), 200 steps each run; seconds and tokens/s: "
                        "seed 1337's run")
    assert lines[1].split() == ["n_embd", "parameters", "embedding", "train", "(mean)", "val",
                                "(mean)", "val", "min-max", "seconds", "tokens/s"]
    assert lines[3].split() == ["16", "16,000", "1,072", "2.4900", "2.5000", "2.500-2.500",
                                "4.0", "625"]


def seeded(sweep, losses):
    """The fixture with three seeds per size: `losses` maps n_embd to its val losses."""
    sweep["seeds"] = [1337, 1338, 1339]
    for r in sweep["results"]:
        r["val_losses"] = losses[r["n_embd"]]
        r["train_losses"] = [v - 0.01 for v in losses[r["n_embd"]]]
        r["seeds"] = sweep["seeds"]
    return sweep


def test_sweep_table_with_seeds_shows_mean_and_range(sweep):
    seeded(sweep, {8: [2.8, 2.9, 3.0], 16: [2.5, 2.4, 2.6], 32: [2.3, 2.35, 2.25]})
    lines = sweep_table(load_sweep_like_file(sweep)).splitlines()
    assert lines[0].startswith("3 sizes x 3 seeds (1337, 1338, 1339), 200 steps each run")
    assert lines[4].split()[3:6] == ["2.4900", "2.5000", "2.400-2.600"]


def load_sweep_like_file(sweep):
    sweep["results"] = sorted(sweep["results"], key=lambda r: r["n_embd"])
    return sweep


def test_doubling_table_compares_the_change_with_the_seed_spread(sweep):
    seeded(sweep, {8: [2.8, 2.9, 3.0], 16: [2.5, 2.4, 2.6], 32: [2.45, 2.55, 2.35]})
    lines = doubling_table(load_sweep_like_file(sweep)).splitlines()
    assert lines[2].split() == ["8->16", "-0.4000", "0.2000", "apart", "3", "of", "3"]
    assert lines[3].split() == ["16->32", "-0.0500", "0.2000", "overlap", "2", "of", "3"]


@pytest.mark.parametrize("before,after,expected", [
    ([1.0, 1.2], [0.7, 0.9], {"change": -0.3, "spread": 0.2, "apart": True, "lower_in": 2}),
    ([1.0, 1.2], [0.9, 1.1], {"change": -0.1, "spread": 0.2, "apart": False, "lower_in": 2}),
    ([1.0, 1.2], [1.2, 1.3], {"change": 0.15, "spread": 0.2, "apart": False,  # touching
                              "lower_in": 0}),
    ([1.0, 1.2], [1.1, 1.1], {"change": 0.0, "spread": 0.2, "apart": False, "lower_in": 1}),
    ([1.0], [1.0001], {"change": 0.0001, "spread": 0.0, "apart": True,         # one seed each
                       "lower_in": 0}),
])
def test_compare_losses(before, after, expected):
    got = compare_losses(before, after)
    assert got["apart"] == expected["apart"] and got["lower_in"] == expected["lower_in"]
    assert got["change"] == pytest.approx(expected["change"])
    assert got["spread"] == pytest.approx(expected["spread"])


def test_compare_losses_wants_the_same_seeds():
    with pytest.raises(ValueError, match="one loss per seed each, for the same seeds; got 2 and 3"):
        compare_losses([1.0, 1.1], [1.0, 1.1, 1.2])


def test_seed_losses_and_bad_input(sweep):
    r = sweep["results"][0]
    assert seed_losses(r) == [2.5] and seed_losses(r, "train") == [2.49]   # no seeds: one run
    r["val_losses"] = [2.5, 2.6]
    assert seed_losses(r) == [2.5, 2.6] and loss_range([1.0, 3.0, 2.0]) == (2.0, 1.0, 3.0)
    with pytest.raises(ValueError, match="split must be 'val' or 'train', got 'test'"):
        seed_losses(r, "test")
    with pytest.raises(ValueError, match="loss_range needs at least one loss"):
        loss_range([])
    r["val_losses"] = []
    with pytest.raises(ValueError, match=re.escape("val_losses of n_embd=16 in the sweep should "
                                                   "be a non-empty list of losses")):
        validate_sweep(sweep)


# ------------------------------------------------------------- what later GPTs changed

def changes_file(tmp_path, **edits):
    base = {"variant": "baseline", "change": {}, "params": 1000, "seeds": [1, 2],
            "train_losses": [1.9, 1.8], "val_losses": [2.0, 2.1], "seconds": [5.0, 5.0]}
    data = {"seeds": [1, 2], "results": [
        base,
        base | {"variant": "tied", "change": {"tie_weights": True}, "params": 900,
                "val_losses": [2.05, 2.15]},
        base | {"variant": "gelu", "change": {"activation": "gelu"}, "val_losses": [1.8, 1.9]}]}
    data.update(edits)
    path = tmp_path / "changes.json"
    path.write_text(json.dumps(data))
    return path


def test_gpt_changes_table(tmp_path):
    lines = gpt_changes_table(load_gpt_changes(changes_file(tmp_path))).splitlines()
    assert lines[2].split() == ["baseline", "1,000", "2.0500", "2.000-2.100"]
    assert lines[3].split() == ["tied", "tie_weights=True", "900", "2.1000", "2.050-2.150",
                                "+0.0500", "0.1000", "overlap", "0", "of", "2"]
    assert lines[4].split() == ["gelu", "activation=gelu", "1,000", "1.8500", "1.800-1.900",
                                "-0.2000", "0.1000", "apart", "2", "of", "2"]


@pytest.mark.parametrize("edit,error,message", [
    (None, FileNotFoundError, f"run `{GPT_CHANGES_COMMAND}`"),
    ("{not json", ValueError, "is not valid JSON"),
    ({"results": []}, ValueError, "should be a dict with a non-empty 'results' list"),
    ({"results": [{"variant": "x"}]}, ValueError, "(x) lacks ['change', 'params'"),
    ({"results": [{"variant": "gelu", "change": {"activation": "gelu"}, "params": 1,
                   "seeds": [1], "train_losses": [1.0], "val_losses": [1.0], "seconds": [1]}]},
     ValueError, "should start with the baseline (no change), got 'gelu' first"),
])
def test_load_gpt_changes_bad_files(tmp_path, edit, error, message):
    path = tmp_path / "changes.json"
    if isinstance(edit, str):
        path.write_text(edit)
    elif edit is not None:
        path = changes_file(tmp_path, **edit)
    with pytest.raises(error, match=re.escape(message)):
        load_gpt_changes(path)


def test_plot_gpt_changes(tmp_path):
    fig = plot_gpt_changes(load_gpt_changes(changes_file(tmp_path))["results"])
    ax = fig.axes[0]
    assert ax.get_xlabel() == "val loss (nats)" and ax.get_title().startswith("Validation loss")
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "baseline", "tied\ntie_weights=True", "gelu\nactivation=gelu"]
    assert ax.patches[0].get_label() == "baseline: min to max of its seeds"
    plt.close(fig)


@pytest.mark.parametrize("bad,message", [
    ([], "results must be a non-empty list"),
    ([{"variant": "a"}], "every result needs 'val_losses'"),
])
def test_plot_gpt_changes_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        plot_gpt_changes(bad)


def test_train_sweep_size_is_reproducible(corpus, sweep):
    m1, h1 = train_sweep_size(sweep, corpus, 16, max_iters=3, progress=False)
    m2, h2 = train_sweep_size(sweep, corpus, 16, max_iters=3, progress=False)
    assert h1.steps == [1, 2, 3] and h1.train_loss == h2.train_loss
    assert m1.cfg == GPTConfig(vocab_size=67, block_size=16, n_embd=16, n_head=2, n_layer=1)
    assert h1.lr[-1] == sweep["training"]["lr"]   # constant after warmup: no decay


def test_train_sweep_size_by_seconds(corpus, sweep):
    steps = []
    _, h = train_sweep_size(sweep, corpus, 8, max_seconds=0.3, progress=False,
                            callback=lambda step, loss: steps.append(step))
    assert h.stopped == "max_seconds" and steps == h.steps


def test_train_sweep_size_eval_iters(corpus, sweep):
    _, few = train_sweep_size(sweep, corpus, 8, max_iters=1, eval_iters=1, progress=False)
    _, default = train_sweep_size(sweep, corpus, 8, max_iters=1, progress=False)
    assert few.eval_val[0] != default.eval_val[0]   # 1 batch vs the sweep's 2


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(n_embd=16), ValueError, "give max_iters or max_seconds"),
    (dict(n_embd=15, max_iters=1), ValueError, "n_embd=15 is not divisible by n_head=2"),
    (dict(n_embd=0, max_iters=1), ValueError, "n_embd must be a positive integer"),
])
def test_train_sweep_size_bad_input(corpus, sweep, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        train_sweep_size(sweep, corpus, progress=False, **kwargs)


def test_train_sweep_size_other_vocabulary(corpus, sweep):
    sweep["fixed_config"]["vocab_size"] = 50
    with pytest.raises(ValueError, match="the sweep was run with vocab_size=50 but this corpus "
                                         "has 67 characters"):
        train_sweep_size(sweep, corpus, 16, max_iters=1)


# ----------------------------------------------------------------------------- plots

def test_plot_parameter_breakdown():
    model = GPTLanguageModel(GPTConfig(vocab_size=67, block_size=8, n_embd=16, n_head=2,
                                       n_layer=1))
    fig = plot_parameter_breakdown(parameter_breakdown(model), title="Tiny")
    ax = fig.axes[0]
    assert ax.get_title() == f"Tiny: {model.num_parameters():,} in total"
    assert ax.get_xlabel() == "parameters (count)"
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "token embedding"  # at the top
    assert any("%" in t.get_text() for t in ax.texts)
    plt.close(fig)


@pytest.mark.parametrize("bad,message", [
    ({}, "breakdown must be a non-empty dict"),
    ([1, 2], "breakdown must be a non-empty dict"),
    ({"a": -1}, "'a' has -1"),
    ({"a": 1.5}, "'a' has 1.5"),
    ({"a": 0}, "every count in breakdown is 0"),
])
def test_plot_parameter_breakdown_bad_input(bad, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        plot_parameter_breakdown(bad)


def test_plot_n_embd_sweep(sweep):
    fig = plot_n_embd_sweep(sweep["results"])
    ax1, ax2 = fig.axes
    assert ax1.get_xscale() == "log" and ax1.get_ylabel() == "val loss (nats)"
    assert ax2.get_xlabel() == "n_embd" and ax2.get_ylabel() == "wall time (s)"
    assert len(ax2.patches) == 3
    plt.close(fig)


def test_plot_n_embd_sweep_shows_every_seed(sweep):
    seeded(sweep, {8: [2.8, 2.9, 3.0], 16: [2.5, 2.4, 2.6], 32: [2.3, 2.35, 2.25]})
    fig = plot_n_embd_sweep(load_sweep_like_file(sweep)["results"])
    ax1, ax2 = fig.axes
    mean_line, seeds = ax1.get_lines()[0], ax1.get_lines()[-1]
    assert list(mean_line.get_ydata()) == pytest.approx([2.9, 2.5, 2.3])
    assert sorted(seeds.get_ydata()) == sorted([2.8, 2.9, 3.0, 2.5, 2.4, 2.6, 2.3, 2.35, 2.25])
    assert [t.get_text() for t in ax1.get_legend().get_texts()] == [
        "each seed", "mean of 3 seeds, bar: min to max"]
    assert ax2.get_title() == "Training time of each run (seed 1337 only)"
    plt.close(fig)


def test_plot_sweep_curves(sweep):
    results = load_sweep_like(sweep)
    fig = plot_sweep_curves(results, highlight=16)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["n_embd=8", "n_embd=16", "n_embd=32"]
    assert [line.get_alpha() for line in lines] == [0.35, 1.0, 0.35]
    assert list(lines[0].get_xdata()) == [1.0, 2.0]   # step 0 left out; 2 s for 200 steps
    plt.close(fig)


def load_sweep_like(sweep):
    return sorted(sweep["results"], key=lambda r: r["n_embd"])


@pytest.mark.parametrize("fn", [plot_n_embd_sweep, plot_sweep_curves])
def test_sweep_plots_bad_input(fn):
    with pytest.raises(ValueError, match="results holds no results: it must be a non-empty list"):
        fn([])
    with pytest.raises(ValueError, match=r"\(n_embd=8\) lacks \['seconds'\]"):
        fn([{"n_embd": 8, "params": 1, "val_loss": 2.0}])


def test_plot_sweep_curves_unknown_highlight(sweep):
    with pytest.raises(ValueError, match=re.escape("highlight=64 is not one of the sweep's "
                                                   "sizes [16, 8, 32]")):
        plot_sweep_curves(sweep["results"], highlight=64)


# ----------------------------------------------------------------------------- widgets

def generated(out) -> str:
    """The widget's text without its timing line."""
    head, _, body = outputs_text(out).partition("-" * 72)
    return re.sub(r"in \d+\.\d+ s", "in ? s", head) + body


def test_generation_explorer_each_control_redraws(tiny_model, tiny_tokenizer):
    box = generation_explorer(tiny_model, tiny_tokenizer, prompts=["\n", "All:"],
                              max_new_tokens=20)
    (prompt, seed), (temperature, top_k), (length, _), out = (
        box.children[0].children, box.children[1].children, box.children[2].children,
        box.children[3])
    first = generated(out)
    assert "temperature 1.0, sampling from all" in first and "20 new characters" in first
    threads = torch.get_num_threads()
    for control, value in ((prompt, "All:"), (temperature, 0.3), (top_k, 1), (length, 30),
                           (seed, 7)):
        before = generated(out)
        control.value = value
        assert generated(out) != before, control.description
    assert "sampling from the 1 most likely character(s), seed 7" in generated(out)
    assert outputs_text(out).split("-" * 72)[-1].lstrip("\n").startswith("All:")
    assert torch.get_num_threads() == threads     # the one-thread redraw restores it


def test_generation_explorer_same_settings_same_text(tiny_model, tiny_tokenizer):
    a = generation_explorer(tiny_model, tiny_tokenizer, prompts=["\n"], max_new_tokens=20)
    b = generation_explorer(tiny_model, tiny_tokenizer, prompts=["\n"], max_new_tokens=20)
    assert generated(a.children[3]) == generated(b.children[3])


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(prompts=[]), ValueError, "prompts must be a non-empty list of non-empty strings"),
    (dict(prompts=["", "a"]), ValueError, "prompts must be a non-empty list"),
    (dict(prompts=["é"]), ValueError, "character 'é' (U+00E9) at position 0 is not in the vocabulary"),
    (dict(max_new_tokens=0), ValueError, "max_new_tokens must be an integer from 1 to 1000, got 0"),
    (dict(max_new_tokens=5000), ValueError, "got 5000"),
])
def test_generation_explorer_bad_input(tiny_model, tiny_tokenizer, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        generation_explorer(tiny_model, tiny_tokenizer, **{"prompts": ["\n"], **kwargs})


def test_generation_explorer_wants_a_model(tiny_tokenizer):
    with pytest.raises(TypeError, match="model must be a course_lib language model, got Linear"):
        generation_explorer(torch.nn.Linear(2, 2), tiny_tokenizer)


def test_n_embd_explorer_slider_and_button(corpus, sweep):
    box = n_embd_explorer(sweep, corpus, train_seconds=0.5)
    size, out, (button, bar, status), train_out = box.children[0], box.children[1], \
        box.children[2].children, box.children[3]
    assert size.options == (8, 16, 32) and size.value == 16
    assert "n_embd=16: 16,000 parameters" in outputs_text(out)
    assert any("image/png" in o.get("data", {}) for o in out.outputs)
    assert button.description == "train n_embd=16 for 0.5 s (trains)"
    size.value = 32
    assert "n_embd=32: 32,000 parameters" in outputs_text(out)
    assert "val loss 2.3000; 8.0 s" in outputs_text(out)
    assert button.description == "train n_embd=32 for 0.5 s (trains)"
    size.value = 8
    button.click()
    report = outputs_text(train_out)
    assert re.match(r"n_embd=8: \d+ steps in \d+\.\d s", report), report
    assert "the sweep's run of this size had val loss" in report
    assert bar.value == 1.0 and status.value == "done" and not button.disabled


@pytest.mark.parametrize("seconds", [0, 20, "10", True])
def test_n_embd_explorer_refuses_long_or_bad_training_time(corpus, sweep, seconds):
    with pytest.raises(ValueError, match="train_seconds must be a number in \\(0, 15\\]"):
        n_embd_explorer(sweep, corpus, train_seconds=seconds)


def test_n_embd_explorer_checks_the_sweep(corpus, sweep):
    del sweep["fixed_config"]
    with pytest.raises(ValueError, match="has no 'fixed_config'"):
        n_embd_explorer(sweep, corpus)
