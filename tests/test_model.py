import math

import pytest
import torch
import torch.nn.functional as F

from course_lib import (BigramLanguageModel, Block, CausalSelfAttention, FeedForward, GPTConfig,
                        GPTLanguageModel, Head, MultiHeadAttention, parameter_breakdown)


# ----------------------------------------------------------------------------- config

def test_head_size_and_dict_round_trip():
    assert GPTConfig(n_embd=128, n_head=4).head_size == 32
    assert GPTConfig.from_dict(GPTConfig(n_embd=64).to_dict()) == GPTConfig(n_embd=64)


# ----------------------------------------------------------------------------- shapes and loss

@pytest.mark.parametrize("B,T", [(1, 1), (2, 5), (3, 16)])
def test_gpt_forward_shapes(tiny_model, tiny_cfg, B, T):
    idx = torch.randint(tiny_cfg.vocab_size, (B, T))
    logits, loss = tiny_model(idx)
    assert logits.shape == (B, T, tiny_cfg.vocab_size) and loss is None
    logits, loss = tiny_model(idx, idx)
    assert loss.shape == () and torch.isfinite(loss)


@pytest.mark.parametrize("vocab_size", [10, 67, 200])
def test_loss_at_initialisation_is_close_to_ln_vocab_size(vocab_size):
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=vocab_size, block_size=32, n_embd=32, n_head=4, n_layer=2)
    model = GPTLanguageModel(cfg)
    idx = torch.randint(vocab_size, (8, 32))
    _, loss = model(idx, torch.randint(vocab_size, (8, 32)))
    assert abs(loss.item() - math.log(vocab_size)) < 0.05


def test_loss_is_cross_entropy_over_all_positions(tiny_model, tiny_cfg):
    idx = torch.randint(tiny_cfg.vocab_size, (3, 7))
    targets = torch.randint(tiny_cfg.vocab_size, (3, 7))
    logits, loss = tiny_model(idx, targets)
    by_hand = torch.stack([F.cross_entropy(logits[b, t:t + 1], targets[b, t:t + 1])
                           for b in range(3) for t in range(7)]).mean()
    torch.testing.assert_close(loss, by_hand)


def test_bigram_logits_are_rows_of_its_table():
    torch.manual_seed(0)
    model = BigramLanguageModel(5)
    idx = torch.tensor([[0, 3, 3, 1]])
    logits, _ = model(idx)
    torch.testing.assert_close(logits[0], model.token_embedding_table.weight[[0, 3, 3, 1]])
    assert model.cfg.vocab_size == 5


def test_bigram_accepts_any_length():
    model = BigramLanguageModel(5)
    logits, _ = model(torch.zeros(1, 1000, dtype=torch.long))
    assert logits.shape == (1, 1000, 5)


# ----------------------------------------------------------------------------- attention

@pytest.mark.parametrize("n_embd,n_head,T", [(16, 1, 5), (32, 4, 16), (24, 3, 1)])
def test_batched_attention_equals_separate_heads(n_embd, n_head, T):
    torch.manual_seed(0)
    mha = MultiHeadAttention(n_embd, n_head, block_size=16)
    batched = CausalSelfAttention.from_heads(mha)
    x = torch.randn(2, T, n_embd)
    torch.testing.assert_close(batched(x), mha(x), atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(batched.attention_weights(x), mha.attention_weights(x),
                               atol=1e-6, rtol=1e-5)


def test_head_matches_sdpa_and_is_causal():
    torch.manual_seed(0)
    head = Head(n_embd=16, head_size=8, block_size=10)
    x = torch.randn(3, 10, 16)
    q, k, v = head.query(x), head.key(x), head.value(x)
    torch.testing.assert_close(head(x), F.scaled_dot_product_attention(q, k, v, is_causal=True),
                               atol=1e-5, rtol=1e-4)
    wei = head.attention_weights(x)
    assert torch.all(wei.triu(diagonal=1) == 0)                 # no weight on the future
    torch.testing.assert_close(wei.sum(-1), torch.ones(3, 10))  # each row is a distribution


def test_changing_the_future_does_not_change_the_past(tiny_model, tiny_cfg):
    idx = torch.randint(tiny_cfg.vocab_size, (1, 10))
    changed = idx.clone()
    changed[0, 6:] = (changed[0, 6:] + 1) % tiny_cfg.vocab_size
    a, _ = tiny_model(idx)
    b, _ = tiny_model(changed)
    torch.testing.assert_close(a[:, :6], b[:, :6])
    assert not torch.allclose(a[:, 6:], b[:, 6:])


def test_gpt_with_heads_equals_gpt_batched(tiny_cfg):
    torch.manual_seed(0)
    slow = GPTLanguageModel(tiny_cfg, attention="heads")
    fast = GPTLanguageModel(tiny_cfg)
    state = {}
    for name, p in slow.state_dict().items():
        if ".sa.heads." not in name:
            state[name] = p
    for i, block in enumerate(slow.blocks):
        for name, p in CausalSelfAttention.from_heads(block.sa).state_dict().items():
            state[f"blocks.{i}.sa.{name}"] = p
    fast.load_state_dict(state)
    idx = torch.randint(tiny_cfg.vocab_size, (2, 16))
    torch.testing.assert_close(fast(idx)[0], slow(idx)[0], atol=1e-5, rtol=1e-4)


def test_block_and_feedforward_keep_the_shape():
    x = torch.randn(2, 5, 32)
    assert FeedForward(32)(x).shape == x.shape
    assert Block(32, 4, 8)(x).shape == x.shape
    assert Block(32, 4, 8, attention="heads")(x).shape == x.shape
    with pytest.raises(ValueError, match=r"attention must be one of \['heads', 'batched'\], got 'flash'"):
        Block(32, 4, 8, attention="flash")


def test_attention_maps_shape_and_rows(tiny_model, tiny_cfg):
    idx = torch.randint(tiny_cfg.vocab_size, (1, 12))
    maps = tiny_model.attention_maps(idx)
    assert maps.shape == (tiny_cfg.n_layer, 1, tiny_cfg.n_head, 12, 12)
    torch.testing.assert_close(maps.sum(-1), torch.ones(tiny_cfg.n_layer, 1, tiny_cfg.n_head, 12))


def test_mask_buffer_is_not_saved():
    assert not any("tril" in k for k in GPTLanguageModel(GPTConfig(), "heads").state_dict())


# ----------------------------------------------------------------------------- parameters

def test_parameter_breakdown_adds_up_and_matches_formulas():
    cfg = GPTConfig(vocab_size=67, block_size=64, n_embd=128, n_head=4, n_layer=4)
    model = GPTLanguageModel(cfg)
    parts = parameter_breakdown(model)
    assert sum(parts.values()) == model.num_parameters()
    C, V, L = 128, 67, 4
    assert parts["token embedding"] == V * C
    assert parts["position embedding"] == 64 * C
    assert parts["attention"] == L * (3 * C * C + C * C + C)
    assert parts["feed-forward"] == L * (C * 4 * C + 4 * C + 4 * C * C + C)
    assert parts["layer norms"] == (2 * L + 1) * 2 * C
    assert parts["lm_head"] == C * V + V
