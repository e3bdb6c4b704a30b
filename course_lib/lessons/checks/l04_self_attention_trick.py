"""Lesson 04's exercise checks (notebooks/04_self_attention_trick.ipynb).

Their tests: tests/test_checks_l04_self_attention_trick.py."""

from __future__ import annotations

import torch

from ...i18n import _
from .answers import as_float_tensor, close, expect_tensor
from .framework import Mistake, call, exercise


def _causal_reference(q: torch.Tensor, k: torch.Tensor, scale: float | None = None,
                      fill: float = float("-inf")) -> torch.Tensor:
    T, hs = q.shape[-2], q.shape[-1]
    scale = hs ** -0.5 if scale is None else scale
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    scores = (q @ k.transpose(-2, -1) * scale).masked_fill(~mask, fill)
    return torch.softmax(scores, dim=-1)


@exercise
def check_masked_average_weights(masked_average_weights) -> str:
    """masked_average_weights(T) -> (T, T): row t holds 1/(t+1) in columns 0..t, 0 after."""
    for T in (1, 4, 8):
        w = as_float_tensor(call(masked_average_weights, T), f"masked_average_weights({T})")
        expect_tensor(w, (T, T), f"masked_average_weights({T})")
        ones = torch.tril(torch.ones(T, T))
        want = ones / ones.sum(dim=1, keepdim=True)
        if torch.isnan(w).any():
            raise Mistake(_("masked_average_weights({T}) contains nan: row 0 has nothing to "
                            "average if you drop the diagonal. Keep it: position t averages "
                            "positions 0..t, itself included (torch.tril, not "
                            "tril(diagonal=-1))").format(T=T))
        if (w.triu(diagonal=1).abs() > 1e-6).any():
            raise Mistake(_("some weights above the diagonal are not 0: position t takes from "
                            "a later position (the future). Use torch.tril to keep only columns "
                            "0..t"))
        if (w.diagonal().abs() < 1e-6).any():
            raise Mistake(_("the diagonal is 0: each position must also average itself, so "
                            "column t of row t is 1/(t+1) (torch.tril keeps the diagonal)"))
        sums = w.sum(dim=1)
        if not close(sums, torch.ones(T)):
            if close(w.sum(dim=0), torch.ones(T)):
                raise Mistake(_("the columns sum to 1, not the rows: you normalised over the "
                                "wrong dimension. Divide by w.sum(dim=1, keepdim=True)"))
            if close(w, ones / T):
                raise Mistake(_("you divided every row by T = {T}, so only the last row sums "
                                "to 1 (row 0 sums to {total:.4f}); row t has t + 1 ones, so "
                                "divide each row by its own sum, w.sum(dim=1, keepdim=True)")
                              .format(T=T, total=float(sums[0])))
            bad = int((~torch.isclose(sums, torch.ones(T), atol=1e-5)).nonzero()[0])
            raise Mistake(_("every row should sum to 1, but row {row} sums to {total:.4f}: "
                            "divide each row by its number of ones")
                          .format(row=bad, total=float(sums[bad])))
        if not close(w, want):
            raise Mistake(_("row t should hold 1/(t+1) in columns 0..t; for T = {T} you gave "
                            "row {row} = {values}")
                          .format(T=T, row=T - 1, values=[round(float(v), 3) for v in w[-1]]))
    return _("lower-triangular, the diagonal included, and every row averages positions 0..t.")


@exercise
def check_causal_attention_weights(causal_attention_weights) -> str:
    """causal_attention_weights(q, k) -> (B, T, T) masked, scaled softmax weights."""
    g = torch.Generator().manual_seed(4)
    # 1. structure: with q = 0 every score is 0, so the right answer is the masked average
    #    (row t: 1/(t+1) in columns 0..t) whatever the scale; this isolates mask and dim
    B, T, hs = 2, 6, 16
    q0, k0 = torch.zeros(B, T, hs), torch.randn(B, T, hs, generator=g)
    w = as_float_tensor(call(causal_attention_weights, q0, k0,
                              hint=_("the mask is torch.tril(torch.ones(T, T)) with "
                                     "T = q.shape[-2]")))
    expect_tensor(w, (B, T, T), "causal_attention_weights(q, k)")
    if torch.isnan(w).any():
        raise Mistake(_("the weights contain nan: a row where every score is -inf. Did your "
                        "mask exclude the diagonal? Row 0 must keep position 0 "
                        "(torch.tril(torch.ones(T, T)), not diagonal=-1)"))
    if (w.diagonal(dim1=-2, dim2=-1).abs() < 1e-6).any():
        raise Mistake(_("the diagonal is 0: position t must also attend to itself; the mask "
                        "keeps columns 0..t, the diagonal included"))
    keep = torch.tril(torch.ones(T, T, dtype=torch.bool))
    if (w.triu(diagonal=1).abs() > 1e-6).any():
        q, k = torch.randn(B, T, hs, generator=g), torch.randn(B, T, hs, generator=g)
        w_random = call(causal_attention_weights, q, k)
        if isinstance(w_random, torch.Tensor) and w_random.shape == (B, T, T) and \
                close(w_random, _causal_reference(q, k, fill=0.0)):
            raise Mistake(_("future positions get weight: you filled the masked scores with "
                            "0, but exp(0) = 1. Fill them with float('-inf')"))
        raise Mistake(_("you forgot the causal mask: position t gives weight to later "
                        "positions. Before the softmax, set the scores above the diagonal to "
                        "-inf with masked_fill(tril == 0, float('-inf'))"))
    sums = w.sum(dim=-1)
    if not close(sums, torch.ones(B, T), atol=1e-4):
        if close(w.sum(dim=-2), torch.ones(B, T), atol=1e-4):
            raise Mistake(_("softmax over the wrong dimension: the columns sum to 1. Use "
                            "softmax(..., dim=-1) so each row (one query position) sums to 1"))
        if close(sums, torch.full((B, T), hs ** -0.5), atol=1e-4):
            raise Mistake(_("every row sums to 1/sqrt(head_size): you scaled the weights after "
                            "the softmax. Scale the scores before it: softmax(mask(q @ k^T * "
                            "head_size ** -0.5))"))
        if close(w, torch.full((B, T, T), 1.0 / T).masked_fill(~keep, 0.0), atol=1e-4):
            raise Mistake(_("you masked after the softmax, so the weights that are left do not "
                            "sum to 1 (row 0 sums to 1/T). Mask the scores with -inf before the "
                            "softmax"))
        raise Mistake(_("the rows should sum to 1, but row 0 sums to {total:.4f}: mask the "
                        "scores with -inf, then softmax(..., dim=-1), and do nothing to the "
                        "weights after the softmax").format(total=float(sums[0, 0])))
    # 2. values: random queries and keys, two head sizes
    for B, T, hs in ((2, 6, 16), (1, 5, 64)):
        q = torch.randn(B, T, hs, generator=g)
        k = torch.randn(B, T, hs, generator=g)
        w = as_float_tensor(call(causal_attention_weights, q, k))
        expect_tensor(w, (B, T, T), "causal_attention_weights(q, k)")
        if close(w, _causal_reference(q, k)):
            continue
        if close(w, _causal_reference(q, k, scale=1.0)):
            raise Mistake(_("you forgot the scale: multiply q @ k^T by head_size ** -0.5 "
                            "(divide by sqrt(head_size)) before the mask and softmax"))
        if close(w, _causal_reference(q, k, scale=1.0 / hs)):
            raise Mistake(_("you divided by head_size; divide by its square root, "
                            "sqrt(head_size)"))
        if close(w, _causal_reference(q, k, scale=hs ** 0.5)):
            raise Mistake(_("you multiplied by sqrt(head_size); divide by it "
                            "(head_size ** -0.5)"))
        if close(w, _causal_reference(k, q)):
            raise Mistake(_("you computed k @ q^T: row t must use the query of position t, so "
                            "the scores are q @ k.transpose(-2, -1)"))
        raise Mistake(_("the weights are masked and sum to 1 but differ from softmax(mask(q @ "
                        "k^T / sqrt(head_size)))"))
    return _("causal (the diagonal included), scaled by 1/sqrt(head_size), rows summing to 1.")
