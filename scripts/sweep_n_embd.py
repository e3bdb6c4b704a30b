"""The n_embd experiment: train the same GPT at several widths and record what each costs.

    python scripts/sweep_n_embd.py                  # 3 seeds: about 25 minutes on 2 CPU cores
    python scripts/sweep_n_embd.py --seeds 1337     # one seed: about 9 minutes
    python scripts/sweep_n_embd.py --reuse          # keep the runs already in the file
    python scripts/sweep_n_embd.py --threads 1      # on a busy machine (see below)

For each n_embd in SIZES and each seed it trains a GPTLanguageModel (everything else
fixed, see FIXED) for the same number of steps, and records the parameter count, the final
train and val loss, the wall time and the loss curve. One seed cannot tell a real gain from
noise, so each size is trained from several seeds (the seed sets both the initial weights
and the batches). A result's top-level numbers and curves are those of the first seed (the
run a lesson's widget repeats); `val_losses` and `train_losses` hold every seed's.
With --reuse, a (size, seed) run already in data/sweep_n_embd.json with the same settings
is kept instead of trained again; each finished run is also saved at once to
data/sweep_n_embd.partial.json (removed at the end), so a stopped sweep resumes with
--reuse. On a machine that other programs keep busy, two PyTorch threads can wait on each
other for most of each step (a 40 s run took 1,100 s here): --threads 1 avoids that.
Lessons 01 and 08 load the result.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

from course_lib import GPTConfig, GPTLanguageModel, load_corpus, train
from course_lib.commands.bench import cpu_model
from course_lib.core.defaults import SEED
from course_lib.core.training import TrainHistory

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "data" / "sweep_n_embd.json"
PARTIAL = OUT.with_name("sweep_n_embd.partial.json")
SIZES = [16, 32, 64, 128, 256]
FIXED = dict(block_size=64, n_head=4, n_layer=4, dropout=0.0)
TRAIN = dict(max_iters=1500, batch_size=32, lr=2e-3, min_lr=2e-4, warmup_iters=50,
             grad_clip=1.0, eval_interval=100, eval_iters=20, seed=SEED)


def run_one(corpus, n_embd: int, seed: int, **changes) -> dict:
    """Train one size from one seed; `changes` (GPTConfig fields such as tie_weights=True)
    replace FIXED's values or GPTConfig's defaults (scripts/measure_gpt_changes.py)."""
    cfg = GPTConfig(vocab_size=corpus.tokenizer.vocab_size, n_embd=n_embd, **(FIXED | changes))
    torch.manual_seed(seed)
    model = GPTLanguageModel(cfg)
    start = time.perf_counter()
    h: TrainHistory = train(model, corpus.train_data, corpus.val_data, progress=False,
                            **(TRAIN | {"seed": seed}))
    seconds = time.perf_counter() - start
    final = h.final()
    print(f"n_embd={n_embd:4d}  seed={seed}  params={model.num_parameters():>9,}  "
          f"train={final['train']:.4f}  val={final['val']:.4f}  {seconds:6.1f} s  "
          f"{h.tokens_per_second:,.0f} tokens/s", flush=True)
    return {"n_embd": n_embd, "seed": seed, "params": model.num_parameters(),
            "embedding_params": cfg.vocab_size * n_embd,
            "train_loss": final["train"], "val_loss": final["val"],
            "seconds": round(seconds, 2), "tokens_per_second": round(h.tokens_per_second),
            "threads": torch.get_num_threads(),
            "eval_steps": h.eval_steps, "eval_train": h.eval_train, "eval_val": h.eval_val}


def _settings(vocab_size: int) -> dict:
    """What a run must share with today's to be kept: the config and training, seed aside."""
    return {"fixed_config": FIXED | {"vocab_size": vocab_size},
            "training": {k: v for k, v in TRAIN.items() if k != "seed"}}


def earlier_runs(vocab_size: int) -> dict[tuple[int, int], dict]:
    """The (n_embd, seed) runs in the result file and the partial file that used exactly
    today's settings."""
    runs = {}
    if OUT.is_file():
        old = json.loads(OUT.read_text(encoding="utf-8"))
        if _settings(vocab_size) == {"fixed_config": old.get("fixed_config"), "training": {
                k: v for k, v in old.get("training", {}).items() if k != "seed"}}:
            for r in old.get("results", []):
                for run in r.get("runs", [r]):       # files from before seeds hold one run each
                    seed = run.get("seed", old["training"].get("seed"))
                    runs[(r["n_embd"], seed)] = {k: v for k, v in run.items() if k != "runs"} \
                        | {"seed": seed}
        else:
            print("the existing file used other settings: its runs are trained again")
    if PARTIAL.is_file():
        saved = json.loads(PARTIAL.read_text(encoding="utf-8"))
        if {k: saved.get(k) for k in ("fixed_config", "training")} == _settings(vocab_size):
            runs |= {(r["n_embd"], r["seed"]): r for r in saved["runs"]}
    return runs


def _save_partial(runs: list[dict], vocab_size: int) -> None:
    """Every run known so far, written whole (a stopped sweep resumes from it with --reuse)."""
    tmp = PARTIAL.with_suffix(".tmp")
    tmp.write_text(json.dumps(_settings(vocab_size) | {"runs": runs}), encoding="utf-8")
    tmp.replace(PARTIAL)


def combine(runs: list[dict]) -> dict:
    """One size's result: the first seed's numbers and curves, plus every seed's losses."""
    first = dict(runs[0])
    first["seeds"] = [r["seed"] for r in runs]
    first["train_losses"] = [r["train_loss"] for r in runs]
    first["val_losses"] = [r["val_loss"] for r in runs]
    first["seconds_per_seed"] = [r["seconds"] for r in runs]
    first["runs"] = [{k: v for k, v in r.items() if k != "runs"} for r in runs]
    return first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[SEED, SEED + 1, SEED + 2],
                        help=f"seeds to train each size from (default: {SEED} {SEED + 1} "
                             f"{SEED + 2})")
    parser.add_argument("--reuse", action="store_true",
                        help="keep runs already in data/sweep_n_embd.json (or the partial "
                             "file of a stopped sweep) with the same settings")
    parser.add_argument("--threads", type=int, default=None,
                        help="PyTorch threads (default: PyTorch's choice); 1 on a busy machine")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    corpus = load_corpus()
    vocab = corpus.tokenizer.vocab_size
    known = earlier_runs(vocab) if args.reuse else {}
    results = []
    for n in SIZES:
        for seed in args.seeds:
            if (n, seed) in known:
                print(f"n_embd={n:4d}  seed={seed}  kept from an earlier run", flush=True)
            else:
                known[(n, seed)] = run_one(corpus, n, seed)
                _save_partial(list(known.values()), vocab)
        results.append(combine([known[(n, seed)] for seed in args.seeds]))
    out = {"what": "GPTLanguageModel trained at several n_embd, all else fixed",
           "fixed_config": FIXED | {"vocab_size": corpus.tokenizer.vocab_size},
           "training": TRAIN | {"seed": args.seeds[0]},
           "seeds": args.seeds,
           "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, torch "
                      f"{torch.__version__}, {torch.get_num_threads()} threads",
           "cpu": cpu_model(),
           "command": "python scripts/sweep_n_embd.py",
           "results": results}
    OUT.write_text(json.dumps(out, indent=1), encoding="utf-8")
    PARTIAL.unlink(missing_ok=True)          # this script's own file, now in OUT
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
