"""Lessons 10 and 11's checks against the wrong answers that used to pass (issue 24).

Each wrong answer below was accepted before: a merge done as text replacement on the IDs
written out, BPE trained from ord(c) or Latin-1 instead of UTF-8, encoders that do not apply
the merges in the order they were learned, decoders that strip whitespace or are never
flushed, and accuracies that read answers with int(). Each must now fail with a message that
names its mistake; messages that blamed the wrong cause are pinned to the right one. The
inputs include IDs whose digits run together, non-ASCII text, merge lists whose order
matters, whitespace at the ends, a character split at the end, and answers with spaces,
signs and newlines.
"""

import codecs
from collections import Counter

import pytest
from conftest import reference_merge

from course_lib.core.bpe import BPETokenizer
from course_lib.lessons.checks import (check_addition_accuracy, check_count_pairs,
                                       check_decode_bpe, check_encode_bpe, check_merge,
                                       check_train_bpe)
from course_lib.lessons.own_gpt import score_answers


def stub(*args):
    raise NotImplementedError


def assert_fails(result, fragment: str):
    assert result.status == "failed", result
    assert fragment in result.message, result.message


def assert_no_stoi(result):
    assert "stoi" not in result.message and "per character" not in result.message, result.message


# ----------------------------------------------------------------------------- references

merge = reference_merge


def count_pairs(ids):
    return dict(Counter(zip(ids, ids[1:])))


def train_bpe(text, n, start=lambda t: list(t.encode("utf-8")),
              pick=lambda c: min(c, key=lambda p: (-c[p], p))):
    ids, merges = start(text), []
    for i in range(n):
        counts = Counter(zip(ids, ids[1:]))
        if not counts:
            break
        pair = pick(counts)
        merges.append(pair)
        ids = merge(ids, pair, 256 + i)
    return merges


def encode(text, merges):
    ids = list(text.encode("utf-8"))
    for i, pair in enumerate(merges):
        ids = merge(ids, pair, 256 + i)
    return ids


def decode(ids, vocab):
    return b"".join(vocab[i] for i in ids).decode("utf-8", errors="replace")


def test_solutions_pass_and_stubs_are_not_attempted():
    for check, good in [(check_count_pairs, count_pairs), (check_merge, merge),
                        (check_train_bpe, train_bpe), (check_encode_bpe, encode),
                        (check_decode_bpe, decode), (check_addition_accuracy, score_answers)]:
        assert check(good).passed, check(good)
        assert check(stub).status == "not_attempted"


def test_train_check_agrees_with_course_lib_on_non_ascii_and_ties():
    for text, n in [("café crème, café au lait, crème brûlée", 8), ("dcba dc ba", 2)]:
        assert train_bpe(text, n) == BPETokenizer.train(text, 256 + n, pattern=None,
                                                        min_count=1).merges


# ----------------------------------------------------------------------------- count_pairs

def _counts_no_overlap(ids):          # counts as a merge finds pairs: (5, 5) once in [5, 5, 5]
    return {p: merge(ids, p, -1).count(-1) for p in count_pairs(ids)}


@pytest.mark.parametrize("wrong,message", [
    (lambda ids: dict(Counter(zip(ids[::2], ids[1::2]))), "you moved on by 2 after each pair"),
    (_counts_no_overlap, "Counting is not merging"),
    (lambda ids: dict(Counter(zip(ids, ids[1:-1]))), "left out the last pair"),
    (lambda ids: dict(Counter(zip(ids, ids[1:] + ids[:1]))), "do not wrap around"),
])
def test_count_pairs_names_the_real_cause(wrong, message):
    assert_fails(check_count_pairs(wrong), message)


# ----------------------------------------------------------------------------- merge

def _merge_as_text(sep):
    def wrong(ids, pair, new_id):
        text = sep.join(map(str, ids)).replace(f"{pair[0]}{sep}{pair[1]}", str(new_id))
        return [int(t) for t in text.split(sep.strip() or sep)] if text else []
    return wrong


@pytest.mark.parametrize("sep", [" ", ",", ", "])
def test_merge_by_text_replacement_is_caught(sep):
    result = check_merge(_merge_as_text(sep))
    assert_fails(result, "digits of neighbouring IDs run together")
    assert "(ids[i], ids[i + 1]) == pair" in result.message


def test_merge_on_str_of_list_is_caught():
    def wrong(ids, pair, new_id):                 # str(list) and back: '[11, 2, 1, 12]'
        text = str(list(ids)).replace(f"{pair[0]}, {pair[1]}", str(new_id))
        return [int(t) for t in text.strip("[]").split(",") if t.strip()]
    assert_fails(check_merge(wrong), "run together")


def test_merge_messages_speak_of_token_ids_not_stoi():
    result = check_merge(lambda ids, pair, new_id: [str(t) for t in merge(ids, pair, new_id)])
    assert_fails(result, "token ID")
    assert_no_stoi(result)
    result = check_merge(lambda ids, pair, new_id: [float(t) for t in merge(ids, pair, new_id)])
    assert_fails(result, "every token ID is an int")
    assert_no_stoi(result)


# ----------------------------------------------------------------------------- train_bpe

@pytest.mark.parametrize("start", [lambda t: [ord(c) for c in t],
                                   lambda t: list(t.encode("latin-1"))])
def test_train_bpe_from_characters_instead_of_utf8_bytes_is_caught(start):
    assert_fails(check_train_bpe(lambda t, n: train_bpe(t, n, start=start)),
                 "'é' is the two bytes 195, 169")


@pytest.mark.parametrize("pick,message", [
    (lambda c: max(c, key=lambda p: (c[p], p)), "you took the largest pair"),
    (lambda c: max(c, key=c.get), "you took the pair seen first"),
])
def test_train_bpe_tie_breaks_are_named_right(pick, message):
    assert_fails(check_train_bpe(lambda t, n: train_bpe(t, n, pick=pick)), message)


# ----------------------------------------------------------------------------- encode

def _encode_sorted(text, merges):
    ids = list(text.encode("utf-8"))
    for pair in sorted(merges):
        ids = merge(ids, pair, 256 + merges.index(pair))
    return ids


def _encode_greedy(text, merges):
    known = {}
    for i, p in enumerate(merges):
        known.setdefault(tuple(p), 256 + i)
    ids = list(text.encode("utf-8"))
    changed = True
    while changed:
        out, i, changed = [], 0, False
        while i < len(ids):
            if i + 1 < len(ids) and (ids[i], ids[i + 1]) in known:
                out.append(known[(ids[i], ids[i + 1])])
                i, changed = i + 2, True
            else:
                out.append(ids[i])
                i += 1
        ids = out
    return ids


def _encode_most_frequent(text, merges, tie=None):     # minbpe's training rule, used to encode
    known = {}
    for i, p in enumerate(merges):
        known.setdefault(tuple(p), 256 + i)
    ids = list(text.encode("utf-8"))
    while True:
        counts = Counter(p for p in zip(ids, ids[1:]) if p in known)
        if not counts:
            return ids
        pair = max(counts, key=counts.get) if tie is None else max(counts, key=tie(counts))
        ids = merge(ids, pair, known[pair])


@pytest.mark.parametrize("wrong,message", [
    (_encode_sorted, "in sorted order"),
    (_encode_greedy, "whichever known pair you met first"),
    (_encode_most_frequent, "the most frequent known pair first"),
])
def test_encoders_that_ignore_the_merge_order_are_caught(wrong, message):
    result = check_encode_bpe(wrong)
    assert_fails(result, message)
    assert "in the order they were learned" in result.message


def test_a_close_variant_of_a_wrong_order_is_still_told_about_the_order():
    variant = lambda t, m: _encode_most_frequent(t, m, tie=lambda c: lambda p: (c[p], p))  # noqa: E731
    assert_fails(check_encode_bpe(variant), "in the order they were learned")


def test_the_issue_counterexample_decides():
    assert encode("abc", [(98, 99), (97, 98)]) == [97, 256]
    for wrong in (_encode_sorted, _encode_greedy, _encode_most_frequent):
        assert wrong("abc", [(98, 99), (97, 98)]) == [257, 99]


def test_encode_that_strips_spaces_is_caught():
    assert_fails(check_encode_bpe(lambda t, m: encode(t.strip(), m)), "stripped the spaces")


# ----------------------------------------------------------------------------- decode

def _decode_unflushed(ids, vocab):
    dec = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return "".join(dec.decode(vocab[i]) for i in ids)      # never dec.decode(b"", final=True)


@pytest.mark.parametrize("wrong,message", [
    (lambda ids, v: decode(ids, v).strip(), "you stripped the spaces or newlines"),
    (lambda ids, v: decode(ids, v).rstrip(), "you stripped the spaces or newlines"),
    (_decode_unflushed, "decode(b'', final=True)"),
    (lambda ids, v: b"".join(v[i] for i in ids).decode("utf-8", errors="ignore"),
     "errors='ignore' drops"),
])
def test_decoders_that_lose_text_are_caught(wrong, message):
    assert_fails(check_decode_bpe(wrong), message)


def test_the_unflushed_decoder_really_loses_the_split_character():
    vocab = [bytes([i]) for i in range(256)]
    assert _decode_unflushed([97, 195], vocab) == "a"
    assert decode([97, 195], vocab) == "a\ufffd"


def test_decode_that_raises_on_a_split_character_is_told_why():
    def strict_at_end(ids, v):
        data = b"".join(v[i] for i in ids)
        if data.endswith(b"\xc3"):
            data.decode("utf-8")                    # raises: the character never ends
        return data.decode("utf-8", errors="replace")
    assert_fails(check_decode_bpe(strict_at_end), "the first half of a two-byte character")


# ----------------------------------------------------------------------------- addition accuracy

def _int_accuracy(answers, pairs, reverse):
    right = 0
    for ans, (a, b) in zip(answers, pairs):
        try:
            right += int(ans[::-1] if reverse else ans) == a + b
        except ValueError:
            pass
    return right / len(pairs)


def _unpadded_accuracy(answers, pairs, reverse):
    return sum((ans[::-1] if reverse else ans) == str(a + b)
               for ans, (a, b) in zip(answers, pairs)) / len(pairs)


def _strip_then_int(answers, pairs, reverse):          # a close variant: strip, then isdigit
    right = 0
    for ans, (a, b) in zip(answers, pairs):
        text = (ans[::-1] if reverse else ans).strip()
        right += text.isdigit() and int(text) == a + b
    return right / len(pairs)


@pytest.mark.parametrize("answer", [" 52", "52\n", "+52", "5_2"])
def test_int_accepts_what_the_reference_refuses(answer):
    assert int(answer) == 52
    assert score_answers([answer], [(7, 45)]) == 0.0
    assert score_answers([answer[::-1]], [(7, 45)], reverse=True) == 0.0


@pytest.mark.parametrize("wrong,message", [
    (_int_accuracy, "you read the answers with int()"),
    (_unpadded_accuracy, "no leading zeros"),
    (_strip_then_int, "you read the answers with int()"),
    (lambda ans, p, r: score_answers(ans, p, not r), "you read the answers as written"),
])
def test_accuracy_mistakes_are_named(wrong, message):
    assert_fails(check_addition_accuracy(wrong), message)


def test_unpadded_comparison_is_not_blamed_on_the_reading_order():
    result = check_addition_accuracy(_unpadded_accuracy)
    assert "as written when reverse=True" not in result.message, result.message


@pytest.mark.parametrize("wrong,message", [
    (lambda ans, p, r: score_answers(ans, p, False), "as written also when reverse=True"),
    (lambda ans, p, r: score_answers(ans, p, True), "also when reverse=False"),
    (lambda ans, p, r: float("nan"), "you gave nan"),
])
def test_accuracy_reading_order_and_nan(wrong, message):
    assert_fails(check_addition_accuracy(wrong), message)
