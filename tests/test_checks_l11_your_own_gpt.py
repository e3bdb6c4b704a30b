"""Lesson 11's exercise checks (course_lib/lessons/checks/l11_your_own_gpt.py): each
solution passes, each stub is "not attempted", and each typical mistake is named."""

import pytest

from course_lib.lessons.checks import check_addition_accuracy, check_addition_line

from checks_support import assert_fails, stub


# Typical mistakes of addition_line: operands not padded; the answer not padded; reversed
# the wrong way round; the whole line reversed; reversed before padding; a newline added.
# Of the accuracy: the count instead of the fraction; a percentage; reversed answers read as
# written; the fraction of right digits; int() on an answer that is not a number.

def _line(a, b, reverse, pad_ops=True, pad_answer=True, flip=False, whole=False,
          reverse_first=False, newline=False):
    ans = str(a + b)
    if reverse_first and reverse:
        ans = ans[::-1].zfill(3)
    else:
        ans = ans.zfill(3) if pad_answer else ans
        if reverse != flip:
            ans = ans[::-1]
    head = f"{a:02d}+{b:02d}=" if pad_ops else f"{a}+{b}="
    line = head + ans
    return (line[::-1] if whole else line) + ("\n" if newline else "")


def test_addition_line():
    from course_lib.lessons.checks import check_addition_line
    from course_lib.lessons.own_gpt import addition_line
    assert check_addition_line(addition_line).passed
    assert check_addition_line(lambda a, b, r: _line(a, b, r)).passed
    assert check_addition_line(stub).status == "not_attempted"
    assert addition_line(7, 45, True) == "07+45=250" and addition_line(7, 45) == "07+45=052"


@pytest.mark.parametrize("kw,fragment", [
    (dict(pad_ops=False), "pad both numbers to two digits"),
    (dict(pad_answer=False), "pad the answer to three digits"),
    (dict(flip=True), "reversed the wrong way round"),
    (dict(whole=True), "reversed the whole line"),
    (dict(reverse_first=True), "reversed the sum before padding it"),
    (dict(newline=True), "leave out the newline"),
])
def test_addition_line_rejects_typical_mistakes(kw, fragment):
    from course_lib.lessons.checks import check_addition_line
    assert_fails(check_addition_line(lambda a, b, r: _line(a, b, r, **kw)), fragment)


def _accuracy(answers, pairs, reverse, read=None, per="answer", scale="fraction", safe=True):
    right = digits = 0
    for ans, (a, b) in zip(answers, pairs):
        true = str(a + b).zfill(3)
        written = true[::-1] if reverse else true
        digits += sum(x == y for x, y in zip(ans, written))
        text = ans[::-1] if (reverse if read is None else read) else ans
        if not safe or text.isdigit():
            right += int(text) == a + b
    value = digits / (3 * len(pairs)) if per == "digit" else right / len(pairs)
    return {"fraction": value, "count": right, "percent": 100 * value}[scale]


def test_addition_accuracy():
    from course_lib.lessons.checks import check_addition_accuracy
    from course_lib.lessons.own_gpt import score_answers
    assert check_addition_accuracy(score_answers).passed
    assert check_addition_accuracy(_accuracy).passed
    assert check_addition_accuracy(stub).status == "not_attempted"


@pytest.mark.parametrize("kw,fragment", [
    (dict(scale="count"), "the number of right answers; divide"),
    (dict(scale="percent"), "a percentage"),
    (dict(read=False), "you read the answers as written"),
    (dict(per="digit"), "the fraction of right digits"),
    (dict(safe=False), "is not a number, and a model can write one"),
])
def test_addition_accuracy_rejects_typical_mistakes(kw, fragment):
    from course_lib.lessons.checks import check_addition_accuracy
    assert_fails(check_addition_accuracy(lambda ans, p, r: _accuracy(ans, p, r, **kw)), fragment)
