"""Lesson 10's exercise checks (notebooks/10_subword_tokens.ipynb): byte-pair encoding.

Token IDs 0-255 are the bytes; merge number i makes token 256 + i.

Their tests: tests/test_checks_l10_subword_tokens.py."""

from __future__ import annotations

from collections import Counter

from ...core.bpe import BPETokenizer
from ..sandbox import describe
from .answers import id_list, is_int
from .framework import Mistake, NotAttempted, attempt, call, exercise


def _pair_dict(out, what: str) -> dict:
    """The learner's pair counts as {(a, b): n}, or a Mistake that says what they were."""
    if isinstance(out, (list, tuple)) and out and all(isinstance(p, tuple) for p in out):
        raise Mistake(f"{what} returned a list of pairs; return a dict that maps each pair to "
                      f"how often it occurs (collections.Counter does the counting)")
    if not isinstance(out, dict):
        raise Mistake(f"{what} returned {describe(out)}; return a dict {{(a, b): count}}")
    result = {}
    for key, n in out.items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(is_int(t) for t in key)):
            raise Mistake(f"{what} has the key {key!r}; each key is a pair of two token IDs, a "
                          f"tuple such as (104, 101)")
        if not is_int(n):
            raise Mistake(f"{what} maps {key} to {describe(n)}; a count is an int")
        result[(int(key[0]), int(key[1]))] = int(n)
    return result


def _reference_counts(ids) -> dict:
    return dict(Counter(zip(ids, ids[1:])))


def _reference_counts_stepping(ids) -> dict:
    return dict(Counter(zip(ids[::2], ids[1::2])))


@exercise
def check_count_pairs(count_pairs) -> str:
    """count_pairs(ids) -> {(a, b): count} of every adjacent pair of the list ids."""
    hint = "zip(ids, ids[1:]) gives every adjacent pair; collections.Counter counts them"
    cases = [[1, 2, 1, 2, 3, 1, 2], [5, 5, 5], list("hello world".encode()), [7], []]
    for ids in cases:
        got = _pair_dict(call(count_pairs, list(ids), hint=hint), f"count_pairs({ids})")
        want = _reference_counts(ids)
        if got == want:
            continue
        if got == {(b, a): n for (a, b), n in want.items()}:
            raise Mistake(f"count_pairs({ids}) gave the pairs reversed; a pair is "
                          f"(ids[i], ids[i + 1]), in the order of the text")
        if len(ids) > 1 and (ids[-1], ids[0]) in got and got.get((ids[-1], ids[0]), 0) > want.get(
                (ids[-1], ids[0]), 0):
            raise Mistake(f"count_pairs({ids}) counts the pair {(ids[-1], ids[0])} once too "
                          f"often: the last token and the first are not neighbours, do not "
                          f"wrap around")
        if len(ids) > 1 and got == _reference_counts(ids[:-1]):
            raise Mistake(f"count_pairs({ids}) left out the last pair {tuple(ids[-2:])}: the "
                          f"pairs start at positions 0 to len(ids) - 2")
        if got == _reference_counts_stepping(ids):
            raise Mistake(f"count_pairs({ids}) gave {got}: you moved on by 2 after each pair. "
                          f"Pairs overlap: in [5, 5, 5] the pair (5, 5) occurs twice "
                          f"(positions 0-1 and 1-2). Count at every position")
        if got == {p: 1 for p in want}:
            raise Mistake(f"count_pairs({ids}) gave {got}: each pair counted once; count how "
                          f"often each one occurs")
        raise Mistake(f"count_pairs({ids}) gave {got}, expected {want}")
    return "every adjacent pair counted, overlaps included, in a dict."


def _reference_merge(ids, pair, new_id) -> list:
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == tuple(pair):
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


@exercise
def check_merge(merge) -> str:
    """merge(ids, pair, new_id) -> a new list where every `pair`, left to right, is new_id."""
    hint = ("walk with an index i: where (ids[i], ids[i + 1]) == pair append new_id and move "
            "on by 2, else append ids[i] and move on by 1")
    cases = [([1, 2, 3, 1, 2], (1, 2), 9), ([1, 2, 3], (1, 2), 9), ([3, 1, 2, 1], (1, 2), 9),
             ([5, 5, 5], (5, 5), 9), ([5, 5, 5, 5], (5, 5), 9), ([2, 1], (1, 2), 9),
             ([4], (1, 2), 9), ([], (1, 2), 9)]
    for ids, pair, new_id in cases:
        got = id_list(call(merge, list(ids), pair, new_id, hint=hint), "merge")
        want = _reference_merge(ids, pair, new_id)
        if got == want:
            continue
        a, b = pair
        label = f"merge({ids}, {pair}, {new_id})"
        if got == [new_id if t == a else t for t in ids] or got == [
                new_id if t == a and i + 1 < len(ids) and ids[i + 1] == b else t
                for i, t in enumerate(ids)]:
            raise Mistake(f"{label} gave {got}: you put new_id in place of the first token but "
                          f"kept the second; a merge replaces both tokens, so skip the second "
                          f"(move on by 2)")
        if ids[:3] == [5, 5, 5] and got.count(new_id) > want.count(new_id):
            raise Mistake(f"{label} gave {got}: a token was used by two merges. After a merge "
                          f"move past both tokens, so in [5, 5, 5] only the first two merge")
        if len(got) == len(want) - 1 and got == want[:-1]:
            raise Mistake(f"{label} gave {got}: you dropped the last token {want[-1]}; when "
                          f"i is the last position, there is no pair left, but ids[i] still "
                          f"belongs in the result")
        if want.count(new_id) > 1 and got.count(new_id) == 1:
            raise Mistake(f"{label} gave {got}: you merged only the first occurrence; replace "
                          f"every one")
        if got == _reference_merge(ids, (b, a), new_id):
            raise Mistake(f"{label} gave {got}: you merged {(b, a)}, the pair reversed; the "
                          f"order inside a pair matters")
        raise Mistake(f"{label} gave {got}, expected {want}")
    return "every occurrence merged, left to right, and the rest kept in order."


def _toy_train(text: str, n_merges: int, pick: str = "smallest", update: bool = True,
               first_id: int = 256, id_step: int = 1) -> list:
    """BPE without pre-splitting, written the slow way, with a mistake chosen by the arguments."""
    ids, original, merges = list(text.encode("utf-8")), list(text.encode("utf-8")), []
    for i in range(n_merges):
        counts = Counter(zip(ids, ids[1:]))
        if not counts:
            break
        if pick == "smallest":
            pair = min(counts, key=lambda p: (-counts[p], p))
        elif pick == "first":
            pair = max(counts, key=counts.get)
        else:                                        # "rarest"
            pair = min(counts, key=lambda p: (counts[p], p))
        merges.append(pair)
        ids = _reference_merge(ids if update else original, pair, first_id + id_step * i)
    return merges


_TRAIN_TEXTS = [("aaabdaaabac", 3), ("to be or not to be, that is the question. to be", 10),
                ("hob dob hob dob cob", 6)]


@exercise
def check_train_bpe(train_bpe) -> str:
    """train_bpe(text, n_merges) -> [(a, b), ...]: merge i makes token 256 + i."""
    hint = ("start from ids = list(text.encode('utf-8')); then n_merges times: count, pick, "
            "append the pair, ids = merge(ids, pair, 256 + i)")
    for text, n in _TRAIN_TEXTS:
        out = call(train_bpe, text, n, hint=hint)
        if not isinstance(out, (list, tuple)):
            raise Mistake(f"train_bpe returned {describe(out)}; return the list of merged pairs")
        got = []
        for m in out:
            if not (isinstance(m, (tuple, list)) and len(m) == 2 and all(is_int(t) for t in m)):
                raise Mistake(f"train_bpe returned {m!r} among the merges; each merge is a "
                              f"pair (a, b) of token IDs")
            got.append((int(m[0]), int(m[1])))
        want = _toy_train(text, n)
        if got == want:
            continue
        label = f"train_bpe({text!r}, {n})"
        if len(got) != len(want):
            raise Mistake(f"{label} gave {len(got)} merges; asked for {n}")
        if got == _toy_train(text, n, pick="rarest"):
            raise Mistake(f"{label}: you merged the least frequent pair; merge the most "
                          f"frequent")
        if got == _toy_train(text, n, update=False):
            raise Mistake(f"{label}: your merges after the first come from the original text. "
                          f"After each merge, set ids = merge(ids, pair, new_id), so the next "
                          f"count sees the merged tokens")
        for first in (255, 257, 0, 1):
            if got == _toy_train(text, n, first_id=first):
                raise Mistake(f"{label}: your first merge makes token {first}; IDs 0-255 are the "
                              f"bytes, so merge i makes token 256 + i")
        if got == _toy_train(text, n, id_step=0):
            raise Mistake(f"{label}: every merge makes token 256; merge i makes token 256 + i, "
                          f"a new ID each time")
        if got == _toy_train(text, n, pick="first"):
            raise Mistake(f"{label}: on a tie (two pairs with the same count) you took the pair "
                          f"seen first; take the smallest pair, as course_lib does: "
                          f"min(counts, key=lambda p: (-counts[p], p))")
        step = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
        raise Mistake(f"{label}: merge {step} is {got[step]}, expected {want[step]} (the merges "
                      f"before it are right)")
    return "the same merges as course_lib's BPE, in the same order, with the same tie-break."


def _encode_cases():
    """(text, merges): merges trained on the text, on other text, and by hand (order matters)."""
    trained = _toy_train("to be or not to be, that is the question", 12)
    return [("Caffè latte", trained + [(195, 168)]), ("to be or not to be", trained),
            ("abc", [(97, 98), (98, 99)]), ("aaaaa", [(97, 97), (256, 97)]), ("", trained),
            ("x", trained)]


@exercise
def check_encode_bpe(encode) -> str:
    """encode(text, merges) -> ids: the UTF-8 bytes, then every merge applied in order."""
    hint = ("ids = list(text.encode('utf-8')); then for i, pair in enumerate(merges): "
            "ids = merge(ids, pair, 256 + i)")
    for text, merges in _encode_cases():
        got = id_list(call(encode, text, [tuple(m) for m in merges], hint=hint), "encode")
        want = BPETokenizer(merges, pattern=None).encode(text)
        if got == want:
            continue
        label = f"encode({text!r}, merges)"
        if got == list(text.encode("utf-8")):
            raise Mistake(f"{label} gave the bytes without merging; apply every merge, in order")
        if got == [ord(c) for c in text]:
            raise Mistake(f"{label} gave {got}: you used ord(c), the character's number in "
                          f"Unicode, and no merges. Start from the UTF-8 bytes, "
                          f"list(text.encode('utf-8')): 'è' is the two bytes [195, 168]")
        start = [ord(c) for c in text]
        applied = start
        for i, pair in enumerate(merges):
            applied = _reference_merge(applied, pair, 256 + i)
        if got == applied:
            raise Mistake(f"{label}: you started from ord(c) of each character; start from the "
                          f"UTF-8 bytes, list(text.encode('utf-8')) ('è' is two bytes)")
        backwards = list(text.encode("utf-8"))
        for i in reversed(range(len(merges))):
            backwards = _reference_merge(backwards, merges[i], 256 + i)
        if got == backwards:
            raise Mistake(f"{label} gave {got}: you applied the merges from the last to the "
                          f"first; apply them in the order they were learned, merge 0 first")
        raise Mistake(f"{label} gave {got}, expected {want}")
    return "the UTF-8 bytes, then each merge in the order it was learned."


@exercise
def check_decode_bpe(decode) -> str:
    """decode(ids, vocab) -> str: join the bytes vocab[i] of all tokens, then read UTF-8."""
    merges = _toy_train("to be or not to be, that is the question", 12)
    tok = BPETokenizer(merges + [(195, 168)], pattern=None)      # 'è' is one token here
    vocab = list(tok.vocab)
    hint = ("join the bytes of all tokens first, then decode once: "
            "b''.join(vocab[i] for i in ids).decode('utf-8', errors='replace')")
    cases = [tok.encode("to be or not to be"), tok.encode("Caffè"),
             [67, 97, 102, 102, 195, 168], [], [0xFF, 97]]
    for ids in cases:
        want = tok.decode(ids)
        label = f"decode({ids}, vocab)"
        out = attempt(decode, list(ids), vocab)
        if isinstance(out.error, NotImplementedError):
            raise NotAttempted
        if isinstance(out.error, UnicodeDecodeError):
            if ids[0] == 0xFF:
                raise Mistake(f"{label} raised UnicodeDecodeError: byte 0xFF alone is not "
                              f"UTF-8, and a model can generate such tokens. Decode with "
                              f"errors='replace', which shows it as U+FFFD")
            raise Mistake(f"{label} raised UnicodeDecodeError: you decoded each token on its "
                          f"own, and 'è' is two bytes in two tokens here. Join the bytes of all "
                          f"tokens first, then decode once")
        got = call(decode, list(ids), vocab, hint=hint)
        if isinstance(got, (bytes, bytearray)):
            raise Mistake(f"{label} returned bytes; turn them into text with "
                          f".decode('utf-8', errors='replace')")
        if isinstance(got, list):
            raise Mistake(f"{label} returned a list; join the pieces into one string")
        if not isinstance(got, str):
            raise Mistake(f"{label} returned {describe(got)}; it should return a string")
        if got == want:
            continue
        pieces = [vocab[i].decode("utf-8", errors="replace") for i in ids]
        if got == "".join(pieces):
            raise Mistake(f"{label} gave {got!r}: you decoded each token on its own, so 'è' (two "
                          f"bytes, two tokens) became two U+FFFD. Join the bytes of all tokens "
                          f"first, then decode once")
        if len(ids) > 1 and got in (" ".join(pieces), ",".join(pieces)):
            raise Mistake(f"{label} gave {got!r}: you joined the tokens with a separator; the "
                          f"bytes already hold every space, join with b''")
        raise Mistake(f"{label} gave {got!r}, expected {want!r}")
    return "the bytes of all tokens joined, then read as UTF-8 (invalid bytes become U+FFFD)."
