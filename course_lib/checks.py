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


# ----------------------------------------------------------------------------- lesson 08

_LINEAR_HINT = ("weight has shape (out_features, in_features), so the output is "
                "x @ weight.T + bias; use @, which works for any number of leading dimensions")


@exercise
def check_linear_forward(linear_forward) -> str:
    """linear_forward(x, weight, bias) -> x @ weight.T + bias, the computation of nn.Linear."""
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
    from .model import GPTConfig, GPTLanguageModel
    configs = [GPTConfig(vocab_size=67, block_size=32, n_embd=48, n_head=4, n_layer=3),
               GPTConfig(vocab_size=67, block_size=128, n_embd=192, n_head=6, n_layer=6),
               GPTConfig(vocab_size=50, block_size=16, n_embd=24, n_head=3, n_layer=1)]
    for cfg in configs:
        with torch.random.fork_rng():      # building a model must not move the notebook's seed
            want = GPTLanguageModel(cfg).num_parameters()
        got = call(count_parameters, cfg)
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if isinstance(got, bool) or not isinstance(got, (int, float)) or got != int(got):
            raise Mistake(f"return the count as a whole number (an int), got {got!r}")
        got = int(got)
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
    from .model import GPTConfig, GPTLanguageModel
    with torch.random.fork_rng():          # leave the notebook's random state alone
        torch.manual_seed(8)
        model = GPTLanguageModel(GPTConfig(vocab_size=67, block_size=16, n_embd=32, n_head=4,
                                           n_layer=2)).eval()
    g = torch.Generator().manual_seed(8)
    hint = ("the positions are torch.arange(T) with T = idx.shape[1] (not block_size); the "
            "parts are model.token_embedding_table, model.position_embedding_table, "
            "model.blocks, model.ln_f and model.lm_head")
    with torch.no_grad():
        for B, T in ((2, 16), (3, 5)):        # a full block, then a shorter one
            idx = torch.randint(67, (B, T), generator=g)
            want = model(idx)[0]
            got = call(gpt_forward, model, idx, hint=hint)
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
