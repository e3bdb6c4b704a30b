"""Lesson 10's exercise checks (notebooks/10_subword_tokens.ipynb): byte-pair encoding.

Token IDs 0-255 are the bytes; merge number i makes token 256 + i.

Their tests: tests/test_checks_l10_subword_tokens.py and tests/test_checks_l10_l11.py."""

from __future__ import annotations

from collections import Counter

import torch

from ...core.bpe import BPETokenizer
from ..sandbox import describe
from .answers import is_int
from ...i18n import N_, _
from .framework import Mistake, NotAttempted, attempt, call, exercise

# Byte-pair encoding (notebooks/src/10_subword_tokens.py). Token IDs 0-255 are the bytes;
# merge number i makes token 256 + i. The test inputs hold IDs whose digits run together
# (11, 2 and 1, 12), non-ASCII text, merge lists whose order matters, spaces at both ends
# and a character split at the end, so that shortcuts which work on easy inputs are caught.

def _token_ids(ids, what: str) -> list[int]:
    """The learner's token IDs (bytes and merged tokens) as a list of ints, or a Mistake."""
    if isinstance(ids, (bytes, bytearray)):
        raise Mistake(_("{what} returned bytes; return a list of token IDs (ints): "
                        "list(text.encode('utf-8')) turns bytes into one ID per byte").format(
            what=what))
    if isinstance(ids, str):
        raise Mistake(_("{what} returned a string; return a list of token IDs (ints), such "
                        "as [104, 256, 33]").format(what=what))
    if isinstance(ids, torch.Tensor):
        ids = ids.tolist()
    if is_int(ids) or isinstance(ids, float):
        raise Mistake(_("{what} returned one number ({ids!r}); return a list of token "
                        "IDs").format(what=what, ids=ids))
    if not isinstance(ids, (list, tuple)):
        raise Mistake(_("{what} returned {got}; return a list of token IDs (ints)").format(
            what=what, got=describe(ids)))
    if ids and all(isinstance(i, str) for i in ids):
        raise Mistake(_("{what} returned pieces of text ({first}...), not token IDs: a "
                        "token ID is a byte (0-255) or a merged token (256 and up)").format(
            what=what, first=ids[:3]))
    if not all(is_int(i) for i in ids):
        bad = next(i for i in ids if not is_int(i))
        raise Mistake(_("{what} returned {bad} among the token IDs; every token ID is an "
                        "int (a byte 0-255, or 256 + i for merge i)").format(
            what=what, bad=describe(bad)))
    return [int(i) for i in ids]


def _pair_dict(out, what: str) -> dict:
    """The learner's pair counts as {(a, b): n}, or a Mistake that says what they were."""
    if isinstance(out, (list, tuple)) and out and all(isinstance(p, tuple) for p in out):
        raise Mistake(_("{what} returned a list of pairs; return a dict that maps each pair "
                        "to how often it occurs (collections.Counter does the "
                        "counting)").format(what=what))
    if not isinstance(out, dict):
        raise Mistake(_("{what} returned {got}; return a dict {{(a, b): count}}").format(
            what=what, got=describe(out)))
    result = {}
    for key, n in out.items():
        if not (isinstance(key, tuple) and len(key) == 2 and all(is_int(t) for t in key)):
            raise Mistake(_("{what} has the key {key!r}; each key is a pair of two token "
                            "IDs, a tuple such as (104, 101)").format(what=what, key=key))
        if not is_int(n):
            raise Mistake(_("{what} maps {key} to {got}; a count is an int").format(
                what=what, key=key, got=describe(n)))
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
    (_reference_counts_stepping, N_("you moved on by 2 after each pair. Pairs overlap: in "
                                    "[5, 5, 5] the pair (5, 5) occurs twice (positions 0-1 "
                                    "and 1-2). Count at every position")),
    (_reference_counts_no_overlap, N_("you skipped a pair that overlaps the one before it, as "
                                      "a merge does. Counting is not merging: in [5, 5, 5] the "
                                      "pair (5, 5) occurs at positions 0-1 and 1-2, so count "
                                      "2")),
    (lambda ids: _reference_counts(ids[:-1]), N_("you left out the last pair: the pairs start "
                                                 "at positions 0 to len(ids) - 2")),
]


@exercise
def check_count_pairs(count_pairs) -> str:
    """count_pairs(ids) -> {(a, b): count} of every adjacent pair of the list ids."""
    hint = _("zip(ids, ids[1:]) gives every adjacent pair; collections.Counter counts them")
    cases = [[1, 2, 1, 2, 3, 1, 2], [5, 5, 5], list("hello world".encode()), [7], [],
             [11, 2, 1, 12, 1, 12], list("é é".encode())]
    results = [(ids, _pair_dict(call(count_pairs, list(ids), hint=hint), f"count_pairs({ids})"),
                _reference_counts(ids)) for ids in cases]   # all first: a mistake shows in the pattern
    wrong = [r for r in results if r[1] != r[2]]
    if not wrong:
        return _("every adjacent pair counted, overlaps included, in a dict.")
    ids, got, want = wrong[0]
    for mistake, what in _COUNT_MISTAKES:
        if all(g == mistake(i) for i, g, _want in results):
            raise Mistake(_("count_pairs({ids}) gave {got}, expected {want}: {what}").format(
                ids=ids, got=got, want=want, what=_(what)))
    if got == {(b, a): n for (a, b), n in want.items()}:
        raise Mistake(_("count_pairs({ids}) gave the pairs reversed; a pair is "
                        "(ids[i], ids[i + 1]), in the order of the text").format(ids=ids))
    if len(ids) > 1 and got.get((ids[-1], ids[0]), 0) > want.get((ids[-1], ids[0]), 0):
        raise Mistake(_("count_pairs({ids}) counts the pair {pair} once too often: the "
                        "last token and the first are not neighbours, do not wrap "
                        "around").format(ids=ids, pair=(ids[-1], ids[0])))
    if got == {p: 1 for p in want}:
        raise Mistake(_("count_pairs({ids}) gave {got}: each pair counted once; count how "
                        "often each one occurs").format(ids=ids, got=got))
    raise Mistake(_("{label} gave {got}, expected {want}").format(
        label=f"count_pairs({ids})", got=got, want=want))


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
    hint = _("walk with an index i: where (ids[i], ids[i + 1]) == pair append new_id and move "
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
            raise Mistake(_("{label} gave {got}, expected {want}: you replaced text in the "
                            "IDs written out as a string, where the digits of neighbouring IDs "
                            "run together ('{first} {second}' holds the text '{a} {b}'). "
                            "Compare the IDs as numbers: (ids[i], ids[i + 1]) == pair").format(
                label=label, got=got, want=want, first=ids[0], second=ids[1], a=a, b=b))
        if got == [new_id if t == a else t for t in ids] or got == [
                new_id if t == a and i + 1 < len(ids) and ids[i + 1] == b else t
                for i, t in enumerate(ids)]:
            raise Mistake(_("{label} gave {got}: you put new_id in place of the first token "
                            "but kept the second; a merge replaces both tokens, so skip the "
                            "second (move on by 2)").format(label=label, got=got))
        if ids[:3] == [5, 5, 5] and got.count(new_id) > want.count(new_id):
            raise Mistake(_("{label} gave {got}: a token was used by two merges. After a "
                            "merge move past both tokens, so in [5, 5, 5] only the first two "
                            "merge").format(label=label, got=got))
        if len(got) == len(want) - 1 and got == want[:-1]:
            raise Mistake(_("{label} gave {got}: you dropped the last token {last}; when i "
                            "is the last position, there is no pair left, but ids[i] still "
                            "belongs in the result").format(label=label, got=got,
                                                             last=want[-1]))
        if want.count(new_id) > 1 and got.count(new_id) == 1:
            raise Mistake(_("{label} gave {got}: you merged only the first occurrence; "
                            "replace every one").format(label=label, got=got))
        if got == _reference_merge(ids, (b, a), new_id):
            raise Mistake(_("{label} gave {got}: you merged {pair}, the pair reversed; the "
                            "order inside a pair matters").format(label=label, got=got,
                                                                  pair=(b, a)))
        raise Mistake(_("{label} gave {got}, expected {want}").format(
            label=label, got=got, want=want))
    return _("every occurrence merged, left to right, and the rest kept in order.")


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
        (dict(start="ord"), _("you started from one number per character (ord(c), or "
                              "text.encode('latin-1')), so 'é' is the one ID 233. BPE starts "
                              "from the UTF-8 bytes, list(text.encode('utf-8')), where 'é' is "
                              "the two bytes 195, 169")),
        (dict(pick="rarest"), _("you merged the least frequent pair; merge the most "
                                "frequent")),
        (dict(update=False), _("your merges after the first come from the original text. "
                               "After each merge, set ids = merge(ids, pair, new_id), so the "
                               "next count sees the merged tokens")),
        (dict(id_step=0), _("every merge makes token 256; merge i makes token 256 + i, a new "
                            "ID each time")),
        (dict(pick="largest"), _("on a tie (two pairs with the same count) you took the "
                                 "largest pair; take the smallest, as course_lib does: "
                                 "{ties}").format(ties=ties)),
        (dict(pick="first"), _("on a tie (two pairs with the same count) you took the pair "
                               "seen first; take the smallest pair, as course_lib does: "
                               "{ties}").format(ties=ties)),
    ]
    for first in (255, 257, 0, 1):
        table.append((dict(first_id=first), _("your first merge makes token {first}; IDs "
                                              "0-255 are the bytes, so merge i makes token "
                                              "256 + i").format(first=first)))
    return table


@exercise
def check_train_bpe(train_bpe) -> str:
    """train_bpe(text, n_merges) -> [(a, b), ...]: merge i makes token 256 + i."""
    hint = _("start from ids = list(text.encode('utf-8')); then n_merges times: count, pick, "
             "append the pair, ids = merge(ids, pair, 256 + i)")
    results = []
    for text, n in _TRAIN_TEXTS:                 # all first: a mistake shows in the pattern
        out = call(train_bpe, text, n, hint=hint)
        if not isinstance(out, (list, tuple)):
            raise Mistake(_("train_bpe returned {got}; return the list of merged "
                            "pairs").format(got=describe(out)))
        got = []
        for m in out:
            if not (isinstance(m, (tuple, list)) and len(m) == 2 and all(is_int(t) for t in m)):
                raise Mistake(_("train_bpe returned {m!r} among the merges; each merge is a "
                                "pair (a, b) of token IDs").format(m=m))
            got.append((int(m[0]), int(m[1])))
        results.append((text, n, got, _toy_train(text, n)))
    wrong = [r for r in results if r[2] != r[3]]
    if not wrong:
        return _("the same merges as course_lib's BPE, in the same order, with the same "
                 "tie-break.")
    text, n, got, want = wrong[0]
    label = f"train_bpe({text!r}, {n})"
    if len(got) != len(want):
        raise Mistake(_("{label} gave {got} merges; asked for {n}").format(
            label=label, got=len(got), n=n))
    for kwargs, what in _train_mistakes():
        if all(g == _toy_train(t, k, **kwargs) for t, k, g, _want in results):
            raise Mistake(f"{label}: {what}")
    step = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
    raise Mistake(_("{label}: merge {step} is {got}, expected {want} (the merges before it "
                    "are right)").format(label=label, step=step, got=got[step],
                                         want=want[step]))


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
    (_encode_sorted, N_("you applied the merges in sorted order")),
    (_encode_greedy, N_("you merged, left to right, whichever known pair you met first")),
    (_encode_most_frequent, N_("you merged the most frequent known pair first: that is how "
                               "training picks a merge, not how encoding applies them")),
]


@exercise
def check_encode_bpe(encode) -> str:
    """encode(text, merges) -> ids: the UTF-8 bytes, then every merge applied in order."""
    hint = _("ids = list(text.encode('utf-8')); then for i, pair in enumerate(merges): "
             "ids = merge(ids, pair, 256 + i)")
    cases = _encode_cases()
    results = []
    for text, merges in cases:                 # every case first: a mistake shows in the pattern
        merges = [tuple(m) for m in merges]
        got = _token_ids(call(encode, text, list(merges), hint=hint), "encode")
        results.append((text, merges, got, BPETokenizer(merges, pattern=None).encode(text)))
    for wrong, what in _ENCODE_ORDER_MISTAKES:
        if all(got == wrong(text, merges) for text, merges, got, _want in results) and any(
                got != want for _text, _merges, got, want in results):
            text, merges, got, want = next(r for r in results if r[2] != r[3])
            raise Mistake(_("encode({text!r}, {merges}) gave {got}, expected {want}: {what}. "
                            "Apply the merges in the order they were learned: merge 0 on the "
                            "whole list first, then merge 1, and so on, because a later merge "
                            "may be built from an earlier one's token").format(
                text=text, merges=merges, got=got, want=want, what=_(what)))
    for text, merges, got, want in results:
        if got == want:
            continue
        label = f"encode({text!r}, merges)"
        if got == list(text.encode("utf-8")):
            raise Mistake(_("{label} gave the bytes without merging; apply every merge, in "
                            "order").format(label=label))
        if got == [ord(c) for c in text]:
            raise Mistake(_("{label} gave {got}: you used ord(c), the character's number in "
                            "Unicode, and no merges. Start from the UTF-8 bytes, "
                            "list(text.encode('utf-8')): 'è' is the two bytes "
                            "[195, 168]").format(label=label, got=got))
        applied = [ord(c) for c in text]
        for i, pair in enumerate(merges):
            applied = _reference_merge(applied, pair, 256 + i)
        if got == applied:
            raise Mistake(_("{label}: you started from ord(c) of each character; start from "
                            "the UTF-8 bytes, list(text.encode('utf-8')) ('è' is two "
                            "bytes)").format(label=label))
        backwards = list(text.encode("utf-8"))
        for i in reversed(range(len(merges))):
            backwards = _reference_merge(backwards, merges[i], 256 + i)
        if got == backwards:
            raise Mistake(_("{label} gave {got}: you applied the merges from the last to the "
                            "first; apply them in the order they were learned, merge 0 "
                            "first").format(label=label, got=got))
        if got == BPETokenizer(merges, pattern=None).encode(text.strip()):
            raise Mistake(_("{label} gave {got}: you stripped the spaces at the ends; they "
                            "are part of the text and get tokens too").format(label=label,
                                                                              got=got))
        raise Mistake(_("{label} gave {got}, expected {want}").format(
            label=label, got=got, want=want))
    return _("the UTF-8 bytes, then each merge in the order it was learned.")


@exercise
def check_decode_bpe(decode) -> str:
    """decode(ids, vocab) -> str: join the bytes vocab[i] of all tokens, then read UTF-8."""
    merges = _toy_train("to be or not to be, that is the question", 12)
    tok = BPETokenizer(merges + [(195, 168)], pattern=None)      # 'è' is one token here
    vocab = list(tok.vocab)
    hint = _("join the bytes of all tokens first, then decode once: "
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
                raise Mistake(_("{label} raised UnicodeDecodeError: byte 0xFF alone is not "
                                "UTF-8, and a model can generate such tokens. Decode with "
                                "errors='replace', which shows it as U+FFFD").format(
                    label=label))
            if ids[-1] == 195:
                raise Mistake(_("{label} raised UnicodeDecodeError: the last token is byte "
                                "195, the first half of a two-byte character, as when "
                                "generation stops in the middle of one. Decode with "
                                "errors='replace'").format(label=label))
            raise Mistake(_("{label} raised UnicodeDecodeError: you decoded each token on its "
                            "own, and 'è' is two bytes in two tokens here. Join the bytes of "
                            "all tokens first, then decode once").format(label=label))
        got = call(decode, list(ids), vocab, hint=hint)
        if isinstance(got, (bytes, bytearray)):
            raise Mistake(_("{label} returned bytes; turn them into text with "
                            ".decode('utf-8', errors='replace')").format(label=label))
        if isinstance(got, list):
            raise Mistake(_("{label} returned a list; join the pieces into one "
                            "string").format(label=label))
        if not isinstance(got, str):
            raise Mistake(_("{label} returned {got}; it should return a string").format(
                label=label, got=describe(got)))
        if got == want:
            continue
        pieces = [vocab[i].decode("utf-8", errors="replace") for i in ids]
        if got == "".join(pieces):
            raise Mistake(_("{label} gave {got!r}: you decoded each token on its own, so 'è' "
                            "(two bytes, two tokens) became two U+FFFD. Join the bytes of all "
                            "tokens first, then decode once").format(label=label, got=got))
        if len(ids) > 1 and got in (" ".join(pieces), ",".join(pieces)):
            raise Mistake(_("{label} gave {got!r}: you joined the tokens with a separator; "
                            "the bytes already hold every space, join with b''").format(
                label=label, got=got))
        if want.endswith("\ufffd") and got == want.rstrip("\ufffd"):
            raise Mistake(_("{label} gave {got!r}, expected {want!r}: the last byte (195) "
                            "starts a character that never ends, and your decoder dropped it. "
                            "An incremental decoder keeps such bytes back until it is flushed: "
                            "call decoder.decode(b'', final=True) at the end, or join all the "
                            "bytes and decode once with errors='replace'").format(
                label=label, got=got, want=want))
        if got == b"".join(vocab[i] for i in ids).decode("utf-8", errors="ignore"):
            raise Mistake(_("{label} gave {got!r}, expected {want!r}: errors='ignore' drops "
                            "the bytes that are not UTF-8 without a trace; decode with "
                            "errors='replace', which shows each as U+FFFD").format(
                label=label, got=got, want=want))
        if got != want and got in (want.strip(), want.rstrip(), want.lstrip()):
            raise Mistake(_("{label} gave {got!r}, expected {want!r}: you stripped the spaces "
                            "or newlines at the ends; they are part of the text, keep every "
                            "byte").format(label=label, got=got, want=want))
        raise Mistake(_("{label} gave {got!r}, expected {want!r}").format(
            label=label, got=got, want=want))
    return _("the bytes of all tokens joined, then read as UTF-8 (invalid bytes become "
             "U+FFFD).")


