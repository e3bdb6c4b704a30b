"""Embeddings (lesson 01): similarity, nearest neighbours, 2-D projections, word vectors.

    cosine_similarity(a, b)             how much two vectors point the same way, in [-1, 1]
    pca_project(x, k=2)                 the k directions along which the rows of x vary most
    wv = load_word_vectors()            data/word_vectors.safetensors + word_vectors.json
    wv.nearest("king")                  the words whose vectors are most similar
    wv.analogy("man", "king", "woman")  "man is to king as woman is to ?": king - man + woman

The word vectors are trained on the course corpus by scripts/train_word_vectors.py with the
skip-gram model below (`SkipGramModel`, `skipgram_pairs`, `words_of`).
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

from ..core.data import DATA_DIR
from ..core.validate import float_tensor, int_at_least, is_whole, positive_int
from ..i18n import _

WORD_VECTORS_PATH = DATA_DIR / "word_vectors.safetensors"


# ----------------------------------------------------------------------------- similarity

def _vectors(x, name: str) -> torch.Tensor:
    """`x` as a float tensor of one or more vectors (its last dimension); a number is refused."""
    x = float_tensor(x, name)
    if x.dim() == 0:
        raise ValueError(_("{name} is a single number; cosine similarity compares vectors, "
                           "give a 1-D tensor (or rows of a 2-D tensor)").format(name=name))
    return x


def cosine_similarity(a, b) -> torch.Tensor:
    """cos(angle) between vectors a and b along the last dimension: a.b / (|a| |b|).

    Shapes broadcast like `a * b`: (D,) and (D,) give a 0-D tensor, (N, D) and (D,) give
    (N,). 1 means the same direction, 0 at a right angle, -1 opposite. Raises ValueError
    when the last dimensions differ or a vector is all zeros (it has no direction).
    """
    a, b = _vectors(a, "a"), _vectors(b, "b")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(_("the vectors have different lengths: a has {a} numbers per vector, "
                           "b has {b}; compare vectors of the same size (the same n_embd)")
                         .format(a=a.shape[-1], b=b.shape[-1]))
    na, nb = a.norm(dim=-1), b.norm(dim=-1)
    if (na == 0).any() or (nb == 0).any():
        raise ValueError(_("a vector of zeros has no direction, so its cosine similarity is "
                           "undefined; leave it out (or use the distance instead)"))
    return (a * b).sum(dim=-1) / (na * nb)


def euclidean_distance(a, b) -> torch.Tensor:
    """The straight-line distance |a - b| along the last dimension (broadcasts like a - b)."""
    a, b = _vectors(a, "a"), _vectors(b, "b")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(_("the vectors have different lengths: a has {a} numbers per vector, "
                           "b has {b}; compare vectors of the same size").format(
            a=a.shape[-1], b=b.shape[-1]))
    return (a - b).norm(dim=-1)


def nearest_rows(vectors: torch.Tensor, query: torch.Tensor, k: int = 5,
                 exclude: list[int] | tuple[int, ...] = ()) -> tuple[torch.Tensor, torch.Tensor]:
    """The k rows of `vectors` (N, D) most cosine-similar to `query` (D,), most similar first.

    Returns (indices (k,), similarities (k,)). Rows listed in `exclude` are skipped.
    """
    positive_int("k", k)
    if vectors.dim() != 2:
        raise ValueError(_("vectors must be a 2-D tensor (one row per item), got shape {shape}")
                         .format(shape=tuple(vectors.shape)))
    sims = cosine_similarity(vectors, query)                     # (N,)
    if exclude:
        sims = sims.clone()
        sims[list(exclude)] = float("-inf")
    k = min(k, len(sims) - len(set(exclude)))
    top = torch.topk(sims, k)
    return top.indices, top.values


# ----------------------------------------------------------------------------- projection

@dataclass
class Projection:
    """Points projected on the top principal directions, and how much variance each keeps."""
    points: torch.Tensor        # (N, k): the coordinates of each row
    explained: torch.Tensor     # (k,): the fraction of the total variance along each direction
    directions: torch.Tensor    # (k, D): the unit directions, most variance first


def pca_project(x: torch.Tensor, k: int = 2) -> Projection:
    """Project the rows of x (N, D) on their k principal directions (PCA, via the SVD).

    The rows are centred first. Each direction's sign is fixed (its largest component is
    positive), so the same data always gives the same picture.
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 2:
        raise ValueError(_("pca_project needs a 2-D tensor (one row per point), got {got}")
                         .format(got=getattr(x, "shape", type(x).__name__)))
    N, D = x.shape
    if not is_whole(k) or not 1 <= k <= min(N, D):
        raise ValueError(_("k must be between 1 and min(N, D) = {most}, got {k!r}").format(
            most=min(N, D), k=k))
    xc = x.detach().double() - x.detach().double().mean(dim=0)
    _u, s, vh = torch.linalg.svd(xc, full_matrices=False)        # xc = U diag(s) Vh
    dirs = vh[:k]                                                 # (k, D)
    flip = torch.sign(dirs.gather(1, dirs.abs().argmax(dim=1, keepdim=True)))  # (k, 1)
    dirs = dirs * flip
    var = s ** 2
    return Projection(points=(xc @ dirs.T).float(), explained=(var[:k] / var.sum()).float(),
                      directions=dirs.float())


# ----------------------------------------------------------------------------- word vectors

class UnknownWordError(KeyError):
    """A word that is not in the vocabulary of a WordVectors."""

    def __str__(self) -> str:          # KeyError would print the message in quotes
        return str(self.args[0])


@dataclass
class WordVectors:
    """One vector per word (the rows of `vectors`), looked up by the word itself."""
    words: list[str]
    vectors: torch.Tensor                        # (N, D)
    counts: list[int] = field(default_factory=list)   # how often each word occurs in the corpus
    info: dict = field(default_factory=dict)     # how the vectors were made

    def __post_init__(self):
        if self.vectors.dim() != 2 or self.vectors.size(0) != len(self.words):
            raise ValueError(_("vectors must have one row per word: {n} words, vectors of "
                               "shape {shape}").format(n=len(self.words),
                                                       shape=tuple(self.vectors.shape)))
        self.index_of = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index_of

    @property
    def dim(self) -> int:
        return self.vectors.size(1)

    def index(self, word: str) -> int:
        """The row of `word`; UnknownWordError naming the word (and close words) if absent."""
        if not isinstance(word, str):
            raise TypeError(_("a word must be a string, got {kind}").format(
                kind=type(word).__name__))
        if word not in self.index_of:
            close = difflib.get_close_matches(word.lower(), self.words, n=3)
            hint = (" " + _("Close words that are in it: {words}.").format(
                words=", ".join(close)) if close else "")
            lower = (" " + _("The vocabulary is lower case.") if word != word.lower() else "")
            raise UnknownWordError(
                _("{word!r} is not in the vocabulary of these word vectors (the {n:,} most "
                  "frequent words of the corpus).").format(word=word, n=len(self))
                + lower + hint)
        return self.index_of[word]

    def __getitem__(self, word: str) -> torch.Tensor:
        return self.vectors[self.index(word)]

    def similarity(self, w1: str, w2: str) -> float:
        return float(cosine_similarity(self[w1], self[w2]))

    def nearest(self, query: str | torch.Tensor, k: int = 8,
                exclude: list[str] | tuple[str, ...] = ()) -> list[tuple[str, float]]:
        """The k words most cosine-similar to a word (itself left out) or to a vector."""
        if isinstance(query, str):
            exclude = (query, *exclude)
            query = self[query]
        rows, sims = nearest_rows(self.vectors, query, k, [self.index(w) for w in exclude])
        return [(self.words[i], float(s)) for i, s in zip(rows.tolist(), sims)]

    def analogy_vector(self, a: str, b: str, c: str) -> torch.Tensor:
        """b - a + c: "a is to b as c is to ?" (king - man + woman for man:king :: woman:?)."""
        return self[b] - self[a] + self[c]

    def analogy(self, a: str, b: str, c: str, k: int = 5) -> list[tuple[str, float]]:
        """The k words nearest to b - a + c, leaving out a, b and c themselves."""
        return self.nearest(self.analogy_vector(a, b, c), k, exclude=(a, b, c))

    def rank(self, word: str, query: torch.Tensor, exclude: list[str] | tuple[str, ...] = ()
             ) -> int:
        """Where `word` lands (1 = nearest) among all words sorted by similarity to `query`."""
        sims = cosine_similarity(self.vectors, query).clone()     # (N,)
        for w in exclude:
            sims[self.index(w)] = float("-inf")
        target = sims[self.index(word)]
        return int((sims > target).sum()) + 1


def load_word_vectors(path: str | Path | None = None) -> WordVectors:
    """Load word vectors saved by scripts/train_word_vectors.py (safetensors + JSON).

    `path` is the .safetensors file (default data/word_vectors.safetensors); the words are
    in the .json file next to it.
    """
    path = WORD_VECTORS_PATH if path is None else Path(path)
    meta_path = path.with_suffix(".json")
    for p in (path, meta_path):
        if not p.is_file():
            raise FileNotFoundError(_("no word vectors at {path}; make them with `python "
                                      "scripts/train_word_vectors.py` (a few minutes on a CPU)")
                                    .format(path=p))
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    vectors = load_file(str(path))["vectors"]
    return WordVectors(meta["words"], vectors, meta.get("counts", []), meta.get("info", {}))


def save_word_vectors(wv: WordVectors, path: str | Path | None = None) -> None:
    """Write `wv` as a .safetensors file (the vectors) and a .json file (words, info)."""
    path = WORD_VECTORS_PATH if path is None else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file({"vectors": wv.vectors.contiguous().float()}, str(path))
    meta = {"words": wv.words, "counts": wv.counts, "info": wv.info}
    path.with_suffix(".json").write_text(json.dumps(meta, separators=(",", ":")), encoding="utf-8")


# ----------------------------------------------------------------------------- training them

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


def words_of(text: str) -> list[str]:
    """The words of a text, lower case, punctuation dropped ("King's" -> "king's")."""
    return _WORD.findall(text.lower())


def build_word_vocab(words: list[str], max_words: int) -> tuple[list[str], list[int]]:
    """The `max_words` most frequent words (ties broken alphabetically) and their counts."""
    int_at_least("max_words", max_words, 2)
    ranked = sorted(Counter(words).items(), key=lambda wc: (-wc[1], wc[0]))[:max_words]
    return [w for w, _count in ranked], [c for _word, c in ranked]


def skipgram_pairs(ids: torch.Tensor, window: int, generator: torch.Generator
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """(centre, context) pairs: each word with each neighbour up to `window` words away.

    As in word2vec, each centre word draws its own window size in 1..window, so near
    neighbours count more than far ones. Returns two 1-D int64 tensors of the same length.
    """
    positive_int("window", window)
    n = len(ids)
    reach = torch.randint(1, window + 1, (n,), generator=generator)   # per-centre window
    centres, contexts = [], []
    pos = torch.arange(n)
    for d in range(1, window + 1):
        for sign in (-1, 1):
            other = pos + sign * d
            keep = (reach >= d) & (other >= 0) & (other < n)
            centres.append(ids[pos[keep]])
            contexts.append(ids[other[keep]])
    return torch.cat(centres), torch.cat(contexts)


class SkipGramModel(nn.Module):
    """word2vec's skip-gram with negative sampling.

    Each word has two vectors: `in_embed` (when it is the centre word; these are the word
    vectors we keep) and `out_embed` (when it is a context word). The model learns to give
    a high score u_centre . v_context to pairs seen together in the text and a low score to
    random "negative" pairs.
    """

    def __init__(self, vocab_size: int, dim: int):
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, dim)
        self.out_embed = nn.Embedding(vocab_size, dim)
        nn.init.uniform_(self.in_embed.weight, -0.5 / dim, 0.5 / dim)
        nn.init.zeros_(self.out_embed.weight)

    def forward(self, centre: torch.Tensor, context: torch.Tensor, negatives: torch.Tensor
                ) -> torch.Tensor:
        """(B,), (B,), (B, K) word IDs -> the mean negative-sampling loss (a 0-D tensor)."""
        u = self.in_embed(centre)                                   # (B, D)
        v = self.out_embed(context)                                 # (B, D)
        n = self.out_embed(negatives)                               # (B, K, D)
        pos = F.logsigmoid((u * v).sum(-1))                         # (B,)
        neg = F.logsigmoid(-(n @ u.unsqueeze(-1)).squeeze(-1)).sum(-1)   # (B, K) -> (B,)
        return -(pos + neg).mean()
