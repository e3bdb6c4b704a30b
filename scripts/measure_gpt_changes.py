"""What later GPTs changed, measured: the sweep's n_embd=64 GPT with one change at a time.

    python scripts/measure_gpt_changes.py             # 9 runs: about 15 minutes on 1 thread
    python scripts/measure_gpt_changes.py --reuse     # keep runs already in the file(s)

The model and the training are the n_embd=64 runs of scripts/sweep_n_embd.py (its FIXED
and TRAIN settings and its run_one, imported from it), with one GPTConfig field changed:

    tied   tie_weights=True     lm_head uses token_embedding_table's weight (GPT-2 does)
    gelu   activation="gelu"    GELU instead of ReLU in the feed-forward (GPT-2 does)
    nobias bias=False           no biases in the Linears and LayerNorms (many newer GPTs)

Each variant is trained from the same seeds as the sweep (1337, 1338, 1339). The baseline
is not trained again: it is the sweep's own n_embd=64 runs, read from
data/sweep_n_embd.json (or, while a sweep still runs, its partial file), which used the same
settings and seeds (the script checks that).
Each finished run is saved at once to data/gpt_changes.partial.json (removed at the end),
so a stopped measurement resumes with --reuse. It runs on one PyTorch thread by default:
on a busy machine two threads can wait on each other for most of each step. Lesson 08
loads the result, data/gpt_changes.json.
"""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import torch

from course_lib import load_corpus
from course_lib.commands.bench import cpu_model
# this folder's sweep script: its settings (FIXED, TRAIN through _settings) and its run_one
from sweep_n_embd import OUT as SWEEP, PARTIAL as SWEEP_PARTIAL, _settings, run_one

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "data" / "gpt_changes.json"
PARTIAL = OUT.with_name("gpt_changes.partial.json")
N_EMBD = 64
SEEDS = [1337, 1338, 1339]
VARIANTS = {"tied": {"tie_weights": True},
            "gelu": {"activation": "gelu"},
            "nobias": {"bias": False}}
COMMAND = "python scripts/measure_gpt_changes.py"


def baseline(vocab_size: int, seeds: list[int]) -> tuple[dict, str] | None:
    """The sweep's n_embd=64 runs for these seeds and the file they came from: its result
    file, or its partial file while a sweep still runs (the runs it will keep). None when
    neither holds them all with today's settings."""
    runs = {}
    for path in (SWEEP_PARTIAL, SWEEP):              # the finished file wins
        if not path.is_file():
            continue
        saved = json.loads(path.read_text(encoding="utf-8"))
        same = {"fixed_config": saved.get("fixed_config"), "training": {
            k: v for k, v in saved.get("training", {}).items() if k != "seed"}}
        if same != _settings(vocab_size):
            continue
        found = saved.get("runs", [])                # the partial file: a flat list of runs
        for r in saved.get("results", []):           # the result file: runs per size
            found = found + r.get("runs", [])
        runs |= {run["seed"]: (run, path) for run in found if run["n_embd"] == N_EMBD}
    if not all(s in runs for s in seeds):
        return None
    paths = sorted({runs[s][1].name for s in seeds})
    return combine("baseline", {}, [runs[s][0] for s in seeds]), " and ".join(paths)


def combine(name: str, change: dict, runs: list[dict]) -> dict:
    """One variant: its change, parameter count, and every seed's losses and seconds."""
    return {"variant": name, "change": change, "params": runs[0]["params"],
            "seeds": [r["seed"] for r in runs],
            "train_losses": [r["train_loss"] for r in runs],
            "val_losses": [r["val_loss"] for r in runs],
            "seconds": [r["seconds"] for r in runs],
            "threads": [r.get("threads") for r in runs],   # None: not recorded (older runs)
            "eval_steps": runs[0]["eval_steps"],
            "eval_val": [r["eval_val"] for r in runs]}


def _known(vocab_size: int, reuse: bool) -> dict[tuple[str, int], dict]:
    """Runs already measured with today's settings (the result file, then the partial file)."""
    runs = {}
    if not reuse:
        return runs
    for path in (OUT, PARTIAL):
        if path.is_file():
            saved = json.loads(path.read_text(encoding="utf-8"))
            if {k: saved.get(k) for k in ("fixed_config", "training")} == _settings(vocab_size):
                runs |= {(r["variant"], r["seed"]): r for r in saved.get("runs", [])}
            else:
                print(f"{path.name} used other settings: its runs are trained again")
    return runs


def _save(path: Path, data: dict) -> None:
    """Write the whole file at once (a stopped run never leaves half a file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reuse", action="store_true",
                        help="keep runs already in data/gpt_changes.json or its partial file")
    parser.add_argument("--threads", type=int, default=1,
                        help="PyTorch threads (default 1: steady on a busy machine)")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    corpus = load_corpus()
    vocab = corpus.tokenizer.vocab_size
    if baseline(vocab, SEEDS) is None:
        print(f"note: {SWEEP.name} does not hold the n_embd={N_EMBD} runs for seeds {SEEDS}; "
              f"the variants are trained now, and the result is written once "
              f"`python scripts/sweep_n_embd.py` has made them and this script runs again "
              f"with --reuse", flush=True)
    known = _known(vocab, args.reuse)
    settings = _settings(vocab)
    for name, change in VARIANTS.items():
        for seed in SEEDS:
            if (name, seed) in known:
                print(f"{name:7s} seed={seed}  kept from an earlier run", flush=True)
                continue
            print(f"{name:7s} {change}", end="  ", flush=True)
            run = run_one(corpus, N_EMBD, seed, **change)
            known[(name, seed)] = {"variant": name, "change": change} | run
            _save(PARTIAL, settings | {"runs": list(known.values())})
    found = baseline(vocab, SEEDS)
    if found is None:
        print(f"not written: {SWEEP.name} lacks the baseline runs (n_embd={N_EMBD}, seeds "
              f"{SEEDS}). Run `python scripts/sweep_n_embd.py --reuse`, then `{COMMAND} "
              f"--reuse` (the variants are kept in {PARTIAL.name}).")
        return 1
    base, source = found
    out = {"what": __doc__.split("\n")[0],
           "baseline_from": f"the n_embd={N_EMBD} runs of scripts/sweep_n_embd.py (same "
                            f"settings and seeds; not trained again here), read from "
                            f"data/{source}",
           "n_embd": N_EMBD, "seeds": SEEDS,
           "fixed_config": settings["fixed_config"], "training": settings["training"],
           "cpu": cpu_model(), "torch": torch.__version__,
           "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores",
           "threads": args.threads,
           "command": COMMAND,
           "results": [base] + [combine(name, change, [known[(name, s)] for s in SEEDS])
                                for name, change in VARIANTS.items()],
           "runs": [known[(name, s)] for name in VARIANTS for s in SEEDS]}
    _save(OUT, out)
    PARTIAL.unlink(missing_ok=True)          # this script's own file, now in OUT
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
