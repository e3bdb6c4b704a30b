"""The notebooks that train give their stored outputs on other CPUs too.

A training run's last digits depend on the CPU: which vector kernels PyTorch picks (AVX-512,
AVX2 or none), how many threads split a sum, and which library computes a Linear layer.
The notebooks are built on one machine, and a learner runs them on another; so every
stored output of a lesson that trains must be one that any CPU reproduces. Here nbval runs
those lessons again under settings that make this machine compute like other CPUs:

- AVX2 kernels (an AMD or an older Intel laptop), one thread;
- no vector kernels at all (stands for a CPU whose kernels we do not have, such as an
  Apple Silicon laptop), four threads;
- every Linear layer through oneDNN, the library the Linear autotuner picks on AMD
  (COURSE_LINEAR_BACKEND=onednn; conftest.py leaves a value set here as it is).

Each setting runs in its own pytest process, because PyTorch reads these variables once,
when it starts. Run only this test with `pytest -m portability` (about 8 minutes on two
cores); it fails with nbval's report of the cells whose output changed.
"""

import os
import subprocess
import sys

import pytest

from conftest import REPO

pytestmark = [pytest.mark.portability, pytest.mark.slow]

AVX2 = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2"}

# setting -> (the environment it adds, the notebooks it runs). Every training lesson runs
# under at least one setting; lessons 08 and 11, whose runs are the longest and so the most
# sensitive to rounding, run under all three. Lesson 09's demo starts its processes with one
# thread each, so the thread count of a setting does not reach it.
SETTINGS = {
    "avx2-1-thread": ({**AVX2, "OMP_NUM_THREADS": "1"},
                      ["02_bigram", "08_full_gpt", "09_scaling_up", "11_your_own_gpt"]),
    "no-vector-kernels-4-threads": ({"ATEN_CPU_CAPABILITY": "default", "OMP_NUM_THREADS": "4"},
                                    ["02_bigram", "08_full_gpt", "11_your_own_gpt"]),
    "onednn-linear": ({"COURSE_LINEAR_BACKEND": "onednn"},
                      ["08_full_gpt", "09_scaling_up", "11_your_own_gpt"]),
}


def nbval(notebooks: list[str], env: dict) -> subprocess.CompletedProcess:
    """Run nbval (with the options of pyproject.toml) on `notebooks` under `env`."""
    paths = [str(REPO / "notebooks" / f"{name}.ipynb") for name in notebooks]
    full_env = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    # a long cell limit: a cell that times out is not a pass. nbval counts it as one, and
    # marks every later cell "expected to fail" (xfail), so the test also rejects those
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "--nbval-cell-timeout=1800",
                           *paths], cwd=REPO, env=full_env, capture_output=True, text=True)


@pytest.mark.timeout(2400)
@pytest.mark.parametrize("setting", SETTINGS)
def test_training_notebooks_give_their_stored_outputs(setting):
    env, notebooks = SETTINGS[setting]
    for name in notebooks:
        assert (REPO / "notebooks" / f"{name}.ipynb").exists(), f"no notebook {name}"
    r = nbval(notebooks, env)
    assert r.returncode == 0, (f"under {setting} ({env}) nbval found outputs that differ from "
                               f"the stored ones:\n{r.stdout[-6000:]}\n{r.stderr[-2000:]}")
    assert "passed" in r.stdout
    assert "xfail" not in r.stdout and "xpass" not in r.stdout and "timed out" not in r.stdout, \
        f"under {setting} a cell timed out, so the cells after it were not checked:\n{r.stdout[-3000:]}"
