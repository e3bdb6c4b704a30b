"""What the widgets of lessons 00 and 07 say after a move, in the learner's language.

widgets.py builds the controls; the sentences here need more than one line of code each:
what moving the chunk of lesson 00 did to its examples, and when float32 rounding shows in
lesson 07's LayerNorm.
"""

from __future__ import annotations

import math

import torch

from ..i18n import _, ngettext


def n_tokens(n: int) -> str:
    """'1 token', '5 tokens' in the learner's language."""
    return ngettext("{n} token", "{n} tokens", n).format(n=n)


def n_examples(n: int) -> str:
    """'1 example', '5 examples' in the learner's language."""
    return ngettext("{n} example", "{n} examples", n).format(n=n)


def start_moved(old: int, new: int, T: int) -> str:
    """What moving the chunk's start from `old` to `new` did to its T examples."""
    d = new - old
    if d == 1:
        return _("every target but the first moved up one row, each with a context that lost "
                 "its first token, and one new example ends the list")
    if d == -1:
        return _("every example moved down one row with one more token at the front of its "
                 "context, a new first example starts the list, and the old last one drops off")
    shared = T + 1 - abs(d)
    if shared > 0:
        if d > 0:
            template = _("the chunk moved {d} tokens on; it shares {shared} with the chunk "
                         "before, and those that are targets again have {d} fewer tokens of "
                         "context")
        else:
            template = _("the chunk moved {d} tokens back; it shares {shared} with the chunk "
                         "before, and those that are targets again have {d} more tokens of "
                         "context")
        return template.format(d=abs(d), shared=n_tokens(shared))
    if d > 0:
        template = _("the chunk moved {d} tokens on, past the old one: new text, the same "
                     "{examples}, built the same way")
    else:
        template = _("the chunk moved {d} tokens back, past the old one: new text, the same "
                     "{examples}, built the same way")
    return template.format(d=abs(d), examples=n_examples(T))


def float32_rounding(x: torch.Tensor, exact: torch.Tensor, y: torch.Tensor,
                      y_exact: torch.Tensor) -> list[str]:
    """Lines that explain float32 rounding when it visibly changes LayerNorm(x), else [].

    `x`, `y`: the float32 input and output; `exact`, `y_exact`: the same in float64.
    """
    if float((y.double() - y_exact).abs().max()) < 5e-5:     # invisible at 4 decimals
        return []
    top = x.abs().max()
    step = float(torch.nextafter(top, torch.tensor(math.inf)) - top)   # float32 spacing there
    gap = float((exact[1:] - exact[:-1]).abs().min())
    off = float((x.double() - exact).abs().max())
    return [
        _("float32 rounding: near {top:.6g}, float32 stores numbers only {step:.2g} apart, and "
          "the entries of x are {gap:.2g} apart, so each entry was rounded (by up to {off:.2g})."
          " The x printed above is what float32 holds: its gaps are no longer equal, and "
          "LayerNorm normalises those rounded gaps.").format(
            top=float(top), step=step, gap=gap, off=off),
        _("in float64, LayerNorm(x) = {values}  (with shift 0 float32 keeps these small gaps: "
          "it stores numbers near 0 much closer together)").format(
            values="  ".join(f"{v:.4f}" for v in y_exact.tolist()))]
