"""Lessons 10-12's checks and the grader speak Italian (issue 26).

- Every message of the checks of lessons 10, 11 and 12, of the grader (grade.py,
  grade_plan.py, grade_worker.py) and of its data channel (remote.py) is marked for
  translation: the audit fails on a bare one (and is shown to fail on one).
- A typical wrong answer of each lesson gets its Italian message under set_language("it"),
  and the same English one as before under set_language("en").
- `python -m course_lib.grade --lang it` prints the table, writes the HTML page and makes
  every verdict message in Italian, the check's own message included (it is made in the
  worker); without --lang the output is English, as before. The CSV keeps its English
  header and verdict words.
"""

from __future__ import annotations

import csv
from collections import Counter

import nbformat
import pytest
import torch

from checks_support import in_both
from conftest import REPO
from course_lib import set_language
from course_lib.commands import grade as g
from course_lib.commands import grade_plan
from course_lib.lessons.checks import (check_addition_accuracy, check_addition_line,
                                       check_count_pairs, check_decode_bpe, check_merge,
                                       check_rms_norm, check_swiglu)
from i18n_audit import bare_messages
from i18n_audit import unmarked_sentences as audit_sentences

CHECKS = [REPO / "course_lib" / "lessons" / "checks" / f"{name}.py"
          for name in ("l10_subword_tokens", "l11_your_own_gpt", "l12_modern_gpt")]
GRADER = [REPO / "course_lib" / "commands" / f"{name}.py"
          for name in ("grade", "grade_plan", "grade_worker", "grade_procs")]
REMOTE = REPO / "course_lib" / "lessons" / "remote.py"
# the calls through which these modules show text, and where the text is
SHOWN = {"Mistake": ((0,), ()), "NotAttempted": ((0,), ()), "TimedOut": ((0,), ()),
         "Shortcut": ((0,), ()), "call": ((), ("hint",)), "expect_tensor": ((2,), ()),
         "Unreadable": ((0,), ()), "Unverifiable": ((0,), ()), "Unencodable": ((0,), ()),
         "KernelError": ((0,), ()), "ValueError": ((0,), ()), "WrongCall": ((0,), ()),
         "report": ((0,), ()), "Row": ((4,), ("message",))}
# strings in the check modules that are test inputs, not messages
TEST_INPUTS = {"to be or not to be, that is the question. to be", "hob dob hob dob cob",
               "café crème, café au lait, crème brûlée", "dcba dc ba",
               "to be or not to be, that is the question", "to be or not to be",
               "min(counts, key=lambda p: (-counts[p], p))"}


# ============================================================================= the audit

def unmarked_sentences(path) -> list[str]:
    """Sentences of three words or more outside _(), test inputs left out: in a check
    module, such a string is a message someone forgot to mark."""
    return audit_sentences([path], min_words=3, allowed=TEST_INPUTS)


def test_every_message_of_these_modules_is_marked():
    assert not bare_messages(CHECKS + GRADER + [REMOTE], SHOWN)
    for path in CHECKS:
        assert not unmarked_sentences(path)


def test_the_audit_finds_a_message_left_bare(tmp_path):
    """Un-wrap one message in a copy of lesson 12's checks: both audits name it."""
    source = CHECKS[2].read_text(encoding="utf-8")
    wrapped = 'raise Mistake(_("you repeated the batch (dim 0); the heads are dim 1"))'
    assert wrapped in source
    copy = tmp_path / "l12_modern_gpt.py"
    copy.write_text(source.replace(
        wrapped, 'raise Mistake("you repeated the batch (dim 0); the heads are dim 1")'),
        encoding="utf-8")
    assert any("you repeated the batch" in m for m in bare_messages([copy], SHOWN))
    assert any("you repeated the batch" in m for m in unmarked_sentences(copy))
    success = 'return _("each key/value head repeated'
    copy.write_text(source.replace(success, 'return ("each key/value head repeated'),
                    encoding="utf-8")
    assert any("each key/value head" in m for m in unmarked_sentences(copy))


# ============================================================================= the checks

def count_pairs_stepping(ids):
    return dict(Counter(zip(ids[::2], ids[1::2])))


def merge_as_text(ids, pair, new_id):
    text = " ".join(map(str, ids)).replace(f"{pair[0]} {pair[1]}", str(new_id))
    return [int(t) for t in text.split()] if text else []


def decode_each_token(ids, vocab):
    return "".join(vocab[i].decode("utf-8", errors="replace") for i in ids)


@pytest.mark.parametrize("check,fn,italian,english", [
    (check_count_pairs, count_pairs_stepping, "sei andato avanti di 2",
     "you moved on by 2 after each pair"),
    (check_merge, merge_as_text, "hai sostituito del testo negli ID scritti come stringa",
     "you replaced text in the IDs written out as a string"),
    (check_decode_bpe, decode_each_token, "hai decodificato ogni token da solo",
     "you decoded each token on its own"),
], ids=["count_pairs", "merge", "decode"])
def test_lesson_10_mistakes_in_both_languages(check, fn, italian, english):
    it, en = in_both(check, fn)
    assert it.status == en.status == "failed"
    assert italian in it.message and english not in it.message, it.message
    assert english in en.message and italian not in en.message, en.message


def addition_line_unpadded(a, b, reverse):
    answer = str(a + b).zfill(3)
    return f"{a}+{b}=" + (answer[::-1] if reverse else answer)


def accuracy_as_percentage(answers, pairs, reverse):
    right = sum((ans[::-1] if reverse else ans).isdigit()
                and int(ans[::-1] if reverse else ans) == a + b
                for ans, (a, b) in zip(answers, pairs))
    return 100 * right / len(pairs)


def rms_norm_centred(x, w, eps):
    v = x - x.mean(-1, keepdim=True)
    return v / (v.pow(2).mean(-1, keepdim=True) + eps).sqrt() * w


def swiglu_relu(x, w_gate, w_up, w_down):
    return (torch.relu(x @ w_gate.T) * (x @ w_up.T)) @ w_down.T


@pytest.mark.parametrize("check,fn,italian,english", [
    (check_addition_line, addition_line_unpadded, "porta entrambi i numeri a due cifre",
     "pad both numbers to two digits"),
    (check_addition_accuracy, accuracy_as_percentage, "una percentuale; restituisci la frazione",
     "a percentage; return the fraction"),
    (check_rms_norm, rms_norm_centred, "è la centratura della LayerNorm",
     "that is LayerNorm's centring"),
    (check_swiglu, swiglu_relu, "hai usato la ReLU come gate", "you used ReLU as the gate"),
], ids=["addition_line", "accuracy", "rms_norm", "swiglu"])
def test_lesson_11_and_12_mistakes_in_both_languages(check, fn, italian, english):
    it, en = in_both(check, fn)
    assert it.status == en.status == "failed"
    assert italian in it.message and english not in it.message, it.message
    assert english in en.message and italian not in en.message, en.message
    if check is check_addition_accuracy:             # the label is translated too
        assert "con reverse=" in it.message and "with reverse=" in en.message


def test_a_success_message_and_a_hint_in_both_languages():
    right = in_both(check_rms_norm,
                    lambda x, w, eps: x / (x.pow(2).mean(-1, keepdim=True) + eps).sqrt() * w)
    assert right[0].passed and "nessuna media sottratta" in right[0].message
    assert right[1].message.endswith("no mean subtracted, no bias, as in Llama.")

    def raises(ids, pair, new_id):
        raise KeyError("boom")
    it, en = in_both(check_merge, raises)
    assert "scorri la lista con un indice i" in it.message
    assert "walk with an index i" in en.message


# ============================================================================= the grader

ROWS = [g.Row("alice", "12_modern_gpt.ipynb", "check_rms_norm", "wrong", "msg", "12"),
        g.Row("alice", "12_modern_gpt.ipynb", "check_swiglu", "not_attempted", "m", "12"),
        g.Row("bob", "12_modern_gpt.ipynb", "check_rms_norm", "solved", "ok", "12")]


def test_the_table_the_summary_and_the_page_in_italian(tmp_path):
    set_language("it")
    lines = g.table(ROWS).splitlines()
    assert lines[0].split() == ["studente", "12", "totale"] and lines[1].split()[0] == "alice"
    assert g.summary(ROWS).startswith("✅ risolto 1, ❌ sbagliato 1, ⏳ non tentato 1")
    page = tmp_path / "voti.html"
    g.write_html(ROWS, page)
    html = page.read_text(encoding="utf-8")
    assert '<html lang="it">' in html and "<h1>Esercizi risolti, per studente e per lezione" \
        in html and "<th>lezione 12</th>" in html and "❌ sbagliato</td>" in html
    assert '<tr class="wrong">' in html            # the classes stay the CSV's words
    g.write_csv(ROWS, tmp_path / "voti.csv")
    assert (tmp_path / "voti.csv").read_text(encoding="utf-8").splitlines()[:2] == [
        "learner,notebook,exercise,verdict,message", "alice,12_modern_gpt.ipynb,check_rms_norm,wrong,msg"]
    set_language("en")
    assert g.table(ROWS).splitlines()[0].split() == ["learner", "12", "total"]
    assert g.summary(ROWS).startswith("✅ solved 1, ❌ wrong 1, ⏳ not attempted 1")


def test_the_planners_and_the_channels_messages_in_italian():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("check_rms_norm(solution_rms_norm)")]
    nb = grade_plan.read_notebook(nbformat.writes(nb).encode())
    set_language("it")
    _exercises, chosen = grade_plan.plan(nb, None)
    assert isinstance(chosen["check_rms_norm"], grade_plan.WrongCall)
    assert "la funzione di soluzione del corso" in chosen["check_rms_norm"]
    with pytest.raises(grade_plan.Unreadable, match="JSON non valido"):
        grade_plan.read_notebook(b"{")
    from course_lib.lessons import remote
    assert "la tua funzione" in repr(remote.RemoteFunction("h", "", None))


def exit_status(argv) -> int:
    try:
        return g.main(argv)
    except SystemExit as stop:
        return stop.code


def test_an_unknown_language_is_refused_and_help_says_the_csv_stays_english(capsys):
    assert exit_status(["--lang", "fr", "x"]) == 2
    err = capsys.readouterr().err
    assert "the grader speaks en and it, not 'fr'" in err and "Traceback" not in err
    assert exit_status(["--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--lang {en,it}" in out and "The CSV's header and its verdict column stay English" in out


def lesson_12_copy(folder, learner: str, answer: str | None = None):
    nb = nbformat.read(REPO / "notebooks" / "12_modern_gpt.ipynb", as_version=4)
    if answer is not None:
        i = next(i for i, c in enumerate(nb.cells)
                 if c.cell_type == "code" and "def my_rms_norm(" in c.source)
        nb.cells[i].source = answer + "\n\n\ncheck_rms_norm(my_rms_norm)"
    path = folder / learner / "12_modern_gpt.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, path)


CENTRED = ("def my_rms_norm(x, weight, eps):\n    v = x - x.mean(-1, keepdim=True)\n"
           "    return v / (v.pow(2).mean(-1, keepdim=True) + eps).sqrt() * weight")


@pytest.mark.slow
def test_a_class_graded_in_italian_and_in_english(tmp_path, capsys):
    """Two learners' copies of lesson 12 (one RMSNorm that centres, one untouched), graded
    in real kernels with --lang it, then without --lang."""
    subs = tmp_path / "consegne"
    lesson_12_copy(subs, "alice", CENTRED)
    lesson_12_copy(subs, "bob")
    out = {}
    for lang, extra in (("it", ["--lang", "it"]), ("en", [])):
        csv_path, html_path = tmp_path / f"{lang}.csv", tmp_path / f"{lang}.html"
        assert g.main([str(subs), "--jobs", "2", "--csv", str(csv_path), "--html",
                       str(html_path), *extra]) == 0
        with open(csv_path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))      # the header stays English in both
        out[lang] = (capsys.readouterr().out, html_path.read_text(encoding="utf-8"),
                     {(r["learner"], r["exercise"]): (r["verdict"], r["message"]) for r in rows})
    (it_text, it_html, it_rows), (en_text, en_html, en_rows) = out["it"], out["en"]
    # the same verdicts, in the CSV's English words
    assert {k: v[0] for k, v in it_rows.items()} == {k: v[0] for k, v in en_rows.items()}
    assert it_rows[("alice", "check_rms_norm")][0] == "wrong"
    assert it_rows[("bob", "check_rms_norm")][0] == "not_attempted"
    # the check's message, made in the worker, in each language
    assert "è la centratura della LayerNorm" in it_rows[("alice", "check_rms_norm")][1]
    assert "you subtracted the mean first: that is LayerNorm's centring" \
        in en_rows[("alice", "check_rms_norm")][1]
    # the table, the summary and the page
    assert it_text.split()[:2] == ["studente", "12"] and "totale" in it_text.splitlines()[0]
    assert "❌ sbagliato 1" in it_text and "⏳ non tentato 7" in it_text
    assert en_text.split()[:2] == ["learner", "12"] and "total" in en_text.splitlines()[0]
    assert "❌ wrong 1" in en_text and "⏳ not attempted 7" in en_text
    assert '<html lang="it">' in it_html and "<th>lezione 12</th>" in it_html
    assert "è la centratura della LayerNorm" in it_html
    assert '<html lang="en">' in en_html and "<th>lesson 12</th>" in en_html
    assert "Exercises solved, per learner and lesson" in en_html and "centratura" not in en_html
