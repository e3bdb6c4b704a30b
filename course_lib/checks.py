"""Automatic checks for the exercises, one `check_*` function per exercise.

An exercise gives a stub that raises NotImplementedError. Its check answers in one of
three ways, and never raises:

    ⏳ not attempted yet   the stub is untouched (or returns None)
    ❌ <what is wrong>     a typical mistake, named (wrong shape, off by one, ...)
    ✅ <what is right>     the answer matches the reference on several inputs

If the learner's function raises, the check reports "your function raised X: ..." with a
hint. The tests in tests/test_checks.py prove that each check rejects typical wrong
answers with its message and accepts the solution.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import torch

ICONS = {"passed": "✅", "failed": "❌", "not_attempted": "⏳"}


@dataclass
class CheckResult:
    """The verdict of a check: `status` is "passed", "failed" or "not_attempted"."""
    name: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"{ICONS[self.status]} {self.name}: {self.message}"


class NotAttempted(Exception):
    """The learner's function is still the stub."""


class Mistake(Exception):
    """The learner's answer is wrong; the message says how."""


def call(fn, *args, hint: str = ""):
    """Call the learner's function, turning its exceptions into verdicts."""
    try:
        out = fn(*args)
    except NotImplementedError:
        raise NotAttempted from None
    except Exception as err:  # the learner's code may raise anything: report it, don't crash
        extra = f" Hint: {hint}" if hint else ""
        raise Mistake(f"your function raised {type(err).__name__}: {err}.{extra}") from None
    if out is None:
        raise NotAttempted
    return out


def exercise(checker):
    """Turn `checker(fn, ...) -> success message` into a check that returns a CheckResult."""
    name = checker.__name__

    @functools.wraps(checker)
    def check(fn, *args, **kwargs) -> CheckResult:
        if not callable(fn):
            return CheckResult(name, "failed",
                               f"pass your function itself, not its result: {name}(my_function), "
                               f"not {name}(my_function(...)); got a {type(fn).__name__}")
        try:
            message = checker(fn, *args, **kwargs)
        except NotAttempted:
            fname = getattr(fn, "__name__", "your function")
            return CheckResult(name, "not_attempted",
                               f"not attempted yet: fill in the TODO in `{fname}` (remove the "
                               f"`raise NotImplementedError`), then run this cell again.")
        except Mistake as err:
            return CheckResult(name, "failed", str(err))
        return CheckResult(name, "passed", message)

    return check


def expect_tensor(out, shape: tuple, what: str = "your result") -> torch.Tensor:
    """Fail with a clear message unless `out` is a tensor of `shape`."""
    if not isinstance(out, torch.Tensor):
        raise Mistake(f"{what} should be a torch.Tensor, got {type(out).__name__}")
    if tuple(out.shape) != tuple(shape):
        raise Mistake(f"{what} has shape {tuple(out.shape)}, expected {tuple(shape)}")
    return out


def close(a: torch.Tensor, b: torch.Tensor, atol: float = 1e-5, rtol: float = 1e-4) -> bool:
    return torch.allclose(a.float(), b.float(), atol=atol, rtol=rtol)


# ----------------------------------------------------------------------------- lesson 00

_SAMPLES = ["hello", "To be, or not to be", "\nROMEO.\nO!", "a"]


@exercise
def check_encode_decode(encode, decode, tokenizer) -> str:
    """encode(text) -> list of IDs and decode(ids) -> text, equal to the tokenizer's."""
    for text in _SAMPLES:
        ids = call(encode, text)
        if isinstance(ids, str):
            raise Mistake("encode returned a string; it should return a list of integers")
        ids = list(ids.tolist() if isinstance(ids, torch.Tensor) else ids)
        want = tokenizer.encode(text)
        if len(ids) != len(want):
            raise Mistake(f"encode({text!r}) gave {len(ids)} IDs; one per character is "
                          f"{len(want)}")
        if ids != want:
            if [i - 1 for i in ids] == want:
                raise Mistake("every ID is one too large: enumerate() counts from 0, so the "
                              "first character of the vocabulary has ID 0")
            raise Mistake(f"encode({text!r}) gave {ids[:8]}, expected {want[:8]}; look each "
                          f"character up in stoi")
        back = call(decode, want)
        if isinstance(back, list):
            raise Mistake("decode returned a list; join the characters into one string "
                          "with ''.join(...)")
        if back != text:
            raise Mistake(f"decode({want[:8]}...) gave {back!r}, expected {text!r}")
    return "encode and decode agree with the tokenizer, and decode(encode(s)) == s."


@exercise
def check_context_target_pairs(make_pairs, block_size: int = 8) -> str:
    """make_pairs(chunk) -> [(context, target), ...]: block_size examples from one chunk."""
    chunk = list(range(10, 10 + block_size + 1))          # block_size + 1 distinct tokens
    pairs = call(make_pairs, chunk)
    pairs = list(pairs)
    if len(pairs) != block_size:
        raise Mistake(f"a chunk of block_size + 1 = {block_size + 1} tokens holds {block_size} "
                      f"examples, you returned {len(pairs)} (off by one?)")
    for t, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise Mistake(f"each example should be a pair (context, target); item {t} is "
                          f"{pair!r}")
        context, target = list(pair[0]), pair[1]
        target = int(target)
        if context == chunk[:t] and target == chunk[t]:
            raise Mistake(f"example {t} has an empty or short context: the context of example t "
                          f"is chunk[:t+1] (it includes token t), the target is chunk[t+1]")
        if context != chunk[:t + 1]:
            raise Mistake(f"example {t}: context {context} should be chunk[:{t + 1}] = "
                          f"{chunk[:t + 1]}")
        if target != chunk[t + 1]:
            if target == chunk[t]:
                raise Mistake(f"example {t}: the target is the last token of the context; it "
                              f"should be the token after it, chunk[{t + 1}]")
            raise Mistake(f"example {t}: target {target} should be chunk[{t + 1}] = "
                          f"{chunk[t + 1]}")
    return f"{block_size} examples from one chunk: the context grows from 1 to {block_size} tokens."


# ----------------------------------------------------------------------------- lesson 03

def _as_float_tensor(out, what: str = "your result") -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise Mistake(f"{what} should be a torch.Tensor, got {type(out).__name__}")
    if not out.is_floating_point():
        raise Mistake(f"{what} has dtype {out.dtype}; probabilities are floats (torch.float32)")
    return out


def _rows_sum_to_one(p: torch.Tensor) -> bool:
    return close(p.sum(dim=-1), torch.ones(p.shape[:-1]), atol=1e-4)


def _some_other_dim_sums_to_one(p: torch.Tensor) -> bool:
    return any(close(p.sum(dim=d), torch.ones_like(p.sum(dim=d)), atol=1e-4)
               for d in range(p.dim() - 1))


@exercise
def check_stable_softmax(softmax) -> str:
    """softmax(logits) -> probabilities along the last dimension, safe for huge logits."""
    g = torch.Generator().manual_seed(0)
    cases = [torch.randn(3, 5, generator=g) * 2, torch.randn(2, 3, 7, generator=g)]
    for x in cases:
        x_before = x.clone()
        p = _as_float_tensor(call(softmax, x))
        if not torch.equal(x, x_before):
            raise Mistake("your function changed its input in place (e.g. with x -= ... or "
                          "x.sub_()); compute a new tensor, x - x.max(...), instead")
        expect_tensor(p, tuple(x.shape), "softmax(logits)")
        want = torch.softmax(x, dim=-1)
        if close(p, torch.log_softmax(x, dim=-1)):
            raise Mistake("you returned log-probabilities (log_softmax); return the "
                          "probabilities themselves: exp(x - max) / sum of exp(x - max)")
        if close(p, (x - x.max(dim=-1, keepdim=True).values).exp()) or \
                close(p, x.exp()):
            raise Mistake("the values are not normalised: divide exp(...) by its sum over the "
                          "last dimension so each row sums to 1")
        if not _rows_sum_to_one(p):
            if _some_other_dim_sums_to_one(p):
                raise Mistake("you normalised over the wrong dimension: each row (the last "
                              "dimension, dim=-1) must sum to 1; use sum(dim=-1, keepdim=True) "
                              "and max(dim=-1, keepdim=True)")
            raise Mistake(f"the rows do not sum to 1 (first row sums to "
                          f"{float(p.reshape(-1, p.shape[-1])[0].sum()):.4f})")
        if not close(p, want):
            raise Mistake("the rows sum to 1 but the values differ from softmax; compute "
                          "exp(x - max) / sum(exp(x - max)) along the last dimension")
    big = torch.tensor([[1000.0, 1001.0, 1002.0]])
    p = _as_float_tensor(call(softmax, big.clone()))
    if not torch.isfinite(p).all():
        raise Mistake("logits such as [1000, 1001, 1002] give nan or inf: exp(1000) overflows "
                      "float32. Subtract each row's max before exp: "
                      "x - x.max(dim=-1, keepdim=True).values")
    mixed = torch.tensor([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]])
    p = _as_float_tensor(call(softmax, mixed.clone()))
    if not torch.isfinite(p).all():
        raise Mistake("the row [-1000, -1001, -1002] gives nan when it sits under a row of "
                      "large logits: you subtracted one max for the whole tensor. Subtract "
                      "each row's own max (dim=-1, keepdim=True)")
    if not close(p, torch.softmax(mixed, dim=-1)):
        raise Mistake("large logits give a wrong answer; compare with torch.softmax(x, dim=-1)")
    return "equal to torch.softmax on every shape tried, and finite for logits of ±1000."


@exercise
def check_temperature_probs(probs_with_temperature) -> str:
    """probs_with_temperature(logits, T) -> softmax(logits / T); ValueError for T <= 0."""
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(2, 6, generator=g) * 2
    results = {}
    for T in (0.5, 1.0, 2.0):
        p = _as_float_tensor(call(probs_with_temperature, logits.clone(), T))
        expect_tensor(p, tuple(logits.shape), f"probs_with_temperature(logits, {T})")
        want = torch.softmax(logits / T, dim=-1)
        if T != 1.0 and close(p, torch.softmax(logits * T, dim=-1)):
            raise Mistake("you multiplied the logits by the temperature; divide them: "
                          "softmax(logits / T). A low T must sharpen the distribution")
        if T != 1.0 and close(p, torch.softmax(logits, dim=-1) / T):
            raise Mistake("you divided the probabilities by T, so the rows no longer sum to 1; "
                          "divide the logits by T, then apply softmax")
        if not _rows_sum_to_one(p):
            if _some_other_dim_sums_to_one(p):
                raise Mistake("softmax over the wrong dimension: each row (dim=-1) must sum to 1")
            raise Mistake(f"the rows do not sum to 1 at T = {T}; apply softmax after dividing "
                          f"the logits by T")
        results[T] = p
        if not close(p, want):
            if T != 1.0 and close(p, torch.softmax(logits, dim=-1)):
                raise Mistake("the temperature has no effect: divide the logits by it before "
                              "the softmax")
            raise Mistake(f"at T = {T} the probabilities differ from softmax(logits / T)")
    for bad in (0, -1.0):
        try:
            out = probs_with_temperature(logits.clone(), bad)
        except ValueError:
            continue
        except Exception as err:
            raise Mistake(f"temperature {bad} raised {type(err).__name__}; raise a ValueError "
                          f"with a message that says the temperature must be > 0") from None
        if isinstance(out, torch.Tensor) and not torch.isfinite(out).all():
            raise Mistake(f"temperature {bad} silently gave nan; raise a ValueError instead: "
                          f"check `if temperature <= 0` before dividing")
        raise Mistake(f"temperature {bad} was accepted; raise a ValueError for a temperature "
                      f"<= 0 (dividing by 0 makes no distribution)")
    return ("softmax(logits / T) at T = 0.5, 1 and 2, and a ValueError for T = 0 and "
            "T = -1.")


@exercise
def check_cross_entropy(cross_entropy) -> str:
    """cross_entropy(logits (N, C), targets (N,)) -> mean of -log softmax(logits)[target]."""
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(2)
    logits = torch.randn(6, 5, generator=g) * 2
    targets = torch.tensor([0, 3, 1, 1, 4, 2])
    loss = call(cross_entropy, logits.clone(), targets.clone())
    if not isinstance(loss, torch.Tensor):
        loss = torch.as_tensor(loss, dtype=torch.float32)
    if loss.numel() != 1:
        raise Mistake(f"return one number, the mean over the {len(targets)} examples; your result "
                      f"has shape {tuple(loss.shape)} (add .mean())")
    loss = loss.reshape(()).float()
    want = F.cross_entropy(logits, targets)
    logp = torch.log_softmax(logits, dim=-1)
    p = logp.exp()
    rows = torch.arange(len(targets))
    if close(loss, -want):
        raise Mistake("the loss is negative: cross-entropy is MINUS the log-probability of the "
                      "target, -log p(target)")
    if close(loss, want * len(targets)):
        raise Mistake("you summed over the examples; take the mean (like F.cross_entropy)")
    if close(loss, -p[rows, targets].mean()) or close(loss, (1 - p[rows, targets]).mean()):
        raise Mistake("you forgot the log: the loss is -log p(target), not -p(target)")
    if close(loss, -logp[rows, logits.argmax(-1)].mean()):
        raise Mistake("you took the probability of the most likely class; take the probability "
                      "of the target class: logp[torch.arange(N), targets]")
    if close(loss, F.cross_entropy(torch.softmax(logits, -1), targets)):
        raise Mistake("softmax was applied twice: F.cross_entropy expects logits, not "
                      "probabilities")
    if not close(loss, want):
        raise Mistake(f"your loss is {float(loss):.4f}, expected {float(want):.4f}; compute "
                      f"-log softmax(logits)[target] for each row, then the mean")
    big = torch.tensor([[0.0, -200.0], [0.0, 0.0]])
    big_targets = torch.tensor([1, 0])
    loss = call(cross_entropy, big.clone(), big_targets.clone())
    loss = torch.as_tensor(loss).float().reshape(())
    if not torch.isfinite(loss):
        raise Mistake("logits [0, -200] with target 1 give an infinite loss: softmax rounds "
                      "p = e^-200 to 0 in float32 and log(0) = -inf. Use torch.log_softmax (it "
                      "computes x - max - log(sum(exp(x - max)))) instead of log(softmax(x))")
    if not close(loss, F.cross_entropy(big, big_targets), atol=1e-3):
        raise Mistake("large logits give a wrong loss; use torch.log_softmax")
    return "equal to F.cross_entropy, and finite even when a target's probability is e^-200."


# ----------------------------------------------------------------------------- lesson 04

def _causal_reference(q: torch.Tensor, k: torch.Tensor, scale: float | None = None,
                      fill: float = float("-inf")) -> torch.Tensor:
    T, hs = q.shape[-2], q.shape[-1]
    scale = hs ** -0.5 if scale is None else scale
    mask = torch.tril(torch.ones(T, T, dtype=torch.bool))
    scores = (q @ k.transpose(-2, -1) * scale).masked_fill(~mask, fill)
    return torch.softmax(scores, dim=-1)


@exercise
def check_masked_average_weights(masked_average_weights) -> str:
    """masked_average_weights(T) -> (T, T): row t holds 1/(t+1) in columns 0..t, 0 after."""
    for T in (1, 4, 8):
        w = _as_float_tensor(call(masked_average_weights, T), f"masked_average_weights({T})")
        expect_tensor(w, (T, T), f"masked_average_weights({T})")
        want = torch.tril(torch.ones(T, T))
        want = want / want.sum(dim=1, keepdim=True)
        if torch.isnan(w).any():
            raise Mistake(f"masked_average_weights({T}) contains nan: row 0 has nothing to "
                          f"average if you drop the diagonal. Keep it: position t averages "
                          f"positions 0..t, itself included (torch.tril, not tril(diagonal=-1))")
        if (w.triu(diagonal=1).abs() > 1e-6).any():
            raise Mistake("some weights above the diagonal are not 0: position t takes from a "
                          "later position (the future). Use torch.tril to keep only columns "
                          "0..t")
        if (w.diagonal().abs() < 1e-6).any():
            raise Mistake("the diagonal is 0: each position must also average itself, so "
                          "column t of row t is 1/(t+1) (torch.tril keeps the diagonal)")
        if not close(w.sum(dim=1), torch.ones(T)):
            if close(w.sum(dim=0), torch.ones(T)):
                raise Mistake("the columns sum to 1, not the rows: you normalised over the wrong "
                              "dimension. Divide by w.sum(dim=1, keepdim=True)")
            raise Mistake(f"the rows should sum to 1, but row {T - 1} sums to "
                          f"{float(w[-1].sum()):.4f}: divide each row by its number of ones")
        if not close(w, want):
            raise Mistake(f"row t should hold 1/(t+1) in columns 0..t; for T = {T} you gave "
                          f"row {T - 1} = {[round(float(v), 3) for v in w[-1]]}")
    return "lower-triangular, the diagonal included, and every row averages positions 0..t."


@exercise
def check_causal_attention_weights(causal_attention_weights) -> str:
    """causal_attention_weights(q, k) -> (B, T, T) masked, scaled softmax weights."""
    g = torch.Generator().manual_seed(4)
    # 1. structure: with q = 0 every score is 0, so the right answer is the masked average
    #    (row t: 1/(t+1) in columns 0..t) whatever the scale; this isolates mask and dim
    B, T, hs = 2, 6, 16
    q0, k0 = torch.zeros(B, T, hs), torch.randn(B, T, hs, generator=g)
    w = _as_float_tensor(call(causal_attention_weights, q0.clone(), k0.clone()))
    expect_tensor(w, (B, T, T), "causal_attention_weights(q, k)")
    if torch.isnan(w).any():
        raise Mistake("the weights contain nan: a row where every score is -inf. Did your "
                      "mask exclude the diagonal? Row 0 must keep position 0 "
                      "(torch.tril(torch.ones(T, T)), not diagonal=-1)")
    if (w.diagonal(dim1=-2, dim2=-1).abs() < 1e-6).any():
        raise Mistake("the diagonal is 0: position t must also attend to itself; the mask "
                      "keeps columns 0..t, the diagonal included")
    if (w.triu(diagonal=1).abs() > 1e-6).any():
        q, k = torch.randn(B, T, hs, generator=g), torch.randn(B, T, hs, generator=g)
        w_random = call(causal_attention_weights, q.clone(), k.clone())
        if isinstance(w_random, torch.Tensor) and w_random.shape == (B, T, T) and \
                close(w_random, _causal_reference(q, k, fill=0.0)):
            raise Mistake("future positions get weight: you filled the masked scores with "
                          "0, but exp(0) = 1. Fill them with float('-inf')")
        raise Mistake("you forgot the causal mask: position t gives weight to later "
                      "positions. Before the softmax, set the scores above the diagonal to "
                      "-inf with masked_fill(tril == 0, float('-inf'))")
    if not close(w.sum(dim=-1), torch.ones(B, T), atol=1e-4):
        if close(w.sum(dim=-2), torch.ones(B, T), atol=1e-4):
            raise Mistake("softmax over the wrong dimension: the columns sum to 1. Use "
                          "softmax(..., dim=-1) so each row (one query position) sums to 1")
        raise Mistake("the rows do not sum to 1: apply the mask before the softmax (with "
                      "-inf), not after it")
    # 2. values: random queries and keys, two head sizes
    for B, T, hs in ((2, 6, 16), (1, 5, 64)):
        q = torch.randn(B, T, hs, generator=g)
        k = torch.randn(B, T, hs, generator=g)
        w = _as_float_tensor(call(causal_attention_weights, q.clone(), k.clone()))
        expect_tensor(w, (B, T, T), "causal_attention_weights(q, k)")
        if close(w, _causal_reference(q, k)):
            continue
        if close(w, _causal_reference(q, k, scale=1.0)):
            raise Mistake("you forgot the scale: multiply q @ k^T by head_size ** -0.5 (divide "
                          "by sqrt(head_size)) before the mask and softmax")
        if close(w, _causal_reference(q, k, scale=1.0 / hs)):
            raise Mistake("you divided by head_size; divide by its square root, sqrt(head_size)")
        if close(w, _causal_reference(q, k, scale=hs ** 0.5)):
            raise Mistake("you multiplied by sqrt(head_size); divide by it (head_size ** -0.5)")
        if close(w, _causal_reference(k, q)):
            raise Mistake("you computed k @ q^T: row t must use the query of position t, so the "
                          "scores are q @ k.transpose(-2, -1)")
        raise Mistake("the weights are masked and sum to 1 but differ from softmax(mask(q @ k^T "
                      "/ sqrt(head_size)))")
    return "causal (the diagonal included), scaled by 1/sqrt(head_size), rows summing to 1."


# ----------------------------------------------------------------------------- lesson 09

@exercise
def check_tokens_per_step(tokens_per_step) -> str:
    """tokens_per_step(batch_size, block_size, nproc): tokens one optimisation step sees."""
    for B, T, n in [(16, 64, 2), (12, 128, 1), (8, 256, 4), (1, 1, 3)]:
        got = call(tokens_per_step, B, T, n)
        want = B * T * n
        if got == want:
            continue
        if got == B * T:
            raise Mistake(f"for batch_size={B}, block_size={T}, nproc={n} you gave {got}: that is "
                          f"one process's share; every process sees its own batch, so multiply "
                          f"by nproc")
        if got == B * n:
            raise Mistake(f"you gave {got} = the number of sequences; each sequence holds "
                          f"block_size={T} tokens (one example per position)")
        raise Mistake(f"for batch_size={B}, block_size={T}, nproc={n} expected {want}, got {got}")
    return "tokens per step = batch_size x block_size x nproc."


@exercise
def check_steps_per_epoch(steps_per_epoch) -> str:
    """steps_per_epoch(n_tokens, batch_size, block_size, nproc): steps to see n_tokens once."""
    for N, B, T, n in [(1_000_000, 16, 64, 2), (1000, 10, 10, 1), (1001, 10, 10, 1),
                       (5000, 4, 32, 3)]:
        got = call(steps_per_epoch, N, B, T, n)
        want = -(-N // (B * T * n))
        if got == want and isinstance(got, int):
            continue
        if isinstance(got, float):
            raise Mistake(f"you returned a float ({got}); a number of steps is a whole number: "
                          f"round up with math.ceil or -(-a // b)")
        if got == N // (B * T * n):
            raise Mistake(f"for {N} tokens and {B * T * n} tokens per step you gave {got}: "
                          f"rounding down leaves the last {N % (B * T * n)} tokens unseen, round up")
        if got == -(-N // (B * T)):
            raise Mistake(f"you gave {got}: with {n} processes each step sees {n} batches, divide "
                          f"by nproc too")
        raise Mistake(f"for n_tokens={N}, batch_size={B}, block_size={T}, nproc={n} expected "
                      f"{want}, got {got}")
    return "steps per epoch = ceil(n_tokens / (batch_size x block_size x nproc))."
