"""Every exercise check: the solution passes, the stub is "not attempted", and typical wrong
answers fail with a message that names the mistake. Lessons add their checks below."""

import pytest

from course_lib import load_corpus
from course_lib.lessons.checks import CheckResult, check_context_target_pairs, check_encode_decode


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

from course_lib.lessons.checks import (check_bigram_counts, check_cosine_similarity,  # noqa: E402
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
    from course_lib.lessons.bigram import bigram_counts
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
    from course_lib.lessons.bigram import counting_model_loss
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


# ----------------------------------------------------------------------------- lesson 03

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from course_lib.lessons.checks import check_cross_entropy, check_stable_softmax, check_temperature_probs  # noqa: E402,E501


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

from course_lib.lessons.checks import check_causal_attention_weights, check_masked_average_weights  # noqa: E402,E501


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


# ----------------------------------------------------------------------------- lesson 05

from course_lib.lessons.checks import (  # noqa: E402
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


# ----------------------------------------------------------------------------- lesson 06

import torch.nn as nn  # noqa: E402

from course_lib.lessons.checks import check_block_forward, check_dropout, check_feed_forward  # noqa: E402


def _block(x, ln1, sa, ln2, ffwd):
    x = x + sa(ln1(x))
    return x + ffwd(ln2(x))


def test_block_forward_solution_passes():
    assert check_block_forward(_block).passed


def test_block_forward_stub_not_attempted():
    assert check_block_forward(stub).status == "not_attempted"


def _post_norm(x, ln1, sa, ln2, ffwd):
    x = ln1(x + sa(x))
    return ln2(x + ffwd(x))


def _swapped(x, ln1, sa, ln2, ffwd):
    x = x + ffwd(ln2(x))
    return x + sa(ln1(x))


def _norm_stream(x, ln1, sa, ln2, ffwd):
    x = ln1(x)
    x = x + sa(x)
    x = ln2(x)
    return x + ffwd(x)


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, l1, sa, l2, ff: ff(l2(sa(l1(x)))), "no residual connections"),
    (lambda x, l1, sa, l2, ff: (lambda a: a + ff(l2(a)))(sa(l1(x))),
     "the attention part has no residual connection"),
    (lambda x, l1, sa, l2, ff: (lambda a: ff(l2(a)))(x + sa(l1(x))),
     "the feed-forward part has no residual connection"),
    (_post_norm, "post-norm"),
    (_swapped, "wrong order: attention (communication) comes first"),
    (_norm_stream, "you normalised the residual stream itself"),
    (lambda x, l1, sa, l2, ff: (lambda a: a + ff(l1(a)))(x + sa(l1(x))), "uses ln1"),
    (lambda x, l1, sa, l2, ff: x + sa(l1(x)) + ff(l2(x)), "both parts read the same x"),
    (lambda x, l1, sa, l2, ff: _block(x, l1, sa, l2, ff) * 2, "the values differ from a Block"),
    (lambda x, l1, sa, l2, ff: sa(l1(x))[:, -1], "has shape (2, 16), expected (2, 6, 16)"),
])
def test_block_forward_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_block_forward(fn), fragment)


def _ffwd(C, dropout, hidden=4, relu=True, relu_last=False, bias=True, with_dropout=True):
    layers = [nn.Linear(C, hidden * C, bias=bias)]
    if relu and not relu_last:
        layers.append(nn.ReLU())
    layers.append(nn.Linear(hidden * C, C, bias=bias))
    if relu_last:
        layers.append(nn.ReLU())
    if with_dropout:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def test_feed_forward_solution_passes():
    assert check_feed_forward(_ffwd).passed


def test_feed_forward_stub_not_attempted():
    assert check_feed_forward(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda C, p: _ffwd(C, p, hidden=2), "the hidden layer has 16 units; it should be 4 * n_embd = 32"),
    (lambda C, p: _ffwd(C, p, relu=False), "no non-linearity between the two Linear layers"),
    (lambda C, p: _ffwd(C, p, relu_last=True), "the ReLU comes after the last Linear"),
    (lambda C, p: _ffwd(C, p, with_dropout=False), "no output was zeroed"),
    (lambda C, p: _ffwd(C, p, bias=False), "both Linear layers have a bias"),
    (lambda C, p: nn.Sequential(nn.Linear(C, 4 * C), nn.ReLU()), "two Linear layers, yours has 1"),
    (lambda C, p: nn.Sequential(nn.Linear(C, 4 * C), nn.ReLU(), nn.Linear(4 * C, 2 * C)),
     "the second gives 16"),
    (lambda C, p: nn.Sequential(nn.Linear(C, 4 * C), nn.Tanh(), nn.Linear(4 * C, C)),
     "the output differs from Linear(C, 4C) -> ReLU"),
    (lambda C, p: [nn.Linear(C, 4 * C)], "return a torch.nn.Module"),
])
def test_feed_forward_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_feed_forward(fn), fragment)


def _dropout(x, p, training, scale=lambda p: 1 / (1 - p), keep=lambda p: 1 - p, in_eval=False):
    if not training and not in_eval:
        return x
    mask = (torch.rand_like(x) < keep(p)).float()
    return x * mask * scale(p)


def test_dropout_solution_passes():
    assert check_dropout(_dropout).passed
    assert check_dropout(lambda x, p, t: nn.functional.dropout(x, p, t)).passed


def test_dropout_stub_not_attempted():
    assert check_dropout(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, p, t: _dropout(x, p, t, scale=lambda p: 1.0), "the kept values are not scaled"),
    (lambda x, p, t: _dropout(x, p, t, scale=lambda p: 1 - p), "you multiplied the kept values by (1 - p)"),
    (lambda x, p, t: _dropout(x, p, t, keep=lambda p: p), "you zeroed a fraction"),
    (lambda x, p, t: _dropout(x, p, t, in_eval=True), "in evaluation mode (training=False)"),
    (lambda x, p, t: x, "in training mode nothing was zeroed"),
    (lambda x, p, t: _dropout(x, p, t, keep=lambda p: 0.5), "about 25% of the values should be zero"),
    (lambda x, p, t: _dropout(x, p, t, scale=lambda p: 2.0), "every kept value should be x / (1 - p)"),
    (lambda x, p, t: _dropout(x, p, t)[:10], "has shape (10,)"),
])
def test_dropout_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_dropout(fn), fragment)


# ----------------------------------------------------------------------------- lesson 07

from course_lib import GPTConfig  # noqa: E402
from course_lib.lessons.checks import check_layer_norm, check_layernorm_parameter_count  # noqa: E402


def _ln(x, w, b, eps, dim=-1, correction=0, eps_inside=True, use_w=True, use_b=True, e=True):
    mean = x.mean(dim, keepdim=True)
    var = ((x - mean) ** 2).sum(dim, keepdim=True) / (x.shape[dim] - correction) \
        if isinstance(dim, int) else x.var(dim, keepdim=True, correction=correction)
    eps = eps if e else 0.0
    y = (x - mean) / ((var + eps).sqrt() if eps_inside else var.sqrt() + eps)
    return y * (w if use_w else 1) + (b if use_b else 0)


@pytest.mark.parametrize("solution", [
    _ln,
    lambda x, w, b, eps: F.layer_norm(x, (x.shape[-1],), w, b, eps),
    lambda x, w, b, eps: (x - x.mean(-1, keepdim=True))
    / torch.sqrt(x.var(-1, keepdim=True, unbiased=False) + eps) * w + b,
    lambda x, w, b, eps: (lambda v, m: (x - m) * torch.rsqrt(v + eps) * w + b)(
        *torch.var_mean(x, -1, keepdim=True, correction=0)),
])
def test_layer_norm_solutions_pass(solution):
    assert check_layer_norm(solution).passed


def test_layer_norm_stub_not_attempted():
    assert check_layer_norm(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, w, b, eps: _ln(x, w, b, eps, dim=0), "the wrong dimension (the batch, dim 0)"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, dim=1), "the wrong dimension (time, dim 1)"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, dim=(0, 1)), "that is BatchNorm"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, correction=1), "the unbiased variance"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, eps_inside=False), "epsilon belongs inside the square root"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, use_w=False), "you ignored the learned scale `weight`: "),
    (lambda x, w, b, eps: _ln(x, w, b, eps, use_b=False), "you ignored the learned shift `bias`"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, use_w=False, use_b=False), "scale `weight` and shift"),
    (lambda x, w, b, eps: _ln(x, w, b, eps, e=False), "you left out epsilon"),
    (lambda x, w, b, eps: (x - x.mean(-1)) / x.std(-1), "raised RuntimeError"),
    (lambda x, w, b, eps: _ln(x, w, b, eps)[..., 0], "has shape (3, 4)"),
    (lambda x, w, b, eps: _ln(x, w, b, eps) + 1, "the values differ from nn.LayerNorm"),
])
def test_layer_norm_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_layer_norm(fn), fragment)


def test_layer_norm_missing_eps_on_a_constant_vector_is_named():
    def no_eps_only_when_constant(x, w, b, eps):
        y = _ln(x, w, b, eps)
        if (x == x[..., :1]).all():
            return _ln(x, w, b, eps, e=False)
        return y
    assert_fails(check_layer_norm(no_eps_only_when_constant), "a constant vector gave NaN")


def test_layer_norm_keepdim_hint():
    r = check_layer_norm(lambda x, w, b, eps: (x - x.mean(-1)) / x.std(-1))
    assert "keepdim=True" in r.message


def _count_ln(cfg):
    return (2 * cfg.n_layer + 1) * 2 * cfg.n_embd


def test_layernorm_parameter_count_solution_passes():
    assert check_layernorm_parameter_count(_count_ln).passed


def test_layernorm_parameter_count_stub_not_attempted():
    assert check_layernorm_parameter_count(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda c: 2 * c.n_layer * 2 * c.n_embd, "you forgot ln_f"),
    (lambda c: c.n_layer * 2 * c.n_embd + 2 * c.n_embd, "each block has two LayerNorms, ln1 and ln2"),
    (lambda c: (2 * c.n_layer + 1) * c.n_embd, "weight (scale) and bias (shift)"),
    (lambda c: c.n_layer * 2 * c.n_embd, "and there is ln_f after the blocks"),
    (lambda c: 7, "you counted 7"),
    (lambda c: "many", "return a whole number of parameters, got 'many'"),
])
def test_layernorm_parameter_count_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_layernorm_parameter_count(fn), fragment)


def test_layernorm_parameter_count_known_answer():
    assert _count_ln(GPTConfig(n_embd=192, n_head=6, n_layer=6)) == 4_992


# ----------------------------------------------------------------------------- lesson 08

from course_lib.lessons.checks import (  # noqa: E402
    check_gpt_forward,
    check_gpt_parameter_count,
    check_linear_forward,
)


def test_linear_forward_solution_passes():
    assert check_linear_forward(lambda x, w, b: x @ w.T + b).passed
    assert check_linear_forward(F.linear).passed


def test_linear_forward_stub_is_not_attempted():
    assert check_linear_forward(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, w, b: x @ w + b, "you computed x @ weight + bias"),
    (lambda x, w, b: x @ w.T, "you forgot the bias"),
    (lambda x, w, b: x @ w.T - b, "you subtracted the bias"),
    (lambda x, w, b: torch.mm(x, w.T) + b, "raised RuntimeError"),
    (lambda x, w, b: (x @ w.T + b)[..., :1], "the output should have shape (2, 3)"),
    (lambda x, w, b: (x @ w.T + b).tolist(), "return a torch.Tensor, got list"),
    (lambda x, w, b: x @ w.T + 2 * b, "wrong values for x of shape (2, 3)"),
])
def test_linear_forward_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_linear_forward(fn), fragment)


def test_linear_forward_hint_names_the_transpose():
    r = check_linear_forward(lambda x, w, b: torch.mm(x, w.T) + b)
    assert_fails(r, "weight has shape (out_features, in_features)")


def count_parameters(cfg, **drop):
    """The right count, minus the parts named in `drop` (to build typical wrong answers)."""
    V, T, C, L = cfg.vocab_size, cfg.block_size, cfg.n_embd, cfg.n_layer
    parts = {
        "tok": V * C, "pos": T * C,
        "qkv": 3 * C * C, "proj_w": C * C, "proj_b": C,
        "ff_w": 8 * C * C, "ff_b": 5 * C, "ln": 4 * C,
        "ln_f": 2 * C, "head_w": C * V, "head_b": V,
    }
    per_block = ["qkv", "proj_w", "proj_b", "ff_w", "ff_b", "ln"]
    parts.update({k: v * drop.get("layers", L) for k, v in parts.items() if k in per_block})
    for k, factor in drop.items():
        if k != "layers":
            parts[k] = int(parts[k] * factor)
    return sum(parts.values())


def test_gpt_parameter_count_solution_passes():
    assert check_gpt_parameter_count(count_parameters).passed
    assert check_gpt_parameter_count(lambda cfg: float(count_parameters(cfg))).passed


def test_gpt_parameter_count_stub_is_not_attempted():
    assert check_gpt_parameter_count(stub).status == "not_attempted"


@pytest.mark.parametrize("drop,fragment", [
    (dict(pos=0), "you forgot the position embedding table"),
    (dict(ln_f=0), "you forgot ln_f"),
    (dict(ln=0, ln_f=0), "you forgot the LayerNorms"),
    (dict(ln=0.5, ln_f=0.5), "each LayerNorm has a weight AND a bias"),
    (dict(proj_b=0, ff_b=0, head_b=0), "you forgot the biases of the Linear layers"),
    (dict(head_b=0), "you forgot the bias of lm_head"),
    (dict(qkv=1 + 1 / 48), "key, query and value are Linear(..., bias=False)"),
    (dict(proj_w=0, proj_b=0), "you forgot the attention's output projection"),
    (dict(ff_w=0.25, ff_b=0.4), "the feed-forward hidden layer is 4 x n_embd wide"),
    (dict(head_w=0), "you counted lm_head and the token embedding as one shared matrix"),
    (dict(layers=1), "you counted one block; there are n_layer"),
    (dict(qkv=4), "each head's key, query and value map n_embd to head_size"),
])
def test_gpt_parameter_count_names_typical_mistakes(drop, fragment):
    assert_fails(check_gpt_parameter_count(lambda cfg: count_parameters(cfg, **drop)), fragment)


@pytest.mark.parametrize("fn,fragment", [
    (lambda cfg: count_parameters(cfg) + 0.5, "return a whole number of parameters"),
    (lambda cfg: str(count_parameters(cfg)), "return a whole number of parameters"),
    (lambda cfg: count_parameters(cfg) + 7, "(-7 off)"),
])
def test_gpt_parameter_count_rejects_other_wrong_answers(fn, fragment):
    assert_fails(check_gpt_parameter_count(fn), fragment)


def gpt_forward(model, idx, pos=True, blocks=True, ln_f=True, positions=None):
    T = idx.shape[1]
    x = model.token_embedding_table(idx)
    if pos:
        x = x + model.position_embedding_table(torch.arange(positions or T))
    if blocks:
        x = model.blocks(x)
    if ln_f:
        x = model.ln_f(x)
    return model.lm_head(x)


def test_gpt_forward_solution_passes():
    assert check_gpt_forward(gpt_forward).passed
    assert check_gpt_forward(lambda model, idx: model(idx)[0]).passed


def test_gpt_forward_stub_is_not_attempted():
    assert check_gpt_forward(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda m, idx: gpt_forward(m, idx, pos=False), "you forgot the position embeddings"),
    (lambda m, idx: gpt_forward(m, idx, ln_f=False), "you forgot ln_f"),
    (lambda m, idx: gpt_forward(m, idx, blocks=False), "the blocks are missing"),
    (lambda m, idx: gpt_forward(m, idx).softmax(-1), "you returned probabilities"),
    (lambda m, idx: m(idx), "return only the logits tensor, not a tuple"),
    (lambda m, idx: gpt_forward(m, idx, positions=m.cfg.block_size),
     "torch.arange(T) with T = idx.shape[1] (not block_size)"),
    (lambda m, idx: gpt_forward(m, idx)[:, -1, :], "your logits has shape (2, 67), expected (2, 16, 67)"),
    (lambda m, idx: gpt_forward(m, idx) * 2, "your logits differ from model(idx)"),
])
def test_gpt_forward_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_gpt_forward(fn), fragment)


def test_checks_leave_the_global_random_state_alone():
    torch.manual_seed(0)
    want = torch.rand(3)
    torch.manual_seed(0)
    check_gpt_forward(gpt_forward)
    check_gpt_parameter_count(count_parameters)
    assert torch.equal(torch.rand(3), want)


def test_parameter_mistakes_are_told_apart_on_the_first_config():
    from course_lib import GPTConfig
    from course_lib.lessons.checks import _parameter_mistakes
    diffs = list(_parameter_mistakes(GPTConfig(vocab_size=67, block_size=32, n_embd=48,
                                               n_head=4, n_layer=3)).values())
    assert len(set(diffs)) == len(diffs) and 0 not in diffs


# ----------------------------------------------------------------------------- lesson 09

def test_tokens_per_step():
    from course_lib.lessons.checks import check_tokens_per_step
    assert check_tokens_per_step(lambda B, T, n: B * T * n).passed
    assert check_tokens_per_step(stub).status == "not_attempted"
    assert_fails(check_tokens_per_step(lambda B, T, n: B * T), "multiply by nproc")
    assert_fails(check_tokens_per_step(lambda B, T, n: B * n), "each sequence holds")
    assert_fails(check_tokens_per_step(lambda B, T, n: B + T + n), "expected 2048, got 82")


def test_steps_per_epoch():
    import math
    from course_lib.lessons.checks import check_steps_per_epoch
    assert check_steps_per_epoch(lambda N, B, T, n: math.ceil(N / (B * T * n))).passed
    assert_fails(check_steps_per_epoch(lambda N, B, T, n: N // (B * T * n)), "round up")
    assert_fails(check_steps_per_epoch(lambda N, B, T, n: N / (B * T * n)), "returned a float")
    assert_fails(check_steps_per_epoch(lambda N, B, T, n: math.ceil(N / (B * T))),
                 "divide by nproc too")


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
