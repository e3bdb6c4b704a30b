"""Lesson 03's exercise checks (course_lib/lessons/checks/l03_softmax.py): each
solution passes, each stub is "not attempted", and each typical mistake is named."""

import pytest
import torch
import torch.nn.functional as F

from course_lib.lessons.checks import (check_cross_entropy, check_stable_softmax,
                                       check_temperature_probs)

from checks_support import assert_fails, stub


# Typical mistakes of the stable softmax: no max subtracted (overflow); one max for the
# whole tensor; the row's mean or min subtracted (nan for rows with a wide range); the
# wrong dimension; log-probabilities; not normalised; a changed input; torch.softmax
# itself (the exercise is to write it).

def good_softmax(x):
    e = (x - x.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)


def _shifted_softmax(how):
    def softmax(x):
        shift = {"mean": x.mean(dim=-1, keepdim=True),
                 "min": x.min(dim=-1, keepdim=True).values}[how]
        e = (x - shift).exp()
        return e / e.sum(dim=-1, keepdim=True)
    return softmax


def test_stable_softmax_solution_passes():
    assert check_stable_softmax(good_softmax).passed
    assert check_stable_softmax(stub).status == "not_attempted"


def _inplace_softmax(x):
    x -= x.max(dim=-1, keepdim=True).values
    return x.exp() / x.exp().sum(dim=-1, keepdim=True)


@pytest.mark.parametrize("softmax,fragment", [
    (lambda x: x.exp() / x.exp().sum(dim=-1, keepdim=True), "exp(1000) overflows float32"),
    (lambda x: (x - x.max()).exp() / (x - x.max()).exp().sum(dim=-1, keepdim=True),
     "you subtracted one max for the whole tensor"),
    (_shifted_softmax("mean"), "the row [0, 100, 200] gives nan: you subtracted the row's mean"),
    (_shifted_softmax("min"), "the row [0, 100, 200] gives nan: you subtracted the row's min"),
    (lambda x: torch.softmax(x, dim=0), "you normalised over the wrong dimension"),
    (lambda x: torch.log_softmax(x, dim=-1), "you returned log-probabilities"),
    (lambda x: (x - x.max(dim=-1, keepdim=True).values).exp(), "the values are not normalised"),
    (lambda x: good_softmax(x)[..., :-1], "has shape"),
    (lambda x: good_softmax(x).tolist(), "should be a torch.Tensor, got list"),
    (lambda x: good_softmax(x ** 2), "the values differ from softmax"),
    (_inplace_softmax, "changed its input `x` in place"),
    (lambda x: torch.softmax(x, dim=-1), "you called torch.softmax"),
    (lambda x: F.softmax(x, -1), "you called torch.softmax (or F.softmax"),
    (lambda x: torch.log_softmax(x, -1).exp(), "you called torch.softmax (or F.softmax, or log_softmax)"),
])
def test_stable_softmax_rejects_typical_mistakes(softmax, fragment):
    assert_fails(check_stable_softmax(softmax), fragment)


# Typical mistakes of the temperature: multiplying; dividing the probabilities; no effect;
# the wrong dimension; T = 0 giving nan, a ZeroDivisionError, or a clamp; squared rows.

def good_temperature(logits, temperature):
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return torch.softmax(logits / temperature, dim=-1)


def test_temperature_probs_solution_passes():
    assert check_temperature_probs(good_temperature).passed
    from course_lib import next_token_probs
    assert check_temperature_probs(next_token_probs).passed
    assert check_temperature_probs(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda z, t: torch.softmax(z * t, dim=-1) if t > 0 else good_temperature(z, t),
     "you multiplied the logits by the temperature"),
    (lambda z, t: torch.softmax(z, dim=-1) / t if t > 0 else good_temperature(z, t),
     "you divided the probabilities by T"),
    (lambda z, t: torch.softmax(z, dim=-1) if t > 0 else good_temperature(z, t),
     "the temperature has no effect"),
    (lambda z, t: torch.softmax(z / t, dim=0) if t > 0 else good_temperature(z, t),
     "softmax over the wrong dimension"),
    (lambda z, t: torch.softmax(z / t, dim=-1), "temperature 0 silently gave nan"),
    (lambda z, t: torch.softmax(z * (1 / t), dim=-1), "temperature 0 raised ZeroDivisionError"),
    (lambda z, t: torch.softmax(z / max(t, 1e-3), dim=-1), "temperature 0 was accepted"),
    (lambda z, t: torch.softmax(z / t, dim=-1) ** 2 if t > 0 else good_temperature(z, t),
     "the rows do not sum to 1"),
])
def test_temperature_probs_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_temperature_probs(fn), fragment)


# Typical mistakes of cross-entropy: the sign; no mean; the sum; no log; the most likely
# class instead of the target; softmax twice; log(softmax) (-inf for e^-200); the wrong
# dimension; a str; F.cross_entropy itself (the exercise is to write it).

def good_cross_entropy(logits, targets):
    logp = torch.log_softmax(logits, dim=-1)
    return -logp[torch.arange(len(targets)), targets].mean()


def test_cross_entropy_solution_passes():
    assert check_cross_entropy(good_cross_entropy).passed
    assert check_cross_entropy(lambda z, t: float(good_cross_entropy(z, t).detach())).passed
    assert check_cross_entropy(stub).status == "not_attempted"


def _rows(t):
    return torch.arange(len(t))


@pytest.mark.parametrize("fn,fragment", [
    (lambda z, t: torch.log_softmax(z, -1)[_rows(t), t].mean(), "the loss is negative"),
    (lambda z, t: -torch.log_softmax(z, -1)[_rows(t), t], "the mean over the 6 examples"),
    (lambda z, t: -torch.log_softmax(z, -1)[_rows(t), t].sum(), "you summed over the examples"),
    (lambda z, t: -torch.softmax(z, -1)[_rows(t), t].mean(), "you forgot the log"),
    (lambda z, t: -torch.log_softmax(z, -1)[_rows(t), z.argmax(-1)].mean(),
     "the probability of the most likely class"),
    (lambda z, t: F.cross_entropy(torch.softmax(z, -1), t), "softmax was applied twice"),
    (lambda z, t: -torch.log(torch.softmax(z, -1))[_rows(t), t].mean(),
     "softmax rounds p = e^-200 to 0"),
    (lambda z, t: -torch.log_softmax(z, 0)[_rows(t), t].mean(), "log_softmax over the wrong dimension"),
    (lambda z, t: str(float(good_cross_entropy(z, t).detach())), "return the loss as a tensor or a number, got a str"),
    (F.cross_entropy, "you called F.cross_entropy (or F.nll_loss)"),
    (lambda z, t: F.nll_loss(F.log_softmax(z, -1), t), "you called F.cross_entropy (or F.nll_loss)"),
])
def test_cross_entropy_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_cross_entropy(fn), fragment)
