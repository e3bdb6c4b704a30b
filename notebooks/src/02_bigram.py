# %% [markdown]
# # Lesson 02: The bigram model
#
# The simplest language model predicts the next character from the current one alone.
# Such a pair of neighbours is a **bigram**. We build this model twice: first by counting
# pairs in the text, then as a neural network, `BigramLanguageModel`, trained by gradient
# descent. Both should learn the same thing, and we check that they do.
#
# **You will learn**
# - how to count bigrams into a matrix, turn counts into probabilities, and sample text;
# - how `BigramLanguageModel` keeps next-token scores (logits) in an embedding table;
# - to write its `forward(idx, targets)`, and why the logits are reshaped to `(B·T, C)`;
# - what loss to expect before training, and why ours starts higher;
# - to write `generate`, a loss estimate and the AdamW training loop (`zero_grad`,
#   `backward`, `step`), and to see that your loop trains exactly as `course_lib.train`;
# - how to read a loss curve, and how the trained model compares with the counting model.
#
# **You need:** [Lesson 00](00_text_to_tokens.ipynb) (tokens, split, batches) and
# [Lesson 01](01_embeddings.ipynb) (`nn.Embedding` as a table).

# %% [markdown]
# ## Setup

# %%
import copy
import math

import torch
import torch.nn.functional as F

from course_lib import (BigramLanguageModel, GPTConfig, GPTLanguageModel, estimate_loss, get_batch,
                        load_corpus, train)
from course_lib.core.training import DEFAULTS
from course_lib.lessons.bigram import bigram_counts, bigram_probs, counting_model_loss, sample_from_probs
from course_lib.lessons.checks import (check_bigram_counts, check_bigram_forward, check_bigram_generate,
                                       check_counting_loss, check_estimate_loss, check_training_loop)
from course_lib.lessons.plots import plot_bigram_loss_curves, plot_bigram_matrix
from course_lib.lessons.widgets import next_char_explorer

# this lesson's tensors are tiny: one CPU thread is faster than two that wait for each other
torch.set_num_threads(1)
torch.manual_seed(1337)
corpus = load_corpus()
tokenizer, chars = corpus.tokenizer, corpus.tokenizer.chars
vocab_size = tokenizer.vocab_size
train_data, val_data = corpus.train_data, corpus.val_data
print(f"vocab_size = {vocab_size}, train {len(train_data):,} tokens, val {len(val_data):,} tokens")

# %% [markdown]
# ## Counting bigrams
#
# Walk through the training text and count each pair (current character, next character).
# With 67 characters there are 67 × 67 possible pairs, so the counts fit in a 67 × 67
# matrix `N`: row `i` is the current character, column `j` the next one, and `N[i, j]`
# says how often `j` followed `i`. We count on the training split only, so that the
# validation text stays unseen.

# %%
text = "to be, or not to be"
pairs = list(zip(text, text[1:]))
print(f"{len(text)} characters hold {len(pairs)} bigrams:", pairs[:6], "...")

# %% [markdown]
# ### Exercise 1: the count matrix
#
# Write `my_bigram_counts(data, vocab_size)`: given a 1-D tensor of token IDs, return a
# `(vocab_size, vocab_size)` tensor where entry `[i, j]` counts how often token `j`
# directly follows token `i`. A plain Python loop is fine.

# %%
def my_bigram_counts(data, vocab_size):
    # TODO: a (vocab_size, vocab_size) tensor of zeros, then add 1 for each (current, next) pair
    raise NotImplementedError


check_bigram_counts(my_bigram_counts)

# %% [solution]
def solution_bigram_counts(data, vocab_size):
    counts = torch.zeros(vocab_size, vocab_size, dtype=torch.long)
    for i, j in zip(data[:-1].tolist(), data[1:].tolist()):
        counts[i, j] += 1
    return counts


check_bigram_counts(solution_bigram_counts)

# %% [markdown]
# `course_lib.bigram.bigram_counts` does the same without a Python loop (it gives each
# pair one number, `i * V + j`, and counts those numbers with `torch.bincount`). On a
# slice of the text both agree exactly; then we count the whole training split.

# %%
assert torch.equal(solution_bigram_counts(train_data[:5000], vocab_size),
                   bigram_counts(train_data[:5000], vocab_size))
counts = bigram_counts(train_data, vocab_size)                  # (V, V)
print("counts:", tuple(counts.shape), f" total {int(counts.sum()):,} = train tokens - 1")
never = int((counts == 0).sum())
print(f"{never:,} of the {vocab_size ** 2:,} possible pairs never occur in the training text")

# %%
fig = plot_bigram_matrix(counts, chars, "Bigram counts in the training text (log colour scale)",
                         "count + 1 (log scale)")

# %% [markdown]
# The bright cells are the common pairs; dark rows and columns belong to rare characters.
# Some patterns to find in the picture: after `q` only `u` is bright; a new line is
# usually followed by a capital letter (speaker names and verse lines start with one); a
# lower-case letter is almost never followed by a capital (the dark block at the bottom
# middle).
# The numbers behind these patterns, and the most frequent pairs:

# %%
upper_ids = [tokenizer.stoi[c] for c in chars if c.isupper()]
lower_ids = [tokenizer.stoi[c] for c in chars if c.islower()]
nl = tokenizer.stoi["\n"]
print(f"'q' is followed by 'u' {int(counts[tokenizer.stoi['q'], tokenizer.stoi['u']])} times "
      f"out of {int(counts[tokenizer.stoi['q']].sum())}")
print(f"a new line is followed by a capital {counts[nl, upper_ids].sum() / counts[nl].sum():.1%} of the time")
print(f"a lower-case letter is followed by a capital {int(counts[lower_ids][:, upper_ids].sum())} "
      f"times in {int(counts[lower_ids].sum()):,}")
top = torch.topk(counts.flatten(), 8)
for n, k in zip(top.values.tolist(), top.indices.tolist()):
    i, j = divmod(k, vocab_size)
    print(f"{chars[i]!r} -> {chars[j]!r}: {n:,}")

# %% [markdown]
# ## From counts to probabilities
#
# Divide each row by its sum and the row becomes a probability distribution over the next
# character: $P(j \mid i) = N_{ij} / \sum_k N_{ik}$. But a pair that never occurred then
# gets probability 0, and if it appears in new text the model is "infinitely surprised".
# **Smoothing** fixes this: add a small number (here 1) to every count first, so every
# pair keeps a little probability.

# %%
probs = bigram_probs(counts, smoothing=1.0)                     # (V, V)
torch.testing.assert_close(probs.sum(dim=1), torch.ones(vocab_size))
assert (probs > 0).all()                                        # every pair keeps some probability
q, u = tokenizer.stoi["q"], tokenizer.stoi["u"]
print(f"P('u' | 'q') = {probs[q, u]:.4f} with smoothing, "
      f"{counts[q, u] / counts[q].sum():.4f} without")

# %% [markdown]
# ## How good is the counting model? The loss
#
# We score a model by how surprised it is by the true next character: the
# **negative log-likelihood** $-\ln P(\text{next} \mid \text{current})$, averaged over all
# pairs. This is the same cross-entropy loss a neural network reports. A model that knows
# nothing gives every character probability $1/67$, so its loss is
# $-\ln(1/67) = \ln 67$.

# %%
uniform_loss = -math.log(1 / vocab_size)
print(f"uniform guessing: -ln(1/{vocab_size}) = {uniform_loss:.4f}")

# %% [markdown]
# ### Exercise 2: the loss of the counting model
#
# Write `my_counting_loss(probs, data)`: the mean of $-\ln$ `probs[data[t], data[t+1]]`
# over every pair of neighbours in `data`. Return one number.

# %%
def my_counting_loss(probs, data):
    # TODO: look up the probability of each (current, next) pair, then the mean of -log
    raise NotImplementedError


check_counting_loss(my_counting_loss)

# %% [solution]
def solution_counting_loss(probs, data):
    p = probs[data[:-1], data[1:]]        # one probability per pair
    return -p.log().mean()


check_counting_loss(solution_counting_loss)

# %%
train_count_loss = counting_model_loss(probs, train_data)
val_count_loss = counting_model_loss(probs, val_data)
print(f"counting model: train loss {train_count_loss:.4f}, val loss {val_count_loss:.4f}")
raw = bigram_probs(counts, smoothing=0.0)
val_counts = bigram_counts(val_data, vocab_size)
unseen = (val_counts > 0) & (counts == 0)          # pairs in the val text, never in training
print(f"without smoothing: val loss {counting_model_loss(raw, val_data)}, because "
      f"{int(unseen.sum())} different pairs that never occur in the training text occur "
      f"{int(val_counts[unseen].sum())} times in the val text:")
print("  " + ", ".join(f"{chars[i]!r}{chars[j]!r}" for i, j in unseen.nonzero().tolist()))

# %% [markdown]
# From 4.2047 to about 2.49: knowing the current character removes a lot of uncertainty.
# Without smoothing, these few unseen pairs make the validation loss infinite: each of their
# occurrences gets probability 0, and $-\ln 0 = \infty$.
#
# ## Sampling from the counting model
#
# To write text, start from a new line, pick the next character at random with the
# probabilities of the current row (`torch.multinomial`), and repeat.

# %%
g = torch.Generator().manual_seed(1337)
sample = sample_from_probs(probs, tokenizer.stoi["\n"], 250, generator=g)
print(tokenizer.decode(sample))

# %% [markdown]
# It has the look of the text (speaker names on their own line, short words, spaces in
# plausible places) but no words beyond a few short ones: one character of memory is not
# enough.
#
# ## The same model as a neural network
#
# `BigramLanguageModel` holds one `nn.Embedding(vocab_size, vocab_size)`, the
# `token_embedding_table`. Row `i` is not a meaning vector as in lesson 01: it holds 67
# scores (**logits**), one per possible next character. Softmax turns a row of logits into
# probabilities as normalising turned a row of counts into probabilities: softmax takes
# $e^{\text{logit}}$ and then normalises, so a table holding the logarithms of the counts
# would give exactly the counting model (the cell checks it). So this table plays the role
# of the count matrix, but it is learned by gradient descent.

# %%
torch.manual_seed(1337)
model = BigramLanguageModel(vocab_size)
print(model)
print("table:", tuple(model.token_embedding_table.weight.shape), "=", f"{model.num_parameters():,} parameters")
torch.testing.assert_close(F.softmax((counts + 1.0).log(), dim=1), probs)   # log-counts as logits

# %% [markdown]
# ## `forward(idx, targets)`: logits and loss
#
# The input is a batch of token IDs `idx` of shape `(B, T)`. Looking each one up gives
# logits of shape `(B, T, C)`, with `C = vocab_size` scores at every position. Logits are
# raw scores of any sign, not probabilities; softmax turns them into probabilities. With
# `targets` (the same windows shifted by one, from `get_batch`) it also returns the loss.

# %%
g = torch.Generator().manual_seed(1337)
xb, yb = get_batch(train_data, batch_size=4, block_size=8, generator=g)
logits, loss = model(xb, yb)
print("idx:", tuple(xb.shape), " targets:", tuple(yb.shape), " logits:", tuple(logits.shape))
print(f"loss = {loss.item():.4f}")
row = logits[0, 0]
print(f"one row of logits: from {row.min():.2f} to {row.max():.2f}, sum {row.sum():.2f}: scores, "
      f"not probabilities; after softmax the sum is {F.softmax(row, dim=0).sum():.4f}")

# %% [markdown]
# `F.cross_entropy` wants the class scores in a 2-D tensor of shape `(N, C)` and the
# classes in a 1-D tensor of shape `(N,)`. Our batch holds B·T = 32 positions, each one an
# independent example. So the model flattens batch and time into one dimension:
# `(B, T, C) → (B·T, C)` and `(B, T) → (B·T,)`. Passing the 3-D logits directly does not
# work: PyTorch would read dimension 1 (time) as the classes.

# %%
B, T, C = logits.shape
flat_logits, flat_targets = logits.view(B * T, C), yb.view(B * T)
print(tuple(logits.shape), "->", tuple(flat_logits.shape), "  ", tuple(yb.shape), "->", tuple(flat_targets.shape))
torch.testing.assert_close(F.cross_entropy(flat_logits, flat_targets), loss)
try:
    F.cross_entropy(logits, yb)
except RuntimeError as err:
    print("F.cross_entropy(logits, yb) fails:", str(err).splitlines()[0])

# %% [markdown]
# ### Exercise 3: the forward pass
#
# Write `my_forward(model, idx, targets=None)`: what `BigramLanguageModel.forward` does.
# Look the logits up in `model.token_embedding_table`; without targets return
# `(logits, None)`; with targets also the cross-entropy of the flattened logits and targets.
# Return the logits in their shape `(B, T, C)`: the lecture's code returns the flattened
# `(B·T, C)` view when it has targets, but `generate` needs the positions, so the course
# keeps them. Write the lookup yourself: the check refuses `model(idx)`, the library's own
# forward.

# %%
def my_forward(model, idx, targets=None):
    # TODO: logits = the table's rows for idx, shape (B, T, C)
    # TODO: no targets: return logits, None. Else flatten both and take F.cross_entropy
    raise NotImplementedError


check_bigram_forward(my_forward)

# %% [solution]
def solution_forward(model, idx, targets=None):
    logits = model.token_embedding_table(idx)                   # (B, T) -> (B, T, C)
    if targets is None:
        return logits, None
    B, T, C = logits.shape
    loss = F.cross_entropy(logits.view(B * T, C), targets.view(B * T))
    return logits, loss


check_bigram_forward(solution_forward)

# %% [markdown]
# The solution gives the library's logits and loss, bit for bit:

# %%
solution_logits, solution_loss = solution_forward(model, xb, yb)
assert torch.equal(solution_logits, logits) and torch.equal(solution_loss, loss)
print(f"solution_forward: logits {tuple(solution_logits.shape)}, loss {solution_loss.item():.4f}, "
      f"the same as model(xb, yb)")

# %% [markdown]
# ## The loss before training
#
# If the model gave every character the same probability, its loss would be
# $-\ln(1/67) = 4.2047$. Ours starts higher. `nn.Embedding` fills its table from a normal
# distribution with standard deviation 1, so the logits in a row differ by a few units and
# softmax turns them into a lopsided, confident and random distribution. Confident and
# wrong costs more than uniform.

# %%
@torch.no_grad()
def full_loss(table, data):
    """The bigram loss of a (V, V) logit table on every pair of `data` (here: the val text)."""
    return F.cross_entropy(table[data[:-1]], data[1:]).item()


W = model.token_embedding_table.weight
print(f"expected for uniform guessing: {uniform_loss:.4f}")
print(f"this model at initialisation:  {full_loss(W, val_data):.4f}   (weights: std {W.std():.3f})")
print(f"the same model, table zeroed:  {full_loss(torch.zeros_like(W), val_data):.4f}")
assert abs(full_loss(torch.zeros_like(W), val_data) - uniform_loss) < 1e-5     # ln 67, to float32
print(f"largest initial probability in a row, on average: {F.softmax(W, dim=1).max(dim=1).values.mean():.3f}"
      f" (uniform: {1 / vocab_size:.3f})")

# %% [markdown]
# With a zeroed table every logit is equal, so the loss is exactly $\ln 67$. The larger
# the random logits, the higher the starting loss:

# %%
gen = torch.Generator().manual_seed(0)
for std in [0.0, 0.02, 0.5, 1.0, 2.0]:
    losses = [full_loss(std * torch.randn(vocab_size, vocab_size, generator=gen), val_data)
              for _ in range(3)]
    print(f"init std {std:<4}: loss {sum(losses) / len(losses):.4f}")

# %% [markdown]
# This is why the GPT of lesson 08 starts its weights with a small standard deviation
# (0.02): a freshly built GPT's first loss is close to $\ln 67$, as the cell below shows.
# The bigram model keeps the default; it learns fast anyway (the curve below).

# %%
with torch.random.fork_rng():                      # leave this notebook's random numbers alone
    torch.manual_seed(0)
    gpt = GPTLanguageModel(GPTConfig(vocab_size=vocab_size))
    with torch.no_grad():
        _, gpt_loss = gpt(*get_batch(val_data, 32, gpt.cfg.block_size,
                                     generator=torch.Generator().manual_seed(0)))
print(f"a new GPT ({gpt.num_parameters():,} parameters, weights std 0.02): first loss "
      f"{gpt_loss.item():.4f}; ln {vocab_size} = {uniform_loss:.4f}")

# %% [markdown]
# ## Generating text
#
# `generate(idx, max_new_tokens)` writes text the way our counting sampler did: take the
# logits of the last position, softmax, sample one token, append it, repeat. It returns
# `idx` with the new tokens added, shape `(B, T + max_new_tokens)`.
#
# ### Exercise 4: generate
#
# Write `my_generate(model, idx, max_new_tokens, generator=None)`. Repeat `max_new_tokens`
# times: the logits of `model(idx)`; the last position, `logits[:, -1, :]` of shape
# `(B, C)`; softmax; `torch.multinomial(probs, num_samples=1, generator=generator)` of
# shape `(B, 1)`; append it with `torch.cat((idx, idx_next), dim=1)`. Pass the generator
# on: then the same seed gives the same text, and the check compares your tokens with
# `model.generate` token for token. Do not call `model.generate` itself (the check refuses
# it).

# %%
def my_generate(model, idx, max_new_tokens, generator=None):
    # TODO: max_new_tokens times: logits, last position, softmax, multinomial, torch.cat
    raise NotImplementedError


check_bigram_generate(my_generate)

# %% [solution]
def solution_generate(model, idx, max_new_tokens, generator=None):
    for _ in range(max_new_tokens):
        logits, _ = model(idx)                                       # (B, T, C)
        probs = F.softmax(logits[:, -1, :], dim=-1)                  # (B, C): the last position
        idx_next = torch.multinomial(probs, num_samples=1, generator=generator)   # (B, 1)
        idx = torch.cat((idx, idx_next), dim=1)                      # (B, T + 1)
    return idx


check_bigram_generate(solution_generate)

# %% [markdown]
# With the same seed the solution writes exactly what `model.generate` writes. (The
# library feeds the bigram model only the last token, since nothing else changes its next
# logits; feeding the whole of `idx` gives the same last row, only more slowly.) Untrained,
# it is noise:

# %%
start = torch.tensor([[tokenizer.stoi["\n"]]])                  # (B, T) = (1, 1)
ours = solution_generate(model, start, 80, generator=torch.Generator().manual_seed(1337))
library = model.generate(start, 80, generator=torch.Generator().manual_seed(1337))
assert torch.equal(ours, library)
print(tuple(start.shape), "->", tuple(ours.shape))
print(repr(tokenizer.decode(ours[0])))

# %% [markdown]
# ## Training with AdamW
#
# Training repeats one step many times:
#
# 1. take a random batch `xb, yb` of the training text;
# 2. run the model: `logits, loss = model(xb, yb)`;
# 3. `optimizer.zero_grad()`: clear the gradients of the previous step (PyTorch adds new
#    gradients to the old ones unless they are cleared);
# 4. `loss.backward()`: compute the gradient of the loss for every weight;
# 5. `optimizer.step()`: move every weight a little against its gradient.
#
# Step 3 matters because `backward` adds to `.grad`. Two backward passes without clearing
# give twice the gradient:

# %%
_, loss_a = model(xb, yb)
loss_a.backward()
once = model.token_embedding_table.weight.grad.clone()
_, loss_b = model(xb, yb)
loss_b.backward()                                               # no zero_grad in between
torch.testing.assert_close(model.token_embedding_table.weight.grad, 2 * once)
model.zero_grad(set_to_none=True)                               # leave no gradient behind
print("after two backward passes without zero_grad, .grad holds twice the gradient")

# %% [markdown]
# The **AdamW** optimiser does step 5 with a step size per weight, from running averages
# of that weight's gradients (that is why it is made once, before the loop, and keeps its
# averages from step to step), plus a small pull of every weight towards 0 (weight decay).
#
# ### A loss estimate
#
# To watch training we need the loss, but the loss of one batch is noisy: each batch is a
# different random piece of text.

# %%
g = torch.Generator().manual_seed(0)
with torch.no_grad():
    one_batch = [model(*get_batch(train_data, 32, 8, generator=g))[1].item() for _ in range(20)]
print(f"20 batches of the untrained model: losses from {min(one_batch):.3f} to "
      f"{max(one_batch):.3f}, mean {sum(one_batch) / len(one_batch):.3f}")
print("estimate_loss (the mean of 20 batches per split):",
      estimate_loss(model, train_data, val_data, block_size=8))

# %% [markdown]
# An estimate averages `eval_iters` batches of each split. It draws them from a generator
# seeded the same way every time, so two estimates see the same batches and differ only
# because the model changed. It runs the model in evaluation mode (`model.eval()`: no
# dropout, in the models that have it) and without gradients (`torch.no_grad()`: no
# backward follows, and recording the graph costs memory), then switches back with
# `model.train()`.
#
# ### Exercise 5: estimate the loss
#
# Write `my_estimate_loss(model, train_data, val_data, eval_iters=20, batch_size=32,
# block_size=8, seed=0)`. Return `{"train": ..., "val": ...}`, the mean loss over
# `eval_iters` batches of each split. For each split make a new generator
# `torch.Generator().manual_seed(seed)` and draw the batches with
# `get_batch(data, batch_size, block_size, generator=g)`. Decorate the function with
# `@torch.no_grad()`, call `model.eval()` first and `model.train()` at the end.

# %%
def my_estimate_loss(model, train_data, val_data, eval_iters=20, batch_size=32, block_size=8,
                     seed=0):
    # TODO: for each split, a new generator and the mean of eval_iters batch losses
    raise NotImplementedError


check_estimate_loss(my_estimate_loss)

# %% [solution]
@torch.no_grad()
def solution_estimate_loss(model, train_data, val_data, eval_iters=20, batch_size=32,
                           block_size=8, seed=0):
    out = {}
    model.eval()
    for split, data in (("train", train_data), ("val", val_data)):
        g = torch.Generator().manual_seed(seed)
        losses = torch.zeros(eval_iters)
        for k in range(eval_iters):
            xb, yb = get_batch(data, batch_size, block_size, generator=g)
            _, loss = model(xb, yb)
            losses[k] = loss.item()
        out[split] = losses.mean().item()
    model.train()
    return out


check_estimate_loss(solution_estimate_loss)

# %% [markdown]
# It is `course_lib.estimate_loss`, number for number:

# %%
mine = solution_estimate_loss(model, train_data, val_data)
assert mine == estimate_loss(model, train_data, val_data, block_size=8)
print(mine)

# %% [markdown]
# ### Exercise 6: the training loop
#
# Write `my_train(...)`, the loop of the lecture's `bigram.py`: make the optimizer once,
# `torch.optim.AdamW(model.parameters(), lr=lr)`, then take `max_iters` steps. Before the
# steps 0, `eval_interval`, `2 * eval_interval`, ... record a loss estimate, and one more
# after the loop. The stub fixes the generator `g` and the estimate call, so that the check
# can compare your run with `course_lib.train` on the same seed. Return the list of the
# step losses (`loss.item()`) and the dict of estimates.

# %%
def my_train(model, train_data, val_data, max_iters=3000, eval_interval=300, lr=1e-2,
             batch_size=32, block_size=8, seed=1337):
    g = torch.Generator().manual_seed(seed)            # draws the training batches
    losses, estimates = [], {}
    # TODO: the AdamW optimizer over model.parameters(), with learning rate lr
    for step in range(max_iters):
        # TODO: when step % eval_interval == 0, before the step:
        #   estimates[step] = estimate_loss(model, train_data, val_data,
        #                                   batch_size=batch_size, block_size=block_size)
        # TODO: one step: xb, yb = get_batch(train_data, batch_size, block_size, generator=g),
        #   the loss, zero_grad, backward, step; then losses.append(loss.item())
        raise NotImplementedError
    estimates[max_iters] = estimate_loss(model, train_data, val_data, batch_size=batch_size,
                                         block_size=block_size)
    return losses, estimates


check_training_loop(my_train)

# %% [solution]
def solution_train(model, train_data, val_data, max_iters=3000, eval_interval=300, lr=1e-2,
                   batch_size=32, block_size=8, seed=1337, fused=None):
    g = torch.Generator().manual_seed(seed)            # draws the training batches
    losses, estimates = [], {}
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, fused=fused)
    for step in range(max_iters):
        if step % eval_interval == 0:
            estimates[step] = estimate_loss(model, train_data, val_data,
                                            batch_size=batch_size, block_size=block_size)
        xb, yb = get_batch(train_data, batch_size, block_size, generator=g)
        _, loss = model(xb, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    estimates[max_iters] = estimate_loss(model, train_data, val_data, batch_size=batch_size,
                                         block_size=block_size)
    return losses, estimates


check_training_loop(solution_train)

# %% [markdown]
# ## Your loop is `course_lib.train`
#
# `course_lib.train` runs the same loop, with a progress bar. By default it adds the
# recipe of lesson 08 (a short warmup, a learning rate that decays, gradient clipping);
# `min_lr=None, warmup_iters=0, grad_clip=None` turn those off, so it is the lecture's
# plain loop. With the same seed it draws the same batches from the same generator. First
# `course_lib.train`, from the model's untrained weights:

# %%
start_state = copy.deepcopy(model.state_dict())                # the untrained weights
init_table = model.token_embedding_table.weight.detach().clone()
print(f"course_lib.train's defaults: warmup_iters={DEFAULTS.warmup_iters}, "
      f"min_lr={DEFAULTS.min_lr}, grad_clip={DEFAULTS.grad_clip}")

# %%
# NBVAL_IGNORE_OUTPUT
history = train(model, train_data, val_data, max_iters=3000, batch_size=32, block_size=8,
                lr=1e-2, min_lr=None, warmup_iters=0, grad_clip=None, eval_interval=300,
                eval_iters=20, seed=1337)

# %% [markdown]
# Then the solution's loop, twice from the same untrained weights: once with PyTorch's
# default AdamW, once with `fused=True`, the variant `course_lib.train` uses.

# %%
for fused in (None, True):
    mine = BigramLanguageModel(vocab_size)
    mine.load_state_dict(start_state)
    losses, estimates = solution_train(mine, train_data, val_data, fused=fused)
    w_mine, w_lib = mine.token_embedding_table.weight, model.token_embedding_table.weight
    same = torch.equal(w_mine, w_lib) and losses == history.train_loss
    # the size of a float32 rounding difference depends on the CPU's kernels, so print a bound
    largest = max(float((w_mine - w_lib).detach().abs().max()),
                  max(abs(a - b) for a, b in zip(losses, history.train_loss)))
    print(f"AdamW({'fused=True' if fused else 'default'}): {len(losses):,} steps; "
          f"weights and step losses within 1e-5 of course_lib.train: {largest < 1e-5}; "
          f"identical: {same}")

# %% [markdown]
# With `fused=True` the two runs are identical, bit for bit: the same batches, the same
# steps, the same weights. With the default AdamW they differ in the last digits only
# (by less than 1e-5, printed above; the exact size depends on the CPU). Both compute the same update formula; the fused version does the
# arithmetic of a whole tensor in one kernel, in another order, and float32 rounds each
# order a little differently. Those last-digit differences do not grow into anything: it
# is the same training.
#
# ## The loss curve

# %%
trained_val = full_loss(model.token_embedding_table.weight, val_data)
print(f"after {history.steps[-1]} steps: estimated train {history.final()['train']:.4f}, "
      f"val {history.final()['val']:.4f}")
fig = plot_bigram_loss_curves(history, uniform_loss, val_count_loss)

# %% [markdown]
# The loss falls fast and flattens near the counting model's validation loss (the dashed
# line). On the training text there is a floor: the counts without smoothing give the
# lowest loss any model that sees only the current character can reach (the proof:
# minimising the average $-\ln p$ over the pairs that follow character $i$ gives exactly the
# observed frequencies). Gradient descent can only approach it:

# %%
best_train = counting_model_loss(bigram_probs(counts, smoothing=0.0), train_data)
# every pair (i, j) adds -log p(j | i), counts[i, j] times: a cheap exact loss on all 1.4M pairs
log_p = F.log_softmax(model.token_embedding_table.weight.detach(), dim=1)   # (V, V)
trained_train = float(-(counts * log_p).sum() / counts.sum())
print(f"lowest possible train loss: {best_train:.4f}; trained model on the whole train text: "
      f"{trained_train:.4f}")
own = val_counts.double() / val_counts.sum(dim=1, keepdim=True).clamp_min(1)   # the val text's counts
occurs = val_counts > 0
best_val = float(-(val_counts[occurs] * own[occurs].log()).sum() / val_counts.sum())
print(f"on the val text: trained model {trained_val:.4f}, counting model {val_count_loss:.4f}; "
      f"only the val text's own counts would reach {best_val:.4f}")
assert best_train <= trained_train and abs(trained_val - val_count_loss) < 0.01

# %% [markdown]
# On the validation text there is no such floor for our two models: the best bigram model
# of the val text is its own counts, which neither model has seen. The counting model
# (smoothing 1) is one good guess, so the trained model can end a little above or a little
# below it; here it ends within 0.01 of it (printed above).

# %% [markdown]
# ## Text from the trained model
#
# The trained model writes with `generate`, from the same new line and with the same seed
# as the counting model's sample above:

# %%
out = model.generate(start, max_new_tokens=250, generator=torch.Generator().manual_seed(1337))
print(tokenizer.decode(out[0]))
same = sum(a == b for a, b in zip(out[0].tolist(), sample))
print(f"the same character at {same} of the {len(sample)} positions as the counting model's sample")

# %% [markdown]
# The two samples start almost letter for letter the same, and agree at most positions
# (printed above): the two models give nearly the same probabilities, so the same random
# numbers pick nearly the same characters. Where one pick differs, the texts drift apart,
# and a new line often brings them together again.

# %% [markdown]
# ## The two models side by side
#
# The trained table, after softmax, should be close to the count probabilities. Row by
# row, the total variation distance (half the sum of absolute differences, 0 = the same,
# 1 = no overlap) measures how close:

# %%
model_probs = F.softmax(model.token_embedding_table.weight.detach(), dim=1)   # (V, V)
tv = 0.5 * (model_probs - probs).abs().sum(dim=1)                             # (V,)
freq = counts.sum(dim=1)
common = torch.argsort(freq, descending=True)[:10]
print(f"weighted by how often each character occurs: {float((tv * freq).sum() / freq.sum()):.3f}")
print("ten most common characters:", " ".join(f"{chars[i]!r} {tv[i]:.3f}" for i in common.tolist()))
print("three rarest:", " ".join(f"{chars[i]!r} {tv[i]:.3f} ({int(freq[i])}x)"
                               for i in torch.argsort(freq)[:3].tolist()))

# %% [markdown]
# For frequent characters the two models agree closely; for the rarest ones they do not.
# Both are unsure there: the counting model's few counts are outweighed by the smoothing,
# and the trained model met those characters in very few of its batches. Count them, by
# drawing the training batches again from the same seed, and see how far each row of the
# table moved from its random start:

# %%
g = torch.Generator().manual_seed(1337)                   # the batches train() drew
seen = torch.zeros(vocab_size, dtype=torch.long)
for _ in range(3000):
    xb_seen, _ = get_batch(train_data, 32, 8, generator=g)
    seen += torch.bincount(xb_seen.flatten(), minlength=vocab_size)
moved = (model.token_embedding_table.weight.detach() - init_table).norm(dim=1)   # (V,)
for name, rows in (("most common", common[:3].tolist()),
                   ("rarest", torch.argsort(freq)[:3].tolist())):
    print(f"{name:>11}: " + "   ".join(f"{chars[i]!r} seen {int(seen[i]):,} times, row moved "
                                      f"{moved[i]:.2f}" for i in rows))
#
# How much smoothing? Too little leaves unseen pairs nearly impossible, too much flattens
# every row toward uniform. The counting model's val loss for a few values:

# %%
for s in [0.0, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]:
    print(f"smoothing {s:>6g}: val loss {counting_model_loss(bigram_probs(counts, s), val_data):.4f}")
rare_row = bigram_probs(counts, 1000.0)[tokenizer.stoi["("]] * vocab_size   # 1 = uniform
print(f"at smoothing 1000 the row of '(' holds {rare_row.min():.4f} to {rare_row.max():.4f} "
      f"times the uniform probability 1/{vocab_size}")

# %% [markdown]
# Pick a character and compare its next-character distribution under both models. Then
# move the smoothing and watch the rows: at 0 unseen pairs get probability 0 (and the val
# loss is infinite), at 1 the loss is lowest of these values, at 1000 the rows of rare
# characters are almost uniform.

# %%
next_char_explorer(chars, counts, model_probs, val_data)

# %% [markdown]
# ## Summary
#
# - Counting bigrams gives a (V, V) matrix; normalising each row (with smoothing) gives
#   $P(\text{next} \mid \text{current})$, and sampling from the rows writes text.
# - `BigramLanguageModel` stores one row of next-token logits per token in an
#   `nn.Embedding(vocab_size, vocab_size)`.
# - `forward` returns logits `(B, T, C)` and the cross-entropy over all B·T positions,
#   computed on `(B·T, C)` logits and `(B·T,)` targets; `generate` samples from the last
#   position and appends, one token at a time.
# - A uniform guess scores $\ln 67 = 4.2047$; the default N(0, 1) table starts higher.
# - A training step is batch, loss, `zero_grad`, `backward`, `step`; a loss estimate
#   averages many batches. Your loop trains exactly as `course_lib.train` (bit for bit with
#   the fused AdamW).
# - On the training text no bigram model goes below the unsmoothed counts, and the trained
#   model ends close above them; on the validation text it ends close to the counting model.
#
# **Next:** [Lesson 03: Softmax](03_softmax.ipynb) looks closely at how logits become
# probabilities.
