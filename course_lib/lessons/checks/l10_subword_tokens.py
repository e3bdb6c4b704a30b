"""Lesson 10's exercise checks (notebooks/10_subword_tokens.ipynb): byte-pair encoding.

Token IDs 0-255 are the bytes; merge number i makes token 256 + i.

Their tests: tests/test_checks_l10_subword_tokens.py and tests/test_checks_l10_l11.py."""

from __future__ import annotations

from collections import Counter

import torch

from ...core.bpe import BPETokenizer
from ..sandbox import describe
from .answers import is_int
from .framework import Mistake, NotAttempted, attempt, call, exercise

# Byte-pair encoding (notebooks/src/10_subword_tokens.py). Token IDs 0-255 are the bytes;
# merge number i makes token 256 + i. The test inputs hold IDs whose digits run together
# (11, 2 and 1, 12), non-ASCII text, merge lists whose order matters, spaces at both ends
# and a character split at the end, so that shortcuts which work on easy inputs are caught.

def _token_ids(ids, what: str) -> list[int]:
    """The learner's token IDs (bytes and merged tokens) as a list of ints, or a Mistake."""
    if isinstance(ids, (bytes, bytearray)):
        raise Mistake(f"{what} returned bytes; return a list of token IDs (ints): "
                      f"list(text.encode('utf-8')) turns bytes into one ID per byte")
    if isinstance(ids, str):
        raise Mistake(f"{what} returned a string; return a list of token IDs (ints), such "
                      f"as [104, 256, 33]")
    if isinstance(ids, torch.Tensor):
        ids = ids.tolist()
    if is_int(ids) or isinstance(ids, float):
        raise Mistake(f"{what} returned one number ({ids!r}); return a list of token IDs")
    if not isinstance(ids, (list, tuple)):
        raise Mistake(f"{what} returned {describe(ids)}; return a list of token IDs (ints)")
    if ids and all(isinstance(i, str) for i in ids):
        raise Mistake(f"{what} returned pieces of text ({ids[:3]}...), not token IDs: a "
                      f"token ID is a byte (0-255) or a merged token (256 and up)")
    if not all(is_int(i) for i in ids):
        bad = next(i for i in ids if not is_int(i))
        raise Mistake(f"{what} returned {describe(bad)} among the token IDs; every token ID "
                      f"is an int (a byte 0-255, or 256 + i for merge i)")
    return [int(i) for i in ids]


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


def _reference_counts_no_overlap(ids) -> dict:
    """Each pair counted without overlaps, as a merge would find it: (5, 5) once in [5, 5, 5]."""
    return {p: _reference_merge(ids, p, -1).count(-1) for p in _reference_counts(ids)}


_COUNT_MISTAKES = [
    (_reference_counts_stepping, "you moved on by 2 after each pair. Pairs overlap: in "
                                 "[5, 5, 5] the pair (5, 5) occurs twice (positions 0-1 and "
                                 "1-2). Count at every position"),
    (_reference_counts_no_overlap, "you skipped a pair that overlaps the one before it, as a "
                                   "merge does. Counting is not merging: in [5, 5, 5] the pair "
                                   "(5, 5) occurs at positions 0-1 and 1-2, so count 2"),
    (lambda ids: _reference_counts(ids[:-1]), "you left out the last pair: the pairs start "
                                              "at positions 0 to len(ids) - 2"),
]


@exercise
def check_count_pairs(count_pairs) -> str:
    """count_pairs(ids) -> {(a, b): count} of every adjacent pair of the list ids."""
    hint = "zip(ids, ids[1:]) gives every adjacent pair; collections.Counter counts them"
    cases = [[1, 2, 1, 2, 3, 1, 2], [5, 5, 5], list("hello world".encode()), [7], [],
             [11, 2, 1, 12, 1, 12], list("é é".encode())]
    results = [(ids, _pair_dict(call(count_pairs, list(ids), hint=hint), f"count_pairs({ids})"),
                _reference_counts(ids)) for ids in cases]   # all first: a mistake shows in the pattern
    wrong = [r for r in results if r[1] != r[2]]
    if not wrong:
        return "every adjacent pair counted, overlaps included, in a dict."
    ids, got, want = wrong[0]
    for mistake, what in _COUNT_MISTAKES:
        if all(g == mistake(i) for i, g, _ in results):
            raise Mistake(f"count_pairs({ids}) gave {got}, expected {want}: {what}")
    if got == {(b, a): n for (a, b), n in want.items()}:
        raise Mistake(f"count_pairs({ids}) gave the pairs reversed; a pair is "
                      f"(ids[i], ids[i + 1]), in the order of the text")
    if len(ids) > 1 and got.get((ids[-1], ids[0]), 0) > want.get((ids[-1], ids[0]), 0):
        raise Mistake(f"count_pairs({ids}) counts the pair {(ids[-1], ids[0])} once too "
                      f"often: the last token and the first are not neighbours, do not "
                      f"wrap around")
    if got == {p: 1 for p in want}:
        raise Mistake(f"count_pairs({ids}) gave {got}: each pair counted once; count how "
                      f"often each one occurs")
    raise Mistake(f"count_pairs({ids}) gave {got}, expected {want}")


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


def _merge_as_text(ids, pair, new_id, sep: str) -> list | None:
    """The mistake of merging by text replacement on the IDs written out: '11 2' holds '1 2'."""
    a, b = pair
    text = sep.join(map(str, ids)).replace(f"{a}{sep}{b}", str(new_id))
    try:
        return [int(t) for t in text.split(sep.strip() or sep)] if text else []
    except ValueError:
        return None


@exercise
def check_merge(merge) -> str:
    """merge(ids, pair, new_id) -> a new list where every `pair`, left to right, is new_id."""
    hint = ("walk with an index i: where (ids[i], ids[i + 1]) == pair append new_id and move "
            "on by 2, else append ids[i] and move on by 1")
    cases = [([1, 2, 3, 1, 2], (1, 2), 9), ([1, 2, 3], (1, 2), 9), ([3, 1, 2, 1], (1, 2), 9),
             ([5, 5, 5], (5, 5), 9), ([5, 5, 5, 5], (5, 5), 9), ([2, 1], (1, 2), 9),
             ([4], (1, 2), 9), ([], (1, 2), 9),
             # digits that run together: (1, 2) is not in [11, 2, 1, 12], though "11 2 1 12"
             # holds the text "1 2" twice
             ([11, 2, 1, 12], (1, 2), 256), ([21, 2, 1, 22, 1, 2], (1, 2), 257),
             ([104, 256, 1, 25, 6], (25, 6), 300)]
    for ids, pair, new_id in cases:
        got = _token_ids(call(merge, list(ids), pair, new_id, hint=hint), "merge")
        want = _reference_merge(ids, pair, new_id)
        if got == want:
            continue
        a, b = pair
        label = f"merge({ids}, {pair}, {new_id})"
        if any(got == _merge_as_text(ids, pair, new_id, sep) for sep in (" ", ",", ", ", "")):
            raise Mistake(f"{label} gave {got}, expected {want}: you replaced text in the IDs "
                          f"written out as a string, where the digits of neighbouring IDs run "
                          f"together ('{ids[0]} {ids[1]}' holds the text '{a} {b}'). Compare "
                          f"the IDs as numbers: (ids[i], ids[i + 1]) == pair")
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
               first_id: int = 256, id_step: int = 1, start: str = "utf-8") -> list:
    """BPE without pre-splitting, written the slow way, with a mistake chosen by the arguments."""
    first = list(text.encode("utf-8")) if start == "utf-8" else [ord(c) for c in text]
    ids, original, merges = list(first), list(first), []
    for i in range(n_merges):
        counts = Counter(zip(ids, ids[1:]))
        if not counts:
            break
        if pick == "smallest":
            pair = min(counts, key=lambda p: (-counts[p], p))
        elif pick == "first":
            pair = max(counts, key=counts.get)
        elif pick == "largest":
            pair = max(counts, key=lambda p: (counts[p], p))
        else:                                        # "rarest"
            pair = min(counts, key=lambda p: (counts[p], p))
        merges.append(pair)
        ids = _reference_merge(ids if update else original, pair, first_id + id_step * i)
    return merges


_TRAIN_TEXTS = [("aaabdaaabac", 3), ("to be or not to be, that is the question. to be", 10),
                ("hob dob hob dob cob", 6),
                ("café crème, café au lait, crème brûlée", 8),      # 'é' is two UTF-8 bytes
                ("dcba dc ba", 2)]                   # ties: the first seen, the largest, the smallest differ


def _train_mistakes() -> list:
    """(merges for a text and n, what the mistake is): each typical wrong train_bpe."""
    ties = "min(counts, key=lambda p: (-counts[p], p))"
    table = [
        (dict(start="ord"), "you started from one number per character (ord(c), or "
                            "text.encode('latin-1')), so 'é' is the one ID 233. BPE starts "
                            "from the UTF-8 bytes, list(text.encode('utf-8')), where 'é' is "
                            "the two bytes 195, 169"),
        (dict(pick="rarest"), "you merged the least frequent pair; merge the most frequent"),
        (dict(update=False), "your merges after the first come from the original text. After "
                             "each merge, set ids = merge(ids, pair, new_id), so the next "
                             "count sees the merged tokens"),
        (dict(id_step=0), "every merge makes token 256; merge i makes token 256 + i, a new "
                          "ID each time"),
        (dict(pick="largest"), f"on a tie (two pairs with the same count) you took the "
                               f"largest pair; take the smallest, as course_lib does: {ties}"),
        (dict(pick="first"), f"on a tie (two pairs with the same count) you took the pair "
                             f"seen first; take the smallest pair, as course_lib does: {ties}"),
    ]
    for first in (255, 257, 0, 1):
        table.append((dict(first_id=first), f"your first merge makes token {first}; IDs 0-255 "
                                            f"are the bytes, so merge i makes token 256 + i"))
    return table


@exercise
def check_train_bpe(train_bpe) -> str:
    """train_bpe(text, n_merges) -> [(a, b), ...]: merge i makes token 256 + i."""
    hint = ("start from ids = list(text.encode('utf-8')); then n_merges times: count, pick, "
            "append the pair, ids = merge(ids, pair, 256 + i)")
    results = []
    for text, n in _TRAIN_TEXTS:                 # all first: a mistake shows in the pattern
        out = call(train_bpe, text, n, hint=hint)
        if not isinstance(out, (list, tuple)):
            raise Mistake(f"train_bpe returned {describe(out)}; return the list of merged pairs")
        got = []
        for m in out:
            if not (isinstance(m, (tuple, list)) and len(m) == 2 and all(is_int(t) for t in m)):
                raise Mistake(f"train_bpe returned {m!r} among the merges; each merge is a "
                              f"pair (a, b) of token IDs")
            got.append((int(m[0]), int(m[1])))
        results.append((text, n, got, _toy_train(text, n)))
    wrong = [r for r in results if r[2] != r[3]]
    if not wrong:
        return "the same merges as course_lib's BPE, in the same order, with the same tie-break."
    text, n, got, want = wrong[0]
    label = f"train_bpe({text!r}, {n})"
    if len(got) != len(want):
        raise Mistake(f"{label} gave {len(got)} merges; asked for {n}")
    for kwargs, what in _train_mistakes():
        if all(g == _toy_train(t, k, **kwargs) for t, k, g, _ in results):
            raise Mistake(f"{label}: {what}")
    step = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
    raise Mistake(f"{label}: merge {step} is {got[step]}, expected {want[step]} (the merges "
                  f"before it are right)")


def _encode_cases():
    """(text, merges): merges trained on the text, on other text, and by hand (order matters)."""
    trained = _toy_train("to be or not to be, that is the question", 12)
    return [("Caffè latte", trained + [(195, 168)]), ("to be or not to be", trained),
            ("abc", [(97, 98), (98, 99)]), ("aaaaa", [(97, 97), (256, 97)]), ("", trained),
            ("x", trained),
            # the order of the merges decides: merge 0 first, whatever the text or the sort says
            ("abc", [(98, 99), (97, 98)]), ("cab", [(99, 97), (97, 98)]),
            ("abcbc", [(97, 98), (98, 99)]), ("  to be  ", trained)]


def _encode_sorted(text, merges) -> list:
    """Mistake: the merges applied in sorted order (each still makes its own ID)."""
    ids = list(text.encode("utf-8"))
    for pair in sorted(merges):
        ids = _reference_merge(ids, pair, 256 + list(merges).index(pair))
    return ids


def _encode_greedy(text, merges) -> list:
    """Mistake: left to right, any known pair merged where it is met, until nothing changes."""
    rank = {tuple(p): 256 + i for i, p in reversed(list(enumerate(merges)))}
    ids = list(text.encode("utf-8"))
    while True:
        out, i = [], 0
        while i < len(ids):
            if i + 1 < len(ids) and (ids[i], ids[i + 1]) in rank:
                out.append(rank[(ids[i], ids[i + 1])])
                i += 2
            else:
                out.append(ids[i])
                i += 1
        if out == ids:
            return ids
        ids = out


def _encode_most_frequent(text, merges) -> list:
    """Mistake: the training rule used for encoding, the most frequent known pair first."""
    rank = {tuple(p): 256 + i for i, p in reversed(list(enumerate(merges)))}
    ids = list(text.encode("utf-8"))
    while True:
        counts = Counter(p for p in zip(ids, ids[1:]) if p in rank)
        if not counts:
            return ids
        pair = max(counts, key=counts.get)
        ids = _reference_merge(ids, pair, rank[pair])


_ENCODE_ORDER_MISTAKES = [
    (_encode_sorted, "you applied the merges in sorted order"),
    (_encode_greedy, "you merged, left to right, whichever known pair you met first"),
    (_encode_most_frequent, "you merged the most frequent known pair first: that is how "
                            "training picks a merge, not how encoding applies them"),
]


@exercise
def check_encode_bpe(encode) -> str:
    """encode(text, merges) -> ids: the UTF-8 bytes, then every merge applied in order."""
    hint = ("ids = list(text.encode('utf-8')); then for i, pair in enumerate(merges): "
            "ids = merge(ids, pair, 256 + i)")
    cases = _encode_cases()
    results = []
    for text, merges in cases:                 # every case first: a mistake shows in the pattern
        merges = [tuple(m) for m in merges]
        got = _token_ids(call(encode, text, list(merges), hint=hint), "encode")
        results.append((text, merges, got, BPETokenizer(merges, pattern=None).encode(text)))
    for wrong, what in _ENCODE_ORDER_MISTAKES:
        if all(got == wrong(text, merges) for text, merges, got, _ in results) and any(
                got != want for _, _, got, want in results):
            text, merges, got, want = next(r for r in results if r[2] != r[3])
            raise Mistake(f"encode({text!r}, {merges}) gave {got}, expected {want}: {what}. "
                          f"Apply the merges in the order they were learned: merge 0 on the "
                          f"whole list first, then merge 1, and so on, because a later merge "
                          f"may be built from an earlier one's token")
    for text, merges, got, want in results:
        if got == want:
            continue
        label = f"encode({text!r}, merges)"
        if got == list(text.encode("utf-8")):
            raise Mistake(f"{label} gave the bytes without merging; apply every merge, in order")
        if got == [ord(c) for c in text]:
            raise Mistake(f"{label} gave {got}: you used ord(c), the character's number in "
                          f"Unicode, and no merges. Start from the UTF-8 bytes, "
                          f"list(text.encode('utf-8')): 'è' is the two bytes [195, 168]")
        applied = [ord(c) for c in text]
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
        if got == BPETokenizer(merges, pattern=None).encode(text.strip()):
            raise Mistake(f"{label} gave {got}: you stripped the spaces at the ends; they are "
                          f"part of the text and get tokens too")
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
             [67, 97, 102, 102, 195, 168], [], [0xFF, 97], tok.encode(" to be \n"),
             [97, 195]]                      # 'a' and the first byte of a two-byte character
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
            if ids[-1] == 195:
                raise Mistake(f"{label} raised UnicodeDecodeError: the last token is byte 195, "
                              f"the first half of a two-byte character, as when generation "
                              f"stops in the middle of one. Decode with errors='replace'")
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
        if want.endswith("\ufffd") and got == want.rstrip("\ufffd"):
            raise Mistake(f"{label} gave {got!r}, expected {want!r}: the last byte (195) starts "
                          f"a character that never ends, and your decoder dropped it. An "
                          f"incremental decoder keeps such bytes back until it is flushed: "
                          f"call decoder.decode(b'', final=True) at the end, or join all the "
                          f"bytes and decode once with errors='replace'")
        if got == b"".join(vocab[i] for i in ids).decode("utf-8", errors="ignore"):
            raise Mistake(f"{label} gave {got!r}, expected {want!r}: errors='ignore' drops the "
                          f"bytes that are not UTF-8 without a trace; decode with "
                          f"errors='replace', which shows each as U+FFFD")
        if got != want and got in (want.strip(), want.rstrip(), want.lstrip()):
            raise Mistake(f"{label} gave {got!r}, expected {want!r}: you stripped the spaces or "
                          f"newlines at the ends; they are part of the text, keep every byte")
        raise Mistake(f"{label} gave {got!r}, expected {want!r}")
    return "the bytes of all tokens joined, then read as UTF-8 (invalid bytes become U+FFFD)."


