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
    python scripts/build_notebooks.py --check         # fail if a .ipynb (English or translated)
                                                      # drifted from its sources
    python scripts/build_notebooks.py --no-execute 03 # cells only, no outputs (quick look)

Translations (the course in Italian). notebooks/src/it/NN_name.py holds the Italian text of
lesson NN, in the same percent format. Each cell marker names the English cell it translates
(its id, as in the .ipynb) and a short hash of that English cell's text:

    # %% [markdown] id=cell-003 en=1a2b3c4d
    # ## Il vocabolario
    # ...

    # %% id=cell-004 en=5e6f7a8b
    chars = sorted(set(text))          # a code cell: the English code, only the strings
    print(f"vocab_size = {vocab_size}")  # shown to the learner (and comments) translated

    # %% id=cell-002 en=9c0d1e2f setup
    from course_lib import set_language   # the one setup cell: it may also choose the language
    set_language("it")

Every English markdown cell needs an Italian text; a code cell without one is used as it is.
When the English cell changes, its hash no longer matches and the translation is stale
(tests/test_translations.py fails until it is updated). The Italian notebook
notebooks/it/NN_name.ipynb runs with cwd notebooks/it/; links to a lesson without an Italian
version point to the English one (../NN_name.ipynb).

    python scripts/build_notebooks.py --lang it 00    # build (and execute) the Italian lesson 00
    python scripts/build_notebooks.py --status        # missing and stale translations per lesson
    python scripts/build_notebooks.py --rekey 03      # English cells inserted or removed: move
                                                      # each translation to the id its hash has now
    python scripts/build_notebooks.py --new 05        # start an Italian file (every cell en=todo)
    python scripts/build_notebooks.py --stamp 05 cell-007  # cell-007 translated: record its hash
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
NB_DIR = REPO / "notebooks"
SRC_DIR = NB_DIR / "src"
LANGS = ("it",)                     # the languages a lesson may be translated into
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


# ----------------------------------------------------------------------------- translations

MARKER = re.compile(r"^# %%(?: \[(markdown|solution)\])?((?: [a-z]+(?:=\S+)?)*)\s*$")
TODO_HASH = "todo"                  # a cell not translated yet (written by --new)


def cell_hash(source: str) -> str:
    """A short hash of an English cell's text: the key a translation stores."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:8]


def cell_kind(cell) -> str:
    if cell.cell_type == "markdown":
        return "markdown"
    return "solution" if "solution" in cell.metadata.get("tags", []) else "code"


class Translation:
    """One cell of a translation file: the English cell it translates and its text."""

    def __init__(self, kind: str, cell_id: str, en: str, setup: bool, lines: list[str],
                 line_no: int):
        self.kind, self.id, self.en, self.setup = kind, cell_id, en, setup
        self.lines = lines                  # the file's lines after the marker, as written
        self.line_no = line_no

    @property
    def source(self) -> str:
        """The cell's text as it goes into the notebook (the same rules as parse_source)."""
        lines = list(self.lines)
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if self.kind == "markdown":
            return "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#")
                             for line in lines)
        return "\n".join(lines)

    def marker(self) -> str:
        kind = "" if self.kind == "code" else f" [{self.kind}]"
        return f"# %%{kind} id={self.id} en={self.en}" + (" setup" if self.setup else "")


def translation_path(src: Path, lang: str) -> Path:
    return SRC_DIR / lang / src.name


def parse_translation(path: Path) -> tuple[list[str], list[Translation]]:
    """The header lines (before the first cell) and the cells of a translation file."""
    header, cells = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("# %%"):
            match = MARKER.match(line)
            fields = dict(f.partition("=")[::2] for f in match.group(2).split()) if match else {}
            if not match or "id" not in fields or "en" not in fields \
                    or set(fields) - {"id", "en", "setup"}:
                raise SystemExit(f"{path}:{number}: bad cell marker {line!r}; write "
                                 f"'# %% [markdown] id=cell-003 en=1a2b3c4d' (code cells: "
                                 f"'# %% id=...', solutions '# %% [solution] id=...', the "
                                 f"language's setup cell ends with ' setup')")
            cells.append(Translation(match.group(1) or "code", fields["id"], fields["en"],
                                     "setup" in fields, [], number))
        elif cells:
            cells[-1].lines.append(line)
        else:
            header.append(line)
    seen = set()
    for t in cells:
        if t.id in seen:
            raise SystemExit(f"{path}:{t.line_no}: {t.id} is translated twice")
        seen.add(t.id)
    return header, cells


def write_translation(path: Path, header: list[str], cells: list[Translation]) -> None:
    lines = list(header)
    for t in cells:
        body = list(t.lines)
        while body and not body[-1].strip():
            body.pop()
        if lines and lines[-1].strip():
            lines.append("")
        lines += [t.marker(), *body]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)                      # whole or not at all


def translation_status(src: Path, lang: str) -> dict[str, list[str]]:
    """What a translation lacks: {"missing": [...], "stale": [...], "orphans": [...],
    "wrong_kind": [...]}, each a list of readable lines naming the English cell."""
    english = build(src).cells
    _, cells = parse_translation(translation_path(src, lang))
    by_id = {t.id: t for t in cells}
    status = {"missing": [], "stale": [], "orphans": [], "wrong_kind": []}
    for cell in english:
        first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
        t = by_id.get(cell.id)
        if t is None:
            if cell.cell_type == "markdown":
                status["missing"].append(f"{cell.id} (markdown, en={cell_hash(cell.source)}): "
                                         f"{first!r}")
            continue
        if t.kind != cell_kind(cell):
            status["wrong_kind"].append(f"{cell.id}: the English cell is {cell_kind(cell)}, "
                                        f"the translation says {t.kind}")
        elif t.en != cell_hash(cell.source):
            status["stale"].append(f"{cell.id} ({t.kind}): translated en={t.en}, the English "
                                   f"text is now en={cell_hash(cell.source)}: {first!r}")
    ids = {c.id for c in english}
    status["orphans"] = [f"{t.id} (line {t.line_no}): no English cell has this id; run --rekey"
                         for t in cells if t.id not in ids]
    return status


def rekey(src: Path, lang: str) -> list[str]:
    """Give each stale translation the id of the English cell whose text it translates.

    English cells inserted or removed shift the positional ids (cell-007 becomes cell-008);
    the stored hash still names the text, so a translation whose hash matches exactly one
    English cell of its kind (not already translated) moves there. Returns what moved.
    """
    path = translation_path(src, lang)
    header, cells = parse_translation(path)
    english = build(src).cells
    current = {c.id: cell_hash(c.source) for c in english}
    kept = {t.id for t in cells if current.get(t.id) == t.en}
    moved = []
    for t in cells:
        if current.get(t.id) == t.en:
            continue
        targets = [c.id for c in english if cell_hash(c.source) == t.en
                   and cell_kind(c) == t.kind and c.id not in kept]
        if len(targets) == 1:
            moved.append(f"{t.id} -> {targets[0]}")
            t.id = targets[0]
            kept.add(t.id)
    order = {c.id: i for i, c in enumerate(english)}
    cells.sort(key=lambda t: order.get(t.id, len(order)))
    if moved:
        write_translation(path, header, cells)
    return moved


def stamp(src: Path, lang: str, ids: list[str]) -> list[str]:
    """Record the current English hash on the given cells (all en=todo cells if none)."""
    path = translation_path(src, lang)
    header, cells = parse_translation(path)
    current = {c.id: cell_hash(c.source) for c in build(src).cells}
    unknown = [i for i in ids if i not in {t.id for t in cells}]
    if unknown:
        raise SystemExit(f"{path.name} has no cell {', '.join(unknown)}")
    done = []
    for t in cells:
        if (t.id in ids or (not ids and t.en == TODO_HASH)) and t.id in current:
            t.en = current[t.id]
            done.append(t.id)
    write_translation(path, header, cells)
    return done


def new_translation(src: Path, lang: str) -> Path:
    """Start a translation file: every markdown cell, in English, marked en=todo."""
    path = translation_path(src, lang)
    if path.exists():
        raise SystemExit(f"{path} exists already; edit it (or --rekey it)")
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = []
    for c in build(src).cells:
        if c.cell_type == "markdown":
            lines = [("# " + line).rstrip() for line in c.source.splitlines()]
            cells.append(Translation("markdown", c.id, TODO_HASH, False, lines, 0))
    header = [f"# The {lang} text of {src.name} (see scripts/build_notebooks.py).", ""]
    write_translation(path, header, cells)
    return path


LINK = re.compile(r"(\]\()([^)#\s]*)")


def localise_links(markdown: str, lang: str) -> str:
    """Make relative links work from notebooks/<lang>/: a lesson with a translation links to
    the translated notebook, anything else to its English-side path (../)."""
    def fix(m: re.Match) -> str:
        target = m.group(2)
        if not target or re.match(r"^[a-z]+:|^/", target):
            return m.group(0)
        if target.endswith(".ipynb") and "/" not in target \
                and (SRC_DIR / lang / (target[:-len(".ipynb")] + ".py")).exists():
            return m.group(0)
        return m.group(1) + "../" + target
    return LINK.sub(fix, markdown)


def build_translated(src: Path, lang: str, warn=None) -> nbformat.NotebookNode:
    """The notebook of `src` in `lang`: the English cells, each replaced by its translation."""
    nb = build(src)
    _, cells = parse_translation(translation_path(src, lang))
    by_id = {t.id: t for t in cells}
    for cell in nb.cells:
        t = by_id.get(cell.id)
        if t is None:
            if cell.cell_type == "markdown" and warn:
                warn(f"{src.stem} {cell.id}: no {lang} text, the English one is used")
            continue
        if t.kind != cell_kind(cell):
            raise SystemExit(f"{translation_path(src, lang)}:{t.line_no}: {t.id} is a "
                             f"{cell_kind(cell)} cell in English; run --rekey {src.stem[:2]}")
        if warn and t.en != cell_hash(cell.source):
            warn(f"{src.stem} {cell.id}: stale (the English cell changed since)")
        cell.source = localise_links(t.source, lang) if t.kind == "markdown" else t.source
    nb.metadata["language"] = lang
    return nb


def translated_sources(prefixes: list[str], lang: str) -> list[Path]:
    return [s for s in sources(prefixes) if translation_path(s, lang).exists()]


def translated_drifted(src: Path, lang: str) -> str | None:
    """A message if notebooks/<lang>/<name>.ipynb does not hold the cells it is built from."""
    target = NB_DIR / lang / f"{src.stem}.ipynb"
    rebuild = f"python scripts/build_notebooks.py --lang {lang} {src.stem[:2]}"
    if not target.exists():
        return f"{lang}/{target.name} is missing: run {rebuild}"
    stored = nbformat.read(target, as_version=4)
    want = [(c.cell_type, c.source) for c in build_translated(src, lang).cells]
    have = [(c.cell_type, c.source) for c in stored.cells]
    if want != have:
        return f"{lang}/{target.name} differs from its sources: run {rebuild}"
    return None


def execute(nb: nbformat.NotebookNode, timeout: int = 600, cwd: Path = NB_DIR) -> float:
    from nbclient import NotebookClient
    # the stored outputs must be what nbval gets: the same Linear backend as under pytest
    # (the repository's conftest.py explains why)
    os.environ.setdefault("COURSE_LINEAR_BACKEND", "aten")
    start = time.perf_counter()
    NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
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
    parser.add_argument("--lang", choices=("en", "all") + LANGS, default="en",
                        help="which notebooks to build: en (default), it, or all")
    parser.add_argument("--status", action="store_true",
                        help="list missing and stale translations per lesson")
    parser.add_argument("--rekey", action="store_true",
                        help="move translations to the ids their English text has now")
    parser.add_argument("--new", action="store_true", help="start a translation file")
    parser.add_argument("--stamp", nargs="+", metavar="LESSON_OR_ID",
                        help="lesson, then the ids of the cells you translated (none: the "
                             "cells marked en=todo)")
    args = parser.parse_args(argv)
    langs = LANGS if args.lang in ("en", "all") else (args.lang,)
    if args.check:
        problems = [m for m in map(drifted, sources(args.lessons)) if m]
        problems += [m for lang in LANGS for src in translated_sources(args.lessons, lang)
                     if (m := translated_drifted(src, lang))]
        print("\n".join(problems) or "every notebook matches its source")
        return 1 if problems else 0
    if args.status:
        for lang in langs:
            todo = 0
            for src in sources(args.lessons):
                if not translation_path(src, lang).exists():
                    print(f"[{lang}] {src.stem}: not translated (start with --new {src.stem[:2]})")
                    todo += 1
                    continue
                status = translation_status(src, lang)
                problems = [f"  {what}: {line}" for what, lines in status.items() for line in lines]
                todo += bool(problems)
                print(f"[{lang}] {src.stem}: "
                      + ("\n".join([f"{len(problems)} to do", *problems]) if problems
                         else "up to date"))
        return 1 if todo else 0
    if args.rekey or args.new or args.stamp:
        lang = langs[0]
        if args.stamp:
            args.lessons, ids = args.stamp[:1], args.stamp[1:]
        if len(sources(args.lessons)) != 1:
            raise SystemExit("name exactly one lesson, e.g. 05")
        src = sources(args.lessons)[0]
        if args.new:
            print(f"wrote {new_translation(src, lang).relative_to(REPO)}: translate each cell, "
                  f"then --stamp {src.stem[:2]}")
        elif args.rekey:
            print("\n".join(rekey(src, lang)) or "nothing to move")
        else:
            print("stamped:", " ".join(stamp(src, lang, ids)) or "nothing")
        return 0
    if args.lang != "en":
        for lang in langs:
            for src in translated_sources(args.lessons, lang):
                nb = build_translated(src, lang, warn=lambda m: print("warning:", m))
                took = 0.0 if args.no_execute else execute(nb, cwd=NB_DIR / lang)
                target = NB_DIR / lang / f"{src.stem}.ipynb"
                target.parent.mkdir(exist_ok=True)
                nbformat.write(nb, target)
                print(f"{target.relative_to(REPO)}: {len(nb.cells)} cells"
                      + ("" if args.no_execute else f", executed in {took:.1f} s"))
        if args.lang != "all":
            return 0
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
