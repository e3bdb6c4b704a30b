"""Lesson 00's exercise checks (notebooks/00_text_to_tokens.ipynb).

Their tests: tests/test_checks_l00_text_to_tokens.py."""

from __future__ import annotations

import torch

from ...i18n import _
from ..sandbox import describe
from .answers import id_list, is_int
from .framework import Mistake, call, exercise


_SAMPLES = ["hello", "To be, or not to be", "\nROMEO.\nO!", "a"]


@exercise
def check_encode_decode(encode, decode, tokenizer) -> str:
    """encode(text) -> list of IDs and decode(ids) -> text, equal to the tokenizer's."""
    for text in _SAMPLES:
        ids = id_list(call(encode, text, hint=_("look each character up in stoi: "
                                                 "[stoi[c] for c in s]")), "encode")
        want = tokenizer.encode(text)
        if len(ids) != len(want):
            raise Mistake(_("encode({text}) gave {n} IDs; one per character is {want}").format(
                text=repr(text), n=len(ids), want=len(want)))
        if ids != want:
            if [i - 1 for i in ids] == want:
                raise Mistake(_("every ID is one too large: enumerate() counts from 0, so the "
                                "first character of the vocabulary has ID 0"))
            if ids == [ord(c) for c in text]:
                raise Mistake(_("you used ord(c), the character's number in Unicode; the ID is "
                                "the character's position in the sorted vocabulary: stoi[c]"))
            if ids == want[::-1]:
                raise Mistake(_("encode({text}) gave the IDs in reverse order; keep the "
                                "order of the characters").format(text=repr(text)))
            raise Mistake(_("encode({text}) gave {ids}, expected {want}; look each "
                            "character up in stoi").format(text=repr(text), ids=ids[:8],
                                                           want=want[:8]))
        back = call(decode, list(want), hint=_("look each ID up in itos (integer to string), "
                                               "then join: ''.join(itos[i] for i in ids)"))
        if isinstance(back, (list, tuple)):
            raise Mistake(_("decode returned a list; join the characters into one string "
                            "with ''.join(...)"))
        if not isinstance(back, str):
            raise Mistake(_("decode returned {value}; it should return a string").format(
                value=describe(back)))
        if back != text:
            if len(text) > 1 and back in (" ".join(text), ",".join(text)):
                raise Mistake(_("decode({ids}...) gave {back}: you joined the characters "
                                "with a separator; join with '' (the empty string)").format(
                                    ids=want[:8], back=repr(back)))
            raise Mistake(_("decode({ids}...) gave {back}, expected {text}").format(
                ids=want[:8], back=repr(back), text=repr(text)))
    return _("encode and decode agree with the tokenizer, and decode(encode(s)) == s.")


@exercise
def check_context_target_pairs(make_pairs, block_size: int = 8) -> str:
    """make_pairs(chunk) -> [(context, target), ...]: block_size examples from one chunk."""
    chunk = list(range(10, 10 + block_size + 1))          # block_size + 1 distinct tokens
    pairs = call(make_pairs, chunk, hint=_("the last example has t = len(chunk) - 2, so loop "
                                           "over range(len(chunk) - 1)"))
    if isinstance(pairs, dict):
        raise Mistake(_("you returned a dict; return a list of (context, target) pairs"))
    if isinstance(pairs, torch.Tensor) or not isinstance(pairs, (list, tuple)):
        raise Mistake(_("you returned {value}; return a list of (context, target) pairs").format(
            value=describe(pairs)))
    if len(pairs) != block_size:
        raise Mistake(_("a chunk of block_size + 1 = {tokens} tokens holds {block_size} "
                        "examples, you returned {n} (off by one?)").format(
                            tokens=block_size + 1, block_size=block_size, n=len(pairs)))
    for t, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise Mistake(_("each example should be a pair (context, target); item {t} is "
                            "{pair}").format(t=t, pair=repr(pair)))
        context, target = pair
        if is_int(context):
            raise Mistake(_("example {t} is ({context}, {target}): a pair of single "
                            "tokens. The context is every token up to position t, a list "
                            "chunk[:t + 1]; the target is the token after it, chunk[t + 1]"
                            ).format(t=t, context=int(context), target=target))
        if isinstance(context, torch.Tensor):
            context = context.tolist()
        if not isinstance(context, (list, tuple)):
            raise Mistake(_("example {t}: the context should be a list of IDs, got "
                            "{value}").format(t=t, value=describe(context)))
        context = list(context)
        if isinstance(target, torch.Tensor) and target.numel() == 1:
            target = target.reshape(()).item()
        if not is_int(target):
            raise Mistake(_("example {t}: the target should be one token ID (an int), got "
                            "{value}: chunk[t + 1], not chunk[t + 1:]").format(
                                t=t, value=describe(target)))
        target = int(target)
        if context == chunk[:t] and target == chunk[t]:
            raise Mistake(_("example {t} has an empty or short context: the context of "
                            "example t is chunk[:t+1] (it includes token t), the target is "
                            "chunk[t+1]").format(t=t))
        if context != chunk[:t + 1]:
            raise Mistake(_("example {t}: context {context} should be chunk[:{end}] = "
                            "{want}").format(t=t, context=context, end=t + 1,
                                             want=chunk[:t + 1]))
        if target != chunk[t + 1]:
            if target == chunk[t]:
                raise Mistake(_("example {t}: the target is the last token of the context; it "
                                "should be the token after it, chunk[{next}]").format(
                                    t=t, next=t + 1))
            raise Mistake(_("example {t}: target {target} should be chunk[{next}] = "
                            "{want}").format(t=t, target=target, next=t + 1, want=chunk[t + 1]))
    return _("{block_size} examples from one chunk: the context grows from 1 to {block_size} "
             "tokens.").format(block_size=block_size)
