"""One home for checking arguments: each function names the argument, the value and the fix.

    positive_int("n_embd", 0)              ValueError: n_embd must be a positive integer, got 0
    int_at_least("max_new_tokens", -1, 0)  ValueError: max_new_tokens must be an integer >= 0, got -1
    finite_number("lr", 0, above=0)        ValueError: lr must be a finite number > 0, got 0
    one_of("precision", "fp16", PRECISIONS)

Each returns the value when it is good, so a check reads as an assignment. `hint` adds the
fix to the message. `True` and `False` are not numbers here (Python counts them as 0 and 1,
which hides mistakes such as passing a flag where a size belongs).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from ..i18n import _


def _say(message: str, hint: str) -> str:
    return f"{message}; {hint}" if hint else message


def is_whole(value) -> bool:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def positive_int(name: str, value, hint: str = "") -> int:
    if not is_whole(value) or value < 1:
        raise ValueError(_say(_("{name} must be a positive integer, got {value!r}").format(
            name=name, value=value), hint))
    return value


def int_at_least(name: str, value, low: int, hint: str = "") -> int:
    if not is_whole(value) or value < low:
        raise ValueError(_say(_("{name} must be an integer >= {low}, got {value!r}").format(
            name=name, low=low, value=value), hint))
    return value


def finite_number(name: str, value, above: float | None = None, at_least: float | None = None,
                  below: float | None = None, hint: str = "") -> float:
    """A finite int or float, > above, >= at_least, < below (each bound optional)."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and (above is None or value > above) and (at_least is None or value >= at_least) \
        and (below is None or value < below)
    if not ok:
        bounds = [f"> {above:g}" if above is not None else "",
                  f">= {at_least:g}" if at_least is not None else "",
                  f"< {below:g}" if below is not None else ""]
        want = _(" and ").join(b for b in bounds if b)
        if want:
            message = _("{name} must be a finite number {bounds}, got {value!r}").format(
                name=name, bounds=want, value=value)
        else:
            message = _("{name} must be a finite number, got {value!r}").format(
                name=name, value=value)
        raise ValueError(_say(message, hint))
    return value


def one_of(name: str, value, choices: Iterable, hint: str = ""):
    choices = list(choices)
    if value not in choices:
        raise ValueError(_say(_("{name} must be one of {choices}, got {value!r}").format(
            name=name, choices=choices, value=value), hint))
    return value


def boolean(name: str, value, hint: str = "") -> bool:
    if not isinstance(value, bool):
        raise ValueError(_say(_("{name} must be True or False, got {value!r}").format(
            name=name, value=value), hint))
    return value


def float_tensor(x, name: str) -> torch.Tensor:
    """`x` as a float tensor (a list or a tensor of numbers); TypeError naming it otherwise."""
    if not isinstance(x, torch.Tensor):
        try:
            x = torch.as_tensor(x)
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(_("{name} must be a tensor or a list of numbers, got {kind}").format(
                name=name, kind=type(x).__name__)) from None
    if x.is_complex() or x.dtype == torch.bool:
        raise TypeError(_("{name} must hold real numbers, got {dtype}").format(
            name=name, dtype=x.dtype))
    return x if x.is_floating_point() else x.float()


def token_ids(ids, vocab_size: int) -> list[int]:
    """A tokenizer's decode input as a list of IDs in 0..vocab_size-1, or a clear error.

    Takes a list, a 1-D tensor or any iterable of ints; a 2-D tensor (a whole batch) and a
    string (text, not IDs) are refused with the fix.
    """
    if hasattr(ids, "dim") and hasattr(ids, "tolist"):          # a torch.Tensor
        if ids.dim() != 1:
            raise ValueError(_("decode expects a 1-D sequence of IDs, got a tensor of shape "
                               "{shape}; decode one row at a time, e.g. decode(idx[0])").format(
                shape=tuple(ids.shape)))
        ids = ids.tolist()
    if isinstance(ids, (str, bytes)):
        raise TypeError(_("decode expects a list of token IDs; to turn text into IDs, use "
                          "encode()"))
    ids = list(ids)
    for pos, i in enumerate(ids):
        if not is_whole(i):
            raise TypeError(_("token ID at position {pos} is {value!r}; IDs must be integers").format(
                pos=pos, value=i))
        if not 0 <= i < vocab_size:
            raise ValueError(_("token ID {id} at position {pos} is outside the vocabulary "
                               "(valid IDs are 0 to {last})").format(
                id=i, pos=pos, last=vocab_size - 1))
    return ids
