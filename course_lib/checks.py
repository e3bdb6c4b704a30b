"""Automatic checks for the exercises, one `check_*` function per exercise.

An exercise gives a stub that raises NotImplementedError. Its check answers in one of
three ways, and never raises:

    ⏳ not attempted yet   the stub is untouched (or returns None)
    ❌ <what is wrong>     a typical mistake, named (wrong shape, off by one, ...)
    ✅ <what is right>     the answer matches the reference on several inputs

If the learner's function raises, the check reports "your function raised X: ..." with a
hint. The tests in tests/test_checks.py prove that each check rejects typical wrong
answers with its message and accepts the solution.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

ICONS = {"passed": "✅", "failed": "❌", "not_attempted": "⏳"}


@dataclass
class CheckResult:
    """The verdict of a check: `status` is "passed", "failed" or "not_attempted"."""
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


def call(fn, *args, hint: str = ""):
    """Call the learner's function, turning its exceptions into verdicts."""
    try:
        out = fn(*args)
    except NotImplementedError:
        raise NotAttempted from None
    except Exception as err:  # the learner's code may raise anything: report it, don't crash
        extra = f" Hint: {hint}" if hint else ""
        raise Mistake(f"your function raised {type(err).__name__}: {err}.{extra}") from None
    if out is None:
        raise NotAttempted
    return out


def exercise(checker):
    """Turn `checker(fn, ...) -> success message` into a check that returns a CheckResult."""
    name = checker.__name__

    @functools.wraps(checker)
    def check(fn, *args, **kwargs) -> CheckResult:
        if not callable(fn):
            return CheckResult(name, "failed",
                               f"pass your function itself, not its result: {name}(my_function), "
                               f"not {name}(my_function(...)); got a {type(fn).__name__}")
        try:
            message = checker(fn, *args, **kwargs)
        except NotAttempted:
            fname = getattr(fn, "__name__", "your function")
            return CheckResult(name, "not_attempted",
                               f"not attempted yet: fill in the TODO in `{fname}` (remove the "
                               f"`raise NotImplementedError`), then run this cell again.")
        except Mistake as err:
            return CheckResult(name, "failed", str(err))
        return CheckResult(name, "passed", message)

    return check


def expect_tensor(out, shape: tuple, what: str = "your result") -> torch.Tensor:
    """Fail with a clear message unless `out` is a tensor of `shape`."""
    if not isinstance(out, torch.Tensor):
        raise Mistake(f"{what} should be a torch.Tensor, got {type(out).__name__}")
    if tuple(out.shape) != tuple(shape):
        raise Mistake(f"{what} has shape {tuple(out.shape)}, expected {tuple(shape)}")
    return out


def close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    return torch.allclose(a.float(), b.float(), atol=atol, rtol=rtol)


# ----------------------------------------------------------------------------- lesson 00

_SAMPLES = ["hello", "To be, or not to be", "\nROMEO.\nO!", "a"]


@exercise
def check_encode_decode(encode, decode, tokenizer) -> str:
    """encode(text) -> list of IDs and decode(ids) -> text, equal to the tokenizer's."""
    for text in _SAMPLES:
        ids = call(encode, text)
        if isinstance(ids, str):
            raise Mistake("encode returned a string; it should return a list of integers")
        ids = list(ids.tolist() if isinstance(ids, torch.Tensor) else ids)
        want = tokenizer.encode(text)
        if len(ids) != len(want):
            raise Mistake(f"encode({text!r}) gave {len(ids)} IDs; one per character is "
                          f"{len(want)}")
        if ids != want:
            if [i - 1 for i in ids] == want:
                raise Mistake("every ID is one too large: enumerate() counts from 0, so the "
                              "first character of the vocabulary has ID 0")
            raise Mistake(f"encode({text!r}) gave {ids[:8]}, expected {want[:8]}; look each "
                          f"character up in stoi")
        back = call(decode, want)
        if isinstance(back, list):
            raise Mistake("decode returned a list; join the characters into one string "
                          "with ''.join(...)")
        if back != text:
            raise Mistake(f"decode({want[:8]}...) gave {back!r}, expected {text!r}")
    return "encode and decode agree with the tokenizer, and decode(encode(s)) == s."


@exercise
def check_context_target_pairs(make_pairs, block_size: int = 8) -> str:
    """make_pairs(chunk) -> [(context, target), ...]: block_size examples from one chunk."""
    chunk = list(range(10, 10 + block_size + 1))          # block_size + 1 distinct tokens
    pairs = call(make_pairs, chunk)
    pairs = list(pairs)
    if len(pairs) != block_size:
        raise Mistake(f"a chunk of block_size + 1 = {block_size + 1} tokens holds {block_size} "
                      f"examples, you returned {len(pairs)} (off by one?)")
    for t, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise Mistake(f"each example should be a pair (context, target); item {t} is "
                          f"{pair!r}")
        context, target = list(pair[0]), pair[1]
        target = int(target)
        if context == chunk[:t] and target == chunk[t]:
            raise Mistake(f"example {t} has an empty or short context: the context of example t "
                          f"is chunk[:t+1] (it includes token t), the target is chunk[t+1]")
        if context != chunk[:t + 1]:
            raise Mistake(f"example {t}: context {context} should be chunk[:{t + 1}] = "
                          f"{chunk[:t + 1]}")
        if target != chunk[t + 1]:
            if target == chunk[t]:
                raise Mistake(f"example {t}: the target is the last token of the context; it "
                              f"should be the token after it, chunk[{t + 1}]")
            raise Mistake(f"example {t}: target {target} should be chunk[{t + 1}] = "
                          f"{chunk[t + 1]}")
    return f"{block_size} examples from one chunk: the context grows from 1 to {block_size} tokens."


# ----------------------------------------------------------------------------- lesson 09

@exercise
def check_tokens_per_step(tokens_per_step) -> str:
    """tokens_per_step(batch_size, block_size, nproc): tokens one optimisation step sees."""
    for B, T, n in [(16, 64, 2), (12, 128, 1), (8, 256, 4), (1, 1, 3)]:
        got = call(tokens_per_step, B, T, n)
        want = B * T * n
        if got == want:
            continue
        if got == B * T:
            raise Mistake(f"for batch_size={B}, block_size={T}, nproc={n} you gave {got}: that is "
                          f"one process's share; every process sees its own batch, so multiply "
                          f"by nproc")
        if got == B * n:
            raise Mistake(f"you gave {got} = the number of sequences; each sequence holds "
                          f"block_size={T} tokens (one example per position)")
        raise Mistake(f"for batch_size={B}, block_size={T}, nproc={n} expected {want}, got {got}")
    return "tokens per step = batch_size x block_size x nproc."


@exercise
def check_steps_per_epoch(steps_per_epoch) -> str:
    """steps_per_epoch(n_tokens, batch_size, block_size, nproc): steps to see n_tokens once."""
    for N, B, T, n in [(1_000_000, 16, 64, 2), (1000, 10, 10, 1), (1001, 10, 10, 1),
                       (5000, 4, 32, 3)]:
        got = call(steps_per_epoch, N, B, T, n)
        want = -(-N // (B * T * n))
        if got == want and isinstance(got, int):
            continue
        if isinstance(got, float):
            raise Mistake(f"you returned a float ({got}); a number of steps is a whole number: "
                          f"round up with math.ceil or -(-a // b)")
        if got == N // (B * T * n):
            raise Mistake(f"for {N} tokens and {B * T * n} tokens per step you gave {got}: "
                          f"rounding down leaves the last {N % (B * T * n)} tokens unseen, round up")
        if got == -(-N // (B * T)):
            raise Mistake(f"you gave {got}: with {n} processes each step sees {n} batches, divide "
                          f"by nproc too")
        raise Mistake(f"for n_tokens={N}, batch_size={B}, block_size={T}, nproc={n} expected "
                      f"{want}, got {got}")
    return "steps per epoch = ceil(n_tokens / (batch_size x block_size x nproc))."
