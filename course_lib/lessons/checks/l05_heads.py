"""Lesson 05's exercise checks (notebooks/05_heads.ipynb).

Their tests: tests/test_checks_l05_heads.py."""

from __future__ import annotations

import operator

import torch

from ...core.model import MultiHeadAttention
from ...i18n import _
from .answers import close, expect_tensor, name_the_mistake, same_with_nan, whole_number
from .framework import Mistake, call, exercise


def _head_reference(x, Wk, Wq, Wv, scale=None, mask=True, dim=-1, swap=False,
                    fill=float("-inf"), after=False, keep_future=False):
    """One head computed from its weights, optionally with a typical mistake built in:
    `fill` the value put on the masked entries, `after` masking after the softmax instead of
    before, `keep_future` masking the past (triu) instead of the future."""
    k, q, v = x @ Wk.T, x @ Wq.T, x @ Wv.T                       # (B, T, hs) each
    if swap:
        q, k = k, q
    scale = Wk.shape[0] ** -0.5 if scale is None else scale
    wei = q @ k.transpose(-2, -1) * scale                        # (B, T, T)
    T = x.shape[1]
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))
    if keep_future:
        allowed = torch.triu(torch.ones(T, T, dtype=torch.bool))
    if mask and not after:
        wei = wei.masked_fill(~allowed, fill)
    wei = torch.softmax(wei, dim=dim)
    if mask and after:
        wei = wei.masked_fill(~allowed, fill)
    return wei @ v                                               # (B, T, hs)


@exercise
def check_head_forward(head_forward) -> str:
    """head_forward(x, Wk, Wq, Wv) -> (B, T, hs): one causal head from nn.Linear-style weights."""
    g = torch.Generator().manual_seed(5)
    B, T, C, hs = 2, 6, 12, 4
    x = torch.randn(B, T, C, generator=g)
    Wk, Wq, Wv = (torch.randn(hs, C, generator=g) for _i in range(3))
    hint = _("the weights are stored as in nn.Linear, shape (head_size, n_embd): "
             "k = x @ Wk.T, and the same for q and v")
    out = call(head_forward, x, Wk, Wq, Wv, hint=hint)
    if isinstance(out, torch.Tensor) and tuple(out.shape) == (B, T, T):
        raise Mistake(_("your result has shape {shape}: those are the attention weights; "
                        "return them multiplied by the values, wei @ v, of shape {expected}")
                      .format(shape=(B, T, T), expected=(B, T, hs)))
    if isinstance(out, torch.Tensor) and tuple(out.shape) == (B, T, C):
        raise Mistake(_("your result has shape {shape}: did you multiply the weights by x "
                        "instead of by the values v = x @ Wv.T? Expected {expected}")
                      .format(shape=(B, T, C), expected=(B, T, hs)))
    expect_tensor(out, (B, T, hs))
    after_softmax = _("you masked after the softmax: the softmax had already given weight to "
                      "the future, and zeroing it afterwards leaves rows that no longer sum to "
                      "1. Mask first (masked_fill with float('-inf')), then take the softmax")
    for fill in (0.0, float("-inf")):
        if same_with_nan(out, _head_reference(x, Wk, Wq, Wv, fill=fill, after=True)):
            raise Mistake(after_softmax)
    if torch.isnan(out).any():
        raise Mistake(_("your output contains NaN: a softmax over a group of entries that "
                        "are all -inf. Mask first, then softmax over each row (dim=-1): the "
                        "diagonal is never masked, so every row keeps a finite entry"))
    if close(out, _head_reference(x, Wk, Wq, Wv)):
        return _("your head matches the reference: masked, scaled by 1/sqrt(head_size), "
                 "softmax over each row.")
    no_mask = _("the outputs at earlier positions depend on later positions: a position sees "
                "the future. Forgot the causal mask? Fill the weights above the diagonal with "
                "-inf before the softmax")
    mistakes = [
        (dict(mask=False), no_mask),
        (dict(fill=0.0), _("you filled the future with 0 before the softmax: e^0 = 1, so the "
                           "future still gets weight. Fill it with float('-inf'): e^-inf = 0")),
        (dict(keep_future=True), _("you masked the past instead of the future (torch.triu "
                                   "where torch.tril belongs): position t may look at "
                                   "positions 0..t")),
        (dict(scale=1.0), _("the weights are not scaled: multiply q @ k^T by "
                            "head_size ** -0.5")),
        (dict(scale=C ** -0.5), _("you scaled by 1/sqrt(n_embd); the scale is "
                                  "1/sqrt(head_size), the length of q and k (Wk.shape[0])")),
        (dict(scale=hs ** 0.5), _("you multiplied by sqrt(head_size); divide by it instead")),
        (dict(scale=1 / hs), _("you divided by head_size; divide by sqrt(head_size) instead")),
        (dict(dim=-2), _("softmax over the wrong dimension: each row (one query, dim=-1) must "
                         "sum to 1, not each column")),
        (dict(swap=True), _("queries and keys are swapped: wei = q @ k.transpose(-2, -1), "
                            "with q = x @ Wq.T and k = x @ Wk.T")),
    ]
    name_the_mistake(out, ((_head_reference(x, Wk, Wq, Wv, **kwargs), message)
                           for kwargs, message in mistakes))
    # causality: changing the last position must not change any earlier output
    x2 = x.clone()
    x2[:, -1] += 3.0
    out2 = call(head_forward, x2, Wk, Wq, Wv, hint=hint)
    if not close(out[:, :-1], out2[:, :-1]):
        raise Mistake(no_mask)
    raise Mistake(_("the values differ from the reference; check each step: k, q, v, "
                    "q @ k^T * head_size**-0.5, mask, softmax(dim=-1), @ v"))


@exercise
def check_multi_head(multi_head) -> str:
    """multi_head(x, heads, proj) -> (B, T, C): run every head, concatenate, project."""
    B, T, C, n_head = 2, 5, 12, 3
    with torch.random.fork_rng():                    # leave the notebook's random stream alone
        torch.manual_seed(7)
        mha = MultiHeadAttention(C, n_head, block_size=8).eval()
    x = torch.randn(B, T, C, generator=torch.Generator().manual_seed(8))
    heads, proj = list(mha.heads), mha.proj
    hint = _("concatenate the heads' outputs along the channels (the last dimension, "
             "dim=-1) to get (B, T, n_embd), then apply proj")
    with torch.no_grad():
        out = call(multi_head, x, heads, proj, hint=hint)
        expect_tensor(out, (B, T, C))
        if close(out, mha(x)):
            return _("heads concatenated in order along the channels, then projected: equal "
                     "to MultiHeadAttention.")
        cat = torch.cat([h(x) for h in heads], dim=-1)
        if close(out, cat):
            raise Mistake(_("you concatenated the heads but forgot the projection: apply proj "
                            "to the concatenation"))
        if close(out, proj(torch.cat([h(x) for h in reversed(heads)], dim=-1))):
            raise Mistake(_("the heads are concatenated in reverse order: keep the order of "
                            "the list, head 0 first"))
    raise Mistake(_("the values differ from MultiHeadAttention: run each head on the same x, "
                    "torch.cat(..., dim=-1), then proj"))


@exercise
def check_mha_parameter_count(count_parameters) -> str:
    """count_parameters(n_embd, n_head) -> the number of parameters of a MultiHeadAttention."""
    for C, n_head in ((32, 4), (12, 3), (64, 8)):
        got = whole_number(call(count_parameters, C, n_head))
        with torch.random.fork_rng():
            want = sum(p.numel() for p in MultiHeadAttention(C, n_head, block_size=4).parameters())
        if got == want:
            continue
        hs = C // n_head
        known = {
            3 * C * C + C * C: _("you forgot the bias of proj (n_embd numbers)"),
            3 * C * C: _("you forgot proj, the (n_embd x n_embd) Linear after the "
                         "concatenation, and its bias"),
            3 * C * C + 3 * C + C * C + C: _("key, query and value have no bias (bias=False); "
                                             "only proj has one"),
            n_head * 3 * C * C + C * C + C: _("each head's key, query and value map n_embd to "
                                              "head_size, not to n_embd"),
            3 * hs * hs * n_head + C * C + C: _("each head reads all n_embd input channels, "
                                                "not head_size of them: key.weight is "
                                                "(head_size, n_embd)"),
        }
        name_the_mistake(got, known.items(), same=operator.eq)
        raise Mistake(_("for n_embd={C}, n_head={n_head} you counted {got:,}; add the weights "
                        "of key, query, value in every head and the weight and bias of proj")
                      .format(C=C, n_head=n_head, got=got))
    return _("3·n_embd² for the heads' key, query and value, plus n_embd² + n_embd for proj.")
