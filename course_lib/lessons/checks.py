"""Automatic checks for the exercises, one `check_*` function per exercise.

An exercise gives a stub that raises NotImplementedError. Its check answers in one of
four ways, and never raises:

    ⏳ not attempted yet   the stub is untouched (or returns None)
    ❌ <what is wrong>     a typical mistake, named (wrong shape, off by one, ...)
    ⌛ <ran too long>      the learner's function ran past its time limit and was stopped
    ✅ <what is right>     the answer matches the reference on several inputs

Every call of learner code goes through `call` (or `attempt`), which runs it in the
sandbox of sandbox.py: a time limit, a memory limit, generators read with a cap, copies of
the inputs (changing one is reported), sys.exit() caught, the random state restored. What
learner code prints during one check is capped at OUTPUT_LIMIT characters. If the
learner's function raises, the check reports "your function raised X: ..." with a hint. If
the check itself cannot use what the function returned, the verdict says so (❌), naming
what came back and what the exercise asks for. The tests in tests/test_checks.py prove
that each check rejects typical wrong answers with its message and accepts the solution.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import torch

from . import sandbox
from .sandbox import describe

ICONS = {"passed": "✅", "failed": "❌", "not_attempted": "⏳", "timed_out": "⌛"}

# When this environment variable names a file, every check appends its verdict to it as one
# JSON line {"name", "status", "message", "function"} ("function": the __name__ of what the
# check was given): `python -m course_lib.grade` reads them.
CHECK_LOG_ENV = "COURSE_CHECK_LOG"

# The limits on one call of learner code (tests lower them to stay fast).
TIME_LIMIT_S = 10.0              # seconds per call (a check may pass its own `seconds`)
MEMORY_LIMIT = 1 << 30           # bytes the kernel may grow by during one call (1 GiB)
MAX_ITEMS = 100_000              # items read from a generator that the learner returns
MAX_RESULT_BYTES = 64 << 20      # a returned tensor or list larger than this is refused
OUTPUT_LIMIT = 5_000             # characters learner code may print during one check


@dataclass
class CheckResult:
    """The verdict of a check: `status` is "passed", "failed", "not_attempted" or "timed_out"."""
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


class TimedOut(Exception):
    """The learner's function ran past its time limit."""


class Shortcut(Exception):
    """Raised by a check's stand-in object when the learner's code calls the very thing the
    exercise asks them to write (a model's own forward, say); its message says so."""


# what the last call returned, so a check that cannot use it can say what it was
_last = {"value": None, "set": False}


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB" if n >= 2**20 else f"{n / 2**10:,.0f} KB"


def attempt(fn, *args, seconds: float | None = None, modifies: tuple[int, ...] = ()
            ) -> sandbox.Outcome:
    """Run the learner's `fn(*args)` in the sandbox and return what happened.

    For checks that expect an exception (a temperature of 0 must raise ValueError). A
    limit that was hit, a changed input or sys.exit() is already turned into a verdict
    here; an ordinary exception is left in `outcome.error` for the check to judge.
    """
    seconds = TIME_LIMIT_S if seconds is None else seconds
    out = sandbox.run(fn, args, seconds=seconds, memory_bytes=MEMORY_LIMIT, max_items=MAX_ITEMS,
                      modifies=modifies)
    if out.stopped == "time":
        raise TimedOut(f"your function ran for more than {seconds:g} s and was stopped. Does "
                       f"a loop never end (a `while` whose condition never becomes False, a "
                       f"generator without an end)? Each call here should take well under a "
                       f"second")
    if out.stopped == "memory":
        raise Mistake(f"your function used more than {_mb(MEMORY_LIMIT)} of memory and was "
                      f"stopped. Does it build something much larger than the inputs, or keep "
                      f"appending in a loop that never ends?")
    if out.stopped == "items":
        raise Mistake(f"your function returned a generator (or iterator) that gave more than "
                      f"{MAX_ITEMS:,} items, so the check stopped reading it. Does it ever "
                      f"stop? Return a list instead")
    if isinstance(out.error, SystemExit):
        raise Mistake("your function called sys.exit() (or exit()), which would end the "
                      "program; a function gives its answer with `return`")
    if out.modified:
        names = " and ".join(out.modified)
        raise Mistake(f"your function changed its input {names} in place (for example with "
                      f"`x -= ...`, `x[...] = ...`, `x.sub_(...)` or `.append`): the caller's "
                      f"data would be changed too. Compute a new value instead (`y = x - ...`)")
    if out.error is None:
        size = sandbox.size_in_bytes(out.value, MAX_ITEMS)
        if size > MAX_RESULT_BYTES:
            raise Mistake(f"your function returned {describe(out.value)}, about {_mb(size)}: "
                          f"far larger than this exercise's answer. Check the shapes")
        _last.update(value=out.value, set=True)
    return out


def call(fn, *args, hint: str = "", seconds: float | None = None,
         modifies: tuple[int, ...] = ()):
    """Call the learner's function in the sandbox, turning whatever goes wrong into a verdict.

    Returns what the function returned (a generator already read into a list). Raises
    NotAttempted for the stub (or None), Mistake for an exception or a broken limit, and
    TimedOut when it ran too long.
    """
    out = attempt(fn, *args, seconds=seconds, modifies=modifies)
    if isinstance(out.error, NotImplementedError):
        raise NotAttempted
    if isinstance(out.error, Shortcut):
        raise Mistake(str(out.error))
    if out.error is not None:
        err = out.error
        extra = f" Hint: {hint}" if hint else ""
        raise Mistake(f"your function raised {type(err).__name__}: {err}.{extra}")
    if out.value is None:
        raise NotAttempted("returned None")
    return out.value


def exercise(checker):
    """Turn `checker(fn, ...) -> success message` into a check that returns a CheckResult."""
    name = checker.__name__

    @functools.wraps(checker)
    def check(fn=None, *args, **kwargs) -> CheckResult:
        try:
            inspect.signature(checker).bind(fn, *args, **kwargs)
        except TypeError as err:
            params = str(inspect.signature(checker)).split(" ->")[0]
            return _logged(CheckResult(name, "failed", f"{name} was called with the wrong "
                                                       f"arguments ({err}); call it as "
                                                       f"{name}{params}"))
        if not callable(fn):
            return _logged(CheckResult(
                name, "failed", f"pass your function itself, not its result: {name}(my_function), "
                                f"not {name}(my_function(...)); got {describe(fn)}"))
        threads = torch.get_num_threads()
        torch.set_num_threads(1)     # a check's tensors are tiny: one thread never waits for another
        try:
            with sandbox.capped_output(OUTPUT_LIMIT) as printed:
                result = _verdict(checker, fn, *args, **kwargs)
        finally:
            torch.set_num_threads(threads)
        if printed["cut"]:
            print(("" if printed["newline"] else "\n") + f"[your code printed {printed['cut'] + OUTPUT_LIMIT:,} characters; only the "
                  f"first {OUTPUT_LIMIT:,} are shown, {printed['cut']:,} were cut]")
        return _logged(result, fn)

    return check


def _verdict(checker, fn, *args, **kwargs) -> CheckResult:
    name = checker.__name__
    _last.update(value=None, set=False)
    try:
        message = checker(fn, *args, **kwargs)
    except NotAttempted as why:
        fname = getattr(fn, "__name__", "your function")
        if str(why) == "returned None":
            return CheckResult(name, "not_attempted",
                               f"not attempted yet: `{fname}` returned None. Fill in the TODO "
                               f"and end the function with `return ...`, then run this cell "
                               f"again.")
        return CheckResult(name, "not_attempted",
                           f"not attempted yet: fill in the TODO in `{fname}` (remove the "
                           f"`raise NotImplementedError`), then run this cell again.")
    except Mistake as err:
        return CheckResult(name, "failed", str(err))
    except TimedOut as err:
        return CheckResult(name, "timed_out", str(err))
    except KeyboardInterrupt:
        raise
    except Exception as err:  # noqa: BLE001 - the check could not use the learner's result
        wanted = (checker.__doc__ or "").strip().splitlines()[0] if checker.__doc__ else ""
        got = describe(_last["value"]) if _last["set"] else "something"
        return CheckResult(name, "failed",
                           f"the check could not use what your function returned ({got}): "
                           f"{type(err).__name__}: {err}. The exercise asks for: {wanted}")
    return CheckResult(name, "passed", message)


def _logged(result: CheckResult, fn=None) -> CheckResult:
    """Append the verdict to the file named by $COURSE_CHECK_LOG, if it is set."""
    path = os.environ.get(CHECK_LOG_ENV)
    if path:
        record = asdict(result) | {"function": str(getattr(fn, "__name__", ""))[:200]}
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    return result


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


def _is_int(value) -> bool:
    """A whole number of an integer type: int, numpy integer or an integer 0-d tensor."""
    if isinstance(value, torch.Tensor):
        return value.dim() == 0 and not value.is_floating_point() and value.dtype != torch.bool
    return not isinstance(value, bool) and hasattr(value, "__index__")


def _id_list(ids, what: str) -> list[int]:
    """The learner's token IDs as a list of ints, or a Mistake that says what they were."""
    if isinstance(ids, str):
        raise Mistake(f"{what} returned a string; it should return a list of integers (IDs)")
    if isinstance(ids, torch.Tensor):
        ids = ids.tolist()
    elif hasattr(ids, "tolist") and type(ids).__module__ == "numpy":
        ids = ids.tolist()
    if _is_int(ids) or isinstance(ids, float):
        raise Mistake(f"{what} returned one number ({ids!r}); it should return a list with "
                      f"one ID per character")
    if not isinstance(ids, (list, tuple)):
        raise Mistake(f"{what} returned {describe(ids)}; it should return a list of integers")
    if ids and all(isinstance(i, str) for i in ids):
        raise Mistake(f"{what} returned characters ({ids[:3]}...), not IDs: look each one "
                      f"up in stoi")
    if not all(_is_int(i) for i in ids):
        bad = next(i for i in ids if not _is_int(i))
        raise Mistake(f"{what} returned {describe(bad)} among the IDs; every ID is an int "
                      f"(stoi[c] already is one)")
    return [int(i) for i in ids]


@exercise
def check_encode_decode(encode, decode, tokenizer) -> str:
    """encode(text) -> list of IDs and decode(ids) -> text, equal to the tokenizer's."""
    for text in _SAMPLES:
        ids = _id_list(call(encode, text, hint="look each character up in stoi: "
                                               "[stoi[c] for c in s]"), "encode")
        want = tokenizer.encode(text)
        if len(ids) != len(want):
            raise Mistake(f"encode({text!r}) gave {len(ids)} IDs; one per character is "
                          f"{len(want)}")
        if ids != want:
            if [i - 1 for i in ids] == want:
                raise Mistake("every ID is one too large: enumerate() counts from 0, so the "
                              "first character of the vocabulary has ID 0")
            if ids == [ord(c) for c in text]:
                raise Mistake("you used ord(c), the character's number in Unicode; the ID is "
                              "the character's position in the sorted vocabulary: stoi[c]")
            if ids == want[::-1]:
                raise Mistake(f"encode({text!r}) gave the IDs in reverse order; keep the "
                              f"order of the characters")
            raise Mistake(f"encode({text!r}) gave {ids[:8]}, expected {want[:8]}; look each "
                          f"character up in stoi")
        back = call(decode, list(want), hint="look each ID up in itos (integer to string), "
                                             "then join: ''.join(itos[i] for i in ids)")
        if isinstance(back, (list, tuple)):
            raise Mistake("decode returned a list; join the characters into one string "
                          "with ''.join(...)")
        if not isinstance(back, str):
            raise Mistake(f"decode returned {describe(back)}; it should return a string")
        if back != text:
            if len(text) > 1 and back in (" ".join(text), ",".join(text)):
                raise Mistake(f"decode({want[:8]}...) gave {back!r}: you joined the "
                              f"characters with a separator; join with '' (the empty string)")
            raise Mistake(f"decode({want[:8]}...) gave {back!r}, expected {text!r}")
    return "encode and decode agree with the tokenizer, and decode(encode(s)) == s."


@exercise
def check_context_target_pairs(make_pairs, block_size: int = 8) -> str:
    """make_pairs(chunk) -> [(context, target), ...]: block_size examples from one chunk."""
    chunk = list(range(10, 10 + block_size + 1))          # block_size + 1 distinct tokens
    pairs = call(make_pairs, chunk, hint="the last example has t = len(chunk) - 2, so loop "
                                         "over range(len(chunk) - 1)")
    if isinstance(pairs, dict):
        raise Mistake("you returned a dict; return a list of (context, target) pairs")
    if isinstance(pairs, torch.Tensor) or not isinstance(pairs, (list, tuple)):
        raise Mistake(f"you returned {describe(pairs)}; return a list of (context, target) "
                      f"pairs")
    if len(pairs) != block_size:
        raise Mistake(f"a chunk of block_size + 1 = {block_size + 1} tokens holds {block_size} "
                      f"examples, you returned {len(pairs)} (off by one?)")
    for t, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise Mistake(f"each example should be a pair (context, target); item {t} is "
                          f"{pair!r}")
        context, target = pair
        if _is_int(context):
            raise Mistake(f"example {t} is ({int(context)}, {target}): a pair of single "
                          f"tokens. The context is every token up to position t, a list "
                          f"chunk[:t + 1]; the target is the token after it, chunk[t + 1]")
        if isinstance(context, torch.Tensor):
            context = context.tolist()
        if not isinstance(context, (list, tuple)):
            raise Mistake(f"example {t}: the context should be a list of IDs, got "
                          f"{describe(context)}")
        context = list(context)
        if isinstance(target, torch.Tensor) and target.numel() == 1:
            target = target.reshape(()).item()
        if not _is_int(target):
            raise Mistake(f"example {t}: the target should be one token ID (an int), got "
                          f"{describe(target)}: chunk[t + 1], not chunk[t + 1:]")
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
    if isinstance(out, (str, bytes, bool)) or isinstance(out, complex):
        raise Mistake(f"your function returned {describe(out)}; return a number")
    try:
        return float(out)
    except (TypeError, ValueError):
        raise Mistake(f"your function returned {describe(out)}; return a number") from None


# autograd operations that read rows of a tensor directly: a lookup, not a product
_LOOKUP_OPS = {"IndexBackward0", "EmbeddingBackward0", "IndexSelectBackward0", "SelectBackward0",
               "GatherBackward0", "UnbindBackward0", "EmbeddingBagBackward0", "TakeBackward0"}


def _ops_on_inputs(out, direct: bool = True) -> set[str]:
    """Names of the autograd operations that made `out`: with direct=True only those applied
    directly to an input that requires grad (a lookup, a product, ...), else all of them."""
    names, seen, stack = set(), set(), [getattr(out, "grad_fn", None)]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if not direct:
            names.add(type(node).__name__)
        for child, _ in node.next_functions:
            if child is None:
                continue
            if type(child).__name__ == "AccumulateGrad":
                names.add(type(node).__name__)
            else:
                stack.append(child)
    return names


def _one_hot_cases():
    g = torch.Generator().manual_seed(0)
    weight = torch.randn(7, 3, generator=g)
    # the largest ID (4) is below V - 1 = 6, so F.one_hot without num_classes is too narrow
    return weight, [torch.tensor([3, 0, 4, 3]), torch.tensor([6, 1])]


@exercise
def check_one_hot_embed(one_hot_embed) -> str:
    """one_hot_embed(ids, weight) -> (T, D): the one-hot rows (T, V) times weight (V, D)."""
    weight, cases = _one_hot_cases()
    weight.requires_grad_(True)          # autograd then records how the result was made
    V, D = weight.shape
    hint = ("F.one_hot gives integers, so convert with .float() before the product, and give "
            "num_classes=weight.shape[0] (otherwise it guesses V from the largest ID)")
    for ids in cases:
        T = len(ids)
        with torch.enable_grad():
            out = call(one_hot_embed, ids, weight, hint=hint)
        if not isinstance(out, torch.Tensor):
            raise Mistake(f"your function returned {describe(out)}; return a tensor")
        if tuple(out.shape) == (D, T) and T != D:
            raise Mistake(f"your result has shape {tuple(out.shape)}, the transpose of (T, D) = "
                          f"{(T, D)}: one row per token. Compute one_hot (T, V) @ weight (V, D)")
        if tuple(out.shape) == (T, V):
            raise Mistake("you returned the one-hot matrix itself (T, V); multiply it by weight")
        if tuple(out.shape) != (T, D):
            raise Mistake(f"for {T} IDs and a weight of shape {(V, D)} the result should have "
                          f"shape {(T, D)}, got {tuple(out.shape)}")
        if not close(out.detach(), weight.detach()[ids]):
            raise Mistake("the shape is right but the values are not the rows of weight for "
                          "these IDs; one_hot(ids) @ weight picks row ids[t] for token t")
        lookups = _ops_on_inputs(out) & _LOOKUP_OPS
        if lookups:
            raise Mistake("you looked the rows up directly (weight[ids], F.embedding or "
                          "index_select): right values, but the exercise is to get them by a "
                          "matrix product, F.one_hot(ids, num_classes=V).float() @ weight")
    return "one_hot(ids) @ weight gives exactly the rows weight[ids]: a lookup is a matrix product."


@exercise
def check_cosine_similarity(cosine_similarity) -> str:
    """cosine_similarity(a, b) -> a number: a.b / (|a| |b|) for two 1-D vectors."""
    a, b = torch.tensor([3.0, 4.0, 0.0]), torch.tensor([1.0, 2.0, 2.0])   # |a| = 5, |b| = 3
    g = torch.Generator().manual_seed(1)
    cases = [(a, b), (torch.randn(16, generator=g), 4 * torch.randn(16, generator=g)),
             (a, -2 * a)]
    hint = "for two 1-D vectors, F.cosine_similarity needs dim=0"
    for x, y in cases:
        out = _as_number(call(cosine_similarity, x, y, hint=hint),
                         "cosine similarity is one number: sum the products a * b before dividing")
        dot, na, nb = float(x @ y), float(x.norm()), float(y.norm())
        want = dot / (na * nb)
        wrong = {
            "you returned the dot product a·b: divide it by the lengths |a| and |b|": dot,
            "you divided by the squared lengths; divide by the lengths themselves (the square "
            "root of the sum of squares, x.norm())": dot / (na ** 2 * nb ** 2),
            "you divided by one length only; divide by both |a| and |b|": [dot / na, dot / nb],
            "a @ b / a.norm() * b.norm() divides by |a| and then MULTIPLIES by |b|: put the "
            "product in parentheses, a @ b / (a.norm() * b.norm())": [dot / na * nb, dot / nb * na],
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
        out = call(most_similar, q, vs, k, hint="cosine similarity of every row: (vectors @ "
                                                "query) / (vectors.norm(dim=1) * query.norm())")
        if isinstance(out, torch.Tensor):
            if out.is_floating_point():
                raise Mistake("your function returned floats; return the row indices (integers) "
                              "of the most similar vectors, not their similarities")
            out = out.tolist()
        if _is_int(out):
            raise Mistake(f"your function returned one index ({int(out)}); return the k = {k} "
                          f"best indices, most similar first (torch.topk(sims, k).indices), "
                          f"not only the best one")
        if not isinstance(out, (list, tuple)):
            raise Mistake(f"your function returned {describe(out)}; return the k row indices "
                          f"as a list or a tensor of integers")
        out = list(out)
        if any(isinstance(i, float) for i in out):
            raise Mistake("your function returned floats; return the row indices (integers)")
        if not all(_is_int(i) for i in out):
            raise Mistake(f"return the k row indices as integers, got {out[:3]}...")
        out = [int(i) for i in out]
        if len(out) != k:
            raise Mistake(f"asked for k={k} indices, got {len(out)}")
        if out == expected:
            continue
        if out == torch.topk(vs @ q, k).indices.tolist():
            raise Mistake("you ranked by the dot product, so long vectors win (row [10, 10] came "
                          "first). Divide by the lengths (cosine similarity) first")
        if out == torch.topk(-(vs - q).norm(dim=1), k).indices.tolist():
            raise Mistake("you ranked by the Euclidean distance |row - query|; the exercise "
                          "asks for the highest cosine similarity, which ignores the lengths")
        all_sorted = torch.argsort((vs @ q) / (vs.norm(dim=1) * q.norm())).tolist()
        if out == all_sorted[:k]:
            raise Mistake("you returned the least similar rows first; sort in descending order "
                          "(torch.topk, or argsort(descending=True))")
        raise Mistake(f"most_similar gave {out}, expected {expected}")
    return "the k nearest rows by cosine similarity, most similar first."


# ----------------------------------------------------------------------------- lesson 02

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
        out = call(bigram_counts, data, V, hint="a (vocab_size, vocab_size) tensor: "
                                                "torch.zeros(vocab_size, vocab_size, dtype=torch.long)")
        out = expect_tensor(out, (V, V), f"the count matrix for vocab_size={V}")
        if out.dtype == torch.bool or out.is_complex():
            raise Mistake(f"your counts have dtype {out.dtype}; counts are whole numbers "
                          f"(torch.long)")
        sums = out.double().sum(dim=1)
        if out.is_floating_point() and close(sums[sums > 0], torch.ones_like(sums[sums > 0])):
            raise Mistake("your rows sum to 1: those are probabilities. Return the raw counts "
                          "(normalising comes next)")
        exact = out.is_floating_point() is False or bool((out == out.round()).all())
        if exact and torch.equal(out.long(), want.T) and not torch.equal(want, want.T):
            raise Mistake("your matrix is transposed: the row is the current token and the "
                          "column the next one, counts[data[t], data[t + 1]]")
        if exact and torch.equal(out.long(), (want > 0).long()) and want.max() > 1:
            raise Mistake("every pair is counted at most once: a pair that occurs several times "
                          "must add 1 each time (counts[i, j] += 1 in a loop). Note that "
                          "counts[data[:-1], data[1:]] += 1 does not add up repeated pairs")
        if exact and torch.equal(out.long(), want):
            if out.is_floating_point():
                raise Mistake(f"the counts are right but have dtype {out.dtype}: counts are "
                              f"whole numbers, so make the matrix with dtype=torch.long "
                              f"(torch.zeros(V, V, dtype=torch.long)); later cells compare "
                              f"them with integer counts")
            if out.dtype != torch.long:
                raise Mistake(f"the counts are right but have dtype {out.dtype}; use torch.long "
                              f"(torch.zeros(V, V, dtype=torch.long)) as the library does")
            continue
        total, pairs = float(out.double().sum()), len(data) - 1
        if total != pairs:
            raise Mistake(f"your counts add up to {total:g}, but a text of {len(data)} tokens "
                          f"holds {pairs} pairs (each token with the one after it; off by one?)")
        diff = (out.double() != want.double()).nonzero()[0].tolist()
        raise Mistake(f"the counts differ from the expected ones at {diff} (row = current, "
                      f"column = next)")
    return "counts[i, j] = how many times token j follows token i, over all N - 1 pairs."


@exercise
def check_counting_loss(counting_loss) -> str:
    """counting_loss(probs, data) -> the mean of -ln probs[data[t], data[t+1]] (a number)."""
    g = torch.Generator().manual_seed(4)
    probs = torch.softmax(torch.randn(5, 5, generator=g), dim=1)
    data = torch.randint(0, 5, (40,), generator=g)
    logp = probs[data[:-1], data[1:]].log()
    want = float(-logp.mean())
    out = _as_number(call(counting_loss, probs, data,
                          hint="probs[data[:-1], data[1:]] picks one probability per pair"),
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
        (float(-probs[data[:-1], data[1:]].mean().log()),
         "you took the log of the mean probability; take the mean of the logs: "
         "-p.log().mean()"),
        (float(-probs[data[:-1], data[1:]].mean()),
         "you forgot the log: the loss is the mean of -ln p, not of -p"),
    ]
    for value, message in wrong:
        if abs(out - value) < 1e-4:
            raise Mistake(message)
    raise Mistake(f"your loss is {out:.4f}, expected {want:.4f}")


def _bigram(vocab_size: int, seed: int, refuse: str | None = None, record: bool = False):
    """A BigramLanguageModel for a check, made without touching the global random state.

    refuse="forward" or "generate": that method raises Shortcut (the exercise writes it).
    record=True: every forward call appends (training mode, grad enabled) to `model.calls`.
    """
    from ..core.model import BigramLanguageModel

    class CheckBigram(BigramLanguageModel):
        def forward(self, idx, targets=None):
            if refuse == "forward":
                raise Shortcut("you called model(idx, targets), the library's own forward; "
                               "the exercise is to write it: logits = "
                               "model.token_embedding_table(idx), then the loss")
            if record:
                self.calls.append((self.training, torch.is_grad_enabled()))
            return super().forward(idx, targets)

        def generate(self, *args, **kwargs):
            if refuse == "generate":
                raise Shortcut("you called model.generate, the library's own loop; the "
                               "exercise is to write that loop (model(idx) gives the logits)")
            return super().generate(*args, **kwargs)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = CheckBigram(vocab_size)
    model.calls = []
    return model


_FORWARD_HINT = ("F.cross_entropy wants logits of shape (B*T, C) and targets of shape (B*T,): "
                 "B, T, C = logits.shape, then logits.view(B*T, C) and targets.view(B*T)")


def _loss_variants(logits, idx, targets) -> list[tuple[torch.Tensor, str]]:
    import torch.nn.functional as F
    B, T, C = logits.shape
    flat = logits.reshape(B * T, C)
    return [
        (F.cross_entropy(flat, targets.reshape(-1), reduction="sum"),
         "your loss is the sum over the B*T positions; F.cross_entropy's default, the mean, is "
         "what the model reports"),
        (F.cross_entropy(flat.softmax(-1), targets.reshape(-1)),
         "you applied softmax before F.cross_entropy; it takes the raw logits (it does the "
         "softmax itself)"),
        (F.cross_entropy(logits.transpose(0, 1).reshape(B * T, C), targets.reshape(-1)),
         "rows of logits and targets no longer belong to the same position: flatten both the "
         "same way, logits.view(B*T, C) and targets.view(B*T), without transposing one of them"),
        (F.cross_entropy(flat, targets.T.reshape(-1)),
         "rows of logits and targets no longer belong to the same position: flatten both the "
         "same way, logits.view(B*T, C) and targets.view(B*T), without transposing one of them"),
        (F.cross_entropy(logits[:, :-1].reshape(-1, C), targets[:, 1:].reshape(-1)),
         "you shifted the targets again; get_batch already gives targets shifted by one, so "
         "position t of the logits goes with targets[:, t]"),
        (F.cross_entropy(flat, idx.reshape(-1)),
         "you compared the logits with idx; the loss compares them with targets"),
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
            out = call(forward, *args, hint=_FORWARD_HINT)
            if isinstance(out, torch.Tensor) or not isinstance(out, (tuple, list)) or len(out) != 2:
                raise Mistake(f"return two things, (logits, loss); got {describe(out)}. Without "
                              f"targets the loss is None: return logits, None")
            logits, loss = out
            if not isinstance(logits, torch.Tensor):
                raise Mistake(f"the logits should be a tensor, got {describe(logits)}")
            if tuple(logits.shape) == (B * T, V):
                raise Mistake(f"you returned the flattened logits {(B * T, V)}. Keep logits of "
                              f"shape (B, T, C) = {(B, T, V)} (generate reads logits[:, -1, :]) "
                              f"and flatten only for the loss (the lecture's code returns the "
                              f"flattened view; ours does not)")
            expect_tensor(logits, (B, T, V), "your logits")
            if not close(logits.detach(), want_logits):
                raise Mistake("your logits are not model.token_embedding_table(idx): row idx[b, t] "
                              "of the table holds the scores for the token after idx[b, t]")
            if not with_targets:
                if loss is not None:
                    raise Mistake(f"without targets there is nothing to compare with: return "
                                  f"(logits, None), got a loss of {describe(loss)}")
                continue
            if loss is None:
                raise Mistake("with targets, return the loss too: F.cross_entropy of the "
                              "flattened logits and targets")
            if not isinstance(loss, torch.Tensor):
                raise Mistake(f"the loss should be the tensor F.cross_entropy returns, got "
                              f"{describe(loss)}: training calls loss.backward() on it, so do "
                              f"not turn it into a number with .item()")
            if loss.numel() != 1:
                raise Mistake(f"the loss should be one number (the mean over the B*T positions), "
                              f"got shape {tuple(loss.shape)}")
            if loss.grad_fn is None:
                raise Mistake("the loss has no gradient: do not compute it under torch.no_grad() "
                              "or .detach() it; training calls loss.backward() on it")
            want = model.loss(want_logits, targets)
            if close(loss.detach().reshape(()), want):
                continue
            for value, message in _loss_variants(want_logits, idx, targets):
                if close(loss.detach().reshape(()), value):
                    raise Mistake(message)
            raise Mistake(f"your loss is {float(loss):.4f}, expected {float(want):.4f}: "
                          f"F.cross_entropy(logits.view(B*T, C), targets.view(B*T))")
    return "logits (B, T, C) from the table, and the cross-entropy over all B*T positions."


def _generate_like(model, idx, n, seed, pick):
    """The generate loop with one step replaced: `pick(logits (B, T, V), generator) -> (B, 1)`."""
    from ..core.model import BigramLanguageModel
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for _ in range(n):
            logits, _ = BigramLanguageModel.forward(model, idx)
            idx = torch.cat((idx, pick(logits, g)), dim=1)
    return idx


@exercise
def check_bigram_generate(generate) -> str:
    """generate(model, idx, max_new_tokens, generator) -> (B, T + max_new_tokens) token IDs."""
    import torch.nn.functional as F

    from ..core.model import BigramLanguageModel
    V, B, T, n, seed = 9, 2, 3, 12, 5
    model = _bigram(V, seed=30, refuse="generate")
    idx = torch.randint(V, (B, T), generator=torch.Generator().manual_seed(31))
    want = BigramLanguageModel.generate(model, idx, n, generator=torch.Generator().manual_seed(seed))
    hint = ("take the last position, logits[:, -1, :] of shape (B, C), softmax over dim=-1, "
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
        raise Mistake(f"return the token IDs as a tensor of shape (B, T + max_new_tokens), got "
                      f"{describe(out)}")
    if tuple(out.shape) == (B, n):
        raise Mistake(f"you returned only the {n} new tokens; return idx with them appended, "
                      f"shape (B, T + max_new_tokens) = {(B, T + n)}: "
                      f"idx = torch.cat((idx, idx_next), dim=1) in the loop")
    if out.dim() == 2 and out.shape[0] == B and out.shape[1] in (T + n - 1, T + n + 1):
        raise Mistake(f"asked for max_new_tokens = {n} new tokens, you added {out.shape[1] - T} "
                      f"(off by one?)")
    expect_tensor(out, (B, T + n), f"generate(model, idx of shape {(B, T)}, {n})")
    if out.is_floating_point():
        raise Mistake(f"the tokens have dtype {out.dtype}; token IDs are integers "
                      f"(torch.multinomial already returns torch.long)")
    if not torch.equal(out[:, :T].long(), idx):
        raise Mistake("the result must start with idx itself: append each new token after the "
                      "tokens you were given")
    if torch.equal(out.long(), want):
        return "the same tokens as model.generate with the same generator: sample, append, repeat."
    if not torch.equal(outs[0], outs[1]):
        raise Mistake("two runs with the same generator gave different tokens: pass "
                      "generator=generator to torch.multinomial, so the seed decides the sample")
    variants = [
        (lambda lg, g: lg[:, -1, :].argmax(-1, keepdim=True),
         "you took the most likely token (argmax), so the text is always the same; sample "
         "instead: torch.multinomial(probs, num_samples=1, generator=generator)"),
        (lambda lg, g: torch.multinomial(F.softmax(lg[:, 0, :], dim=-1), 1, generator=g),
         "you sampled from the logits of the first position, logits[:, 0, :]; the next token "
         "follows the last one: logits[:, -1, :]"),
        (lambda lg, g: torch.multinomial(F.softmax(lg[:, -1, :], dim=0), 1, generator=g),
         "softmax over the wrong dimension: the probabilities of each row (one sequence) must "
         "sum to 1, softmax(logits, dim=-1)"),
    ]
    for pick, message in variants:
        if torch.equal(out.long(), _generate_like(model, idx, n, seed, pick)):
            raise Mistake(message)
    raise Mistake("your tokens differ from model.generate with the same generator. Each step: "
                  + hint)


_ESTIMATE_ARGS = dict(eval_iters=4, batch_size=6, block_size=5, seed=3)


@exercise
def check_estimate_loss(estimate_loss) -> str:
    """estimate_loss(model, train_data, val_data, eval_iters, batch_size, block_size, seed) -> {"train": mean loss, "val": mean loss}."""
    from ..core.training import estimate_loss as library_estimate
    V = 8
    g = torch.Generator().manual_seed(40)
    train_data, val_data = torch.randint(V, (300,), generator=g), torch.randint(V, (100,), generator=g)
    model = _bigram(V, seed=41, record=True)
    model.train()
    a = _ESTIMATE_ARGS
    args = (model, train_data, val_data, a["eval_iters"], a["batch_size"], a["block_size"], a["seed"])
    hint = ("for each split: g = torch.Generator().manual_seed(seed), then eval_iters batches "
            "from get_batch(data, batch_size, block_size, generator=g)")
    out = call(estimate_loss, *args, hint=hint, modifies=(0,))
    calls, model.calls = model.calls, []
    want = library_estimate(model, train_data, val_data, **a)
    if not isinstance(out, dict):
        raise Mistake(f"return a dict with one mean loss per split, {{'train': ..., 'val': ...}}; "
                      f"got {describe(out)}")
    if set(out) != {"train", "val"}:
        raise Mistake(f"the dict should have the keys 'train' and 'val', got {sorted(map(str, out))}")
    got = {k: _as_number(out[k], "each split's estimate is one number, the mean loss")
           for k in ("train", "val")}
    if not calls:
        raise Mistake("your function never ran the model: call model(xb, yb) on each batch "
                      "and keep the loss")
    if any(training for training, _ in calls):
        raise Mistake("the model was in training mode during the estimate: call model.eval() "
                      "before the batches (it turns dropout off) and model.train() after")
    if any(grad for _, grad in calls):
        raise Mistake("gradients were being recorded: decorate the function with "
                      "@torch.no_grad() (or use `with torch.no_grad():`); an estimate never "
                      "calls backward, and the graph costs memory")
    if not model.training:
        raise Mistake("the model is still in eval mode afterwards: call model.train() at the "
                      "end, so that training goes on with dropout on")
    if len(calls) != 2 * a["eval_iters"]:
        raise Mistake(f"the model ran on {len(calls)} batches; an estimate uses eval_iters = "
                      f"{a['eval_iters']} batches of each split, {2 * a['eval_iters']} in all")
    if all(abs(got[k] - want[k]) < 1e-5 for k in got):
        return "the mean loss over eval_iters batches of each split, in eval mode, without gradients."
    if abs(got["train"] - want["val"]) < 1e-5 and abs(got["val"] - want["train"]) < 1e-5:
        raise Mistake("the splits are swapped: 'train' must be the estimate on train_data")
    if all(abs(got[k] - a["eval_iters"] * want[k]) < 1e-4 for k in got):
        raise Mistake("you summed the losses; take their mean (losses.mean())")
    if abs(got["train"] - want["train"]) < 1e-5:
        raise Mistake("'train' is right but 'val' is not: make a new generator for each split, "
                      "torch.Generator().manual_seed(seed), so both splits start from the seed")
    raise Mistake(f"your estimates {got} differ from {want}: {hint}, the mean of their losses")


def _train_like(model, train_data, n, lr, batch_size, block_size, seed, variant=None):
    """The training loop of course_lib.train, with one typical mistake built in (variant)."""
    from ..core.data import get_batch
    g = torch.Generator().manual_seed(seed)
    make = {"sgd": lambda: torch.optim.SGD(model.parameters(), lr=lr),
            "lr_1e-2": lambda: torch.optim.AdamW(model.parameters(), lr=1e-2),
            "lr_1e-3": lambda: torch.optim.AdamW(model.parameters(), lr=1e-3)}.get(
        variant, lambda: torch.optim.AdamW(model.parameters(), lr=lr))
    optimizer = make()
    losses = []
    for _ in range(n):
        if variant == "optimizer_in_loop":
            optimizer = make()
        if variant == "new_generator":
            g = torch.Generator().manual_seed(seed)
        _, loss = model(*get_batch(train_data, batch_size, block_size, generator=g))
        if variant != "no_zero_grad":
            optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses, model.token_embedding_table.weight.detach().clone()


_TRAIN_MISTAKES = {
    "no_zero_grad": "the gradients add up from step to step: call optimizer.zero_grad() "
                    "before loss.backward() in every step",
    "optimizer_in_loop": "you made a new optimizer in every step; make it once, before the "
                         "loop: AdamW keeps running averages of the gradients from step to step",
    "sgd": "you used SGD; the exercise (and course_lib.train) uses torch.optim.AdamW",
    "lr_1e-2": "you did not use the learning rate `lr` that the function was given (you used "
               "1e-2); pass lr=lr to AdamW",
    "lr_1e-3": "you did not use the learning rate `lr` (AdamW's default is 1e-3); pass lr=lr",
    "new_generator": "every step trains on the same batch: make the generator g once, before "
                     "the loop, and pass generator=g to get_batch",
}


_TRAIN_CASE = dict(V=11, n=12, every=5, lr=0.05, B=4, T=6, seed=3)


@functools.lru_cache(maxsize=1)
def _training_reference():
    """The check's data, its starting model, and what course_lib.train makes of them.

    Computed once per session: the same numbers every time, and a check that fails fast
    does not pay for the reference.
    """
    import copy

    from ..core.training import estimate_loss, train
    c = _TRAIN_CASE
    g = torch.Generator().manual_seed(50)
    train_data = torch.randint(c["V"], (400,), generator=g)
    val_data = torch.randint(c["V"], (200,), generator=g)
    start = _bigram(c["V"], seed=51)
    reference, estimates = copy.deepcopy(start), {}

    def est(m):
        return estimate_loss(m, train_data, val_data, batch_size=c["B"], block_size=c["T"])

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
    import copy
    c = _TRAIN_CASE
    n, every, lr, B, T, seed = c["n"], c["every"], c["lr"], c["B"], c["T"], c["seed"]
    g = torch.Generator().manual_seed(50)
    train_data = torch.randint(c["V"], (400,), generator=g)
    val_data = torch.randint(c["V"], (200,), generator=g)
    model = _bigram(c["V"], seed=51)
    out = call(train_loop, model, train_data, val_data, n, every, lr, B, T, seed, modifies=(0,),
               hint="each step: xb, yb = get_batch(train_data, batch_size, block_size, "
                    "generator=g); logits, loss = model(xb, yb); optimizer.zero_grad(); "
                    "loss.backward(); optimizer.step()")
    _, _, start, want_w, want_losses, want_est = _training_reference()
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        raise Mistake(f"return two things, (losses, estimates); got {describe(out)}")
    losses, estimates = out
    if isinstance(losses, torch.Tensor):
        losses = losses.tolist()
    if not isinstance(losses, (list, tuple)):
        raise Mistake(f"losses should be a list with one number per step, got {describe(losses)}")
    if any(isinstance(v, torch.Tensor) and v.requires_grad for v in losses):
        raise Mistake("losses holds tensors that keep their whole graph alive (memory grows "
                      "every step): append loss.item(), a plain number")
    got_w = model.token_embedding_table.weight.detach()
    if torch.equal(got_w, start.token_embedding_table.weight):
        raise Mistake("the weights did not change: every step needs loss.backward() (the "
                      "gradients) and then optimizer.step() (the update), with "
                      "optimizer.zero_grad() before the backward, not between it and the step")
    if len(losses) != n:
        raise Mistake(f"for max_iters = {n} there should be {n} losses, one per step, got "
                      f"{len(losses)} (off by one?)")
    losses = [_as_number(v, "each loss is one number: loss.item()") for v in losses]
    same = (close(got_w, want_w, atol=1e-5)
            and close(torch.tensor(losses), torch.tensor(want_losses), atol=1e-5))
    if not same:
        for variant, message in _TRAIN_MISTAKES.items():
            wrong_losses, wrong_w = _train_like(copy.deepcopy(start), train_data, n, lr, B, T,
                                                seed, variant)
            if close(got_w, wrong_w, atol=1e-5):
                raise Mistake(message)
        raise Mistake("after the same steps your weights differ from course_lib.train with the "
                      "same seed. Each step: a batch from get_batch(train_data, batch_size, "
                      "block_size, generator=g), model(xb, yb), optimizer.zero_grad(), "
                      "loss.backward(), optimizer.step(); AdamW made once with lr=lr")
    if not isinstance(estimates, dict):
        raise Mistake(f"estimates should be a dict {{step: estimate_loss(...)}}, got "
                      f"{describe(estimates)}")
    steps = sorted(estimates) if all(_is_int(k) for k in estimates) else None
    if steps != sorted(want_est):
        if steps and n not in steps and steps == sorted(want_est)[:-1]:
            raise Mistake(f"the last estimate is missing: after the loop, add "
                          f"estimates[max_iters] = estimate_loss(...) (here step {n})")
        raise Mistake(f"estimates should be taken before the steps 0, {every}, {2 * every}, ... "
                      f"(step % eval_interval == 0) and once after the loop: steps "
                      f"{sorted(want_est)}, got {steps if steps is not None else list(estimates)}")
    for s in steps:
        e = estimates[s]
        if not isinstance(e, dict) or set(e) != {"train", "val"}:
            raise Mistake(f"estimates[{s}] should be what estimate_loss returns, a dict "
                          f"{{'train': ..., 'val': ...}}; got {describe(e)}")
        for k in ("train", "val"):
            if abs(_as_number(e[k], "a number") - want_est[s][k]) > 1e-4:
                raise Mistake(f"estimates[{s}][{k!r}] is {float(e[k]):.4f}, expected "
                              f"{want_est[s][k]:.4f}: call estimate_loss(model, train_data, "
                              f"val_data, batch_size=batch_size, block_size=block_size) before "
                              f"the step, when step % eval_interval == 0")
    return (f"{n} AdamW steps that match course_lib.train with the same seed, and loss "
            f"estimates every {every} steps.")


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


def _same_with_nan(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and torch.allclose(a.float(), b.float(), atol=1e-5, rtol=1e-4,
                                                 equal_nan=True)


def _softmax_after(x: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    e = (x - shift).exp()
    return e / e.sum(dim=-1, keepdim=True)


@exercise
def check_stable_softmax(softmax) -> str:
    """softmax(logits) -> probabilities along the last dimension, safe for huge logits."""
    g = torch.Generator().manual_seed(0)
    for x in (torch.randn(3, 5, generator=g) * 2, torch.randn(2, 3, 7, generator=g)):
        p = _as_float_tensor(call(softmax, x))
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
    p = _as_float_tensor(call(softmax, big))
    if not torch.isfinite(p).all():
        raise Mistake("logits such as [1000, 1001, 1002] give nan or inf: exp(1000) overflows "
                      "float32. Subtract each row's max before exp: "
                      "x - x.max(dim=-1, keepdim=True).values")
    mixed = torch.tensor([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]])
    p = _as_float_tensor(call(softmax, mixed))
    if not torch.isfinite(p).all():
        raise Mistake("the row [-1000, -1001, -1002] gives nan when it sits under a row of "
                      "large logits: you subtracted one max for the whole tensor. Subtract "
                      "each row's own max (dim=-1, keepdim=True)")
    if not close(p, torch.softmax(mixed, dim=-1)):
        raise Mistake("large logits give a wrong answer; compare with torch.softmax(x, dim=-1)")
    # rows with a wide range: only the max keeps every exponent <= 0
    wide = torch.tensor([[0.0, 100.0, 200.0], [-200.0, 0.0, 1.0]])
    p = _as_float_tensor(call(softmax, wide))
    if not torch.isfinite(p).all():
        shifts = {"mean": wide.mean(dim=-1, keepdim=True),
                  "min": wide.min(dim=-1, keepdim=True).values}
        for name, shift in shifts.items():
            if _same_with_nan(p, _softmax_after(wide, shift)):
                raise Mistake(f"the row [0, 100, 200] gives nan: you subtracted the row's {name}, "
                              f"which leaves e^{float((wide - shift)[0].max()):.0f} = inf. "
                              f"Subtract the max: then the largest exponent is e^0 = 1 and "
                              f"nothing overflows")
        raise Mistake("rows with a wide range such as [0, 100, 200] give nan or inf: subtract "
                      "each row's max, x.max(dim=-1, keepdim=True).values, before exp")
    x = torch.randn(4, 6, generator=g) * 60               # random logits of a wide range
    for logits in (wide, x):
        p = _as_float_tensor(call(softmax, logits))
        if not close(p, torch.softmax(logits, dim=-1)):
            raise Mistake("logits with a wide range give a wrong answer; compare with "
                          "torch.softmax(x, dim=-1)")
    with torch.enable_grad():
        probe = torch.randn(2, 5, generator=g).requires_grad_(True)
        p = call(softmax, probe)
    if _ops_on_inputs(p) & {"SoftmaxBackward0", "LogSoftmaxBackward0"}:
        raise Mistake("you called torch.softmax (or F.softmax, or log_softmax): right values, "
                      "but the exercise is to write it yourself, exp(x - max) / sum")
    return ("equal to torch.softmax on every shape tried, and finite for logits of ±1000 and "
            "rows with a wide range.")


@exercise
def check_temperature_probs(probs_with_temperature) -> str:
    """probs_with_temperature(logits, T) -> softmax(logits / T); ValueError for T <= 0."""
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(2, 6, generator=g) * 2
    for T in (0.5, 1.0, 2.0):
        p = _as_float_tensor(call(probs_with_temperature, logits, T))
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
        if not close(p, want):
            if T != 1.0 and close(p, torch.softmax(logits, dim=-1)):
                raise Mistake("the temperature has no effect: divide the logits by it before "
                              "the softmax")
            raise Mistake(f"at T = {T} the probabilities differ from softmax(logits / T)")
    for bad in (0, -1.0):
        out = attempt(probs_with_temperature, logits, bad)
        if isinstance(out.error, NotImplementedError):
            raise NotAttempted
        if isinstance(out.error, ValueError):
            continue
        if out.error is not None:
            raise Mistake(f"temperature {bad} raised {type(out.error).__name__}; raise a "
                          f"ValueError with a message that says the temperature must be > 0")
        if isinstance(out.value, torch.Tensor) and not torch.isfinite(out.value).all():
            raise Mistake(f"temperature {bad} silently gave nan; raise a ValueError instead: "
                          f"check `if temperature <= 0` before dividing")
        raise Mistake(f"temperature {bad} was accepted; raise a ValueError for a temperature "
                      f"<= 0 (dividing by 0 makes no distribution)")
    return ("softmax(logits / T) at T = 0.5, 1 and 2, and a ValueError for T = 0 and "
            "T = -1.")


def _loss_tensor(loss, n: int) -> torch.Tensor:
    """The learner's loss as a 0-d float tensor, or a Mistake saying what it was."""
    if isinstance(loss, (str, bytes, bool, list, tuple, dict)) or loss is None:
        raise Mistake(f"return the loss as a tensor or a number, got {describe(loss)}")
    if not isinstance(loss, torch.Tensor):
        try:
            loss = torch.as_tensor(loss, dtype=torch.float32)
        except (TypeError, ValueError, RuntimeError):
            raise Mistake(f"return the loss as a tensor or a number, got {describe(loss)}") from None
    if loss.numel() != 1:
        raise Mistake(f"return one number, the mean over the {n} examples; your result has "
                      f"shape {tuple(loss.shape)} (add .mean())")
    return loss.detach().reshape(()).float()


@exercise
def check_cross_entropy(cross_entropy) -> str:
    """cross_entropy(logits (N, C), targets (N,)) -> mean of -log softmax(logits)[target]."""
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(2)
    logits = torch.randn(6, 5, generator=g) * 2
    targets = torch.tensor([0, 3, 1, 1, 4, 2])
    hint = "log_probs[torch.arange(N), targets] picks the target's entry in each row"
    with torch.enable_grad():
        raw = call(cross_entropy, logits.clone().requires_grad_(True), targets, hint=hint)
    loss = _loss_tensor(raw, len(targets))
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
    if close(loss, -torch.log_softmax(logits, dim=0)[rows, targets].mean()):
        raise Mistake("log_softmax over the wrong dimension: each row (one example) is a "
                      "distribution over the C classes, log_softmax(logits, dim=-1)")
    if not close(loss, want):
        raise Mistake(f"your loss is {float(loss):.4f}, expected {float(want):.4f}; compute "
                      f"-log softmax(logits)[target] for each row, then the mean")
    if isinstance(raw, torch.Tensor) and _ops_on_inputs(raw, direct=False) & {"NllLossBackward0"}:
        raise Mistake("you called F.cross_entropy (or F.nll_loss), which does the whole "
                      "computation: right value, but the exercise is to pick the entries "
                      "yourself, -log_probs[torch.arange(N), targets].mean()")
    big = torch.tensor([[0.0, -200.0], [0.0, 0.0]])
    big_targets = torch.tensor([1, 0])
    loss = _loss_tensor(call(cross_entropy, big, big_targets, hint=hint), 2)
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
        ones = torch.tril(torch.ones(T, T))
        want = ones / ones.sum(dim=1, keepdim=True)
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
        sums = w.sum(dim=1)
        if not close(sums, torch.ones(T)):
            if close(w.sum(dim=0), torch.ones(T)):
                raise Mistake("the columns sum to 1, not the rows: you normalised over the wrong "
                              "dimension. Divide by w.sum(dim=1, keepdim=True)")
            if close(w, ones / T):
                raise Mistake(f"you divided every row by T = {T}, so only the last row sums to "
                              f"1 (row 0 sums to {float(sums[0]):.4f}); row t has t + 1 ones, "
                              f"so divide each row by its own sum, w.sum(dim=1, keepdim=True)")
            bad = int((~torch.isclose(sums, torch.ones(T), atol=1e-5)).nonzero()[0])
            raise Mistake(f"every row should sum to 1, but row {bad} sums to "
                          f"{float(sums[bad]):.4f}: divide each row by its number of ones")
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
    w = _as_float_tensor(call(causal_attention_weights, q0, k0,
                              hint="the mask is torch.tril(torch.ones(T, T)) with T = q.shape[-2]"))
    expect_tensor(w, (B, T, T), "causal_attention_weights(q, k)")
    if torch.isnan(w).any():
        raise Mistake("the weights contain nan: a row where every score is -inf. Did your "
                      "mask exclude the diagonal? Row 0 must keep position 0 "
                      "(torch.tril(torch.ones(T, T)), not diagonal=-1)")
    if (w.diagonal(dim1=-2, dim2=-1).abs() < 1e-6).any():
        raise Mistake("the diagonal is 0: position t must also attend to itself; the mask "
                      "keeps columns 0..t, the diagonal included")
    keep = torch.tril(torch.ones(T, T, dtype=torch.bool))
    if (w.triu(diagonal=1).abs() > 1e-6).any():
        q, k = torch.randn(B, T, hs, generator=g), torch.randn(B, T, hs, generator=g)
        w_random = call(causal_attention_weights, q, k)
        if isinstance(w_random, torch.Tensor) and w_random.shape == (B, T, T) and \
                close(w_random, _causal_reference(q, k, fill=0.0)):
            raise Mistake("future positions get weight: you filled the masked scores with "
                          "0, but exp(0) = 1. Fill them with float('-inf')")
        raise Mistake("you forgot the causal mask: position t gives weight to later "
                      "positions. Before the softmax, set the scores above the diagonal to "
                      "-inf with masked_fill(tril == 0, float('-inf'))")
    sums = w.sum(dim=-1)
    if not close(sums, torch.ones(B, T), atol=1e-4):
        if close(w.sum(dim=-2), torch.ones(B, T), atol=1e-4):
            raise Mistake("softmax over the wrong dimension: the columns sum to 1. Use "
                          "softmax(..., dim=-1) so each row (one query position) sums to 1")
        if close(sums, torch.full((B, T), hs ** -0.5), atol=1e-4):
            raise Mistake("every row sums to 1/sqrt(head_size): you scaled the weights after "
                          "the softmax. Scale the scores before it: softmax(mask(q @ k^T * "
                          "head_size ** -0.5))")
        if close(w, torch.full((B, T, T), 1.0 / T).masked_fill(~keep, 0.0), atol=1e-4):
            raise Mistake("you masked after the softmax, so the weights that are left do not "
                          "sum to 1 (row 0 sums to 1/T). Mask the scores with -inf before the "
                          "softmax")
        raise Mistake(f"the rows should sum to 1, but row 0 sums to {float(sums[0, 0]):.4f}: "
                      f"mask the scores with -inf, then softmax(..., dim=-1), and do nothing "
                      f"to the weights after the softmax")
    # 2. values: random queries and keys, two head sizes
    for B, T, hs in ((2, 6, 16), (1, 5, 64)):
        q = torch.randn(B, T, hs, generator=g)
        k = torch.randn(B, T, hs, generator=g)
        w = _as_float_tensor(call(causal_attention_weights, q, k))
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


# ----------------------------------------------------------------------------- lesson 05

def _head_reference(x, Wk, Wq, Wv, scale=None, mask=True, dim=-1, swap=False,
                    fill=float("-inf"), after=False, keep_future=False):
    """One head computed from its weights, optionally with a typical mistake built in:
    `fill` the value put on the masked entries, `after` masking after the softmax instead of
    before, `keep_future` masking the past (triu) instead of the future."""
    k, q, v = x @ Wk.T, x @ Wq.T, x @ Wv.T                       # (B, T, hs) each
    if swap:
        q, k = k, q
    scale = Wk.shape[0] ** -0.5 if scale is None else scale
    wei = q @ k.transpose(-2, -1) * scale                        # (B, T, T)
    T = x.shape[1]
    allowed = torch.tril(torch.ones(T, T, dtype=torch.bool))
    if keep_future:
        allowed = torch.triu(torch.ones(T, T, dtype=torch.bool))
    if mask and not after:
        wei = wei.masked_fill(~allowed, fill)
    wei = torch.softmax(wei, dim=dim)
    if mask and after:
        wei = wei.masked_fill(~allowed, fill)
    return wei @ v                                               # (B, T, hs)


@exercise
def check_head_forward(head_forward) -> str:
    """head_forward(x, Wk, Wq, Wv) -> (B, T, hs): one causal head from nn.Linear-style weights."""
    g = torch.Generator().manual_seed(5)
    B, T, C, hs = 2, 6, 12, 4
    x = torch.randn(B, T, C, generator=g)
    Wk, Wq, Wv = (torch.randn(hs, C, generator=g) for _ in range(3))
    hint = ("the weights are stored as in nn.Linear, shape (head_size, n_embd): "
            "k = x @ Wk.T, and the same for q and v")
    out = call(head_forward, x, Wk, Wq, Wv, hint=hint)
    if isinstance(out, torch.Tensor) and tuple(out.shape) == (B, T, T):
        raise Mistake(f"your result has shape {(B, T, T)}: those are the attention weights; "
                      f"return them multiplied by the values, wei @ v, of shape {(B, T, hs)}")
    if isinstance(out, torch.Tensor) and tuple(out.shape) == (B, T, C):
        raise Mistake(f"your result has shape {(B, T, C)}: did you multiply the weights by x "
                      f"instead of by the values v = x @ Wv.T? Expected {(B, T, hs)}")
    expect_tensor(out, (B, T, hs))
    after_softmax = ("you masked after the softmax: the softmax had already given weight to "
                     "the future, and zeroing it afterwards leaves rows that no longer sum to "
                     "1. Mask first (masked_fill with float('-inf')), then take the softmax")
    for fill in (0.0, float("-inf")):
        if _same_with_nan(out, _head_reference(x, Wk, Wq, Wv, fill=fill, after=True)):
            raise Mistake(after_softmax)
    if torch.isnan(out).any():
        raise Mistake("your output contains NaN: a softmax over a group of entries that are "
                      "all -inf. Mask first, then softmax over each row (dim=-1): the diagonal "
                      "is never masked, so every row keeps a finite entry")
    if close(out, _head_reference(x, Wk, Wq, Wv)):
        return "your head matches the reference: masked, scaled by 1/sqrt(head_size), softmax over each row."
    no_mask = ("the outputs at earlier positions depend on later positions: a position sees the "
               "future. Forgot the causal mask? Fill the weights above the diagonal with -inf "
               "before the softmax")
    mistakes = [
        (dict(mask=False), no_mask),
        (dict(fill=0.0), "you filled the future with 0 before the softmax: e^0 = 1, so the "
                         "future still gets weight. Fill it with float('-inf'): e^-inf = 0"),
        (dict(keep_future=True), "you masked the past instead of the future (torch.triu where "
                                 "torch.tril belongs): position t may look at positions 0..t"),
        (dict(scale=1.0), "the weights are not scaled: multiply q @ k^T by head_size ** -0.5"),
        (dict(scale=C ** -0.5), "you scaled by 1/sqrt(n_embd); the scale is 1/sqrt(head_size), "
                                "the length of q and k (Wk.shape[0])"),
        (dict(scale=hs ** 0.5), "you multiplied by sqrt(head_size); divide by it instead"),
        (dict(scale=1 / hs), "you divided by head_size; divide by sqrt(head_size) instead"),
        (dict(dim=-2), "softmax over the wrong dimension: each row (one query, dim=-1) must "
                       "sum to 1, not each column"),
        (dict(swap=True), "queries and keys are swapped: wei = q @ k.transpose(-2, -1), with "
                          "q = x @ Wq.T and k = x @ Wk.T"),
    ]
    for kwargs, message in mistakes:
        if close(out, _head_reference(x, Wk, Wq, Wv, **kwargs)):
            raise Mistake(message)
    # causality: changing the last position must not change any earlier output
    x2 = x.clone()
    x2[:, -1] += 3.0
    out2 = call(head_forward, x2, Wk, Wq, Wv, hint=hint)
    if not close(out[:, :-1], out2[:, :-1]):
        raise Mistake(no_mask)
    raise Mistake("the values differ from the reference; check each step: k, q, v, "
                  "q @ k^T * head_size**-0.5, mask, softmax(dim=-1), @ v")


@exercise
def check_multi_head(multi_head) -> str:
    """multi_head(x, heads, proj) -> (B, T, C): run every head, concatenate, project."""
    from ..core.model import MultiHeadAttention
    B, T, C, n_head = 2, 5, 12, 3
    with torch.random.fork_rng():                    # leave the notebook's random stream alone
        torch.manual_seed(7)
        mha = MultiHeadAttention(C, n_head, block_size=8).eval()
    x = torch.randn(B, T, C, generator=torch.Generator().manual_seed(8))
    heads, proj = list(mha.heads), mha.proj
    hint = ("concatenate the heads' outputs along the channels (the last dimension, "
            "dim=-1) to get (B, T, n_embd), then apply proj")
    with torch.no_grad():
        out = call(multi_head, x, heads, proj, hint=hint)
        expect_tensor(out, (B, T, C))
        if close(out, mha(x)):
            return "heads concatenated in order along the channels, then projected: equal to MultiHeadAttention."
        cat = torch.cat([h(x) for h in heads], dim=-1)
        if close(out, cat):
            raise Mistake("you concatenated the heads but forgot the projection: apply proj "
                          "to the concatenation")
        if close(out, proj(torch.cat([h(x) for h in reversed(heads)], dim=-1))):
            raise Mistake("the heads are concatenated in reverse order: keep the order of the "
                          "list, head 0 first")
    raise Mistake("the values differ from MultiHeadAttention: run each head on the same x, "
                  "torch.cat(..., dim=-1), then proj")


def _whole_number(got) -> int:
    """A count returned as an int, a whole float or a one-element tensor, as an int."""
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        got = got.item()
    if isinstance(got, bool) or not (isinstance(got, int)
                                     or (isinstance(got, float) and got.is_integer())):
        raise Mistake(f"return a whole number of parameters, got {got!r}")
    return int(got)


@exercise
def check_mha_parameter_count(count_parameters) -> str:
    """count_parameters(n_embd, n_head) -> the number of parameters of a MultiHeadAttention."""
    from ..core.model import MultiHeadAttention
    for C, n_head in ((32, 4), (12, 3), (64, 8)):
        got = _whole_number(call(count_parameters, C, n_head))
        with torch.random.fork_rng():
            want = sum(p.numel() for p in MultiHeadAttention(C, n_head, block_size=4).parameters())
        if got == want:
            continue
        hs = C // n_head
        known = {
            3 * C * C + C * C: "you forgot the bias of proj (n_embd numbers)",
            3 * C * C: "you forgot proj, the (n_embd x n_embd) Linear after the concatenation, "
                       "and its bias",
            3 * C * C + 3 * C + C * C + C: "key, query and value have no bias (bias=False); "
                                           "only proj has one",
            n_head * 3 * C * C + C * C + C: "each head's key, query and value map n_embd to "
                                            "head_size, not to n_embd",
            3 * hs * hs * n_head + C * C + C: "each head reads all n_embd input channels, not "
                                              "head_size of them: key.weight is (head_size, "
                                              "n_embd)",
        }
        raise Mistake(known.get(got, f"for n_embd={C}, n_head={n_head} you counted {got:,}; "
                                     f"add the weights of key, query, value in every head "
                                     f"and the weight and bias of proj"))
    return "3·n_embd² for the heads' key, query and value, plus n_embd² + n_embd for proj."


# ----------------------------------------------------------------------------- lesson 06

def _block_variants(x, ln1, sa, ln2, ffwd):
    """The right Block forward and typical wrong ones, each with the message that names it."""
    right = x + sa(ln1(x))
    right = right + ffwd(ln2(right))
    a = sa(ln1(x))
    no_res_sa = a + ffwd(ln2(a))
    b = x + sa(ln1(x))
    no_res_ffwd = ffwd(ln2(b))
    none = ffwd(ln2(sa(ln1(x))))
    post = ln1(x + sa(x))
    post = ln2(post + ffwd(post))
    c = x + ffwd(ln2(x))
    swapped = c + sa(ln1(c))
    d = ln1(x)
    d = d + sa(d)
    e = ln2(d)
    norm_stream = e + ffwd(e)
    f = x + sa(ln1(x))
    same_ln = f + ffwd(ln1(f))
    parallel = x + sa(ln1(x)) + ffwd(ln2(x))
    return right, [
        (no_res_sa, "the attention part has no residual connection: x = x + self.sa(self.ln1(x))"),
        (no_res_ffwd, "the feed-forward part has no residual connection: "
                      "x = x + self.ffwd(self.ln2(x))"),
        (none, "no residual connections: add each part's output to its input (x = x + ...)"),
        (post, "post-norm: you applied LayerNorm after the addition, ln(x + f(x)). The course "
               "Block is pre-norm: x + f(ln(x))"),
        (swapped, "wrong order: attention (communication) comes first, then the feed-forward "
                  "(computation)"),
        (norm_stream, "you normalised the residual stream itself (x = ln(x)); normalise only "
                      "the input of each part: x = x + f(ln(x))"),
        (same_ln, "the feed-forward part uses ln1; each part has its own LayerNorm: ln2 for "
                  "the feed-forward"),
        (parallel, "both parts read the same x: the feed-forward must read the output of the "
                   "attention step, x after the first addition"),
    ]


@exercise
def check_block_forward(block_forward) -> str:
    """block_forward(x, ln1, sa, ln2, ffwd) -> (B, T, C): a pre-norm Block with residuals."""
    from ..core.model import Block
    B, T, C = 2, 6, 16
    with torch.random.fork_rng():
        torch.manual_seed(11)
        block = Block(C, n_head=4, block_size=8).eval()
        with torch.no_grad():   # distinct, non-trivial LayerNorms, so ln1 and ln2 differ
            for ln in (block.ln1, block.ln2):
                ln.weight.uniform_(0.5, 1.5)
                ln.bias.normal_(0.0, 0.5)
        x = torch.randn(B, T, C) * 2 + 1
    parts = (block.ln1, block.sa, block.ln2, block.ffwd)
    with torch.no_grad():
        out = call(block_forward, x, *parts,
                   hint="x has shape (B, T, C); every part maps (B, T, C) to (B, T, C)")
        expect_tensor(out, (B, T, C))
        right, wrong = _block_variants(x, *parts)
        if close(out, right):
            return "pre-norm, attention then feed-forward, each added to the residual stream."
        for value, message in wrong:
            if close(out, value):
                raise Mistake(message)
    raise Mistake("the values differ from a Block: x = x + sa(ln1(x)), then "
                  "x = x + ffwd(ln2(x))")


@exercise
def check_feed_forward(make_feed_forward) -> str:
    """make_feed_forward(n_embd, dropout) -> a module: Linear(C, 4C), ReLU, Linear(4C, C), Dropout."""
    from ..core.model import FeedForward
    C = 8
    with torch.random.fork_rng():
        torch.manual_seed(3)
        net = call(make_feed_forward, C, 0.0)
        x = torch.randn(4, 5, C)
    if not isinstance(net, torch.nn.Module):
        raise Mistake(f"return a torch.nn.Module (for example an nn.Sequential), got "
                      f"{type(net).__name__}")
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    if len(linears) != 2:
        raise Mistake(f"a feed-forward network has two Linear layers, yours has {len(linears)}")
    first, second = linears
    if first.in_features != C or second.out_features != C:
        raise Mistake(f"it must map n_embd={C} channels back to n_embd: the first Linear takes "
                      f"{first.in_features}, the second gives {second.out_features}")
    if first.out_features != 4 * C:
        raise Mistake(f"the hidden layer has {first.out_features} units; it should be 4 * n_embd "
                      f"= {4 * C} wide (as in the Transformer paper and course_lib.FeedForward)")
    if first.bias is None or second.bias is None:
        raise Mistake("both Linear layers have a bias here (nn.Linear's default)")
    net.eval()
    with torch.no_grad():
        out = call(net, x)
        expect_tensor(out, (4, 5, C), "the output")
        ref = FeedForward(C)
        ref.net[0].load_state_dict(first.state_dict())
        ref.net[2].load_state_dict(second.state_dict())
        linear_only = second(first(x))
        if close(out, linear_only):
            raise Mistake("no non-linearity between the two Linear layers: without a ReLU, "
                          "two Linear layers in a row are just one Linear layer")
        if close(out, torch.relu(second(first(x)))):
            raise Mistake("the ReLU comes after the last Linear (the output can never be "
                          "negative); put it between the two Linear layers")
        if not close(out, ref.eval()(x)):
            raise Mistake("the output differs from Linear(C, 4C) -> ReLU -> Linear(4C, C)")
    # the rate: the network must use its `dropout` argument, not a number of its own
    x_big = torch.randn(64, 16, C, generator=torch.Generator().manual_seed(5))
    for rate in (0.5, 0.2, 0.0):
        with torch.random.fork_rng():
            torch.manual_seed(4)
            dropped = call(make_feed_forward, C, rate)
            if not isinstance(dropped, torch.nn.Module):
                raise Mistake(f"make_feed_forward(n_embd, {rate}) returned "
                              f"{type(dropped).__name__}; return a torch.nn.Module")
            dropped.train()
            with torch.no_grad():
                y = call(dropped, x_big)
                dropped.eval()
                y_eval = call(dropped, x_big)
        zeroed = (y == 0).float().mean().item()
        fixed = sorted({m.p for m in dropped.modules() if isinstance(m, torch.nn.Dropout)})
        if rate > 0 and zeroed == 0:
            raise Mistake(f"with dropout={rate} in training mode no output was zeroed: end the "
                          f"network with nn.Dropout(dropout)")
        if (y_eval == 0).float().mean() > 0.2:
            raise Mistake("in evaluation mode outputs are still zeroed: use nn.Dropout, which "
                          "turns itself off in eval mode")
        if abs(zeroed - rate) > 0.05 and abs(zeroed - (1 - rate)) < 0.05:
            raise Mistake(f"make_feed_forward(n_embd, dropout={rate}) zeroed {zeroed:.0%} of the "
                          f"outputs, about 1 - dropout: nn.Dropout's argument is the probability "
                          f"of zeroing, not of keeping. Use nn.Dropout(dropout)")
        if abs(zeroed - rate) > 0.05:
            rates = f" (your nn.Dropout has p = {fixed[0]:g})" if len(fixed) == 1 else ""
            raise Mistake(f"make_feed_forward(n_embd, dropout={rate}) zeroed {zeroed:.0%} of the "
                          f"outputs in training mode, expected about {rate:.0%}: the rate is "
                          f"fixed{rates} instead of the `dropout` argument. Use "
                          f"nn.Dropout(dropout)")
    return "Linear(C, 4C) -> ReLU -> Linear(4C, C) -> Dropout, the same as course_lib.FeedForward."


@exercise
def check_dropout(dropout) -> str:
    """dropout(x, p, training) -> tensor: inverted dropout by hand."""
    g = torch.Generator().manual_seed(9)
    x = torch.rand(200_000, generator=g) + 0.5          # no zeros in the input
    for p in (0.25, 0.6):
        with torch.random.fork_rng():
            torch.manual_seed(10)
            y = call(dropout, x, p, True)
            y_eval = call(dropout, x, p, False)
        y = expect_tensor(y, tuple(x.shape))
        y_eval = expect_tensor(y_eval, tuple(x.shape), "the eval-mode result")
        if not torch.equal(y_eval, x):
            raise Mistake("in evaluation mode (training=False) dropout must return x unchanged: "
                          "no zeros and no scaling")
        zeroed = (y == 0).float().mean().item()
        if zeroed == 0:
            raise Mistake("in training mode nothing was zeroed: set each value to 0 with "
                          "probability p")
        if abs(zeroed - (1 - p)) < 0.01:
            raise Mistake(f"you zeroed a fraction {zeroed:.2f} = 1 - p of the values; p is the "
                          f"probability of zeroing (keep a value when rand >= p)")
        if abs(zeroed - p) > 0.01:
            raise Mistake(f"with p={p} about {p:.0%} of the values should be zero, yours: "
                          f"{zeroed:.1%}")
        kept = y != 0
        ratio = y[kept] / x[kept]
        if torch.allclose(ratio, torch.ones_like(ratio)):
            raise Mistake("the kept values are not scaled: divide them by (1 - p), so the "
                          "expected value stays the same")
        if torch.allclose(ratio, torch.full_like(ratio, 1 - p)):
            raise Mistake("you multiplied the kept values by (1 - p); divide by (1 - p) instead")
        if not torch.allclose(ratio, torch.full_like(ratio, 1 / (1 - p))):
            raise Mistake(f"every kept value should be x / (1 - p) = x * {1 / (1 - p):.3f}")
    return "zeros a fraction p, scales the rest by 1/(1-p), and does nothing in eval mode."


# ----------------------------------------------------------------------------- lesson 07

def _layer_norm_variants(x, w, b, eps):
    """The right LayerNorm and typical wrong ones, each with the message that names it."""
    def norm(dims, correction=0, eps_inside=True, use_w=True, use_b=True, with_eps=True):
        mean = x.mean(dims, keepdim=True)
        var = x.var(dims, keepdim=True, correction=correction)
        e = eps if with_eps else 0.0
        y = (x - mean) / ((var + e).sqrt() if eps_inside else var.sqrt() + e)
        return y * (w if use_w else 1) + (b if use_b else 0)

    return norm(-1), [
        (norm(0), "normalised over the wrong dimension (the batch, dim 0): LayerNorm "
                  "normalises each token's channels, the last dimension (dim=-1)"),
        (norm(1), "normalised over the wrong dimension (time, dim 1): LayerNorm normalises "
                  "each token's channels, the last dimension (dim=-1)"),
        (norm((0, 1)), "you normalised each channel over the batch and time: that is "
                       "BatchNorm. LayerNorm uses the last dimension (dim=-1)"),
        (norm((0, 1, 2)), "you normalised over the whole tensor; LayerNorm normalises each "
                          "token on its own, over the last dimension (dim=-1)"),
        (norm(-1, correction=1), "you used the unbiased variance (dividing by C - 1); "
                                 "LayerNorm divides by C: x.var(dim=-1, unbiased=False), or "
                                 "correction=0"),
        (norm(-1, eps_inside=False), "epsilon belongs inside the square root: "
                                     "(x - mean) / sqrt(var + eps)"),
        (norm(-1, use_w=False), "you ignored the learned scale `weight`: multiply by it"),
        (norm(-1, use_b=False), "you ignored the learned shift `bias`: add it"),
        (norm(-1, use_w=False, use_b=False), "you ignored the learned scale `weight` and "
                                             "shift `bias`: return y * weight + bias"),
        (norm(-1, with_eps=False), "you left out epsilon: divide by sqrt(var + eps)"),
    ]


@exercise
def check_layer_norm(layer_norm) -> str:
    """layer_norm(x, weight, bias, eps) -> same shape: LayerNorm over the last dimension."""
    g = torch.Generator().manual_seed(21)
    B, T, C = 3, 4, 6
    x = torch.randn(B, T, C, generator=g) * torch.linspace(0.5, 4, C) + 2
    x[0, 1] = 0.5 + 1e-3 * torch.arange(C)          # a token with a tiny spread: eps matters
    weight = torch.rand(C, generator=g) + 0.5
    bias = torch.randn(C, generator=g)
    eps = 1e-5
    hint = "keep the reduced dimension: x.mean(dim=-1, keepdim=True)"
    out = call(layer_norm, x, weight, bias, eps, hint=hint)
    expect_tensor(out, (B, T, C))
    right, wrong = _layer_norm_variants(x, weight, bias, eps)
    if torch.isnan(out).any():
        raise Mistake("your output has NaN: did you divide by sqrt(var) without eps, or take "
                      "the square root of a negative number?")
    # atol 1e-4: F.layer_norm itself is off by about 3e-5 on the token with a tiny spread
    if not close(out, right, atol=1e-4):
        for value, message in wrong:
            if close(out, value, atol=1e-4):
                raise Mistake(message)
        raise Mistake("the values differ from nn.LayerNorm: y = (x - mean) / sqrt(var + eps) "
                      "* weight + bias, with mean and var over dim=-1")
    const = torch.full((2, C), 7.0)
    y = call(layer_norm, const, weight, bias, eps, hint=hint)
    if torch.isnan(y).any():
        raise Mistake("a constant vector gave NaN: its variance is 0, so you divided 0 by 0. "
                      "Add eps inside the square root: sqrt(var + eps)")
    if not close(y, bias.expand(2, C)):
        raise Mistake("a constant vector should give exactly `bias`: (x - mean) is 0")
    return "equal to nn.LayerNorm: per token, population variance, eps inside the root, then scale and shift."


@exercise
def check_layernorm_parameter_count(count_layernorm_parameters) -> str:
    """count_layernorm_parameters(cfg) -> the number of LayerNorm parameters in a GPTLanguageModel."""
    from ..core.model import GPTConfig, GPTLanguageModel, parameter_breakdown
    cfgs = [GPTConfig(vocab_size=67, block_size=128, n_embd=192, n_head=6, n_layer=6),
            GPTConfig(vocab_size=10, block_size=8, n_embd=16, n_head=2, n_layer=2),
            GPTConfig(vocab_size=10, block_size=8, n_embd=24, n_head=3, n_layer=5)]
    for cfg in cfgs:
        got = _whole_number(call(count_layernorm_parameters, cfg))
        with torch.random.fork_rng():
            want = parameter_breakdown(GPTLanguageModel(cfg))["layer norms"]
        if got == want:
            continue
        C, L = cfg.n_embd, cfg.n_layer
        known = {
            2 * L * 2 * C: "you forgot ln_f, the LayerNorm after the last block",
            L * 2 * C + 2 * C: "each block has two LayerNorms, ln1 and ln2",
            (2 * L + 1) * C: "each LayerNorm has two vectors of n_embd numbers: weight (scale) "
                             "and bias (shift)",
            L * 2 * C: "each block has two LayerNorms (ln1, ln2), and there is ln_f after the "
                       "blocks",
        }
        raise Mistake(known.get(got, f"for n_layer={L}, n_embd={C} you counted {got:,}; count "
                                     f"the LayerNorms (two per block, plus ln_f) and the "
                                     f"numbers in each"))
    return "(2 · n_layer + 1) LayerNorms, each with 2 · n_embd parameters."


# ----------------------------------------------------------------------------- lesson 08

_LINEAR_HINT = ("weight has shape (out_features, in_features), so the output is "
                "x @ weight.T + bias; use @, which works for any number of leading dimensions")


@contextmanager
def _refusing_f_linear():
    """While learner code runs, F.linear (which nn.Linear calls too) raises Shortcut: the
    exercise is to write what it computes."""
    import torch.nn.functional as F

    def refused(*args, **kwargs):
        raise Shortcut("you called F.linear (or an nn.Linear, which calls it): right values, "
                       "but the exercise is to write what it computes yourself, with @ and "
                       "the transpose: x @ weight.T + bias")

    original = F.linear
    F.linear = refused
    try:
        yield
    finally:
        F.linear = original


@exercise
def check_linear_forward(linear_forward) -> str:
    """linear_forward(x, weight, bias) -> x @ weight.T + bias, the computation of nn.Linear."""
    import torch.nn.functional as F
    if linear_forward in (F.linear, torch._C._nn.linear):
        raise Mistake("you passed F.linear itself: right values, but the exercise is to write "
                      "what it computes yourself, with @ and the transpose: "
                      "x @ weight.T + bias")
    g = torch.Generator().manual_seed(8)
    cases = [((2, 3), 3),        # a square weight: a missing transpose gives wrong values
             ((1, 3), 2),        # the notes' example: 3 inputs, 2 outputs
             ((4, 5, 3), 2)]     # (B, T, C) input, as in a model
    for x_shape, out_features in cases:
        in_features = x_shape[-1]
        x = torch.randn(*x_shape, generator=g)
        weight = torch.randn(out_features, in_features, generator=g)
        bias = torch.randn(out_features, generator=g)
        want = x @ weight.T + bias
        with _refusing_f_linear():
            got = call(linear_forward, x.clone(), weight.clone(), bias.clone(), hint=_LINEAR_HINT)
        if not isinstance(got, torch.Tensor):
            raise Mistake(f"return a torch.Tensor, got {type(got).__name__}")
        if tuple(got.shape) != tuple(want.shape):
            raise Mistake(f"for x of shape {x_shape} and weight of shape "
                          f"{(out_features, in_features)} the output should have shape "
                          f"{tuple(want.shape)} (one value per output feature), got "
                          f"{tuple(got.shape)}")
        if close(got, want):
            continue
        if out_features == in_features and close(got, x @ weight + bias):
            raise Mistake("you computed x @ weight + bias: nn.Linear stores weight as "
                          "(out_features, in_features), so transpose it: x @ weight.T + bias")
        if close(got, x @ weight.T):
            raise Mistake("you forgot the bias: the output is x @ weight.T + bias")
        if close(got, x @ weight.T - bias):
            raise Mistake("you subtracted the bias; add it: x @ weight.T + bias")
        raise Mistake(f"wrong values for x of shape {x_shape}: expected "
                      f"{want.flatten()[:3].tolist()}..., got {got.flatten()[:3].tolist()}...")
    return "x @ weight.T + bias, for 2-D and 3-D inputs: what nn.Linear computes."


def _parameter_mistakes(cfg) -> dict[str, int]:
    """Typical counting mistakes -> how many parameters each one leaves out (negative: adds)."""
    V, T, C, L, H = cfg.vocab_size, cfg.block_size, cfg.n_embd, cfg.n_layer, cfg.n_head
    return {
        "you forgot the position embedding table: block_size x n_embd parameters":
            T * C,
        "you forgot ln_f, the final LayerNorm (its weight and bias: 2 x n_embd)":
            2 * C,
        "you forgot the LayerNorms: ln1 and ln2 in every block, and ln_f, each with a weight "
        "and a bias of n_embd": (4 * L + 2) * C,
        "each LayerNorm has a weight AND a bias (2 x n_embd), you counted n_embd":
            (2 * L + 1) * C,
        "you forgot the biases of the Linear layers (proj and both feed-forward layers in each "
        "block, and lm_head)": L * 6 * C + V,
        "you forgot the bias of lm_head (vocab_size numbers)":
            V,
        "key, query and value are Linear(..., bias=False): they have no biases":
            -3 * L * C,
        "you forgot the attention's output projection proj (n_embd x n_embd + n_embd per block)":
            L * (C * C + C),
        "the feed-forward hidden layer is 4 x n_embd wide: n_embd -> 4*n_embd -> n_embd":
            L * (6 * C * C + 3 * C),
        "you counted lm_head and the token embedding as one shared matrix; here they are two "
        "separate matrices of vocab_size x n_embd": V * C,
        "you counted one block; there are n_layer of them":
            (L - 1) * (12 * C * C + 10 * C),
        "each head's key, query and value map n_embd to head_size = n_embd // n_head, so all "
        "heads together hold 3 x n_embd x n_embd, not n_head times that": -(H - 1) * 3 * C * C * L,
    }


@exercise
def check_gpt_parameter_count(count_parameters) -> str:
    """count_parameters(cfg) -> the number of parameters of GPTLanguageModel(cfg), by formula."""
    from ..core.model import GPTConfig, GPTLanguageModel
    configs = [GPTConfig(vocab_size=67, block_size=32, n_embd=48, n_head=4, n_layer=3),
               GPTConfig(vocab_size=67, block_size=128, n_embd=192, n_head=6, n_layer=6),
               GPTConfig(vocab_size=50, block_size=16, n_embd=24, n_head=3, n_layer=1)]
    for cfg in configs:
        with torch.random.fork_rng():      # building a model must not move the notebook's seed
            want = GPTLanguageModel(cfg).num_parameters()
        got = _whole_number(call(count_parameters, cfg))
        if got == want:
            continue
        missing = want - got
        for message, diff in _parameter_mistakes(cfg).items():
            if diff == missing:
                raise Mistake(f"{message} (for {cfg} you got {got:,}, the model has {want:,})")
        raise Mistake(f"for {cfg} you got {got:,}, but the model has {want:,} parameters "
                      f"({missing:+,} off); count each part: embeddings, n_layer blocks "
                      f"(attention, feed-forward, two LayerNorms), ln_f, lm_head")
    return "your formula matches the real models for 3 configurations."


def _forward_variants(model, idx) -> dict[str, torch.Tensor]:
    """Wrong forward passes and the mistake each one makes."""
    T = idx.size(1)
    tok = model.token_embedding_table(idx)
    pos = model.position_embedding_table(torch.arange(T))
    return {
        "you forgot the position embeddings: x = tok_emb + pos_emb, with pos_emb = "
        "model.position_embedding_table(torch.arange(T))":
            model.lm_head(model.ln_f(model.blocks(tok))),
        "you forgot ln_f: apply model.ln_f after the blocks, before lm_head":
            model.lm_head(model.blocks(tok + pos)),
        "the blocks are missing: x = model.blocks(x) between the embeddings and ln_f":
            model.lm_head(model.ln_f(tok + pos)),
    }


@exercise
def check_gpt_forward(gpt_forward) -> str:
    """gpt_forward(model, idx) -> the (B, T, vocab_size) logits, built from the model's modules."""
    from ..core.model import GPTConfig, GPTLanguageModel
    class CheckGPT(GPTLanguageModel):
        refuse = False

        def forward(self, idx, targets=None):
            if self.refuse:
                raise Shortcut("you called model(idx), the library's own forward pass: the "
                               "exercise is to write it, calling the five parts yourself "
                               "(model.token_embedding_table, model.position_embedding_table, "
                               "model.blocks, model.ln_f, model.lm_head)")
            return super().forward(idx, targets)

    with torch.random.fork_rng():          # leave the notebook's random state alone
        torch.manual_seed(8)
        model = CheckGPT(GPTConfig(vocab_size=67, block_size=16, n_embd=32, n_head=4,
                                   n_layer=2)).eval()
    g = torch.Generator().manual_seed(8)
    hint = ("the positions are torch.arange(T) with T = idx.shape[1] (not block_size); the "
            "parts are model.token_embedding_table, model.position_embedding_table, "
            "model.blocks, model.ln_f and model.lm_head")
    with torch.no_grad():
        for B, T in ((2, 16), (3, 5)):        # a full block, then a shorter one
            idx = torch.randint(67, (B, T), generator=g)
            want = model(idx)[0]
            model.refuse = True
            try:
                got = call(gpt_forward, model, idx, hint=hint)
            finally:
                model.refuse = False
            if isinstance(got, tuple):
                raise Mistake("return only the logits tensor, not a tuple (model(idx) returns "
                              "(logits, loss))")
            expect_tensor(got, (B, T, 67), "your logits")
            if close(got, want):
                continue
            if close(got.sum(-1), torch.ones(B, T)) and close(got, want.softmax(-1)):
                raise Mistake("you returned probabilities; the forward pass returns the raw "
                              "logits of lm_head (softmax comes later, when sampling or in the "
                              "loss)")
            for message, wrong in _forward_variants(model, idx).items():
                if close(got, wrong):
                    raise Mistake(message)
            raise Mistake("your logits differ from model(idx); the order is token embedding + "
                          "position embedding -> blocks -> ln_f -> lm_head")
    return "your forward pass gives exactly the logits of model(idx)."


# ----------------------------------------------------------------------------- lesson 09

@exercise
def check_tokens_per_step(tokens_per_step) -> str:
    """tokens_per_step(batch_size, block_size, nproc): tokens one optimisation step sees."""
    for B, T, n in [(16, 64, 2), (12, 128, 1), (8, 256, 4), (1, 1, 3)]:
        got = call(tokens_per_step, B, T, n)
        want = B * T * n
        if isinstance(got, float) or (isinstance(got, torch.Tensor) and got.numel() == 1
                                      and got.is_floating_point()):
            raise Mistake(f"you returned a float ({float(got)}); a number of tokens is a whole "
                          f"number: multiply whole numbers, without `/`")
        if got == want:
            continue
        if got == T * n:
            raise Mistake(f"for batch_size={B}, block_size={T}, nproc={n} you gave {got}: you "
                          f"left out batch_size; every process reads batch_size sequences per "
                          f"step")
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
            # 1080 tokens in steps of 100: 10.8 steps; round() gives 11, rounding down 10
            if call(steps_per_epoch, 1080, 10, 10, 1) == 11:
                raise Mistake(f"for {N} tokens and {B * T * n} tokens per step you gave {got}: "
                              f"round() goes to the nearest whole number, so here the last "
                              f"{N % (B * T * n)} tokens are left unseen; round up "
                              f"(math.ceil, or -(-n_tokens // per_step))")
            raise Mistake(f"for {N} tokens and {B * T * n} tokens per step you gave {got}: "
                          f"rounding down leaves the last {N % (B * T * n)} tokens unseen, round up")
        if got == -(-N // (B * T)):
            raise Mistake(f"you gave {got}: with {n} processes each step sees {n} batches, divide "
                          f"by nproc too")
        if got == -(-N // (B * n)):
            raise Mistake(f"you gave {got}: you divided by batch_size x nproc, the sequences per "
                          f"step; each sequence holds block_size={T} tokens, so divide by "
                          f"batch_size x block_size x nproc")
        if got == N // (B * T * n) + 1:
            raise Mistake(f"for {N} tokens and {B * T * n} tokens per step you gave {got}: adding "
                          f"1 to a rounded-down division is one step too many when the tokens "
                          f"fill the steps exactly; round up instead: -(-n_tokens // per_step)")

        raise Mistake(f"for n_tokens={N}, batch_size={B}, block_size={T}, nproc={n} expected "
                      f"{want}, got {got}")
    return "steps per epoch = ceil(n_tokens / (batch_size x block_size x nproc))."


# ============================================================================= lesson 10
# Byte-pair encoding (notebooks/src/10_subword_tokens.py). Token IDs 0-255 are the bytes;
# merge number i makes token 256 + i.

def _pair_dict(out, what: str) -> dict:
    """The learner's pair counts as {(a, b): n}, or a Mistake that says what they were."""
    if isinstance(out, (list, tuple)) and out and all(isinstance(p, tuple) for p in out):
        raise Mistake(f"{what} returned a list of pairs; return a dict that maps each pair to "
                      f"how often it occurs (collections.Counter does the counting)")
    if not isinstance(out, dict):
        raise Mistake(f"{what} returned {describe(out)}; return a dict {{(a, b): count}}")
    result = {}
    for key, n in out.items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(_is_int(t) for t in key)):
            raise Mistake(f"{what} has the key {key!r}; each key is a pair of two token IDs, a "
                          f"tuple such as (104, 101)")
        if not _is_int(n):
            raise Mistake(f"{what} maps {key} to {describe(n)}; a count is an int")
        result[(int(key[0]), int(key[1]))] = int(n)
    return result


def _reference_counts(ids) -> dict:
    from collections import Counter
    return dict(Counter(zip(ids, ids[1:])))


def _reference_counts_stepping(ids) -> dict:
    from collections import Counter
    return dict(Counter(zip(ids[::2], ids[1::2])))


@exercise
def check_count_pairs(count_pairs) -> str:
    """count_pairs(ids) -> {(a, b): count} of every adjacent pair of the list ids."""
    hint = "zip(ids, ids[1:]) gives every adjacent pair; collections.Counter counts them"
    cases = [[1, 2, 1, 2, 3, 1, 2], [5, 5, 5], list("hello world".encode()), [7], []]
    for ids in cases:
        got = _pair_dict(call(count_pairs, list(ids), hint=hint), f"count_pairs({ids})")
        want = _reference_counts(ids)
        if got == want:
            continue
        if got == {(b, a): n for (a, b), n in want.items()}:
            raise Mistake(f"count_pairs({ids}) gave the pairs reversed; a pair is "
                          f"(ids[i], ids[i + 1]), in the order of the text")
        if len(ids) > 1 and (ids[-1], ids[0]) in got and got.get((ids[-1], ids[0]), 0) > want.get(
                (ids[-1], ids[0]), 0):
            raise Mistake(f"count_pairs({ids}) counts the pair {(ids[-1], ids[0])} once too "
                          f"often: the last token and the first are not neighbours, do not "
                          f"wrap around")
        if len(ids) > 1 and got == _reference_counts(ids[:-1]):
            raise Mistake(f"count_pairs({ids}) left out the last pair {tuple(ids[-2:])}: the "
                          f"pairs start at positions 0 to len(ids) - 2")
        if got == _reference_counts_stepping(ids):
            raise Mistake(f"count_pairs({ids}) gave {got}: you moved on by 2 after each pair. "
                          f"Pairs overlap: in [5, 5, 5] the pair (5, 5) occurs twice "
                          f"(positions 0-1 and 1-2). Count at every position")
        if got == {p: 1 for p in want}:
            raise Mistake(f"count_pairs({ids}) gave {got}: each pair counted once; count how "
                          f"often each one occurs")
        raise Mistake(f"count_pairs({ids}) gave {got}, expected {want}")
    return "every adjacent pair counted, overlaps included, in a dict."


def _reference_merge(ids, pair, new_id) -> list:
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


@exercise
def check_merge(merge) -> str:
    """merge(ids, pair, new_id) -> a new list where every `pair`, left to right, is new_id."""
    hint = ("walk with an index i: where (ids[i], ids[i + 1]) == pair append new_id and move "
            "on by 2, else append ids[i] and move on by 1")
    cases = [([1, 2, 3, 1, 2], (1, 2), 9), ([1, 2, 3], (1, 2), 9), ([3, 1, 2, 1], (1, 2), 9),
             ([5, 5, 5], (5, 5), 9), ([5, 5, 5, 5], (5, 5), 9), ([2, 1], (1, 2), 9),
             ([4], (1, 2), 9), ([], (1, 2), 9)]
    for ids, pair, new_id in cases:
        got = _id_list(call(merge, list(ids), pair, new_id, hint=hint), "merge")
        want = _reference_merge(ids, pair, new_id)
        if got == want:
            continue
        a, b = pair
        label = f"merge({ids}, {pair}, {new_id})"
        if got == [new_id if t == a else t for t in ids] or got == [
                new_id if t == a and i + 1 < len(ids) and ids[i + 1] == b else t
                for i, t in enumerate(ids)]:
            raise Mistake(f"{label} gave {got}: you put new_id in place of the first token but "
                          f"kept the second; a merge replaces both tokens, so skip the second "
                          f"(move on by 2)")
        if ids[:3] == [5, 5, 5] and got.count(new_id) > want.count(new_id):
            raise Mistake(f"{label} gave {got}: a token was used by two merges. After a merge "
                          f"move past both tokens, so in [5, 5, 5] only the first two merge")
        if len(got) == len(want) - 1 and got == want[:-1]:
            raise Mistake(f"{label} gave {got}: you dropped the last token {want[-1]}; when "
                          f"i is the last position, there is no pair left, but ids[i] still "
                          f"belongs in the result")
        if want.count(new_id) > 1 and got.count(new_id) == 1:
            raise Mistake(f"{label} gave {got}: you merged only the first occurrence; replace "
                          f"every one")
        if got == _reference_merge(ids, (b, a), new_id):
            raise Mistake(f"{label} gave {got}: you merged {(b, a)}, the pair reversed; the "
                          f"order inside a pair matters")
        raise Mistake(f"{label} gave {got}, expected {want}")
    return "every occurrence merged, left to right, and the rest kept in order."


def _toy_train(text: str, n_merges: int, pick: str = "smallest", update: bool = True,
               first_id: int = 256, id_step: int = 1) -> list:
    """BPE without pre-splitting, written the slow way, with a mistake chosen by the arguments."""
    from collections import Counter
    ids, original, merges = list(text.encode("utf-8")), list(text.encode("utf-8")), []
    for i in range(n_merges):
        counts = Counter(zip(ids, ids[1:]))
        if not counts:
            break
        if pick == "smallest":
            pair = min(counts, key=lambda p: (-counts[p], p))
        elif pick == "first":
            pair = max(counts, key=counts.get)
        else:                                        # "rarest"
            pair = min(counts, key=lambda p: (counts[p], p))
        merges.append(pair)
        ids = _reference_merge(ids if update else original, pair, first_id + id_step * i)
    return merges


_TRAIN_TEXTS = [("aaabdaaabac", 3), ("to be or not to be, that is the question. to be", 10),
                ("hob dob hob dob cob", 6)]


@exercise
def check_train_bpe(train_bpe) -> str:
    """train_bpe(text, n_merges) -> [(a, b), ...]: merge i makes token 256 + i."""
    hint = ("start from ids = list(text.encode('utf-8')); then n_merges times: count, pick, "
            "append the pair, ids = merge(ids, pair, 256 + i)")
    for text, n in _TRAIN_TEXTS:
        out = call(train_bpe, text, n, hint=hint)
        if not isinstance(out, (list, tuple)):
            raise Mistake(f"train_bpe returned {describe(out)}; return the list of merged pairs")
        got = []
        for m in out:
            if not (isinstance(m, (tuple, list)) and len(m) == 2 and all(_is_int(t) for t in m)):
                raise Mistake(f"train_bpe returned {m!r} among the merges; each merge is a "
                              f"pair (a, b) of token IDs")
            got.append((int(m[0]), int(m[1])))
        want = _toy_train(text, n)
        if got == want:
            continue
        label = f"train_bpe({text!r}, {n})"
        if len(got) != len(want):
            raise Mistake(f"{label} gave {len(got)} merges; asked for {n}")
        if got == _toy_train(text, n, pick="rarest"):
            raise Mistake(f"{label}: you merged the least frequent pair; merge the most "
                          f"frequent")
        if got == _toy_train(text, n, update=False):
            raise Mistake(f"{label}: your merges after the first come from the original text. "
                          f"After each merge, set ids = merge(ids, pair, new_id), so the next "
                          f"count sees the merged tokens")
        for first in (255, 257, 0, 1):
            if got == _toy_train(text, n, first_id=first):
                raise Mistake(f"{label}: your first merge makes token {first}; IDs 0-255 are the "
                              f"bytes, so merge i makes token 256 + i")
        if got == _toy_train(text, n, id_step=0):
            raise Mistake(f"{label}: every merge makes token 256; merge i makes token 256 + i, "
                          f"a new ID each time")
        if got == _toy_train(text, n, pick="first"):
            raise Mistake(f"{label}: on a tie (two pairs with the same count) you took the pair "
                          f"seen first; take the smallest pair, as course_lib does: "
                          f"min(counts, key=lambda p: (-counts[p], p))")
        step = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
        raise Mistake(f"{label}: merge {step} is {got[step]}, expected {want[step]} (the merges "
                      f"before it are right)")
    return "the same merges as course_lib's BPE, in the same order, with the same tie-break."


def _encode_cases():
    """(text, merges): merges trained on the text, on other text, and by hand (order matters)."""
    trained = _toy_train("to be or not to be, that is the question", 12)
    return [("Caffè latte", trained + [(195, 168)]), ("to be or not to be", trained),
            ("abc", [(97, 98), (98, 99)]), ("aaaaa", [(97, 97), (256, 97)]), ("", trained),
            ("x", trained)]


@exercise
def check_encode_bpe(encode) -> str:
    """encode(text, merges) -> ids: the UTF-8 bytes, then every merge applied in order."""
    from ..core.bpe import BPETokenizer
    hint = ("ids = list(text.encode('utf-8')); then for i, pair in enumerate(merges): "
            "ids = merge(ids, pair, 256 + i)")
    for text, merges in _encode_cases():
        got = _id_list(call(encode, text, [tuple(m) for m in merges], hint=hint), "encode")
        want = BPETokenizer(merges, pattern=None).encode(text)
        if got == want:
            continue
        label = f"encode({text!r}, merges)"
        if got == list(text.encode("utf-8")):
            raise Mistake(f"{label} gave the bytes without merging; apply every merge, in order")
        if got == [ord(c) for c in text]:
            raise Mistake(f"{label} gave {got}: you used ord(c), the character's number in "
                          f"Unicode, and no merges. Start from the UTF-8 bytes, "
                          f"list(text.encode('utf-8')): 'è' is the two bytes [195, 168]")
        start = [ord(c) for c in text]
        applied = start
        for i, pair in enumerate(merges):
            applied = _reference_merge(applied, pair, 256 + i)
        if got == applied:
            raise Mistake(f"{label}: you started from ord(c) of each character; start from the "
                          f"UTF-8 bytes, list(text.encode('utf-8')) ('è' is two bytes)")
        backwards = list(text.encode("utf-8"))
        for i in reversed(range(len(merges))):
            backwards = _reference_merge(backwards, merges[i], 256 + i)
        if got == backwards:
            raise Mistake(f"{label} gave {got}: you applied the merges from the last to the "
                          f"first; apply them in the order they were learned, merge 0 first")
        raise Mistake(f"{label} gave {got}, expected {want}")
    return "the UTF-8 bytes, then each merge in the order it was learned."


@exercise
def check_decode_bpe(decode) -> str:
    """decode(ids, vocab) -> str: join the bytes vocab[i] of all tokens, then read UTF-8."""
    from ..core.bpe import BPETokenizer
    merges = _toy_train("to be or not to be, that is the question", 12)
    tok = BPETokenizer(merges + [(195, 168)], pattern=None)      # 'è' is one token here
    vocab = list(tok.vocab)
    hint = ("join the bytes of all tokens first, then decode once: "
            "b''.join(vocab[i] for i in ids).decode('utf-8', errors='replace')")
    cases = [tok.encode("to be or not to be"), tok.encode("Caffè"),
             [67, 97, 102, 102, 195, 168], [], [0xFF, 97]]
    for ids in cases:
        want = tok.decode(ids)
        label = f"decode({ids}, vocab)"
        out = attempt(decode, list(ids), vocab)
        if isinstance(out.error, NotImplementedError):
            raise NotAttempted
        if isinstance(out.error, UnicodeDecodeError):
            if ids[0] == 0xFF:
                raise Mistake(f"{label} raised UnicodeDecodeError: byte 0xFF alone is not "
                              f"UTF-8, and a model can generate such tokens. Decode with "
                              f"errors='replace', which shows it as U+FFFD")
            raise Mistake(f"{label} raised UnicodeDecodeError: you decoded each token on its "
                          f"own, and 'è' is two bytes in two tokens here. Join the bytes of all "
                          f"tokens first, then decode once")
        got = call(decode, list(ids), vocab, hint=hint)
        if isinstance(got, (bytes, bytearray)):
            raise Mistake(f"{label} returned bytes; turn them into text with "
                          f".decode('utf-8', errors='replace')")
        if isinstance(got, list):
            raise Mistake(f"{label} returned a list; join the pieces into one string")
        if not isinstance(got, str):
            raise Mistake(f"{label} returned {describe(got)}; it should return a string")
        if got == want:
            continue
        pieces = [vocab[i].decode("utf-8", errors="replace") for i in ids]
        if got == "".join(pieces):
            raise Mistake(f"{label} gave {got!r}: you decoded each token on its own, so 'è' (two "
                          f"bytes, two tokens) became two U+FFFD. Join the bytes of all tokens "
                          f"first, then decode once")
        if len(ids) > 1 and got in (" ".join(pieces), ",".join(pieces)):
            raise Mistake(f"{label} gave {got!r}: you joined the tokens with a separator; the "
                          f"bytes already hold every space, join with b''")
        raise Mistake(f"{label} gave {got!r}, expected {want!r}")
    return "the bytes of all tokens joined, then read as UTF-8 (invalid bytes become U+FFFD)."


# ============================================================================= lesson 11
# Your own GPT (notebooks/src/11_your_own_gpt.py): the addition task.

_ADDITION_CASES = [(7, 45), (0, 0), (99, 99), (50, 50), (12, 3), (91, 9), (3, 4)]


@exercise
def check_addition_line(addition_line) -> str:
    """addition_line(a, b, reverse) -> 'AA+BB=CCC': zero-padded, answer reversed if asked."""
    from .own_gpt import addition_line as reference
    hint = "f'{a:02d}+{b:02d}=' and then the sum as str(a + b).zfill(3), reversed with [::-1]"
    for reverse in (True, False):
        for a, b in _ADDITION_CASES:
            got = call(addition_line, a, b, reverse, hint=hint)
            want = reference(a, b, reverse)
            if not isinstance(got, str):
                raise Mistake(f"addition_line({a}, {b}, {reverse}) returned {describe(got)}; "
                              f"return the line as a string, such as {want!r}")
            if got == want:
                continue
            label = f"addition_line({a}, {b}, reverse={reverse}) gave {got!r}, expected {want!r}"
            answer = str(a + b)
            if got == want + "\n":
                raise Mistake(f"{label}: leave out the newline; the text joins the lines with "
                              f"'\\n' itself")
            if got.split("=")[0] in (f"{a}+{b}", f"{a}+{b:02d}", f"{a:02d}+{b}") \
                    and got.split("=")[0] != want.split("=")[0]:
                raise Mistake(f"{label}: pad both numbers to two digits ({a:02d}, not {a}), so "
                              f"that every digit has a fixed place in the line")
            if got == reference(a, b, not reverse):
                raise Mistake(f"{label}: the answer is reversed the wrong way round; with "
                              f"reverse=True write it least significant digit first, with "
                              f"reverse=False as usual")
            if got == want[::-1]:
                raise Mistake(f"{label}: you reversed the whole line; reverse only the answer")
            head = want.split("=")[0] + "="
            if reverse and got == head + answer[::-1].zfill(3):
                raise Mistake(f"{label}: you reversed the sum before padding it; pad to three "
                              f"digits first (str(a + b).zfill(3)), then reverse, so the zeros "
                              f"stand for the hundreds")
            if got in (head + answer, head + answer[::-1]):
                raise Mistake(f"{label}: pad the answer to three digits (str(a + b).zfill(3)): "
                              f"every line must have the same length")
            raise Mistake(label)
    return "two-digit operands, a three-digit answer, reversed only when reverse=True."


@exercise
def check_addition_accuracy(accuracy) -> str:
    """accuracy(answers, pairs, reverse) -> fraction (0 to 1) of answers that are the right sum."""
    from .own_gpt import addition_line, score_answers
    pairs = [(7, 45), (12, 30), (99, 99), (50, 50), (1, 2), (30, 70), (8, 8), (40, 4)]
    hint = ("read each answer back (undo the reversal with [::-1]), compare it with a + b, "
            "and divide the number right by len(pairs)")
    for reverse in (True, False):
        right = [addition_line(a, b, reverse)[-3:] for a, b in pairs]
        answers = list(right)
        answers[1] = "x4" + answers[1][2]        # not a number: a model can write anything
        answers[3] = answers[3][::-1] if reverse else "010"   # digits in the wrong order
        answers[5] = answers[5][:2] + ("9" if answers[5][2] != "9" else "8")   # one digit off
        answers[6] = "610" if reverse else "016"        # 16 with a zero before it or not: right
        for case in (answers, right, ["000"] * len(pairs)):
            want = score_answers(case, pairs, reverse)
            label = f"with reverse={reverse} and answers {case}"
            out = attempt(accuracy, list(case), list(pairs), reverse)
            if isinstance(out.error, NotImplementedError):
                raise NotAttempted
            if isinstance(out.error, ValueError) and "x4" in "".join(case):
                raise Mistake(f"{label} your function raised ValueError ({out.error}): an answer "
                              f"such as 'x43' is not a number, and a model can write one. Count "
                              f"it as wrong instead of calling int() on it unchecked "
                              f"(answer.isdigit() says whether it is a number)")
            got = call(accuracy, list(case), list(pairs), reverse, hint=hint)
            if isinstance(got, torch.Tensor) and got.numel() == 1:
                got = got.item()
            if isinstance(got, bool) or not isinstance(got, (int, float)):
                raise Mistake(f"{label} you returned {describe(got)}; return one number, the "
                              f"fraction of right answers")
            if abs(got - want) < 1e-9:
                continue
            n_right = round(want * len(pairs))
            if got == n_right and n_right != want:
                raise Mistake(f"{label} you returned {got}, the number of right answers; divide "
                              f"by len(pairs) to get a fraction from 0 to 1")
            if abs(got - 100 * want) < 1e-9 and want:
                raise Mistake(f"{label} you returned {got}, a percentage; return the fraction "
                              f"(0 to 1)")
            flipped = score_answers(case, pairs, not reverse)
            if abs(got - flipped) < 1e-9:
                raise Mistake(f"{label} you gave {got}, expected {want}: you read the answers "
                              f"{'as written' if reverse else 'reversed'}; with reverse=True the "
                              f"answer is written units first, so undo that with [::-1]")
            digits = sum(x == y for ans, (a, b) in zip(case, pairs)
                         for x, y in zip(ans, addition_line(a, b, reverse)[-3:])) / (3 * len(pairs))
            if abs(got - digits) < 1e-9:
                raise Mistake(f"{label} you gave {got}, the fraction of right digits; an answer "
                              f"counts as right only when all three digits are")
            raise Mistake(f"{label} you gave {got}, expected {want}")
    return "only whole, right answers count; reversed answers are read back first."


# ----------------------------------------------------------------------------- lesson 12
# Lesson 12's checks live in their own module; the grader and the notebook tests find every
# check here. (Imported last: checks_l12 uses the framework above.)
from .checks_l12 import *  # noqa: E402,F401,F403
