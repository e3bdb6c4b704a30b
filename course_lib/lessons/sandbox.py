"""Running a learner's function safely, for the exercise checks (checks/framework.py uses it for every call).

A learner's code may loop forever, eat all memory, print megabytes, change the tensors it
was given, call sys.exit() or return something of the wrong kind. None of that may hang or
kill the Jupyter kernel, and none of it may make a check raise. `run(fn, args)` calls `fn`
and returns an `Outcome` that says what happened:

- a **time limit**: in the main thread (where Jupyter runs cells) a real-time timer
  (`signal.setitimer`) raises a private exception inside the learner's code, which also
  interrupts a `time.sleep` or a blocking read; in any other thread, or where there is no
  SIGALRM (Windows), a watchdog thread raises it with `PyThreadState_SetAsyncExc`. The
  exception derives from BaseException, so `except Exception:` in learner code does not
  swallow it, and it is raised again every 10 ms, so a bare `except:` inside a loop does
  not keep the loop alive for long.
- a **memory limit**: the same watchdog stops the code once the process has grown by more
  than `memory_bytes` (measured with psutil) since the call began.
- a **size limit** on what comes back: a generator or iterator is read inside the limits,
  at most `max_items` items; a result that is far too large is reported, not kept.
- **copies of the inputs**: the function gets deep copies, so the check's own tensors stay
  intact, and the outcome names every argument the function changed.
- `SystemExit` (sys.exit(), exit()) and any other exception are caught and reported;
  only KeyboardInterrupt (the learner pressing "interrupt") goes through.
- the global random state is saved and restored, so a learner's `torch.manual_seed` or
  random draws do not change what the notebook's next cells compute.

`capped_output(limit)` lets learner code print at most `limit` characters and counts the
rest; the check prints one line saying how much was cut.
"""

from __future__ import annotations

import copy
import ctypes
import inspect
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch

from ..i18n import _, ngettext

# The limits on one call of learner code (the checks' framework uses these; tests lower them)
TIME_LIMIT_S = 10.0       # seconds per call (a check may pass its own `seconds`)
MEMORY_LIMIT = 1 << 30    # bytes the process may grow by during one call (1 GiB)
MAX_ITEMS = 100_000       # items read from a generator that the learner returns

POLL_S = 0.02          # how often the watchdog looks at the clock and the memory
REFIRE_S = 0.01        # how often the stop is raised again while the code keeps running


class _Stop(BaseException):
    """Raised inside learner code to stop it. A BaseException: `except Exception` misses it."""


class _TimeUp(_Stop):
    pass


class _MemoryUp(_Stop):
    pass


@dataclass
class Outcome:
    """What happened when the learner's function ran.

    Exactly one of these describes the end: `value` (it returned; generators already read
    into a list), `error` (it raised; SystemExit included), `stopped` ("time", "memory" or
    "items": the sandbox stopped it). `modified` names the arguments it changed in place.
    """
    value: object = None
    error: BaseException | None = None
    stopped: str | None = None
    seconds: float = 0.0
    modified: list[str] = field(default_factory=list)
    limit: float | int | None = None        # the limit that stopped it, for the message


# ----------------------------------------------------------------------------- limits

def _rss_reader():
    """A function that returns the process's resident memory in bytes (or None).

    On Linux it reads /proc/self/statm through a file kept open (one system call, so the
    watchdog needs the GIL only briefly); elsewhere it asks psutil, imported here once.
    """
    try:
        fd = os.open("/proc/self/statm", os.O_RDONLY)
        page = os.sysconf("SC_PAGE_SIZE")

        def read() -> int | None:
            try:
                return int(os.pread(fd, 64, 0).split()[1]) * page
            except (OSError, ValueError, IndexError):
                return None
        read()
        return read
    except (OSError, AttributeError, ValueError):
        pass
    try:
        import psutil
        process = psutil.Process()
        return lambda: process.memory_info().rss
    except Exception:  # noqa: BLE001 - no psutil: no memory limit, and no crash either
        return lambda: None


_rss = _rss_reader()


def _async_raise(thread_id: int, exc: type[BaseException] | None) -> None:
    """Raise `exc` in the thread `thread_id` at its next bytecode (None clears a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None)


class _Guard:
    """A time limit and a memory limit around a block of learner code, in any thread.

    `arm()` starts them; `disarm()` stops them. A stop may still land while disarm runs (a
    signal already on its way), so disarm is written to be repeated until it completes:
    `run` calls it in a loop that catches such a late stop.
    """

    def __init__(self, seconds: float, memory_bytes: int | None):
        self.seconds = seconds
        self.memory_bytes = memory_bytes
        self.reason: str | None = None       # "time" or "memory" once a limit was hit
        self.active = False                  # set to False first thing when the code is done
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._use_signal = (threading.current_thread() is threading.main_thread()
                            and hasattr(signal, "setitimer"))
        self._thread_id = threading.get_ident()
        self._armed_signal = False
        self._watchdog = None
        self._outer_deadline = None

    def _on_alarm(self, signum, frame):
        """SIGALRM in the main thread: raise the stop inside the learner's code."""
        if not self.active:
            return
        now = time.monotonic()
        if self._outer_deadline is not None and now >= self._outer_deadline:
            # an enclosing timer (pytest-timeout, say) ran out first: let it act
            if callable(self._previous_handler):
                self._previous_handler(signum, frame)
            return
        if now - self._start >= self.seconds:
            self.reason = self.reason or "time"
            raise _TimeUp

    def _watch(self):
        """The watchdog thread: the memory limit, and the time limit outside the main thread."""
        rss0 = _rss() if self.memory_bytes is not None else None
        last_fire = 0.0
        while not self._done.wait(POLL_S):
            now = time.monotonic()
            if self.reason is None:
                if not self._use_signal and now - self._start >= self.seconds:
                    self.reason = "time"
                elif rss0 is not None:
                    rss = _rss()
                    if rss is not None and rss - rss0 > self.memory_bytes:
                        self.reason = "memory"
            if self.reason is not None and now - last_fire >= REFIRE_S:
                with self._lock:
                    if not self.active:
                        return
                    _async_raise(self._thread_id,
                                 _MemoryUp if self.reason == "memory" else _TimeUp)
                last_fire = now

    def arm(self) -> None:
        self._start = time.monotonic()
        self.active = True
        if self._use_signal:
            self._previous_handler = signal.signal(signal.SIGALRM, self._on_alarm)
            self._outer_timer = signal.setitimer(signal.ITIMER_REAL, 0)
            remaining = self._outer_timer[0]
            first = self.seconds
            if remaining > 0:
                self._outer_deadline = self._start + remaining
                first = min(first, remaining)
            self._armed_signal = True
            signal.setitimer(signal.ITIMER_REAL, max(first, 1e-4), REFIRE_S)
        if not self._use_signal or self.memory_bytes is not None:
            self._watchdog = threading.Thread(target=self._watch, daemon=True,
                                              name="course-check-watchdog")
            self._watchdog.start()

    def disarm(self) -> None:
        """Stop both limits and restore what was there before. Safe to call again."""
        with self._lock:
            self.active = False
        self._done.set()
        if self._armed_signal:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous_handler)
            self._armed_signal = False
            remaining, interval = self._outer_timer
            if remaining > 0:                   # give the enclosing timer back what is left
                left = self._outer_deadline - time.monotonic()
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-4), interval)
        if self._watchdog is not None:
            self._watchdog.join()
            self._watchdog = None
        _async_raise(self._thread_id, None)     # a stop sent but not yet raised: drop it


# ----------------------------------------------------------------------------- copies

class _Uncopyable:
    pass


def _copy(value):
    """A copy the learner may change without touching the check's own object."""
    if isinstance(value, torch.Tensor):
        out = value.detach().clone()
        if value.requires_grad and out.is_floating_point():
            out.requires_grad_(True)
        return out
    if isinstance(value, (torch.Generator, types.FunctionType, types.ModuleType, type)):
        return value      # generators are meant to advance; functions and classes are shared
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - an object that cannot be copied is passed as it is
        return _Uncopyable


def _same(a, b, depth: int = 0) -> bool:
    """True if `a` (the learner's copy after the call) still equals `b` (the original)."""
    if depth > 4:
        return True
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        a, b = a.detach(), b.detach()
        if a.is_floating_point() or a.is_complex():
            return bool(((a == b) | (torch.isnan(a) & torch.isnan(b))).all())
        return torch.equal(a, b)
    if isinstance(a, torch.nn.Module) and isinstance(b, torch.nn.Module):
        sa, sb = a.state_dict(), b.state_dict()
        return sa.keys() == sb.keys() and all(_same(sa[k], sb[k], depth + 1) for k in sa)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y, depth + 1) for x, y in zip(a, b))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k], depth + 1) for k in a)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - cannot compare: assume unchanged
        return True


def _argument_names(fn, n: int) -> list[str]:
    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        names = [p.name for p in params]
    except (TypeError, ValueError):
        names = []
    return [f"`{names[i]}`" if i < len(names) else _("argument {n}").format(n=i + 1)
            for i in range(n)]


# ----------------------------------------------------------------------------- results

def _is_lazy(value) -> bool:
    """A generator, map, zip, filter or other one-pass iterator (not a tensor or container)."""
    return isinstance(value, (Iterator, types.GeneratorType)) and not isinstance(
        value, (torch.Tensor, str, bytes, list, tuple, dict))


def _read(value, max_items: int, depth: int = 2):
    """Read generators (also inside a list or tuple) into lists, at most max_items each."""
    if _is_lazy(value):
        items = []
        for item in value:
            if len(items) >= max_items:
                raise _TooMany
            items.append(_read(item, max_items, depth - 1) if depth > 0 else item)
        return items
    if depth > 0 and isinstance(value, (list, tuple)) and any(map(_is_lazy, value[:max_items])):
        items = [_read(item, max_items, depth - 1) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value


class _TooMany(Exception):
    pass


def size_in_bytes(value, max_items: int, depth: int = 0) -> int:
    """About how many bytes `value` holds (tensors, arrays, strings, containers)."""
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    nbytes = getattr(value, "nbytes", None)          # numpy arrays
    if isinstance(nbytes, int):
        return nbytes
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, (list, tuple, set, frozenset, dict, range)):
        n = len(value)
        if n > max_items or depth > 3:
            return 8 * n
        items = value.values() if isinstance(value, dict) else value
        return 8 * n + sum(size_in_bytes(v, max_items, depth + 1) for v in items)
    return 8


def describe(value) -> str:
    """A short description of a value for a message: its type, and its shape or length.

    In the learner's language (course_lib.set_language); type names stay as Python writes them.
    """
    if value is None:
        return "None"
    kind = type(value).__name__
    if isinstance(value, torch.Tensor):
        return _("a tensor of shape {shape} and dtype {dtype}").format(
            shape=tuple(value.shape), dtype=value.dtype)
    if type(value).__module__ == "numpy" and hasattr(value, "shape"):
        return _("a numpy {type} of shape {shape}").format(type=kind, shape=tuple(value.shape))
    if isinstance(value, bool):
        return _("a bool ({value})").format(value=value)
    if isinstance(value, int):
        return _("an {type} ({value})").format(type=kind, value=repr(value))
    if isinstance(value, float):
        return _("a {type} ({value})").format(type=kind, value=repr(value))
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return _("a str ({value})").format(value=repr(shown))
    if isinstance(value, (list, tuple, dict, set)):
        return ngettext("a {type} of {n} item", "a {type} of {n} items", len(value)).format(
            type=kind, n=len(value))
    return _("a {type}").format(type=kind)


# ----------------------------------------------------------------------------- run

def run(fn, args: tuple = (), kwargs: dict | None = None, *, seconds: float = TIME_LIMIT_S,
        memory_bytes: int | None = MEMORY_LIMIT, max_items: int = MAX_ITEMS,
        modifies: tuple[int, ...] = ()) -> Outcome:
    """Call fn(*args, **kwargs) within the limits; never raises except KeyboardInterrupt.

    Every argument is deep-copied first, except those at the positions in `modifies`
    (arguments the function is meant to change, such as a model to train).
    """
    kwargs = kwargs or {}
    given = [a if i in modifies else _copy(a) for i, a in enumerate(args)]
    uncopyable = [i for i, a in enumerate(given) if a is _Uncopyable]
    for i in uncopyable:
        given[i] = args[i]
    outcome = Outcome()
    start = time.monotonic()
    guard = _Guard(seconds, memory_bytes)
    with torch.random.fork_rng(devices=[]):
        try:
            guard.arm()
            value = fn(*given, **kwargs)
            outcome.value = _read(value, max_items)
        except _TooMany:
            outcome.stopped, outcome.limit = "items", max_items
        except _Stop:
            outcome.stopped = guard.reason or "time"
        except KeyboardInterrupt:
            guard.active = False
            raise
        except BaseException as err:  # noqa: BLE001 - SystemExit and all: each gets a verdict
            outcome.error = err
        finally:
            guard.active = False           # no eval-breaker check before this store
            while True:
                try:
                    guard.disarm()
                    break
                except _Stop:              # a stop that was on its way: ignore it, finish
                    continue
    outcome.seconds = time.monotonic() - start
    if outcome.stopped in ("time", "memory"):
        outcome.limit = seconds if outcome.stopped == "time" else memory_bytes
        outcome.value = None
    if outcome.stopped is None and guard.reason == "memory":
        outcome.stopped, outcome.limit, outcome.value = "memory", memory_bytes, None
    names = _argument_names(fn, len(args))
    for i, (before, after) in enumerate(zip(args, given)):
        if i not in modifies and i not in uncopyable and not _same(after, before):
            outcome.modified.append(names[i])
    return outcome


# ----------------------------------------------------------------------------- output

class _CappedStream:
    """A text stream that passes on the first `limit` characters and counts the rest."""

    def __init__(self, stream, budget: dict):
        self._stream = stream
        self._budget = budget

    def write(self, text) -> int:
        text = str(text)
        room = self._budget["left"]
        if room > 0 and text:
            self._stream.write(text[:room])
            self._budget["newline"] = text[:room].endswith("\n")
        self._budget["left"] = max(0, room - len(text))
        self._budget["cut"] += max(0, len(text) - room)
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextmanager
def capped_output(limit: int):
    """Let the code inside print at most `limit` characters (stdout and stderr together).

    Yields a dict; its "cut" entry counts the characters that were not shown, and
    "newline" says whether the last character shown ended a line.
    """
    budget = {"left": limit, "cut": 0, "newline": True}
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _CappedStream(out, budget), _CappedStream(err, budget)
    try:
        yield budget
    finally:
        sys.stdout, sys.stderr = out, err
