"""The grader's data channel (course_lib/lessons/remote.py): what crosses, and every check
through it.

The slow test runs all of tests/test_checks_l*.py with each learner function routed through
the channel (tests/grade_remote_plugin.py): every check's verdicts must be the same as in
the kernel, except the ones the README names: the shortcuts that a check sees in the
autograd graph or by patching torch (calling the library's reference implementation).
The five checks that hand the learner a stand-in model (lesson 02's forward, generate,
estimate_loss and training loop, lesson 08's GPT forward) are tested here too, with the
lessons' own solutions, and graded in real kernels by the slow test at the end.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import REPO
from course_lib import GPTConfig, estimate_loss, get_batch, load_corpus
from course_lib.core.model import Block, MultiHeadAttention
from course_lib.lessons import checks, remote
from course_lib.lessons.checks.l02_bigram import CheckBigram

from checks_support import stub
from test_checks_l02_bigram import good_estimate, good_forward, good_generate, good_train
from test_checks_l08_full_gpt import gpt_forward

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
                  if not any(name in line for name in REFERENCE_SHORTCUTS)]
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


# ============================================================================= stand-in models

LESSON_02, LESSON_08 = REPO / "notebooks" / "02_bigram.ipynb", REPO / "notebooks" / "08_full_gpt.ipynb"
STAND_IN_EXERCISES = {   # check -> (notebook, the learner's function in the exercise cell)
    "check_bigram_forward": (LESSON_02, "my_forward"),
    "check_bigram_generate": (LESSON_02, "my_generate"),
    "check_estimate_loss": (LESSON_02, "my_estimate_loss"),
    "check_training_loop": (LESSON_02, "my_train"),
    "check_gpt_forward": (LESSON_08, "my_gpt_forward"),
}


def solution_cells(path) -> dict[str, str]:
    """check name -> the source of the lesson's solution cell for it."""
    nb = nbformat.read(path, as_version=4)
    return {name: c.source for c in nb.cells if "solution" in c.metadata.get("tags", [])
            for name in STAND_IN_EXERCISES if f"{name}(solution_" in c.source}


def lesson_solution(check: str):
    """The lesson's own solution function for `check`, defined from its notebook cell."""
    source = solution_cells(STAND_IN_EXERCISES[check][0])[check]
    scope = {"torch": torch, "F": F, "get_batch": get_batch, "estimate_loss": estimate_loss,
             check: lambda fn: fn}
    exec(source, scope)
    return next(v for k, v in scope.items() if k.startswith("solution_"))


# what each check is given: the lesson's solution, then wrong answers whose message needs
# what the stand-in refused, recorded or was left in (its mode, its weights) after the call
STAND_IN_CASES = {
    "check_bigram_forward": [lambda m, i, t=None: good_forward(m, i, t, mistake="sum"),
                             lambda m, idx, targets=None: m(idx, targets)],        # refused
    "check_bigram_generate": [lambda m, i, n, g=None: good_generate(m, i, n, g, "global"),
                              lambda m, idx, n, g=None: m.generate(idx, n, generator=g)],
    "check_estimate_loss": [lambda *a: good_estimate(*a, mistake="train_mode"),   # its calls
                            lambda *a: good_estimate(*a, mistake="grad"),
                            lambda *a: good_estimate(*a, mistake="no_restore"),   # its mode
                            lambda *a: good_estimate(*a, mistake="one_batch")],
    "check_training_loop": [lambda *a: good_train(*a, mistake="no_step"),         # its weights
                            lambda *a: good_train(*a, mistake="sgd")],
    "check_gpt_forward": [lambda m, idx: gpt_forward(m, idx, ln_f=False),
                          lambda m, idx: m(idx)[0]],                               # refused
}


@pytest.mark.parametrize("name", STAND_IN_EXERCISES)
def test_a_stand_in_model_crosses_and_the_verdicts_are_the_notebooks(name):
    check = getattr(checks, name)
    solved = remote_check(check, lesson_solution(name))
    assert solved.status == "passed", solved
    for wrong in STAND_IN_CASES[name]:
        here, there = check(wrong), remote_check(check, wrong)
        assert here.status == "failed", here
        assert (there.status, there.message) == (here.status, here.message)
    assert remote_check(check, stub).status == "not_attempted"


def test_what_the_kernel_leaves_in_a_model_is_all_that_comes_back():
    """The grader's model takes the state the function left in the kernel's copy: its
    weights, its mode, what its stand-in recorded; nothing else crosses."""
    model = CheckBigram(5)
    model.refuse, model.record, model.calls = None, True, []
    before = model.token_embedding_table.weight.detach().clone()

    def trains_a_little(m):
        m.eval()
        m(torch.tensor([[1, 2]]))
        with torch.no_grad():
            m.token_embedding_table.weight += 1
        return 0

    remote.HANDLES["h"] = trains_a_little
    fn = remote.RemoteFunction("h", "trains_a_little", lambda h, r, w: remote.serve(h, r))
    assert fn.run((model,), 10.0, 1 << 30, 1000, modifies=(0,)).value == 0
    assert torch.equal(model.token_embedding_table.weight.detach(), before + 1)
    assert model.training is False and model.calls == [(False, True)]
    # an argument the function may not change stays the grader's own
    other = CheckBigram(5)
    other.calls = []
    fn.run((other,), 10.0, 1 << 30, 1000, modifies=())
    assert other.training and other.calls == []


def test_a_forged_model_state_is_only_a_state_to_judge():
    """A kernel that answers with another class, or a model the learner's class replaced,
    earns no verdict: the check judges values, or the grader says it cannot verify."""
    model = CheckBigram(5)
    model.calls = []
    other = remote.encode(torch.nn.Linear(2, 2))
    forged = remote.RemoteFunction("h", "f", lambda *a: json.dumps(
        {"stopped": None, "modified": [], "value": 1, "after": [[0, other]]}))
    with pytest.raises(remote.Unverifiable):
        forged.run((model,), 1.0, 1 << 30, 10, modifies=(0,))
    sneaky = remote.RemoteFunction("h", "f", lambda *a: json.dumps(
        {"stopped": None, "modified": [], "value": 1, "after": [[1, other]]}))
    with pytest.raises(checks.Mistake, match="could not read what your kernel answered"):
        sneaky.run((model, 2), 1.0, 1 << 30, 10, modifies=(0,))

    class Mine(torch.nn.Module):
        def forward(self, x):
            return x

    def swaps_in_its_own_class(m, *rest):
        m.token_embedding_table = Mine()
        return {"train": 1.0, "val": 1.0}
    with pytest.raises(remote.Unverifiable, match="cannot read back"):
        remote_check(checks.check_estimate_loss, swaps_in_its_own_class)


def test_the_call_runs_with_the_graders_random_state_and_grad_mode():
    def draws(x):
        return torch.rand(3), torch.is_grad_enabled(), torch.randn(2, requires_grad=True) * 2
    remote.HANDLES["h"] = draws
    fn = remote.RemoteFunction("h", "draws", lambda h, r, w: remote.serve(h, r))
    torch.manual_seed(5)
    want = torch.rand(3)
    torch.manual_seed(5)
    with torch.no_grad():
        got, grad, _ = fn.run((0,), 10.0, 1 << 30, 1000, ()).value
    assert torch.equal(got, want) and grad is False
    _, grad, made = fn.run((0,), 10.0, 1 << 30, 1000, ()).value
    assert grad is True and made.grad_fn is not None       # computed: not a leaf
    g = torch.Generator().manual_seed(3)
    assert torch.equal(remote.loads(remote.dumps(g)).get_state(), g.get_state())


def learner_notebook(path, answers: dict[str, str]):
    """A learner's copy of a lesson: the exercise cell of each check in `answers` holds the
    given source instead of the stub."""
    nb = nbformat.read(path, as_version=4)
    for check, source in answers.items():
        stub_name = STAND_IN_EXERCISES[check][1]
        cell = next(c for c in nb.cells if c.cell_type == "code" and f"def {stub_name}(" in c.source
                    and "solution" not in c.metadata.get("tags", []))
        cell.source = source
    return nb


def as_answer(check: str, source: str | None = None) -> str:
    """The lesson's solution cell, written as the learner's exercise cell."""
    source = source or solution_cells(STAND_IN_EXERCISES[check][0])[check]
    return source.replace("solution_", "my_")


@pytest.mark.slow
def test_a_class_with_stand_in_exercises_is_graded_in_real_kernels(tmp_path):
    """Lessons 02 and 08 graded by `python -m course_lib.grade`: the lessons' solutions are
    solved, a wrong answer gets the notebook's message, an untouched stub is not attempted
    (the other wrong answers: test_a_stand_in_model_crosses_and_the_verdicts_are_the_notebooks)."""
    from course_lib.commands import grade as g
    subs = tmp_path / "subs"

    def hand_in(learner, lesson, answers):
        (subs / learner).mkdir(parents=True, exist_ok=True)
        nbformat.write(learner_notebook(lesson, answers), subs / learner / lesson.name)

    hand_in("ana", LESSON_02, {c: as_answer(c) for c, (nb, _) in STAND_IN_EXERCISES.items()
                               if nb == LESSON_02})
    hand_in("ana", LESSON_08, {"check_gpt_forward": as_answer("check_gpt_forward")})
    no_restore = as_answer("check_estimate_loss").replace("    model.train()\n", "")
    assert no_restore != as_answer("check_estimate_loss")
    hand_in("bo", LESSON_02, {"check_estimate_loss": no_restore})
    out_csv = tmp_path / "grades.csv"
    assert g.main([str(subs), "--jobs", "2", "--csv", str(out_csv)]) == 0
    with open(out_csv, encoding="utf-8", newline="") as f:
        rows = {(r["learner"], r["exercise"]): (r["verdict"], r["message"])
                for r in csv.DictReader(f)}

    def verdict(learner, check):
        return next(v for (who, ex), v in rows.items() if who == learner and check in ex)

    for check in STAND_IN_EXERCISES:
        assert verdict("ana", check)[0] == "solved", (check, verdict("ana", check))
    scope = {"torch": torch, "F": F, "get_batch": get_batch, "check_estimate_loss": lambda f: f}
    exec(no_restore, scope)
    assert verdict("bo", "check_estimate_loss") == (
        "wrong", checks.check_estimate_loss(scope["my_estimate_loss"]).message)
    for check in ("check_bigram_forward", "check_bigram_generate", "check_training_loop"):
        assert verdict("bo", check)[0] == "not_attempted", (check, verdict("bo", check))


def test_a_forged_state_is_no_stronger_than_a_function_that_sets_it():
    """What a patched kernel can send back, a learner's function can set in the notebook:
    a function that calls the library's estimate and then writes the record the check reads
    gets the same verdict in both places (the README names calling the library's own code)."""
    def writes_the_record(model, train_data, val_data, *args):
        out = estimate_loss(model, train_data, val_data, *args)
        model.calls = [(False, False)] * (2 * args[0])
        return out
    here = checks.check_estimate_loss(writes_the_record)
    there = remote_check(checks.check_estimate_loss, writes_the_record)
    assert (there.status, there.message) == (here.status, here.message)
