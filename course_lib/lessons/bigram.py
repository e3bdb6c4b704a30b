"""The counting bigram model (lesson 02): count which token follows which, then normalise.

    counts = bigram_counts(corpus.train_data, vocab_size)   # (V, V): counts[i, j] = # of i then j
    probs = bigram_probs(counts, smoothing=1.0)              # (V, V): each row sums to 1
    counting_model_loss(probs, corpus.val_data)              # mean -ln p(next | current)
    sample_from_probs(probs, start_id, 200, generator)       # a list of sampled token IDs

It needs no gradient at all, and it is the best a model that sees only the current token
can do on the training text; `BigramLanguageModel` (model.py) learns the same table by
gradient descent.
"""

from __future__ import annotations

import torch

from ..core.validate import finite_number, int_at_least, is_whole, positive_int
from ..i18n import _


def _validate_ids(data, vocab_size: int, name: str = "data") -> None:
    if not isinstance(data, torch.Tensor) or data.dim() != 1:
        raise ValueError(_("{name} must be a 1-D tensor of token IDs, got {got}").format(
            name=name, got=getattr(data, "shape", type(data).__name__)))
    if data.dtype != torch.long:
        raise TypeError(_("{name} must hold integer token IDs (torch.long), got {dtype}")
                        .format(name=name, dtype=data.dtype))
    if len(data) < 2:
        raise ValueError(_("{name} has {n} token(s); a bigram needs at least 2").format(
            name=name, n=len(data)))
    if int(data.min()) < 0 or int(data.max()) >= vocab_size:
        raise ValueError(_("{name} holds token IDs outside 0..{last}; give the vocab_size of "
                           "the tokenizer that encoded it").format(name=name,
                                                                   last=vocab_size - 1))


def bigram_counts(data: torch.Tensor, vocab_size: int) -> torch.Tensor:
    """(N,) token IDs -> (V, V) int64 counts: counts[i, j] = how often token j follows token i."""
    positive_int("vocab_size", vocab_size)
    _validate_ids(data, vocab_size)
    pair = data[:-1] * vocab_size + data[1:]                    # one number per (current, next)
    return torch.bincount(pair, minlength=vocab_size * vocab_size).view(vocab_size, vocab_size)


def bigram_probs(counts: torch.Tensor, smoothing: float = 1.0) -> torch.Tensor:
    """(V, V) counts -> (V, V) probabilities: (counts + smoothing), each row divided by its sum.

    `smoothing` is added to every count first ("add-one" smoothing for 1.0), so a pair
    never seen in the training text still gets a small probability instead of 0.
    """
    if counts.dim() != 2 or counts.size(0) != counts.size(1):
        raise ValueError(_("counts must be a square (V, V) matrix, got shape {shape}").format(
            shape=tuple(counts.shape)))
    finite_number("smoothing", smoothing, at_least=0,
                  hint="1.0 adds one to every count, 0 keeps the raw counts")
    p = counts.float() + smoothing
    totals = p.sum(dim=1, keepdim=True)                         # (V, 1): one total per row
    if (totals == 0).any():
        row = int((totals.squeeze(1) == 0).nonzero()[0])
        raise ValueError(_("row {row} of the counts is all zeros (token {row} is never "
                           "followed by anything) and smoothing is 0, so its probabilities are "
                           "undefined; use smoothing > 0").format(row=row))
    return p / totals


def counting_model_loss(probs: torch.Tensor, data: torch.Tensor) -> float:
    """The mean negative log-likelihood -ln probs[current, next] over every pair in `data`.

    This is the same cross-entropy the neural model reports, computed on the whole text
    instead of random batches. A pair with probability 0 gives an infinite loss.
    """
    _validate_ids(data, probs.size(0))
    return float(-probs[data[:-1], data[1:]].log().mean())


def sample_from_probs(probs: torch.Tensor, start: int, n: int,
                      generator: torch.Generator | None = None) -> list[int]:
    """Sample n token IDs, each from the row of the token before it; returns [start, ...]."""
    int_at_least("n", n, 0)
    if not is_whole(start) or not 0 <= start < probs.size(0):
        raise ValueError(_("start must be a token ID in 0..{last}, got {start}").format(
            last=probs.size(0) - 1, start=start))
    out = [start]
    for _i in range(n):
        out.append(int(torch.multinomial(probs[out[-1]], 1, generator=generator)))
    return out
