"""Turning the last position's logits into the next token: temperature, top-k, sampling.

Used by every model's `generate` (model.py); `generate_text` goes from a prompt string to
a continuation, and the command line (generate.py) wraps it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..i18n import _
from . import validate
from .defaults import SEED


def validate_sampling_args(temperature: float, top_k: int | None, vocab_size: int) -> None:
    """Raise ValueError with the fix when temperature or top_k cannot work."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
        raise TypeError(_("temperature must be a number, got {value!r}").format(
            value=temperature))
    validate.finite_number(
        "temperature", temperature, above=0,
        hint=_("the logits are divided by it, so 0 would divide by zero. For nearly greedy text "
               "use a small value such as 0.1, or top_k=1 for exactly greedy text"))
    if top_k is not None:
        if not validate.is_whole(top_k):
            raise TypeError(_("top_k must be an integer or None, got {value!r}").format(
                value=top_k))
        if not 1 <= top_k <= vocab_size:
            raise ValueError(_(
                "top_k must be between 1 and the vocabulary size {vocab_size}, got {top_k}; "
                "use None to sample from every token").format(vocab_size=vocab_size,
                                                              top_k=top_k))


def top_k_filter(logits: torch.Tensor, top_k: int | None) -> torch.Tensor:
    """Keep the `top_k` largest logits in each row and set the rest to -inf.

    (B, C) -> (B, C). Ties at the k-th value are all kept.
    """
    if top_k is None or top_k >= logits.size(-1):
        return logits
    kth = torch.topk(logits, top_k, dim=-1).values[..., -1:]   # (B, 1): the k-th largest
    return logits.masked_fill(logits < kth, float("-inf"))


def next_token_probs(logits: torch.Tensor, temperature: float = 1.0,
                     top_k: int | None = None) -> torch.Tensor:
    """(B, C) logits of the last position -> (B, C) probabilities after temperature and top-k.

    Raises ValueError (with the fix) for a temperature <= 0 and a top_k out of range, so a
    temperature of 0 never turns into a silent division by zero.
    """
    validate_sampling_args(temperature, top_k, logits.size(-1))
    return F.softmax(top_k_filter(logits / temperature, top_k), dim=-1)


def sample_next_token(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Sample one token ID per row from (B, C) logits; returns (B, 1) int64."""
    probs = next_token_probs(logits, temperature, top_k)
    return torch.multinomial(probs, num_samples=1, generator=generator)


def generate_text(model, tokenizer, prompt: str = "\n",
                  max_new_tokens: int = 200, temperature: float = 1.0,
                  top_k: int | None = None, seed: int | None = SEED) -> str:
    """Continue `prompt` with `max_new_tokens` sampled characters; returns prompt + new text.

    The same seed gives the same text. Raises ValueError for an empty prompt, a prompt
    character the model does not know, or bad sampling settings.
    """
    if not isinstance(prompt, str):
        raise TypeError(_("prompt must be a string, got {kind}").format(
            kind=type(prompt).__name__))
    if prompt == "":
        raise ValueError(_("the prompt is empty: give at least one character to start from, "
                           "for example '\\n' (a new line)"))
    ids = tokenizer.encode(prompt)
    device = next(model.parameters()).device
    idx = torch.tensor([ids], dtype=torch.long, device=device)     # (1, T)
    g = None if seed is None else torch.Generator(device=device).manual_seed(seed)
    out = model.generate(idx, max_new_tokens, temperature=temperature, top_k=top_k, generator=g)
    return tokenizer.decode(out[0])
