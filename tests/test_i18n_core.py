"""The library's core speaks Italian (issue 26): every error, hint and note that
course_lib/core shows for bad input is marked for translation, has an Italian entry with
the same {placeholders}, and typical bad inputs give the Italian message under
set_language("it") and the unchanged English one under set_language("en").

Modules covered: course_lib/core/*.py (data, tokenizer, bpe, checkpoint, validate, model,
training, sampling, windows, device, layers, precision). A hint that a lesson passes to a
validator is that lesson's text; the frame it goes into is tested here.
"""

from __future__ import annotations


import pytest
import torch

from conftest import REPO, TINY_TEXT
from course_lib import set_language
from course_lib.core.bpe import BPETokenizer
from course_lib.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from course_lib.core.data import CharTokenizer, get_batch, load_text
from course_lib.core.model import GPTConfig
from course_lib.core.sampling import validate_sampling_args
from course_lib.core.windows import SlidingWindowDataset
from i18n_audit import bare_messages, format_fields
from test_i18n import po_entries, wrapped_messages

CORE = REPO / "course_lib" / "core"
MODULES = sorted(CORE.glob("*.py"))

# The calls through which the core shows text: exceptions (by class), warnings, notes
# printed on stderr, the validators' hints, and the words naming a file in
# read_regular_file / decode_utf8 / require_memory's messages.
SHOWN_BY = {
    **{error: ((0,), ()) for error in (
        "ValueError", "TypeError", "FileNotFoundError", "RuntimeError", "OSError",
        "IndexError", "KeyError", "CheckpointError", "TrainingDiverged", "FileTooLargeError",
        "UnknownCharacterError")},
    "warn": ((0,), ("message",)),
    "print": ((0,), ()),
    "_say": ((0, 1), ("message", "hint")),
    "positive_int": ((2,), ("hint",)),
    "int_at_least": ((3,), ("hint",)),
    "finite_number": ((), ("hint",)),
    "one_of": ((3,), ("hint",)),
    "boolean": ((2,), ("hint",)),
    "read_regular_file": ((2,), ("what",)),
    "decode_utf8": ((2, 3), ("what", "then")),
    "require_memory": ((), ("what",)),
}


# --- the audit ---------------------------------------------------------------------------

def test_every_message_of_the_core_is_marked():
    assert len(MODULES) >= 12 and (CORE / "checkpoint.py") in MODULES
    bare = bare_messages(MODULES, SHOWN_BY)
    assert not bare, "wrap these messages in _() (see I18N.md):\n" + "\n".join(bare)


def test_the_audit_finds_an_unmarked_message(tmp_path):
    module = tmp_path / "demo.py"
    module.write_text(
        'from course_lib.i18n import _\n'
        'def load(path, n):\n'
        '    """A docstring is not a message."""\n'
        '    validate.positive_int("n", n, hint="a bare hint")\n'
        '    raw = read_regular_file(path, 10, "bare file")\n'
        '    if not raw:\n'
        '        raise CheckpointError(f"{path} is a bare f-string")\n'
        '    if n > 1:\n'
        '        warnings.warn("a bare warning")\n'
        '    raise ValueError(_("a marked message {x}").format(x=1))\n')
    bare = bare_messages([module], SHOWN_BY)
    assert len(bare) == 4 and all("bare" in f for f in bare), bare


def _my_messages() -> dict[str, str]:
    return {msgid: where for msgid, where in wrapped_messages().items()
            if where.startswith("course_lib/core/")}


def test_each_message_is_translated_with_the_same_values():
    """An Italian entry that differs from the English, with the same {placeholders} (a
    missing or misspelt one would turn the learner's error into a KeyError)."""
    messages = _my_messages()
    assert len(messages) >= 170, len(messages)
    entries = po_entries()
    untranslated = [m for m in messages if not entries.get(m) or entries[m] == m]
    assert not untranslated, untranslated
    mismatched = [(m, entries[m]) for m in messages if format_fields(m) != format_fields(entries[m])]
    assert not mismatched, mismatched


# --- behaviour: typical bad inputs in both languages -------------------------------------

def _encode_unknown_character():
    CharTokenizer.from_text("abc\n").encode("abè")


def _missing_corpus(tmp_path):
    load_text(tmp_path / "no_such_corpus.txt")


def _damaged_checkpoint(tmp_path):
    from course_lib.core.model import BigramLanguageModel
    tok = CharTokenizer.from_text(TINY_TEXT)
    save_checkpoint(tmp_path / "ck", BigramLanguageModel(tok.vocab_size), tok)
    weights = tmp_path / "ck" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8])           # cut short after saving
    load_checkpoint(tmp_path / "ck")


def _grown_checkpoint(tmp_path):
    """A weights file larger than config.json says: refused by its size, before it is read
    (the check that tells this case apart must not depend on the message's language)."""
    from course_lib.core.model import BigramLanguageModel
    tok = CharTokenizer.from_text(TINY_TEXT)
    save_checkpoint(tmp_path / "ck", BigramLanguageModel(tok.vocab_size), tok)
    with open(tmp_path / "ck" / "model.safetensors", "ab") as f:
        f.write(b"\0" * 8)
    load_checkpoint(tmp_path / "ck")


def _bad_bpe_file():
    stored = BPETokenizer.train(TINY_TEXT, 260).to_dict()
    stored["vocab_size"] += 1                                 # edited by hand
    BPETokenizer.from_dict(stored)


# (bad input, exception, English fragment, Italian fragment)
BAD = {
    "a character outside the vocabulary": (
        lambda tmp: _encode_unknown_character(), ValueError,
        "character 'è' (U+00E8) at position 2 is not in the vocabulary of 4 characters; "
        "remove it from the text",
        "il carattere 'è' (U+00E8) in posizione 2 non è nel vocabolario di 4 caratteri; "
        "toglilo dal testo"),
    "a missing corpus path": (
        _missing_corpus, FileNotFoundError, "corpus file not found",
        "file del corpus non trovato"),
    "a damaged checkpoint": (
        _damaged_checkpoint, CheckpointError,
        "does not match its checksum in config.json: the file is truncated or damaged",
        "non corrisponde al suo checksum in config.json: il file è troncato o danneggiato"),
    "a checkpoint's weights file that grew": (
        _grown_checkpoint, CheckpointError,
        "does not match its checksum in config.json: it holds",
        "non corrisponde al suo checksum in config.json: contiene"),
    "a bad GPTConfig value": (
        lambda tmp: GPTConfig(n_embd=30, n_head=4), ValueError,
        "n_embd=30 is not divisible by n_head=4", "n_embd=30 non è divisibile per n_head=4"),
    "a bad GPTConfig value (the divisors to pick from)": (
        lambda tmp: GPTConfig(n_embd=5040, n_head=11), ValueError,
        "Pick n_head from the divisors of 5040 near 11 [4, 5, 6, 7, 8, 9, 10, 12, 14, 15, 16, "
        "18], or change n_embd",
        "Scegli n_head tra i divisori di 5040 vicini a 11 [4, 5, 6, 7, 8, 9, 10, 12, 14, 15, "
        "16, 18], oppure cambia n_embd"),
    "a GPTConfig size of 0": (
        lambda tmp: GPTConfig(n_layer=0), ValueError,
        "n_layer must be a positive integer, got 0", "n_layer deve essere un intero positivo, "
                                                     "non 0"),
    "a bad BPE file": (
        lambda tmp: _bad_bpe_file(), ValueError,
        "the stored BPE tokenizer says vocab_size=261 but its merges and special tokens "
        "make 260; the tokenizer file is damaged",
        "il tokenizer BPE salvato dichiara vocab_size=261, ma i suoi merge e token speciali "
        "ne fanno 260; il file del tokenizer è danneggiato"),
    "a temperature of 0 (the hint)": (
        lambda tmp: validate_sampling_args(0, None, 65), ValueError, "temperature must be a finite number > 0, got 0; the logits are divided",
        "temperature deve essere un numero finito > 0, non 0; i logit vengono divisi"),
    "a batch larger than the data": (
        lambda tmp: get_batch(torch.arange(10), batch_size=8, block_size=4), ValueError,
        "batch_size=8 is larger than the 6 different windows",
        "batch_size=8 supera le 6 finestre diverse"),
    "a stride of 0 (the hint)": (
        lambda tmp: SlidingWindowDataset(torch.arange(10), block_size=4, stride=0), ValueError,
        "stride must be a positive integer, got 0; a stride of block_size gives windows",
        "stride deve essere un intero positivo, non 0; uno stride pari a block_size"),
}


def _message(case, tmp_path) -> str:
    bad, error, _english, _italian = BAD[case]
    with pytest.raises(error) as caught:
        bad(tmp_path)
    return str(caught.value)


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_input_is_named_in_italian_and_in_english(case, tmp_path):
    _bad, _error, english, italian = BAD[case]
    set_language("it")
    message = _message(case, tmp_path / "it")
    assert italian in message and english not in message, message
    set_language("en")
    message = _message(case, tmp_path / "en")
    assert english in message and italian not in message, message


def test_the_note_on_a_normalised_corpus_speaks_italian(tmp_path, capsys):
    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes("\ufeffcafe\u0301\n".encode("utf-8"))   # a BOM, and an NFD accent
    set_language("it")
    assert load_text(corpus) == "café\n"
    err = capsys.readouterr().err
    assert "nota:" in err and "tolto il byte-order mark" in err and "forma Unicode NFC" in err
    set_language("en")
    load_text(corpus)
    err = capsys.readouterr().err
    assert "note:" in err and "dropped the byte-order mark" in err and "form NFC" in err


def test_the_bfloat16_evidence_lesson_09_prints_speaks_italian():
    from course_lib.core.precision import native_bf16
    set_language("it")
    native, why = native_bf16(torch.device("cpu"))
    assert why.startswith("questa CPU ha" if native else "questa CPU non ha istruzioni"), why
    set_language("en")
    native_en, why_en = native_bf16(torch.device("cpu"))
    assert native_en == native
    assert why_en.startswith("this CPU has" if native else "this CPU has no native"), why_en
