"""`python -m course_lib.generate`: the generate command. Its code is in commands/generate.py."""

import sys

from .commands.generate import main

if __name__ == "__main__":
    sys.exit(main())
