# %% [markdown]
# # Lesson 12: What changed after GPT-2
#
# The GPT you built follows GPT-2 (2019): LayerNorm, a learned table of position vectors,
# a ReLU or GELU feed-forward, and attention where every head has its own keys and values.
# The open models people use today (Llama, Mistral, Qwen, Gemma) changed those four parts.
# In this lesson you write each change yourself, switch it on in the same `GPTConfig`, and
# read what it bought on lesson 08's model, measured over three seeds.
#
# **You will learn**
# - **RMSNorm**: LayerNorm without the mean and the shift, and what that saves;
# - **RoPE** (rotary position embedding): position as a rotation of each pair of query and
#   key channels, why a score then depends only on the distance between two tokens, and
#   what happens past `block_size`;
# - **SwiGLU**: a gated feed-forward, and the hidden size that keeps the parameter count;
# - **grouped-query attention**: fewer key/value heads, shared by the query heads, and the
#   key/value cache memory that this saves;
# - what each change did to lesson 08's GPT at equal steps and at equal time, and where
#   the four ideas come from.
#
# **You need:** [Lesson 08: The full GPT](08_full_gpt.ipynb) (the model, its parameter
# count, the key/value cache, the seed spread) and [Lesson 11](11_your_own_gpt.ipynb).

# %% [markdown]
# ## Setup

# %%
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.testing import assert_close

from course_lib import FeedForward, GPTConfig, GPTLanguageModel
from course_lib.core.model import (KVCache, RMSNorm, apply_rope, repeat_kv, rope_angles,
                                   rope_frequencies, swiglu_hidden)
from course_lib.lessons.checks import (check_repeat_kv, check_rms_norm, check_rope_rotate,
                                       check_swiglu)
from course_lib.lessons.modern import (kv_cache_bytes, kv_cache_explorer, load_modern_gpt,
                                       modern_table, plot_kv_cache_memory, plot_modern_results,
                                       rope_rotation_explorer)
from course_lib.lessons.sweep import compare_losses

torch.manual_seed(1337)
torch.set_printoptions(precision=4, sci_mode=False)

# %% [markdown]
# ## Four switches in one config
#
# Each change is a field of `GPTConfig`. The defaults are GPT-2's choices, so every model of
# the earlier lessons is unchanged. The model below has lesson 08's comparison size
# (`n_embd = 64`, 4 heads, 4 blocks, `block_size = 64`): first as before, then with all
# four changes.

# %%
size = dict(vocab_size=67, block_size=64, n_embd=64, n_head=4, n_layer=4)
gpt2_like = GPTConfig(**size)
llama_like = GPTConfig(**size, norm="rmsnorm", position="rope", activation="swiglu", n_kv_head=1)
print(gpt2_like)
print(llama_like)
old, new = GPTLanguageModel(gpt2_like), GPTLanguageModel(llama_like)
print(new.blocks[0])

# %% [markdown]
# The same classes, `Block`, `CausalSelfAttention` and `FeedForward`, now hold other parts:
# `RMSNorm` in place of `LayerNorm`, a narrower `qkv` (one key head and one value head), and
# a feed-forward whose first `Linear` is about twice as wide as its second. The model has no
# `position_embedding_table` any more. Count the parameters of each variant:

# %%
variants = {"baseline": {}, "rmsnorm": {"norm": "rmsnorm"}, "rope": {"position": "rope"},
            "swiglu": {"activation": "swiglu"}, "gqa": {"n_kv_head": 1},
            "all four": {"norm": "rmsnorm", "position": "rope", "activation": "swiglu",
                         "n_kv_head": 1}}
counts = {name: GPTLanguageModel(GPTConfig(**size, **change)).num_parameters()
          for name, change in variants.items()}
for name, n in counts.items():
    print(f"{name:<9} {n:>8,} parameters  ({n - counts['baseline']:+,})")
print("position table in the rope model:", hasattr(new, "position_embedding_table"))

# %% [markdown]
# Each difference comes from one part, and you can say which:
#
# - RMSNorm has a scale but no shift: 9 norms × 64 biases fewer.
# - RoPE has no position table: 64 positions × 64 channels fewer.
# - GQA with one key/value head: each block's `qkv` makes 64 + 2 × 16 outputs instead of
#   3 × 64, 64 × 64 weights fewer per block.
# - SwiGLU's three matrices are a little larger than the two of the ReLU feed-forward
#   (the rounding of the hidden size, see below).

# %%
C, L, hs = size["n_embd"], size["n_layer"], size["n_embd"] // size["n_head"]
assert counts["rmsnorm"] == counts["baseline"] - (2 * L + 1) * C
assert counts["rope"] == counts["baseline"] - size["block_size"] * C
assert counts["gqa"] == counts["baseline"] - L * C * (2 * C - 2 * hs)
assert 0 < counts["swiglu"] - counts["baseline"] < L * 3 * C
print("every difference explained")

# %% [markdown]
# ## RMSNorm: drop the mean and the shift
#
# LayerNorm (lesson 07) does two things to each token's vector: it subtracts the mean
# (centring) and divides by the standard deviation (scaling), then applies a learned scale
# and shift. RMSNorm (Zhang and Sennrich, 2019) keeps only the scaling, by the **root mean
# square**, and the learned scale:
#
# $$\mathrm{RMSNorm}(x) = \frac{x}{\sqrt{\frac{1}{C}\sum_i x_i^2 + \epsilon}} \cdot w$$
#
# The paper's argument: what makes LayerNorm useful is that each vector arrives at the same
# size, not that it is centred. Without the mean there is one reduction over the channels
# instead of two, and no bias. On lesson 07's example `[1, 2, 3]`:

# %%
x = torch.tensor([1.0, 2.0, 3.0])
ln, rms = nn.LayerNorm(3), RMSNorm(3)
with torch.no_grad():
    print("LayerNorm:", ln(x))
    print("RMSNorm:  ", rms(x), " root mean square of x:", f"{float(x.pow(2).mean().sqrt()):.4f}")
    print("root mean square of RMSNorm(x):", f"{float(rms(x).pow(2).mean().sqrt()):.4f}")
    print("x + 10 -> LayerNorm:", ln(x + 10), " RMSNorm:", rms(x + 10))

# %% [markdown]
# LayerNorm gives the same output for `x` and `x + 10`: it removes the shift. RMSNorm does
# not: its output keeps the direction of the vector and only sets its size.
#
# ### Exercise 1: RMSNorm
#
# Write `my_rms_norm(x, weight, eps)` for `x` of shape `(B, T, C)`: divide each token's
# vector by the root mean square of its channels (with `eps` inside the root), then multiply
# by `weight`.

# %%
def my_rms_norm(x, weight, eps):
    # TODO: the mean of x² over the last dimension (keepdim=True), + eps, the square root,
    # divide, multiply by weight
    raise NotImplementedError


check_rms_norm(my_rms_norm)

# %% [solution]
def solution_rms_norm(x, weight, eps):
    return x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps) * weight


check_rms_norm(solution_rms_norm)

# %% [markdown]
# The course's `RMSNorm` computes the same, and so does PyTorch's own `F.rms_norm`:

# %%
xb = torch.randn(2, 5, 64)
norm = RMSNorm(64)
assert_close(norm(xb), solution_rms_norm(xb, norm.weight, norm.eps))
assert_close(norm(xb), F.rms_norm(xb, (64,), norm.weight, norm.eps))
print("RMSNorm == the formula == F.rms_norm")

# %% [markdown]
# ## SwiGLU: a gated feed-forward
#
# The feed-forward of lesson 06 is $\mathrm{ReLU}(x W_1) W_2$ with a hidden layer of $4C$.
# A **gated linear unit** (GLU) makes two hidden vectors from $x$ and multiplies them
# position by position: one of them, after a nonlinearity, decides how much of the other
# passes. SwiGLU uses SiLU, $\mathrm{silu}(a) = a \cdot \sigma(a)$, a smooth curve like GELU:
#
# $$\mathrm{FFN}_{\mathrm{SwiGLU}}(x) = \big(\mathrm{silu}(x W_{\text{gate}}) \odot x W_{\text{up}}\big)\, W_{\text{down}}$$
#
# Three matrices instead of two. Shazeer (2020) compared several gated units in the
# Transformer and found them better than ReLU and GELU at the same parameter count; he
# chose the hidden size $H = \frac{2}{3} \cdot 4C$ so that three $C \times H$ matrices hold
# as many numbers as two $C \times 4C$ ones ($3 \cdot \frac{8}{3} C^2 = 8 C^2$). H must be a
# whole number, so it is rounded:

# %%
for n_embd in (64, 128, 4096):
    H = swiglu_hidden(n_embd)
    relu = sum(p.numel() for p in FeedForward(n_embd, bias=False).parameters())
    glu = sum(p.numel() for p in FeedForward(n_embd, activation="swiglu", bias=False).parameters())
    print(f"C={n_embd:>5}: H = round(2/3 * 4 * {n_embd}) = {H:>6,}  ReLU {relu:>11,}  "
          f"SwiGLU {glu:>11,}  ({100 * (glu - relu) / relu:+.2f}%)")

# %% [markdown]
# In the course's `FeedForward`, `activation="swiglu"` makes the first `Linear` produce both
# hidden vectors at once (`2H` outputs), and the `SwiGLU` module in the activation's place
# splits them; the rest of the class is unchanged.
#
# ### Exercise 2: SwiGLU
#
# Write `my_swiglu(x, w_gate, w_up, w_down)`. The weights are stored like `nn.Linear`'s:
# `w_gate` and `w_up` have shape `(H, C)`, `w_down` has shape `(C, H)`.

# %%
def my_swiglu(x, w_gate, w_up, w_down):
    # TODO: silu of x @ w_gate.T, times x @ w_up.T, then @ w_down.T
    raise NotImplementedError


check_swiglu(my_swiglu)

# %% [solution]
def solution_swiglu(x, w_gate, w_up, w_down):
    return (F.silu(x @ w_gate.T) * (x @ w_up.T)) @ w_down.T


check_swiglu(solution_swiglu)

# %%
ff = FeedForward(64, activation="swiglu", bias=False)
H = swiglu_hidden(64)
w_gate, w_up = ff.net[0].weight[:H], ff.net[0].weight[H:]
assert_close(ff(xb), solution_swiglu(xb, w_gate, w_up, ff.net[2].weight))
print("FeedForward(activation='swiglu') == your formula;", "first Linear:",
      tuple(ff.net[0].weight.shape), " second:", tuple(ff.net[2].weight.shape))

# %% [markdown]
# ## RoPE: position as a rotation
#
# GPT-2 adds a learned vector for each position to the token's vector, so a model with
# `block_size = 64` has 64 such vectors and cannot read position 64 at all. RoPE (Su et
# al., RoFormer, 2021) puts no position into the input. Instead, inside every attention
# head, it **rotates** each query and key by an angle that grows with its position. The
# `hs` channels are taken as `hs / 2` pairs, and pair $i$ (channels $2i$ and $2i+1$) of the
# token at position $p$ turns by the angle $p\,\theta_i$, with
# $\theta_i = 10000^{-2i/hs}$:
#
# $$\begin{pmatrix} x_{2i}' \\ x_{2i+1}' \end{pmatrix} =
# \begin{pmatrix} \cos p\theta_i & -\sin p\theta_i \\ \sin p\theta_i & \cos p\theta_i \end{pmatrix}
# \begin{pmatrix} x_{2i} \\ x_{2i+1} \end{pmatrix}$$
#
# Pair 0 turns by 1 radian per position, the last pair very slowly: fast pairs tell near
# positions apart, slow ones far positions. Values are not rotated.
#
# ### Exercise 3: the rotation
#
# Write `my_rope_rotate(x, positions)` for `x` of shape `(..., T, hs)` and a tensor of `T`
# positions. `x[..., 0::2]` holds the first channel of every pair, `x[..., 1::2]` the second.

# %%
def my_rope_rotate(x, positions):
    # TODO: theta_i = 10000 ** (-2i / hs) for i = 0 .. hs/2 - 1; angles = position * theta
    # (shape (T, hs/2)); rotate each pair; put the pairs back in place (torch.stack, flatten)
    raise NotImplementedError


check_rope_rotate(my_rope_rotate)

# %% [solution]
def solution_rope_rotate(x, positions):
    hs = x.size(-1)
    theta = 10000 ** (-torch.arange(0, hs, 2).float() / hs)      # (hs/2,)
    angles = positions.float()[:, None] * theta[None, :]          # (T, hs/2)
    cos, sin = angles.cos(), angles.sin()
    x1, x2 = x[..., 0::2], x[..., 1::2]                           # (..., T, hs/2) each
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


check_rope_rotate(solution_rope_rotate)

# %%
q = torch.randn(1, 4, 10, 16)                                     # (B, nh, T, hs)
assert_close(apply_rope(q, *rope_angles(rope_frequencies(16), 0, 10)),
             solution_rope_rotate(q, torch.arange(10)))
print("the course's apply_rope == your rotation")

# %% [markdown]
# ### Why a rotation: the score depends only on the distance
#
# Attention compares a query at position $m$ with a key at position $n$ through their dot
# product. Turn both, pair by pair: a dot product of two turned 2-D vectors depends only on
# the angle between them, which is $(m - n)\theta_i$. So the score of a query and a key
# depends on their **distance** $m - n$, not on where in the text they stand. The cell
# below puts the same query and key at many places:

# %%
g = torch.Generator().manual_seed(0)
q, k = torch.randn(16, generator=g), torch.randn(16, generator=g)

def score(m, n):
    qm = solution_rope_rotate(q[None], torch.tensor([m]))[0]
    kn = solution_rope_rotate(k[None], torch.tensor([n]))[0]
    return float(qm @ kn)

for distance in (0, 1, 3, 10):
    scores = [score(n + distance, n) for n in (0, 5, 50, 500)]
    print(f"distance {distance:>2}: scores at n = 0, 5, 50, 500:", "  ".join(f"{s:+.3f}" for s in scores))
    assert max(scores) - min(scores) < 1e-3
print("the raw query and key, no rotation:", f"{float(q @ k):+.3f} (= distance 0)")

# %% [markdown]
# Each row holds one distance; along a row the score stays the same (to float32 rounding,
# about 1e-4 at position 500), and it changes from row to row. Move the slider to watch the
# pairs of one query turn: pair 0 goes round the circle many times, the last pair barely
# moves, and no arrow changes its length.

# %%
rope_rotation_explorer()

# %% [markdown]
# ### Past `block_size`
#
# A model with a position table stops at `block_size`. A RoPE model has no table, so its
# `forward` accepts any length; whether it is any good there is another question, since it
# never saw a distance beyond `block_size - 1` in training.

# %%
idx = torch.zeros(1, 2 * size["block_size"], dtype=torch.long)
try:
    old(idx)
except ValueError as err:
    print("learned positions:", str(err)[:95], "...")
print("rope:", tuple(new(idx)[0].shape))

# %% [markdown]
# With the **key/value cache** (lesson 08), generation past `block_size` works in a new way
# too. With a position table, every token changes position when the window slides, so the
# cache is thrown away and each step runs on the whole window again. With RoPE, the cache
# keeps the last `block_size` keys and values of each layer and drops the oldest: a kept
# key keeps its rotation, and since a score depends only on the distance, nothing needs
# turning again. In the first layer this gives exactly the cropped window's result. In later
# layers a kept key was computed when its token could still see tokens that have since left
# the window, so the cache carries a little more history than the cropped window
# (`tests/test_modern.py` checks both). The cache's length stays at `block_size`:

# %%
small = GPTLanguageModel(GPTConfig(vocab_size=67, block_size=16, n_embd=32, n_head=4,
                                   n_layer=2, position="rope")).eval()
out = small.generate(torch.zeros(1, 1, dtype=torch.long), 60,
                     generator=torch.Generator().manual_seed(0))
print("generated", out.shape[1] - 1, "tokens with block_size", small.cfg.block_size)

# %% [markdown]
# ## Grouped-query attention: share the keys and values
#
# In lesson 05 every head had its own query, key and value. When a model generates, it
# keeps every past key and value of every head in the cache, and for long texts that cache,
# not the weights, fills the memory. **Multi-query attention** (Shazeer, 2019) keeps one
# key head and one value head for all query heads; **grouped-query attention** (Ainslie et
# al., 2023) keeps `n_kv_head` of them, each shared by `n_head / n_kv_head` query heads.
# The queries are unchanged. Before the attention, each key/value head is repeated once for
# every query head that uses it.
#
# ### Exercise 4: the key/value repeat
#
# Write `my_repeat_kv(x, n_rep)` for `x` of shape `(B, n_kv_head, T, hs)`: each head
# repeated `n_rep` times in a row, so query heads `0 .. n_rep-1` get key/value head 0.

# %%
def my_repeat_kv(x, n_rep):
    # TODO: (B, n_kv_head, T, hs) -> (B, n_kv_head * n_rep, T, hs), heads 0, 0, 1, 1, ...
    raise NotImplementedError


check_repeat_kv(my_repeat_kv)

# %% [solution]
def solution_repeat_kv(x, n_rep):
    return x.repeat_interleave(n_rep, dim=1)


check_repeat_kv(solution_repeat_kv)

# %% [markdown]
# With `n_kv_head = n_head` nothing is shared and the attention is lesson 05's (the same
# weights give the same output); the `qkv` layer shrinks as `n_kv_head` falls:

# %%
from course_lib import CausalSelfAttention
x4 = torch.randn(2, 8, 64)
torch.manual_seed(1)
standard = CausalSelfAttention(64, 4, 64).eval()
torch.manual_seed(1)
same = CausalSelfAttention(64, 4, 64, n_kv_head=4).eval()
assert_close(same(x4), standard(x4))
assert_close(repeat_kv(x4.view(2, 8, 4, 16).transpose(1, 2), 1), x4.view(2, 8, 4, 16).transpose(1, 2))
for nkv in (4, 2, 1):
    print(f"n_kv_head={nkv}: qkv.weight", tuple(CausalSelfAttention(64, 4, 64, n_kv_head=nkv).qkv.weight.shape))

# %% [markdown]
# What it saves is cache memory: keys and values, 2 tensors per layer, each of
# `n_kv_head × T × hs` numbers. Measured on lesson 08's model after reading 64 tokens, next
# to the formula:

# %%
for nkv in (4, 2, 1):
    model = GPTLanguageModel(GPTConfig(**size, n_kv_head=nkv)).eval()
    caches = [KVCache() for _ in model.blocks]
    with torch.no_grad():
        h = model.embed(torch.zeros(1, 64, dtype=torch.long))
        for block, cache in zip(model.blocks, caches):
            h = block(h, cache=cache)                      # each block fills its cache
    measured = sum(c.nbytes() for c in caches)
    formula = kv_cache_bytes(size["n_layer"], nkv, hs, 64)
    print(f"n_kv_head={nkv}: {measured:>7,} bytes measured, {formula:>7,} by the formula")
    assert measured == formula

# %% [markdown]
# For our small model that is kilobytes. For a large model it is gigabytes: below, the
# shape of Llama 3 8B (32 layers, 32 query heads of 128 channels, 16-bit numbers) for one
# text. Use the widget to choose `n_kv_head` and a context length.

# %%
fig = plot_kv_cache_memory(32, 32, 128, list(range(0, 131073, 8192)), [32, 8, 1],
                           bytes_per_number=2, marked=8192,
                           title="Key/value cache of a Llama-3-8B-shaped model (16-bit, 1 text)")

# %%
kv_cache_explorer()

# %% [markdown]
# ## Measured: each change on lesson 08's GPT
#
# `scripts/measure_modern_gpt.py` trained lesson 08's comparison model (the size above) as
# it is and with each change, and with all four, from three seeds each. It trains fewer
# steps than lesson 08's comparisons (400 instead of 1,500), so that all its runs fit in
# about ten minutes on two CPU cores: the losses are those of an early stage of training.
# Two comparisons:
#
# - **equal steps**: every variant trains the same number of steps;
# - **equal time**: the script first measures each variant's time per step (interleaved,
#   median of several rounds, CPU time of one thread), then trains each variant for the
#   number of steps that fits the time the baseline needs. A faster variant gets more steps.
#
# To redo it (it saves each run as it finishes):
#
# ```bash
# python scripts/measure_modern_gpt.py
# ```

# %%
modern = load_modern_gpt()
print("redo with:", modern["command"], f"  on: {modern['cpu']}, {modern['threads']} thread")
print("model:", modern["model"], " seeds:", modern["seeds"], " steps:", modern["steps"])
print(modern_table(modern))

# %%
fig = plot_modern_results(modern["results"])

# %% [markdown]
# Read it with lesson 08's rule: a difference counts only when the seed ranges do not
# overlap. The cell prints, for each change, the difference of the means from the baseline
# and the verdict, at equal steps and at equal time:

# %%
base = modern["results"][0]
verdicts = {}
for r in modern["results"][1:]:
    for key in ("equal_steps", "equal_time"):
        c = compare_losses(base[key]["val_losses"], r[key]["val_losses"])
        verdicts[r["variant"], key] = c
        verdict = ("better in every seed than every baseline seed" if c["apart"] and c["change"] < 0
                   else "worse in every seed than every baseline seed" if c["apart"]
                   else "the ranges overlap: no difference shown")
        print(f"{r['variant']:>8}, {key.replace('_', ' '):<11}: mean {c['change']:+.2f} "
              f"(seed spread {c['spread']:.2f}): {verdict}")

# %% [markdown]
# What the file shows, read with that rule (the cell after this text asserts every
# sentence):
#
# - **RoPE** is the change that pays most here: at equal steps every RoPE seed ended below
#   every baseline seed, by about 0.3 in the mean, many times the seed spread. A learned
#   position table starts as noise and must be trained; the rotation tells every head the
#   distance to each earlier token from the first step.
# - **All four together** are better at equal steps by about as much as RoPE alone (within
#   0.05): what the other three add does not show on top of RoPE.
# - **SwiGLU** alone is better at equal steps too, by less (under 0.1 in the mean), but
#   in every seed.
# - **RMSNorm and GQA** alone show no difference at equal steps: their ranges overlap the
#   baseline's.
# - **At equal time** some verdicts change. RMSNorm, RoPE, SwiGLU and all four cost more
#   time per step on this CPU than the baseline (the speed cell below), so they got fewer
#   steps. RMSNorm then ended worse than the baseline in every seed, and SwiGLU's gain was
#   gone (the ranges overlap). RoPE and all four stayed better in every seed, with fewer
#   steps. GQA was a little faster per step here, so it got a few more steps than the
#   baseline, and still shows no difference.
# - **What this cannot say.** These are short runs of a small model at an early stage of
#   training. The papers measured models thousands of times larger, trained far longer.
#   GQA is not meant to lower the loss at all: it saves cache memory when generating (the
#   section above). A change that shows nothing here may matter at their size; one that
#   costs time here may be cheap with a kernel written for it (next cell).

# %%
def shown(variant, key, better):
    c = verdicts[variant, key]
    return c["apart"] and (c["change"] < 0) == better

def overlaps(variant, key):
    return not verdicts[variant, key]["apart"]

changes = {v: verdicts[v, "equal_steps"]["change"] for v in ("rope", "all four", "swiglu")}
assert shown("rope", "equal_steps", better=True) and -0.35 < changes["rope"] < -0.25
assert changes["rope"] < -3 * verdicts["rope", "equal_steps"]["spread"]
assert shown("all four", "equal_steps", better=True) and abs(changes["all four"] - changes["rope"]) < 0.05
assert shown("swiglu", "equal_steps", better=True) and changes["rope"] < changes["swiglu"] and changes["swiglu"] > -0.1
assert all(overlaps(v, "equal_steps") for v in ("rmsnorm", "gqa"))
steps_at_equal_time = modern["timing"]["equal_time_steps"]
assert all(steps_at_equal_time[v] < modern["steps"] for v in ("rmsnorm", "rope", "swiglu", "all four"))
assert shown("rmsnorm", "equal_time", better=False) and overlaps("swiglu", "equal_time")
assert shown("rope", "equal_time", better=True) and shown("all four", "equal_time", better=True)
assert steps_at_equal_time["gqa"] > modern["steps"] and overlaps("gqa", "equal_time")
print("every sentence above holds for", modern["command"])

# %% [markdown]
# **Speed.** The time per step that set the equal-time budgets, and the normalisations
# alone (forward and backward on one `(B, T, C)` activation of this model), from the file:

# %%
step_time = modern["timing"]["median_seconds_per_step"]
for name, t in step_time.items():
    print(f"{name:<9} {1000 * t:6.1f} ms per step  ({t / step_time['baseline']:.2f}x the baseline)")
norm_time = modern["norm_seconds"]["median"]
for name, t in norm_time.items():
    print(f"{name:<10} alone: {1000 * t:.2f} ms  ({t / norm_time['layernorm']:.1f}x nn.LayerNorm)")

# %% [markdown]
# RMSNorm does less arithmetic than LayerNorm and still took longer, alone and in the
# model. PyTorch runs `nn.LayerNorm` on the CPU as one fused kernel: one pass over the
# numbers. The course's `RMSNorm` is six separate operations (square, mean, add, root,
# divide, multiply), each a pass of its own, and PyTorch's `F.rms_norm` was slower than
# `nn.LayerNorm` here as well. The saving that the RMSNorm paper reports needs an RMSNorm
# kernel of its own, which GPU libraries have; on this CPU, the older part is the faster.

# %%
assert norm_time["rmsnorm"] > norm_time["layernorm"] and norm_time["F.rms_norm"] > norm_time["layernorm"]
assert step_time["rmsnorm"] > step_time["baseline"]

# %% [markdown]
# **RoPE past the trained length.** The script also measured each RoPE run's val loss on
# windows twice as long as `block_size`, and on the second half of those windows alone
# (positions the model never saw in training):

# %%
long = modern["rope_long_context"]
mean = lambda key: sum(r[key] for r in long) / len(long)
for key, what in (("loss_1x", f"windows of {modern['model']['block_size']} (as trained)"),
                  ("loss_2x", f"windows of {2 * modern['model']['block_size']}"),
                  ("loss_2x_second_half", "their second half only")):
    print(f"{what:<32} mean val loss {mean(key):.2f}  (seeds: "
          + ", ".join(f"{r[key]:.2f}" for r in long) + ")")

# %% [markdown]
# Past its trained length the RoPE model still works, a little worse: the loss on the
# second half of the long windows is higher than inside the trained length, in every seed,
# but by less than half the gap between the baseline and RoPE. A learned table could not
# read these windows at all. Do not read too much into it: after 400 steps the model
# leans mostly on the last few characters, whose distances it knows; a model that uses
# far-away tokens meets angles it never saw in training there. Later models stretch
# RoPE's angles for long contexts (Llama 3 uses the base 500,000 instead of 10,000).

# %%
assert all(r["loss_2x_second_half"] > r["loss_1x"] for r in long)
assert mean("loss_2x_second_half") - mean("loss_1x") < 0.5 * abs(verdicts["rope", "equal_steps"]["change"])

# %% [markdown]
# ## Where the four changes come from
#
# None of the four was invented for Llama. Each came from a paper that tested it on the
# original Transformer or on T5, and Llama (2023) put them together; most open models since
# then kept that mix. The choices of GPT-2 small next to those of Llama 3 8B (2024):
#
# | part | GPT-2 small (2019) | Llama 3 8B (2024) | the idea first in |
# |---|---|---|---|
# | normalisation | LayerNorm before each part, with scale and shift | RMSNorm before each part, scale only | Zhang and Sennrich, *Root Mean Square Layer Normalization*, 2019 |
# | positions | a learned table of 1,024 vectors, added to the input | RoPE in every attention (base 500,000), no table; 8,192-token context | Su et al., *RoFormer: Enhanced Transformer with Rotary Position Embedding*, 2021 |
# | feed-forward | GELU, hidden size 4 × 768 | SwiGLU, hidden size 14,336 for a width of 4,096 | Shazeer, *GLU Variants Improve Transformer*, 2020 |
# | attention | 12 heads, each with its own keys and values | 32 query heads sharing 8 key/value heads | Shazeer, *Fast Transformer Decoding: One Write-Head is All You Need* (multi-query), 2019; Ainslie et al., *GQA*, 2023 |
# | biases | in every Linear and LayerNorm | none | |
#
# Two numbers of that table, computed:

# %%
print(f"Llama 3 8B's feed-forward: 14,336 / 4,096 = {14336 / 4096} times the width; "
      f"the 2/3 rule would give {swiglu_hidden(4096):,}")
full = kv_cache_bytes(32, 32, 128, 8192, bytes_per_number=2)
grouped = kv_cache_bytes(32, 8, 128, 8192, bytes_per_number=2)
print(f"its cache for one 8,192-token text: {grouped / 2**30:.0f} GiB with 8 key/value heads, "
      f"{full / 2**30:.0f} GiB if each of the 32 heads had its own")

# %% [markdown]
# So Llama 3 does not keep the parameter count of the feed-forward: it is wider than the
# 2/3 rule. And grouped-query attention cuts its cache by a factor of 4.
#
# ## Summary
#
# - **RMSNorm** divides each vector by its root mean square and scales it: no mean, no
#   shift. On this CPU it was slower than PyTorch's fused LayerNorm and changed nothing
#   that shows in the loss.
# - **RoPE** turns each pair of query and key channels by position × θ_i, so a score
#   depends only on the distance between two tokens. There is no position table; the model
#   reads past `block_size`, and the key/value cache keeps its keys when the window
#   slides. It paid most here, at equal steps and at equal time.
# - **SwiGLU** gates the hidden layer with SiLU; a hidden size of 2/3 · 4C keeps the
#   parameter count. Better here at equal steps, but slower per step on this CPU: at equal
#   time the gain was gone.
# - **Grouped-query attention** shares each key/value head among several query heads:
#   the cache shrinks by n_head / n_kv_head, with no difference in the loss here.
# - **Equal time changes verdicts.** On a CPU a change pays only if what it gains per step
#   outweighs the time it adds to each step: RoPE's gain did, SwiGLU's did not. Only a
#   measurement on your machine tells which it is.
#
# **The end.** You have built a GPT from its parts, trained it, and switched on the four
# changes that separate GPT-2 from today's open models. Read the model code of one of them
# (Llama's `model.py` is about 300 lines) and find each part you wrote here.
