"""Lesson 10's exercise checks (course_lib/lessons/checks/l10_subword_tokens.py): each
solution passes, each stub is "not attempted", and each typical mistake is named."""

from collections import Counter as _Counter

import pytest

from course_lib.lessons.checks import (check_count_pairs, check_decode_bpe, check_encode_bpe,
                                       check_merge, check_train_bpe)

from checks_support import assert_fails, stub
from conftest import reference_merge


# Byte-pair encoding: each check's solution passes, and each typical mistake is named.


def bpe_count_pairs(ids):
    return dict(_Counter(zip(ids, ids[1:])))


bpe_merge = reference_merge   # the learner's merge, written the obvious way


def bpe_train(text, n_merges, pick=lambda c: min(c, key=lambda p: (-c[p], p)), update=True,
              new_id=lambda i: 256 + i):
    ids = original = list(text.encode("utf-8"))
    merges = []
    for i in range(n_merges):
        counts = bpe_count_pairs(ids)
        pair = pick(counts)
        merges.append(pair)
        ids = bpe_merge(ids if update else original, pair, new_id(i))
    return merges


def bpe_encode(text, merges, start=lambda t: list(t.encode("utf-8")), order=lambda m: m):
    ids = start(text)
    for i, pair in order(list(enumerate(merges))):
        ids = bpe_merge(ids, pair, 256 + i)
    return ids


def bpe_decode(ids, vocab):
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")


def test_lesson10_solutions_pass_and_stubs_are_not_attempted():
    for check, good in [(check_count_pairs, bpe_count_pairs), (check_merge, bpe_merge),
                        (check_train_bpe, bpe_train), (check_encode_bpe, bpe_encode),
                        (check_decode_bpe, bpe_decode)]:
        assert check(good).passed, check(good)
        assert check(stub).status == "not_attempted"


def test_lesson10_train_check_agrees_with_course_lib():
    from course_lib.core.bpe import BPETokenizer
    from course_lib.lessons.checks.l10_subword_tokens import _TRAIN_TEXTS
    for text, n in _TRAIN_TEXTS:
        assert bpe_train(text, n) == BPETokenizer.train(text, 256 + n, pattern=None,
                                                        min_count=1).merges


@pytest.mark.parametrize("wrong,message", [
    (lambda ids: list(zip(ids, ids[1:])), "returned a list of pairs"),
    (lambda ids: dict(_Counter(zip(ids, ids[1:] + ids[:1]))), "once too often: the last token and the first"),
    (lambda ids: dict(_Counter(zip(ids[1:], ids))), "gave the pairs reversed"),
    (lambda ids: {p: 1 for p in zip(ids, ids[1:])}, "each pair counted once"),
    (lambda ids: dict(_Counter(zip(ids[::2], ids[1::2]))), "Pairs overlap"),
    (lambda ids: dict(_Counter(zip(ids, ids[1:-1]))), "left out the last pair"),
    (lambda ids: {str(p): n for p, n in _Counter(zip(ids, ids[1:])).items()}, "each key is a pair"),
])
def test_count_pairs_mistakes(wrong, message):
    assert_fails(check_count_pairs(wrong), message)


def _merge_keeps_second(ids, pair, new_id):
    return [new_id if t == pair[0] and i + 1 < len(ids) and ids[i + 1] == pair[1] else t
            for i, t in enumerate(ids)]


def _merge_overlapping(ids, pair, new_id):
    out, merged_before = [], False
    for i, t in enumerate(ids):
        if i + 1 < len(ids) and (t, ids[i + 1]) == pair:   # also when t was just merged
            out.append(new_id)
            merged_before = True
        elif merged_before:
            merged_before = False
        else:
            out.append(t)
    return out


def _merge_drops_last(ids, pair, new_id):
    out, i = [], 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == pair:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _merge_first_only(ids, pair, new_id):
    for i in range(len(ids) - 1):
        if (ids[i], ids[i + 1]) == pair:
            return ids[:i] + [new_id] + ids[i + 2:]
    return list(ids)


def _merge_in_place(ids, pair, new_id):
    ids[:] = bpe_merge(ids, pair, new_id)
    return ids


@pytest.mark.parametrize("wrong,message", [
    (_merge_keeps_second, "kept the second"),
    (_merge_overlapping, "a token was used by two merges"),
    (_merge_drops_last, "you dropped the last token"),
    (_merge_first_only, "merged only the first occurrence"),
    (lambda ids, pair, new_id: bpe_merge(ids, pair[::-1], new_id), "the pair reversed"),
    (_merge_in_place, "changed its input `ids` in place"),
    (lambda ids, pair, new_id: "".join(map(str, bpe_merge(ids, pair, new_id))), "returned a string"),
])
def test_merge_mistakes(wrong, message):
    assert_fails(check_merge(wrong), message)


@pytest.mark.parametrize("wrong,message", [
    (lambda t, n: bpe_train(t, n, pick=lambda c: min(c, key=lambda p: (c[p], p))),
     "least frequent"),
    (lambda t, n: bpe_train(t, n, update=False), "come from the original text"),
    (lambda t, n: bpe_train(t, n, new_id=lambda i: 255 + i), "first merge makes token 255"),
    (lambda t, n: bpe_train(t, n, new_id=lambda i: 256), "every merge makes token 256"),
    (lambda t, n: bpe_train(t, n, pick=lambda c: max(c, key=c.get)), "on a tie"),
    (lambda t, n: bpe_train(t, n - 1), "gave 2 merges; asked for 3"),
    (lambda t, n: [list(m) + [0] for m in bpe_train(t, n)], "each merge is a pair"),
    (lambda t, n: {m: 1 for m in bpe_train(t, n)}, "return the list of merged pairs"),
])
def test_train_bpe_mistakes(wrong, message):
    assert_fails(check_train_bpe(wrong), message)


@pytest.mark.parametrize("wrong,message", [
    (lambda t, m: [ord(c) for c in t], "you used ord(c)"),
    (lambda t, m: list(t.encode("utf-8")), "without merging"),
    (lambda t, m: bpe_encode(t, m, start=lambda s: [ord(c) for c in s]), "started from ord(c)"),
    (lambda t, m: bpe_encode(t, m, order=lambda pairs: pairs[::-1]), "from the last to the first"),
])
def test_encode_bpe_mistakes(wrong, message):
    assert_fails(check_encode_bpe(wrong), message)


@pytest.mark.parametrize("wrong,message", [
    (lambda ids, v: "".join(v[i].decode("utf-8") for i in ids), "decoded each token on its own"),
    (lambda ids, v: "".join(v[i].decode("utf-8", errors="replace") for i in ids),
     "became two U+FFFD"),
    (lambda ids, v: b"".join(v[i] for i in ids).decode("utf-8"), "errors='replace'"),
    (lambda ids, v: b"".join(v[i] for i in ids), "returned bytes"),
    (lambda ids, v: [v[i].decode("utf-8", errors="replace") for i in ids], "returned a list"),
    (lambda ids, v: " ".join(v[i].decode("utf-8", errors="replace") for i in ids),
     "joined the tokens with a separator"),
])
def test_decode_bpe_mistakes(wrong, message):
    assert_fails(check_decode_bpe(wrong), message)
