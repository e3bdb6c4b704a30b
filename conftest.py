"""Settings for every test, notebooks included (pytest reads this file first).

The model's Linear layers pick their matrix library by timing each new shape (see
course_lib/core/layers.py). Timings wander on a busy machine, and two libraries round the
last bits differently, so under pytest the layers use PyTorch's own F.linear: the notebooks
then give their stored outputs on every run. tests/test_layers.py tests every backend and
the automatic choice.
"""

import os

import pytest

os.environ.setdefault("COURSE_LINEAR_BACKEND", "aten")


# Markers for tests that cannot carry them in their own file. Every notebook that nbval
# runs is `slow`; the torchrun test is `distributed` (tests/test_browser.py marks itself
# `browser`). `pytest -m "not slow and not browser and not distributed"` is the fast
# subset (README, Testing).
MARKED_FILES = {"test_distributed.py": "distributed"}
SLOW_TESTS = {   # file::function, each measured above 2 s on a busy 2-core machine
    "test_checks_framework.py::test_a_check_in_a_real_kernel_stops_a_loop_and_the_kernel_lives_on",
    "test_lesson_08.py::test_train_sweep_size_is_reproducible",
    "test_lesson_08.py::test_n_embd_explorer_slider_and_button",
}


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.path
        if path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
        marker = MARKED_FILES.get(path.name)
        if marker:
            item.add_marker(getattr(pytest.mark, marker))
        if f"{path.name}::{getattr(item, 'originalname', item.name)}" in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """nbval marks every cell after one that timed out as "expected to fail" (xfail), so a
    notebook whose cell timed out would pass without its later cells being compared: such a
    cell fails here instead, naming why."""
    outcome = yield
    report = outcome.get_result()
    if item.path.suffix == ".ipynb" and hasattr(report, "wasxfail"):
        why = report.wasxfail
        del report.wasxfail
        report.outcome = "failed"
        report.longrepr = (f"{item.path.name}: this cell was not compared with its stored "
                           f"output because an earlier cell did not finish ({why}); run the "
                           f"notebook on a less busy machine or raise --nbval-cell-timeout")
