"""Lesson 09: start a small torchrun job from a notebook, and say in one line if it failed.

A lesson that starts processes must not stop at a traceback when one of them fails: the
learner gets one line that says what happened (which rank, which signal, the last error
line), and the lesson goes on.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..i18n import _

TIMEOUT_S = 300   # a 2-process demo takes seconds; a hung rendezvous or collective ends here


@dataclass
class TorchrunResult:
    ok: bool          # every process ended with exit status 0
    stdout: str
    stderr: str
    summary: str      # one line: what ran, or what went wrong


def torchrun_command() -> list[str]:
    """The torchrun of this Python (the one next to it, when the PATH has another)."""
    here = Path(sys.executable).with_name("torchrun")
    return [str(here)] if here.exists() else [shutil.which("torchrun") or "torchrun"]


def torchrun_env(environ=None) -> dict:
    """The environment of a local torchrun demo: one thread per process, and every process
    on the loopback interface, so gloo never depends on how the machine's name resolves."""
    env = dict(os.environ if environ is None else environ)
    env["OMP_NUM_THREADS"] = "1"                       # the processes share the cores
    env["MASTER_ADDR"] = "127.0.0.1"
    if sys.platform.startswith("linux"):
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    return env


def run_torchrun(args: list[str], nproc: int = 2, timeout: float = TIMEOUT_S) -> TorchrunResult:
    """Run `torchrun --standalone --nproc_per_node=nproc *args` and never raise for its
    failure: the result says in `summary` what happened."""
    cmd = [*torchrun_command(), "--standalone", f"--nproc_per_node={nproc}", *args]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, env=torchrun_env(),
                           timeout=timeout)
    except subprocess.TimeoutExpired as err:
        return TorchrunResult(False, _text(err.stdout), _text(err.stderr),
                              _("the torchrun demo did not finish within {seconds:.0f} s and "
                                "was stopped; run the cell again").format(seconds=timeout))
    except OSError as err:
        return TorchrunResult(False, "", str(err),
                              _("torchrun could not start: {error}").format(error=err))
    if r.returncode == 0:
        return TorchrunResult(True, r.stdout, r.stderr,
                              _("{n} processes finished").format(n=nproc))
    return TorchrunResult(False, r.stdout, r.stderr, failure_summary(r.returncode, r.stderr))


def failure_summary(returncode: int, stderr: str) -> str:
    """One line on why a torchrun job failed, from its exit status and its error output.

    torchrun ends its report with the "Root Cause (first observed failure)": the rank that
    failed first, and its exit code or signal. The other ranks usually fail only because
    that one left (a "Connection reset by peer"), so the line names the first one.
    """
    root = stderr.rsplit("Root Cause", 1)[-1] if "Root Cause" in stderr else stderr
    rank = re.search(r"rank\s*:\s*(\d+)", root)
    who = _("rank {rank}").format(rank=rank.group(1)) if rank else _("a process")
    died = re.search(r"Signal (\d+) \((\w+)\) received by PID", root)
    code = re.search(r"exitcode\s*:\s*(-?\d+)", root)
    status = int(code.group(1)) if code else returncode
    if died:
        what = _("{who} was killed by signal {number} ({name})").format(
            who=who, number=died.group(1), name=died.group(2))
    elif status < 0:
        what = _("{who} was killed by {signal}").format(who=who, signal=_signal_name(-status))
    else:
        what = _("{who} ended with exit status {status}").format(who=who, status=status)
    last = _error_line(stderr, rank.group(1) if rank else None)
    if last:
        return _("the torchrun demo failed: {what} ({error}); run the cell again").format(
            what=what, error=last)
    return _("the torchrun demo failed: {what}; run the cell again").format(what=what)


def _error_line(stderr: str, rank: str | None) -> str:
    """The last error line of the failed rank (torchrun prefixes its lines "[rankN]:"), or
    a C++ "terminate called ..." line, which has no prefix; "" if there is none."""
    lines = [ln.strip() for ln in stderr.splitlines()]
    own = [ln.split(":", 1)[1].strip() for ln in lines if rank and ln.startswith(f"[rank{rank}]:")]
    for line in reversed(own + [ln for ln in lines if ln.startswith("terminate called")]):
        if re.match(r"(\w+(Error|Exception)\b|terminate called)", line):
            return line[:160]
    return ""


def _signal_name(number: int) -> str:
    try:
        return _("signal {number} ({name})").format(number=number,
                                                     name=signal.Signals(number).name)
    except ValueError:
        return _("signal {number}").format(number=number)


def _text(data) -> str:
    if isinstance(data, bytes):
        return data.decode(errors="replace")
    return data or ""
