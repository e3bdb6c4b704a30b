"""The defaults that several modules share, each written once (as nanoGPT keeps its settings
in one block at the top of train.py). Import the name; never write the literal again.

The training recipe (learning rate, batch size, ...) is TrainConfig in training.py, which
takes SEED and PRECISION from here; the model's sizes are GPTConfig's (model.py).
"""

from __future__ import annotations

# Randomness: batches, dropout, initial weights and sampling all start from this seed, so a
# run, a widget and a notebook give the same numbers every time.
SEED = 1337

# The train/validation split: the first 90% of the tokens train, the last 10% validate.
TRAIN_FRACTION = 0.9

# Loss estimates per training run: every max_iters // EVALS_PER_RUN steps, and at the end.
EVALS_PER_RUN = 10


def default_eval_interval(max_iters: int | None, fallback_iters: int = 1000) -> int:
    """Steps between loss estimates when none is given: max_iters // EVALS_PER_RUN (at least
    1); a run limited by time alone (max_iters None) counts as `fallback_iters` steps."""
    return max(1, (max_iters or fallback_iters) // EVALS_PER_RUN)


# The number format training computes in. train() and TrainConfig default to float32: every
# result the same on any CPU, as the lessons need. The train command defaults to "auto"
# (bfloat16 where the hardware has it and a short timing shows it faster), since a command
# run is about speed and reports what it chose.
PRECISION = "fp32"
COMMAND_PRECISION = "auto"

# The grader (`python -m course_lib.grade`): seconds one cell, and one notebook (kernel start
# not counted), may run before they are stopped.
GRADE_CELL_TIMEOUT_S = 120.0
GRADE_NOTEBOOK_TIMEOUT_S = 300.0
