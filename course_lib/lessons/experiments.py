"""Small experiments that lessons run on the course's own modules, then plot or train.

    lesson 05  heads      attention_pattern_stats (where a head looks, on average)
    lesson 06  blocks     block_forward, gradient_norms_per_block (residual connections)
    lesson 07  LayerNorm  without_layernorm (the model with every LayerNorm taken out)
    any lesson            one_thread (tiny tensor work without threads waiting for each other)

They change no module in model.py: they build the course model and run its parts in
another way, so a lesson can compare "with" and "without" on the same weights.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.model import Block, GPTConfig, GPTLanguageModel
from ..core.validate import is_whole, positive_int
from ..i18n import _


def _require_bool(name: str, value) -> None:
    """TypeError unless value is True or False (1, "yes" or None are not flags here)."""
    if not isinstance(value, bool):
        raise TypeError(_("{name} must be True or False, got {value!r}").format(name=name,
                                                                                 value=value))


# ----------------------------------------------------------------------------- lesson 05

def attention_pattern_stats(weights: torch.Tensor) -> dict[str, torch.Tensor]:
    """Where attention goes, on average: (..., T, T) weights -> three (...) tensors.

    'itself': the weight each position gives to itself; 'previous': to the position just
    before it; 'first': to position 0. Each is the mean over the query rows 1 to T-1
    (row 0 can only look at itself, so it says nothing about the head). T must be >= 2.
    """
    if not isinstance(weights, torch.Tensor) or weights.dim() < 2 \
            or weights.shape[-1] != weights.shape[-2]:
        shape = tuple(weights.shape) if isinstance(weights, torch.Tensor) else type(weights).__name__
        raise ValueError(_("weights must be a tensor ending in (T, T), got {shape}").format(
            shape=shape))
    if weights.shape[-1] < 2:
        raise ValueError(_("weights must cover at least 2 positions (T >= 2); one position can "
                           "only attend to itself"))
    w = weights[..., 1:, :]                                            # rows 1 .. T-1
    return {"itself": w.diagonal(1, -2, -1).mean(-1),
            "previous": w.diagonal(0, -2, -1).mean(-1),
            "first": w[..., 0].mean(-1)}


# ----------------------------------------------------------------------------- lesson 06

def block_forward(block: Block, x: torch.Tensor, residual: bool = True) -> torch.Tensor:
    """Run a Block on (B, T, C) -> (B, T, C), with or without its two residual connections.

    residual=True is exactly `block(x)`. residual=False drops the `x + ...`: each part's
    output replaces its input instead of being added to it.
    """
    if not isinstance(block, Block):
        raise TypeError(_("block must be a course_lib Block, got {kind}").format(
            kind=type(block).__name__))
    _require_bool("residual", residual)
    if residual:
        x = x + block.sa(block.ln1(x))
        x = x + block.ffwd(block.ln2(x))
    else:
        x = block.sa(block.ln1(x))
        x = block.ffwd(block.ln2(x))
    return x


@contextmanager
def one_thread():
    """Run tiny tensor work on one thread: with several, waiting for each other costs more
    than the work itself (seconds instead of milliseconds on a busy laptop).

        with one_thread():
            text = generate_text(model, tokenizer, "\n", 80)

    The number of threads is set back to what it was when the block ends.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def gradient_norms_per_block(depth: int, residual: bool = True, layernorm: bool = True, *,
                             n_embd: int = 32, n_head: int = 4, block_size: int = 16,
                             batch_size: int = 8, vocab_size: int = 67,
                             seed: int = 0) -> list[float]:
    """Build a fresh GPT with `depth` blocks, backpropagate one loss, measure each block.

    Returns `depth` numbers: the norm of the gradient of the loss with respect to all the
    parameters of block 1 (next to the input), block 2, ..., block `depth` (next to the
    output). The model has the course's initialisation; the batch is random token IDs
    from a seeded generator, so the numbers are the same on every run.
    `layernorm=False` takes out every LayerNorm (see `without_layernorm`).
    """
    if not is_whole(depth) or depth < 1:
        raise ValueError(_("depth must be a positive integer (the number of blocks), got "
                           "{depth!r}").format(depth=depth))
    _require_bool("residual", residual)
    _require_bool("layernorm", layernorm)
    positive_int("batch_size", batch_size)
    cfg = GPTConfig(vocab_size=vocab_size, block_size=block_size, n_embd=n_embd,
                    n_head=n_head, n_layer=depth, dropout=0.0)
    with one_thread(), torch.random.fork_rng():   # leave the caller's random stream alone
        return _gradient_norms(cfg, residual, layernorm, batch_size, seed)


def _gradient_norms(cfg: GPTConfig, residual: bool, layernorm: bool, batch_size: int,
                    seed: int) -> list[float]:
    vocab_size, block_size = cfg.vocab_size, cfg.block_size
    torch.manual_seed(seed)
    model = GPTLanguageModel(cfg)
    if not layernorm:
        without_layernorm(model)
    g = torch.Generator().manual_seed(seed)
    tokens = torch.randint(vocab_size, (batch_size, block_size + 1), generator=g)
    idx, targets = tokens[:, :-1], tokens[:, 1:]                       # (B, T) each
    x = model.token_embedding_table(idx) + model.position_embedding_table(
        torch.arange(block_size))                                       # (B, T, C)
    for block in model.blocks:
        x = block_forward(block, x, residual)                          # (B, T, C)
    logits = model.lm_head(model.ln_f(x))                              # (B, T, V)
    loss = F.cross_entropy(logits.reshape(-1, vocab_size), targets.reshape(-1))
    loss.backward()
    norms = []
    for block in model.blocks:
        squares = sum(p.grad.pow(2).sum() for p in block.parameters())
        norms.append(float(squares.sqrt()))
    return norms


# ----------------------------------------------------------------------------- lesson 07

def without_layernorm(model: GPTLanguageModel) -> GPTLanguageModel:
    """Replace `ln1` and `ln2` in every block, and `ln_f`, by nn.Identity(); return the model.

    The model is changed in place; it runs its blocks' own forward, so the Identity modules
    are what runs. Every other weight stays as it was, so a model built from the same seed
    and then stripped differs from the normal one only by its LayerNorms.
    """
    if not isinstance(model, GPTLanguageModel):
        raise TypeError(_("without_layernorm expects a GPTLanguageModel, got {kind}").format(
            kind=type(model).__name__))
    for block in model.blocks:
        block.ln1 = nn.Identity()
        block.ln2 = nn.Identity()
    model.ln_f = nn.Identity()
    return model
