"""Lesson 03's exercise checks (notebooks/03_softmax.ipynb).

Their tests: tests/test_checks_l03_softmax.py."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..sandbox import describe
from .answers import (as_float_tensor, close, expect_tensor, name_the_mistake, ops_on_inputs,
                      same_with_nan)
from ...i18n import _
from .framework import Mistake, NotAttempted, attempt, call, exercise


def _rows_sum_to_one(p: torch.Tensor) -> bool:
    return close(p.sum(dim=-1), torch.ones(p.shape[:-1]), atol=1e-4)


def _some_other_dim_sums_to_one(p: torch.Tensor) -> bool:
    return any(close(p.sum(dim=d), torch.ones_like(p.sum(dim=d)), atol=1e-4)
               for d in range(p.dim() - 1))


def _softmax_after(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    e = (x - shift).exp()
    return e / e.sum(dim=-1, keepdim=True)


@exercise
def check_stable_softmax(softmax) -> str:
    """softmax(logits) -> probabilities along the last dimension, safe for huge logits."""
    g = torch.Generator().manual_seed(0)
    for x in (torch.randn(3, 5, generator=g) * 2, torch.randn(2, 3, 7, generator=g)):
        p = as_float_tensor(call(softmax, x))
        expect_tensor(p, tuple(x.shape), "softmax(logits)")
        want = torch.softmax(x, dim=-1)
        if close(p, torch.log_softmax(x, dim=-1)):
            raise Mistake(_("you returned log-probabilities (log_softmax); return the "
                            "probabilities themselves: exp(x - max) / sum of exp(x - max)"))
        if close(p, (x - x.max(dim=-1, keepdim=True).values).exp()) or \
                close(p, x.exp()):
            raise Mistake(_("the values are not normalised: divide exp(...) by its sum over "
                            "the last dimension so each row sums to 1"))
        if not _rows_sum_to_one(p):
            if _some_other_dim_sums_to_one(p):
                raise Mistake(_("you normalised over the wrong dimension: each row (the last "
                                "dimension, dim=-1) must sum to 1; use sum(dim=-1, "
                                "keepdim=True) and max(dim=-1, keepdim=True)"))
            raise Mistake(_("the rows do not sum to 1 (first row sums to {total:.4f})").format(
                total=float(p.reshape(-1, p.shape[-1])[0].sum())))
        if not close(p, want):
            raise Mistake(_("the rows sum to 1 but the values differ from softmax; compute "
                            "exp(x - max) / sum(exp(x - max)) along the last dimension"))
    big = torch.tensor([[1000.0, 1001.0, 1002.0]])
    p = as_float_tensor(call(softmax, big))
    if not torch.isfinite(p).all():
        raise Mistake(_("logits such as [1000, 1001, 1002] give nan or inf: exp(1000) "
                        "overflows float32. Subtract each row's max before exp: "
                        "x - x.max(dim=-1, keepdim=True).values"))
    mixed = torch.tensor([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]])
    p = as_float_tensor(call(softmax, mixed))
    if not torch.isfinite(p).all():
        raise Mistake(_("the row [-1000, -1001, -1002] gives nan when it sits under a row of "
                        "large logits: you subtracted one max for the whole tensor. Subtract "
                        "each row's own max (dim=-1, keepdim=True)"))
    if not close(p, torch.softmax(mixed, dim=-1)):
        raise Mistake(_("large logits give a wrong answer; compare with "
                        "torch.softmax(x, dim=-1)"))
    # rows with a wide range: only the max keeps every exponent <= 0
    wide = torch.tensor([[0.0, 100.0, 200.0], [-200.0, 0.0, 1.0]])
    p = as_float_tensor(call(softmax, wide))
    if not torch.isfinite(p).all():
        shifts = ((wide.mean(dim=-1, keepdim=True),
                   _("the row [0, 100, 200] gives nan: you subtracted the row's mean, which "
                     "leaves e^{power:.0f} = inf. Subtract the max: then the largest exponent "
                     "is e^0 = 1 and nothing overflows")),
                  (wide.min(dim=-1, keepdim=True).values,
                   _("the row [0, 100, 200] gives nan: you subtracted the row's min, which "
                     "leaves e^{power:.0f} = inf. Subtract the max: then the largest exponent "
                     "is e^0 = 1 and nothing overflows")))
        name_the_mistake(p, ((_softmax_after(wide, shift),
                              message.format(power=float((wide - shift)[0].max())))
                             for shift, message in shifts),
                         same=same_with_nan)
        raise Mistake(_("rows with a wide range such as [0, 100, 200] give nan or inf: subtract "
                        "each row's max, x.max(dim=-1, keepdim=True).values, before exp"))
    x = torch.randn(4, 6, generator=g) * 60               # random logits of a wide range
    for logits in (wide, x):
        p = as_float_tensor(call(softmax, logits))
        if not close(p, torch.softmax(logits, dim=-1)):
            raise Mistake(_("logits with a wide range give a wrong answer; compare with "
                            "torch.softmax(x, dim=-1)"))
    with torch.enable_grad():
        probe = torch.randn(2, 5, generator=g).requires_grad_(True)
        p = call(softmax, probe)
    if ops_on_inputs(p) & {"SoftmaxBackward0", "LogSoftmaxBackward0"}:
        raise Mistake(_("you called torch.softmax (or F.softmax, or log_softmax): right "
                        "values, but the exercise is to write it yourself, exp(x - max) / sum"))
    return _("equal to torch.softmax on every shape tried, and finite for logits of ±1000 and "
             "rows with a wide range.")


@exercise
def check_temperature_probs(probs_with_temperature) -> str:
    """probs_with_temperature(logits, T) -> softmax(logits / T); ValueError for T <= 0."""
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(2, 6, generator=g) * 2
    for T in (0.5, 1.0, 2.0):
        p = as_float_tensor(call(probs_with_temperature, logits, T))
        expect_tensor(p, tuple(logits.shape), f"probs_with_temperature(logits, {T})")
        want = torch.softmax(logits / T, dim=-1)
        if T != 1.0 and close(p, torch.softmax(logits * T, dim=-1)):
            raise Mistake(_("you multiplied the logits by the temperature; divide them: "
                            "softmax(logits / T). A low T must sharpen the distribution"))
        if T != 1.0 and close(p, torch.softmax(logits, dim=-1) / T):
            raise Mistake(_("you divided the probabilities by T, so the rows no longer sum to "
                            "1; divide the logits by T, then apply softmax"))
        if not _rows_sum_to_one(p):
            if _some_other_dim_sums_to_one(p):
                raise Mistake(_("softmax over the wrong dimension: each row (dim=-1) must sum "
                                "to 1"))
            raise Mistake(_("the rows do not sum to 1 at T = {T}; apply softmax after dividing "
                            "the logits by T").format(T=T))
        if not close(p, want):
            if T != 1.0 and close(p, torch.softmax(logits, dim=-1)):
                raise Mistake(_("the temperature has no effect: divide the logits by it before "
                                "the softmax"))
            raise Mistake(_("at T = {T} the probabilities differ from softmax(logits / T)")
                          .format(T=T))
    for bad in (0, -1.0):
        out = attempt(probs_with_temperature, logits, bad)
        if isinstance(out.error, NotImplementedError):
            raise NotAttempted
        if isinstance(out.error, ValueError):
            continue
        if out.error is not None:
            raise Mistake(_("temperature {bad} raised {error}; raise a ValueError with a "
                            "message that says the temperature must be > 0")
                          .format(bad=bad, error=type(out.error).__name__))
        if isinstance(out.value, torch.Tensor) and not torch.isfinite(out.value).all():
            raise Mistake(_("temperature {bad} silently gave nan; raise a ValueError instead: "
                            "check `if temperature <= 0` before dividing").format(bad=bad))
        raise Mistake(_("temperature {bad} was accepted; raise a ValueError for a temperature "
                        "<= 0 (dividing by 0 makes no distribution)").format(bad=bad))
    return _("softmax(logits / T) at T = 0.5, 1 and 2, and a ValueError for T = 0 and "
             "T = -1.")


def _loss_tensor(loss, n: int) -> torch.Tensor:
    """The learner's loss as a 0-d float tensor, or a Mistake saying what it was."""
    if isinstance(loss, (str, bytes, bool, list, tuple, dict)) or loss is None:
        raise Mistake(_("return the loss as a tensor or a number, got {got}")
                      .format(got=describe(loss)))
    if not isinstance(loss, torch.Tensor):
        try:
            loss = torch.as_tensor(loss, dtype=torch.float32)
        except (TypeError, ValueError, RuntimeError):
            raise Mistake(_("return the loss as a tensor or a number, got {got}")
                          .format(got=describe(loss))) from None
    if loss.numel() != 1:
        raise Mistake(_("return one number, the mean over the {n} examples; your result has "
                        "shape {shape} (add .mean())").format(n=n, shape=tuple(loss.shape)))
    return loss.detach().reshape(()).float()


@exercise
def check_cross_entropy(cross_entropy) -> str:
    """cross_entropy(logits (N, C), targets (N,)) -> mean of -log softmax(logits)[target]."""
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(6, 5, generator=g) * 2
    targets = torch.tensor([0, 3, 1, 1, 4, 2])
    hint = _("log_probs[torch.arange(N), targets] picks the target's entry in each row")
    with torch.enable_grad():
        raw = call(cross_entropy, logits.clone().requires_grad_(True), targets, hint=hint)
    loss = _loss_tensor(raw, len(targets))
    want = F.cross_entropy(logits, targets)
    logp = torch.log_softmax(logits, dim=-1)
    p = logp.exp()
    rows = torch.arange(len(targets))
    if close(loss, -want):
        raise Mistake(_("the loss is negative: cross-entropy is MINUS the log-probability of "
                        "the target, -log p(target)"))
    if close(loss, want * len(targets)):
        raise Mistake(_("you summed over the examples; take the mean (like F.cross_entropy)"))
    if close(loss, -p[rows, targets].mean()) or close(loss, (1 - p[rows, targets]).mean()):
        raise Mistake(_("you forgot the log: the loss is -log p(target), not -p(target)"))
    if close(loss, -logp[rows, logits.argmax(-1)].mean()):
        raise Mistake(_("you took the probability of the most likely class; take the "
                        "probability of the target class: logp[torch.arange(N), targets]"))
    if close(loss, F.cross_entropy(torch.softmax(logits, -1), targets)):
        raise Mistake(_("softmax was applied twice: F.cross_entropy expects logits, not "
                        "probabilities"))
    if close(loss, -torch.log_softmax(logits, dim=0)[rows, targets].mean()):
        raise Mistake(_("log_softmax over the wrong dimension: each row (one example) is a "
                        "distribution over the C classes, log_softmax(logits, dim=-1)"))
    if not close(loss, want):
        raise Mistake(_("your loss is {loss:.4f}, expected {want:.4f}; compute "
                        "-log softmax(logits)[target] for each row, then the mean")
                      .format(loss=float(loss), want=float(want)))
    if isinstance(raw, torch.Tensor) and ops_on_inputs(raw, direct=False) & {"NllLossBackward0"}:
        raise Mistake(_("you called F.cross_entropy (or F.nll_loss), which does the whole "
                        "computation: right value, but the exercise is to pick the entries "
                        "yourself, -log_probs[torch.arange(N), targets].mean()"))
    big = torch.tensor([[0.0, -200.0], [0.0, 0.0]])
    big_targets = torch.tensor([1, 0])
    loss = _loss_tensor(call(cross_entropy, big, big_targets, hint=hint), 2)
    if not torch.isfinite(loss):
        raise Mistake(_("logits [0, -200] with target 1 give an infinite loss: softmax rounds "
                        "p = e^-200 to 0 in float32 and log(0) = -inf. Use torch.log_softmax "
                        "(it computes x - max - log(sum(exp(x - max)))) instead of "
                        "log(softmax(x))"))
    if not close(loss, F.cross_entropy(big, big_targets), atol=1e-3):
        raise Mistake(_("large logits give a wrong loss; use torch.log_softmax"))
    return _("equal to F.cross_entropy, and finite even when a target's probability is "
             "e^-200.")
