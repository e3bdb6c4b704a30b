"""Helpers that the checks of several lessons share: reading a learner's answer as a
number, a list of IDs or a float tensor, comparing tensors, and naming a typical mistake."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch

from ...i18n import _
from ..sandbox import describe
from .framework import Mistake


def expect_tensor(out, shape: tuple, what: str | None = None) -> torch.Tensor:
    """Fail with a clear message unless `out` is a tensor of `shape`.

    `what` names the result in the message (default: "your result"); pass it already
    translated, e.g. _("your logits"), or as code, e.g. "softmax(logits)".
    """
    what = _("your result") if what is None else what
    if not isinstance(out, torch.Tensor):
        raise Mistake(_("{what} should be a torch.Tensor, got {type}").format(
            what=what, type=type(out).__name__))
    if tuple(out.shape) != tuple(shape):
        raise Mistake(_("{what} has shape {shape}, expected {expected}").format(
            what=what, shape=tuple(out.shape), expected=tuple(shape)))
    return out


def close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    return torch.allclose(a.float(), b.float(), atol=atol, rtol=rtol)


def name_the_mistake(got, mistakes: Iterable[tuple[Any, str]],
                     same: Callable[[Any, Any], bool] = close) -> None:
    """A table of typical mistakes: raise Mistake(message) for the first (wrong answer, message)
    of `mistakes` that `got` matches, `same(got, wrong)`; return if none does.

    `mistakes` may be a generator, so a wrong answer that is costly to compute (a training
    run done the wrong way) is only computed when the mistakes before it did not match.
    """
    for wrong, message in mistakes:
        if same(got, wrong):
            raise Mistake(message)          # the caller wrote it translated: _("...")


def is_int(value) -> bool:
    """A whole number of an integer type: int, numpy integer or an integer 0-d tensor."""
    if isinstance(value, torch.Tensor):
        return value.dim() == 0 and not value.is_floating_point() and value.dtype != torch.bool
    return not isinstance(value, bool) and hasattr(value, "__index__")


def id_list(ids, what: str) -> list[int]:
    """The learner's token IDs as a list of ints, or a Mistake that says what they were."""
    if isinstance(ids, str):
        raise Mistake(_("{what} returned a string; it should return a list of integers (IDs)"
                        ).format(what=what))
    if isinstance(ids, torch.Tensor):
        ids = ids.tolist()
    elif hasattr(ids, "tolist") and type(ids).__module__ == "numpy":
        ids = ids.tolist()
    if is_int(ids) or isinstance(ids, float):
        raise Mistake(_("{what} returned one number ({number}); it should return a list with "
                        "one ID per character").format(what=what, number=repr(ids)))
    if not isinstance(ids, (list, tuple)):
        raise Mistake(_("{what} returned {value}; it should return a list of integers").format(
            what=what, value=describe(ids)))
    if ids and all(isinstance(i, str) for i in ids):
        raise Mistake(_("{what} returned characters ({first}...), not IDs: look each one "
                        "up in stoi").format(what=what, first=ids[:3]))
    if not all(is_int(i) for i in ids):
        bad = next(i for i in ids if not is_int(i))
        raise Mistake(_("{what} returned {value} among the IDs; every ID is an int "
                        "(stoi[c] already is one)").format(what=what, value=describe(bad)))
    return [int(i) for i in ids]


def as_number(out, hint: str) -> float:
    """The learner's result as a float; a Mistake (with `hint`) if it is not one number."""
    if isinstance(out, torch.Tensor):
        if out.numel() != 1:
            raise Mistake(_("your result has shape {shape}; {hint}").format(
                shape=tuple(out.shape), hint=hint))
        out = out.item()
    if isinstance(out, (str, bytes, bool)) or isinstance(out, complex):
        raise Mistake(_("your function returned {value}; return a number").format(
            value=describe(out)))
    try:
        return float(out)
    except (TypeError, ValueError):
        raise Mistake(_("your function returned {value}; return a number").format(
            value=describe(out))) from None


# autograd operations that read rows of a tensor directly: a lookup, not a product
LOOKUP_OPS = {"IndexBackward0", "EmbeddingBackward0", "IndexSelectBackward0", "SelectBackward0",
               "GatherBackward0", "UnbindBackward0", "EmbeddingBagBackward0", "TakeBackward0"}


def ops_on_inputs(out, direct: bool = True) -> set[str]:
    """Names of the autograd operations that made `out`: with direct=True only those applied
    directly to an input that requires grad (a lookup, a product, ...), else all of them."""
    names, seen, stack = set(), set(), [getattr(out, "grad_fn", None)]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if not direct:
            names.add(type(node).__name__)
        for child, _unused in node.next_functions:
            if child is None:
                continue
            if type(child).__name__ == "AccumulateGrad":
                names.add(type(node).__name__)
            else:
                stack.append(child)
    return names


def as_float_tensor(out, what: str | None = None) -> torch.Tensor:
    """`out` if it is a float tensor, else a Mistake; `what` as in expect_tensor."""
    what = _("your result") if what is None else what
    if not isinstance(out, torch.Tensor):
        raise Mistake(_("{what} should be a torch.Tensor, got {type}").format(
            what=what, type=type(out).__name__))
    if not out.is_floating_point():
        raise Mistake(_("{what} has dtype {dtype}; probabilities are floats (torch.float32)"
                        ).format(what=what, dtype=out.dtype))
    return out


def same_with_nan(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a.float(), b.float(), atol=1e-5, rtol=1e-4,
                                                 equal_nan=True)


def whole_number(got) -> int:
    """A count returned as an int, a whole float or a one-element tensor, as an int."""
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, bool) or not (isinstance(got, int)
                                     or (isinstance(got, float) and got.is_integer())):
        raise Mistake(_("return a whole number of parameters, got {got}").format(got=repr(got)))
    return int(got)
