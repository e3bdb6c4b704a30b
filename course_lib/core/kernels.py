"""Faster CPU kernels for the GPT's linear layers, with the same math as nn.Linear.

On a CPU, most of a training step is matrix products (about 70% for the small course
model). PyTorch computes `nn.Linear` with the BLAS it was built with (Intel MKL in the
official wheels). On CPUs where MKL does not use its fastest code path (AMD processors
among them), oneDNN, the other matrix library inside PyTorch, runs the same fp32 product
up to twice as fast. This module routes a linear layer's forward and backward products
through oneDNN when that is available and fast, and falls back to `F.linear` otherwise.
It also fuses the ReLU of the feed-forward layer into the product that precedes it.

The results equal `F.linear`'s up to float32 rounding (the sums are added in another
order); tests/test_kernels.py checks outputs and gradients. docs/performance.md has the
measurements.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F


@functools.lru_cache(maxsize=1)
def onednn_linear_available() -> bool:
    """Whether PyTorch's oneDNN linear kernel runs here (and gives F.linear's result)."""
    try:
        op = torch.ops.mkldnn._linear_pointwise
        x, w, b = torch.randn(4, 3), torch.randn(5, 3), torch.randn(5)
        return bool(torch.backends.mkldnn.is_available()) and torch.allclose(
            op(x, w, b, "none", [], ""), F.linear(x, w, b), atol=1e-5)
    except (AttributeError, RuntimeError):
        return False


def _mm_t(a: torch.Tensor, b: torch.Tensor, bias: torch.Tensor | None = None,
          relu: bool = False) -> torch.Tensor:
    """a @ b.T (+ bias) (then ReLU), for 2-D a (N, K) and b (M, K), with oneDNN."""
    return torch.ops.mkldnn._linear_pointwise(a, b, bias, "relu" if relu else "none", [], "")


class _OneDNNLinear(torch.autograd.Function):
    """y = x @ W.T + b (optionally ReLU(y)); the three products of forward and backward
    all run on oneDNN. x is 2-D (N, in), W is (out, in)."""

    @staticmethod
    def forward(ctx, x, weight, bias, relu):
        out = _mm_t(x, weight, bias, relu)
        ctx.relu = relu
        ctx.has_bias = bias is not None
        ctx.save_for_backward(x, weight, out if relu else None)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, weight, out = ctx.saved_tensors
        if ctx.relu:
            # ReLU passes the gradient where y > 0; one fused kernel (a masked_fill with the
            # mask `out <= 0` took 30x longer here)
            grad = torch.ops.aten.threshold_backward(grad, out, 0)
        grad = grad.contiguous()
        grad_x = grad_w = grad_b = None
        # oneDNN reads the transposed operands as strided views: no copies (measured faster
        # than .contiguous() first, see docs/performance.md)
        if ctx.needs_input_grad[0]:
            grad_x = _mm_t(grad, weight.t())                # (N, out) @ (out, in) -> (N, in)
        if ctx.needs_input_grad[1]:
            grad_w = _mm_t(grad.t(), x.t())                 # (out, N) @ (N, in) -> (out, in)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad.sum(0)
        return grad_x, grad_w, grad_b, None


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           relu: bool = False, fast: bool = True) -> torch.Tensor:
    """F.linear(x, weight, bias), then ReLU if `relu`; on oneDNN when `fast` and possible.

    x is (..., in); the result is (..., out).
    """
    if fast and x.device.type == "cpu" and x.dtype == torch.float32 \
            and weight.dtype == torch.float32 and onednn_linear_available():
        shape = x.shape
        out = _OneDNNLinear.apply(x.reshape(-1, shape[-1]).contiguous(), weight, bias, relu)
        return out.view(*shape[:-1], weight.size(0))
    out = F.linear(x, weight, bias)
    return F.relu(out) if relu else out


def block_forward(block, x: torch.Tensor, cache: dict | None = None) -> torch.Tensor:
    """What `Block.forward` computes for a Block with batched attention, on the fast kernels.

    The same parameters and the same operations as ln1 -> CausalSelfAttention -> residual ->
    ln2 -> FeedForward -> residual, written as one function so that the ReLU is fused into
    the first feed-forward product and every product runs on oneDNN. (B, T, C) -> (B, T, C).

    `cache` (generation only) is a dict holding this block's keys and values of the tokens
    seen so far; x then holds only the new tokens, which attend to all cached ones.
    """
    sa, ffwd = block.sa, block.ffwd.net
    B, T, C = x.shape
    nh = sa.n_head
    p = sa.attn_dropout if block.training else 0.0
    h = block.ln1(x)
    qkv = linear(h, sa.qkv.weight)                                  # (B, T, 3C)
    q, k, v = qkv.view(B, T, 3, nh, C // nh).permute(2, 0, 3, 1, 4)  # 3 x (B, nh, T, hs)
    causal = True
    if cache is not None:
        if "k" in cache:                      # earlier tokens: keep their keys and values
            if T != 1:
                raise ValueError("with a cache, feed one new token at a time")
            k = torch.cat([cache["k"], k], dim=2)   # (B, nh, T_past + 1, hs)
            v = torch.cat([cache["v"], v], dim=2)
            causal = False                    # one new query may look at every cached key
        cache["k"], cache["v"] = k, v
    y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=causal)
    y = y.transpose(1, 2).reshape(B, T, C)
    y = linear(y, sa.proj.weight, sa.proj.bias)
    x = x + F.dropout(y, p, block.training)
    h = block.ln2(x)
    h = linear(h, ffwd[0].weight, ffwd[0].bias, relu=True)         # (B, T, 4C), ReLU fused
    h = linear(h, ffwd[2].weight, ffwd[2].bias)                     # (B, T, C)
    return x + F.dropout(h, ffwd[3].p, block.training)
