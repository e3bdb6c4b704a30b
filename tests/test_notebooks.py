"""The notebooks as stored: built from their sources, executed, and complete lessons.

nbval (run by the same `pytest`) re-executes each notebook and compares the outputs; these
tests check what nbval cannot: that nothing drifted from notebooks/src, that every lesson
has its plot, widget, exercises with checks that are really called, and a summary.
"""

import json
import re
from pathlib import Path

import pytest

import build_notebooks
from course_lib.lessons import checks
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOURCES = sorted((REPO / "notebooks" / "src").glob("[0-9][0-9]_*.py"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def text_of(output) -> str:
    if "text" in output:
        return "".join(output["text"])
    return "".join(output.get("data", {}).get("text/plain", ""))


def test_there_are_notebooks_and_each_has_a_source():
    assert NOTEBOOKS, "no notebooks found"
    assert [p.stem for p in NOTEBOOKS] == [p.stem for p in SOURCES]


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.stem)
def test_notebook_matches_its_source(src):
    assert build_notebooks.drifted(src) is None, build_notebooks.drifted(src)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_a_complete_lesson(path):
    nb = load(path)
    cells = code_cells(nb)
    source = "\n".join("".join(c["source"]) for c in cells)
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    outputs = [o for c in cells for o in c["outputs"]]
    assert "from course_lib" in source or "import course_lib" in source
    assert all(c["execution_count"] is not None for c in cells), "stored without running every cell"
    errors = [o for o in outputs if o["output_type"] == "error"]
    assert not errors, f"stored error output: {errors[0].get('ename')}"
    assert markdown.lstrip().startswith("# Lesson"), "the first cell is the lesson title"
    assert "## Summary" in markdown
    assert re.search(r"\*\*Next:\*\*|\*\*The end", markdown), "a pointer to the next lesson"
    assert any("image/png" in o.get("data", {}) for o in outputs), "at least one plot"
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs), \
        "at least one widget"
    assert "torch.compile" not in source or "compile=False" in source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_are_checked_stub_first_then_solution(path):
    """Each exercise: a stub cell whose check says "not attempted", then a collapsed solution
    cell whose same check passes. At least two per lesson."""
    cells = code_cells(load(path))
    stubs, solutions = {}, {}
    for c in cells:
        src = "".join(c["source"])
        called = [n for n in re.findall(r"^(check_\w+)\(", src, flags=re.M) if hasattr(checks, n)]
        if not called:
            continue
        out = "\n".join(text_of(o) for o in c["outputs"])
        is_solution = "solution" in c["metadata"].get("tags", [])
        for name in called:
            (solutions if is_solution else stubs)[name] = out
        if is_solution:
            assert c["metadata"].get("jupyter", {}).get("source_hidden"), "solution not collapsed"
    assert len(solutions) >= 2, f"{path.name} has {len(solutions)} checked exercises, needs 2"
    assert set(stubs) == set(solutions)
    for name in stubs:
        assert f"⏳ {name}: not attempted yet" in stubs[name], f"{name} stub output: {stubs[name]!r}"
        assert f"✅ {name}:" in solutions[name], f"{name} solution output: {solutions[name]!r}"


def test_every_check_is_used_by_a_notebook_and_tested():
    used = "\n".join(p.read_text(encoding="utf-8") for p in NOTEBOOKS)
    tested = (REPO / "tests" / "test_checks.py").read_text(encoding="utf-8")
    names = [n for n in dir(checks) if n.startswith("check_")]
    assert names
    for name in names:
        assert name in used, f"{name} is never called in a notebook"
        assert name in tested, f"{name} has no test in tests/test_checks.py"
