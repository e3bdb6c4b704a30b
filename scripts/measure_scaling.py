"""Lesson 09's measurement: the same training with 1 process and with 2 (torchrun, DDP).

    python scripts/measure_scaling.py        # about 2 minutes on 2 CPU cores

Both runs use the train command with the same model and the same batch per process, for
the same number of steps. On a machine with C cores the fair split is: 1 process with C
threads, or 2 processes with C/2 threads each. Tokens per second come from each run's
checkpoint (config.json, extra.tokens_per_second: tokens of all processes / time of the
optimisation steps). The result goes to data/scaling_cpu.json.
"""

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "data" / "scaling_cpu.json"
MODEL = ["--n-layer", "4", "--n-head", "4", "--n-embd", "128", "--block-size", "64"]
TRAIN = ["--batch-size", "16", "--max-iters", "200", "--eval-iters", "5", "--warmup-iters", "10",
         "--no-progress", "--device", "cpu", "--seed", "1337"]


def run(nproc: int, threads: int, out: Path) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MASTER_ADDR="127.0.0.1")
    if sys.platform.startswith("linux"):
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    args = ["-m", "course_lib.train", "--out", str(out), *MODEL, *TRAIN]
    if nproc == 1:
        cmd = [sys.executable, *args, "--threads", str(threads)]
    else:
        torchrun = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))
        cmd = [torchrun, "--standalone", f"--nproc_per_node={nproc}", *args]
    print(" ".join(cmd[1:] if nproc == 1 else cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    extra = json.loads((out / "config.json").read_text())["extra"]
    print(f"  {nproc} process(es) x {threads} thread(s): {extra['tokens_per_second']:,} tokens/s, "
          f"val loss {extra['val_loss']:.3f}", flush=True)
    return {"processes": nproc, "threads_per_process": threads,
            "tokens_per_second": extra["tokens_per_second"], "val_loss": extra["val_loss"],
            "steps": extra["steps"], "seconds": extra["seconds"]}


def main() -> int:
    cores = os.cpu_count() or 2
    with tempfile.TemporaryDirectory() as tmp:
        runs = [run(1, cores, Path(tmp) / "one"), run(2, max(1, cores // 2), Path(tmp) / "two")]
    result = {
        "what": "the same training, 1 process vs 2 processes (torchrun, DDP, gloo)",
        "machine": f"{platform.machine()}, {cores} CPU cores, torch {torch.__version__}",
        "model_flags": " ".join(MODEL), "train_flags": " ".join(TRAIN),
        "batch_size_per_process": 16, "block_size": 64,
        "command": "python scripts/measure_scaling.py",
        "runs": runs,
        "gpu": None,   # no GPU was available when this was measured
    }
    OUT.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
