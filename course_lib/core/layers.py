"""Drop-in parts that make the model faster without changing what it computes.

`Linear` is `nn.Linear`: the same parameters, the same state_dict names, the same
`isinstance(layer, nn.Linear)`, and a forward equal to `F.linear` up to float32 rounding.
What it adds is a choice of *who* multiplies the matrices. A CPU build of PyTorch holds two
matrix libraries: the BLAS that `F.linear` calls (Intel MKL in the official wheels) and
oneDNN. Which one is faster depends on the CPU and on the shape: on one AMD EPYC oneDNN
ran this course's products 1.3x faster; on one Intel Xeon MKL was faster. So nothing is
assumed. The first time a layer sees a new shape, it times each backend on that shape
for a few milliseconds (forward and, when training, backward) and keeps the fastest for
the rest of the process. PyTorch's own `F.linear` stays the choice unless another is
clearly faster in every round of timing.

    COURSE_LINEAR_BACKEND=auto     the default: measure each new shape, keep the fastest
    COURSE_LINEAR_BACKEND=aten     always F.linear (PyTorch's default)
    COURSE_LINEAR_BACKEND=onednn   always oneDNN where it runs (else F.linear)

Inside `torch.compile` every backend is F.linear, which the compiler fuses and lowers itself.

`backend_choices()` lists what was chosen for each shape, with the timings; the benchmark
(`python -m course_lib.bench`) prints it. tests/test_layers.py proves that every backend
gives F.linear's outputs and gradients.
"""

from __future__ import annotations

import functools
import os
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..i18n import _

BACKEND_ENV = "COURSE_LINEAR_BACKEND"
BACKENDS = ("aten", "onednn")
# another backend replaces F.linear only when it is this much faster: a near tie is noise,
# and keeping F.linear then keeps results the same from run to run
MARGIN = 1.10
MIN_ROWS = 256          # smaller products (generation, one token at a time) are not timed
TIMING_REPEATS = 7
TIMING_ROUNDS = 2       # each backend is timed this many times, interleaved with the others

_choices: dict[tuple, dict] = {}   # shape key -> {"backend": ..., "ms": {backend: ms}}


@functools.lru_cache(maxsize=1)
def onednn_available() -> bool:
    """Whether PyTorch's oneDNN linear kernel runs here (and gives F.linear's result)."""
    try:
        op = torch.ops.mkldnn._linear_pointwise
        x, w, b = torch.randn(4, 3), torch.randn(5, 3), torch.randn(5)
        return bool(torch.backends.mkldnn.is_available()) and torch.allclose(
            op(x, w, b, "none", [], ""), F.linear(x, w, b), atol=1e-5)
    except (AttributeError, RuntimeError):
        return False


def _onednn_mm_t(a: torch.Tensor, b: torch.Tensor, bias: torch.Tensor | None = None):
    """a @ b.T (+ bias) for 2-D a (N, K) and b (M, K), on oneDNN."""
    return torch.ops.mkldnn._linear_pointwise(a, b, bias, "none", [], "")


class _OneDNNLinear(torch.autograd.Function):
    """y = x @ W.T + b with all three products of forward and backward on oneDNN.

    x is 2-D (N, in), W is (out, in). oneDNN reads the transposed operands of the backward
    products as strided views, so nothing is copied.
    """

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.has_bias = bias is not None
        ctx.save_for_backward(x, weight)
        return _onednn_mm_t(x, weight, bias)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad = grad.contiguous()
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = _onednn_mm_t(grad, weight.t())            # (N, out) @ (out, in) -> (N, in)
        if ctx.needs_input_grad[1]:
            grad_w = _onednn_mm_t(grad.t(), x.t())             # (out, N) @ (N, in) -> (out, in)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad.sum(0)
        return grad_x, grad_w, grad_b


def _onednn_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None):
    shape = x.shape
    out = _OneDNNLinear.apply(x.reshape(-1, shape[-1]).contiguous(), weight, bias)
    return out.view(*shape[:-1], weight.size(0))


_RUN = {"aten": F.linear, "onednn": _onednn_linear}


def forced_backend() -> str | None:
    """The backend named by $COURSE_LINEAR_BACKEND, or None for "auto" (measure)."""
    value = os.environ.get(BACKEND_ENV, "auto").strip().lower() or "auto"
    if value == "auto":
        return None
    if value not in BACKENDS:
        raise ValueError(_("{variable}={value!r} is not a backend; use auto (measure each "
                           "shape), or one of {choices}").format(
            variable=BACKEND_ENV, value=value, choices=list(BACKENDS)))
    return value


def _candidates(x: torch.Tensor, weight: torch.Tensor) -> list[str]:
    """The backends that can run this product here."""
    if x.device.type != "cpu" or x.dtype != torch.float32 or weight.dtype != torch.float32 \
            or torch.is_autocast_enabled("cpu"):
        return ["aten"]                  # GPUs, bfloat16 autocast: PyTorch's own kernel
    return ["aten", "onednn"] if onednn_available() else ["aten"]


def _time_backend(name: str, x: torch.Tensor, weight: torch.Tensor,
                  bias: torch.Tensor | None, backward: bool) -> float:
    """Fastest seconds of one forward (and backward) of `name` on stand-in tensors.

    The fastest of several runs, not the median: other programs only ever slow a run down,
    so the fastest one is the closest to what the product itself costs."""
    xs = torch.randn_like(x).requires_grad_(backward)
    ws = torch.randn_like(weight).requires_grad_(backward)
    bs = None if bias is None else torch.randn_like(bias).requires_grad_(backward)
    run = _RUN[name]
    times = []
    with torch.enable_grad() if backward else torch.no_grad():
        for i in range(TIMING_REPEATS + 1):
            t = time.perf_counter()
            out = run(xs, ws, bs)
            if backward:
                out.backward(torch.ones_like(out))
            if i:                          # the first call warms caches up: not counted
                times.append(time.perf_counter() - t)
    return min(times)


def choose_backend(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> str:
    """The backend for this product: forced by the environment, or measured once per shape."""
    forced = forced_backend()
    candidates = _candidates(x, weight)
    if forced is not None:
        return forced if forced in candidates else "aten"
    rows = x.numel() // x.size(-1)
    if len(candidates) == 1 or rows < MIN_ROWS:
        return "aten"
    backward = torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad)
    key = (rows, x.size(-1), weight.size(0), bias is not None, backward,
           torch.get_num_threads())
    if key not in _choices:
        rounds = {name: [] for name in candidates}
        for _round in range(TIMING_ROUNDS):     # interleave: a busy moment hits every backend
            for name in candidates:
                rounds[name].append(_time_backend(name, x, weight, bias, backward) * 1e3)
        ms = {name: min(v) for name, v in rounds.items()}
        best = min(ms, key=ms.get)
        # another backend must win by the margin in every round: on a machine busy enough
        # to slow one whole round (seen with 10+ programs on 2 cores), F.linear stays
        if best != "aten" and any(a < MARGIN * b for a, b in zip(rounds["aten"], rounds[best])):
            best = "aten"
        _choices[key] = {"backend": best, "ms": ms}
    return _choices[key]["backend"]


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None
           ) -> torch.Tensor:
    """F.linear(x, weight, bias) on the backend chosen for this shape. (..., in) -> (..., out).

    Under torch.compile it is plain F.linear: the compiler chooses its own kernels, a
    timing taken while a graph is traced would measure nothing, and oneDNN's op has no
    lowering in TorchInductor (it stopped `torch.compile(model)` with a LoweringException).
    """
    if torch.compiler.is_compiling():
        return F.linear(x, weight, bias)
    return _RUN[choose_backend(x, weight, bias)](x, weight, bias)


def backend_choices() -> list[dict]:
    """What was chosen so far: one row per shape, with the measured milliseconds."""
    rows = []
    for (n, k, m, bias, backward, threads), c in sorted(_choices.items()):
        rows.append({"rows": n, "in": k, "out": m, "bias": bias, "backward": backward,
                     "threads": threads, "backend": c["backend"], "ms": c["ms"]})
    return rows


def reset_backend_choices() -> None:
    """Forget every choice (the next product of each shape is timed again)."""
    _choices.clear()


class Linear(nn.Linear):
    """nn.Linear whose product runs on the backend measured fastest for its shape.

    Same parameters, state_dict and results as nn.Linear (up to float32 rounding).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return linear(x, self.weight, self.bias)
