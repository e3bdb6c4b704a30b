"""Train the course's checkpoint, data/checkpoints/gpt, used by lessons 01, 05 and 08.

    python scripts/train_checkpoint.py            # the shipped one took 110 minutes on 2 CPU cores (config.json, "extra")

It runs the train command with the flags below and writes the checkpoint and its loss
history (data/checkpoints/gpt_history.json). Training is seeded; the result differs from
the shipped one only by the last bits of floating-point rounding across machines.
"""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

FLAGS = [
    "--corpus", "data/shakespeare.txt",
    "--out", "data/checkpoints/gpt",
    "--history", "data/checkpoints/gpt_history.json",
    "--n-layer", "6", "--n-head", "6", "--n-embd", "192", "--block-size", "128",
    "--dropout", "0.1",
    "--batch-size", "32", "--max-iters", "3000",
    "--lr", "1.5e-3", "--min-lr", "1.5e-4", "--warmup-iters", "100",
    "--weight-decay", "0.1", "--grad-clip", "1.0",
    "--eval-interval", "250", "--eval-iters", "40",
    "--seed", "1337", "--device", "cpu",
]

if __name__ == "__main__":
    cmd = [sys.executable, "-m", "course_lib.train", *FLAGS, *sys.argv[1:]]
    print(" ".join(cmd[1:]), flush=True)
    sys.exit(subprocess.run(cmd, cwd=REPO).returncode)
