"""Where tensors live: pick the best device there is, or the one the learner asks for."""

from __future__ import annotations

import torch

from ..i18n import _

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
        raise ValueError(_("unknown device {device!r}; use one of {choices}").format(
            device=requested, choices=", ".join(DEVICES)))
    kind = requested.split(":")[0]
    if kind not in available_devices():
        raise ValueError(_("device {device!r} is not available on this machine (available: "
                           "{available}); use --device auto or cpu").format(
            device=requested, available=", ".join(available_devices())))
    if kind == "cuda" and ":" in requested:
        index = int(requested.split(":")[1])
        if index >= torch.cuda.device_count():
            raise ValueError(_("device {device!r} does not exist: this machine has {n} "
                               "GPU(s), cuda:0 to cuda:{last}").format(
                device=requested, n=torch.cuda.device_count(),
                last=torch.cuda.device_count() - 1))
    return torch.device(requested)
