"""Byte-level byte-pair encoding (BPE): the subword tokenizer of GPT-2. BPETokenizer follows
the Tokenizer protocol (tokenizer.py), as CharTokenizer does.

Lesson 10 builds each step by hand; this module is the version the rest of the course uses.

    tok = BPETokenizer.train(text, vocab_size=512, special_tokens=["<|endoftext|>"])
    ids = tok.encode("To be, or not to be")      # list of ints, fewer than the characters
    tok.decode(ids) == "To be, or not to be"     # the round trip is exact for every text

How it works:

- **Bytes as the base.** The text is encoded as UTF-8, so the first 256 token IDs are the
  256 possible bytes and no text is ever out of the vocabulary (`è` is 2 bytes, an emoji 4).
- **Training** counts every pair of adjacent tokens, merges the most frequent pair into a
  new token (ID 256, then 257, ...) and repeats until the vocabulary is full. Counts are
  kept up to date incrementally (only the neighbours of each merged pair change), so
  training on the 1.5 MB course corpus takes seconds, not hours.
- **Ties** (two pairs with the same count) go to the pair that sorts first by the IDs of
  its two tokens, (first, second): the result never depends on dictionary order or on the
  machine. `base_order` changes how the 256 bytes sort; the Hugging Face `tokenizers`
  library sorts them by its printable stand-in characters (see lessons/hf_bpe.py).
- **Pre-splitting.** Before counting, a regular expression cuts the text into pieces
  (GPT-2's pattern: words with their leading space, numbers, punctuation, whitespace), and
  pairs are counted only inside a piece, so no token glues the end of one word to the
  start of the next. `pattern=None` turns it off: the text is one long piece.
- **Special tokens** such as `<|endoftext|>` get the last IDs. They are cut out of the text
  before anything else, so no merge ever contains one. Like tiktoken, encode() refuses a
  special token found in ordinary text (a user can type "<|endoftext|>") unless the caller
  allows it (`allowed_special`), and then turns each occurrence into its one ID.
- **Encoding** applies the merges in the order they were learned, every occurrence of one
  merge before the next, exactly as training did; **decoding** joins the bytes of the
  tokens and reads them as UTF-8.

The vocabulary size is 256 + (number of merges) + (number of special tokens): GPT-2 has
256 + 50,000 + 1 = 50,257.

A checkpoint stores `to_dict()`: {"kind": "bpe", "merges": [[a, b], ...], ...}, plain JSON.
"""

from __future__ import annotations

import functools

import heapq
from collections import Counter
from collections.abc import Iterable, Sequence

import regex

from ..i18n import N_, _
from . import validate
from .defaults import TRAIN_FRACTION

# GPT-2's pre-splitting pattern (the same one `tokenizers`' ByteLevel pre-tokenizer uses):
# English contractions, a word with its leading space, a number, a run of punctuation, and
# whitespace (a run of spaces keeps its last space for the word after it: `\s+(?!\S)`).
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
ENDOFTEXT = "<|endoftext|>"
N_BYTES = 256
FORMAT_VERSION = 1
# from_dict refuses a stored vocab_size that its merges and special tokens do not make
VOCAB_SIZE_DAMAGED = N_("the stored BPE tokenizer says vocab_size={stored!r} but its merges and "
                        "special tokens make {made}; the tokenizer file is damaged")
_CACHE_LIMIT = 200_000       # pieces whose encoding encode() remembers
# Bounds on what a tokenizer (a tokenizer.json from a stranger) may make us build: GPT-2's
# 50,000 merges hold about 0.3 MB of token bytes; cl100k_base has 100,000 merges.
MAX_MERGES = 1_000_000
MAX_TOKEN_BYTES = 16_000_000   # all merged tokens' bytes together
MAX_SPECIAL_TOKENS = 1_000
MAX_SPECIAL_CHARS = 256        # characters of one special token
PATTERN_SECONDS = 10.0         # a pattern other than GPT-2's gets this long per text, plus
PATTERN_SECONDS_PER_MB = 10.0  # this per million characters, before encode() gives up
PATTERN_TEST_SECONDS = 2.0     # a stored pattern must cut a short test text in this time
_PATTERN_TEST = ("Hello, world! It's 2024: 42 apples cost $3.50.\n\tCafé 你好 🙂 "
                 + "a" * 64 + " " + "1" * 64 + "!" * 64 + " " * 64 + "\n")


class _Pieces:
    """Many short token sequences in one doubly linked list, with an index of where each pair sits.

    A piece with weight w stands for w copies of it (a word seen w times). Pairs never
    cross from one piece into the next. With `counting`, `counts[pair]` is the number of
    occurrences of the pair, weighted, kept exact through every merge.
    """

    def __init__(self, pieces: Iterable[bytes | Sequence[int]], weights: Iterable[int] | None = None,
                 counting: bool = False):
        self.tokens: list[int] = []   # token at each position; -1 once merged into its left
        self.nxt: list[int] = []      # next position in the same piece, or -1
        self.prv: list[int] = []      # previous position in the same piece, or -1
        self.weight: list[int] = []
        self.starts: list[int] = []   # first position of each piece
        self.where: dict[tuple[int, int], list[int]] = {}   # pair -> positions (some stale)
        self.counts: Counter | None = Counter() if counting else None
        weights = iter(weights) if weights is not None else None
        for piece in pieces:
            w = next(weights) if weights is not None else 1
            start = len(self.tokens)
            self.starts.append(start)
            n = len(piece)
            self.tokens.extend(piece)
            self.weight.extend([w] * n)
            self.prv.extend(range(start - 1, start + n - 1))
            self.nxt.extend(range(start + 1, start + n + 1))
            if n:
                self.prv[start] = -1
                self.nxt[start + n - 1] = -1
            for i in range(start, start + n - 1):
                pair = (self.tokens[i], self.tokens[i + 1])
                self.where.setdefault(pair, []).append(i)
                if counting:
                    self.counts[pair] += w

    def merge(self, pair: tuple[int, int], new: int) -> set[tuple[int, int]]:
        """Replace every occurrence of `pair`, left to right, by the token `new`.

        Returns the pairs whose count changed (for the caller's priority queue).
        """
        a, b = pair
        tokens, nxt, prv, where, counts = self.tokens, self.nxt, self.prv, self.where, self.counts
        changed = set()
        # Left to right, so in "aaa" the first two merge and the third stays (as in training).
        for i in sorted(set(where.pop(pair, ()))):
            j = nxt[i]
            if tokens[i] != a or j < 0 or tokens[j] != b:
                continue              # a stale entry: this pair was merged away earlier
            p, k = prv[i], nxt[j]
            if p >= 0:
                left = tokens[p]
                where.setdefault((left, new), []).append(p)
                if counts is not None:
                    w = self.weight[i]
                    counts[(left, a)] -= w
                    counts[(left, new)] += w
                    changed.update(((left, a), (left, new)))
            if k >= 0:
                right = tokens[k]
                where.setdefault((new, right), []).append(i)
                if counts is not None:
                    w = self.weight[i]
                    counts[(b, right)] -= w
                    counts[(new, right)] += w
                    changed.update(((b, right), (new, right)))
            if counts is not None:
                counts[pair] -= self.weight[i]
            tokens[i], tokens[j] = new, -1
            nxt[i] = k
            if k >= 0:
                prv[k] = i
        if counts is not None:
            changed.add(pair)
            for q in changed:
                if counts[q] <= 0:
                    del counts[q]
        return changed

    def piece(self, n: int) -> list[int]:
        """The tokens of piece number n, in order."""
        out, i = [], self.starts[n]
        if i >= len(self.tokens):
            return out
        while i >= 0:
            out.append(self.tokens[i])
            i = self.nxt[i]
        return out

    def __len__(self) -> int:
        return len(self.starts)


class BPETokenizer:
    """A byte-level BPE tokenizer: 256 byte tokens, then one token per merge, then special tokens.

    Build one with `BPETokenizer.train(text, vocab_size)`, or from stored merges. The
    interface is CharTokenizer's: encode, decode, vocab_size, to_dict, from_dict.
    """

    def __init__(self, merges: Iterable[Sequence[int]] = (), special_tokens: Iterable[str] = (),
                 pattern: str | None = GPT2_PATTERN):
        merges = [tuple(m) if isinstance(m, (list, tuple)) else m for m in merges]
        special_tokens = list(special_tokens)
        _validate_sizes(merges, special_tokens)     # before any token's bytes are built
        vocab = [bytes([b]) for b in range(N_BYTES)]
        ranks: dict[tuple[int, int], int] = {}
        for rank, m in enumerate(merges):
            if (not isinstance(m, tuple) or len(m) != 2
                    or not all(validate.is_whole(t) for t in m)):
                raise ValueError(_("merge {rank} is {merge!r}; each merge is a pair of two "
                                   "token IDs [a, b]. The merges are damaged").format(
                    rank=rank, merge=m))
            new = N_BYTES + rank
            if not all(0 <= t < new for t in m):
                raise ValueError(_("merge {rank} is {merge}, but it makes token {new} and may "
                                   "only join tokens that exist before it (IDs 0 to {last}). "
                                   "The merges are damaged or out of order").format(
                    rank=rank, merge=list(m), new=new, last=new - 1))
            if m in ranks:
                raise ValueError(_("merge {rank} {merge} repeats merge {earlier}; each pair is "
                                   "merged once. The merges are damaged").format(
                    rank=rank, merge=list(m), earlier=ranks[m]))
            ranks[m] = rank
            vocab.append(vocab[m[0]] + vocab[m[1]])
        special_tokens = list(special_tokens)
        for s in special_tokens:
            if not isinstance(s, str) or not s:
                raise ValueError(_("a special token is a non-empty string such as "
                                   "{example!r}, got {value!r}").format(example=ENDOFTEXT,
                                                                        value=s))
        if len(set(special_tokens)) != len(special_tokens):
            raise ValueError(_("the special tokens {tokens} list one twice; give distinct "
                               "ones").format(tokens=special_tokens))
        if pattern is not None and not isinstance(pattern, str):
            raise TypeError(_("pattern is a regular expression (a string) or None, got "
                              "{kind}").format(kind=type(pattern).__name__))
        try:
            self._split = regex.compile(pattern) if pattern is not None else None
        except regex.error as err:
            raise ValueError(_("the pre-splitting pattern {pattern!r} is not a valid regular "
                               "expression ({err})").format(pattern=pattern, err=err)) from None
        # GPT-2's pattern is known to take time in proportion to the text; any other gets a
        # time limit in every search (a pattern can backtrack for hours on a crafted text)
        self._split_timeout = pattern not in (GPT2_PATTERN, None)
        self.merges: list[tuple[int, int]] = merges
        self.ranks = ranks
        self.vocab: list[bytes] = vocab            # bytes of every non-special token, by ID
        self.pattern = pattern
        first_special = N_BYTES + len(merges)
        self.special_tokens: dict[str, int] = {s: first_special + i
                                               for i, s in enumerate(special_tokens)}
        self._special_ids = {i: s for s, i in self.special_tokens.items()}
        # longest first, so "<|endoftext|>" wins over a shorter special token inside it
        self._special_split = (regex.compile("(" + "|".join(regex.escape(s) for s in sorted(
            special_tokens, key=len, reverse=True)) + ")") if special_tokens else None)
        self._cache: dict[bytes, list[int]] = {}

    # ------------------------------------------------------------------ training

    @classmethod
    def train(cls, text: str, vocab_size: int, special_tokens: Iterable[str] = (),
              pattern: str | None = GPT2_PATTERN, min_count: int = 2,
              base_order: Sequence[int] | None = None) -> BPETokenizer:
        """Learn merges from `text` until there are `vocab_size` tokens (specials included).

        Each step merges the most frequent adjacent pair; a tie goes to the pair that sorts
        first by (first token, second token), where the 256 bytes sort by `base_order[b]`
        (default: the byte value) and every merged token sorts after them, in the order it
        was made. A pair must occur at least `min_count` times to be merged.

        Raises ValueError when vocab_size is below 256 + the special tokens, or above what
        the text can make (no pair occurs `min_count` times any more): the message gives the
        largest vocab_size this text allows.
        """
        if not isinstance(text, str) or not text:
            raise ValueError(_("train needs a non-empty string to learn the merges from"))
        special_tokens = list(special_tokens)
        smallest = N_BYTES + len(special_tokens)
        if not validate.is_whole(vocab_size) or vocab_size < smallest:
            if special_tokens:
                raise ValueError(_(
                    "vocab_size must be an integer >= {smallest} (the 256 byte tokens + "
                    "{n_special} special), got {value!r}; a byte-level BPE never has fewer "
                    "tokens than bytes").format(smallest=smallest, n_special=len(special_tokens),
                                                value=vocab_size))
            raise ValueError(_(
                "vocab_size must be an integer >= {smallest} (the 256 byte tokens), got "
                "{value!r}; a byte-level BPE never has fewer tokens than bytes").format(
                smallest=smallest, value=vocab_size))
        validate.positive_int("min_count", min_count)
        order = list(range(N_BYTES)) if base_order is None else list(base_order)
        if sorted(order) != sorted(set(order)) or len(order) != N_BYTES:
            raise ValueError(_("base_order gives each of the 256 bytes a distinct sort key"))
        empty = cls([], special_tokens, pattern)          # checks the specials and the pattern
        n_merges = vocab_size - smallest
        words = Counter(empty._chunks(text, specials=False))
        pieces = _Pieces((w.encode("utf-8") for w in words), words.values(), counting=True)

        key = order.copy()          # the sort key of every token ID, merged tokens appended
        after_bytes = max(key) + 1

        def entry(pair):
            return (-pieces.counts[pair], key[pair[0]], key[pair[1]], pair)

        heap = [entry(p) for p in pieces.counts]
        heapq.heapify(heap)
        merges: list[tuple[int, int]] = []
        while len(merges) < n_merges:
            # The queue holds old entries too: take the top one whose count is current.
            while heap and (heap[0][3] not in pieces.counts
                            or -heap[0][0] != pieces.counts[heap[0][3]]):
                heapq.heappop(heap)
            if not heap or -heap[0][0] < min_count:
                most = N_BYTES + len(merges) + len(special_tokens)
                raise ValueError(_(
                    "vocab_size={vocab_size} is more than this text can make: after {n_merges} "
                    "merges no pair of tokens occurs {min_count} times or more "
                    "(min_count={min_count}). Use vocab_size <= {most}, or a longer "
                    "text").format(vocab_size=vocab_size, n_merges=len(merges),
                                   min_count=min_count, most=most))
            pair = heapq.heappop(heap)[3]
            new = N_BYTES + len(merges)
            merges.append(pair)
            key.append(after_bytes + len(merges))   # made later, sorts later
            for q in pieces.merge(pair, new):
                if q in pieces.counts:
                    heapq.heappush(heap, entry(q))
        return cls(merges, special_tokens, pattern)

    # ------------------------------------------------------------------ encoding

    def _chunks(self, text: str, specials: bool = True) -> list[str]:
        """The text cut at special tokens, then by the pattern: the pieces merges stay inside.

        With specials=True the special tokens are kept as pieces of their own; with False
        they are dropped (training never merges across or into one).
        """
        return [c for _kind, c in self._marked_chunks(text, self._special_split, specials)]

    def _marked_chunks(self, text: str, split, specials: bool = True) -> list[tuple[bool, str]]:
        """(is a special token, piece) for each piece, cutting only at what `split` matches."""
        parts = split.split(text) if split else [text]
        out = []
        for n, part in enumerate(parts):
            if n % 2:                                   # the separators: special tokens
                if specials:
                    out.append((True, part))
            elif part:
                out.extend((False, p) for p in (self._split_pieces(part) if self._split
                                                else [part]))
        return out

    def _split_pieces(self, text: str, timeout: float | None = None) -> list[str]:
        """`text` cut by the pre-splitting pattern. The text between two matches (which a
        pattern that does not cover every character leaves) is a piece of its own, so no
        character is ever dropped and decode(encode(text)) == text for every pattern."""
        if self.pattern == GPT2_PATTERN:      # covers every character, never matches empty
            return self._split.findall(text)
        kw = {}
        if self._split_timeout:
            kw["timeout"] = timeout or PATTERN_SECONDS + PATTERN_SECONDS_PER_MB * len(text) / 1e6
        out, end = [], 0
        try:
            for m in self._split.finditer(text, **kw):
                if m.end() == m.start():
                    continue                 # an empty match cuts nothing
                if m.start() > end:
                    out.append(text[end:m.start()])
                out.append(m.group())
                end = m.end()
        except TimeoutError:
            raise ValueError(_("the pre-splitting pattern {pattern!r} took more than "
                               "{seconds:.0f} s on a text of {n:,} characters: it backtracks "
                               "without end on such text. Use the GPT-2 pattern (the default) "
                               "or pattern=None").format(pattern=self.pattern,
                                                         seconds=kw["timeout"],
                                                         n=len(text))) from None
        if end < len(text):
            out.append(text[end:])
        return out

    def _encode_pieces(self, pieces: list[bytes]) -> list[list[int]]:
        """Apply every merge in order to each piece (a list of bytes objects)."""
        linked = _Pieces(pieces)
        for rank, pair in enumerate(self.merges):
            if pair in linked.where:
                linked.merge(pair, N_BYTES + rank)
        return [linked.piece(n) for n in range(len(linked))]

    def _special_sets(self, allowed_special, disallowed_special) -> tuple[set, set]:
        """The special tokens to encode as their IDs, and those to refuse (tiktoken's rules)."""
        known = set(self.special_tokens)

        def as_set(value, name):
            if value == "all":
                return set(known)
            if isinstance(value, str):
                raise TypeError(_("{name} is 'all' or a set of special tokens such as "
                                  "{{'{example}'}}, got the string {value!r}").format(
                    name=name, example=ENDOFTEXT, value=value))
            chosen = set(value)
            unknown = chosen - known
            if unknown:
                raise ValueError(_("{name} names {unknown}, which this tokenizer does not "
                                   "have; its special tokens are {known}").format(
                    name=name, unknown=sorted(unknown), known=sorted(known)))
            return chosen

        allowed = as_set(allowed_special, "allowed_special")
        disallowed = (known - allowed if disallowed_special == "all"
                      else as_set(disallowed_special, "disallowed_special") - allowed)
        return allowed, disallowed

    def encode(self, text: str, allowed_special=(), disallowed_special="all") -> list[int]:
        """Turn a string into a list of token IDs (every text can be encoded).

        Special tokens follow tiktoken's rules. A special token written in the text (a user
        can type "<|endoftext|>") is refused with ValueError unless it is in
        `allowed_special` ("all" or a set), which turns each occurrence into its one ID;
        with disallowed_special=() it is encoded as plain text, byte by byte like any other.
        Raises TypeError for a non-string.
        """
        if not isinstance(text, str):
            raise TypeError(_("encode expects a string, got {kind}; to decode IDs back to "
                              "text, use decode()").format(kind=type(text).__name__))
        _refuse_surrogates(text)
        allowed, disallowed = self._special_sets(allowed_special, disallowed_special)
        for s in sorted(disallowed, key=len, reverse=True):
            where = text.find(s)
            if where >= 0:
                raise ValueError(_(
                    "the text holds the special token {token!r} (at character {where:,}); typed "
                    "into ordinary text it would act as a document boundary. If you put it "
                    "there on purpose, pass allowed_special={{{token!r}}} (or 'all'); to encode "
                    "it as plain text, pass disallowed_special=()").format(token=s, where=where))
        split = (self._special_split if allowed == set(self.special_tokens)
                 else self._split_at(frozenset(allowed)))
        chunks = self._marked_chunks(text, split)
        cache, special = self._cache, self.special_tokens
        todo = list({c.encode("utf-8", "surrogatepass") for is_special, c in chunks
                     if not is_special} - cache.keys())
        if todo:
            if len(cache) + len(todo) > _CACHE_LIMIT:
                cache.clear()
            cache.update(zip(todo, self._encode_pieces(todo)))
        ids: list[int] = []
        for is_special, c in chunks:
            if is_special:
                ids.append(special[c])
            else:
                ids.extend(cache[c.encode("utf-8", "surrogatepass")])
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        return ids

    @staticmethod
    @functools.lru_cache(maxsize=16)
    def _split_at(specials: frozenset):
        """A regex that cuts a text at these special tokens (longest first), or None."""
        if not specials:
            return None
        return regex.compile("(" + "|".join(regex.escape(s) for s in sorted(
            specials, key=len, reverse=True)) + ")")

    def pair_counts(self, text: str) -> Counter:
        """How often each pair of adjacent tokens occurs in the encoded text, inside pieces.

        These are the counts training looked at when it chose the next merge.
        """
        words = Counter(self._chunks(text, specials=False))
        counts: Counter = Counter()
        for (word, n), ids in zip(words.items(), self._encode_pieces(
                [w.encode("utf-8", "surrogatepass") for w in words])):
            for pair in zip(ids, ids[1:]):
                counts[pair] += n
        return counts

    # ------------------------------------------------------------------ decoding

    def _checked_ids(self, ids) -> list[int]:
        return validate.token_ids(ids, self.vocab_size)

    def token_bytes(self, i: int) -> bytes:
        """The bytes token `i` stands for (a special token: its UTF-8 text)."""
        (i,) = self._checked_ids([i])
        return self._special_ids[i].encode("utf-8") if i in self._special_ids else self.vocab[i]

    def decode(self, ids) -> str:
        """Turn a list (or 1-D tensor) of token IDs back into a string.

        The bytes of all tokens are joined first and then read as UTF-8, so a character
        split over two tokens comes back whole. Bytes that are not valid UTF-8 (a model can
        generate those) become U+FFFD, the replacement character, instead of an error.
        """
        ids = self._checked_ids(ids)
        data = b"".join(self._special_ids[i].encode("utf-8") if i in self._special_ids
                        else self.vocab[i] for i in ids)
        return data.decode("utf-8", errors="replace")

    def pieces(self, text: str, allowed_special=(), disallowed_special="all") -> list[str]:
        """The text as the tokens encode() makes of it, each one decoded on its own.

        A token that holds only part of a character shows as U+FFFD. The special-token
        arguments are encode()'s.
        """
        return [self.token_bytes(i).decode("utf-8", errors="replace")
                for i in self.encode(text, allowed_special, disallowed_special)]

    # ------------------------------------------------------------------ sizes, storage

    @property
    def vocab_size(self) -> int:
        return N_BYTES + len(self.merges) + len(self.special_tokens)

    def to_dict(self) -> dict:
        """What a checkpoint stores (tokenizer.json): plain JSON, no pickles.

        {"kind": "bpe", "version": 1, "vocab_size": ..., "merges": [[a, b], ...],
         "special_tokens": ["<|endoftext|>"], "pattern": "..." or null}
        """
        return {"kind": "bpe", "version": FORMAT_VERSION, "vocab_size": self.vocab_size,
                "merges": [list(m) for m in self.merges],
                "special_tokens": list(self.special_tokens), "pattern": self.pattern}

    @classmethod
    def from_dict(cls, d: dict) -> BPETokenizer:
        """The tokenizer that to_dict described. Raises ValueError naming what is damaged."""
        if not isinstance(d, dict) or d.get("kind") != "bpe":
            raise ValueError(_('a BPE tokenizer is stored as {"kind": "bpe", "merges": [...], '
                               '...}; this is not one'))
        if d.get("version") != FORMAT_VERSION:
            raise ValueError(_("BPE tokenizer format version {version!r} is not supported "
                               "(this course_lib reads version {supported})").format(
                version=d.get("version"), supported=FORMAT_VERSION))
        for name, kind in (("merges", list), ("special_tokens", list)):
            if not isinstance(d.get(name), kind):
                raise ValueError(_('the stored BPE tokenizer has no list of "{name}"; the '
                                   'tokenizer file is damaged').format(name=name))
        if "pattern" not in d:
            raise ValueError(_('the stored BPE tokenizer has no "pattern" (null for none); the '
                               'tokenizer file is damaged'))
        pattern = d["pattern"]
        if d.get("vocab_size") != N_BYTES + len(d["merges"]) + len(d["special_tokens"]):
            raise ValueError(_(VOCAB_SIZE_DAMAGED).format(
                stored=d.get("vocab_size"),
                made=N_BYTES + len(d["merges"]) + len(d["special_tokens"])))
        tok = cls(d["merges"], d["special_tokens"], pattern)
        if pattern not in (GPT2_PATTERN, None):      # a stranger's pattern: try it first
            tok._split_pieces(_PATTERN_TEST, timeout=PATTERN_TEST_SECONDS)
        if d.get("vocab_size") != tok.vocab_size:
            raise ValueError(_(VOCAB_SIZE_DAMAGED).format(stored=d.get("vocab_size"),
                                                          made=tok.vocab_size))
        return tok

    def __repr__(self) -> str:
        return (f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, "
                f"special_tokens={list(self.special_tokens)}, "
                f"pre_split={'GPT-2' if self.pattern == GPT2_PATTERN else self.pattern is not None})")

    def __eq__(self, other) -> bool:
        return (isinstance(other, BPETokenizer) and self.merges == other.merges
                and self.special_tokens == other.special_tokens and self.pattern == other.pattern)

    __hash__ = None


def _validate_sizes(merges: list, special_tokens: list) -> None:
    """Refuse merges and special tokens that would take unbounded memory or time to build,
    counting token lengths (not bytes) first: 60 merges that each double a token would make
    one of 2**60 bytes."""
    if len(merges) > MAX_MERGES:
        raise ValueError(_("{n:,} merges is more than the {most:,} a course tokenizer may "
                           "have (GPT-2 has 50,000); the merges are damaged").format(
            n=len(merges), most=MAX_MERGES))
    if len(special_tokens) > MAX_SPECIAL_TOKENS:
        raise ValueError(_("{n:,} special tokens is more than the {most:,} a course "
                           "tokenizer may have (GPT-2 has 1); give fewer").format(
            n=len(special_tokens), most=MAX_SPECIAL_TOKENS))
    long = [s for s in special_tokens if isinstance(s, str) and len(s) > MAX_SPECIAL_CHARS]
    if long:
        raise ValueError(_("a special token has {n:,} characters, more than the {most} one "
                           "may have; give shorter ones such as {example!r}").format(
            n=len(long[0]), most=MAX_SPECIAL_CHARS, example=ENDOFTEXT))
    length, total = [1] * N_BYTES, 0
    for m in merges:
        if (isinstance(m, tuple) and len(m) == 2 and all(validate.is_whole(t) for t in m)
                and all(0 <= t < len(length) for t in m)):
            n = length[m[0]] + length[m[1]]
        else:
            n = 2                            # not a merge: __init__ names the problem
        length.append(n)
        total += n
        if total > MAX_TOKEN_BYTES:
            raise ValueError(_("the merges make tokens of more than {most:,} bytes in all "
                               "(merge {merge} makes a token of {n:,} bytes); real "
                               "vocabularies hold far less (GPT-2's: about 300,000 bytes). The "
                               "merges are damaged").format(
                most=MAX_TOKEN_BYTES, merge=len(length) - N_BYTES - 1, n=n))


def _refuse_surrogates(text: str) -> None:
    """A lone surrogate (U+D800 to U+DFFF) is not a character: text that holds one was read
    with the wrong encoding (Python keeps bytes it cannot read as U+DC80 to U+DCFF under a
    locale that is not UTF-8). Encoding it would make wrong tokens without a word."""
    m = regex.search(r"[\ud800-\udfff]", text)
    if m is not None:
        raise ValueError(_("the text holds U+{code:04X} at position {pos}, half of a "
                           "surrogate pair and not a character: bytes that were read with an "
                           "encoding other than UTF-8 (a terminal or locale that is not "
                           "UTF-8). Read the text as UTF-8, for example "
                           "os.fsencode(text).decode('utf-8'), or set LC_ALL=C.UTF-8").format(
            code=ord(m.group()), pos=m.start()))


TOKENIZERS = ("char", "bpe")


def build_tokenizer(kind: str, text: str, vocab_size: int | None = None,
                    special_tokens: Iterable[str] = (ENDOFTEXT,),
                    train_fraction: float = TRAIN_FRACTION):
    """The tokenizer a command trains with: "char" (vocab_size must be None) or "bpe".

    For "bpe", vocab_size is required (512 to 2048 suit the course corpus) and the merges are
    learned from the first `train_fraction` of the text only, so the validation text stays
    unseen by the tokenizer too. Raises ValueError naming the problem and the flag to fix.
    """
    from .data import CharTokenizer
    validate.one_of("tokenizer", kind, TOKENIZERS)
    if kind == "char":
        if vocab_size is not None:
            raise ValueError(_("--vocab-size is for --tokenizer bpe; a character tokenizer "
                               "takes its vocabulary from the text"))
        return CharTokenizer.from_text(text)
    if vocab_size is None:
        special = list(special_tokens)
        if special:
            raise ValueError(_("--tokenizer bpe needs --vocab-size N (for example 512; at least "
                               "{smallest}: the {n_bytes} byte tokens + {n_special} special "
                               "({special}))").format(
                smallest=N_BYTES + len(special), n_bytes=N_BYTES, n_special=len(special),
                special=", ".join(special)))
        raise ValueError(_("--tokenizer bpe needs --vocab-size N (for example 512; at least "
                           "{smallest}: the {n_bytes} byte tokens)").format(
            smallest=N_BYTES + len(special), n_bytes=N_BYTES))
    validate.finite_number("train_fraction", train_fraction, above=0)
    if train_fraction > 1:
        raise ValueError(_("train_fraction must be at most 1, got {value}").format(
            value=train_fraction))
    return BPETokenizer.train(text[:max(1, int(train_fraction * len(text)))], vocab_size,
                              special_tokens=special_tokens)
