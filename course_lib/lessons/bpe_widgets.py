"""Lesson 10's figure and widget: vocabulary size against sequence length and parameters.

Every tokenizer here comes from one training: the first k merges of a BPE trained to a
large vocabulary are exactly a BPE trained to 256 + k tokens (training only adds merges),
so `tokenizer_at(big, vocab_size)` costs nothing.
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import matplotlib.pyplot as plt

from ..core.bpe import N_BYTES, BPETokenizer
from ..i18n import _
from .widgets import redraw_on_change

COLOURS = ["#fde2a8", "#b9e3c6", "#bcd7f5", "#f6c1c8", "#d9c8f0", "#f3d3b3"]


def tokenizer_at(big: BPETokenizer, vocab_size: int) -> BPETokenizer:
    """The BPE with the first vocab_size - 256 - (specials) merges of `big`: a smaller training."""
    n = vocab_size - N_BYTES - len(big.special_tokens)
    if not 0 <= n <= len(big.merges):
        raise ValueError(_("vocab_size {vocab_size} is outside what this tokenizer holds "
                           "({smallest} to {largest})").format(
            vocab_size=vocab_size, smallest=N_BYTES + len(big.special_tokens),
            largest=big.vocab_size))
    return BPETokenizer(big.merges[:n], big.special_tokens, big.pattern)


def embedding_parameters(vocab_size: int, n_embd: int) -> int:
    """Parameters that grow with the vocabulary: token_embedding_table plus lm_head (with bias)."""
    return vocab_size * n_embd + (n_embd * vocab_size + vocab_size)


def pieces_html(pieces: list[str]) -> str:
    """Tokens as coloured boxes, one colour after another, spaces and new lines visible."""
    shown = []
    for n, piece in enumerate(pieces):
        text = html.escape(piece).replace(" ", "␣").replace("\n", "↵")
        shown.append(f'<span style="background:{COLOURS[n % len(COLOURS)]};padding:1px 2px;'
                     f'margin:1px;border-radius:3px;font-family:monospace">{text}</span>')
    return "<div style='line-height:1.9'>" + "".join(shown) + "</div>"


def plot_vocab_tradeoff(rows: list[dict], n_embd: int, reference: dict | None = None):
    """Characters per token (left) and vocabulary parameters (right) against vocab_size.

    `rows` holds {"vocab_size", "chars_per_token"} for each BPE size; `reference` optional
    {"label": (vocab_size, chars_per_token)} points such as characters and words.
    """
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    sizes = [r["vocab_size"] for r in rows]
    ax1.plot(sizes, [r["chars_per_token"] for r in rows], "o-", label=_("byte-level BPE"))
    for label, (v, cpt) in (reference or {}).items():
        ax1.plot([v], [cpt], "s", markersize=8, label=label)
    ax1.set_xscale("log")
    ax1.set_xlabel(_("vocab_size (tokens, log scale)"))
    ax1.set_ylabel(_("characters per token (validation text)"))
    ax1.set_title(_("Bigger vocabulary, shorter sequences"))
    ax1.legend()
    params = [embedding_parameters(v, n_embd) / 1e3 for v in sizes]
    ax2.plot(sizes, params, "o-", color="C3")
    ax2.set_xlabel(_("vocab_size (tokens)"))
    ax2.set_ylabel(_("parameters (thousands)"))
    ax2.set_title(f"token_embedding_table + lm_head, n_embd={n_embd}")
    return fig


def vocab_size_explorer(big: BPETokenizer, chars_per_token: dict[int, float], n_embd: int,
                        sentence: str = "To be, or not to be: that is the question."):
    """Pick a vocabulary size and type a sentence: see its tokens, the validation text's
    characters per token and what the vocabulary costs in parameters.

    `chars_per_token` maps each vocab size offered to its measured value (computed once in
    the lesson), so a redraw only encodes the sentence.
    """
    sizes = sorted(chars_per_token)
    size = widgets.SelectionSlider(options=sizes, value=sizes[len(sizes) // 2],
                                   description="vocab_size", continuous_update=False)
    text = widgets.Text(value=sentence, description=_("text"), layout={"width": "70%"},
                        continuous_update=False)
    out = widgets.Output()
    cache: dict[int, BPETokenizer] = {}

    def draw():
        from IPython.display import HTML, display
        v = size.value
        if v not in cache:                      # built once per size, then reused
            cache[v] = tokenizer_at(big, v)
        tok = cache[v]
        pieces = tok.pieces(text.value)
        display(HTML(pieces_html(pieces)))
        print(_("{chars} characters -> {tokens} tokens here; on the validation text "
                "{per_token:.2f} characters per token").format(
            chars=len(text.value), tokens=len(pieces), per_token=chars_per_token[v]))
        print(_("token_embedding_table + lm_head at n_embd={n_embd}: {params:,} parameters")
              .format(n_embd=n_embd, params=embedding_parameters(v, n_embd)))

    redraw_on_change([size, text], out, draw)
    return widgets.VBox([size, text, out])
