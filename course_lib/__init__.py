"""course_lib: the one shared implementation behind every lesson of GPT from Scratch.

Where each lesson's code lives:

    lesson 00  text to tokens        data.py       load_corpus, CharTokenizer, get_batch
    lesson 01  embeddings            embeddings.py cosine_similarity, pca_project, load_word_vectors
    lesson 02  the bigram model      bigram.py     bigram_counts (the counting model);
                                     model.py      BigramLanguageModel;  training.py  train
    lesson 03  softmax               sampling.py   next_token_probs, sample_next_token
    lesson 04  self-attention trick  model.py      Head (the masked, scaled weights)
    lesson 05  heads                 model.py      Head, MultiHeadAttention, CausalSelfAttention
    lesson 06  blocks                model.py      FeedForward, Block
    lesson 07  LayerNorm             model.py      Block (pre-norm), GPTLanguageModel.ln_f
    lesson 08  the full GPT          model.py      GPTLanguageModel;  checkpoint.py, sampling.py;
                                     sweep.py      the n_embd sweep: load_sweep, train_sweep_size
    lesson 09  scaling up            train.py      the train command, torchrun;  device.py

train.py and generate.py are the commands `python -m course_lib.train` and `... .generate`.
experiments.py holds the measurements lessons 05 to 07 make (attention statistics, gradient
norms through depth, LayerNorm removed); kernels.py the faster CPU path GPTLanguageModel
trains on (oneDNN products, same math); bench.py and recipes.py `python -m course_lib.bench`;
env.py the environment check of lesson 00; cli.py the command-line parsing helpers.

plots.py draws every figure, widgets.py builds every interactive control, checks.py holds
the exercise checks. The import graph is one-way: notebooks import course_lib; model.py
never imports plots or widgets.
"""

__version__ = "0.1.0"

from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .data import CORPUS_PATH, DATA_DIR, CharTokenizer, Corpus, get_batch, load_corpus, load_text, train_val_split
from .device import pick_device
from .model import (
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
from .sampling import generate_text, next_token_probs, sample_next_token, top_k_filter
from .training import TrainHistory, TrainingDiverged, estimate_loss, train

__all__ = [
    "BigramLanguageModel", "Block", "CausalSelfAttention", "CharTokenizer", "CheckpointError",
    "CORPUS_PATH", "Corpus", "DATA_DIR", "FeedForward", "GPTConfig", "GPTLanguageModel", "Head",
    "MultiHeadAttention", "TrainHistory", "TrainingDiverged", "estimate_loss", "generate_text",
    "get_batch", "load_checkpoint", "load_corpus", "load_text", "next_token_probs",
    "parameter_breakdown", "pick_device", "sample_next_token", "save_checkpoint", "top_k_filter",
    "train", "train_val_split",
]
