import pytest
import torch

from course_lib import BigramLanguageModel, generate_text, next_token_probs, top_k_filter
from course_lib.core.sampling import sample_next_token


def test_generate_length_and_prompt_is_kept(tiny_model, tiny_cfg):
    idx = torch.randint(tiny_cfg.vocab_size, (2, 3))
    out = tiny_model.generate(idx, 25)
    assert out.shape == (2, 28)
    assert torch.equal(out[:, :3], idx)


def test_generate_crops_the_context_to_block_size(tiny_model, tiny_cfg):
    """A prompt longer than block_size works, and only its last block_size tokens matter."""
    long_a = torch.randint(tiny_cfg.vocab_size, (1, 40))
    long_b = long_a.clone()
    long_b[0, :40 - tiny_cfg.block_size] = 0             # change what lies outside the window
    a = tiny_model.generate(long_a, 5, generator=torch.Generator().manual_seed(1))
    b = tiny_model.generate(long_b, 5, generator=torch.Generator().manual_seed(1))
    assert a.shape == (1, 45)
    assert torch.equal(a[:, 40:], b[:, 40:])


def test_generate_restores_training_mode(tiny_model):
    tiny_model.train()
    tiny_model.generate(torch.zeros(1, 1, dtype=torch.long), 2)
    assert tiny_model.training
    tiny_model.eval()
    tiny_model.generate(torch.zeros(1, 1, dtype=torch.long), 2)
    assert not tiny_model.training


def test_same_seed_same_text(tiny_model, tiny_tokenizer):
    a = generate_text(tiny_model, tiny_tokenizer, "Speak", 30, seed=3)
    b = generate_text(tiny_model, tiny_tokenizer, "Speak", 30, seed=3)
    c = generate_text(tiny_model, tiny_tokenizer, "Speak", 30, seed=4)
    assert a == b and a != c and a.startswith("Speak") and len(a) == 35


def test_top_k_1_is_greedy(tiny_model, tiny_cfg):
    idx = torch.randint(tiny_cfg.vocab_size, (1, 4))
    out = tiny_model.generate(idx, 1, top_k=1)
    logits, _ = tiny_model(idx)
    assert out[0, -1] == logits[0, -1].argmax()


def test_bigram_generate_uses_only_the_last_token():
    torch.manual_seed(0)
    model = BigramLanguageModel(7)
    a = model.generate(torch.tensor([[1, 2, 3]]), 10, generator=torch.Generator().manual_seed(0))
    b = model.generate(torch.tensor([[3]]), 10, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a[:, 3:], b[:, 1:])


def test_top_k_filter_keeps_the_k_largest():
    logits = torch.tensor([[1.0, 5.0, 3.0, 4.0]])
    out = top_k_filter(logits, 2)
    assert out.tolist() == [[float("-inf"), 5.0, float("-inf"), 4.0]]
    probs = next_token_probs(logits, top_k=2)
    assert probs[0, 0] == 0 and probs[0, 2] == 0
    torch.testing.assert_close(probs.sum(), torch.tensor(1.0))


def test_temperature_sharpens_and_flattens():
    logits = torch.tensor([[1.0, 2.0, 3.0]])
    cold = next_token_probs(logits, temperature=0.5)[0]
    warm = next_token_probs(logits, temperature=2.0)[0]
    assert cold.max() > next_token_probs(logits)[0].max() > warm.max()


def test_sampling_frequencies_match_probabilities():
    logits = torch.log(torch.tensor([[0.1, 0.2, 0.7]]))
    g = torch.Generator().manual_seed(0)
    samples = torch.cat([sample_next_token(logits.expand(1000, 3), generator=g) for _ in range(10)])
    freq = torch.bincount(samples.flatten(), minlength=3).float() / samples.numel()
    torch.testing.assert_close(freq, torch.tensor([0.1, 0.2, 0.7]), atol=0.02, rtol=0)


@pytest.mark.parametrize("fn", [next_token_probs, sample_next_token])
def test_probs_and_sampling_reject_temperature_0(fn):
    """Called directly (not only through generate), a temperature of 0 is an error, not NaN."""
    with pytest.raises(ValueError, match=r"temperature must be a finite number > 0, got 0; the "
                                         r"logits are divided by it"):
        fn(torch.zeros(1, 5), temperature=0)
    with pytest.raises(ValueError, match=r"top_k must be between 1 and the vocabulary size 5"):
        fn(torch.zeros(1, 5), top_k=6)


def test_a_shorter_text_is_the_start_of_a_longer_one(tiny_cfg, tiny_tokenizer):
    """generation_explorer cuts short texts from long ones: the i-th character must not depend
    on how many follow, also past block_size (16 here), where the window slides."""
    from course_lib import GPTLanguageModel, generate_text
    torch.manual_seed(0)
    model = GPTLanguageModel(tiny_cfg)
    long = generate_text(model, tiny_tokenizer, "All:", 40, temperature=1.0, seed=3)
    for n in (1, 10, 12, 25):
        assert generate_text(model, tiny_tokenizer, "All:", n, temperature=1.0, seed=3) == long[:4 + n]
