"""Grade learners' notebooks: which exercises each learner has solved.

    python -m course_lib.grade submissions/                  # a folder per learner, or files
    python -m course_lib.grade submissions/ --csv grades.csv --html grades.html
    python -m course_lib.grade --self                        # your own progress, all lessons
    python -m course_lib.grade --release handout/            # the lessons without solutions

Every submitted file is read into memory before any learner's code runs, and never
written. Each notebook then runs in a fresh kernel of its own (grade_worker.py), in a temp
folder of its own, one learner after another; everything the kernel started is killed
before the next learner starts. The exercise checks do not run in the learner's kernel:
the worker runs the grader's own copy of each check and calls the learner's function in
the kernel with data only (course_lib/lessons/remote.py), so a verdict is what the grader
computed, never what the learner's code printed, wrote or patched:

    ✅ solved          the check passed on the learner's function
    ❌ wrong           the check failed; its message says why
    ⏳ not attempted   the stub is untouched, or the notebook no longer calls the check
    ⌛ timed out       the learner's code ran past a time limit before or inside the check
    ❔ unverified      the check passes or gets back something that cannot cross as data
    💥 failed          the notebook could not be read, or failed before the check ran

Which call grades an exercise (grade_plan.py): the last call of its check, found with
`ast`, in a cell that is not a solution cell, before the exercise's solution cell, whose
arguments name no `solution_` function. Who the learner is: the notebook's folder relative
to the graded folder (`section1/bob`), or the file when notebooks of one lesson sit side by
side. Which lesson a notebook is: its first heading ("# Lesson 03: ...") or its file name.
The exit status is 0 when grading ran, whatever the grades; 1 when a report could not be
written; 2 for bad arguments.

`--lang it` makes the table, the HTML page and every verdict message Italian (the checks
run in the worker with course_lib.set_language("it"), and the learner's kernel gets
COURSE_LANG=it); the CSV's header and verdict column stay English words, for scripts.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import html
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core.defaults import GRADE_CELL_TIMEOUT_S, GRADE_NOTEBOOK_TIMEOUT_S
from ..i18n import ENV_VAR, LANGUAGES, N_, _, current_language, set_language
from . import grade_procs
from .cli import OneLineParser, positive_float, positive_int
# Lesson and course_lessons are re-exported: tests and callers use them from here
from .grade_plan import (COURSE_NOTEBOOKS, MAX_NOTEBOOK_BYTES, REPO, Lesson,  # noqa: F401
                         Unreadable, WrongCall, code_of, course_lessons, is_tagged_solution,
                         lesson_of, normalised, plan, read_notebook, released)

VERDICTS = ("solved", "wrong", "not_attempted", "timed_out", "unverified", "failed")
STATUS_TO_VERDICT = {"passed": "solved", "failed": "wrong", "not_attempted": "not_attempted",
                     "timed_out": "timed_out", "unverified": "unverified", "error": "failed"}
ICONS = {"solved": "✅", "wrong": "❌", "not_attempted": "⏳", "timed_out": "⌛",
         "unverified": "❔", "failed": "💥"}
# what a verdict is called on screen and in the HTML page (the CSV keeps VERDICTS' words)
VERDICT_NAMES = {"solved": N_("solved"), "wrong": N_("wrong"),
                 "not_attempted": N_("not attempted"), "timed_out": N_("timed out"),
                 "unverified": N_("unverified"), "failed": N_("failed")}
# the HTML page's verdict column shows the CSV's word in English
HTML_VERDICTS = {"solved": N_("solved"), "wrong": N_("wrong"),
                 "not_attempted": N_("not_attempted"), "timed_out": N_("timed_out"),
                 "unverified": N_("unverified"), "failed": N_("failed")}
START_GRACE_S = 60.0      # time a worker may take beyond the notebook's limit (kernel start)


def shown(text: str) -> str:
    """A name as text: bytes that are not UTF-8 (kept by os.fsdecode) shown as \\xNN."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


# ----------------------------------------------------------------------------- finding notebooks

@dataclass
class Submission:
    learner: str          # the folder relative to the graded one ("section1/bob"), shown
    path: Path
    data: bytes | None = None         # the file as read before any learner's code ran
    read_error: str = ""

    @property
    def name(self) -> str:
        return shown(self.path.name)


def find_notebooks(paths: list[Path]) -> list[tuple[Path, Path]]:
    """(root, notebook) for every .ipynb named or under the named folders (hidden and
    checkpoint folders skipped); root is the folder given, or the file's own folder."""
    found = []
    for p in paths:
        if not p.exists():
            raise ValueError(_("{path} does not exist; give notebook files (.ipynb) or "
                               "folders that hold them").format(path=shown(str(p))))
        if p.is_file():
            if p.suffix != ".ipynb":
                raise ValueError(_("{path} is not a notebook (.ipynb); give notebook files "
                                   "or folders that hold them").format(path=shown(str(p))))
            found.append((p.parent, p))
            continue
        for nb in sorted(p.rglob("*.ipynb")):
            rel = nb.relative_to(p).parts
            if any(part.startswith(".") or part == "__pycache__" for part in rel[:-1]):
                continue                            # .ipynb_checkpoints and other hidden folders
            if nb.is_file():
                found.append((p, nb))
    unique = list({nb.resolve(): (root, nb) for root, nb in found}.values())
    if not unique:
        raise ValueError(_("no notebooks (.ipynb) found in {paths}").format(
            paths=", ".join(shown(str(p)) for p in paths)))
    return unique


def _read(sub: Submission) -> Submission:
    """Read the file now, before any learner's code runs; grading uses this copy."""
    try:
        with open(sub.path, "rb") as f:
            sub.data = f.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as err:
        sub.read_error = _("the file cannot be read ({why})").format(why=err.strerror)
    return sub


def name_learners(found: list[tuple[Path, Path]]) -> list[Submission]:
    """A learner per folder (its path relative to the graded folder); per file where one
    folder holds a lesson more than once."""
    by_folder: dict[tuple[Path, Path], list[Path]] = {}
    for root, nb in found:
        by_folder.setdefault((root, nb.parent), []).append(nb)
    subs = []
    for (root, folder), files in by_folder.items():
        read = [_read(Submission("", f)) for f in files]
        numbers = [les.number for les in (lesson_of(s.path.name, _heading_only(s))
                                          for s in read) if les]
        side_by_side = len(numbers) != len(set(numbers))
        rel = folder.relative_to(root).as_posix() if folder != root else (
            folder.resolve().name or str(folder))
        for s in read:
            stem = s.path.stem
            who = f"{rel}/{stem}" if side_by_side and folder != root else (
                stem if side_by_side else rel)
            s.learner = shown(who)
            subs.append(s)
    return subs


def _heading_only(sub: Submission) -> dict | None:
    """The notebook, if it reads, for its first heading (naming only: errors come later)."""
    try:
        return read_notebook(sub.data) if sub.data is not None else None
    except Unreadable:
        return None


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
    """What the worker reported for one notebook."""
    cells: dict[int, dict] = field(default_factory=dict)
    verdicts: dict[int, dict] = field(default_factory=dict)   # call index -> verdict
    dead: int | None = None
    dead_error: str = ""
    done: bool = False
    killed: bool = False
    worker_error: str = ""


class Worker:
    """One notebook running in `python -m course_lib.commands.grade_worker`."""

    def __init__(self, sub: Submission, nb: dict, calls: list, cell_timeout: float,
                 notebook_timeout: float, lang: str = "en"):
        self.sub, self.notebook_timeout = sub, notebook_timeout
        self.folder = Path(tempfile.mkdtemp(prefix="course_grade_"))   # this learner's own
        self.lines: list[str] = []
        self.kernel_started: float | None = None
        read_end, write_end = os.pipe()
        self.stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")
        self.start = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "course_lib.commands.grade_worker", "--record-fd",
             str(write_end), "--cell-timeout", str(cell_timeout)],
            cwd=str(self.folder), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=self.stderr, pass_fds=(write_end,), start_new_session=True,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("COURSE_CHECK")},
                 ENV_VAR: lang,
                 "PYTHONPATH": os.pathsep.join(
                     p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)})
        os.close(write_end)
        self.reader = threading.Thread(target=self._read, args=(read_end,), daemon=True)
        self.reader.start()
        job = json.dumps({"notebook": nb, "calls": [c.to_json() for c in calls],
                          "lang": lang})
        try:
            self.proc.stdin.write(job.encode("utf-8"))
            self.proc.stdin.close()
        except OSError:
            pass

    def _read(self, fd: int) -> None:
        with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as f:
            for line in f:
                if len(self.lines) < 100_000:
                    self.lines.append(line)

    def should_stop(self) -> bool:
        """Past the notebook's limit: counted from the kernel's start (a slow start is not
        the learner's), but never more than START_GRACE_S beyond it in all."""
        now = time.monotonic()
        if self.kernel_started is None and self.lines:
            self.kernel_started = now
        if self.kernel_started is not None and now - self.kernel_started > self.notebook_timeout:
            return True
        return now - self.start > self.notebook_timeout + START_GRACE_S

    def finish(self, kill: bool = False) -> Run:
        if kill:
            grade_procs.end_descendants(self.proc.pid)
            try:
                os.killpg(self.proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc.wait()
        self.reader.join(timeout=5)
        run = Run(killed=kill)
        for line in list(self.lines):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue
            if not isinstance(entry, dict):
                continue
            if "cell" in entry:
                run.cells[entry["cell"]] = entry
            elif "verdict" in entry:
                run.verdicts[entry["verdict"].get("call")] = entry["verdict"]
            elif "dead" in entry:
                run.dead, run.dead_error = entry["dead"], str(entry.get("error", ""))
            elif entry.get("done"):
                run.done = True
        if not run.done and not kill and run.dead is None:
            self.stderr.seek(0)
            tail = self.stderr.read()[-600:].strip()
            run.worker_error = (tail.splitlines()[-1] if tail
                                else f"exit status {self.proc.returncode}")
        self.stderr.close()
        shutil.rmtree(self.folder, ignore_errors=True)    # the folder made for this learner
        return run

    def elapsed(self) -> float:
        return time.monotonic() - self.start


# the files whose code computes every verdict: the course package the workers import
COURSE_FILES = Path(__file__).resolve().parent.parent


class CourseChanged(Exception):
    """A learner's code changed the course's own files while it ran: later verdicts would
    come from changed code, so grading stops."""


def course_fingerprint(root: Path | None = None) -> dict[str, str]:
    """{relative path: sha256} of every file of the course package (caches left out)."""
    root = COURSE_FILES if root is None else root
    out = {}
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _check_course(before: dict[str, str], ran: list[str]) -> None:
    now = course_fingerprint()
    if now != before:
        changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
        raise CourseChanged(_(
            "the course's own files changed while {learners} ran ({files}): a learner's code "
            "can rewrite what grades the next learners, so grading stopped and nothing was "
            "written. Restore the files (git checkout course_lib), and grade code you do not "
            "trust in a container or as a user who cannot write them").format(
            learners=", ".join(ran), files=", ".join(f"course_lib/{f}" for f in changed[:5])))


def run_all(jobs_in: list[tuple[Submission, dict, list]], cell_timeout: float,
            notebook_timeout: float, jobs: int = 1, report=print,
            lang: str = "en") -> dict[int, Run]:
    """Run every job (at most `jobs` at a time); what each worker reported.

    After each worker ends, every process below the grader that is not an active worker
    (or was there before grading began) is killed: a learner's double fork that escaped
    its worker comes back to the grader (a subreaper) and ends here. Then the course's
    own files are compared with their fingerprint from the start: CourseChanged names the
    learners whose code ran meanwhile."""
    runs: dict[int, Run] = {}
    before = set(grade_procs.descendants(os.getpid()))
    course = course_fingerprint()
    waiting = list(enumerate(jobs_in))
    active: dict[int, Worker] = {}
    try:
        while waiting or active:
            while waiting and len(active) < jobs:
                i, (sub, nb, calls) = waiting.pop(0)
                active[i] = Worker(sub, nb, calls, cell_timeout, notebook_timeout, lang)
            for i, w in list(active.items()):
                running = w.proc.poll() is None
                if not running or w.should_stop():
                    runs[i] = w.finish(kill=running)
                    del active[i]
                    grade_procs.end_descendants(
                        spare=before | {a.proc.pid for a in active.values()})
                    _check_course(course, [f"{x.sub.learner}/{x.sub.name}"
                                           for x in [w, *active.values()]])
                    report(_("graded {learner}/{notebook} in {seconds:.0f} s").format(
                        learner=w.sub.learner, notebook=w.sub.name, seconds=w.elapsed()))
            time.sleep(0.1)
    finally:
        for w in active.values():                # Ctrl-C: end what was started, by PID
            w.finish(kill=True)
    return runs


# ----------------------------------------------------------------------------- verdicts

def grade_notebook(sub: Submission, nb: dict | None, run: Run | None,
                   notebook_timeout: float, why_unreadable: str = "") -> list[Row]:
    """One row per exercise of the notebook's lesson: what the learner's own answer got."""
    lesson = lesson_of(sub.path.name, nb)
    column = lesson.number if lesson else shown(sub.path.stem)
    if nb is None:
        exercises = lesson.exercises if lesson else ("(notebook)",)
        return [Row(sub.learner, sub.name, ex, "failed", why_unreadable, column)
                for ex in exercises]
    exercises, chosen = plan(nb, lesson)
    calls = [c for c in chosen.values() if not isinstance(c, str)]
    # solution cells the learner changed (only a course lesson has code to compare with)
    edited = [i for i, c in enumerate(nb["cells"]) if lesson is not None
              and is_tagged_solution(c) and normalised(code_of(c)) not in lesson.solutions]
    rows = []
    for ex in exercises:
        c = chosen[ex]
        if isinstance(c, str):
            verdict, message = ("wrong" if isinstance(c, WrongCall) else "not_attempted", c)
        else:
            verdict, message = _verdict(ex, c, calls.index(c), run, nb["cells"],
                                        notebook_timeout)
        if verdict == "not_attempted" and edited:
            message += " " + _("(cell {cell} is a solution cell you changed: answers there "
                               "do not count; write yours in the exercise cell)").format(
                cell=edited[0] + 1)
        rows.append(Row(sub.learner, sub.name, ex, verdict, message, column))
    return rows


def _verdict(ex: str, c, k: int, run: Run | None, cells: list,
             notebook_timeout: float) -> tuple[str, str]:
    if run is None:
        return "failed", _("the notebook was not run")
    v = run.verdicts.get(k)
    cell_run = run.cells.get(c.cell, {})
    if v is not None:
        status = v.get("status")
        message = str(v.get("message", ""))
        if status == "error" and cell_run.get("error"):
            err = cell_run["error"]
            message = _("cell {cell} raised {ename}: {evalue}; {message}").format(
                cell=c.cell + 1, ename=err["ename"], evalue=err["evalue"], message=message)
        return STATUS_TO_VERDICT.get(status, "failed"), message
    if cell_run.get("timed_out"):
        return "timed_out", _("cell {cell} ran past the time limit per cell and was "
                              "interrupted before {exercise} was graded; does a loop never "
                              "end?").format(cell=c.cell + 1, exercise=ex)
    if run.dead is not None:
        return "failed", _("the kernel died in cell {cell} ({error}: a crash, os._exit or too "
                           "much memory) before {exercise} was graded").format(
            cell=run.dead + 1, error=run.dead_error, exercise=ex)
    if run.killed:
        last_done = max(run.cells, default=-1)
        running = next((i for i, cell in enumerate(cells) if i > last_done
                        and cell.get("cell_type") == "code"), last_done + 1)
        return "timed_out", _("the notebook ran past its time limit of {seconds:g} s before "
                              "{exercise} was graded (cell {cell} was running)").format(
            seconds=notebook_timeout, exercise=ex, cell=running + 1)
    if run.worker_error:
        return "failed", _("the notebook could not be run: {error}").format(
            error=run.worker_error)
    return "failed", _("cell {cell} never ran").format(cell=c.cell + 1)


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
    learner, total_word = _("learner"), _("total")
    width = max([len(learner)] + [len(x) for x in learners])
    cols = [max(len(nb), 5) for nb in lessons]
    lines = [learner.ljust(width) + "  " + "  ".join(nb.rjust(w)
                                                     for nb, w in zip(lessons, cols))
             + "  " + total_word]
    for who in learners:
        cells, solved_all, total_all = [], 0, 0
        for nb, w in zip(lessons, cols):
            solved, total = counts.get((who, nb), (0, 0))
            solved_all, total_all = solved_all + solved, total_all + total
            cells.append((f"{solved}/{total}" if total else "-").rjust(w))
        lines.append(who.ljust(width) + "  " + "  ".join(cells) + f"  {solved_all}/{total_all}")
    return "\n".join(lines)


def summary(rows: list[Row]) -> str:
    """How many exercises got each verdict: "✅ solved 3, ❌ wrong 1, ..."."""
    counts = {v: sum(r.verdict == v for r in rows) for v in VERDICTS}
    return ", ".join(f"{ICONS[v]} {_(VERDICT_NAMES[v])} {n}" for v, n in counts.items())


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


def validate_report_path(path: Path, kind: str) -> None:
    """Refuse a --csv/--html path that holds something the grader did not write."""
    if path.is_dir():
        raise ValueError(_("--{kind} {path} is a folder; give a file name such as "
                           "grades.{kind}").format(kind=kind, path=path))
    if not path.parent.is_dir():
        raise ValueError(_("--{kind} {path}: the folder {folder} does not exist; create it or "
                           "choose another place").format(kind=kind, path=path,
                                                          folder=path.parent))
    if path.exists():
        try:
            with open(path, encoding="utf-8") as f:
                head = f.read(4096)
        except (OSError, UnicodeDecodeError):
            head = ""
        ours = (head.splitlines()[:1] == [",".join(CSV_HEADER)] if kind == "csv"
                else HTML_MARK in head)
        if not ours:
            raise ValueError(_("--{kind} {path} already exists and was not written by the "
                               "grader; it is left as it is. Choose a new file name").format(
                kind=kind, path=path))


def _write_atomically(path: Path, text: str) -> None:
    """Write next to `path`, then rename: an interrupted write leaves the old file whole."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8", newline="")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)          # a full disk leaves no .tmp behind
        raise


def as_text(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: one that starts like a formula gets a '."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def write_csv(rows: list[Row], path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_HEADER)
    for r in rows:
        w.writerow([as_text(x) for x in (r.learner, r.notebook, r.exercise, r.verdict,
                                         r.message)])
    _write_atomically(path, buf.getvalue())


def write_html(rows: list[Row], path: Path) -> None:
    e = html.escape
    learners, lessons, counts = solved_counts(rows)
    head = "".join(f"<th>{e(_('lesson {number}').format(number=nb))}</th>" for nb in lessons)
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
        f"<td>{e(r.exercise)}</td><td>{ICONS[r.verdict]} {e(_(HTML_VERDICTS[r.verdict]))}</td>"
        f"<td>{e(r.message)}</td></tr>" for r in rows)
    words = {k: e(v) for k, v in (
        ("title", _("GPT from Scratch: grades")),
        ("h1", _("Exercises solved, per learner and lesson")),
        ("h2", _("Every exercise")), ("learner", _("learner")), ("notebook", _("notebook")),
        ("exercise", _("exercise")), ("verdict", _("verdict")), ("message", _("message")))}
    columns = "".join(f"<th>{words[k]}</th>"
                      for k in ("learner", "notebook", "exercise", "verdict", "message"))
    _write_atomically(path, f"""<!doctype html>
{HTML_MARK}
<html lang="{current_language()}"><head><meta charset="utf-8"><title>{words['title']}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; margin-bottom: 2em; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }}
td.all {{ background: #d8f5d0; }} td.some {{ background: #fff3c4; }} td.none {{ background: #f8d7d7; }}
tr.solved td:nth-child(4) {{ color: #1a7f1a; }} tr.wrong td:nth-child(4) {{ color: #b00020; }}
</style></head><body>
<h1>{words['h1']}</h1>
<table><tr><th>{words['learner']}</th>{head}</tr>{''.join(body)}</table>
<h2>{words['h2']}</h2>
<table><tr>{columns}</tr>
{detail}</table>
</body></html>
""")


# ----------------------------------------------------------------------------- the command

def grade(paths: list[Path], cell_timeout: float = GRADE_CELL_TIMEOUT_S,
          notebook_timeout: float = GRADE_NOTEBOOK_TIMEOUT_S,
          jobs: int = 1, report=print, lang: str | None = None) -> list[Row]:
    """Grade every notebook under `paths`; one Row per (learner, notebook, exercise).

    `lang` ("en" or "it"; None: the language course_lib speaks now) is the language of the
    verdict messages, made here and in the workers.
    """
    lang = current_language() if lang is None else lang
    subs = name_learners(find_notebooks(paths))       # every file read here, before any run
    notebooks: dict[int, dict | None] = {}
    why: dict[int, str] = {}
    for i, s in enumerate(subs):
        try:
            if s.read_error:
                raise Unreadable(s.read_error)
            notebooks[i] = read_notebook(s.data)
        except Unreadable as err:
            notebooks[i], why[i] = None, str(err)
            report(_("cannot grade {learner}/{notebook}: {error}").format(
                learner=s.learner, notebook=s.name, error=err))
    to_run = []
    for i, s in enumerate(subs):
        if notebooks[i] is not None:
            _exercises, chosen = plan(notebooks[i], lesson_of(s.path.name, notebooks[i]))
            calls = [c for c in chosen.values() if not isinstance(c, str)]
            to_run.append((i, (s, notebooks[i], calls)))
    runs = run_all([job for _i, job in to_run], cell_timeout, notebook_timeout, jobs, report,
                   lang)
    runs = {to_run[k][0]: v for k, v in runs.items()}
    rows = []
    for i, s in enumerate(subs):
        graded = grade_notebook(s, notebooks[i], runs.get(i), notebook_timeout, why.get(i, ""))
        if not graded and notebooks[i] is not None:
            report(_("{notebook} calls no exercise check and is not a course lesson: "
                     "nothing to grade").format(notebook=s.name))
        rows += graded
    return rows


def release(folder: Path, report=print) -> list[Path]:
    """Write the course's lessons without their solution cells into `folder` (new files)."""
    if folder.exists() and not folder.is_dir():
        raise ValueError(_("--release {folder} is a file; give a folder").format(
            folder=shown(str(folder))))
    sources = sorted(COURSE_NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    targets = [folder / p.name for p in sources]
    taken = [t for t in targets if t.exists()]
    if taken:
        raise ValueError(_("--release {folder} already holds {name}; nothing is replaced. "
                           "Choose a new or empty folder").format(folder=shown(str(folder)),
                                                                  name=taken[0].name))
    folder.mkdir(parents=True, exist_ok=True)
    for src, dst in zip(sources, targets):
        nb = released(json.loads(src.read_text(encoding="utf-8")))
        _write_atomically(dst, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        report(_("wrote {path}").format(path=dst))
    return targets


def language(text: str) -> str:
    """A --lang value: en or it (it_IT, IT and it-IT mean it too)."""
    lang = text.strip().replace("-", "_").split(".")[0].split("_")[0].lower()
    if lang not in LANGUAGES:
        raise argparse.ArgumentTypeError(
            f"the grader speaks {' and '.join(LANGUAGES)}, not {text!r}: give --lang it for "
            f"Italian, or leave --lang out for English")
    return lang


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
    parser.add_argument("--release", type=Path, metavar="DIR",
                        help="write the lessons without their solution cells into DIR, "
                             "to hand out")
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
    parser.add_argument("--lang", type=language, default="en", metavar="{en,it}",
                        help="the language of the table, the HTML page and the verdict "
                             "messages: en (default) or it. The CSV's header and its verdict "
                             "column stay English words (learner, solved, ...), for "
                             "spreadsheets and scripts; its messages are in --lang")
    args = parser.parse_args(argv)
    set_language(args.lang)    # the table, the page and the messages made in this process
    if args.release is not None:
        if args.paths or args.own:
            parser.error("--release writes the lessons without solutions; give it alone")
        try:
            release(args.release)
        except (ValueError, OSError) as err:
            print(f"python -m course_lib.grade: error: {err}", file=sys.stderr)
            return 2
        return 0
    if args.own and args.paths:
        parser.error("--self grades the course's own notebooks folder; give either --self "
                     "or paths, not both")
    if not args.own and not args.paths:
        parser.error("give notebook files or folders to grade, or --self for your own "
                     "progress")
    if args.csv and args.html and args.csv.resolve() == args.html.resolve():
        parser.error("--csv and --html name the same file; give two different files")
    # --self: the lessons a learner works through, the English ones in notebooks/ (the
    # Italian copies in notebooks/it/ are not graded with them)
    paths = sorted(COURSE_NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if args.own else args.paths
    grade_procs.shield()       # learner code can neither read this process nor escape it
    try:
        for kind in ("csv", "html"):
            if getattr(args, kind) is not None:
                validate_report_path(getattr(args, kind), kind)
        rows = grade(paths, args.cell_timeout, args.notebook_timeout, args.jobs,
                     report=lambda line: print(line, file=sys.stderr, flush=True),
                     lang=args.lang)
    except (ValueError, CourseChanged) as err:
        print(f"python -m course_lib.grade: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("python -m course_lib.grade: " + _("interrupted; nothing was written"),
              file=sys.stderr)
        return 130
    if not rows:
        print(_("no exercises to grade in those notebooks"))
        return 0
    print(table(rows))
    if args.details or args.own:
        print()
        print(details(rows))
    print("\n" + summary(rows))
    status = 0
    for kind, write in (("csv", write_csv), ("html", write_html)):
        path = getattr(args, kind)
        if path is None:
            continue
        try:
            write(rows, path)
            print(_("wrote {path}").format(path=path))
        except OSError as err:        # a full disk: the other report is still written
            print("python -m course_lib.grade: " + _(
                "could not write --{kind} {path}: {error}; nothing was left there").format(
                kind=kind, path=path, error=err.strerror or err), file=sys.stderr)
            status = 1
    return status
