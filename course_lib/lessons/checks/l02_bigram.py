"""Lesson 02's exercise checks (notebooks/02_bigram.ipynb).

Their tests: tests/test_checks_l02_bigram.py."""

from __future__ import annotations

import copy
import functools

import torch
import torch.nn.functional as F

from ...core.data import get_batch
from ...core.model import BigramLanguageModel
from ...core.training import estimate_loss as library_estimate
from ...core.training import train
from ...i18n import _
from ..sandbox import describe
from .answers import as_number, close, expect_tensor, is_int, name_the_mistake
from .framework import Mistake, Shortcut, call, exercise


@exercise
def check_bigram_counts(bigram_counts) -> str:
    """bigram_counts(data, vocab_size) -> (V, V) integer tensor: counts[i, j] = how often j follows i."""
    g = torch.Generator().manual_seed(3)
    # the long random text first: there a dropped pair and pairs counted once differ clearly
    cases = [(torch.randint(0, 5, (200,), generator=g), 6), (torch.tensor([0, 1, 1, 2, 0, 1]), 4)]
    for data, V in cases:
        want = torch.zeros(V, V, dtype=torch.long)
        for i, j in zip(data[:-1].tolist(), data[1:].tolist()):
            want[i, j] += 1
        out = call(bigram_counts, data, V, hint=_("a (vocab_size, vocab_size) tensor: "
                                                  "torch.zeros(vocab_size, vocab_size, "
                                                  "dtype=torch.long)"))
        out = expect_tensor(out, (V, V), _("the count matrix for vocab_size={V}").format(V=V))
        if out.dtype == torch.bool or out.is_complex():
            raise Mistake(_("your counts have dtype {dtype}; counts are whole numbers "
                            "(torch.long)").format(dtype=out.dtype))
        sums = out.double().sum(dim=1)
        if out.is_floating_point() and close(sums[sums > 0], torch.ones_like(sums[sums > 0])):
            raise Mistake(_("your rows sum to 1: those are probabilities. Return the raw counts "
                            "(normalising comes next)"))
        exact = out.is_floating_point() is False or bool((out == out.round()).all())
        if exact and torch.equal(out.long(), want.T) and not torch.equal(want, want.T):
            raise Mistake(_("your matrix is transposed: the row is the current token and the "
                            "column the next one, counts[data[t], data[t + 1]]"))
        if exact and torch.equal(out.long(), (want > 0).long()) and want.max() > 1:
            raise Mistake(_("every pair is counted at most once: a pair that occurs several "
                            "times must add 1 each time (counts[i, j] += 1 in a loop). Note that "
                            "counts[data[:-1], data[1:]] += 1 does not add up repeated pairs"))
        if exact and torch.equal(out.long(), want):
            if out.is_floating_point():
                raise Mistake(_("the counts are right but have dtype {dtype}: counts are "
                                "whole numbers, so make the matrix with dtype=torch.long "
                                "(torch.zeros(V, V, dtype=torch.long)); later cells compare "
                                "them with integer counts").format(dtype=out.dtype))
            if out.dtype != torch.long:
                raise Mistake(_("the counts are right but have dtype {dtype}; use torch.long "
                                "(torch.zeros(V, V, dtype=torch.long)) as the library does"
                                ).format(dtype=out.dtype))
            continue
        total, pairs = float(out.double().sum()), len(data) - 1
        if total != pairs:
            raise Mistake(_("your counts add up to {total:g}, but a text of {n} tokens holds "
                            "{pairs} pairs (each token with the one after it; off by one?)"
                            ).format(total=total, n=len(data), pairs=pairs))
        diff = (out.double() != want.double()).nonzero()[0].tolist()
        raise Mistake(_("the counts differ from the expected ones at {where} (row = current, "
                        "column = next)").format(where=diff))
    return _("counts[i, j] = how many times token j follows token i, over all N - 1 pairs.")


@exercise
def check_counting_loss(counting_loss) -> str:
    """counting_loss(probs, data) -> the mean of -ln probs[data[t], data[t+1]] (a number)."""
    g = torch.Generator().manual_seed(4)
    probs = torch.softmax(torch.randn(5, 5, generator=g), dim=1)
    data = torch.randint(0, 5, (40,), generator=g)
    logp = probs[data[:-1], data[1:]].log()
    want = float(-logp.mean())
    out = as_number(call(counting_loss, probs, data,
                          hint=_("probs[data[:-1], data[1:]] picks one probability per pair")),
                     _("the loss is one number, the mean over all pairs"))
    if abs(out - want) < 1e-4:
        return _("the mean negative log-likelihood of every (current, next) pair.")
    wrong = [
        (-want, _("your loss is negative: the loss is minus the mean log-probability, -ln p")),
        (want * (len(data) - 1), _("that is the sum over the pairs; take the mean")),
        (float(-probs[data[1:], data[:-1]].log().mean()),
         _("you looked up probs[next, current]; the row is the current token: "
           "probs[data[t], data[t + 1]]")),
        (float(-logp.mean() / torch.log(torch.tensor(10.0))),
         _("you used log base 10; cross-entropy uses the natural log (torch.log)")),
        (float(-logp.mean() / torch.log(torch.tensor(2.0))),
         _("you used log base 2; cross-entropy uses the natural log (torch.log)")),
        (float(-probs[data[:-1], data[1:]].mean().log()),
         _("you took the log of the mean probability; take the mean of the logs: "
           "-p.log().mean()")),
        (float(-probs[data[:-1], data[1:]].mean()),
         _("you forgot the log: the loss is the mean of -ln p, not of -p")),
    ]
    name_the_mistake(out, wrong, same=lambda a, b: abs(a - b) < 1e-4)
    raise Mistake(_("your loss is {got:.4f}, expected {want:.4f}").format(got=out, want=want))


class CheckBigram(BigramLanguageModel):
    """The checks' stand-in BigramLanguageModel.

    refuse="forward" or "generate": that method raises Shortcut (the exercise writes it).
    record=True: every forward call appends (training mode, grad enabled) to `calls`.
    The grader sends it to the learner's kernel as data (remote.py), so these settings are
    plain attributes, and `calls` comes back with the model after the call.
    """
    refuse: str | None = None
    record = False

    def forward(self, idx, targets=None):
        if self.refuse == "forward":
            raise Shortcut(_("you called model(idx, targets), the library's own forward; "
                             "the exercise is to write it: logits = "
                             "model.token_embedding_table(idx), then the loss"))
        if self.record:
            self.calls.append((self.training, torch.is_grad_enabled()))
        return super().forward(idx, targets)

    def generate(self, *args, **kwargs):
        if self.refuse == "generate":
            raise Shortcut(_("you called model.generate, the library's own loop; the "
                             "exercise is to write that loop (model(idx) gives the logits)"))
        return super().generate(*args, **kwargs)


def _bigram(vocab_size: int, seed: int, refuse: str | None = None, record: bool = False):
    """A CheckBigram for a check, made without touching the global random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = CheckBigram(vocab_size)
    model.refuse, model.record, model.calls = refuse, record, []
    return model


def _forward_hint() -> str:
    return _("F.cross_entropy wants logits of shape (B*T, C) and targets of shape (B*T,): "
             "B, T, C = logits.shape, then logits.view(B*T, C) and targets.view(B*T)")


def _loss_variants(logits, idx, targets) -> list[tuple[torch.Tensor, str]]:
    B, T, C = logits.shape
    flat = logits.reshape(B * T, C)
    misaligned = _("rows of logits and targets no longer belong to the same position: flatten "
                   "both the same way, logits.view(B*T, C) and targets.view(B*T), without "
                   "transposing one of them")
    return [
        (F.cross_entropy(flat, targets.reshape(-1), reduction="sum"),
         _("your loss is the sum over the B*T positions; F.cross_entropy's default, the mean, "
           "is what the model reports")),
        (F.cross_entropy(flat.softmax(-1), targets.reshape(-1)),
         _("you applied softmax before F.cross_entropy; it takes the raw logits (it does the "
           "softmax itself)")),
        (F.cross_entropy(logits.transpose(0, 1).reshape(B * T, C), targets.reshape(-1)),
         misaligned),
        (F.cross_entropy(flat, targets.T.reshape(-1)), misaligned),
        (F.cross_entropy(logits[:, :-1].reshape(-1, C), targets[:, 1:].reshape(-1)),
         _("you shifted the targets again; get_batch already gives targets shifted by one, so "
           "position t of the logits goes with targets[:, t]")),
        (F.cross_entropy(flat, idx.reshape(-1)),
         _("you compared the logits with idx; the loss compares them with targets")),
    ]


@exercise
def check_bigram_forward(forward) -> str:
    """forward(model, idx, targets=None) -> (logits of shape (B, T, C), loss or None)."""
    V, B, T = 7, 3, 5                                  # T != C: 3-D logits into the loss fail
    model = _bigram(V, seed=20, refuse="forward")
    g = torch.Generator().manual_seed(21)
    idx = torch.randint(V, (B, T), generator=g)
    targets = torch.randint(V, (B, T), generator=g)
    want_logits = model.token_embedding_table(idx).detach()
    with torch.enable_grad():
        for with_targets in (False, True):
            args = (model, idx, targets) if with_targets else (model, idx)
            out = call(forward, *args, hint=_forward_hint())
            if isinstance(out, torch.Tensor) or not isinstance(out, (tuple, list)) or len(out) != 2:
                raise Mistake(_("return two things, (logits, loss); got {value}. Without "
                                "targets the loss is None: return logits, None").format(
                                    value=describe(out)))
            logits, loss = out
            if not isinstance(logits, torch.Tensor):
                raise Mistake(_("the logits should be a tensor, got {value}").format(
                    value=describe(logits)))
            if tuple(logits.shape) == (B * T, V):
                raise Mistake(_("you returned the flattened logits {flat}. Keep logits of "
                                "shape (B, T, C) = {shape} (generate reads logits[:, -1, :]) "
                                "and flatten only for the loss (the lecture's code returns the "
                                "flattened view; ours does not)").format(flat=(B * T, V),
                                                                         shape=(B, T, V)))
            expect_tensor(logits, (B, T, V), _("your logits"))
            if not close(logits.detach(), want_logits):
                raise Mistake(_("your logits are not model.token_embedding_table(idx): row "
                                "idx[b, t] of the table holds the scores for the token after "
                                "idx[b, t]"))
            if not with_targets:
                if loss is not None:
                    raise Mistake(_("without targets there is nothing to compare with: return "
                                    "(logits, None), got a loss of {value}").format(
                                        value=describe(loss)))
                continue
            if loss is None:
                raise Mistake(_("with targets, return the loss too: F.cross_entropy of the "
                                "flattened logits and targets"))
            if not isinstance(loss, torch.Tensor):
                raise Mistake(_("the loss should be the tensor F.cross_entropy returns, got "
                                "{value}: training calls loss.backward() on it, so do "
                                "not turn it into a number with .item()").format(
                                    value=describe(loss)))
            if loss.numel() != 1:
                raise Mistake(_("the loss should be one number (the mean over the B*T "
                                "positions), got shape {shape}").format(shape=tuple(loss.shape)))
            if loss.grad_fn is None:
                raise Mistake(_("the loss has no gradient: do not compute it under "
                                "torch.no_grad() or .detach() it; training calls loss.backward() "
                                "on it"))
            want = model.loss(want_logits, targets)
            if close(loss.detach().reshape(()), want):
                continue
            name_the_mistake(loss.detach().reshape(()), _loss_variants(want_logits, idx, targets))
            raise Mistake(_("your loss is {got:.4f}, expected {want:.4f}: "
                            "F.cross_entropy(logits.view(B*T, C), targets.view(B*T))").format(
                                got=float(loss), want=float(want)))
    return _("logits (B, T, C) from the table, and the cross-entropy over all B*T positions.")


def _generate_like(model, idx, n, seed, pick):
    """The generate loop with one step replaced: `pick(logits (B, T, V), generator) -> (B, 1)`."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _step in range(n):
            logits, _loss = BigramLanguageModel.forward(model, idx)
            idx = torch.cat((idx, pick(logits, g)), dim=1)
    return idx


@exercise
def check_bigram_generate(generate) -> str:
    """generate(model, idx, max_new_tokens, generator) -> (B, T + max_new_tokens) token IDs."""

    V, B, T, n, seed = 9, 2, 3, 12, 5
    model = _bigram(V, seed=30, refuse="generate")
    idx = torch.randint(V, (B, T), generator=torch.Generator().manual_seed(31))
    want = BigramLanguageModel.generate(model, idx, n, generator=torch.Generator().manual_seed(seed))
    hint = _("take the last position, logits[:, -1, :] of shape (B, C), softmax over dim=-1, "
             "then torch.multinomial(probs, num_samples=1, generator=generator) of shape (B, 1), "
             "and torch.cat((idx, idx_next), dim=1)")
    outs = []
    for global_seed in (100, 200):        # two runs that differ only in the global random state
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(global_seed)
            outs.append(call(generate, model, idx, n,
                                       torch.Generator().manual_seed(seed), hint=hint))
    out = outs[0]
    if isinstance(out, (list, tuple)) or not isinstance(out, torch.Tensor):
        raise Mistake(_("return the token IDs as a tensor of shape (B, T + max_new_tokens), got "
                        "{value}").format(value=describe(out)))
    if tuple(out.shape) == (B, n):
        raise Mistake(_("you returned only the {n} new tokens; return idx with them appended, "
                        "shape (B, T + max_new_tokens) = {shape}: "
                        "idx = torch.cat((idx, idx_next), dim=1) in the loop").format(
                            n=n, shape=(B, T + n)))
    if out.dim() == 2 and out.shape[0] == B and out.shape[1] in (T + n - 1, T + n + 1):
        raise Mistake(_("asked for max_new_tokens = {n} new tokens, you added {added} "
                        "(off by one?)").format(n=n, added=out.shape[1] - T))
    expect_tensor(out, (B, T + n), _("generate(model, idx of shape {shape}, {n})").format(
        shape=(B, T), n=n))
    if out.is_floating_point():
        raise Mistake(_("the tokens have dtype {dtype}; token IDs are integers "
                        "(torch.multinomial already returns torch.long)").format(dtype=out.dtype))
    if not torch.equal(out[:, :T].long(), idx):
        raise Mistake(_("the result must start with idx itself: append each new token after the "
                        "tokens you were given"))
    if torch.equal(out.long(), want):
        return _("the same tokens as model.generate with the same generator: sample, append, "
                 "repeat.")
    if not torch.equal(outs[0], outs[1]):
        raise Mistake(_("two runs with the same generator gave different tokens: pass "
                        "generator=generator to torch.multinomial, so the seed decides the "
                        "sample"))
    variants = [
        (lambda lg, g: lg[:, -1, :].argmax(-1, keepdim=True),
         _("you took the most likely token (argmax), so the text is always the same; sample "
           "instead: torch.multinomial(probs, num_samples=1, generator=generator)")),
        (lambda lg, g: torch.multinomial(F.softmax(lg[:, 0, :], dim=-1), 1, generator=g),
         _("you sampled from the logits of the first position, logits[:, 0, :]; the next token "
           "follows the last one: logits[:, -1, :]")),
        (lambda lg, g: torch.multinomial(F.softmax(lg[:, -1, :], dim=0), 1, generator=g),
         _("softmax over the wrong dimension: the probabilities of each row (one sequence) must "
           "sum to 1, softmax(logits, dim=-1)")),
    ]
    name_the_mistake(out.long(), ((_generate_like(model, idx, n, seed, pick), message)
                                  for pick, message in variants), same=torch.equal)
    raise Mistake(_("your tokens differ from model.generate with the same generator. Each step: "
                    "{hint}").format(hint=hint))


_ESTIMATE_ARGS = dict(eval_iters=4, batch_size=6, block_size=5, seed=3)


@exercise
def check_estimate_loss(estimate_loss) -> str:
    """estimate_loss(model, train_data, val_data, eval_iters, batch_size, block_size, seed) -> {"train": mean loss, "val": mean loss}."""
    V = 8
    g = torch.Generator().manual_seed(40)
    train_data, val_data = torch.randint(V, (300,), generator=g), torch.randint(V, (100,), generator=g)
    model = _bigram(V, seed=41, record=True)
    model.train()
    a = _ESTIMATE_ARGS
    args = (model, train_data, val_data, a["eval_iters"], a["batch_size"], a["block_size"], a["seed"])
    hint = _("for each split: g = torch.Generator().manual_seed(seed), then eval_iters batches "
             "from get_batch(data, batch_size, block_size, generator=g)")
    out = call(estimate_loss, *args, hint=hint, modifies=(0,))
    calls, model.calls = model.calls, []
    want = library_estimate(model, train_data, val_data, **a)
    if not isinstance(out, dict):
        raise Mistake(_("return a dict with one mean loss per split, {{'train': ..., 'val': "
                        "...}}; got {value}").format(value=describe(out)))
    if set(out) != {"train", "val"}:
        raise Mistake(_("the dict should have the keys 'train' and 'val', got {keys}").format(
            keys=sorted(map(str, out))))
    got = {k: as_number(out[k], _("each split's estimate is one number, the mean loss"))
           for k in ("train", "val")}
    if not calls:
        raise Mistake(_("your function never ran the model: call model(xb, yb) on each batch "
                        "and keep the loss"))
    if any(training for training, _grad in calls):
        raise Mistake(_("the model was in training mode during the estimate: call model.eval() "
                        "before the batches (it turns dropout off) and model.train() after"))
    if any(grad for _training, grad in calls):
        raise Mistake(_("gradients were being recorded: decorate the function with "
                        "@torch.no_grad() (or use `with torch.no_grad():`); an estimate never "
                        "calls backward, and the graph costs memory"))
    if not model.training:
        raise Mistake(_("the model is still in eval mode afterwards: call model.train() at the "
                        "end, so that training goes on with dropout on"))
    if len(calls) != 2 * a["eval_iters"]:
        raise Mistake(_("the model ran on {n} batches; an estimate uses eval_iters = "
                        "{eval_iters} batches of each split, {total} in all").format(
                            n=len(calls), eval_iters=a["eval_iters"], total=2 * a["eval_iters"]))
    if all(abs(got[k] - want[k]) < 1e-5 for k in got):
        return _("the mean loss over eval_iters batches of each split, in eval mode, without "
                 "gradients.")
    if abs(got["train"] - want["val"]) < 1e-5 and abs(got["val"] - want["train"]) < 1e-5:
        raise Mistake(_("the splits are swapped: 'train' must be the estimate on train_data"))
    if all(abs(got[k] - a["eval_iters"] * want[k]) < 1e-4 for k in got):
        raise Mistake(_("you summed the losses; take their mean (losses.mean())"))
    if abs(got["train"] - want["train"]) < 1e-5:
        raise Mistake(_("'train' is right but 'val' is not: make a new generator for each "
                        "split, torch.Generator().manual_seed(seed), so both splits start from "
                        "the seed"))
    raise Mistake(_("your estimates {got} differ from {want}: {hint}, the mean of their losses"
                    ).format(got=got, want=want, hint=hint))


def _train_like(model, train_data, n, lr, batch_size, block_size, seed, variant=None):
    """The training loop of course_lib.train, with one typical mistake built in (variant)."""
    g = torch.Generator().manual_seed(seed)
    make = {"sgd": lambda: torch.optim.SGD(model.parameters(), lr=lr),
            "lr_1e-2": lambda: torch.optim.AdamW(model.parameters(), lr=1e-2),
            "lr_1e-3": lambda: torch.optim.AdamW(model.parameters(), lr=1e-3)}.get(
        variant, lambda: torch.optim.AdamW(model.parameters(), lr=lr))
    optimizer = make()
    losses = []
    for _step in range(n):
        if variant == "optimizer_in_loop":
            optimizer = make()
        if variant == "new_generator":
            g = torch.Generator().manual_seed(seed)
        _logits, loss = model(*get_batch(train_data, batch_size, block_size, generator=g))
        if variant != "no_zero_grad":
            optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, model.token_embedding_table.weight.detach().clone()


def _train_mistakes() -> dict[str, str]:
    """{variant of _train_like: the message that names it}, in the learner's language."""
    return {
        "no_zero_grad": _("the gradients add up from step to step: call optimizer.zero_grad() "
                          "before loss.backward() in every step"),
        "optimizer_in_loop": _("you made a new optimizer in every step; make it once, before "
                               "the loop: AdamW keeps running averages of the gradients from "
                               "step to step"),
        "sgd": _("you used SGD; the exercise (and course_lib.train) uses torch.optim.AdamW"),
        "lr_1e-2": _("you did not use the learning rate `lr` that the function was given (you "
                     "used 1e-2); pass lr=lr to AdamW"),
        "lr_1e-3": _("you did not use the learning rate `lr` (AdamW's default is 1e-3); pass "
                     "lr=lr"),
        "new_generator": _("every step trains on the same batch: make the generator g once, "
                           "before the loop, and pass generator=g to get_batch"),
    }


_TRAIN_CASE = dict(V=11, n=12, every=5, lr=0.05, B=4, T=6, seed=3)


@functools.lru_cache(maxsize=1)
def _training_reference():
    """The check's data, its starting model, and what course_lib.train makes of them.

    Computed once per session: the same numbers every time, and a check that fails fast
    does not pay for the reference.
    """

    c = _TRAIN_CASE
    g = torch.Generator().manual_seed(50)
    train_data = torch.randint(c["V"], (400,), generator=g)
    val_data = torch.randint(c["V"], (200,), generator=g)
    start = _bigram(c["V"], seed=51)
    reference, estimates = copy.deepcopy(start), {}

    def est(m):
        return library_estimate(m, train_data, val_data, batch_size=c["B"], block_size=c["T"])

    estimates[0] = est(reference)

    def snapshot(step, loss):
        if step % c["every"] == 0 and step < c["n"]:
            estimates[step] = est(reference)

    with torch.random.fork_rng(devices=[]):
        # the lecture's plain loop: a constant learning rate, no warmup, no clipping
        history = train(reference, train_data, val_data, max_iters=c["n"], batch_size=c["B"],
                        block_size=c["T"], lr=c["lr"], min_lr=None, warmup_iters=0,
                        grad_clip=None, eval_interval=c["every"], eval_iters=2,
                        seed=c["seed"], progress=False, callback=snapshot)
    estimates[c["n"]] = est(reference)
    return (train_data, val_data, start, reference.token_embedding_table.weight.detach().clone(),
            list(history.train_loss), estimates)


@exercise
def check_training_loop(train_loop) -> str:
    """train_loop(model, train_data, val_data, max_iters, eval_interval, lr, batch_size, block_size, seed) -> (losses, estimates)."""
    c = _TRAIN_CASE
    n, every, lr, B, T, seed = c["n"], c["every"], c["lr"], c["B"], c["T"], c["seed"]
    g = torch.Generator().manual_seed(50)
    train_data = torch.randint(c["V"], (400,), generator=g)
    val_data = torch.randint(c["V"], (200,), generator=g)
    model = _bigram(c["V"], seed=51)
    out = call(train_loop, model, train_data, val_data, n, every, lr, B, T, seed, modifies=(0,),
               hint=_("each step: xb, yb = get_batch(train_data, batch_size, block_size, "
                      "generator=g); logits, loss = model(xb, yb); optimizer.zero_grad(); "
                      "loss.backward(); optimizer.step()"))
    _train, _val, start, want_w, want_losses, want_est = _training_reference()
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Mistake(_("return two things, (losses, estimates); got {value}").format(
            value=describe(out)))
    losses, estimates = out
    if isinstance(losses, torch.Tensor):
        losses = losses.tolist()
    if not isinstance(losses, (list, tuple)):
        raise Mistake(_("losses should be a list with one number per step, got {value}").format(
            value=describe(losses)))
    if any(isinstance(v, torch.Tensor) and v.requires_grad for v in losses):
        raise Mistake(_("losses holds tensors that keep their whole graph alive (memory grows "
                        "every step): append loss.item(), a plain number"))
    got_w = model.token_embedding_table.weight.detach()
    if torch.equal(got_w, start.token_embedding_table.weight):
        raise Mistake(_("the weights did not change: every step needs loss.backward() (the "
                        "gradients) and then optimizer.step() (the update), with "
                        "optimizer.zero_grad() before the backward, not between it and the "
                        "step"))
    if len(losses) != n:
        raise Mistake(_("for max_iters = {n} there should be {n} losses, one per step, got "
                        "{got} (off by one?)").format(n=n, got=len(losses)))
    losses = [as_number(v, _("each loss is one number: loss.item()")) for v in losses]
    same = (close(got_w, want_w, atol=1e-5)
            and close(torch.tensor(losses), torch.tensor(want_losses), atol=1e-5))
    if not same:
        name_the_mistake(got_w, ((_train_like(copy.deepcopy(start), train_data, n, lr, B, T,
                                              seed, variant)[1], message)
                                 for variant, message in _train_mistakes().items()),
                         same=lambda a, b: close(a, b, atol=1e-5))
        raise Mistake(_("after the same steps your weights differ from course_lib.train with "
                        "the same seed. Each step: a batch from get_batch(train_data, "
                        "batch_size, block_size, generator=g), model(xb, yb), "
                        "optimizer.zero_grad(), loss.backward(), optimizer.step(); AdamW made "
                        "once with lr=lr"))
    if not isinstance(estimates, dict):
        raise Mistake(_("estimates should be a dict {{step: estimate_loss(...)}}, got "
                        "{value}").format(value=describe(estimates)))
    steps = sorted(estimates) if all(is_int(k) for k in estimates) else None
    if steps != sorted(want_est):
        if steps and n not in steps and steps == sorted(want_est)[:-1]:
            raise Mistake(_("the last estimate is missing: after the loop, add "
                            "estimates[max_iters] = estimate_loss(...) (here step {n})").format(
                                n=n))
        raise Mistake(_("estimates should be taken before the steps 0, {every}, {twice}, ... "
                        "(step % eval_interval == 0) and once after the loop: steps "
                        "{want}, got {got}").format(
                            every=every, twice=2 * every, want=sorted(want_est),
                            got=steps if steps is not None else list(estimates)))
    for s in steps:
        e = estimates[s]
        if not isinstance(e, dict) or set(e) != {"train", "val"}:
            raise Mistake(_("estimates[{step}] should be what estimate_loss returns, a dict "
                            "{{'train': ..., 'val': ...}}; got {value}").format(
                                step=s, value=describe(e)))
        for k in ("train", "val"):
            if abs(as_number(e[k], _("a number")) - want_est[s][k]) > 1e-4:
                raise Mistake(_("estimates[{step}][{split}] is {got:.4f}, expected "
                                "{want:.4f}: call estimate_loss(model, train_data, "
                                "val_data, batch_size=batch_size, block_size=block_size) before "
                                "the step, when step % eval_interval == 0").format(
                                    step=s, split=repr(k), got=float(e[k]),
                                    want=want_est[s][k]))
    return _("{n} AdamW steps that match course_lib.train with the same seed, and loss "
             "estimates every {every} steps.").format(n=n, every=every)
