"""Lesson 11's exercise checks (notebooks/11_your_own_gpt.ipynb): the addition task.

Their tests: tests/test_checks_l11_your_own_gpt.py."""

from __future__ import annotations

import torch

from ..own_gpt import addition_line as reference_line
from ..own_gpt import score_answers
from ..sandbox import describe
from .framework import Mistake, NotAttempted, attempt, call, exercise


_ADDITION_CASES = [(7, 45), (0, 0), (99, 99), (50, 50), (12, 3), (91, 9), (3, 4)]


@exercise
def check_addition_line(addition_line) -> str:
    """addition_line(a, b, reverse) -> 'AA+BB=CCC': zero-padded, answer reversed if asked."""
    hint = "f'{a:02d}+{b:02d}=' and then the sum as str(a + b).zfill(3), reversed with [::-1]"
    for reverse in (True, False):
        for a, b in _ADDITION_CASES:
            got = call(addition_line, a, b, reverse, hint=hint)
            want = reference_line(a, b, reverse)
            if not isinstance(got, str):
                raise Mistake(f"addition_line({a}, {b}, {reverse}) returned {describe(got)}; "
                              f"return the line as a string, such as {want!r}")
            if got == want:
                continue
            label = f"addition_line({a}, {b}, reverse={reverse}) gave {got!r}, expected {want!r}"
            answer = str(a + b)
            if got == want + "\n":
                raise Mistake(f"{label}: leave out the newline; the text joins the lines with "
                              f"'\\n' itself")
            if got.split("=")[0] in (f"{a}+{b}", f"{a}+{b:02d}", f"{a:02d}+{b}") \
                    and got.split("=")[0] != want.split("=")[0]:
                raise Mistake(f"{label}: pad both numbers to two digits ({a:02d}, not {a}), so "
                              f"that every digit has a fixed place in the line")
            if got == reference_line(a, b, not reverse):
                raise Mistake(f"{label}: the answer is reversed the wrong way round; with "
                              f"reverse=True write it least significant digit first, with "
                              f"reverse=False as usual")
            if got == want[::-1]:
                raise Mistake(f"{label}: you reversed the whole line; reverse only the answer")
            head = want.split("=")[0] + "="
            if reverse and got == head + answer[::-1].zfill(3):
                raise Mistake(f"{label}: you reversed the sum before padding it; pad to three "
                              f"digits first (str(a + b).zfill(3)), then reverse, so the zeros "
                              f"stand for the hundreds")
            if got in (head + answer, head + answer[::-1]):
                raise Mistake(f"{label}: pad the answer to three digits (str(a + b).zfill(3)): "
                              f"every line must have the same length")
            raise Mistake(label)
    return "two-digit operands, a three-digit answer, reversed only when reverse=True."


@exercise
def check_addition_accuracy(accuracy) -> str:
    """accuracy(answers, pairs, reverse) -> fraction (0 to 1) of answers that are the right sum."""
    pairs = [(7, 45), (12, 30), (99, 99), (50, 50), (1, 2), (30, 70), (8, 8), (40, 4)]
    hint = ("read each answer back (undo the reversal with [::-1]), compare it with a + b, "
            "and divide the number right by len(pairs)")
    for reverse in (True, False):
        right = [reference_line(a, b, reverse)[-3:] for a, b in pairs]
        answers = list(right)
        answers[1] = "x4" + answers[1][2]        # not a number: a model can write anything
        answers[3] = answers[3][::-1] if reverse else "010"   # digits in the wrong order
        answers[5] = answers[5][:2] + ("9" if answers[5][2] != "9" else "8")   # one digit off
        answers[6] = "610" if reverse else "016"        # 16 with a zero before it or not: right
        for case in (answers, right, ["000"] * len(pairs)):
            want = score_answers(case, pairs, reverse)
            label = f"with reverse={reverse} and answers {case}"
            out = attempt(accuracy, list(case), list(pairs), reverse)
            if isinstance(out.error, NotImplementedError):
                raise NotAttempted
            if isinstance(out.error, ValueError) and "x4" in "".join(case):
                raise Mistake(f"{label} your function raised ValueError ({out.error}): an answer "
                              f"such as 'x43' is not a number, and a model can write one. Count "
                              f"it as wrong instead of calling int() on it unchecked "
                              f"(answer.isdigit() says whether it is a number)")
            got = call(accuracy, list(case), list(pairs), reverse, hint=hint)
            if isinstance(got, torch.Tensor) and got.numel() == 1:
                got = got.item()
            if isinstance(got, bool) or not isinstance(got, (int, float)):
                raise Mistake(f"{label} you returned {describe(got)}; return one number, the "
                              f"fraction of right answers")
            if abs(got - want) < 1e-9:
                continue
            n_right = round(want * len(pairs))
            if got == n_right and n_right != want:
                raise Mistake(f"{label} you returned {got}, the number of right answers; divide "
                              f"by len(pairs) to get a fraction from 0 to 1")
            if abs(got - 100 * want) < 1e-9 and want:
                raise Mistake(f"{label} you returned {got}, a percentage; return the fraction "
                              f"(0 to 1)")
            flipped = score_answers(case, pairs, not reverse)
            if abs(got - flipped) < 1e-9:
                raise Mistake(f"{label} you gave {got}, expected {want}: you read the answers "
                              f"{'as written' if reverse else 'reversed'}; with reverse=True the "
                              f"answer is written units first, so undo that with [::-1]")
            right_digits = sum(x == y for ans, (a, b) in zip(case, pairs)
                               for x, y in zip(ans, reference_line(a, b, reverse)[-3:]))
            digits = right_digits / (3 * len(pairs))
            if abs(got - digits) < 1e-9:
                raise Mistake(f"{label} you gave {got}, the fraction of right digits; an answer "
                              f"counts as right only when all three digits are")
            raise Mistake(f"{label} you gave {got}, expected {want}")
    return "only whole, right answers count; reversed answers are read back first."
