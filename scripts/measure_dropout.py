"""Does dropout reduce overfitting? The same GPT trained with p = 0 and p = 0.2 (lesson 06).

    python scripts/measure_dropout.py            # about 5 minutes on 2 quiet cores

To overfit within minutes on a CPU, the model trains on a small part of the training text
(the first 100,000 characters) for 1,500 steps: long enough for a 2-layer model to start
learning that text by heart. The validation text is the usual one (the last 10% of the
corpus), which the model never sees. Each run records the train and val losses every 250
steps (20 batches each); two seeds per dropout rate. The runs have a fixed number of steps,
so the losses do not depend on how busy the machine was. Lesson 06 loads the result,
data/dropout_gap.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

# F.linear everywhere: the same numbers on every run, whatever a timing would pick
os.environ.setdefault("COURSE_LINEAR_BACKEND", "aten")

from course_lib import GPTConfig, GPTLanguageModel, load_corpus, train  # noqa: E402
from course_lib.commands.bench import cpu_model  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "data" / "dropout_gap.json"
TRAIN_CHARS = 100_000
MODEL = dict(block_size=64, n_embd=128, n_head=4, n_layer=2)
TRAINING = dict(max_iters=1500, batch_size=32, lr=2e-3, min_lr=2e-4, warmup_iters=100,
                weight_decay=0.01, grad_clip=1.0, eval_interval=250, eval_iters=20)
RATES = (0.0, 0.2)
SEEDS = (0, 1)


def run(corpus, small_train, p: float, seed: int) -> dict:
    torch.manual_seed(seed)
    model = GPTLanguageModel(GPTConfig(vocab_size=corpus.tokenizer.vocab_size, dropout=p,
                                       **MODEL))
    start = time.perf_counter()
    h = train(model, small_train, corpus.val_data, seed=seed, progress=False, **TRAINING)
    return {"dropout": p, "seed": seed, "eval_steps": h.eval_steps,
            "train_loss": [round(x, 4) for x in h.eval_train],
            "val_loss": [round(x, 4) for x in h.eval_val],
            "seconds": round(time.perf_counter() - start, 1)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    corpus = load_corpus()
    small_train = corpus.train_data[:TRAIN_CHARS]
    runs = []
    for p in RATES:
        for seed in SEEDS:
            r = run(corpus, small_train, p, seed)
            runs.append(r)
            print(f"dropout {p}: seed {seed}: train {r['train_loss'][-1]:.4f}, val "
                  f"{r['val_loss'][-1]:.4f}, gap {r['val_loss'][-1] - r['train_loss'][-1]:+.4f} "
                  f"({r['seconds']} s)", flush=True)
    result = {"what": __doc__.splitlines()[0], "command": "python scripts/measure_dropout.py",
              "cpu": cpu_model(), "torch_threads": torch.get_num_threads(),
              "train_characters": TRAIN_CHARS, "model": MODEL, "training": TRAINING,
              "runs": runs}
    args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
