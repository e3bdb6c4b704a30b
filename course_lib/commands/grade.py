"""Grade learners' notebooks: which exercises each learner has solved.

    python -m course_lib.grade submissions/                  # a folder per learner, or files
    python -m course_lib.grade submissions/ --csv grades.csv --html grades.html
    python -m course_lib.grade --self                        # your own progress, all lessons

Each notebook runs in a fresh kernel, in a process of its own (grade_worker.py), with a
time limit per cell and per notebook; the submitted file is only read. Every exercise
check appends its verdict to a log while it runs (course_lib/lessons/checks.py), so the
grader knows, for every exercise of the lesson, what the learner's own answer got:

    ✅ solved          the check passed on the learner's function
    ❌ wrong           the check failed; its message says why
    ⏳ not attempted   the stub is untouched, or the notebook no longer calls the check
    ⌛ timed out       the learner's code ran past a time limit before or inside the check
    💥 failed          the notebook failed before the check gave a verdict

The course's own solution cells still run (later cells may use what they define), but
their verdicts never count: a cell is a solution cell if it carries the "solution" tag or
holds the same code as one of the lesson's solution cells. A verdict on a function whose
name starts with `solution_` does not count either, so `check_x(solution_x)` written in the
learner's cell is reported as wrong.

Who the learner is: the name of the notebook's folder, or the notebook's file name when
notebooks of the same lesson sit side by side in one folder. Which lesson a notebook is:
its first heading ("# Lesson 03: ...") or its file name ("03_softmax.ipynb").
The exit status is 0 when grading ran, whatever the grades; 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..core.defaults import GRADE_CELL_TIMEOUT_S, GRADE_NOTEBOOK_TIMEOUT_S
from ..lessons import checks
from .cli import OneLineParser, positive_float, positive_int

REPO = Path(__file__).resolve().parents[2]
COURSE_NOTEBOOKS = REPO / "notebooks"
VERDICTS = ("solved", "wrong", "not_attempted", "timed_out", "failed")
STATUS_TO_VERDICT = {"passed": "solved", "failed": "wrong", "not_attempted": "not_attempted",
                     "timed_out": "timed_out"}      # a check's status -> the grader's verdict
ICONS = {STATUS_TO_VERDICT[s]: icon for s, icon in checks.ICONS.items()} | {"failed": "💥"}
CHECK_CALL = re.compile(r"^\s*(check_\w+)\(", re.M)
TITLE = re.compile(r"^#\s+Lesson\s+(\d+)\b", re.M)
START_GRACE_S = 60.0      # time a worker may take beyond the notebook's limit (kernel start)


# ----------------------------------------------------------------------------- lessons

@dataclass(frozen=True)
class Lesson:
    """A course notebook: its number, file name, exercises and solution cells."""
    number: str                   # "03"
    name: str                     # "03_softmax.ipynb"
    exercises: tuple[str, ...]    # the checks its exercise cells call, in order
    solutions: frozenset[str]     # the code of its solution cells, whitespace-normalised


def _code(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _normalised(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def _is_tagged_solution(cell) -> bool:
    return "solution" in (cell.get("metadata", {}).get("tags") or [])


def _checks_in(code: str) -> list[str]:
    return [n for n in CHECK_CALL.findall(code) if callable(getattr(checks, n, None))]


def _first_heading_number(nb: dict) -> str | None:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            m = TITLE.search(_code(cell))
            return m.group(1).zfill(2) if m else None
    return None


@lru_cache(maxsize=None)
def course_lessons(folder: str = str(COURSE_NOTEBOOKS)) -> dict[str, Lesson]:
    """The course's lessons by number, read from its notebooks (never from a learner's)."""
    lessons = {}
    for path in sorted(Path(folder).glob("[0-9][0-9]_*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        exercises, solutions = [], set()
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            if _is_tagged_solution(cell):
                solutions.add(_normalised(_code(cell)))
            else:
                exercises += [n for n in _checks_in(_code(cell)) if n not in exercises]
        lessons[path.name[:2]] = Lesson(path.name[:2], path.name, tuple(exercises),
                                        frozenset(solutions))
    return lessons


def lesson_of(path: Path, nb: dict | None) -> Lesson | None:
    """Which course lesson a notebook is: by its first heading, else by its file name."""
    lessons = course_lessons()
    number = _first_heading_number(nb) if nb else None
    if number is None:
        m = re.search(r"(?:^|[^0-9])(\d\d)_", path.name) or re.match(r"(\d\d)", path.name)
        number = m.group(1) if m else None
    return lessons.get(number) if number else None


# ----------------------------------------------------------------------------- finding notebooks

@dataclass
class Submission:
    learner: str
    path: Path


def find_notebooks(paths: list[Path]) -> list[Path]:
    """Every .ipynb named or under the named folders (not in hidden or checkpoint folders)."""
    found = []
    for p in paths:
        if not p.exists():
            raise ValueError(f"{p} does not exist; give notebook files (.ipynb) or folders "
                             f"that hold them")
        if p.is_file():
            if p.suffix != ".ipynb":
                raise ValueError(f"{p} is not a notebook (.ipynb); give notebook files or "
                                 f"folders that hold them")
            found.append(p)
            continue
        for nb in sorted(p.rglob("*.ipynb")):
            rel = nb.relative_to(p).parts
            if any(part.startswith(".") or part == "__pycache__" for part in rel[:-1]):
                continue                            # .ipynb_checkpoints and other hidden folders
            found.append(nb)
    unique = list(dict.fromkeys(x.resolve() for x in found))
    if not unique:
        raise ValueError(f"no notebooks (.ipynb) found in {', '.join(map(str, paths))}")
    return unique


def _read_notebook(path: Path) -> dict | None:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return nb if isinstance(nb, dict) and isinstance(nb.get("cells"), list) else None


def name_learners(notebooks: list[Path]) -> list[Submission]:
    """A learner per folder; per file where one folder holds a lesson more than once."""
    by_folder: dict[Path, list[Path]] = {}
    for nb in notebooks:
        by_folder.setdefault(nb.parent, []).append(nb)
    subs = []
    for folder, files in by_folder.items():
        lessons = [lesson_of(f, _read_notebook(f)) for f in files]
        numbers = [les.number for les in lessons if les is not None]
        side_by_side = len(numbers) != len(set(numbers))
        for f in files:
            subs.append(Submission(f.stem if side_by_side else (folder.name or str(folder)), f))
    return subs


# ----------------------------------------------------------------------------- running

@dataclass
class Row:
    learner: str
    notebook: str       # the submitted file's name
    exercise: str       # the check's name
    verdict: str        # one of VERDICTS
    message: str
    lesson: str = ""    # "03", or the file's name for a notebook that is not a course lesson


@dataclass
class Run:
    """What the worker recorded for one notebook."""
    cells: dict[int, dict] = field(default_factory=dict)
    dead: int | None = None
    dead_error: str = ""
    done: bool = False
    killed: bool = False
    worker_error: str = ""


def _kill_group(pid: int | None) -> None:
    if not pid:
        return
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _read_record(path: Path) -> tuple[Run, int | None]:
    run, kernel_pid = Run(), None
    if path.exists():
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "kernel_pid" in entry:
                kernel_pid = entry["kernel_pid"]
            elif "cell" in entry:
                run.cells[entry["cell"]] = entry
            elif "dead" in entry:
                run.dead, run.dead_error = entry["dead"], entry.get("error", "")
            elif entry.get("done"):
                run.done = True
    return run, kernel_pid


class Worker:
    """One notebook running in `python -m course_lib.commands.grade_worker`."""

    def __init__(self, sub: Submission, cell_timeout: float, notebook_timeout: float,
                 tmp: Path, index: int):
        self.sub, self.notebook_timeout = sub, notebook_timeout
        self.record = tmp / f"record-{index}.jsonl"
        verdicts = tmp / f"verdicts-{index}.jsonl"
        self.stderr = open(tmp / f"stderr-{index}.txt", "w+", encoding="utf-8")
        self.start = time.monotonic()
        self.kernel_started: float | None = None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "course_lib.commands.grade_worker", str(sub.path),
             str(self.record), str(verdicts), "--cell-timeout", str(cell_timeout)],
            cwd=str(tmp), stdout=subprocess.DEVNULL, stderr=self.stderr,
            start_new_session=True,
            env={**os.environ, checks.CHECK_LOG_ENV: str(verdicts),
                 "PYTHONPATH": os.pathsep.join(
                     p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)})

    def should_stop(self) -> bool:
        """Past the notebook's limit: counted from the kernel's start (a slow start is not
        the learner's), but never more than START_GRACE_S beyond it in all."""
        now = time.monotonic()
        if self.kernel_started is None and _read_record(self.record)[1] is not None:
            self.kernel_started = now
        if self.kernel_started is not None and now - self.kernel_started > self.notebook_timeout:
            return True
        return now - self.start > self.notebook_timeout + START_GRACE_S

    def finish(self, kill: bool = False) -> Run:
        if kill:
            _kill_group(self.proc.pid)
        self.proc.wait()
        run, kernel_pid = _read_record(self.record)
        if not run.done:
            _kill_group(kernel_pid)                  # a kernel the worker left behind
        run.killed = kill
        if not run.done and not kill and run.dead is None:
            self.stderr.seek(0)
            tail = self.stderr.read()[-600:].strip()
            run.worker_error = tail.splitlines()[-1] if tail else f"exit status {self.proc.returncode}"
        self.stderr.close()
        return run

    def elapsed(self) -> float:
        return time.monotonic() - self.start


def run_all(subs: list[Submission], cell_timeout: float, notebook_timeout: float,
            jobs: int = 1, report=print) -> dict[int, Run]:
    """Run every submission (at most `jobs` at a time); the worker's record of each."""
    runs: dict[int, Run] = {}
    with tempfile.TemporaryDirectory(prefix="course_grade_") as tmp:
        waiting = list(enumerate(subs))
        active: dict[int, Worker] = {}
        try:
            while waiting or active:
                while waiting and len(active) < jobs:
                    i, sub = waiting.pop(0)
                    active[i] = Worker(sub, cell_timeout, notebook_timeout, Path(tmp), i)
                for i, w in list(active.items()):
                    # the per-notebook limit is kept here, not in the worker, so a cell that
                    # ignores interrupts cannot keep the notebook running
                    running = w.proc.poll() is None
                    if not running or w.should_stop():
                        runs[i] = w.finish(kill=running)
                        del active[i]
                        report(f"graded {w.sub.learner}/{w.sub.path.name} in {w.elapsed():.0f} s")
                time.sleep(0.1)
        finally:
            for w in active.values():                # Ctrl-C: end what was started, by PID
                w.finish(kill=True)
    return runs


# ----------------------------------------------------------------------------- verdicts

def grade_notebook(sub: Submission, nb: dict | None, run: Run | None,
                   notebook_timeout: float) -> list[Row]:
    """One row per exercise of the notebook's lesson: what the learner's own answer got."""
    lesson = lesson_of(sub.path, nb)
    name = sub.path.name
    column = lesson.number if lesson else sub.path.stem
    if nb is None:
        exercises = lesson.exercises if lesson else ("(notebook)",)
        return [Row(sub.learner, name, ex, "failed",
                    "the file is not a notebook Jupyter can read (not valid JSON, or no "
                    "cells); open it in JupyterLab and save it again", column)
                for ex in exercises]
    cells = nb["cells"]
    solution_code = lesson.solutions if lesson else frozenset()

    def is_solution(i: int) -> bool:
        cell = cells[i]
        return _is_tagged_solution(cell) or _normalised(_code(cell)) in solution_code

    exercises = list(lesson.exercises) if lesson else []
    for i, cell in enumerate(cells):                 # a check the lesson does not have
        if cell.get("cell_type") == "code" and not is_solution(i):
            exercises += [n for n in _checks_in(_code(cell)) if n not in exercises]
    if not exercises:
        return []
    # solution cells the learner changed (only a course lesson has code to compare with)
    edited = [i for i, c in enumerate(cells) if lesson is not None and _is_tagged_solution(c)
              and _normalised(_code(c)) not in solution_code]
    rows = []
    for ex in exercises:
        verdict, message = _exercise_verdict(ex, cells, run, is_solution, notebook_timeout)
        if verdict == "not_attempted" and edited:
            message += (f" (cell {edited[0] + 1} is a solution cell you changed: answers "
                        f"there do not count; write yours in the exercise cell)")
        rows.append(Row(sub.learner, name, ex, verdict, message, column))
    return rows


def _exercise_verdict(ex: str, cells: list, run: Run | None, is_solution,
                      notebook_timeout: float) -> tuple[str, str]:
    calling = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"
               and not is_solution(i) and ex in _checks_in(_code(c))]
    if not calling:
        return "not_attempted", (f"the notebook does not call {ex}(...) outside the solution "
                                 f"cells; run the exercise cell that calls it")
    if run is None:
        return "failed", "the notebook was not run"
    last = None
    for i in sorted(run.cells):
        if is_solution(i):
            continue
        for v in run.cells[i]["verdicts"]:
            if v.get("name") == ex:
                last = v
    if last is not None:
        fn = str(last.get("function", ""))
        if last.get("status") == "passed" and fn.startswith("solution_"):
            return "wrong", (f"{ex} was given the course's solution function `{fn}`, not "
                             f"your own; pass the function you wrote")
        verdict = STATUS_TO_VERDICT.get(last.get("status"), "failed")
        return verdict, str(last.get("message", ""))
    # no verdict: say why, from the first cell that calls the check
    first = calling[0]
    cell_run = run.cells.get(first)
    if cell_run is not None:
        if cell_run.get("timed_out"):
            return "timed_out", (f"cell {first + 1} ran past the time limit per cell and was "
                                 f"interrupted before {ex} gave its verdict; does a loop never "
                                 f"end?{_earlier_failure(run, first)}")
        err = cell_run.get("error")
        if err:
            return "failed", (f"cell {first + 1} raised {err['ename']}: {err['evalue']} "
                              f"before {ex} gave its verdict{_earlier_failure(run, first)}")
        return "not_attempted", f"cell {first + 1} ran but did not call {ex}"
    if run.dead is not None:
        return "failed", (f"the kernel died in cell {run.dead + 1} ({run.dead_error}: a crash, "
                          f"os._exit or too much memory) before {ex} ran")
    if run.killed:
        last_done = max(run.cells, default=-1)
        running = next((i for i, c in enumerate(cells) if i > last_done
                        and c.get("cell_type") == "code"), last_done + 1)
        return "timed_out", (f"the notebook ran past its time limit of {notebook_timeout:g} s "
                             f"before {ex} ran (cell {running + 1} was running)")
    if run.worker_error:
        return "failed", f"the notebook could not be run: {run.worker_error}"
    return "failed", f"cell {first + 1} never ran"


def _earlier_failure(run: Run, before: int) -> str:
    """A note on the first cell before `before` that failed: often the real cause."""
    for i in sorted(run.cells):
        if i >= before:
            break
        c = run.cells[i]
        if c.get("timed_out"):
            return f" (cell {i + 1} before it ran past the time limit per cell and was interrupted)"
        if c.get("error"):
            return (f" (cell {i + 1} before it raised {c['error']['ename']}: "
                    f"{c['error']['evalue'][:120]})")
    return ""


# ----------------------------------------------------------------------------- reports

def solved_counts(rows: list[Row]):
    """The learners (in order), the lessons (sorted) and {(learner, lesson): (solved, total)}."""
    learners = list(dict.fromkeys(r.learner for r in rows))
    lessons = sorted(dict.fromkeys(r.lesson for r in rows))
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    for r in rows:
        solved, total = counts.get((r.learner, r.lesson), (0, 0))
        counts[(r.learner, r.lesson)] = (solved + (r.verdict == "solved"), total + 1)
    return learners, lessons, counts


def table(rows: list[Row]) -> str:
    """Learner x lesson, "solved/total" in each cell, as fixed-width text."""
    learners, lessons, counts = solved_counts(rows)
    width = max([len("learner")] + [len(x) for x in learners])
    cols = [max(len(nb), 5) for nb in lessons]
    lines = ["learner".ljust(width) + "  " + "  ".join(nb.rjust(w)
                                                       for nb, w in zip(lessons, cols))
             + "  total"]
    for who in learners:
        cells, solved_all, total_all = [], 0, 0
        for nb, w in zip(lessons, cols):
            solved, total = counts.get((who, nb), (0, 0))
            solved_all, total_all = solved_all + solved, total_all + total
            cells.append((f"{solved}/{total}" if total else "-").rjust(w))
        lines.append(who.ljust(width) + "  " + "  ".join(cells) + f"  {solved_all}/{total_all}")
    return "\n".join(lines)


def details(rows: list[Row]) -> str:
    """Every exercise with its icon and message, grouped by learner and notebook."""
    out, seen = [], None
    for r in rows:
        if (r.learner, r.notebook) != seen:
            seen = (r.learner, r.notebook)
            out.append(f"{r.learner} / {r.notebook}")
        out.append(f"  {ICONS[r.verdict]} {r.exercise}: {r.message}")
    return "\n".join(out)


CSV_HEADER = ["learner", "notebook", "exercise", "verdict", "message"]
HTML_MARK = "<!-- written by python -m course_lib.grade -->"


def check_report_path(path: Path, kind: str) -> None:
    """Refuse a --csv/--html path that holds something the grader did not write."""
    if path.is_dir():
        raise ValueError(f"--{kind} {path} is a folder; give a file name such as grades.{kind}")
    if not path.parent.is_dir():
        raise ValueError(f"--{kind} {path}: the folder {path.parent} does not exist; create it "
                         f"or choose another place")
    if path.exists():
        try:
            with open(path, encoding="utf-8") as f:
                head = f.read(4096)
        except (OSError, UnicodeDecodeError):
            head = ""
        ours = (head.splitlines()[:1] == [",".join(CSV_HEADER)] if kind == "csv"
                else HTML_MARK in head)
        if not ours:
            raise ValueError(f"--{kind} {path} already exists and was not written by the "
                             f"grader; it is left as it is. Choose a new file name")


def _write_atomically(path: Path, text: str) -> None:
    """Write next to `path`, then rename: an interrupted write leaves the old file whole."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


def write_csv(rows: list[Row], path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for r in rows:
        w.writerow([r.learner, r.notebook, r.exercise, r.verdict, r.message])
    _write_atomically(path, buf.getvalue())


def write_html(rows: list[Row], path: Path) -> None:
    e = html.escape
    learners, lessons, counts = solved_counts(rows)
    head = "".join(f"<th>lesson {e(nb)}</th>" for nb in lessons)
    body = []
    for who in learners:
        tds = []
        for nb in lessons:
            solved, total = counts.get((who, nb), (0, 0))
            full = "all" if total and solved == total else ("none" if not solved else "some")
            tds.append(f'<td class="{full}">{solved}/{total}</td>' if total else "<td>-</td>")
        body.append(f"<tr><th>{e(who)}</th>{''.join(tds)}</tr>")
    detail = "".join(
        f'<tr class="{r.verdict}"><td>{e(r.learner)}</td><td>{e(r.notebook)}</td>'
        f"<td>{e(r.exercise)}</td><td>{ICONS[r.verdict]} {e(r.verdict)}</td>"
        f"<td>{e(r.message)}</td></tr>" for r in rows)
    _write_atomically(path, f"""<!doctype html>
{HTML_MARK}
<html lang="en"><head><meta charset="utf-8"><title>GPT from Scratch: grades</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; margin-bottom: 2em; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
td.all {{ background: #d8f5d0; }} td.some {{ background: #fff3c4; }} td.none {{ background: #f8d7d7; }}
tr.solved td:nth-child(4) {{ color: #1a7f1a; }} tr.wrong td:nth-child(4) {{ color: #b00020; }}
</style></head><body>
<h1>Exercises solved, per learner and lesson</h1>
<table><tr><th>learner</th>{head}</tr>{''.join(body)}</table>
<h2>Every exercise</h2>
<table><tr><th>learner</th><th>notebook</th><th>exercise</th><th>verdict</th><th>message</th></tr>
{detail}</table>
</body></html>
""")


# ----------------------------------------------------------------------------- the command

def grade(paths: list[Path], cell_timeout: float = GRADE_CELL_TIMEOUT_S,
          notebook_timeout: float = GRADE_NOTEBOOK_TIMEOUT_S,
          jobs: int = 1, report=print) -> list[Row]:
    """Grade every notebook under `paths`; one Row per (learner, notebook, exercise)."""
    subs = name_learners(find_notebooks(paths))
    notebooks = {i: _read_notebook(s.path) for i, s in enumerate(subs)}
    to_run = [i for i, s in enumerate(subs) if notebooks[i] is not None]
    for i, s in enumerate(subs):
        if notebooks[i] is None:
            report(f"cannot read {s.path}: not a notebook (graded as failed)")
    runs = run_all([subs[i] for i in to_run], cell_timeout, notebook_timeout, jobs, report)
    runs = {to_run[k]: v for k, v in runs.items()}
    rows = []
    for i, s in enumerate(subs):
        graded = grade_notebook(s, notebooks[i], runs.get(i), notebook_timeout)
        if not graded and notebooks[i] is not None:
            report(f"{s.path.name} calls no exercise check and is not a course lesson: "
                   f"nothing to grade")
        rows += graded
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(
        prog="python -m course_lib.grade",
        description="Run learners' notebooks in fresh kernels and report which exercises "
                    "each learner has solved. The submitted files are only read.")
    parser.add_argument("paths", nargs="*", type=Path,
                        help="notebook files, or folders of them (a folder per learner)")
    parser.add_argument("--self", dest="own", action="store_true",
                        help=f"your own progress: grade the course's notebooks folder "
                             f"({COURSE_NOTEBOOKS.relative_to(REPO)}/) as you left it")
    parser.add_argument("--csv", type=Path, help="write one row per exercise to this file")
    parser.add_argument("--html", type=Path, help="write a report page to this file")
    parser.add_argument("--cell-timeout", type=positive_float, default=GRADE_CELL_TIMEOUT_S,
                        help=f"seconds one cell may run before it is interrupted (default "
                             f"{GRADE_CELL_TIMEOUT_S:g})")
    parser.add_argument("--notebook-timeout", type=positive_float, default=GRADE_NOTEBOOK_TIMEOUT_S,
                        help=f"seconds one notebook may run, kernel start not counted "
                             f"(default {GRADE_NOTEBOOK_TIMEOUT_S:g})")
    parser.add_argument("--jobs", type=positive_int, default=1,
                        help="notebooks run at the same time (default 1)")
    parser.add_argument("--details", action="store_true",
                        help="print every exercise's verdict and message, not only the table")
    args = parser.parse_args(argv)
    if args.own and args.paths:
        parser.error("--self grades the course's own notebooks folder; give either --self "
                     "or paths, not both")
    if not args.own and not args.paths:
        parser.error("give notebook files or folders to grade, or --self for your own "
                     "progress")
    paths = [COURSE_NOTEBOOKS] if args.own else args.paths
    try:
        for kind in ("csv", "html"):
            if getattr(args, kind) is not None:
                check_report_path(getattr(args, kind), kind)
        rows = grade(paths, args.cell_timeout, args.notebook_timeout, args.jobs,
                     report=lambda line: print(line, file=sys.stderr, flush=True))
    except ValueError as err:
        print(f"python -m course_lib.grade: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("python -m course_lib.grade: interrupted; nothing was written", file=sys.stderr)
        return 130
    if not rows:
        print("no exercises to grade in those notebooks")
        return 0
    print(table(rows))
    if args.details or args.own:
        print()
        print(details(rows))
    counts = {v: sum(r.verdict == v for r in rows) for v in VERDICTS}
    print("\n" + ", ".join(f"{ICONS[v]} {v.replace('_', ' ')} {n}" for v, n in counts.items()))
    if args.csv:
        write_csv(rows, args.csv)
        print(f"wrote {args.csv}")
    if args.html:
        write_html(rows, args.html)
        print(f"wrote {args.html}")
    return 0
