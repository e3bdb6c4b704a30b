"""The models of the course, in the order the lessons build them.

    BigramLanguageModel     lesson 02: each token's row of a table holds next-token logits
    Head                    lesson 05: one head of causal self-attention
    MultiHeadAttention      lesson 05: several heads side by side, concatenated, projected
    CausalSelfAttention     lesson 05: the same computation as MultiHeadAttention, batched
    FeedForward             lesson 06: a small MLP applied to each position on its own
    Block                   lesson 06: attention (communication) then feed-forward (computation)
    GPTLanguageModel        lesson 08: embeddings -> blocks -> ln_f -> lm_head
    RMSNorm, SwiGLU, rope   lesson 12: what later GPTs changed (GPTConfig's norm, position,
    repeat_kv               activation and n_kv_head); the same classes run them

Shapes use the names of the lectures: B batch, T time (sequence length), C channels
(n_embd), hs head size, nh number of heads, V vocabulary size.
"""

from __future__ import annotations

import difflib
import inspect
import math
from dataclasses import asdict, dataclass, fields

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..i18n import _
from . import validate
from .layers import Linear
from .sampling import sample_next_token, validate_sampling_args


# ----------------------------------------------------------------------------- config

def _divisors_near(n: int, near: int, most: int = 12) -> str:
    """The divisors of n closest to `near` (all of them when there are few), as text that
    follows "the divisors" in a message ("of 12 [1, 2, 3, 4, 6, 12]").

    Trial division up to sqrt(n) keeps this quick for any n a config could hold."""
    if n > 10**14:
        return _("of {n}").format(n=n)
    found = set()
    for d in range(1, math.isqrt(n) + 1):
        if n % d == 0:
            found.update((d, n // d))
    closest = sorted(sorted(found, key=lambda d: (abs(d - near), d))[:most])
    if len(found) <= most:
        return _("of {n} {closest}").format(n=n, closest=closest)
    return _("of {n} near {near} {closest}").format(n=n, near=near, closest=closest)


# the feed-forward's nonlinearity; SwiGLU (lesson 12) is defined with the other later-GPT
# parts at the end of this file
ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "swiglu": lambda: SwiGLU()}
NORMS = ("layernorm", "rmsnorm")     # lesson 07's LayerNorm; lesson 12's RMSNorm
POSITIONS = ("learned", "rope")      # a position_embedding_table; or rotary (lesson 12)


@dataclass
class GPTConfig:
    """Every size of a GPTLanguageModel. It checks itself when it is made."""
    vocab_size: int = 67      # how many distinct tokens (characters of the corpus)
    block_size: int = 64      # the longest context, in tokens, that the model reads
    n_embd: int = 128         # channels: the length of each token's vector
    n_head: int = 4           # attention heads per block; each gets n_embd // n_head channels
    n_layer: int = 2          # how many Blocks are stacked (2: the most learning per CPU minute)
    dropout: float = 0.0      # probability of zeroing an activation while training
    activation: str = "relu"  # the feed-forward's nonlinearity: "relu", "gelu" (GPT-2's),
                              # or "swiglu" (a gated unit, Llama's; lesson 12)
    bias: bool = True         # biases in the Linears and LayerNorms (GPT-2 has them)
    tie_weights: bool = False # lm_head shares token_embedding_table's weight (GPT-2 does)
    norm: str = "layernorm"   # "layernorm" (GPT-2) or "rmsnorm" (Llama; lesson 12)
    position: str = "learned" # "learned": a position_embedding_table (GPT-2); "rope": rotate
                              # each query/key channel pair by its position (Llama; lesson 12)
    n_kv_head: int | None = None  # key/value heads (None: n_head); fewer are shared by the
                                  # query heads (grouped-query attention; 1: multi-query)

    def __post_init__(self):
        for f in ("vocab_size", "block_size", "n_embd", "n_head", "n_layer"):
            validate.positive_int(f, getattr(self, f))
        if self.n_embd % self.n_head:
            raise ValueError(_(
                "n_embd={n_embd} is not divisible by n_head={n_head}: each head gets "
                "n_embd // n_head channels. Pick n_head from the divisors {divisors}, or "
                "change n_embd").format(n_embd=self.n_embd, n_head=self.n_head,
                                        divisors=_divisors_near(self.n_embd, self.n_head)))
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) \
                or not 0.0 <= self.dropout < 1.0:
            raise ValueError(_("dropout must be a number in [0, 1), got {value!r}; 0.0 turns "
                               "dropout off, 0.1 to 0.2 is usual").format(value=self.dropout))
        validate.one_of("activation", self.activation, ACTIVATIONS)
        validate.boolean("bias", self.bias)
        validate.boolean("tie_weights", self.tie_weights)
        validate.one_of("norm", self.norm, NORMS)
        validate.one_of("position", self.position, POSITIONS)
        if self.position == "rope" and self.head_size % 2:
            raise ValueError(_(
                "position='rope' rotates pairs of channels, so each head needs an even number "
                "of channels, but n_embd // n_head = {n_embd} // {n_head} = {head_size}; pick "
                "n_embd and n_head with an even quotient").format(
                n_embd=self.n_embd, n_head=self.n_head, head_size=self.head_size))
        if self.n_kv_head is not None:
            validate.positive_int("n_kv_head", self.n_kv_head,
                                  _("None means one key/value head per query head (n_head)"))
            if self.n_head % self.n_kv_head:
                raise ValueError(_(
                    "n_kv_head={n_kv_head} does not divide n_head={n_head}: each key/value "
                    "head serves the same number of query heads. Pick n_kv_head from the "
                    "divisors {divisors}").format(
                    n_kv_head=self.n_kv_head, n_head=self.n_head,
                    divisors=_divisors_near(self.n_head, self.n_kv_head)))

    def __repr__(self) -> str:
        # lesson 12's fields are shown only when set: a GPT-2-shaped config prints as it did
        # before they existed (the stored outputs of lessons 00-11 show such configs)
        later = {"norm": "layernorm", "position": "learned", "n_kv_head": None}
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                 if f.name not in later or getattr(self, f.name) != later[f.name]]
        return f"GPTConfig({', '.join(shown)})"

    @property
    def kv_heads(self) -> int:
        """How many key/value heads each attention has (n_kv_head, or n_head when None)."""
        return self.n_head if self.n_kv_head is None else self.n_kv_head

    @property
    def head_size(self) -> int:
        return self.n_embd // self.n_head

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> GPTConfig:
        """Make a config from a dict, naming any key that is not a field (with a suggestion)."""
        names = [f.name for f in fields(cls)]
        for key in d:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                if close:
                    raise ValueError(_("unknown config field {key!r} (did you mean {close!r}?); "
                                       "the fields are {names}").format(
                        key=key, close=close[0], names=names))
                raise ValueError(_("unknown config field {key!r}; the fields are "
                                   "{names}").format(key=key, names=names))
        return cls(**d)


@dataclass
class BigramConfig:
    """The bigram model has one size: the vocabulary."""
    vocab_size: int = 67

    def __post_init__(self):
        validate.positive_int("vocab_size", self.vocab_size)

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------- shared

class LanguageModel(nn.Module):
    """What every language model of the course shares: input checks, the loss, generate.

    A subclass sets `self.cfg` and `self.context_size` (the longest `idx` its forward
    accepts, or None for no limit) and implements `logits(idx) -> (B, T, V)`.
    """
    cfg: GPTConfig | BigramConfig
    context_size: int | None

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        """(B, T) token IDs [and (B, T) targets] -> (B, T, V) logits and the loss (or None).

        The loss is the cross-entropy over all B*T positions. Raises ValueError or TypeError
        with the fix for a wrong shape, dtype, length or token ID.
        """
        self._validate_idx(idx, "idx")
        if targets is not None:
            self._validate_targets(idx, targets)
        logits = self.logits(idx)                        # (B, T, V)
        if targets is None:
            return logits, None
        return logits, self.loss(logits, targets)

    @staticmethod
    def loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        B, T, C = logits.shape
        # cross_entropy wants (N, C) scores and (N,) classes: flatten batch and time together
        return F.cross_entropy(logits.view(B * T, C), targets.reshape(B * T))

    def _validate_idx(self, idx, name: str) -> None:
        if not isinstance(idx, torch.Tensor):
            raise TypeError(_("{name} must be a torch.Tensor of token IDs, got {kind}; use "
                              "torch.tensor([ids], dtype=torch.long)").format(
                name=name, kind=type(idx).__name__))
        if idx.dtype != torch.long:
            raise TypeError(_("{name} must hold integer token IDs (torch.long), got {dtype}; "
                              "convert with {name}.long()").format(name=name, dtype=idx.dtype))
        if idx.dim() != 2:
            if idx.dim() == 1:
                raise ValueError(_("{name} must have shape (B, T), got {shape}; add a batch "
                                   "dimension with {name}.unsqueeze(0)").format(
                    name=name, shape=tuple(idx.shape)))
            raise ValueError(_("{name} must have shape (B, T), got {shape}").format(
                name=name, shape=tuple(idx.shape)))
        B, T = idx.shape
        if B == 0 or T == 0:
            raise ValueError(_("{name} is empty (shape {shape}); give at least one token, for "
                               "example an encoded prompt").format(
                name=name, shape=tuple(idx.shape)))
        if self.length_limit is not None and T > self.length_limit:
            raise ValueError(_(
                "{name} has {T} tokens but block_size is {limit}: the model has no position "
                "embedding beyond that. Crop it to the last {limit} tokens "
                "({name}[:, -{limit}:]); generate() crops for you").format(
                name=name, T=T, limit=self.length_limit))
        if idx.device.type == "cpu":  # on a GPU this check would cost a sync every step
            lo, hi = int(idx.min()), int(idx.max())
            if lo < 0 or hi >= self.cfg.vocab_size:
                bad = lo if lo < 0 else hi
                raise ValueError(_("token ID {bad} in {name} is outside the vocabulary (valid "
                                   "IDs are 0 to {last}); encode the text with the tokenizer "
                                   "this model was built for").format(
                    bad=bad, name=name, last=self.cfg.vocab_size - 1))

    @property
    def length_limit(self) -> int | None:
        """The longest idx that forward accepts: context_size, unless a model reads further."""
        return self.context_size

    def _validate_targets(self, idx, targets) -> None:
        if not isinstance(targets, torch.Tensor):
            raise TypeError(_("targets must be a torch.Tensor, got {kind}").format(
                kind=type(targets).__name__))
        if targets.shape != idx.shape:
            raise ValueError(_(
                "targets must have the same shape as idx {shape}, got {got}; targets are the "
                "inputs shifted by one position, as get_batch returns them").format(
                shape=tuple(idx.shape), got=tuple(targets.shape)))
        if targets.dtype != torch.long:
            raise TypeError(_("targets must be integer token IDs (torch.long), got {dtype}; "
                              "cross-entropy wants class indices, not probabilities or floats "
                              "(use targets.long())").format(dtype=targets.dtype))

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, generator: torch.Generator | None = None
                 ) -> torch.Tensor:
        """Extend (B, T) token IDs by `max_new_tokens` sampled tokens -> (B, T + max_new_tokens).

        The context fed to the model is cropped to its last `block_size` tokens, so any
        length of prompt works. The model runs in eval mode (no dropout) and its mode is
        restored afterwards.
        """
        self._validate_generate_args(idx, max_new_tokens, temperature, top_k)
        was_training = self.training
        self.eval()
        try:
            for _i in range(max_new_tokens):
                context = self._crop(idx)                          # (B, <= block_size)
                logits = self.logits(context)[:, -1, :]            # (B, V): last position only
                idx_next = sample_next_token(logits, temperature, top_k, generator)  # (B, 1)
                idx = torch.cat((idx, idx_next), dim=1)            # (B, T + 1)
        finally:
            self.train(was_training)
        return idx

    def _crop(self, idx: torch.Tensor) -> torch.Tensor:
        return idx if self.context_size is None else idx[:, -self.context_size:]

    def _validate_generate_args(self, idx, max_new_tokens, temperature, top_k) -> None:
        if isinstance(idx, torch.Tensor) and idx.dim() == 2 and idx.size(1) == 0:
            raise ValueError(_("the prompt is empty: generate needs at least one token to "
                               "start from; encode a prompt such as '\\n' (a new line)"))
        if isinstance(idx, torch.Tensor) and idx.dim() == 2 and self.context_size is not None:
            self._validate_idx(idx[:, -self.context_size:], "idx")
        else:
            self._validate_idx(idx, "idx")
        validate.int_at_least("max_new_tokens", max_new_tokens, 0)
        validate_sampling_args(temperature, top_k, self.cfg.vocab_size)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


# ----------------------------------------------------------------------------- lesson 02

class BigramLanguageModel(LanguageModel):
    """Predicts the next token from the current token alone.

    Row i of `token_embedding_table` holds the logits for the token that follows token i,
    so the "embedding" here is a V-wide vector of scores, not a learned meaning.
    """

    def __init__(self, vocab_size: int):
        super().__init__()
        self.cfg = BigramConfig(vocab_size)
        self.context_size = None   # only the last token matters, so any length is fine
        self.token_embedding_table = nn.Embedding(vocab_size, vocab_size)

    def logits(self, idx: torch.Tensor) -> torch.Tensor:
        return self.token_embedding_table(idx)           # (B, T) -> (B, T, V)

    def _crop(self, idx: torch.Tensor) -> torch.Tensor:
        return idx[:, -1:]                               # the next token depends on this one alone


# ----------------------------------------------------------------------------- lesson 05

def _causal_mask(block_size: int) -> torch.Tensor:
    return torch.tril(torch.ones(block_size, block_size, dtype=torch.bool))


class Head(nn.Module):
    """One head of causal self-attention.

    Every position emits a query ("what am I looking for?"), a key ("what do I contain?")
    and a value ("what I pass on"). The weights are softmax(q k^T / sqrt(hs)) over the
    positions at or before each position; the output is the weighted sum of the values.
    """

    def __init__(self, n_embd: int, head_size: int, block_size: int, dropout: float = 0.0):
        super().__init__()
        self.key = Linear(n_embd, head_size, bias=False)
        self.query = Linear(n_embd, head_size, bias=False)
        self.value = Linear(n_embd, head_size, bias=False)
        # a buffer, not a parameter: it is never trained, and not saved in checkpoints
        self.register_buffer("tril", _causal_mask(block_size), persistent=False)
        self.dropout = nn.Dropout(dropout)

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (B, T, T): row t holds how much position t takes from each position."""
        B, T, C = x.shape
        k = self.key(x)                                  # (B, T, hs)
        q = self.query(x)                                # (B, T, hs)
        # scale so the softmax stays soft at init: the variance of q.k grows with head_size
        wei = q @ k.transpose(-2, -1) * k.size(-1) ** -0.5   # (B, T, hs) @ (B, hs, T) -> (B, T, T)
        wei = wei.masked_fill(~self.tril[:T, :T], float("-inf"))  # no looking at the future
        return F.softmax(wei, dim=-1)                    # (B, T, T), each row sums to 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        wei = self.dropout(self.attention_weights(x))    # (B, T, T)
        v = self.value(x)                                # (B, T, hs)
        return wei @ v                                   # (B, T, T) @ (B, T, hs) -> (B, T, hs)


class MultiHeadAttention(nn.Module):
    """`n_head` heads in parallel; their outputs are concatenated and projected back to C."""

    def __init__(self, n_embd: int, n_head: int, block_size: int, dropout: float = 0.0,
                 bias: bool = True, *, position: str = "learned", n_kv_head: int | None = None):
        super().__init__()
        GPTConfig(n_embd=n_embd, n_head=n_head, block_size=block_size, dropout=dropout)  # checks
        if position != "learned" or n_kv_head not in (None, n_head):
            raise ValueError(_(
                "attention='heads' (lesson 05's separate Head modules) has no position='rope' "
                "and no n_kv_head (got position={position!r}, n_kv_head={n_kv_head!r}); use "
                "attention='batched' (the default, CausalSelfAttention), which has "
                "both").format(position=position, n_kv_head=n_kv_head))
        head_size = n_embd // n_head
        self.heads = nn.ModuleList(
            [Head(n_embd, head_size, block_size, dropout) for _i in range(n_head)])
        self.proj = Linear(n_embd, n_embd, bias=bias)
        self.dropout = nn.Dropout(dropout)

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (B, nh, T, T), the weights of every head."""
        return torch.stack([h.attention_weights(x) for h in self.heads], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.cat([h(x) for h in self.heads], dim=-1)  # nh x (B, T, hs) -> (B, T, C)
        return self.dropout(self.proj(out))                  # (B, T, C)


class CausalSelfAttention(nn.Module):
    """MultiHeadAttention computed for all heads at once.

    One Linear makes the queries, keys and values of every head (rows [q of head 0, q of
    head 1, ..., k of head 0, ..., v of head 0, ...]), and the heads become a batch
    dimension, so the attention of all heads is one batched matrix product. With the same
    weights it computes exactly what MultiHeadAttention computes (see `from_heads`).

    Lesson 12's options: `position="rope"` rotates each head's queries and keys by their
    positions (`apply_rope`); `n_kv_head` < n_head makes fewer key/value heads, each shared
    by n_head // n_kv_head query heads (`repeat_kv`): qkv's rows are then [q of every head,
    k of each kv head, v of each kv head].
    """

    def __init__(self, n_embd: int, n_head: int, block_size: int, dropout: float = 0.0,
                 bias: bool = True, *, position: str = "learned", n_kv_head: int | None = None):
        super().__init__()
        cfg = GPTConfig(n_embd=n_embd, n_head=n_head, block_size=block_size, dropout=dropout,
                        position=position, n_kv_head=n_kv_head)            # checks
        self.n_head, self.n_kv_head = n_head, cfg.kv_heads
        self.rope = position == "rope"
        if self.rope:   # one angle per channel pair; a buffer: never trained, never saved
            self.register_buffer("inv_freq", rope_frequencies(cfg.head_size), persistent=False)
        kv_channels = self.n_kv_head * cfg.head_size
        self.qkv = Linear(n_embd, n_embd + 2 * kv_channels, bias=False)
        self.proj = Linear(n_embd, n_embd, bias=bias)
        self.attn_dropout = dropout
        self.dropout = nn.Dropout(dropout)

    @classmethod
    def from_heads(cls, mha: MultiHeadAttention) -> CausalSelfAttention:
        """A CausalSelfAttention holding the same weights as `mha`."""
        head = mha.heads[0]
        n_embd, n_head = head.key.in_features, len(mha.heads)
        out = cls(n_embd, n_head, head.tril.size(0), mha.dropout.p, mha.proj.bias is not None)
        with torch.no_grad():
            for i, name in enumerate(("query", "key", "value")):
                w = torch.cat([getattr(h, name).weight for h in mha.heads], dim=0)  # (C, C)
                out.qkv.weight[i * n_embd:(i + 1) * n_embd] = w
            out.proj.load_state_dict(mha.proj.state_dict())
        return out

    def _split_heads(self, x: torch.Tensor, start: int = 0):
        """(B, T, C) -> q (B, nh, T, hs), k and v (B, nkv, T, hs); with rope, q and k are
        rotated for positions start, start + 1, ..."""
        B, T, C = x.shape
        hs = C // self.n_head
        q, k, v = self.qkv(x).split([C, self.n_kv_head * hs, self.n_kv_head * hs], dim=2)
        # (B, T, heads * hs) -> (B, T, heads, hs) -> (B, heads, T, hs): heads become a batch dim
        q = q.view(B, T, self.n_head, hs).transpose(1, 2)           # (B, nh, T, hs)
        k, v = [t.view(B, T, self.n_kv_head, hs).transpose(1, 2) for t in (k, v)]  # (B, nkv, T, hs)
        if self.rope:
            cos, sin = rope_angles(self.inv_freq, start, T)          # 2 x (T, hs / 2)
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        return q, k, v

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (B, nh, T, T), the weights of every head."""
        q, k, _v = self._split_heads(x)
        k = repeat_kv(k, self.n_head // self.n_kv_head)  # (B, nh, T, hs)
        T = x.size(1)
        wei = q @ k.transpose(-2, -1) * k.size(-1) ** -0.5   # (B, nh, T, T)
        wei = wei.masked_fill(~_causal_mask(T).to(x.device), float("-inf"))
        return F.softmax(wei, dim=-1)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """(B, T, C) -> (B, T, C). With a `cache` (generation), x holds only the new tokens:
        their keys and values are added to the cache, and they attend to every cached one."""
        B, T, C = x.shape
        q, k, v = self._split_heads(x, 0 if cache is None else cache.seen)  # (B, nh|nkv, T, hs)
        p = self.attn_dropout if self.training else 0.0
        if cache is not None:
            k, v = cache.append(k, v)                    # 2 x (B, nkv, L, hs): L cached keys
        # each key/value head serves n_head // n_kv_head query heads (1 copy: nothing changes)
        k, v = (repeat_kv(t, self.n_head // self.n_kv_head) for t in (k, v))  # (B, nh, L, hs)
        L = k.size(2)
        if L == T:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        else:   # the T new tokens are the last of the L: new token t sees keys 0 .. L - T + t
            allowed = torch.ones(T, L, dtype=torch.bool, device=x.device).tril(L - T)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)
        y = y.transpose(1, 2).reshape(B, T, C)           # heads side by side again: (B, T, C)
        return self.dropout(self.proj(y))


class KVCache:
    """The keys and values one attention module has computed so far (generation only).

    A token's key and value never change once it is in the context (until the context
    slides past block_size), so generating the next token needs the newest token's q, k, v
    alone; the rest comes from here.

    With `window` (RoPE models, lesson 12), only the last `window` keys and values are
    kept: generation then goes on past block_size with every token seeing the last
    block_size tokens, and the kept keys keep their rotation (a score depends only on the
    distance between two positions, so nothing needs recomputing when the window slides).
    """

    def __init__(self, window: int | None = None):
        self.k: torch.Tensor | None = None               # (B, nkv, T_kept, hs)
        self.v: torch.Tensor | None = None
        self.window = window
        self.seen = 0                                    # tokens appended so far: the position
                                                         # of the next one

    def __len__(self) -> int:
        return 0 if self.k is None else self.k.size(2)

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Add (B, nkv, T_new, hs) keys and values; return all those kept."""
        if self.k is not None:
            k, v = torch.cat([self.k, k], dim=2), torch.cat([self.v, v], dim=2)
        self.seen += k.size(2) - len(self)
        if self.window is not None and k.size(2) > self.window:
            k, v = k[:, :, -self.window:], v[:, :, -self.window:]   # forget the oldest
        self.k, self.v = k, v
        return k, v

    def nbytes(self) -> int:
        """The memory the cached keys and values take, in bytes."""
        return 0 if self.k is None else self.k.nbytes + self.v.nbytes


# ----------------------------------------------------------------------------- lesson 06

class FeedForward(nn.Module):
    """A two-layer MLP applied to each position on its own: C -> 4C -> ReLU -> C.

    `activation="gelu"` puts GELU (GPT-2's choice) in place of ReLU. `activation="swiglu"`
    (lesson 12) makes the first Linear twice as wide, C -> 2H, and SwiGLU turns the two
    halves into H gated values; H = 2/3 of 4C, rounded, keeps the parameter count about
    that of C -> 4C -> C (three C x H matrices instead of two C x 4C ones).
    """

    def __init__(self, n_embd: int, dropout: float = 0.0, activation: str = "relu",
                 bias: bool = True):
        super().__init__()
        validate.one_of("activation", activation, ACTIVATIONS)
        hidden = swiglu_hidden(n_embd) if activation == "swiglu" else 4 * n_embd
        width = 2 * hidden if activation == "swiglu" else hidden   # the gate's two halves
        self.net = nn.Sequential(
            Linear(n_embd, width, bias=bias),
            ACTIVATIONS[activation](),
            Linear(hidden, n_embd, bias=bias),
            nn.Dropout(dropout),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)                               # (B, T, C) -> (B, T, C)


class Block(nn.Module):
    """A transformer block: tokens talk (attention), then each thinks alone (feed-forward).

    Pre-norm: LayerNorm is applied before each part, and each part's output is added to its
    input (the residual connection), so gradients have a direct path through every block.
    `attention="heads"` uses MultiHeadAttention (separate Head modules, lesson 05);
    `attention="batched"` uses CausalSelfAttention, the same computation done at once.
    """

    def __init__(self, n_embd: int, n_head: int, block_size: int, dropout: float = 0.0,
                 attention: str = "batched", activation: str = "relu", bias: bool = True, *,
                 norm: str = "layernorm", position: str = "learned",
                 n_kv_head: int | None = None):
        super().__init__()
        kinds = {"heads": MultiHeadAttention, "batched": CausalSelfAttention}
        if attention not in kinds:
            raise ValueError(_("attention must be one of {choices}, got {value!r}").format(
                choices=list(kinds), value=attention))
        self.ln1 = make_norm(norm, n_embd, bias)
        self.sa = kinds[attention](n_embd, n_head, block_size, dropout, bias,
                                   position=position, n_kv_head=n_kv_head)
        self.ln2 = make_norm(norm, n_embd, bias)
        self.ffwd = FeedForward(n_embd, dropout, activation, bias)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """(B, T, C) -> (B, T, C); `cache` (generation only) goes to the attention."""
        h = self.ln1(x)
        x = x + (self.sa(h) if cache is None else self.sa(h, cache=cache))  # communication
        x = x + self.ffwd(self.ln2(x))                                      # computation
        return x


# ----------------------------------------------------------------------------- lesson 08

class GPTLanguageModel(LanguageModel):
    """A decoder-only transformer: token + position embeddings -> blocks -> ln_f -> lm_head.

    The model runs its blocks' own `forward`, whatever modules they hold: replace a block's
    attention or feed-forward and the model computes with the replacement.
    With `cfg.position == "rope"` there is no position_embedding_table: the attention
    rotates queries and keys instead, and forward accepts any length (lesson 12).
    """

    def __init__(self, cfg: GPTConfig, attention: str = "batched"):
        super().__init__()
        if not isinstance(cfg, GPTConfig):
            raise TypeError(_("GPTLanguageModel expects a GPTConfig, got {kind}; build one "
                              "with GPTConfig(vocab_size=..., n_embd=..., ...)").format(
                kind=type(cfg).__name__))
        self.cfg = cfg
        self.context_size = cfg.block_size
        self.token_embedding_table = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        if cfg.position == "learned":        # RoPE puts the positions into the attention
            self.position_embedding_table = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.blocks = nn.Sequential(*[
            Block(cfg.n_embd, cfg.n_head, cfg.block_size, cfg.dropout, attention,
                  cfg.activation, cfg.bias, norm=cfg.norm, position=cfg.position,
                  n_kv_head=cfg.n_kv_head)
            for _i in range(cfg.n_layer)])
        self.ln_f = make_norm(cfg.norm, cfg.n_embd, cfg.bias)   # final layer norm
        self.lm_head = Linear(cfg.n_embd, cfg.vocab_size, bias=cfg.bias)
        self.apply(self._init_weights)
        if cfg.tie_weights:
            # one (V, C) matrix both looks a token up and scores it: row i of the table is
            # token i's vector, and its dot product with the last hidden state is token i's logit
            self.lm_head.weight = self.token_embedding_table.weight

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        # small random weights (std 0.02) keep the logits near 0 at the start, so the first
        # loss is close to ln(vocab_size): every token equally likely
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def embed(self, idx: torch.Tensor, start: int = 0) -> torch.Tensor:
        """(B, T) token IDs at positions start, start+1, ... -> (B, T, C) input vectors."""
        T = idx.size(1)
        tok_emb = self.token_embedding_table(idx)        # (B, T, C)
        if self.cfg.position == "rope":
            return tok_emb                               # positions enter in the attention
        pos = torch.arange(start, start + T, device=idx.device)
        pos_emb = self.position_embedding_table(pos)     # (T, C)
        return tok_emb + pos_emb                         # (B, T, C), pos_emb broadcast over B

    def logits(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.embed(idx)                              # (B, T, C)
        x = self.blocks(x)                               # (B, T, C)
        x = self.ln_f(x)                                 # (B, T, C)
        return self.lm_head(x)                           # (B, T, V)

    @property
    def length_limit(self) -> int | None:
        """None with RoPE (no table to run out of), block_size with a position table."""
        return None if self.cfg.position == "rope" else self.cfg.block_size

    def can_cache(self) -> bool:
        """Whether every block (and its attention) takes a key/value cache in its forward."""
        def takes_cache(module) -> bool:
            try:
                return "cache" in inspect.signature(module.forward).parameters
            except (TypeError, ValueError):
                return False
        return all(takes_cache(b) and takes_cache(getattr(b, "sa", b)) for b in self.blocks)

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0,
                 top_k: int | None = None, generator: torch.Generator | None = None,
                 use_cache: bool = True) -> torch.Tensor:
        """Like LanguageModel.generate, with a key/value cache while the text fits in block_size.

        Without a cache, every new token re-runs the model on the whole context. With it,
        each attention module keeps the keys and values of the tokens already seen
        (`KVCache`), and a step runs the model on the newest token alone. Once the text is
        longer than block_size, the window slides: every token changes position, so its
        position embedding and everything after it change, and each step runs on the whole
        cropped context again, as without a cache. The tokens are the same as without a
        cache for the same generator. Blocks whose forward takes no cache (a module a
        learner swapped in) generate without one.

        With RoPE (lesson 12) the cache goes on past block_size: it keeps the last
        block_size keys and values of each layer (KVCache's window), and the new token sees
        those. In the first layer that is exactly what the cropped context gives, since a
        RoPE score depends only on the distance between two tokens. In later layers a kept
        key was computed when its token still saw the tokens that have since left the
        window, so the text can differ from a run without the cache (which forgets them).
        """
        if not (use_cache and self.can_cache()):
            return super().generate(idx, max_new_tokens, temperature, top_k, generator)
        self._validate_generate_args(idx, max_new_tokens, temperature, top_k)
        was_training = self.training
        self.eval()
        try:
            caches = None
            rope = self.cfg.position == "rope"
            window = self.cfg.block_size if rope else None
            for _i in range(max_new_tokens):
                T = idx.size(1)
                if caches is None and (rope or T <= self.cfg.block_size):
                    # first step: fill the caches (RoPE: with the last block_size tokens)
                    caches = [KVCache(window) for _i in self.blocks]
                    logits = self._last_logits(self._crop(idx), caches, start=0)
                elif T > self.cfg.block_size and not rope:   # the window slides: no reuse
                    logits = self.logits(idx[:, -self.cfg.block_size:])[:, -1, :]
                else:                                 # one new token, at position T - 1
                    logits = self._last_logits(idx[:, -1:], caches, start=T - 1)
                idx_next = sample_next_token(logits, temperature, top_k, generator)  # (B, 1)
                idx = torch.cat((idx, idx_next), dim=1)
        finally:
            self.train(was_training)
        return idx

    def _last_logits(self, idx: torch.Tensor, caches: list[KVCache], start: int) -> torch.Tensor:
        """(B, T_new) tokens at positions start.. -> (B, V) logits of the last one."""
        x = self.embed(idx, start)                       # (B, T_new, C)
        for block, cache in zip(self.blocks, caches):
            x = block(x, cache=cache)
        return self.lm_head(self.ln_f(x[:, -1, :]))      # (B, V)

    def attention_maps(self, idx: torch.Tensor) -> torch.Tensor:
        """(B, T) token IDs -> (n_layer, B, nh, T, T): every head's weights in every layer."""
        self._validate_idx(idx, "idx")
        maps = []
        with torch.no_grad():
            x = self.embed(idx)
            for block in self.blocks:
                maps.append(block.sa.attention_weights(block.ln1(x)))
                x = block(x)
        return torch.stack(maps)


def parameter_breakdown(model: GPTLanguageModel) -> dict[str, int]:
    """Parameter counts of a GPTLanguageModel grouped by part, in the order data flows."""
    groups = {"token embedding": 0, "position embedding": 0, "attention": 0,
              "feed-forward": 0, "layer norms": 0, "lm_head": 0}
    for name, p in model.named_parameters():
        if name.startswith("token_embedding_table"):
            key = "token embedding"
        elif name.startswith("position_embedding_table"):
            key = "position embedding"
        elif ".sa." in name:
            key = "attention"
        elif ".ffwd." in name:
            key = "feed-forward"
        elif name.startswith("lm_head"):
            key = "lm_head"
        else:
            key = "layer norms"
        groups[key] += p.numel()
    return groups


# ----------------------------------------------------------------------------- lesson 12
# What later GPTs (Llama, Mistral, Qwen, ...) changed. Each is an option of GPTConfig, run
# by the classes above: norm="rmsnorm", activation="swiglu", position="rope", n_kv_head.

class RMSNorm(nn.Module):
    """LayerNorm without the mean and the shift: x / sqrt(mean(x²) + eps) * weight.

    (..., C) -> (..., C). It rescales each token's vector to a root mean square of 1 and
    does not centre it, so it has one learned vector (the scale) and no bias.
    """

    def __init__(self, n_embd: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n_embd))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)  # (..., 1)
        return x / rms * self.weight                                     # (..., C)


def make_norm(norm: str, n_embd: int, bias: bool = True) -> nn.Module:
    """The normalisation GPTConfig.norm names: nn.LayerNorm (with bias) or RMSNorm."""
    validate.one_of("norm", norm, NORMS)
    return nn.LayerNorm(n_embd, bias=bias) if norm == "layernorm" else RMSNorm(n_embd)


class SwiGLU(nn.Module):
    """The gated unit of later GPTs: (..., 2H) -> (..., H), SiLU(a) * b for the halves a, b.

    The feed-forward's first Linear makes both halves; b lets each hidden value be scaled
    (or switched off) by the input itself, not only cut at 0 as ReLU does.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x.chunk(2, dim=-1)                        # 2 x (..., H)
        return F.silu(a) * b                             # (..., H); silu(a) = a * sigmoid(a)


def swiglu_hidden(n_embd: int) -> int:
    """SwiGLU's hidden size: 2/3 of 4 * n_embd, rounded, so three C x H matrices hold about
    as many numbers as the two C x 4C of C -> 4C -> C."""
    return round(2 * 4 * n_embd / 3)


def rope_frequencies(head_size: int, base: float = 10000.0) -> torch.Tensor:
    """(hs / 2,) the angle per position of each channel pair: base^(-2i / hs), i = 0, 1, ...

    Pair 0 turns by 1 radian per position, the last pair almost not at all: fast pairs tell
    near positions apart, slow ones far positions (RoFormer, Su et al. 2021)."""
    return base ** (-torch.arange(0, head_size, 2, dtype=torch.float32) / head_size)


def rope_angles(inv_freq: torch.Tensor, start: int, T: int):
    """cos and sin of the angles of positions start .. start + T - 1 -> 2 x (T, hs / 2)."""
    pos = torch.arange(start, start + T, dtype=torch.float32, device=inv_freq.device)
    angles = pos[:, None] * inv_freq[None, :]            # (T, 1) * (1, hs/2) -> (T, hs/2)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate each channel pair (2i, 2i+1) of (..., T, hs) by its angle; (T, hs/2) angles.

    A query at position m and a key at position n turned by m·θ and n·θ: their dot product
    depends only on (m - n)·θ, the distance. Lengths do not change (a rotation)."""
    x1, x2 = x[..., 0::2], x[..., 1::2]                  # (..., T, hs/2): each pair's two channels
    out1 = x1 * cos - x2 * sin                           # the 2-D rotation of (x1, x2)
    out2 = x1 * sin + x2 * cos
    return torch.stack((out1, out2), dim=-1).flatten(-2)  # (..., T, hs/2, 2) -> (..., T, hs)


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """(B, nkv, T, hs) -> (B, nkv * n_rep, T, hs): each key/value head once per query head
    that uses it (heads 0 .. n_rep-1 use kv head 0, the next n_rep kv head 1, ...)."""
    return x if n_rep == 1 else x.repeat_interleave(n_rep, dim=1)
