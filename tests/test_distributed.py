"""Data-parallel training with torchrun: 2 processes on the CPU (gloo, 127.0.0.1)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, TINY_TEXT
from course_lib import load_checkpoint
from course_lib.core.training import load_history

TORCHRUN = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))


def torchrun(*args, nproc=2, timeout=240):
    env = dict(os.environ, OMP_NUM_THREADS="1", MASTER_ADDR="127.0.0.1")
    if sys.platform.startswith("linux"):
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")   # keep gloo on the loopback interface
    cmd = [TORCHRUN, "--standalone", f"--nproc_per_node={nproc}", "-m", "course_lib.train", *args]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=timeout)


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ddp")
    corpus = tmp / "tiny.txt"
    corpus.write_text(TINY_TEXT * 5)
    r = torchrun("--corpus", str(corpus), "--out", str(tmp / "ck"), "--history",
                 str(tmp / "history.json"), "--n-layer", "1", "--n-head", "2", "--n-embd", "16",
                 "--block-size", "16", "--batch-size", "8", "--max-iters", "25",
                 "--eval-interval", "10", "--eval-iters", "2", "--warmup-iters", "0",
                 "--no-progress", "--device", "cpu")
    return r, tmp


def test_two_processes_finish_with_identical_parameters(ddp_run):
    r, _ = ddp_run
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 processes" in r.stdout
    assert "parameters identical on all 2 processes: True" in r.stdout
    assert r.stdout.count("checkpoint saved to") == 1          # only rank 0 saves and logs


def test_checkpoint_of_a_ddp_run_loads_in_one_process(ddp_run):
    _, tmp = ddp_run
    model, tok = load_checkpoint(tmp / "ck")
    meta = json.loads((tmp / "ck" / "config.json").read_text())
    assert meta["extra"]["processes"] == 2
    assert model.cfg.n_embd == 16 and tok.vocab_size == model.cfg.vocab_size
    assert not any(k.startswith("module.") for k in model.state_dict())


def test_history_has_the_shape_of_a_single_process_run(ddp_run):
    _, tmp = ddp_run
    h = load_history(tmp / "history.json")
    assert h.steps == list(range(1, 26))
    assert h.eval_steps == [0, 10, 20, 25]
    assert h.tokens == 25 * 8 * 16 * 2                          # global batch: both processes
