# %% [markdown]
# # Lesson 08: The full GPT
#
# The earlier lessons built every part of a GPT on its own. In this lesson you put the
# parts together into `GPTLanguageModel`, train it, generate Shakespeare-like text with it,
# save it, and measure what a wider model costs and what it gains.
#
# **You will learn**
# - how token and position embeddings, the blocks, `ln_f` and `lm_head` form one model, with
#   the shape of the data after each part;
# - what `nn.Linear` stores (`weight` has shape `(out_features, in_features)`) and what it
#   computes ($y = x W^\top + b$);
# - where the parameters of a GPT are, and how to count them from its config;
# - how to train the model with a progress bar and read its loss curves;
# - how temperature and top-k change the generated text;
# - how to save and load a checkpoint safely;
# - what a larger `n_embd` costs (parameters, time) and gains (validation loss), and how
#   large a change in the loss must be to stand out from the noise;
# - what three changes of later GPTs (weight tying, GELU, no biases) do to this model,
#   measured over three seeds.
#
# **You need:** [Lesson 07: LayerNorm](07_layernorm.ipynb) and the lessons before it: the
# token IDs, embeddings, attention heads, blocks and LayerNorm.

# %% [markdown]
# ## Setup

# %%
import json
import math
import re
import tempfile
import time
from pathlib import Path

import torch
import torch.nn as nn

from course_lib import (CheckpointError, DATA_DIR, GPTConfig, GPTLanguageModel,
                        estimate_loss, generate_text, load_checkpoint, load_corpus,
                        parameter_breakdown, save_checkpoint, train)
from course_lib.core.checkpoint import read_checkpoint_info
from course_lib.lessons.checks import check_gpt_forward, check_gpt_parameter_count, check_linear_forward
from course_lib.lessons.plots import (plot_gpt_changes, plot_loss_curves, plot_n_embd_sweep,
                                     plot_parameter_breakdown)
from course_lib.lessons.sweep import (compare_losses, doubling_table, gpt_changes_table,
                                      load_gpt_changes, load_sweep, loss_range, seed_losses,
                                      sweep_result, sweep_table, train_sweep_size)
from course_lib.core.training import load_history
from course_lib.lessons.widgets import generation_explorer, n_embd_explorer

torch.manual_seed(1337)
corpus = load_corpus()
tokenizer = corpus.tokenizer
print(corpus)

# %% [markdown]
# ## The plan: five parts in a row
#
# `GPTLanguageModel` reads a batch of token IDs `idx` of shape `(B, T)` (batch, time) and
# returns one row of scores (**logits**) per position, one score per vocabulary entry:
#
# | step | module | output shape |
# |---|---|---|
# | 1 | `token_embedding_table(idx)`: a vector per token | `(B, T, C)` |
# | 2 | `+ position_embedding_table(torch.arange(T))`: a vector per position | `(B, T, C)` |
# | 3 | `blocks`: `n_layer` blocks, one after the other | `(B, T, C)` |
# | 4 | `ln_f`: the final LayerNorm | `(B, T, C)` |
# | 5 | `lm_head`: a Linear layer from `C` to `V` | `(B, T, V)` |
#
# Here `C` is `n_embd` and `V` is `vocab_size`. We build a small model to follow the data.

# %%
cfg = GPTConfig(vocab_size=tokenizer.vocab_size, block_size=32, n_embd=64, n_head=4,
                n_layer=2, dropout=0.0)
model = GPTLanguageModel(cfg)
print(cfg)
for name, part in model.named_children():
    n = sum(p.numel() for p in part.parameters())
    print(f"{name:<25} {type(part).__name__:<12} {n:>8,} parameters")
print(f"{'total':<38} {model.num_parameters():>8,} parameters")

# %% [markdown]
# The five parts are the only children of the model. `blocks` is an `nn.Sequential` of
# `n_layer` `Block`s (lesson 06), and each block holds its own attention, feed-forward
# network and two LayerNorms:

# %%
print(model.blocks[0])

# %% [markdown]
# ## One forward pass, cell by cell
#
# We take two rows of 8 characters each, so `B = 2` and `T = 8`. The model accepts any
# `T` up to `block_size`, here 32.

# %%
model.eval()   # no dropout: the same input always gives the same output
idx = torch.tensor([tokenizer.encode("To be, o"), tokenizer.encode("r not to")])
B, T = idx.shape
print("idx:", tuple(idx.shape))
print(idx)

# %% [markdown]
# **Step 1.** Each token ID picks its row of the token embedding table: one vector of
# `n_embd` numbers per token.

# %%
tok_emb = model.token_embedding_table(idx)
print("tok_emb:", tuple(tok_emb.shape))
assert torch.equal(tok_emb[0, 0], model.token_embedding_table.weight[idx[0, 0]])

# %% [markdown]
# **Step 2.** A character gets the same token vector wherever it stands: the two `o`s of
# `"To be, o"` (positions 1 and 7) look the same so far. So each position `0 .. T-1` also
# gets a learned vector, which is added to the token's vector. The position vectors have
# shape `(T, C)`; PyTorch repeats them over the batch (broadcasting).

# %%
pos_emb = model.position_embedding_table(torch.arange(T))
x = tok_emb + pos_emb
print("pos_emb:", tuple(pos_emb.shape), "  x = tok_emb + pos_emb:", tuple(x.shape))
print("the two o's: same token vector:", torch.equal(tok_emb[0, 1], tok_emb[0, 7]),
      "  same x:", torch.equal(x[0, 1], x[0, 7]))
assert torch.equal(x[1], tok_emb[1] + pos_emb)   # row 1 got the same position vectors

# %% [markdown]
# **Step 3.** The blocks let the positions exchange information (attention) and then
# process it (feed-forward). Every block keeps the shape `(B, T, C)`, so they can be
# stacked.

# %%
for i, block in enumerate(model.blocks):
    x = block(x)
    print(f"after block {i}:", tuple(x.shape))

# %% [markdown]
# **Step 4.** `ln_f` normalises each position's vector over the `C` channels: mean 0 and
# standard deviation 1, a little less because of the epsilon (lesson 07). Then come its
# learned scale and shift, which start at 1 and 0.

# %%
x = model.ln_f(x)
print("after ln_f:", tuple(x.shape))
print(f"mean over C: {x.mean(-1).abs().max().item():.4f} (largest |mean|),  "
      f"std over C: {x.std(-1, unbiased=False).mean().item():.4f}")

# %% [markdown]
# **Step 5.** `lm_head` turns each vector of `C` numbers into `V` logits, one per
# character of the vocabulary. This is the model's output.

# %%
logits = model.lm_head(x)
print("logits:", tuple(logits.shape))
model_logits, _ = model(idx)
torch.testing.assert_close(logits, model_logits)   # equal up to float32 rounding
print("our five steps give the logits of model(idx):", torch.allclose(logits, model_logits, atol=1e-5))

# %% [markdown]
# With targets, the model also returns the cross-entropy loss. At initialisation every
# character is about equally likely, so the loss is close to $\ln V$ (lesson 02):

# %%
targets = torch.tensor([tokenizer.encode("o be, or"), tokenizer.encode(" not to ")])
_, loss = model(idx, targets)
print(f"loss at init {loss.item():.4f}   ln(vocab_size) = {math.log(cfg.vocab_size):.4f}")

# %% [markdown]
# The position table has `block_size` rows, so a longer input has no position vector.
# The model says so instead of failing deep inside PyTorch (`generate` crops the context
# to the last `block_size` tokens for you):

# %%
too_long = torch.zeros(1, cfg.block_size + 1, dtype=torch.long)
try:
    model(too_long)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# ### Exercise 1: assemble the forward pass
#
# Write `my_gpt_forward(model, idx)`, which returns the logits `(B, T, vocab_size)` of any
# `GPTLanguageModel` by calling its five parts in order. It must work for every `T` up to
# `block_size`. Calling `model(idx)` itself would skip the exercise, so the check refuses it
# (it compares your logits with `model(idx)` on its own).

# %%
def my_gpt_forward(model, idx):
    # TODO: token embedding + position embedding -> blocks -> ln_f -> lm_head
    raise NotImplementedError


check_gpt_forward(my_gpt_forward)

# %% [solution]
def solution_gpt_forward(model, idx):
    T = idx.shape[1]
    x = model.token_embedding_table(idx) + model.position_embedding_table(torch.arange(T))
    x = model.blocks(x)
    return model.lm_head(model.ln_f(x))


check_gpt_forward(solution_gpt_forward)

# %% [markdown]
# ## What `nn.Linear` stores and computes
#
# `lm_head` is an `nn.Linear(n_embd, vocab_size)`. The first argument is `in_features`
# (the length of each input vector), the second `out_features`. Some lecture notes say
# that its weight has shape `(n_embd, vocab_size)` and that it computes $xW + b$. Look at
# the real shapes:

# %%
print("lm_head:", model.lm_head)
print("weight:", tuple(model.lm_head.weight.shape), "  bias:", tuple(model.lm_head.bias.shape))
assert model.lm_head.weight.shape == (cfg.vocab_size, cfg.n_embd)   # (out_features, in_features)

# %% [markdown]
# The weight is stored as `(out_features, in_features)`: **one row per output**. Row `j`
# holds the `n_embd` numbers that are multiplied with the input to make output `j`:
#
# $$y_j = \sum_i x_i W_{j,i} + b_j \qquad\text{that is}\qquad y = x W^\top + b.$$
#
# For `lm_head`, row `j` is a vector for character `j`, and the logit of character `j` is
# the dot product of the final hidden vector with that row, plus a bias:

# %%
W, b = model.lm_head.weight, model.lm_head.bias
torch.testing.assert_close(model.lm_head(x), x @ W.T + b)
j = tokenizer.encode("e")[0]
by_hand = x[0, -1] @ W[j] + b[j]
print(f"logit of 'e' after {tokenizer.decode(idx[0].tolist())!r}: {logits[0, -1, j].item():.4f}"
      f"   x · W[{j}] + b[{j}] = {by_hand.item():.4f}")

# %% [markdown]
# Without the transpose the shapes do not fit: `x` has `n_embd` columns, but `W` has
# `vocab_size` rows.

# %%
try:
    x @ W + b
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# ### The worked example, redone
#
# The notes also give an example for `nn.Linear(3, 2)`: a $3 \times 2$ matrix $W$ with rows
# `[0.1, 0.2]`, `[0.3, 0.4]`, `[0.5, 0.6]`, a bias `[0.1, -0.1]`, the input
# `x = [1, 2, 3]`, and the result `[2.2, 2.8]`. A real `nn.Linear(3, 2)` stores a $2 \times 3$
# weight, so to compute "$xW$" we must give it the **transpose** of that matrix.

# %%
W_notes = torch.tensor([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]])   # 3 x 2, as in the notes
b_notes = torch.tensor([0.1, -0.1])
x_notes = torch.tensor([1.0, 2.0, 3.0])

linear = nn.Linear(3, 2)
print("nn.Linear(3, 2).weight has shape", tuple(linear.weight.shape))
with torch.no_grad():
    linear.weight.copy_(W_notes.T)   # (2, 3): one row per output
    linear.bias.copy_(b_notes)
print("x W     =", [round(v, 4) for v in (x_notes @ W_notes).tolist()])
print("x W + b =", [round(v, 4) for v in (x_notes @ W_notes + b_notes).tolist()])
print("linear(x) =", [round(v, 4) for v in linear(x_notes).tolist()])

# %% [markdown]
# So `[2.2, 2.8]` is $xW$ **without** the bias. Adding $b = [0.1, -0.1]$ gives
# `[2.3, 2.7]`, and that is what `nn.Linear` returns. The notes write `+ [0.1, -0.1]` in
# their sum but leave it out of the result.

# %% [markdown]
# ### Exercise 2: a Linear layer by hand
#
# Write `my_linear_forward(x, weight, bias)` that computes what `nn.Linear` computes, for a
# weight of shape `(out_features, in_features)` and an input `x` of shape
# `(..., in_features)` (2-D or 3-D). Use `@` and the transpose: `F.linear` and `nn.Linear`
# compute exactly this, so the check refuses them.

# %%
def my_linear_forward(x, weight, bias):
    # TODO: return the output of nn.Linear for this weight and bias
    raise NotImplementedError


check_linear_forward(my_linear_forward)

# %% [solution]
def solution_linear_forward(x, weight, bias):
    return x @ weight.T + bias


check_linear_forward(solution_linear_forward)

# %% [markdown]
# ## Where the parameters are
#
# Now the model of the course: the trained checkpoint that ships in `data/checkpoints/gpt`.
# `read_checkpoint_info` reads its `config.json` without loading the weights.

# %%
ckpt_path = DATA_DIR / "checkpoints" / "gpt"
info = read_checkpoint_info(ckpt_path)
ckpt_cfg = GPTConfig.from_dict(info["config"])
print(ckpt_cfg)
gpt, gpt_tokenizer = load_checkpoint(ckpt_path)
breakdown = parameter_breakdown(gpt)
fig = plot_parameter_breakdown(breakdown, title="Parameters of the course GPT")

# %% [markdown]
# Write $V$ for `vocab_size`, $T$ for `block_size`, $C$ for `n_embd` and $L$ for `n_layer`.
# Each part follows from the shapes of its layers:
#
# - token embedding: a $V \times C$ table; position embedding: a $T \times C$ table;
# - attention, per block: query, key and value each map `C` channels to `C` channels,
#   without bias (each of the `n_head` heads makes `C // n_head` of those outputs), so
#   $3C^2$ whatever `n_head` is; the output projection `proj` is `Linear(C, C)` with bias:
#   $C^2 + C$. Together $4C^2 + C$;
# - feed-forward, per block: `Linear(C, 4C)` and `Linear(4C, C)`: $(4C^2 + 4C) + (4C^2 + C)
#   = 8C^2 + 5C$;
# - LayerNorm: a weight and a bias of $C$ each, so $2C$; there are two per block and `ln_f`;
# - `lm_head`: `Linear(C, V)`: $CV + V$.
#
# The cell checks every formula against the real counts.

# %%
V, T_max, C, L = ckpt_cfg.vocab_size, ckpt_cfg.block_size, ckpt_cfg.n_embd, ckpt_cfg.n_layer
formulas = {
    "token embedding": V * C,
    "position embedding": T_max * C,
    "attention": L * (4 * C * C + C),
    "feed-forward": L * (8 * C * C + 5 * C),
    "layer norms": (2 * L + 1) * 2 * C,
    "lm_head": C * V + V,
}
for part, count in breakdown.items():
    print(f"{part:<20} formula {formulas[part]:>10,}   model {count:>10,}")
assert formulas == breakdown
total = gpt.num_parameters()
print(f"{'total':<20} {sum(formulas.values()):>18,}   {total:>16,}")
in_blocks = L * (12 * C * C + 10 * C)   # attention + feed-forward + 2 LayerNorms, per block
print(f"share of the {L} blocks: {100 * in_blocks / total:.1f}%")

# %% [markdown]
# The blocks hold almost everything: their count grows with $C^2$, the embeddings and
# `lm_head` only with $C$ (for a fixed vocabulary and `block_size`). Each parameter is a
# 32-bit float (4 bytes), which explains the size of the weights file:

# %%
size = (ckpt_path / "model.safetensors").stat().st_size
print(f"4 bytes x {gpt.num_parameters():,} parameters = {4 * gpt.num_parameters() / 1e6:.2f} MB;"
      f" model.safetensors holds {size / 1e6:.2f} MB")

# %% [markdown]
# ### Exercise 3: count the parameters from the config
#
# Write `my_count_parameters(cfg)`, which returns the number of parameters of
# `GPTLanguageModel(cfg)` from the fields of `cfg` alone, without building the model.

# %%
def my_count_parameters(cfg):
    # TODO: add up the parts, using cfg.vocab_size, cfg.block_size, cfg.n_embd, cfg.n_layer
    raise NotImplementedError


check_gpt_parameter_count(my_count_parameters)

# %% [solution]
def solution_count_parameters(cfg):
    V, T, C, L = cfg.vocab_size, cfg.block_size, cfg.n_embd, cfg.n_layer
    per_block = (4 * C * C + C) + (8 * C * C + 5 * C) + 2 * (2 * C)
    return V * C + T * C + L * per_block + 2 * C + (C * V + V)


check_gpt_parameter_count(solution_count_parameters)

# %% [markdown]
# ## Training with a progress bar
#
# `course_lib.train` runs the loop of lesson 02 on random batches: forward, loss, backward,
# AdamW step. By default it also warms the learning rate up, lets it decay, and clips the
# gradient (the checkpoint's recipe, further down, shows what each of these does). Every
# `eval_interval` steps it estimates the train and val loss on a few batches. It shows a progress bar; to stop early, interrupt the kernel (■): training ends
# after the current step and you keep the weights.
#
# A short run of the small model (a few seconds):

# %%
# NBVAL_IGNORE_OUTPUT
torch.manual_seed(1337)
model = GPTLanguageModel(cfg)
history = train(model, corpus.train_data, corpus.val_data, max_iters=300, batch_size=32,
                lr=2e-3, eval_interval=50, eval_iters=10, seed=1337)
print(f"{history.steps[-1]} steps in {history.seconds:.1f} s "
      f"({history.tokens_per_second:,.0f} tokens/s)")

# %% [markdown]
# The bar and the time above change from run to run. The losses do not (fixed seeds), but
# their last digits depend on the computer: another CPU (or another number of threads)
# sums the same numbers in another order, rounds a little differently, and over 300 steps
# these differences grow to a few thousandths (up to 0.003 between AVX-512 and AVX2
# kernels; `tests/test_portability.py` runs this lesson under such settings). So we print
# them to one decimal, and check the shape of the curve instead of its last digits:

# %%
for step, tr, va in zip(history.eval_steps, history.eval_train, history.eval_val):
    print(f"step {step:>4}: train loss {tr:.1f}   val loss {va:.1f}")
first_drop = history.eval_val[0] - history.eval_val[1]       # steps 0 -> 50
last_drop = history.eval_val[-2] - history.eval_val[-1]      # steps 250 -> 300
print("starts within 0.05 of ln V:", abs(history.eval_val[0] - math.log(cfg.vocab_size)) < 0.05)
print("the first 50 steps lower the val loss over 10 times as much as the last 50:",
      first_drop > 10 * last_drop > 0)
assert abs(history.eval_val[0] - math.log(cfg.vocab_size)) < 0.05 and first_drop > 10 * last_drop > 0
fig = plot_loss_curves(history, title=f"A short run: {model.num_parameters():,} parameters",
                       baseline=math.log(cfg.vocab_size))

# %% [markdown]
# The loss falls fast from $\ln V$ at first, then more slowly. 300 steps are only a
# start: the course checkpoint was trained much longer, by a script. Its loss history is
# stored next to it, and its `config.json` records how the run went:

# %%
extra = info["extra"]
print(f"steps {extra['steps']:,}, {extra['seconds'] / 60:.1f} minutes on {extra['device']} "
      f"({extra['tokens_per_second']:,} tokens/s)")
print(f"final train loss {extra['train_loss']:.4f}, val loss {extra['val_loss']:.4f}")
long_history = load_history(DATA_DIR / "checkpoints" / "gpt_history.json")
fig = plot_loss_curves(long_history, title=f"The course GPT: {gpt.num_parameters():,} parameters",
                       baseline=math.log(V))

# %% [markdown]
# Over the last steps the train loss keeps falling while the val loss hardly moves, and
# the val loss stays above the train loss: the model fits the training plays better than
# the text it never saw.

# %%
i = long_history.eval_steps.index(2500)
print(f"steps 2500 -> 3000: train {long_history.eval_train[-1] - long_history.eval_train[i]:+.4f}, "
      f"val {long_history.eval_val[-1] - long_history.eval_val[i]:+.4f}")
print(f"val - train at the end: {long_history.eval_val[-1] - long_history.eval_train[-1]:.4f}")

# %% [markdown]
# To train it again, run from the repository root (the time printed above is what it took
# on the machine that trained it):
#
# ```bash
# python scripts/train_checkpoint.py
# ```
#
# ### The checkpoint's recipe
#
# The checkpoint's script passed its own settings to the train command. Read its flags,
# and check the learning rate of every step that the history recorded against them: a
# linear warmup, then a cosine decay down to `--min-lr`.

# %%
script = (DATA_DIR.parent / "scripts" / "train_checkpoint.py").read_text()
flags = dict(re.findall(r'"(--[a-z-]+)", "([^"]+)"', script))
print({k: flags[k] for k in ("--lr", "--min-lr", "--warmup-iters", "--weight-decay",
                             "--grad-clip", "--dropout", "--batch-size")})
lr, min_lr, warmup = float(flags["--lr"]), float(flags["--min-lr"]), int(flags["--warmup-iters"])
lrs, n = long_history.lr, len(long_history.lr)
want = [lr * (i + 1) / warmup if i < warmup else min_lr + 0.5 * (lr - min_lr)
        * (1 + math.cos(math.pi * (i - warmup) / (n - warmup))) for i in range(n)]
assert max(abs(a - b) for a, b in zip(lrs, want)) < 1e-9
print(f"step 1: {lrs[0]:.2e}, step {warmup}: {lrs[warmup - 1]:.2e} (the end of the warmup), "
      f"step {n // 2}: {lrs[n // 2 - 1]:.2e}, step {n}: {lrs[-1]:.2e}")
print("every step's learning rate follows the warmup and the cosine above")

# %% [markdown]
# So the checkpoint was trained with a warmup of 100 steps, a cosine decay of the learning
# rate from 1.5e-3 to 1.5e-4, dropout 0.1, and two settings that the history does not
# record but the flags do: AdamW's weight decay of 0.1, and gradient clipping at a norm
# of 1.0. Weight decay shrinks every parameter (`train` decays all of them, biases and
# LayerNorm weights too) a little at each step; clipping scales the whole gradient down to
# a norm of 1.0 whenever its norm is larger.
#
# ## Generating text
#
# `generate_text` encodes a prompt, then repeats: run the model, take the logits of the
# last position, divide them by the **temperature**, keep only the **top-k** largest
# (if `top_k` is given), softmax, draw one character (lesson 03). The seed fixes the
# draws, so the same settings always give the same text.

# %%
start = time.perf_counter()
sample = generate_text(gpt, gpt_tokenizer, prompt="\n", max_new_tokens=200,
                       temperature=1.0, top_k=None, seed=1337)
took = time.perf_counter() - start
print(sample)

# %% [markdown]
# How long did that take? Without help, every new character would run the whole model
# again on up to `block_size` characters of context. The library's `generate` keeps a
# **cache**: each block stores the keys and values of the positions it has already seen,
# so a new character costs one position. That works while the text fits in `block_size`
# characters. After that the window slides, every character moves to another position
# (with another position embedding), and each step runs on the whole window again.
# The cache changes the time, not the text:

# %%
prompt = torch.tensor([gpt_tokenizer.encode("\n")])
outputs, seconds = {}, {}
for use_cache in (True, False):
    start = time.perf_counter()
    outputs[use_cache] = gpt.generate(prompt, 100, generator=torch.Generator().manual_seed(1),
                                      use_cache=use_cache)
    seconds[use_cache] = time.perf_counter() - start
print("the same 100 characters with and without the cache:",
      torch.equal(outputs[True], outputs[False]))

# %%
# NBVAL_IGNORE_OUTPUT
print(f"200 characters: {took:.2f} s")
print(f"100 characters: {seconds[True]:.2f} s with the cache, {seconds[False]:.2f} s without")

# %% [markdown]
# If a redraw takes more than a few tenths of a second, a slider feels slow. So the widget
# below starts with 80 characters, which fit in `block_size`, and prints its time; the
# `characters` slider trades length for speed.
#
# The same seed gives the same text; another seed gives other text. With `top_k=1` only
# the most likely character can be drawn, so the seed no longer matters: that is greedy
# decoding.

# %%
def text(seed, top_k=None):
    return generate_text(gpt, gpt_tokenizer, "\n", 60, top_k=top_k, seed=seed)


first = text(seed=7)
print("same seed, same text:  ", first == text(seed=7))
print("other seed, other text:", first != text(seed=8))
print("greedy (top_k=1) text is the same for every seed:", text(1, top_k=1) == text(2, top_k=1))

# %% [markdown]
# Greedy text soon gets stuck in a loop: once a line is the most likely continuation of
# itself, it comes back again and again.

# %%
greedy = generate_text(gpt, gpt_tokenizer, "\n", 300, top_k=1)
print(greedy)
lines = [line for line in greedy.split("\n") if line]
most = max(set(lines), key=lines.count)
print(f"--> the line {most!r} appears {lines.count(most)} times")

# %% [markdown]
# Temperature moves between the two extremes. A low temperature makes the likely
# characters even more likely: safer text. A high one flattens the distribution: more
# surprising text, with more invented words. We generate 6 texts of 100 characters at
# each temperature (one batch of 6 rows) and count how many of their words occur
# somewhere in the corpus:

# %%
corpus_words = set(re.findall(r"[A-Za-z']+", corpus.text))
prompts = prompt.repeat(6, 1)                      # (6, 1): six texts at once
for temperature in (0.5, 1.0, 1.5):
    g = torch.Generator().manual_seed(3)
    rows = gpt.generate(prompts, 100, temperature=temperature, generator=g)
    texts = [gpt_tokenizer.decode(row) for row in rows]
    words = [w for t in texts for w in re.findall(r"[A-Za-z']+", t)]
    known = sum(w in corpus_words for w in words)
    print(f"temperature {temperature}: {known}/{len(words)} = {100 * known / len(words):.0f}% "
          f"of the words are in the corpus, e.g. {texts[0][1:45]!r}")

# %% [markdown]
# Now try the settings yourself. A small `top_k` cuts off the unlikely characters
# (0 means no cut); compare `top_k = 1` with the greedy text above.

# %%
generation_explorer(gpt, gpt_tokenizer, max_new_tokens=80)

# %% [markdown]
# ## Saving and loading a checkpoint
#
# `save_checkpoint` writes a directory with three files: the weights in **safetensors**
# format, the tokenizer (`tokenizer.json`, with the vocabulary), and a `config.json` with
# the model's config and a checksum of each of the other two files. It writes to a new directory first and renames it at the end, so an
# interrupted save leaves the previous checkpoint in place (`tests/test_checkpoint.py`
# interrupts a save to check this). We save the small model we trained above into a
# temporary directory.

# %%
tmp = tempfile.TemporaryDirectory()
path = save_checkpoint(Path(tmp.name) / "small_gpt", model, tokenizer,
                       extra={"steps": history.steps[-1]})
for f in sorted(path.iterdir()):
    print(f"{f.name:<18} {f.stat().st_size / 1024:8.1f} KiB")

# %% [markdown]
# A safetensors file is plain data: 8 bytes that give the length of a JSON header, the
# header (the name, type, shape and byte range of each tensor), then the raw numbers.
# Unlike a pickle file (what `torch.save` writes), loading it runs no code from the file.

# %%
raw = (path / "model.safetensors").read_bytes()
n_header = int.from_bytes(raw[:8], "little")
header = json.loads(raw[8:8 + n_header])
tensors = [k for k in header if k != "__metadata__"]
print(f"header: {n_header} bytes, {len(tensors)} tensors, then {len(raw) - 8 - n_header:,} "
      f"bytes of numbers = 4 x {model.num_parameters():,}")
print("lm_head.weight:", header["lm_head.weight"])
assert len(raw) - 8 - n_header == 4 * model.num_parameters()

# %%
loaded, loaded_tokenizer = load_checkpoint(path)
print(type(loaded).__name__, loaded.cfg)
model.eval()
same_logits = torch.equal(loaded(idx)[0], model(idx)[0])
print("same tokenizer:", loaded_tokenizer == tokenizer, "  identical logits:", same_logits)
assert same_logits

# %% [markdown]
# Loading checks the checkpoint before it trusts it. Asking for another configuration
# gives a clear error that names the difference, and so does a damaged file:

# %%
def show_error(err):   # the temporary directory has a random name: hide it
    print(f"{type(err).__name__}: {str(err).replace(tmp.name, '<tmp>')}")


try:
    load_checkpoint(path, cfg=GPTConfig(vocab_size=cfg.vocab_size, block_size=32, n_embd=128,
                                        n_head=4, n_layer=2))
except CheckpointError as err:
    show_error(err)

# %%
weights = path / "model.safetensors"
weights.write_bytes(weights.read_bytes()[:1000])   # cut the file short, as a failed copy would
try:
    load_checkpoint(path)
except CheckpointError as err:
    show_error(err)
tmp.cleanup()

# %% [markdown]
# ## The `n_embd` experiment
#
# How wide should the vectors be? `scripts/sweep_n_embd.py` trained the same GPT with
# several values of `n_embd`, everything else fixed (same layers, heads, data and number
# of steps), and recorded the parameter count, the final losses and the time. One run per
# size cannot tell a real gain from noise, so it trained each size from three seeds (the
# seed sets the first random weights and which batches each run trains and is measured
# on). To run it again:
#
# ```bash
# python scripts/sweep_n_embd.py
# ```

# %%
sweep = load_sweep()
print("fixed:", sweep["fixed_config"])
print("training:", sweep["training"])
print(sweep_table(sweep))
first_seed = sweep["seeds"][0]
print(f"seed {first_seed}'s runs took {sum(r['seconds'] for r in sweep['results']) / 60:.1f} "
      f"minutes in all on: {sweep['cpu']}")
for r in sweep["results"]:
    print(f"n_embd {r['n_embd']:>3}: seconds per seed", r["seconds_per_seed"], " threads per seed",
          [run.get("threads", "not recorded") for run in r["runs"]])

# %%
fig = plot_n_embd_sweep(sweep["results"])

# %% [markdown]
# What the numbers say, computed from the file. First, after the same number of steps:

# %%
rs = sweep["results"]
first, last = rs[0], rs[-1]
print(f"n_embd {first['n_embd']} -> {last['n_embd']}: parameters x{last['params'] / first['params']:.0f}, "
      f"time x{last['seconds'] / first['seconds']:.1f} (seed {first_seed})")
print("parameters at each doubling:", ", ".join(f"x{b['params'] / a['params']:.1f}"
                                                for a, b in zip(rs, rs[1:])))
print("time at each doubling:      ", ", ".join(f"x{b['seconds'] / a['seconds']:.1f}"
                                                for a, b in zip(rs, rs[1:])), f"(seed {first_seed})")
print(doubling_table(sweep))
steps = [compare_losses(seed_losses(a), seed_losses(b)) for a, b in zip(rs, rs[1:])]
changes = [c["change"] for c in steps]
print("each doubling lowered the mean val loss:", all(d < 0 for d in changes))
print("each doubling helped less than the one before:",
      all(abs(b) < abs(a) for a, b in zip(changes, changes[1:])))
print("doublings whose seed ranges are apart:", sum(c["apart"] for c in steps), "of", len(steps))
print("val - train gap (means):", ", ".join(
    f"{r['n_embd']}: {loss_range(seed_losses(r))[0] - loss_range(seed_losses(r, 'train'))[0]:+.3f}"
    for r in rs))

# %% [markdown]
# Second, with the same **time** instead of the same number of steps. Only the first
# seed's runs are used here: the other seeds ran later, on one thread of a busy machine
# (their `threads` and their longer times above). Their curves give the val loss at every 100 steps; we take the last one each run
# reached within the time of the shortest run (assuming its steps all took equally long):

# %%
budget = min(r["seconds"] for r in rs)
within = {}
for r in rs:
    per_step = r["seconds"] / r["eval_steps"][-1]
    within[r["n_embd"]] = [v for s, v in zip(r["eval_steps"], r["eval_val"])
                           if s * per_step <= budget][-1]
    print(f"n_embd {r['n_embd']:>3}: val loss {within[r['n_embd']]:.4f} after {budget:.0f} s")
print("best within that time: n_embd =", min(within, key=within.get))

# %% [markdown]
# An honest reading, with three seeds per size:
#
# - After the same number of steps, every doubling lowered the mean val loss, and each
#   lowered it less than the one before, while the parameters grew between 3.5 and 4
#   times per doubling (the lines above).
# - The first three doublings moved the mean by more than three times the seed spread
#   (checked below): those gains are far larger than the noise.
# - The last doubling, from 128 to 256, moved the mean by less than the seed spread. The
#   table says whether the two ranges still stay apart and in how many seeds the wider
#   model ended lower; either way the gain is small for four times the parameters.
#   With one seed per size, this gain could not be told from noise at all.
# - The time grew much less than the parameters (first line above), and `n_embd = 32` even
#   ran faster than 16: the parameter count is not the whole cost of a step.
# - The gap between val and train loss grows with the width: the wider models start to
#   memorise the training plays. This corpus is small for them.
# - With the same time instead of the same steps, the widest model is not the best: it
#   has done too few steps. Which size is "best" depends on what you hold fixed.
# - The times are those of seed 1337's runs, on one machine: differences of a few seconds
#   can come from the machine being busy with something else.

# %%
print("first three doublings: change / seed spread =",
      ", ".join(f"{abs(c['change']) / c['spread']:.1f}" for c in steps[:3]))
print(f"last doubling: change {steps[-1]['change']:+.4f}, seed spread {steps[-1]['spread']:.4f}")
assert all(abs(c["change"]) > 3 * c["spread"] for c in steps[:3])
assert abs(steps[-1]["change"]) < steps[-1]["spread"]
assert all(d < 0 for d in changes) and all(abs(b) < abs(a) for a, b in zip(changes, changes[1:]))
gaps = [loss_range(seed_losses(r))[0] - loss_range(seed_losses(r, "train"))[0] for r in rs]
assert all(b > a for a, b in zip(gaps, gaps[1:]))          # the val - train gap grows
assert first_seed == 1337

# %% [markdown]
# Move the slider to see each size's numbers and its validation curve against training
# time (the other sizes are faint). The widget shows seed 1337's run of each size, not the
# mean. The button trains the chosen size again, from that seed, for a few seconds, with a
# progress bar, and compares it with the sweep.

# %%
n_embd_explorer(sweep, corpus, train_seconds=10)

# %% [markdown]
# The button runs `train_sweep_size`. Here it is with a fixed number of steps, so the
# result is the same on every run: 100 steps of the `n_embd = 32` run.

# %%
# NBVAL_IGNORE_OUTPUT
small_model, small_history = train_sweep_size(sweep, corpus, n_embd=32, max_iters=100)

# %%
r32 = sweep_result(sweep, 32)
step = small_history.eval_steps[-1]
again, before = small_history.eval_val[-1], r32["eval_val"][r32["eval_steps"].index(step)]
print(f"again:      val loss at step {step}: {again:.2f}")
print(f"the sweep:  val loss at step {step}: {before:.2f}")
print("they differ by less than 0.005:", abs(again - before) < 0.005)
assert abs(again - before) < 0.005

# %% [markdown]
# The same to two decimals, but not to the last digits: the sweep ran in another process,
# maybe on another CPU, and floating-point sums done in a different order (other thread
# splits, other kernels) round differently in the last bits; after 100 steps the two
# differed by 0.0007 at most on the two settings we measured (AVX-512 and AVX2 kernels).
# Within one process the same cell gives the same number every time.
#
# ## How much noise is in a val loss?
#
# Each val loss of the sweep is an estimate: the mean loss on `eval_iters = 20` random
# batches of the validation text (the models trained from the same seed got the same 20
# batches). Other batches would give another number. Measure how much on the model just trained: estimate
# its val loss on four other sets of 20 batches.

# %%
settings = sweep["training"]
estimates = [estimate_loss(small_model, corpus.train_data, corpus.val_data,
                           eval_iters=settings["eval_iters"], batch_size=settings["batch_size"],
                           block_size=sweep["fixed_config"]["block_size"], seed=s)["val"]
             for s in range(1, 5)]
spread = max(estimates) - min(estimates)
# the spread, not the four values: their third decimal depends on the CPU
print(f"one model, four sets of batches: spread (largest - smallest) {spread:.2f}")
print(f"the sweep's last doubling changed the mean val loss by {changes[-1]:+.4f}: "
      f"smaller than the spread: {abs(changes[-1]) < spread}")

# %% [markdown]
# So even with the model fixed, other batches move the estimate by about this much (the
# last line compares it with the last doubling's change of the mean). The seed spread in
# the sweep's table holds this noise too, because each seed also draws its own evaluation
# batches, and it adds the noise of training from other random weights on other batches.
# That is why this lesson counts a difference between two models as shown only when the
# seed ranges do not overlap.

# %% [markdown]
# ## What later GPTs changed, measured
#
# Our GPT keeps three choices of the lecture's code: ReLU in the feed-forward, a bias in
# every `Linear` and `LayerNorm`, and two separate matrices for `token_embedding_table` and
# `lm_head`. GPT-2 makes two of them differently: it uses GELU, a smooth curve in place of
# ReLU's corner at 0, and it shares one matrix between the token table and `lm_head`
# (**weight tying**). Many newer models also drop the biases. `GPTConfig` has a field for each change:
# `activation`, `tie_weights` and `bias`.
#
# Do they help *here*? `scripts/measure_gpt_changes.py` trained the sweep's `n_embd = 64`
# model with one change at a time, from the sweep's three seeds, with the sweep's
# settings. The baseline is not trained again: it is the sweep's own `n_embd = 64` runs.
# To redo it (it prints each run as it finishes):
#
# ```bash
# python scripts/measure_gpt_changes.py
# ```

# %%
gpt_changes = load_gpt_changes()
print("redo with:", gpt_changes["command"], f"  ({gpt_changes['training']['max_iters']:,} "
      f"steps per run, seeds {gpt_changes['seeds']}, {gpt_changes['threads']} thread, "
      f"on: {gpt_changes['cpu']})")
print("baseline:", gpt_changes["baseline_from"])
print("same model and training as the sweep:",
      gpt_changes["fixed_config"] == sweep["fixed_config"]
      and gpt_changes["training"] == {k: v for k, v in sweep["training"].items() if k != "seed"})
print(gpt_changes_table(gpt_changes))

# %% [markdown]
# Weight tying removes one matrix. `lm_head.weight` has shape `(vocab_size, n_embd)`, the
# same as the token table, so the tied model should have `vocab_size × n_embd` parameters
# fewer. Count them on two fresh models:

# %%
cfg64 = GPTConfig.from_dict({**sweep["fixed_config"], "n_embd": 64})
untied = GPTLanguageModel(cfg64)
tied = GPTLanguageModel(GPTConfig.from_dict({**cfg64.to_dict(), "tie_weights": True}))
no_bias = GPTLanguageModel(GPTConfig.from_dict({**cfg64.to_dict(), "bias": False}))
saving = untied.num_parameters() - tied.num_parameters()
print("one matrix in the tied model:", tied.lm_head.weight is tied.token_embedding_table.weight)
print(f"saving: {untied.num_parameters():,} - {tied.num_parameters():,} = {saving:,}")
print(f"vocab_size x n_embd = {cfg64.vocab_size} x {cfg64.n_embd} = "
      f"{cfg64.vocab_size * cfg64.n_embd:,}; equal: {saving == cfg64.vocab_size * cfg64.n_embd}")
print(f"tying saves {100 * saving / untied.num_parameters():.1f}% here; the biases are "
      f"{untied.num_parameters() - no_bias.num_parameters():,} parameters "
      f"({100 * (untied.num_parameters() - no_bias.num_parameters()) / untied.num_parameters():.1f}%)")
gpt2_tok = 50_257 * 768
print(f"in GPT-2 small the same matrix is 50,257 x 768 = {gpt2_tok:,} parameters")

# %%
fig = plot_gpt_changes(gpt_changes["results"])

# %%
base = gpt_changes["results"][0]
for r in gpt_changes["results"][1:]:
    c = compare_losses(base["val_losses"], r["val_losses"])
    verdict = ("every seed lower than every baseline seed" if c["apart"] and c["change"] < 0
               else "every seed higher than every baseline seed" if c["apart"]
               else "the ranges overlap: no difference shown")
    print(f"{r['variant']:>7}: mean {c['change']:+.4f} (seed spread {c['spread']:.4f}): {verdict}")

# %% [markdown]
# By the rule above (a difference counts only when the seed ranges do not overlap):
#
# - **Weight tying** saved `vocab_size × n_embd` parameters, 2.0% of this model, and showed
#   no difference in the val loss: its range overlaps the baseline's. In GPT-2 small the
#   same matrix is 38,597,376 parameters (the line above), so there tying saves far more.
# - **GELU** was worse here: every seed ended above every baseline seed. The cell below
#   shows when the gap opened.
# - **No biases** removed 1% of the parameters. Its mean is a little lower, and it was lower
#   than the baseline run of the same seed for every seed, but the ranges overlap, so three
#   seeds do not show a difference.
#
# The checks below prove each of these statements from the file.

# %%
by_name = {r["variant"]: r for r in gpt_changes["results"]}
verdicts = {n: compare_losses(base["val_losses"], by_name[n]["val_losses"])
            for n in ("tied", "gelu", "nobias")}
assert round(100 * saving / untied.num_parameters(), 1) == 2.0 and not verdicts["tied"]["apart"]
assert verdicts["gelu"]["apart"] and verdicts["gelu"]["change"] > 0
assert not verdicts["nobias"]["apart"] and verdicts["nobias"]["lower_in"] == 3
assert round(100 * (untied.num_parameters() - no_bias.num_parameters())
             / untied.num_parameters()) == 1
mean_curve = lambda r: [sum(v) / len(v) for v in zip(*r["eval_val"])]
gap = [g - b for g, b in zip(mean_curve(by_name["gelu"]), mean_curve(base))]
print("GELU minus baseline, mean val loss at step",
      ", ".join(f"{s}: {d:+.3f}" for s, d in zip(base["eval_steps"], gap) if s % 300 == 0))
assert gap[-1] > 0.9 * max(gap)              # still at least 90% of its widest at the end

# %% [markdown]
# The GELU gap opened in the first few hundred steps and did not close by the end.
#
# **What these runs can and cannot say.** Each run is short and small: the numbers below
# give its size and how much text it saw. The later GPTs made these changes for much
# larger models trained far longer, often with other settings too (a learning rate and a
# warmup chosen for them). So a result here holds for this model, this run length and
# these settings. GELU losing here does not show that it loses in GPT-2; tying and no
# biases showing no difference does not show that they make none at a larger size. A
# claim about those needs runs at that size. The file also records each run's seconds,
# but the runs shared a busy machine, so we do not compare their times.

# %%
tr = gpt_changes["training"]
seen = tr["max_iters"] * tr["batch_size"] * gpt_changes["fixed_config"]["block_size"]
print(f"{base['params']:,} parameters; {tr['max_iters']:,} steps x {tr['batch_size']} x "
      f"{gpt_changes['fixed_config']['block_size']} = {seen:,} training tokens, "
      f"{seen / len(corpus.train_data):.1f} times the {len(corpus.train_data):,} training characters")

# %% [markdown]
# ## Summary
#
# - `GPTLanguageModel` is five parts in a row: token + position embeddings → `n_layer`
#   blocks → `ln_f` → `lm_head`; the data keeps the shape `(B, T, C)` until `lm_head` makes
#   it `(B, T, V)`.
# - `nn.Linear(in_features, out_features)` stores `weight` as `(out_features, in_features)`
#   and computes $x W^\top + b$; the notes' example gives `[2.3, 2.7]`, not `[2.2, 2.8]`.
# - Almost all parameters are in the blocks (about $12C^2$ per block); you can count them
#   from the config alone.
# - Training shows a progress bar and loss curves; temperature and top-k trade safe text
#   for varied text; a checkpoint is three files that load back to identical logits.
# - In the sweep (three seeds per size), every doubling of `n_embd` lowered the mean val
#   loss after the same number of steps, but each gained less: the first three gains are
#   more than three times the seed spread, the last one is smaller than it. A difference
#   counts only when the seed ranges do not overlap; of three later-GPT changes on this
#   small model, only GELU gave one (a worse loss), and tying saved `vocab_size × n_embd`.
#
# **Next:** [Lesson 09: Scaling up](09_scaling_up.ipynb) runs the same training from the
# command line, on a GPU when there is one, and on several processes at once.
