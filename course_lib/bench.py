"""`python -m course_lib.bench`: the bench command. Its code is in commands/bench.py."""

import sys

from .commands.bench import main

if __name__ == "__main__":
    sys.exit(main())
