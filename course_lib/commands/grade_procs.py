"""Processes for the grader: keep learner code away from the grader, and end all of it.

- `shield()` makes the calling process non-dumpable: another process of the same user (a
  learner's kernel, or what it started) can then neither read its /proc/PID/fd, environ or
  memory, nor attach a debugger to it. And it makes the process a child subreaper: a
  learner's process that double-forks and calls setsid() becomes its child when its parent
  dies, instead of escaping to init.
- `end_descendants(pid)` kills every process below `pid`, however it got there (its own
  session, its own process group), round after round until none is left.
Linux only; elsewhere both do what they can (the kernel's process group is still killed).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time

PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


def shield() -> bool:
    """Non-dumpable and a child subreaper; True when both took effect."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return (libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
                and libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except OSError:
        return False


def _parents() -> dict[int, int]:
    """pid -> parent pid of every live process (zombies left out)."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue
        rest = stat[stat.rfind(")") + 2:].split()     # the name may hold spaces and ")"
        if len(rest) > 1 and rest[0] != "Z":
            out[int(name)] = int(rest[1])
    return out


def descendants(root: int, spare: set[int] = frozenset()) -> list[int]:
    """Every live process below `root`, leaving out `spare` and what lies below them."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parents().items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        if pid in spare or pid == root:
            continue
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def end_descendants(root: int | None = None, spare: set[int] = frozenset(),
                    rounds: int = 200) -> int:
    """SIGKILL every process below `root` (default: this one) until none is left.

    Returns how many were killed. Orphans come back to us as their parents die (we are a
    subreaper), so each round finds what the last one uncovered; a fork loop loses, since
    every process it makes is killed in the round after it appears.
    """
    root = os.getpid() if root is None else root
    if not os.path.isdir("/proc"):
        return 0
    killed = 0
    for _ in range(rounds):
        pids = descendants(root, spare)
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(pid, signal.SIGSTOP)     # freeze first: no new forks while we kill
            except (ProcessLookupError, PermissionError):
                pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except (ProcessLookupError, PermissionError):
                pass
        if root == os.getpid():
            _reap()
        time.sleep(0.01)
    return killed
