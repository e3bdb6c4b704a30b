"""The figures course_lib draws, and lesson 12's widgets, speak the learner's language (issue 26).

Every title, axis label, legend label, colour-bar label and text drawn on the axes by
course_lib/lessons/plots/ and course_lib/lessons/modern.py is marked for translation (the
audit below), and under set_language("it") the figures come out in Italian; under "en" they
are the English ones the notebooks and the other tests expect.
"""

from __future__ import annotations

import matplotlib
import matplotlib.figure

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from conftest import REPO  # noqa: E402
from course_lib import set_language  # noqa: E402
from course_lib.lessons import modern, plots  # noqa: E402
from i18n_audit import bare_messages  # noqa: E402

pytestmark = pytest.mark.usefixtures("close_figures", "ipython_shell")   # in conftest.py

LESSONS = REPO / "course_lib" / "lessons"
MODULES = [LESSONS / "plots" / "base.py", LESSONS / "plots" / "lessons_00_03.py",
           LESSONS / "plots" / "lessons_04_07.py", LESSONS / "plots" / "lessons_08_11.py",
           LESSONS / "modern.py"]

LABEL = ((), ("label",))
# the calls that put text on a figure, in a widget or on the screen: (positions, keywords)
SHOWN = {
    "set_title": ((0,), ("label",)), "set_xlabel": ((0,), ("xlabel",)),
    "set_ylabel": ((0,), ("ylabel",)), "suptitle": ((0,), ("t",)), "set_label": ((0,), ()),
    "text": ((2,), ("s",)), "annotate": ((0,), ("text",)),
    "set": ((), ("title", "xlabel", "ylabel")),
    "plot": LABEL, "bar": LABEL, "barh": LABEL, "scatter": LABEL, "errorbar": LABEL,
    "axhline": LABEL, "axvline": LABEL, "axvspan": LABEL, "Line2D": LABEL, "colorbar": LABEL,
    "legend": ((1,), ("labels", "title")),
    "set_xticks": ((1,), ("labels",)), "set_yticks": ((1,), ("labels",)),
    # the course's own helpers that take a title or labels
    "plot_heatmap": ((1, 2, 3), ("title", "xlabel", "ylabel", "colorbar_label")),
    "plot_loss_curves": ((1,), ("title", "baseline_label")),
    "IntSlider": ((), ("description",)), "Dropdown": ((), ("description",)),
    "print": ((0,), ()),
    # errors for bad input, and the hints handed to core.validate's checks
    "ValueError": ((0,), ()), "FileNotFoundError": ((0,), ()),
    "finite_number": ((), ("hint",)), "positive_int": ((2,), ("hint",)),
}

# Text that is code or a formula, the same in every language: names of code (n_embd,
# n_kv_head, token_embedding_table, LayerNorm(x)), the data splits as the code names them
# (train, val) and units (s). Each entry is the audit's line without its file:line prefix.
CODE_NOT_WORDS = {
    "set(...) f'token_embedding_table: {m.shape[0]} × {m.shape[1]}'",
    "plot(...) 'train'",
    "plot(...) 'val'",
    "plot(...) f'n_embd = {n_embd}'",
    "plot(...) 'y = head_size'",
    "plot(...) 'q·k / sqrt(head_size)'",
    "axhline(...) f'1/(1-p) = {1 / (1 - p):.3f}'",
    "set(...) 'LayerNorm(x)'",
    "set(...) 'n_embd'",
    "annotate(...) f\"n_embd={r['n_embd']}\"",
    "text(...) f\"{r['seconds']:.0f} s\"",
    "plot(...) f\"n_embd={r['n_embd']}\"",
    "Dropdown(...) 'n_kv_head'",
    "plot(...) f'n_kv_head={nkv} ({kind})'",
    "set_label(...) f'n_kv_head={nkv.value}'",
}


def _unexplained(found):
    return [line for line in found if line.split(": ", 1)[1] not in CODE_NOT_WORDS]


# ----------------------------------------------------------------------------- the audit

def test_every_text_on_a_figure_is_marked_for_translation():
    found = bare_messages(MODULES, SHOWN)
    assert not _unexplained(found), (
        "text shown to the learner but not wrapped in _() (wrap it, or add it to "
        "CODE_NOT_WORDS if it is code):\n" + "\n".join(_unexplained(found)))
    # the exceptions are still in the code: an entry that matches nothing is stale
    stale = CODE_NOT_WORDS - {line.split(": ", 1)[1] for line in found}
    assert not stale, f"CODE_NOT_WORDS lists text the modules no longer show: {sorted(stale)}"


def test_the_audit_finds_an_unwrapped_title_label_and_print(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('from course_lib.i18n import _\n'
                   'ax.set(title="Training loss", xlabel=_("step"))\n'
                   'ax.plot(xs, ys, label=f"mean of {n} seeds")\n'
                   'fig.colorbar(im, ax=ax).set_label("value")\n'
                   'print(f"position {p}: pair 0 has turned")\n'
                   'plot_heatmap(m, title=_("ok"), xlabel="next character", ylabel=_("ok"))\n'
                   'widgets.IntSlider(description="position")\n'
                   'raise ValueError(f"steps and losses differ in length ({a} and {b})")\n',
                   encoding="utf-8")
    found = [line.split(": ", 1)[1] for line in bare_messages([bad], SHOWN)]
    assert found == ["set(...) 'Training loss'", "plot(...) f'mean of {n} seeds'",
                     "set_label(...) 'value'", "print(...) f'position {p}: pair 0 has turned'",
                     "plot_heatmap(...) 'next character'", "IntSlider(...) 'position'",
                     "ValueError(...) f'steps and losses differ in length ({a} and {b})'"]


# ----------------------------------------------------------------------------- the figures

class History:                       # what plot_loss_curves reads of a TrainHistory
    steps, train_loss = [1, 2, 3], [3.0, 2.0, 1.5]
    eval_steps, eval_train, eval_val = [0, 3], [3.1, 1.6], [3.2, 1.7]


def legend_texts(ax_or_fig):
    legend = (ax_or_fig.legends[0] if isinstance(ax_or_fig, matplotlib.figure.Figure)
              else ax_or_fig.get_legend())
    return [t.get_text() for t in legend.get_texts()]


def test_loss_curves_default_title_follows_the_language_at_call_time():
    set_language("it")
    ax = plots.plot_loss_curves(History(), baseline=4.17).axes[0]
    assert ax.get_title() == "Loss di addestramento"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("passo di ottimizzazione",
                                                  "loss cross-entropy (nat)")
    assert legend_texts(ax) == ["loss del minibatch", "train (stima)", "val (stima)",
                                "ln(vocab_size): scelta uniforme a caso"]
    set_language("en")
    ax = plots.plot_loss_curves(History(), baseline=4.17).axes[0]
    assert ax.get_title() == "Training loss" and ax.get_xlabel() == "optimisation step"
    assert legend_texts(ax)[-1] == "ln(vocab_size): uniform guessing"
    # a title the caller gives is shown as given, in either language
    set_language("it")
    assert plots.plot_loss_curves(History(), title="Mio titolo").axes[0].get_title() == "Mio titolo"


def test_bigram_and_softmax_figures_in_italian():
    set_language("it")
    chars = list("ab c")
    ax = plots.plot_bigram_loss_curves(History(), 1.39, 1.2).axes[0]
    assert ax.get_title() == "Addestramento del modello a bigrammi"
    assert "modello a conteggi su val: 1.200" in legend_texts(ax)      # numbers as code writes them
    left, right = plots.plot_logits_and_probs(torch.tensor([1.0, 2.0, 0.5, -1.0]), chars).axes
    assert left.get_title() == "logit: un numero reale qualsiasi"
    assert (right.get_xlabel(), right.get_ylabel()) == ("carattere successivo", "probabilità")
    ax = plots.plot_sample_frequencies(torch.tensor([0.5, 0.3, 0.1, 0.1]),
                                       torch.tensor([600, 250, 100, 50]), chars).axes[0]
    assert legend_texts(ax) == ["probabilità (softmax)", "frequenza in 1,000 campioni"]
    ax = plots.plot_char_frequencies("aab c\n", list("ab c\n")).axes[0]
    assert ax.get_title() == "Quante volte compare ciascuno dei 5 caratteri"
    assert ax.get_xlabel() == "carattere (␣ è uno spazio, \\n un a capo)"


def test_character_groups_are_named_in_italian_but_char_group_keeps_its_values():
    class Projection:
        points = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
        explained = torch.tensor([0.6, 0.3])
    set_language("it")
    fig = plots.plot_char_embeddings_2d({"PCA": Projection()}, ["a", "b", " "])
    assert fig.axes[0].get_xlabel() == "direzione principale 1 (60% della varianza)"
    assert legend_texts(fig)[:2] == ["vocale", "consonante"]
    assert plots.char_group("a") == "vowel"            # a value code compares, not a label


def test_attention_figures_in_italian_and_english():
    wei = torch.tril(torch.ones(3, 3)) / torch.arange(1, 4).view(3, 1)
    set_language("it")
    fig = plots.plot_attention_weights(wei, list("ab "))
    ax = fig.axes[0]
    assert ax.get_title() == "Pesi di attention"
    assert ax.get_xlabel() == "posizione da cui prende (key)"
    assert fig.axes[1].get_ylabel() == "peso (ogni riga ha somma 1)"          # the colour bar
    ax = plots.plot_qkv_layout(torch.randn(12, 4), n_head=2).axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][:3] == [
        "query della head 0", "query della head 1", "key della head 0"]
    assert ax.get_xlabel() == "canale di input (da 0 a 3)"
    fig = plots.plot_attention_grid(torch.rand(2, 2, 3, 3), list("ab "))
    assert fig.get_suptitle() == "Tutte le head di tutti i layer\n'ab␣': la query (riga) guarda la key (colonna)"
    set_language("en")
    ax = plots.plot_attention_weights(wei, list("ab ")).axes[0]
    assert ax.get_title() == "Attention weights" and ax.get_xlabel() == "position it takes from (key)"


def test_layernorm_and_dropout_figures_in_italian():
    set_language("it")
    run = {"lr": 0.01, "seed": 0, "layernorm": True, "steps": [1, 2, 3], "train_loss": [3.0, 2.0, 1.0],
           "eval_steps": [0, 3], "eval_val": [3.0, 1.2]}
    fig = plots.plot_layernorm_curves({"runs": [run, dict(run, layernorm=False, seed=1),
                                                dict(run, seed=1)]}, smooth=2)
    ax = fig.axes[0]
    assert ax.get_title() == "learning rate 0.01"
    assert legend_texts(ax) == ["con LayerNorm (val, 2 seed)", "senza LayerNorm (val, 2 seed)"]
    assert fig.get_suptitle() == ("Linee sottili: loss di addestramento (media di 2 passi); "
                                  "marcatori: loss di validazione")
    ax = plots.plot_dropout(torch.ones(4), torch.tensor([2.0, 0, 2, 0]), torch.ones(4), 0.5).axes[0]
    assert legend_texts(ax)[1:] == ["input", "modalità train (p=0.5)", "modalità eval"]


def test_gpt_figures_in_italian_with_plural_forms():
    set_language("it")
    runs = [{"processes": 1, "threads_per_process": 2, "tokens_per_second": 1000.0},
            {"processes": 2, "threads_per_process": 1, "tokens_per_second": 1800.0}]
    ax = plots.plot_scaling(runs).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1 processo\nx 2 thread",
                                                            "2 processi\nx 1 thread"]
    assert ax.get_title() == "Velocità di addestramento: 1 processo contro 2 (torchrun)"
    ax = plots.plot_parameter_breakdown({"token embedding": 1000, "blocks": 3000}).axes[0]
    assert ax.get_title() == "Dove sono i parametri: 4,000 in tutto"
    ax = plots.plot_live_loss([1, 2], [2.0, 1.5], floor=0.5).axes[0]
    assert "minimo: un sommatore perfetto (0.50)" in legend_texts(ax)
    set_language("en")
    ax = plots.plot_scaling(runs).axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1 process\nx 2 threads",
                                                            "2 processes\nx 1 thread"]


# ----------------------------------------------------------------------------- lesson 12

def test_lesson_12_figures_in_italian():
    set_language("it")
    fig = modern.plot_modern_results(modern.load_modern_gpt()["results"])
    assert [ax.get_title() for ax in fig.axes] == ["A parità di passi",
                                                   "A parità di tempo di addestramento"]
    assert fig.axes[0].get_xlabel() == "loss di validazione (nat)"
    assert "passi a parità di tempo" in fig.axes[0].get_yticklabels()[0].get_text()
    assert legend_texts(fig)[0] == "baseline: dal min al max dei suoi seed"
    ax = modern.plot_rope_rotation(torch.randn(8), 3).axes[0]
    assert ax.get_title() == "RoPE: le 4 coppie di canali di una query in posizione 3"
    assert ax.get_xlabel() == "primo canale della coppia"
    ax = modern.plot_kv_cache_memory(2, 4, 16, [0, 1024, 2048], [4, 2, 1], marked=1024).axes[0]
    assert ax.get_title() == "KV cache: 2 layer, 4 head da 16 canali"
    assert legend_texts(ax) == ["n_kv_head=4 (multi-head)",
                                "n_kv_head=2 (raggruppata, 2 head di query per head di key/value)",
                                "n_kv_head=1 (multi-query)", "contesto 1,024"]
    set_language("en")
    ax = modern.plot_rope_rotation(torch.randn(8), 3).axes[0]
    assert ax.get_title() == "RoPE: the 4 channel pairs of a query at position 3"


def test_lesson_12_table_and_widgets_in_italian():
    data = modern.load_modern_gpt()
    english = modern.modern_table(data)
    set_language("it")
    italian = modern.modern_table(data)
    assert "a parità di tempo (Δ: media meno la media della baseline)" in italian
    assert italian.splitlines()[1].startswith("variante    param. s/passo | loss (min-max)")
    assert italian.splitlines()[2:] == english.splitlines()[2:]     # the numbers are the same

    box = modern.rope_rotation_explorer(head_size=8, max_position=50)
    slider, out = box.children
    assert slider.description == "posizione"
    slider.value = 10
    shown = "".join(o.get("text", "") for o in out.outputs)
    assert shown.startswith("posizione 10: la coppia 0 ha fatto 1.59 giri del cerchio")

    box = modern.kv_cache_explorer()
    context, out = box.children[0].children[1], box.children[1]
    assert context.description == "contesto"
    context.value = 4096
    shown = "".join(o.get("text", "") for o in out.outputs)
    assert shown.startswith("contesto 4,096: con n_kv_head=8 servono 0.50 GiB, con "
                            "n_kv_head=32 ne servono 2.00 GiB (4 volte tanto)")


def test_errors_for_bad_input_in_italian_and_english():
    set_language("it")
    with pytest.raises(ValueError, match=r"n_kv_head=3 non divide n_head=4"):
        modern.plot_kv_cache_memory(2, 4, 16, [0, 1024], [3])
    with pytest.raises(ValueError, match=r"ci sono 2 etichette per una matrice 3 x 3"):
        plots.plot_attention_weights(torch.eye(3), ["a", "b"])
    with pytest.raises(FileNotFoundError, match=r"non trovato; crealo con `python scripts/"):
        modern.load_modern_gpt(REPO / "data" / "no_such_file.json")
    with pytest.raises(ValueError, match=r"0 dividerebbe i logit per zero"):
        plots.plot_temperature_distributions(torch.zeros(2), ["a", "b"], [0])
    set_language("en")
    with pytest.raises(ValueError, match=r"got 2 labels for a 3 x 3 matrix; give one per position"):
        plots.plot_attention_weights(torch.eye(3), ["a", "b"])
