"""`python -m course_lib.bench`: the bench command. Its code is in commands/bench.py."""

import sys

from .commands.cli import run_command

if __name__ == "__main__":
    sys.exit(run_command("bench"))
