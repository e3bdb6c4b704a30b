"""The widgets of lessons 00 to 02: they build, redraw when a control moves, say what they show,
and name bad input. (How fast they redraw is measured in tests/test_widget_speed.py.)"""

import json

import pytest
import torch

from course_lib import DATA_DIR
from course_lib.lessons.bigram import bigram_counts
from course_lib.lessons.widgets import context_target_explorer, embedding_size_explorer, next_char_explorer

SWEEP = {"fixed_config": {"n_layer": 4, "n_head": 4, "block_size": 64},
         "training": {"max_iters": 100},
         "results": [{"n_embd": n, "params": 1000 * n, "embedding_params": 67 * n,
                      "train_loss": 3 - n / 100, "val_loss": 3.1 - n / 100, "seconds": n / 10}
                     for n in (16, 32, 64)]}


def texts(out):
    return "".join(o.get("text", "") for o in out.outputs)


def has_png(out):
    return any("image/png" in o.get("data", {}) for o in out.outputs)


def test_context_target_explorer_counts_the_examples_of_a_chunk(corpus):
    box = context_target_explorer(corpus.text[:2000], corpus.tokenizer, block_size=8)
    (start, size), out = box.children[0].children, box.children[1]
    assert "chunk of 9 tokens starting at position 0" in texts(out)
    assert "it holds 8 examples; the contexts grow from 1 to 8 tokens" in texts(out)
    size.value = 1                               # what the lesson asks to try first
    assert "it holds 1 example; the contexts grow from 1 to 1 token:" in texts(out)
    assert texts(out).count("  ->  ") == 1
    start.value = 5
    assert "starting at position 5" in texts(out)


def test_context_target_explorer_says_what_to_try_and_what_changed(corpus):
    box = context_target_explorer(corpus.text[:2000], corpus.tokenizer, block_size=8)
    (start, size), out = box.children[0].children, box.children[1]
    assert texts(out).startswith("Try: set block_size to 1")
    size.value = 1
    assert texts(out).startswith("What changed: block_size 8 -> 1: 1 example instead of 8, and "
                                 "the longest context is now 1 token. One token of context is "
                                 "all the bigram model of lesson 02 ever sees.")
    size.value = 8
    start.value = 1
    assert texts(out).startswith("What changed: start 0 -> 1: every target but the first moved "
                                 "up one row")
    start.value = 4
    assert "it shares 6 tokens with the chunk before" in texts(out)
    start.value = 40
    assert "past the old one" in texts(out)


def test_context_target_explorer_has_whole_chunks_at_every_setting(corpus):
    box = context_target_explorer(corpus.text[:100], corpus.tokenizer, block_size=2)
    (start, size), out = box.children[0].children, box.children[1]
    start.value = start.max
    size.value = size.max                        # the longest chunk at the last start
    rows = [line for line in texts(out).splitlines() if "  ->  " in line]
    assert len(rows) == 16 and not any(line.endswith("''") for line in rows)
    with pytest.raises(ValueError, match="block_size must be from 1 to 16"):
        context_target_explorer(corpus.text[:100], corpus.tokenizer, block_size=17)


def test_embedding_size_explorer_shows_size_memory_and_loss():
    box = embedding_size_explorer(SWEEP, 67)
    slider, out = box.children
    assert "67 tokens × 32 dimensions = 2,144 parameters = 8,576 bytes (8.4 KB)" in texts(out)
    assert has_png(out)
    slider.value = 64
    assert "67 tokens × 64 dimensions = 4,288 parameters" in texts(out)
    assert "val loss 2.460" in texts(out)


def test_embedding_size_explorer_on_the_shipped_sweep():
    path = DATA_DIR / "sweep_n_embd.json"
    assert path.exists(), "data/sweep_n_embd.json is missing: run python scripts/sweep_n_embd.py"
    box = embedding_size_explorer(json.loads(path.read_text()), 67)
    assert has_png(box.children[1])


def test_embedding_size_explorer_refuses_an_empty_sweep():
    with pytest.raises(ValueError, match="the sweep holds no results"):
        embedding_size_explorer({"results": []}, 67)


@pytest.fixture(scope="module")
def bigram_parts(corpus):
    counts = bigram_counts(corpus.train_data, 67)
    model_probs = torch.softmax(torch.zeros(67, 67), dim=1)
    return corpus.tokenizer.chars, counts, model_probs, corpus.val_data


def test_next_char_explorer_redraws_for_a_character_and_a_smoothing(bigram_parts):
    chars, counts, model_probs, val = bigram_parts
    box = next_char_explorer(chars, counts, model_probs, val)
    (smooth, char), out = box.children[0].children, box.children[1]
    assert "'t' occurs" in texts(out) and has_png(out)
    char.value = chars.index("q")
    smooth.value = 0.0
    assert "'q' occurs 750 times" in texts(out)
    assert "val loss = inf" in texts(out)


def test_next_char_explorer_checks_shapes(bigram_parts):
    chars, counts, model_probs, val = bigram_parts
    with pytest.raises(ValueError, match=r"model_probs must have shape \(V, V\) = \(67, 67\)"):
        next_char_explorer(chars, counts, model_probs[:5], val)
