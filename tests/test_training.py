import math
import os
import signal

import pytest
import torch

from course_lib import BigramLanguageModel, GPTLanguageModel, estimate_loss, load_corpus, train
from course_lib.core.training import TrainingDiverged, lr_at


@pytest.fixture
def tiny_corpus(tiny_text_file):
    return load_corpus(tiny_text_file)


def quick(model, corpus, **kw):
    args = dict(max_iters=30, batch_size=8, lr=3e-3, eval_iters=2, progress=False)
    return train(model, corpus.train_data, corpus.val_data, **(args | kw))


def test_training_lowers_the_loss(tiny_model, tiny_corpus):
    h = quick(tiny_model, tiny_corpus, max_iters=60, eval_interval=30)
    assert h.stopped == "max_iters" and h.steps == list(range(1, 61))
    assert h.eval_steps == [0, 30, 60]
    assert h.eval_train[-1] < h.eval_train[0] - 0.5
    assert len(h.train_loss) == len(h.lr) == 60
    assert h.tokens == 60 * 8 * 16 and h.tokens_per_second > 0
    assert h.final() == {"train": h.eval_train[-1], "val": h.eval_val[-1]}


def test_a_callback_that_returns_true_stops_training_and_keeps_the_weights(tiny_model,
                                                                          tiny_corpus):
    seen = []

    def stop_at_7(step, loss):
        seen.append(step)
        return step == 7          # what a Stop button's callback does

    before = [p.detach().clone() for p in tiny_model.parameters()]
    h = quick(tiny_model, tiny_corpus, max_iters=100, callback=stop_at_7, eval_interval=50)
    assert h.stopped == "callback" and not h.interrupted
    assert seen == list(range(1, 8)) and h.steps[-1] == 7
    assert h.eval_steps[-1] == 7                      # the final estimate was made
    assert any(not torch.equal(a, b) for a, b in zip(before, tiny_model.parameters()))


def test_a_callback_that_returns_something_else_does_not_stop(tiny_model, tiny_corpus):
    # only True stops: a callback returning a loss, a list's length or None goes on
    h = quick(tiny_model, tiny_corpus, max_iters=12, callback=lambda step, loss: loss)
    assert h.stopped == "max_iters" and h.steps[-1] == 12


def test_training_is_reproducible(tiny_cfg, tiny_corpus):
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        runs.append(quick(GPTLanguageModel(tiny_cfg), tiny_corpus).train_loss)
    assert runs[0] == runs[1]


def test_training_with_dropout_is_reproducible(tiny_cfg, tiny_corpus):
    from dataclasses import replace
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        runs.append(quick(GPTLanguageModel(replace(tiny_cfg, dropout=0.2)), tiny_corpus).train_loss)
    assert runs[0] == runs[1]


def test_max_seconds_stops_early(tiny_model, tiny_corpus):
    h = quick(tiny_model, tiny_corpus, max_iters=None, max_seconds=0.5)
    assert h.stopped == "max_seconds" and h.seconds >= 0.5   # no upper bound: a busy machine is slow


def test_estimate_loss_restores_mode_and_is_deterministic(tiny_model, tiny_corpus):
    tiny_model.train()
    a = estimate_loss(tiny_model, tiny_corpus.train_data, tiny_corpus.val_data, 3, 4)
    assert tiny_model.training
    tiny_model.eval()
    b = estimate_loss(tiny_model, tiny_corpus.train_data, tiny_corpus.val_data, 3, 4)
    assert not tiny_model.training
    assert a == b and set(a) == {"train", "val"}


def test_estimate_loss_is_the_mean_of_batch_losses(tiny_model, tiny_corpus):
    from course_lib import get_batch
    out = estimate_loss(tiny_model, tiny_corpus.train_data, tiny_corpus.val_data, 4, 2, seed=5)
    g = torch.Generator().manual_seed(5)
    losses = []
    with torch.no_grad():
        for _ in range(4):
            x, y = get_batch(tiny_corpus.val_data, 2, 16, generator=g)
            losses.append(tiny_model(x, y)[1].item())
    assert out["val"] == pytest.approx(sum(losses) / 4, rel=1e-6)


def test_bigram_needs_a_block_size(tiny_corpus):
    model = BigramLanguageModel(tiny_corpus.tokenizer.vocab_size)
    with pytest.raises(ValueError, match=r"BigramLanguageModel has no block_size of its own; pass "
                                         r"block_size=\.\.\."):
        quick(model, tiny_corpus)
    h = quick(model, tiny_corpus, block_size=8, lr=0.1)
    assert h.eval_train[-1] < h.eval_train[0]


def test_nan_loss_stops_at_once_with_the_step_and_the_cause(tiny_model, tiny_corpus):
    with pytest.raises(TrainingDiverged, match=r"the loss became nan at step \d+ \(learning rate "
                                               r"1e\+30\); training stopped\. The learning rate is "
                                               r"probably too high"):
        quick(tiny_model, tiny_corpus, lr=1e30, warmup_iters=0, min_lr=None, grad_clip=None)


def test_diverged_keeps_the_history(tiny_model, tiny_corpus):
    with torch.no_grad():
        tiny_model.lm_head.bias.fill_(float("nan"))
    with pytest.raises(TrainingDiverged) as info:
        quick(tiny_model, tiny_corpus)
    assert info.value.history.steps == [1]


def test_ctrl_c_stops_after_the_step_and_keeps_the_history(tiny_model, tiny_corpus):
    def press_ctrl_c(step, loss):
        if step == 5:
            os.kill(os.getpid(), signal.SIGINT)
    before = signal.getsignal(signal.SIGINT)     # SIG_IGN under nohup, Python's otherwise
    h = quick(tiny_model, tiny_corpus, callback=press_ctrl_c)
    assert h.interrupted and h.steps == [1, 2, 3, 4, 5]
    assert h.eval_steps[-1] == 5                 # a final estimate of the weights we keep
    assert signal.getsignal(signal.SIGINT) is before   # the handler that was there is back


def test_two_ctrl_c_inside_a_step_finish_it_and_skip_the_final_estimate(tiny_model, tiny_corpus,
                                                                         capsys):
    calls = {"forward": 0}

    def press_twice(module, args):            # in the middle of the 3rd step's forward
        calls["forward"] += module.training       # the loss estimates run in eval mode
        if calls["forward"] == 3 and module.training:
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGINT)
    handle = tiny_model.register_forward_pre_hook(press_twice)
    try:
        h = quick(tiny_model, tiny_corpus, eval_interval=10**6)
    finally:
        handle.remove()
    assert h.interrupted and h.steps == [1, 2, 3]   # the step ran to its end
    assert h.eval_steps == [0]                      # and no estimate after it
    assert "Ctrl-C again: no final loss estimate." in capsys.readouterr().err


def test_keyboard_interrupt_raised_inside_training_is_caught(tiny_model, tiny_corpus):
    def boom(step, loss):
        if step == 3:
            raise KeyboardInterrupt
    h = quick(tiny_model, tiny_corpus, callback=boom)
    assert h.interrupted and len(h.steps) == 3


def test_lr_schedule_warmup_then_cosine():
    assert lr_at(0, 0.0, 1.0, 0.1, warmup_iters=10) == pytest.approx(0.1)
    assert lr_at(9, 0.0, 1.0, 0.1, warmup_iters=10) == pytest.approx(1.0)
    assert lr_at(10, 0.0, 1.0, 0.1, warmup_iters=10) == pytest.approx(1.0)
    assert lr_at(50, 0.5, 1.0, 0.1, warmup_iters=10) == pytest.approx(0.55)
    assert lr_at(99, 1.0, 1.0, 0.1, warmup_iters=10) == pytest.approx(0.1)
    assert lr_at(5, 0.7, 1.0, None) == 1.0


def test_history_lr_follows_the_schedule(tiny_model, tiny_corpus):
    h = quick(tiny_model, tiny_corpus, max_iters=20, lr=1e-3, min_lr=1e-4, warmup_iters=5)
    assert h.lr[0] == pytest.approx(2e-4) and h.lr[4] == pytest.approx(1e-3)
    assert h.lr[-1] == pytest.approx(1e-4 + 0.45e-3 * (1 + math.cos(math.pi * 14 / 15)))
    assert all(a >= b for a, b in zip(h.lr[4:], h.lr[5:]))


@pytest.mark.parametrize("max_norm", [1e-3, 1.0, 1e6])
def test_clip_grad_norm_equals_pytorchs(max_norm):
    from course_lib.core.training import clip_grad_norm
    torch.manual_seed(0)
    a = [torch.randn(5, 3, requires_grad=True), torch.randn(7, requires_grad=True)]
    b = [p.detach().clone().requires_grad_() for p in a]
    for p, q in zip(a, b):
        p.grad = torch.randn_like(p) * 3
        q.grad = p.grad.clone()
    want = torch.nn.utils.clip_grad_norm_(b, max_norm)
    got = clip_grad_norm(a, max_norm)
    torch.testing.assert_close(got, want)
    for p, q in zip(a, b):
        torch.testing.assert_close(p.grad, q.grad)
