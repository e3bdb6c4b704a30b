"""The language course_lib speaks to the learner: English (the source) or Italian.

    from course_lib import set_language
    set_language("it")            # or start Jupyter with COURSE_LANG=it

Messages are marked in the code with `_()` (and `ngettext` where a count decides the form;
`N_()` marks a module-level constant that is translated later with `_(CONSTANT)`)
and looked up in gettext catalogues, course_lib/locale/<lang>/LC_MESSAGES/course_lib.po,
compiled to the .mo file beside it. The lookup happens when the message is made, not when
the module is imported, so `set_language` changes every message from then on. A message
with values is written `_("the loss is {loss:.2f}").format(loss=loss)`, never as an f-string
inside `_()`: the catalogue is keyed by the text before the values go in.

To add or change a message: wrap it in `_()`, add its msgid and msgstr to the .po file, and
compile it with Babel (installed by requirements.txt):

    pybabel compile -d course_lib/locale -D course_lib

(`compile_catalogues()` below does the same from Python). Git never merges the .po line by
line (.gitattributes): two branches' entries are merged as entries, e.g. by reading both
with babel.messages.pofile.read_po, adding the missing ones, and writing with write_po. tests/test_i18n.py fails while a wrapped message has no entry,
and while a .mo file is not the compilation of its .po.
"""

from __future__ import annotations

import gettext
import os
import warnings
from functools import lru_cache
from pathlib import Path

DOMAIN = "course_lib"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
SOURCE_LANGUAGE = "en"
LANGUAGES = ("en", "it")          # English is the text in the code; the others have catalogues
ENV_VAR = "COURSE_LANG"

_chosen: str | None = None        # set by set_language; None: follow $COURSE_LANG


def set_language(lang: str | None) -> str:
    """Make course_lib speak `lang` ("en" or "it"); None goes back to $COURSE_LANG.

    Returns the language now in use. Raises ValueError for a language without a catalogue.
    """
    global _chosen
    if lang is not None:
        lang = _normalise(lang)
        if lang not in LANGUAGES:
            raise ValueError(f"course_lib speaks {' and '.join(LANGUAGES)}, not {lang!r}: "
                             f"use set_language(\"it\") or set_language(\"en\")")
    _chosen = lang
    return current_language()


def current_language() -> str:
    """The language messages are made in now: set_language's, else $COURSE_LANG's, else en."""
    if _chosen is not None:
        return _chosen
    wanted = os.environ.get(ENV_VAR, "").strip()
    if not wanted:
        return SOURCE_LANGUAGE
    lang = _normalise(wanted)
    if lang not in LANGUAGES:
        _warn_once(wanted)
        return SOURCE_LANGUAGE
    return lang


def _normalise(lang: str) -> str:
    """"it_IT.UTF-8", "it-IT" and "IT" all mean "it"."""
    if not isinstance(lang, str):
        raise TypeError(f"a language is a string such as \"it\", not {type(lang).__name__}")
    return lang.strip().replace("-", "_").split(".")[0].split("_")[0].lower()


@lru_cache(maxsize=None)
def _warn_once(wanted: str) -> None:
    warnings.warn(f"{ENV_VAR}={wanted!r} is not a language course_lib speaks "
                  f"({', '.join(LANGUAGES)}); using English", stacklevel=3)


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of `lang` (English: the messages as written in the code)."""
    if lang == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[lang])


def _(message: str) -> str:
    """`message` in the current language (the English text when there is no entry)."""
    return translations(current_language()).gettext(message)


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it now (a module-level constant).

    Translate it where it is shown: `_(CONSTANT)` looks it up at that moment. The catalogue
    test finds N_("...") like _("...").
    """
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for the count `n`, in the current language."""
    return translations(current_language()).ngettext(singular, plural, n)


def compile_catalogues(locale_dir: Path = LOCALE_DIR) -> list[Path]:
    """Compile every <lang>/LC_MESSAGES/*.po under `locale_dir` into the .mo beside it.

    Returns the .mo files written. A .po file with a syntax error raises ValueError naming
    the file and line. Needs Babel (installed by requirements.txt).
    """
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(locale_dir.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        with po_path.open("rb") as f:
            try:
                catalog = read_po(f, abort_invalid=True)
            except Exception as err:  # noqa: BLE001 - Babel raises several types
                raise ValueError(f"{po_path}: {err}; fix the .po file and compile again") from err
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as f:
            write_mo(f, catalog, use_fuzzy=False)
        tmp.replace(mo_path)               # a reader never sees half a catalogue
        written.append(mo_path)
    translations.cache_clear()
    return written

