"""What the grader reads in a notebook, without running it: cells, solutions, check calls.

- `read_notebook(data)`: a learner's file as nbformat 4 (nbformat 3 converted), or the
  reason it cannot be graded (not JSON, a cell that is not an object, tags that are not a
  list of strings, ...).
- `find_check_calls(code)`: every call of an exercise check in a cell, found with `ast` the way
  Python reads the cell (inside `assert`, an assignment, `print(...)`, `display(...)`),
  with the source of each argument.
- `plan(nb, lesson)`: which check call grades each exercise: the last one in a cell that is
  not a solution cell, before the exercise's solution cell, whose arguments name no
  `solution_` function (later cells may use the solutions, so later calls do not count).
- `release(folder)`: the course's lessons without their solution cells.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..i18n import _
from ..lessons import checks

REPO = Path(__file__).resolve().parents[2]
COURSE_NOTEBOOKS = REPO / "notebooks"
MAX_NOTEBOOK_BYTES = 64 << 20      # a submitted file larger than this is not read
TITLE = re.compile(r"^#\s+Lesson\s+(\d+)\b", re.M)
SOLUTION_TAG = "solution"


class Unreadable(ValueError):
    """A submitted file the grader cannot grade; the message says why, for the learner."""


class WrongCall(str):
    """Why no call grades an exercise, when that is itself a wrong answer (the notebook hands
    the check the course's solution function): the grader's verdict is "wrong"."""


def code_of(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def normalised(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def is_tagged_solution(cell: dict) -> bool:
    return SOLUTION_TAG in cell.get("metadata", {}).get("tags", [])


def _validate(nb) -> dict:
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise Unreadable(_("the file is not a notebook Jupyter can read (no list of cells); "
                           "open it in JupyterLab and save it again"))
    for i, cell in enumerate(nb["cells"]):
        where = i + 1
        if not isinstance(cell, dict):
            raise Unreadable(_("cell {cell} is not a JSON object; the notebook is damaged. "
                               "Open it in JupyterLab and save it again").format(cell=where))
        if cell.get("cell_type") not in ("code", "markdown", "raw"):
            raise Unreadable(_("cell {cell} has the cell type {kind!r}; it should be code, "
                               "markdown or raw").format(
                cell=where, kind=str(cell.get("cell_type"))[:40]))
        src = cell.get("source", "")
        if not (isinstance(src, str) or (isinstance(src, list)
                                          and all(isinstance(s, str) for s in src))):
            raise Unreadable(_("cell {cell}: its source is not text").format(cell=where))
        cell["source"] = "".join(src) if isinstance(src, list) else src
        meta = cell.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise Unreadable(_("cell {cell}: its metadata is not a JSON object").format(
                cell=where))
        tags = meta.setdefault("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise Unreadable(_("cell {cell}: metadata.tags is {tags}, not a list of strings; "
                               "fix the tags in JupyterLab (property inspector)").format(
                cell=where, tags=str(tags)[:40]))
        if cell["cell_type"] == "code":
            cell["outputs"] = []             # the grader runs the cells; stored outputs go
            cell["execution_count"] = None
    return nb


def read_notebook(data: bytes) -> dict:
    """A submitted notebook as nbformat 4; Unreadable with the reason otherwise."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise Unreadable(_("the file is larger than {mb} MB").format(
            mb=MAX_NOTEBOOK_BYTES >> 20))
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise Unreadable(_("the file is not a notebook Jupyter can read (not valid JSON: "
                           "{error}); open it in JupyterLab and save it again").format(
            error=str(err)[:100])) from None
    if isinstance(nb, dict) and nb.get("nbformat") == 3:
        import nbformat
        try:
            nb = json.loads(nbformat.writes(nbformat.reads(json.dumps(nb), as_version=4)))
        except Exception as err:  # noqa: BLE001 - any damage in a v3 file is the learner's
            raise Unreadable(_("an nbformat 3 notebook that cannot be converted to version "
                               "4 ({error})").format(
                error=f"{type(err).__name__}: {str(err)[:100]}")) from None
    return _validate(nb)


# ----------------------------------------------------------------------------- check calls

@dataclass(frozen=True)
class CheckCall:
    cell: int                          # index of the cell in the notebook
    check: str                         # "check_stable_softmax"
    args: tuple[str, ...]              # the source of each positional argument
    kwargs: tuple[tuple[str, str], ...]
    names_solution: bool               # an argument names a `solution_*` function

    def to_json(self) -> dict:
        return {"cell": self.cell, "check": self.check, "args": list(self.args),
                "kwargs": [list(kv) for kv in self.kwargs]}


def _parse(code: str) -> ast.Module | None:
    """The cell as Python; IPython's %magic and !shell lines are blanked first."""
    lines = [(line[:len(line) - len(line.lstrip())] + "pass")
             if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def is_check(name: str) -> bool:
    return name.startswith("check_") and callable(getattr(checks, name, None))


def find_check_calls(code: str, cell: int = 0) -> list[CheckCall]:
    """Every call of an exercise check in `code`, in source order."""
    tree = _parse(code)
    if tree is None:
        return []
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and is_check(node.func.id)):
            if any(isinstance(a, ast.Starred) for a in node.args) or any(
                    k.arg is None for k in node.keywords):
                continue                       # *args / **kwargs: nothing to evaluate one by one
            parts = list(node.args) + [k.value for k in node.keywords]
            names_solution = any(isinstance(n, ast.Name) and n.id.startswith("solution_")
                                 for p in parts for n in ast.walk(p))
            found.append(((node.lineno, node.col_offset), CheckCall(cell, node.func.id,
                                   tuple(ast.unparse(a) for a in node.args),
                                   tuple((k.arg, ast.unparse(k.value)) for k in node.keywords),
                                   names_solution)))
    return [c for _pos, c in sorted(found, key=lambda pc: pc[0])]


# ----------------------------------------------------------------------------- lessons

@dataclass(frozen=True)
class Lesson:
    """A course notebook: its number, file name, exercises and solution cells."""
    number: str                   # "03"
    name: str                     # "03_softmax.ipynb"
    exercises: tuple[str, ...]    # the checks its exercise cells call, in order
    solutions: frozenset[str]     # the code of its solution cells, whitespace-normalised


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
            if is_tagged_solution(cell):
                solutions.add(normalised(code_of(cell)))
            else:
                exercises += [c.check for c in find_check_calls(code_of(cell))
                              if c.check not in exercises]
        lessons[path.name[:2]] = Lesson(path.name[:2], path.name, tuple(exercises),
                                        frozenset(solutions))
    return lessons


def first_heading_number(nb: dict) -> str | None:
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            m = TITLE.search(code_of(cell))
            return m.group(1).zfill(2) if m else None
    return None


def lesson_of(name, nb: dict | None) -> Lesson | None:
    """Which course lesson a notebook is: by its first heading, else by its file name."""
    name = Path(name).name
    lessons = course_lessons()
    number = first_heading_number(nb) if nb else None
    if number is None:
        m = re.search(r"(?:^|[^0-9])(\d\d)_", name) or re.match(r"(\d\d)", name)
        number = m.group(1) if m else None
    return lessons.get(number) if number else None


def solution_cells(nb: dict, lesson: Lesson | None) -> set[int]:
    """Cells tagged "solution", or holding the same code as one of the lesson's."""
    code = lesson.solutions if lesson else frozenset()
    return {i for i, c in enumerate(nb["cells"]) if c.get("cell_type") == "code"
            and (is_tagged_solution(c) or normalised(code_of(c)) in code)}


def plan(nb: dict, lesson: Lesson | None) -> tuple[list[str], dict[str, CheckCall | str]]:
    """The exercises, and for each the call that grades it (or why none does)."""
    cells = nb["cells"]
    solutions = solution_cells(nb, lesson)
    calls = [c for i, cell in enumerate(cells) if cell.get("cell_type") == "code"
             for c in find_check_calls(code_of(cell), i)]
    exercises = list(lesson.exercises) if lesson else []
    exercises += [c.check for c in calls if c.cell not in solutions and c.check not in exercises]
    chosen: dict[str, CheckCall | str] = {}
    for ex in exercises:
        ends = [c.cell for c in calls if c.check == ex and c.cell in solutions]
        end = min(ends, default=len(cells))
        mine = [c for c in calls if c.check == ex and c.cell not in solutions and c.cell < end]
        usable = [c for c in mine if not c.names_solution]
        if usable:
            chosen[ex] = usable[-1]
        elif mine:
            chosen[ex] = WrongCall(_("cell {cell} gives {exercise} the course's solution "
                                     "function, not your own; pass the function you "
                                     "wrote").format(cell=mine[-1].cell + 1, exercise=ex))
        else:
            later = [c for c in calls if c.check == ex and c.cell not in solutions]
            chosen[ex] = (_("{exercise}(...) is called only after the exercise's solution "
                            "cell (cell {cell}); call it in the exercise cell, before the "
                            "solution").format(exercise=ex, cell=later[0].cell + 1) if later
                          else _("the notebook does not call {exercise}(...) outside the "
                                 "solution cells; run the exercise cell that calls "
                                 "it").format(exercise=ex))
    return exercises, chosen


# ----------------------------------------------------------------------------- release

def released(nb: dict) -> dict:
    """The notebook without its solution cells (and so without their outputs)."""
    out = dict(nb)
    out["cells"] = [c for c in nb["cells"] if not is_tagged_solution(c)]
    return out
