"""Lesson 09's exercise checks (course_lib/lessons/checks/l09_scaling_up.py): each
solution passes, each stub is "not attempted", and each typical mistake is named."""

import math

import pytest

from course_lib.lessons.checks import (check_stable_softmax, check_steps_per_epoch,
                                       check_tokens_per_step)

from checks_support import assert_fails, stub


# Typical mistakes of tokens_per_step: nproc, block_size or batch_size left out; a float; a
# sum instead of a product. Of steps_per_epoch: rounding down; round() to the nearest;
# rounding down plus 1 (one step too many when the steps fill exactly); a float; nproc or
# block_size left out.

def test_tokens_per_step():
    from course_lib.lessons.checks import check_tokens_per_step
    assert check_tokens_per_step(lambda B, T, n: B * T * n).passed
    assert check_tokens_per_step(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda B, T, n: B * T, "multiply by nproc"),
    (lambda B, T, n: B * n, "each sequence holds"),
    (lambda B, T, n: T * n, "you left out batch_size"),
    (lambda B, T, n: B * T * n / 1, "you returned a float (2048.0)"),
    (lambda B, T, n: B + T + n, "expected 2048, got 82"),
])
def test_tokens_per_step_rejects_typical_mistakes(fn, fragment):
    from course_lib.lessons.checks import check_tokens_per_step
    assert_fails(check_tokens_per_step(fn), fragment)


def test_steps_per_epoch():
    import math
    from course_lib.lessons.checks import check_steps_per_epoch
    assert check_steps_per_epoch(lambda N, B, T, n: math.ceil(N / (B * T * n))).passed
    assert check_steps_per_epoch(lambda N, B, T, n: -(-N // (B * T * n))).passed
    assert check_steps_per_epoch(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda N, B, T, n: N // (B * T * n), "rounding down leaves the last"),
    (lambda N, B, T, n: round(N / (B * T * n)), "round() goes to the nearest whole number"),
    (lambda N, B, T, n: N // (B * T * n) + 1, "one step too many"),
    (lambda N, B, T, n: N / (B * T * n), "returned a float"),
    (lambda N, B, T, n: math.ceil(N / (B * T)), "divide by nproc too"),
    (lambda N, B, T, n: math.ceil(N / (B * n)), "each sequence holds block_size"),
])
def test_steps_per_epoch_rejects_typical_mistakes(fn, fragment):
    from course_lib.lessons.checks import check_steps_per_epoch
    assert_fails(check_steps_per_epoch(fn), fragment)


def test_every_verdict_is_logged_for_the_grader(tmp_path, monkeypatch):
    """With COURSE_CHECK_LOG set, a check appends its verdict as one JSON line."""
    import json

    from course_lib.lessons.checks import CHECK_LOG_ENV, check_stable_softmax
    log = tmp_path / "verdicts.jsonl"
    monkeypatch.setenv(CHECK_LOG_ENV, str(log))

    def stub(x):
        raise NotImplementedError

    check_stable_softmax(stub)
    check_stable_softmax(lambda x: x)
    check_stable_softmax(3)
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in rows] == ["not_attempted", "failed", "failed"]
    assert {r["name"] for r in rows} == {"check_stable_softmax"}
    # the grader refuses credit for the course's own solution_ functions: it needs the name
    assert [r["function"] for r in rows] == ["stub", "<lambda>", ""]
