"""Lesson 09's torchrun demos: a failed run is one line that names the rank and the cause."""

import re
from pathlib import Path

import pytest

from conftest import REPO
from course_lib.lessons.ddp_demo import failure_summary, run_torchrun, torchrun_env

# the end of torchrun's report when rank 0 aborted and rank 1 then lost its connection
# (recorded from torch 2.13 on this machine, shortened)
ABORTED = """\
[rank1]: Traceback (most recent call last):
[rank1]:   File "/tmp/abort.py", line 5, in <module>
[rank1]: RuntimeError: [gloo/transport/tcp/pair.cc:537] Read error [127.0.0.1]:46823: Connection reset by peer.
torch.distributed.elastic.multiprocessing.errors.ChildFailedError:
=======================================================
/tmp/abort.py FAILED
-------------------------------------------------------
Failures:
[1]:
  rank      : 1 (local_rank: 1)
  exitcode  : -15 (pid: 25563)  (SIGTERM)
  traceback : Signal 15 (SIGTERM) received by PID 25563
-------------------------------------------------------
Root Cause (first observed failure):
[0]:
  rank      : 0 (local_rank: 0)
  exitcode  : -6 (pid: 25562)  (SIGABRT)
  traceback : Signal 6 (SIGABRT) received by PID 25562
=======================================================
"""


def test_summary_names_the_first_failed_rank_and_its_signal_not_the_rank_that_followed():
    line = failure_summary(1, ABORTED)
    assert line.startswith("the torchrun demo failed: rank 0 was killed by signal 6 (SIGABRT)")
    assert "Connection reset" not in line            # rank 1's error only follows rank 0's
    assert "\n" not in line


def test_summary_gives_the_error_of_a_rank_that_raised():
    stderr = ABORTED.replace("[rank1]", "[rank0]").replace(
        "exitcode  : -6 (pid: 25562)  (SIGABRT)", "exitcode  : 1 (pid: 25562)").replace(
        "Signal 6 (SIGABRT) received by PID 25562", "<N/A>")
    line = failure_summary(1, stderr)
    assert "rank 0 ended with exit status 1 (RuntimeError: " in line
    assert "Connection reset by peer" in line


def test_summary_quotes_a_cpp_terminate_line():
    line = failure_summary(1, "terminate called without an active exception\n" + ABORTED)
    assert "(terminate called without an active exception)" in line


def test_summary_without_a_torchrun_report():
    assert failure_summary(-9, "") == ("the torchrun demo failed: a process was killed by "
                                       "signal 9 (SIGKILL); run the cell again")


def test_demo_env_is_one_thread_per_process_on_the_loopback_interface():
    env = torchrun_env({"OMP_NUM_THREADS": "8", "PATH": "/bin"})
    assert env["OMP_NUM_THREADS"] == "1" and env["MASTER_ADDR"] == "127.0.0.1"
    assert env["PATH"] == "/bin"


def lesson_09_broadcast_demo() -> str:
    src = (REPO / "notebooks" / "src" / "09_scaling_up.py").read_text(encoding="utf-8")
    return re.search(r'broadcast_demo = """\n(.*?)"""', src, re.S).group(1)


@pytest.mark.distributed
def test_a_rank_that_aborts_gives_one_line_and_no_exception(tmp_path):
    script = tmp_path / "abort.py"
    script.write_text("import os, torch.distributed as dist\ndist.init_process_group('gloo')\n"
                      "if dist.get_rank() == 0:\n    os.abort()\ndist.barrier()\n")
    r = run_torchrun([str(script)], timeout=240)
    assert not r.ok
    assert r.summary.startswith("the torchrun demo failed: rank 0 was killed by signal 6 "
                                "(SIGABRT)"), r.summary


@pytest.mark.distributed
def test_lesson_09_broadcast_demo_runs_and_shows_the_broadcast(tmp_path):
    script = Path(tmp_path / "broadcast.py")
    script.write_text(lesson_09_broadcast_demo(), encoding="utf-8")
    r = run_torchrun([str(script)], timeout=240)
    assert r.ok, r.summary + "\n" + r.stderr[-3000:]
    assert r.stdout.splitlines() == [
        "before DDP, the 2 processes hold the same weights: False",
        "after DDP, the 2 processes hold the same weights:  True",
        "after DDP, those are rank 0's weights: True"]
