"""The instructors' grader, `python -m course_lib.grade`.

The fast tests feed the verdict logic with what a worker reports, and check finding
notebooks, naming learners and writing the reports. The slow ones grade real kernels: a
class of learners' copies of lesson 03 (solved, wrong, not attempted, crashing, looping,
ignoring interrupts, handing in the course's solution) and the course's own notebooks,
which must all come out "not attempted": the solution cells never count.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest

from conftest import REPO
from course_lib.commands import grade as g

LESSON_03 = REPO / "notebooks" / "03_softmax.ipynb"
SOLVED_SOFTMAX = ("def my_softmax(x):\n    e = (x - x.max(dim=-1, keepdim=True).values).exp()\n"
                  "    return e / e.sum(dim=-1, keepdim=True)\n\n\ncheck_stable_softmax(my_softmax)")
MEAN_SOFTMAX = ("def my_softmax(x):\n    e = (x - x.mean(dim=-1, keepdim=True)).exp()\n"
                "    return e / e.sum(dim=-1, keepdim=True)\n\n\ncheck_stable_softmax(my_softmax)")
LOOPING_SOFTMAX = ("def my_softmax(x):\n    while True:\n        pass\n\n\n"
                   "check_stable_softmax(my_softmax)")


def lesson_03() -> nbformat.NotebookNode:
    return nbformat.read(LESSON_03, as_version=4)


def exercise_index(nb, stub: str = "def my_softmax(") -> int:
    return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and stub in c.source)


def write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def learner_copy(folder: Path, name: str, answer: str | None = None,
                 insert_before: str | None = None, append: str | None = None) -> Path:
    """Lesson 03 as a learner hands it in: one answer filled in, or a cell added."""
    nb = lesson_03()
    i = exercise_index(nb)
    if answer is not None:
        nb.cells[i].source = answer
    if insert_before is not None:
        nb.cells.insert(i, nbformat.v4.new_code_cell(insert_before))
    if append is not None:
        nb.cells.append(nbformat.v4.new_code_cell(append))
    return write(nb, folder / name / "03_softmax.ipynb")


def rows_by(rows, learner):
    return {r.exercise: r for r in rows if r.learner == learner}


# ============================================================================= the lessons

def test_every_course_lesson_has_its_exercises_and_solutions():
    lessons = g.course_lessons()
    notebooks = sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(les.name for les in lessons.values()) == notebooks
    for les in lessons.values():
        assert len(les.exercises) >= 2, les
        assert len(les.solutions) >= len(les.exercises), les
    assert g.course_lessons()["03"].exercises == ("check_stable_softmax",
                                                  "check_temperature_probs",
                                                  "check_cross_entropy")


def test_a_lesson_is_known_by_its_heading_or_its_file_name(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": "# Lesson 03: Softmax\n\ntext"}]}
    assert g.lesson_of(tmp_path / "alice.ipynb", nb).number == "03"
    assert g.lesson_of(tmp_path / "08_full_gpt-Copy1.ipynb", {"cells": []}).number == "08"
    assert g.lesson_of(tmp_path / "alice_02_bigram.ipynb", {"cells": []}).number == "02"
    assert g.lesson_of(tmp_path / "notes.ipynb", {"cells": []}) is None


# ============================================================================= finding and naming

def test_folders_are_searched_and_checkpoint_copies_are_skipped(tmp_path):
    a = write(lesson_03(), tmp_path / "alice" / "03_softmax.ipynb")
    write(lesson_03(), tmp_path / "alice" / ".ipynb_checkpoints" / "03_softmax-checkpoint.ipynb")
    b = write(lesson_03(), tmp_path / "bob" / "03_softmax.ipynb")
    assert [nb.resolve() for _, nb in g.find_notebooks([tmp_path])] == [a.resolve(),
                                                                          b.resolve()]
    assert [nb.resolve() for _, nb in g.find_notebooks([a, a])] == [a.resolve()]


@pytest.mark.parametrize("make,fragment", [
    (lambda p: p / "missing", "does not exist; give notebook files (.ipynb) or folders"),
    (lambda p: (p / "x.py").write_text("") or p / "x.py", "is not a notebook (.ipynb)"),
    (lambda p: (p / "empty").mkdir() or p / "empty", "no notebooks (.ipynb) found in"),
])
def test_bad_paths_are_named(tmp_path, make, fragment):
    with pytest.raises(ValueError, match=fragment.replace("(", r"\(").replace(")", r"\)")
                       .replace(".", r"\.")):
        g.find_notebooks([make(tmp_path)])


def test_a_learner_is_a_folder_or_a_file_when_notebooks_sit_side_by_side(tmp_path):
    write(lesson_03(), tmp_path / "alice" / "03_softmax.ipynb")
    nb02 = nbformat.read(REPO / "notebooks" / "02_bigram.ipynb", as_version=4)
    write(nb02, tmp_path / "alice" / "02_bigram.ipynb")
    write(lesson_03(), tmp_path / "inbox" / "carol.ipynb")     # two copies of lesson 03
    write(lesson_03(), tmp_path / "inbox" / "dave.ipynb")
    write(lesson_03(), tmp_path / "section1" / "bob" / "03_softmax.ipynb")
    write(lesson_03(), tmp_path / "section2" / "bob" / "03_softmax.ipynb")
    subs = g.name_learners(g.find_notebooks([tmp_path]))
    assert sorted((s.learner, s.path.name) for s in subs) == [
        ("alice", "02_bigram.ipynb"), ("alice", "03_softmax.ipynb"),
        ("inbox/carol", "carol.ipynb"), ("inbox/dave", "dave.ipynb"),
        ("section1/bob", "03_softmax.ipynb"), ("section2/bob", "03_softmax.ipynb")]


# ============================================================================= verdicts
# The worker reports, per check call the grader picked (numbered in the lesson's exercise
# order), the verdict the grader's own copy of the check computed.

def fake_run(nb, verdicts: dict[int, dict] | None = None, at: dict[int, dict] | None = None,
             **kw) -> g.Run:
    """A worker's report: every code cell ran, with the verdicts and cell entries given."""
    cells = {i: {"cell": i, "error": None, "timed_out": False}
             for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    for i, entry in (at or {}).items():
        cells[i] = cells[i] | entry
    return g.Run(cells=cells, verdicts=dict(verdicts or {}), done=not kw, **kw)


def graded(nb, run, path="x/03_softmax.ipynb", timeout=300.0):
    sub = g.Submission("x", Path(path))
    return {r.exercise: r for r in g.grade_notebook(sub, json.loads(nbformat.writes(nb)), run,
                                                    timeout)}


def test_each_verdict_the_worker_computed_is_the_exercises():
    nb = lesson_03()
    for status, verdict in [("passed", "solved"), ("failed", "wrong"),
                            ("not_attempted", "not_attempted"), ("timed_out", "timed_out"),
                            ("unverified", "unverified"), ("error", "failed")]:
        row = graded(nb, fake_run(nb, {0: {"status": status, "message": "why"}}))
        assert (row["check_stable_softmax"].verdict, row["check_stable_softmax"].message) == \
            (verdict, "why")


def test_the_call_that_grades_is_the_last_before_the_solution_cell():
    nb = lesson_03()
    i = exercise_index(nb)
    nb.cells.insert(i, nbformat.v4.new_code_cell("assert check_stable_softmax(my_softmax)"))
    nb.cells.append(nbformat.v4.new_code_cell("my_softmax = solution_softmax\n"
                                              "print(check_stable_softmax(my_softmax))"))
    exercises, chosen = g.plan(json.loads(nbformat.writes(nb)), g.course_lessons()["03"])
    assert exercises == list(g.course_lessons()["03"].exercises)
    assert chosen["check_stable_softmax"].cell == i + 1        # not the one after the solution


def test_a_solution_cell_counts_even_without_its_tag():
    nb = lesson_03()
    i = exercise_index(nb)
    nb.cells[i + 1].metadata = {}             # an editor dropped the tag: the code still tells
    nb.cells[i].source = "def my_softmax(x):\n    return x"      # and the learner's call is gone
    row = graded(nb, fake_run(nb))["check_stable_softmax"]
    assert row.verdict == "not_attempted"
    assert "does not call check_stable_softmax(...) outside the solution cells" in row.message


def test_the_courses_solution_function_handed_in_is_wrong():
    nb = lesson_03()
    i = exercise_index(nb)
    nb.cells[i].source = "check_stable_softmax(solution_softmax)"
    row = graded(nb, fake_run(nb))["check_stable_softmax"]
    assert row.verdict == "wrong"
    assert "gives check_stable_softmax the course's solution function" in row.message


def test_a_check_called_only_after_the_solution_is_not_attempted():
    nb = lesson_03()
    i = exercise_index(nb)
    nb.cells[i].source = "def my_softmax(x):\n    return x"
    nb.cells.append(nbformat.v4.new_code_cell("check_stable_softmax(my_softmax)"))
    row = graded(nb, fake_run(nb))["check_stable_softmax"]
    assert row.verdict == "not_attempted" and "only after the exercise's solution" in row.message


def test_an_answer_written_in_a_solution_cell_is_named():
    nb = lesson_03()
    i = exercise_index(nb)
    nb.cells[i + 1].source = SOLVED_SOFTMAX           # the learner wrote in the solution cell
    run = fake_run(nb, {0: {"status": "not_attempted", "message": "not attempted yet"}})
    row = graded(nb, run)["check_stable_softmax"]
    assert row.verdict == "not_attempted"
    assert f"cell {i + 2} is a solution cell you changed: answers there do not count" in row.message


def test_why_a_check_gave_no_verdict_is_said():
    nb = lesson_03()
    i = exercise_index(nb)
    rows = graded(nb, fake_run(nb, at={i: {"timed_out": True}}))
    assert rows["check_stable_softmax"].verdict == "timed_out"
    assert "ran past the time limit per cell" in rows["check_stable_softmax"].message

    row = graded(nb, fake_run(nb, dead=i, dead_error="Kernel died"))["check_stable_softmax"]
    assert row.verdict == "failed" and f"the kernel died in cell {i + 1}" in row.message

    killed = fake_run(nb, killed=True)
    for j in [k for k in killed.cells if k >= i]:
        del killed.cells[j]
    row = graded(nb, killed, timeout=45)["check_stable_softmax"]
    assert row.verdict == "timed_out"
    assert (f"ran past its time limit of 45 s before check_stable_softmax was graded (cell "
            f"{i + 1} was running)") in row.message

    err = {"ename": "NameError", "evalue": "name 'torch' is not defined"}
    run = fake_run(nb, {0: {"status": "error", "message": "evaluating the check's arguments "
                                                          "raised NameError"}},
                   at={i: {"error": err}})
    row = graded(nb, run)["check_stable_softmax"]
    assert row.verdict == "failed"
    assert f"cell {i + 1} raised NameError: name 'torch' is not defined" in row.message


def test_a_check_the_learner_deleted_is_not_attempted():
    nb = lesson_03()
    i = exercise_index(nb)
    nb.cells[i].source = "def my_softmax(x):\n    return x"
    row = graded(nb, fake_run(nb))["check_stable_softmax"]
    assert row.verdict == "not_attempted"
    assert "does not call check_stable_softmax(...) outside the solution cells" in row.message


def test_an_unreadable_notebook_fails_every_exercise(tmp_path):
    bad = tmp_path / "alice" / "03_softmax.ipynb"
    bad.parent.mkdir()
    bad.write_text("{ not json", encoding="utf-8")
    rows = g.grade([bad], report=lambda line: None)
    assert [r.exercise for r in rows] == list(g.course_lessons()["03"].exercises)
    assert {r.verdict for r in rows} == {"failed"}
    assert "not a notebook Jupyter can read" in rows[0].message


# ============================================================================= reports

ROWS = [g.Row("alice", "03_softmax.ipynb", "check_stable_softmax", "solved", "ok", "03"),
        g.Row("alice", "03_softmax.ipynb", "check_cross_entropy", "wrong",
              'gave <b>"nan"</b>, look', "03"),
        g.Row("bob", "bob.ipynb", "check_stable_softmax", "not_attempted", "not yet", "03"),
        g.Row("bob", "02_bigram.ipynb", "check_bigram_counts", "timed_out", "loop", "02")]


def test_the_table_counts_solved_per_learner_and_lesson():
    assert g.table(ROWS).splitlines() == [
        "learner     02     03  total",
        "alice        -    1/2  1/2",
        "bob        0/1    0/1  0/2"]


def test_the_csv_has_one_row_per_exercise(tmp_path):
    path = tmp_path / "grades.csv"
    g.write_csv(ROWS, path)
    with open(path, encoding="utf-8", newline="") as f:
        got = list(csv.reader(f))
    assert got[0] == ["learner", "notebook", "exercise", "verdict", "message"]
    assert got[2] == ["alice", "03_softmax.ipynb", "check_cross_entropy", "wrong",
                      'gave <b>"nan"</b>, look']
    assert len(got) == len(ROWS) + 1
    assert {row[3] for row in got[1:]} <= set(g.VERDICTS)


def test_the_html_escapes_what_learners_wrote(tmp_path):
    path = tmp_path / "grades.html"
    g.write_html(ROWS, path)
    page = path.read_text(encoding="utf-8")
    assert "&lt;b&gt;&quot;nan&quot;&lt;/b&gt;" in page and "<b>" not in page
    assert page.count("<tr class=") == len(ROWS)
    assert '<td class="some">1/2</td>' in page and '<td class="none">0/1</td>' in page


def test_a_report_never_replaces_a_file_the_grader_did_not_write(tmp_path):
    mine = tmp_path / "notes.csv"
    mine.write_text("my own notes\n", encoding="utf-8")
    with pytest.raises(ValueError, match="already exists and was not written by the grader"):
        g.validate_report_path(mine, "csv")
    assert mine.read_text(encoding="utf-8") == "my own notes\n"
    ours = tmp_path / "grades.csv"
    g.write_csv(ROWS, ours)
    g.validate_report_path(ours, "csv")              # its own earlier report may be replaced
    page = tmp_path / "grades.html"
    g.write_html(ROWS, page)
    g.validate_report_path(page, "html")
    with pytest.raises(ValueError, match="is a folder"):
        g.validate_report_path(tmp_path, "html")
    with pytest.raises(ValueError, match="does not exist; create it"):
        g.validate_report_path(tmp_path / "no" / "x.csv", "csv")


def exit_status(argv) -> int:
    try:
        return g.main(argv)
    except SystemExit as stop:          # argparse's errors
        return stop.code


@pytest.mark.parametrize("argv,fragment", [
    ([], "give notebook files or folders to grade, or --self"),
    (["--self", "x"], "give either --self or paths, not both"),
    (["--jobs", "0", "x"], "--jobs: expected a whole number > 0"),
    (["missing_folder"], "missing_folder does not exist"),
])
def test_bad_arguments_get_one_line(capsys, argv, fragment):
    assert exit_status(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err


def test_a_foreign_report_file_is_refused_before_any_notebook_runs(tmp_path, capsys):
    mine = tmp_path / "grades.csv"
    mine.write_text("name,mark\nalice,9\n", encoding="utf-8")
    nb = write(lesson_03(), tmp_path / "alice" / "03_softmax.ipynb")
    assert exit_status([str(nb), "--csv", str(mine)]) == 2
    assert "already exists and was not written by the grader" in capsys.readouterr().err
    assert mine.read_text(encoding="utf-8") == "name,mark\nalice,9\n"


# ============================================================================= real kernels

@pytest.mark.slow
def test_a_class_is_graded_as_expected(tmp_path, capsys):
    """Seven learners' copies of lesson 03, graded in real kernels, two at a time (the
    isolation between learners holds with --jobs 1; here it is the verdicts that count)."""
    subs = tmp_path / "submissions"
    learner_copy(subs, "alice", answer=SOLVED_SOFTMAX)
    learner_copy(subs, "bob", answer=MEAN_SOFTMAX)
    learner_copy(subs, "carol")                                  # untouched
    learner_copy(subs, "dave", insert_before="import os\nos._exit(1)")       # crashes
    learner_copy(subs, "erin", answer=LOOPING_SOFTMAX)           # the check's own time limit
    learner_copy(subs, "frank", insert_before=(                  # ignores the interrupt
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "while True:\n    time.sleep(0.01)"))
    learner_copy(subs, "gina", answer=SOLVED_SOFTMAX,
                 append="check_temperature_probs(solution_probs_with_temperature)")
    before = {p: p.read_bytes() for p in subs.rglob("*.ipynb")}
    out_csv, out_html = tmp_path / "grades.csv", tmp_path / "grades.html"

    code = g.main([str(subs), "--jobs", "2", "--cell-timeout", "20", "--notebook-timeout",
                   "45", "--csv", str(out_csv), "--html", str(out_html)])
    printed = capsys.readouterr().out
    assert code == 0
    assert {p: p.read_bytes() for p in subs.rglob("*.ipynb")} == before   # only read
    with open(out_csv, encoding="utf-8", newline="") as f:
        rows = [g.Row(**r, lesson="03") for r in csv.DictReader(f)]
    got = {(r.learner, r.exercise): r.verdict for r in rows}
    soft, temp, ce = g.course_lessons()["03"].exercises
    assert got == {
        ("alice", soft): "solved", ("alice", temp): "not_attempted", ("alice", ce): "not_attempted",
        ("bob", soft): "wrong", ("bob", temp): "not_attempted", ("bob", ce): "not_attempted",
        ("carol", soft): "not_attempted", ("carol", temp): "not_attempted",
        ("carol", ce): "not_attempted",
        ("dave", soft): "failed", ("dave", temp): "failed", ("dave", ce): "failed",
        ("erin", soft): "timed_out", ("erin", temp): "not_attempted", ("erin", ce): "not_attempted",
        ("frank", soft): "timed_out", ("frank", temp): "timed_out", ("frank", ce): "timed_out",
        # gina's call with the course's solution comes after the solution cell: it does not
        # count, her exercise cell's call (the stub) does
        ("gina", soft): "solved", ("gina", temp): "not_attempted", ("gina", ce): "not_attempted",
    }
    by = {(r.learner, r.exercise): r.message for r in rows}
    assert "subtract" in by[("bob", soft)].lower() or "max" in by[("bob", soft)]
    assert "the kernel died in cell" in by[("dave", soft)]
    assert "ran for more than" in by[("erin", soft)]
    # frank's loop ignores the interrupt: his cells time out one after the other until the
    # notebook's limit ends the kernel
    assert all("time limit" in by[("frank", ex)] for ex in (soft, temp, ce))
    assert "not attempted yet" in by[("gina", temp)]
    lines = [line.split() for line in printed.splitlines()]
    assert ["alice", "1/3", "1/3"] in lines and ["carol", "0/3", "0/3"] in lines
    page = out_html.read_text(encoding="utf-8")
    assert page.count("<tr class=") == 21 and ">alice<" in page


@pytest.mark.slow
def test_the_courses_own_notebooks_are_all_not_attempted(tmp_path, capsys):
    """`--self` on the notebooks as shipped: the solution cells pass, yet nothing counts."""
    out_csv = tmp_path / "self.csv"
    assert g.main(["--self", "--jobs", "2", "--csv", str(out_csv)]) == 0
    printed = capsys.readouterr().out
    with open(out_csv, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    lessons = g.course_lessons()
    assert len(rows) == sum(len(les.exercises) for les in lessons.values())
    bad = [(r["notebook"], r["exercise"], r["verdict"], r["message"]) for r in rows
           if r["verdict"] != "not_attempted"]
    assert not bad
    assert "not attempted yet" in rows[0]["message"]
    assert "⏳ check_" in printed            # --self lists every exercise


def test_the_fixture_answers_are_what_the_checks_say(tmp_path):
    """The fixture's answers, checked in this process: the slow test's table rests on them."""
    import torch

    from course_lib.lessons.checks import check_stable_softmax
    for src, status in [(SOLVED_SOFTMAX, "passed"), (MEAN_SOFTMAX, "failed")]:
        scope = {"torch": torch, "check_stable_softmax": lambda fn: fn}
        exec(src.replace("\n\n\ncheck_stable_softmax(my_softmax)", ""), scope)
        assert check_stable_softmax(scope["my_softmax"]).status == status
