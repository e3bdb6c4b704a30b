"""What the tests of the exercise checks share (tests/test_checks_*.py): a stub, a verdict
assertion and the solution of lesson 00's context-target exercise. Their fixtures (`tok`,
`short_limits`) are in conftest.py."""

from course_lib.lessons.checks import CheckResult


def stub(*args):
    raise NotImplementedError


def assert_fails(result: CheckResult, fragment: str):
    assert result.status == "failed", result
    assert fragment in result.message, result.message


def good_pairs(ch):
    return [(ch[:t + 1], ch[t + 1]) for t in range(len(ch) - 1)]
