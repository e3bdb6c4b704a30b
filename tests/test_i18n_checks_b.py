"""The checks of lessons 03-09 speak Italian (issue 26): every verdict they make is marked
for translation, has an Italian entry whose placeholders match the English, and a typical
wrong answer of each lesson gets its message in the language chosen with set_language.

Modules covered: course_lib/lessons/checks/l03_softmax.py ... l09_scaling_up.py. The
messages built by the shared helpers (framework.py, answers.py, sandbox.py) are tested
with those modules.
"""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn.functional as F

from checks_support import assert_fails, in_both
from conftest import REPO
from course_lib import i18n
from course_lib.core.model import GPTLanguageModel
from course_lib.lessons.checks import (check_block_forward, check_causal_attention_weights,
                                       check_cross_entropy, check_dropout,
                                       check_gpt_forward, check_gpt_parameter_count,
                                       check_head_forward, check_layer_norm,
                                       check_layernorm_parameter_count, check_linear_forward,
                                       check_masked_average_weights, check_mha_parameter_count,
                                       check_stable_softmax, check_steps_per_epoch,
                                       check_temperature_probs, check_tokens_per_step)
from i18n_audit import bare_messages, format_fields
from i18n_audit import unmarked_sentences as audit_sentences
from test_i18n import po_entries, wrapped_messages

CHECKS = REPO / "course_lib" / "lessons" / "checks"
MODULES = [CHECKS / f"{name}.py" for name in (
    "l03_softmax", "l04_self_attention_trick", "l05_heads", "l06_blocks", "l07_layernorm",
    "l08_full_gpt", "l09_scaling_up")]

# The calls through which these modules show text: the verdicts (Mistake, Shortcut, ...),
# the hint `call` adds to an exception's message, and the name of the result that
# expect_tensor / as_float_tensor put in their message.
SHOWN_BY = {
    "Mistake": ((0,), ()),
    "Shortcut": ((0,), ()),
    "TimedOut": ((0,), ()),
    "NotAttempted": ((0,), ()),
    "CheckResult": ((2,), ("message",)),
    "call": ((), ("hint",)),
    "attempt": ((), ("hint",)),
    "expect_tensor": ((2,), ("what",)),
    "as_float_tensor": ((1,), ("what",)),
    "name_the_mistake": ((1,), ()),
}

# A result named by the code that made it ("softmax(logits)", "masked_average_weights(4)")
# is code, the same in every language.
_CODE = re.compile(r"^[A-Za-z_][\w.]*\(.*\)$")


def unmarked_sentences(paths) -> list[str]:
    """Sentences of two or more words outside _() that are not code."""
    return audit_sentences(paths, min_words=2, is_code=lambda t: bool(_CODE.match(t)))


def _not_code(found: list[str]) -> list[str]:
    """bare_messages' findings less the results named by code, e.g. "softmax(logits)"."""
    return [f for f in found
            if not _CODE.match(f.split("(...) ", 1)[1].lstrip("f").strip("'\""))]


# --- the audit ---------------------------------------------------------------------------

def test_every_message_of_lessons_03_to_09_is_marked():
    assert all(p.exists() for p in MODULES)
    bare = _not_code(bare_messages(MODULES, SHOWN_BY))
    assert not bare, "wrap these messages in _() (see I18N.md):\n" + "\n".join(bare)
    loose = unmarked_sentences(MODULES)
    assert not loose, "wrap these messages in _() (see I18N.md):\n" + "\n".join(loose)


def test_the_audit_finds_an_unmarked_message(tmp_path):
    module = tmp_path / "l99_demo.py"
    module.write_text(
        'from course_lib.i18n import _\n'
        'def check(fn):\n'
        '    """fn(x) -> y: a docstring is not a message."""\n'
        '    out = call(fn, 1, hint="a bare hint")\n'
        '    expect_tensor(out, (2,), "softmax(logits)")\n'
        '    expect_tensor(out, (2,), "the bare output")\n'
        '    name_the_mistake(out, [(1, "a bare message in a table")])\n'
        '    if out:\n'
        '        raise Mistake(f"you gave {out}, a bare f-string")\n'
        '    raise Mistake(_("a marked message {x}").format(x=1))\n'
        '    return "a bare success."\n')
    bare = _not_code(bare_messages([module], SHOWN_BY))
    assert len(bare) == 3 and all("bare" in f for f in bare), bare
    loose = unmarked_sentences([module])
    assert len(loose) == 5 and all("bare" in f for f in loose), loose


def _my_messages() -> dict[str, str]:
    return {msgid: where for msgid, where in wrapped_messages().items()
            if any(f"checks/{p.name}:" in where for p in MODULES)}


def test_each_message_is_translated_with_the_same_values():
    """An Italian entry that differs from the English, with the same {placeholders} (a
    missing or misspelt one would raise KeyError in the learner's check)."""
    messages = _my_messages()
    assert len(messages) >= 190, len(messages)
    entries = po_entries()
    untranslated = [m for m in messages if not entries.get(m) or entries[m] == m]
    assert not untranslated, untranslated
    mismatched = [(m, entries[m]) for m in messages if format_fields(m) != format_fields(entries[m])]
    assert not mismatched, mismatched


# --- behaviour: typical wrong answers in both languages ----------------------------------

def _no_max_softmax(x):
    return x.exp() / x.exp().sum(dim=-1, keepdim=True)


def _mean_softmax(x):
    e = (x - x.mean(dim=-1, keepdim=True)).exp()
    return e / e.sum(dim=-1, keepdim=True)


def _unmasked_head(x, Wk, Wq, Wv):
    k, q, v = x @ Wk.T, x @ Wq.T, x @ Wv.T
    return torch.softmax(q @ k.transpose(-2, -1) * Wk.shape[0] ** -0.5, dim=-1) @ v


def _unscaled_dropout(x, p, training):
    return x * (torch.rand_like(x) >= p) if training else x


def _unbiased_layer_norm(x, w, b, eps):
    return (x - x.mean(-1, keepdim=True)) / (x.var(-1, keepdim=True) + eps).sqrt() * w + b


def _short_logits(model, idx):
    return model.lm_head(model.ln_f(model.blocks(
        model.token_embedding_table(idx)
        + model.position_embedding_table(torch.arange(idx.shape[1])))))[..., :-1]


# (check, wrong answer, English fragment, Italian fragment): at least one per lesson
WRONG = {
    "03 no max": (check_stable_softmax, _no_max_softmax,
                  "exp(1000) overflows float32", "exp(1000) va in overflow in float32"),
    "03 the mean": (check_stable_softmax, _mean_softmax,
                    "you subtracted the row's mean, which leaves e^100 = inf",
                    "hai sottratto la media della riga, e resta e^100 = inf"),
    "03 T multiplied": (check_temperature_probs,
                        lambda logits, T: torch.softmax(logits * T, dim=-1),
                        "you multiplied the logits by the temperature",
                        "hai moltiplicato i logit per la temperatura"),
    "03 T = 0 accepted": (check_temperature_probs,
                          lambda logits, T: torch.softmax(logits / max(T, 1e-3), dim=-1),
                          "temperature 0 was accepted", "la temperatura 0 è stata accettata"),
    "03 summed": (check_cross_entropy,
                  lambda lo, t: -torch.log_softmax(lo, -1)[torch.arange(len(t)), t].sum(),
                  "you summed over the examples", "hai sommato sugli esempi"),
    "04 divided by T": (check_masked_average_weights, lambda T: torch.tril(torch.ones(T, T)) / T,
                        "you divided every row by T = 4, so only the last row sums to 1 "
                        "(row 0 sums to 0.2500)",
                        "hai diviso ogni riga per T = 4, così solo l'ultima riga somma a 1 "
                        "(la riga 0 somma a 0.2500)"),
    "04 no mask": (check_causal_attention_weights,
                   lambda q, k: torch.softmax(q @ k.transpose(-2, -1) * q.shape[-1] ** -0.5, -1),
                   "you forgot the causal mask", "hai dimenticato la maschera causale"),
    "05 no mask": (check_head_forward, _unmasked_head,
                   "Forgot the causal mask?", "Hai dimenticato la maschera causale?"),
    "05 proj bias": (check_mha_parameter_count, lambda C, n_head: 4 * C * C,
                     "you forgot the bias of proj", "hai dimenticato il bias di proj"),
    "06 no residual": (check_block_forward, lambda x, ln1, sa, ln2, ffwd: ffwd(ln2(sa(ln1(x)))),
                       "no residual connections", "mancano le connessioni residue"),
    "06 not scaled": (check_dropout, _unscaled_dropout,
                      "the kept values are not scaled", "i valori tenuti non sono riscalati"),
    "07 unbiased": (check_layer_norm, _unbiased_layer_norm,
                    "you used the unbiased variance", "hai usato la varianza corretta"),
    "07 no ln_f": (check_layernorm_parameter_count, lambda c: 2 * c.n_layer * 2 * c.n_embd,
                   "you forgot ln_f", "hai dimenticato ln_f"),
    "08 no bias": (check_linear_forward, lambda x, w, b: x @ w.T,
                   "you forgot the bias", "hai dimenticato il bias"),
    "08 F.linear": (check_linear_forward, lambda x, w, b: F.linear(x, w, b),
                    "you called F.linear", "hai chiamato F.linear"),
    "08 model(idx)": (check_gpt_forward, lambda model, idx: model(idx)[0],
                      "you called model(idx), the library's own forward pass",
                      "hai chiamato model(idx), il passaggio in avanti della libreria"),
    "08 your logits": (check_gpt_forward, _short_logits, "your logits", "il tuo tensore dei logit"),
    "08 no ln_f": (check_gpt_parameter_count,
                   lambda cfg: GPTLanguageModel(cfg).num_parameters() - 2 * cfg.n_embd,
                   "you forgot ln_f, the final LayerNorm (its weight and bias: 2 x n_embd) "
                   "(for GPTConfig(",
                   "hai dimenticato ln_f, la LayerNorm finale (il suo weight e il suo bias: "
                   "2 x n_embd) (per GPTConfig("),
    "09 no batch": (check_tokens_per_step, lambda B, T, n: T * n,
                    "for batch_size=16, block_size=64, nproc=2 you gave 128: you left out "
                    "batch_size",
                    "per batch_size=16, block_size=64, nproc=2 hai dato 128: hai tralasciato "
                    "batch_size"),
    "09 rounded down": (check_steps_per_epoch, lambda N, B, T, n: N // (B * T * n),
                        "rounding down leaves the last", "arrotondando per difetto"),
}


@pytest.mark.parametrize("case", list(WRONG))
def test_a_typical_mistake_is_named_in_italian_and_in_english(case):
    check, wrong, english, italian = WRONG[case]
    it, en = in_both(check, wrong)
    assert_fails(it, italian)
    assert english not in it.message
    assert_fails(en, english)
    assert italian not in en.message


def _good_softmax(x):
    e = (x - x.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)


def _count_ln(cfg):
    return (2 * cfg.n_layer + 1) * 2 * cfg.n_embd


def _layer_norm(x, w, b, eps):
    return F.layer_norm(x, x.shape[-1:], w, b, eps)


# (check, right answer, a fragment of its English and of its Italian success message)
RIGHT = {
    "03": (check_stable_softmax, _good_softmax, "equal to torch.softmax on every shape tried",
           "uguale a torch.softmax su ogni forma provata"),
    "04": (check_masked_average_weights,
           lambda T: torch.tril(torch.ones(T, T)) / torch.arange(1, T + 1).unsqueeze(1),
           "lower-triangular, the diagonal included", "triangolare inferiore, diagonale compresa"),
    "05": (check_mha_parameter_count, lambda C, n_head: 4 * C * C + C,
           "3·n_embd² for the heads' key", "3·n_embd² per key, query e value delle head"),
    "06": (check_block_forward,
           lambda x, ln1, sa, ln2, ffwd: (lambda y: y + ffwd(ln2(y)))(x + sa(ln1(x))),
           "pre-norm, attention then feed-forward", "pre-norm, prima l'attention e poi la "
                                                    "feed-forward"),
    "07": (check_layernorm_parameter_count, _count_ln,
           "(2 · n_layer + 1) LayerNorms", "(2 · n_layer + 1) LayerNorm, ciascuna con"),
    "08": (check_linear_forward, lambda x, w, b: x @ w.T + b,
           "what nn.Linear computes", "quello che calcola nn.Linear"),
    "09": (check_tokens_per_step, lambda B, T, n: B * T * n,
           "tokens per step = batch_size", "token per passo = batch_size"),
}


@pytest.mark.parametrize("case", list(RIGHT))
def test_a_passing_check_says_so_in_italian_and_in_english(case):
    check, right, english, italian = RIGHT[case]
    it, en = in_both(check, right)
    assert it.passed, it
    assert italian in it.message and english not in it.message, it.message
    assert en.passed, en
    assert english in en.message and italian not in en.message, en.message


def test_course_lang_alone_makes_the_checks_speak_italian(monkeypatch):
    """A notebook started with COURSE_LANG=it, without set_language, gets Italian verdicts."""
    monkeypatch.setenv(i18n.ENV_VAR, "it")
    assert_fails(check_dropout(_unscaled_dropout), "i valori tenuti non sono riscalati")
    monkeypatch.delenv(i18n.ENV_VAR)
    assert_fails(check_dropout(_unscaled_dropout), "the kept values are not scaled")
