# %% [markdown]
# # Lesson 01: Embeddings
#
# A token ID is only a name: the ID of the letter `a` says nothing about `a`. Before a
# model can compute with a token, it swaps the ID for a list of numbers that it can learn,
# a **vector**. This lesson is about those vectors.
#
# **You will learn**
# - why one-hot vectors are a poor input, and what a dense vector is;
# - that `nn.Embedding` is a lookup table with one row per token ID, and that a lookup is
#   the same as a one-hot vector times a matrix;
# - what `n_embd` is, what more dimensions cost, and what they give;
# - how to compare vectors with cosine similarity and distance;
# - that embeddings start random and get their meaning from training, shown with the
#   course model's character vectors and with word vectors trained on the corpus.
#
# **You need:** [Lesson 00: Text to tokens](00_text_to_tokens.ipynb) (the vocabulary and
# token IDs).

# %% [markdown]
# ## Setup

# %%
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from course_lib import DATA_DIR, GPTLanguageModel, load_checkpoint, load_corpus
from course_lib.lessons.bigram import bigram_counts
from course_lib.lessons.checks import check_cosine_similarity, check_most_similar, check_one_hot_embed
from course_lib.lessons.embeddings import (WordVectors, cosine_similarity, euclidean_distance,
                                   load_word_vectors, nearest_rows, pca_project)
from course_lib.lessons.plots import (plot_char_embeddings_2d, plot_one_hot_vs_dense, plot_vectors_2d,
                              plot_word_map)
from course_lib.lessons.sweep import (compare_losses, doubling_table, load_sweep, loss_range,
                                      seed_losses, sweep_table)
from course_lib.lessons.widgets import embedding_size_explorer

torch.manual_seed(1337)
corpus = load_corpus()
tokenizer = corpus.tokenizer
vocab_size = tokenizer.vocab_size
print(f"vocab_size = {vocab_size}")

# %% [markdown]
# ## Token IDs are names, not amounts
#
# Every ID is a position in the sorted vocabulary, from 0 to `vocab_size - 1`. So an ID is
# never negative, and the order of the IDs is only the order of the characters in Unicode.

# %%
ids = tokenizer.encode("abz")
print("IDs of 'a', 'b', 'z':", ids)
print(f"smallest and largest ID in the whole corpus: {int(corpus.data.min())} and "
      f"{int(corpus.data.max())}")
assert tokenizer.chars == sorted(tokenizer.chars, key=ord)     # sorted by Unicode code point

# %% [markdown]
# The IDs of `a` and `b` differ by 1 and those of `a` and `z` by 25, but `z` is not "25
# times more different" from `a`. If we fed the raw IDs to a model as numbers, it would
# read an order and a distance that mean nothing.
#
# ## One-hot vectors
#
# A first fix: give each token a vector of `vocab_size` numbers, all 0 except a 1 at
# the token's ID. This **one-hot** vector carries no false order, but every pair of
# different tokens is equally far apart, and almost every number is 0.

# %%
word = "hello"
word_ids = torch.tensor(tokenizer.encode(word))
one_hot = F.one_hot(word_ids, num_classes=vocab_size).float()   # (T, V)
print("one_hot:", tuple(one_hot.shape), f"- {int(one_hot.sum())} ones among {one_hot.numel()} numbers")
h, e, l = one_hot[0], one_hot[1], one_hot[2]
print(f"distance h-e = {euclidean_distance(h, e):.4f}, h-l = {euclidean_distance(h, l):.4f}, "
      f"sqrt(2) = {math.sqrt(2):.4f}")
every = torch.cdist(torch.eye(vocab_size), torch.eye(vocab_size))   # all one-hot vectors, all pairs
apart = every[~torch.eye(vocab_size, dtype=torch.bool)]
print(f"over all {apart.numel():,} pairs of different tokens: distances from {apart.min():.4f} "
      f"to {apart.max():.4f}")

# %% [markdown]
# A **dense** vector does better: a short list of numbers (8 here), every one of them
# used, and free to take any value. Training moves these numbers so that tokens used in
# similar ways get similar vectors. The length of this vector is `n_embd`.

# %%
n_embd = 8
embedding = nn.Embedding(vocab_size, n_embd)
dense = embedding(word_ids)                                      # (T, n_embd)
print("dense:", tuple(dense.shape))
fig = plot_one_hot_vs_dense(one_hot, dense, list(word))

# %% [markdown]
# ## `nn.Embedding` is a lookup table
#
# `nn.Embedding(vocab_size, n_embd)` holds one matrix, `weight`, with one row per token ID
# and `n_embd` columns. Calling it with IDs returns the rows at those IDs: nothing is
# computed, the rows are copied out.

# %%
print("weight:", tuple(embedding.weight.shape), "= (vocab_size, n_embd)")
print(f"initial values: mean {embedding.weight.mean():+.3f}, std {embedding.weight.std():.3f} "
      f"(nn.Embedding draws them from a normal distribution N(0, 1))")
input_ids = torch.tensor([2, 3, 5, 1])
vectors = embedding(input_ids)                                   # (4, n_embd)
print("vectors:", tuple(vectors.shape))
assert torch.equal(vectors[1], embedding.weight[3])              # ID 3 is at position 1
assert torch.equal(vectors, embedding.weight[input_ids])         # every row at once
print("row for ID 3:", vectors[1].detach().numpy().round(3))

# %% [markdown]
# The same works for a batch of shape `(B, T)`: the result has shape `(B, T, n_embd)`,
# one vector for every token.

# %%
xb = corpus.train_data[:12].view(3, 4)                           # (B, T) = (3, 4)
print(tuple(xb.shape), "->", tuple(embedding(xb).shape))

# %% [markdown]
# ## A lookup is a one-hot vector times the matrix
#
# Multiply a one-hot row (1 × V) by `weight` (V × n_embd): every row of `weight` is
# multiplied by 0 except the one at the token's ID. So the product is exactly that row
# (even in float32: multiplying by 1 and adding zeros rounds nothing; `torch.equal` below
# compares bit for bit):
#
# $$\text{onehot}(i)\, W = W_{i,:}$$
#
# That is why an embedding layer is a linear layer without a bias, fed with one-hot
# vectors. The lookup gives the same answer without the V × n_embd multiplications.

# %%
via_matrix = one_hot @ embedding.weight                          # (T, V) @ (V, n_embd)
assert torch.equal(via_matrix, embedding(word_ids))
print(f"equal: one_hot @ weight == embedding(ids) for {word!r}")
print(f"per token: the product does {vocab_size * n_embd} multiplications, the lookup copies "
      f"{n_embd} numbers")

# %% [markdown]
# ### Exercise 1: a lookup as a matrix product
#
# Write `my_one_hot_embed(ids, weight)`: turn the 1-D tensor `ids` into one-hot rows with
# `F.one_hot` and multiply them by `weight` (shape `(V, D)`), to get shape `(T, D)`.
# The point is the product: looking the rows up directly (`weight[ids]`, `F.embedding`)
# gives the same numbers, and the check says so and asks for the product.

# %%
def my_one_hot_embed(ids, weight):
    # TODO: one-hot rows of length weight.shape[0], as floats, times weight
    raise NotImplementedError


check_one_hot_embed(my_one_hot_embed)

# %% [solution]
def solution_one_hot_embed(ids, weight):
    one_hot = F.one_hot(ids, num_classes=weight.shape[0]).float()   # (T, V)
    return one_hot @ weight                                          # (T, V) @ (V, D) -> (T, D)


check_one_hot_embed(solution_one_hot_embed)

# %% [markdown]
# ## `n_embd`: how many numbers per token
#
# The table has `vocab_size × n_embd` parameters, and at float32 each takes 4 bytes. More
# dimensions give each token more room to store what the model learns about it, and the
# layers after the embedding grow with `n_embd` too; fewer dimensions are cheaper in
# memory and time. The course model uses `n_embd = 192`. The smallest GPT-2 model has a
# vocabulary of 50,257 tokens and `n_embd = 768`.

# %%
for name, V, C in [("this lesson's table", vocab_size, n_embd),
                   ("course model", vocab_size, 192),
                   ("GPT-2 small", 50_257, 768)]:
    params = V * C
    print(f"{name:>20}: {V:>6,} × {C:>3} = {params:>10,} parameters = {4 * params:>11,} bytes "
          f"at float32")
print(f"GPT-2 small's table: {4 * 50_257 * 768 / 2**20:.1f} MiB")
assert 50_257 * 768 == 38_597_376

# %% [markdown]
# So GPT-2 small's token table alone has 38,597,376 weights: about **38.6 million**, not
# 38.5 million.
#
# What does a larger `n_embd` give? The file `data/sweep_n_embd.json` holds the answer for
# our corpus: the same 4-layer GPT trained for the same number of steps at several
# `n_embd`. Training these models takes minutes, so a script did it once and the notebook
# only reads its results; the command to redo it is printed below.

# %%
sweep = load_sweep()
results = sweep["results"]
print("redo with:", sweep["command"], f"  ({sweep['training']['max_iters']:,} steps per run)")
print(sweep_table(sweep))

# %% [markdown]
# Each size was trained from three seeds: the seed sets the first random weights and
# which batches each run trains and is measured on. The table gives the mean over the
# seeds and the smallest and largest of them. Now the steps from one size to the next: the change of the mean, the
# seed spread (the wider min-to-max range of the two sizes), and whether the two ranges
# overlap. "apart" means that every seed of the wider model ended lower than every seed of
# the narrower one.

# %%
print(doubling_table(sweep))
changes = [compare_losses(seed_losses(a), seed_losses(b))["change"]
           for a, b in zip(results, results[1:])]
print("every doubling lowered the mean:", all(c < 0 for c in changes))
print("every doubling helped less than the one before:",
      all(abs(later) < abs(earlier) for earlier, later in zip(changes, changes[1:])))
print("parameters at each doubling:", ", ".join(f"x{b['params'] / a['params']:.1f}"
                                                for a, b in zip(results, results[1:])))
gaps = [loss_range(seed_losses(r))[0] - loss_range(seed_losses(r, "train"))[0] for r in results]
print("val - train (means):", ", ".join(f"{r['n_embd']}: {g:+.3f}" for r, g in zip(results, gaps)))

# %%
steps = [compare_losses(seed_losses(a), seed_losses(b)) for a, b in zip(results, results[1:])]
print("first three doublings: change / seed spread =",
      ", ".join(f"{abs(c['change']) / c['spread']:.1f}" for c in steps[:3]))
print(f"last doubling: change {steps[-1]['change']:+.4f}, seed spread {steps[-1]['spread']:.4f}")
assert all(c < 0 for c in changes) and all(abs(b) < abs(a) for a, b in zip(changes, changes[1:]))
assert all(abs(c["change"]) > 3 * c["spread"] for c in steps[:3])
assert abs(steps[-1]["change"]) < steps[-1]["spread"]
assert all(b > a for a, b in zip(gaps, gaps[1:]))          # the val - train gap grows

# %% [markdown]
# Every doubling of `n_embd` lowered the mean validation loss, and each one lowered it
# less than the one before, while the whole model grew between 3.5 and 4 times (most of
# its weights are `n_embd × n_embd` matrices, so they grow with the square of `n_embd`).
# The first three doublings moved the mean by more than three times the seed spread: those
# gains are much larger than the noise. The last one, from 128 to 256, moved it by less
# than the seed spread (the cell above checks both): a small gain at best, for four times
# the parameters and more time per step. Lesson 08 looks at this noise more closely. On a
# small corpus, a bigger model also fits the training text better than new text: the gap
# between val and train loss grows.
#
# **Try it.** Move the slider. On the left, the token table keeps its 67 rows and gets
# wider; the printed lines give its size in parameters and bytes, and the trained losses
# of seed 1337's run. On the right, the circle marks the chosen size on the loss curve.
# Find the size after which the curve is nearly flat, and compare what the table costs
# there with what it costs at 16.

# %%
embedding_size_explorer(sweep, vocab_size)

# %% [markdown]
# ## Comparing vectors: cosine similarity and distance
#
# Two common ways to say how close two vectors $a$ and $b$ are:
#
# - **Euclidean distance** $\lVert a - b \rVert$: how far apart the two points are.
# - **Cosine similarity** $\cos\theta = \dfrac{a \cdot b}{\lVert a \rVert\,\lVert b \rVert}$:
#   only the angle counts. It is 1 for the same direction, 0 at a right angle, −1 for
#   opposite directions, and the length of the vectors does not change it.
#
# A worked example with $a = (2, 1)$, $b = (4, 2)$, $c = (-1, 2)$:
# $a \cdot b = 2 \cdot 4 + 1 \cdot 2 = 10$ and $\lVert a \rVert \lVert b \rVert =
# \sqrt{5}\sqrt{20} = 10$, so $\cos = 1$ (same direction), while $a \cdot c = -2 + 2 = 0$,
# so $\cos = 0$.

# %%
a, b, c = torch.tensor([2.0, 1.0]), torch.tensor([4.0, 2.0]), torch.tensor([-1.0, 2.0])
for name, (u, v) in {"a, b": (a, b), "a, c": (a, c), "b, c": (b, c)}.items():
    print(f"{name}: cosine {cosine_similarity(u, v):+.4f}   distance {euclidean_distance(u, v):.4f}")
fig = plot_vectors_2d({"a": a, "b": b, "c": c}, title="a and b point the same way; c is at a right angle")

# %% [markdown]
# `a` and `b` have cosine similarity 1 but distance 2.2361: cosine ignores the length,
# distance does not. Embedding vectors are usually compared with the cosine.
#
# ### Exercise 2: cosine similarity
#
# Write `my_cosine_similarity(a, b)` for two 1-D tensors. Return one number. (The library's
# `cosine_similarity`, imported above, is what the rest of the lesson uses.)

# %%
def my_cosine_similarity(a, b):
    # TODO: the dot product of a and b, divided by the product of their lengths
    raise NotImplementedError


check_cosine_similarity(my_cosine_similarity)

# %% [solution]
def solution_cosine_similarity(a, b):
    return (a @ b) / (a.norm() * b.norm())


check_cosine_similarity(solution_cosine_similarity)

# %% [markdown]
# ## Embeddings start random
#
# A new model fills its token table with random numbers. The course model (lesson 08)
# has `n_embd = 192`; below we build the same model again, untrained. Random vectors in
# 192 dimensions are nearly at right angles to each other (cosine similarity near 0),
# whatever the tokens: the cosine of two random directions in $d$ dimensions has mean 0 and
# a spread of about $1/\sqrt{d}$. The cosines of the untrained table below are chance:
# small, of either sign, and different with another seed. Compare them with the trained
# table.

# %%
ckpt_dir = DATA_DIR / "checkpoints" / "gpt"
model, ckpt_tokenizer = load_checkpoint(ckpt_dir)
assert ckpt_tokenizer == tokenizer
torch.manual_seed(0)
fresh = GPTLanguageModel(model.cfg)                    # same sizes, untrained
tables = {"random (before training)": fresh.token_embedding_table.weight.detach(),
          "trained (course model)": model.token_embedding_table.weight.detach()}
print("token_embedding_table:", tuple(tables["trained (course model)"].shape))


def sim(table, c1, c2):
    return float(cosine_similarity(table[tokenizer.stoi[c1]], table[tokenizer.stoi[c2]]))


other_seed = torch.randn(vocab_size, model.cfg.n_embd, generator=torch.Generator().manual_seed(1))
for name, table in {**tables, "random, another seed": other_seed}.items():
    print(f"{name:>25}: cos(a, A) = {sim(table, 'a', 'A'):+.3f}   cos(a, e) = "
          f"{sim(table, 'a', 'e'):+.3f}   cos(a, ;) = {sim(table, 'a', ';'):+.3f}")
unit = F.normalize(tables["random (before training)"], dim=1)
off_diagonal = (unit @ unit.T)[~torch.eye(vocab_size, dtype=torch.bool)]
print(f"random table, all pairs: cosine mean {off_diagonal.mean():+.3f}, spread (std) "
      f"{off_diagonal.std():.3f}; 1/sqrt(192) = {192 ** -0.5:.3f}")

# %% [markdown]
# ## Training gives them meaning: the course model's characters
#
# Nobody told the course model which characters are vowels, or that `a` and `A` are the
# same letter. It only learned to predict the next character. Still, its table changed.
# To look at 192-dimensional vectors we project them onto the two directions along which
# they vary most (**PCA**, principal component analysis; `pca_project` computes it with
# the singular value decomposition, `torch.linalg.svd`) and draw each character there.

# %%
chars = tokenizer.chars
projections = {f"{name}": pca_project(table) for name, table in tables.items()}
fig = plot_char_embeddings_2d(projections, chars)

# %% [markdown]
# In the trained picture, punctuation gathers on one side, the vowels of both cases sit
# together, capital consonants form their own group, and the rare letters `q` and `j`
# (with `Q` and `J`) lie far from the rest. In the random picture there is no pattern.
# Two directions show only a small part of 192 dimensions, though:

# %%
for name, proj in projections.items():
    print(f"{name:>25}: the picture shows {proj.explained.sum():.0%} of the variance")

# %% [markdown]
# So check with numbers, using all 192 dimensions: the average cosine similarity inside
# groups of characters, and the nearest neighbours of a few characters.

# %%
def ids(s):
    return [tokenizer.stoi[c] for c in s]


def group_mean(cos, a, b):
    """The average of cos[i, j] over i in a, j in b, leaving out i == j."""
    keep = torch.tensor(a)[:, None] != torch.tensor(b)[None, :]
    return cos[a][:, b][keep].mean()


lower, upper = ids("abcdefghijklmnopqrstuvwxyz"), ids("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
vowels, consonants = ids("aeiouAEIOU"), ids("bcdfghklmnprstvwBCDFGHKLMNPRSTVW")
punct, everything = ids("!,.:;?"), list(range(vocab_size))
for name, table in tables.items():
    unit = F.normalize(table, dim=1)                   # every row scaled to length 1
    cos = unit @ unit.T                                # (V, V): every cosine similarity at once
    print(f"{name}:\n  letter & its capital {cos[lower, upper].mean():+.3f}   vowel & vowel "
          f"{group_mean(cos, vowels, vowels):+.3f}   vowel & consonant "
          f"{group_mean(cos, vowels, consonants):+.3f}\n  punctuation & punctuation "
          f"{group_mean(cos, punct, punct):+.3f}   punctuation & letter "
          f"{group_mean(cos, punct, lower + upper):+.3f}   any two characters "
          f"{group_mean(cos, everything, everything):+.3f}")

# %%
trained_table = tables["trained (course model)"]
for c in ["a", "T", "q", ".", ","]:
    rows, sims = nearest_rows(trained_table, trained_table[tokenizer.stoi[c]], 3,
                              exclude=[tokenizer.stoi[c]])
    print(f"nearest to {c!r}: " + ", ".join(f"{chars[i]!r} {s:.2f}" for i, s in zip(rows.tolist(), sims)))

# %% [markdown]
# Trained, a letter is clearly closer to its own capital than to other characters, and
# punctuation marks are close to each other; in the random table every group average is
# near 0. Nobody told the model these groups; it found them because these characters
# behave alike in the text.
# For example, compare what follows each character: the rows of counts of the next
# character (lesson 02 builds them) have a high cosine similarity for `.` and `?`, and
# for `T` and `t`, and a low one for `T` and `A`.

# %%
following = bigram_counts(corpus.train_data, vocab_size).float()   # row i: what follows i
for x, y in [(".", "?"), ("T", "t"), ("a", "A"), ("T", "A")]:
    sim = cosine_similarity(following[tokenizer.stoi[x]], following[tokenizer.stoi[y]])
    print(f"what follows {x!r} and what follows {y!r}: cosine similarity {sim:.2f}")

# %% [markdown]
# ## Word vectors trained on the corpus
#
# Characters carry little meaning, so for meaning we need words. The script
# `scripts/train_word_vectors.py` trains small word vectors on the same Shakespeare text
# with **word2vec** (skip-gram with negative sampling): each word's vector is trained to
# predict the words around it. Words that appear in similar company end up with similar
# vectors. It keeps the 4,000 most frequent words, 64 dimensions each.

# %%
wv = load_word_vectors()
print(f"{len(wv):,} words × {wv.dim} dimensions, trained on {wv.info['corpus_words']:,} words "
      f"of text for {wv.info['epochs']} passes in {wv.info['seconds']:.0f} s")
print("redo with:", wv.info["command"])
for w in ["father", "eye", "three", "night", "speak", "king"]:
    print(f"{w:>7}: " + ", ".join(f"{n} {s:.2f}" for n, s in wv.nearest(w, 6)))

# %% [markdown]
# Family words sit with family words, numbers with numbers, parts of the body with parts
# of the body. The same words with random vectors have random neighbours:

# %%
g = torch.Generator().manual_seed(0)
random_wv = WordVectors(wv.words, torch.randn(len(wv), wv.dim, generator=g))
for w in ["father", "eye", "three"]:
    print(f"{w:>7}: " + ", ".join(f"{n} {s:.2f}" for n, s in random_wv.nearest(w, 6)))

# %% [markdown]
# The PCA picture of five groups of words: the groups form clusters, and the model was
# never told the groups. With all 64 dimensions, words of the same group are much closer
# to each other than to the words of the other groups (the numbers under the picture).

# %%
groups = {"family": ["father", "mother", "son", "daughter", "brother", "sister", "uncle", "wife", "husband"],
          "numbers": ["one", "two", "three", "four", "five", "six", "ten", "twenty", "hundred", "thousand"],
          "body": ["eye", "ear", "hand", "head", "heart", "tongue", "face", "lips", "arm"],
          "time": ["night", "day", "morning", "hour", "year", "morrow", "week"],
          "rank": ["king", "queen", "prince", "duke", "lord", "lady", "earl"]}
words = [w for ws in groups.values() for w in ws]
labels = [g for g, ws in groups.items() for _ in ws]
proj = pca_project(torch.stack([wv[w] for w in words]))
fig = plot_word_map(proj.points, words, labels, "Word vectors trained on Shakespeare (PCA to 2-D)")
unit_words = F.normalize(torch.stack([wv[w] for w in words]), dim=1)
cos_words = unit_words @ unit_words.T
same_group = torch.tensor([[a == b for b in labels] for a in labels]) & ~torch.eye(len(words), dtype=torch.bool)
other_group = torch.tensor([[a != b for b in labels] for a in labels])
print(f"average cosine similarity: same group {cos_words[same_group].mean():.3f}, "
      f"different groups {cos_words[other_group].mean():.3f}")

# %% [markdown]
# ### What a small corpus does not show
#
# Our corpus has under 300,000 words; the famous word2vec results came from billions. So
# test the famous claim, king − man + woman ≈ queen, and report where `queen` lands among
# all 4,000 words (rank 1 = nearest; the three input words are left out).

# %%
target = wv.analogy_vector("man", "king", "woman")
rank = wv.rank("queen", target, exclude=("man", "king", "woman"))
print(f"king - man + woman: queen is number {rank} of {len(wv):,}")
print("nearest:", ", ".join(f"{w} {s:.2f}" for w, s in wv.analogy("man", "king", "woman", 5)))
print(f"without the arithmetic, queen is number {wv.rank('queen', wv['king'], exclude=('king',))} "
      f"nearest to king alone")
print(f"with random vectors: queen is number "
      f"{random_wv.rank('queen', random_wv.analogy_vector('man', 'king', 'woman'), exclude=('man', 'king', 'woman'))}")

# %% [markdown]
# More analogies "a is to b as c is to d", with the rank of the expected word `d`:

# %%
tests = [("man", "king", "woman", "queen"), ("he", "his", "she", "her"),
         ("man", "men", "woman", "women"), ("one", "two", "three", "four"),
         ("good", "better", "bad", "worse"), ("father", "son", "mother", "daughter"),
         ("lord", "lady", "king", "queen"), ("day", "night", "morning", "evening")]
count = dict(zip(wv.words, wv.counts))
for a_, b_, c_, d_ in tests:
    r = wv.rank(d_, wv.analogy_vector(a_, b_, c_), exclude=(a_, b_, c_))
    best = wv.analogy(a_, b_, c_, 1)[0][0]
    rarest = min(count[w] for w in (a_, b_, c_, d_))
    print(f"{a_:>6} : {b_:<6} = {c_:>7} : {d_:<9} rank {r:>4}   nearest: {best:<9} "
          f"rarest of the four words: {rarest:>5} times")

# %% [markdown]
# What this shows, honestly:
#
# - `queen` lands near the top, but `king` and `queen` were already neighbours without any
#   arithmetic, and names from the history plays (`richard`, `elizabeth`) come first. The
#   arithmetic helped a little; it did not "find" the queen on its own.
# - Some analogies work (he : his = she : her, man : men = woman : women); others fail
#   badly (father : son = mother : daughter). How often the words occur does not decide
#   it alone (see the last column). With this little text, one analogy proves little
#   either way.
# - Neighbours often reflect **who appears together** in a play, not meaning:
#   `wv.nearest("hamlet")` lists characters of *Hamlet*. The vectors learn the company a
#   word keeps, and in a small corpus that company is often one scene.
# - Unknown words are not in the table at all: `wv["computer"]` raises an error that names
#   the word.

# %%
try:
    wv["computer"]
except KeyError as err:
    print(f"{type(err).__name__}: {err}")
print("hamlet:", ", ".join(w for w, _ in wv.nearest("hamlet", 6)))

# %% [markdown]
# ### Exercise 3: the nearest vectors
#
# Write `my_most_similar(query, vectors, k)`: return the indices of the `k` rows of
# `vectors` (shape `(N, D)`) with the highest cosine similarity to `query` (shape `(D,)`),
# most similar first.

# %%
def my_most_similar(query, vectors, k):
    # TODO: cosine similarity of every row with query, then the k largest, largest first
    raise NotImplementedError


check_most_similar(my_most_similar)

# %% [solution]
def solution_most_similar(query, vectors, k):
    sims = (vectors @ query) / (vectors.norm(dim=1) * query.norm())   # (N,)
    return torch.topk(sims, k).indices


check_most_similar(solution_most_similar)

# %% [markdown]
# The solution finds the same neighbours as the library's `wv.nearest` (which leaves out
# the word itself). Once your check passes, put `my_most_similar` in its place and run the
# cell again: it gives the same list.

# %%
rows = solution_most_similar(wv["night"], wv.vectors, 4)
print([wv.words[i] for i in rows.tolist()], "=", ["night"] + [w for w, _ in wv.nearest("night", 3)])

# %% [markdown]
# ## Summary
#
# - A token ID is a name; one-hot vectors avoid a false order but are long, sparse and
#   all equally far apart.
# - `nn.Embedding(vocab_size, n_embd)` is a table with one learned row per token; a lookup
#   equals one-hot × weight.
# - The table has `vocab_size × n_embd` parameters (38,597,376 for GPT-2 small); more
#   dimensions cost memory and time, and help less and less.
# - Cosine similarity compares directions; distance also sees length.
# - Embeddings start random. Training makes them meaningful: similar characters and words
#   end up close, as far as the data allows.
#
# **Next:** [Lesson 02: The bigram model](02_bigram.ipynb) trains its first embedding
# table, one that predicts the next character.
