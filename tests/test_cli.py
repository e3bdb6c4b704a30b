"""The two commands, run as a learner runs them: in a subprocess, reading their output."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow     # each test starts Python processes (a few seconds each)


def run(*args, timeout=300):
    # tiny models: one thread is as fast, and spares a machine shared with other work
    env = dict(os.environ, OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True,
                          cwd=REPO, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "ck"
    corpus = tmp_path_factory.getbasetemp() / "tiny.txt"
    from conftest import TINY_TEXT
    corpus.write_text(TINY_TEXT * 5)
    r = run("course_lib.train", "--corpus", str(corpus), "--out", str(out), "--n-layer", "1",
            "--n-head", "2", "--n-embd", "16", "--block-size", "16", "--batch-size", "8",
            "--max-iters", "60", "--eval-iters", "2", "--warmup-iters", "5")
    return r, out


def test_train_command_trains_and_saves(trained):
    r, out = trained
    assert r.returncode == 0, r.stderr
    assert "parameters" in r.stdout and "checkpoint saved to" in r.stdout
    assert "step" in r.stderr                                   # the progress bar
    meta = json.loads((out / "config.json").read_text())
    assert meta["extra"]["val_loss"] < 3.0                      # ln(vocab_size) is about 3.3
    assert "val loss" in r.stdout


def test_generate_command_prints_text(trained):
    _, out = trained
    r = run("course_lib.generate", "--checkpoint", str(out), "--prompt", "All:", "--max-new-tokens",
            "40", "--seed", "1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("All:") and len(r.stdout) == len("All:") + 40 + 1
    again = run("course_lib.generate", "--checkpoint", str(out), "--prompt", "All:",
                "--max-new-tokens", "40", "--seed", "1")
    assert again.stdout == r.stdout                             # same seed, same text


@pytest.mark.parametrize("args,message", [
    (["course_lib.train", "--out", "x", "--n-embd", "100", "--n-head", "3"],
     "n_embd=100 is not divisible by n_head=3"),
    (["course_lib.generate", "--checkpoint", "x", "--temperature", "0"],
     "argument --temperature: expected a finite number > 0, got 0"),
])
def test_commands_answer_nonsense_with_one_line(args, message):
    r = run(*args, timeout=60)
    assert r.returncode == 2
    assert message in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_generate_refuses_unknown_prompt_characters_and_bad_top_k(trained):
    _, out = trained
    r = run("course_lib.generate", "--checkpoint", str(out), "--prompt", "Zebra")
    assert r.returncode == 2 and "character 'Z' (U+005A) at position 0" in r.stderr
    r = run("course_lib.generate", "--checkpoint", str(out), "--top-k", "999")
    assert r.returncode == 2 and "top_k must be between 1 and the vocabulary size" in r.stderr
    r = run("course_lib.generate", "--checkpoint", str(out), "--prompt", "")
    assert r.returncode == 2 and "the prompt is empty" in r.stderr
