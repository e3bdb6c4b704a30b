"""`python -m course_lib.generate`: the generate command. Its code is in commands/generate.py."""

import sys

from .commands.cli import run_command

if __name__ == "__main__":
    sys.exit(run_command("generate"))
