"""Build the lesson notebooks from their sources, and run them so their outputs are stored.

Each lesson is written as a plain Python file, notebooks/src/NN_name.py, in the "percent"
format that jupytext and VS Code also read, so it reviews and diffs like code:

    # %% [markdown]
    # # Lesson title
    # Some prose, each line starting with "# ".

    # %%
    x = 1 + 1          # a code cell

    # %% [solution]
    ...                # a code cell shown collapsed in JupyterLab (an exercise's solution)

This script turns each source into notebooks/NN_name.ipynb and executes it top to bottom
in a fresh kernel (cwd notebooks/), storing outputs, which nbval then compares on every
`pytest`. Learners open the .ipynb; nobody edits the .ipynb by hand.

    python scripts/build_notebooks.py                 # every lesson
    python scripts/build_notebooks.py 03 05           # lessons whose name starts with 03 or 05
    python scripts/build_notebooks.py --check         # fail if a .ipynb drifted from its source
    python scripts/build_notebooks.py --no-execute 03 # cells only, no outputs (quick look)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
NB_DIR = REPO / "notebooks"
SRC_DIR = NB_DIR / "src"
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def parse_source(text: str) -> list[nbformat.NotebookNode]:
    """Split a percent-format file into notebook cells."""
    cells = []
    kind, lines = None, []

    def flush():
        if kind is None:
            return
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if kind == "markdown":
            body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#")
                             for line in lines)
            cells.append(nbformat.v4.new_markdown_cell(body))
        else:
            cell = nbformat.v4.new_code_cell("\n".join(lines))
            if kind == "solution":
                cell.metadata["jupyter"] = {"source_hidden": True}
                cell.metadata["tags"] = ["solution"]
            cells.append(cell)

    for line in text.splitlines():
        if line.startswith("# %%"):
            flush()
            marker = line[4:].strip()
            kind = {"": "code", "[markdown]": "markdown", "[solution]": "solution"}.get(marker)
            if kind is None:
                raise SystemExit(f"unknown cell marker {line!r}; use '# %%', '# %% [markdown]' "
                                 f"or '# %% [solution]'")
            lines = []
        elif kind is not None:
            lines.append(line)
    flush()
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:03d}"   # stable ids: rebuilding does not change the file needlessly
    return cells


def build(src: Path) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = parse_source(src.read_text(encoding="utf-8"))
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def execute(nb: nbformat.NotebookNode, timeout: int = 600) -> float:
    from nbclient import NotebookClient
    # the stored outputs must be what nbval gets: the same Linear backend as under pytest
    # (the repository's conftest.py explains why)
    os.environ.setdefault("COURSE_LINEAR_BACKEND", "aten")
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(NB_DIR)}}).execute()
    return time.perf_counter() - start


def sources(prefixes: list[str]) -> list[Path]:
    found = sorted(SRC_DIR.glob("[0-9][0-9]_*.py"))
    if prefixes:
        found = [p for p in found if any(p.stem.startswith(x) for x in prefixes)]
        if not found:
            raise SystemExit(f"no lesson source in {SRC_DIR} starts with {prefixes}")
    return found


def drifted(src: Path) -> str | None:
    """A message if notebooks/<name>.ipynb does not hold the cells of its source."""
    target = NB_DIR / f"{src.stem}.ipynb"
    if not target.exists():
        return f"{target.name} is missing: run python scripts/build_notebooks.py {src.stem[:2]}"
    stored = nbformat.read(target, as_version=4)
    want = [(c.cell_type, c.source) for c in build(src).cells]
    have = [(c.cell_type, c.source) for c in stored.cells]
    if want != have:
        return (f"{target.name} differs from {src.relative_to(REPO)}: edit the source, then run "
                f"python scripts/build_notebooks.py {src.stem[:2]}")
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="name prefixes, e.g. 03 (default: all)")
    parser.add_argument("--check", action="store_true", help="only check for drift")
    parser.add_argument("--no-execute", action="store_true", help="write cells without outputs")
    args = parser.parse_args(argv)
    if args.check:
        problems = [m for m in map(drifted, sources(args.lessons)) if m]
        print("\n".join(problems) or "every notebook matches its source")
        return 1 if problems else 0
    for src in sources(args.lessons):
        nb = build(src)
        took = 0.0 if args.no_execute else execute(nb)
        target = NB_DIR / f"{src.stem}.ipynb"
        nbformat.write(nb, target)
        print(f"{target.relative_to(REPO)}: {len(nb.cells)} cells"
              + ("" if args.no_execute else f", executed in {took:.1f} s"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
