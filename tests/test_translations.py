"""The translated lessons stay in step with the English ones, and run the same program.

For every lesson with a translation file (notebooks/src/<lang>/NN_name.py):

- every English markdown cell has a translation, made for the English text it has now (the
  stored hash matches): a change in one language shows up here as work in the other;
- the translated code cells are the English ones with only string constants changed (the
  learner-facing text) and comments; the one declared setup cell may also choose the
  language (`set_language(...)`), nothing else;
- the stored notebook notebooks/<lang>/NN_name.ipynb is what the sources build, executed
  without errors (nbval, run by the same `pytest`, re-executes it and compares outputs).

The format and the commands (--status, --rekey, --stamp) are in scripts/build_notebooks.py.
"""

from __future__ import annotations

import ast
import json

import pytest

import build_notebooks as bn
from conftest import REPO

TRANSLATED = [(lang, src) for lang in bn.LANGS for src in bn.translated_sources([], lang)]
IDS = [f"{lang}-{src.stem}" for lang, src in TRANSLATED]


# ----------------------------------------------------------------------------- helpers

class _BlankStrings(ast.NodeTransformer):
    """Every str constant becomes "", every f-string keeps only its {expressions} (with
    their format specs untouched: a number must be printed the same way in every language)."""

    def visit_Constant(self, node):
        return ast.Constant("") if isinstance(node.value, str) else node

    def visit_JoinedStr(self, node):
        return ast.JoinedStr([ast.FormattedValue(self.visit(v.value), v.conversion, v.format_spec)
                              for v in node.values if isinstance(v, ast.FormattedValue)])


def _is_language_choice(stmt: ast.stmt) -> bool:
    """`from course_lib import set_language` or `set_language("..")`: the setup cell's extra."""
    if isinstance(stmt, ast.ImportFrom):
        return stmt.module in ("course_lib", "course_lib.i18n") \
            and [a.name for a in stmt.names] == ["set_language"]
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
        and isinstance(stmt.value.func, ast.Name) and stmt.value.func.id == "set_language"


def program(code: str, setup: bool = False) -> str:
    """The code with its strings blanked (and, for the setup cell, the language choice
    removed), as an ast dump: equal for two cells that differ only in text shown."""
    tree = ast.parse(code)
    if setup:
        tree.body = [s for s in tree.body if not _is_language_choice(s)]
    return ast.dump(_BlankStrings().visit(tree))


def program_differences(src, lang) -> list[str]:
    english = {c.id: c.source for c in bn.build(src).cells if c.cell_type == "code"}
    _, cells = bn.parse_translation(bn.translation_path(src, lang))
    problems = []
    for t in cells:
        if t.kind == "markdown" or t.id not in english:
            continue
        if program(t.source, setup=t.setup) != program(english[t.id]):
            problems.append(f"{t.id} (line {t.line_no}): the code differs from the English "
                            f"cell in more than its strings")
    setups = [t for t in cells if t.setup]
    if len(setups) != 1:
        problems.append(f"{len(setups)} setup cells; exactly one must call "
                        f"set_language({lang!r})")
    elif f"set_language({lang!r})" not in setups[0].source.replace('"', "'"):
        problems.append(f"the setup cell {setups[0].id} does not call set_language({lang!r})")
    return problems


# ----------------------------------------------------------------------------- the lessons

def test_some_lessons_are_translated_and_built():
    assert TRANSLATED, "no translation file under notebooks/src/<lang>/"
    for lang in bn.LANGS:
        built = sorted(p.stem for p in (bn.NB_DIR / lang).glob("[0-9][0-9]_*.ipynb"))
        assert built == [s.stem for l, s in TRANSLATED if l == lang], \
            f"notebooks/{lang}/ should hold exactly the lessons with a translation file"


@pytest.mark.parametrize("lang, src", TRANSLATED, ids=IDS)
def test_every_english_cell_has_a_current_translation(lang, src):
    status = bn.translation_status(src, lang)
    problems = [f"{what}: {line}" for what, lines in status.items() for line in lines]
    assert not problems, (
        f"{bn.translation_path(src, lang).relative_to(REPO)} is behind the English lesson "
        f"(update the text, then python scripts/build_notebooks.py --stamp {src.stem[:2]} "
        f"<ids>; ids that moved: --rekey {src.stem[:2]}):\n" + "\n".join(problems))


@pytest.mark.parametrize("lang, src", TRANSLATED, ids=IDS)
def test_translated_code_is_the_english_program(lang, src):
    problems = program_differences(src, lang)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang, src", TRANSLATED, ids=IDS)
def test_translated_notebook_matches_its_sources_and_ran(lang, src):
    assert bn.translated_drifted(src, lang) is None, bn.translated_drifted(src, lang)
    nb = json.loads((bn.NB_DIR / lang / f"{src.stem}.ipynb").read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] is not None for c in code), "stored without running"
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    english = json.loads((bn.NB_DIR / f"{src.stem}.ipynb").read_text(encoding="utf-8"))
    assert [c.get("metadata", {}).get("tags") for c in nb["cells"]] == \
        [c.get("metadata", {}).get("tags") for c in english["cells"]], "solution cells moved"


@pytest.mark.parametrize("lang, src", TRANSLATED, ids=IDS)
def test_translations_keep_the_code_names_and_formulas(lang, src):
    """Names in `backticks` are code: a translation keeps every one of them (it may add
    more), and has as many $formulas$ as the English text (their numbers may be localised,
    2{,}718)."""
    import re
    english = {c.id: c.source for c in bn.build(src).cells if c.cell_type == "markdown"}
    _, cells = bn.parse_translation(bn.translation_path(src, lang))
    fence = re.compile(r"```.*?```", re.S)

    def code(text):   # fenced blocks whole (kept as they are), then `names` outside them
        return set(fence.findall(text)) | set(re.findall(r"`[^`]+`", fence.sub("", text)))

    problems = []
    for t in cells:
        if t.kind != "markdown" or t.id not in english:
            continue
        lost = code(english[t.id]) - code(t.source)
        if lost:
            problems.append(f"{t.id}: code names missing from the translation: {sorted(lost)}")
        n_en, n_tr = (len(re.findall(r"\$[^$]+\$", x)) for x in (english[t.id], t.source))
        if n_en != n_tr:
            problems.append(f"{t.id}: {n_en} formulas in English, {n_tr} in the translation")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang, src", [t for t in TRANSLATED if t[0] == "it"],
                         ids=[i for i in IDS if i.startswith("it-")])
def test_italian_lesson_has_its_parts(lang, src):
    nb = json.loads((bn.NB_DIR / lang / f"{src.stem}.ipynb").read_text(encoding="utf-8"))
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert markdown.lstrip().startswith("# Lezione"), "the first cell is the lesson title"
    assert "## Riepilogo" in markdown
    english = "\n".join(c.source for c in bn.build(src).cells if c.cell_type == "markdown")
    if "**Next:**" in english:                # the last lesson has no next one
        assert "**Prossima lezione:**" in markdown


def test_links_point_to_notebooks_that_exist():
    for lang, src in TRANSLATED:
        nb = bn.build_translated(src, lang)
        for cell in nb.cells:
            if cell.cell_type != "markdown":
                continue
            for target in bn.LINK.findall(cell.source):
                path = target[1]
                if path and not path.startswith(("http:", "https:")):
                    assert (bn.NB_DIR / lang / path).resolve().exists(), \
                        f"{lang}/{src.stem} {cell.id}: link to {path} goes nowhere"


# ----------------------------------------------------------------------------- the machinery

ENGLISH = """\
# %% [markdown]
# # Lesson 99: Test

# %%
print("hello", 1 + 2)

# %% [markdown]
# The end.
"""


@pytest.fixture
def lesson(tmp_path, monkeypatch):
    """A one-lesson course in tmp_path: notebooks/src/99_test.py and its Italian file."""
    src_dir = tmp_path / "notebooks" / "src"
    (src_dir / "it").mkdir(parents=True)
    monkeypatch.setattr(bn, "NB_DIR", tmp_path / "notebooks")
    monkeypatch.setattr(bn, "SRC_DIR", src_dir)
    src = src_dir / "99_test.py"
    src.write_text(ENGLISH, encoding="utf-8")
    cells = bn.build(src).cells
    h = [bn.cell_hash(c.source) for c in cells]
    (src_dir / "it" / "99_test.py").write_text(
        f"# %% [markdown] id=cell-000 en={h[0]}\n# # Lezione 99: prova\n\n"
        f"# %% id=cell-001 en={h[1]} setup\nfrom course_lib import set_language\n"
        f"set_language(\"it\")\nprint(\"ciao\", 1 + 2)\n\n"
        f"# %% [markdown] id=cell-002 en={h[2]}\n# Fine.\n", encoding="utf-8")
    return src


def test_a_one_word_change_in_english_makes_the_translation_stale(lesson):
    assert not any(bn.translation_status(lesson, "it").values())
    lesson.write_text(ENGLISH.replace("The end.", "The finish."), encoding="utf-8")
    status = bn.translation_status(lesson, "it")
    assert len(status["stale"]) == 1 and status["stale"][0].startswith("cell-002 (markdown)")
    assert not status["missing"]


def test_an_english_cell_without_translation_is_missing(lesson):
    lesson.write_text(ENGLISH + "\n# %% [markdown]\n# More.\n", encoding="utf-8")
    status = bn.translation_status(lesson, "it")
    assert len(status["missing"]) == 1 and status["missing"][0].startswith("cell-003")


def test_rekey_follows_an_inserted_english_cell(lesson):
    inserted = ENGLISH.replace("# %%\nprint", "# %% [markdown]\n# New text.\n\n# %%\nprint")
    lesson.write_text(inserted, encoding="utf-8")
    before = bn.translation_status(lesson, "it")
    assert before["wrong_kind"] and before["missing"]          # the ids shifted by one
    assert bn.rekey(lesson, "it") == ["cell-001 -> cell-002", "cell-002 -> cell-003"]
    after = bn.translation_status(lesson, "it")
    assert after["missing"] == [after["missing"][0]] and after["missing"][0].startswith("cell-001")
    assert not after["stale"] and not after["wrong_kind"] and not after["orphans"]
    nb = bn.build_translated(lesson, "it")
    assert [c.source for c in nb.cells] == ["# Lezione 99: prova", "New text.",
                                            'from course_lib import set_language\n'
                                            'set_language("it")\nprint("ciao", 1 + 2)', "Fine."]


def test_stamp_records_the_english_hash(lesson):
    lesson.write_text(ENGLISH.replace("The end.", "The finish."), encoding="utf-8")
    assert bn.translation_status(lesson, "it")["stale"]
    assert bn.stamp(lesson, "it", ["cell-002"]) == ["cell-002"]
    assert not any(bn.translation_status(lesson, "it").values())


def test_the_program_check_rejects_changed_code_and_accepts_changed_text(lesson):
    assert program_differences(lesson, "it") == []
    path = bn.translation_path(lesson, "it")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("1 + 2", "1 + 3"), encoding="utf-8")
    assert program_differences(lesson, "it")[0].startswith("cell-001")
    path.write_text(text.replace('set_language("it")\n', ""), encoding="utf-8")
    assert "does not call set_language('it')" in program_differences(lesson, "it")[0]
    path.write_text(text.replace(" setup", ""), encoding="utf-8")
    assert any("cell-001" in p for p in program_differences(lesson, "it"))


def test_blanking_keeps_expressions_and_format_specs():
    assert program('print(f"{n:,} caratteri")') == program('print(f"{n:,} characters")')
    assert program('print(f"{n:,} x")') != program('print(f"{n:.2f} x")')
    assert program('print(f"{a} {b}")') != program('print(f"{b} {a}")')
    assert program("x = 1  # commento") == program("x = 1  # comment")


def test_a_bad_marker_is_named(lesson):
    path = bn.translation_path(lesson, "it")
    path.write_text("# %% [markdown] id=cell-000\n# testo\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=r"99_test.py:1: bad cell marker"):
        bn.parse_translation(path)


def test_links_go_to_the_translation_when_there_is_one(lesson):
    assert bn.localise_links("[x](99_test.ipynb)", "it") == "[x](99_test.ipynb)"
    assert bn.localise_links("[x](05_heads.ipynb#A)", "it") == "[x](../05_heads.ipynb#A)"
    assert bn.localise_links("[x](https://a.b/c) [y](#top)", "it") == \
        "[x](https://a.b/c) [y](#top)"


def test_new_starts_a_file_whose_cells_all_count_as_work(lesson):
    path = bn.translation_path(lesson, "it")
    path.unlink()
    assert bn.new_translation(lesson, "it") == path
    status = bn.translation_status(lesson, "it")
    assert [line.split()[0] for line in status["stale"]] == ["cell-000", "cell-002"]
    with pytest.raises(SystemExit, match="exists already"):
        bn.new_translation(lesson, "it")                # never overwrites a translator's work
    assert bn.stamp(lesson, "it", []) == ["cell-000", "cell-002"]
    assert not any(bn.translation_status(lesson, "it").values())


def test_the_italian_readme_lists_every_lesson_with_the_english_run_time():
    """README.it.md's lesson table links each Italian lesson and quotes README.md's time for
    it (scripts/time_notebooks.py writes both); a lesson added or remeasured in one README
    and not the other fails here."""
    import re
    english = dict(re.findall(r"^\| (\d\d) \| \[[^\n]*?\]\(notebooks/\d\d_[^)]+\) \| (\d+ s) \|",
                              (REPO / "README.md").read_text(encoding="utf-8"), re.M))
    italian = dict(re.findall(r"^\| (\d\d) \| \[[^\n]*?\]\(notebooks/it/\d\d_[^)]+\) \| (\d+ s) \|",
                              (REPO / "README.it.md").read_text(encoding="utf-8"), re.M))
    lessons = sorted(p.name[:2] for p in (REPO / "notebooks" / "it").glob("[0-9][0-9]_*.ipynb"))
    assert len(english) >= 13 and sorted(italian) == lessons
    assert {k: english[k] for k in italian} == italian
