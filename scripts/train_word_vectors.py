"""Train small word vectors on the course corpus (word2vec skip-gram, negative sampling).

    python scripts/train_word_vectors.py      # about 3 minutes on 2 CPU cores

Lesson 01 loads the result to show that trained vectors put related words near each other,
and to test, honestly, what a corpus of about 280,000 words can and cannot learn (for
example king - man + woman). It writes

    data/word_vectors.safetensors   the vectors, (MAX_WORDS, DIM) float32
    data/word_vectors.json          the words (row order), their counts, and how they were made

Only the MAX_WORDS most frequent words get a vector; rarer words are dropped from the text
before the windows are taken (as word2vec does). Very frequent words ("the", "and") are
randomly thinned out, so that they do not drown the rest. Everything is seeded.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch

from course_lib import load_text
from course_lib.core.defaults import SEED
from course_lib.lessons.embeddings import (WORD_VECTORS_PATH, SkipGramModel, WordVectors,
                                   build_word_vocab, save_word_vectors, skipgram_pairs, words_of)

SETTINGS = dict(max_words=4000, dim=64, window=5, negatives=5, subsample=1e-3, epochs=10,
                batch_size=1024, lr=3e-3, seed=SEED)
PROBES = ["king", "queen", "love", "night", "sword", "father", "lord", "eye", "heaven", "three"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WORD_VECTORS_PATH)
    parser.add_argument("--epochs", type=int, default=SETTINGS["epochs"])
    args = parser.parse_args(argv)
    s = dict(SETTINGS, epochs=args.epochs)
    torch.manual_seed(s["seed"])
    g = torch.Generator().manual_seed(s["seed"])
    start = time.perf_counter()

    words = words_of(load_text())
    vocab, counts = build_word_vocab(words, s["max_words"])
    index = {w: i for i, w in enumerate(vocab)}
    ids = torch.tensor([index[w] for w in words if w in index])
    freq = torch.tensor(counts, dtype=torch.float64) / len(ids)
    # keep each occurrence with probability sqrt(t / f) + t / f (word2vec's subsampling)
    keep_prob = ((s["subsample"] / freq).sqrt() + s["subsample"] / freq).clamp(max=1.0).float()
    # negatives are drawn in proportion to count ** 0.75: rare words a little more often
    neg_dist = torch.tensor(counts, dtype=torch.float) ** 0.75
    print(f"{len(words):,} words in the corpus, {len(ids):,} of them among the "
          f"{len(vocab):,} most frequent", flush=True)

    model = SkipGramModel(len(vocab), s["dim"])
    opt = torch.optim.Adam(model.parameters(), lr=s["lr"])
    losses = []
    for epoch in range(s["epochs"]):
        kept = ids[torch.rand(len(ids), generator=g) < keep_prob[ids]]
        centre, context = skipgram_pairs(kept, s["window"], g)
        order = torch.randperm(len(centre), generator=g)
        n_batches = math.ceil(len(order) / s["batch_size"])
        total = 0.0
        for b in range(n_batches):
            lr = s["lr"] * (1 - (epoch * n_batches + b) / (s["epochs"] * n_batches)) + 1e-5
            for group in opt.param_groups:
                group["lr"] = lr
            sel = order[b * s["batch_size"]:(b + 1) * s["batch_size"]]
            neg = torch.multinomial(neg_dist, len(sel) * s["negatives"], replacement=True,
                                    generator=g).view(len(sel), s["negatives"])
            loss = model(centre[sel], context[sel], neg)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item()
        losses.append(round(total / n_batches, 4))
        print(f"epoch {epoch + 1}/{s['epochs']}: {len(centre):,} pairs, loss {losses[-1]:.4f}, "
              f"{time.perf_counter() - start:.0f} s", flush=True)

    seconds = time.perf_counter() - start
    info = dict(s, method="skip-gram with negative sampling (word2vec), scripts/"
                "train_word_vectors.py", corpus_words=len(words), kept_words=len(ids),
                epoch_loss=losses, seconds=round(seconds, 1),
                command="python scripts/train_word_vectors.py")
    wv = WordVectors(vocab, model.in_embed.weight.detach().clone(), counts, info)
    save_word_vectors(wv, args.out)
    for w in PROBES:
        print(f"{w:>7}: " + ", ".join(f"{n} {c:.2f}" for n, c in wv.nearest(w, 6)))
    print(f"king - man + woman: queen is number {wv.rank('queen', wv.analogy_vector('man', 'king', 'woman'), exclude=('man', 'king', 'woman'))}; "
          f"nearest: {', '.join(w for w, _ in wv.analogy('man', 'king', 'woman'))}")
    print(f"wrote {args.out} and {args.out.with_suffix('.json')} in {seconds:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
