"""What each speed idea gives: docs/performance.md's measurements.

    python scripts/perf_ideas.py              # about 2 minutes on 2 CPU cores
    python scripts/perf_ideas.py --profile    # and where the time of one course step goes

Every contender trains the small CPU config (n_layer 4, n_head 4, n_embd 128, block 64,
batch 12, vocab 65) on the same random batches; the contenders alternate every step and the
median step time is reported, as a ratio to the course's GPTLanguageModel. Each contender
changes one thing of the course's setup:

    course                  GPTLanguageModel (oneDNN products, fused ReLU, SDPA) + fused AdamW
    no oneDNN kernels       the same modules run their own forward (F.linear, MKL)
    foreach AdamW           PyTorch's default AdamW on a CPU (foreach), not fused
    for-loop AdamW          AdamW(foreach=False): one small update per parameter
    manual attention        no oneDNN kernels, and attention by masked_fill + softmax, not
                            SDPA (compare it with "no oneDNN kernels")
    1 thread                the course with torch.set_num_threads(1) during its step
    bfloat16 autocast       no oneDNN kernels, forward under torch.autocast("cpu", bfloat16)
                            (compare it with "no oneDNN kernels")
    reference               bench.ReferenceGPT (fused QKV Linear + SDPA) + default AdamW
    reference, compiled     torch.compile(reference); its compile time is reported apart
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types

import torch

from course_lib.commands.bench import ReferenceGPT, reference_state_from_course
from course_lib.core.model import GPTConfig, GPTLanguageModel
from course_lib.core.training import make_optimizer

CFG = GPTConfig(vocab_size=65, block_size=64, n_embd=128, n_head=4, n_layer=4, dropout=0.0)
BATCH = 12


def manual_attention_forward(self, x):
    """CausalSelfAttention.forward with the attention written out (as in lesson 04)."""
    B, T, C = x.shape
    q, k, v = self._split_heads(x)
    wei = q @ k.transpose(-2, -1) * k.size(-1) ** -0.5
    wei = wei.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
    y = (torch.softmax(wei, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
    return self.dropout(self.proj(y))


def contenders(compile_reference: bool) -> list[dict]:
    torch.manual_seed(0)
    course = GPTLanguageModel(CFG)
    state = course.state_dict()

    def course_copy(**kw):
        m = GPTLanguageModel(CFG, **kw)
        m.load_state_dict(state)
        return m

    plain = course_copy(fast=False)
    foreach = course_copy()
    loop = course_copy()
    manual = course_copy(fast=False)
    for block in manual.blocks:          # the masked_fill + softmax path, not SDPA
        block.sa.forward = types.MethodType(manual_attention_forward, block.sa)
    one = course_copy()
    bf16 = course_copy(fast=False)
    ref = ReferenceGPT(CFG)
    ref.load_state_dict(reference_state_from_course(course))
    out = [
        dict(name="course", model=course, opt=make_optimizer(course, 1e-3, 0.01)),
        dict(name="no oneDNN kernels", model=plain, opt=make_optimizer(plain, 1e-3, 0.01)),
        dict(name="foreach AdamW", model=foreach,
             opt=torch.optim.AdamW(foreach.parameters(), lr=1e-3, weight_decay=0.01)),
        dict(name="for-loop AdamW", model=loop,
             opt=torch.optim.AdamW(loop.parameters(), lr=1e-3, weight_decay=0.01, foreach=False)),
        dict(name="manual attention (no SDPA)", model=manual, opt=make_optimizer(manual, 1e-3, 0.01)),
        dict(name="1 thread", model=one, opt=make_optimizer(one, 1e-3, 0.01), threads=1),
        dict(name="bfloat16 autocast", model=bf16, opt=make_optimizer(bf16, 1e-3, 0.01),
             autocast=True),
        dict(name="reference", model=ref, opt=torch.optim.AdamW(ref.parameters(), lr=1e-3)),
    ]
    if compile_reference:
        cref = ReferenceGPT(CFG)
        cref.load_state_dict(reference_state_from_course(course))
        opt = torch.optim.AdamW(cref.parameters(), lr=1e-3)
        try:
            compiled = torch.compile(cref)
            x = torch.zeros(BATCH, CFG.block_size, dtype=torch.long)
            t = time.perf_counter()
            _, loss = compiled(x, x)
            loss.backward()
            print(f"torch.compile(reference): first step (compiling) took "
                  f"{time.perf_counter() - t:.1f} s", flush=True)
            out.append(dict(name="reference, torch.compile", model=compiled, opt=opt))
        except Exception as e:   # no C++ compiler, an unsupported platform, ...
            print(f"torch.compile is not usable here: {type(e).__name__}: {str(e)[:200]}")
    for c in out:
        c["times"] = []
    return out


def step(c: dict, x, y) -> float:
    threads = torch.get_num_threads()
    if "threads" in c:
        torch.set_num_threads(c["threads"])
    t = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=c.get("autocast", False)):
        _, loss = c["model"](x, y)
    c["opt"].zero_grad(set_to_none=True)
    loss.backward()
    c["opt"].step()
    dt = time.perf_counter() - t
    torch.set_num_threads(threads)
    return dt


def profile_course() -> None:
    from torch.profiler import ProfilerActivity, profile
    torch.manual_seed(0)
    model = GPTLanguageModel(CFG)
    opt = make_optimizer(model, 1e-3, 0.01)
    x = torch.randint(CFG.vocab_size, (BATCH, CFG.block_size))
    for _ in range(5):
        _, loss = model(x, x)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(20):
            _, loss = model(x, x)
            opt.zero_grad()
            loss.backward()
            opt.step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=40)
    p.add_argument("--no-compile", action="store_true", help="leave torch.compile out")
    p.add_argument("--profile", action="store_true")
    args = p.parse_args(argv)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, config {CFG}, "
          f"batch {BATCH}", flush=True)
    cs = contenders(not args.no_compile)
    g = torch.Generator().manual_seed(0)
    for i in range(5 + args.steps):
        x = torch.randint(CFG.vocab_size, (BATCH, CFG.block_size), generator=g)
        y = torch.randint(CFG.vocab_size, (BATCH, CFG.block_size), generator=g)
        for c in (cs if i % 2 == 0 else cs[::-1]):
            dt = step(c, x, y)
            if i >= 5:
                c["times"].append(dt)
    base = statistics.median(cs[0]["times"])
    print(f"\n{'contender':<30} {'ms/step':>8} {'course / it':>12}")
    for c in cs:
        med = statistics.median(c["times"])
        print(f"{c['name']:<30} {med * 1e3:8.1f} {med / base:11.2f}x")
    print("(course / it > 1: the course's setup is that much faster than this contender)")
    if args.profile:
        profile_course()
    return 0


if __name__ == "__main__":
    sys.exit(main())
