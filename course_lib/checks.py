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


# ----------------------------------------------------------------------------- lesson 01

def _as_number(out, hint: str) -> float:
    """The learner's result as a float; a Mistake (with `hint`) if it is not one number."""
    if isinstance(out, torch.Tensor):
        if out.numel() != 1:
            raise Mistake(f"your result has shape {tuple(out.shape)}; {hint}")
        out = out.item()
    try:
        return float(out)
    except (TypeError, ValueError):
        raise Mistake(f"your function returned {out!r}; return a number") from None


def _one_hot_cases():
    g = torch.Generator().manual_seed(0)
    weight = torch.randn(7, 3, generator=g)
    # the largest ID (4) is below V - 1 = 6, so F.one_hot without num_classes is too narrow
    return weight, [torch.tensor([3, 0, 4, 3]), torch.tensor([6, 1])]


@exercise
def check_one_hot_embed(one_hot_embed) -> str:
    """one_hot_embed(ids, weight) -> (T, D): the one-hot rows (T, V) times weight (V, D)."""
    weight, cases = _one_hot_cases()
    V, D = weight.shape
    hint = ("F.one_hot gives integers, so convert with .float() before the product, and give "
            "num_classes=weight.shape[0] (otherwise it guesses V from the largest ID)")
    for ids in cases:
        T = len(ids)
        out = call(one_hot_embed, ids, weight, hint=hint)
        if not isinstance(out, torch.Tensor):
            raise Mistake(f"your function returned a {type(out).__name__}; return a tensor")
        if tuple(out.shape) == (D, T) and T != D:
            raise Mistake(f"your result has shape {tuple(out.shape)}, the transpose of (T, D) = "
                          f"{(T, D)}: one row per token. Compute one_hot (T, V) @ weight (V, D)")
        if tuple(out.shape) == (T, V):
            raise Mistake("you returned the one-hot matrix itself (T, V); multiply it by weight")
        if tuple(out.shape) != (T, D):
            raise Mistake(f"for {T} IDs and a weight of shape {(V, D)} the result should have "
                          f"shape {(T, D)}, got {tuple(out.shape)}")
        if not close(out, weight[ids]):
            raise Mistake("the shape is right but the values are not the rows of weight for "
                          "these IDs; one_hot(ids) @ weight picks row ids[t] for token t")
    return "one_hot(ids) @ weight gives exactly the rows weight[ids]: a lookup is a matrix product."


@exercise
def check_cosine_similarity(cosine_similarity) -> str:
    """cosine_similarity(a, b) -> a number: a.b / (|a| |b|) for two 1-D vectors."""
    a, b = torch.tensor([3.0, 4.0, 0.0]), torch.tensor([1.0, 2.0, 2.0])   # |a| = 5, |b| = 3
    g = torch.Generator().manual_seed(1)
    cases = [(a, b), (torch.randn(16, generator=g), 4 * torch.randn(16, generator=g)),
             (a, -2 * a)]
    for x, y in cases:
        out = _as_number(call(cosine_similarity, x, y),
                         "cosine similarity is one number: sum the products a * b before dividing")
        dot, na, nb = float(x @ y), float(x.norm()), float(y.norm())
        want = dot / (na * nb)
        wrong = {
            "you returned the dot product a·b: divide it by the lengths |a| and |b|": dot,
            "you divided by the squared lengths; divide by the lengths themselves (the square "
            "root of the sum of squares, x.norm())": dot / (na ** 2 * nb ** 2),
            "you divided by one length only; divide by both |a| and |b|": [dot / na, dot / nb],
            "you returned 1 - cos, the cosine distance; return the similarity itself": 1 - want,
        }
        if abs(out - want) < 1e-4:
            continue
        for message, values in wrong.items():
            if any(abs(out - v) < 1e-4 for v in (values if isinstance(values, list) else [values])):
                raise Mistake(message)
        raise Mistake(f"cosine_similarity({x.tolist()[:3]}..., {y.tolist()[:3]}...) gave "
                      f"{out:.4f}, expected {want:.4f}")
    return "a·b / (|a| |b|): 1 for the same direction, -1 for opposite, and length does not matter."


@exercise
def check_most_similar(most_similar) -> str:
    """most_similar(query, vectors, k) -> the k row indices most cosine-similar, best first."""
    query = torch.tensor([1.0, 0.0])
    # row 0 is long but at 45 degrees: the dot product ranks it first, cosine does not
    vectors = torch.tensor([[10.0, 10.0], [1.0, 0.1], [0.0, 1.0], [-1.0, 0.0], [2.0, -0.5]])
    want = [1, 4, 0]
    g = torch.Generator().manual_seed(2)
    big, q2 = torch.randn(50, 8, generator=g), torch.randn(8, generator=g)
    sims = (big @ q2) / (big.norm(dim=1) * q2.norm())
    cases = [(query, vectors, 3, want), (q2, big, 5, torch.argsort(sims, descending=True)[:5].tolist())]
    for q, vs, k, expected in cases:
        out = call(most_similar, q, vs, k)
        if isinstance(out, torch.Tensor):
            if out.is_floating_point():
                raise Mistake("your function returned floats; return the row indices (integers) "
                              "of the most similar vectors, not their similarities")
            out = out.tolist()
        out = list(out)
        if any(isinstance(i, float) for i in out):
            raise Mistake("your function returned floats; return the row indices (integers)")
        if len(out) != k:
            raise Mistake(f"asked for k={k} indices, got {len(out)}")
        if out == expected:
            continue
        if out == torch.topk(vs @ q, k).indices.tolist():
            raise Mistake("you ranked by the dot product, so long vectors win (row [10, 10] came "
                          "first). Divide by the lengths (cosine similarity) first")
        all_sorted = torch.argsort((vs @ q) / (vs.norm(dim=1) * q.norm())).tolist()
        if out == all_sorted[:k]:
            raise Mistake("you returned the least similar rows first; sort in descending order "
                          "(torch.topk, or argsort(descending=True))")
        raise Mistake(f"most_similar gave {out}, expected {expected}")
    return "the k nearest rows by cosine similarity, most similar first."


# ----------------------------------------------------------------------------- lesson 02

@exercise
def check_bigram_counts(bigram_counts) -> str:
    """bigram_counts(data, vocab_size) -> (V, V): counts[i, j] = how often j follows i."""
    g = torch.Generator().manual_seed(3)
    cases = [(torch.tensor([0, 1, 1, 2, 0, 1]), 4), (torch.randint(0, 5, (200,), generator=g), 6)]
    for data, V in cases:
        want = torch.zeros(V, V, dtype=torch.long)
        for i, j in zip(data[:-1].tolist(), data[1:].tolist()):
            want[i, j] += 1
        out = call(bigram_counts, data, V)
        out = expect_tensor(out, (V, V), f"the count matrix for vocab_size={V}")
        sums = out.float().sum(dim=1)
        if out.is_floating_point() and close(sums[sums > 0], torch.ones_like(sums[sums > 0])):
            raise Mistake("your rows sum to 1: those are probabilities. Return the raw counts "
                          "(normalising comes next)")
        if torch.equal(out.long(), want):
            continue
        if torch.equal(out.long(), want.T):
            raise Mistake("your matrix is transposed: the row is the current token and the "
                          "column the next one, counts[data[t], data[t + 1]]")
        total, pairs = int(out.sum()), len(data) - 1
        if total != pairs:
            raise Mistake(f"your counts add up to {total}, but a text of {len(data)} tokens "
                          f"holds {pairs} pairs (each token with the one after it; off by one?)")
        raise Mistake(f"the counts differ from the expected ones at "
                      f"{(out.long() != want).nonzero()[0].tolist()} (row = current, column = next)")
    return "counts[i, j] = how many times token j follows token i, over all N - 1 pairs."


@exercise
def check_counting_loss(counting_loss) -> str:
    """counting_loss(probs, data) -> the mean of -ln probs[data[t], data[t+1]] (a number)."""
    g = torch.Generator().manual_seed(4)
    probs = torch.softmax(torch.randn(5, 5, generator=g), dim=1)
    data = torch.randint(0, 5, (40,), generator=g)
    logp = probs[data[:-1], data[1:]].log()
    want = float(-logp.mean())
    out = _as_number(call(counting_loss, probs, data),
                     "the loss is one number, the mean over all pairs")
    if abs(out - want) < 1e-4:
        return "the mean negative log-likelihood of every (current, next) pair."
    wrong = [
        (-want, "your loss is negative: the loss is minus the mean log-probability, -ln p"),
        (want * (len(data) - 1), "that is the sum over the pairs; take the mean"),
        (float(-probs[data[1:], data[:-1]].log().mean()),
         "you looked up probs[next, current]; the row is the current token: "
         "probs[data[t], data[t + 1]]"),
        (float(-logp.mean() / torch.log(torch.tensor(10.0))),
         "you used log base 10; cross-entropy uses the natural log (torch.log)"),
        (float(-logp.mean() / torch.log(torch.tensor(2.0))),
         "you used log base 2; cross-entropy uses the natural log (torch.log)"),
    ]
    for value, message in wrong:
        if abs(out - value) < 1e-4:
            raise Mistake(message)
    raise Mistake(f"your loss is {out:.4f}, expected {want:.4f}")


@exercise
def check_flatten_for_cross_entropy(flatten) -> str:
    """flatten(logits (B, T, C), targets (B, T)) -> ((B*T, C), (B*T,)), rows still matching."""
    import torch.nn.functional as F
    g = torch.Generator().manual_seed(5)
    B, T, C = 2, 3, 5
    logits = torch.randn(B, T, C, generator=g)
    targets = torch.randint(0, C, (B, T), generator=g)
    out = call(flatten, logits, targets)
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Mistake("return two things: (logits of shape (B*T, C), targets of shape (B*T,))")
    lg, tg = out
    if not isinstance(lg, torch.Tensor) or not isinstance(tg, torch.Tensor):
        raise Mistake("both results should be tensors")
    if tuple(lg.shape) != (B * T, C):
        raise Mistake(f"the logits have shape {tuple(lg.shape)}, expected (B*T, C) = "
                      f"{(B * T, C)}: one row of C scores per position")
    if tuple(tg.shape) != (B * T,):
        raise Mistake(f"the targets have shape {tuple(tg.shape)}, expected (B*T,) = "
                      f"{(B * T,)}: one class index per position (flatten them too)")
    want = F.cross_entropy(logits.view(B * T, C), targets.view(B * T))
    if not close(F.cross_entropy(lg, tg), want):
        raise Mistake("the shapes are right but rows of logits and targets no longer belong to "
                      "the same position: flatten both the same way (logits.view(B*T, C) and "
                      "targets.view(B*T)), without transposing one of them")
    return "(B, T, C) -> (B*T, C) and (B, T) -> (B*T,): every position is one example for cross-entropy."


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
