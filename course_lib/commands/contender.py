"""The contender the course is measured against: a GPT written the way nanoGPT writes one.

nanoGPT (github.com/karpathy/nanoGPT) is the usual reference for a small, fast GPT in
PyTorch. `NanoGPTStyle` follows its `model.py` in everything that costs time: one fused
Linear makes q, k and v; attention is `F.scaled_dot_product_attention(is_causal=True)`; the
feed-forward uses GELU; there are no biases (`bias=False`, as nanoGPT's character-level
Shakespeare config sets); the token embedding and lm_head share one matrix; AdamW puts
weight decay on the matrices only and, on a CPU, runs PyTorch's default (for-loop) update,
as nanoGPT's `configure_optimizers` does off CUDA. It is written here so that the benchmark
needs nothing from outside this repository.

`state_from_course` copies a course model's weights into it: the course's
GPTLanguageModel built with `activation="gelu", bias=False, tie_weights=True` computes the
same function (tests/test_layers.py proves it), so the two differ only in how the code is
written and run.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.model import GPTConfig


class _Attention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=cfg.bias)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.dropout = cfg.dropout
        self.resid_dropout = nn.Dropout(cfg.dropout)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0,
                                           is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class _MLP(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd, bias=cfg.bias)
        self.gelu = nn.GELU()
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd, bias=cfg.bias)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class _Block(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)
        self.attn = _Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)
        self.mlp = _MLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class NanoGPTStyle(nn.Module):
    """nanoGPT's model structure. `cfg.bias` is honoured (nanoGPT's default config is False);
    activation and tying are nanoGPT's (GELU, tied) whatever `cfg` says."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.drop = nn.Dropout(cfg.dropout)
        self.h = nn.ModuleList([_Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.n_embd, bias=cfg.bias)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight                     # tied
        self.apply(self._init)
        for name, p in self.named_parameters():                   # GPT-2's scaled residual init
            if name.endswith("c_proj.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx, targets=None):
        B, T = idx.size()
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(T, device=idx.device)))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss


def nanogpt_optimizer(model: nn.Module, lr: float = 1e-3, weight_decay: float = 0.1,
                      betas=(0.9, 0.99)) -> torch.optim.AdamW:
    """AdamW as nanoGPT configures it: decay on matrices (2-D and up) only; its fused update
    only on CUDA, so on a CPU PyTorch's default. betas (0.9, 0.99): its Shakespeare config."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    on_cuda = all(p.is_cuda for p in params)
    return torch.optim.AdamW(groups, lr=lr, betas=betas, **({"fused": True} if on_cuda else {}))


_NAMES = {"token_embedding_table.weight": "wte.weight",
          "position_embedding_table.weight": "wpe.weight",
          "ln_f.weight": "ln_f.weight", "ln_f.bias": "ln_f.bias",
          "lm_head.weight": "lm_head.weight"}
_BLOCK_NAMES = {"ln1.weight": "ln_1.weight", "ln1.bias": "ln_1.bias",
                "sa.qkv.weight": "attn.c_attn.weight",
                "sa.proj.weight": "attn.c_proj.weight", "sa.proj.bias": "attn.c_proj.bias",
                "ln2.weight": "ln_2.weight", "ln2.bias": "ln_2.bias",
                "ffwd.net.0.weight": "mlp.c_fc.weight", "ffwd.net.0.bias": "mlp.c_fc.bias",
                "ffwd.net.2.weight": "mlp.c_proj.weight", "ffwd.net.2.bias": "mlp.c_proj.bias"}


def state_from_course(course: nn.Module) -> dict[str, torch.Tensor]:
    """A course GPTLanguageModel's weights under NanoGPTStyle's names.

    The course model must be built with tie_weights=True and without a lm_head bias
    (bias=False), as NanoGPTStyle has neither.
    """
    cfg = course.cfg
    if not cfg.tie_weights or cfg.bias:
        raise ValueError("copy weights from a course model built with tie_weights=True and "
                         "bias=False: NanoGPTStyle ties its embeddings and has no lm_head bias")
    out = {}
    for name, p in course.state_dict().items():
        if name in _NAMES:
            out[_NAMES[name]] = p
            continue
        _, i, rest = name.split(".", 2)
        out[f"h.{i}.{_BLOCK_NAMES[rest]}"] = p
    return out
