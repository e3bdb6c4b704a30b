"""The models of the course, in the order the lessons build them.

    BigramLanguageModel     lesson 02: each token's row of a table holds next-token logits
    Head                    lesson 05: one head of causal self-attention
    MultiHeadAttention      lesson 05: several heads side by side, concatenated, projected
    CausalSelfAttention     lesson 05: the same computation as MultiHeadAttention, batched
    FeedForward             lesson 06: a small MLP applied to each position on its own
    Block                   lesson 06: attention (communication) then feed-forward (computation)
    GPTLanguageModel        lesson 08: embeddings -> blocks -> ln_f -> lm_head

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

from . import validate
from .layers import Linear
from .sampling import sample_next_token, validate_sampling_args


# ----------------------------------------------------------------------------- config

def _divisors_near(n: int, near: int, most: int = 12) -> str:
    """The divisors of n closest to `near` (all of them when there are few), as text.

    Trial division up to sqrt(n) keeps this quick for any n a config could hold."""
    if n > 10**14:
        return f"of {n}"
    found = set()
    for d in range(1, math.isqrt(n) + 1):
        if n % d == 0:
            found.update((d, n // d))
    closest = sorted(sorted(found, key=lambda d: (abs(d - near), d))[:most])
    return f"of {n} {closest}" if len(found) <= most else f"of {n} near {near} {closest}"


ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU}


@dataclass
class GPTConfig:
    """Every size of a GPTLanguageModel. It checks itself when it is made."""
    vocab_size: int = 67      # how many distinct tokens (characters of the corpus)
    block_size: int = 64      # the longest context, in tokens, that the model reads
    n_embd: int = 128         # channels: the length of each token's vector
    n_head: int = 4           # attention heads per block; each gets n_embd // n_head channels
    n_layer: int = 2          # how many Blocks are stacked (2: the most learning per CPU minute)
    dropout: float = 0.0      # probability of zeroing an activation while training
    activation: str = "relu"  # the feed-forward's nonlinearity: "relu" or "gelu" (GPT-2's)
    bias: bool = True         # biases in the Linears and LayerNorms (GPT-2 has them)
    tie_weights: bool = False # lm_head shares token_embedding_table's weight (GPT-2 does)

    def __post_init__(self):
        for f in ("vocab_size", "block_size", "n_embd", "n_head", "n_layer"):
            validate.positive_int(f, getattr(self, f))
        if self.n_embd % self.n_head:
            raise ValueError(
                f"n_embd={self.n_embd} is not divisible by n_head={self.n_head}: each head gets "
                f"n_embd // n_head channels. Pick n_head from the divisors "
                f"{_divisors_near(self.n_embd, self.n_head)}, or change n_embd")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) \
                or not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be a number in [0, 1), got {self.dropout!r}; "
                             f"0.0 turns dropout off, 0.1 to 0.2 is usual")
        validate.one_of("activation", self.activation, ACTIVATIONS)
        validate.boolean("bias", self.bias)
        validate.boolean("tie_weights", self.tie_weights)

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
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"unknown config field {key!r}{hint}; the fields are {names}")
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
            raise TypeError(f"{name} must be a torch.Tensor of token IDs, got "
                            f"{type(idx).__name__}; use torch.tensor([ids], dtype=torch.long)")
        if idx.dtype != torch.long:
            raise TypeError(f"{name} must hold integer token IDs (torch.long), got {idx.dtype}; "
                            f"convert with {name}.long()")
        if idx.dim() != 2:
            hint = f"; add a batch dimension with {name}.unsqueeze(0)" if idx.dim() == 1 else ""
            raise ValueError(f"{name} must have shape (B, T), got {tuple(idx.shape)}{hint}")
        B, T = idx.shape
        if B == 0 or T == 0:
            raise ValueError(f"{name} is empty (shape {tuple(idx.shape)}); give at least one "
                             f"token, for example an encoded prompt")
        if self.context_size is not None and T > self.context_size:
            raise ValueError(
                f"{name} has {T} tokens but block_size is {self.context_size}: the model has no "
                f"position embedding beyond that. Crop it to the last {self.context_size} "
                f"tokens ({name}[:, -{self.context_size}:]); generate() crops for you")
        if idx.device.type == "cpu":  # on a GPU this check would cost a sync every step
            lo, hi = int(idx.min()), int(idx.max())
            if lo < 0 or hi >= self.cfg.vocab_size:
                bad = lo if lo < 0 else hi
                raise ValueError(f"token ID {bad} in {name} is outside the vocabulary (valid IDs "
                                 f"are 0 to {self.cfg.vocab_size - 1}); encode the text with the "
                                 f"tokenizer this model was built for")

    def _validate_targets(self, idx, targets) -> None:
        if not isinstance(targets, torch.Tensor):
            raise TypeError(f"targets must be a torch.Tensor, got {type(targets).__name__}")
        if targets.shape != idx.shape:
            raise ValueError(
                f"targets must have the same shape as idx {tuple(idx.shape)}, got "
                f"{tuple(targets.shape)}; targets are the inputs shifted by one position, as "
                f"get_batch returns them")
        if targets.dtype != torch.long:
            raise TypeError(f"targets must be integer token IDs (torch.long), got "
                            f"{targets.dtype}; cross-entropy wants class indices, not "
                            f"probabilities or floats (use targets.long())")

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
            for _ in range(max_new_tokens):
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
            raise ValueError("the prompt is empty: generate needs at least one token to start "
                             "from; encode a prompt such as '\\n' (a new line)")
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
                 bias: bool = True):
        super().__init__()
        GPTConfig(n_embd=n_embd, n_head=n_head, block_size=block_size, dropout=dropout)  # checks
        head_size = n_embd // n_head
        self.heads = nn.ModuleList(
            [Head(n_embd, head_size, block_size, dropout) for _ in range(n_head)])
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
    """

    def __init__(self, n_embd: int, n_head: int, block_size: int, dropout: float = 0.0,
                 bias: bool = True):
        super().__init__()
        GPTConfig(n_embd=n_embd, n_head=n_head, block_size=block_size, dropout=dropout)  # checks
        self.n_head = n_head
        self.qkv = Linear(n_embd, 3 * n_embd, bias=False)
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

    def _split_heads(self, x: torch.Tensor):
        B, T, C = x.shape
        q, k, v = self.qkv(x).split(C, dim=2)            # 3 x (B, T, C)
        # (B, T, C) -> (B, T, nh, hs) -> (B, nh, T, hs): heads become a batch dimension
        return [t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v)]

    def attention_weights(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (B, nh, T, T), the weights of every head."""
        q, k, _ = self._split_heads(x)
        T = x.size(1)
        wei = q @ k.transpose(-2, -1) * k.size(-1) ** -0.5   # (B, nh, T, T)
        wei = wei.masked_fill(~_causal_mask(T).to(x.device), float("-inf"))
        return F.softmax(wei, dim=-1)

    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:
        """(B, T, C) -> (B, T, C). With a `cache` (generation), x holds only the new tokens:
        their keys and values are added to the cache, and they attend to every cached one."""
        B, T, C = x.shape
        q, k, v = self._split_heads(x)                   # 3 x (B, nh, T, hs)
        p = self.attn_dropout if self.training else 0.0
        past = 0
        if cache is not None:
            past = len(cache)
            k, v = cache.append(k, v)                    # 2 x (B, nh, past + T, hs)
        if past == 0:
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        else:   # new token t (at position past + t) sees keys 0 .. past + t
            allowed = torch.ones(T, past + T, dtype=torch.bool, device=x.device).tril(past)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)
        y = y.transpose(1, 2).reshape(B, T, C)           # heads side by side again: (B, T, C)
        return self.dropout(self.proj(y))


class KVCache:
    """The keys and values one attention module has computed so far (generation only).

    A token's key and value never change once it is in the context (until the context
    slides past block_size), so generating the next token needs the newest token's q, k, v
    alone; the rest comes from here.
    """

    def __init__(self):
        self.k: torch.Tensor | None = None               # (B, nh, T_seen, hs)
        self.v: torch.Tensor | None = None

    def __len__(self) -> int:
        return 0 if self.k is None else self.k.size(2)

    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Add (B, nh, T_new, hs) keys and values; return all of them."""
        if self.k is not None:
            k, v = torch.cat([self.k, k], dim=2), torch.cat([self.v, v], dim=2)
        self.k, self.v = k, v
        return k, v


# ----------------------------------------------------------------------------- lesson 06

class FeedForward(nn.Module):
    """A two-layer MLP applied to each position on its own: C -> 4C -> ReLU -> C.

    `activation="gelu"` puts GELU (GPT-2's choice) in place of ReLU.
    """

    def __init__(self, n_embd: int, dropout: float = 0.0, activation: str = "relu",
                 bias: bool = True):
        super().__init__()
        validate.one_of("activation", activation, ACTIVATIONS)
        self.net = nn.Sequential(
            Linear(n_embd, 4 * n_embd, bias=bias),
            ACTIVATIONS[activation](),
            Linear(4 * n_embd, n_embd, bias=bias),
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
                 attention: str = "batched", activation: str = "relu", bias: bool = True):
        super().__init__()
        kinds = {"heads": MultiHeadAttention, "batched": CausalSelfAttention}
        if attention not in kinds:
            raise ValueError(f"attention must be one of {list(kinds)}, got {attention!r}")
        self.ln1 = nn.LayerNorm(n_embd, bias=bias)
        self.sa = kinds[attention](n_embd, n_head, block_size, dropout, bias)
        self.ln2 = nn.LayerNorm(n_embd, bias=bias)
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
    """

    def __init__(self, cfg: GPTConfig, attention: str = "batched"):
        super().__init__()
        if not isinstance(cfg, GPTConfig):
            raise TypeError(f"GPTLanguageModel expects a GPTConfig, got {type(cfg).__name__}; "
                            f"build one with GPTConfig(vocab_size=..., n_embd=..., ...)")
        self.cfg = cfg
        self.context_size = cfg.block_size
        self.token_embedding_table = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.position_embedding_table = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.blocks = nn.Sequential(*[
            Block(cfg.n_embd, cfg.n_head, cfg.block_size, cfg.dropout, attention,
                  cfg.activation, cfg.bias)
            for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)   # final layer norm
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
        pos = torch.arange(start, start + T, device=idx.device)
        pos_emb = self.position_embedding_table(pos)     # (T, C)
        return tok_emb + pos_emb                         # (B, T, C), pos_emb broadcast over B

    def logits(self, idx: torch.Tensor) -> torch.Tensor:
        x = self.embed(idx)                              # (B, T, C)
        x = self.blocks(x)                               # (B, T, C)
        x = self.ln_f(x)                                 # (B, T, C)
        return self.lm_head(x)                           # (B, T, V)

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
        """
        if not (use_cache and self.can_cache()):
            return super().generate(idx, max_new_tokens, temperature, top_k, generator)
        self._validate_generate_args(idx, max_new_tokens, temperature, top_k)
        was_training = self.training
        self.eval()
        try:
            caches = None
            for _ in range(max_new_tokens):
                T = idx.size(1)
                if T > self.cfg.block_size:           # the window slides: no reuse possible
                    logits = self.logits(idx[:, -self.cfg.block_size:])[:, -1, :]
                elif caches is None:                  # first step: fill the caches
                    caches = [KVCache() for _ in self.blocks]
                    logits = self._last_logits(idx, caches, start=0)
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
