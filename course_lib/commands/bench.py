"""How fast does the course's GPT train on this CPU, next to the standard implementation?

    python -m course_lib.bench                # throughput table, both configs
    python -m course_lib.bench --recipes      # held-out loss of two recipes in the same wall time

Throughput: three contenders train on the same random batches, and the benchmark
alternates between them every step (so a slow moment of a shared machine hits all three
alike) and reports the median time of a whole training step: forward, backward, AdamW.

    lesson      GPTLanguageModel(cfg, attention="heads"): separate Head modules, as lesson 05
                builds them, and PyTorch's default AdamW
    course      GPTLanguageModel(cfg) with the optimizer `course_lib.training` uses: what the
                course trains
    reference   written below: the standard pattern of production GPT code (one fused QKV
                Linear, F.scaled_dot_product_attention(is_causal=True)), the same
                architecture, biases and parameter count as `course`, default AdamW

The FLOPs of a training step are estimated as 6 per parameter per token (forward 2,
backward 4) plus the attention products (12 * n_layer * T * n_embd per token, halved for
the causal mask); the peak is this CPU's fp32 FMA throughput (see `cpu_peak_gflops`).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..core.model import GPTConfig, GPTLanguageModel
from ..core.training import make_optimizer


# ----------------------------------------------------------------------------- the reference

class RefAttention(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd, bias=False)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.dropout = cfg.dropout
        self.resid_dropout = nn.Dropout(cfg.dropout)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0,
                                           is_causal=True)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


class RefMLP(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x):
        return self.dropout(self.c_proj(F.relu(self.c_fc(x))))


class RefBlock(nn.Module):
    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd)
        self.attn = RefAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd)
        self.mlp = RefMLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class ReferenceGPT(nn.Module):
    """nanoGPT's structure with the course's architecture (ReLU MLP, no tying, lm_head bias)."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.block_size, cfg.n_embd)
        self.h = nn.ModuleList([RefBlock(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.n_embd)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size)

    def forward(self, idx, targets=None):
        B, T = idx.size()
        x = self.wte(idx) + self.wpe(torch.arange(T, device=idx.device))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss


REF_NAMES = {  # course name -> reference name, per block and outside
    "token_embedding_table.weight": "wte.weight",
    "position_embedding_table.weight": "wpe.weight",
    "ln_f.weight": "ln_f.weight", "ln_f.bias": "ln_f.bias",
    "lm_head.weight": "lm_head.weight", "lm_head.bias": "lm_head.bias",
}
REF_BLOCK_NAMES = {
    "ln1.weight": "ln_1.weight", "ln1.bias": "ln_1.bias",
    "sa.qkv.weight": "attn.c_attn.weight",
    "sa.proj.weight": "attn.c_proj.weight", "sa.proj.bias": "attn.c_proj.bias",
    "ln2.weight": "ln_2.weight", "ln2.bias": "ln_2.bias",
    "ffwd.net.0.weight": "mlp.c_fc.weight", "ffwd.net.0.bias": "mlp.c_fc.bias",
    "ffwd.net.2.weight": "mlp.c_proj.weight", "ffwd.net.2.bias": "mlp.c_proj.bias",
}


def reference_state_from_course(course: GPTLanguageModel) -> dict[str, torch.Tensor]:
    """The course model's weights under the reference's names (same tensors, renamed)."""
    out = {}
    for name, p in course.state_dict().items():
        if name in REF_NAMES:
            out[REF_NAMES[name]] = p
            continue
        _, i, rest = name.split(".", 2)
        out[f"h.{i}.{REF_BLOCK_NAMES[rest]}"] = p
    return out


# ----------------------------------------------------------------------------- measuring

CONFIGS = {
    "small CPU": (GPTConfig(vocab_size=65, block_size=64, n_embd=128, n_head=4, n_layer=4), 12),
    "lesson 08": (GPTConfig(vocab_size=67, block_size=128, n_embd=192, n_head=6, n_layer=6), 32),
}


def flops_per_token(cfg: GPTConfig, n_params: int) -> float:
    """Training FLOPs per token: 6 per weight (2 forward, 4 backward) + the attention products."""
    # the embedding lookups cost no multiply-adds; the position table is not multiplied either
    dense = n_params - cfg.vocab_size * cfg.n_embd - cfg.block_size * cfg.n_embd
    attention = 12 * cfg.n_layer * cfg.block_size * cfg.n_embd / 2   # causal: half the matrix
    return 6 * dense + attention


def cpu_peak_gflops() -> tuple[float, str]:
    """This CPU's fp32 peak: cores x GHz x FMA lanes x 2 FMA pipes x 2 FLOPs per FMA.

    The clock is the TSC rate Linux reports (BogoMIPS / 2), the lane count 16 with AVX-512
    or 8 with AVX2; Zen 4/5 and recent Xeons issue two FMAs per cycle. It is an estimate.
    """
    cores = torch.get_num_threads()
    info = open("/proc/cpuinfo").read() if os.path.exists("/proc/cpuinfo") else ""
    ghz = 2.5
    for line in info.splitlines():
        if line.lower().startswith("bogomips"):
            ghz = float(line.split(":")[1]) / 2000
            break
    lanes = 16 if "avx512f" in info else 8 if "avx2" in info else 4
    peak = cores * ghz * lanes * 2 * 2
    return peak, (f"{cores} threads x {ghz:.2f} GHz x {lanes} fp32 lanes x 2 FMA pipes x 2 "
                  f"FLOPs = {peak:.0f} GFLOP/s")


def measured_matmul_gflops(n: int = 1024, repeats: int = 10) -> float:
    """What one large fp32 matrix product reaches here: a practical ceiling."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t)
    return 2 * n ** 3 / statistics.median(times) / 1e9


@dataclass
class Contender:
    name: str
    model: nn.Module
    optimizer: torch.optim.Optimizer
    times: list


def make_contenders(cfg: GPTConfig, seed: int = 0) -> list[Contender]:
    torch.manual_seed(seed)
    course = GPTLanguageModel(cfg)
    lesson = GPTLanguageModel(cfg, attention="heads")
    reference = ReferenceGPT(cfg)
    reference.load_state_dict(reference_state_from_course(course))
    out = [
        Contender("lesson (separate Heads)", lesson, torch.optim.AdamW(lesson.parameters(), lr=1e-3), []),
        Contender("course GPTLanguageModel", course, make_optimizer(course, 1e-3, 0.01), []),
        Contender("reference (fused QKV + SDPA)", reference,
                  torch.optim.AdamW(reference.parameters(), lr=1e-3), []),
    ]
    return out


def train_step(c: Contender, x: torch.Tensor, y: torch.Tensor) -> float:
    t = time.perf_counter()
    _, loss = c.model(x, y)
    c.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    c.optimizer.step()
    return time.perf_counter() - t


def bench_config(name: str, cfg: GPTConfig, batch_size: int, steps: int, warmup: int) -> dict:
    contenders = make_contenders(cfg)
    g = torch.Generator().manual_seed(0)
    for step in range(warmup + steps):
        x = torch.randint(cfg.vocab_size, (batch_size, cfg.block_size), generator=g)
        y = torch.randint(cfg.vocab_size, (batch_size, cfg.block_size), generator=g)
        order = contenders if step % 2 == 0 else contenders[::-1]   # no one always goes first
        for c in order:
            dt = train_step(c, x, y)
            if step >= warmup:
                c.times.append(dt)
    tokens = batch_size * cfg.block_size
    rows = []
    for c in contenders:
        med = statistics.median(c.times)
        n = sum(p.numel() for p in c.model.parameters())
        rows.append({"name": c.name, "ms": med * 1e3, "tokens_per_s": tokens / med,
                     "params": n, "gflops": flops_per_token(cfg, n) * tokens / med / 1e9})
    return {"config": name, "cfg": cfg, "batch_size": batch_size, "rows": rows}


def bench_generation(cfg: GPTConfig, new_tokens: int = 500, repeats: int = 3) -> dict:
    """Seconds to generate `new_tokens` from a one-token prompt, without and with the cache."""
    torch.manual_seed(0)
    model = GPTLanguageModel(cfg).eval()
    idx = torch.zeros(1, 1, dtype=torch.long)
    times = {False: [], True: []}
    outs = {}
    for _ in range(repeats):
        for use_cache in (False, True):
            t = time.perf_counter()
            outs[use_cache] = model.generate(idx, new_tokens, use_cache=use_cache,
                                             generator=torch.Generator().manual_seed(0))
            times[use_cache].append(time.perf_counter() - t)
    return {"plain": statistics.median(times[False]), "cached": statistics.median(times[True]),
            "same_tokens": bool(torch.equal(outs[False], outs[True])), "new_tokens": new_tokens}


def print_table(result: dict, peak: float) -> None:
    cfg, B = result["cfg"], result["batch_size"]
    ref = next(r for r in result["rows"] if r["name"].startswith("reference"))
    print(f"\n{result['config']}: n_layer={cfg.n_layer} n_head={cfg.n_head} n_embd={cfg.n_embd} "
          f"block_size={cfg.block_size} batch={B} vocab={cfg.vocab_size} "
          f"({ref['params']:,} parameters, {flops_per_token(cfg, ref['params']) / 1e6:.2f} "
          f"MFLOP per token)")
    print(f"{'contender':<30} {'ms/step':>8} {'tokens/s':>10} {'vs ref':>7} {'GFLOP/s':>8} "
          f"{'of peak':>8}")
    for r in result["rows"]:
        print(f"{r['name']:<30} {r['ms']:8.1f} {r['tokens_per_s']:10,.0f} "
              f"{r['tokens_per_s'] / ref['tokens_per_s']:6.2f}x {r['gflops']:8.1f} "
              f"{r['gflops'] / peak:8.1%}")


def main(argv: list[str] | None = None) -> int:
    from .cli import OneLineParser, positive_int
    p = OneLineParser(prog="python -m course_lib.bench", description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=positive_int, default=30, help="measured steps per contender")
    p.add_argument("--warmup", type=positive_int, default=3)
    p.add_argument("--config", choices=list(CONFIGS), action="append",
                   help="only this config (repeatable; default: all)")
    p.add_argument("--recipes", action="store_true",
                   help="compare the course recipe with the standard one in the same wall time")
    p.add_argument("--seconds", type=float, default=None,
                   help="wall time per recipe (default: what the standard recipe needs for 2000 steps)")
    args = p.parse_args(argv)
    if args.recipes:
        from .recipes import compare_recipes
        return compare_recipes(args.seconds)
    peak, how = cpu_peak_gflops()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; fp32 peak estimate: {how}")
    print(f"one 1024x1024 fp32 matmul reaches {measured_matmul_gflops():.0f} GFLOP/s here")
    for name in args.config or list(CONFIGS):
        cfg, B = CONFIGS[name]
        print_table(bench_config(name, cfg, B, args.steps, args.warmup), peak)
        g = bench_generation(cfg)
        print(f"generate {g['new_tokens']} tokens (batch 1): {g['plain']:.2f} s without the "
              f"key/value cache, {g['cached']:.2f} s with it ({g['plain'] / g['cached']:.2f}x; "
              f"same tokens: {g['same_tokens']}). The cache helps only while the text fits in "
              f"block_size={cfg.block_size}.")
    return 0
