"""Settings for every test, notebooks included (pytest reads this file first).

The model's Linear layers pick their matrix library by timing each new shape (see
course_lib/core/layers.py). Timings wander on a busy machine, and two libraries round the
last bits differently, so under pytest the layers use PyTorch's own F.linear: the notebooks
then give their stored outputs on every run. tests/test_layers.py tests every backend and
the automatic choice.
"""

import os

os.environ.setdefault("COURSE_LINEAR_BACKEND", "aten")
