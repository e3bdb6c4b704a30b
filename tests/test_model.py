import math

import pytest
import torch
import torch.nn.functional as F

from course_lib import (BigramLanguageModel, Block, CausalSelfAttention, FeedForward, GPTConfig,
                        GPTLanguageModel, Head, MultiHeadAttention, parameter_breakdown)


# ----------------------------------------------------------------------------- config

@pytest.mark.parametrize("kwargs,message", [
    (dict(n_embd=100, n_head=3), r"n_embd=100 is not divisible by n_head=3: each head gets "
                                 r"n_embd // n_head channels\. Pick n_head from the divisors of "
                                 r"100 \[1, 2, 4, 5, 10, 20, 25, 50, 100\], or change n_embd"),
    (dict(n_embd=0), r"n_embd must be a positive integer, got 0"),
    (dict(n_layer=-2), r"n_layer must be a positive integer, got -2"),
    (dict(block_size=8.5), r"block_size must be a positive integer, got 8\.5"),
    (dict(vocab_size=True), r"vocab_size must be a positive integer, got True"),
    (dict(dropout=1.0), r"dropout must be a number in \[0, 1\), got 1\.0; 0\.0 turns dropout off"),
    (dict(dropout=-0.1), r"dropout must be a number in \[0, 1\), got -0\.1"),
])
def test_config_rejects_what_cannot_work(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GPTConfig(**kwargs)


def test_config_from_dict_suggests_the_right_name():
    with pytest.raises(ValueError, match=r"unknown config field 'n_embed' \(did you mean 'n_embd'\?\)"):
        GPTConfig.from_dict({"n_embed": 64})
    assert GPTConfig.from_dict(GPTConfig(n_embd=64).to_dict()) == GPTConfig(n_embd=64)


def test_head_size():
    assert GPTConfig(n_embd=128, n_head=4).head_size == 32


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


# ----------------------------------------------------------------------------- bad input

def test_sequence_longer_than_block_size_is_a_clear_error(tiny_model):
    with pytest.raises(ValueError, match=r"idx has 17 tokens but block_size is 16: the model has no "
                                         r"position embedding beyond that\. Crop it to the last 16 "
                                         r"tokens \(idx\[:, -16:\]\); generate\(\) crops for you"):
        tiny_model(torch.zeros(1, 17, dtype=torch.long))


def test_1d_input_suggests_unsqueeze(tiny_model):
    with pytest.raises(ValueError, match=r"idx must have shape \(B, T\), got \(5,\); add a batch "
                                         r"dimension with idx\.unsqueeze\(0\)"):
        tiny_model(torch.zeros(5, dtype=torch.long))


def test_float_input_is_refused(tiny_model):
    with pytest.raises(TypeError, match=r"idx must hold integer token IDs \(torch\.long\), got "
                                        r"torch\.float32; convert with idx\.long\(\)"):
        tiny_model(torch.zeros(1, 5))


def test_token_id_outside_vocabulary(tiny_model, tiny_cfg):
    V = tiny_cfg.vocab_size
    with pytest.raises(ValueError, match=rf"token ID {V} in idx is outside the vocabulary \(valid "
                                         rf"IDs are 0 to {V - 1}\)"):
        tiny_model(torch.tensor([[0, V]]))


def test_targets_of_the_wrong_shape(tiny_model):
    idx = torch.zeros(4, 8, dtype=torch.long)
    with pytest.raises(ValueError, match=r"targets must have the same shape as idx \(4, 8\), got "
                                         r"\(4, 7\); targets are the inputs shifted by one"):
        tiny_model(idx, idx[:, :7])


def test_targets_of_the_wrong_dtype(tiny_model):
    idx = torch.zeros(2, 3, dtype=torch.long)
    with pytest.raises(TypeError, match=r"targets must be integer token IDs \(torch\.long\), got "
                                        r"torch\.float32"):
        tiny_model(idx, idx.float())


def test_empty_input(tiny_model):
    with pytest.raises(ValueError, match=r"idx is empty \(shape \(1, 0\)\)"):
        tiny_model(torch.zeros(1, 0, dtype=torch.long))


def test_gpt_needs_a_config():
    with pytest.raises(TypeError, match="GPTLanguageModel expects a GPTConfig, got dict"):
        GPTLanguageModel({"n_embd": 32})


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
