"""The check framework (course_lib/lessons/checks/framework.py): the sandbox that every
check runs learner code in (time and memory limits, generators read with a cap, copies of
the inputs, sys.exit, capped printing), tried with checks from several lessons."""

import inspect
import signal
import sys
import threading
import time

import pytest
import torch
import torch.nn.functional as F

from course_lib.lessons import checks
from course_lib.lessons.checks import (CheckResult, check_bigram_counts,
                                       check_context_target_pairs, check_cosine_similarity,
                                       check_cross_entropy, check_encode_decode,
                                       check_masked_average_weights, check_most_similar,
                                       framework)

from checks_support import assert_fails, stub


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
    monkeypatch.setattr(framework, "MEMORY_LIMIT", 150 << 20)
    monkeypatch.setattr(framework, "TIME_LIMIT_S", 60.0)     # the memory limit must come first

    def greedy(T):
        pieces = []
        while True:
            pieces.append(b"x" * 2**20)              # 1 MB more every time, touched
    r = check_masked_average_weights(greedy)
    assert_fails(r, "your function used more than 150 MB of memory and was stopped")


def test_a_result_far_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(framework, "MAX_RESULT_BYTES", 1 << 20)
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
        "from course_lib.lessons import checks\nchecks.framework.TIME_LIMIT_S = 0.5\n"
        "def make_pairs(chunk):\n    while True:\n        pass\n"
        "r = checks.check_context_target_pairs(make_pairs)\nprint(r)",
        "import time; time.sleep(1); print('still alive', r.status)",
    )]
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    out = [o["text"] for c in nb.cells for o in c["outputs"] if o.get("name") == "stdout"]
    assert out[0].startswith("⌛ check_context_target_pairs: your function ran for more than 0.5 s")
    assert out[1].strip() == "still alive timed_out"
