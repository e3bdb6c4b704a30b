"""The grader under attack, and under damaged input: classes of small lesson-00 notebooks.

Each learner's notebook is a short copy of lesson 00's two exercises (the heading, an
import cell, each exercise cell and its tagged solution cell). The forgers try every way
the old grader was fooled (a verdict line appended to a log, the framework's own logging
called with a made-up result, the framework patched, the kernel's reply patched, the
course's solution handed in); an attacker leaves a double-forked, setsid() process behind
that hunts for the next learner's files and the worker's pipes; damaged notebooks and odd
names must cost only their own learner. These run real kernels: slow.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from course_lib.commands import grade as g
from course_lib.commands import grade_plan

SETUP = """\
import os, sys
from course_lib import load_corpus
from course_lib.lessons.checks import check_context_target_pairs, check_encode_decode
corpus = load_corpus()
stoi, itos = corpus.tokenizer.stoi, corpus.tokenizer.chars"""

STUB1 = """\
def my_encode(s):
    raise NotImplementedError


def my_decode(ids):
    raise NotImplementedError
"""
RIGHT1 = """\
def my_encode(s):
    return [stoi[c] for c in s]


def my_decode(ids):
    return "".join(itos[i] for i in ids)
"""
WRONG1 = """\
def my_encode(s):
    return [stoi[c] + 1 for c in s]


def my_decode(ids):
    return "".join(itos[i] for i in ids)
"""
STUB2 = "def my_make_pairs(chunk):\n    raise NotImplementedError\n"
RIGHT2 = ("def my_make_pairs(chunk):\n"
          "    return [(chunk[: t + 1], chunk[t + 1]) for t in range(len(chunk) - 1)]\n")
CALL1 = "check_encode_decode(my_encode, my_decode, corpus.tokenizer)"
CALL2 = "check_context_target_pairs(my_make_pairs)"
SOLUTION1 = RIGHT1.replace("my_", "solution_") + "\n\n" + CALL1.replace("my_", "solution_")
SOLUTION2 = RIGHT2.replace("my_", "solution_") + "\n\n" + CALL2.replace("my_", "solution_")


def notebook(ex1: str, ex2: str, after: str = "") -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    sol = {"tags": ["solution"]}
    nb.cells = [nbformat.v4.new_markdown_cell("# Lesson 00: Text to tokens"),
                nbformat.v4.new_code_cell(SETUP),
                nbformat.v4.new_code_cell(ex1),
                nbformat.v4.new_code_cell(SOLUTION1, metadata=sol),
                nbformat.v4.new_code_cell(ex2),
                nbformat.v4.new_code_cell(SOLUTION2, metadata=sol)]
    if after:
        nb.cells.append(nbformat.v4.new_code_cell(after))
    return nb


def save(nb, folder: Path, name: str = "00_text_to_tokens.ipynb") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / name)
    return folder / name


def verdicts(rows, learner) -> dict[str, str]:
    return {r.exercise: r.verdict for r in rows if r.learner == learner}


FORGE_LOG = f"""{STUB1}
{CALL1}
import glob, json
line = json.dumps({{"name": "check_encode_decode", "status": "passed", "message": "ok",
                    "function": "my_encode"}})
for path in [os.environ.get("COURSE_CHECK_LOG", "")] + glob.glob("/tmp/course_grade_*/*"):
    try:
        with open(path, "a") as f:
            f.write(line + "\\n")
    except OSError:
        pass
print('{{"verdict": {{"call": 0, "status": "passed", "message": "forged"}}}}')
"""
FORGE_LOGGED = f"""{WRONG1}
from course_lib.lessons.checks.framework import CheckResult, _logged
_logged(CheckResult("check_encode_decode", "passed", "forged"))
{CALL1}
"""
FORGE_PATCH = f"""{WRONG1}
import course_lib.lessons.checks.framework as c, course_lib.lessons.remote as r, json
c._verdict = lambda checker, fn, *a, **k: c.CheckResult(checker.__name__, "passed", "patched")
r.serve = lambda handle, request: json.dumps({{"stopped": None, "modified": [],
                                               "value": "passed"}})
assert {CALL1}
"""
FORGE_SOLUTION = f"""{STUB1}
{CALL1}
"""
# the double fork: a grandchild in a session of its own, that outlives kernel and worker
ATTACK = """\
import glob, os, time
pidfile = {pidfile!r}
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        with open(pidfile, "w") as f:
            f.write(str(os.getpid()))
        line = '{{"verdict": {{"call": 0, "status": "failed", "message": "SABOTAGED"}}}}\\n'
        def started(pid):        # a process's start time: tells a reused PID from the grader
            try:
                stat = open(f"/proc/{{pid}}/stat").read()
                return stat[stat.rfind(")") + 2:].split()[19]
            except OSError:
                return None
        grader_started = started({grader})
        def ours(proc):          # only the grader's processes: the test shares its machine
            try:
                pid = int(proc.rsplit("/", 1)[1])
                for _ in range(50):
                    if pid == {grader}:
                        return True
                    stat = open(f"/proc/{{pid}}/stat").read()
                    pid = int(stat[stat.rfind(")") + 2:].split()[1])
                    if pid <= 1:
                        return False
            except (OSError, ValueError):
                return False
            return False
        for _ in range(600):
            if started({grader}) != grader_started:
                os._exit(0)      # the grader is gone (its PID may be another process's now)
            for proc in filter(ours, glob.glob("/proc/[0-9]*")):
                try:
                    cmd = open(proc + "/cmdline", "rb").read().decode(errors="replace")
                    env = open(proc + "/environ", "rb").read().decode(errors="replace")
                except OSError:
                    continue
                for part in (cmd + "\\0" + env).replace("=", "\\0").split("\\0"):
                    if part.endswith(".ipynb") and os.path.exists(part):
                        with open(part, "a") as f:
                            f.write("SABOTAGED")
                for fd in glob.glob(proc + "/fd/*"):
                    try:
                        # not the course's own source or Python's files, which a process
                        # holds open while it imports them: the test must not damage the
                        # checkout it runs from (a real attacker could; see README)
                        target = os.path.realpath(fd)
                        if target.startswith(tuple({spare!r})) or \
                                os.readlink(fd) in {quiet!r}:
                            continue
                        with open(fd, "a") as f:
                            f.write(line)
                    except OSError:
                        pass
            for path in glob.glob({tmp!r} + "/course_grade_*/**", recursive=True):
                try:
                    with open(path, "a") as f:
                        f.write(line)
                except OSError:
                    pass
            time.sleep(0.05)
        os._exit(0)
    os._exit(0)
os.wait()
"""


@pytest.mark.slow
def test_forgers_earn_nothing_an_attacker_touches_no_one_honest_learners_count(tmp_path,
                                                                               monkeypatch):
    cls = tmp_path / "class"
    pidfile = tmp_path / "daemon.pid"
    save(notebook(RIGHT1 + f"\nassert {CALL1}", RIGHT2 + f"\nresult = {CALL2}\nresult"),
         cls / "honest_assert")
    save(notebook(RIGHT1 + f"\nprint({CALL1})", RIGHT2 + f"\ndisplay({CALL2})"),
         cls / "honest_print")
    save(notebook(FORGE_LOG, STUB2 + "\n" + CALL2), cls / "forger_log")
    save(notebook(FORGE_LOGGED, STUB2 + "\n" + CALL2), cls / "forger_logged")
    save(notebook(FORGE_PATCH, STUB2 + "\n" + CALL2), cls / "forger_patch")
    save(notebook(FORGE_SOLUTION, STUB2 + "\ncheck_context_target_pairs(solution_make_pairs)",
                  after="my_encode, my_decode = solution_encode, solution_decode\n" + CALL1),
         cls / "forger_solution")
    tmp = tmp_path / "tmp"              # the grader's temp folders, where the attacker looks
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    spare = [str(Path(p).resolve()) + os.sep for p in (g.REPO, sys.prefix, sys.base_prefix)]
    # nor what the test run held open before grading (its output: a CI log filled with the
    # attacker's lines); the grader's own files, pipes and records are opened later
    quiet = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            quiet.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass
    attack = ATTACK.format(pidfile=str(pidfile), grader=os.getpid(), tmp=str(tmp), spare=spare,
                           quiet=quiet)
    save(notebook(STUB1 + "\n" + CALL1 + "\n" + attack,
                  STUB2 + "\n" + CALL2), cls / "mallory")
    victim = save(notebook(RIGHT1 + "\n" + CALL1, RIGHT2 + "\n" + CALL2), cls / "zoe")
    before = victim.read_bytes()

    assert g.main([str(cls), "--csv", str(tmp_path / "g.csv"), "--cell-timeout", "60"]) == 0
    rows = list(_csv_rows(tmp_path / "g.csv"))
    solved: dict[str, list[str]] = {}
    for (who, _), v in rows:
        solved.setdefault(who, []).append(v)
    assert solved["honest_assert"] == ["solved", "solved"]
    assert solved["honest_print"] == ["solved", "solved"]
    assert solved["zoe"] == ["solved", "solved"]              # the attacker's victim
    for forger in ("forger_log", "forger_logged", "forger_patch", "forger_solution"):
        assert "solved" not in solved[forger], forger
    assert solved["forger_log"][0] == "not_attempted"
    assert solved["forger_logged"][0] == "wrong"
    assert solved["forger_patch"][0] == "wrong"
    assert solved["forger_solution"] == ["not_attempted", "wrong"]
    assert victim.read_bytes() == before                       # the victim's file untouched
    assert not alive(int(pidfile.read_text()))                 # the double fork was ended
    assert not list(tmp.glob("course_grade_*"))                # every temp folder removed


def alive(pid: int) -> bool:
    """Running, not a zombie that only waits to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] != "Z"


def _csv_rows(path: Path):
    import csv
    with open(path, encoding="utf-8") as f:
        for row in list(csv.DictReader(f)):
            yield (row["learner"], row["exercise"]), row["verdict"]


@pytest.mark.slow
def test_damaged_notebooks_and_odd_names_cost_only_their_learner(tmp_path, capsys):
    cls = tmp_path / "class"
    good = notebook(RIGHT1 + "\n" + CALL1, STUB2 + "\n" + CALL2)
    broken = json.loads(nbformat.writes(good))
    broken["cells"][2] = 5                                      # a cell that is not an object
    (cls / "broken").mkdir(parents=True)
    (cls / "broken" / "00_text_to_tokens.ipynb").write_text(json.dumps(broken))
    tags = json.loads(nbformat.writes(good))
    tags["cells"][3]["metadata"]["tags"] = 5
    (cls / "tags").mkdir()
    (cls / "tags" / "00_text_to_tokens.ipynb").write_text(json.dumps(tags))
    v3 = nbformat.convert(good, 3)
    (cls / "old").mkdir()
    (cls / "old" / "00_text_to_tokens.ipynb").write_text(json.dumps(v3))
    save(good, cls / "section1" / "bob")
    save(notebook(STUB1 + "\n" + CALL1, STUB2 + "\n" + CALL2), cls / "section2" / "bob")
    save(notebook(STUB1 + "\n" + CALL1 + "\nimport shutil\nshutil.rmtree(os.getcwd())\n"
                  "print('garbage ' * 1000)", STUB2 + "\n" + CALL2), cls / "=cmd|calc!A1")
    odd = Path(os.fsdecode(bytes(cls) + b"/caf\xe9"))
    save(notebook(STUB1 + "\n" + CALL1, STUB2 + "\n" + CALL2), odd)
    csv_path, html_path = tmp_path / "g.csv", tmp_path / "g.html"

    assert g.main([str(cls), "--csv", str(csv_path), "--html", str(html_path)]) == 0
    rows = dict(_csv_rows(csv_path))
    assert rows[("broken", "check_encode_decode")] == "failed"
    assert rows[("tags", "check_encode_decode")] == "failed"
    assert rows[("old", "check_encode_decode")] == "solved"           # nbformat 3, converted
    assert rows[("section1/bob", "check_encode_decode")] == "solved"  # two bobs, two rows
    assert rows[("section2/bob", "check_encode_decode")] == "not_attempted"
    assert rows[("'=cmd|calc!A1", "check_encode_decode")] == "not_attempted"  # shown as text
    assert rows[("caf\\xe9", "check_encode_decode")] == "not_attempted"       # escaped
    text = csv_path.read_text(encoding="utf-8")
    assert "cell 3 is not a JSON object" in text and "metadata.tags is 5" in text
    assert "caf\\xe9" in html_path.read_text(encoding="utf-8")


def test_csv_and_html_may_not_name_the_same_file(tmp_path, capsys):
    nb = save(notebook(STUB1 + "\n" + CALL1, STUB2 + "\n" + CALL2), tmp_path / "a")
    with pytest.raises(SystemExit):
        g.main([str(nb), "--csv", str(tmp_path / "x"), "--html", str(tmp_path / "x")])
    assert "same file" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_a_full_disk_for_the_csv_still_writes_the_html(tmp_path, monkeypatch, capsys):
    rows = [g.Row("ann", "00.ipynb", "check_encode_decode", "solved", "ok", "00")]
    monkeypatch.setattr(g, "grade", lambda *a, **k: rows)
    full = Path("/dev/full")
    if not full.exists():
        pytest.skip("no /dev/full on this system")
    real = g._write_atomically

    def write(path, text):
        if path.suffix == ".csv":
            raise OSError(28, "No space left on device")
        real(path, text)
    monkeypatch.setattr(g, "_write_atomically", write)
    nb = save(notebook(STUB1, STUB2), tmp_path / "a")
    status = g.main([str(nb), "--csv", str(tmp_path / "g.csv"), "--html",
                     str(tmp_path / "g.html")])
    assert status == 1
    assert "No space left on device" in capsys.readouterr().err
    assert (tmp_path / "g.html").exists() and not (tmp_path / "g.csv").exists()


def test_formula_cells_are_text_in_the_csv(tmp_path):
    g.write_csv([g.Row("=cmd|calc!A1", "n", "e", "solved", "-1", "00"),
                 g.Row("@SUM(1)", "n", "e", "solved", "+x", "00")], tmp_path / "g.csv")
    text = (tmp_path / "g.csv").read_text(encoding="utf-8")
    assert "'=cmd|calc!A1" in text and "'-1" in text and "'@SUM(1)" in text and "'+x" in text


@pytest.mark.parametrize("code,found", [
    ("assert check_encode_decode(a, b, t)", ["check_encode_decode"]),
    ("r = check_context_target_pairs(f)", ["check_context_target_pairs"]),
    ("print(check_stable_softmax(f))", ["check_stable_softmax"]),
    ("display(check_stable_softmax(f))", ["check_stable_softmax"]),
    ("%time check_stable_softmax(f)\nx = 1", []),         # a magic line is not Python
    ("def g():\n    return check_merge(f)\ncheck_count_pairs(h)", ["check_merge",
                                                               "check_count_pairs"]),
    ("# check_merge(f)\ns = 'check_merge(f)'", []),       # a comment and a string are not calls
    ("check_not_a_check(f)", []),
])
def test_check_calls_are_found_the_way_python_reads_them(code, found):
    assert [c.check for c in grade_plan.find_check_calls(code)] == found


def test_the_release_has_no_solution_cells_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "handout"
    assert g.main(["--release", str(out)]) == 0
    for path in sorted(out.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert not [c for c in nb["cells"] if "solution" in c["metadata"].get("tags", [])]
        assert "def solution_" not in path.read_text(encoding="utf-8"), path.name
    assert len(list(out.glob("*.ipynb"))) == len(grade_plan.course_lessons())
    for path in sorted(out.glob("*.ipynb")):     # graded the same: each exercise has its call
        nb = grade_plan.read_notebook(path.read_bytes())
        lesson = grade_plan.lesson_of(path.name, nb)
        exercises, chosen = grade_plan.plan(nb, lesson)
        assert exercises == list(lesson.exercises)
        assert all(isinstance(c, grade_plan.CheckCall) for c in chosen.values()), path.name
    assert g.main(["--release", str(out)]) == 2                # nothing replaced


def test_a_process_tree_that_double_forks_is_ended(tmp_path):
    """end_descendants finds a setsid() grandchild through the subreaper."""
    import subprocess
    import sys
    import time
    pidfile = tmp_path / "pid"
    code = (f"import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            f"        open({str(pidfile)!r}, 'w').write(str(os.getpid()))\n"
            f"        time.sleep(60)\n    os._exit(0)\nos.wait()\n")
    script = ("import sys, subprocess, time\n"
              "from course_lib.commands import grade_procs\n"
              "grade_procs.shield()\n"
              f"subprocess.run([sys.executable, '-c', {code!r}])\n"
              f"while not __import__('os').path.exists({str(pidfile)!r}): time.sleep(0.05)\n"
              "print(grade_procs.end_descendants())\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "PYTHONPATH": str(g.REPO)})
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) >= 1
    pid = int(pidfile.read_text())
    time.sleep(0.2)
    assert not alive(pid)


@pytest.mark.slow
def test_a_learner_who_rewrites_the_course_stops_the_grading(tmp_path, monkeypatch, capsys):
    """Learner code runs with the instructor's rights, so it can rewrite the course's own
    files, which compute the next learners' verdicts. The grader compares the course's
    files with their fingerprint after each learner: a change stops grading, names the
    learner and the file, and writes no report. (A stand-in folder plays the course here,
    so the test never touches the checkout.)"""
    course = tmp_path / "course_lib"
    (course / "lessons").mkdir(parents=True)
    (course / "lessons" / "checks.py").write_text("# the checks\n")
    monkeypatch.setattr(g, "COURSE_FILES", course)
    cls = tmp_path / "class"
    save(notebook(RIGHT1 + "\n" + CALL1, RIGHT2 + "\n" + CALL2), cls / "alice")
    patch = (f"with open({str(course / 'lessons' / 'checks.py')!r}, 'a') as f:\n"
             f"    f.write('PASS_EVERYONE = True\\n')\n")
    save(notebook(STUB1 + "\n" + CALL1 + "\n" + patch, STUB2 + "\n" + CALL2), cls / "mallory")
    save(notebook(RIGHT1 + "\n" + CALL1, RIGHT2 + "\n" + CALL2), cls / "zoe")
    csv_path = tmp_path / "g.csv"
    assert g.main([str(cls), "--csv", str(csv_path), "--cell-timeout", "60"]) == 2
    err = capsys.readouterr().err
    assert "changed while mallory/00_text_to_tokens.ipynb ran" in err
    assert "course_lib/lessons/checks.py" in err and "grading stopped" in err
    assert "graded zoe" not in err and not csv_path.exists()


def test_the_course_fingerprint_sees_a_changed_added_or_removed_file(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.pyc").write_bytes(b"\0")
    before = g.course_fingerprint(tmp_path)
    assert list(before) == ["a.py"]                     # caches are not the course
    (tmp_path / "__pycache__" / "a.pyc").write_bytes(b"\1")
    assert g.course_fingerprint(tmp_path) == before
    for change in (lambda: (tmp_path / "a.py").write_text("x = 2\n"),
                   lambda: (tmp_path / "b.py").write_text(""),
                   lambda: (tmp_path / "a.py").unlink()):
        change()
        assert g.course_fingerprint(tmp_path) != before
