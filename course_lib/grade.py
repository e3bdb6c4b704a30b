"""`python -m course_lib.grade`: grade learners' notebooks. Its code is in commands/grade.py."""

import sys

from .commands.cli import run_command

if __name__ == "__main__":
    sys.exit(run_command("grade"))
