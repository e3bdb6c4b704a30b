"""`python -m course_lib.train`: the train command. Its code is in commands/train.py."""

import sys

from .commands.cli import run_command

if __name__ == "__main__":
    sys.exit(run_command("train"))
