# %% [markdown]
# # Lesson 09: Scaling up
#
# You trained a GPT on your laptop's CPU. To train a bigger one you need more compute: a
# GPU, or several processes working together. This lesson shows how. The code is the
# same `course_lib` code you used so far; only the command that starts it changes.
#
# **You will learn**
# - how `course_lib` picks a device (`cuda`, then `mps`, then `cpu`) and how to choose one;
# - how `torchrun` starts several processes and what DistributedDataParallel (DDP) does;
# - what changes when you add processes (global batch, tokens per step, learning rate) and
#   what does not (the model, the loss, the checkpoint);
# - how much faster 2 processes train than 1 on this machine, measured.
#
# **You need:** [Lesson 08: The full GPT](08_full_gpt.ipynb), and the command line from
# the README (`python -m course_lib.train`).

# %% [markdown]
# ## Setup

# %%
import json
import os
import tempfile

import torch

from course_lib import DATA_DIR, load_checkpoint, load_corpus
from course_lib.core.checkpoint import read_checkpoint_info
from course_lib.lessons.checks import check_steps_per_epoch, check_tokens_per_step
from course_lib.lessons.ddp_demo import run_torchrun
from course_lib.core.device import available_devices, pick_device
from course_lib.core.precision import SPEEDUP_NEEDED, native_bf16
from course_lib.lessons.plots import plot_scaling
from course_lib.lessons.widgets import scaling_calculator

torch.manual_seed(1337)
corpus = load_corpus()

# %% [markdown]
# ## One command, any device
#
# `pick_device("auto")` returns the best device this machine has: an NVIDIA GPU (`cuda`),
# else an Apple GPU (`mps`), else the CPU. The train command takes the same choice as a
# flag: `--device auto` (the default), `--device cpu`, `--device cuda`. The output of the
# next cell depends on your machine.

# %%
# NBVAL_IGNORE_OUTPUT
print("devices on this machine:", available_devices())
print("auto picks:", pick_device("auto"))

# %% [markdown]
# Asking for a device that is not there gives a clear error, not a crash deep inside
# PyTorch:

# %%
try:
    pick_device("tpu")
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# What changes on a GPU? The model and the training loop do not. `course_lib.train` moves
# each batch to the model's device. The train command can also run the forward pass in
# **bfloat16 autocast**: the matrix products compute in 16-bit numbers, while the weights
# and the optimizer stay in float32. It does so only where that is faster. With `--precision
# auto` (the command's default) it first asks whether the device computes bfloat16 in
# hardware: on a CUDA GPU, `torch.cuda.is_bf16_supported()`; on a CPU, the AVX512-BF16 or
# AMX instructions. If so, it times a few training steps both ways and takes bfloat16 only
# when that is at least this much faster:

# %%
print(f"bfloat16 is chosen when it is at least {SPEEDUP_NEEDED:.2f}x faster than float32")

# %% [markdown]
# Otherwise every number stays float32. `--precision fp32` or `--precision bf16` decides
# it yourself. What this machine's device answers (the output depends on your machine):

# %%
# NBVAL_IGNORE_OUTPUT
print(native_bf16(pick_device("auto")))

# %% [markdown]
# The commands (run them in a terminal, from the repository root):
#
# ```bash
# # one GPU
# python -m course_lib.train --device cuda --out checkpoints/gpu \
#     --n-layer 6 --n-head 6 --n-embd 384 --block-size 256 --batch-size 64
# # 2 processes on this CPU, each with its own batches (gloo backend)
# torchrun --standalone --nproc_per_node=2 -m course_lib.train --out checkpoints/ddp
# # 8 GPUs in one machine, one process per GPU (nccl backend)
# torchrun --standalone --nproc_per_node=8 -m course_lib.train --device cuda --out checkpoints/big
# ```

# %% [markdown]
# ## What torchrun and DDP do
#
# `torchrun --nproc_per_node=N` starts N copies of the same program. It gives each one a
# **rank** (0 to N−1) and tells them how to find each other. `course_lib.train` sees this and
# then:
#
# 1. joins the process group: `gloo` on CPUs, `nccl` on NVIDIA GPUs;
# 2. builds the model with the same seed in every process;
# 3. wraps it in `DistributedDataParallel`. When it wraps the model, DDP copies rank 0's
#    weights to every other process (a broadcast), so all processes start from the same
#    weights even if their seeds differed. After `loss.backward()`, DDP averages the
#    gradients of all processes, so every process takes the **same** optimizer step;
# 4. draws batches from a generator seeded with `seed + rank`, so each process sees different
#    text;
# 5. lets only rank 0 print, evaluate and save the checkpoint.
#
# The broadcast in step 3 is easy to see. The small program below gives each process
# another seed on purpose, builds an `nn.Linear`, and compares the weights of the two
# processes before and after `DDP(...)` wraps it.

# %%
broadcast_demo = """
import os, sys
import torch, torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP
dist.init_process_group("gloo")
torch.manual_seed(dist.get_rank())          # another seed in every process, on purpose
model = torch.nn.Linear(4, 4)
before = model.weight.detach().clone()
DDP(model)                                  # wrapping: rank 0's weights are sent to all
after = model.weight.detach().clone()
seen = {k: [torch.empty_like(t) for _ in range(2)] for k, t in (("before", before), ("after", after))}
dist.all_gather(seen["before"], before)
dist.all_gather(seen["after"], after)
if dist.get_rank() == 0:
    print("before DDP, the 2 processes hold the same weights:", torch.equal(*seen["before"]))
    print("after DDP, the 2 processes hold the same weights: ", torch.equal(*seen["after"]))
    print("after DDP, those are rank 0's weights:", torch.equal(seen["after"][1], before))
dist.destroy_process_group()
# end here, without Python's shutdown: gloo's threads can still hold tensors then, and
# freeing them at shutdown aborts the process now and then (SIGABRT)
sys.stdout.flush()
os._exit(0)
"""
demo_file = os.path.join(tempfile.mkdtemp(prefix="course_ddp_broadcast_"), "broadcast.py")
with open(demo_file, "w", encoding="utf-8") as f:
    f.write(broadcast_demo)

# %%
result = run_torchrun([demo_file])    # one thread per process, on 127.0.0.1
print(result.stdout.strip() if result.ok else result.summary)

# %% [markdown]
# Because every process applies the same averaged gradient, their weights stay identical.
# The command checks this at the end. Here is a real run: 2 processes, a tiny model, 30 steps.
# It asks for `--precision fp32`: the default, `auto`, times bfloat16 against float32 on
# this CPU and keeps the faster, so on a busy machine two runs could compute in different
# precisions and end with different losses.

# %%
out_dir = tempfile.mkdtemp(prefix="course_ddp_demo_")
train = run_torchrun(["-m", "course_lib.train", "--out", out_dir, "--n-layer", "2",
                      "--n-head", "2", "--n-embd", "32", "--block-size", "32",
                      "--batch-size", "8", "--max-iters", "30", "--eval-iters", "5",
                      "--precision", "fp32", "--no-progress", "--device", "cpu"])
if not train.ok:
    print(train.summary)
for line in train.stdout.splitlines():
    if "processes" in line:
        print(line.replace("python -m course_lib.train: ", ""))

# %% [markdown]
# The log shows one line per message, not two: rank 1 trains silently. The loss history of a
# DDP run has the same shape as a single-process run (one mean loss per step, averaged over
# the processes), and its checkpoint loads in a single process like any other:

# %%
if train.ok:
    ddp_model, _ = load_checkpoint(out_dir)
    print(type(ddp_model).__name__, f"{ddp_model.num_parameters():,} parameters, loaded in one process")
    final = read_checkpoint_info(out_dir)["extra"]
    # two decimals: the last digits of a training run differ from CPU to CPU
    print(f"its final losses: train {final['train_loss']:.2f}, val {final['val_loss']:.2f}")
else:
    print("no checkpoint to load: the run above did not finish")

# %% [markdown]
# ## What changes when you add processes
#
# Each process reads `batch_size` sequences of `block_size` tokens per step. With N
# processes one step sees N times as much text:
#
# $$\text{global batch} = \text{batch\_size} \times N, \qquad
#   \text{tokens per step} = \text{batch\_size} \times \text{block\_size} \times N.$$
#
# So with the same flags, N processes take **fewer steps** to see the whole corpus, and each
# step averages more examples: its gradient is less noisy. Often you can then raise the
# learning rate a little; the course does not do this for you.
#
# ### Exercise 1: tokens per step
#
# Write `my_tokens_per_step(batch_size, block_size, nproc)`.

# %%
def my_tokens_per_step(batch_size, block_size, nproc):
    # TODO: how many tokens does one optimisation step see, over all processes?
    raise NotImplementedError


check_tokens_per_step(my_tokens_per_step)

# %% [solution]
def solution_tokens_per_step(batch_size, block_size, nproc):
    return batch_size * block_size * nproc


check_tokens_per_step(solution_tokens_per_step)

# %% [markdown]
# ### Exercise 2: steps for one pass over the data
#
# Write `my_steps_per_epoch(n_tokens, batch_size, block_size, nproc)`: how many steps does it
# take to see `n_tokens` tokens once? A step that only partly fills is still a step.

# %%
def my_steps_per_epoch(n_tokens, batch_size, block_size, nproc):
    # TODO: use tokens per step, and round up
    raise NotImplementedError


check_steps_per_epoch(my_steps_per_epoch)

# %% [solution]
def solution_steps_per_epoch(n_tokens, batch_size, block_size, nproc):
    per_step = batch_size * block_size * nproc
    return -(-n_tokens // per_step)          # ceiling division, in whole numbers


check_steps_per_epoch(solution_steps_per_epoch)

# %% [markdown]
# ## Measured: 1 process vs 2 processes on this CPU
#
# `scripts/measure_scaling.py` trains the same model (4 layers, `n_embd` 128) for the same
# number of steps with the same batch per process, once as 1 process using all cores and
# once as 2 processes under torchrun, each with half of the cores. It runs the pair three
# times, one after the other, and keeps the median of each, because a shared machine's speed
# changes from moment to moment. Rerun it with `python scripts/measure_scaling.py` (the
# training time it took is printed below; starting the processes adds some more).

# %%
scaling = json.loads((DATA_DIR / "scaling_cpu.json").read_text())
print("measured on:", scaling["machine"])
for r in scaling["runs"]:
    print(f"{r['processes']} process(es) x {r['threads_per_process']} thread(s): "
          f"{r['tokens_per_second']:>7,} tokens/s   val loss after {r['steps']} steps: "
          f"{r['val_loss']:.3f}")
    print(f"    (the median of {scaling['repeats']} runs: "
          f"{', '.join(f'{t:,}' for t in r['tokens_per_second_all'])} tokens/s)")
one, two = scaling["runs"]
ratio = two["tokens_per_second"] / one["tokens_per_second"]
print(f"2 processes / 1 process = {ratio:.2f}x tokens per second")
print(f"training time of one run of each: {sum(r['seconds'] for r in scaling['runs']):.0f} s, "
      f"run {scaling['repeats']} times")

# %%
fig = plot_scaling(scaling["runs"])

# %% [markdown]
# Read the numbers with care. Both runs had the same cores, so there is no reason to
# expect 2x here: the 2 processes split the same cores, and they also spend time averaging
# gradients. What DDP offers is the ability to use **more** hardware: on a machine with 2
# GPUs, or on 2 machines, each process brings its own compute.
#
# The val losses differ too. In its 200 steps the 2-process run saw twice as many tokens,
# each of its steps averaged the gradients of twice as many sequences, and its batches
# were other ones. This measurement does not tell which of these made the difference, or
# how much of it is the noise of one run.

# %%
if scaling["gpu"] is None:
    print("No GPU was available when these figures were measured: this lesson shows CPU "
          "figures only. Run the commands above on a GPU machine to add yours.")
else:
    print(scaling["gpu"])

# %% [markdown]
# ## Try it: processes, batch and time
#
# Move the sliders. The global batch and the tokens per step grow with both sliders; the
# steps per pass over the training text shrink. The time is shown for the process counts
# measured on this machine; at another batch size it is an estimate (the step time scaled
# with the batch), and the widget marks it as one.

# %%
measured = {r["processes"]: r["tokens_per_second"] for r in scaling["runs"]}
scaling_calculator(block_size=scaling["block_size"], corpus_tokens=len(corpus.train_data),
                   measured=measured, measured_batch=scaling["batch_size_per_process"])

# %% [markdown]
# ## Summary
#
# - The same `course_lib` code runs on a CPU, a GPU (`--device cuda`, with bfloat16
#   autocast where the device has it and a timing shows it faster) and
#   on several processes (`torchrun --nproc_per_node=N -m course_lib.train`).
# - DDP averages the gradients of all processes, so their weights stay identical; each
#   process reads different batches, and only rank 0 logs, evaluates and saves.
# - With N processes, the global batch and the tokens per step are N times larger, and one
#   pass over the data takes N times fewer steps.
# - On one machine, processes share its cores: here 2 processes gave only the gain printed
#   above. A large gain needs each process to bring its own GPU or machine.
#
# **Next:** [Lesson 10: Subword tokens](10_subword_tokens.ipynb) replaces characters by
# byte-pair tokens, the kind of tokenizer GPT-2 uses. Or train your own model on another
# text now, with `python -m course_lib.train --corpus your_text.txt`.
