"""Lesson 12's exercise checks: RMSNorm, the RoPE rotation, the key/value repeat, SwiGLU.

Each check compares the learner's function with the reference on several inputs, and when
it differs, with the typical wrong answers of its exercise, so the verdict names the
mistake. The framework (the sandboxed `call`, `Mistake`, `@exercise`) is lesson-independent
and lives in checks/framework.py; tests/test_checks_l12_modern_gpt.py proves every mistake
here is rejected with its message.
"""

from __future__ import annotations


import torch
import torch.nn.functional as F

from ...i18n import N_, _
from .answers import close, expect_tensor
from .framework import Mistake, call, exercise


def _first_match(out: torch.Tensor, wrong: list[tuple[torch.Tensor, str]], atol: float = 1e-5):
    """Raise the message of the first wrong answer `out` equals."""
    for value, message in wrong:
        if value.shape == out.shape and close(out, value, atol=atol):
            raise Mistake(_(message))


# ----------------------------------------------------------------------------- RMSNorm

def _rms_norm_variants(x, w, eps):
    """The right RMSNorm and the typical wrong ones, each with the message that names it."""
    def norm(dim=-1, centre=False, eps_inside=True, use_w=True, root=True, reduce="mean",
             with_eps=True):
        v = x - x.mean(dim, keepdim=True) if centre else x
        ms = v.pow(2).mean(dim, keepdim=True) if reduce == "mean" else v.pow(2).sum(dim, keepdim=True)
        e = eps if with_eps else 0.0
        if root:
            d = (ms + e).sqrt() if eps_inside else ms.sqrt() + e
        else:
            d = ms + e
        return v / d * (w if use_w else 1)

    return norm(), [
        (norm(centre=True), N_("you subtracted the mean first: that is LayerNorm's centring, "
                               "which RMSNorm drops. Divide x itself by sqrt(mean(x²) + eps)")),
        (norm(dim=0), N_("normalised over the wrong dimension (dim 0, the batch): RMSNorm uses "
                         "each token's channels, the last dimension (dim=-1)")),
        (norm(dim=1), N_("normalised over the wrong dimension (dim 1, time): RMSNorm uses each "
                         "token's channels, the last dimension (dim=-1)")),
        (norm(eps_inside=False), N_("epsilon belongs inside the square root: "
                                    "x / sqrt(mean(x²) + eps)")),
        (norm(use_w=False), N_("you ignored the learned scale `weight`: multiply by it")),
        (norm(root=False), N_("you divided by the mean square, not its square root: "
                              "x / sqrt(mean(x²) + eps)")),
        (norm(reduce="sum"), N_("you used the sum of the squares (the vector's length): RMSNorm "
                                "uses their mean, so the result has a root mean square of 1, "
                                "not a length of 1")),
        (norm(with_eps=False), N_("you left out epsilon: divide by sqrt(mean(x²) + eps)")),
    ]


@exercise
def check_rms_norm(rms_norm) -> str:
    """rms_norm(x, weight, eps) -> same shape: x / sqrt(mean(x²) + eps) * weight over dim -1."""
    if rms_norm in (F.rms_norm, torch.rms_norm):
        raise Mistake(_("you passed PyTorch's rms_norm itself: right values, but the exercise is "
                        "to write what it computes, with .pow(2), .mean and .sqrt"))
    g = torch.Generator().manual_seed(12)
    B, T, C = 3, 4, 6
    x = torch.randn(B, T, C, generator=g) * torch.linspace(0.5, 3, C) + 1.5
    x[0, 1] = 1e-3 * torch.arange(C)                 # a token near 0: eps matters
    weight = torch.rand(C, generator=g) + 0.5
    eps = 1e-5
    out = call(rms_norm, x, weight, eps, hint=_("keep the reduced dimension: "
                                                "x.pow(2).mean(dim=-1, keepdim=True)"))
    expect_tensor(out, (B, T, C))
    if torch.isnan(out).any():
        raise Mistake(_("your output has NaN: a vector of zeros has mean(x²) = 0; add eps "
                        "inside the square root"))
    right, wrong = _rms_norm_variants(x, weight, eps)
    if not close(out, right, atol=1e-4):
        _first_match(out, wrong, atol=1e-4)
        raise Mistake(_("the values differ from RMSNorm: y = x / sqrt(mean(x²) + eps) * weight, "
                        "with the mean over dim=-1"))
    return _("x / sqrt(mean(x²) + eps) * weight: no mean subtracted, no bias, as in Llama.")


# ----------------------------------------------------------------------------- RoPE

def _rotate(x, positions, base=10000.0, sign=1.0, halves=False, two=2.0, per_pair=True,
            shift=0, use_pos=True):
    """Reference rotation of (..., T, hs) and the wrong variants (see the keywords)."""
    hs = x.size(-1)
    i = torch.arange(hs // 2, dtype=torch.float32)
    theta = base ** (-two * i / hs) if per_pair else torch.ones(hs // 2)
    pos = positions.float() + shift
    angles = (pos[:, None] if use_pos else torch.ones_like(pos)[:, None]) * theta[None, :]
    cos, sin = angles.cos(), sign * angles.sin()
    if halves:
        x1, x2 = x[..., :hs // 2], x[..., hs // 2:]
        return torch.cat((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


@exercise
def check_rope_rotate(rope_rotate) -> str:
    """rope_rotate(x, positions) -> (..., T, hs): pair (2i, 2i+1) at position p turned by
    p · 10000^(-2i/hs) radians."""
    g = torch.Generator().manual_seed(13)
    x = torch.randn(2, 3, 5, 8, generator=g)          # (B, nh, T, hs)
    positions = torch.tensor([0, 1, 2, 7, 30])
    out = call(rope_rotate, x, positions,
               hint=_("pair i is (x[..., 2*i], x[..., 2*i+1]); x[..., 0::2] and x[..., 1::2] "
                      "give all first and all second channels"))
    expect_tensor(out, tuple(x.shape))
    if close(out, x):
        raise Mistake(_("the output equals the input: nothing was rotated. Turn each pair by "
                        "the angle position · theta_i"))
    right = _rotate(x, positions)
    if not close(out, right, atol=1e-4):
        _first_match(out, [
            (_rotate(x, positions, sign=-1.0), N_("you turned the pairs the other way (clockwise): "
                                                  "the rotation is (x1 cos - x2 sin, x1 sin + x2 cos)")),
            (_rotate(x, positions, halves=True), N_("you paired channel i with channel i + hs/2 (the "
                                                    "two halves); this exercise pairs neighbours: "
                                                    "(2i, 2i+1), x[..., 0::2] with x[..., 1::2]")),
            (_rotate(x, positions, two=1.0), N_("the frequencies are 10000^(-2i/hs), with the 2: "
                                                "yours fall too slowly (10000^(-i/hs))")),
            (_rotate(x, positions, per_pair=False), N_("every pair turned by the same angle: each "
                                                       "pair i has its own speed, "
                                                       "theta_i = 10000^(-2i/hs)")),
            (_rotate(x, positions, shift=1), N_("off by one: the token at position p turns by "
                                                "p · theta (position 0 is not turned at all)")),
            (_rotate(x, positions, use_pos=False), N_("every position turned by the same angle: "
                                                      "multiply theta_i by the position")),
        ], atol=1e-4)
        raise Mistake(_("the values differ from the rotation: (x1, x2) -> (x1 cos a - x2 sin a, "
                        "x1 sin a + x2 cos a), a = position · 10000^(-2i/hs), pairs (2i, 2i+1)"))
    if not torch.allclose(out.norm(dim=-1), x.norm(dim=-1), atol=1e-4):
        raise Mistake(_("a rotation keeps each vector's length, yours does not"))
    return _("each channel pair turned by position · 10000^(-2i/hs): lengths kept, scores depend on distance.")


# ----------------------------------------------------------------------------- GQA

@exercise
def check_repeat_kv(repeat_kv) -> str:
    """repeat_kv(x, n_rep) -> (B, nkv * n_rep, T, hs): kv head j serves query heads
    j * n_rep .. (j + 1) * n_rep - 1."""
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).view(2, 3, 4, 5)   # (B, nkv, T, hs)
    out = call(repeat_kv, x, 2, hint=_("x.repeat_interleave(n_rep, dim=1) copies each head n_rep "
                                       "times in a row"))
    if isinstance(out, torch.Tensor) and tuple(out.shape) != (2, 6, 4, 5):
        shape = tuple(out.shape)
        if shape == (4, 3, 4, 5):
            raise Mistake(_("you repeated the batch (dim 0); the heads are dim 1"))
        if shape == (2, 3, 8, 5):
            raise Mistake(_("you repeated the time steps (dim 2); the heads are dim 1"))
        if shape == (2, 3, 4, 10):
            raise Mistake(_("you repeated the channels (dim 3); the heads are dim 1"))
        if shape == (2, 3, 4, 5):
            raise Mistake(_("the shape did not change: each of the 3 key/value heads must appear "
                            "n_rep = 2 times, 6 heads in all"))
    expect_tensor(out, (2, 6, 4, 5))
    if not close(out, x.repeat_interleave(2, dim=1)):
        if close(out, x.repeat(1, 2, 1, 1)):
            raise Mistake(_("your heads come as 0, 1, 2, 0, 1, 2 (x.repeat tiles the whole "
                            "block); query heads 0 and 1 share kv head 0, so the order is "
                            "0, 0, 1, 1, 2, 2: use repeat_interleave"))
        raise Mistake(_("the values differ: head h of the output must be key/value head "
                        "h // n_rep of the input"))
    once = call(repeat_kv, x, 1)
    if not isinstance(once, torch.Tensor) or once.shape != x.shape or not close(once, x):
        raise Mistake(_("with n_rep = 1 nothing is repeated: the output should equal the input"))
    out3 = call(repeat_kv, x[:, :1], 4)
    expect_tensor(out3, (2, 4, 4, 5), _("repeat_kv(x with one kv head, 4)"))
    return _("each key/value head repeated n_rep times in a row, once per query head it serves.")


# ----------------------------------------------------------------------------- SwiGLU

@exercise
def check_swiglu(swiglu) -> str:
    """swiglu(x, w_gate, w_up, w_down) -> (..., C): (silu(x W_gate^T) * (x W_up^T)) W_down^T."""
    g = torch.Generator().manual_seed(14)
    C, H = 6, 16
    x = torch.randn(2, 5, C, generator=g)
    w_gate, w_up = torch.randn(H, C, generator=g) * 0.5, torch.randn(H, C, generator=g) * 0.5
    w_down = torch.randn(C, H, generator=g) * 0.5
    out = call(swiglu, x, w_gate, w_up, w_down,
               hint=_("x @ w_gate.T has shape (..., H); F.silu, then * (x @ w_up.T), then @ w_down.T"))
    if isinstance(out, torch.Tensor) and tuple(out.shape) == (2, 5, H):
        raise Mistake(_("your output has the hidden size H = {H}, not C = {C}: you left out "
                        "the last matrix, @ w_down.T").format(H=H, C=C))
    expect_tensor(out, (2, 5, C))
    a, b = x @ w_gate.T, x @ w_up.T
    right = (F.silu(a) * b) @ w_down.T
    if not close(out, right, atol=1e-4):
        _first_match(out, [
            ((F.silu(b) * a) @ w_down.T, N_("SiLU went on the wrong half: it acts on x @ w_gate.T "
                                            "(the gate), and x @ w_up.T is multiplied unchanged")),
            ((torch.sigmoid(a) * b) @ w_down.T, N_("you used sigmoid(a) as the gate; SwiGLU uses "
                                                   "SiLU, a * sigmoid(a) (F.silu)")),
            ((torch.relu(a) * b) @ w_down.T, N_("you used ReLU as the gate; SwiGLU uses SiLU "
                                                "(F.silu): smooth, and a little negative below 0")),
            ((F.gelu(a) * b) @ w_down.T, N_("you used GELU (that is GEGLU); SwiGLU uses SiLU (F.silu)")),
            (F.silu(a) @ w_down.T, N_("no gate: you left out the product with x @ w_up.T")),
            ((a * b) @ w_down.T, N_("no nonlinearity: SiLU goes on x @ w_gate.T before the product")),
        ], atol=1e-4)
        raise Mistake(_("the values differ from (silu(x @ w_gate.T) * (x @ w_up.T)) @ w_down.T"))
    return _("silu(x W_gate^T) gates x W_up^T, and W_down brings it back to C channels.")


# The exercises of lesson 12 in the order the notebook asks them (for the grader).
