"""Widgets, lesson 11's panels and the printed summaries of course_lib speak Italian (issue 26).

Every label, button, tooltip, status line, "what to try" and "what changed" line of
widgets.py, widget_text.py, bpe_widgets.py and own_gpt_panels.py, the tables and summaries
that sweep.py, own_gpt.py and ddp_demo.py print, and the errors a learner meets calling the
functions of these modules and of embeddings.py, bigram.py, experiments.py and hf_bpe.py are
marked for translation: the audit below fails on an unmarked one. The behaviour tests build
widgets and panels with set_language("it") and read the Italian, and with
set_language("en") the English, which must stay as it was.
"""

from __future__ import annotations

import ast

import pytest

from conftest import REPO
from course_lib import set_language
from course_lib.lessons import own_gpt, own_gpt_panels, sweep
from course_lib.lessons import widgets as course_widgets
from course_lib.lessons.bpe_widgets import plot_vocab_tradeoff
from course_lib.lessons.ddp_demo import failure_summary
from i18n_audit import _is_bare_text, bare_messages

pytestmark = pytest.mark.usefixtures("close_figures", "ipython_shell")   # in conftest.py

LESSONS = REPO / "course_lib" / "lessons"
MODULES = [LESSONS / f"{name}.py" for name in (
    "widgets", "widget_text", "bpe_widgets", "own_gpt_panels", "own_gpt", "sweep", "ddp_demo",
    "embeddings", "bigram", "experiments", "hf_bpe")]

TEXT_KEYWORDS = ("description", "tooltip", "placeholder", "title", "label")
CALLS = {
    "print": ((0, 1), ()),
    "HTML": ((0,), ("value",)), "Label": ((0,), ("value",)), "Markdown": ((0,), ()),
    "Button": ((), TEXT_KEYWORDS), "Checkbox": ((), TEXT_KEYWORDS),
    "Dropdown": ((), TEXT_KEYWORDS), "Text": ((), TEXT_KEYWORDS),
    "IntSlider": ((), TEXT_KEYWORDS), "FloatSlider": ((), TEXT_KEYWORDS),
    "FloatLogSlider": ((), TEXT_KEYWORDS), "SelectionSlider": ((), TEXT_KEYWORDS),
    "BoundedIntText": ((), TEXT_KEYWORDS), "IntProgress": ((), TEXT_KEYWORDS),
    "FloatProgress": ((), TEXT_KEYWORDS), "FileUpload": ((), TEXT_KEYWORDS),
    "set_title": ((0,), ()), "suptitle": ((0,), ()), "set_xlabel": ((0,), ()),
    "set_ylabel": ((0,), ()), "plot": ((), ("label",)),
    "plot_attention_weights": ((), ("title",)), "plot_next_token_distribution": ((), ("title",)),
    "plot_layernorm_io": ((), ("title",)),
    "Task": ((2,), ()),                               # a task's source: shown by the panel
    "TorchrunResult": ((3,), ()),                     # its summary: printed by lesson 09
    # the errors a learner meets calling these functions
    "ValueError": ((0,), ()), "TypeError": ((0,), ()), "FileNotFoundError": ((0,), ()),
    "ImportError": ((0,), ()), "UnknownWordError": ((0,), ()),
}
# labels and lines that are code or formulas, the same in every language
CODE_TEXT = {"'n_embd'", "'block_size'", "'top_k'", "'head_size'", "'vocab_size'", "'layer'",
             "'head'", "'eps'", "'dropout'", "'seed'", "'prompt'", "'batch/proc'",
             "'x:           '", "'LayerNorm(x):'",
             "f'token_embedding_table + lm_head, n_embd={n_embd}'",
             "f'x = {scale.value:.0e} * {base.tolist()} + {shift.value:g},  eps = {e",
             "'file'",                                   # a dropdown's value, not its label
             # lesson 11 cuts this message at the word "inside": it stays English on purpose
             'f"{target} is inside the course\'s data/ folder, which the lessons load'}
SHOWN_ATTRIBUTES = ("value", "description", "tooltip", "placeholder")


def texts(out):
    return "".join(o.get("text", "") for o in out.outputs)


def unmarked(paths=MODULES) -> list[str]:
    """bare_messages over `paths`, less the code names, plus text assigned straight to a
    widget's .value / .description (a status line set while training is no call)."""
    found = bare_messages(paths, CALLS)
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Attribute) and t.attr in SHOWN_ATTRIBUTES
                    for t in node.targets):
                values = (node.value.elts if isinstance(node.value, ast.Tuple)
                          else [node.value])
                found += [f"{path.name}:{node.lineno}: .value/.description = (...) "
                          f"{ast.unparse(v)[:70]}" for v in values if _is_bare_text(v)]
    return [m for m in found if m.split("(...) ", 1)[1] not in CODE_TEXT]


# ----------------------------------------------------------------------------- the audit

def test_every_label_and_line_these_modules_show_is_marked_for_translation():
    found = unmarked()
    assert not found, "text shown to the learner without _():\n" + "\n".join(found)


def test_the_audit_finds_an_unmarked_label_and_status_line(tmp_path):
    bad = tmp_path / "bad_widget.py"
    bad.write_text('import ipywidgets as widgets\n'
                   'b = widgets.Button(description="Train", tooltip=_("ok"))\n'
                   's = widgets.IntSlider(description="n_embd")\n'
                   'status.value = f"step {3}, loss"\n'
                   'print(_("fine {x}").format(x=1))\n'
                   'print(f"What changed: {b}")\n', encoding="utf-8")
    found = unmarked([bad])
    assert len(found) == 3, found                     # n_embd is a code name: allowed
    assert any("'Train'" in m for m in found) and any("step" in m for m in found)
    assert any("What changed" in m for m in found)


# ----------------------------------------------------------------------------- widgets

def test_context_target_explorer_says_what_to_try_in_italian_and_english(corpus):
    set_language("it")
    box = course_widgets.context_target_explorer(corpus.text[:2000], corpus.tokenizer, 8)
    (start, size), out = box.children[0].children, box.children[1]
    assert start.description == "inizio"
    assert texts(out).startswith("Prova: porta block_size a 1, poi a 16")
    assert "contiene 8 esempi; i contesti crescono da 1 a 8 token:" in texts(out)
    size.value = 1
    assert ("Cosa è cambiato: block_size 8 -> 1: 1 esempio invece di 8, e il contesto più "
            "lungo ora è di 1 token. Un solo token di contesto") in texts(out)
    start.value = 3
    assert "lo spezzone è avanzato di 3 token, oltre il vecchio" in texts(out)
    set_language("en")
    box = course_widgets.context_target_explorer(corpus.text[:2000], corpus.tokenizer, 8)
    (start, size), out = box.children[0].children, box.children[1]
    assert start.description == "start"
    assert texts(out).startswith("Try: set block_size to 1, then 16; then move start one step")
    size.value = 1
    assert "What changed: block_size 8 -> 1: 1 example instead of 8" in texts(out)


def test_scaling_calculator_in_italian_keeps_the_numbers_as_code_writes_them():
    set_language("it")
    box = course_widgets.scaling_calculator(64, 100_000, {1: 1000.0, 2: 2000.0},
                                            measured_batch=16)
    (nproc, batch), out = box.children[0].children, box.children[1]
    assert nproc.description == "processi" and batch.description == "batch/proc"
    assert texts(out).startswith("Prova: raddoppia i processi, poi dimezza batch/proc.")
    assert "tempo per passo  = 2,048 token / 2,000 token/s" in texts(out)
    batch.value = 32
    assert texts(out).startswith("Cosa è cambiato: batch/proc 16 -> 32: il batch globale è 2x "
                                 "(32 -> 64)")
    assert "una stima: la velocità è stata misurata a batch/proc 16" in texts(out)
    nproc.value = 3
    assert texts(out).startswith("Cosa è cambiato: processi 2 -> 3:")
    assert "tempo: non misurato qui (3 processi richiedono almeno 3 core o GPU)" in texts(out)


def test_layernorm_and_attention_explorers_in_italian():
    set_language("it")
    box = course_widgets.layernorm_explorer()
    (scale, shift, eps), out = box.children[0].children, box.children[1]
    assert (scale.description, shift.description, eps.description) == ("scala", "traslazione",
                                                                        "eps")
    scale.value, shift.value = 1e-5, 100.0
    text = texts(out)
    assert "arrotondamento float32: vicino a 100" in text
    assert "x:            100.000008  100.000023  100.000031" in text   # numbers untouched
    assert "in float64, LayerNorm(x) = -0.0032  0.0000  0.0032  (con traslazione 0" in text
    box = course_widgets.attention_scaling_explorer(T=4, max_head_size=64, batch=8)
    scaled, out = box.children[0].children[1], box.children[1]
    assert scaled.description == "scala i punteggi per 1/sqrt(head_size)"
    assert "scalati: varianza dei punteggi" in texts(out)
    scaled.value = False
    assert "non scalati: varianza dei punteggi" in texts(out)


def test_generation_explorer_in_italian_and_english(tiny_model, tiny_tokenizer):
    set_language("it")
    box = course_widgets.generation_explorer(tiny_model, tiny_tokenizer, ["Speak"],
                                             max_new_tokens=10)
    (prompt, seed), (temperature, top_k), (length, note) = (c.children for c in box.children[:3])
    out = box.children[3]
    assert (temperature.description, length.description, top_k.description) == (
        "temperatura", "caratteri", "top_k")
    assert "nessun filtro top-k" in note.value
    assert texts(out).startswith("temperatura 1.0, campionamento tra tutti i ")
    set_language("en")
    box = course_widgets.generation_explorer(tiny_model, tiny_tokenizer, ["Speak"],
                                             max_new_tokens=10)
    assert texts(box.children[3]).startswith("temperature 1.0, sampling from all ")
    assert box.children[2].children[1].value == ("<small>top_k = 0 means no top-k filter: "
                                                 "every character can be drawn.</small>")


def test_a_widget_made_in_english_speaks_italian_from_its_next_redraw(tiny_model, tiny_tokenizer):
    """The language is read when a line is made: switching mid-lesson changes the next redraw
    (labels made when the widget was built keep their language)."""
    box = course_widgets.scaling_calculator(64, 100_000, {1: 1000.0, 2: 2000.0})
    (nproc, batch), out = box.children[0].children, box.children[1]
    assert "global batch     = 16 x 2" in texts(out)
    set_language("it")
    batch.value = 8
    assert "batch globale    = 8 x 2 = 16 sequenze per passo" in texts(out)
    assert nproc.description == "processes"


# ----------------------------------------------------------------------------- lesson 10, 11

def test_the_vocabulary_plot_of_lesson_10_in_italian():
    set_language("it")
    fig = plot_vocab_tradeoff([{"vocab_size": 300, "chars_per_token": 1.5},
                               {"vocab_size": 600, "chars_per_token": 2.0}], n_embd=32)
    assert fig.axes[0].get_title() == "Vocabolario più grande, sequenze più corte"
    assert fig.axes[1].get_ylabel() == "parametri (migliaia)"


def test_the_training_panel_in_italian():
    set_language("it")
    panel = own_gpt_panels.training_panel("addition", "tiny")
    assert panel.train_button.description == "Addestra"
    assert panel.stop_button.description == "Ferma"
    assert panel.status.value == "Scegli un testo e una dimensione, poi premi Addestra."
    assert dict(panel.task_box.options)["addizione, risposte scritte normalmente"] == "addition"
    assert panel.path_box.placeholder.startswith("o un percorso")
    info = panel.info.outputs[-1]["text"]
    assert "somme generate di numeri a due cifre, risposte scritte normalmente" in info
    assert "dimensione 'tiny': n_layer=1" in info and "caratteri: un token per carattere" in info
    panel.task_box.value = "file"
    assert panel.start() is None
    assert panel.status.value.startswith("Impossibile addestrare: nessun file caricato per ora")
    panel.stop()
    assert panel.status.value == "fermo l'addestramento dopo questo passo..."
    set_language("en")
    panel = own_gpt_panels.training_panel("addition", "tiny")
    assert panel.train_button.description == "Train"
    assert panel.status.value == "Choose a text and a size, then press Train."
    assert "generated sums of two-digit numbers, answers as written" in \
        panel.info.outputs[-1]["text"]


def test_the_panels_report_training_and_generation_in_italian():
    set_language("it")
    panel = own_gpt_panels.training_panel("addition", "tiny", max_iters=20)
    panel.start().join(timeout=120)
    assert panel.result is not None, panel.status.value
    assert panel.status.value.startswith("finito al passo 20: modello conservato (panel.result), "
                                         "loss di validazione ")
    assert "nat per carattere" in panel.status.value
    box = own_gpt_panels.generation_panel(panel.result, length=12)
    prompt, (temperature, _top_k, note), out = box.children[0], box.children[1].children, \
        box.children[2]
    assert temperature.description == "temperatura" and "nessun filtro top-k" in note.value
    assert texts(out).startswith("temperatura 1.0, campionamento tra tutti i caratteri:")
    html = "".join(o.get("data", {}).get("text/html", "") for o in out.outputs)
    assert "Somme tenute da parte con risposta giusta" in html
    prompt.value = "12+é"
    assert "Il prompt deve essere fatto di caratteri che il modello conosce; contiene ['é']" \
        in texts(out)


def test_the_addition_table_in_italian():
    result = {"accuracy": 0.5, "rows": [("12+34=", "046", "046", True),
                                        ("50+50=", "001", "100", False)]}
    set_language("it")
    html = own_gpt.addition_table_html(result)
    assert "Somme tenute da parte con risposta giusta: <b>1 su 2</b> (50.0%)" in html
    assert "<th>il modello ha scritto</th>" in html and "<td>sbagliato</td>" in html
    set_language("en")
    html = own_gpt.addition_table_html(result)
    assert "<p>Held-out sums answered right: <b>1 of 2</b> (50.0%)</p>" in html
    assert "<td>wrong</td>" in html


# ----------------------------------------------------------------------------- printed summaries

def test_the_sweep_tables_in_italian_stay_aligned():
    sweep_data = sweep.load_sweep()
    english = sweep.sweep_table(sweep_data)
    set_language("it")
    italian = sweep.sweep_table(sweep_data).splitlines()
    head, rule, rows = italian[1], italian[2], italian[3:]
    assert "parametri" in head and "train (media)" in head and italian[0].count("seed") >= 1
    assert len(rule) == len(head) and all(len(r) == len(head) for r in rows)
    doubling = sweep.doubling_table(sweep_data).splitlines()
    assert "dispersione seed" in doubling[0]
    assert all(len(r) == len(doubling[0]) for r in doubling[2:])
    assert any(" su " in r for r in doubling[2:])
    set_language("en")
    assert sweep.sweep_table(sweep_data) == english


def test_the_torchrun_summary_in_italian():
    set_language("it")
    assert failure_summary(-9, "") == ("la demo con torchrun non è riuscita: un processo è stato "
                                       "terminato dal segnale 9 (SIGKILL); esegui di nuovo la "
                                       "cella")
    set_language("en")
    assert failure_summary(-9, "").startswith("the torchrun demo failed: a process was killed by")
