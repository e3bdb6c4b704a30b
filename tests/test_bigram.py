"""course_lib.lessons.bigram: the counting model, checked against loops and against cross-entropy."""

import math

import pytest
import torch
import torch.nn.functional as F

from course_lib.lessons.bigram import bigram_counts, bigram_probs, counting_model_loss, sample_from_probs


def loop_counts(data, V):
    out = torch.zeros(V, V, dtype=torch.long)
    for i, j in zip(data[:-1].tolist(), data[1:].tolist()):
        out[i, j] += 1
    return out


@pytest.mark.parametrize("n,V", [(2, 3), (50, 5), (500, 11)])
def test_counts_match_a_loop(n, V):
    data = torch.randint(0, V, (n,), generator=torch.Generator().manual_seed(n))
    counts = bigram_counts(data, V)
    assert torch.equal(counts, loop_counts(data, V))
    assert int(counts.sum()) == n - 1


def test_probs_rows_sum_to_one_and_smoothing_fills_zeros():
    counts = torch.tensor([[0, 3], [1, 1]])
    p0 = bigram_probs(counts, 0.0)
    torch.testing.assert_close(p0, torch.tensor([[0.0, 1.0], [0.5, 0.5]]))
    p1 = bigram_probs(counts, 1.0)
    torch.testing.assert_close(p1, torch.tensor([[1 / 5, 4 / 5], [0.5, 0.5]]))
    torch.testing.assert_close(bigram_probs(counts, 1e6), torch.full((2, 2), 0.5), atol=1e-5, rtol=0)


def test_counting_loss_equals_cross_entropy_of_log_probs():
    g = torch.Generator().manual_seed(0)
    data = torch.randint(0, 6, (300,), generator=g)
    probs = bigram_probs(bigram_counts(data, 6), 1.0)
    want = F.cross_entropy(probs.log()[data[:-1]], data[1:])
    assert counting_model_loss(probs, data) == pytest.approx(float(want), rel=1e-5)
    uniform = torch.full((6, 6), 1 / 6)
    assert counting_model_loss(uniform, data) == pytest.approx(math.log(6), rel=1e-6)


def test_an_unseen_pair_without_smoothing_gives_infinite_loss():
    probs = bigram_probs(torch.tensor([[0, 3], [1, 1]]), 0.0)
    assert counting_model_loss(probs, torch.tensor([0, 0, 1])) == math.inf


def test_sampling_follows_the_rows():
    probs = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert sample_from_probs(probs, 0, 5, torch.Generator().manual_seed(0)) == [0, 1, 2, 0, 1, 2]


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="vocab_size must be a positive integer"):
        bigram_counts(torch.tensor([0, 1]), 0)
    with pytest.raises(ValueError, match="outside 0..2; give the vocab_size"):
        bigram_counts(torch.tensor([0, 5]), 3)
    with pytest.raises(ValueError, match="a bigram needs at least 2"):
        bigram_counts(torch.tensor([1]), 3)
    with pytest.raises(TypeError, match="integer token IDs"):
        bigram_counts(torch.tensor([0.0, 1.0]), 3)
    with pytest.raises(ValueError, match="must be a 1-D tensor"):
        bigram_counts(torch.zeros(2, 2, dtype=torch.long), 3)
    with pytest.raises(ValueError, match="smoothing must be a finite number >= 0, got -1; 1.0 adds one"):
        bigram_probs(torch.ones(2, 2), -1)
    with pytest.raises(ValueError, match="row 1 of the counts is all zeros"):
        bigram_probs(torch.tensor([[1, 1], [0, 0]]), 0.0)
    with pytest.raises(ValueError, match="square"):
        bigram_probs(torch.ones(2, 3))
    with pytest.raises(ValueError, match="start must be a token ID in 0..1"):
        sample_from_probs(torch.full((2, 2), 0.5), 2, 3)
