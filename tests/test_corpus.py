"""The shipped corpus is what scripts/build_corpus.py documents, and its cleaning works."""

import hashlib

import build_corpus
from course_lib.core.data import CORPUS_PATH


def test_corpus_uses_exactly_the_documented_character_set():
    text = CORPUS_PATH.read_text(encoding="utf-8")
    assert set(text) == set(build_corpus.ALLOWED_CHARS)
    assert "\r" not in text and "\t" not in text
    assert text.endswith("\n") and "\n\n\n\n" not in text


def test_corpus_holds_the_twelve_plays_and_no_boilerplate():
    text = CORPUS_PATH.read_text(encoding="utf-8")
    for title in ["HAMLET, PRINCE OF DENMARK", "MACBETH", "ROMEO AND JULIET", "AS YOU LIKE IT"]:
        assert f"\n{title}\n" in "\n" + text
    for word in ["Gutenberg", "PERSONS REPRESENTED", "Dramatis", "License", "eBook"]:
        assert word not in text


def test_data_readme_states_the_real_size_and_hash():
    data = CORPUS_PATH.read_bytes()
    readme = (CORPUS_PATH.parent / "README.md").read_text(encoding="utf-8")
    assert f"{len(data):,} bytes" in readme
    assert hashlib.sha256(data).hexdigest() in readme


def test_cleaning_steps():
    raw = ("THE PLAY\n\nby Someone\n\nPERSONS REPRESENTED.\nA, a man.\n\n\nACT 1\nSCENE 2. A room\n"
           "\n1 Clown.\nHa &c\t \r\n\n\n\n{Exit.}\nOne/ two\n  1. A song line\n")
    out = build_corpus.clean_play(raw)
    assert out == ("THE PLAY\n\nACT I\nSCENE II. A room\n\nFirst Clown.\nHa etc\n\n[Exit.]\n"
                   "One, two\n  A song line\n")
