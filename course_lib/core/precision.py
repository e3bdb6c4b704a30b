"""Which number format training computes in: float32, or bfloat16 where that pays.

    fp32   every product in float32 (the lessons: their printed numbers never move)
    bf16   the forward pass under torch.autocast(bfloat16): matrix products in bfloat16,
           weights, gradients and the optimizer in float32
    auto   bf16 only where the hardware computes bfloat16 natively (a CUDA GPU that supports
           it; a CPU with AVX512-BF16 or AMX, or an Arm CPU with BF16) *and* a short timing
           of this very model shows it faster; fp32 everywhere else

bfloat16 keeps float32's range with 8 bits of mantissa instead of 24, so each product is
less precise; training usually reaches the same loss. On a CPU without native bfloat16
instructions PyTorch emulates it, which is slower than float32. Whether it pays also depends
on the model's size: converting to and from bfloat16 costs time that only large products
win back. So `auto` measures instead of guessing.
"""

from __future__ import annotations

import copy
import time
from contextlib import nullcontext
from pathlib import Path

import torch

from ..i18n import _
from . import validate

PRECISIONS = ("auto", "fp32", "bf16")
SPEEDUP_NEEDED = 1.10   # bf16 must be at least this much faster to be chosen


def validate_precision(precision: str) -> str:
    return validate.one_of("precision", precision, PRECISIONS)


def native_bf16(device: torch.device) -> tuple[bool, str]:
    """Whether `device` computes bfloat16 in hardware, and the evidence."""
    if device.type == "cuda":
        ok = torch.cuda.is_bf16_supported()
        gpu = torch.cuda.get_device_name(device)
        return ok, (_("{gpu} supports bfloat16") if ok else _("{gpu} lacks bfloat16")).format(
            gpu=gpu)
    if device.type != "cpu":
        return False, _("bfloat16 autocast is not used on {device}").format(device=device.type)
    flags = _cpu_flags()
    found = sorted(flags & {"avx512_bf16", "amx_bf16", "bf16"})
    if found:
        return True, _("this CPU has {flags}").format(flags=", ".join(found))
    return False, _("this CPU has no native bfloat16 instructions (no AVX512-BF16, AMX or BF16)")


def _cpu_flags() -> set[str]:
    info = Path("/proc/cpuinfo")
    if not info.exists():
        return set()
    for line in info.read_text(errors="replace").splitlines():
        key = line.split(":")[0].strip().lower()
        if key in ("flags", "features"):                 # x86, Arm
            return set(line.split(":", 1)[1].split())
    return set()


def autocast(device: torch.device, precision: str):
    """The context the forward pass runs in: bfloat16 autocast for "bf16", nothing for fp32."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()


def choose_precision(precision: str, model: torch.nn.Module, batch, device: torch.device,
                     steps: int = 8) -> tuple[str, str]:
    """Resolve "auto" to "fp32" or "bf16" -> (precision, the reason, for the log).

    `batch()` returns one (x, y) training batch. The timing trains a copy of the model, so
    the model itself is untouched; it takes `steps` steps of each, alternating.
    """
    validate_precision(precision)
    if precision != "auto":
        return precision, _("asked for")
    native, why = native_bf16(device)
    if not native:
        return "fp32", why
    fp32_s, bf16_s = _time_steps(model, batch, device, steps)
    ratio = fp32_s / bf16_s
    timing = _("a training step took {bf16:.1f} ms in bf16 and {fp32:.1f} ms in fp32 "
               "({ratio:.2f}x)").format(bf16=bf16_s * 1e3, fp32=fp32_s * 1e3, ratio=ratio)
    if ratio >= SPEEDUP_NEEDED:
        return "bf16", _("{why}, and {timing}").format(why=why, timing=timing)
    return "fp32", _("{why}, but bf16 does not pay for this model: {timing}").format(
        why=why, timing=timing)


def _time_steps(model, batch, device, steps: int) -> tuple[float, float]:
    """Seconds of a training step in fp32 and in bf16, on copies of the model.

    The fastest of the alternating steps counts, not the median: another program on the
    machine only ever adds time, so the minimum is the closest to what the model costs.
    """
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        return _time_copies(model, batch, device, steps)   # dropout here: the caller's RNG stays


def _time_copies(model, batch, device, steps: int) -> tuple[float, float]:
    copies = {p: copy.deepcopy(model).train() for p in ("fp32", "bf16")}
    opts = {p: torch.optim.AdamW(m.parameters(), lr=1e-4) for p, m in copies.items()}
    times = {p: [] for p in copies}
    for i in range(steps + 1):
        x, y = batch()
        for p in (("fp32", "bf16") if i % 2 else ("bf16", "fp32")):
            start = time.perf_counter()
            with autocast(device, p):
                _logits, loss = copies[p](x, y)
            opts[p].zero_grad(set_to_none=True)
            loss.backward()
            opts[p].step()
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            if i:                                        # the first step warms up
                times[p].append(time.perf_counter() - start)
    return min(times["fp32"]), min(times["bf16"])
