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
# - what `forward(idx, targets)` returns, and why the logits are reshaped to `(B·T, C)`;
# - what loss to expect before training, and why ours starts higher;
# - how to train with AdamW, read a loss curve, and generate text.
#
# **You need:** [Lesson 00](00_text_to_tokens.ipynb) (tokens, split, batches) and
# [Lesson 01](01_embeddings.ipynb) (`nn.Embedding` as a table).

# %% [markdown]
# ## Setup

# %%
import math

import torch
import torch.nn.functional as F

from course_lib import BigramLanguageModel, get_batch, load_corpus, train
from course_lib.lessons.bigram import bigram_counts, bigram_probs, counting_model_loss, sample_from_probs
from course_lib.lessons.checks import check_bigram_counts, check_counting_loss, check_flatten_for_cross_entropy
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
def my_bigram_counts(data, vocab_size):
    counts = torch.zeros(vocab_size, vocab_size, dtype=torch.long)
    for i, j in zip(data[:-1].tolist(), data[1:].tolist()):
        counts[i, j] += 1
    return counts


check_bigram_counts(my_bigram_counts)

# %% [markdown]
# `course_lib.bigram.bigram_counts` does the same without a Python loop (it gives each
# pair one number, `i * V + j`, and counts those numbers with `torch.bincount`). On a
# slice of the text both agree; then we count the whole training split.

# %%
torch.testing.assert_close(my_bigram_counts(train_data[:5000], vocab_size),
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
def my_counting_loss(probs, data):
    p = probs[data[:-1], data[1:]]        # one probability per pair
    return -p.log().mean()


check_counting_loss(my_counting_loss)

# %%
train_count_loss = counting_model_loss(probs, train_data)
val_count_loss = counting_model_loss(probs, val_data)
print(f"counting model: train loss {train_count_loss:.4f}, val loss {val_count_loss:.4f}")
raw = bigram_probs(counts, smoothing=0.0)
val_counts = bigram_counts(val_data, vocab_size)
unseen = int(val_counts[counts == 0].sum())
print(f"without smoothing: val loss {counting_model_loss(raw, val_data)}, because "
      f"{unseen} pairs in the val text never occur in the training text")

# %% [markdown]
# From 4.2047 to about 2.49: knowing the current character removes a lot of uncertainty.
# Without smoothing, the handful of unseen pairs makes the validation loss infinite.
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
# probabilities, exactly like normalising a row of counts. So this table plays the role
# of the count matrix, but it is learned by gradient descent.

# %%
torch.manual_seed(1337)
model = BigramLanguageModel(vocab_size)
print(model)
print("table:", tuple(model.token_embedding_table.weight.shape), "=", f"{model.num_parameters():,} parameters")

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
# ### Exercise 3: the reshape for cross-entropy
#
# Write `flatten_for_cross_entropy(logits, targets)`: return the logits as `(B·T, C)` and
# the targets as `(B·T,)`, with row `n` of both still describing the same position.

# %%
def flatten_for_cross_entropy(logits, targets):
    # TODO: read B, T, C from logits.shape; reshape both with .view
    raise NotImplementedError


check_flatten_for_cross_entropy(flatten_for_cross_entropy)

# %% [solution]
def flatten_for_cross_entropy(logits, targets):
    B, T, C = logits.shape
    return logits.view(B * T, C), targets.view(B * T)


check_flatten_for_cross_entropy(flatten_for_cross_entropy)

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
# (0.02): its first loss is close to $\ln 67$. The bigram model keeps the default; it
# learns fast anyway.
#
# ## Training with AdamW
#
# `course_lib.train` runs the loop: take a random batch, compute the loss, backpropagate,
# and let the **AdamW** optimiser update the weights; every few hundred steps it estimates
# the train and validation loss on fixed batches. The progress bar shows how far it is.

# %%
# NBVAL_IGNORE_OUTPUT
history = train(model, train_data, val_data, max_iters=3000, batch_size=32, block_size=8,
                lr=1e-2, eval_interval=300, eval_iters=20, seed=1337)

# %%
trained_val = full_loss(model.token_embedding_table.weight, val_data)
print(f"after {history.steps[-1]} steps: estimated train {history.final()['train']:.4f}, "
      f"val {history.final()['val']:.4f}")
print(f"on the whole val text: trained model {trained_val:.4f}, counting model {val_count_loss:.4f}")
fig = plot_bigram_loss_curves(history, uniform_loss, val_count_loss)

# %% [markdown]
# The loss falls fast and flattens just above the counting model's. That is the floor.
# On the training text, the counts without smoothing give the lowest loss any model that
# sees only the current character can reach (the proof: minimising the average
# $-\ln p$ over the pairs that follow character $i$ gives exactly the observed
# frequencies). Gradient descent can only approach it:

# %%
best_train = counting_model_loss(bigram_probs(counts, smoothing=0.0), train_data)
# every pair (i, j) adds -log p(j | i), counts[i, j] times: a cheap exact loss on all 1.4M pairs
log_p = F.log_softmax(model.token_embedding_table.weight.detach(), dim=1)   # (V, V)
trained_train = float(-(counts * log_p).sum() / counts.sum())
print(f"lowest possible train loss: {best_train:.4f}; trained model on the whole train text: "
      f"{trained_train:.4f}")

# %% [markdown]
# ## Generating text
#
# `generate(idx, max_new_tokens)` does what our sampling loop did: take the logits of the
# last position, softmax, sample one token, append it, repeat. It returns `idx` with the
# new tokens added, shape `(B, T + max_new_tokens)`.

# %%
start = torch.tensor([[tokenizer.stoi["\n"]]])                  # (B, T) = (1, 1)
out = model.generate(start, max_new_tokens=250, generator=torch.Generator().manual_seed(1337))
print(tuple(start.shape), "->", tuple(out.shape))
print(tokenizer.decode(out[0]))

# %% [markdown]
# Both samples used the same seed, and they start almost letter for letter the same:
# the two models give nearly the same probabilities, so the same random numbers pick
# nearly the same characters.

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
# For frequent characters the two models agree closely. For rare ones both are unsure:
# their few counts are outweighed by the smoothing, and the trained model saw them in too
# few batches to move far from its random start.
#
# How much smoothing? Too little leaves unseen pairs nearly impossible, too much flattens
# every row toward uniform. The counting model's val loss for a few values:

# %%
for s in [0.0, 0.01, 0.1, 1.0, 10.0, 100.0, 1000.0]:
    print(f"smoothing {s:>6g}: val loss {counting_model_loss(bigram_probs(counts, s), val_data):.4f}")

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
#   computed on `(B·T, C)` logits and `(B·T,)` targets.
# - A uniform guess scores $\ln 67 = 4.2047$; the default N(0, 1) table starts higher.
#   Training with AdamW brings the loss down close to the counting model's, and no lower.
#
# **Next:** [Lesson 03: Softmax](03_softmax.ipynb) looks closely at how logits become
# probabilities.
