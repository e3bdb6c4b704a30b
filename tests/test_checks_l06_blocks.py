"""Lesson 06's exercise checks (course_lib/lessons/checks/l06_blocks.py): each
solution passes, each stub is "not attempted", and each typical mistake is named."""

import pytest
import torch
import torch.nn as nn

from course_lib.lessons.checks import check_block_forward, check_dropout, check_feed_forward

from checks_support import assert_fails, stub


# Typical mistakes of block_forward: no residual connection (either part or both); post-norm;
# feed-forward before attention; the residual stream normalised; ln1 used twice; both parts
# reading the same x. Of make_feed_forward: a hidden layer not 4 * n_embd wide; no ReLU, or a
# ReLU after the last Linear; no bias; one Linear; the wrong output width; another
# non-linearity; no dropout; a fixed dropout rate that ignores the `dropout` argument. Of
# dropout by hand: the kept values not scaled, or multiplied by 1 - p; zeroing with
# probability 1 - p; dropping in evaluation mode; never dropping; a fixed rate; the input
# changed in place.


def _block(x, ln1, sa, ln2, ffwd):
    x = x + sa(ln1(x))
    return x + ffwd(ln2(x))


def test_block_forward_solution_passes():
    assert check_block_forward(_block).passed


def test_block_forward_stub_not_attempted():
    assert check_block_forward(stub).status == "not_attempted"


def _post_norm(x, ln1, sa, ln2, ffwd):
    x = ln1(x + sa(x))
    return ln2(x + ffwd(x))


def _swapped(x, ln1, sa, ln2, ffwd):
    x = x + ffwd(ln2(x))
    return x + sa(ln1(x))


def _norm_stream(x, ln1, sa, ln2, ffwd):
    x = ln1(x)
    x = x + sa(x)
    x = ln2(x)
    return x + ffwd(x)


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, l1, sa, l2, ff: ff(l2(sa(l1(x)))), "no residual connections"),
    (lambda x, l1, sa, l2, ff: (lambda a: a + ff(l2(a)))(sa(l1(x))),
     "the attention part has no residual connection"),
    (lambda x, l1, sa, l2, ff: (lambda a: ff(l2(a)))(x + sa(l1(x))),
     "the feed-forward part has no residual connection"),
    (_post_norm, "post-norm"),
    (_swapped, "wrong order: attention (communication) comes first"),
    (_norm_stream, "you normalised the residual stream itself"),
    (lambda x, l1, sa, l2, ff: (lambda a: a + ff(l1(a)))(x + sa(l1(x))), "uses ln1"),
    (lambda x, l1, sa, l2, ff: x + sa(l1(x)) + ff(l2(x)), "both parts read the same x"),
    (lambda x, l1, sa, l2, ff: _block(x, l1, sa, l2, ff) * 2, "the values differ from a Block"),
    (lambda x, l1, sa, l2, ff: sa(l1(x))[:, -1], "has shape (2, 16), expected (2, 6, 16)"),
])
def test_block_forward_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_block_forward(fn), fragment)


def _ffwd(C, dropout, hidden=4, relu=True, relu_last=False, bias=True, with_dropout=True):
    layers = [nn.Linear(C, hidden * C, bias=bias)]
    if relu and not relu_last:
        layers.append(nn.ReLU())
    layers.append(nn.Linear(hidden * C, C, bias=bias))
    if relu_last:
        layers.append(nn.ReLU())
    if with_dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def test_feed_forward_solution_passes():
    assert check_feed_forward(_ffwd).passed


def test_feed_forward_stub_not_attempted():
    assert check_feed_forward(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda C, p: _ffwd(C, p, hidden=2), "the hidden layer has 16 units; it should be 4 * n_embd = 32"),
    (lambda C, p: _ffwd(C, p, relu=False), "no non-linearity between the two Linear layers"),
    (lambda C, p: _ffwd(C, p, relu_last=True), "the ReLU comes after the last Linear"),
    (lambda C, p: _ffwd(C, p, with_dropout=False), "no output was zeroed"),
    (lambda C, p: _ffwd(C, p, bias=False), "both Linear layers have a bias"),
    (lambda C, p: nn.Sequential(nn.Linear(C, 4 * C), nn.ReLU()), "two Linear layers, yours has 1"),
    (lambda C, p: nn.Sequential(nn.Linear(C, 4 * C), nn.ReLU(), nn.Linear(4 * C, 2 * C)),
     "the second gives 16"),
    (lambda C, p: nn.Sequential(nn.Linear(C, 4 * C), nn.Tanh(), nn.Linear(4 * C, C)),
     "the output differs from Linear(C, 4C) -> ReLU"),
    (lambda C, p: [nn.Linear(C, 4 * C)], "return a torch.nn.Module"),
    (lambda C, p: _ffwd(C, 0.1), "the rate is fixed (your nn.Dropout has p = 0.1) instead of the "
                                 "`dropout` argument"),
    (lambda C, p: _ffwd(C, 1 - p), "not of keeping"),
    (lambda C, p: _ffwd(C, 0.5 if p > 0 else 0.0), "make_feed_forward(n_embd, dropout=0.2) zeroed"),
])
def test_feed_forward_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_feed_forward(fn), fragment)


def _dropout(x, p, training, scale=lambda p: 1 / (1 - p), keep=lambda p: 1 - p, in_eval=False):
    if not training and not in_eval:
        return x
    mask = (torch.rand_like(x) < keep(p)).float()
    return x * mask * scale(p)


def test_dropout_solution_passes():
    assert check_dropout(_dropout).passed
    assert check_dropout(lambda x, p, t: nn.functional.dropout(x, p, t)).passed


def test_dropout_stub_not_attempted():
    assert check_dropout(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, p, t: _dropout(x, p, t, scale=lambda p: 1.0), "the kept values are not scaled"),
    (lambda x, p, t: _dropout(x, p, t, scale=lambda p: 1 - p), "you multiplied the kept values by (1 - p)"),
    (lambda x, p, t: _dropout(x, p, t, keep=lambda p: p), "you zeroed a fraction"),
    (lambda x, p, t: _dropout(x, p, t, in_eval=True), "in evaluation mode (training=False)"),
    (lambda x, p, t: x, "in training mode nothing was zeroed"),
    (lambda x, p, t: _dropout(x, p, t, keep=lambda p: 0.5), "about 25% of the values should be zero"),
    (lambda x, p, t: _dropout(x, p, t, scale=lambda p: 2.0), "every kept value should be x / (1 - p)"),
    (lambda x, p, t: _dropout(x, p, t)[:10], "has shape (10,)"),
])
def test_dropout_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_dropout(fn), fragment)
