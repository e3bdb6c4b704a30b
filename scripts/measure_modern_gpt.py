"""What changed after GPT-2, measured: lesson 08's GPT against RMSNorm, RoPE, SwiGLU and
grouped-query attention, each alone and all four together (lesson 12).

    python scripts/measure_modern_gpt.py            # up to 33 runs of 400 steps, one thread
    python scripts/measure_modern_gpt.py --quick    # a few seconds: the tests run this

    # the same in about half the time, on two cores: time the steps, then train the two
    # halves in parallel (one thread each), then write the result from the saved runs
    python scripts/measure_modern_gpt.py --part timing
    python scripts/measure_modern_gpt.py --part steps & python scripts/measure_modern_gpt.py --part time
    python scripts/measure_modern_gpt.py            # trains nothing that is saved already

The model is lesson 08's comparison GPT (scripts/sweep_n_embd.py's FIXED at n_embd=64:
4 blocks of 4 heads, block_size 64), trained on the course corpus from three seeds with
lesson 08's settings but fewer steps (STEPS, 400 instead of 1,500, so that all runs fit in
minutes: on a quiet 2-core Intel Xeon the two parts took about 10 minutes in two processes).
Each variant changes GPTConfig fields only:

    rmsnorm  norm="rmsnorm"        RMSNorm in place of every LayerNorm
    rope     position="rope"       rotary positions, no position table
    swiglu   activation="swiglu"   a gated feed-forward of about the same size
    gqa      n_kv_head=1           one key/value head shared by the 4 query heads
    all four all of the above      the Llama-style choices together

Equal steps: every variant trains STEPS steps. Equal time: first each variant's time per
training step is measured on one thread, the variants interleaved (ROUNDS rounds, so a
busy spell of the machine hits them all), as CPU time (the wall time of an idle machine,
see step_times), and the median taken; then each variant trains
for as many steps as fit into the time the baseline needs for STEPS steps. Those step
counts are fixed before any run, so the runs are deterministic: the machine's load changes
how long they take, not what they compute.

It also records: the RoPE runs' held-out loss on windows of 1x and 2x block_size (a
learned position table cannot read 2x at all), the speed of LayerNorm and RMSNorm alone,
and the key/value cache's bytes for each n_kv_head. The result is data/modern_gpt.json
(lesson 12 reads it); --quick writes data/modern_gpt.quick.json unless --out is given.
The timing and every finished run are saved at once next to it (NAME.partial-*.json), so a
stopped measurement goes on where it stopped; they are removed once the result is written.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn

from course_lib import GPTConfig, GPTLanguageModel, get_batch, load_corpus, train
from course_lib.commands.bench import cpu_model
from course_lib.core.model import KVCache, RMSNorm

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "data" / "modern_gpt.json"
COMMAND = "python scripts/measure_modern_gpt.py"

MODEL = dict(block_size=64, n_embd=64, n_head=4, n_layer=4, dropout=0.0)  # lesson 08's
VARIANTS = {"baseline": {},
            "rmsnorm": {"norm": "rmsnorm"},
            "rope": {"position": "rope"},
            "swiglu": {"activation": "swiglu"},
            "gqa": {"n_kv_head": 1},
            "all four": {"norm": "rmsnorm", "position": "rope", "activation": "swiglu",
                         "n_kv_head": 1}}
SEEDS = [1337, 1338, 1339]
STEPS = 400
TRAIN = dict(batch_size=32, lr=2e-3, min_lr=2e-4, warmup_iters=10, grad_clip=1.0,
             eval_iters=10, precision="fp32")
ROUNDS = 5                 # timing rounds (each variant once per round, interleaved)
STEPS_PER_ROUND = 2
QUICK = dict(model=dict(block_size=16, n_embd=16, n_head=4, n_layer=1, dropout=0.0),
             seeds=[1, 2, 3], steps=6, rounds=2, steps_per_round=1, eval_iters=2)


def config(vocab_size: int, model: dict, change: dict) -> GPTConfig:
    return GPTConfig(vocab_size=vocab_size, **(model | change))


def step_times(corpus, model: dict, rounds: int, per_round: int, batch_size: int
               ) -> dict[str, list[float]]:
    """Seconds per training step (forward, backward, AdamW) of each variant, interleaved:
    round r times every variant once. -> {variant: [one number per round]}.

    The clock is this thread's CPU time (time.thread_time): on one thread of an idle
    machine it is the wall time, and on a busy machine it leaves out the time the thread
    waits for a core (which made wall-clock medians here differ by 2x between two runs)."""
    vocab = corpus.tokenizer.vocab_size
    g = torch.Generator().manual_seed(0)
    setups = {}
    for name, change in VARIANTS.items():
        torch.manual_seed(0)
        m = GPTLanguageModel(config(vocab, model, change)).train()
        setups[name] = (m, torch.optim.AdamW(m.parameters(), lr=1e-4))
    x, y = get_batch(corpus.train_data, batch_size, model["block_size"], generator=g)
    times = {name: [] for name in VARIANTS}
    for r in range(rounds + 1):                      # round 0 warms up and is not kept
        for name, (m, opt) in setups.items():
            t0 = time.thread_time()
            for _ in range(per_round):
                _, loss = m(x, y)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            if r:
                times[name].append((time.thread_time() - t0) / per_round)
    return times


def norm_times(rounds: int, shape=(32, 64, 64)) -> dict[str, list[float]]:
    """Seconds (thread CPU time) for forward + backward of nn.LayerNorm, the course's
    RMSNorm and PyTorch's F.rms_norm alone, interleaved, on a (B, T, C) activation of
    lesson 08's model (100 calls per number)."""
    x = torch.randn(*shape, requires_grad=True)
    weight = nn.Parameter(torch.ones(shape[-1]))
    norms = {"layernorm": nn.LayerNorm(shape[-1]), "rmsnorm": RMSNorm(shape[-1]),
             "F.rms_norm": lambda x: nn.functional.rms_norm(x, (shape[-1],), weight, 1e-5)}
    times = {n: [] for n in norms}
    for r in range(rounds + 1):
        for name, norm in norms.items():
            t0 = time.thread_time()
            for _ in range(100):
                norm(x).sum().backward()
            if r:
                times[name].append((time.thread_time() - t0) / 100)
    return times


def cache_bytes(vocab_size: int, model: dict, kv_heads: list[int]) -> list[dict]:
    """The key/value cache of a model after reading one block_size-long text, per n_kv_head:
    measured (the cached tensors' bytes) and computed (2 · n_layer · n_kv_head · T · hs · 4)."""
    out = []
    T = model["block_size"]
    for nkv in kv_heads:
        torch.manual_seed(0)
        m = GPTLanguageModel(config(vocab_size, model, {"n_kv_head": nkv})).eval()
        caches = [KVCache() for _ in m.blocks]
        with torch.no_grad():
            m._last_logits(torch.zeros(1, T, dtype=torch.long), caches, start=0)
        hs = model["n_embd"] // model["n_head"]
        out.append({"n_kv_head": nkv, "context": T, "measured_bytes": sum(c.nbytes() for c in caches),
                    "computed_bytes": 2 * model["n_layer"] * nkv * T * hs * 4})
    return out


@torch.no_grad()
def long_context_loss(m: GPTLanguageModel, val_data: torch.Tensor, block_size: int,
                      batches: int, seed: int) -> dict[str, float]:
    """A RoPE model's val loss on windows of 1x and 2x block_size (the same text starts),
    and on the second half of the 2x windows alone (the positions it never trained on)."""
    g = torch.Generator().manual_seed(seed)
    one, two, far = [], [], []
    m.eval()
    for _ in range(batches):
        x, y = get_batch(val_data, 32, 2 * block_size, generator=g)
        logits, _ = m(x)                                        # (B, 2T, V)
        per = nn.functional.cross_entropy(logits.transpose(1, 2), y, reduction="none")  # (B, 2T)
        two.append(per.mean().item())
        far.append(per[:, block_size:].mean().item())
        _, loss = m(x[:, :block_size], y[:, :block_size])
        one.append(loss.item())
    mean = lambda v: sum(v) / len(v)
    return {"loss_1x": mean(one), "loss_2x": mean(two), "loss_2x_second_half": mean(far)}


def run(corpus, name: str, change: dict, seed: int, steps: int, model: dict, settings: dict,
        long_context: bool = False) -> dict:
    """Train one variant from one seed for `steps` steps; its losses and seconds."""
    cfg = config(corpus.tokenizer.vocab_size, model, change)
    torch.manual_seed(seed)
    m = GPTLanguageModel(cfg)
    t0 = time.perf_counter()
    h = train(m, corpus.train_data, corpus.val_data, max_iters=steps, seed=seed,
              eval_interval=steps, progress=False, **settings)
    final = h.final()
    out = {"variant": name, "seed": seed, "steps": steps, "params": m.num_parameters(),
           "train_loss": final["train"], "val_loss": final["val"],
           "val_bits_per_char": final["val"] / math.log(2),
           "seconds": round(time.perf_counter() - t0, 2),
           "train_seconds": round(h.train_seconds, 2),
           "eval_steps": h.eval_steps, "eval_val": h.eval_val}
    if long_context:
        out["long_context"] = long_context_loss(m, corpus.val_data, model["block_size"],
                                                settings["eval_iters"], seed + 10_000)
    print(f"{name:9s} seed={seed} steps={steps:4d} val={final['val']:.4f} "
          f"{out['seconds']:6.1f} s", flush=True)
    return out


def summary(runs: list[dict]) -> dict:
    vals = [r["val_loss"] for r in runs]
    return {"steps": runs[0]["steps"], "params": runs[0]["params"],
            "val_losses": vals, "mean": sum(vals) / len(vals), "min": min(vals), "max": max(vals),
            "bits_per_char": [v / math.log(2) for v in vals],
            "mean_bits_per_char": sum(vals) / len(vals) / math.log(2)}


def _save(path: Path, data: dict) -> None:
    """Write the whole file at once (a stopped run never leaves half a file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def _load(path: Path, settings: dict) -> dict:
    """A partial file's content when it was made with these settings, else {}."""
    if not path.is_file():
        return {}
    saved = json.loads(path.read_text(encoding="utf-8"))
    return saved if saved.get("settings") == settings else {}


def _runs_in(paths: list[Path], settings: dict) -> dict[tuple, dict]:
    """Finished runs saved by any part: {(variant, seed, steps): run}."""
    runs = {}
    for path in paths:
        for r in _load(path, settings).get("runs", []):
            runs[(r["variant"], r["seed"], r["steps"])] = r
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a tiny model and a few steps: checks that the script works")
    parser.add_argument("--part", choices=["timing", "steps", "time"], default=None,
                        help="do one part only and save it (the default does every part "
                             "not saved yet, then writes the result)")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=None,
                        metavar="NAME", help="with --part steps or time: only these variants "
                        "(so several processes can share a part)")
    parser.add_argument("--reverse", action="store_true",
                        help="train the runs of a part last one first (a second process on "
                             "the same part then starts where the first ends)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write (default: data/modern_gpt.json, or "
                             "data/modern_gpt.quick.json with --quick)")
    args = parser.parse_args(argv)
    if args.variants and args.part not in ("steps", "time"):
        parser.error("--variants goes with --part steps or --part time")
    torch.set_num_threads(1)     # one thread: steady timings on a busy machine
    model, seeds, steps = MODEL, SEEDS, STEPS
    rounds, per_round, settings = ROUNDS, STEPS_PER_ROUND, dict(TRAIN)
    if args.quick:
        model, seeds, steps = QUICK["model"], QUICK["seeds"], QUICK["steps"]
        rounds, per_round = QUICK["rounds"], QUICK["steps_per_round"]
        settings |= {"eval_iters": QUICK["eval_iters"], "warmup_iters": 2}
    out_path = args.out or (OUT.with_name("modern_gpt.quick.json") if args.quick else OUT)
    corpus = load_corpus()
    vocab = corpus.tokenizer.vocab_size
    started = time.perf_counter()
    key = {"model": model, "seeds": seeds, "steps": steps, "training": settings,
           "variants": VARIANTS, "rounds": rounds, "steps_per_round": per_round}
    partial = {part: out_path.with_name(f"{out_path.stem}.partial-{part}.json")
               for part in ("timing", "steps", "time")}
    if args.variants:      # a process of its own for some variants: a file of its own
        tag = "-".join(sorted(v.replace(" ", "_") for v in args.variants))
        partial[args.part] = out_path.with_name(f"{out_path.stem}.partial-{args.part}-{tag}.json")
    every_partial = lambda: sorted(out_path.parent.glob(f"{out_path.stem}.partial-*.json"))

    timing = _load(partial["timing"], key).get("timing")
    if timing is None and args.part in (None, "timing"):
        times = step_times(corpus, model, rounds, per_round, settings["batch_size"])
        median = {n: statistics.median(t) for n, t in times.items()}
        budget = median["baseline"] * steps
        timing = {"cpu": cpu_model(), "rounds": rounds, "steps_per_round": per_round,
                  "seconds_per_step": times, "median_seconds_per_step": median,
                  "budget_seconds": budget,
                  "equal_time_steps": {n: max(1, int(budget / median[n])) for n in VARIANTS}}
        _save(partial["timing"], {"settings": key, "timing": timing})
    if timing is None:
        print(f"no step timing yet: run `{COMMAND} --part timing` first", file=sys.stderr)
        return 1
    print("median seconds per step:",
          {n: round(t, 4) for n, t in timing["median_seconds_per_step"].items()})
    print(f"time budget {timing['budget_seconds']:.1f} s of steps -> steps per variant:",
          timing["equal_time_steps"], flush=True)
    if args.part == "timing":
        return 0

    wanted = {"steps": [(name, seed, steps) for name in VARIANTS for seed in seeds],
              "time": [(name, seed, timing["equal_time_steps"][name])
                       for name in VARIANTS for seed in seeds]}
    for part in ("steps", "time") if args.part is None else (args.part,):
        mine = [r for r in _load(partial[part], key).get("runs", [])]
        # the runs that equal-steps trains anyway (the baseline's) come last at equal time
        order = sorted(wanted[part], key=lambda w: part == "time" and w[2] == steps)
        for name, seed, n in reversed(order) if args.reverse else order:
            if args.variants and name not in args.variants:
                continue
            known = _runs_in(every_partial(), key)
            if (name, seed, n) in known:     # saved by either part (equal steps and equal
                continue                     # time share a run where the counts agree)
            r = run(corpus, name, VARIANTS[name], seed, n, model, settings,
                    long_context=name == "rope" and n == steps)
            known[(name, seed, n)] = r
            mine.append(r)
            _save(partial[part], {"settings": key, "runs": mine})
    if args.part is not None:
        return 0
    known = _runs_in(every_partial(), key)
    runs = [known[w] | {"budget": part} for part in ("steps", "time") for w in wanted[part]]
    median = timing["median_seconds_per_step"]

    results = []
    for name, change in VARIANTS.items():
        pick = lambda budget: [r for r in runs if r["variant"] == name and r["budget"] == budget]
        results.append({"variant": name, "change": change,
                        "seconds_per_step": median[name],
                        "equal_steps": summary(pick("steps")),
                        "equal_time": summary(pick("time"))})
    rope_runs = [r for r in runs if r["variant"] == "rope" and r["budget"] == "steps"]
    nt = norm_times(rounds)
    out = {"what": __doc__.split("\n")[0].strip() + " " + __doc__.split("\n")[1].strip(),
           "command": COMMAND + (" --quick" if args.quick else ""),
           "quick": args.quick,
           "model": model | {"vocab_size": vocab}, "seeds": seeds, "steps": steps,
           "training": settings,
           "cpu": cpu_model(), "torch": torch.__version__,
           "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores", "threads": 1,
           "timing": timing,
           "results": results,
           "rope_long_context": [{"seed": r["seed"]} | r["long_context"] for r in rope_runs],
           "norm_seconds": {"per_round": nt,
                            "median": {n: statistics.median(t) for n, t in nt.items()},
                            "shape": [32, model["block_size"], model["n_embd"]]},
           "kv_cache": cache_bytes(vocab, model, [model["n_head"], 2, 1]),
           "runs": runs}
    _save(out_path, out)
    for path in every_partial():
        path.unlink(missing_ok=True)         # this script's own files, now in the result
    print(f"wrote {out_path} in {time.perf_counter() - started:.0f} s (the runs' own "
          f"seconds are in the file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
