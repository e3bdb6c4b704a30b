"""The drop-in Linear computes what nn.Linear computes, and the model runs its own modules."""

import pytest
import torch
import torch.nn as nn

from course_lib import GPTConfig, GPTLanguageModel
from course_lib.commands.contender import NanoGPTStyle, state_from_course
from course_lib.core import layers
from course_lib.core.layers import BACKEND_ENV, Linear, backend_choices, onednn_available
from course_lib.core.model import Block, KVCache, MultiHeadAttention

AVAILABLE = ["aten"] + (["onednn"] if onednn_available() else [])


@pytest.mark.parametrize("backend", AVAILABLE)
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 16), (1, 1, 1, 8), (300, 16)])
def test_every_backend_equals_f_linear_with_gradients(monkeypatch, backend, bias, shape):
    monkeypatch.setenv(BACKEND_ENV, backend)
    torch.manual_seed(0)
    layer = Linear(shape[-1], 11, bias=bias)
    ref = nn.Linear(shape[-1], 11, bias=bias)
    ref.load_state_dict(layer.state_dict())
    x = torch.randn(*shape, requires_grad=True)
    x2 = x.detach().clone().requires_grad_()
    out, want = layer(x), ref(x2)
    torch.testing.assert_close(out, want, atol=1e-5, rtol=1e-4)
    g = torch.randn_like(want)
    out.backward(g)
    want.backward(g)
    torch.testing.assert_close(x.grad, x2.grad, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(layer.weight.grad, ref.weight.grad, atol=1e-4, rtol=1e-4)
    if bias:
        torch.testing.assert_close(layer.bias.grad, ref.bias.grad, atol=1e-4, rtol=1e-4)


def test_linear_is_an_nn_linear_with_its_state_dict_names():
    layer = Linear(4, 3)
    assert isinstance(layer, nn.Linear)
    assert list(layer.state_dict()) == list(nn.Linear(4, 3).state_dict()) == ["weight", "bias"]
    assert repr(layer) == "Linear(in_features=4, out_features=3, bias=True)"


def test_auto_times_each_new_shape_once_and_keeps_the_choice(monkeypatch):
    monkeypatch.setenv(BACKEND_ENV, "auto")
    layers.reset_backend_choices()
    timed = []
    real = layers._time_backend
    monkeypatch.setattr(layers, "_time_backend",
                        lambda name, *a: timed.append(name) or real(name, *a))
    layer = Linear(32, 48)
    x = torch.randn(300, 32)
    for _ in range(3):
        layer(x)
    first = len(timed)
    assert first == (2 * len(AVAILABLE) if len(AVAILABLE) > 1 else 0)
    layer(torch.randn(2, 32))               # a small product (generation) is never timed
    assert len(timed) == first
    rows = backend_choices()
    if len(AVAILABLE) > 1:
        assert [(r["rows"], r["in"], r["out"]) for r in rows] == [(300, 32, 48)]
        assert rows[0]["backend"] in AVAILABLE and set(rows[0]["ms"]) == set(AVAILABLE)
    layers.reset_backend_choices()


def test_auto_keeps_f_linear_unless_another_backend_is_clearly_faster(monkeypatch):
    if len(AVAILABLE) < 2:
        pytest.skip("only one backend runs here: nothing to choose")   # reason printed by -ra
    monkeypatch.setenv(BACKEND_ENV, "auto")
    x, w = torch.randn(300, 8), torch.randn(4, 8)
    for fake_ms, want in [({"aten": 1.0, "onednn": 0.95}, "aten"),
                          ({"aten": 1.0, "onednn": 0.5}, "onednn"),
                          ({"aten": 0.5, "onednn": 1.0}, "aten")]:
        layers.reset_backend_choices()
        monkeypatch.setattr(layers, "_time_backend", lambda name, *a: fake_ms[name] / 1e3)
        assert layers.choose_backend(x, w, None) == want
    layers.reset_backend_choices()


def test_auto_keeps_f_linear_when_one_round_of_timing_disagrees(monkeypatch):
    """oneDNN faster in one round only (a busy moment slowed F.linear there) keeps F.linear."""
    if len(AVAILABLE) < 2:
        pytest.skip("only one backend runs here: nothing to choose")   # reason printed by -ra
    monkeypatch.setenv(BACKEND_ENV, "auto")
    x, w = torch.randn(300, 8), torch.randn(4, 8)
    assert layers.TIMING_ROUNDS == 2
    for aten_rounds, onednn_rounds, want in [([2.0, 1.2], [1.0, 5.0], "aten"),
                                             ([2.0, 2.0], [1.0, 1.0], "onednn")]:
        layers.reset_backend_choices()
        times = {"aten": iter(aten_rounds), "onednn": iter(onednn_rounds)}
        monkeypatch.setattr(layers, "_time_backend", lambda name, *a: next(times[name]) / 1e3)
        assert layers.choose_backend(x, w, None) == want
    layers.reset_backend_choices()


def test_a_backend_name_that_does_not_exist_is_named(monkeypatch):
    monkeypatch.setenv(BACKEND_ENV, "mkl")
    with pytest.raises(ValueError, match="COURSE_LINEAR_BACKEND='mkl' is not a backend; use auto"):
        Linear(3, 2)(torch.randn(1, 3))


def test_autocast_and_other_dtypes_use_pytorchs_own_kernel(monkeypatch):
    monkeypatch.setenv(BACKEND_ENV, "onednn")
    x, w = torch.randn(300, 8), torch.randn(4, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert layers.choose_backend(x, w, None) == "aten"
    assert layers.choose_backend(x.double(), w.double(), None) == "aten"


# ----------------------------------------------------------------------------- one model

def _model(**kw):
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=30, block_size=16, n_embd=32, n_head=4, n_layer=2, **kw)
    return GPTLanguageModel(cfg).eval()


def _by_hand(model, idx):
    """The model's computation written out from its modules, with nothing hidden."""
    x = model.token_embedding_table(idx) + model.position_embedding_table(
        torch.arange(idx.size(1)))
    for block in model.blocks:
        x = x + block.sa(block.ln1(x))
        x = x + block.ffwd(block.ln2(x))
    return model.lm_head(model.ln_f(x))


def test_swapping_the_feed_forward_activation_changes_what_the_model_computes():
    model = _model()
    idx = torch.randint(30, (2, 16))
    before = model(idx)[0]
    for block in model.blocks:
        assert isinstance(block.ffwd.net[1], nn.ReLU)
        block.ffwd.net[1] = nn.GELU()
    after = model(idx)[0]
    assert not torch.allclose(before, after, atol=1e-6)
    torch.testing.assert_close(after, _by_hand(model, idx))
    # and it is exactly GELU's network: the one built with activation="gelu" from the same seed
    torch.testing.assert_close(after, _model(activation="gelu")(idx)[0])


def test_swapping_a_blocks_attention_changes_what_the_model_computes():
    model = _model()
    idx = torch.randint(30, (2, 16))
    before = model(idx)[0]

    class NoAttention(nn.Module):          # a learner's experiment: attention switched off
        def forward(self, x):
            return torch.zeros_like(x)

    model.blocks[0].sa = NoAttention()
    after = model(idx)[0]
    assert not torch.allclose(before, after, atol=1e-6)
    torch.testing.assert_close(after, _by_hand(model, idx))
    # a block whose attention takes no cache still generates (without the cache)
    assert not model.can_cache()
    out = model.generate(idx[:, :3], 5, generator=torch.Generator().manual_seed(0))
    assert out.shape == (2, 8)


def test_separate_heads_and_batched_attention_are_the_same_model():
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=30, block_size=16, n_embd=32, n_head=4, n_layer=2)
    heads = GPTLanguageModel(cfg, attention="heads").eval()
    idx = torch.randint(30, (2, 16))
    torch.testing.assert_close(heads(idx)[0], _by_hand(heads, idx))
    assert isinstance(heads.blocks[0].sa, MultiHeadAttention)


@pytest.mark.parametrize("kw", [dict(bias=False), dict(tie_weights=True),
                                dict(activation="gelu", bias=False, tie_weights=True)])
def test_gpt_2_style_options(kw):
    model = _model(**kw)
    idx = torch.randint(30, (2, 16))
    torch.testing.assert_close(model(idx)[0], _by_hand(model, idx))
    if kw.get("tie_weights"):
        assert model.lm_head.weight is model.token_embedding_table.weight
    if kw.get("bias") is False:
        assert all(not name.endswith(".bias") for name, _ in model.named_parameters())


def test_gpt_2_style_options_change_the_parameter_count():
    base = _model().num_parameters()
    C, V = 32, 30
    assert _model(tie_weights=True).num_parameters() == base - V * C
    # per block: proj, two feed-forward Linears, two LayerNorms; then ln_f and lm_head
    biases = 2 * (C + 4 * C + C + 2 * C) + C + V
    assert _model(bias=False).num_parameters() == base - biases


@pytest.mark.parametrize("field,value,message", [
    ("activation", "tanh", "activation must be one of ['relu', 'gelu', 'swiglu'], got 'tanh'"),
    ("bias", 1, "bias must be True or False, got 1"),
    ("tie_weights", "yes", "tie_weights must be True or False, got 'yes'"),
])
def test_bad_options_are_named(field, value, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        GPTConfig(**{field: value})


# ----------------------------------------------------------------------------- the cache

@pytest.mark.parametrize("prompt_len,new", [(1, 40), (5, 10), (20, 30), (40, 5)])
def test_kv_cache_gives_the_same_tokens(prompt_len, new):
    """Before, at and past block_size (the window slides), and with a prompt already too long."""
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=30, block_size=24, n_embd=32, n_head=4, n_layer=2)
    model = GPTLanguageModel(cfg)
    idx = torch.randint(30, (2, prompt_len))
    cached = model.generate(idx, new, generator=torch.Generator().manual_seed(5))
    plain = model.generate(idx, new, generator=torch.Generator().manual_seed(5), use_cache=False)
    assert torch.equal(cached, plain)


def test_kv_cache_logits_equal_full_forward():
    model = _model()
    idx = torch.randint(30, (1, 12))
    caches = [KVCache() for _ in model.blocks]
    model._last_logits(idx[:, :5], caches, start=0)
    assert [len(c) for c in caches] == [5, 5]
    for t in range(5, 12):
        step = model._last_logits(idx[:, t:t + 1], caches, start=t)
        torch.testing.assert_close(step, model(idx[:, :t + 1])[0][:, -1], atol=1e-5, rtol=1e-4)


def test_the_cache_lives_in_the_attention_module():
    """Several new tokens at once attend to the cached ones and causally among themselves."""
    torch.manual_seed(0)
    block = Block(32, 4, 16).eval()
    x = torch.randn(2, 10, 32)
    cache = KVCache()
    first = block(x[:, :4], cache=cache)
    rest = block(x[:, 4:], cache=cache)
    torch.testing.assert_close(torch.cat([first, rest], dim=1), block(x), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("cfg", [
    GPTConfig(vocab_size=65, block_size=64, n_embd=128, n_head=4, n_layer=4),
    GPTConfig(vocab_size=67, block_size=32, n_embd=48, n_head=6, n_layer=2, dropout=0.1),
])
def test_the_benchmark_contender_computes_the_course_models_function(cfg):
    """nanoGPT-style code and the course's GPT with GPT-2's options: the same math and size,
    so the benchmark compares how the code runs, nothing else."""
    torch.manual_seed(0)
    cfg = GPTConfig(**{**cfg.to_dict(), "activation": "gelu", "bias": False, "tie_weights": True})
    course = GPTLanguageModel(cfg).eval()
    nano = NanoGPTStyle(cfg).eval()
    nano.load_state_dict(state_from_course(course))
    assert sum(p.numel() for p in nano.parameters()) == course.num_parameters()
    idx = torch.randint(cfg.vocab_size, (2, cfg.block_size))
    tgt = torch.randint(cfg.vocab_size, (2, cfg.block_size))
    (lc, loss_c), (ln, loss_n) = course(idx, tgt), nano(idx, tgt)
    torch.testing.assert_close(lc, ln, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(loss_c, loss_n, atol=1e-6, rtol=1e-5)


def test_weights_copy_only_from_a_course_model_shaped_like_the_contender():
    with pytest.raises(ValueError, match="built with tie_weights=True and bias=False"):
        state_from_course(_model())
