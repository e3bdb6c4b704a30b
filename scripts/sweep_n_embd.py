"""The n_embd experiment: train the same GPT at several widths and record what each costs.

    python scripts/sweep_n_embd.py          # about 10 minutes on 2 CPU cores

For each n_embd in SIZES it trains a GPTLanguageModel (everything else fixed, see FIXED)
for the same number of steps from the same seed, and records the parameter count, the
final train and val loss, the wall time and the loss curve. Lessons 01 and 08 load the
result, data/sweep_n_embd.json.
"""

import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

from course_lib import GPTConfig, GPTLanguageModel, load_corpus, train
from course_lib.core.training import TrainHistory

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "data" / "sweep_n_embd.json"
SIZES = [16, 32, 64, 128, 256]
FIXED = dict(block_size=64, n_head=4, n_layer=4, dropout=0.0)
TRAIN = dict(max_iters=1500, batch_size=32, lr=2e-3, min_lr=2e-4, warmup_iters=50,
             grad_clip=1.0, eval_interval=100, eval_iters=20, seed=1337)


def run_one(corpus, n_embd: int) -> dict:
    cfg = GPTConfig(vocab_size=corpus.tokenizer.vocab_size, n_embd=n_embd, **FIXED)
    torch.manual_seed(1337)
    model = GPTLanguageModel(cfg)
    start = time.perf_counter()
    h: TrainHistory = train(model, corpus.train_data, corpus.val_data, progress=False, **TRAIN)
    seconds = time.perf_counter() - start
    final = h.final()
    print(f"n_embd={n_embd:4d}  params={model.num_parameters():>9,}  train={final['train']:.4f}  "
          f"val={final['val']:.4f}  {seconds:6.1f} s  {h.tokens_per_second:,.0f} tokens/s",
          flush=True)
    return {"n_embd": n_embd, "params": model.num_parameters(),
            "embedding_params": cfg.vocab_size * n_embd,
            "train_loss": final["train"], "val_loss": final["val"],
            "seconds": round(seconds, 2), "tokens_per_second": round(h.tokens_per_second),
            "eval_steps": h.eval_steps, "eval_train": h.eval_train, "eval_val": h.eval_val}


def main() -> int:
    corpus = load_corpus()
    results = [run_one(corpus, n) for n in SIZES]
    out = {"what": "GPTLanguageModel trained at several n_embd, all else fixed",
           "fixed_config": FIXED | {"vocab_size": corpus.tokenizer.vocab_size},
           "training": TRAIN,
           "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, torch "
                      f"{torch.__version__}, {torch.get_num_threads()} threads",
           "command": "python scripts/sweep_n_embd.py",
           "results": results}
    OUT.write_text(json.dumps(out, indent=1), encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
