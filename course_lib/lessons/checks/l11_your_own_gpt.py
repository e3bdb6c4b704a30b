"""Lesson 11's exercise checks (notebooks/11_your_own_gpt.ipynb): the addition task.

Their tests: tests/test_checks_l11_your_own_gpt.py and tests/test_checks_l10_l11.py."""

from __future__ import annotations

import torch

from ..own_gpt import addition_line as reference_line
from ..own_gpt import score_answers
from ..sandbox import describe
from ...i18n import N_, _
from .framework import Mistake, NotAttempted, attempt, call, exercise

# Your own GPT (notebooks/src/11_your_own_gpt.py): the addition task.

_ADDITION_CASES = [(7, 45), (0, 0), (99, 99), (50, 50), (12, 3), (91, 9), (3, 4)]


@exercise
def check_addition_line(addition_line) -> str:
    """addition_line(a, b, reverse) -> 'AA+BB=CCC': zero-padded, answer reversed if asked."""
    hint = _("f'{a:02d}+{b:02d}=' and then the sum as str(a + b).zfill(3), reversed with [::-1]")
    for reverse in (True, False):
        for a, b in _ADDITION_CASES:
            got = call(addition_line, a, b, reverse, hint=hint)
            want = reference_line(a, b, reverse)
            if not isinstance(got, str):
                raise Mistake(_("addition_line({a}, {b}, {reverse}) returned {got}; return "
                                "the line as a string, such as {want!r}").format(
                    a=a, b=b, reverse=reverse, got=describe(got), want=want))
            if got == want:
                continue
            label = _("addition_line({a}, {b}, reverse={reverse}) gave {got!r}, expected "
                      "{want!r}").format(a=a, b=b, reverse=reverse, got=got, want=want)
            answer = str(a + b)
            if got == want + "\n":
                raise Mistake(_("{label}: leave out the newline; the text joins the lines "
                                "with '\\n' itself").format(label=label))
            if got.split("=")[0] in (f"{a}+{b}", f"{a}+{b:02d}", f"{a:02d}+{b}") \
                    and got.split("=")[0] != want.split("=")[0]:
                raise Mistake(_("{label}: pad both numbers to two digits ({a:02d}, not {a}), "
                                "so that every digit has a fixed place in the line").format(
                    label=label, a=a))
            if got == reference_line(a, b, not reverse):
                raise Mistake(_("{label}: the answer is reversed the wrong way round; with "
                                "reverse=True write it least significant digit first, with "
                                "reverse=False as usual").format(label=label))
            if got == want[::-1]:
                raise Mistake(_("{label}: you reversed the whole line; reverse only the "
                                "answer").format(label=label))
            head = want.split("=")[0] + "="
            if reverse and got == head + answer[::-1].zfill(3):
                raise Mistake(_("{label}: you reversed the sum before padding it; pad to "
                                "three digits first (str(a + b).zfill(3)), then reverse, so the "
                                "zeros stand for the hundreds").format(label=label))
            if got in (head + answer, head + answer[::-1]):
                raise Mistake(_("{label}: pad the answer to three digits "
                                "(str(a + b).zfill(3)): every line must have the same "
                                "length").format(label=label))
            raise Mistake(label)
    return _("two-digit operands, a three-digit answer, reversed only when reverse=True.")


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
    (_lenient_score, N_("you read the answers with int(), which also accepts ' 52', '52\\n', "
                        "'+52' and '5_2'; a model that writes those has not written the answer "
                        "052. Count an answer as right only when it is exactly three digits "
                        "0-9 (answer.isdigit() and answer.isascii()) and their number is a + b")),
    (_unpadded_score, N_("you compared the answer, as text, with str(a + b), which has no "
                         "leading zeros: the model writes 52 as '052' (reversed '250'). Compare "
                         "with str(a + b).zfill(3), or compare numbers")),
    (lambda ans, p, r: _reference_score(ans, p, False),
     N_("you read the answers as written also when reverse=True; then the answer is written "
        "units first, so undo that with [::-1]")),
    (lambda ans, p, r: _reference_score(ans, p, True),
     N_("you reversed the answers also when reverse=False; reverse them only when "
        "reverse=True")),
    (lambda ans, p, r: _reference_score(ans, p, not r),
     N_("you read the answers as written when reverse=True, and reversed when reverse=False; "
        "with reverse=True the answer is written units first, so undo that with [::-1]")),
    (_digit_score, N_("you gave the fraction of right digits; an answer counts as right only "
                      "when all three digits are")),
]


def _reference_score(answers, pairs, reverse) -> float:
    return score_answers(answers, pairs, reverse)


@exercise
def check_addition_accuracy(accuracy) -> str:
    """accuracy(answers, pairs, reverse) -> fraction (0 to 1) of answers that are the right sum."""
    hint = _("read each answer back (undo the reversal with [::-1]), check that it is three "
             "digits, compare it with a + b, and divide the number right by len(pairs)")
    results = []
    for case, pairs, reverse in _accuracy_cases():   # every case first: a mistake shows in the pattern
        want = _reference_score(case, pairs, reverse)
        label = _("with reverse={reverse} and answers {case}").format(reverse=reverse, case=case)
        out = attempt(accuracy, list(case), list(pairs), reverse)
        if isinstance(out.error, NotImplementedError):
            raise NotAttempted
        if isinstance(out.error, ValueError) and any(not t.strip().lstrip("+").replace(
                "_", "").isdigit() for t in case):
            raise Mistake(_("{label} your function raised ValueError ({error}): an answer "
                            "such as 'x43' is not a number, and a model can write one. Count "
                            "it as wrong instead of calling int() on it unchecked "
                            "(answer.isdigit() says whether it is a number)").format(
                label=label, error=out.error))
        got = call(accuracy, list(case), list(pairs), reverse, hint=hint)
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            raise Mistake(_("{label} you returned {got}; return one number, the fraction "
                            "of right answers").format(label=label, got=describe(got)))
        results.append((label, case, pairs, reverse, float(got), want))
    wrong = [r for r in results if not abs(r[4] - r[5]) < 1e-9]     # NaN is wrong too
    if not wrong:
        return _("only whole, right answers count; reversed answers are read back first.")
    label, case, pairs, reverse, got, want = wrong[0]
    for mistake, what in _ACCURACY_MISTAKES:
        if all(abs(g - mistake(c, p, r)) < 1e-9 for _label, c, p, r, g, _want in results):
            raise Mistake(_("{label} you gave {got:g}, expected {want:g}: {what}").format(
                label=label, got=got, want=want, what=_(what)))
    n_right = round(want * len(pairs))
    if got == n_right and n_right != want:
        raise Mistake(_("{label} you returned {got:g}, the number of right answers; divide "
                        "by len(pairs) to get a fraction from 0 to 1").format(label=label, got=got))
    if abs(got - 100 * want) < 1e-9 and want:
        raise Mistake(_("{label} you returned {got:g}, a percentage; return the fraction "
                        "(0 to 1)").format(label=label, got=got))
    loose = any(not t.isdigit() and t.strip().lstrip("+").replace("_", "").isdigit()
                for t in case)
    if loose and want < got <= _lenient_score(case, pairs, reverse) + 1e-9:
        raise Mistake(_("{label} you gave {got:g}, expected {want:g}: {what}").format(
            label=label, got=got, want=want, what=_(_ACCURACY_MISTAKES[0][1])))
    raise Mistake(_("{label} you gave {got:g}, expected {want:g}").format(
        label=label, got=got, want=want))
