"""Where tensors live: pick the best device there is, or the one the learner asks for."""

from __future__ import annotations

import torch

DEVICES = ("auto", "cpu", "cuda", "mps")


def _mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def available_devices() -> list[str]:
    """The device types this machine can use, best first (cpu is always there)."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if _mps_available():
        found.append("mps")
    return found + ["cpu"]


def pick_device(requested: str | None = "auto") -> torch.device:
    """Return the device to use: `cuda`, then `mps`, then `cpu` for "auto" or None.

    An explicit request ("cpu", "cuda", "cuda:1", "mps") is honoured, or refused with a
    clear message when this machine does not have it.
    """
    if requested is None or requested == "auto":
        return torch.device(available_devices()[0])
    if not isinstance(requested, str) or requested.split(":")[0] not in DEVICES:
        raise ValueError(f"unknown device {requested!r}; use one of {', '.join(DEVICES)}")
    kind = requested.split(":")[0]
    if kind not in available_devices():
        raise ValueError(f"device {requested!r} is not available on this machine (available: "
                         f"{', '.join(available_devices())}); use --device auto or cpu")
    if kind == "cuda" and ":" in requested:
        index = int(requested.split(":")[1])
        if index >= torch.cuda.device_count():
            raise ValueError(f"device {requested!r} does not exist: this machine has "
                             f"{torch.cuda.device_count()} GPU(s), cuda:0 to "
                             f"cuda:{torch.cuda.device_count() - 1}")
    return torch.device(requested)
