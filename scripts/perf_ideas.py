"""What each speed idea gives on this machine: the measurements behind docs/performance.md.

    python scripts/perf_ideas.py                    # the small CPU config (about 2 minutes)
    python scripts/perf_ideas.py --config "lesson 08" --config lecture
    python scripts/perf_ideas.py --profile          # and where the time of one course step goes
    python scripts/perf_ideas.py --nanogpt ~/nanoGPT   # and nanoGPT's own model.py, from a clone

Every contender trains the same config on the same random batches; the contenders alternate
every step and the median step time is reported as "course / it": how many times faster the
course's setup (the first row) is than the contender. Each contender changes one thing:

    course                 GPTLanguageModel, Linear backends chosen per shape by timing,
                           fused AdamW, float32, gradient clipping at 1.0
    all F.linear           every Linear on PyTorch's own F.linear (COURSE_LINEAR_BACKEND=aten)
    all oneDNN             every Linear on oneDNN (COURSE_LINEAR_BACKEND=onednn)
    foreach AdamW          AdamW(foreach=True) instead of fused
    for-loop AdamW         AdamW(foreach=False): PyTorch's default on a CPU
    bf16 autocast          the forward under torch.autocast("cpu", bfloat16)
    1 thread               torch.set_num_threads(1) during the step
    GELU                   activation="gelu"
    no biases, tied        bias=False, tie_weights=True
    nanoGPT-style          commands/contender.py with nanoGPT's AdamW set-up
    nanoGPT-style compiled torch.compile of it (only with --compile; its compile time apart)
    nanoGPT model.py       only with --nanogpt DIR: the GPT class of nanoGPT's own model.py,
                           read from your clone of github.com/karpathy/nanoGPT (nothing of it
                           is in this repository), with its configure_optimizers on a CPU
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from contextlib import contextmanager, nullcontext

import torch

from course_lib.commands.bench import (CONFIGS, GRAD_CLIP, linear_backend, machine_line,
                                       print_backends)
from course_lib.commands.contender import NanoGPTStyle, nanogpt_optimizer
from course_lib.core.model import GPTConfig, GPTLanguageModel
from course_lib.core.training import make_optimizer


@contextmanager
def threads(n: int):
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def nanogpt_model(directory: str, cfg: GPTConfig):
    """nanoGPT's own GPT and optimizer, from model.py in a local clone of its repository."""
    import contextlib
    import importlib.util
    import io
    path = os.path.join(os.path.expanduser(directory), "model.py")
    if not os.path.isfile(path):
        sys.exit(f"--nanogpt: no model.py in {directory}; clone "
                 f"https://github.com/karpathy/nanoGPT and pass its folder")
    spec = importlib.util.spec_from_file_location("nanogpt_model", path)
    module = importlib.util.module_from_spec(spec)
    with contextlib.redirect_stdout(io.StringIO()):    # it prints parameter counts
        spec.loader.exec_module(module)
        model = module.GPT(module.GPTConfig(
            block_size=cfg.block_size, vocab_size=cfg.vocab_size, n_layer=cfg.n_layer,
            n_head=cfg.n_head, n_embd=cfg.n_embd, dropout=0.0, bias=False))
        # weight decay 0.1, lr 1e-3, betas (0.9, 0.99): its Shakespeare character config
        opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.99), "cpu")
    return model, opt


def contenders(cfg: GPTConfig, compile_nano: bool, nanogpt_dir: str | None = None
               ) -> list[dict]:
    torch.manual_seed(0)

    def course(**kw):
        m = GPTLanguageModel(GPTConfig(**{**cfg.to_dict(), **kw}))
        return m

    def row(name, model, opt=None, ctx=nullcontext):
        return dict(name=name, model=model,
                    opt=opt or make_optimizer(model, 1e-3, 0.01), ctx=ctx, times=[])

    out = [row("course", course())]
    m = course()
    out.append(row("all F.linear", m, ctx=lambda: linear_backend("aten")))
    m = course()
    out.append(row("all oneDNN", m, ctx=lambda: linear_backend("onednn")))
    m = course()
    out.append(row("foreach AdamW", m, torch.optim.AdamW(m.parameters(), 1e-3, foreach=True)))
    m = course()
    out.append(row("for-loop AdamW", m, torch.optim.AdamW(m.parameters(), 1e-3, foreach=False)))
    out.append(row("bf16 autocast", course(),
                   ctx=lambda: torch.autocast("cpu", dtype=torch.bfloat16)))
    out.append(row("1 thread", course(), ctx=lambda: threads(1)))
    out.append(row("GELU", course(activation="gelu")))
    out.append(row("no biases, tied", course(bias=False, tie_weights=True)))
    nano = NanoGPTStyle(GPTConfig(**{**cfg.to_dict(), "bias": False}))
    out.append(row("nanoGPT-style", nano, nanogpt_optimizer(nano)))
    if nanogpt_dir:
        out.append(row("nanoGPT model.py", *nanogpt_model(nanogpt_dir, cfg)))
    if compile_nano:
        c = NanoGPTStyle(GPTConfig(**{**cfg.to_dict(), "bias": False}))
        out.append(row("nanoGPT-style compiled", torch.compile(c), nanogpt_optimizer(c)))
    return out


def step(c: dict, x, y) -> float:
    start = time.perf_counter()
    with c["ctx"]():
        _, loss = c["model"](x, y)
        c["opt"].zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(c["model"].parameters(), GRAD_CLIP)
        c["opt"].step()
    return time.perf_counter() - start


def measure(name: str, steps: int, warmup: int, compile_nano: bool,
            nanogpt_dir: str | None = None) -> None:
    cfg, B = CONFIGS[name]
    rows = contenders(cfg, compile_nano, nanogpt_dir)
    g = torch.Generator().manual_seed(0)
    for i in range(warmup + steps):
        x = torch.randint(cfg.vocab_size, (B, cfg.block_size), generator=g)
        y = torch.randint(cfg.vocab_size, (B, cfg.block_size), generator=g)
        for c in (rows if i % 2 == 0 else rows[::-1]):
            t = step(c, x, y)
            if i >= warmup:
                c["times"].append(t)
            elif "compiled" in c["name"] and i == 0:
                print(f"  (compiling nanoGPT-style took {t:.1f} s)", flush=True)
    base = statistics.median(rows[0]["times"])
    print(f"\n{name}: n_layer={cfg.n_layer} n_head={cfg.n_head} n_embd={cfg.n_embd} "
          f"block_size={cfg.block_size} batch={B}, {steps} steps each, medians")
    print(f"{'contender':<24} {'ms/step':>8} {'course / it':>12}")
    for c in rows:
        med = statistics.median(c["times"])
        print(f"{c['name']:<24} {med * 1e3:8.1f} {med / base:11.2f}x")


def profile(name: str) -> None:
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile
    cfg, B = CONFIGS[name]
    torch.manual_seed(0)
    model = GPTLanguageModel(cfg)
    opt = make_optimizer(model, 1e-3, 0.01)
    x = torch.randint(cfg.vocab_size, (B, cfg.block_size))
    c = dict(model=model, opt=opt, ctx=nullcontext)
    for _ in range(3):
        step(c, x, x)
    with torch_profile(activities=[ProfilerActivity.CPU]) as p:
        for _ in range(10):
            step(c, x, x)
    print(f"\nwhere 10 steps of the course model go ({name}):")
    print(p.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", choices=list(CONFIGS), action="append")
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--compile", action="store_true", help="add a torch.compile'd nanoGPT-style")
    p.add_argument("--profile", action="store_true")
    p.add_argument("--nanogpt", metavar="DIR", help="a clone of karpathy/nanoGPT: add its model.py")
    args = p.parse_args(argv)
    print(machine_line(), flush=True)
    for name in args.config or ["small CPU"]:
        measure(name, args.steps, args.warmup, args.compile, args.nanogpt)
        if args.profile:
            profile(name)
    print_backends()
    return 0


if __name__ == "__main__":
    sys.exit(main())
