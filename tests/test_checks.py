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


# ----------------------------------------------------------------------------- lesson 01

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from course_lib.checks import (check_bigram_counts, check_cosine_similarity,  # noqa: E402
                               check_counting_loss, check_flatten_for_cross_entropy,
                               check_most_similar, check_one_hot_embed)


def test_one_hot_embed_solution_passes_and_stub_is_not_attempted():
    r = check_one_hot_embed(lambda ids, w: F.one_hot(ids, w.shape[0]).float() @ w)
    assert r.passed, r
    assert check_one_hot_embed(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda ids, w: F.one_hot(ids).float() @ w, "give num_classes=weight.shape[0]"),
    (lambda ids, w: F.one_hot(ids, w.shape[0]) @ w, "convert with .float()"),
    (lambda ids, w: w.T @ F.one_hot(ids, w.shape[0]).float().T, "the transpose of (T, D)"),
    (lambda ids, w: F.one_hot(ids, w.shape[0]).float(), "you returned the one-hot matrix itself"),
    (lambda ids, w: (F.one_hot(ids, w.shape[0]).float() @ w).sum(0), "should have shape (4, 3)"),
    (lambda ids, w: F.one_hot((ids + 1) % w.shape[0], w.shape[0]).float() @ w,
     "values are not the rows of weight"),
])
def test_one_hot_embed_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_one_hot_embed(fn), fragment)


def test_cosine_similarity_solution_passes():
    assert check_cosine_similarity(lambda a, b: (a @ b) / (a.norm() * b.norm())).passed
    assert check_cosine_similarity(lambda a, b: F.cosine_similarity(a, b, dim=0).item()).passed
    assert check_cosine_similarity(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda a, b: a @ b, "you returned the dot product"),
    (lambda a, b: (a @ b) / ((a ** 2).sum() * (b ** 2).sum()), "divided by the squared lengths"),
    (lambda a, b: (a @ b) / a.norm(), "you divided by one length only"),
    (lambda a, b: 1 - (a @ b) / (a.norm() * b.norm()), "the cosine distance"),
    (lambda a, b: a * b / (a.norm() * b.norm()), "sum the products"),
    (lambda a, b: (a - b).norm(), "expected 0.7333"),
])
def test_cosine_similarity_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_cosine_similarity(fn), fragment)


def _cos_rows(q, vs):
    return (vs @ q) / (vs.norm(dim=1) * q.norm())


def test_most_similar_solution_passes():
    assert check_most_similar(lambda q, vs, k: torch.topk(_cos_rows(q, vs), k).indices).passed
    assert check_most_similar(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda q, vs, k: torch.topk(vs @ q, k).indices, "you ranked by the dot product"),
    (lambda q, vs, k: torch.argsort(_cos_rows(q, vs))[:k], "least similar rows first"),
    (lambda q, vs, k: torch.topk(_cos_rows(q, vs), k).values, "not their similarities"),
    (lambda q, vs, k: torch.topk(_cos_rows(q, vs), k + 1).indices, "asked for k=3 indices, got 4"),
    (lambda q, vs, k: torch.topk(_cos_rows(q, vs), k).indices.roll(1), "most_similar gave [0, 1, 4], expected [1, 4, 0]"),
])
def test_most_similar_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_most_similar(fn), fragment)


# ----------------------------------------------------------------------------- lesson 02

def _counts(data, V):
    out = torch.zeros(V, V, dtype=torch.long)
    for i, j in zip(data[:-1].tolist(), data[1:].tolist()):
        out[i, j] += 1
    return out


def test_bigram_counts_solution_passes():
    assert check_bigram_counts(_counts).passed
    from course_lib.bigram import bigram_counts
    assert check_bigram_counts(bigram_counts).passed
    assert check_bigram_counts(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda d, V: _counts(d, V).T, "your matrix is transposed"),
    (lambda d, V: _counts(d[:-1], V), "your counts add up to 4, but a text of 6 tokens holds 5"),
    (lambda d, V: _counts(d, V).float() / _counts(d, V).sum(1, keepdim=True).clamp(min=1),
     "those are probabilities"),
    (lambda d, V: _counts(d, int(d.max()) + 1), "the count matrix for vocab_size=4 has shape (3, 3)"),
    (lambda d, V: torch.diag(torch.bincount(d[:-1], minlength=V)),
     "the counts differ from the expected ones"),
])
def test_bigram_counts_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_bigram_counts(fn), fragment)


def test_counting_loss_solution_passes():
    assert check_counting_loss(lambda p, d: -p[d[:-1], d[1:]].log().mean()).passed
    from course_lib.bigram import counting_model_loss
    assert check_counting_loss(counting_model_loss).passed
    assert check_counting_loss(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda p, d: p[d[:-1], d[1:]].log().mean(), "your loss is negative"),
    (lambda p, d: -p[d[:-1], d[1:]].log().sum(), "take the mean"),
    (lambda p, d: -p[d[1:], d[:-1]].log().mean(), "probs[next, current]"),
    (lambda p, d: -p[d[:-1], d[1:]].log10().mean(), "log base 10"),
    (lambda p, d: -p[d[:-1], d[1:]].log2().mean(), "log base 2"),
    (lambda p, d: -p[d[:-1], d[1:]].mean().log(), "expected"),
    (lambda p, d: -p[d[:-1], d[1:]].log(), "the loss is one number"),
])
def test_counting_loss_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_counting_loss(fn), fragment)


def test_flatten_for_cross_entropy_solution_passes():
    def flatten(logits, targets):
        B, T, C = logits.shape
        return logits.view(B * T, C), targets.view(B * T)
    assert check_flatten_for_cross_entropy(flatten).passed
    assert check_flatten_for_cross_entropy(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda lg, t: (lg.reshape(-1, lg.shape[-1]), t), "the targets have shape (2, 3), expected (B*T,)"),
    (lambda lg, t: (lg.reshape(lg.shape[-1], -1), t.reshape(-1)), "the logits have shape (5, 6)"),
    (lambda lg, t: (lg.transpose(0, 1).reshape(-1, lg.shape[-1]), t.reshape(-1)),
     "rows of logits and targets no longer belong to the same position"),
    (lambda lg, t: (lg.reshape(-1, lg.shape[-1]), t.T.reshape(-1)), "without transposing"),
    (lambda lg, t: lg.reshape(-1, lg.shape[-1]), "return two things"),
])
def test_flatten_for_cross_entropy_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_flatten_for_cross_entropy(fn), fragment)


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
