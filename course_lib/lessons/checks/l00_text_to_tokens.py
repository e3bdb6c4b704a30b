"""Lesson 00's exercise checks (notebooks/00_text_to_tokens.ipynb).

Their tests: tests/test_checks_l00_text_to_tokens.py."""

from __future__ import annotations

import torch

from ..sandbox import describe
from .answers import id_list, is_int
from .framework import Mistake, call, exercise


_SAMPLES = ["hello", "To be, or not to be", "\nROMEO.\nO!", "a"]


@exercise
def check_encode_decode(encode, decode, tokenizer) -> str:
    """encode(text) -> list of IDs and decode(ids) -> text, equal to the tokenizer's."""
    for text in _SAMPLES:
        ids = id_list(call(encode, text, hint="look each character up in stoi: "
                                               "[stoi[c] for c in s]"), "encode")
        want = tokenizer.encode(text)
        if len(ids) != len(want):
            raise Mistake(f"encode({text!r}) gave {len(ids)} IDs; one per character is "
                          f"{len(want)}")
        if ids != want:
            if [i - 1 for i in ids] == want:
                raise Mistake("every ID is one too large: enumerate() counts from 0, so the "
                              "first character of the vocabulary has ID 0")
            if ids == [ord(c) for c in text]:
                raise Mistake("you used ord(c), the character's number in Unicode; the ID is "
                              "the character's position in the sorted vocabulary: stoi[c]")
            if ids == want[::-1]:
                raise Mistake(f"encode({text!r}) gave the IDs in reverse order; keep the "
                              f"order of the characters")
            raise Mistake(f"encode({text!r}) gave {ids[:8]}, expected {want[:8]}; look each "
                          f"character up in stoi")
        back = call(decode, list(want), hint="look each ID up in itos (integer to string), "
                                             "then join: ''.join(itos[i] for i in ids)")
        if isinstance(back, (list, tuple)):
            raise Mistake("decode returned a list; join the characters into one string "
                          "with ''.join(...)")
        if not isinstance(back, str):
            raise Mistake(f"decode returned {describe(back)}; it should return a string")
        if back != text:
            if len(text) > 1 and back in (" ".join(text), ",".join(text)):
                raise Mistake(f"decode({want[:8]}...) gave {back!r}: you joined the "
                              f"characters with a separator; join with '' (the empty string)")
            raise Mistake(f"decode({want[:8]}...) gave {back!r}, expected {text!r}")
    return "encode and decode agree with the tokenizer, and decode(encode(s)) == s."


@exercise
def check_context_target_pairs(make_pairs, block_size: int = 8) -> str:
    """make_pairs(chunk) -> [(context, target), ...]: block_size examples from one chunk."""
    chunk = list(range(10, 10 + block_size + 1))          # block_size + 1 distinct tokens
    pairs = call(make_pairs, chunk, hint="the last example has t = len(chunk) - 2, so loop "
                                         "over range(len(chunk) - 1)")
    if isinstance(pairs, dict):
        raise Mistake("you returned a dict; return a list of (context, target) pairs")
    if isinstance(pairs, torch.Tensor) or not isinstance(pairs, (list, tuple)):
        raise Mistake(f"you returned {describe(pairs)}; return a list of (context, target) "
                      f"pairs")
    if len(pairs) != block_size:
        raise Mistake(f"a chunk of block_size + 1 = {block_size + 1} tokens holds {block_size} "
                      f"examples, you returned {len(pairs)} (off by one?)")
    for t, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise Mistake(f"each example should be a pair (context, target); item {t} is "
                          f"{pair!r}")
        context, target = pair
        if is_int(context):
            raise Mistake(f"example {t} is ({int(context)}, {target}): a pair of single "
                          f"tokens. The context is every token up to position t, a list "
                          f"chunk[:t + 1]; the target is the token after it, chunk[t + 1]")
        if isinstance(context, torch.Tensor):
            context = context.tolist()
        if not isinstance(context, (list, tuple)):
            raise Mistake(f"example {t}: the context should be a list of IDs, got "
                          f"{describe(context)}")
        context = list(context)
        if isinstance(target, torch.Tensor) and target.numel() == 1:
            target = target.reshape(()).item()
        if not is_int(target):
            raise Mistake(f"example {t}: the target should be one token ID (an int), got "
                          f"{describe(target)}: chunk[t + 1], not chunk[t + 1:]")
        target = int(target)
        if context == chunk[:t] and target == chunk[t]:
            raise Mistake(f"example {t} has an empty or short context: the context of example t "
                          f"is chunk[:t+1] (it includes token t), the target is chunk[t+1]")
        if context != chunk[:t + 1]:
            raise Mistake(f"example {t}: context {context} should be chunk[:{t + 1}] = "
                          f"{chunk[:t + 1]}")
        if target != chunk[t + 1]:
            if target == chunk[t]:
                raise Mistake(f"example {t}: the target is the last token of the context; it "
                              f"should be the token after it, chunk[{t + 1}]")
            raise Mistake(f"example {t}: target {target} should be chunk[{t + 1}] = "
                          f"{chunk[t + 1]}")
    return f"{block_size} examples from one chunk: the context grows from 1 to {block_size} tokens."
