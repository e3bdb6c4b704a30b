"""course_lib.lessons.embeddings: similarity, projection, word vectors, and the skip-gram pieces."""

import math

import pytest
import torch
import torch.nn.functional as F

from course_lib.lessons.embeddings import (SkipGramModel, UnknownWordError, WordVectors, build_word_vocab,
                                   cosine_similarity, euclidean_distance, load_word_vectors,
                                   nearest_rows, pca_project, save_word_vectors, skipgram_pairs,
                                   words_of)


# ----------------------------------------------------------------------------- similarity

def test_cosine_similarity_known_values():
    assert float(cosine_similarity([1.0, 0.0], [0.0, 3.0])) == pytest.approx(0.0)
    assert float(cosine_similarity([1.0, 2.0], [2.0, 4.0])) == pytest.approx(1.0)
    assert float(cosine_similarity([1.0, 2.0], [-1.0, -2.0])) == pytest.approx(-1.0)
    assert float(cosine_similarity([1.0, 1.0], [1.0, 0.0])) == pytest.approx(1 / math.sqrt(2))


@pytest.mark.parametrize("shape_a,shape_b", [((8,), (8,)), ((5, 8), (8,)), ((5, 8), (5, 8)),
                                             ((2, 5, 8), (5, 8))])
def test_cosine_similarity_matches_torch(shape_a, shape_b):
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(shape_a, generator=g), torch.randn(shape_b, generator=g)
    want = F.cosine_similarity(a, b.expand_as(a) if b.dim() < a.dim() else b, dim=-1)
    torch.testing.assert_close(cosine_similarity(a, b), want)


def test_euclidean_distance():
    assert float(euclidean_distance([0.0, 0.0], [3.0, 4.0])) == pytest.approx(5.0)


def test_cosine_similarity_bad_input():
    with pytest.raises(ValueError, match="different lengths: a has 3 numbers per vector, b has 2"):
        cosine_similarity([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="a vector of zeros has no direction"):
        cosine_similarity([0.0, 0.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="is a single number"):
        cosine_similarity(torch.tensor(1.0), torch.tensor(2.0))
    with pytest.raises(TypeError, match="must be a tensor"):
        cosine_similarity("abc", [1.0])
    with pytest.raises(ValueError, match="different lengths"):
        euclidean_distance([1.0], [1.0, 2.0])


def test_nearest_rows_orders_by_similarity_and_excludes():
    vectors = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [-1.0, 0.0]])
    idx, sims = nearest_rows(vectors, torch.tensor([1.0, 0.0]), k=3)
    assert idx.tolist() == [0, 1, 2]
    assert sims[0] == pytest.approx(1.0)
    idx, _ = nearest_rows(vectors, torch.tensor([1.0, 0.0]), k=2, exclude=[0])
    assert idx.tolist() == [1, 2]
    with pytest.raises(ValueError, match="k must be a positive integer, got 0"):
        nearest_rows(vectors, torch.tensor([1.0, 0.0]), k=0)
    with pytest.raises(ValueError, match="must be a 2-D tensor"):
        nearest_rows(vectors[0], torch.tensor([1.0, 0.0]))


# ----------------------------------------------------------------------------- projection

def test_pca_finds_the_direction_of_most_variance():
    g = torch.Generator().manual_seed(0)
    # points spread 10x more along (1, 1) than along (1, -1)
    t = torch.randn(200, 1, generator=g)
    s = torch.randn(200, 1, generator=g)
    x = 10 * t * torch.tensor([[1.0, 1.0]]) / math.sqrt(2) + s * torch.tensor([[1.0, -1.0]]) / math.sqrt(2)
    p = pca_project(x, k=2)
    torch.testing.assert_close(p.directions[0].abs(), torch.full((2,), 1 / math.sqrt(2)),
                               atol=0.02, rtol=0)
    assert p.explained[0] > 0.97 and p.explained.sum() == pytest.approx(1.0, abs=1e-5)
    assert p.points.shape == (200, 2)


def test_pca_matches_torch_pca_lowrank_up_to_sign():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(67, 16, generator=g) @ torch.randn(16, 16, generator=g)
    p = pca_project(x, k=2)
    _, _, v = torch.pca_lowrank(x, q=8, center=True, niter=20)   # randomised: ask for spare columns
    ours, theirs = p.points, (x - x.mean(0)) @ v[:, :2]
    for j in range(2):
        sign = torch.sign((ours[:, j] * theirs[:, j]).sum())
        torch.testing.assert_close(ours[:, j], sign * theirs[:, j], atol=1e-3, rtol=1e-3)


def test_pca_is_deterministic_and_checks_input():
    x = torch.randn(10, 4)
    torch.testing.assert_close(pca_project(x).points, pca_project(x.clone()).points)
    with pytest.raises(ValueError, match="k must be between 1 and min"):
        pca_project(x, k=5)
    with pytest.raises(ValueError, match="needs a 2-D tensor"):
        pca_project(torch.randn(5))


# ----------------------------------------------------------------------------- word vectors

@pytest.fixture
def toy():
    words = ["king", "queen", "man", "woman", "apple"]
    vectors = torch.tensor([[1.0, 1.0, 0.0], [1.0, -1.0, 0.0], [0.0, 1.0, 0.1],
                            [0.0, -1.0, 0.1], [0.0, 0.0, 1.0]])
    return WordVectors(words, vectors, [5, 4, 3, 2, 1])


def test_word_lookup_nearest_and_analogy(toy):
    torch.testing.assert_close(toy["queen"], torch.tensor([1.0, -1.0, 0.0]))
    assert toy.nearest("king", 1)[0][0] == "man"
    assert [w for w, _ in toy.analogy("man", "king", "woman", k=1)] == ["queen"]
    assert toy.rank("queen", toy.analogy_vector("man", "king", "woman"),
                    exclude=("man", "king", "woman")) == 1
    assert "apple" in toy and "pear" not in toy and len(toy) == 5 and toy.dim == 3
    assert toy.similarity("king", "king") == pytest.approx(1.0)


def test_unknown_word_is_a_clear_error_naming_it(toy):
    with pytest.raises(UnknownWordError) as err:
        toy["kings"]
    msg = str(err.value)
    assert "'kings' is not in the vocabulary" in msg and "Close words that are in it: king" in msg
    with pytest.raises(KeyError, match="'Queen' is not in the vocabulary.*lower case"):
        toy.nearest("Queen")
    with pytest.raises(UnknownWordError, match="'prince' is not in the vocabulary"):
        toy.analogy("man", "prince", "woman")
    with pytest.raises(TypeError, match="a word must be a string"):
        toy[3]


def test_word_vectors_need_one_row_per_word():
    with pytest.raises(ValueError, match="one row per word: 2 words"):
        WordVectors(["a", "b"], torch.zeros(3, 4))


def test_save_and_load_round_trip(toy, tmp_path):
    toy.info = {"dim": 3}
    save_word_vectors(toy, tmp_path / "wv.safetensors")
    back = load_word_vectors(tmp_path / "wv.safetensors")
    assert back.words == toy.words and back.counts == toy.counts and back.info == {"dim": 3}
    torch.testing.assert_close(back.vectors, toy.vectors)


def test_missing_word_vectors_say_how_to_make_them(tmp_path):
    with pytest.raises(FileNotFoundError, match="python scripts/train_word_vectors.py"):
        load_word_vectors(tmp_path / "none.safetensors")


def test_the_shipped_word_vectors_load_and_are_small():
    from course_lib.lessons.embeddings import WORD_VECTORS_PATH
    wv = load_word_vectors()
    assert len(wv) == wv.info["max_words"] and wv.dim == wv.info["dim"]
    assert WORD_VECTORS_PATH.stat().st_size < 2_000_000
    assert wv.words[:3] == ["the", "and", "i"]


# ----------------------------------------------------------------------------- training pieces

def test_words_of_keeps_apostrophes_inside_words():
    assert words_of("King's men, 'tis O'er! HAMLET.") == ["king's", "men", "tis", "o'er", "hamlet"]


def test_build_word_vocab_orders_by_count_then_alphabet():
    vocab, counts = build_word_vocab(["b", "a", "c", "a", "b", "d"], 3)
    assert vocab == ["a", "b", "c"] and counts == [2, 2, 1]
    with pytest.raises(ValueError, match="max_words must be an integer >= 2"):
        build_word_vocab(["a"], 1)


def test_skipgram_pairs_stay_within_the_window():
    ids = torch.arange(20)
    centre, context = skipgram_pairs(ids, window=3, generator=torch.Generator().manual_seed(0))
    gaps = (centre - context).abs()
    assert len(centre) == len(context) > 0
    assert gaps.min() >= 1 and gaps.max() <= 3
    # with window 1 every neighbour pair appears, both ways
    c1, x1 = skipgram_pairs(ids, 1, torch.Generator().manual_seed(0))
    assert len(c1) == 2 * 19
    with pytest.raises(ValueError, match="window must be a positive integer"):
        skipgram_pairs(ids, 0, torch.Generator())


def test_skipgram_loss_starts_at_ln2_per_pair_and_goes_down():
    torch.manual_seed(0)
    model = SkipGramModel(10, 8)
    centre, context = torch.arange(0, 10, 2), torch.arange(1, 10, 2)
    neg = torch.randint(10, (5, 3))
    loss0 = model(centre, context, neg).item()
    # out_embed starts at zero: every score is 0, sigma(0) = 1/2, so (1 + K) * ln 2
    assert loss0 == pytest.approx(4 * math.log(2), rel=1e-5)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(50):
        loss = model(centre, context, neg)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < loss0 / 2
