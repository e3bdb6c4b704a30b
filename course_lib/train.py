"""`python -m course_lib.train`: the train command. Its code is in commands/train.py."""

import sys

try:
    from .commands.train import main
except KeyboardInterrupt:                # Ctrl-C while the command starts: no traceback
    sys.stderr.write("course_lib: interrupted while starting; nothing was done\n")
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(main())
