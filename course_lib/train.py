"""`python -m course_lib.train`: the train command. Its code is in commands/train.py."""

import sys

from .commands.train import main

if __name__ == "__main__":
    sys.exit(main())
