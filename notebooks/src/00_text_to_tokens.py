# %% [markdown]
# # Lesson 00: Text to tokens
#
# A language model reads numbers, not letters. In this lesson you turn Shakespeare's text
# into numbers and back, and you cut it into the training examples that every later
# lesson uses.
#
# **You will learn**
# - what the corpus is and which characters it uses;
# - how a character tokenizer maps each character to an integer ID and back;
# - why we keep 10% of the text aside for validation;
# - how one block of text holds `block_size` training examples (context → target);
# - what a random batch of shape `(B, T)` is.
#
# **You need:** nothing but Python. This is the first lesson.

# %% [markdown]
# ## Setup
#
# First, check that this machine has what the course needs. Every line should show ✅.
# If one shows ❌, it says what to do.

# %%
import re
from collections import Counter

import torch

from course_lib import CharTokenizer, get_batch, load_corpus
from course_lib.lessons.checks import check_context_target_pairs, check_encode_decode
from course_lib.lessons.env import report_environment
from course_lib.lessons.plots import plot_char_frequencies
from course_lib.lessons.widgets import context_target_explorer

torch.manual_seed(1337)
report_environment(show_versions=False)

# %% [markdown]
# ## The corpus
#
# The course trains on twelve plays by Shakespeare, shipped in `data/shakespeare.txt`
# (see `data/README.md` for where it comes from and how it was cleaned).
# `load_corpus()` reads it, builds the tokenizer and splits it.

# %%
corpus = load_corpus()
text = corpus.text
print(f"{len(text):,} characters, {len(text.split()):,} words, {len(text.splitlines()):,} lines")
print(text[:300])

# %% [markdown]
# Each play starts with its title in capitals, a blank line, and then the first act or
# the prologue. Finding those lines lists the plays:

# %%
titles = re.findall(r"(?:^|\n\n)([A-Z][A-Z ,;'.]+)\n\n(?:ACT I|PROLOGUE|THE PROLOGUE)", text)
print(f"{len(titles)} plays:")
for number, title in enumerate(titles, start=1):
    print(f"{number:>3}. {title}")

# %% [markdown]
# ## The vocabulary
#
# The **vocabulary** is the set of distinct characters in the text. Sorting it gives each
# character a fixed position, and that position is its **token ID**.

# %%
chars = sorted(set(text))
vocab_size = len(chars)
print(f"vocab_size = {vocab_size}")
print(repr("".join(chars)))

# %%
fig = plot_char_frequencies(text, chars)

# %% [markdown]
# The spread is huge: a space occurs hundreds of thousands of times, some characters only
# a few times. A model sees a rare character far less often, so it has little to
# learn from. [Lesson 02](02_bigram.ipynb#The-two-models-side-by-side) measures what that
# does: after training, the model's predictions for the rarest characters are the ones
# furthest from the counts.

# %%
counts = Counter(text)
print(f"space: {counts[' ']:,} times, 'e': {counts['e']:,} times")
print("the five rarest:", ", ".join(f"{c!r} {counts[c]}" for c in sorted(chars, key=counts.get)[:5]))

# %% [markdown]
#
# ## Encode and decode
#
# Two dictionaries do all the work: `stoi` (string to integer) and `itos` (integer to
# string).

# %%
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for i, ch in enumerate(chars)}
print("stoi['a'] =", stoi["a"], "   itos[stoi['a']] =", repr(itos[stoi["a"]]))
print("IDs run from", min(itos), "to", max(itos), "- one per character:",
      " ".join(f"{itos[i]!r}:{i}" for i in (0, 1, 13, 39, 41, 66)))

# %% [markdown]
# ### Exercise 1: encode and decode
#
# Write `my_encode(s)`, which returns the list of IDs of the characters of `s`, and
# `my_decode(ids)`, which turns a list of IDs back into a string. Use `stoi` and `itos`.
# Then run the cell: the check tells you if the answer is right, and if not, what is wrong.

# %%
def my_encode(s):
    # TODO: return a list with the ID of each character of s
    raise NotImplementedError


def my_decode(ids):
    # TODO: return the string made of the characters with these IDs
    raise NotImplementedError


check_encode_decode(my_encode, my_decode, corpus.tokenizer)

# %% [markdown]
# Every exercise is followed by a folded cell like the next one: the course's own
# solution, and the same check, which passes. Open it only after you have tried. It
# defines `solution_encode` and `solution_decode`, never `my_encode` or `my_decode`, so
# running all the cells of the notebook never replaces your own answer. The cells after it
# use the course's functions, not yours.

# %% [solution]
# The course's solution. Its names start with solution_, so your my_encode and
# my_decode stay as you wrote them.
def solution_encode(s):
    return [stoi[c] for c in s]


def solution_decode(ids):
    return "".join(itos[i] for i in ids)


check_encode_decode(solution_encode, solution_decode, corpus.tokenizer)

# %% [markdown]
# `course_lib.CharTokenizer` does the same. Encoding and then decoding gives back the
# exact text: the round trip loses nothing, here checked on the whole corpus.

# %%
tokenizer = CharTokenizer.from_text(text)
ids = tokenizer.encode("To be, or not to be")
print(ids)
print(repr(tokenizer.decode(ids)))
assert tokenizer.decode(tokenizer.encode(text)) == text
assert tokenizer.encode("hello") == solution_encode("hello")
print(f"round trip exact on all {len(text):,} characters")

# %% [markdown]
# A character that is not in the vocabulary has no ID. The tokenizer says which one and
# where, instead of failing somewhere deep inside the model later:

# %%
try:
    tokenizer.encode("Café")
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# ## Train and validation split
#
# We encode the whole text once, as one long tensor of IDs. The first 90% is for training;
# the last 10% is kept aside. If the loss on that **validation** part goes down too, the
# model learned something general, and did not only memorise this text.

# %%
data = torch.tensor(tokenizer.encode(text), dtype=torch.long)
n = int(0.9 * len(data))
train_data, val_data = data[:n], data[n:]
print(data.shape, data.dtype)
print(f"train: {len(train_data):,} tokens ({len(train_data) / len(data):.0%})   "
      f"val: {len(val_data):,} tokens ({len(val_data) / len(data):.0%})")
print("val starts with:", repr(tokenizer.decode(val_data[:60])))
assert torch.equal(train_data, corpus.train_data) and torch.equal(val_data, corpus.val_data)

# %% [markdown]
# ## One block holds many examples
#
# The model never reads the whole text at once. It reads chunks of `block_size + 1`
# tokens. One chunk holds `block_size` examples: for every position `t`, the context is
# the tokens up to and including `t`, and the target is the token after it.

# %%
block_size = 8
chunk = train_data[: block_size + 1]
x, y = chunk[:block_size], chunk[1:]
for t in range(block_size):
    print(f"context {str(x[: t + 1].tolist()):<32} -> target {y[t].item():>2}   "
          f"{tokenizer.decode(x[: t + 1])!r:>11} -> {tokenizer.decode(y[t:t + 1])!r}")

# %% [markdown]
# **Try it.** `start` picks where the chunk begins in the text, `block_size` how long it is.
#
# - Set `block_size` to 1. The chunk has 2 tokens and holds one example: one character
#   and the character after it. That is all the bigram model of lesson 02 ever sees.
# - Set `block_size` to 16. Count the examples: there are always `block_size` of them, and
#   the last context is `block_size` tokens long.
# - Move `start` one step to the right. The old targets come back one row higher (all but
#   the first), each with a context that has lost its first token, and one new example
#   ends the list.

# %%
context_target_explorer(text, tokenizer, block_size=8)

# %% [markdown]
# ### Exercise 2: the examples in one chunk
#
# Write `my_make_pairs(chunk)`: given a list of `block_size + 1` token IDs, return the list
# of `(context, target)` pairs, where each context is a list of IDs and each target one ID.

# %%
def my_make_pairs(chunk):
    # TODO: one (context, target) pair for each position t = 0 .. len(chunk) - 2
    raise NotImplementedError


check_context_target_pairs(my_make_pairs)

# %% [solution]
def solution_make_pairs(chunk):
    return [(chunk[: t + 1], chunk[t + 1]) for t in range(len(chunk) - 1)]


check_context_target_pairs(solution_make_pairs)

# %% [markdown]
# ## Random batches
#
# Training uses many chunks at once, stacked as rows of a **batch**. `get_batch` picks
# `B` random starting points and returns `x` and `y` of shape `(B, T)`, where `T` is
# `block_size`. `y` is `x` shifted by one position. A seeded generator makes the batch
# the same every time the notebook runs (the last line checks it with a second generator).

# %%
g = torch.Generator().manual_seed(1337)
xb, yb = get_batch(train_data, batch_size=4, block_size=8, generator=g)
print("x:", tuple(xb.shape))
print(xb)
print("y:", tuple(yb.shape))
print(yb)
assert torch.equal(xb[:, 1:], yb[:, :-1])
print("rows of x as text:", [tokenizer.decode(row) for row in xb])
print(f"{xb.shape[0]} rows × {xb.shape[1]} positions = {xb.numel()} (context -> target) examples")
again = get_batch(train_data, batch_size=4, block_size=8, generator=torch.Generator().manual_seed(1337))
assert torch.equal(again[0], xb) and torch.equal(again[1], yb)     # the same seed, the same batch

# %% [markdown]
# Each position of each row is one example, so this batch holds 32 examples, all
# processed together.
#
# ## Summary
#
# - The corpus uses 67 distinct characters; each gets an ID, 0 to 66, by sorted order.
# - `encode` and `decode` are two dictionary lookups, and they undo each other.
# - 90% of the tokens train the model; the last 10% measure how well it generalises.
# - A chunk of `block_size + 1` tokens holds `block_size` (context → target) examples.
# - `get_batch` stacks random chunks into `x` and `y` of shape `(B, T)`.
#
# **Next:** [Lesson 01: Embeddings](01_embeddings.ipynb) turns each ID into a vector.
