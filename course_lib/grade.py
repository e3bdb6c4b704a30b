"""`python -m course_lib.grade`: grade learners' notebooks. Its code is in commands/grade.py."""

import sys

try:
    from .commands.grade import main
except KeyboardInterrupt:                # Ctrl-C while the command starts: no traceback
    sys.stderr.write("course_lib: interrupted while starting; nothing was done\n")
    sys.exit(130)

if __name__ == "__main__":
    sys.exit(main())
