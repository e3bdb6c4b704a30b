"""Lesson 05's exercise checks (course_lib/lessons/checks/l05_heads.py): each
solution passes, each stub is "not attempted", and each typical mistake is named."""

import pytest
import torch
import torch.nn.functional as F

from course_lib.lessons.checks import (check_head_forward, check_mha_parameter_count,
                                       check_multi_head)

from checks_support import assert_fails, stub


# Typical mistakes of a head's forward pass: no causal mask; the future filled with 0 instead
# of -inf (e^0 = 1 still gives it weight); the mask applied after the softmax; the past
# masked instead of the future (triu); no scale, 1/sqrt(n_embd), sqrt(head_size) or
# 1/head_size; softmax over the wrong dimension; queries and keys swapped; returning the
# weights instead of weights @ v; wei @ x instead of wei @ v; the weights used untransposed.
# Of multi_head: no projection; heads concatenated in reverse order, along the wrong
# dimension, summed or stacked instead of concatenated. Of the parameter count: proj's bias
# or proj forgotten, biases on key/query/value, heads mapping to n_embd, heads reading only
# head_size inputs.


def _head(x, Wk, Wq, Wv, scale=None, mask=True, dim=-1, swap=False, values=True,
          fill=float("-inf"), after=False, past=False):
    k, q, v = x @ Wk.T, x @ Wq.T, x @ Wv.T
    if swap:
        q, k = k, q
    wei = q @ k.transpose(-2, -1) * (Wk.shape[0] ** -0.5 if scale is None else scale(x, Wk))
    T = x.shape[1]
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    if past:
        future = torch.tril(torch.ones(T, T, dtype=torch.bool), -1)
    if mask and not after:
        wei = wei.masked_fill(future, fill)
    wei = F.softmax(wei, dim=dim)
    if mask and after:
        wei = wei.masked_fill(future, fill)
    return wei @ v if values else wei


def test_head_forward_solution_passes():
    assert check_head_forward(_head).passed


def test_head_forward_stub_not_attempted():
    assert check_head_forward(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, k, q, v: _head(x, k, q, v, mask=False), "Forgot the causal mask?"),
    (lambda x, k, q, v: _head(x, k, q, v, fill=0.0), "you filled the future with 0 before the softmax"),
    (lambda x, k, q, v: _head(x, k, q, v, fill=-1e9), None),
    (lambda x, k, q, v: _head(x, k, q, v, fill=0.0, after=True), "you masked after the softmax"),
    (lambda x, k, q, v: _head(x, k, q, v, after=True), "you masked after the softmax"),
    (lambda x, k, q, v: _head(x, k, q, v, past=True), "you masked the past instead of the future"),
    (lambda x, k, q, v: _head(x, k, q, v, scale=lambda x, W: 1 / W.shape[0]),
     "you divided by head_size"),
    (lambda x, k, q, v: _head(x, k, q, v, scale=lambda x, W: 1.0), "the weights are not scaled"),
    (lambda x, k, q, v: _head(x, k, q, v, scale=lambda x, W: x.shape[-1] ** -0.5),
     "you scaled by 1/sqrt(n_embd)"),
    (lambda x, k, q, v: _head(x, k, q, v, scale=lambda x, W: W.shape[0] ** 0.5),
     "you multiplied by sqrt(head_size)"),
    (lambda x, k, q, v: _head(x, k, q, v, dim=-2), "softmax over the wrong dimension: each row"),
    (lambda x, k, q, v: _head(x, k, q, v, dim=0), "your output contains NaN"),
    (lambda x, k, q, v: _head(x, k, q, v, swap=True), "queries and keys are swapped"),
    (lambda x, k, q, v: _head(x, k, q, v, values=False), "those are the attention weights"),
    (lambda x, k, q, v: _head(x, k, q, v, values=False) @ x, "instead of by the values"),
    (lambda x, k, q, v: _head(x, k.T, q.T, v.T), "raised RuntimeError"),
    (lambda x, k, q, v: _head(x, k, q, v) * 2, "the values differ from the reference"),
])
def test_head_forward_rejects_typical_mistakes(fn, fragment):
    if fragment is None:                 # -1e9 instead of -inf: the same weights, accepted
        assert check_head_forward(fn).passed
        return
    assert_fails(check_head_forward(fn), fragment)
    assert "Forgot the causal mask?" not in check_head_forward(fn).message or \
        fragment == "Forgot the causal mask?"


def test_head_forward_wrong_weight_layout_hint():
    r = check_head_forward(lambda x, k, q, v: _head(x, k.T, q.T, v.T))
    assert "k = x @ Wk.T" in r.message


def _multi(x, heads, proj):
    return proj(torch.cat([h(x) for h in heads], dim=-1))


def test_multi_head_solution_passes():
    assert check_multi_head(_multi).passed


def test_multi_head_stub_not_attempted():
    assert check_multi_head(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, hs, p: torch.cat([h(x) for h in hs], dim=-1), "forgot the projection"),
    (lambda x, hs, p: p(torch.cat([h(x) for h in reversed(hs)], dim=-1)), "reverse order"),
    (lambda x, hs, p: p(torch.cat([h(x) for h in hs], dim=1)),
     "concatenate the heads' outputs along the channels"),
    (lambda x, hs, p: p(sum(h(x) for h in hs)), "raised RuntimeError"),
    (lambda x, hs, p: p(torch.stack([h(x) for h in hs], dim=-1)), "raised RuntimeError"),
    (lambda x, hs, p: p(torch.cat([hs[0](x)] * len(hs), dim=-1)), "the values differ"),
    (lambda x, hs, p: torch.cat([h(x) for h in hs], dim=-1)[:, :, :4], "has shape (2, 5, 4)"),
])
def test_multi_head_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_multi_head(fn), fragment)


def _count(C, nh):
    return 3 * C * C + C * C + C


def test_mha_parameter_count_solution_passes():
    assert check_mha_parameter_count(_count).passed
    assert check_mha_parameter_count(lambda C, nh: torch.tensor(_count(C, nh))).passed


def test_mha_parameter_count_stub_not_attempted():
    assert check_mha_parameter_count(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda C, nh: 4 * C * C, "forgot the bias of proj"),
    (lambda C, nh: 3 * C * C, "you forgot proj"),
    (lambda C, nh: 4 * C * C + 4 * C, "key, query and value have no bias"),
    (lambda C, nh: nh * 3 * C * C + C * C + C, "map n_embd to head_size, not to n_embd"),
    (lambda C, nh: 3 * (C // nh) ** 2 * nh + C * C + C, "each head reads all n_embd input"),
    (lambda C, nh: 42, "you counted 42"),
    (lambda C, nh: 1.5, "return a whole number"),
])
def test_mha_parameter_count_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_mha_parameter_count(fn), fragment)
