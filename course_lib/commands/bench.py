"""How fast does the course's GPT train on this CPU, next to a GPT written the nanoGPT way?

    python -m course_lib.bench                       # throughput, the small CPU and lesson 08 configs
    python -m course_lib.bench --config lecture      # the lecture's larger config (slow on a CPU)
    python -m course_lib.bench --recipes             # held-out loss of two recipes, same wall time

Throughput: the contenders train on the same random batches, and the benchmark alternates
between them every step (so a slow moment of a shared machine hits all of them alike) and
reports the median time of a whole training step: forward, backward, gradient clipping,
AdamW.

    nanoGPT-style        commands/contender.py: fused QKV, scaled_dot_product_attention, GELU,
                         no biases, tied embedding and lm_head, nanoGPT's AdamW set-up
    course, as learners  GPTLanguageModel(cfg) and the optimizer course_lib.train uses, in
                         float32: what lesson 08 trains
    course, as the CLI   the same, in the precision `--precision auto` picks for this config
                         (shown only when that is not float32)
    course, all F.linear the same model with every Linear forced to PyTorch's own F.linear
                         (COURSE_LINEAR_BACKEND=aten): the speed the course keeps on a CPU
                         where the other matrix library (oneDNN) does not pay
    lesson 05 heads      GPTLanguageModel(cfg, attention="heads"): separate Head modules
    course, compiled     only with --compile: torch.compile of the course model; its compile
                         time is printed, and how many steps it takes to pay that back

Under each table, the share of the step in the kernels both models run alike (the matrix
products on F.linear and the attention kernel, read from torch.profiler), and so the
largest ratio the course could reach over the contender if the rest of its step took no
time at all: a ceiling that no change outside those kernels can pass on this CPU.

The course model's Linear layers choose their matrix library per shape by timing it
(course_lib/core/layers.py); the table of choices is printed with the CPU model.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import torch
import torch.nn as nn

from ..core.layers import BACKEND_ENV, backend_choices, forced_backend
from ..core.model import GPTConfig, GPTLanguageModel
from ..core.precision import autocast, choose_precision
from ..core.training import clip_grad_norm, make_optimizer
from .contender import NanoGPTStyle, nanogpt_optimizer

CONFIGS = {   # name -> (config, batch size)
    "small CPU": (GPTConfig(vocab_size=65, block_size=64, n_embd=128, n_head=4, n_layer=4), 12),
    "lesson 08": (GPTConfig(vocab_size=67, block_size=128, n_embd=192, n_head=6, n_layer=6), 32),
    "lecture": (GPTConfig(vocab_size=65, block_size=256, n_embd=384, n_head=6, n_layer=6), 16),
}
DEFAULT_CONFIGS = ("small CPU", "lesson 08")
GRAD_CLIP = 1.0   # the train command's default, and nanoGPT's
# the kernels both models call alike, as torch.profiler names them
MATRIX_PRODUCTS = ("aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm")
ATTENTION = "scaled_dot_product"     # every op of F.scaled_dot_product_attention has this


def cpu_model() -> str:
    """The CPU's model name, as Linux reports it (or what platform knows elsewhere)."""
    if os.path.exists("/proc/cpuinfo"):
        for line in open("/proc/cpuinfo", errors="replace"):
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_line() -> str:
    return (f"CPU: {cpu_model()}; {os.cpu_count()} logical CPUs, {torch.get_num_threads()} "
            f"PyTorch threads; torch {torch.__version__}")


@dataclass
class Contender:
    name: str
    model: nn.Module
    optimizer: torch.optim.Optimizer
    precision: str = "fp32"
    times: list = None
    clip: object = torch.nn.utils.clip_grad_norm_   # the course's own: training.clip_grad_norm
    context: object = nullcontext                   # what the step runs under (a backend)
    first_step: float = 0.0                         # seconds of the first step (compiling)

    def step(self, x: torch.Tensor, y: torch.Tensor) -> float:
        start = time.perf_counter()
        with self.context(), autocast(x.device, self.precision):
            _, loss = self.model(x, y)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.clip(self.model.parameters(), GRAD_CLIP)
            self.optimizer.step()
        return time.perf_counter() - start


@contextmanager
def linear_backend(name: str):
    """Every course Linear on `name` (COURSE_LINEAR_BACKEND) while the block runs."""
    before = os.environ.get(BACKEND_ENV)
    os.environ[BACKEND_ENV] = name
    try:
        yield
    finally:
        if before is None:
            del os.environ[BACKEND_ENV]
        else:
            os.environ[BACKEND_ENV] = before


def make_contenders(cfg: GPTConfig, batch, seed: int = 0, compile_course: bool = False
                    ) -> tuple[list[Contender], str]:
    """The contenders for `cfg`, and the reason for the CLI's precision."""
    torch.manual_seed(seed)
    nano = NanoGPTStyle(GPTConfig(**{**cfg.to_dict(), "bias": False}))
    course = GPTLanguageModel(cfg)
    heads = GPTLanguageModel(cfg, attention="heads")

    def same_as_course(name: str, model: nn.Module, **kw) -> Contender:
        model.load_state_dict(course.state_dict())
        return Contender(name, model, make_optimizer(model, 1e-3, 0.01), clip=clip_grad_norm,
                         **kw)

    out = [Contender("nanoGPT-style", nano, nanogpt_optimizer(nano)),
           Contender("course, as learners (fp32)", course, make_optimizer(course, 1e-3, 0.01),
                     clip=clip_grad_norm)]
    if forced_backend() != "aten":
        out.append(same_as_course("course, all F.linear (fp32)", GPTLanguageModel(cfg),
                                  context=lambda: linear_backend("aten")))
    out.append(Contender("lesson 05 heads (fp32)", heads, make_optimizer(heads, 1e-3, 0.01),
                         clip=clip_grad_norm))
    if compile_course:
        compiled = GPTLanguageModel(cfg)
        c = same_as_course("course, torch.compile (fp32)", compiled)
        c.model = torch.compile(compiled)
        out.append(c)
    precision, why = choose_precision("auto", course, batch, torch.device("cpu"))
    if precision != "fp32":
        cli = GPTLanguageModel(cfg)
        cli.load_state_dict(course.state_dict())
        out.insert(2, Contender(f"course, as the CLI ({precision})", cli,
                                make_optimizer(cli, 1e-3, 0.01), precision, clip=clip_grad_norm))
    return out, why


def bench_config(name: str, cfg: GPTConfig, batch_size: int, steps: int, warmup: int,
                 compile_course: bool = False) -> dict:
    g = torch.Generator().manual_seed(0)

    def batch():
        x = torch.randint(cfg.vocab_size, (batch_size, cfg.block_size), generator=g)
        return x, torch.randint(cfg.vocab_size, (batch_size, cfg.block_size), generator=g)

    contenders, why = make_contenders(cfg, batch, compile_course=compile_course)
    for c in contenders:
        c.times = []
    for step in range(warmup + steps):
        x, y = batch()
        order = contenders if step % 2 == 0 else contenders[::-1]   # no one always goes first
        for c in order:
            dt = c.step(x, y)
            if step == 0:
                c.first_step = dt
            if step >= warmup:
                c.times.append(dt)
    tokens = batch_size * cfg.block_size
    forced = next((c for c in contenders if c.name == "course, all F.linear (fp32)"),
                  next(c for c in contenders if c.name == "course, as learners (fp32)"))
    shared = ((forced.name, shared_kernel_ms(forced, batch)),
              (contenders[0].name, shared_kernel_ms(contenders[0], batch)))
    rows = [{"name": c.name, "ms": statistics.median(c.times) * 1e3,
             "tokens_per_s": tokens / statistics.median(c.times),
             "first_step_s": c.first_step,
             "params": sum(p.numel() for p in c.model.parameters())} for c in contenders]
    return {"config": name, "cfg": cfg, "batch_size": batch_size, "rows": rows,
            "precision_reason": why, "shared_ms": shared}


@contextmanager
def _native_stderr_quiet():
    """Hide what C++ code writes to stderr while the block runs (the profiler's library
    prints a "profiler_start"/"profiler_stop" line each time, with no setting to stop it)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def shared_kernel_ms(contender: Contender, batch, steps: int = 5) -> dict[str, float]:
    """Milliseconds per training step that `contender` spends in the matrix products and in
    the attention kernel, read from torch.profiler over `steps` steps (each op's own time on
    the calling thread, so nothing is counted twice)."""
    from torch.profiler import ProfilerActivity, profile
    contender.step(*batch())                              # warm: the profile sees steady steps
    with _native_stderr_quiet(), profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(steps):
            contender.step(*batch())
    out = {"matrix products": 0.0, "attention": 0.0}
    for event in prof.key_averages():
        kind = ("matrix products" if event.key in MATRIX_PRODUCTS else
                "attention" if ATTENTION in event.key else None)
        if kind:
            out[kind] += event.self_cpu_time_total / 1e3 / steps
    return out


def ceiling_line(result: dict) -> str | None:
    """One line: how much of each step goes to the kernels both models share, and the most
    the course (every Linear on F.linear) could gain over the contender by the rest."""
    split = result.get("shared_ms")
    if not split:
        return None
    (course_name, course_ms), (base_name, base_ms) = split
    rows = {r["name"]: r["ms"] for r in result["rows"]}
    course_step, base_step = rows[course_name], rows[base_name]
    course_shared, base_shared = sum(course_ms.values()), sum(base_ms.values())
    parts = " and ".join(f"{name} {ms:.1f}" for name, ms in course_ms.items())
    return (f"kernels both models run alike: {parts} ms of the course's "
            f"{course_step:.1f} ms step (every Linear on F.linear), {base_shared:.1f} ms of "
            f"{base_name}'s {base_step:.1f} ms. Even if the rest of its step took no time, the "
            f"course could be at most {base_step / course_shared:.2f}x {base_name} here; it is "
            f"{base_step / course_step:.2f}x.")


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


def print_table(result: dict) -> None:
    cfg, B = result["cfg"], result["batch_size"]
    base = result["rows"][0]
    print(f"\n{result['config']}: n_layer={cfg.n_layer} n_head={cfg.n_head} n_embd={cfg.n_embd} "
          f"block_size={cfg.block_size} batch={B} vocab={cfg.vocab_size}")
    print(f"{'contender':<30} {'params':>10} {'ms/step':>8} {'tokens/s':>10} {'vs nanoGPT-style':>17}")
    for r in result["rows"]:
        print(f"{r['name']:<30} {r['params']:10,} {r['ms']:8.1f} {r['tokens_per_s']:10,.0f} "
              f"{r['tokens_per_s'] / base['tokens_per_s']:16.2f}x")
    print(f"--precision auto: {result['precision_reason']}")
    if line := ceiling_line(result):
        print(line)
    eager = next(r for r in result["rows"] if r["name"].startswith("course, as learners"))
    for r in result["rows"]:
        if "torch.compile" in r["name"]:
            print(f"torch.compile: the first step took {r['first_step_s']:.1f} s "
                  f"(compiling), {compile_payback(r, eager)}")


def compile_payback(compiled: dict, eager: dict) -> str:
    """How many training steps a compiled model needs to pay its compile time back."""
    saved = (eager["ms"] - compiled["ms"]) / 1e3          # seconds saved per step
    if saved <= 0:
        return (f"then each step was {compiled['ms'] / eager['ms']:.2f}x the eager step's "
                f"time: it never pays back here")
    extra = compiled["first_step_s"] - eager["ms"] / 1e3
    return (f"then {eager['ms'] / compiled['ms']:.2f}x faster per step: it pays back after "
            f"about {max(0.0, extra) / saved:,.0f} steps")


def print_backends() -> None:
    forced = forced_backend()
    if forced:
        print(f"\nLinear backend: {forced} for every shape (COURSE_LINEAR_BACKEND={forced})")
        return
    rows = backend_choices()
    if not rows:
        print("\nLinear backend: F.linear everywhere (no other backend runs here)")
        return
    print("\nLinear backend chosen per shape (rows x in -> out; median ms of a forward"
          "+backward, fastest kept unless F.linear is within 10%):")
    for r in rows:
        ms = ", ".join(f"{k} {v:.3f}" for k, v in r["ms"].items())
        threads = f"{r['threads']} thread{'s' if r['threads'] != 1 else ''}"
        print(f"  {r['rows']:6d} x {r['in']:5d} -> {r['out']:5d}{' +bias' if r['bias'] else '':6} "
              f"{'train' if r['backward'] else 'eval':5} {threads:>9}  {r['backend']:7} ({ms})")


def main(argv: list[str] | None = None) -> int:
    from .cli import OneLineParser, positive_int
    p = OneLineParser(prog="python -m course_lib.bench", description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=positive_int, default=30, help="measured steps per contender")
    p.add_argument("--warmup", type=positive_int, default=3)
    p.add_argument("--config", choices=list(CONFIGS), action="append",
                   help=f"only this config (repeatable; default: {', '.join(DEFAULT_CONFIGS)})")
    p.add_argument("--no-generation", action="store_true", help="skip the generation timing")
    p.add_argument("--compile", action="store_true",
                   help="add torch.compile of the course model (compiling takes minutes on "
                        "a small CPU; the table says when it pays back)")
    p.add_argument("--recipes", action="store_true",
                   help="compare the train command's defaults with nanoGPT's CPU recipe in the "
                        "same wall time")
    args = p.parse_args(argv)
    print(machine_line(), flush=True)
    if args.recipes:
        from .recipes import compare_recipes
        return compare_recipes()
    for name in args.config or DEFAULT_CONFIGS:
        cfg, B = CONFIGS[name]
        print_table(bench_config(name, cfg, B, args.steps, args.warmup, args.compile))
        if not args.no_generation:
            g = bench_generation(cfg)
            print(f"generate {g['new_tokens']} tokens (batch 1): {g['plain']:.2f} s without the "
                  f"key/value cache, {g['cached']:.2f} s with it ({g['plain'] / g['cached']:.2f}x;"
                  f" same tokens: {g['same_tokens']}). The cache helps only while the text fits "
                  f"in block_size={cfg.block_size}.", flush=True)
    print_backends()
    print(f"\n{machine_line()}")
    return 0
