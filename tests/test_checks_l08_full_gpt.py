"""Lesson 08's exercise checks (course_lib/lessons/checks/l08_full_gpt.py): each
solution passes, each stub is "not attempted", and each typical mistake is named."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from course_lib.lessons.checks import (check_gpt_forward, check_gpt_parameter_count,
                                       check_linear_forward)

from checks_support import assert_fails, stub


# Typical mistakes of linear_forward: no transpose (x @ weight); the bias forgotten or
# subtracted; torch.mm on a 3-D input; the wrong shape; a list; F.linear or nn.Linear, which
# the exercise replaces (refused). Of the GPT parameter count: see _parameter_mistakes (12
# named). Of gpt_forward: the position embeddings, ln_f or the blocks forgotten;
# probabilities instead of logits; a tuple; positions up to block_size; the last position
# only; model(idx) itself, which the exercise writes (refused).


def test_linear_forward_solution_passes():
    assert check_linear_forward(lambda x, w, b: x @ w.T + b).passed
    assert check_linear_forward(lambda x, w, b: torch.matmul(x, w.t()) + b).passed
    assert check_linear_forward(lambda x, w, b: (w @ x.unsqueeze(-1)).squeeze(-1) + b).passed


def _with_nn_linear(x, w, b):
    layer = nn.Linear(w.shape[1], w.shape[0])
    with torch.no_grad():
        layer.weight.copy_(w)
        layer.bias.copy_(b)
    return layer(x).detach()


@pytest.mark.parametrize("fn", [F.linear, lambda x, w, b: torch.nn.functional.linear(x, w, b),
                                _with_nn_linear])
def test_linear_forward_refuses_the_shortcut_and_restores_f_linear(fn):
    original = F.linear
    assert_fails(check_linear_forward(fn), "F.linear")
    assert "x @ weight.T + bias" in check_linear_forward(fn).message
    assert F.linear is original


def test_linear_forward_stub_is_not_attempted():
    assert check_linear_forward(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, w, b: x @ w + b, "you computed x @ weight + bias"),
    (lambda x, w, b: x @ w.T, "you forgot the bias"),
    (lambda x, w, b: x @ w.T - b, "you subtracted the bias"),
    (lambda x, w, b: torch.mm(x, w.T) + b, "raised RuntimeError"),
    (lambda x, w, b: (x @ w.T + b)[..., :1], "the output should have shape (2, 3)"),
    (lambda x, w, b: (x @ w.T + b).tolist(), "return a torch.Tensor, got list"),
    (lambda x, w, b: x @ w.T + 2 * b, "wrong values for x of shape (2, 3)"),
])
def test_linear_forward_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_linear_forward(fn), fragment)


def test_linear_forward_hint_names_the_transpose():
    r = check_linear_forward(lambda x, w, b: torch.mm(x, w.T) + b)
    assert_fails(r, "weight has shape (out_features, in_features)")


def count_parameters(cfg, **drop):
    """The right count, minus the parts named in `drop` (to build typical wrong answers)."""
    V, T, C, L = cfg.vocab_size, cfg.block_size, cfg.n_embd, cfg.n_layer
    parts = {
        "tok": V * C, "pos": T * C,
        "qkv": 3 * C * C, "proj_w": C * C, "proj_b": C,
        "ff_w": 8 * C * C, "ff_b": 5 * C, "ln": 4 * C,
        "ln_f": 2 * C, "head_w": C * V, "head_b": V,
    }
    per_block = ["qkv", "proj_w", "proj_b", "ff_w", "ff_b", "ln"]
    parts.update({k: v * drop.get("layers", L) for k, v in parts.items() if k in per_block})
    for k, factor in drop.items():
        if k != "layers":
            parts[k] = int(parts[k] * factor)
    return sum(parts.values())


def test_gpt_parameter_count_solution_passes():
    assert check_gpt_parameter_count(count_parameters).passed
    assert check_gpt_parameter_count(lambda cfg: float(count_parameters(cfg))).passed


def test_gpt_parameter_count_stub_is_not_attempted():
    assert check_gpt_parameter_count(stub).status == "not_attempted"


@pytest.mark.parametrize("drop,fragment", [
    (dict(pos=0), "you forgot the position embedding table"),
    (dict(ln_f=0), "you forgot ln_f"),
    (dict(ln=0, ln_f=0), "you forgot the LayerNorms"),
    (dict(ln=0.5, ln_f=0.5), "each LayerNorm has a weight AND a bias"),
    (dict(proj_b=0, ff_b=0, head_b=0), "you forgot the biases of the Linear layers"),
    (dict(head_b=0), "you forgot the bias of lm_head"),
    (dict(qkv=1 + 1 / 48), "key, query and value are Linear(..., bias=False)"),
    (dict(proj_w=0, proj_b=0), "you forgot the attention's output projection"),
    (dict(ff_w=0.25, ff_b=0.4), "the feed-forward hidden layer is 4 x n_embd wide"),
    (dict(head_w=0), "you counted lm_head and the token embedding as one shared matrix"),
    (dict(layers=1), "you counted one block; there are n_layer"),
    (dict(qkv=4), "each head's key, query and value map n_embd to head_size"),
])
def test_gpt_parameter_count_names_typical_mistakes(drop, fragment):
    assert_fails(check_gpt_parameter_count(lambda cfg: count_parameters(cfg, **drop)), fragment)


@pytest.mark.parametrize("fn,fragment", [
    (lambda cfg: count_parameters(cfg) + 0.5, "return a whole number of parameters"),
    (lambda cfg: str(count_parameters(cfg)), "return a whole number of parameters"),
    (lambda cfg: count_parameters(cfg) + 7, "(-7 off)"),
])
def test_gpt_parameter_count_rejects_other_wrong_answers(fn, fragment):
    assert_fails(check_gpt_parameter_count(fn), fragment)


def gpt_forward(model, idx, pos=True, blocks=True, ln_f=True, positions=None):
    T = idx.shape[1]
    x = model.token_embedding_table(idx)
    if pos:
        x = x + model.position_embedding_table(torch.arange(positions or T))
    if blocks:
        x = model.blocks(x)
    if ln_f:
        x = model.ln_f(x)
    return model.lm_head(x)


def test_gpt_forward_solution_passes():
    assert check_gpt_forward(gpt_forward).passed


@pytest.mark.parametrize("fn", [lambda m, idx: m(idx)[0], lambda m, idx: m.forward(idx)[0],
                                lambda m, idx: m(idx)])
def test_gpt_forward_refuses_the_models_own_forward(fn):
    assert_fails(check_gpt_forward(fn), "you called model(idx), the library's own forward")


def test_gpt_forward_stub_is_not_attempted():
    assert check_gpt_forward(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda m, idx: gpt_forward(m, idx, pos=False), "you forgot the position embeddings"),
    (lambda m, idx: gpt_forward(m, idx, ln_f=False), "you forgot ln_f"),
    (lambda m, idx: gpt_forward(m, idx, blocks=False), "the blocks are missing"),
    (lambda m, idx: gpt_forward(m, idx).softmax(-1), "you returned probabilities"),
    (lambda m, idx: (gpt_forward(m, idx), None), "return only the logits tensor, not a tuple"),
    (lambda m, idx: gpt_forward(m, idx, positions=m.cfg.block_size),
     "torch.arange(T) with T = idx.shape[1] (not block_size)"),
    (lambda m, idx: gpt_forward(m, idx)[:, -1, :], "your logits has shape (2, 67), expected (2, 16, 67)"),
    (lambda m, idx: gpt_forward(m, idx) * 2, "your logits differ from model(idx)"),
])
def test_gpt_forward_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_gpt_forward(fn), fragment)


def test_checks_leave_the_global_random_state_alone():
    torch.manual_seed(0)
    want = torch.rand(3)
    torch.manual_seed(0)
    check_gpt_forward(gpt_forward)
    check_gpt_parameter_count(count_parameters)
    assert torch.equal(torch.rand(3), want)


def test_parameter_mistakes_are_told_apart_on_the_first_config():
    from course_lib import GPTConfig
    from course_lib.lessons.checks.l08_full_gpt import _parameter_mistakes
    diffs = list(_parameter_mistakes(GPTConfig(vocab_size=67, block_size=32, n_embd=48,
                                               n_head=4, n_layer=3)).values())
    assert len(set(diffs)) == len(diffs) and 0 not in diffs
