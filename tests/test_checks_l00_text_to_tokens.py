"""Lesson 00's exercise checks (course_lib/lessons/checks/l00_text_to_tokens.py): each
solution passes, each stub is "not attempted", and each typical mistake is named."""

import pytest
import torch

from course_lib.lessons.checks import check_context_target_pairs, check_encode_decode

from checks_support import assert_fails, good_pairs, stub


# Typical mistakes of encode/decode: IDs counted from 1 (off by one); ord(c) instead of
# stoi; encode returning the string, one int, characters or floats; a wrong length;
# decode returning a list, joining with a separator, looking up in stoi (a KeyError).

def _stoi_itos(tok):
    return {c: i for i, c in enumerate(tok.chars)}, dict(enumerate(tok.chars))


def test_encode_decode_solution_passes(tok):
    stoi, itos = _stoi_itos(tok)
    r = check_encode_decode(lambda s: [stoi[c] for c in s],
                            lambda ids: "".join(itos[i] for i in ids), tok)
    assert r.passed and repr(r).startswith("✅")
    assert check_encode_decode(lambda s: torch.tensor([stoi[c] for c in s]),
                               lambda ids: "".join(itos[i] for i in ids), tok).passed


@pytest.mark.parametrize("encode,decode,fragment", [
    ("ord", None, "you used ord(c), the character's number in Unicode"),
    ("off_by_one", None, "every ID is one too large: enumerate() counts from 0"),
    (lambda s: s, None, "encode returned a string"),
    (lambda s: 7, None, "encode returned one number (7)"),
    (lambda s: list(s), None, "encode returned characters (['h', 'e', 'l']...), not IDs"),
    ("floats", None, "encode returned a float (48.0) among the IDs"),
    (lambda s: [0] * (len(s) - 1), None, "gave 4 IDs; one per character is 5"),
    ("reversed", None, "gave the IDs in reverse order"),
    (None, lambda ids: ["x" for _ in ids], "decode returned a list; join the characters"),
    (None, "spaces", "you joined the characters with a separator"),
    (None, "stoi", "raised KeyError"),
    (None, lambda ids: "".join("a" for _ in ids), "expected 'hello'"),
    (None, lambda ids: len(ids), "decode returned an int (5); it should return a string"),
])
def test_encode_decode_rejects_typical_mistakes(tok, encode, decode, fragment):
    stoi, itos = _stoi_itos(tok)
    encoders = {"ord": lambda s: [ord(c) for c in s], "off_by_one": lambda s: [stoi[c] + 1 for c in s],
                "floats": lambda s: [float(stoi[c]) for c in s],
                "reversed": lambda s: [stoi[c] for c in reversed(s)]}
    decoders = {"spaces": lambda ids: " ".join(itos[i] for i in ids),
                "stoi": lambda ids: "".join(stoi[i] for i in ids)}
    encode = encoders.get(encode, encode) if isinstance(encode, str) else encode
    decode = decoders.get(decode, decode) if isinstance(decode, str) else decode
    r = check_encode_decode(encode or (lambda s: [stoi[c] for c in s]),
                            decode or (lambda ids: "".join(itos[i] for i in ids)), tok)
    assert_fails(r, fragment)


def test_decode_looked_up_in_stoi_gets_the_itos_hint(tok):
    stoi, _ = _stoi_itos(tok)
    r = check_encode_decode(lambda s: [stoi[c] for c in s],
                            lambda ids: "".join(stoi[i] for i in ids), tok)
    assert_fails(r, "Hint: look each ID up in itos (integer to string)")


# Typical mistakes of make_pairs: one example too few (range(len - 2)) or too many (an
# IndexError); a context one token short; the target inside the context; pairs of single
# tokens (c[t], c[t+1]); a context of one token; not pairs at all; a dict; changing chunk.

def test_context_target_pairs_solution_passes():
    assert check_context_target_pairs(good_pairs).passed
    assert check_context_target_pairs(stub).status == "not_attempted"


@pytest.mark.parametrize("make_pairs,fragment", [
    (lambda ch: [(ch[:t + 1], ch[t + 1]) for t in range(len(ch) - 2)], "you returned 7 (off by one?)"),
    (lambda ch: [(ch[:t + 1], ch[t + 1]) for t in range(len(ch))],
     "raised IndexError: list index out of range. Hint: the last example has t = len(chunk) - 2"),
    (lambda ch: [(ch[:t], ch[t]) for t in range(len(ch) - 1)], "has an empty or short context"),
    (lambda ch: [(ch[:t + 1], ch[t]) for t in range(len(ch) - 1)],
     "the target is the last token of the context"),
    (lambda ch: [(ch[t], ch[t + 1]) for t in range(len(ch) - 1)],
     "example 0 is (10, 11): a pair of single tokens. The context is every token up to position t"),
    (lambda ch: [ch[t] for t in range(len(ch) - 1)], "each example should be a pair"),
    (lambda ch: [(ch[t:t + 1], ch[t + 1]) for t in range(len(ch) - 1)], "context [11] should be"),
    (lambda ch: [(ch[:t + 1], ch[t + 1:t + 2]) for t in range(len(ch) - 1)],
     "the target should be one token ID (an int), got a list of 1 item"),
    (lambda ch: {tuple(ch[:t + 1]): ch[t + 1] for t in range(len(ch) - 1)}, "you returned a dict"),
    (lambda ch: [(ch[:t + 2], ch[t + 1]) for t in range(len(ch) - 1)],
     "example 0: context [10, 11] should be chunk[:1] = [10]"),
])
def test_context_target_pairs_rejects_typical_mistakes(make_pairs, fragment):
    assert_fails(check_context_target_pairs(make_pairs), fragment)
