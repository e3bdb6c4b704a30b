"""Text to tokens: the corpus, the character tokenizer, the train/val split and batches.

Lesson 00 builds each piece by hand; this module is the version every later lesson uses.

    corpus = load_corpus()                       # data/shakespeare.txt, tokenized and split
    x, y = get_batch(corpus.train_data, batch_size=4, block_size=8, generator=g)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from ..i18n import N_, _
from . import validate
from .defaults import TRAIN_FRACTION
from .tokenizer import Tokenizer

REPO_DIR = Path(__file__).resolve().parents[2]   # course_lib/core/data.py -> the repository
DATA_DIR = REPO_DIR / "data"
CORPUS_PATH = DATA_DIR / "shakespeare.txt"


MAX_TEXT_BYTES = 256_000_000    # a corpus, a task or a prompt file: 256 MB (the course's is 1 MB)


class FileTooLargeError(ValueError):
    """A file holds more bytes than its reader takes (callers tell it apart by its class: the
    message is in the learner's language)."""


class UnknownCharacterError(ValueError):
    """Text holds a character that the tokenizer's vocabulary lacks (a class, so that callers
    need not match the message, which is in the learner's language)."""


def _file_kind(mode: int) -> str | None:
    """What a file that is not a regular file is, in words (None for a regular file)."""
    import stat
    if stat.S_ISREG(mode):
        return None
    for test, words in ((stat.S_ISDIR, N_("a directory")),
                        (stat.S_ISFIFO, N_("a named pipe (FIFO)")),
                        (stat.S_ISCHR, N_("a character device (such as /dev/zero)")),
                        (stat.S_ISBLK, N_("a block device")), (stat.S_ISSOCK, N_("a socket"))):
        if test(mode):
            return words
    return N_("not a regular file")


def read_regular_file(path: str | Path, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file `path`, if it holds at most `limit` bytes.

    A named pipe, a device or a socket is refused by its type before anything is read (a
    pipe would wait forever for a writer, /dev/zero never ends), and the file is opened
    without blocking, so one swapped in after the check is refused too. Raises
    FileNotFoundError if nothing is at `path`, ValueError naming the problem otherwise.
    """
    import os
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(_("{what} {path}: no such file; check the path").format(
            what=what, path=path)) from None
    _refuse_kind(st.st_mode, path, what)
    _refuse_size(st.st_size, limit, path, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    with open(fd, "rb", closefd=True) as f:
        st = os.fstat(f.fileno())
        _refuse_kind(st.st_mode, path, what)         # swapped for a pipe after the stat
        data = f.read(limit + 1)
    _refuse_size(len(data), limit, path, what)
    return data


def _refuse_kind(mode: int, path: Path, what: str) -> None:
    kind = _file_kind(mode)
    if kind == "a directory":
        raise ValueError(_("{what} {path} is a directory; give the path of a text file").format(
            what=what, path=path))
    if kind is not None:
        raise ValueError(_("{what} {path} is {kind}, not a regular file: reading it could wait "
                           "forever or never end. Give the path of an ordinary file").format(
            what=what, path=path, kind=_(kind)))


def _refuse_size(size: int, limit: int, path: Path, what: str) -> None:
    if size > limit:
        raise FileTooLargeError(_("{what} {path} is larger than {limit:,} bytes, the most the course "
                           "reads from such a file; give a smaller file (or a part of it)").format(
            what=what, path=path, limit=limit))


_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32", "FF FE 00 00"), (b"\x00\x00\xfe\xff", "UTF-32", "00 00 FE FF"),
         (b"\xff\xfe", "UTF-16", "FF FE"), (b"\xfe\xff", "UTF-16", "FE FF"))


def decode_utf8(raw: bytes, source: str | Path, what: str | None = None,
                then: str | None = None) -> str:
    """`raw` read as UTF-8, or a ValueError that names the encoding it is in (UTF-16 or
    UTF-32, from its byte-order mark or its NUL bytes) and the iconv command that converts it."""
    source = str(source)
    what = _("corpus file") if what is None else what
    then = _("give converted.txt") if then is None else then
    convert = f"iconv -f {{}} -t UTF-8 {source} > converted.txt"
    for bom, name, shown in _BOMS:
        if raw.startswith(bom):
            raise ValueError(_("{what} {source} is {name} text (it starts with the byte-order "
                               "mark {shown}), not UTF-8; convert it with `{command}` and "
                               "{then}").format(what=what, source=source, name=name, shown=shown,
                                                command=convert.format(name), then=then))
    head = raw[:4096]
    if len(head) >= 4 and head.count(0) * 4 >= len(head):   # every other byte NUL: UTF-16
        name = "UTF-16LE" if head[1::2].count(0) > head[0::2].count(0) else "UTF-16BE"
        raise ValueError(_("{what} {source} looks like {name} text (every other byte is NUL), "
                           "not UTF-8; convert it with `{command}` and {then}").format(
            what=what, source=source, name=name, command=convert.format(name), then=then))
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(_(
            "{what} {source} is not UTF-8 text (byte 0x{byte:02x} at byte {at}); save it as "
            "UTF-8, or convert it, for example with `iconv -f latin1 -t utf-8` if it is "
            "Latin-1").format(what=what, source=source, byte=raw[err.start],
                              at=err.start)) from None


def load_text(path: str | Path | None = None) -> str:
    """Read a UTF-8 text file (the course corpus when `path` is None) and return its text.

    Raises FileNotFoundError if the file is missing, ValueError if it is empty, not UTF-8
    text, a directory, a pipe or device (not a regular file), or over MAX_TEXT_BYTES.
    """
    path = CORPUS_PATH if path is None else Path(path)
    if not path.exists() and not path.is_symlink():
        raise FileNotFoundError(_(
            "corpus file not found: {path}. Check the path; with no path, load_text() reads "
            "the course corpus {corpus}").format(path=path,
                                                 corpus=CORPUS_PATH.relative_to(REPO_DIR)))
    raw = read_regular_file(path, MAX_TEXT_BYTES, _("corpus file"))
    text = decode_utf8(raw, path, _("corpus file"))
    if not text.strip():
        raise ValueError(_("corpus file {path} is empty; give a file with some text in "
                           "it").format(path=path))
    return normalize_text(text.replace("\r\n", "\n"), source=str(path))


def normalize_text(text: str, source: str | None = None) -> str:
    """Drop a byte-order mark and bring the text to Unicode form NFC, saying so on stderr.

    A BOM (U+FEFF, which some editors put first) would otherwise become a character of the
    vocabulary; and 'é' can be one character (NFC) or 'e' plus an accent (NFD): a corpus in
    one form would refuse a prompt typed in the other. NFC is what keyboards type.
    """
    import sys
    import unicodedata
    source = _("the text") if source is None else source
    notes = []
    if text.startswith("\ufeff"):
        text = text[1:]
        notes.append(_("dropped the byte-order mark (U+FEFF) at its start"))
    if not text.isascii():
        nfc = unicodedata.normalize("NFC", text)
        if nfc != text:
            notes.append(_("changed it to Unicode form NFC ({fewer:,} fewer characters: "
                           "accents joined to their letters; it reads the same)").format(
                fewer=len(text) - len(nfc)))
            text = nfc
    if notes:
        print(_("note: {source}: {notes}").format(source=source, notes="; ".join(notes)),
              file=sys.stderr)
    return text


class CharTokenizer:
    """Maps each character of a fixed vocabulary to an integer ID and back.

    The vocabulary is the sorted list of distinct characters, so ID order follows Unicode
    order: '\\n' is 0, ' ' is 1, and so on.
    """

    def __init__(self, chars: list[str] | str):
        chars = list(chars)
        if not chars:
            raise ValueError(_("a tokenizer needs at least one character in its vocabulary"))
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise ValueError(_("each vocabulary entry must be one character, got "
                               "{entry!r}").format(entry=bad[0]))
        surrogates = [i for i, c in enumerate(chars) if "\ud800" <= c <= "\udfff"]
        if surrogates:
            i = surrogates[0]
            raise ValueError(_("vocabulary entry {i} is U+{code:04X}, half of a UTF-16 "
                               "surrogate pair and not a character: no text holds it and no "
                               "terminal can print it. The vocabulary file is damaged").format(
                i=i, code=ord(chars[i])))
        if len(set(chars)) != len(chars):
            raise ValueError(_("the vocabulary lists a character twice; give distinct "
                               "characters"))
        self.chars = chars
        self.stoi = {ch: i for i, ch in enumerate(chars)}  # string to integer
        self.itos = dict(enumerate(chars))                  # integer to string

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        """Build the vocabulary from every distinct character of `text`, sorted."""
        if not isinstance(text, str) or not text:
            raise ValueError(_("from_text needs a non-empty string to read the characters "
                               "from"))
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> list[int]:
        """Turn a string into a list of token IDs.

        Raises TypeError for a non-string and ValueError naming the first character that is
        not in the vocabulary, with its position.
        """
        if not isinstance(text, str):
            raise TypeError(_("encode expects a string, got {kind}; to decode IDs back to "
                              "text, use decode()").format(kind=type(text).__name__))
        try:
            return [self.stoi[c] for c in text]
        except KeyError:
            pos, ch = next((i, c) for i, c in enumerate(text) if c not in self.stoi)
            raise UnknownCharacterError(_(
                "character {ch!r} (U+{code:04X}) at position {pos} is not in the vocabulary "
                "of {n} characters; remove it from the text, or build the tokenizer from a "
                "text that contains it").format(ch=ch, code=ord(ch), pos=pos,
                                                n=self.vocab_size)) from None

    def decode(self, ids) -> str:
        """Turn a list (or 1-D tensor) of token IDs back into a string."""
        return "".join(self.itos[i] for i in validate.token_ids(ids, self.vocab_size))

    def to_dict(self) -> dict:
        """What a checkpoint stores (tokenizer.json): {"kind": "char", "chars": [...]}."""
        return {"kind": "char", "chars": list(self.chars)}

    @classmethod
    def from_dict(cls, d: dict) -> CharTokenizer:
        """The tokenizer that to_dict described. Raises ValueError if `d` is not one."""
        if not isinstance(d, dict) or not isinstance(d.get("chars"), list):
            raise ValueError(_('a character tokenizer is stored as {"kind": "char", "chars": '
                               '[...]}; this one has no list of "chars"'))
        return cls(d["chars"])

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"

    def __eq__(self, other) -> bool:
        return isinstance(other, CharTokenizer) and self.chars == other.chars


# Every kind of tokenizer a checkpoint can hold, by the "kind" its to_dict() writes. A value
# is the class, or "module:Class" for a class that is imported only when a checkpoint needs
# it. Each class follows the Tokenizer protocol (tokenizer.py).
TOKENIZER_KINDS: dict[str, type | str] = {"char": CharTokenizer,
                                           "bpe": "course_lib.core.bpe:BPETokenizer"}


def tokenizer_class(kind) -> type:
    """The class registered for `kind`. Raises ValueError naming the kinds there are."""
    cls = TOKENIZER_KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(_("unknown tokenizer kind {kind!r}; this course_lib knows "
                           "{kinds}").format(kind=kind, kinds=sorted(TOKENIZER_KINDS)))
    if isinstance(cls, str):                     # "module:Class", imported on first use
        import importlib
        module, _colon, name = cls.partition(":")
        cls = TOKENIZER_KINDS[kind] = getattr(importlib.import_module(module), name)
    return cls


def tokenizer_from_dict(d) -> Tokenizer:
    """Rebuild a tokenizer from its to_dict(), choosing the class by d["kind"]."""
    if not isinstance(d, dict):
        raise ValueError(_('a stored tokenizer is a JSON object with a "kind", got '
                           '{kind}').format(kind=type(d).__name__))
    return tokenizer_class(d.get("kind")).from_dict(d)


def train_val_split(data: torch.Tensor, train_fraction: float = TRAIN_FRACTION
                    ) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a 1-D token tensor into its first `train_fraction` (train) and the rest (val).

    The split is by position, not random: validation text is text the model never saw,
    not shuffled sentences from the same scenes.
    """
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(_("train_fraction must be between 0 and 1 (exclusive), got "
                           "{value}; {default} keeps {default:.0%} for training").format(
            value=train_fraction, default=TRAIN_FRACTION))
    if data.dim() != 1:
        raise ValueError(_("expected a 1-D tensor of token IDs, got shape {shape}").format(
            shape=tuple(data.shape)))
    n = int(train_fraction * len(data))
    return data[:n], data[n:]


def get_batch(data: torch.Tensor, batch_size: int, block_size: int,
              generator: torch.Generator | None = None, device: str | torch.device = "cpu"
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample `batch_size` random windows of `block_size` tokens, and the next-token targets.

    Returns x and y, both (B, T) = (batch_size, block_size) int64 tensors, with
    y[b, t] == x[b, t + 1] inside a window: each row holds block_size training examples.

    Raises ValueError when a size is not a positive integer or the data is too short.
    """
    validate.positive_int("batch_size", batch_size)
    validate.positive_int("block_size", block_size)
    if data.dim() != 1:
        raise ValueError(_("expected a 1-D tensor of token IDs, got shape {shape}").format(
            shape=tuple(data.shape)))
    n_windows = len(data) - block_size  # start positions that leave room for the target
    if n_windows < 1:
        raise ValueError(_(
            "the data has {n} tokens, but one window of block_size={block_size} needs at "
            "least {need} (the inputs plus one target); use a smaller block_size or more "
            "text").format(n=len(data), block_size=block_size, need=block_size + 1))
    if batch_size > n_windows:
        raise ValueError(_(
            "batch_size={batch_size} is larger than the {n_windows} different windows of "
            "block_size={block_size} this data has; use batch_size <= {n_windows} or more "
            "text").format(batch_size=batch_size, n_windows=n_windows, block_size=block_size))
    ix = torch.randint(n_windows, (batch_size,), generator=generator)
    offsets = torch.arange(block_size)
    x = data[ix[:, None] + offsets]        # (B, T): one gather instead of a Python loop
    y = data[ix[:, None] + offsets + 1]    # (B, T): the same windows, one step later
    return x.to(device), y.to(device)


@dataclass
class Corpus:
    """A text, its tokenizer, and its token IDs split into training and validation parts."""
    text: str
    tokenizer: Tokenizer
    data: torch.Tensor        # (N,) int64: the whole text as token IDs
    train_data: torch.Tensor  # the first TRAIN_FRACTION (90%)
    val_data: torch.Tensor    # the last 10%

    def __repr__(self) -> str:
        return (f"Corpus({len(self.text):,} characters, vocab_size={self.tokenizer.vocab_size}, "
                f"train={len(self.train_data):,} tokens, val={len(self.val_data):,} tokens)")


def load_corpus(path: str | Path | None = None, train_fraction: float = TRAIN_FRACTION,
                tokenizer: Tokenizer | None = None) -> Corpus:
    """Read, tokenize and split a text file (the course corpus when `path` is None).

    Give `tokenizer` to encode with an existing vocabulary (for example a checkpoint's);
    otherwise the vocabulary is built from the text.
    """
    text = load_text(path)
    tokenizer = tokenizer or CharTokenizer.from_text(text)
    data = torch.tensor(tokenizer.encode(text), dtype=torch.long)
    train_data, val_data = train_val_split(data, train_fraction)
    return Corpus(text, tokenizer, data, train_data, val_data)
