"""Lesson 11's exercise checks (notebooks/11_your_own_gpt.ipynb): the addition task.

Their tests: tests/test_checks_l11_your_own_gpt.py and tests/test_checks_l10_l11.py."""

from __future__ import annotations

import torch

from ..own_gpt import addition_line as reference_line
from ..own_gpt import score_answers
from ..sandbox import describe
from .framework import Mistake, NotAttempted, attempt, call, exercise

# Your own GPT (notebooks/src/11_your_own_gpt.py): the addition task.

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


def _lenient_score(answers, pairs, reverse) -> float:
    """Mistake: int() reads ' 52', '52\\n', '+52' and '5_2' as 52, which are not answers."""
    right = 0
    for ans, (a, b) in zip(answers, pairs):
        try:
            right += int(ans[::-1] if reverse else ans) == a + b
        except ValueError:
            pass
    return right / len(pairs)


def _unpadded_score(answers, pairs, reverse) -> float:
    """Mistake: the answer compared as text with str(a + b), which has no leading zeros."""
    return sum((ans[::-1] if reverse else ans) == str(a + b)
               for ans, (a, b) in zip(answers, pairs)) / len(pairs)


def _digit_score(answers, pairs, reverse) -> float:
    """Mistake: the fraction of right digits instead of right answers."""
    return sum(x == y for ans, (a, b) in zip(answers, pairs)
               for x, y in zip(ans, reference_line(a, b, reverse)[-3:])) / (3 * len(pairs))


def _accuracy_cases():
    """(answers, pairs, reverse): mixed answers, all right, all zero, and answers that int()
    reads as numbers though they are not three digits (spaces, signs, newlines, '_')."""
    pairs = [(7, 45), (12, 30), (99, 99), (50, 50), (1, 2), (30, 70), (8, 8), (40, 4)]
    cases = []
    for reverse in (True, False):
        right = [reference_line(a, b, reverse)[-3:] for a, b in pairs]
        answers = list(right)
        answers[1] = "x4" + answers[1][2]        # not a number: a model can write anything
        answers[3] = answers[3][::-1] if reverse else "010"   # digits in the wrong order
        answers[5] = answers[5][:2] + ("9" if answers[5][2] != "9" else "8")   # one digit off
        answers[6] = "610" if reverse else "016"        # 16 with a zero before it or not: right
        loose = [" 52", "42\n", "+98", "1_0", "  3", "100", "+16", "044"]   # as written
        if reverse:
            loose = [t[::-1] for t in loose]
        cases += [(answers, pairs, reverse), (right, pairs, reverse),
                  (["000"] * len(pairs), pairs, reverse), (loose, pairs, reverse)]
    return cases


_ACCURACY_MISTAKES = [
    (_lenient_score, "you read the answers with int(), which also accepts ' 52', '52\\n', "
                     "'+52' and '5_2'; a model that writes those has not written the answer "
                     "052. Count an answer as right only when it is exactly three digits "
                     "0-9 (answer.isdigit() and answer.isascii()) and their number is a + b"),
    (_unpadded_score, "you compared the answer, as text, with str(a + b), which has no "
                      "leading zeros: the model writes 52 as '052' (reversed '250'). Compare "
                      "with str(a + b).zfill(3), or compare numbers"),
    (lambda ans, p, r: _reference_score(ans, p, False),
     "you read the answers as written also when reverse=True; then the answer is written "
     "units first, so undo that with [::-1]"),
    (lambda ans, p, r: _reference_score(ans, p, True),
     "you reversed the answers also when reverse=False; reverse them only when reverse=True"),
    (lambda ans, p, r: _reference_score(ans, p, not r),
     "you read the answers as written when reverse=True, and reversed when reverse=False; "
     "with reverse=True the answer is written units first, so undo that with [::-1]"),
    (_digit_score, "you gave the fraction of right digits; an answer counts as right only "
                   "when all three digits are"),
]


def _reference_score(answers, pairs, reverse) -> float:
    return score_answers(answers, pairs, reverse)


@exercise
def check_addition_accuracy(accuracy) -> str:
    """accuracy(answers, pairs, reverse) -> fraction (0 to 1) of answers that are the right sum."""
    hint = ("read each answer back (undo the reversal with [::-1]), check that it is three "
            "digits, compare it with a + b, and divide the number right by len(pairs)")
    results = []
    for case, pairs, reverse in _accuracy_cases():   # every case first: a mistake shows in the pattern
        want = _reference_score(case, pairs, reverse)
        label = f"with reverse={reverse} and answers {case}"
        out = attempt(accuracy, list(case), list(pairs), reverse)
        if isinstance(out.error, NotImplementedError):
            raise NotAttempted
        if isinstance(out.error, ValueError) and any(not t.strip().lstrip("+").replace(
                "_", "").isdigit() for t in case):
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
        results.append((label, case, pairs, reverse, float(got), want))
    wrong = [r for r in results if not abs(r[4] - r[5]) < 1e-9]     # NaN is wrong too
    if not wrong:
        return "only whole, right answers count; reversed answers are read back first."
    label, case, pairs, reverse, got, want = wrong[0]
    for mistake, what in _ACCURACY_MISTAKES:
        if all(abs(g - mistake(c, p, r)) < 1e-9 for _, c, p, r, g, _ in results):
            raise Mistake(f"{label} you gave {got:g}, expected {want:g}: {what}")
    n_right = round(want * len(pairs))
    if got == n_right and n_right != want:
        raise Mistake(f"{label} you returned {got:g}, the number of right answers; divide "
                      f"by len(pairs) to get a fraction from 0 to 1")
    if abs(got - 100 * want) < 1e-9 and want:
        raise Mistake(f"{label} you returned {got:g}, a percentage; return the fraction "
                      f"(0 to 1)")
    loose = any(not t.isdigit() and t.strip().lstrip("+").replace("_", "").isdigit()
                for t in case)
    if loose and want < got <= _lenient_score(case, pairs, reverse) + 1e-9:
        raise Mistake(f"{label} you gave {got:g}, expected {want:g}: {_ACCURACY_MISTAKES[0][1]}")
    raise Mistake(f"{label} you gave {got:g}, expected {want:g}")
