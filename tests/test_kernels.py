"""The fast path computes what the lesson modules compute: outputs and gradients."""

import copy

import pytest
import torch
import torch.nn.functional as F

from course_lib import GPTConfig, GPTLanguageModel
from course_lib.commands.bench import ReferenceGPT, reference_state_from_course
from course_lib.core.kernels import block_forward, linear, onednn_linear_available


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 16), (1, 1, 1, 8)])
def test_linear_equals_f_linear_with_gradients(relu, bias, shape):
    torch.manual_seed(0)
    x = torch.randn(*shape, requires_grad=True)
    w = torch.randn(11, shape[-1], requires_grad=True)
    b = torch.randn(11, requires_grad=True) if bias else None
    out = linear(x, w, b, relu=relu)
    x2, w2 = x.detach().clone().requires_grad_(), w.detach().clone().requires_grad_()
    b2 = b.detach().clone().requires_grad_() if bias else None
    ref = F.linear(x2, w2, b2)
    ref = F.relu(ref) if relu else ref
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-4)
    g = torch.randn_like(ref)
    out.backward(g)
    ref.backward(g)
    torch.testing.assert_close(x.grad, x2.grad, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(w.grad, w2.grad, atol=1e-4, rtol=1e-4)
    if bias:
        torch.testing.assert_close(b.grad, b2.grad, atol=1e-4, rtol=1e-4)


def test_onednn_is_used_on_this_machine():
    """The speed-up of the course model rests on it; if it vanished, docs/performance.md lies."""
    assert onednn_linear_available()


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_fast_block_equals_block_forward(dropout):
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=20, block_size=16, n_embd=32, n_head=4, n_layer=1, dropout=dropout)
    block = GPTLanguageModel(cfg).blocks[0].eval()
    x = torch.randn(3, 16, 32)
    torch.testing.assert_close(block_forward(block, x), block(x), atol=1e-5, rtol=1e-4)


def test_fast_and_plain_models_agree_on_loss_and_gradients():
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=30, block_size=32, n_embd=48, n_head=4, n_layer=3)
    fast = GPTLanguageModel(cfg)
    plain = copy.deepcopy(fast)
    plain.fast = False
    idx = torch.randint(30, (4, 32))
    tgt = torch.randint(30, (4, 32))
    lf, ll = fast(idx, tgt)
    pf, pl = plain(idx, tgt)
    torch.testing.assert_close(lf, pf, atol=1e-5, rtol=1e-4)
    ll.backward()
    pl.backward()
    for (name, a), (_, b) in zip(fast.named_parameters(), plain.named_parameters()):
        torch.testing.assert_close(a.grad, b.grad, atol=1e-5, rtol=1e-3, msg=name)


@pytest.mark.parametrize("cfg", [
    GPTConfig(vocab_size=65, block_size=64, n_embd=128, n_head=4, n_layer=4),
    GPTConfig(vocab_size=67, block_size=32, n_embd=48, n_head=6, n_layer=2, dropout=0.1),
])
def test_benchmark_reference_has_the_same_math_and_size(cfg):
    """The bench compares like with like: same parameter count, same outputs, same weights."""
    torch.manual_seed(0)
    course = GPTLanguageModel(cfg).eval()
    ref = ReferenceGPT(cfg).eval()
    ref.load_state_dict(reference_state_from_course(course))
    assert sum(p.numel() for p in ref.parameters()) == course.num_parameters()
    idx = torch.randint(cfg.vocab_size, (2, cfg.block_size))
    tgt = torch.randint(cfg.vocab_size, (2, cfg.block_size))
    (lc, loss_c), (lr_, loss_r) = course(idx, tgt), ref(idx, tgt)
    torch.testing.assert_close(lc, lr_, atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(loss_c, loss_r, atol=1e-6, rtol=1e-5)


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
    torch.manual_seed(0)
    cfg = GPTConfig(vocab_size=30, block_size=16, n_embd=32, n_head=4, n_layer=2)
    model = GPTLanguageModel(cfg).eval()
    idx = torch.randint(30, (1, 12))
    caches = [{} for _ in model.blocks]
    model._logits_cached(idx[:, :5], caches, start=0)
    for t in range(5, 12):
        step = model._logits_cached(idx[:, t:t + 1], caches, start=t)
        torch.testing.assert_close(step, model(idx[:, :t + 1])[0][:, -1], atol=1e-5, rtol=1e-4)
