# %% [markdown]
# # Lesson 03: Softmax
#
# A language model does not output a character. For every position it outputs one score
# per character of the vocabulary: the **logits**. In this lesson you turn those scores
# into probabilities, pick the next character from them, and measure how good they were.
#
# **You will learn**
# - the softmax formula, and why its outputs are positive and sum to one;
# - why a direct implementation overflows in float32, and the fix (subtract the max);
# - what **temperature** does to the probabilities, and why a temperature of 0 is an error;
# - sampling with `torch.multinomial` versus always taking the most likely character (argmax);
# - how softmax and cross-entropy fit together, and why the loss takes logits.
#
# **You need:** [Lesson 02: The bigram model](02_bigram.ipynb), where a model first
# produced logits and a cross-entropy loss.

# %% [markdown]
# ## Setup
#
# We use the course's trained GPT (built in lesson 08), so the logits in this lesson are
# real ones. Only its outputs matter here: the inside of the model comes later.

# %%
import math

import torch
import torch.nn.functional as F

from course_lib import (DATA_DIR, generate_text, get_batch, load_checkpoint, load_corpus,
                        next_token_probs, sample_next_token, top_k_filter)
from course_lib.lessons.checks import check_cross_entropy, check_stable_softmax, check_temperature_probs
from course_lib.lessons.plots import (plot_logits_and_probs, plot_sample_frequencies,
                              plot_temperature_distributions)
from course_lib.lessons.widgets import temperature_explorer

# this lesson runs the model on one short text at a time: one CPU thread is faster than two
# that wait for each other (and far faster on a busy machine)
torch.set_num_threads(1)
torch.manual_seed(1337)
model, tokenizer = load_checkpoint(DATA_DIR / "checkpoints" / "gpt")
corpus = load_corpus(tokenizer=tokenizer)
chars, V = tokenizer.chars, tokenizer.vocab_size
print(f"a trained GPT with {model.num_parameters():,} parameters; vocab_size V = {V}")

# %% [markdown]
# ## Logits: one score per character
#
# We give the model a context and keep the scores at the last position: they are about
# the character that comes next.

# %%
def last_logits(text):
    """The model's (V,) logits for the character after `text`."""
    idx = torch.tensor([tokenizer.encode(text)])          # (1, T)
    with torch.no_grad():
        logits, _ = model(idx)                            # (1, T, V)
    return logits[0, -1]                                  # (V,)


context = "O Romeo, Romeo! wherefore art th"
z = last_logits(context)
print(f"shape {tuple(z.shape)}, min {z.min():.3f}, max {z.max():.3f}, sum {z.sum():.3f}")
print(f"{int((z < 0).sum())} of the {V} logits are negative")

# %% [markdown]
# Logits are **not** probabilities, and not likelihoods either: they can be negative, and
# their sum means nothing. Only their differences matter, as you will see.
#
# ## From logits to probabilities
#
# Softmax turns a vector of $V$ logits $z$ into $V$ probabilities:
#
# $$p_i = \mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^{V} e^{z_j}}$$
#
# - Each $p_i$ is positive, because $e^{x} > 0$ for every real $x$.
# - They sum to one: $\sum_i p_i = \frac{\sum_i e^{z_i}}{\sum_j e^{z_j}} = 1$, since the
#   denominator is the sum of all the numerators.
# - A larger logit gives a larger probability ($e^x$ grows with $x$), so the order of the
#   characters does not change.

# %%
p = z.exp() / z.exp().sum()
print(f"smallest p = {p.min():.2e}, largest p = {p.max():.4f}, sum = {p.sum():.4f}")
assert (p > 0).all()
torch.testing.assert_close(p.sum(), torch.tensor(1.0))
torch.testing.assert_close(p, F.softmax(z, dim=-1))
assert p.argmax() == z.argmax()                            # the same most likely character
assert (p[z.argsort()].diff() >= 0).all()                  # sorted by logit = sorted by p
print(f"most likely next character: {chars[int(p.argmax())]!r}")

# %%
fig = plot_logits_and_probs(z, chars, top=20, title=f"After {context!r}")

# %% [markdown]
# Softmax keeps the ranking, but it is not a rescaling: it turns negative logits into
# positive probabilities and stretches the gaps between them (if it only rescaled, `p / z`
# would be one number for every character; the cell below prints its range). It does not
# "choose" anything either: the most likely character is already the one with the largest
# logit. What softmax adds is a scale on which we can sample and measure a loss.
#
# Only differences between logits matter: $p_i / p_j = e^{z_i} / e^{z_j} = e^{z_i - z_j}$.
# A logit that is larger by 1 makes a character $e \approx 2.718$ times as likely.

# %%
ratio = p / z
print(f"p / z ranges from {ratio.min():.4f} to {ratio.max():.4f}: not a rescaling")
top2 = z.topk(2).indices
i, j = int(top2[0]), int(top2[1])
print(f"{chars[i]!r}: z = {z[i]:.3f}, p = {p[i]:.4f}    {chars[j]!r}: z = {z[j]:.3f}, "
      f"p = {p[j]:.4f}")
print(f"p_i / p_j = {p[i] / p[j]:.4f}   e^(z_i - z_j) = {math.exp(z[i] - z[j]):.4f}")

# %% [markdown]
# ## Numerical stability
#
# A float32 number cannot be larger than about $3.4 \times 10^{38}$, and $e^{x}$ passes
# that already at $x \approx 88.7$. Beyond it, `exp` returns `inf`.

# %%
biggest = torch.finfo(torch.float32).max
print(f"largest float32: {biggest:.4e};  ln of it: {math.log(biggest):.4f}")
print("exp([88, 89]) in float32:", torch.exp(torch.tensor([88.0, 89.0])))

# %% [markdown]
# Add 100 to every logit. The differences do not change, so the probabilities should not
# change either. The direct formula breaks: every $e^{z_i}$ overflows to $\infty$, and
# $\infty / \infty$ is `nan` (not a number). Going the other way breaks it too, but only
# far enough: float32 has tiny "subnormal" numbers down to about $1.4 \times 10^{-45}$
# ($e^{-103}$), so after subtracting 100 only the exponentials of the smallest logits round
# to 0; the result is still finite and a little off. After subtracting 200 every
# exponential rounds to 0, and $0 / 0$ is `nan`.

# %%
def softmax_naive(z):
    return z.exp() / z.exp().sum()


tiniest = torch.nextafter(torch.tensor(0.0), torch.tensor(1.0))     # the smallest float32 > 0
print(f"the smallest positive float32: {tiniest:.2e} = e^{math.log(tiniest):.1f}")
for shift in (100.0, -100.0, -200.0):
    e = (z + shift).exp()
    naive = softmax_naive(z + shift)
    # the exact error of a subnormal exponential depends on the CPU's exp kernel: print a bound
    off = f"< 1e-4: {bool((naive - p).abs().max() < 1e-4)}" if not naive.isnan().any() else "-"
    print(f"z {shift:+6.0f}: {int(torch.isinf(e).sum()):>2} of {V} exponentials are inf, "
          f"{int((e == 0).sum()):>2} are 0; naive softmax: {int(naive.isnan().sum()):>2} nan, "
          f"largest error {off}; F.softmax equals softmax(z): "
          f"{torch.allclose(F.softmax(z + shift, dim=-1), p, atol=1e-6)}")

# %% [markdown]
# **The fix: subtract the maximum.** For any constant $c$,
#
# $$\frac{e^{z_i - c}}{\sum_j e^{z_j - c}} = \frac{e^{-c}\, e^{z_i}}{e^{-c} \sum_j e^{z_j}}
# = \frac{e^{z_i}}{\sum_j e^{z_j}},$$
#
# so subtracting a constant never changes the result. With $c = \max_j z_j$ the largest
# exponent is $e^0 = 1$: nothing overflows, and the sum is at least 1, so it is never 0.
# `F.softmax` does this for you.

# %%
def softmax_stable(z):
    e = (z - z.max()).exp()             # every exponent <= 0, the largest is exactly 0
    return e / e.sum()


for c in (-1000.0, -200.0, 0.0, 100.0, 1000.0):
    q = softmax_stable(z + c)
    gap = (q - p).abs().max()
    print(f"c = {c:>7}: any nan? {bool(q.isnan().any())}   "
          f"max |softmax(z + c) - softmax(z)| < 0.0001? {bool(gap < 1e-4)}")
step = torch.nextafter(torch.tensor(1000.0), torch.tensor(2000.0)) - 1000.0
print(f"near 1000, neighbouring float32 numbers are {step:.5f} apart")

# %% [markdown]
# Equal up to rounding: $z + c$ itself is rounded to float32, and near 1000 float32 numbers
# are only 0.00006 apart, so a little of the logits' precision is lost before the softmax
# even starts.
#
# ### Exercise 1: a stable softmax
#
# Write `my_softmax(x)` for a tensor of any shape: apply softmax along the **last**
# dimension, so every row sums to 1. Subtract each row's own maximum
# (`x.max(dim=-1, keepdim=True).values`) and do not change `x` in place. Write it
# yourself: the check refuses `torch.softmax` and `F.softmax`, and it tries rows with a
# wide range such as `[0, 100, 200]`, where subtracting the mean or the minimum is not
# enough.

# %%
def my_softmax(x):
    # TODO: exp(x - row max) divided by its sum along the last dimension
    raise NotImplementedError


check_stable_softmax(my_softmax)

# %% [solution]
def solution_softmax(x):
    e = (x - x.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)


check_stable_softmax(solution_softmax)

# %% [markdown]
# ## Temperature
#
# Before the softmax, divide the logits by a **temperature** $T > 0$:
#
# $$p_i(T) = \frac{e^{z_i / T}}{\sum_j e^{z_j / T}}, \qquad
# \frac{p_i(T)}{p_j(T)} = e^{(z_i - z_j)/T}.$$
#
# - $T = 1$ leaves the model's probabilities as they are.
# - $T < 1$ makes the gaps between logits larger: the distribution gets **sharper**. As
#   $T \to 0$, all the probability goes to the most likely character.
# - $T > 1$ makes the gaps smaller: the distribution gets **flatter**. As $T \to \infty$,
#   every character gets $1/V$.
#
# `next_token_probs(logits, temperature)` from `course_lib` does this (the cell compares it
# with our stable softmax of `z / T`).
# **Entropy** $H = -\sum_i p_i \ln p_i$ measures how spread out the distribution is: 0
# when one character has all the probability, $\ln V$ when all are equal.

# %%
print(f"1/V = {1 / V:.4f}   ln V = {math.log(V):.4f}")
for T in (0.1, 0.5, 1.0, 2.0, 10.0, 100.0):
    pT = next_token_probs(z[None], temperature=T)[0]        # (1, V) -> (V,)
    torch.testing.assert_close(pT, softmax_stable(z / T))
    entropy = -(pT * pT.clamp_min(1e-30).log()).sum()
    print(f"T = {T:>5}: largest p = {pT.max():.4f} ({chars[int(pT.argmax())]!r}), "
          f"entropy = {entropy:.4f} nats")

# %%
fig = plot_temperature_distributions(z, chars, [0.5, 1.0, 2.0], top=15)

# %% [markdown]
# A temperature of 0 would mean dividing by zero. In PyTorch that gives $\pm\infty$, and the
# softmax of those is `nan`. So the library refuses it with an error that says what to do
# instead.

# %%
print("F.softmax(z / 0) starts with", F.softmax(z / 0, dim=-1)[:4])
try:
    next_token_probs(z[None], temperature=0)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# **Try it.** Pick a context and move the temperature. Watch the largest probability and
# the 40 sampled characters: at low temperature they are almost all the same character;
# at high temperature rare characters appear. (The samples use the same seed each time,
# so only the temperature changes them.)

# %%
contexts = [context, "To be, or not to b", "\nHam.\nO", "What is th", "And so, my l"]
temperature_explorer(model, tokenizer, contexts)

# %% [markdown]
# ### Exercise 2: temperature
#
# Write `my_probs_with_temperature(logits, temperature)`: the softmax of
# `logits / temperature` along the last dimension (here `F.softmax` is fine). For a
# temperature of 0 or less, raise a `ValueError` with a message that says the temperature
# must be greater than 0.

# %%
def my_probs_with_temperature(logits, temperature):
    # TODO: check the temperature, then return the softmax of logits / temperature
    raise NotImplementedError


check_temperature_probs(my_probs_with_temperature)

# %% [solution]
def solution_probs_with_temperature(logits, temperature):
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return F.softmax(logits / temperature, dim=-1)


check_temperature_probs(solution_probs_with_temperature)

# %% [markdown]
# ## Sampling versus argmax
#
# Two ways to choose the next character:
#
# - **argmax** (greedy): always the most likely one. The same context always gives the same
#   character.
# - **sampling**: `torch.multinomial(probs, n)` draws index $i$ with probability $p_i$. A
#   character with $p = 0.1$ comes out about one time in ten.

# %%
g = torch.Generator().manual_seed(0)
draws = torch.multinomial(p, num_samples=30, replacement=True, generator=g)
print(f"argmax, 30 times: {chars[int(p.argmax())] * 30!r}")
print(f"30 samples:       {''.join(chars[i] for i in draws.tolist())!r}")

# %% [markdown]
# If sampling follows the probabilities, then over many draws the **frequency** of each
# character should come close to its probability. Count, and compare.

# %%
g = torch.Generator().manual_seed(0)
for n in (100, 1_000, 10_000, 100_000):
    counts = torch.bincount(torch.multinomial(p, n, replacement=True, generator=g), minlength=V)
    gap = (counts / n - p).abs().max()
    noise = (p * (1 - p) / n).sqrt().max()          # the largest standard deviation of a frequency
    print(f"{n:>7} samples: max |frequency - probability| = {gap:.4f}   "
          f"(chance alone: about {noise:.4f})")
    assert gap < 4 * noise

# %%
fig = plot_sample_frequencies(p, counts, chars, top=15)

# %% [markdown]
# The gap shrinks as the number of samples grows, and at every $n$ it stays below 4 times
# the spread that chance alone gives (the cell asserts it): a frequency counted over $n$
# draws has a standard deviation of $\sqrt{p(1-p)/n}$, which shrinks like $1/\sqrt{n}$.
# The samples follow the probabilities.
#
# `course_lib.sample_next_token(logits, temperature, top_k, generator)` is this same draw,
# done on logits: softmax with temperature, then `torch.multinomial`. With the same seed it
# draws exactly what we draw by hand.

# %%
logits_batch = torch.stack([last_logits(c) for c in contexts])     # (5, V)
by_hand = torch.multinomial(F.softmax(logits_batch / 0.8, dim=-1), 1,
                            generator=torch.Generator().manual_seed(7))
library = sample_next_token(logits_batch, temperature=0.8,
                            generator=torch.Generator().manual_seed(7))
assert torch.equal(by_hand, library)
print("next characters:", [chars[i] for i in library[:, 0].tolist()])

# %% [markdown]
# **Top-k** is one more filter: keep only the $k$ largest logits and set the others to
# $-\infty$, so their probability is exactly $e^{-\infty} = 0$. With $k = 1$, sampling
# becomes argmax.

# %%
k = 5
kth = z.topk(k).values[-1]                                # the k-th largest logit
z_top = z.masked_fill(z < kth, float("-inf"))
torch.testing.assert_close(z_top, top_k_filter(z[None], k)[0])
p_top = next_token_probs(z[None], top_k=k)[0]
print(f"top-{k}: {int((p_top > 0).sum())} characters keep a probability > 0:",
      {chars[i]: round(float(p_top[i]), 4) for i in p_top.nonzero()[:, 0].tolist()})
picks = sample_next_token(logits_batch, top_k=1, generator=torch.Generator().manual_seed(0))
assert torch.equal(picks[:, 0], logits_batch.argmax(dim=-1))      # k = 1 is argmax
print("top_k=1 picks the largest logit in every row:", [chars[i] for i in picks[:, 0].tolist()])

# %% [markdown]
# Greedy text (top-k with $k = 1$) against sampled text, from the same prompt. Greedy text
# often falls into a loop: the same context always leads to the same next character.

# %%
prompt = "\nHam.\n"
print("greedy (top_k=1):\n" + generate_text(model, tokenizer, prompt, 120, top_k=1))
print("\nsampled (T = 1.0):\n" + generate_text(model, tokenizer, prompt, 120, seed=1))

# %% [markdown]
# ## Softmax and cross-entropy
#
# During training we know the true next character $y$. The loss asks: what probability did
# the model give it?
#
# $$\text{loss} = -\ln p_y = -\ln \mathrm{softmax}(z)_y$$
#
# If $p_y = 1$ the loss is 0. If every character gets $1/V$, the loss is $\ln V$. If $p_y$
# is close to 0, the loss is very large. This is the **cross-entropy** of one example;
# `F.cross_entropy` takes the logits and the target and computes exactly this.

# %%
text = "O Romeo, Romeo! wherefore art thou Romeo?"
y = tokenizer.encode(text[len(context)])[0]              # the true next character
loss_by_hand = -torch.log(p[y])
loss_torch = F.cross_entropy(z[None], torch.tensor([y]))
print(f"true next character {chars[y]!r}: p = {p[y]:.4f}, -ln p = {loss_by_hand:.4f}, "
      f"F.cross_entropy = {loss_torch:.4f}")
torch.testing.assert_close(loss_by_hand, loss_torch)

# %% [markdown]
# For a batch, the loss is the mean over all $B \cdot T$ positions. This is what the model
# returns as its loss (the `(B·T, V)` reshape from lesson 02).

# %%
xb, yb = get_batch(corpus.val_data, batch_size=8, block_size=64,
                   generator=torch.Generator().manual_seed(0))
with torch.no_grad():
    logits, loss = model(xb, yb)                            # (8, 64, V), scalar
B, T, _ = logits.shape
log_probs = F.log_softmax(logits, dim=-1)                   # (B, T, V)
by_hand = -log_probs.gather(-1, yb[..., None]).mean()       # -ln p of each target, averaged
torch.testing.assert_close(by_hand, loss)
torch.testing.assert_close(F.cross_entropy(logits.view(B * T, V), yb.view(B * T)), loss)
print(f"validation batch loss {loss:.4f} nats;  uniform guessing would give ln V = "
      f"{math.log(V):.4f}")

# %% [markdown]
# ### Why the loss takes logits: log-softmax
#
# Computing $\ln(\mathrm{softmax}(z))$ in two steps fails when a probability is tiny: it
# rounds to 0 in float32, and $\ln 0 = -\infty$. Working in log space avoids the
# rounding. With $m = \max_j z_j$:
#
# $$\ln \mathrm{softmax}(z)_i = z_i - m - \ln \sum_j e^{z_j - m}$$
#
# Every term stays finite. This is `F.log_softmax`, and `F.cross_entropy` uses it. That is
# why `F.cross_entropy` wants logits, not probabilities.

# %%
z2 = torch.tensor([0.0, -200.0])
print("softmax:             ", F.softmax(z2, dim=-1))
print("log(softmax):        ", torch.log(F.softmax(z2, dim=-1)))
print("log_softmax:         ", F.log_softmax(z2, dim=-1))
by_hand = z2 - z2.max() - (z2 - z2.max()).exp().sum().log()
torch.testing.assert_close(by_hand, F.log_softmax(z2, dim=-1))
torch.testing.assert_close(z - z.max() - (z - z.max()).exp().sum().log(), F.log_softmax(z, -1))
print("loss for target 1:    -log(softmax) =", float(-torch.log(F.softmax(z2, -1))[1]),
      "  F.cross_entropy =", float(F.cross_entropy(z2[None], torch.tensor([1]))))
print(f"e^-200 = {math.exp(-200):.2e}; the smallest positive float32 is {tiniest:.2e}")

# %% [markdown]
# The probability $e^{-200}$ is far below the smallest positive float32 number, so
# softmax gives exactly 0. A softmax output is mathematically always strictly between 0
# and 1, but in float32 it can be exactly 0.
#
# ### Exercise 3: cross-entropy
#
# Write `my_cross_entropy(logits, targets)` for logits of shape `(N, C)` and integer targets
# of shape `(N,)`: the mean over the N rows of $-\ln \mathrm{softmax}(\text{logits})_{\text{target}}$.
# Use `F.log_softmax` (or your own log-softmax), not `F.cross_entropy` or `F.nll_loss` (the
# check refuses both). Tip: `x[torch.arange(N), targets]` picks one entry per row.

# %%
def my_cross_entropy(logits, targets):
    # TODO: log-probabilities, pick the target's entry in each row, negate, average
    raise NotImplementedError


check_cross_entropy(my_cross_entropy)

# %% [solution]
def solution_cross_entropy(logits, targets):
    log_probs = F.log_softmax(logits, dim=-1)               # (N, C)
    return -log_probs[torch.arange(len(targets)), targets].mean()


check_cross_entropy(solution_cross_entropy)

# %% [markdown]
# ## Summary
#
# - Softmax turns logits into probabilities: $e^{z_i} / \sum_j e^{z_j}$. They are positive,
#   sum to 1, and keep the order of the logits; only differences between logits matter.
# - Computed directly, softmax overflows (`inf / inf = nan`) for logits above about 88.7 in
#   float32. Subtracting the maximum changes nothing mathematically and fixes it.
# - Temperature divides the logits: low $T$ sharpens, high $T$ flattens, and $T = 0$ is an
#   error (use `top_k=1` for greedy choice).
# - `torch.multinomial` samples in proportion to the probabilities; argmax always picks the
#   same character, which makes text repeat.
# - Cross-entropy is $-\ln p_{\text{target}}$; computed with log-softmax on the logits, it
#   stays finite even when a probability rounds to 0.
#
# **Next:** [Lesson 04: The self-attention trick](04_self_attention_trick.ipynb) lets every
# position look at the positions before it.
