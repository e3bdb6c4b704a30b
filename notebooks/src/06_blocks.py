# %% [markdown]
# # Lesson 06: Blocks
#
# A GPT is a stack of identical **blocks**. Each block lets the tokens exchange information
# (attention, lesson 05) and then lets each token process what it gathered (a small
# feed-forward network). Two more ideas make a deep stack of blocks trainable: residual
# connections and dropout.
#
# **You will learn**
# - how `nn.Sequential` chains modules, with a small example;
# - what `FeedForward` computes, and that it works on each position separately;
# - how a `Block` combines attention and feed-forward, with pre-norm and residual
#   connections;
# - what residual connections do for the gradients of a deep stack, measured;
# - how `nn.Sequential(*[Block(...) for _ in range(n_layer)])` stacks blocks;
# - what dropout does in training mode and in evaluation mode.
#
# **You need:** [Lesson 05: Heads](05_heads.ipynb) (`MultiHeadAttention`,
# `CausalSelfAttention`).

# %% [markdown]
# ## Setup

# %%
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.testing import assert_close

from course_lib import (DATA_DIR, Block, CausalSelfAttention, FeedForward, GPTConfig,
                        GPTLanguageModel)
from course_lib.lessons.checks import check_block_forward, check_dropout, check_feed_forward
from course_lib.lessons.experiments import block_forward, gradient_norms_per_block, without_layernorm
from course_lib.lessons.plots import plot_dropout, plot_gradient_norms
from course_lib.lessons.widgets import residual_gradient_explorer

torch.manual_seed(1337)
torch.set_printoptions(precision=3, sci_mode=False)

# %% [markdown]
# ## `nn.Sequential`: modules in a chain
#
# `nn.Sequential` holds a list of modules and calls them in order: the output of one is the
# input of the next. Here is a small network with two Linear layers and a ReLU between them.

# %%
net = nn.Sequential(
    nn.Linear(10, 20),   # 10 numbers in, 20 out
    nn.ReLU(),           # negative values become 0
    nn.Linear(20, 5),    # 20 in, 5 out
)
print(net)

# %% [markdown]
# Feed it a batch of 3 vectors of 10 numbers and follow the shape through each layer.

# %%
h = torch.randn(3, 10)
print("input:", tuple(h.shape))
for layer in net:
    h = layer(h)
    print(f"after {type(layer).__name__:>6}: {tuple(h.shape)}")

# %% [markdown]
# The loop did exactly what `net(x)` does. A `Sequential` also registers its modules, so
# `net.parameters()` finds the weights of all of them.

# %%
x10 = torch.randn(3, 10)
by_hand = net[2](net[1](net[0](x10)))
assert_close(net(x10), by_hand)
print("net(x) == net[2](net[1](net[0](x)))")
print("parameters:", sum(p.numel() for p in net.parameters()), "=", 10 * 20 + 20, "+", 20 * 5 + 5)

# %% [markdown]
# ## The feed-forward network
#
# After the attention step, each position holds information gathered from the past. The
# **feed-forward** network then processes each position's vector: a Linear layer to
# `4 * n_embd` channels, a ReLU, and a Linear layer back to `n_embd`, followed by dropout.
# The factor 4 comes from the original Transformer paper.

# %%
B, T, C = 4, 8, 32
x = torch.randn(B, T, C)
my_ffwd = nn.Sequential(nn.Linear(C, 4 * C), nn.ReLU(), nn.Linear(4 * C, C), nn.Dropout(0.0))
ffwd = FeedForward(C)
ffwd.net.load_state_dict(my_ffwd.state_dict())
assert_close(my_ffwd(x), ffwd(x))
print("my nn.Sequential == course_lib.FeedForward:", tuple(ffwd(x).shape))
print("hidden layer:", tuple(ffwd.net[0](x).shape))
print(f"parameters: {sum(p.numel() for p in ffwd.parameters()):,} = 8·C² + 5·C = {8 * C * C + 5 * C:,}")

# %% [markdown]
# The Linear layers act on the last dimension only, so each position is processed on its
# own: changing the input at position 3 changes the output at position 3 and nowhere else.

# %%
x_changed = x.clone()
x_changed[:, 3] += 1.0
changed = (ffwd(x_changed) - ffwd(x)).abs().amax(dim=(0, 2)) > 0   # per position
print("positions whose output changed:", changed.nonzero().flatten().tolist())

# %% [markdown]
# ### Exercise 1: build the feed-forward network
#
# Write `my_make_feed_forward(n_embd, dropout)`, which returns an `nn.Sequential` like the one
# in `course_lib.FeedForward`.

# %%
def my_make_feed_forward(n_embd, dropout):
    # TODO: Linear to 4 * n_embd, ReLU, Linear back to n_embd, Dropout
    raise NotImplementedError


check_feed_forward(my_make_feed_forward)

# %% [solution]
def solution_make_feed_forward(n_embd, dropout):
    return nn.Sequential(
        nn.Linear(n_embd, 4 * n_embd),
        nn.ReLU(),
        nn.Linear(4 * n_embd, n_embd),
        nn.Dropout(dropout),
    )


check_feed_forward(solution_make_feed_forward)

# %% [markdown]
# ## The block: communication, then computation
#
# A block does two things in turn:
#
# 1. **communication**: self-attention lets each position take information from earlier
#    positions;
# 2. **computation**: the feed-forward network processes each position on its own.
#
# Each part reads a normalised copy of `x` (`ln1`, `ln2`: LayerNorm, lesson 07) and adds
# its result to `x`. Adding, instead of replacing, is the **residual connection**. Putting
# the LayerNorm before each part is called **pre-norm**.

# %%
class MyBlock(nn.Module):
    def __init__(self, n_embd, n_head, block_size, dropout=0.0):
        super().__init__()
        self.ln1 = nn.LayerNorm(n_embd)
        self.sa = CausalSelfAttention(n_embd, n_head, block_size, dropout)   # lesson 05
        self.ln2 = nn.LayerNorm(n_embd)
        self.ffwd = FeedForward(n_embd, dropout)

    def forward(self, x):
        x = x + self.sa(self.ln1(x))     # communication
        x = x + self.ffwd(self.ln2(x))   # computation
        return x

# %% [markdown]
# `course_lib.Block` has the same parts under the same names. With the same weights, both
# give the same output.

# %%
n_head, block_size = 4, 16
my_block = MyBlock(C, n_head, block_size)
block = Block(C, n_head, block_size)
block.load_state_dict(my_block.state_dict())
assert_close(my_block(x), block(x))
print(block)

# %% [markdown]
# Check the two roles. Change the input at position 3 only: the attention output changes at
# position 3 and at every later position (they may look back at it), while the
# feed-forward output changes at position 3 only.

# %%
sa_changed = (block.sa(x_changed) - block.sa(x)).abs().amax(dim=(0, 2)) > 0
ff_changed = (block.ffwd(x_changed) - block.ffwd(x)).abs().amax(dim=(0, 2)) > 0
print("attention changes at positions:   ", sa_changed.nonzero().flatten().tolist())
print("feed-forward changes at positions:", ff_changed.nonzero().flatten().tolist())

# %% [markdown]
# ### Exercise 2: a block's forward pass
#
# Write `my_block_forward(x, ln1, sa, ln2, ffwd)` using the four parts of a block.

# %%
def my_block_forward(x, ln1, sa, ln2, ffwd):
    # TODO: communication then computation, each pre-norm, each added to x
    raise NotImplementedError


check_block_forward(my_block_forward)

# %% [solution]
def solution_block_forward(x, ln1, sa, ln2, ffwd):
    x = x + sa(ln1(x))
    x = x + ffwd(ln2(x))
    return x


check_block_forward(solution_block_forward)

# %% [markdown]
# ## Residual connections and gradients
#
# Without a residual connection, a block computes $x_{l+1} = f_l(x_l)$, and by the chain
# rule the gradient reaching block 1 is a product of one Jacobian per block above it:
#
# $$\frac{\partial L}{\partial x_1} = \frac{\partial L}{\partial x_{n+1}}\,
#   \frac{\partial f_n}{\partial x_n} \cdots \frac{\partial f_1}{\partial x_1}.$$
#
# If those factors are small, the product shrinks exponentially with depth; if large, it
# grows. With a residual connection, $x_{l+1} = x_l + f_l(x_l)$, each factor becomes
# $I + \frac{\partial f_l}{\partial x_l}$: the identity gives the gradient a direct path
# from the loss to every block.
#
# Measure it. `gradient_norms_per_block` builds a fresh GPT with a given number of blocks
# (course initialisation, `n_embd=32`), runs one batch, backpropagates the loss, and returns
# the gradient norm of each block's weights, from block 1 (next to the input) to the last
# block (next to the output). First take the LayerNorms out, so that only the residual
# connection makes a difference.

# %%
depth = 12
curves = {
    "residual": gradient_norms_per_block(depth, residual=True, layernorm=False),
    "no residual": gradient_norms_per_block(depth, residual=False, layernorm=False),
}
for label, norms in curves.items():
    print(f"{label:>11}: " + " ".join(f"{v:.0e}" for v in norms))
fig = plot_gradient_norms(curves, title=f"{depth} blocks without LayerNorm")

# %% [markdown]
# Without the residual connection, the gradient shrinks by orders of magnitude from one
# block to the next, going from the output back to the input. The first blocks show a norm
# of 0 (the triangles). Is their gradient really 0? `gradient_norms_per_block` squares
# every entry of a block's gradient and adds the squares up in float32. float32 has no
# positive number below about $1.4 \times 10^{-45}$ (lesson 03), so the square of a tiny
# entry rounds to 0:

# %%
tiniest = torch.nextafter(torch.tensor(0.0), torch.tensor(1.0))     # the smallest float32 > 0
print(f"the smallest positive float32: {tiniest:.1e}")
print(f"(2.5e-23)**2 in float32: {torch.tensor(2.5e-23) ** 2}, in float64: "
      f"{torch.tensor(2.5e-23, dtype=torch.float64) ** 2:.2e}")

# %% [markdown]
# Redo the same measurement (same seed, same batch, same model), but add the squares up in
# float64:

# %%
def grad_norms_float64(depth, residual, layernorm, seed=0):
    """The measurement of gradient_norms_per_block, with the squares added in float64."""
    cfg = GPTConfig(vocab_size=67, block_size=16, n_embd=32, n_head=4, n_layer=depth, dropout=0.0)
    with torch.random.fork_rng():          # the same weights as gradient_norms_per_block
        torch.manual_seed(seed)
        model = GPTLanguageModel(cfg)
    if not layernorm:
        without_layernorm(model)
    tokens = torch.randint(67, (8, 17), generator=torch.Generator().manual_seed(seed))
    idx, targets = tokens[:, :-1], tokens[:, 1:]                        # (B, T) each
    x = model.token_embedding_table(idx) + model.position_embedding_table(torch.arange(16))
    for block in model.blocks:
        x = block_forward(block, x, residual)                           # (B, T, C)
    logits = model.lm_head(model.ln_f(x))                               # (B, T, V)
    F.cross_entropy(logits.reshape(-1, 67), targets.reshape(-1)).backward()
    return [sum(p.grad.double().pow(2).sum() for p in b.parameters()).sqrt().item()
            for b in model.blocks]


f32, f64 = curves["no residual"], grad_norms_float64(depth, residual=False, layernorm=False)
large = [i for i, v in enumerate(f32) if v > 1e-20]     # no square near float32's floor
assert all(abs(f64[i] - f32[i]) < 1e-3 * f32[i] for i in large)
zero = [i for i, v in enumerate(f32) if v == 0]
print(f"where the float32 norm is above 1e-20 (blocks {large[0] + 1}-{depth}), "
      f"float64 gives the same to 3 digits")
print(f"blocks with a float32 norm of 0: {[i + 1 for i in zero]}")
print(f"  their float64 norms: all above 0: {all(f64[i] > 0 for i in zero)}, "
      f"all below 1e-25: {all(f64[i] < 1e-25 for i in zero)}")
print(f"block {depth} (next to the output): {f64[-1]:.0e}")

# %% [markdown]
# So the gradient of those blocks is not 0: it is tiny, more than 20 orders of magnitude
# smaller than the gradient of the last block, and its squares fall below what float32 can
# hold. With `x + ...`, the same blocks get a gradient of the same size everywhere.
#
# The course's `Block` also has LayerNorms, which rescale each block's input. Do they make
# residual connections unnecessary? Compare the two with LayerNorm, in a deeper stack.

# %%
depth = 24
curves = {
    "residual (the course's Block)": gradient_norms_per_block(depth, residual=True),
    "no residual": gradient_norms_per_block(depth, residual=False),
}
for label, norms in curves.items():
    print(f"{label:>29}: block 1 {norms[0]:.2e}, block {depth} {norms[-1]:.2e}, "
          f"block {depth} / block 1 = {norms[-1] / norms[0]:.1f}")
fig = plot_gradient_norms(curves, title=f"{depth} blocks with LayerNorm")

# %% [markdown]
# With LayerNorm no norm is near 0. One random initialisation says little, though: repeat
# the measurement for four seeds, and compare the gradient of the last block with that of
# the first (a ratio above 1: the gradient is smaller near the input).

# %%
for residual in (True, False):
    ratios, spreads = [], []
    for seed in range(4):
        norms = gradient_norms_per_block(depth, residual=residual, seed=seed)
        ratios.append(norms[-1] / norms[0])
        spreads.append(max(norms) / min(norms))
    print(f"{'residual' if residual else 'no residual':>11}: block {depth} / block 1 for seeds "
          f"0-3: {', '.join(f'{r:.3g}' for r in ratios)};  largest / smallest block: "
          f"{', '.join(f'{v:.3g}' for v in spreads)}")

# %% [markdown]
# Without residual connections (but with LayerNorm), the picture changes from one seed to
# the next: block 1's gradient is anywhere from about a hundred times smaller than block
# 24's to somewhat larger. With residual connections every seed gives about the same
# picture, and the largest and smallest block differ by a factor of about 3 (printed
# above). The two ideas work together: residual connections keep a direct path, and
# LayerNorm keeps each block's input at a steady scale.
#
# ### Try it
#
# Change the number of blocks and switch the residual connections and the LayerNorms on
# and off. Watch how many blocks get a norm of 0 as the stack grows without residual
# connections and without LayerNorm. The widget adds the squares up in float32, like
# `gradient_norms_per_block`: a 0 there is a gradient too small for float32's squares, as
# you measured above, not a gradient that is truly 0.

# %%
residual_gradient_explorer()

# %% [markdown]
# ## Stacking blocks with `nn.Sequential`
#
# The model stacks `n_layer` blocks. A list comprehension makes the blocks, and `*` unpacks
# the list into separate arguments, because `nn.Sequential` takes modules one by one, not a
# list. (The notes write `Block(n_embd, n_head=n_head)`; the course's `Block` also needs
# `block_size`, the size of its causal mask.)

# %%
n_layer = 3
blocks = nn.Sequential(*[Block(C, n_head, block_size) for _ in range(n_layer)])
print(f"{len(blocks)} blocks, output {tuple(blocks(x).shape)}")

# %% [markdown]
# `GPTLanguageModel.blocks` is built the same way. Load its weights into our stack: the
# outputs are equal.

# %%
cfg = GPTConfig(vocab_size=67, block_size=block_size, n_embd=C, n_head=n_head, n_layer=n_layer)
model = GPTLanguageModel(cfg)
print(type(model.blocks).__name__, len(model.blocks), type(model.blocks[0]).__name__)
blocks.load_state_dict(model.blocks.state_dict())
assert_close(blocks(x), model.blocks(x))
print("our nn.Sequential of Blocks == model.blocks")

# %% [markdown]
# ## Dropout
#
# `nn.Dropout(p)` works differently in the two modes of a module:
#
# - in **training** mode (`.train()`), each value is set to 0 with probability `p`, and
#   every value that is kept is divided by `1 - p`, so the expected value is unchanged;
# - in **evaluation** mode (`.eval()`), it returns its input unchanged.
#
# The idea: if any activation may vanish at any step, the network cannot rely on one of
# them alone, which tends to reduce overfitting. Look at one vector of ones:

# %%
p = 0.25
drop = nn.Dropout(p)
ones = torch.ones(12)
drop.train()
y_train = drop(ones)
drop.eval()
y_eval = drop(ones)
print("train:", y_train)
print("eval: ", y_eval)
fig = plot_dropout(ones, y_train, y_eval, p)

# %% [markdown]
# On many values, check each claim with numbers.

# %%
big = torch.rand(100_000) + 0.5
drop.train()
out = drop(big)
kept = out != 0
print(f"fraction zeroed: {1 - kept.float().mean():.4f}   (p = {p})")
assert_close(out[kept], big[kept] / (1 - p))
print(f"kept values are x / (1 - p) = x * {1 / (1 - p):.4f}")
print(f"mean before: {big.mean():.4f}   mean after: {out.mean():.4f}")
drop.eval()
assert torch.equal(drop(big), big)
print("eval mode: output is the input, exactly")

# %% [markdown]
# In a block, dropout sits in three places: on the attention weights of each head, after
# the attention's projection `proj`, and at the end of the feed-forward network. (The
# batched `CausalSelfAttention` passes the first one to `scaled_dot_product_attention` as
# `dropout_p`, so it is not a module there; the cell uses the separate heads to list all.)
# With dropout on, two forward passes in training mode differ; in evaluation mode they are
# equal. This is why you call `model.eval()` before measuring a loss or generating text.

# %%
block_d = Block(C, n_head, block_size, dropout=0.2, attention="heads")
print([name for name, m in block_d.named_modules() if isinstance(m, nn.Dropout)])
block_d.train()
print("train mode, two passes equal:", torch.equal(block_d(x), block_d(x)))
block_d.eval()
print("eval mode, two passes equal: ", torch.equal(block_d(x), block_d(x)))

# %% [markdown]
# Does dropout really reduce overfitting? `scripts/measure_dropout.py` measured it. To
# overfit within minutes on a CPU, it trains a 2-layer GPT on only the first 100,000
# characters of the training text for 1,500 steps, once with `p = 0` and once with
# `p = 0.2`, two seeds each, and estimates the train and val losses every 250 steps. The
# val text is the usual one, which the model never sees. Training takes minutes, so the
# lesson loads the result, `data/dropout_gap.json`:

# %%
dropout_runs = json.loads((DATA_DIR / "dropout_gap.json").read_text(encoding="utf-8"))
print(dropout_runs["command"], "| model:", dropout_runs["model"], "| CPU:", dropout_runs["cpu"])
print(f"{'dropout':>7} {'seed':>4} {'train':>7} {'val':>7} {'gap':>7} {'lowest val (step)':>18}")
gaps = {}
for r in dropout_runs["runs"]:
    gap = r["val_loss"][-1] - r["train_loss"][-1]
    gaps.setdefault(r["dropout"], []).append((r["seed"], gap, r["val_loss"][-1]))
    best = min(range(len(r["val_loss"])), key=lambda i: r["val_loss"][i])
    print(f"{r['dropout']:>7} {r['seed']:>4} {r['train_loss'][-1]:>7.4f} {r['val_loss'][-1]:>7.4f} "
          f"{gap:>+7.4f} {r['val_loss'][best]:>10.4f} ({r['eval_steps'][best]})")
pairs = list(zip(gaps[0.0], gaps[0.2]))          # the same seed, without and with dropout
print("with p = 0.2 the gap is smaller, seed by seed:", all(b[1] < a[1] for a, b in pairs))
print("with p = 0.2 the final val loss is lower, seed by seed:", all(b[2] < a[2] for a, b in pairs))
lowest = {r["dropout"]: [] for r in dropout_runs["runs"]}
for r in dropout_runs["runs"]:
    lowest[r["dropout"]].append(min(r["val_loss"]))
print("without dropout, the lowest val loss on the way is below the final one with dropout:",
      all(a < b[2] for a, b in zip(lowest[0.0], gaps[0.2])))

# %% [markdown]
# Without dropout the model learns the small training text much better than it predicts
# new text: the gap between train and val loss is above 1 (the table). With `p = 0.2` the
# train loss is higher (the network cannot lean on any one activation), the gap is smaller,
# and the val loss at the end is lower, on both seeds. The "lowest val" column shows the
# other sign of overfitting: without dropout the val loss was lowest at step 750 and then
# rose, and that lowest value is even a little below where dropout ends (the last line).
# Stopping at the right step is another cure for overfitting; dropout let training go on
# without the val loss getting worse. This is one small experiment on a text small enough
# to overfit; the lessons' short runs on the whole training text use `dropout=0.0`.

# %% [markdown]
# ### Exercise 3: dropout by hand
#
# Write `my_dropout(x, p, training)`. In training mode, set each value to 0 with probability
# `p` (use `torch.rand_like(x)`) and divide the kept values by `1 - p`. Otherwise return
# `x` unchanged.

# %%
def my_dropout(x, p, training):
    # TODO: a random mask that keeps each value with probability 1 - p, and the scaling
    raise NotImplementedError


check_dropout(my_dropout)

# %% [solution]
def solution_dropout(x, p, training):
    if not training:
        return x
    keep = (torch.rand_like(x) >= p).float()
    return x * keep / (1 - p)


check_dropout(solution_dropout)

# %% [markdown]
# ## Summary
#
# - `nn.Sequential(a, b, c)` computes `c(b(a(x)))`; `nn.Sequential(*list)` unpacks a list.
# - `FeedForward` (`C → 4C → ReLU → C`, then dropout) works on each position separately;
#   attention is the only place where positions exchange information.
# - A `Block` is `x = x + sa(ln1(x))` then `x = x + ffwd(ln2(x))`: pre-norm, with residual
#   connections.
# - Residual connections give the gradient a direct path: without them (and without
#   LayerNorm) the gradient of a deep stack shrinks by more than 20 orders of magnitude
#   towards the input, so far that float32 rounds its squares to 0.
# - Dropout zeros a fraction `p` and scales the rest by `1/(1-p)` in training mode, and does
#   nothing in evaluation mode.
#
# **Next:** [Lesson 07: LayerNorm](07_layernorm.ipynb) looks at `ln1`, `ln2` and `ln_f`.
