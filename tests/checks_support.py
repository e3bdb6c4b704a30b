"""What the tests of the exercise checks share (tests/test_checks_*.py, tests/test_i18n_*.py):
a stub, a verdict assertion, a check's verdicts in both languages and the solution of lesson
00's context-target exercise. Their fixtures (`tok`, `short_limits`) are in conftest.py."""

from course_lib import set_language
from course_lib.lessons.checks import CheckResult


def stub(*args):
    raise NotImplementedError


def assert_fails(result: CheckResult, fragment: str):
    assert result.status == "failed", result
    assert fragment in result.message, result.message


def in_both(check, fn) -> tuple[CheckResult, CheckResult]:
    """The check's verdict on `fn` in Italian, then in English."""
    set_language("it")
    italian = check(fn)
    set_language("en")
    return italian, check(fn)


def good_pairs(ch):
    return [(ch[:t + 1], ch[t + 1]) for t in range(len(ch) - 1)]
