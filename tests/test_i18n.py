"""course_lib speaks the learner's language: set_language, $COURSE_LANG and the catalogues.

Every message wrapped in _() or ngettext() anywhere in course_lib must have an Italian
entry in course_lib/locale/it/LC_MESSAGES/course_lib.po, and the committed .mo must be the
compilation of that .po (the library reads the .mo).
"""

from __future__ import annotations

import ast
import gettext
import shutil

import pytest

from conftest import REPO
from course_lib import i18n, set_language
from course_lib.lessons.env import report_environment

LIB = REPO / "course_lib"
PO = LIB / "locale" / "it" / "LC_MESSAGES" / "course_lib.po"


def wrapped_messages(root=LIB) -> dict[str, str]:
    """{msgid: "file:line"} of every _("..."), N_("...") and ngettext("...", "...", n) call.

    A call whose message is not a plain string literal (an f-string, a concatenation) cannot
    be looked up in a catalogue: it is reported as an error message in place of a msgid.
    `_(CONSTANT)` is allowed: the constant's text is marked with N_("...") where it is defined.
    """
    found = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "N_", "ngettext")):
                continue
            where = f"{path.relative_to(root.parent)}:{node.lineno}"
            n_messages = 2 if node.func.id == "ngettext" else 1
            for arg in node.args[:n_messages]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found[arg.value] = where
                elif isinstance(arg, (ast.Name, ast.Attribute, ast.Subscript)):
                    continue      # _(CONSTANT): its text is marked with N_("...") where defined
                else:
                    found[f"NOT A STRING LITERAL at {where}: {ast.unparse(arg)}"] = where
    return found


def po_entries(po_path=PO) -> dict[str, str]:
    from babel.messages.pofile import read_po
    with po_path.open("rb") as f:
        catalog = read_po(f, abort_invalid=True)
    entries = {}
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):                     # a plural: both forms
            for i, msgid in enumerate(message.id):
                entries[msgid] = message.string[min(i, len(message.string) - 1)]
        else:
            entries[message.id] = message.string
    return entries


def test_the_extractor_finds_wrapped_messages_and_refuses_f_strings(tmp_path):
    (tmp_path / "m.py").write_text('from course_lib.i18n import _, ngettext\n'
                                   'a = _("hello")\nb = ngettext("one cat", "{n} cats", 3)\n'
                                   'c = _(f"no {a}")\nd = "not wrapped"\n')
    found = wrapped_messages(tmp_path)
    assert {"hello", "one cat", "{n} cats"} < set(found)
    assert any(m.startswith("NOT A STRING LITERAL") for m in found)
    assert "not wrapped" not in found


def test_every_wrapped_message_has_an_italian_entry():
    messages = wrapped_messages()
    assert "Everything is ready." in messages          # the extractor sees env.py
    entries = po_entries()
    missing = [f"{where}: {msgid!r}" for msgid, where in messages.items()
               if not entries.get(msgid)]
    assert not missing, ("no Italian entry in " + str(PO.relative_to(REPO)) + " for:\n"
                         + "\n".join(missing))


def _raw_msgids(po_path=PO) -> list[str]:
    """Every msgid in the .po file as written, duplicates kept (Babel's reader drops them)."""
    ids, current, in_id = [], None, False
    for line in po_path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.startswith("msgid "):
            current, in_id = ast.literal_eval(line[6:]), True
        elif in_id and line.startswith('"'):
            current += ast.literal_eval(line)
        else:
            if in_id and current:
                ids.append(current)
            in_id = False
    return ids


def test_no_message_has_two_entries():
    """Two entries for one msgid: the reader keeps the first and silently drops the other."""
    ids = _raw_msgids()
    twice = sorted({i for i in ids if ids.count(i) > 1})
    assert len(ids) >= 10 and not twice, f"msgids with two entries in the .po: {twice}"


def test_every_italian_entry_fills_in_the_same_values():
    """Each entry keeps the English {placeholders}, names and formats alike: a missing or
    misspelt one would turn a learner's message into a KeyError in Italian only."""
    from i18n_audit import format_fields as fields

    from babel.messages.pofile import read_po
    with PO.open("rb") as f:
        catalog = read_po(f, abort_invalid=True)
    wrong = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        try:
            if any(" " in spec for _name, spec in fields(ids[0])):
                continue           # braces as text ("a dict {part: parameter count}")
            if any(fields(s) != fields(ids[-1]) and fields(s) != fields(ids[0])
                   for s in strings):
                wrong.append(ids[0])
        except ValueError as err:                  # an unmatched { in the translation
            wrong.append(f"{ids[0]} ({err})")
    assert len(catalog) > 1000 and not wrong, wrong


def test_every_italian_entry_is_used():
    unused = set(po_entries()) - set(wrapped_messages())
    assert not unused, f"entries in the .po that no _() in course_lib uses: {sorted(unused)}"


def test_the_committed_mo_is_the_compiled_po(tmp_path):
    """The .mo the library reads says what the .po says (recompile after editing the .po)."""
    copy = tmp_path / "locale"
    shutil.copytree(LIB / "locale", copy)
    i18n.compile_catalogues(copy)
    fresh = gettext.GNUTranslations(open(copy / "it/LC_MESSAGES/course_lib.mo", "rb"))
    committed = gettext.GNUTranslations(open(PO.with_suffix(".mo"), "rb"))
    def messages(t):          # the header entry "" holds a creation date: leave it out
        return {k: v for k, v in t._catalog.items() if k != ""}
    assert messages(committed) == messages(fresh) and len(messages(fresh)) >= 10, \
        "course_lib.mo is out of date: run pybabel compile -d course_lib/locale -D course_lib"


def test_a_broken_po_file_is_named(tmp_path):
    po = tmp_path / "it" / "LC_MESSAGES" / "course_lib.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid "a"\nmsgstr "b"\nmsgtxt "c"\n', encoding="utf-8")   # a misspelt keyword
    with pytest.raises(ValueError, match="course_lib.po"):
        i18n.compile_catalogues(tmp_path)


def test_set_language_switches_messages_at_call_time():
    assert i18n._("Everything is ready.") == "Everything is ready."
    assert set_language("it") == "it"
    assert i18n._("Everything is ready.") == "È tutto pronto."
    assert set_language("en") == "en"
    assert i18n._("Everything is ready.") == "Everything is ready."


def test_the_environment_report_speaks_italian():
    report = report_environment(show_versions=False)
    set_language("it")
    assert "È tutto pronto." in repr(report)              # the verdict line: made when shown
    italian = repr(report_environment(show_versions=False))
    assert "thread della CPU per PyTorch" in italian and "questo repository" in italian
    report.rows[0] = ("Python", "2.7", False, i18n._("install Python 3.10 or newer"))
    shown = repr(report)
    assert "come rimediare: installa Python 3.10 o successivo" in shown
    assert "Correggi le righe segnate con ❌" in shown


def test_course_lang_chooses_the_language_unless_set_language_did(monkeypatch):
    monkeypatch.setenv("COURSE_LANG", "it_IT.UTF-8")
    assert i18n.current_language() == "it"
    assert i18n._("missing") == "mancante"
    set_language("en")
    assert i18n._("missing") == "missing"
    set_language(None)                                     # back to $COURSE_LANG
    assert i18n._("missing") == "mancante"


def test_an_unknown_language_is_refused_with_the_fix(monkeypatch):
    with pytest.raises(ValueError, match=r"speaks en and it, not 'fr'.*set_language\(\"it\"\)"):
        set_language("fr")
    monkeypatch.setenv("COURSE_LANG", "klingon")
    with pytest.warns(UserWarning, match="COURSE_LANG='klingon' is not a language"):
        assert i18n.current_language() == "en"


def test_ngettext_chooses_the_plural_form():
    set_language("it")
    assert i18n.ngettext("one", "many", 1) == "one"       # no entry: the English forms
    assert i18n.ngettext("one", "many", 2) == "many"
