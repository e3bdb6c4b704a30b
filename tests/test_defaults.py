"""Every default once (core/defaults.py): each shared default is written in one place, and the
functions, classes and commands that use it take it from there. Also the Tokenizer protocol
that both tokenizers follow (core/tokenizer.py)."""

import ast
import inspect
from pathlib import Path

import pytest

import course_lib
from course_lib.commands import generate as generate_command
from course_lib.commands import train as train_command
from course_lib.core import bpe, data, defaults, sampling, training
from course_lib.core.bpe import BPETokenizer
from course_lib.core.data import (TOKENIZER_KINDS, CharTokenizer, tokenizer_class,
                                  tokenizer_from_dict)
from course_lib.core.tokenizer import Tokenizer
from course_lib.lessons import sandbox
from course_lib.lessons.checks import framework

ROOT = Path(course_lib.__file__).parent


def _default(fn, name):
    return inspect.signature(fn).parameters[name].default


def _flag_default(parser, flag):
    return next(a.default for a in parser._actions if flag in a.option_strings)


def test_the_seed_is_written_once():
    """No module but defaults.py writes the literal 1337: a second one is a second truth."""
    found = [f"{p.relative_to(ROOT)}:{node.lineno}" for p in ROOT.rglob("*.py")
             for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
             if isinstance(node, ast.Constant) and node.value == defaults.SEED
             and p.name != "defaults.py"]
    assert not found, f"the seed {defaults.SEED} written out again at {found}: import SEED"


def test_the_seed_and_precision_come_from_defaults():
    assert training.DEFAULTS.seed == defaults.SEED
    assert training.DEFAULTS.precision == defaults.PRECISION == "fp32"
    assert _default(sampling.generate_text, "seed") == defaults.SEED
    assert _flag_default(generate_command.build_parser(), "--seed") == defaults.SEED
    assert _flag_default(train_command.build_parser(), "--precision") == defaults.COMMAND_PRECISION


def test_the_train_fraction_comes_from_defaults():
    assert defaults.TRAIN_FRACTION == 0.9
    for fn in (data.train_val_split, data.load_corpus, bpe.build_tokenizer):
        assert _default(fn, "train_fraction") == defaults.TRAIN_FRACTION, fn.__name__


@pytest.mark.parametrize("max_iters,want", [(5000, 500), (25, 2), (5, 1), (None, 100)])
def test_the_eval_interval_rule(max_iters, want):
    assert defaults.default_eval_interval(max_iters) == want


def test_the_sandbox_limits_are_the_checks_limits():
    assert _default(sandbox.run, "seconds") == sandbox.TIME_LIMIT_S == framework.TIME_LIMIT_S
    assert _default(sandbox.run, "memory_bytes") == sandbox.MEMORY_LIMIT == framework.MEMORY_LIMIT
    assert _default(sandbox.run, "max_items") == sandbox.MAX_ITEMS == framework.MAX_ITEMS


# ----------------------------------------------------------------------------- Tokenizer

def _tokenizers():
    return [CharTokenizer.from_text("hello world"),
            BPETokenizer.train("hello world, hello there " * 4, vocab_size=260)]


@pytest.mark.parametrize("tok", _tokenizers(), ids=lambda t: type(t).__name__)
def test_both_tokenizers_follow_the_protocol(tok):
    assert isinstance(tok, Tokenizer)
    ids = tok.encode("hello")
    assert tok.decode(ids) == "hello" and all(0 <= i < tok.vocab_size for i in ids)
    again = tokenizer_from_dict(tok.to_dict())
    assert type(again) is type(tok) and again.encode("hello world") == tok.encode("hello world")


def test_every_kind_a_checkpoint_can_hold_is_a_tokenizer():
    for kind in TOKENIZER_KINDS:
        cls = tokenizer_class(kind)
        assert all(hasattr(cls, m) for m in ("encode", "decode", "vocab_size", "to_dict",
                                             "from_dict")), kind


def test_something_that_only_encodes_is_not_a_tokenizer():
    class OnlyEncode:
        def encode(self, text):
            return [0]
    assert not isinstance(OnlyEncode(), Tokenizer)
