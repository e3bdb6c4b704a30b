"""Lesson 12's checks: each solution passes, each stub is "not attempted", and each typical
mistake is rejected with the message that names it."""

import pytest
import torch
import torch.nn.functional as F

from course_lib.core.model import apply_rope, rope_angles, rope_frequencies
from course_lib.lessons.checks import (EXERCISES, check_repeat_kv, check_rms_norm,
                                       check_rope_rotate, check_swiglu)
import course_lib.lessons.checks.l12_modern_gpt as checks_l12


def stub(*args):
    raise NotImplementedError


def failed_with(result, fragment: str) -> bool:
    return result.status == "failed" and fragment in result.message


def test_every_exercise_is_listed_and_exists():
    assert set(EXERCISES["12"]) == {n for n in dir(checks_l12) if n.startswith("check_")}


@pytest.mark.parametrize("check", [check_rms_norm, check_rope_rotate, check_repeat_kv,
                                   check_swiglu], ids=lambda c: c.__name__)
def test_stub_is_not_attempted(check):
    r = check(stub)
    assert r.status == "not_attempted" and "not attempted yet" in r.message


# ----------------------------------------------------------------------------- RMSNorm

def rms(x, w, eps, dim=-1, centre=False, inside=True, use_w=True, root=True, reduce="mean",
        with_eps=True):
    v = x - x.mean(dim, keepdim=True) if centre else x
    ms = v.pow(2).mean(dim, keepdim=True) if reduce == "mean" else v.pow(2).sum(dim, keepdim=True)
    e = eps if with_eps else 0.0
    d = ((ms + e).sqrt() if inside else ms.sqrt() + e) if root else ms + e
    return v / d * (w if use_w else 1)


def test_rms_norm_solution_passes():
    r = check_rms_norm(lambda x, w, eps: x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w)
    assert r.passed, r


@pytest.mark.parametrize("kw,fragment", [
    ({"centre": True}, "you subtracted the mean first"),
    ({"dim": 0}, "wrong dimension (dim 0, the batch)"),
    ({"dim": 1}, "wrong dimension (dim 1, time)"),
    ({"inside": False}, "epsilon belongs inside the square root"),
    ({"use_w": False}, "you ignored the learned scale `weight`"),
    ({"root": False}, "you divided by the mean square, not its square root"),
    ({"reduce": "sum"}, "you used the sum of the squares"),
    ({"with_eps": False}, "you left out epsilon"),
])
def test_rms_norm_mistakes_are_named(kw, fragment):
    r = check_rms_norm(lambda x, w, eps: rms(x, w, eps, **kw))
    assert failed_with(r, fragment), r


def test_rms_norm_other_failures():
    assert failed_with(check_rms_norm(F.rms_norm), "you passed PyTorch's rms_norm itself")
    assert failed_with(check_rms_norm(lambda x, w, eps: x.mean(-1)), "has shape (3, 4)")
    assert failed_with(check_rms_norm(lambda x, w, eps: x * 2), "the values differ from RMSNorm")


# ----------------------------------------------------------------------------- RoPE

def rotate(x, positions, sign=1.0, halves=False, two=2.0, per_pair=True, shift=0, use_pos=True):
    hs = x.size(-1)
    i = torch.arange(hs // 2, dtype=torch.float32)
    theta = 10000.0 ** (-two * i / hs) if per_pair else torch.ones(hs // 2)
    pos = positions.float() + shift
    a = (pos if use_pos else torch.ones_like(pos))[:, None] * theta
    cos, sin = a.cos(), sign * a.sin()
    if halves:
        x1, x2 = x[..., :hs // 2], x[..., hs // 2:]
        return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), -1)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), -1).flatten(-2)


def test_rope_solution_and_library_pass():
    assert check_rope_rotate(rotate).passed
    lib = lambda x, p: apply_rope(x, *rope_angles(rope_frequencies(x.size(-1)), int(p[0]), 1)) \
        if len(p) == 1 else torch.cat([apply_rope(x[..., t:t + 1, :], *rope_angles(
            rope_frequencies(x.size(-1)), int(p[t]), 1)) for t in range(len(p))], dim=-2)
    assert check_rope_rotate(lib).passed


@pytest.mark.parametrize("kw,fragment", [
    ({"sign": -1.0}, "you turned the pairs the other way"),
    ({"halves": True}, "you paired channel i with channel i + hs/2"),
    ({"two": 1.0}, "the frequencies are 10000^(-2i/hs), with the 2"),
    ({"per_pair": False}, "every pair turned by the same angle"),
    ({"shift": 1}, "off by one"),
    ({"use_pos": False}, "every position turned by the same angle"),
])
def test_rope_mistakes_are_named(kw, fragment):
    r = check_rope_rotate(lambda x, p: rotate(x, p, **kw))
    assert failed_with(r, fragment), r


def test_rope_other_failures():
    assert failed_with(check_rope_rotate(lambda x, p: x.clone()), "nothing was rotated")
    assert failed_with(check_rope_rotate(lambda x, p: x * 2), "the values differ from the rotation")
    assert failed_with(check_rope_rotate(lambda x, p: x[..., :4]), "has shape")


# ----------------------------------------------------------------------------- repeat_kv

def test_repeat_kv_solution_passes():
    assert check_repeat_kv(lambda x, n: x.repeat_interleave(n, dim=1)).passed
    assert check_repeat_kv(lambda x, n: x[:, :, None].expand(-1, -1, n, -1, -1).flatten(1, 2)).passed


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, n: x.repeat(1, n, 1, 1), "your heads come as 0, 1, 2, 0, 1, 2"),
    (lambda x, n: x.repeat_interleave(n, dim=0), "you repeated the batch (dim 0)"),
    (lambda x, n: x.repeat_interleave(n, dim=2), "you repeated the time steps (dim 2)"),
    (lambda x, n: x.repeat_interleave(n, dim=-1), "you repeated the channels (dim 3)"),
    (lambda x, n: x, "the shape did not change"),
    (lambda x, n: x.repeat_interleave(2, dim=1), "with n_rep = 1 nothing is repeated"),
    (lambda x, n: torch.zeros(2, 6, 4, 5), "the values differ"),
])
def test_repeat_kv_mistakes_are_named(fn, fragment):
    r = check_repeat_kv(fn)
    assert failed_with(r, fragment), r


# ----------------------------------------------------------------------------- SwiGLU

def test_swiglu_solution_passes():
    assert check_swiglu(lambda x, wg, wu, wd: (F.silu(x @ wg.T) * (x @ wu.T)) @ wd.T).passed


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, wg, wu, wd: (F.silu(x @ wu.T) * (x @ wg.T)) @ wd.T, "SiLU went on the wrong half"),
    (lambda x, wg, wu, wd: (torch.sigmoid(x @ wg.T) * (x @ wu.T)) @ wd.T, "you used sigmoid(a)"),
    (lambda x, wg, wu, wd: (torch.relu(x @ wg.T) * (x @ wu.T)) @ wd.T, "you used ReLU as the gate"),
    (lambda x, wg, wu, wd: (F.gelu(x @ wg.T) * (x @ wu.T)) @ wd.T, "you used GELU (that is GEGLU)"),
    (lambda x, wg, wu, wd: F.silu(x @ wg.T) @ wd.T, "no gate"),
    (lambda x, wg, wu, wd: ((x @ wg.T) * (x @ wu.T)) @ wd.T, "no nonlinearity"),
    (lambda x, wg, wu, wd: F.silu(x @ wg.T) * (x @ wu.T), "you left out the last matrix"),
    (lambda x, wg, wu, wd: x * 2, "the values differ from"),
])
def test_swiglu_mistakes_are_named(fn, fragment):
    r = check_swiglu(fn)
    assert failed_with(r, fragment), r
