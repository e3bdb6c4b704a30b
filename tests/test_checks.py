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


# ----------------------------------------------------------------------------- lesson 05

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from course_lib.checks import (  # noqa: E402
    check_head_forward,
    check_mha_parameter_count,
    check_multi_head,
)


def _head(x, Wk, Wq, Wv, scale=None, mask=True, dim=-1, swap=False, values=True):
    k, q, v = x @ Wk.T, x @ Wq.T, x @ Wv.T
    if swap:
        q, k = k, q
    wei = q @ k.transpose(-2, -1) * (Wk.shape[0] ** -0.5 if scale is None else scale(x, Wk))
    if mask:
        T = x.shape[1]
        wei = wei.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool)), float("-inf"))
    wei = F.softmax(wei, dim=dim)
    return wei @ v if values else wei


def test_head_forward_solution_passes():
    assert check_head_forward(_head).passed


def test_head_forward_stub_not_attempted():
    assert check_head_forward(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, k, q, v: _head(x, k, q, v, mask=False), "Forgot the causal mask?"),
    (lambda x, k, q, v: _head(x, k, q, v, scale=lambda x, W: 1.0), "the weights are not scaled"),
    (lambda x, k, q, v: _head(x, k, q, v, scale=lambda x, W: x.shape[-1] ** -0.5),
     "you scaled by 1/sqrt(n_embd)"),
    (lambda x, k, q, v: _head(x, k, q, v, scale=lambda x, W: W.shape[0] ** 0.5),
     "you multiplied by sqrt(head_size)"),
    (lambda x, k, q, v: _head(x, k, q, v, dim=-2), "softmax over the wrong dimension: each row"),
    (lambda x, k, q, v: _head(x, k, q, v, dim=0), "your output contains NaN"),
    (lambda x, k, q, v: _head(x, k, q, v, swap=True), "queries and keys are swapped"),
    (lambda x, k, q, v: _head(x, k, q, v, values=False), "those are the attention weights"),
    (lambda x, k, q, v: _head(x, k, q, v, values=False) @ x, "instead of by the values"),
    (lambda x, k, q, v: _head(x, k.T, q.T, v.T), "raised RuntimeError"),
    (lambda x, k, q, v: _head(x, k, q, v) * 2, "the values differ from the reference"),
])
def test_head_forward_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_head_forward(fn), fragment)


def test_head_forward_wrong_weight_layout_hint():
    r = check_head_forward(lambda x, k, q, v: _head(x, k.T, q.T, v.T))
    assert "k = x @ Wk.T" in r.message


def _multi(x, heads, proj):
    return proj(torch.cat([h(x) for h in heads], dim=-1))


def test_multi_head_solution_passes():
    assert check_multi_head(_multi).passed


def test_multi_head_stub_not_attempted():
    assert check_multi_head(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, hs, p: torch.cat([h(x) for h in hs], dim=-1), "forgot the projection"),
    (lambda x, hs, p: p(torch.cat([h(x) for h in reversed(hs)], dim=-1)), "reverse order"),
    (lambda x, hs, p: p(torch.cat([h(x) for h in hs], dim=1)),
     "concatenate the heads' outputs along the channels"),
    (lambda x, hs, p: p(sum(h(x) for h in hs)), "raised RuntimeError"),
    (lambda x, hs, p: p(torch.stack([h(x) for h in hs], dim=-1)), "raised RuntimeError"),
    (lambda x, hs, p: p(torch.cat([hs[0](x)] * len(hs), dim=-1)), "the values differ"),
    (lambda x, hs, p: torch.cat([h(x) for h in hs], dim=-1)[:, :, :4], "has shape (2, 5, 4)"),
])
def test_multi_head_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_multi_head(fn), fragment)


def _count(C, nh):
    return 3 * C * C + C * C + C


def test_mha_parameter_count_solution_passes():
    assert check_mha_parameter_count(_count).passed
    assert check_mha_parameter_count(lambda C, nh: torch.tensor(_count(C, nh))).passed


def test_mha_parameter_count_stub_not_attempted():
    assert check_mha_parameter_count(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda C, nh: 4 * C * C, "forgot the bias of proj"),
    (lambda C, nh: 3 * C * C, "you forgot proj"),
    (lambda C, nh: 4 * C * C + 4 * C, "key, query and value have no bias"),
    (lambda C, nh: nh * 3 * C * C + C * C + C, "map n_embd to head_size, not to n_embd"),
    (lambda C, nh: 3 * (C // nh) ** 2 * nh + C * C + C, "each head reads all n_embd input"),
    (lambda C, nh: 42, "you counted 42"),
    (lambda C, nh: 1.5, "return a whole number"),
])
def test_mha_parameter_count_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_mha_parameter_count(fn), fragment)
