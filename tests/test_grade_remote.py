"""The grader's data channel (course_lib/lessons/remote.py): what crosses, and every check
through it.

The slow test runs all of tests/test_checks_l*.py with each learner function routed through
the channel (tests/grade_remote_plugin.py): every check's verdicts must be the same as in
the kernel, except the ones the README names: the checks that hand the learner a stand-in
model (cannot cross as data: ❔ unverified), and the shortcuts that a check sees in the
autograd graph or by patching torch (calling the library's reference implementation).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import REPO
from course_lib import GPTConfig, load_corpus
from course_lib.core.model import Block, MultiHeadAttention
from course_lib.lessons import checks, remote

STAND_IN_CHECKS = ("bigram_forward", "bigram_generate", "estimate_loss", "training_loop",
                   "gpt_forward")
# the notebook names these shortcuts; through the grader the value crosses without its graph
# or its identity, so the verdict is still not "solved" but its message differs (README)
REFERENCE_SHORTCUTS = ("you looked the rows up directly", "you called torch.softmax",
                       "you called F.cross_entropy", "f_linear[linear]",
                       "test_rms_norm_other_failures")     # F.rms_norm handed in itself


@pytest.mark.parametrize("value", [
    None, True, 3, -2**70, 0.5, float("inf"), "héllo", b"\x00\xff", [1, [2, "x"]], (1, (2,)),
    {"a": 1, 2: (3,)}, np.array([[1, 2]], dtype=np.int32), np.int64(4), np.float64(0.25),
    GPTConfig(vocab_size=11, block_size=8, n_embd=16, n_head=2, n_layer=1),
])
def test_data_crosses_unchanged(value):
    back = remote.loads(remote.dumps(value))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and (back == value).all()
    else:
        assert back == value


@pytest.mark.parametrize("tensor", [torch.randn(3, 4), torch.tensor(1.5),
                                    torch.arange(6).reshape(2, 3), torch.zeros(0, 5),
                                    torch.tensor([True, False]), torch.randn(2, 2).half()])
def test_tensors_cross_with_dtype_shape_and_values(tensor):
    back = remote.loads(remote.dumps(tensor))
    assert back.dtype == tensor.dtype and back.shape == tensor.shape
    assert torch.equal(back, tensor)


def test_the_course_tokenizer_and_modules_cross_and_compute_the_same():
    tok = load_corpus().tokenizer
    assert remote.loads(remote.dumps(tok)).encode("To be") == tok.encode("To be")
    torch.manual_seed(0)
    x = torch.randn(2, 5, 16)
    for module in (MultiHeadAttention(16, 4, block_size=8).eval(),
                   Block(16, n_head=4, block_size=8).eval(),
                   torch.nn.Sequential(torch.nn.Linear(16, 4), torch.nn.ReLU())):
        back = remote.loads(remote.dumps(module))
        assert type(back) is type(module)
        torch.testing.assert_close(back(x), module(x))


def test_what_cannot_cross_is_refused_not_trusted():
    class Mine(torch.nn.Module):          # a learner's own class: its code would run here
        pass
    for value in (object(), Mine(), lambda x: x, {1, 2}):
        with pytest.raises(remote.Unencodable):
            remote.dumps(value)
    for forged in ('{"module": {"class": "os.system", "attrs": {"dict": []}}}',
                   '{"dataclass": ["Popen", {"dict": []}]}', '{"pickle": "gASVAA=="}',
                   '{"tensor": {"dtype": "float32", "shape": [1000000], "data": ""}}'):
        with pytest.raises(ValueError):
            remote.loads(forged)


def remote_check(check, fn):
    remote.HANDLES["h"] = fn
    return check(remote.RemoteFunction("h", fn.__name__,
                                       lambda handle, request, wait: remote.serve(handle,
                                                                                  request)))


def test_a_kernel_reply_is_only_a_value_for_the_check():
    def wrong(x):
        return x                                        # not a softmax
    assert remote_check(checks.check_stable_softmax, wrong).status == "failed"
    forged = remote.RemoteFunction("h", "f", lambda *a: json.dumps(
        {"stopped": None, "modified": [], "value": "passed"}))
    assert checks.check_stable_softmax(forged).status == "failed"
    garbage = remote.RemoteFunction("h", "f", lambda *a: "1")
    r = checks.check_stable_softmax(garbage)
    assert r.status == "failed" and "could not read what your kernel answered" in r.message
    silent = remote.RemoteFunction("h", "f", lambda *a: None)     # no answer in time
    assert checks.check_stable_softmax(silent).status == "timed_out"


@pytest.mark.slow
def test_every_check_gives_the_same_verdicts_through_the_channel():
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "grade_remote_plugin", "-p",
         "no:cacheprovider", "-rf",
         *sorted(str(p.relative_to(REPO)) for p in (REPO / "tests").glob("test_checks_l*.py"))],
        cwd=REPO, capture_output=True, text=True, timeout=1800,
        env={**__import__("os").environ, "PYTHONPATH": f"{REPO}:{REPO / 'tests'}"})
    failed = [line for line in out.stdout.splitlines() if line.startswith("FAILED")]
    unexpected = [line for line in failed
                  if not any(name in line for name in STAND_IN_CHECKS + REFERENCE_SHORTCUTS)]
    assert not unexpected, "\n".join(unexpected)
    assert " passed" in out.stdout.splitlines()[-1]


def test_a_stub_with_some_todos_filled_in_is_still_a_stub():
    """Lesson 02's training-loop stub has code before its raise: where a check cannot cross,
    the grader still tells an untouched (or half-filled) stub from an answer."""
    from course_lib.lessons import remote

    def untouched(x):
        raise NotImplementedError

    def half_filled(model, n=3):
        losses = []
        for _ in range(n):
            raise NotImplementedError
        return losses

    def answer(x):
        return x + 1

    for fn, want in ((untouched, "true"), (half_filled, "true"), (answer, "false")):
        remote.HANDLES["stub-test"] = fn
        assert remote.is_stub("stub-test") == want, fn.__name__
    remote.HANDLES.pop("stub-test")
