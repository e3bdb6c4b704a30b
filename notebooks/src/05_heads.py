# %% [markdown]
# # Lesson 05: Heads
#
# In lesson 04 you computed attention weights from queries and keys. Now you package that
# computation as a module, a **head**, run several heads side by side, and look inside the
# heads of a trained model.
#
# **You will learn**
# - how `Head` is built: `key`, `query` and `value` Linear layers, a causal mask kept as a
#   buffer, and dropout on the weights;
# - what a head reads (all of its input) and what it writes (`head_size` channels);
# - how `MultiHeadAttention` runs heads in parallel, concatenates them and projects;
# - how `CausalSelfAttention` computes all heads at once with one Linear layer, and how
#   `F.scaled_dot_product_attention` gives the same result;
# - what the heads of the trained course model look at in a sentence.
#
# **You need:** [Lesson 04: The self-attention trick](04_self_attention_trick.ipynb)
# (masked softmax, queries and keys, the scale 1/√head_size).

# %% [markdown]
# ## Setup

# %%
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.testing import assert_close

from course_lib import DATA_DIR, CausalSelfAttention, Head, MultiHeadAttention, load_checkpoint
from course_lib.core.checkpoint import read_checkpoint_info
from course_lib.lessons.checks import check_head_forward, check_mha_parameter_count, check_multi_head
from course_lib.lessons.experiments import attention_pattern_stats
from course_lib.lessons.plots import plot_attention_grid, plot_attention_map, plot_qkv_layout
from course_lib.lessons.widgets import attention_map_explorer

torch.manual_seed(1337)
torch.set_printoptions(precision=2, sci_mode=False)

# %% [markdown]
# ## The input
#
# A head reads a tensor `x` of shape `(B, T, C)`: `B` sequences, `T` positions each, and a
# vector of `C = n_embd` channels per position. In the full model, `x` holds the token
# embedding plus the position embedding. Here random numbers stand in for it.

# %%
B, T, C = 4, 8, 32      # batch, time, channels (n_embd)
x = torch.randn(B, T, C)
print("x:", tuple(x.shape))

# %% [markdown]
# ## One head, step by step
#
# A head has three Linear layers without bias. Each maps a position's `C` channels to
# `head_size` channels:
#
# - the **query** says what this position is looking for;
# - the **key** says what this position contains;
# - the **value** is what this position passes on to the positions that attend to it.

# %%
head_size = 16
key = nn.Linear(C, head_size, bias=False)
query = nn.Linear(C, head_size, bias=False)
value = nn.Linear(C, head_size, bias=False)
k = key(x)      # (B, T, hs)
q = query(x)    # (B, T, hs)
print("key.weight:", tuple(key.weight.shape), " k:", tuple(k.shape), " q:", tuple(q.shape))

# %% [markdown]
# The affinity of query position $t$ with key position $s$ is the dot product
# $q_t \cdot k_s$. One matrix product gives all of them. As in lesson 04, we scale by
# $1/\sqrt{\text{head\_size}}$ so that the softmax does not start out too peaked.

# %%
wei = q @ k.transpose(-2, -1) * head_size**-0.5   # (B, T, hs) @ (B, hs, T) -> (B, T, T)
print("wei:", tuple(wei.shape))

# %% [markdown]
# A position may only look at itself and the past. The lower-triangular matrix `tril`
# marks the allowed pairs; the others get $-\infty$, which softmax turns into 0.

# %%
tril = torch.tril(torch.ones(T, T, dtype=torch.bool))
wei = wei.masked_fill(~tril, float("-inf"))
wei = F.softmax(wei, dim=-1)                      # each row sums to 1
print(wei[0].detach())

# %% [markdown]
# The output at each position is the weighted sum of the values.

# %%
v = value(x)            # (B, T, hs)
out = wei @ v           # (B, T, T) @ (B, T, hs) -> (B, T, hs)
print("v:", tuple(v.shape), " out:", tuple(out.shape))

# %% [markdown]
# ### The same steps as a module
#
# Two details turn these steps into a module:
#
# - `tril` is stored with `register_buffer`: it moves with the module to a GPU, but it is
#   not a parameter, so the optimiser never changes it. `persistent=False` keeps it out of
#   the saved weights, since it can be rebuilt from `block_size`.
# - `nn.Dropout` on the weights sets some of them to zero during training; the idea is
#   that a position should not rely on one other position alone (lesson 06 looks at
#   dropout closely).

# %%
class MyHead(nn.Module):
    def __init__(self, n_embd, head_size, block_size, dropout=0.0):
        super().__init__()
        self.key = nn.Linear(n_embd, head_size, bias=False)
        self.query = nn.Linear(n_embd, head_size, bias=False)
        self.value = nn.Linear(n_embd, head_size, bias=False)
        self.register_buffer("tril", torch.tril(torch.ones(block_size, block_size, dtype=torch.bool)),
                             persistent=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        B, T, C = x.shape
        k, q, v = self.key(x), self.query(x), self.value(x)            # (B, T, hs) each
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5            # (B, T, T)
        wei = wei.masked_fill(~self.tril[:T, :T], float("-inf"))        # no looking ahead
        wei = self.dropout(F.softmax(wei, dim=-1))
        return wei @ v                                                  # (B, T, hs)

# %% [markdown]
# `course_lib.Head` is the same module. Give both the same weights and compare them.
# `block_size` (here 16) is the longest sequence the mask covers; a shorter input uses the
# top-left `T × T` corner of it.

# %%
block_size = 16
my_head = MyHead(C, head_size, block_size)
head = Head(C, head_size, block_size)
head.load_state_dict(my_head.state_dict())
assert_close(my_head(x), head(x))
print("MyHead == course_lib.Head:", tuple(head(x).shape))
print("parameters:", [name for name, _ in head.named_parameters()])
print("buffers:   ", [name for name, _ in head.named_buffers()])
print("saved in state_dict():", list(head.state_dict()))

# %% [markdown]
# With dropout, the weights differ between training and evaluation. In evaluation mode
# (`.eval()`) dropout does nothing. In training mode, with `dropout=0.5`, each weight is set
# to zero with probability 0.5 and the others are doubled, so a row no longer sums to 1
# (a row can even lose all its weights).

# %%
head_drop = Head(C, head_size, block_size, dropout=0.5)
head_drop.train()
w_train = head_drop.dropout(head_drop.attention_weights(x))
head_drop.eval()
w_eval = head_drop.dropout(head_drop.attention_weights(x))
print("row 5, eval mode: ", w_eval[0, 5].detach())
print("row 5, train mode:", w_train[0, 5].detach())
print("row sums, eval mode: ", w_eval[0].sum(-1).detach())
print("row sums, train mode:", w_train[0].sum(-1).detach())

# %% [markdown]
# ### Exercise 1: a head's forward pass
#
# Write `my_head_forward(x, Wk, Wq, Wv)`. The three weights have shape `(head_size, n_embd)`,
# as `nn.Linear` stores them, so `k = x @ Wk.T`. Return the output of one causal head,
# shape `(B, T, head_size)`, without dropout.

# %%
def my_head_forward(x, Wk, Wq, Wv):
    # TODO: keys, queries, values; scaled affinities; causal mask; softmax; weighted sum
    raise NotImplementedError


check_head_forward(my_head_forward)

# %% [solution]
def solution_head_forward(x, Wk, Wq, Wv):
    k, q, v = x @ Wk.T, x @ Wq.T, x @ Wv.T                  # (B, T, hs)
    T = x.shape[1]
    wei = q @ k.transpose(-2, -1) * Wk.shape[0] ** -0.5      # (B, T, T)
    wei = wei.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool)), float("-inf"))
    return F.softmax(wei, dim=-1) @ v                        # (B, T, hs)


check_head_forward(solution_head_forward)

# %% [markdown]
# ## What a head reads, and what it writes
#
# A common description says a head "splits the input into parts and processes each part
# on its own". Check it against the code. `key.weight` has shape `(head_size, n_embd)`:
# every key channel is a weighted sum of **all** `n_embd` input channels. If a head read
# only its own slice of the input, changing a channel outside that slice would not change
# its output. It does:

# %%
x_changed = x.clone()
x_changed[:, :, C - 1] += 1.0          # change only the last input channel
diff = (head(x_changed) - head(x)).abs().max().item()
print(f"largest change in the head's output: {diff:.4f}")
print("columns of key.weight that are all zero:", int((head.key.weight == 0).all(dim=0).sum()))

# %% [markdown]
# So the input is **not** split. Each head projects the whole input with its own weights
# down to `head_size` channels. What is split is the **output**: with `n_head` heads of
# `head_size = n_embd // n_head` channels, their outputs placed side by side are
# `n_embd` wide again. Different heads can learn to look for different things because
# their weights differ, not because they see different inputs.
#
# ## Multi-head attention
#
# `MultiHeadAttention` runs `n_head` heads on the same `x`, concatenates their outputs
# along the channels, and applies a Linear layer `proj`. The projection lets the output
# mix what the heads found. Then comes dropout (a no-op here, where `dropout=0`).

# %%
n_head = 4
hs = C // n_head
heads = nn.ModuleList([Head(C, hs, block_size) for _ in range(n_head)])
outs = [h(x) for h in heads]
print(f"{n_head} heads, each output:", tuple(outs[0].shape))
cat = torch.cat(outs, dim=-1)          # side by side along the channels
print("concatenated:", tuple(cat.shape))
proj = nn.Linear(C, C)
y = proj(cat)
print("projected:", tuple(y.shape))

# %% [markdown]
# `course_lib.MultiHeadAttention` does the same. Copy the weights in and compare.

# %%
mha = MultiHeadAttention(C, n_head, block_size)
mha.heads.load_state_dict(heads.state_dict())
mha.proj.load_state_dict(proj.state_dict())
assert_close(mha(x), y)
print("my heads + cat + proj == course_lib.MultiHeadAttention:", tuple(mha(x).shape))

# %% [markdown]
# ### Exercise 2: concatenate and project
#
# Write `my_multi_head(x, heads, proj)`: run every head in the list `heads` on `x`,
# concatenate the outputs, and apply `proj`. Return shape `(B, T, n_embd)`.

# %%
def my_multi_head(x, heads, proj):
    # TODO: run each head, concatenate along the channels, project
    raise NotImplementedError


check_multi_head(my_multi_head)

# %% [solution]
def solution_multi_head(x, heads, proj):
    return proj(torch.cat([h(x) for h in heads], dim=-1))


check_multi_head(solution_multi_head)

# %% [markdown]
# ### Exercise 3: count the parameters
#
# Write `my_count_parameters(n_embd, n_head)`: the number of trained numbers in a
# `MultiHeadAttention(n_embd, n_head, block_size)`. Use the shapes, not the module.
# (Is the mask a parameter? Does `block_size` matter?)

# %%
def my_count_parameters(n_embd, n_head):
    # TODO: the heads' key, query, value weights, plus proj's weight and bias
    raise NotImplementedError


check_mha_parameter_count(my_count_parameters)

# %% [solution]
def solution_count_parameters(n_embd, n_head):
    head_size = n_embd // n_head
    per_head = 3 * n_embd * head_size                   # key, query, value: no bias
    return n_head * per_head + n_embd * n_embd + n_embd  # proj: weight and bias


check_mha_parameter_count(solution_count_parameters)

# %% [markdown]
# ## All heads at once: `CausalSelfAttention`
#
# Running the heads one after the other in a Python loop is clear, but it means many
# small matrix products. The model the course trains uses `CausalSelfAttention`, which
# computes the same thing with a few large ones. `from_heads` builds one with the same
# weights as our `mha`.

# %%
csa = CausalSelfAttention.from_heads(mha)
print(csa)
print("qkv.weight:", tuple(csa.qkv.weight.shape))

# %% [markdown]
# One Linear layer `qkv` maps `n_embd` channels to `3 * n_embd`. Its weight stacks the rows
# of all the small weights: first the queries of head 0, 1, 2, 3, then the keys in the same
# order, then the values. Each block has `head_size` rows. The cell checks every block.

# %%
W = csa.qkv.weight
for i, h in enumerate(mha.heads):
    rows = slice(i * hs, (i + 1) * hs)
    assert torch.equal(W[0 * C:1 * C][rows], h.query.weight)
    assert torch.equal(W[1 * C:2 * C][rows], h.key.weight)
    assert torch.equal(W[2 * C:3 * C][rows], h.value.weight)
print(f"qkv.weight = [queries of heads 0..{n_head - 1}; keys ...; values ...], "
      f"{hs} rows per head and part")

# %%
fig = plot_qkv_layout(W, n_head)

# %% [markdown]
# Now follow the shapes. One product gives every query, key and value. `split` cuts the
# channels into q, k and v; `view` cuts each of them into `n_head` groups of `head_size`,
# and `transpose` moves the head to a batch dimension. Note that the split happens **after**
# the projection of the whole input, as in the separate heads.

# %%
qkv = csa.qkv(x)                                   # (B, T, 3C)
q, k, v = qkv.split(C, dim=2)                      # 3 x (B, T, C)
print("qkv(x):", tuple(qkv.shape), " q:", tuple(q.shape))
q, k, v = [t.view(B, T, n_head, hs).transpose(1, 2) for t in (q, k, v)]
print("q per head:", tuple(q.shape), " (B, n_head, T, head_size)")
wei = q @ k.transpose(-2, -1) * hs**-0.5           # all heads in one product
print("wei:", tuple(wei.shape), " (B, n_head, T, T)")

# %% [markdown]
# The rest is the mask, softmax and weighted sum, for all heads at once. PyTorch has one
# function for exactly this: `F.scaled_dot_product_attention(q, k, v, is_causal=True)`. It
# uses the same scale, $1/\sqrt{\text{head\_size}}$, and the same causal mask.

# %%
wei = wei.masked_fill(~torch.tril(torch.ones(T, T, dtype=torch.bool)), float("-inf"))
by_hand = F.softmax(wei, dim=-1) @ v               # (B, n_head, T, hs)
fused = F.scaled_dot_product_attention(q, k, v, is_causal=True)
assert_close(by_hand, fused)
assert_close(fused[:, 0], mha.heads[0](x))         # head 0 of the batch = our separate head 0
print("scaled_dot_product_attention:", tuple(fused.shape), "== by hand == separate heads")

# %% [markdown]
# Putting the heads side by side again and projecting gives the output of `csa`, which
# equals the output of `mha`: three implementations, one result.

# %%
y_batched = csa.proj(fused.transpose(1, 2).reshape(B, T, C))   # (B, T, C)
assert_close(y_batched, csa(x))
assert_close(csa(x), mha(x))
print("CausalSelfAttention == MultiHeadAttention:", tuple(csa(x).shape))

# %% [markdown]
# Same result, different speed. Time both on a larger input, the size of the course model
# (6 heads, `n_embd` 192, 128 positions). The numbers depend on your machine.

# %%
# NBVAL_IGNORE_OUTPUT
big_mha = MultiHeadAttention(192, 6, 128).eval()
big_csa = CausalSelfAttention.from_heads(big_mha).eval()
x_big = torch.randn(8, 128, 192)
with torch.no_grad():
    for name, module in (("MultiHeadAttention (a loop over heads)", big_mha),
                         ("CausalSelfAttention (batched)", big_csa)):
        start = time.perf_counter()
        for _ in range(3):
            module(x_big)
        print(f"{name:>38}: {(time.perf_counter() - start) / 3 * 1000:.1f} ms per call")

# %% [markdown]
# ## Inside a trained model
#
# The course model is stored in `data/checkpoints/gpt`. The script
# `scripts/train_checkpoint.py` trained it on the training text; its `config.json` records
# the model's shape and how the training went (lesson 08 looks at that run).
# `attention_maps(idx)` returns the weights of every head in every layer, shape
# `(n_layer, B, n_head, T, T)`.

# %%
model, tokenizer = load_checkpoint(DATA_DIR / "checkpoints" / "gpt")
print(model.cfg)
run = read_checkpoint_info(DATA_DIR / "checkpoints" / "gpt")["extra"]
print(f"trained for {run['steps']:,} steps, {run['seconds'] / 60:.1f} minutes on {run['device']}")
sentence = "Friends, Romans, countrymen,"
idx = torch.tensor([tokenizer.encode(sentence)])
maps = model.attention_maps(idx)
print("maps:", tuple(maps.shape))

# %%
fig = plot_attention_grid(maps[:, 0], sentence)

# %% [markdown]
# Each small square is one head; row $t$ of a square is where the character at position
# $t$ looks. Heads differ. To compare them with numbers, measure three simple patterns: the
# mean weight a position gives to itself, to the character just before it, and to the
# first character.

# %%
stats = attention_pattern_stats(maps[:, 0])        # each (n_layer, n_head)
for name, table in stats.items():
    print(f"weight on {name}:")
    for layer, row in enumerate(table):
        print(f"  layer {layer}: " + "  ".join(f"{v:.2f}" for v in row.tolist()))
print("(layer, head) giving more than half its weight to the previous character:",
      [tuple(lh) for lh in (stats["previous"] > 0.5).nonzero().tolist()])
print("(layer, head) giving more than half its weight to the first character:   ",
      [tuple(lh) for lh in (stats["first"] > 0.5).nonzero().tolist()])

# %% [markdown]
# On this sentence, the clearest pattern is in layer 0: the heads listed above give most of
# their weight to the character just before, so after the first layer every position
# carries information about its neighbour. No head of a later layer gives as much as half
# of its weight to the previous character or to itself (the tables above): their weight is
# shared among more characters. One of them (listed above) gives more than half of its
# weight to the first character of the text. Here is the head that puts the most
# weight on the previous character, in full size.

# %%
layer, h = divmod(int(stats["previous"].argmax()), model.cfg.n_head)
print(f"layer {layer}, head {h}: mean weight on the previous character "
      f"{stats['previous'][layer, h]:.2f}")
fig = plot_attention_map(maps[layer, 0, h], sentence, title=f"Layer {layer}, head {h}")

# %% [markdown]
# ### Try it
#
# Pick a sentence, a layer and a head. Look for heads that form a clear diagonal (each
# character looks at itself or at the one before), heads that keep looking back at the
# same few characters (a capital letter, a space), and heads whose weights are spread
# evenly. The last sentence comes from the validation text, which the model never trained
# on; the cell below finds where each sentence occurs in the corpus.

# %%
from course_lib import load_corpus

corpus = load_corpus()                        # the same 90% / 10% split the checkpoint used
split = len(corpus.train_data)                # one character is one token
for s in ["Ham.\nTo be, or not to be,", "All the world's a stage,"]:
    at = corpus.text.find(s)
    print(f"{s!r}: at character {at:,} of {len(corpus.text):,}; "
          f"{'validation' if at >= split else 'training'} text (the split is at {split:,})")

# %%
attention_map_explorer(model, tokenizer, [
    sentence,
    "Ham.\nTo be, or not to be,",
    "All the world's a stage,",
])

# %% [markdown]
# ## Summary
#
# - A head projects every position's whole input to a query, a key and a value of
#   `head_size` channels, then takes a masked, scaled, softmax-weighted sum of the values.
# - The causal mask is a buffer: it moves with the module but is never trained.
# - `MultiHeadAttention` runs `n_head` heads on the same input, concatenates their
#   `head_size`-wide outputs to `n_embd` channels, and projects them with `proj`.
# - `CausalSelfAttention` computes the same result with one `qkv` Linear and the heads as a
#   batch dimension; `F.scaled_dot_product_attention` does the masked softmax in one call.
# - The heads of the trained model look at different things: the maps show it.
#
# **Next:** [Lesson 06: Blocks](06_blocks.ipynb) puts attention and a feed-forward network
# into a block, and stacks blocks with residual connections.
