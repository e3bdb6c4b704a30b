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


# ----------------------------------------------------------------------------- lesson 03

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from course_lib.checks import check_cross_entropy, check_stable_softmax, check_temperature_probs  # noqa: E402,E501


def good_softmax(x):
    e = (x - x.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)


def test_stable_softmax_solution_passes():
    assert check_stable_softmax(good_softmax).passed
    assert check_stable_softmax(lambda x: torch.softmax(x, dim=-1)).passed
    assert check_stable_softmax(stub).status == "not_attempted"


def _inplace_softmax(x):
    x -= x.max(dim=-1, keepdim=True).values
    return x.exp() / x.exp().sum(dim=-1, keepdim=True)


@pytest.mark.parametrize("softmax,fragment", [
    (lambda x: x.exp() / x.exp().sum(dim=-1, keepdim=True), "exp(1000) overflows float32"),
    (lambda x: (x - x.max()).exp() / (x - x.max()).exp().sum(dim=-1, keepdim=True),
     "you subtracted one max for the whole tensor"),
    (lambda x: torch.softmax(x, dim=0), "you normalised over the wrong dimension"),
    (lambda x: torch.log_softmax(x, dim=-1), "you returned log-probabilities"),
    (lambda x: (x - x.max(dim=-1, keepdim=True).values).exp(), "the values are not normalised"),
    (lambda x: good_softmax(x)[..., :-1], "has shape"),
    (lambda x: good_softmax(x).tolist(), "should be a torch.Tensor, got list"),
    (lambda x: good_softmax(x ** 2), "the values differ from softmax"),
    (_inplace_softmax, "changed its input in place"),
])
def test_stable_softmax_rejects_typical_mistakes(softmax, fragment):
    assert_fails(check_stable_softmax(softmax), fragment)


def good_temperature(logits, temperature):
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return torch.softmax(logits / temperature, dim=-1)


def test_temperature_probs_solution_passes():
    assert check_temperature_probs(good_temperature).passed
    from course_lib import next_token_probs
    assert check_temperature_probs(next_token_probs).passed
    assert check_temperature_probs(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda z, t: torch.softmax(z * t, dim=-1) if t > 0 else good_temperature(z, t),
     "you multiplied the logits by the temperature"),
    (lambda z, t: torch.softmax(z, dim=-1) / t if t > 0 else good_temperature(z, t),
     "you divided the probabilities by T"),
    (lambda z, t: torch.softmax(z, dim=-1) if t > 0 else good_temperature(z, t),
     "the temperature has no effect"),
    (lambda z, t: torch.softmax(z / t, dim=0) if t > 0 else good_temperature(z, t),
     "softmax over the wrong dimension"),
    (lambda z, t: torch.softmax(z / t, dim=-1), "temperature 0 silently gave nan"),
    (lambda z, t: torch.softmax(z * (1 / t), dim=-1), "temperature 0 raised ZeroDivisionError"),
    (lambda z, t: torch.softmax(z / max(t, 1e-3), dim=-1), "temperature 0 was accepted"),
    (lambda z, t: torch.softmax(z / t, dim=-1) ** 2 if t > 0 else good_temperature(z, t),
     "the rows do not sum to 1"),
])
def test_temperature_probs_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_temperature_probs(fn), fragment)


def good_cross_entropy(logits, targets):
    logp = torch.log_softmax(logits, dim=-1)
    return -logp[torch.arange(len(targets)), targets].mean()


def test_cross_entropy_solution_passes():
    assert check_cross_entropy(good_cross_entropy).passed
    assert check_cross_entropy(F.cross_entropy).passed
    assert check_cross_entropy(stub).status == "not_attempted"


def _rows(t):
    return torch.arange(len(t))


@pytest.mark.parametrize("fn,fragment", [
    (lambda z, t: torch.log_softmax(z, -1)[_rows(t), t].mean(), "the loss is negative"),
    (lambda z, t: -torch.log_softmax(z, -1)[_rows(t), t], "the mean over the 6 examples"),
    (lambda z, t: -torch.log_softmax(z, -1)[_rows(t), t].sum(), "you summed over the examples"),
    (lambda z, t: -torch.softmax(z, -1)[_rows(t), t].mean(), "you forgot the log"),
    (lambda z, t: -torch.log_softmax(z, -1)[_rows(t), z.argmax(-1)].mean(),
     "the probability of the most likely class"),
    (lambda z, t: F.cross_entropy(torch.softmax(z, -1), t), "softmax was applied twice"),
    (lambda z, t: -torch.log(torch.softmax(z, -1))[_rows(t), t].mean(),
     "softmax rounds p = e^-200 to 0"),
    (lambda z, t: -torch.log_softmax(z, 0)[_rows(t), t].mean(), "expected"),
])
def test_cross_entropy_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_cross_entropy(fn), fragment)


# ----------------------------------------------------------------------------- lesson 04

from course_lib.checks import check_causal_attention_weights, check_masked_average_weights  # noqa: E402,E501


def good_average_weights(T):
    w = torch.tril(torch.ones(T, T))
    return w / w.sum(dim=1, keepdim=True)


def test_masked_average_weights_solution_passes():
    assert check_masked_average_weights(good_average_weights).passed
    softmax_way = lambda T: torch.softmax(  # noqa: E731
        torch.zeros(T, T).masked_fill(torch.tril(torch.ones(T, T)) == 0, float("-inf")), dim=-1)
    assert check_masked_average_weights(softmax_way).passed
    assert check_masked_average_weights(stub).status == "not_attempted"


def _no_diagonal(T):
    w = torch.tril(torch.ones(T, T), diagonal=-1)
    return w / w.sum(dim=1, keepdim=True)


def _no_diagonal_safe(T):
    w = torch.tril(torch.ones(T, T), diagonal=-1)
    return w / w.sum(dim=1, keepdim=True).clamp_min(1)


@pytest.mark.parametrize("fn,fragment", [
    (lambda T: torch.ones(T, T) / T, "weights above the diagonal are not 0"),
    (lambda T: torch.triu(torch.ones(T, T)) / torch.triu(torch.ones(T, T)).sum(1, keepdim=True),
     "takes from a later position"),
    (_no_diagonal, "contains nan: row 0 has nothing to average"),
    (_no_diagonal_safe, "the diagonal is 0"),
    (lambda T: torch.tril(torch.ones(T, T)) / torch.tril(torch.ones(T, T)).sum(0, keepdim=True),
     "you normalised over the wrong dimension"),
    (lambda T: torch.tril(torch.ones(T, T)), "the rows should sum to 1"),
    (lambda T: torch.tril(torch.ones(T, T)).long(), "has dtype torch.int64"),
    (lambda T: good_average_weights(T + 1), "has shape"),
    (lambda T: torch.eye(T), "row t should hold 1/(t+1)"),
])
def test_masked_average_weights_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_masked_average_weights(fn), fragment)


def _attention(q, k, scale=None, mask=True, diagonal=0, fill=float("-inf"), dim=-1,
               mask_after=False):
    T, hs = q.shape[-2], q.shape[-1]
    scale = hs ** -0.5 if scale is None else scale
    scores = q @ k.transpose(-2, -1) * scale
    keep = torch.tril(torch.ones(T, T), diagonal=diagonal) == 1
    if mask_after:
        return torch.softmax(scores, dim=dim).masked_fill(~keep, 0.0)
    if mask:
        scores = scores.masked_fill(~keep, fill)
    return torch.softmax(scores, dim=dim)


def test_causal_attention_weights_solution_passes():
    assert check_causal_attention_weights(_attention).passed
    assert check_causal_attention_weights(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda q, k: _attention(q, k, mask=False), "you forgot the causal mask"),
    (lambda q, k: _attention(q, k, fill=0.0), "you filled the masked scores with 0"),
    (lambda q, k: _attention(q, k, diagonal=-1), "Did your mask exclude the diagonal?"),
    (lambda q, k: _attention(q, k, fill=-1e9, diagonal=-1), "the diagonal is 0"),
    (lambda q, k: _attention(q, k, scale=1.0), "you forgot the scale"),
    (lambda q, k: _attention(q, k, scale=1.0 / q.shape[-1]), "you divided by head_size"),
    (lambda q, k: _attention(q, k, scale=q.shape[-1] ** 0.5), "you multiplied by sqrt(head_size)"),
    (lambda q, k: _attention(q, k, dim=-2), "softmax over the wrong dimension"),
    (lambda q, k: _attention(q, k, mask_after=True), "apply the mask before the softmax"),
    (lambda q, k: _attention(k, q), "you computed k @ q^T"),
    (lambda q, k: _attention(q, k)[0], "has shape"),
])
def test_causal_attention_weights_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_causal_attention_weights(fn), fragment)


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
