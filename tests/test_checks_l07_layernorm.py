"""Lesson 07's exercise checks (course_lib/lessons/checks/l07_layernorm.py): each
solution passes, each stub is "not attempted", and each typical mistake is named."""

import pytest
import torch
import torch.nn.functional as F

from course_lib import GPTConfig
from course_lib.lessons.checks import check_layer_norm, check_layernorm_parameter_count

from checks_support import assert_fails, stub


# Typical mistakes of layer_norm: the wrong dimension (batch, time, both = BatchNorm, all);
# the unbiased variance; epsilon outside the root, or left out (nan on a constant vector);
# weight, bias or both ignored; mean without keepdim. Of the LayerNorm parameter count: ln_f
# forgotten; one LayerNorm per block; only the weight counted; no ln_f and one per block.


def _ln(x, w, b, eps, dim=-1, correction=0, eps_inside=True, use_w=True, use_b=True, e=True):
    mean = x.mean(dim, keepdim=True)
    var = ((x - mean) ** 2).sum(dim, keepdim=True) / (x.shape[dim] - correction) \
        if isinstance(dim, int) else x.var(dim, keepdim=True, correction=correction)
    eps = eps if e else 0.0
    y = (x - mean) / ((var + eps).sqrt() if eps_inside else var.sqrt() + eps)
    return y * (w if use_w else 1) + (b if use_b else 0)


@pytest.mark.parametrize("solution", [
    _ln,
    lambda x, w, b, eps: F.layer_norm(x, (x.shape[-1],), w, b, eps),
    lambda x, w, b, eps: (x - x.mean(-1, keepdim=True))
    / torch.sqrt(x.var(-1, keepdim=True, unbiased=False) + eps) * w + b,
    lambda x, w, b, eps: (lambda v, m: (x - m) * torch.rsqrt(v + eps) * w + b)(
        *torch.var_mean(x, -1, keepdim=True, correction=0)),
])
def test_layer_norm_solutions_pass(solution):
    assert check_layer_norm(solution).passed


def test_layer_norm_stub_not_attempted():
    assert check_layer_norm(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, w, b, eps: _ln(x, w, b, eps, dim=0), "the wrong dimension (the batch, dim 0)"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, dim=1), "the wrong dimension (time, dim 1)"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, dim=(0, 1)), "that is BatchNorm"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, correction=1), "the unbiased variance"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, eps_inside=False), "epsilon belongs inside the square root"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, use_w=False), "you ignored the learned scale `weight`: "),
    (lambda x, w, b, eps: _ln(x, w, b, eps, use_b=False), "you ignored the learned shift `bias`"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, use_w=False, use_b=False), "scale `weight` and shift"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, e=False), "you left out epsilon"),
    (lambda x, w, b, eps: (x - x.mean(-1)) / x.std(-1), "raised RuntimeError"),
    (lambda x, w, b, eps: _ln(x, w, b, eps)[..., 0], "has shape (3, 4)"),
    (lambda x, w, b, eps: _ln(x, w, b, eps) + 1, "the values differ from nn.LayerNorm"),
])
def test_layer_norm_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_layer_norm(fn), fragment)


def test_layer_norm_missing_eps_on_a_constant_vector_is_named():
    def no_eps_only_when_constant(x, w, b, eps):
        y = _ln(x, w, b, eps)
        if (x == x[..., :1]).all():
            return _ln(x, w, b, eps, e=False)
        return y
    assert_fails(check_layer_norm(no_eps_only_when_constant), "a constant vector gave NaN")


def test_layer_norm_keepdim_hint():
    r = check_layer_norm(lambda x, w, b, eps: (x - x.mean(-1)) / x.std(-1))
    assert "keepdim=True" in r.message


def _count_ln(cfg):
    return (2 * cfg.n_layer + 1) * 2 * cfg.n_embd


def test_layernorm_parameter_count_solution_passes():
    assert check_layernorm_parameter_count(_count_ln).passed


def test_layernorm_parameter_count_stub_not_attempted():
    assert check_layernorm_parameter_count(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda c: 2 * c.n_layer * 2 * c.n_embd, "you forgot ln_f"),
    (lambda c: c.n_layer * 2 * c.n_embd + 2 * c.n_embd, "each block has two LayerNorms, ln1 and ln2"),
    (lambda c: (2 * c.n_layer + 1) * c.n_embd, "weight (scale) and bias (shift)"),
    (lambda c: c.n_layer * 2 * c.n_embd, "and there is ln_f after the blocks"),
    (lambda c: 7, "you counted 7"),
    (lambda c: "many", "return a whole number of parameters, got 'many'"),
])
def test_layernorm_parameter_count_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_layernorm_parameter_count(fn), fragment)


def test_layernorm_parameter_count_known_answer():
    assert _count_ln(GPTConfig(n_embd=192, n_head=6, n_layer=6)) == 4_992
