"""Every exercise check: the solution passes, the stub is "not attempted", and typical wrong
answers fail with a message that names the mistake. Lessons add their checks below.

The first section tests the sandbox that every check runs learner code in (time and memory
limits, generators read with a cap, copies of the inputs, sys.exit, capped printing), with
checks from several lessons."""

import inspect
import math
import signal
import sys
import threading
import time

import pytest
import torch
import torch.nn.functional as F

from course_lib import BigramLanguageModel, estimate_loss, get_batch, load_corpus, train
from course_lib.lessons import checks
from course_lib.lessons.checks import (CheckResult, check_bigram_counts, check_bigram_forward,
                                       check_bigram_generate, check_causal_attention_weights,
                                       check_context_target_pairs, check_cosine_similarity,
                                       check_counting_loss, check_cross_entropy,
                                       check_encode_decode, check_estimate_loss,
                                       check_masked_average_weights, check_most_similar,
                                       check_one_hot_embed, check_stable_softmax,
                                       check_temperature_probs, check_training_loop)


@pytest.fixture(scope="module")
def tok():
    return load_corpus().tokenizer


def stub(*args):
    raise NotImplementedError


def assert_fails(result: CheckResult, fragment: str):
    assert result.status == "failed", result
    assert fragment in result.message, result.message


@pytest.fixture
def short_limits(monkeypatch):
    """Small limits, so a looping or greedy function is stopped in a fraction of a second."""
    monkeypatch.setattr(checks, "TIME_LIMIT_S", 0.3)
    monkeypatch.setattr(checks, "MAX_ITEMS", 1000)
    monkeypatch.setattr(checks, "MEMORY_LIMIT", 150 << 20)


def good_pairs(ch):
    return [(ch[:t + 1], ch[t + 1]) for t in range(len(ch) - 1)]


# ----------------------------------------------------------------------------- framework

def test_untouched_stub_is_not_attempted(tok):
    r = check_encode_decode(stub, stub, tok)
    assert r.status == "not_attempted" and not r
    assert "not attempted yet: fill in the TODO in `stub`" in repr(r)


def test_function_returning_none_is_not_attempted_and_says_return():
    def make_pairs(chunk):
        [(chunk[:t + 1], chunk[t + 1]) for t in range(len(chunk) - 1)]   # forgot `return`
    r = check_context_target_pairs(make_pairs)
    assert r.status == "not_attempted"
    assert "`make_pairs` returned None" in r.message and "`return ...`" in r.message


def test_exception_in_learner_code_is_reported_not_raised(tok):
    def broken(s):
        return [stoi[c] for c in s]  # noqa: F821  (a typical NameError)
    r = check_encode_decode(broken, stub, tok)
    assert_fails(r, "your function raised NameError: name 'stoi' is not defined")


def test_passing_the_result_instead_of_the_function(tok):
    r = check_encode_decode([1, 2, 3], stub, tok)
    assert_fails(r, "pass your function itself, not its result")


def test_calling_a_check_with_the_wrong_arguments_is_a_verdict():
    r = check_encode_decode(stub)                     # decode and tokenizer missing
    assert_fails(r, "check_encode_decode was called with the wrong arguments")
    assert "call it as check_encode_decode(encode, decode, tokenizer)" in r.message


def looping(*args):
    while True:
        pass


def sleeping(*args):
    time.sleep(60)


def swallowing(*args):
    """A loop whose bare except swallows every exception raised inside it."""
    while True:
        try:
            sum(range(100))
        except:  # noqa: E722 - the point of this test
            pass


@pytest.mark.parametrize("fn", [looping, sleeping, swallowing], ids=lambda f: f.__name__)
@pytest.mark.parametrize("check", [check_context_target_pairs, check_masked_average_weights,
                                   checks.check_layer_norm], ids=lambda c: c.__name__)
def test_a_function_that_never_returns_is_stopped(short_limits, check, fn):
    r = check(fn)
    assert r.status == "timed_out", r
    assert repr(r).startswith("⌛")
    assert "your function ran for more than 0.3 s and was stopped" in r.message


def test_the_time_limit_works_outside_the_main_thread(short_limits):
    results = []
    thread = threading.Thread(target=lambda: results.append(check_context_target_pairs(looping)))
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert results[0].status == "timed_out", results[0]


def test_an_enclosing_alarm_still_fires_after_a_check(short_limits):
    """pytest-timeout and the like use SIGALRM too: a check gives their timer back."""
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(time.monotonic()))
    try:
        start = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, 1.0)
        assert check_context_target_pairs(looping).status == "timed_out"
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 0 < left < 1.0
        while not fired and time.monotonic() - start < 5:
            time.sleep(0.01)
        assert fired and fired[0] - start >= 0.9
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_no_stop_arrives_after_the_check_returned(short_limits):
    assert check_context_target_pairs(looping).status == "timed_out"
    time.sleep(0.3)                                  # a late stop would be raised here
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def endless_generator(*args):
    while True:
        yield 0


@pytest.mark.parametrize("check", [check_context_target_pairs, check_most_similar,
                                   check_encode_decode], ids=lambda c: c.__name__)
def test_an_endless_generator_is_read_with_a_cap(short_limits, tok, check):
    args = (stub, tok) if check is check_encode_decode else ()
    r = check(endless_generator, *args)
    assert_fails(r, "returned a generator (or iterator) that gave more than 1,000 items")


def test_a_generator_with_the_right_items_is_accepted():
    def make_pairs(chunk):
        for t in range(len(chunk) - 1):
            yield chunk[: t + 1], chunk[t + 1]
    assert check_context_target_pairs(make_pairs).passed


def test_a_function_that_eats_memory_is_stopped(monkeypatch):
    monkeypatch.setattr(checks, "MEMORY_LIMIT", 150 << 20)
    monkeypatch.setattr(checks, "TIME_LIMIT_S", 60.0)     # the memory limit must come first

    def greedy(T):
        pieces = []
        while True:
            pieces.append(b"x" * 2**20)              # 1 MB more every time, touched
    r = check_masked_average_weights(greedy)
    assert_fails(r, "your function used more than 150 MB of memory and was stopped")


def test_a_result_far_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(checks, "MAX_RESULT_BYTES", 1 << 20)
    r = check_masked_average_weights(lambda T: torch.zeros(1000, 1000))
    assert_fails(r, "your function returned a tensor of shape (1000, 1000) and dtype "
                    "torch.float32, about 4 MB: far larger than this exercise's answer")


def test_an_input_changed_in_place_is_named():
    def overwrite(chunk):
        pairs = [(chunk[:t + 1], chunk[t + 1]) for t in range(len(chunk) - 1)]
        chunk[0] = -1                                # the example: it overwrites chunk
        return pairs
    assert_fails(check_context_target_pairs(overwrite), "changed its input `chunk` in place")

    def zero_x(x, Wk, Wq, Wv):                       # right answer, then zeroes its input
        out = F.softmax((x @ Wq.T) @ (x @ Wk.T).transpose(-2, -1) * Wk.shape[0] ** -0.5
                        + torch.triu(torch.full((x.shape[1],) * 2, float("-inf")), 1), -1) \
            @ (x @ Wv.T)
        x.zero_()
        return out
    assert_fails(checks.check_head_forward(zero_x), "changed its input `x` in place")


def test_an_in_place_dropout_is_named_as_such():
    def dropout(x, p, training):
        if not training:
            return x
        x[torch.rand_like(x) < p] = 0                # in place, and not scaled
        return x
    assert_fails(checks.check_dropout(dropout), "changed its input `x` in place")
    assert "not scaled" not in checks.check_dropout(dropout).message

    def scaled_in_place(x, p, training):             # right values, but the caller's x changes
        if not training:
            return x
        return x.mul_((torch.rand_like(x) >= p).float() / (1 - p))
    assert_fails(checks.check_dropout(scaled_in_place), "changed its input `x` in place")


@pytest.mark.parametrize("exit_call", [lambda: sys.exit(), lambda: sys.exit(3), lambda: exit()])
def test_sys_exit_in_learner_code_is_a_verdict(exit_call):
    r = check_cosine_similarity(lambda a, b: exit_call())
    assert_fails(r, "your function called sys.exit() (or exit()), which would end the program")


def test_keyboard_interrupt_goes_through():
    def interrupted(a, b):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        check_cosine_similarity(interrupted)


def test_printing_is_capped(capsys):
    def chatty(data, vocab_size):
        print("x" * 10_000_000)                      # 10 MB in one print
        for i in range(1000):
            print("counting", i)
        raise ValueError("oops")
    r = check_bigram_counts(chatty)
    out = capsys.readouterr()
    assert_fails(r, "your function raised ValueError: oops")
    shown = out.out + out.err
    assert len(shown) < checks.OUTPUT_LIMIT + 300
    assert "were cut]" in shown and "10,0" in shown


def test_a_learner_seed_does_not_move_the_notebooks_random_numbers():
    def reseeding(a, b):
        torch.manual_seed(123)
        torch.rand(100)
        return (a @ b) / (a.norm() * b.norm())
    torch.manual_seed(0)
    want = torch.rand(3)
    torch.manual_seed(0)
    assert check_cosine_similarity(reseeding).passed
    assert torch.equal(torch.rand(3), want)


@pytest.mark.parametrize("check,fn,fragment", [
    # plausible wrong answers that used to raise inside the check (issue 13, section 8)
    (check_context_target_pairs, lambda c: [(c[t], c[t + 1]) for t in range(len(c) - 1)],
     "example 0 is (10, 11): a pair of single tokens"),
    (check_cross_entropy, lambda z, t: "2.3", "return the loss as a tensor or a number, got a str"),
    (check_most_similar, lambda q, vs, k: 3, "your function returned one index (3)"),
    (checks.check_tokens_per_step, lambda B, T, n: torch.tensor([B * T, n]),
     "the check could not use what your function returned (a tensor of shape (2,)"),
])
def test_plausible_wrong_answers_get_a_verdict(check, fn, fragment):
    assert_fails(check(fn), fragment)


def test_an_int_from_encode_gets_a_verdict(tok):
    r = check_encode_decode(lambda s: tok.stoi[s[0]], stub, tok)
    assert_fails(r, "encode returned one number (")


def test_a_numpy_array_from_steps_per_epoch_gets_a_verdict():
    np = pytest.importorskip("numpy")
    r = checks.check_steps_per_epoch(lambda N, B, T, n: np.array([N // (B * T * n), 1]))
    assert r.status == "failed", r
    assert "numpy ndarray of shape (2,)" in r.message


HOSTILE = {
    "returns None": lambda *a: None,
    "returns a str": lambda *a: "hello",
    "returns an int": lambda *a: 7,
    "returns a float": lambda *a: 0.5,
    "returns a list": lambda *a: [1, 2, 3],
    "returns a dict": lambda *a: {"a": 1},
    "returns an object": lambda *a: object(),
    "returns a 2-element tensor": lambda *a: torch.tensor([1.0, 2.0]),
    "returns a 0-d tensor": lambda *a: torch.tensor(1.5),
    "returns nan": lambda *a: float("nan"),
    "returns an endless generator": endless_generator,
    "raises SystemExit": lambda *a: sys.exit(1),
    "raises ValueError": lambda *a: int("x"),
    "raises a BaseException": lambda *a: (_ for _ in ()).throw(GeneratorExit()),
}
ALL_CHECKS = sorted(n for n in dir(checks) if n.startswith("check_"))


@pytest.mark.parametrize("name", ALL_CHECKS)
def test_every_check_answers_every_input_with_a_verdict(short_limits, tok, name):
    """Whatever the learner's function does, the check returns ✅, ❌, ⏳ or ⌛ and never raises."""
    check = getattr(checks, name)
    params = list(inspect.signature(check).parameters.values())[1:]
    for what, fn in HOSTILE.items():
        extra = []
        for p in params:
            if p.default is not inspect.Parameter.empty:
                break
            extra.append(tok if p.name == "tokenizer" else fn)
        r = check(fn, *extra)
        assert isinstance(r, CheckResult), (what, r)
        assert r.status in ("failed", "not_attempted", "timed_out"), (what, r)
        assert r.message, what


def test_a_check_in_a_real_kernel_stops_a_loop_and_the_kernel_lives_on(tmp_path):
    """In Jupyter the checks run in the kernel's main thread: the time limit must stop the
    learner's loop there (a signal), and the next cell must still run."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in (
        "from course_lib.lessons import checks\nchecks.TIME_LIMIT_S = 0.5\n"
        "def make_pairs(chunk):\n    while True:\n        pass\n"
        "r = checks.check_context_target_pairs(make_pairs)\nprint(r)",
        "import time; time.sleep(1); print('still alive', r.status)",
    )]
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    out = [o["text"] for c in nb.cells for o in c["outputs"] if o.get("name") == "stdout"]
    assert out[0].startswith("⌛ check_context_target_pairs: your function ran for more than 0.5 s")
    assert out[1].strip() == "still alive timed_out"


# ----------------------------------------------------------------------------- lesson 00
#
# Typical mistakes of encode/decode: IDs counted from 1 (off by one); ord(c) instead of
# stoi; encode returning the string, one int, characters or floats; a wrong length;
# decode returning a list, joining with a separator, looking up in stoi (a KeyError).

def _stoi_itos(tok):
    return {c: i for i, c in enumerate(tok.chars)}, dict(enumerate(tok.chars))


def test_encode_decode_solution_passes(tok):
    stoi, itos = _stoi_itos(tok)
    r = check_encode_decode(lambda s: [stoi[c] for c in s],
                            lambda ids: "".join(itos[i] for i in ids), tok)
    assert r.passed and repr(r).startswith("✅")
    assert check_encode_decode(lambda s: torch.tensor([stoi[c] for c in s]),
                               lambda ids: "".join(itos[i] for i in ids), tok).passed


@pytest.mark.parametrize("encode,decode,fragment", [
    ("ord", None, "you used ord(c), the character's number in Unicode"),
    ("off_by_one", None, "every ID is one too large: enumerate() counts from 0"),
    (lambda s: s, None, "encode returned a string"),
    (lambda s: 7, None, "encode returned one number (7)"),
    (lambda s: list(s), None, "encode returned characters (['h', 'e', 'l']...), not IDs"),
    ("floats", None, "encode returned a float (48.0) among the IDs"),
    (lambda s: [0] * (len(s) - 1), None, "gave 4 IDs; one per character is 5"),
    ("reversed", None, "gave the IDs in reverse order"),
    (None, lambda ids: ["x" for _ in ids], "decode returned a list; join the characters"),
    (None, "spaces", "you joined the characters with a separator"),
    (None, "stoi", "raised KeyError"),
    (None, lambda ids: "".join("a" for _ in ids), "expected 'hello'"),
    (None, lambda ids: len(ids), "decode returned an int (5); it should return a string"),
])
def test_encode_decode_rejects_typical_mistakes(tok, encode, decode, fragment):
    stoi, itos = _stoi_itos(tok)
    encoders = {"ord": lambda s: [ord(c) for c in s], "off_by_one": lambda s: [stoi[c] + 1 for c in s],
                "floats": lambda s: [float(stoi[c]) for c in s],
                "reversed": lambda s: [stoi[c] for c in reversed(s)]}
    decoders = {"spaces": lambda ids: " ".join(itos[i] for i in ids),
                "stoi": lambda ids: "".join(stoi[i] for i in ids)}
    encode = encoders.get(encode, encode) if isinstance(encode, str) else encode
    decode = decoders.get(decode, decode) if isinstance(decode, str) else decode
    r = check_encode_decode(encode or (lambda s: [stoi[c] for c in s]),
                            decode or (lambda ids: "".join(itos[i] for i in ids)), tok)
    assert_fails(r, fragment)


def test_decode_looked_up_in_stoi_gets_the_itos_hint(tok):
    stoi, _ = _stoi_itos(tok)
    r = check_encode_decode(lambda s: [stoi[c] for c in s],
                            lambda ids: "".join(stoi[i] for i in ids), tok)
    assert_fails(r, "Hint: look each ID up in itos (integer to string)")


# Typical mistakes of make_pairs: one example too few (range(len - 2)) or too many (an
# IndexError); a context one token short; the target inside the context; pairs of single
# tokens (c[t], c[t+1]); a context of one token; not pairs at all; a dict; changing chunk.

def test_context_target_pairs_solution_passes():
    assert check_context_target_pairs(good_pairs).passed
    assert check_context_target_pairs(stub).status == "not_attempted"


@pytest.mark.parametrize("make_pairs,fragment", [
    (lambda ch: [(ch[:t + 1], ch[t + 1]) for t in range(len(ch) - 2)], "you returned 7 (off by one?)"),
    (lambda ch: [(ch[:t + 1], ch[t + 1]) for t in range(len(ch))],
     "raised IndexError: list index out of range. Hint: the last example has t = len(chunk) - 2"),
    (lambda ch: [(ch[:t], ch[t]) for t in range(len(ch) - 1)], "has an empty or short context"),
    (lambda ch: [(ch[:t + 1], ch[t]) for t in range(len(ch) - 1)],
     "the target is the last token of the context"),
    (lambda ch: [(ch[t], ch[t + 1]) for t in range(len(ch) - 1)],
     "example 0 is (10, 11): a pair of single tokens. The context is every token up to position t"),
    (lambda ch: [ch[t] for t in range(len(ch) - 1)], "each example should be a pair"),
    (lambda ch: [(ch[t:t + 1], ch[t + 1]) for t in range(len(ch) - 1)], "context [11] should be"),
    (lambda ch: [(ch[:t + 1], ch[t + 1:t + 2]) for t in range(len(ch) - 1)],
     "the target should be one token ID (an int), got a list of 1 item"),
    (lambda ch: {tuple(ch[:t + 1]): ch[t + 1] for t in range(len(ch) - 1)}, "you returned a dict"),
    (lambda ch: [(ch[:t + 2], ch[t + 1]) for t in range(len(ch) - 1)],
     "example 0: context [10, 11] should be chunk[:1] = [10]"),
])
def test_context_target_pairs_rejects_typical_mistakes(make_pairs, fragment):
    assert_fails(check_context_target_pairs(make_pairs), fragment)


# ----------------------------------------------------------------------------- lesson 01
#
# Typical mistakes of one_hot_embed: no num_classes (too narrow); no .float() (a dtype
# error); the transpose; returning the one-hot matrix; summing over tokens; wrong rows;
# and the shortcut the exercise is not about: weight[ids], F.embedding, index_select.

def test_one_hot_embed_solution_passes_and_stub_is_not_attempted():
    r = check_one_hot_embed(lambda ids, w: F.one_hot(ids, w.shape[0]).float() @ w)
    assert r.passed, r
    assert check_one_hot_embed(lambda ids, w: torch.einsum(
        "tv,vd->td", F.one_hot(ids, w.shape[0]).float(), w)).passed
    assert check_one_hot_embed(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda ids, w: F.one_hot(ids).float() @ w, "give num_classes=weight.shape[0]"),
    (lambda ids, w: F.one_hot(ids, w.shape[0]) @ w, "convert with .float()"),
    (lambda ids, w: w.T @ F.one_hot(ids, w.shape[0]).float().T, "the transpose of (T, D)"),
    (lambda ids, w: F.one_hot(ids, w.shape[0]).float(), "you returned the one-hot matrix itself"),
    (lambda ids, w: (F.one_hot(ids, w.shape[0]).float() @ w).sum(0), "should have shape (4, 3)"),
    (lambda ids, w: F.one_hot((ids + 1) % w.shape[0], w.shape[0]).float() @ w,
     "values are not the rows of weight"),
    (lambda ids, w: w[ids], "you looked the rows up directly (weight[ids]"),
    (lambda ids, w: F.embedding(ids, w), "you looked the rows up directly"),
    (lambda ids, w: torch.index_select(w, 0, ids), "you looked the rows up directly"),
    (lambda ids, w: torch.stack([w[i] for i in ids]), "you looked the rows up directly"),
    (lambda ids, w: (F.one_hot(ids, w.shape[0]).float() @ w).tolist(),
     "your function returned a list of 4 items; return a tensor"),
])
def test_one_hot_embed_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_one_hot_embed(fn), fragment)


# Typical mistakes of cosine similarity: the dot product alone; squared lengths; one
# length; a @ b / |a| * |b| (precedence); 1 - cos; no sum; the distance; F.cosine_similarity
# without dim=0.

def test_cosine_similarity_solution_passes():
    assert check_cosine_similarity(lambda a, b: (a @ b) / (a.norm() * b.norm())).passed
    assert check_cosine_similarity(lambda a, b: F.cosine_similarity(a, b, dim=0).item()).passed
    assert check_cosine_similarity(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda a, b: a @ b, "you returned the dot product"),
    (lambda a, b: (a @ b) / ((a ** 2).sum() * (b ** 2).sum()), "divided by the squared lengths"),
    (lambda a, b: (a @ b) / a.norm(), "you divided by one length only"),
    (lambda a, b: a @ b / a.norm() * b.norm(), "put the product in parentheses"),
    (lambda a, b: 1 - (a @ b) / (a.norm() * b.norm()), "the cosine distance"),
    (lambda a, b: a * b / (a.norm() * b.norm()), "sum the products"),
    (lambda a, b: (a - b).norm(), "expected 0.7333"),
    (lambda a, b: F.cosine_similarity(a, b), "Hint: for two 1-D vectors, F.cosine_similarity needs dim=0"),
    (lambda a, b: str(float((a @ b) / (a.norm() * b.norm()))), "returned a str"),
])
def test_cosine_similarity_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_cosine_similarity(fn), fragment)


def _cos_rows(q, vs):
    return (vs @ q) / (vs.norm(dim=1) * q.norm())


# Typical mistakes of most_similar: ranking by the dot product; ascending order; the
# similarities instead of the indices; k + 1 results; only the best index; ranking by
# distance; a wrong order.

def test_most_similar_solution_passes():
    assert check_most_similar(lambda q, vs, k: torch.topk(_cos_rows(q, vs), k).indices).passed
    assert check_most_similar(lambda q, vs, k: _cos_rows(q, vs).argsort(descending=True)[:k].tolist()).passed
    assert check_most_similar(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda q, vs, k: torch.topk(vs @ q, k).indices, "you ranked by the dot product"),
    (lambda q, vs, k: torch.argsort(_cos_rows(q, vs))[:k], "least similar rows first"),
    (lambda q, vs, k: torch.topk(_cos_rows(q, vs), k).values, "not their similarities"),
    (lambda q, vs, k: torch.topk(_cos_rows(q, vs), k + 1).indices, "asked for k=3 indices, got 4"),
    (lambda q, vs, k: int(_cos_rows(q, vs).argmax()), "returned one index (1); return the k = 3 best"),
    (lambda q, vs, k: torch.topk(-(vs - q).norm(dim=1), k).indices, "ranked by the Euclidean distance"),
    (lambda q, vs, k: torch.topk(_cos_rows(q, vs), k).indices.roll(1),
     "most_similar gave [0, 1, 4], expected [1, 4, 0]"),
])
def test_most_similar_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_most_similar(fn), fragment)


# ----------------------------------------------------------------------------- lesson 02
#
# Typical mistakes of bigram_counts: transposed; the last pair dropped; probabilities;
# the wrong size; float counts (cell 9 compares with integer counts); every pair counted
# once (counts[i, j] = 1, or the vectorised += that drops repeats); a wrong count.

def _counts(data, V, dtype=torch.long):
    out = torch.zeros(V, V, dtype=dtype)
    for i, j in zip(data[:-1].tolist(), data[1:].tolist()):
        out[i, j] += 1
    return out


def _vectorised_plus_equals(d, V):
    c = torch.zeros(V, V, dtype=torch.long)
    c[d[:-1], d[1:]] += 1                       # repeated pairs are added once only
    return c


def test_bigram_counts_solution_passes():
    assert check_bigram_counts(_counts).passed
    from course_lib.lessons.bigram import bigram_counts
    assert check_bigram_counts(bigram_counts).passed
    assert check_bigram_counts(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda d, V: _counts(d, V).T, "your matrix is transposed"),
    (lambda d, V: _counts(d[:-1], V), "your counts add up to 198, but a text of 200 tokens holds 199"),
    (lambda d, V: _counts(d, V).float() / _counts(d, V).sum(1, keepdim=True).clamp(min=1),
     "those are probabilities"),
    (lambda d, V: _counts(d, int(d.max()) + 1), "the count matrix for vocab_size=6 has shape (5, 5)"),
    (lambda d, V: torch.diag(torch.bincount(d[:-1], minlength=V)),
     "the counts differ from the expected ones"),
    (lambda d, V: _counts(d, V, dtype=torch.float32),
     "the counts are right but have dtype torch.float32: counts are whole numbers"),
    (lambda d, V: _counts(d, V, dtype=torch.int32), "the counts are right but have dtype torch.int32"),
    (_vectorised_plus_equals, "every pair is counted at most once"),
    (lambda d, V: (_counts(d, V) > 0).long(), "every pair is counted at most once"),
])
def test_bigram_counts_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_bigram_counts(fn), fragment)


# Typical mistakes of the counting loss: the sign; the sum; probs[next, current]; log base
# 10 or 2; the log of the mean; no log; no mean (a vector).

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
    (lambda p, d: -p[d[:-1], d[1:]].mean().log(), "you took the log of the mean probability"),
    (lambda p, d: -p[d[:-1], d[1:]].mean(), "you forgot the log"),
    (lambda p, d: -p[d[:-1], d[1:]].log(), "the loss is one number"),
    (lambda p, d: -p[d[:-2], d[1:-1]].log().mean(), "expected"),
])
def test_counting_loss_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_counting_loss(fn), fragment)


# Typical mistakes of the bigram forward: 3-D logits into F.cross_entropy (an error, with
# the reshape as hint); the flattened logits returned (as the lecture's code does); a loss
# when there are no targets; no loss with targets; loss.item(); the sum; softmax first;
# rows of logits and targets mismatched by a transpose; targets shifted again; idx as the
# targets; calling the model's own forward (the shortcut).

def good_forward(model, idx, targets=None, flat=False, mistake=None):
    logits = model.token_embedding_table(idx)                # (B, T, C)
    if targets is None:
        return (logits, None) if mistake != "loss_without_targets" else (logits, logits.sum())
    B, T, C = logits.shape
    lg, tg = logits.view(B * T, C), targets.view(B * T)
    loss = {None: lambda: F.cross_entropy(lg, tg),
            "sum": lambda: F.cross_entropy(lg, tg, reduction="sum"),
            "softmax": lambda: F.cross_entropy(lg.softmax(-1), tg),
            "transpose": lambda: F.cross_entropy(logits.transpose(0, 1).reshape(B * T, C), tg),
            "shift": lambda: F.cross_entropy(logits[:, :-1].reshape(-1, C), targets[:, 1:].reshape(-1)),
            "idx": lambda: F.cross_entropy(lg, idx.view(B * T)),
            "item": lambda: F.cross_entropy(lg, tg).item(),
            "no_grad": lambda: F.cross_entropy(lg, tg).detach(),
            "three_d": lambda: F.cross_entropy(logits, targets),
            "none": lambda: None,
            "vector": lambda: F.cross_entropy(lg, tg, reduction="none"),
            }[mistake]()
    return (lg if flat else logits), loss


def test_bigram_forward_solution_passes():
    assert check_bigram_forward(good_forward).passed
    assert check_bigram_forward(stub).status == "not_attempted"


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(mistake="three_d"), "Hint: F.cross_entropy wants logits of shape (B*T, C)"),
    (dict(flat=True), "you returned the flattened logits (15, 7)"),
    (dict(mistake="loss_without_targets"), "without targets there is nothing to compare with"),
    (dict(mistake="none"), "with targets, return the loss too"),
    (dict(mistake="item"), "do not turn it into a number with .item()"),
    (dict(mistake="no_grad"), "the loss has no gradient"),
    (dict(mistake="vector"), "the loss should be one number"),
    (dict(mistake="sum"), "your loss is the sum over the B*T positions"),
    (dict(mistake="softmax"), "you applied softmax before F.cross_entropy"),
    (dict(mistake="transpose"), "rows of logits and targets no longer belong to the same position"),
    (dict(mistake="shift"), "you shifted the targets again"),
    (dict(mistake="idx"), "you compared the logits with idx"),
])
def test_bigram_forward_rejects_typical_mistakes(kwargs, fragment):
    assert_fails(check_bigram_forward(lambda m, i, t=None: good_forward(m, i, t, **kwargs)), fragment)


def test_bigram_forward_names_the_shortcut():
    assert_fails(check_bigram_forward(lambda m, idx, targets=None: m(idx, targets)),
                 "you called model(idx, targets), the library's own forward")
    assert_fails(check_bigram_forward(lambda m, idx: good_forward(m, idx)),
                 "raised TypeError")                   # no targets parameter


# Typical mistakes of generate: only the new tokens returned; one token too many or too
# few; argmax instead of sampling; the first position's logits; softmax over the batch;
# the generator not passed (the same seed gives other text); sampling from the logits
# (an error); calling model.generate (the shortcut).

def good_generate(model, idx, max_new_tokens, generator=None, mistake=None):
    new = []
    for _ in range(max_new_tokens + (mistake == "one_more")):
        logits, _ = model(idx)                                   # (B, T, C)
        last = logits[:, 0 if mistake == "first" else -1, :]     # (B, C)
        probs = F.softmax(last, dim=0 if mistake == "dim0" else -1)
        if mistake == "argmax":
            nxt = probs.argmax(-1, keepdim=True)
        elif mistake == "logits":
            nxt = torch.multinomial(last, 1, generator=generator)
        else:
            nxt = torch.multinomial(probs, 1, generator=None if mistake == "global" else generator)
        idx = torch.cat((idx, nxt), dim=1)
        new.append(nxt)
    if mistake == "only_new":
        return torch.cat(new, dim=1)
    if mistake == "list":
        return idx.tolist()
    return idx


def test_bigram_generate_solution_passes():
    assert check_bigram_generate(good_generate).passed
    assert check_bigram_generate(stub).status == "not_attempted"


@pytest.mark.parametrize("mistake,fragment", [
    ("only_new", "you returned only the 12 new tokens"),
    ("one_more", "asked for max_new_tokens = 12 new tokens, you added 13 (off by one?)"),
    ("argmax", "you took the most likely token (argmax)"),
    ("first", "you sampled from the logits of the first position"),
    ("dim0", "softmax over the wrong dimension"),
    ("global", "pass generator=generator to torch.multinomial"),
    ("logits", "raised RuntimeError"),
    ("list", "return the token IDs as a tensor"),
])
def test_bigram_generate_rejects_typical_mistakes(mistake, fragment):
    assert_fails(check_bigram_generate(lambda m, i, n, g=None: good_generate(m, i, n, g, mistake)),
                 fragment)


def test_bigram_generate_names_the_shortcut():
    assert_fails(check_bigram_generate(lambda m, idx, n, g=None: m.generate(idx, n, generator=g)),
                 "you called model.generate, the library's own loop")


# Typical mistakes of estimate_loss: train mode; gradients on; eval mode left on after;
# one batch instead of eval_iters; the sum; the splits swapped; one generator for both
# splits; a list instead of the dict; wrong keys.

def good_estimate(model, train_data, val_data, eval_iters=20, batch_size=32, block_size=8,
                  seed=0, mistake=None):
    out = {}
    if mistake != "train_mode":
        model.eval()
    g = torch.Generator().manual_seed(seed)
    with torch.set_grad_enabled(mistake == "grad"):
        for split, data in (("train", train_data), ("val", val_data)):
            if mistake != "one_generator":
                g = torch.Generator().manual_seed(seed)
            losses = torch.zeros(eval_iters)
            for k in range(1 if mistake == "one_batch" else eval_iters):
                _, loss = model(*get_batch(data, batch_size, block_size, generator=g))
                losses[k] = loss.item()
            out[split] = (losses.sum() if mistake == "sum" else losses.mean()).item()
    if mistake != "no_restore":
        model.train()
    if mistake == "swap":
        out = {"train": out["val"], "val": out["train"]}
    if mistake == "list":
        return [out["train"], out["val"]]
    if mistake == "keys":
        return {"training": out["train"], "validation": out["val"]}
    return out


def test_estimate_loss_solution_passes():
    assert check_estimate_loss(good_estimate).passed
    assert check_estimate_loss(stub).status == "not_attempted"


@pytest.mark.parametrize("mistake,fragment", [
    ("train_mode", "the model was in training mode during the estimate: call model.eval()"),
    ("grad", "gradients were being recorded: decorate the function with @torch.no_grad()"),
    ("no_restore", "the model is still in eval mode afterwards: call model.train()"),
    ("one_batch", "the model ran on 2 batches; an estimate uses eval_iters = 4 batches"),
    ("sum", "you summed the losses; take their mean"),
    ("swap", "the splits are swapped"),
    ("one_generator", "make a new generator for each split"),
    ("list", "return a dict with one mean loss per split"),
    ("keys", "the dict should have the keys 'train' and 'val', got ['training', 'validation']"),
])
def test_estimate_loss_rejects_typical_mistakes(mistake, fragment):
    assert_fails(check_estimate_loss(
        lambda *a: good_estimate(*a, mistake=mistake)), fragment)


def test_estimate_loss_equals_the_library():
    model = BigramLanguageModel(8)
    data = torch.randint(8, (200,), generator=torch.Generator().manual_seed(0))
    assert good_estimate(model, data, data[:100], 3, 4, 5, 1) == estimate_loss(
        model, data, data[:100], 3, 4, 5, 1)


# Typical mistakes of the training loop: no zero_grad (gradients pile up); zero_grad
# between backward and step, no backward or no step (the weights never change); a new
# optimizer every step; SGD; a hard-coded learning rate; the same batch every step; the
# loss tensors kept instead of loss.item(); one step too many; estimates after the step or
# without the final one; only the losses returned.

def good_train(model, train_data, val_data, max_iters=3000, eval_interval=300, lr=1e-2,
               batch_size=32, block_size=8, seed=1337, mistake=None):
    g = torch.Generator().manual_seed(seed)
    make = {"sgd": lambda: torch.optim.SGD(model.parameters(), lr=lr),
            "fixed_lr": lambda: torch.optim.AdamW(model.parameters(), lr=1e-2)}.get(
        mistake, lambda: torch.optim.AdamW(model.parameters(), lr=lr))
    optimizer = make()
    losses, estimates = [], {}
    for step in range(max_iters + (mistake == "one_more")):
        if step % eval_interval == 0 and mistake != "eval_after":
            estimates[step] = estimate_loss(model, train_data, val_data, batch_size=batch_size,
                                            block_size=block_size)
        if mistake == "optimizer_in_loop":
            optimizer = make()
        if mistake == "same_batch":
            g = torch.Generator().manual_seed(seed)
        xb, yb = get_batch(train_data, batch_size, block_size, generator=g)
        _, loss = model(xb, yb)
        if mistake not in ("no_zero_grad", "zero_grad_late"):
            optimizer.zero_grad(set_to_none=True)
        if mistake != "no_backward":
            loss.backward()
        if mistake == "zero_grad_late":
            optimizer.zero_grad(set_to_none=True)
        if mistake != "no_step":
            optimizer.step()
        losses.append(loss if mistake == "tensors" else loss.item())
        if mistake == "eval_after" and (step + 1) % eval_interval == 0:
            estimates[step + 1] = estimate_loss(model, train_data, val_data,
                                                batch_size=batch_size, block_size=block_size)
    if mistake != "no_final":
        estimates[max_iters] = estimate_loss(model, train_data, val_data, batch_size=batch_size,
                                             block_size=block_size)
    return losses if mistake == "losses_only" else (losses, estimates)


def test_training_loop_solution_passes():
    r = check_training_loop(good_train)
    assert r.passed, r
    assert check_training_loop(stub).status == "not_attempted"


@pytest.mark.parametrize("mistake,fragment", [
    ("no_zero_grad", "the gradients add up from step to step"),
    ("zero_grad_late", "the weights did not change"),
    ("no_backward", "the weights did not change"),
    ("no_step", "the weights did not change"),
    ("optimizer_in_loop", "you made a new optimizer in every step"),
    ("sgd", "you used SGD"),
    ("fixed_lr", "you did not use the learning rate `lr` that the function was given"),
    ("same_batch", "every step trains on the same batch"),
    ("tensors", "append loss.item(), a plain number"),
    ("one_more", "for max_iters = 12 there should be 12 losses, one per step, got 13"),
    ("eval_after", "estimates should be taken before the steps 0, 5, 10"),
    ("no_final", "the last estimate is missing"),
    ("losses_only", "return two things, (losses, estimates)"),
])
def test_training_loop_rejects_typical_mistakes(mistake, fragment):
    assert_fails(check_training_loop(lambda *a: good_train(*a, mistake=mistake)), fragment)


def test_the_learners_loop_matches_course_lib_train():
    """What lesson 02 shows: with a constant learning rate, no warmup and no clipping,
    course_lib.train is the lecture's loop; the default AdamW differs from its fused one only
    by float32 rounding."""
    data = torch.randint(11, (400,), generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    start = BigramLanguageModel(11)
    a, b = BigramLanguageModel(11), BigramLanguageModel(11)
    a.load_state_dict(start.state_dict())
    b.load_state_dict(start.state_dict())
    losses, _ = good_train(a, data, data, 40, 20, 0.05, 4, 6, 3)
    history = train(b, data, data, max_iters=40, batch_size=4, block_size=6, lr=0.05,
                    min_lr=None, warmup_iters=0, grad_clip=None, eval_interval=20, eval_iters=2,
                    seed=3, progress=False)
    wa, wb = a.token_embedding_table.weight, b.token_embedding_table.weight
    assert (wa - wb).abs().max() < 1e-5
    assert max(abs(x - y) for x, y in zip(losses, history.train_loss)) < 1e-5


# ----------------------------------------------------------------------------- lesson 03
#
# Typical mistakes of the stable softmax: no max subtracted (overflow); one max for the
# whole tensor; the row's mean or min subtracted (nan for rows with a wide range); the
# wrong dimension; log-probabilities; not normalised; a changed input; torch.softmax
# itself (the exercise is to write it).

def good_softmax(x):
    e = (x - x.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)


def _shifted_softmax(how):
    def softmax(x):
        shift = {"mean": x.mean(dim=-1, keepdim=True),
                 "min": x.min(dim=-1, keepdim=True).values}[how]
        e = (x - shift).exp()
        return e / e.sum(dim=-1, keepdim=True)
    return softmax


def test_stable_softmax_solution_passes():
    assert check_stable_softmax(good_softmax).passed
    assert check_stable_softmax(stub).status == "not_attempted"


def _inplace_softmax(x):
    x -= x.max(dim=-1, keepdim=True).values
    return x.exp() / x.exp().sum(dim=-1, keepdim=True)


@pytest.mark.parametrize("softmax,fragment", [
    (lambda x: x.exp() / x.exp().sum(dim=-1, keepdim=True), "exp(1000) overflows float32"),
    (lambda x: (x - x.max()).exp() / (x - x.max()).exp().sum(dim=-1, keepdim=True),
     "you subtracted one max for the whole tensor"),
    (_shifted_softmax("mean"), "the row [0, 100, 200] gives nan: you subtracted the row's mean"),
    (_shifted_softmax("min"), "the row [0, 100, 200] gives nan: you subtracted the row's min"),
    (lambda x: torch.softmax(x, dim=0), "you normalised over the wrong dimension"),
    (lambda x: torch.log_softmax(x, dim=-1), "you returned log-probabilities"),
    (lambda x: (x - x.max(dim=-1, keepdim=True).values).exp(), "the values are not normalised"),
    (lambda x: good_softmax(x)[..., :-1], "has shape"),
    (lambda x: good_softmax(x).tolist(), "should be a torch.Tensor, got list"),
    (lambda x: good_softmax(x ** 2), "the values differ from softmax"),
    (_inplace_softmax, "changed its input `x` in place"),
    (lambda x: torch.softmax(x, dim=-1), "you called torch.softmax"),
    (lambda x: F.softmax(x, -1), "you called torch.softmax (or F.softmax"),
    (lambda x: torch.log_softmax(x, -1).exp(), "you called torch.softmax (or F.softmax, or log_softmax)"),
])
def test_stable_softmax_rejects_typical_mistakes(softmax, fragment):
    assert_fails(check_stable_softmax(softmax), fragment)


# Typical mistakes of the temperature: multiplying; dividing the probabilities; no effect;
# the wrong dimension; T = 0 giving nan, a ZeroDivisionError, or a clamp; squared rows.

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


# Typical mistakes of cross-entropy: the sign; no mean; the sum; no log; the most likely
# class instead of the target; softmax twice; log(softmax) (-inf for e^-200); the wrong
# dimension; a str; F.cross_entropy itself (the exercise is to write it).

def good_cross_entropy(logits, targets):
    logp = torch.log_softmax(logits, dim=-1)
    return -logp[torch.arange(len(targets)), targets].mean()


def test_cross_entropy_solution_passes():
    assert check_cross_entropy(good_cross_entropy).passed
    assert check_cross_entropy(lambda z, t: float(good_cross_entropy(z, t).detach())).passed
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
    (lambda z, t: -torch.log_softmax(z, 0)[_rows(t), t].mean(), "log_softmax over the wrong dimension"),
    (lambda z, t: str(float(good_cross_entropy(z, t).detach())), "return the loss as a tensor or a number, got a str"),
    (F.cross_entropy, "you called F.cross_entropy (or F.nll_loss)"),
    (lambda z, t: F.nll_loss(F.log_softmax(z, -1), t), "you called F.cross_entropy (or F.nll_loss)"),
])
def test_cross_entropy_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_cross_entropy(fn), fragment)


# ----------------------------------------------------------------------------- lesson 04
#
# Typical mistakes of the averaging matrix: all ones / T (no mask); the upper triangle;
# the diagonal dropped (nan, or zeros); columns normalised; not normalised; dividing by T
# instead of t + 1; integers; the wrong size; the identity.

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
    (lambda T: torch.tril(torch.ones(T, T)), "every row should sum to 1, but row 1 sums to 2.0000"),
    (lambda T: torch.tril(torch.ones(T, T)) / T,
     "you divided every row by T = 4, so only the last row sums to 1 (row 0 sums to 0.2500)"),
    (lambda T: torch.tril(torch.ones(T, T)).long(), "has dtype torch.int64"),
    (lambda T: good_average_weights(T + 1), "has shape"),
    (lambda T: torch.eye(T), "row t should hold 1/(t+1)"),
])
def test_masked_average_weights_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_masked_average_weights(fn), fragment)


# Typical mistakes of the causal weights: no mask; masked with 0; the diagonal masked
# (nan, or zeros with -1e9); no scale, / head_size, * sqrt(head_size); softmax over the
# wrong dimension; the mask after the softmax; the scale after the softmax; k @ q^T; the
# wrong shape; a mask of fixed size.

def _attention(q, k, scale=None, mask=True, diagonal=0, fill=float("-inf"), dim=-1,
               mask_after=False, scale_after=False):
    T, hs = q.shape[-2], q.shape[-1]
    scale = hs ** -0.5 if scale is None else scale
    scores = q @ k.transpose(-2, -1) * (1.0 if scale_after else scale)
    keep = torch.tril(torch.ones(T, T), diagonal=diagonal) == 1
    if mask_after:
        return torch.softmax(scores, dim=dim).masked_fill(~keep, 0.0)
    if mask:
        scores = scores.masked_fill(~keep, fill)
    w = torch.softmax(scores, dim=dim)
    return w * scale if scale_after else w


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
    (lambda q, k: _attention(q, k, mask_after=True), "you masked after the softmax"),
    (lambda q, k: _attention(q, k, scale_after=True), "you scaled the weights after the softmax"),
    (lambda q, k: _attention(k, q), "you computed k @ q^T"),
    (lambda q, k: _attention(q, k)[0], "has shape"),
    (lambda q, k: torch.softmax((q @ k.transpose(-2, -1) * q.shape[-1] ** -0.5).masked_fill(
        torch.tril(torch.ones(8, 8)) == 0, float("-inf")), -1), "Hint: the mask is torch.tril"),
])
def test_causal_attention_weights_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_causal_attention_weights(fn), fragment)


# ----------------------------------------------------------------------------- lesson 05
#
# Typical mistakes of a head's forward pass: no causal mask; the future filled with 0 instead
# of -inf (e^0 = 1 still gives it weight); the mask applied after the softmax; the past
# masked instead of the future (triu); no scale, 1/sqrt(n_embd), sqrt(head_size) or
# 1/head_size; softmax over the wrong dimension; queries and keys swapped; returning the
# weights instead of weights @ v; wei @ x instead of wei @ v; the weights used untransposed.
# Of multi_head: no projection; heads concatenated in reverse order, along the wrong
# dimension, summed or stacked instead of concatenated. Of the parameter count: proj's bias
# or proj forgotten, biases on key/query/value, heads mapping to n_embd, heads reading only
# head_size inputs.

from course_lib.lessons.checks import (  # noqa: E402
    check_head_forward,
    check_mha_parameter_count,
    check_multi_head,
)


def _head(x, Wk, Wq, Wv, scale=None, mask=True, dim=-1, swap=False, values=True,
          fill=float("-inf"), after=False, past=False):
    k, q, v = x @ Wk.T, x @ Wq.T, x @ Wv.T
    if swap:
        q, k = k, q
    wei = q @ k.transpose(-2, -1) * (Wk.shape[0] ** -0.5 if scale is None else scale(x, Wk))
    T = x.shape[1]
    future = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    if past:
        future = torch.tril(torch.ones(T, T, dtype=torch.bool), -1)
    if mask and not after:
        wei = wei.masked_fill(future, fill)
    wei = F.softmax(wei, dim=dim)
    if mask and after:
        wei = wei.masked_fill(future, fill)
    return wei @ v if values else wei


def test_head_forward_solution_passes():
    assert check_head_forward(_head).passed


def test_head_forward_stub_not_attempted():
    assert check_head_forward(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda x, k, q, v: _head(x, k, q, v, mask=False), "Forgot the causal mask?"),
    (lambda x, k, q, v: _head(x, k, q, v, fill=0.0), "you filled the future with 0 before the softmax"),
    (lambda x, k, q, v: _head(x, k, q, v, fill=-1e9), None),
    (lambda x, k, q, v: _head(x, k, q, v, fill=0.0, after=True), "you masked after the softmax"),
    (lambda x, k, q, v: _head(x, k, q, v, after=True), "you masked after the softmax"),
    (lambda x, k, q, v: _head(x, k, q, v, past=True), "you masked the past instead of the future"),
    (lambda x, k, q, v: _head(x, k, q, v, scale=lambda x, W: 1 / W.shape[0]),
     "you divided by head_size"),
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
    if fragment is None:                 # -1e9 instead of -inf: the same weights, accepted
        assert check_head_forward(fn).passed
        return
    assert_fails(check_head_forward(fn), fragment)
    assert "Forgot the causal mask?" not in check_head_forward(fn).message or \
        fragment == "Forgot the causal mask?"


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
#
# Typical mistakes of block_forward: no residual connection (either part or both); post-norm;
# feed-forward before attention; the residual stream normalised; ln1 used twice; both parts
# reading the same x. Of make_feed_forward: a hidden layer not 4 * n_embd wide; no ReLU, or a
# ReLU after the last Linear; no bias; one Linear; the wrong output width; another
# non-linearity; no dropout; a fixed dropout rate that ignores the `dropout` argument. Of
# dropout by hand: the kept values not scaled, or multiplied by 1 - p; zeroing with
# probability 1 - p; dropping in evaluation mode; never dropping; a fixed rate; the input
# changed in place.

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
    (lambda C, p: _ffwd(C, 0.1), "the rate is fixed (your nn.Dropout has p = 0.1) instead of the "
                                 "`dropout` argument"),
    (lambda C, p: _ffwd(C, 1 - p), "not of keeping"),
    (lambda C, p: _ffwd(C, 0.5 if p > 0 else 0.0), "make_feed_forward(n_embd, dropout=0.2) zeroed"),
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
#
# Typical mistakes of layer_norm: the wrong dimension (batch, time, both = BatchNorm, all);
# the unbiased variance; epsilon outside the root, or left out (nan on a constant vector);
# weight, bias or both ignored; mean without keepdim. Of the LayerNorm parameter count: ln_f
# forgotten; one LayerNorm per block; only the weight counted; no ln_f and one per block.

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
#
# Typical mistakes of linear_forward: no transpose (x @ weight); the bias forgotten or
# subtracted; torch.mm on a 3-D input; the wrong shape; a list; F.linear or nn.Linear, which
# the exercise replaces (refused). Of the GPT parameter count: see _parameter_mistakes (12
# named). Of gpt_forward: the position embeddings, ln_f or the blocks forgotten;
# probabilities instead of logits; a tuple; positions up to block_size; the last position
# only; model(idx) itself, which the exercise writes (refused).

from course_lib.lessons.checks import (  # noqa: E402
    check_gpt_forward,
    check_gpt_parameter_count,
    check_linear_forward,
)


def test_linear_forward_solution_passes():
    assert check_linear_forward(lambda x, w, b: x @ w.T + b).passed
    assert check_linear_forward(lambda x, w, b: torch.matmul(x, w.t()) + b).passed
    assert check_linear_forward(lambda x, w, b: (w @ x.unsqueeze(-1)).squeeze(-1) + b).passed


def _with_nn_linear(x, w, b):
    layer = nn.Linear(w.shape[1], w.shape[0])
    with torch.no_grad():
        layer.weight.copy_(w)
        layer.bias.copy_(b)
    return layer(x).detach()


@pytest.mark.parametrize("fn", [F.linear, lambda x, w, b: torch.nn.functional.linear(x, w, b),
                                _with_nn_linear])
def test_linear_forward_refuses_the_shortcut_and_restores_f_linear(fn):
    original = F.linear
    assert_fails(check_linear_forward(fn), "F.linear")
    assert "x @ weight.T + bias" in check_linear_forward(fn).message
    assert F.linear is original


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


@pytest.mark.parametrize("fn", [lambda m, idx: m(idx)[0], lambda m, idx: m.forward(idx)[0],
                                lambda m, idx: m(idx)])
def test_gpt_forward_refuses_the_models_own_forward(fn):
    assert_fails(check_gpt_forward(fn), "you called model(idx), the library's own forward")


def test_gpt_forward_stub_is_not_attempted():
    assert check_gpt_forward(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda m, idx: gpt_forward(m, idx, pos=False), "you forgot the position embeddings"),
    (lambda m, idx: gpt_forward(m, idx, ln_f=False), "you forgot ln_f"),
    (lambda m, idx: gpt_forward(m, idx, blocks=False), "the blocks are missing"),
    (lambda m, idx: gpt_forward(m, idx).softmax(-1), "you returned probabilities"),
    (lambda m, idx: (gpt_forward(m, idx), None), "return only the logits tensor, not a tuple"),
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

#
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


# ============================================================================= lesson 10
# Byte-pair encoding: each check's solution passes, and each typical mistake is named.

from collections import Counter as _Counter  # noqa: E402

from conftest import reference_merge  # noqa: E402

from course_lib.lessons.checks import (check_count_pairs, check_decode_bpe,  # noqa: E402
                                       check_encode_bpe, check_merge, check_train_bpe)


def bpe_count_pairs(ids):
    return dict(_Counter(zip(ids, ids[1:])))


bpe_merge = reference_merge   # the learner's merge, written the obvious way


def bpe_train(text, n_merges, pick=lambda c: min(c, key=lambda p: (-c[p], p)), update=True,
              new_id=lambda i: 256 + i):
    ids = original = list(text.encode("utf-8"))
    merges = []
    for i in range(n_merges):
        counts = bpe_count_pairs(ids)
        pair = pick(counts)
        merges.append(pair)
        ids = bpe_merge(ids if update else original, pair, new_id(i))
    return merges


def bpe_encode(text, merges, start=lambda t: list(t.encode("utf-8")), order=lambda m: m):
    ids = start(text)
    for i, pair in order(list(enumerate(merges))):
        ids = bpe_merge(ids, pair, 256 + i)
    return ids


def bpe_decode(ids, vocab):
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")


def test_lesson10_solutions_pass_and_stubs_are_not_attempted():
    for check, good in [(check_count_pairs, bpe_count_pairs), (check_merge, bpe_merge),
                        (check_train_bpe, bpe_train), (check_encode_bpe, bpe_encode),
                        (check_decode_bpe, bpe_decode)]:
        assert check(good).passed, check(good)
        assert check(stub).status == "not_attempted"


def test_lesson10_train_check_agrees_with_course_lib():
    from course_lib.core.bpe import BPETokenizer
    from course_lib.lessons.checks import _TRAIN_TEXTS
    for text, n in _TRAIN_TEXTS:
        assert bpe_train(text, n) == BPETokenizer.train(text, 256 + n, pattern=None,
                                                        min_count=1).merges


@pytest.mark.parametrize("wrong,message", [
    (lambda ids: list(zip(ids, ids[1:])), "returned a list of pairs"),
    (lambda ids: dict(_Counter(zip(ids, ids[1:] + ids[:1]))), "once too often: the last token and the first"),
    (lambda ids: dict(_Counter(zip(ids[1:], ids))), "gave the pairs reversed"),
    (lambda ids: {p: 1 for p in zip(ids, ids[1:])}, "each pair counted once"),
    (lambda ids: dict(_Counter(zip(ids[::2], ids[1::2]))), "Pairs overlap"),
    (lambda ids: dict(_Counter(zip(ids, ids[1:-1]))), "left out the last pair"),
    (lambda ids: {str(p): n for p, n in _Counter(zip(ids, ids[1:])).items()}, "each key is a pair"),
])
def test_count_pairs_mistakes(wrong, message):
    assert_fails(check_count_pairs(wrong), message)


def _merge_keeps_second(ids, pair, new_id):
    return [new_id if t == pair[0] and i + 1 < len(ids) and ids[i + 1] == pair[1] else t
            for i, t in enumerate(ids)]


def _merge_overlapping(ids, pair, new_id):
    out, merged_before = [], False
    for i, t in enumerate(ids):
        if i + 1 < len(ids) and (t, ids[i + 1]) == pair:   # also when t was just merged
            out.append(new_id)
            merged_before = True
        elif merged_before:
            merged_before = False
        else:
            out.append(t)
    return out


def _merge_drops_last(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _merge_first_only(ids, pair, new_id):
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == pair:
            return ids[:i] + [new_id] + ids[i + 2:]
    return list(ids)


def _merge_in_place(ids, pair, new_id):
    ids[:] = bpe_merge(ids, pair, new_id)
    return ids


@pytest.mark.parametrize("wrong,message", [
    (_merge_keeps_second, "kept the second"),
    (_merge_overlapping, "a token was used by two merges"),
    (_merge_drops_last, "you dropped the last token"),
    (_merge_first_only, "merged only the first occurrence"),
    (lambda ids, pair, new_id: bpe_merge(ids, pair[::-1], new_id), "the pair reversed"),
    (_merge_in_place, "changed its input `ids` in place"),
    (lambda ids, pair, new_id: "".join(map(str, bpe_merge(ids, pair, new_id))), "returned a string"),
])
def test_merge_mistakes(wrong, message):
    assert_fails(check_merge(wrong), message)


@pytest.mark.parametrize("wrong,message", [
    (lambda t, n: bpe_train(t, n, pick=lambda c: min(c, key=lambda p: (c[p], p))),
     "least frequent"),
    (lambda t, n: bpe_train(t, n, update=False), "come from the original text"),
    (lambda t, n: bpe_train(t, n, new_id=lambda i: 255 + i), "first merge makes token 255"),
    (lambda t, n: bpe_train(t, n, new_id=lambda i: 256), "every merge makes token 256"),
    (lambda t, n: bpe_train(t, n, pick=lambda c: max(c, key=c.get)), "on a tie"),
    (lambda t, n: bpe_train(t, n - 1), "gave 2 merges; asked for 3"),
    (lambda t, n: [list(m) + [0] for m in bpe_train(t, n)], "each merge is a pair"),
    (lambda t, n: {m: 1 for m in bpe_train(t, n)}, "return the list of merged pairs"),
])
def test_train_bpe_mistakes(wrong, message):
    assert_fails(check_train_bpe(wrong), message)


@pytest.mark.parametrize("wrong,message", [
    (lambda t, m: [ord(c) for c in t], "you used ord(c)"),
    (lambda t, m: list(t.encode("utf-8")), "without merging"),
    (lambda t, m: bpe_encode(t, m, start=lambda s: [ord(c) for c in s]), "started from ord(c)"),
    (lambda t, m: bpe_encode(t, m, order=lambda pairs: pairs[::-1]), "from the last to the first"),
])
def test_encode_bpe_mistakes(wrong, message):
    assert_fails(check_encode_bpe(wrong), message)


@pytest.mark.parametrize("wrong,message", [
    (lambda ids, v: "".join(v[i].decode("utf-8") for i in ids), "decoded each token on its own"),
    (lambda ids, v: "".join(v[i].decode("utf-8", errors="replace") for i in ids),
     "became two U+FFFD"),
    (lambda ids, v: b"".join(v[i] for i in ids).decode("utf-8"), "errors='replace'"),
    (lambda ids, v: b"".join(v[i] for i in ids), "returned bytes"),
    (lambda ids, v: [v[i].decode("utf-8", errors="replace") for i in ids], "returned a list"),
    (lambda ids, v: " ".join(v[i].decode("utf-8", errors="replace") for i in ids),
     "joined the tokens with a separator"),
])
def test_decode_bpe_mistakes(wrong, message):
    assert_fails(check_decode_bpe(wrong), message)


# ----------------------------------------------------------------------------- lesson 11
#
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
