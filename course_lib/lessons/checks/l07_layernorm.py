"""Lesson 07's exercise checks (notebooks/07_layernorm.ipynb).

Their tests: tests/test_checks_l07_layernorm.py."""

from __future__ import annotations

import operator

import torch

from ...core.model import GPTConfig, GPTLanguageModel, parameter_breakdown
from ...i18n import _
from .answers import close, expect_tensor, name_the_mistake, whole_number
from .framework import Mistake, call, exercise


def _layer_norm_variants(x, w, b, eps):
    """The right LayerNorm and typical wrong ones, each with the message that names it."""
    def norm(dims, correction=0, eps_inside=True, use_w=True, use_b=True, with_eps=True):
        mean = x.mean(dims, keepdim=True)
        var = x.var(dims, keepdim=True, correction=correction)
        e = eps if with_eps else 0.0
        y = (x - mean) / ((var + e).sqrt() if eps_inside else var.sqrt() + e)
        return y * (w if use_w else 1) + (b if use_b else 0)

    return norm(-1), [
        (norm(0), _("normalised over the wrong dimension (the batch, dim 0): LayerNorm "
                    "normalises each token's channels, the last dimension (dim=-1)")),
        (norm(1), _("normalised over the wrong dimension (time, dim 1): LayerNorm normalises "
                    "each token's channels, the last dimension (dim=-1)")),
        (norm((0, 1)), _("you normalised each channel over the batch and time: that is "
                         "BatchNorm. LayerNorm uses the last dimension (dim=-1)")),
        (norm((0, 1, 2)), _("you normalised over the whole tensor; LayerNorm normalises each "
                            "token on its own, over the last dimension (dim=-1)")),
        (norm(-1, correction=1), _("you used the unbiased variance (dividing by C - 1); "
                                   "LayerNorm divides by C: x.var(dim=-1, unbiased=False), or "
                                   "correction=0")),
        (norm(-1, eps_inside=False), _("epsilon belongs inside the square root: "
                                       "(x - mean) / sqrt(var + eps)")),
        (norm(-1, use_w=False), _("you ignored the learned scale `weight`: multiply by it")),
        (norm(-1, use_b=False), _("you ignored the learned shift `bias`: add it")),
        (norm(-1, use_w=False, use_b=False), _("you ignored the learned scale `weight` and "
                                               "shift `bias`: return y * weight + bias")),
        (norm(-1, with_eps=False), _("you left out epsilon: divide by sqrt(var + eps)")),
    ]


@exercise
def check_layer_norm(layer_norm) -> str:
    """layer_norm(x, weight, bias, eps) -> same shape: LayerNorm over the last dimension."""
    g = torch.Generator().manual_seed(21)
    B, T, C = 3, 4, 6
    x = torch.randn(B, T, C, generator=g) * torch.linspace(0.5, 4, C) + 2
    x[0, 1] = 0.5 + 1e-3 * torch.arange(C)          # a token with a tiny spread: eps matters
    weight = torch.rand(C, generator=g) + 0.5
    bias = torch.randn(C, generator=g)
    eps = 1e-5
    hint = _("keep the reduced dimension: x.mean(dim=-1, keepdim=True)")
    out = call(layer_norm, x, weight, bias, eps, hint=hint)
    expect_tensor(out, (B, T, C))
    right, wrong = _layer_norm_variants(x, weight, bias, eps)
    if torch.isnan(out).any():
        raise Mistake(_("your output has NaN: did you divide by sqrt(var) without eps, or take "
                        "the square root of a negative number?"))
    # atol 1e-4: F.layer_norm itself is off by about 3e-5 on the token with a tiny spread
    if not close(out, right, atol=1e-4):
        name_the_mistake(out, wrong, same=lambda a, b: close(a, b, atol=1e-4))
        raise Mistake(_("the values differ from nn.LayerNorm: y = (x - mean) / sqrt(var + eps) "
                        "* weight + bias, with mean and var over dim=-1"))
    const = torch.full((2, C), 7.0)
    y = call(layer_norm, const, weight, bias, eps, hint=hint)
    if torch.isnan(y).any():
        raise Mistake(_("a constant vector gave NaN: its variance is 0, so you divided 0 by 0. "
                        "Add eps inside the square root: sqrt(var + eps)"))
    if not close(y, bias.expand(2, C)):
        raise Mistake(_("a constant vector should give exactly `bias`: (x - mean) is 0"))
    return _("equal to nn.LayerNorm: per token, population variance, eps inside the root, then "
             "scale and shift.")


@exercise
def check_layernorm_parameter_count(count_layernorm_parameters) -> str:
    """count_layernorm_parameters(cfg) -> the number of LayerNorm parameters in a GPTLanguageModel."""
    cfgs = [GPTConfig(vocab_size=67, block_size=128, n_embd=192, n_head=6, n_layer=6),
            GPTConfig(vocab_size=10, block_size=8, n_embd=16, n_head=2, n_layer=2),
            GPTConfig(vocab_size=10, block_size=8, n_embd=24, n_head=3, n_layer=5)]
    for cfg in cfgs:
        got = whole_number(call(count_layernorm_parameters, cfg))
        with torch.random.fork_rng():
            want = parameter_breakdown(GPTLanguageModel(cfg))["layer norms"]
        if got == want:
            continue
        C, L = cfg.n_embd, cfg.n_layer
        known = {
            2 * L * 2 * C: _("you forgot ln_f, the LayerNorm after the last block"),
            L * 2 * C + 2 * C: _("each block has two LayerNorms, ln1 and ln2"),
            (2 * L + 1) * C: _("each LayerNorm has two vectors of n_embd numbers: weight "
                               "(scale) and bias (shift)"),
            L * 2 * C: _("each block has two LayerNorms (ln1, ln2), and there is ln_f after "
                         "the blocks"),
        }
        name_the_mistake(got, known.items(), same=operator.eq)
        raise Mistake(_("for n_layer={L}, n_embd={C} you counted {got:,}; count the LayerNorms "
                        "(two per block, plus ln_f) and the numbers in each")
                      .format(L=L, C=C, got=got))
    return _("(2 · n_layer + 1) LayerNorms, each with 2 · n_embd parameters.")
