import pytest
import torch

from course_lib import CharTokenizer, get_batch, load_corpus, train_val_split
from course_lib.core.data import CORPUS_PATH


def test_corpus_loads_with_its_documented_size_and_vocabulary(corpus):
    assert 1_000_000 < len(corpus.text) < 2_000_000
    assert corpus.tokenizer.vocab_size == 67
    assert corpus.tokenizer.chars[:2] == ["\n", " "]
    assert len(corpus.train_data) + len(corpus.val_data) == len(corpus.text)
    assert len(corpus.train_data) == int(0.9 * len(corpus.text))


@pytest.mark.parametrize("text", ["hello", "To be, or not to be:\nthat is the question.", "a"])
def test_encode_decode_round_trip(corpus, text):
    ids = corpus.tokenizer.encode(text)
    assert len(ids) == len(text)
    assert all(isinstance(i, int) for i in ids)
    assert corpus.tokenizer.decode(ids) == text
    assert corpus.tokenizer.decode(torch.tensor(ids)) == text


def test_ids_follow_sorted_character_order():
    tok = CharTokenizer.from_text("cabca")
    assert tok.chars == ["a", "b", "c"]
    assert tok.encode("abc") == [0, 1, 2]


def test_split_is_by_position():
    train, val = train_val_split(torch.arange(100), 0.9)
    assert train.tolist() == list(range(90)) and val.tolist() == list(range(90, 100))


@pytest.mark.parametrize("B,T", [(1, 1), (4, 8), (12, 64)])
def test_get_batch_shapes_and_shift(B, T):
    data = torch.arange(1000)       # token i has value i, so each window shows where it starts
    x, y = get_batch(data, B, T, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (B, T)
    assert x.dtype == y.dtype == torch.long
    for row_x, row_y in zip(x, y):
        start = int(row_x[0])
        assert torch.equal(row_x, data[start:start + T])          # a real window of the data
        assert torch.equal(row_y, data[start + 1:start + T + 1])  # its targets: one step later


def test_get_batch_is_reproducible_with_a_seeded_generator(corpus):
    a = get_batch(corpus.train_data, 4, 8, generator=torch.Generator().manual_seed(7))
    b = get_batch(corpus.train_data, 4, 8, generator=torch.Generator().manual_seed(7))
    c = get_batch(corpus.train_data, 4, 8, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_get_batch_uses_the_last_possible_window():
    data = torch.arange(10)
    seen = set()
    g = torch.Generator().manual_seed(0)
    for _ in range(200):
        x, y = get_batch(data, 1, 9, generator=g)
        seen.add(int(x[0, 0]))
        assert int(y[0, -1]) <= 9
    assert seen == {0}   # 10 tokens hold exactly one window of 9 inputs + 1 target


def test_load_corpus_on_any_text_file(tiny_text_file):
    c = load_corpus(tiny_text_file)
    assert c.tokenizer.decode(c.data.tolist()) == c.text
    assert load_corpus().text == CORPUS_PATH.read_text(encoding="utf-8")


def test_a_byte_order_mark_is_dropped_with_a_note(tmp_path, capsys):
    from course_lib import load_text
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffTo be, or not to be".encode("utf-8"))
    assert load_text(path) == "To be, or not to be"
    assert "dropped the byte-order mark (U+FEFF)" in capsys.readouterr().err


def test_an_nfd_corpus_becomes_nfc_so_a_typed_prompt_fits(tmp_path, capsys):
    import unicodedata
    from course_lib import load_corpus
    path = tmp_path / "nfd.txt"
    path.write_text(unicodedata.normalize("NFD", "Café crème, café noir.\n") * 10,
                    encoding="utf-8")
    corpus = load_corpus(path)
    corpus.tokenizer.encode(unicodedata.normalize("NFC", "café"))   # what a keyboard types
    assert "\u0301" not in corpus.tokenizer.chars                   # no lone accent
    assert "changed it to Unicode form NFC" in capsys.readouterr().err


def test_plain_text_gets_no_note(tmp_path, capsys):
    from course_lib import load_text
    path = tmp_path / "plain.txt"
    path.write_text("Caf\u00e9 au lait\n", encoding="utf-8")
    assert load_text(path) == "Caf\u00e9 au lait\n"
    assert capsys.readouterr().err == ""
