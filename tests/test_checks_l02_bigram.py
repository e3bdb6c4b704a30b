"""Lesson 02's exercise checks (course_lib/lessons/checks/l02_bigram.py): each
solution passes, each stub is "not attempted", and each typical mistake is named."""

import pytest
import torch
import torch.nn.functional as F

from course_lib import BigramLanguageModel, estimate_loss, get_batch, train
from course_lib.lessons.checks import (check_bigram_counts, check_bigram_forward,
                                       check_bigram_generate, check_counting_loss,
                                       check_estimate_loss, check_training_loop)

from checks_support import assert_fails, stub


# Typical mistakes of bigram_counts: transposed; the last pair dropped; probabilities;
# the wrong size; float counts (cell 9 compares with integer counts); every pair counted
# once (counts[i, j] = 1, or the vectorised += that drops repeats); a wrong count.

def _counts(data, V, dtype=torch.long):
    out = torch.zeros(V, V, dtype=dtype)
    for i, j in zip(data[:-1].tolist(), data[1:].tolist()):
        out[i, j] += 1
    return out


def _vectorised_plus_equals(d, V):
    c = torch.zeros(V, V, dtype=torch.long)
    c[d[:-1], d[1:]] += 1                       # repeated pairs are added once only
    return c


def test_bigram_counts_solution_passes():
    assert check_bigram_counts(_counts).passed
    from course_lib.lessons.bigram import bigram_counts
    assert check_bigram_counts(bigram_counts).passed
    assert check_bigram_counts(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda d, V: _counts(d, V).T, "your matrix is transposed"),
    (lambda d, V: _counts(d[:-1], V), "your counts add up to 198, but a text of 200 tokens holds 199"),
    (lambda d, V: _counts(d, V).float() / _counts(d, V).sum(1, keepdim=True).clamp(min=1),
     "those are probabilities"),
    (lambda d, V: _counts(d, int(d.max()) + 1), "the count matrix for vocab_size=6 has shape (5, 5)"),
    (lambda d, V: torch.diag(torch.bincount(d[:-1], minlength=V)),
     "the counts differ from the expected ones"),
    (lambda d, V: _counts(d, V, dtype=torch.float32),
     "the counts are right but have dtype torch.float32: counts are whole numbers"),
    (lambda d, V: _counts(d, V, dtype=torch.int32), "the counts are right but have dtype torch.int32"),
    (_vectorised_plus_equals, "every pair is counted at most once"),
    (lambda d, V: (_counts(d, V) > 0).long(), "every pair is counted at most once"),
])
def test_bigram_counts_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_bigram_counts(fn), fragment)


# Typical mistakes of the counting loss: the sign; the sum; probs[next, current]; log base
# 10 or 2; the log of the mean; no log; no mean (a vector).

def test_counting_loss_solution_passes():
    assert check_counting_loss(lambda p, d: -p[d[:-1], d[1:]].log().mean()).passed
    from course_lib.lessons.bigram import counting_model_loss
    assert check_counting_loss(counting_model_loss).passed
    assert check_counting_loss(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda p, d: p[d[:-1], d[1:]].log().mean(), "your loss is negative"),
    (lambda p, d: -p[d[:-1], d[1:]].log().sum(), "take the mean"),
    (lambda p, d: -p[d[1:], d[:-1]].log().mean(), "probs[next, current]"),
    (lambda p, d: -p[d[:-1], d[1:]].log10().mean(), "log base 10"),
    (lambda p, d: -p[d[:-1], d[1:]].log2().mean(), "log base 2"),
    (lambda p, d: -p[d[:-1], d[1:]].mean().log(), "you took the log of the mean probability"),
    (lambda p, d: -p[d[:-1], d[1:]].mean(), "you forgot the log"),
    (lambda p, d: -p[d[:-1], d[1:]].log(), "the loss is one number"),
    (lambda p, d: -p[d[:-2], d[1:-1]].log().mean(), "expected"),
])
def test_counting_loss_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_counting_loss(fn), fragment)


# Typical mistakes of the bigram forward: 3-D logits into F.cross_entropy (an error, with
# the reshape as hint); the flattened logits returned (as the lecture's code does); a loss
# when there are no targets; no loss with targets; loss.item(); the sum; softmax first;
# rows of logits and targets mismatched by a transpose; targets shifted again; idx as the
# targets; calling the model's own forward (the shortcut).

def good_forward(model, idx, targets=None, flat=False, mistake=None):
    logits = model.token_embedding_table(idx)                # (B, T, C)
    if targets is None:
        return (logits, None) if mistake != "loss_without_targets" else (logits, logits.sum())
    B, T, C = logits.shape
    lg, tg = logits.view(B * T, C), targets.view(B * T)
    loss = {None: lambda: F.cross_entropy(lg, tg),
            "sum": lambda: F.cross_entropy(lg, tg, reduction="sum"),
            "softmax": lambda: F.cross_entropy(lg.softmax(-1), tg),
            "transpose": lambda: F.cross_entropy(logits.transpose(0, 1).reshape(B * T, C), tg),
            "shift": lambda: F.cross_entropy(logits[:, :-1].reshape(-1, C), targets[:, 1:].reshape(-1)),
            "idx": lambda: F.cross_entropy(lg, idx.view(B * T)),
            "item": lambda: F.cross_entropy(lg, tg).item(),
            "no_grad": lambda: F.cross_entropy(lg, tg).detach(),
            "three_d": lambda: F.cross_entropy(logits, targets),
            "none": lambda: None,
            "vector": lambda: F.cross_entropy(lg, tg, reduction="none"),
            }[mistake]()
    return (lg if flat else logits), loss


def test_bigram_forward_solution_passes():
    assert check_bigram_forward(good_forward).passed
    assert check_bigram_forward(stub).status == "not_attempted"


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(mistake="three_d"), "Hint: F.cross_entropy wants logits of shape (B*T, C)"),
    (dict(flat=True), "you returned the flattened logits (15, 7)"),
    (dict(mistake="loss_without_targets"), "without targets there is nothing to compare with"),
    (dict(mistake="none"), "with targets, return the loss too"),
    (dict(mistake="item"), "do not turn it into a number with .item()"),
    (dict(mistake="no_grad"), "the loss has no gradient"),
    (dict(mistake="vector"), "the loss should be one number"),
    (dict(mistake="sum"), "your loss is the sum over the B*T positions"),
    (dict(mistake="softmax"), "you applied softmax before F.cross_entropy"),
    (dict(mistake="transpose"), "rows of logits and targets no longer belong to the same position"),
    (dict(mistake="shift"), "you shifted the targets again"),
    (dict(mistake="idx"), "you compared the logits with idx"),
])
def test_bigram_forward_rejects_typical_mistakes(kwargs, fragment):
    assert_fails(check_bigram_forward(lambda m, i, t=None: good_forward(m, i, t, **kwargs)), fragment)


def test_bigram_forward_names_the_shortcut():
    assert_fails(check_bigram_forward(lambda m, idx, targets=None: m(idx, targets)),
                 "you called model(idx, targets), the library's own forward")
    assert_fails(check_bigram_forward(lambda m, idx: good_forward(m, idx)),
                 "raised TypeError")                   # no targets parameter


# Typical mistakes of generate: only the new tokens returned; one token too many or too
# few; argmax instead of sampling; the first position's logits; softmax over the batch;
# the generator not passed (the same seed gives other text); sampling from the logits
# (an error); calling model.generate (the shortcut).

def good_generate(model, idx, max_new_tokens, generator=None, mistake=None):
    new = []
    for _ in range(max_new_tokens + (mistake == "one_more")):
        logits, _ = model(idx)                                   # (B, T, C)
        last = logits[:, 0 if mistake == "first" else -1, :]     # (B, C)
        probs = F.softmax(last, dim=0 if mistake == "dim0" else -1)
        if mistake == "argmax":
            nxt = probs.argmax(-1, keepdim=True)
        elif mistake == "logits":
            nxt = torch.multinomial(last, 1, generator=generator)
        else:
            nxt = torch.multinomial(probs, 1, generator=None if mistake == "global" else generator)
        idx = torch.cat((idx, nxt), dim=1)
        new.append(nxt)
    if mistake == "only_new":
        return torch.cat(new, dim=1)
    if mistake == "list":
        return idx.tolist()
    return idx


def test_bigram_generate_solution_passes():
    assert check_bigram_generate(good_generate).passed
    assert check_bigram_generate(stub).status == "not_attempted"


@pytest.mark.parametrize("mistake,fragment", [
    ("only_new", "you returned only the 12 new tokens"),
    ("one_more", "asked for max_new_tokens = 12 new tokens, you added 13 (off by one?)"),
    ("argmax", "you took the most likely token (argmax)"),
    ("first", "you sampled from the logits of the first position"),
    ("dim0", "softmax over the wrong dimension"),
    ("global", "pass generator=generator to torch.multinomial"),
    ("logits", "raised RuntimeError"),
    ("list", "return the token IDs as a tensor"),
])
def test_bigram_generate_rejects_typical_mistakes(mistake, fragment):
    assert_fails(check_bigram_generate(lambda m, i, n, g=None: good_generate(m, i, n, g, mistake)),
                 fragment)


def test_bigram_generate_names_the_shortcut():
    assert_fails(check_bigram_generate(lambda m, idx, n, g=None: m.generate(idx, n, generator=g)),
                 "you called model.generate, the library's own loop")


# Typical mistakes of estimate_loss: train mode; gradients on; eval mode left on after;
# one batch instead of eval_iters; the sum; the splits swapped; one generator for both
# splits; a list instead of the dict; wrong keys.

def good_estimate(model, train_data, val_data, eval_iters=20, batch_size=32, block_size=8,
                  seed=0, mistake=None):
    out = {}
    if mistake != "train_mode":
        model.eval()
    g = torch.Generator().manual_seed(seed)
    with torch.set_grad_enabled(mistake == "grad"):
        for split, data in (("train", train_data), ("val", val_data)):
            if mistake != "one_generator":
                g = torch.Generator().manual_seed(seed)
            losses = torch.zeros(eval_iters)
            for k in range(1 if mistake == "one_batch" else eval_iters):
                _, loss = model(*get_batch(data, batch_size, block_size, generator=g))
                losses[k] = loss.item()
            out[split] = (losses.sum() if mistake == "sum" else losses.mean()).item()
    if mistake != "no_restore":
        model.train()
    if mistake == "swap":
        out = {"train": out["val"], "val": out["train"]}
    if mistake == "list":
        return [out["train"], out["val"]]
    if mistake == "keys":
        return {"training": out["train"], "validation": out["val"]}
    return out


def test_estimate_loss_solution_passes():
    assert check_estimate_loss(good_estimate).passed
    assert check_estimate_loss(stub).status == "not_attempted"


@pytest.mark.parametrize("mistake,fragment", [
    ("train_mode", "the model was in training mode during the estimate: call model.eval()"),
    ("grad", "gradients were being recorded: decorate the function with @torch.no_grad()"),
    ("no_restore", "the model is still in eval mode afterwards: call model.train()"),
    ("one_batch", "the model ran on 2 batches; an estimate uses eval_iters = 4 batches"),
    ("sum", "you summed the losses; take their mean"),
    ("swap", "the splits are swapped"),
    ("one_generator", "make a new generator for each split"),
    ("list", "return a dict with one mean loss per split"),
    ("keys", "the dict should have the keys 'train' and 'val', got ['training', 'validation']"),
])
def test_estimate_loss_rejects_typical_mistakes(mistake, fragment):
    assert_fails(check_estimate_loss(
        lambda *a: good_estimate(*a, mistake=mistake)), fragment)


def test_estimate_loss_equals_the_library():
    model = BigramLanguageModel(8)
    data = torch.randint(8, (200,), generator=torch.Generator().manual_seed(0))
    assert good_estimate(model, data, data[:100], 3, 4, 5, 1) == estimate_loss(
        model, data, data[:100], 3, 4, 5, 1)


# Typical mistakes of the training loop: no zero_grad (gradients pile up); zero_grad
# between backward and step, no backward or no step (the weights never change); a new
# optimizer every step; SGD; a hard-coded learning rate; the same batch every step; the
# loss tensors kept instead of loss.item(); one step too many; estimates after the step or
# without the final one; only the losses returned.

def good_train(model, train_data, val_data, max_iters=3000, eval_interval=300, lr=1e-2,
               batch_size=32, block_size=8, seed=1337, mistake=None):
    g = torch.Generator().manual_seed(seed)
    make = {"sgd": lambda: torch.optim.SGD(model.parameters(), lr=lr),
            "fixed_lr": lambda: torch.optim.AdamW(model.parameters(), lr=1e-2)}.get(
        mistake, lambda: torch.optim.AdamW(model.parameters(), lr=lr))
    optimizer = make()
    losses, estimates = [], {}
    for step in range(max_iters + (mistake == "one_more")):
        if step % eval_interval == 0 and mistake != "eval_after":
            estimates[step] = estimate_loss(model, train_data, val_data, batch_size=batch_size,
                                            block_size=block_size)
        if mistake == "optimizer_in_loop":
            optimizer = make()
        if mistake == "same_batch":
            g = torch.Generator().manual_seed(seed)
        xb, yb = get_batch(train_data, batch_size, block_size, generator=g)
        _, loss = model(xb, yb)
        if mistake not in ("no_zero_grad", "zero_grad_late"):
            optimizer.zero_grad(set_to_none=True)
        if mistake != "no_backward":
            loss.backward()
        if mistake == "zero_grad_late":
            optimizer.zero_grad(set_to_none=True)
        if mistake != "no_step":
            optimizer.step()
        losses.append(loss if mistake == "tensors" else loss.item())
        if mistake == "eval_after" and (step + 1) % eval_interval == 0:
            estimates[step + 1] = estimate_loss(model, train_data, val_data,
                                                batch_size=batch_size, block_size=block_size)
    if mistake != "no_final":
        estimates[max_iters] = estimate_loss(model, train_data, val_data, batch_size=batch_size,
                                             block_size=block_size)
    return losses if mistake == "losses_only" else (losses, estimates)


def test_training_loop_solution_passes():
    r = check_training_loop(good_train)
    assert r.passed, r
    assert check_training_loop(stub).status == "not_attempted"


@pytest.mark.parametrize("mistake,fragment", [
    ("no_zero_grad", "the gradients add up from step to step"),
    ("zero_grad_late", "the weights did not change"),
    ("no_backward", "the weights did not change"),
    ("no_step", "the weights did not change"),
    ("optimizer_in_loop", "you made a new optimizer in every step"),
    ("sgd", "you used SGD"),
    ("fixed_lr", "you did not use the learning rate `lr` that the function was given"),
    ("same_batch", "every step trains on the same batch"),
    ("tensors", "append loss.item(), a plain number"),
    ("one_more", "for max_iters = 12 there should be 12 losses, one per step, got 13"),
    ("eval_after", "estimates should be taken before the steps 0, 5, 10"),
    ("no_final", "the last estimate is missing"),
    ("losses_only", "return two things, (losses, estimates)"),
])
def test_training_loop_rejects_typical_mistakes(mistake, fragment):
    assert_fails(check_training_loop(lambda *a: good_train(*a, mistake=mistake)), fragment)


def test_the_learners_loop_matches_course_lib_train():
    """What lesson 02 shows: with a constant learning rate, no warmup and no clipping,
    course_lib.train is the lecture's loop; the default AdamW differs from its fused one only
    by float32 rounding."""
    data = torch.randint(11, (400,), generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    start = BigramLanguageModel(11)
    a, b = BigramLanguageModel(11), BigramLanguageModel(11)
    a.load_state_dict(start.state_dict())
    b.load_state_dict(start.state_dict())
    losses, _ = good_train(a, data, data, 40, 20, 0.05, 4, 6, 3)
    history = train(b, data, data, max_iters=40, batch_size=4, block_size=6, lr=0.05,
                    min_lr=None, warmup_iters=0, grad_clip=None, eval_interval=20, eval_iters=2,
                    seed=3, progress=False)
    wa, wb = a.token_embedding_table.weight, b.token_embedding_table.weight
    assert (wa - wb).abs().max() < 1e-5
    assert max(abs(x - y) for x, y in zip(losses, history.train_loss)) < 1e-5
