# %% [markdown]
# # Lesson 04: The self-attention trick
#
# In the bigram model each position saw only its own token. To predict better, a position
# must use the tokens before it. This lesson builds the one operation that lets tokens
# share information: a weighted average of the past, written as a matrix multiply.
#
# **You will learn**
# - why a position may use the tokens before it, but never the tokens after it;
# - three ways to average the previous tokens (loops, a matrix multiply, masked fill and
#   softmax), and that all three give the same numbers;
# - how queries and keys make the weights depend on the data, and values complete a head;
# - why the scores are divided by $\sqrt{\text{head\_size}}$ (the variance, shown), and
#   when that matters;
# - four facts about attention: it knows no positions, batch rows never mix, an encoder
#   drops the mask, and cross-attention reads keys and values from another sequence.
#
# **You need:** [Lesson 03: Softmax](03_softmax.ipynb).

# %% [markdown]
# ## Setup

# %%
import torch
import torch.nn as nn
import torch.nn.functional as F

from course_lib import DATA_DIR, GPTLanguageModel, Head, load_checkpoint
from course_lib.lessons.checks import check_causal_attention_weights, check_masked_average_weights
from course_lib.lessons.plots import plot_attention_weights, plot_score_variance
from course_lib.lessons.widgets import attention_scaling_explorer

_ = torch.manual_seed(1337)                 # the same random numbers on every run

# %% [markdown]
# ## Tokens talk only to the past
#
# At position $t$ the model predicts token $t+1$. If position $t$ could read position
# $t+1$, it could copy the answer during training instead of learning to predict it; and
# when we generate text, the future does not exist yet. So information may flow to position $t$
# only from positions $0, 1, \dots, t$.
#
# We start with a toy batch: `B` sequences of `T` positions, each position a vector of `C`
# numbers (channels).

# %%
B, T, C = 4, 8, 2           # batch, time (positions), channels
x = torch.randn(B, T, C)
print(x.shape)

# %% [markdown]
# The simplest way for position $t$ to gather its past is the **mean** of the vectors at
# positions $0 \dots t$ (a "bag of words": it forgets the order, but it is a start):
#
# $$\bar{x}[b, t] = \frac{1}{t+1} \sum_{s=0}^{t} x[b, s]$$
#
# ### Version 1: loops

# %%
xbow = torch.zeros(B, T, C)
for b in range(B):
    for t in range(T):
        xbow[b, t] = x[b, : t + 1].mean(dim=0)       # (t+1, C) -> (C,)

print("x[0]:\n", x[0])
print("xbow[0]:\n", xbow[0])
torch.testing.assert_close(xbow[0, 0], x[0, 0])        # position 0 averages only itself
torch.testing.assert_close(xbow[0, -1], x[0].mean(dim=0))

# %% [markdown]
# Two loops in Python are slow. The same sums are a matrix product.
#
# ### Version 2: a lower-triangular matrix
#
# Multiply by a matrix whose row $t$ holds $\frac{1}{t+1}$ in columns $0 \dots t$ and 0
# after. Row $t$ of the product is then the mean of rows $0 \dots t$. A small example
# first:

# %%
a = torch.tril(torch.ones(3, 3))                       # 1 on and below the diagonal
a = a / a.sum(dim=1, keepdim=True)                     # each row sums to 1
b = torch.tensor([[2.0, 7.0], [6.0, 4.0], [6.0, 5.0]])
print("a =\n", a, "\nb =\n", b, "\na @ b =\n", a @ b)

# %%
wei = torch.tril(torch.ones(T, T))
wei = wei / wei.sum(dim=1, keepdim=True)               # (T, T), rows sum to 1
xbow2 = wei @ x                 # (T, T) @ (B, T, C): wei is used for every b -> (B, T, C)
torch.testing.assert_close(xbow2, xbow)
print("version 2 equals version 1")

# %% [markdown]
# ### Version 3: masked fill with $-\infty$, then softmax
#
# Start from a matrix of scores, all 0. Set every score above the diagonal (the future) to
# $-\infty$, then apply softmax to each row. Because $e^{-\infty} = 0$, the future gets
# weight 0; the remaining scores are equal, so they share the weight equally.

# %%
tril = torch.tril(torch.ones(T, T))
scores = torch.zeros(T, T)
scores = scores.masked_fill(tril == 0, float("-inf"))  # no looking at the future
print(scores[:3])
wei = F.softmax(scores, dim=-1)                        # (T, T)
xbow3 = wei @ x                                        # (B, T, C)
torch.testing.assert_close(xbow3, xbow)
print("version 3 equals version 1")

# %% [markdown]
# Version 3 looks like a longer way to the same matrix, but it is the form self-attention
# uses: the zeros are **scores** (how interesting position $s$ is for position $t$), and
# soon they will be computed from the data. The mask and the softmax stay exactly as they are.

# %%
fig = plot_attention_weights(wei, title=f"Averaging the past: weights for T = {T}", annotate=True)

# %% [markdown]
# ### Position $t$ sees positions $\le t$, itself included
#
# Some notes say that position $i$ talks to the positions "$< i$". Check the matrix: the
# diagonal is not masked. Position $t$ uses positions $0 \dots t$, **including itself**.
# With a strict mask (diagonal removed), position 0 would have nothing to look at: its row
# would be all $-\infty$, and softmax gives `nan`.

# %%
print("diagonal of wei:", wei.diagonal())
assert (wei.diagonal() > 0).all() and wei[0, 0] == 1
strict = torch.tril(torch.ones(T, T), diagonal=-1)     # ones strictly below the diagonal
print("with a strict mask, row 0 and row 1 are:\n",
      F.softmax(torch.zeros(T, T).masked_fill(strict == 0, float("-inf")), dim=-1)[:2])

# %% [markdown]
# And the future really is invisible: change the vectors at positions 5, 6 and 7, and the
# averages at positions 0 to 4 do not move.

# %%
x_changed = x.clone()
x_changed[:, 5:] = 100.0                               # rewrite the future
out = wei @ x_changed
torch.testing.assert_close(out[:, :5], xbow3[:, :5])
print(f"positions 0-4 unchanged; position 5 moved by {(out[:, 5] - xbow3[:, 5]).abs().max():.3f}")

# %% [markdown]
# ### Exercise 1: the averaging matrix
#
# Write `my_masked_average_weights(T)`: the `(T, T)` float matrix whose row `t` holds
# $\frac{1}{t+1}$ in columns $0 \dots t$ and 0 in the other columns.

# %%
def my_masked_average_weights(T):
    # TODO: a lower-triangular matrix of ones, each row divided by its sum
    raise NotImplementedError


check_masked_average_weights(my_masked_average_weights)

# %% [solution]
def solution_masked_average_weights(T):
    w = torch.tril(torch.ones(T, T))
    return w / w.sum(dim=1, keepdim=True)


check_masked_average_weights(solution_masked_average_weights)

# %% [markdown]
# ## Weights that depend on the data: query · key
#
# A plain average treats every earlier character the same. But a vowel may care most about
# the consonant before it; a letter after a space may care about the previous word. So each
# position computes two vectors of length `head_size` from its own vector $x_t$:
#
# - a **query** $q_t$: what this position is looking for;
# - a **key** $k_s$: what position $s$ offers.
#
# The score is their dot product, $q_t \cdot k_s$: large when they point the same way. The
# scores of all pairs at once are the matrix $q k^\top$ of shape `(T, T)`. Then the same
# mask and softmax as in version 3.
#
# Let us see this on real text, with the **trained** query and key weights of one head in
# the first layer of the course GPT. The vectors $x_t$ are the model's embeddings of the
# characters (token plus position, then a LayerNorm: lessons 07 and 08 explain both).

# %%
model, tokenizer = load_checkpoint(DATA_DIR / "checkpoints" / "gpt")
text = "O Romeo, Romeo! wherefore art th"
idx = torch.tensor([tokenizer.encode(text)])           # (1, T)
T_text = idx.size(1)
with torch.no_grad():
    emb = model.token_embedding_table(idx) + model.position_embedding_table(torch.arange(T_text))
    x_text = model.blocks[0].ln1(emb)                  # (1, T, C): what layer 0's attention reads
C_model, hs = model.cfg.n_embd, model.cfg.head_size
print(f"T = {T_text} characters, n_embd = {C_model}, head_size = {hs}")

# %% [markdown]
# The model stores the query, key and value weights of all its heads in one matrix
# (lesson 05 shows why). We cut out the rows of head `h` and put them into two ordinary
# `nn.Linear` layers.

# %%
h = 1                                                  # which head of layer 0
W_q, W_k, _ = model.blocks[0].sa.qkv.weight.split(C_model, dim=0)   # each (C, C): all heads
query = nn.Linear(C_model, hs, bias=False)
key = nn.Linear(C_model, hs, bias=False)
with torch.no_grad():
    query.weight.copy_(W_q[h * hs:(h + 1) * hs])       # (hs, C): the rows of head h
    key.weight.copy_(W_k[h * hs:(h + 1) * hs])
    q = query(x_text)                                  # (1, T, hs)
    k = key(x_text)                                    # (1, T, hs)
print(q.shape, k.shape)

# %%
mask = torch.tril(torch.ones(T_text, T_text))
with torch.no_grad():
    att = q @ k.transpose(-2, -1) * hs ** -0.5          # (1, T, hs) @ (1, hs, T) -> (1, T, T)
    att = att.masked_fill(mask == 0, float("-inf"))
    att = F.softmax(att, dim=-1)                        # (1, T, T), each row sums to 1
torch.testing.assert_close(att, model.attention_maps(idx)[0, :, h])   # the model's own head h
fig = plot_attention_weights(att[0], labels=list(text), figsize=(9, 8),
                             title=f"Layer 0, head {h} of the trained GPT")

# %% [markdown]
# The grey triangle is the causal mask: no position takes anything from a later one. Below
# it, the rows are no longer equal, as they were for the plain average. This head has
# learned to look at the **previous character**: in most rows the brightest square sits
# just left of the diagonal (the cell counts them). The numbers below compare it with the
# plain average.

# %%
w_head = att[0]                                          # (T, T)
uniform = mask / mask.sum(dim=1, keepdim=True)           # the plain average, for comparison
for name, w in (("head", w_head), ("plain average", uniform)):
    on_self = w.diagonal()[1:].mean()                    # row 0 can only look at itself: skip it
    on_prev = w.diagonal(-1).mean()
    print(f"{name:>13}: weight on itself {on_self:.3f}, on the position before {on_prev:.3f}, "
          f"further back {1 - on_self - on_prev:.3f}")
previous = int((w_head[1:].argmax(dim=-1) == torch.arange(T_text - 1)).sum())
print(f"rows 1 to {T_text - 1} whose largest weight is on the position before: {previous} of "
      f"{T_text - 1}")
for t in (5, 12, 20, T_text - 1):
    best = int(w_head[t].argmax())
    print(f"position {t:>2} {text[t]!r} takes most from position {best:>2} {text[best]!r} "
          f"(weight {w_head[t, best]:.3f})")

# %% [markdown]
# ## Why divide by $\sqrt{\text{head\_size}}$
#
# The score $q \cdot k = \sum_{i=1}^{hs} q_i k_i$ is a sum of `head_size` terms. Suppose
# the entries of $q$ and $k$ are independent with mean 0 and variance 1. Then each product
# $q_i k_i$ has variance 1, and the variance of a sum of independent terms is the sum of
# their variances:
#
# $$\mathrm{Var}(q \cdot k) = \text{head\_size}, \qquad
# \mathrm{Var}\!\left(\frac{q \cdot k}{\sqrt{\text{head\_size}}}\right) = 1.$$
#
# Check it with random vectors:

# %%
g = torch.Generator().manual_seed(0)
sizes = [1, 4, 16, 64, 256, 1024]
var_raw, var_scaled = [], []
for size in sizes:
    qr = torch.randn(4096, size, generator=g)         # 4096 random queries, unit variance
    kr = torch.randn(4096, size, generator=g)
    dots = (qr * kr).sum(dim=-1)                        # (4096,) one q·k each
    var_raw.append(dots.var().item())
    var_scaled.append((dots * size ** -0.5).var().item())
    print(f"head_size {size:>4}: Var(q·k) = {var_raw[-1]:8.3f}   "
          f"Var(q·k / sqrt(head_size)) = {var_scaled[-1]:.3f}")

# %%
fig = plot_score_variance(sizes, var_raw, var_scaled)

# %% [markdown]
# Why large scores are a problem: softmax of widely spread numbers is nearly **one-hot**.
# Take rows of 8 random scores with variance 1, and multiply them by $\sqrt{\text{head\_size}}$:
# that is how spread out unscaled scores are. We also measure how strongly the weights still
# react to a change of the scores: the derivative of softmax is
# $\partial p_i / \partial z_j = p_i(\delta_{ij} - p_j)$ (checked against autograd below), and
# we print its size (the norm of that $8 \times 8$ matrix), averaged over the rows.

# %%
g = torch.Generator().manual_seed(1)
rows = torch.randn(2000, 8, generator=g)                 # 2000 rows of 8 scores, variance 1
for size in (1, 64, 1024):
    w = F.softmax(rows * size ** 0.5, dim=-1)            # as spread as unscaled q·k
    jac = torch.diag_embed(w) - w[:, :, None] * w[:, None, :]   # (2000, 8, 8): dp_i / dz_j
    print(f"std {size ** 0.5:>4.0f} (head_size {size:>4}, no scale): average largest weight "
          f"{w.max(dim=-1).values.mean():.3f}, gradient size {jac.norm(dim=(1, 2)).mean():.3f}")
z0 = rows[0] * 8.0
w0 = F.softmax(z0, dim=-1)
autograd_jac = torch.autograd.functional.jacobian(lambda z: F.softmax(z, dim=-1), z0)
torch.testing.assert_close(autograd_jac, torch.diag(w0) - w0[:, None] * w0[None, :])

# %% [markdown]
# Nearly one-hot weights mean each position copies one other position instead of mixing
# several. And the gradient shrinks as the weights saturate near 0 or 1, so the optimiser
# gets almost no signal to learn the scores from. Dividing by $\sqrt{\text{head\_size}}$
# removes the growth: for queries and keys with variance 1, the spread of the scores no
# longer depends on the head size, so a wide head is as soft as a narrow one.
#
# ### When the scale matters in the course GPT
#
# The argument assumes entries of $q$ and $k$ with variance 1. The course GPT does not
# start there: its weights start with standard deviation 0.02, so its queries and keys
# start small. Measure both cases on layer 0 and our sentence, for all its heads: a new,
# untrained GPT with the same sizes, and the trained one. The "largest weight" is the
# average over rows 1 to T - 1 of each row's largest attention weight; with the plain
# average (no preference at all) it would be the number printed last.
# %%
def layer0_scores(m):
    """Layer 0's raw scores q·k for our sentence, every head: (n_head, T, T), and q, k."""
    with torch.no_grad():
        emb = m.token_embedding_table(idx) + m.position_embedding_table(torch.arange(T_text))
        q_all, k_all, _ = m.blocks[0].sa.qkv(m.blocks[0].ln1(emb)).split(C_model, dim=2)
    n_head = m.cfg.n_head
    q_all = q_all.view(T_text, n_head, hs).transpose(0, 1)        # (n_head, T, hs)
    k_all = k_all.view(T_text, n_head, hs).transpose(0, 1)
    return q_all @ k_all.transpose(-2, -1), q_all, k_all         # (n_head, T, T)


def largest_weight(scores):
    w = F.softmax(scores.masked_fill(mask == 0, float("-inf")), dim=-1)
    return w[:, 1:].max(dim=-1).values.mean()                    # row 0 is always 1: skip it

# %%
torch.manual_seed(0)
untrained = GPTLanguageModel(model.cfg)                          # the same sizes, weights std 0.02
below = mask.bool()
for name, m in (("untrained", untrained), ("trained", model)):
    raw, q_all, k_all = layer0_scores(m)
    print(f"{name:>9}: Var(q) {q_all.var():.3f}, Var(k) {k_all.var():.3f}, Var(q·k) "
          f"{raw[:, below].var():7.3f}; largest weight unscaled {largest_weight(raw):.3f}, "
          f"scaled {largest_weight(raw * hs ** -0.5):.3f}")
print(f"plain average: largest weight {uniform[1:].max(dim=-1).values.mean():.3f}")

# %% [markdown]
# (The trained scores vary more than head_size × 1 = 32 would say: after training, a query
# and the keys it looks for are no longer independent; they are made to match.)
#
# Untrained, the queries and keys have a variance far below 1 and the raw scores are
# already small: the softmax is soft with or without the scale, both largest weights far
# from 1 and near the plain average's. The scale does not rescue the start here; the small initial weights do that.
# After training, the entries of $q$ and $k$ have a variance of about 1 and the raw scores
# are large: without the scale the same queries and keys would give much sharper weights
# (printed above). That is the regime the variance argument is about, and the one training
# reaches: the scale keeps the scores in the range where softmax still mixes positions and
# still passes a gradient, whatever the head size.
#
# **Try it.** The widget uses queries and keys with variance 1. Set `head_size` to 256 or
# 1024 and untick the scale: the rows become nearly one-hot (the average largest weight
# goes towards 1). Tick it again: the weights spread out, at every head size.

# %%
attention_scaling_explorer()

# %% [markdown]
# A note on the lecture code. In the video, the `Head` class scales by `C**-0.5`, with `C`
# the embedding size `n_embd`; the lecture repository's final `gpt.py` scales by
# `k.shape[-1]**-0.5`, the head size. The reason for the scale is the length of the vectors
# in the dot product, which is `head_size`, so `course_lib` uses `head_size` too. With more
# than one head the two differ (here `n_embd` = 192, `head_size` = 32); the cell after the
# exercise shows how much that changes the weights.
#
# ### Exercise 2: causal attention weights
#
# Write `my_causal_attention_weights(q, k)` for `q` and `k` of shape `(B, T, head_size)`:
# the `(B, T, T)` weights
# $\mathrm{softmax}\big(\mathrm{mask}(q k^\top / \sqrt{\text{head\_size}})\big)$, where the
# mask sets the scores above the diagonal to $-\infty$.

# %%
def my_causal_attention_weights(q, k):
    # TODO: scores from q and k, scaled, masked (future -> -inf), softmax over the last dim
    raise NotImplementedError


check_causal_attention_weights(my_causal_attention_weights)

# %% [solution]
def solution_causal_attention_weights(q, k):
    T, head_size = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-2, -1) * head_size ** -0.5          # (B, T, T)
    tril = torch.tril(torch.ones(T, T))
    scores = scores.masked_fill(tril == 0, float("-inf"))
    return F.softmax(scores, dim=-1)


check_causal_attention_weights(solution_causal_attention_weights)

# %% [markdown]
# ## The library's `Head`
#
# `course_lib.Head` holds a `query`, a `key` and a `value`, and computes these weights in
# `attention_weights`. Give it the same query and key weights, and it returns our
# hand-built matrix. Scaled with `n_embd` instead, the weights would differ.

# %%
head = Head(n_embd=C_model, head_size=hs, block_size=model.cfg.block_size)
with torch.no_grad():
    head.query.weight.copy_(query.weight)
    head.key.weight.copy_(key.weight)
    torch.testing.assert_close(head.attention_weights(x_text), att)
    with_n_embd = F.softmax((q @ k.transpose(-2, -1) * C_model ** -0.5)
                            .masked_fill(mask == 0, float("-inf")), dim=-1)
print("Head.attention_weights equals the hand-built weights")
print(f"scaling by n_embd instead would change them by up to {(with_n_embd - att).abs().max():.3f}")

# %% [markdown]
# ## The values: a whole head
#
# The weights say how much position $t$ takes from each position $s$. What it takes is a
# third vector, the **value** $v_s$ (what position $s$ passes on), made by a third linear
# layer. The output of the head at position $t$ is the weighted sum of the values,
# $\text{out}_t = \sum_s w_{ts} v_s$, all positions at once: `out = wei @ v`. That is one
# head of self-attention, complete: `Head.forward` computes exactly this.

# %%
W_v = model.blocks[0].sa.qkv.weight.split(C_model, dim=0)[2]   # (C, C): all heads' values
value = nn.Linear(C_model, hs, bias=False)
with torch.no_grad():
    value.weight.copy_(W_v[h * hs:(h + 1) * hs])               # (hs, C): head h's rows
    head.value.weight.copy_(value.weight)
    v = value(x_text)                                          # (1, T, hs)
    out = att @ v                                              # (1, T, T) @ (1, T, hs) -> (1, T, hs)
    torch.testing.assert_close(head(x_text), out)
    torch.testing.assert_close(out[0, 0], v[0, 0])             # position 0 can only take itself
    t = 5
    mix = sum(att[0, t, s] * v[0, s] for s in range(t + 1))     # the weighted sum, written out
    torch.testing.assert_close(out[0, t], mix)
print(f"v: {tuple(v.shape)}, out = wei @ v: {tuple(out.shape)}; Head(x) gives the same")
print(f"out[{t}] = " + " + ".join(f"{att[0, t, s]:.2f}·v[{s}]" for s in range(t + 1)))

# %% [markdown]
# ## Four facts about attention
#
# The lecture ends this part with a few notes on what attention is. Each one is a
# property of the computation above, so each can be shown with a cell. The function
# below is that computation, with the mask optional and keys and values allowed to come
# from another sequence `source`.

# %%
def attend(x, source=None, causal=True):
    """One head, with the weights of head h: queries from x, keys and values from source."""
    source = x if source is None else source
    q, k, v = query(x), key(source), value(source)             # (B, Tq, hs), (B, Tk, hs) x 2
    wei = q @ k.transpose(-2, -1) * hs ** -0.5                 # (B, Tq, Tk)
    if causal:
        Tq, Tk = wei.shape[-2:]
        wei = wei.masked_fill(torch.tril(torch.ones(Tq, Tk)) == 0, float("-inf"))
    wei = F.softmax(wei, dim=-1)
    return wei @ v, wei                                        # (B, Tq, hs), (B, Tq, Tk)

# %% [markdown]
# **1. Attention has no notion of position.** It acts on a set of vectors. Shuffle the
# positions of the input, and without the mask the outputs are the same vectors, shuffled
# the same way. With the causal mask they are not: the mask is the only thing in a head
# that knows the order (who may look at whom). That is why a GPT adds a position embedding
# to each token (lesson 08); our `x_text` already has it.

# %%
perm = torch.randperm(T_text, generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    plain, _ = attend(x_text, causal=False)
    shuffled, _ = attend(x_text[:, perm], causal=False)
    torch.testing.assert_close(shuffled, plain[:, perm])       # the outputs permute with the inputs
    causal_plain, _ = attend(x_text)
    causal_shuffled, _ = attend(x_text[:, perm])
print("no mask: shuffled inputs give the same outputs, shuffled the same way")
print(f"causal mask: they differ by up to {(causal_shuffled - causal_plain[:, perm]).abs().max():.3f}")

# %% [markdown]
# **2. Batch rows never talk to each other.** Every matrix product works inside one row of
# the batch: `(B, T, T) @ (B, T, hs)` multiplies row `b` by row `b`. Change everything in
# one sequence of a batch, and the other sequence's outputs do not move.

# %%
other = tokenizer.encode("To be, or not to be: that is the")[:T_text]
with torch.no_grad():
    emb2 = model.token_embedding_table(torch.tensor([other])) + \
        model.position_embedding_table(torch.arange(T_text))
    batch = torch.cat([x_text, model.blocks[0].ln1(emb2)])     # (2, T, C): two sentences
    out_batch, _ = attend(batch)
    changed = batch.clone()
    changed[1] = torch.randn(T_text, C_model)                  # replace the second sentence
    out_changed, _ = attend(changed)
torch.testing.assert_close(out_batch[0], out_changed[0])
torch.testing.assert_close(out_batch[0], attend(x_text)[0][0])  # the same as alone
print(f"row 0 unchanged; row 1 moved by up to {(out_changed[1] - out_batch[1]).abs().max():.3f}")

# %% [markdown]
# **3. An encoder block drops the mask.** A GPT is a *decoder*: it writes text one token
# after the other, so a position must not see the future. A model that only reads a whole
# text (to classify it, or to translate it: an *encoder*) lets every position see every
# other one: the same head, without the mask. Then every weight is above 0, and changing
# the last position changes the outputs at all positions.

# %%
with torch.no_grad():
    _, wei_dec = attend(x_text)
    out_enc, wei_enc = attend(x_text, causal=False)
    x_last = x_text.clone()
    x_last[:, -1] += 1.0                                       # change only the last position
    out_enc2, _ = attend(x_last, causal=False)
    out_dec2, _ = attend(x_last)
above = ~mask.bool()
print(f"decoder: weights above the diagonal all 0: {bool((wei_dec[0][above] == 0).all())}; "
      f"encoder: all above 0: {bool((wei_enc[0] > 0).all())}")
moved_enc = (out_enc2 - out_enc)[0, :-1].abs().amax(dim=-1)   # (T - 1,): per earlier position
print(f"after changing the last position: encoder, each of the positions 0 to {T_text - 2} "
      f"moves by {moved_enc.min():.4f} to {moved_enc.max():.4f}; decoder, none of them moves: "
      f"{torch.equal(out_dec2[0, :-1], causal_plain[0, :-1])}")

# %% [markdown]
# **4. Cross-attention takes its keys and values from elsewhere.** In *self*-attention the
# queries, keys and values all come from the same `x`. In *cross*-attention (the original
# Transformer uses it to translate) the queries come from `x`, and the keys and values
# from another sequence, for example the encoder's output for the sentence to translate.
# Nothing else changes; the weights become `(T_x, T_source)`, and the source may have
# another length.

# %%
with torch.no_grad():
    source = model.blocks[0].ln1(emb2[:, :20])                 # (1, 20, C): 20 other positions
    out_cross, wei_cross = attend(x_text, source=source, causal=False)
print(f"queries from x {tuple(x_text.shape)}, keys and values from the source "
      f"{tuple(source.shape)}: weights {tuple(wei_cross.shape)}, output {tuple(out_cross.shape)}")
torch.testing.assert_close(wei_cross.sum(dim=-1), torch.ones(1, T_text))

# %% [markdown]
# ## Summary
#
# - Position $t$ may use positions $0 \dots t$ (itself included), never later ones.
# - Averaging the past is a matrix multiply with a lower-triangular, row-normalised
#   matrix; masked fill with $-\infty$ then softmax builds the same matrix from scores.
# - Self-attention makes the scores depend on the data: $q_t \cdot k_s$, then the same mask
#   and softmax.
# - The output is the weighted sum of the values, `wei @ v`: one complete head.
# - Dividing the scores by $\sqrt{\text{head\_size}}$ keeps their variance independent of
#   the head size. For queries and keys of variance 1 (the trained GPT is close) it keeps
#   the softmax from becoming nearly one-hot; at the course GPT's small initial weights the
#   scores are small anyway, and the scale changes little.
# - Attention knows no positions (position embeddings tell it), never mixes batch rows,
#   drops the mask in an encoder, and in cross-attention reads keys and values from
#   another sequence.
#
# **Next:** [Lesson 05: Heads](05_heads.ipynb) builds `Head` and puts several heads side
# by side.
