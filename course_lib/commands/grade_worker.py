"""Run one notebook for the grader, cell by cell, and record what each cell did.

    python -m course_lib.commands.grade_worker NOTEBOOK RECORD.jsonl VERDICTS.jsonl
        [--cell-timeout S]

`python -m course_lib.grade` starts this in a process of its own for every notebook, and
kills it (and the kernel) if the notebook runs past its time limit. It

- reads NOTEBOOK and never writes it: the cells run from a copy in memory;
- starts a fresh kernel in a new empty folder, so what the notebook saves lands there;
- runs every code cell, going on after a cell that raises (the checks further down may
  still run), and interrupts a cell that runs past `--cell-timeout`;
- passes on the grader's environment, whose $COURSE_CHECK_LOG names VERDICTS.jsonl, so
  each exercise check appends its verdict there (course_lib/lessons/checks.py); it reads
  the new verdicts after every cell;
- appends one JSON line per cell to RECORD.jsonl as soon as the cell ends:
  {"cell": index, "seconds": s, "verdicts": [...], "error": {"ename", "evalue"} or null,
   "timed_out": bool}; then {"dead": index, "error": ...} if the kernel died in a cell,
  and {"done": true} at the end. The first line is {"kernel_pid": pid}. The grader reads the file even when the worker was killed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from ..core.defaults import GRADE_CELL_TIMEOUT_S

CELL_TIMEOUT_ENAME = "CellTimeout"


def _read_new(path: Path, offset: int) -> tuple[list[dict], int]:
    """The verdict lines appended to `path` since `offset`, and the new offset."""
    if not path.exists():
        return [], offset
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read()
    lines = data.split(b"\n")
    complete, rest = lines[:-1], lines[-1]          # a line still being written waits
    verdicts = []
    for line in complete:
        try:
            verdicts.append(json.loads(line.decode("utf-8", errors="replace")))
        except json.JSONDecodeError:
            continue                                 # a learner wrote to the log: not a verdict
    return verdicts, offset + len(data) - len(rest)


def _first_error(cell) -> dict | None:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return {"ename": str(out.get("ename", ""))[:200],
                    "evalue": str(out.get("evalue", ""))[:500]}
    return None


def _client_class():
    from nbclient import NotebookClient

    class GradingClient(NotebookClient):
        """A NotebookClient that remembers which cell ran past its time limit."""
        timed_out_cell: int | None = None

        async def _async_handle_timeout(self, timeout, cell=None):
            self.timed_out_cell = getattr(self, "_current_index", None)
            return await super()._async_handle_timeout(timeout, cell)

    return GradingClient


def run(notebook: Path, record: Path, log: Path, cell_timeout: float) -> int:
    import nbformat
    from nbclient.exceptions import DeadKernelError

    nb = nbformat.read(notebook, as_version=4)
    workdir = Path(tempfile.mkdtemp(prefix="course_grade_"))
    env = dict(os.environ)          # the grader's: PYTHONPATH and $COURSE_CHECK_LOG set
    client = _client_class()(
        nb, timeout=int(max(1, cell_timeout)), kernel_name="python3", allow_errors=True,
        interrupt_on_timeout=True, record_timing=False,
        error_on_timeout={"ename": CELL_TIMEOUT_ENAME,
                          "evalue": f"the cell ran for more than {cell_timeout:g} s and was "
                                    f"interrupted"},
        resources={"metadata": {"path": str(workdir)}})
    offset = 0

    def write(entry: dict):
        with open(record, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")

    try:
        with client.setup_kernel(env=env, cwd=str(workdir)):
            # the kernel runs in a session of its own: the grader ends it by this PID if it
            # has to stop this worker
            write({"kernel_pid": getattr(client.km.provisioner, "pid", None)})
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    continue
                start = time.perf_counter()
                client._current_index = index
                try:
                    client.execute_cell(cell, index)
                except DeadKernelError as err:
                    verdicts, offset = _read_new(log, offset)
                    write({"cell": index, "seconds": round(time.perf_counter() - start, 2),
                           "verdicts": verdicts, "error": None, "timed_out": False})
                    write({"dead": index, "error": str(err)[:300]})
                    return 0
                error = _first_error(cell)
                cell.outputs = []                  # the grader needs verdicts, not outputs
                verdicts, offset = _read_new(log, offset)
                write({"cell": index, "seconds": round(time.perf_counter() - start, 2),
                       "verdicts": verdicts, "error": error,
                       "timed_out": client.timed_out_cell == index})
    except DeadKernelError as err:          # the kernel died while starting or shutting down
        write({"dead": -1, "error": str(err)[:300]})
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)   # the folder this run made, nothing else
    write({"done": True})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one notebook for course_lib.grade.")
    parser.add_argument("notebook", type=Path)
    parser.add_argument("record", type=Path)
    parser.add_argument("verdicts", type=Path)
    parser.add_argument("--cell-timeout", type=float, default=GRADE_CELL_TIMEOUT_S)
    args = parser.parse_args(argv)
    return run(args.notebook, args.record, args.verdicts, args.cell_timeout)


if __name__ == "__main__":
    sys.exit(main())
