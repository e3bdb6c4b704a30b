# %% [markdown]
# # Lesson 07: LayerNorm
#
# Every block of the GPT starts each of its two parts with a LayerNorm (`ln1`, `ln2`), and
# one more (`ln_f`) comes after the last block. This lesson takes LayerNorm apart: what it
# computes, which numbers it averages over, where the model puts it, and what changes when
# you take it out.
#
# **You will learn**
# - how to normalise a vector by hand, and which standard deviation LayerNorm uses;
# - what the small constant epsilon does;
# - how to write LayerNorm from scratch, with its learned scale and shift, equal to
#   `nn.LayerNorm`;
# - which dimension LayerNorm normalises, and how that differs from BatchNorm;
# - where the course model places its LayerNorms (pre-norm);
# - what happens to training without LayerNorm, measured.
#
# **You need:** [Lesson 06: Blocks](06_blocks.ipynb) (the `Block`, residual connections).

# %% [markdown]
# ## Setup

# %%
import inspect
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.testing import assert_close

from course_lib import DATA_DIR, Block, GPTConfig, GPTLanguageModel, load_checkpoint
from course_lib.lessons.checks import check_layer_norm, check_layernorm_parameter_count
from course_lib.lessons.experiments import without_layernorm
from course_lib.lessons.plots import plot_layernorm_curves, plot_layernorm_io
from course_lib.lessons.widgets import layernorm_explorer

torch.manual_seed(1337)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## A worked example
#
# To normalise a vector, subtract its mean and divide by its standard deviation. Take
# `x = [1.0, 2.0, 3.0]`. The mean is 2. For the standard deviation there are two common
# formulas, and they give different numbers here:
#
# - the **population** standard deviation divides the sum of squared deviations by $n$:
#   $\sigma = \sqrt{\tfrac{1}{n}\sum_i (x_i - \mu)^2}$;
# - the **unbiased** estimate divides by $n - 1$. This is what `torch.std` computes by
#   default.

# %%
x = torch.tensor([1.0, 2.0, 3.0])
mu = x.mean()
sigma_pop = x.std(correction=0)     # divide by n
sigma_unb = x.std()                 # divide by n - 1 (the default)
print(f"mean {mu:.4f}   population std {sigma_pop:.4f}   unbiased std (torch default) {sigma_unb:.4f}")
print("normalised with the population std:", (x - mu) / sigma_pop)
print("normalised with the unbiased std:  ", (x - mu) / sigma_unb)

# %% [markdown]
# Each version gives a standard deviation of 1 when measured by its own formula. LayerNorm
# uses the population version: compare with `nn.LayerNorm`.

# %%
ln = nn.LayerNorm(3)
y = ln(x)
print("nn.LayerNorm:", y.detach())
print(f"mean of the result {y.mean():.4f}, population std {y.std(correction=0):.4f}")
fig = plot_layernorm_io(x, y, title="The worked example: [1, 2, 3] normalised")

# %% [markdown]
# Normalising removes the mean and the scale, so shifting or scaling the input does not
# change the output. `[2.0, 3.0, 4.0]` and `[10.0, 20.0, 30.0]` give the same result as
# `[1.0, 2.0, 3.0]`.

# %%
for v in ([2.0, 3.0, 4.0], [10.0, 20.0, 30.0]):
    print(v, "->", ln(torch.tensor(v)).detach())

# %% [markdown]
# ## Epsilon
#
# LayerNorm does not divide by $\sigma$ but by $\sqrt{\sigma^2 + \epsilon}$, with a small
# $\epsilon$ (`eps`, $10^{-5}$ by default). So the result is not exactly
# $\pm\sqrt{3/2}$. Print more digits:

# %%
exact = (x - mu) / sigma_pop
print(f"eps = {ln.eps:g}, sqrt(eps) = {ln.eps ** 0.5:.4f}")
print(f"without eps: {exact[2]:.7f}   nn.LayerNorm: {y[2]:.7f}   "
      f"difference {exact[2] - y[2]:.1e}")

# %% [markdown]
# For a vector like this one the difference is tiny. Epsilon matters when the variance is close
# to 0. For a constant vector, $\sigma = 0$ and the division is $0/0$. For a vector that
# is almost constant, dividing by its tiny $\sigma$ would blow up differences that are
# only noise.

# %%
def normalise(v, eps):
    return (v - v.mean()) / torch.sqrt(v.var(correction=0) + eps)


constant = torch.tensor([5.0, 5.0, 5.0])
almost = torch.tensor([5.0, 5.001, 5.002])
for name, v in (("constant", constant), ("almost constant", almost)):
    print(f"{name:>15} {v}: eps=0 -> {normalise(v, 0.0)}, eps=1e-5 -> {normalise(v, 1e-5)}")

# %% [markdown]
# With `eps = 1e-5`, the constant vector gives zeros, and the almost constant one, whose
# spread is below $\sqrt{\epsilon}$ (printed above), is shrunk instead of being stretched
# to standard deviation 1.
#
# ### Try it
#
# The input is `scale * [1, 2, 3] + shift`. Move the shift, and scale the vector up and
# down: the output does not change, until the spread of the input is close to
# $\sqrt{\epsilon}$. Then change `eps` and see where that happens. Try a tiny scale with
# a large shift too (scale 1e-5, shift 100): float32 cannot hold the input exactly there,
# and the widget shows by how much.

# %%
layernorm_explorer()

# %% [markdown]
# ## LayerNorm from scratch
#
# For each vector of `C` channels, LayerNorm computes
#
# $$y = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \cdot \gamma + \beta,$$
#
# where $\mu$ and $\sigma^2$ are the mean and the population variance of the `C` values,
# and $\gamma$ (`weight`) and $\beta$ (`bias`) are learned vectors of `C` numbers. They start
# at 1 and 0, so at first LayerNorm only normalises; training can then give each channel
# its own scale and offset, and even undo the normalisation if that helps.

# %%
class MyLayerNorm(nn.Module):
    def __init__(self, n_embd, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(n_embd))    # gamma: the learned scale
        self.bias = nn.Parameter(torch.zeros(n_embd))     # beta: the learned shift

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)                  # (B, T, 1)
        var = x.var(dim=-1, keepdim=True, correction=0)      # (B, T, 1), divides by C
        x_hat = (x - mean) / torch.sqrt(var + self.eps)      # (B, T, C)
        return x_hat * self.weight + self.bias               # (B, T, C)

# %%
B, T, C = 4, 8, 32
x = torch.randn(B, T, C) * 3 + 1
mine, theirs = MyLayerNorm(C), nn.LayerNorm(C)
assert_close(mine(x), theirs(x))
with torch.no_grad():                      # now give both the same random scale and shift
    theirs.weight.copy_(torch.rand(C) + 0.5)
    theirs.bias.copy_(torch.randn(C))
mine.load_state_dict(theirs.state_dict())
assert_close(mine(x), theirs(x))
print("MyLayerNorm == nn.LayerNorm, also with a learned scale and shift")
print({name: tuple(p.shape) for name, p in theirs.named_parameters()})

# %% [markdown]
# ### Exercise 1: LayerNorm as a function
#
# Write `my_layer_norm(x, weight, bias, eps)` for a tensor `x` of shape `(B, T, C)`.

# %%
def my_layer_norm(x, weight, bias, eps):
    # TODO: mean and population variance over the channels; normalise; scale and shift
    raise NotImplementedError


check_layer_norm(my_layer_norm)

# %% [solution]
def solution_layer_norm(x, weight, bias, eps):
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, keepdim=True, correction=0)
    return (x - mean) / torch.sqrt(var + eps) * weight + bias


check_layer_norm(solution_layer_norm)

# %% [markdown]
# ## Which numbers are averaged: LayerNorm vs BatchNorm
#
# A tensor of shape `(B, T, C)` can be normalised along different dimensions.
#
# - **LayerNorm** normalises each token on its own: for every `(b, t)` it averages over the
#   `C` channels. There are `B × T` means.
# - **BatchNorm** normalises each channel on its own: for every channel `c` it averages over
#   all `B × T` tokens of the batch. There are `C` means.
#
# Make a small tensor whose channels have very different scales, and print the statistics
# after each normalisation. (`nn.BatchNorm1d` expects the channels in dimension 1, hence
# the transposes.)

# %%
B, T, C = 2, 3, 4
x = torch.randn(B, T, C) * torch.tensor([1.0, 10.0, 100.0, 1000.0])
layer = nn.LayerNorm(C)
batch = nn.BatchNorm1d(C)
y_ln = layer(x)
y_bn = batch(x.transpose(1, 2)).transpose(1, 2)

def describe(name, mean, std):
    print(f"{name:<39}: {mean.numel()} means (shape {tuple(mean.shape)}), largest |mean| "
          f"{mean.abs().max():.4f}, std from {std.min():.4f} to {std.max():.4f}")


with torch.no_grad():
    describe("LayerNorm, over C for each token", y_ln.mean(-1), y_ln.std(-1, correction=0))
    describe("BatchNorm, over (B, T) for each channel", y_bn.mean((0, 1)),
             y_bn.std((0, 1), correction=0))
    describe("BatchNorm output, looked at per token", y_bn.mean(-1), y_bn.std(-1, correction=0))

# %% [markdown]
# After LayerNorm every token has mean 0 and standard deviation 1 across its channels.
# After BatchNorm every channel has mean 0 and standard deviation 1 across the batch, but
# a single token's channels do not: the last line shows it.
#
# One consequence: with BatchNorm, a token's output depends on the other sequences in the
# batch. Change the second sequence only and compare the first sequence's outputs.

# %%
x2 = x.clone()
x2[1] = torch.randn(T, C) * 50
y_ln2 = layer(x2)
y_bn2 = batch(x2.transpose(1, 2)).transpose(1, 2)
print(f"LayerNorm: first sequence changed by {(y_ln2[0] - y_ln[0]).abs().max():.4f}")
print(f"BatchNorm: first sequence changed by {(y_bn2[0] - y_bn[0]).abs().max():.4f}")

# %% [markdown]
# In a language model this is worse than it looks. BatchNorm's mean over `(B, T)` also
# includes the **later** positions of the same sequence, so the output at position 0
# depends on the tokens that come after it: the model could read the future, which the
# causal mask of attention is there to prevent. Change only the last position of the first
# sequence and look at the earlier positions:

# %%
x3 = x.clone()
x3[0, -1] += 10.0                          # only the last position of sequence 0 changes
y_ln3 = layer(x3)
y_bn3 = batch(x3.transpose(1, 2)).transpose(1, 2)
print(f"LayerNorm: positions 0..{T - 2} changed by {(y_ln3[0, :-1] - y_ln[0, :-1]).abs().max():.4f}")
print(f"BatchNorm: positions 0..{T - 2} changed by {(y_bn3[0, :-1] - y_bn[0, :-1]).abs().max():.2f}")

# %% [markdown]
# BatchNorm also keeps running averages of its statistics for evaluation mode, so it
# computes something different in training and in evaluation. LayerNorm does the same in
# both modes.
#
# %%
layer.eval()
batch.eval()
print(f"LayerNorm, eval vs train mode: largest difference {(layer(x) - y_ln).abs().max():.4f}")
print(f"BatchNorm, eval vs train mode: largest difference "
      f"{(batch(x.transpose(1, 2)).transpose(1, 2) - y_bn).abs().max():.4f}")

# %% [markdown]
# A language model generates text one sequence at a time, often a batch of one, and must
# behave the same in training and in use; it must also never see the future. LayerNorm,
# which looks at one token at a time, fits all of that: these are reasons why transformers
# for text use it instead of BatchNorm.
#
# ## Where the model puts LayerNorm: pre-norm
#
# In a course `Block`, each part reads `ln(x)`, and its output is added to `x` itself. The
# residual stream `x` is never normalised inside the blocks. This is **pre-norm** (used by
# GPT-2). The original Transformer used **post-norm**: `x = ln(x + f(x))`, which puts a
# LayerNorm on the residual path of every block.

# %%
print(inspect.getsource(Block.forward))

# %% [markdown]
# Since the blocks keep adding to the residual stream, its scale can grow from block to
# block. `ln_f` normalises it once more before `lm_head` turns it into logits. Measure
# this in the trained course model: the mean standard deviation of a token's vector after
# the embeddings, after each block, and after `ln_f`.

# %%
model, tokenizer = load_checkpoint(DATA_DIR / "checkpoints" / "gpt")
idx = torch.tensor([tokenizer.encode("Friends, Romans, countrymen, lend me your ears;")])
with torch.no_grad():
    h = model.token_embedding_table(idx) + model.position_embedding_table(
        torch.arange(idx.shape[1]))
    print(f"embeddings:   {h.std(-1, correction=0).mean():.3f}")
    for i, block in enumerate(model.blocks):
        h = block(h)
        print(f"after block {i}: {h.std(-1, correction=0).mean():.3f}")
    print(f"after ln_f:   {model.ln_f(h).std(-1, correction=0).mean():.3f}   (without its "
          f"weight and bias: {F.layer_norm(h, (h.shape[-1],)).std(-1, correction=0).mean():.3f})")
    logits = model.lm_head(model.ln_f(h))                  # (1, T, vocab_size)
    assert_close(logits, model(idx)[0], atol=1e-4, rtol=1e-4)
print("embeddings -> blocks -> ln_f -> lm_head gives the model's logits:", tuple(logits.shape))

# %% [markdown]
# The residual stream grows from block to block, and `ln_f` brings it back. The result
# is not exactly 1: `ln_f` normalises to 1 (the number in brackets) and then applies the
# `weight` and `bias` it learned during training.
#
# ### Exercise 2: how many parameters do the LayerNorms have?
#
# Write `my_count_layernorm_parameters(cfg)` for a `GPTLanguageModel` built from the config
# `cfg` (it has `cfg.n_layer` and `cfg.n_embd`).

# %%
def my_count_layernorm_parameters(cfg):
    # TODO: how many LayerNorms, and how many numbers in each?
    raise NotImplementedError


check_layernorm_parameter_count(my_count_layernorm_parameters)

# %% [solution]
def solution_count_layernorm_parameters(cfg):
    n_layernorms = 2 * cfg.n_layer + 1                  # ln1 and ln2 per block, plus ln_f
    return n_layernorms * 2 * cfg.n_embd                # weight and bias, n_embd each


check_layernorm_parameter_count(solution_count_layernorm_parameters)

# %% [markdown]
# ## Training with and without LayerNorm
#
# Does LayerNorm help training? Measure it: train the same small GPT twice, once as it
# is and once with `ln1`, `ln2` and `ln_f` replaced by `nn.Identity()`, a module that
# returns its input. `without_layernorm` does the replacement; every other weight stays
# the same.

# %%
cfg = GPTConfig(vocab_size=67, block_size=32, n_embd=64, n_head=4, n_layer=6)
torch.manual_seed(1337)
plain = without_layernorm(GPTLanguageModel(cfg))
print(plain.blocks[0].ln1, plain.ln_f)
print(f"parameters removed: {GPTLanguageModel(cfg).num_parameters() - plain.num_parameters():,}")

# %% [markdown]
# Training takes a few minutes (the total is printed below), so a script does it and saves
# the curves. It trains both
# versions from the same seed on the same batches, without gradient clipping: at learning
# rate 0.001 with one seed, and at learning rate 0.01 with three seeds. To run it again:
#
# ```bash
# python scripts/compare_layernorm.py
# ```

# %%
results = json.loads((DATA_DIR / "layernorm_curves.json").read_text())
print("model:", results["config"])
print("training:", {k: v for k, v in results["training"].items() if k != "lr_and_seed"})
runs = {(r["lr"], r["seed"], r["layernorm"]): r for r in results["runs"]}
for (lr, seed, ln), run in runs.items():
    peak = max(v for v in run["train_loss"] if v is not None)
    print(f"lr {lr:g}, seed {seed}, {'with' if ln else 'without':>7} LayerNorm: val loss "
          f"{run['eval_val'][0]:.3f} -> {run['eval_val'][-1]:.3f}, highest training loss {peak:.3g}"
          f" at step {run['steps'][run['train_loss'].index(peak)]}")
print(f"{len(runs)} runs, {sum(r['seconds'] for r in results['runs']) / 60:.1f} minutes of "
      f"training on {results['machine']}")

# %%
fig = plot_layernorm_curves(results)

# %% [markdown]
# Count what the curves show.

# %%
with_ln, without_ln = runs[(0.001, 1337, True)]["eval_val"], runs[(0.001, 1337, False)]["eval_val"]
print("lr 0.001: with LayerNorm lower at every evaluation after the start:",
      all(a < b for a, b in zip(with_ln[1:], without_ln[1:])))
seeds = [seed for lr, seed in results["training"]["lr_and_seed"] if lr == 0.01]
for ln in (True, False):
    spiked = sum(max(v for v in runs[(0.01, s, ln)]["train_loss"] if v is not None)
                 > 1.5 * runs[(0.01, s, ln)]["train_loss"][0] for s in seeds)
    print(f"lr 0.01, {'with' if ln else 'without':>7} LayerNorm: the training loss rose above "
          f"1.5 x its starting value in {spiked} of {len(seeds)} runs")
worse = sum(runs[(0.01, s, False)]["eval_val"][-1] > runs[(0.01, s, True)]["eval_val"][-1]
            for s in seeds)
print(f"lr 0.01: final val loss higher without LayerNorm in {worse} of {len(seeds)} seeds")

# %% [markdown]
# What the measurements say, for this model and these settings:
#
# - At learning rate 0.001 both versions train, but the one with LayerNorm has the lower
#   validation loss at every evaluation after the start.
# - At learning rate 0.01, the runs with LayerNorm train smoothly. Without LayerNorm, the
#   training loss jumps far above its starting value early in training (within the first
#   60 of 600 steps), in every run (the highest values and their steps are printed
#   above), and then recovers. After 600 steps the runs
#   without LayerNorm end with the higher validation loss in most seeds, but not in all:
#   the count is printed above.
#
# This is a small experiment: one model size, 600 steps, one seed at the low learning rate
# and three at the high one. It shows that here LayerNorm gives a lower loss after the same
# number of steps at a low learning rate, and steadier training at a high one. It
# does not show that this holds for every model, and how a single unstable run ends is
# partly a matter of chance.
#
# **Why does normalisation help?** You will often read that it "reduces internal covariate
# shift": the distribution of each layer's inputs changes less while earlier layers
# learn. That was the original motivation for BatchNorm (Ioffe and Szegedy, 2015), but it
# is disputed: Santurkar et al. (2018, "How Does Batch Normalization Help Optimization?")
# found that networks still trained well with BatchNorm when noise was added to shift
# those distributions on purpose, and argued that normalisation makes the loss surface
# smoother instead. Why it works so well is still studied. What you can rely on is what
# you measured: every part of a block reads a normalised input, and training is more stable.
#
# ## Summary
#
# - LayerNorm subtracts the mean of each token's `C` channels and divides by
#   $\sqrt{\sigma^2 + \epsilon}$ with the population variance (divide by `C`, not `C - 1`),
#   then applies a learned scale `weight` and shift `bias`.
# - Epsilon keeps a constant or almost constant vector from being divided by zero or
#   stretched; it is why `[1, 2, 3]` does not map to exactly $\pm\sqrt{3/2}$.
# - LayerNorm averages over the last dimension, separately for every token; BatchNorm
#   averages each channel over the batch and makes examples depend on each other.
# - The course model is pre-norm: `x + f(ln(x))` in every block, and `ln_f` before
#   `lm_head`.
# - In our experiment, the model without LayerNorm learned more slowly at learning rate
#   0.001, and its loss spiked at 0.01, where the model with LayerNorm trained smoothly.
#
# **Next:** [Lesson 08: The full GPT](08_full_gpt.ipynb) puts all the parts together and
# trains the whole model.
