"""Every exercise check: the solution passes, the stub is "not attempted", and typical wrong
answers fail with a message that names the mistake. Lessons add their checks below."""

import pytest

import torch
import torch.nn.functional as F

from course_lib import load_corpus
from course_lib.checks import CheckResult, check_context_target_pairs, check_encode_decode
from course_lib.checks import check_gpt_forward, check_gpt_parameter_count, check_linear_forward


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


# ----------------------------------------------------------------------------- lesson 08

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
    (lambda cfg: count_parameters(cfg) + 0.5, "return the count as a whole number"),
    (lambda cfg: str(count_parameters(cfg)), "return the count as a whole number"),
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
    from course_lib.checks import _parameter_mistakes
    diffs = list(_parameter_mistakes(GPTConfig(vocab_size=67, block_size=32, n_embd=48,
                                               n_head=4, n_layer=3)).values())
    assert len(set(diffs)) == len(diffs) and 0 not in diffs


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
