"""What the course's command-line tools share: argument types and one-line errors."""

from __future__ import annotations

import argparse
import importlib
import math
import sys


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one readable line (no usage dump, no traceback)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _number(convert, ok, expected: str):
    """An argparse type: convert the text, check the value, or say what was expected."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text}")
        return value
    return parse


positive_int = _number(int, lambda v: v >= 1, "a whole number > 0")
non_negative_int = _number(int, lambda v: v >= 0, "a whole number >= 0")
positive_float = _number(float, lambda v: math.isfinite(v) and v > 0, "a finite number > 0")
fraction = _number(float, lambda v: 0.0 <= v < 1.0, "a number in [0, 1)")   # e.g. dropout


def fail(prog: str, err: BaseException) -> int:
    """Print one line naming the problem and return the exit status for it."""
    print(f"{prog}: error: {err}", file=sys.stderr)
    return 2


SEED_MAX = 2**62     # torch takes 64-bit seeds; the commands add small offsets (per process)


def validate_seed(seed: int) -> int:
    """A --seed that torch.manual_seed accepts, or a ValueError that says the range."""
    if not 0 <= seed <= SEED_MAX:
        got = f"{seed}" if len(str(seed)) < 40 else f"a number of {len(str(abs(seed)))} digits"
        raise ValueError(f"--seed must be a whole number from 0 to {SEED_MAX} (2**62), got "
                         f"{got}; any number in that range gives its own reproducible run")
    return seed


def utf8_text(text: str, flag: str) -> str:
    """`text` typed on the command line, as the UTF-8 the user typed, whatever the locale.

    Where the locale is not UTF-8 (LC_ALL=C with PYTHONUTF8=0), Python keeps the bytes it
    cannot read as surrogate escapes ('你' becomes '\\udce4\\udcbd\\udca0'): they are
    read again as UTF-8. Bytes that are not UTF-8 either are refused with a ValueError."""
    import os
    if not any("\udc80" <= c <= "\udcff" for c in text):
        return text
    try:
        return os.fsencode(text).decode("utf-8")
    except (UnicodeError, ValueError):
        raise ValueError(f"{flag} holds bytes that are not UTF-8 text ({ascii(text)[:60]}); type "
                         f"it in a terminal set to UTF-8, or save it in a UTF-8 file and give "
                         f"that file instead") from None


def safe_output() -> None:
    """Characters the terminal cannot show (a cp1252 console, a lone surrogate in a
    vocabulary) are written as \\uXXXX escapes instead of ending the command with a
    UnicodeEncodeError; an ASCII-only stream (the C locale) is switched to UTF-8."""
    import codecs
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                # the C locale's ASCII (LC_ALL=C, PYTHONUTF8=0) shows no text beyond English:
                # write UTF-8 there, as Python's own UTF-8 mode would
                ascii_only = codecs.lookup(stream.encoding or "utf-8").name == "ascii"
                reconfigure(errors="backslashreplace", **({"encoding": "utf-8"} if ascii_only
                                                          else {}))
            except (ValueError, OSError, LookupError):
                pass                         # a stream that cannot change: left as it is


def run_command(name: str) -> int:
    """What `python -m course_lib.NAME` runs: import commands/NAME.py and call its main().

    Ctrl-C while the command's modules load gives one line and exit status 130, not a
    traceback.
    """
    try:
        module = importlib.import_module(f"{__package__}.{name}")
    except KeyboardInterrupt:
        sys.stderr.write("course_lib: interrupted while starting; nothing was done\n")
        return 130
    return module.main()
