"""The check framework: how a check runs learner code and what it answers.

An exercise gives a stub that raises NotImplementedError. Its check answers in one of
four ways, and never raises:

    ⏳ not attempted yet   the stub is untouched (or returns None)
    ❌ <what is wrong>     a typical mistake, named (wrong shape, off by one, ...)
    ⌛ <ran too long>      the learner's function ran past its time limit and was stopped
    ✅ <what is right>     the answer matches the reference on several inputs

Every call of learner code goes through `call` (or `attempt`), which runs it in the
sandbox of sandbox.py: a time limit, a memory limit, generators read with a cap, copies of
the inputs (changing one is reported), sys.exit() caught, the random state restored. What
learner code prints during one check is capped at OUTPUT_LIMIT characters. If the
learner's function raises, the check reports "your function raised X: ..." with a hint. If
the check itself cannot use what the function returned, the verdict says so (❌), naming
what came back and what the exercise asks for.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
from dataclasses import asdict, dataclass

from ...i18n import _
from .. import sandbox
from ..experiments import one_thread
from ..remote import RemoteFunction
from ..sandbox import MAX_ITEMS, MEMORY_LIMIT, TIME_LIMIT_S, describe

ICONS = {"passed": "✅", "failed": "❌", "not_attempted": "⏳", "timed_out": "⌛"}

# When this environment variable names a file, every check appends its verdict to it as one
# JSON line {"name", "status", "message", "function"} ("function": the __name__ of what the
# check was given): `python -m course_lib.grade` reads them.
CHECK_LOG_ENV = "COURSE_CHECK_LOG"

# The limits on one call of learner code: TIME_LIMIT_S, MEMORY_LIMIT and MAX_ITEMS are the
# sandbox's (sandbox.py), imported here so that tests can lower them for the checks.
MAX_RESULT_BYTES = 64 << 20      # a returned tensor or list larger than this is refused
OUTPUT_LIMIT = 5_000             # characters learner code may print during one check


@dataclass
class CheckResult:
    """The verdict of a check: `status` is "passed", "failed", "not_attempted" or "timed_out"."""
    name: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"{ICONS[self.status]} {self.name}: {self.message}"


class NotAttempted(Exception):
    """The learner's function is still the stub."""


class Mistake(Exception):
    """The learner's answer is wrong; the message says how."""


class TimedOut(Exception):
    """The learner's function ran past its time limit."""


class Shortcut(Exception):
    """Raised by a check's stand-in object when the learner's code calls the very thing the
    exercise asks them to write (a model's own forward, say); its message says so."""


# what the last call returned, so a check that cannot use it can say what it was
_last = {"value": None, "set": False}

# what `call` gives NotAttempted when the function returned None (not shown as it is)
_RETURNED_NONE = "returned None"


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 2**10:,.0f} KB"


def attempt(fn, *args, seconds: float | None = None, modifies: tuple[int, ...] = ()
            ) -> sandbox.Outcome:
    """Run the learner's `fn(*args)` in the sandbox and return what happened.

    For checks that expect an exception (a temperature of 0 must raise ValueError). A
    limit that was hit, a changed input or sys.exit() is already turned into a verdict
    here; an ordinary exception is left in `outcome.error` for the check to judge.
    """
    seconds = TIME_LIMIT_S if seconds is None else seconds
    if isinstance(fn, RemoteFunction):      # the grader: fn runs in the learner's kernel
        out = fn.run(args, seconds, MEMORY_LIMIT, MAX_ITEMS, modifies)
    else:
        out = sandbox.run(fn, args, seconds=seconds, memory_bytes=MEMORY_LIMIT,
                          max_items=MAX_ITEMS, modifies=modifies)
    if out.stopped == "time":
        raise TimedOut(_("your function ran for more than {seconds:g} s and was stopped. Does "
                         "a loop never end (a `while` whose condition never becomes False, a "
                         "generator without an end)? Each call here should take well under a "
                         "second").format(seconds=seconds))
    if out.stopped == "memory":
        raise Mistake(_("your function used more than {limit} of memory and was "
                        "stopped. Does it build something much larger than the inputs, or keep "
                        "appending in a loop that never ends?").format(limit=_mb(MEMORY_LIMIT)))
    if out.stopped == "items":
        raise Mistake(_("your function returned a generator (or iterator) that gave more than "
                        "{max_items:,} items, so the check stopped reading it. Does it ever "
                        "stop? Return a list instead").format(max_items=MAX_ITEMS))
    if isinstance(out.error, SystemExit):
        raise Mistake(_("your function called sys.exit() (or exit()), which would end the "
                        "program; a function gives its answer with `return`"))
    if out.modified:
        names = functools.reduce(lambda a, b: _("{first} and {second}").format(first=a, second=b),
                                 out.modified)
        raise Mistake(_("your function changed its input {names} in place (for example with "
                        "`x -= ...`, `x[...] = ...`, `x.sub_(...)` or `.append`): the caller's "
                        "data would be changed too. Compute a new value instead (`y = x - ...`)"
                        ).format(names=names))
    if out.error is None:
        size = sandbox.size_in_bytes(out.value, MAX_ITEMS)
        if size > MAX_RESULT_BYTES:
            raise Mistake(_("your function returned {value}, about {size}: far larger than "
                            "this exercise's answer. Check the shapes").format(
                                value=describe(out.value), size=_mb(size)))
        _last.update(value=out.value, set=True)
    return out


def call(fn, *args, hint: str = "", seconds: float | None = None,
         modifies: tuple[int, ...] = ()):
    """Call the learner's function in the sandbox, turning whatever goes wrong into a verdict.

    Returns what the function returned (a generator already read into a list). Raises
    NotAttempted for the stub (or None), Mistake for an exception or a broken limit, and
    TimedOut when it ran too long.
    """
    out = attempt(fn, *args, seconds=seconds, modifies=modifies)
    if isinstance(out.error, NotImplementedError):
        raise NotAttempted
    if isinstance(out.error, Shortcut):
        raise Mistake(str(out.error))
    if out.error is not None:
        err = out.error
        if hint:
            raise Mistake(_("your function raised {error_type}: {error}. Hint: {hint}").format(
                error_type=type(err).__name__, error=err, hint=hint))
        raise Mistake(_("your function raised {error_type}: {error}.").format(
            error_type=type(err).__name__, error=err))
    if out.value is None:
        raise NotAttempted(_RETURNED_NONE)
    return out.value


def exercise(checker):
    """Turn `checker(fn, ...) -> success message` into a check that returns a CheckResult."""
    name = checker.__name__

    @functools.wraps(checker)
    def check(fn=None, *args, **kwargs) -> CheckResult:
        try:
            inspect.signature(checker).bind(fn, *args, **kwargs)
        except TypeError as err:
            params = str(inspect.signature(checker)).split(" ->")[0]
            return _logged(CheckResult(name, "failed", _(
                "{name} was called with the wrong arguments ({error}); call it as "
                "{name}{params}").format(name=name, error=err, params=params)))
        if not callable(fn):
            return _logged(CheckResult(
                name, "failed", _("pass your function itself, not its result: {name}(my_function), "
                                  "not {name}(my_function(...)); got {value}").format(
                                      name=name, value=describe(fn))))
        # a check's tensors are tiny: one thread never waits for another
        with one_thread(), sandbox.capped_output(OUTPUT_LIMIT) as printed:
            result = _verdict(checker, fn, *args, **kwargs)
        if printed["cut"]:
            print(("" if printed["newline"] else "\n") + _(
                "[your code printed {total:,} characters; only the first {limit:,} are shown, "
                "{cut:,} were cut]").format(total=printed["cut"] + OUTPUT_LIMIT,
                                           limit=OUTPUT_LIMIT, cut=printed["cut"]))
        return _logged(result, fn)

    return check


def _verdict(checker, fn, *args, **kwargs) -> CheckResult:
    name = checker.__name__
    _last.update(value=None, set=False)
    try:
        message = checker(fn, *args, **kwargs)
    except NotAttempted as why:
        fname = getattr(fn, "__name__", _("your function"))
        if str(why) == _RETURNED_NONE:
            return CheckResult(name, "not_attempted", _(
                "not attempted yet: `{function}` returned None. Fill in the TODO and end the "
                "function with `return ...`, then run this cell again.").format(function=fname))
        return CheckResult(name, "not_attempted", _(
            "not attempted yet: fill in the TODO in `{function}` (remove the "
            "`raise NotImplementedError`), then run this cell again.").format(function=fname))
    except Mistake as err:
        return CheckResult(name, "failed", str(err))
    except TimedOut as err:
        return CheckResult(name, "timed_out", str(err))
    except KeyboardInterrupt:
        raise
    except Exception as err:  # noqa: BLE001 - the check could not use the learner's result
        wanted = (checker.__doc__ or "").strip().splitlines()[0] if checker.__doc__ else ""
        got = describe(_last["value"]) if _last["set"] else _("something")
        return CheckResult(name, "failed", _(
            "the check could not use what your function returned ({value}): "
            "{error_type}: {error}. The exercise asks for: {wanted}").format(
                value=got, error_type=type(err).__name__, error=err, wanted=wanted))
    return CheckResult(name, "passed", message)


def _logged(result: CheckResult, fn=None) -> CheckResult:
    """Append the verdict to the file named by $COURSE_CHECK_LOG, if it is set."""
    path = os.environ.get(CHECK_LOG_ENV)
    if path:
        record = asdict(result) | {"function": str(getattr(fn, "__name__", ""))[:200]}
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return result
