"""Lesson 12's options of GPTConfig (norm, position, activation="swiglu", n_kv_head), each
against a straightforward computation written another way, with the cache, checkpoints and
the train and generate commands."""

import json
import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from course_lib import (Block, CausalSelfAttention, FeedForward, GPTConfig, GPTLanguageModel,
                        load_checkpoint, save_checkpoint)
from course_lib.core.checkpoint import estimated_parameters
from course_lib.core.model import (KVCache, RMSNorm, SwiGLU, apply_rope, repeat_kv, rope_angles,
                                   rope_frequencies, swiglu_hidden)

OPTIONS = {"baseline": {}, "rmsnorm": {"norm": "rmsnorm"}, "rope": {"position": "rope"},
           "swiglu": {"activation": "swiglu"}, "gqa": {"n_kv_head": 2}, "mqa": {"n_kv_head": 1},
           "all": {"norm": "rmsnorm", "position": "rope", "activation": "swiglu",
                   "n_kv_head": 2}}


def small(**change) -> GPTConfig:
    return GPTConfig(vocab_size=23, block_size=12, n_embd=32, n_head=4, n_layer=2, **change)


def model_of(cfg: GPTConfig, seed: int = 0) -> GPTLanguageModel:
    torch.manual_seed(seed)
    return GPTLanguageModel(cfg).eval()


# ----------------------------------------------------------------------------- RMSNorm

def test_rmsnorm_is_x_over_root_mean_square_times_weight():
    torch.manual_seed(0)
    norm = RMSNorm(6)
    with torch.no_grad():
        norm.weight.copy_(torch.rand(6) + 0.5)
    x = torch.randn(3, 4, 6) * 3 + 1
    by_hand = torch.empty_like(x)
    for b in range(3):
        for t in range(4):
            v = x[b, t]
            rms = math.sqrt(sum(float(c) ** 2 for c in v) / 6 + norm.eps)
            by_hand[b, t] = v / rms * norm.weight
    torch.testing.assert_close(norm(x), by_hand)
    torch.testing.assert_close(norm(x), F.rms_norm(x, (6,), norm.weight, norm.eps))
    assert [n for n, _ in norm.named_parameters()] == ["weight"]       # no bias


def test_rmsnorm_model_has_rmsnorm_everywhere_and_no_layernorm():
    m = model_of(small(norm="rmsnorm"))
    kinds = {type(mod) for mod in m.modules()}
    assert RMSNorm in kinds and nn.LayerNorm not in kinds
    assert isinstance(m.ln_f, RMSNorm) and isinstance(m.blocks[0].ln1, RMSNorm)


# ----------------------------------------------------------------------------- SwiGLU

def test_swiglu_feed_forward_equals_three_matrices_by_hand():
    torch.manual_seed(0)
    C = 12
    ff = FeedForward(C, activation="swiglu", bias=False)
    H = swiglu_hidden(C)
    assert H == round(8 * C / 3) == 32
    w_in, w_out = ff.net[0].weight, ff.net[2].weight                   # (2H, C), (C, H)
    W1, W3 = w_in[:H], w_in[H:]                                        # gate, value: (H, C)
    x = torch.randn(2, 5, C)
    by_hand = (F.silu(x @ W1.T) * (x @ W3.T)) @ w_out.T
    torch.testing.assert_close(ff(x), by_hand)
    torch.testing.assert_close(SwiGLU()(torch.tensor([[1.0, -2.0, 3.0, 4.0]])),
                               torch.tensor([[F.silu(torch.tensor(1.0)) * 3,
                                              F.silu(torch.tensor(-2.0)) * 4]]))


@pytest.mark.parametrize("C", [32, 64, 128, 384])
def test_swiglu_parameter_count_is_close_to_the_relu_feed_forward(C):
    relu = sum(p.numel() for p in FeedForward(C, bias=False).parameters())
    swiglu = sum(p.numel() for p in FeedForward(C, activation="swiglu", bias=False).parameters())
    assert relu == 8 * C * C and swiglu == 3 * C * swiglu_hidden(C)
    assert abs(swiglu - relu) <= 3 * C / 2                             # the rounding of H


# ----------------------------------------------------------------------------- RoPE

def rotate_by_hand(x: torch.Tensor, positions) -> torch.Tensor:
    """(T, hs) rows rotated pair by pair with 2x2 rotation matrices."""
    hs = x.size(-1)
    out = torch.empty_like(x)
    for t, pos in enumerate(positions):
        for i in range(hs // 2):
            theta = pos * 10000 ** (-2 * i / hs)
            R = torch.tensor([[math.cos(theta), -math.sin(theta)],
                              [math.sin(theta), math.cos(theta)]])
            out[t, 2 * i:2 * i + 2] = R @ x[t, 2 * i:2 * i + 2]
    return out


def test_apply_rope_equals_a_2x2_rotation_of_each_pair():
    torch.manual_seed(0)
    x = torch.randn(5, 8)
    cos, sin = rope_angles(rope_frequencies(8), 3, 5)
    torch.testing.assert_close(apply_rope(x, cos, sin), rotate_by_hand(x, range(3, 8)))
    torch.testing.assert_close(apply_rope(x, cos, sin).norm(dim=-1), x.norm(dim=-1))


def test_rope_score_depends_only_on_the_distance():
    torch.manual_seed(0)
    q, k = torch.randn(1, 16), torch.randn(1, 16)
    inv = rope_frequencies(16)

    def score(m, n):
        qm = apply_rope(q, *rope_angles(inv, m, 1))
        kn = apply_rope(k, *rope_angles(inv, n, 1))
        return float(qm @ kn.T)

    for distance in (0, 1, 5, 40):
        scores = [score(n + distance, n) for n in (0, 7, 100, 1000)]
        assert max(scores) - min(scores) < 1e-3, scores
    assert abs(score(5, 0) - score(6, 0)) > 1e-2      # and it does depend on the distance


def test_rope_attention_equals_rotated_q_and_k_by_hand():
    torch.manual_seed(0)
    sa = CausalSelfAttention(16, 2, 8, position="rope").eval()
    x = torch.randn(1, 6, 16)
    q, k, v = sa.qkv(x).split(16, dim=2)                               # (1, 6, 16) each
    heads = []
    for h in range(2):
        s = slice(8 * h, 8 * h + 8)
        qh, kh = rotate_by_hand(q[0, :, s], range(6)), rotate_by_hand(k[0, :, s], range(6))
        wei = (qh @ kh.T / math.sqrt(8)).masked_fill(torch.ones(6, 6).triu(1).bool(), -math.inf)
        heads.append(F.softmax(wei, dim=-1) @ v[0, :, s])
    by_hand = sa.proj(torch.cat(heads, dim=-1)[None])
    torch.testing.assert_close(sa(x), by_hand, atol=1e-5, rtol=1e-4)


def test_rope_model_has_no_position_table_and_reads_past_block_size():
    m = model_of(small(position="rope"))
    assert not hasattr(m, "position_embedding_table")
    assert not any("position" in n for n, _ in m.named_parameters())
    logits, _ = m(torch.randint(23, (2, 3 * 12)))
    assert logits.shape == (2, 36, 23)
    with pytest.raises(ValueError, match="block_size is 12"):
        model_of(small())(torch.randint(23, (1, 13)))


# ----------------------------------------------------------------------------- GQA

def test_repeat_kv_gives_each_query_head_its_group():
    x = torch.arange(2 * 3 * 4 * 5, dtype=torch.float32).view(2, 3, 4, 5)   # 3 kv heads
    out = repeat_kv(x, 2)
    assert out.shape == (2, 6, 4, 5)
    for h in range(6):
        assert torch.equal(out[:, h], x[:, h // 2])
    assert repeat_kv(x, 1) is x


def test_gqa_with_n_kv_head_equal_to_n_head_is_standard_attention():
    torch.manual_seed(0)
    std = CausalSelfAttention(32, 4, 8).eval()
    torch.manual_seed(0)
    gqa = CausalSelfAttention(32, 4, 8, n_kv_head=4).eval()
    x = torch.randn(2, 8, 32)
    assert std.qkv.weight.shape == gqa.qkv.weight.shape == (96, 32)
    torch.testing.assert_close(gqa(x), std(x))


def test_gqa_equals_standard_attention_with_copied_key_value_weights():
    """n_kv_head=2 of 4: the same as 4 full heads whose heads 0,1 share keys and values,
    and 2,3 share theirs."""
    torch.manual_seed(0)
    gqa = CausalSelfAttention(32, 4, 8, n_kv_head=2).eval()
    assert gqa.qkv.weight.shape == (32 + 2 * 2 * 8, 32)
    std = CausalSelfAttention(32, 4, 8).eval()
    Wq, Wk, Wv = gqa.qkv.weight.split([32, 16, 16])
    expand = lambda W: torch.cat([W[0:8], W[0:8], W[8:16], W[8:16]])   # kv head of each q head
    with torch.no_grad():
        std.qkv.weight.copy_(torch.cat([Wq, expand(Wk), expand(Wv)]))
        std.proj.load_state_dict(gqa.proj.state_dict())
    x = torch.randn(2, 8, 32)
    torch.testing.assert_close(gqa(x), std(x))


# ----------------------------------------------------------------------------- the cache

@pytest.mark.parametrize("name", OPTIONS)
def test_cache_equals_no_cache_within_block_size(name):
    m = model_of(small(**OPTIONS[name]))
    prompt = torch.randint(23, (2, 3))
    a = m.generate(prompt, 9, generator=torch.Generator().manual_seed(1))
    b = m.generate(prompt, 9, generator=torch.Generator().manual_seed(1), use_cache=False)
    assert torch.equal(a, b)
    # and the logits of every step, not only the sampled tokens
    idx = torch.randint(23, (2, 12))
    full, _ = m(idx)
    caches = [KVCache() for _ in m.blocks]
    steps = [m._last_logits(idx[:, :4], caches, 0)] + [
        m._last_logits(idx[:, t:t + 1], caches, t) for t in range(4, 12)]
    torch.testing.assert_close(torch.stack(steps, 1), full[:, 3:], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", ["gqa", "mqa"])
def test_cache_holds_only_the_key_value_heads(name):
    cfg = small(**OPTIONS[name])
    m = model_of(cfg)
    caches = [KVCache() for _ in m.blocks]
    m._last_logits(torch.zeros(1, 10, dtype=torch.long), caches, 0)
    assert caches[0].k.shape == (1, cfg.n_kv_head, 10, cfg.head_size)
    assert sum(c.nbytes() for c in caches) == 2 * cfg.n_layer * cfg.n_kv_head * 10 * cfg.head_size * 4


def test_rope_cache_past_block_size_one_layer_equals_the_cropped_context():
    """One layer: a kept key depends on its token and its rotation only, and a score on the
    distance only, so the sliding cache gives the logits of the cropped context."""
    m = model_of(GPTConfig(vocab_size=23, block_size=8, n_embd=32, n_head=4, n_layer=1,
                           position="rope", n_kv_head=2))
    idx = torch.randint(23, (2, 30))
    caches = [KVCache(window=8) for _ in m.blocks]
    m._last_logits(idx[:, :8], caches, 0)
    for t in range(8, 30):
        step = m._last_logits(idx[:, t:t + 1], caches, t)
        assert len(caches[0]) == 8 and caches[0].seen == t + 1
        cropped, _ = m(idx[:, t - 7:t + 1])                 # positions 0..7 again
        torch.testing.assert_close(step, cropped[:, -1], atol=1e-4, rtol=1e-4)


def test_rope_cache_past_block_size_is_sliding_window_attention():
    """Two layers: the cached keys of layer 2 remember tokens that left the window, so the
    cache equals attention over the whole text in which each token sees the last
    block_size tokens (a band mask), not the cropped context."""
    bs = 6
    m = model_of(GPTConfig(vocab_size=23, block_size=bs, n_embd=32, n_head=4, n_layer=2,
                           position="rope"))
    idx = torch.randint(23, (1, 20))
    caches = [KVCache(window=bs) for _ in m.blocks]
    got = [m._last_logits(idx[:, :bs], caches, 0)]
    got += [m._last_logits(idx[:, t:t + 1], caches, t) for t in range(bs, 20)]
    got = torch.stack(got, 1)                                           # (1, 15, V)
    T = 20
    band = torch.ones(T, T, dtype=torch.bool).tril() & ~torch.ones(T, T, dtype=torch.bool).tril(-bs)
    original = F.scaled_dot_product_attention

    def banded(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, **kw):
        return original(q, k, v, attn_mask=band[:q.size(2), :k.size(2)], dropout_p=dropout_p)

    F.scaled_dot_product_attention = banded
    try:
        full, _ = m(idx)
    finally:
        F.scaled_dot_product_attention = original
    torch.testing.assert_close(got, full[:, bs - 1:], atol=1e-4, rtol=1e-4)
    cropped, _ = m(idx[:, -bs:])
    assert not torch.allclose(got[:, -1], cropped[:, -1], atol=1e-3)   # not the cropped context


def test_rope_generation_goes_past_block_size_with_the_cache():
    m = model_of(small(position="rope", n_kv_head=1))
    out = m.generate(torch.zeros(1, 1, dtype=torch.long), 40,
                     generator=torch.Generator().manual_seed(0))
    assert out.shape == (1, 41)
    long_prompt = torch.randint(23, (1, 30))                            # longer than block_size
    out = m.generate(long_prompt, 5, generator=torch.Generator().manual_seed(0))
    assert out.shape == (1, 35) and torch.equal(out[:, :30], long_prompt)


# ----------------------------------------------------------------------------- defaults, checkpoints

def test_defaults_build_the_same_model_as_before():
    cfg = small()
    m = model_of(cfg)
    assert repr(cfg).endswith("tie_weights=False)")
    names = {n for n, _ in m.named_parameters()}
    assert "position_embedding_table.weight" in names
    assert m.blocks[0].sa.qkv.weight.shape == (3 * 32, 32)
    assert isinstance(m.blocks[0].ln1, nn.LayerNorm)
    assert m.blocks[0].ffwd.net[0].weight.shape == (4 * 32, 32)


@pytest.mark.parametrize("name", OPTIONS)
def test_parameter_estimate_and_checkpoint_round_trip(name, tmp_path, tiny_tokenizer):
    cfg = GPTConfig(vocab_size=tiny_tokenizer.vocab_size, block_size=12, n_embd=32, n_head=4,
                    n_layer=2, **OPTIONS[name])
    m = model_of(cfg)
    assert estimated_parameters(cfg) == m.num_parameters()
    save_checkpoint(tmp_path / "ck", m, tiny_tokenizer)
    saved = json.loads((tmp_path / "ck" / "config.json").read_text())["config"]
    assert {k: saved[k] for k in ("norm", "position", "n_kv_head")} == \
        {k: getattr(cfg, k) for k in ("norm", "position", "n_kv_head")}
    loaded, _ = load_checkpoint(tmp_path / "ck")
    assert loaded.cfg == cfg
    idx = torch.randint(cfg.vocab_size, (2, 12))
    torch.testing.assert_close(loaded(idx)[0], m(idx)[0])


def test_old_checkpoint_without_the_new_fields_loads_as_before(tmp_path, tiny_tokenizer):
    cfg = GPTConfig(vocab_size=tiny_tokenizer.vocab_size, block_size=12, n_embd=32, n_head=4,
                    n_layer=2)
    m = model_of(cfg)
    save_checkpoint(tmp_path / "old", m, tiny_tokenizer)
    path = tmp_path / "old" / "config.json"
    meta = json.loads(path.read_text())
    for key in ("norm", "position", "n_kv_head"):
        del meta["config"][key]                       # what a checkpoint from before held
    path.write_text(json.dumps(meta))
    loaded, _ = load_checkpoint(tmp_path / "old")
    assert (loaded.cfg.norm, loaded.cfg.position, loaded.cfg.n_kv_head) == \
        ("layernorm", "learned", None)
    idx = torch.randint(cfg.vocab_size, (1, 12))
    torch.testing.assert_close(loaded(idx)[0], m(idx)[0])


def test_shipped_checkpoint_loads_with_the_defaults():
    model, _ = load_checkpoint("data/checkpoints/gpt")
    assert (model.cfg.norm, model.cfg.position, model.cfg.kv_heads) == \
        ("layernorm", "learned", model.cfg.n_head)


def test_rope_checkpoint_with_a_position_table_is_refused(tmp_path, tiny_tokenizer):
    """A learned-position checkpoint whose config.json was changed to rope: named misfit."""
    from course_lib import CheckpointError
    cfg = GPTConfig(vocab_size=tiny_tokenizer.vocab_size, block_size=12, n_embd=32, n_head=4,
                    n_layer=2)
    save_checkpoint(tmp_path / "ck", model_of(cfg), tiny_tokenizer)
    path = tmp_path / "ck" / "config.json"
    meta = json.loads(path.read_text())
    meta["config"]["position"] = "rope"
    path.write_text(json.dumps(meta))
    with pytest.raises(CheckpointError, match="unexpected.*position_embedding_table"):
        load_checkpoint(tmp_path / "ck")


# ----------------------------------------------------------------------------- bad values

@pytest.mark.parametrize("change,message", [
    ({"norm": "batchnorm"}, r"norm must be one of \['layernorm', 'rmsnorm'\], got 'batchnorm'"),
    ({"position": "sinusoidal"}, r"position must be one of \['learned', 'rope'\]"),
    ({"activation": "swish"}, r"activation must be one of \['relu', 'gelu', 'swiglu'\]"),
    ({"n_kv_head": 3}, r"n_kv_head=3 does not divide n_head=4.*divisors of 4 \[1, 2, 4\]"),
    ({"n_kv_head": 0}, r"n_kv_head must be a positive integer, got 0; None means"),
    ({"n_kv_head": 2.0}, r"n_kv_head must be a positive integer, got 2.0"),
    ({"n_embd": 36, "n_head": 4, "position": "rope"}, r"even number of channels.*36 // 4 = 9"),
])
def test_bad_values_get_clear_messages(change, message):
    base = dict(vocab_size=23, block_size=12, n_embd=32, n_head=4, n_layer=2)
    with pytest.raises(ValueError, match=message):
        GPTConfig(**(base | change))


def test_separate_heads_refuse_rope_and_gqa_with_the_fix():
    with pytest.raises(ValueError, match="attention='heads'.*use attention='batched'"):
        Block(32, 4, 8, attention="heads", position="rope")
    with pytest.raises(ValueError, match="attention='heads'.*n_kv_head=2"):
        GPTLanguageModel(small(n_kv_head=2), attention="heads")
    # norm and activation are the block's, not the attention's: heads take them
    m = GPTLanguageModel(small(norm="rmsnorm", activation="swiglu"), attention="heads")
    assert m(torch.zeros(1, 4, dtype=torch.long))[0].shape == (1, 4, 23)


# ----------------------------------------------------------------------------- commands

def test_train_and_generate_commands_with_every_option(tmp_path, tiny_text_file, capsys):
    from course_lib.commands import generate, train
    out = tmp_path / "modern"
    status = train.main(["--corpus", str(tiny_text_file), "--out", str(out), "--norm", "rmsnorm",
                         "--activation", "swiglu", "--position", "rope", "--n-kv-head", "2",
                         "--n-embd", "16", "--n-head", "4", "--n-layer", "1",
                         "--block-size", "8", "--batch-size", "4", "--max-iters", "3",
                         "--eval-iters", "1", "--no-progress", "--threads", "1"])
    assert status == 0
    saved = json.loads((out / "config.json").read_text())["config"]
    assert (saved["norm"], saved["activation"], saved["position"], saved["n_kv_head"]) == \
        ("rmsnorm", "swiglu", "rope", 2)
    capsys.readouterr()
    assert generate.main(["--checkpoint", str(out), "--max-new-tokens", "30"]) == 0  # > block_size
    text = capsys.readouterr().out
    assert len(text) == 1 + 30 + 1                     # the prompt "\n", 30 characters, "\n"
    model, _ = load_checkpoint(out)
    assert model.cfg.position == "rope" and model.cfg.n_kv_head == 2


def test_train_command_refuses_a_bad_n_kv_head(tmp_path, tiny_text_file, capsys):
    from course_lib.commands import train
    status = train.main(["--corpus", str(tiny_text_file), "--out", str(tmp_path / "x"),
                         "--n-kv-head", "3", "--n-head", "4", "--max-iters", "1"])
    assert status != 0
    assert "n_kv_head=3 does not divide n_head=4" in capsys.readouterr().err
