"""`python -m course_lib.bench`: the bench command. Its code is in commands/bench.py."""

import sys

try:
    from .commands.bench import main
except KeyboardInterrupt:                # Ctrl-C while the command starts: no traceback
    sys.stderr.write("course_lib: interrupted while starting; nothing was done\n")
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(main())
