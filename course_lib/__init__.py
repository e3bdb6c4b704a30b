"""course_lib: the one shared implementation behind every lesson of GPT from Scratch.

The package has three parts, and the import graph goes one way (commands and lessons
import the core; the core imports neither):

    core/       the model and what trains it: model, data, training, sampling, checkpoint
    lessons/    what the notebooks use to explain and check: checks, plots, widgets, ...
    commands/   the code of `python -m course_lib.train`, `.generate`, `.bench` and `.grade`

    train.py, generate.py, bench.py, grade.py   the entry points `python -m` runs (a few lines
                                                each, calling commands/)
    i18n.py     the learner's language: set_language("it"), COURSE_LANG, gettext's _();
                its catalogues are locale/it/LC_MESSAGES/course_lib.po and the compiled .mo

Where each lesson's code lives:

    lesson 00  text to tokens        core/data.py          load_corpus, CharTokenizer, get_batch
    lesson 01  embeddings            lessons/embeddings.py cosine_similarity, pca_project, word vectors
    lesson 02  the bigram model      lessons/bigram.py     bigram_counts (the counting model);
                                     core/model.py         BigramLanguageModel; core/training.py train
    lesson 03  softmax               core/sampling.py      next_token_probs, sample_next_token
    lesson 04  self-attention trick  core/model.py         Head (the masked, scaled weights)
    lesson 05  heads                 core/model.py         Head, MultiHeadAttention, CausalSelfAttention
    lesson 06  blocks                core/model.py         FeedForward, Block
    lesson 07  LayerNorm             core/model.py         Block (pre-norm), GPTLanguageModel.ln_f
    lesson 08  the full GPT          core/model.py         GPTLanguageModel; core/checkpoint.py;
                                     lessons/sweep.py      the n_embd sweep
    lesson 09  scaling up            commands/train.py     the train command, torchrun; core/device.py
    lesson 10  subword tokens        core/bpe.py           BPETokenizer (byte-level BPE);
                                     core/windows.py       SlidingWindowDataset
    lesson 11  your own GPT          lessons/own_gpt.py    tasks (addition, python, a file), sizes,
                                                           train_task, save_model;
                                     lessons/own_gpt_panels.py  the training and generation panels;
                                     commands/train.py     --init-from (continue from a saved model)
    lesson 12  after GPT-2           core/model.py         GPTConfig(norm, position, activation,
                                                           n_kv_head): RMSNorm, RoPE, SwiGLU, GQA;
                                     lessons/modern.py     the measurement, its plots and widgets;
                                     lessons/checks/l12_modern_gpt.py  the lesson's exercise checks

Every lesson imports the core's main names from here (`from course_lib import GPTLanguageModel,
...`), its checks, figures and controls from course_lib.lessons.<module>, and a few more
from course_lib.core.<module> (checkpoint, training, device, precision, bpe, windows).
"""

__version__ = "0.1.0"

import sys as _sys

try:
    from .core.bpe import BPETokenizer
    from .core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
    from .core.data import CORPUS_PATH, DATA_DIR, CharTokenizer, Corpus, get_batch, load_corpus, load_text, train_val_split
    from .core.device import pick_device
    from .core.model import (
        BigramLanguageModel,
        Block,
        CausalSelfAttention,
        FeedForward,
        GPTConfig,
        GPTLanguageModel,
        Head,
        MultiHeadAttention,
        parameter_breakdown,
    )
    from .core.sampling import generate_text, next_token_probs, sample_next_token, top_k_filter
    from .core.training import TrainHistory, TrainingDiverged, estimate_loss, train
except KeyboardInterrupt:
    # Ctrl-C while a command starts (`python -m course_lib.train`: importing PyTorch takes
    # seconds): one line instead of a traceback through the import machinery
    if _sys.argv[:1] == ["-m"]:
        _sys.stderr.write("course_lib: interrupted while starting (importing PyTorch); nothing "
                          "was done\n")
        raise SystemExit(130) from None
    raise

__all__ = [
    "BPETokenizer", "BigramLanguageModel", "Block", "CausalSelfAttention", "CharTokenizer", "CheckpointError",
    "CORPUS_PATH", "Corpus", "DATA_DIR", "FeedForward", "GPTConfig", "GPTLanguageModel", "Head",
    "MultiHeadAttention", "TrainHistory", "TrainingDiverged", "estimate_loss", "generate_text",
    "get_batch", "load_checkpoint", "load_corpus", "load_text", "next_token_probs",
    "parameter_breakdown", "pick_device", "sample_next_token", "save_checkpoint", "top_k_filter",
    "train", "train_val_split",
]

from .i18n import set_language  # noqa: E402  the learner's language: set_language("it") (i18n.py)
__all__ += ["set_language"]
