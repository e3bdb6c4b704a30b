"""What every tokenizer of the course is: the interface CharTokenizer (data.py) and
BPETokenizer (bpe.py) both follow, and that the checkpoint and data code are typed against.

    tok.encode("hello")        -> [46, 43, 50, 50, 53]   a list of token IDs
    tok.decode([46, 43])       -> "he"                   the text back
    tok.vocab_size             -> 65                     IDs run from 0 to vocab_size - 1
    tok.to_dict()              -> {"kind": "char", ...}  what tokenizer.json stores
    type(tok).from_dict(d)     -> the same tokenizer     and how it is read back

A checkpoint chooses the class from the "kind" that to_dict() writes (data.TOKENIZER_KINDS).
`isinstance(x, Tokenizer)` is True for any object with these members (a structural check,
as minbpe's Tokenizer base class is by inheritance).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Tokenizer(Protocol):
    """Text to token IDs and back, and a JSON-safe dict to store it in a checkpoint."""

    @property
    def vocab_size(self) -> int:
        """How many token IDs there are: every ID is in range(vocab_size)."""
        ...

    def encode(self, text: str) -> list[int]:
        """The token IDs of `text`; ValueError for text this tokenizer cannot encode."""
        ...

    def decode(self, ids) -> str:
        """The text of a list (or 1-D tensor) of token IDs; ValueError for an unknown ID."""
        ...

    def to_dict(self) -> dict:
        """A JSON-safe dict with a "kind", from which from_dict rebuilds this tokenizer."""
        ...

    @classmethod
    def from_dict(cls, d: dict) -> Tokenizer:
        """The tokenizer that to_dict described; ValueError if `d` is not one."""
        ...
