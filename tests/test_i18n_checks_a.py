"""The checks of lessons 00-02 and the check framework speak Italian (issue 26).

Covers course_lib/lessons/checks/framework.py (the verdicts), answers.py (the messages the
checks of every lesson share), sandbox.describe (how a returned value is named in a
message) and the checks of lessons 00, 01 and 02: every learner-visible text there is
marked for translation (the audit below), typical wrong answers get their message in
Italian under set_language("it"), and under set_language("en") the very same English text
as before the translation (the full messages are written out here).
"""

from __future__ import annotations

import sys

import pytest
import torch
import torch.nn.functional as F

from conftest import REPO
from course_lib import set_language
from course_lib.lessons import checks
from course_lib.lessons.checks import (check_bigram_counts, check_bigram_forward,
                                       check_bigram_generate, check_context_target_pairs,
                                       check_cosine_similarity, check_counting_loss,
                                       check_encode_decode, check_estimate_loss,
                                       check_most_similar, check_one_hot_embed,
                                       check_training_loop, framework)
from course_lib.lessons.sandbox import describe

from checks_support import good_pairs, stub
from i18n_audit import bare_messages, unmarked_sentences
from test_checks_l02_bigram import good_estimate, good_forward, good_generate, good_train

LESSONS = REPO / "course_lib" / "lessons"
MODULES = [LESSONS / "checks" / name for name in
           ("framework.py", "answers.py", "l00_text_to_tokens.py", "l01_embeddings.py",
            "l02_bigram.py")] + [LESSONS / "sandbox.py"]

# the calls of these modules that put text in front of the learner, and where the text goes
SHOWN = {
    "Mistake": ((0,), ()), "TimedOut": ((0,), ()), "NotAttempted": ((0,), ()),
    "Shortcut": ((0,), ()), "CheckResult": ((2,), ("message",)), "print": ((0,), ()),
    "call": ((), ("hint",)), "as_number": ((1,), ("hint",)),
    "expect_tensor": ((2,), ("what",)), "as_float_tensor": ((1,), ("what",)),
    "id_list": ((1,), ("what",)),
}
# texts passed to those calls that are code, the same in every language
CODE = {"id_list(...) 'encode'"}
# string literals of several words that are data, not messages
DATA = {"To be, or not to be"}


def _audit(paths):
    return [m for m in bare_messages(paths, SHOWN) if m.split(": ", 1)[1] not in CODE]


def _unmarked_prose(paths):
    """Sentences of three words or more outside _(): a message passed on through a
    variable, a tuple given to name_the_mistake or a success message returned by a check."""
    return unmarked_sentences(paths, min_words=3, allowed=DATA)


def test_every_message_of_these_modules_is_marked_for_translation():
    assert not _audit(MODULES), "unmarked messages:\n" + "\n".join(_audit(MODULES))
    prose = _unmarked_prose(MODULES)
    assert not prose, "text not wrapped in _():\n" + "\n".join(prose)


def test_the_audit_finds_a_message_left_unmarked(tmp_path):
    """The audits above can fail: un-wrap one Mistake and one success message in a copy."""
    source = (LESSONS / "checks" / "l00_text_to_tokens.py").read_text(encoding="utf-8")
    mistake = '_("you returned a dict; return a list of (context, target) pairs")'
    success = '_("encode and decode agree with the tokenizer, and decode(encode(s)) == s.")'
    assert mistake in source and success in source
    copy = tmp_path / "l00_text_to_tokens.py"
    copy.write_text(source.replace(mistake, mistake[1:]), encoding="utf-8")
    assert [m for m in _audit([copy]) if "you returned a dict" in m]
    copy.write_text(source.replace(success, success[1:]), encoding="utf-8")
    assert not _audit([copy])                  # a returned text is no call: the prose audit
    assert [m for m in _unmarked_prose([copy]) if "encode and decode agree" in m]


# ----------------------------------------------------------------------------- verdicts

def _stoi_itos(tok):
    return {c: i for i, c in enumerate(tok.chars)}, dict(enumerate(tok.chars))


def _encode_ord(tok):
    stoi, itos = _stoi_itos(tok)
    return check_encode_decode(lambda s: [ord(c) for c in s],
                               lambda ids: "".join(itos[i] for i in ids), tok)


def _decode_spaces(tok):
    stoi, itos = _stoi_itos(tok)
    return check_encode_decode(lambda s: [stoi[c] for c in s],
                               lambda ids: " ".join(itos[i] for i in ids), tok)


def _overwrite(chunk):
    pairs = good_pairs(chunk)
    chunk[0] = -1
    return pairs


def _forgot_return(chunk):
    good_pairs(chunk)


# (name, the check's call, the whole English message, a piece of the Italian one)
CASES = [
    ("encode with ord", _encode_ord,
     "you used ord(c), the character's number in Unicode; the ID is the character's position "
     "in the sorted vocabulary: stoi[c]",
     "hai usato ord(c), il numero del carattere in Unicode"),
    ("decode with a separator", _decode_spaces,
     "decode([48, 45, 52, 52, 55]...) gave 'h e l l o': you joined the characters with a "
     "separator; join with '' (the empty string)",
     "hai unito i caratteri con un separatore; uniscili con '' (la stringa vuota)"),
    ("one pair too few",
     lambda tok: check_context_target_pairs(
         lambda ch: [(ch[:t + 1], ch[t + 1]) for t in range(len(ch) - 2)]),
     "a chunk of block_size + 1 = 9 tokens holds 8 examples, you returned 7 (off by one?)",
     "uno spezzone di block_size + 1 = 9 token contiene 8 esempi, tu ne hai restituiti 7 "
     "(sbagli di uno?)"),
    ("an exception, with the hint",
     lambda tok: check_context_target_pairs(
         lambda ch: [(ch[:t + 1], ch[t + 1]) for t in range(len(ch))]),
     "your function raised IndexError: list index out of range. Hint: the last example has "
     "t = len(chunk) - 2, so loop over range(len(chunk) - 1)",
     "la tua funzione ha sollevato IndexError: list index out of range. Suggerimento: "
     "l'ultimo esempio ha t = len(chunk) - 2"),
    ("a list as the target",
     lambda tok: check_context_target_pairs(
         lambda ch: [(ch[:t + 1], ch[t + 1:t + 2]) for t in range(len(ch) - 1)]),
     "example 0: the target should be one token ID (an int), got a list of 1 item: "
     "chunk[t + 1], not chunk[t + 1:]",
     "il target deve essere l'ID di un solo token (un int), invece è un list di 1 elemento"),
    ("the dot product alone",
     lambda tok: check_cosine_similarity(lambda a, b: a @ b),
     "you returned the dot product a·b: divide it by the lengths |a| and |b|",
     "hai restituito il prodotto scalare a·b: dividilo per le lunghezze |a| e |b|"),
    ("rows looked up directly",
     lambda tok: check_one_hot_embed(lambda ids, w: w[ids]),
     "you looked the rows up directly (weight[ids], F.embedding or index_select): right "
     "values, but the exercise is to get them by a matrix product, F.one_hot(ids, "
     "num_classes=V).float() @ weight",
     "hai preso le righe direttamente (weight[ids], F.embedding o index_select)"),
    ("a list instead of a tensor",
     lambda tok: check_one_hot_embed(lambda ids, w: (F.one_hot(ids, w.shape[0]).float()
                                                     @ w).tolist()),
     "your function returned a list of 4 items; return a tensor",
     "la tua funzione ha restituito un list di 4 elementi; restituisci un tensore"),
    ("ranked by the dot product",
     lambda tok: check_most_similar(lambda q, vs, k: torch.topk(vs @ q, k).indices),
     "you ranked by the dot product, so long vectors win (row [10, 10] came first). Divide by "
     "the lengths (cosine similarity) first",
     "hai ordinato per prodotto scalare, così vincono i vettori lunghi"),
    ("transposed counts",
     lambda tok: check_bigram_counts(lambda d, V: _counts(d, V).T),
     "your matrix is transposed: the row is the current token and the column the next one, "
     "counts[data[t], data[t + 1]]",
     "la tua matrice è trasposta: la riga è il token attuale"),
    ("counts of the wrong size",
     lambda tok: check_bigram_counts(lambda d, V: _counts(d, int(d.max()) + 1)),
     "the count matrix for vocab_size=6 has shape (5, 5), expected (6, 6)",
     "la matrice dei conteggi per vocab_size=6: la forma è (5, 5), ci si aspettava (6, 6)"),
    ("log base 10",
     lambda tok: check_counting_loss(lambda p, d: -p[d[:-1], d[1:]].log10().mean()),
     "you used log base 10; cross-entropy uses the natural log (torch.log)",
     "hai usato il logaritmo in base 10; la cross-entropy usa il logaritmo naturale"),
    ("flattened logits",
     lambda tok: check_bigram_forward(lambda m, i, t=None: good_forward(m, i, t, flat=True)),
     "you returned the flattened logits (15, 7). Keep logits of shape (B, T, C) = (3, 5, 7) "
     "(generate reads logits[:, -1, :]) and flatten only for the loss (the lecture's code "
     "returns the flattened view; ours does not)",
     "hai restituito i logit appiattiti (15, 7)"),
    ("the library's forward",
     lambda tok: check_bigram_forward(lambda m, idx, targets=None: m(idx, targets)),
     "you called model(idx, targets), the library's own forward; the exercise is to write "
     "it: logits = model.token_embedding_table(idx), then the loss",
     "hai chiamato model(idx, targets), il forward della libreria"),
    ("argmax instead of sampling",
     lambda tok: check_bigram_generate(lambda m, i, n, g=None: good_generate(m, i, n, g,
                                                                             "argmax")),
     "you took the most likely token (argmax), so the text is always the same; sample "
     "instead: torch.multinomial(probs, num_samples=1, generator=generator)",
     "hai preso il token più probabile (argmax), così il testo è sempre lo stesso"),
    ("the splits swapped",
     lambda tok: check_estimate_loss(lambda *a: good_estimate(*a, mistake="swap")),
     "the splits are swapped: 'train' must be the estimate on train_data",
     "i due insiemi sono scambiati"),
    ("no zero_grad",
     lambda tok: check_training_loop(lambda *a: good_train(*a, mistake="no_zero_grad")),
     "the gradients add up from step to step: call optimizer.zero_grad() before "
     "loss.backward() in every step",
     "i gradienti si accumulano da un passo all'altro"),
    ("the result passed, not the function",
     lambda tok: check_encode_decode([1, 2, 3], stub, tok),
     "pass your function itself, not its result: check_encode_decode(my_function), not "
     "check_encode_decode(my_function(...)); got a list of 3 items",
     "passa la funzione stessa, non il suo risultato"),
    ("the wrong arguments",
     lambda tok: check_encode_decode(stub),
     "check_encode_decode was called with the wrong arguments (missing a required argument: "
     "'decode'); call it as check_encode_decode(encode, decode, tokenizer)",
     "check_encode_decode è stata chiamata con gli argomenti sbagliati"),
    ("sys.exit()",
     lambda tok: check_cosine_similarity(lambda a, b: sys.exit()),
     "your function called sys.exit() (or exit()), which would end the program; a function "
     "gives its answer with `return`",
     "la tua funzione ha chiamato sys.exit() (o exit()), che terminerebbe il programma"),
    ("an input changed in place",
     lambda tok: check_context_target_pairs(_overwrite),
     "your function changed its input `chunk` in place (for example with `x -= ...`, "
     "`x[...] = ...`, `x.sub_(...)` or `.append`): the caller's data would be changed too. "
     "Compute a new value instead (`y = x - ...`)",
     "la tua funzione ha modificato sul posto il suo input `chunk`"),
    ("a result the check cannot use",
     lambda tok: checks.check_tokens_per_step(lambda B, T, n: torch.tensor([B * T, n])),
     None,
     "la verifica non ha potuto usare quello che la tua funzione ha restituito (un tensore "
     "di forma (2,) e dtype torch.int64)"),
]


def _counts(data, V):
    out = torch.zeros(V, V, dtype=torch.long)
    for i, j in zip(data[:-1].tolist(), data[1:].tolist()):
        out[i, j] += 1
    return out


@pytest.mark.parametrize("run,english,italian", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_typical_mistake_is_named_in_the_learners_language(tok, run, english, italian):
    set_language("en")
    en = run(tok)
    set_language("it")
    it = run(tok)
    assert en.status == it.status == "failed", (en, it)
    if english is not None:
        assert en.message == english
    else:
        assert en.message.startswith("the check could not use what your function returned")
    assert italian in it.message, it.message
    assert it.message != en.message and repr(it).startswith("❌ ")


def test_not_attempted_speaks_italian(tok):
    set_language("it")
    r = check_encode_decode(stub, stub, tok)
    assert r.status == "not_attempted"
    assert r.message == ("non ancora svolto: completa il TODO in `stub` (togli il "
                         "`raise NotImplementedError`), poi esegui di nuovo questa cella.")
    r = check_context_target_pairs(_forgot_return)
    assert r.status == "not_attempted"
    assert "non ancora svolto: `_forgot_return` ha restituito None" in r.message
    set_language("en")
    assert check_context_target_pairs(_forgot_return).message == (
        "not attempted yet: `_forgot_return` returned None. Fill in the TODO and end the "
        "function with `return ...`, then run this cell again.")


def test_a_passing_check_says_why_in_italian(tok):
    stoi, itos = _stoi_itos(tok)
    encode, decode = (lambda s: [stoi[c] for c in s]), (lambda ids: "".join(itos[i] for i in ids))
    right = [
        (lambda: check_encode_decode(encode, decode, tok),
         "encode and decode agree with the tokenizer, and decode(encode(s)) == s.",
         "encode e decode danno gli stessi risultati del tokenizer"),
        (lambda: check_context_target_pairs(good_pairs),
         "8 examples from one chunk: the context grows from 1 to 8 tokens.",
         "8 esempi da un solo spezzone: il contesto cresce da 1 a 8 token."),
        (lambda: check_bigram_counts(_counts),
         "counts[i, j] = how many times token j follows token i, over all N - 1 pairs.",
         "quante volte il token j segue il token i"),
        (lambda: check_cosine_similarity(lambda a, b: (a @ b) / (a.norm() * b.norm())),
         "a·b / (|a| |b|): 1 for the same direction, -1 for opposite, and length does not "
         "matter.", "1 per la stessa direzione, -1 per quella opposta"),
    ]
    for run, english, italian in right:
        set_language("en")
        assert run().message == english
        set_language("it")
        r = run()
        assert r.passed and italian in r.message and repr(r).startswith("✅ ")


def test_the_limits_speak_italian(short_limits, monkeypatch, capsys):
    set_language("it")

    def looping(*args):
        while True:
            pass
    r = check_cosine_similarity(looping)
    assert r.status == "timed_out"
    assert r.message.startswith("la tua funzione è andata avanti per più di 0.3 s ed è stata "
                                "fermata")

    def endless(*args):
        i = 0
        while True:
            yield i
            i += 1
    r = check_context_target_pairs(endless)
    assert "un generatore (o un iteratore) che ha prodotto più di 1,000 elementi" in r.message

    monkeypatch.setattr(framework, "TIME_LIMIT_S", 60.0)      # the memory limit comes first

    def greedy(a, b):
        pieces = []
        while True:
            pieces.append(b"x" * 2**20)
    r = check_cosine_similarity(greedy)
    assert "la tua funzione ha usato più di 150 MB di memoria ed è stata fermata" in r.message

    def chatty(data, vocab_size):
        print("x" * 20_000)
        raise ValueError("oops")
    r = check_bigram_counts(chatty)
    shown = capsys.readouterr().out
    assert "la tua funzione ha sollevato ValueError: oops. Suggerimento:" in r.message
    assert ("[il tuo codice ha stampato 20,001 caratteri; si vedono solo i primi 5,000, "
            "15,001 sono stati tagliati]") in shown


def test_describe_names_a_value_in_the_learners_language():
    values = [torch.zeros(2, 3), 3, 2.5, True, "abc", [1], [1, 2], {}, None, object()]
    english = ["a tensor of shape (2, 3) and dtype torch.float32", "an int (3)",
               "a float (2.5)", "a bool (True)", "a str ('abc')", "a list of 1 item",
               "a list of 2 items", "a dict of 0 items", "None", "a object"]
    italian = ["un tensore di forma (2, 3) e dtype torch.float32", "un int (3)",
               "un float (2.5)", "un bool (True)", "una str ('abc')", "un list di 1 elemento",
               "un list di 2 elementi", "un dict di 0 elementi", "None", "un oggetto object"]
    assert [describe(v) for v in values] == english
    set_language("it")
    assert [describe(v) for v in values] == italian
