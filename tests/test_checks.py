"""Every exercise check: the solution passes, the stub is "not attempted", and typical wrong
answers fail with a message that names the mistake. Lessons add their checks below."""

import pytest

from course_lib import load_corpus
from course_lib.checks import CheckResult, check_context_target_pairs, check_encode_decode


@pytest.fixture(scope="module")
def tok():
    return load_corpus().tokenizer


def stub(*args):
    raise NotImplementedError


def assert_fails(result: CheckResult, fragment: str):
    assert result.status == "failed", result
    assert fragment in result.message, result.message


# ----------------------------------------------------------------------------- framework

def test_untouched_stub_is_not_attempted(tok):
    r = check_encode_decode(stub, stub, tok)
    assert r.status == "not_attempted" and not r
    assert "not attempted yet: fill in the TODO in `stub`" in repr(r)


def test_function_returning_none_is_not_attempted():
    assert check_context_target_pairs(lambda chunk: None).status == "not_attempted"


def test_exception_in_learner_code_is_reported_not_raised(tok):
    def broken(s):
        return [stoi[c] for c in s]  # noqa: F821  (a typical NameError)
    r = check_encode_decode(broken, stub, tok)
    assert_fails(r, "your function raised NameError: name 'stoi' is not defined")


def test_passing_the_result_instead_of_the_function(tok):
    r = check_encode_decode([1, 2, 3], stub, tok)
    assert_fails(r, "pass your function itself, not its result")


# ----------------------------------------------------------------------------- lesson 00

def test_encode_decode_solution_passes(tok):
    stoi = {c: i for i, c in enumerate(tok.chars)}
    itos = dict(enumerate(tok.chars))
    r = check_encode_decode(lambda s: [stoi[c] for c in s],
                            lambda ids: "".join(itos[i] for i in ids), tok)
    assert r.passed and repr(r).startswith("✅")


@pytest.mark.parametrize("encode,decode,fragment", [
    (lambda s: [ord(c) for c in s], None, "expected"),
    ("off_by_one", None, "every ID is one too large: enumerate() counts from 0"),
    (lambda s: s, None, "encode returned a string"),
    (lambda s: [0] * (len(s) - 1), None, "gave 4 IDs; one per character is 5"),
    (None, lambda ids: ["x" for _ in ids], "decode returned a list; join the characters"),
    (None, lambda ids: "".join("a" for _ in ids), "expected 'hello'"),
])
def test_encode_decode_rejects_typical_mistakes(tok, encode, decode, fragment):
    stoi = {c: i for i, c in enumerate(tok.chars)}
    itos = dict(enumerate(tok.chars))
    good_encode = lambda s: [stoi[c] for c in s]  # noqa: E731
    good_decode = lambda ids: "".join(itos[i] for i in ids)  # noqa: E731
    if encode == "off_by_one":
        encode = lambda s: [stoi[c] + 1 for c in s]  # noqa: E731
    r = check_encode_decode(encode or good_encode, decode or good_decode, tok)
    assert_fails(r, fragment)


def test_context_target_pairs_solution_passes():
    r = check_context_target_pairs(lambda ch: [(ch[:t + 1], ch[t + 1]) for t in range(len(ch) - 1)])
    assert r.passed


@pytest.mark.parametrize("make_pairs,fragment", [
    (lambda ch: [(ch[:t + 1], ch[t + 1]) for t in range(len(ch) - 2)], "you returned 7 (off by one?)"),
    (lambda ch: [(ch[:t + 1], ch[t + 1]) for t in range(len(ch))], "raised IndexError"),
    (lambda ch: [(ch[:t], ch[t]) for t in range(len(ch) - 1)], "has an empty or short context"),
    (lambda ch: [(ch[:t + 1], ch[t]) for t in range(len(ch) - 1)],
     "the target is the last token of the context"),
    (lambda ch: [ch[t] for t in range(len(ch) - 1)], "each example should be a pair"),
    (lambda ch: [(ch[t:t + 1], ch[t + 1]) for t in range(len(ch) - 1)], "context [11] should be"),
])
def test_context_target_pairs_rejects_typical_mistakes(make_pairs, fragment):
    assert_fails(check_context_target_pairs(make_pairs), fragment)


# ----------------------------------------------------------------------------- lesson 09

def test_tokens_per_step():
    from course_lib.checks import check_tokens_per_step
    assert check_tokens_per_step(lambda B, T, n: B * T * n).passed
    assert check_tokens_per_step(stub).status == "not_attempted"
    assert_fails(check_tokens_per_step(lambda B, T, n: B * T), "multiply by nproc")
    assert_fails(check_tokens_per_step(lambda B, T, n: B * n), "each sequence holds")
    assert_fails(check_tokens_per_step(lambda B, T, n: B + T + n), "expected 2048, got 82")


def test_steps_per_epoch():
    import math
    from course_lib.checks import check_steps_per_epoch
    assert check_steps_per_epoch(lambda N, B, T, n: math.ceil(N / (B * T * n))).passed
    assert_fails(check_steps_per_epoch(lambda N, B, T, n: N // (B * T * n)), "round up")
    assert_fails(check_steps_per_epoch(lambda N, B, T, n: N / (B * T * n)), "returned a float")
    assert_fails(check_steps_per_epoch(lambda N, B, T, n: math.ceil(N / (B * T))),
                 "divide by nproc too")
