"""Lesson 04's exercise checks (course_lib/lessons/checks/l04_self_attention_trick.py): each
solution passes, each stub is "not attempted", and each typical mistake is named."""

import pytest
import torch

from course_lib.lessons.checks import check_causal_attention_weights, check_masked_average_weights

from checks_support import assert_fails, stub


# Typical mistakes of the averaging matrix: all ones / T (no mask); the upper triangle;
# the diagonal dropped (nan, or zeros); columns normalised; not normalised; dividing by T
# instead of t + 1; integers; the wrong size; the identity.

def good_average_weights(T):
    w = torch.tril(torch.ones(T, T))
    return w / w.sum(dim=1, keepdim=True)


def test_masked_average_weights_solution_passes():
    assert check_masked_average_weights(good_average_weights).passed
    softmax_way = lambda T: torch.softmax(  # noqa: E731
        torch.zeros(T, T).masked_fill(torch.tril(torch.ones(T, T)) == 0, float("-inf")), dim=-1)
    assert check_masked_average_weights(softmax_way).passed
    assert check_masked_average_weights(stub).status == "not_attempted"


def _no_diagonal(T):
    w = torch.tril(torch.ones(T, T), diagonal=-1)
    return w / w.sum(dim=1, keepdim=True)


def _no_diagonal_safe(T):
    w = torch.tril(torch.ones(T, T), diagonal=-1)
    return w / w.sum(dim=1, keepdim=True).clamp_min(1)


@pytest.mark.parametrize("fn,fragment", [
    (lambda T: torch.ones(T, T) / T, "weights above the diagonal are not 0"),
    (lambda T: torch.triu(torch.ones(T, T)) / torch.triu(torch.ones(T, T)).sum(1, keepdim=True),
     "takes from a later position"),
    (_no_diagonal, "contains nan: row 0 has nothing to average"),
    (_no_diagonal_safe, "the diagonal is 0"),
    (lambda T: torch.tril(torch.ones(T, T)) / torch.tril(torch.ones(T, T)).sum(0, keepdim=True),
     "you normalised over the wrong dimension"),
    (lambda T: torch.tril(torch.ones(T, T)), "every row should sum to 1, but row 1 sums to 2.0000"),
    (lambda T: torch.tril(torch.ones(T, T)) / T,
     "you divided every row by T = 4, so only the last row sums to 1 (row 0 sums to 0.2500)"),
    (lambda T: torch.tril(torch.ones(T, T)).long(), "has dtype torch.int64"),
    (lambda T: good_average_weights(T + 1), "has shape"),
    (lambda T: torch.eye(T), "row t should hold 1/(t+1)"),
])
def test_masked_average_weights_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_masked_average_weights(fn), fragment)


# Typical mistakes of the causal weights: no mask; masked with 0; the diagonal masked
# (nan, or zeros with -1e9); no scale, / head_size, * sqrt(head_size); softmax over the
# wrong dimension; the mask after the softmax; the scale after the softmax; k @ q^T; the
# wrong shape; a mask of fixed size.

def _attention(q, k, scale=None, mask=True, diagonal=0, fill=float("-inf"), dim=-1,
               mask_after=False, scale_after=False):
    T, hs = q.shape[-2], q.shape[-1]
    scale = hs ** -0.5 if scale is None else scale
    scores = q @ k.transpose(-2, -1) * (1.0 if scale_after else scale)
    keep = torch.tril(torch.ones(T, T), diagonal=diagonal) == 1
    if mask_after:
        return torch.softmax(scores, dim=dim).masked_fill(~keep, 0.0)
    if mask:
        scores = scores.masked_fill(~keep, fill)
    w = torch.softmax(scores, dim=dim)
    return w * scale if scale_after else w


def test_causal_attention_weights_solution_passes():
    assert check_causal_attention_weights(_attention).passed
    assert check_causal_attention_weights(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda q, k: _attention(q, k, mask=False), "you forgot the causal mask"),
    (lambda q, k: _attention(q, k, fill=0.0), "you filled the masked scores with 0"),
    (lambda q, k: _attention(q, k, diagonal=-1), "Did your mask exclude the diagonal?"),
    (lambda q, k: _attention(q, k, fill=-1e9, diagonal=-1), "the diagonal is 0"),
    (lambda q, k: _attention(q, k, scale=1.0), "you forgot the scale"),
    (lambda q, k: _attention(q, k, scale=1.0 / q.shape[-1]), "you divided by head_size"),
    (lambda q, k: _attention(q, k, scale=q.shape[-1] ** 0.5), "you multiplied by sqrt(head_size)"),
    (lambda q, k: _attention(q, k, dim=-2), "softmax over the wrong dimension"),
    (lambda q, k: _attention(q, k, mask_after=True), "you masked after the softmax"),
    (lambda q, k: _attention(q, k, scale_after=True), "you scaled the weights after the softmax"),
    (lambda q, k: _attention(k, q), "you computed k @ q^T"),
    (lambda q, k: _attention(q, k)[0], "has shape"),
    (lambda q, k: torch.softmax((q @ k.transpose(-2, -1) * q.shape[-1] ** -0.5).masked_fill(
        torch.tril(torch.ones(8, 8)) == 0, float("-inf")), -1), "Hint: the mask is torch.tril"),
])
def test_causal_attention_weights_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_causal_attention_weights(fn), fragment)
