"""Settings for every test, notebooks included (pytest reads this file first).

The model's Linear layers pick their matrix library by timing each new shape (see
course_lib/core/layers.py). Timings wander on a busy machine, and two libraries round the
last bits differently, so under pytest the layers use PyTorch's own F.linear: the notebooks
then give their stored outputs on every run. tests/test_layers.py tests every backend and
the automatic choice.
"""

import os

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
    import pytest
    for item in items:
        path = item.path
        if path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
        marker = MARKED_FILES.get(path.name)
        if marker:
            item.add_marker(getattr(pytest.mark, marker))
        if f"{path.name}::{getattr(item, 'originalname', item.name)}" in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
