"""The catalogue of bad input: every mistake a learner is likely to make, and the message
they get. Each case asserts the message text, not just the exception type.

The library answers with an exception whose message names the problem and the fix; the
commands answer with one line on stderr and exit status 2 (never a traceback); the
exercise checks answer with a verdict and never raise. Run
`python tests/test_bad_input.py` to print the catalogue as a table.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import pytest
import torch

from conftest import TINY_TEXT, replace_weights
from course_lib import (BigramLanguageModel, CharTokenizer, CheckpointError, GPTConfig,
                        GPTLanguageModel, generate_text, get_batch, load_checkpoint, load_corpus,
                        load_text, save_checkpoint, train, train_val_split)
from course_lib.lessons import checks
from course_lib.core.device import pick_device


@dataclass
class Case:
    id: str
    what: str                       # the mistake, in a learner's words
    call: Callable                  # call(env) makes the mistake
    error: type                     # the exception (SystemExit for a command)
    message: str                    # a fragment of the message the learner sees


class Env:
    """Files and objects the cases need, made once in a temporary directory."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.tok = CharTokenizer.from_text(TINY_TEXT)
        self.cfg = GPTConfig(vocab_size=self.tok.vocab_size, block_size=16, n_embd=32, n_head=4,
                             n_layer=2)
        torch.manual_seed(0)
        self.model = GPTLanguageModel(self.cfg)
        self.corpus = load_corpus(self._write("tiny.txt", TINY_TEXT))
        self.ck = save_checkpoint(tmp / "ck", self.model, self.tok)
        self.truncated = save_checkpoint(tmp / "truncated", self.model, self.tok)
        w = self.truncated / "model.safetensors"
        w.write_bytes(w.read_bytes()[:1000])
        self.pickled = save_checkpoint(tmp / "pickled", self.model, self.tok)
        (self.pickled / "model.safetensors").write_bytes(b"\x80\x04\x95 not tensors")
        meta = json.loads((self.pickled / "config.json").read_text())
        import hashlib
        meta["files"]["model.safetensors"]["sha256"] = hashlib.sha256(
            b"\x80\x04\x95 not tensors").hexdigest()
        (self.pickled / "config.json").write_text(json.dumps(meta))
        (tmp / "notes").mkdir()
        (tmp / "notes" / "config.json").write_text("{}")
        self._write("empty.txt", "\n\n")
        (tmp / "latin1.txt").write_bytes("Caf\u00e9 au lait".encode("latin-1"))
        self._write("short.txt", "To be.")
        (tmp / "model.pt").write_bytes(b"PK\x03\x04 a torch.save zip")
        (tmp / "mine" / "run1").mkdir(parents=True)          # a learner's own folder
        (tmp / "mine" / "NOTES.md").write_text("my notes")
        self._write("val-short.txt", "abcdefghij" * 15)      # 150 characters: val has 15
        self.deep = save_checkpoint(tmp / "deep", self.model, self.tok)
        meta = json.loads((self.deep / "config.json").read_text())
        meta["config"]["n_layer"] = 1_000_000                 # would fill the memory
        (self.deep / "config.json").write_text(json.dumps(meta))
        self.f64 = self._with_weights("f64", {k: v.double() for k, v in self.model.state_dict().items()})
        nan = {k: v.clone() for k, v in self.model.state_dict().items()}
        nan["lm_head.weight"][0, 0] = float("nan")
        self.nan = self._with_weights("nan", nan)
        # issue 22: special files, other encodings, damaged side files, links into data/
        import os
        if hasattr(os, "mkfifo"):
            os.mkfifo(tmp / "pipe.txt")
        (tmp / "utf16.txt").write_bytes("To be, or not to be\n".encode("utf-16"))
        (tmp / "zero.txt").write_bytes(b"")
        (tmp / "datalink").symlink_to(Path(__file__).resolve().parents[1] / "data")
        self.bpe_bomb = _bpe_bomb_checkpoint(self)
        from course_lib.lessons.own_gpt import Task, new_model, save_model
        self.own = new_model(Task("file", TINY_TEXT, "a test text"), "tiny", seed=0)
        self.saved = save_model(self.own, folder=tmp / "saved")
        self.damaged = save_model(self.own, folder=tmp / "damaged")
        (self.damaged / "task.json").write_text("{")

    def _with_weights(self, name, state):
        """A checkpoint whose weights are `state`, with a matching checksum (made on purpose)."""
        path = save_checkpoint(self.tmp / name, self.model, self.tok)
        replace_weights(path, state)
        return path

    def _write(self, name, text):
        (self.tmp / name).write_text(text, encoding="utf-8")
        return self.tmp / name

    def idx(self, *shape, dtype=torch.long):
        return torch.zeros(*shape, dtype=dtype)


def _command(module, argv):
    """Run `python -m module argv...` in this process; return (exit status, stderr).

    runpy runs the command without importing it as course_lib.train, which would shadow the
    function course_lib.train for the rest of the test session."""
    import runpy
    import sys
    err = io.StringIO()
    saved = sys.argv
    sys.argv = [module, *argv]
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            runpy.run_module(module, run_name="__main__")
            status = 0
        except SystemExit as exit_:
            status = exit_.code
        finally:
            sys.argv = saved
    return status, err.getvalue()


class CommandFailed(Exception):
    pass


def command(module, *argv):
    """Make a case out of a command line: it must exit 2 with one line and no traceback."""
    def call(env):
        argv_ = [a.format(tmp=env.tmp) for a in argv]
        status, err = _command(module, argv_)
        assert status == 2, (status, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        raise CommandFailed(err.strip())
    return call


def command_leaves(module, argv, files):
    """A command case that also checks the files on disk afterwards: `files` maps a path
    (with {tmp}) to the sorted entries it must still hold, or to the text a file holds."""
    def call(env):
        try:
            command(module, *argv)(env)
        finally:
            for path, expected in files.items():
                path = Path(path.format(tmp=env.tmp))
                got = (sorted(p.name for p in path.iterdir()) if path.is_dir()
                       else path.read_text())
                assert got == expected, f"{path} holds {got}, expected {expected}"
    return call


def while_locked(path, call):
    """Run `call(env)` while another thread holds the writer lock of `path` (a second run)."""
    def run(env):
        import threading
        from course_lib.core.checkpoint import writer_lock
        held, done = threading.Event(), threading.Event()

        def other():
            with writer_lock(path.format(tmp=env.tmp)):
                held.set()
                done.wait(30)
        t = threading.Thread(target=other)
        t.start()
        try:
            assert held.wait(30)
            call(env)
        finally:
            done.set()
            t.join()
    return run


def save_fails(call):
    """Run `call(env)` in {tmp}/cwd with every write into {tmp}/full failing: a full disk."""
    def run(env):
        import errno
        import os
        from course_lib.core import checkpoint
        real, cwd = checkpoint._write_file, os.getcwd()

        def write(path, data):
            if "full" in Path(path).parent.name:
                raise OSError(errno.ENOSPC, "No space left on device")
            real(path, data)
        (env.tmp / "cwd").mkdir(exist_ok=True)
        os.chdir(env.tmp / "cwd")
        checkpoint._write_file = write
        try:
            call(env)
        finally:
            checkpoint._write_file = real
            os.chdir(cwd)
            rescued = list((env.tmp / "cwd").glob("rescued-checkpoint-*"))
            assert len(rescued) == 1 and load_checkpoint(rescued[0]), rescued
    return run


def check_verdict(result):
    """Make the verdict of an exercise check into an exception, so it fits the table."""
    assert isinstance(result, checks.CheckResult) and result.status != "passed"
    raise CommandFailed(repr(result))


def _raises(exc):
    def stub(*args):
        raise exc
    return stub


TRAIN = "course_lib.train"
GEN = "course_lib.generate"
# a one-step run of a tiny model (only the cases that get past the checks train it)
TINY_RUN = ["--corpus", "{tmp}/tiny.txt",
            "--n-layer", "1", "--n-embd", "16", "--n-head", "1", "--block-size", "16",
            "--max-iters", "1", "--eval-iters", "1", "--no-progress", "--precision", "fp32"]


def _bpe():
    from course_lib.core.bpe import BPETokenizer
    return BPETokenizer


def _damaged_bpe_checkpoint(env):
    """A checkpoint with a BPE tokenizer whose first merge names a token made later; the
    checksum is renewed, so the tokenizer itself must be refused."""
    import hashlib
    tok = _bpe().train(TINY_TEXT, 270)
    path = save_checkpoint(env.tmp / "bpe-damaged", GPTLanguageModel(replace(env.cfg, vocab_size=270)),
                           tok)
    d = json.loads((path / "tokenizer.json").read_text(encoding="utf-8"))
    d["merges"][0] = [256, 1]
    raw = json.dumps(d).encode()
    (path / "tokenizer.json").write_bytes(raw)
    meta = json.loads((path / "config.json").read_text())
    meta["files"]["tokenizer.json"] = {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)}
    (path / "config.json").write_text(json.dumps(meta))
    return path


def _bpe_bomb_checkpoint(env):
    """A checkpoint whose tokenizer.json (checksum renewed) holds 60 merges that each double a
    token: 2**60 bytes if it were built."""
    import hashlib
    path = save_checkpoint(env.tmp / "bpe-bomb", env.model, env.tok)
    raw = json.dumps({"kind": "bpe", "version": 1, "vocab_size": 316, "special_tokens": [],
                      "merges": [[97, 97]] + [[256 + i, 256 + i] for i in range(59)],
                      "pattern": None}).encode()
    (path / "tokenizer.json").write_bytes(raw)
    meta = json.loads((path / "config.json").read_text())
    meta["files"]["tokenizer.json"] = {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw)}
    (path / "config.json").write_text(json.dumps(meta))
    return path


def _save_model_as(name):
    def call(env):
        from course_lib.lessons.own_gpt import save_model
        return save_model(env.own, name)
    return call


def _stored_pattern(pattern):
    return {"kind": "bpe", "version": 1, "vocab_size": 256, "merges": [], "special_tokens": [],
            "pattern": pattern}


CASES = [
    # ---- a configuration that cannot work
    Case("config-n_embd-n_head", "n_embd not divisible by n_head",
         lambda e: GPTConfig(n_embd=100, n_head=3), ValueError,
         "n_embd=100 is not divisible by n_head=3: each head gets n_embd // n_head channels. "
         "Pick n_head from the divisors of 100 [1, 2, 4, 5, 10, 20, 25, 50, 100], or change n_embd"),
    Case("config-zero", "a size of zero", lambda e: GPTConfig(n_embd=0), ValueError,
         "n_embd must be a positive integer, got 0"),
    Case("config-negative", "a negative number of layers", lambda e: GPTConfig(n_layer=-2),
         ValueError, "n_layer must be a positive integer, got -2"),
    Case("config-float", "a fractional block_size", lambda e: GPTConfig(block_size=8.5),
         ValueError, "block_size must be a positive integer, got 8.5"),
    Case("config-dropout-1", "dropout of 1 (drops everything)", lambda e: GPTConfig(dropout=1.0),
         ValueError, "dropout must be a number in [0, 1), got 1.0; 0.0 turns dropout off, 0.1 to 0.2 is usual"),
    Case("config-dropout-negative", "a negative dropout", lambda e: GPTConfig(dropout=-0.1),
         ValueError, "dropout must be a number in [0, 1), got -0.1"),
    Case("config-typo", "a misspelt config field", lambda e: GPTConfig.from_dict({"n_embed": 64}),
         ValueError, "unknown config field 'n_embed' (did you mean 'n_embd'?)"),
    Case("model-no-config", "a dict instead of a GPTConfig",
         lambda e: GPTLanguageModel({"n_embd": 32}), TypeError,
         "GPTLanguageModel expects a GPTConfig, got dict; build one with GPTConfig("),
    Case("block-attention-kind", "an unknown attention kind for a Block",
         lambda e: __import__("course_lib").Block(32, 4, 8, attention="flash"), ValueError,
         "attention must be one of ['heads', 'batched'], got 'flash'"),
    # ---- text and tokens
    Case("encode-unknown-char", "a character that is not in the vocabulary",
         lambda e: e.tok.encode("Speak, Zeus"), ValueError,
         "character 'Z' (U+005A) at position 7 is not in the vocabulary of"),
    Case("encode-not-str", "encoding a list instead of a string", lambda e: e.tok.encode([1, 2]),
         TypeError, "encode expects a string, got list; to decode IDs back to text, use decode()"),
    Case("decode-out-of-range", "decoding an ID outside the vocabulary",
         lambda e: e.tok.decode([1, 999]), ValueError,
         "token ID 999 at position 1 is outside the vocabulary (valid IDs are 0 to"),
    Case("decode-2d", "decoding a whole batch at once", lambda e: e.tok.decode(e.idx(2, 3)),
         ValueError, "decode expects a 1-D sequence of IDs, got a tensor of shape (2, 3); decode one "
                     "row at a time, e.g. decode(idx[0])"),
    Case("tokenizer-duplicates", "a vocabulary with a character twice",
         lambda e: CharTokenizer(["a", "a"]), ValueError,
         "the vocabulary lists a character twice; give distinct characters"),
    Case("split-fraction", "a train fraction of 1", lambda e: train_val_split(torch.arange(10), 1.0),
         ValueError, "train_fraction must be between 0 and 1 (exclusive), got 1.0; 0.9 keeps 90%"),
    # ---- corpus files
    Case("corpus-missing", "a corpus file that does not exist",
         lambda e: load_text(e.tmp / "nope.txt"), FileNotFoundError,
         "nope.txt. Check the path; with no path, load_text() reads the course corpus data/shakespeare.txt"),
    Case("corpus-empty", "an empty corpus file", lambda e: load_text(e.tmp / "empty.txt"),
         ValueError, "is empty; give a file with some text in it"),
    Case("corpus-not-utf8", "a corpus saved as Latin-1", lambda e: load_text(e.tmp / "latin1.txt"),
         ValueError, "is not UTF-8 text (byte 0xe9 at byte 3); save it as UTF-8, or convert it"),
    Case("corpus-directory", "a folder instead of a file", lambda e: load_text(e.tmp),
         ValueError, "is a directory; give the path of a text file"),
    Case("corpus-too-short", "a corpus shorter than one block",
         lambda e: get_batch(load_corpus(e.tmp / "short.txt").data, 4, 16), ValueError,
         "the data has 6 tokens, but one window of block_size=16 needs at least 17 (the inputs "
         "plus one target); use a smaller block_size or more text"),
    Case("batch-too-large", "a batch larger than the data allows",
         lambda e: get_batch(torch.arange(10), 50, 8), ValueError,
         "batch_size=50 is larger than the 2 different windows of block_size=8 this data has; "
         "use batch_size <= 2 or more text"),
    Case("batch-size-zero", "a batch size of zero", lambda e: get_batch(torch.arange(99), 0, 4),
         ValueError, "batch_size must be a positive integer, got 0"),
    # ---- the model's inputs
    Case("forward-too-long", "a sequence longer than block_size into forward",
         lambda e: e.model(e.idx(1, 17)), ValueError,
         "idx has 17 tokens but block_size is 16: the model has no position embedding beyond that. "
         "Crop it to the last 16 tokens (idx[:, -16:]); generate() crops for you"),
    Case("forward-1d", "a 1-D tensor of IDs (no batch dimension)", lambda e: e.model(e.idx(5)),
         ValueError, "idx must have shape (B, T), got (5,); add a batch dimension with idx.unsqueeze(0)"),
    Case("forward-float", "float token IDs", lambda e: e.model(e.idx(1, 5, dtype=torch.float32)),
         TypeError, "idx must hold integer token IDs (torch.long), got torch.float32; convert with idx.long()"),
    Case("forward-id-out-of-range", "a token ID the model has no row for",
         lambda e: e.model(torch.tensor([[0, 500]])), ValueError,
         "token ID 500 in idx is outside the vocabulary (valid IDs are 0 to"),
    Case("forward-empty", "an empty input", lambda e: e.model(e.idx(1, 0)), ValueError,
         "idx is empty (shape (1, 0)); give at least one token, for example an encoded prompt"),
    Case("targets-shape", "targets of the wrong shape",
         lambda e: e.model(e.idx(4, 8), e.idx(4, 7)), ValueError,
         "targets must have the same shape as idx (4, 8), got (4, 7); targets are the inputs "
         "shifted by one position, as get_batch returns them"),
    Case("targets-dtype", "float targets (probabilities) instead of class IDs",
         lambda e: e.model(e.idx(2, 3), e.idx(2, 3, dtype=torch.float32)), TypeError,
         "targets must be integer token IDs (torch.long), got torch.float32; cross-entropy wants "
         "class indices"),
    # ---- generation
    Case("temperature-zero", "temperature 0", lambda e: e.model.generate(e.idx(1, 1), 3, temperature=0),
         ValueError, "temperature must be a finite number > 0, got 0; the logits are divided by it, "
                     "so 0 would divide by zero. For nearly greedy text use a small value such as "
                     "0.1, or top_k=1"),
    Case("temperature-negative", "a negative temperature",
         lambda e: e.model.generate(e.idx(1, 1), 3, temperature=-1.0), ValueError,
         "temperature must be a finite number > 0, got -1.0"),
    Case("temperature-nan", "temperature NaN",
         lambda e: e.model.generate(e.idx(1, 1), 3, temperature=math.nan), ValueError,
         "temperature must be a finite number > 0, got nan"),
    Case("top-k-zero", "top_k of 0", lambda e: e.model.generate(e.idx(1, 1), 3, top_k=0),
         ValueError, "top_k must be between 1 and the vocabulary size"),
    Case("top-k-too-large", "top_k larger than the vocabulary",
         lambda e: e.model.generate(e.idx(1, 1), 3, top_k=1000), ValueError,
         "top_k must be between 1 and the vocabulary size 30, got 1000; use None to sample from "
         "every token"),
    Case("max-new-tokens-negative", "a negative number of new tokens",
         lambda e: e.model.generate(e.idx(1, 1), -1), ValueError,
         "max_new_tokens must be an integer >= 0, got -1"),
    Case("prompt-empty", "an empty prompt", lambda e: generate_text(e.model, e.tok, ""),
         ValueError, "the prompt is empty: give at least one character to start from, for example "
                     "'\\n' (a new line)"),
    Case("prompt-empty-ids", "an empty tensor as prompt",
         lambda e: e.model.generate(e.idx(1, 0), 3), ValueError,
         "the prompt is empty: generate needs at least one token to start from"),
    Case("prompt-unknown-char", "a prompt character the model does not know",
         lambda e: generate_text(e.model, e.tok, "Zounds"), ValueError,
         "character 'Z' (U+005A) at position 0 is not in the vocabulary"),
    # ---- training
    Case("train-no-limit", "training with no stopping rule",
         lambda e: train(e.model, e.corpus.train_data, e.corpus.val_data, max_iters=None),
         ValueError, "give max_iters or max_seconds (or both), or training never stops"),
    Case("train-lr-zero", "a learning rate of 0",
         lambda e: train(e.model, e.corpus.train_data, e.corpus.val_data, lr=0), ValueError,
         "lr must be a finite number > 0, got 0"),
    Case("train-min-lr", "min_lr above lr",
         lambda e: train(e.model, e.corpus.train_data, e.corpus.val_data, lr=1e-3, min_lr=1e-2),
         ValueError, "min_lr=0.01 is larger than lr=0.001; the schedule decays from lr down to min_lr"),
    Case("train-bigram-block", "training a bigram model without a block_size",
         lambda e: train(BigramLanguageModel(5), e.corpus.train_data, e.corpus.val_data),
         ValueError, "BigramLanguageModel has no block_size of its own; pass block_size=..."),
    Case("device-unknown", "a device name that does not exist", lambda e: pick_device("tpu"),
         ValueError, "unknown device 'tpu'; use one of auto, cpu, cuda, mps"),
    Case("device-missing", "asking for a GPU on a machine without one",
         lambda e: pick_device("cuda") if not torch.cuda.is_available() else pick_device("cuda:99"),
         ValueError, "is not available on this machine" if not torch.cuda.is_available()
         else "does not exist"),
    # ---- checkpoints
    Case("checkpoint-missing", "a checkpoint path that does not exist",
         lambda e: load_checkpoint(e.tmp / "none"), FileNotFoundError,
         "none; train one with `python -m course_lib.train --out"),
    Case("checkpoint-truncated", "a checkpoint whose weights file was cut short",
         lambda e: load_checkpoint(e.truncated), CheckpointError,
         "model.safetensors does not match its checksum in config.json: the file is truncated or "
         "damaged (1,000 bytes, 113,312 expected). Save the checkpoint again"),
    Case("checkpoint-other-config", "loading a checkpoint for another configuration",
         lambda e: load_checkpoint(e.ck, cfg=replace(e.cfg, n_embd=64)), CheckpointError,
         "was made for another configuration: n_embd=32 (you asked for 64); build the model with "
         "the checkpoint's config, or pass cfg=None"),
    Case("checkpoint-is-a-file", "a .pt file instead of a checkpoint directory",
         lambda e: load_checkpoint(e.tmp / "model.pt"), CheckpointError,
         "is a file, but a checkpoint is a directory holding config.json, tokenizer.json, "
         "model.safetensors; give the directory"),
    Case("checkpoint-not-one", "a folder that is not a checkpoint",
         lambda e: load_checkpoint(e.tmp / "notes"), CheckpointError,
         "notes/config.json is not a course_lib checkpoint config (no \"format\": "
         "\"course_lib-checkpoint\")"),
    Case("checkpoint-pickle", "weights that are a pickle (code that would run on load)",
         lambda e: load_checkpoint(e.pickled), CheckpointError,
         "model.safetensors cannot be read as safetensors (Error while deserializing: header "
         "too large). If it came from torch.save (a pickle), the course will not load it"),
    Case("save-wrong-tokenizer", "saving with a tokenizer of another size",
         lambda e: save_checkpoint(e.tmp / "x", e.model, CharTokenizer("abc")), ValueError,
         "the tokenizer has 3 tokens but the model was built for vocab_size=30; save the "
         "tokenizer the model was trained with"),
    # ---- byte-level BPE (lesson 10)
    Case("bpe-vocab-below-bytes", "a BPE vocabulary smaller than the 256 bytes",
         lambda e: _bpe().train(TINY_TEXT, 200), ValueError,
         "vocab_size must be an integer >= 256 (the 256 byte tokens), got 200; a byte-level BPE "
         "never has fewer tokens than bytes"),
    Case("bpe-vocab-too-large", "a BPE vocabulary larger than the text can merge into",
         lambda e: _bpe().train(TINY_TEXT, 5000), ValueError,
         "vocab_size=5000 is more than this text can make: after 48 merges no pair of tokens "
         "occurs 2 times or more (min_count=2). Use vocab_size <= 304, or a longer text"),
    Case("bpe-checkpoint-damaged", "a checkpoint whose BPE tokenizer file is damaged",
         lambda e: load_checkpoint(_damaged_bpe_checkpoint(e)), CheckpointError,
         "tokenizer.json does not hold a valid tokenizer (merge 0 is [256, 1], but it makes "
         "token 256 and may only join tokens that exist before it (IDs 0 to 255). The merges "
         "are damaged or out of order)"),
    # ---- the commands
    Case("cli-n_embd-n_head", "train --n-embd 100 --n-head 3",
         command(TRAIN, "--out", "{tmp}/o", "--n-embd", "100", "--n-head", "3"), CommandFailed,
         "python -m course_lib.train: error: n_embd=100 is not divisible by n_head=3"),
    Case("cli-zero-layers", "train --n-layer 0", command(TRAIN, "--out", "{tmp}/o", "--n-layer", "0"),
         CommandFailed, "argument --n-layer: expected a whole number > 0, got 0 (see --help)"),
    Case("cli-dropout", "train --dropout 1.5", command(TRAIN, "--out", "{tmp}/o", "--dropout", "1.5"),
         CommandFailed, "argument --dropout: expected a number in [0, 1), got 1.5"),
    Case("cli-lr-word", "train --lr fast", command(TRAIN, "--out", "{tmp}/o", "--lr", "fast"),
         CommandFailed, "argument --lr: expected a finite number > 0, got 'fast'"),
    Case("cli-bpe-no-size", "train --tokenizer bpe without --vocab-size",
         command(TRAIN, "--out", "{tmp}/o", "--tokenizer", "bpe"), CommandFailed,
         "--tokenizer bpe needs --vocab-size N (for example 512; at least 257: the 256 byte "
         "tokens + 1 special (<|endoftext|>))"),
    Case("cli-char-with-size", "train --vocab-size 300 with the character tokenizer",
         command(TRAIN, "--out", "{tmp}/o", "--vocab-size", "300"), CommandFailed,
         "--vocab-size is for --tokenizer bpe; a character tokenizer takes its vocabulary"),
    Case("cli-bpe-too-small", "train --tokenizer bpe --vocab-size 100 (fewer than the bytes)",
         command(TRAIN, "--out", "{tmp}/o", "--tokenizer", "bpe", "--vocab-size", "100"),
         CommandFailed, "vocab_size must be an integer >= 257 (the 256 byte tokens + 1 special), "
                        "got 100"),
    Case("cli-tokenizer-unknown", "train --tokenizer words",
         command(TRAIN, "--out", "{tmp}/o", "--tokenizer", "words"), CommandFailed,
         "argument --tokenizer: invalid choice: 'words'"),
    Case("cli-missing-out", "train without --out", command(TRAIN), CommandFailed,
         "the following arguments are required: --out"),
    Case("cli-corpus-missing", "train --corpus no/such/file.txt",
         command(TRAIN, "--out", "{tmp}/o", "--corpus", "no/such/file.txt"), CommandFailed,
         "corpus file not found: no/such/file.txt"),
    Case("cli-corpus-too-short", "train on a corpus shorter than --block-size",
         command(TRAIN, "--out", "{tmp}/o", "--corpus", "{tmp}/short.txt", "--block-size", "64"),
         CommandFailed, "the training split (the first 90% of the corpus) has 5 tokens, but one "
                        "window of --block-size 64 needs at least 65"),
    Case("cli-min-lr", "train --min-lr 5 (above --lr)",
         command(TRAIN, "--out", "{tmp}/o", "--min-lr", "5"), CommandFailed,
         "--min-lr=5.0 is larger than --lr=0.002; the schedule decays from --lr down to --min-lr"),
    Case("cli-diverges", "train with a learning rate so high that the loss becomes NaN",
         command(TRAIN, "--out", "{tmp}/o", "--corpus", "{tmp}/tiny.txt", "--lr", "1e30",
                 "--n-layer", "1", "--n-embd", "16", "--n-head", "2", "--block-size", "16",
                 "--warmup-iters", "0", "--no-progress"), CommandFailed,
         "the loss became nan at step 2 (learning rate 1e+30); training stopped. The learning "
         "rate is probably too high"),
    Case("cli-device", "train --device tpu", command(TRAIN, "--out", "{tmp}/o", "--device", "tpu"),
         CommandFailed, "unknown device 'tpu'"),
    Case("cli-gen-missing", "generate --checkpoint no/such/dir",
         command(GEN, "--checkpoint", "no/such/dir"), CommandFailed, "no checkpoint at no/such/dir"),
    Case("cli-gen-temperature", "generate --temperature 0",
         command(GEN, "--checkpoint", "{tmp}/ck", "--temperature", "0"), CommandFailed,
         "argument --temperature: expected a finite number > 0, got 0"),
    Case("cli-gen-top-k", "generate --top-k 999 (larger than the vocabulary)",
         command(GEN, "--checkpoint", "{tmp}/ck", "--top-k", "999"), CommandFailed,
         "top_k must be between 1 and the vocabulary size 30, got 999"),
    Case("cli-gen-prompt", "generate --prompt with an unknown character",
         command(GEN, "--checkpoint", "{tmp}/ck", "--prompt", "Zeus"), CommandFailed,
         "character 'Z' (U+005A) at position 0 is not in the vocabulary"),
    Case("cli-gen-tokens", "generate --max-new-tokens -5",
         command(GEN, "--checkpoint", "{tmp}/ck", "--max-new-tokens", "-5"), CommandFailed,
         "argument --max-new-tokens: expected a whole number >= 0, got -5"),
    Case("cli-gen-truncated", "generate from a truncated checkpoint",
         command(GEN, "--checkpoint", "{tmp}/truncated"), CommandFailed,
         "the file is truncated or damaged"),
    # ---- where the commands write (issue 13: nothing a learner owns is ever lost)
    Case("cli-out-not-checkpoint", "train --out on a folder of one's own (notes, runs)",
         command_leaves(TRAIN, ["--out", "{tmp}/mine", *TINY_RUN],
                        {"{tmp}/mine": ["NOTES.md", "run1"]}), CommandFailed,
         "mine is a folder that is not a checkpoint and holds files (NOTES.md, run1/); saving "
         "there would replace them. Give the name of a new folder, or of an empty one"),
    Case("cli-out-dot", "train --out . (the current folder)",
         command(TRAIN, "--out", ".", *TINY_RUN), CommandFailed,
         ". is a folder that is not a checkpoint and holds files"),
    Case("cli-out-file", "train --out on an existing file",
         command_leaves(TRAIN, ["--out", "{tmp}/short.txt", *TINY_RUN],
                        {"{tmp}/short.txt": "To be."}), CommandFailed,
         "short.txt is a file, not a folder; a checkpoint is a folder holding config.json"),
    Case("cli-out-under-file", "train --out file.txt/ck",
         command(TRAIN, "--out", "{tmp}/short.txt/ck", *TINY_RUN), CommandFailed,
         "cannot make the folder "),
    Case("cli-out-shipped", "train --out data/checkpoints/gpt (the course's own checkpoint)",
         command(TRAIN, "--out", str(Path(__file__).resolve().parents[1] / "data" / "checkpoints"
                                     / "gpt"), *TINY_RUN), CommandFailed,
         "is part of the course's shipped data (data/checkpoints/gpt, which the lessons load); a "
         "command does not overwrite it unless you pass --overwrite. Choose another path (for "
         "example checkpoints/mine); if it was overwritten, `git checkout data/checkpoints/gpt` "
         "brings the shipped version back"),
    Case("cli-out-busy", "two trainings writing the same --out",
         while_locked("{tmp}/busy", command(TRAIN, "--out", "{tmp}/busy", *TINY_RUN)),
         CommandFailed, "busy right now (it holds the lock"),
    Case("cli-save-fails", "the disk fills up while the checkpoint is saved",
         save_fails(command(TRAIN, "--out", "{tmp}/full", *TINY_RUN)), CommandFailed,
         "full (No space left on device); saved it to "),
    Case("cli-history-folder", "train --history on a folder",
         command(TRAIN, "--out", "{tmp}/h", "--history", "{tmp}", *TINY_RUN), CommandFailed,
         "is a folder; give a file name, for example"),
    Case("cli-too-big", "train a model far too large for the memory",
         command(TRAIN, "--out", "{tmp}/big", "--n-layer", "100000", "--n-embd", "4096",
                 "--corpus", "{tmp}/tiny.txt"), CommandFailed,
         "this configuration makes a model of about 20,136,755,716,126 parameters"),
    Case("cli-val-too-short", "a corpus whose validation split is shorter than a block",
         command(TRAIN, "--out", "{tmp}/v", "--corpus", "{tmp}/val-short.txt", "--block-size",
                 "16"), CommandFailed,
         "the validation split (the last 10% of the corpus) has 15 tokens, but one window of "
         "--block-size 16 needs at least 17"),
    Case("cli-seed-huge", "train --seed with 30 digits",
         command(TRAIN, "--out", "{tmp}/s", "--seed", "1" * 30), CommandFailed,
         "--seed must be a whole number from 0 to 4611686018427387904 (2**62), got "
         "111111111111111111111111111111"),
    Case("cli-gen-seed-huge", "generate --seed with 30 digits",
         command(GEN, "--checkpoint", "{tmp}/ck", "--seed", "9" * 30), CommandFailed,
         "--seed must be a whole number from 0 to"),
    Case("cli-gen-prompt-file-missing", "generate --prompt-file that does not exist",
         command(GEN, "--checkpoint", "{tmp}/ck", "--prompt-file", "{tmp}/nope.txt"),
         CommandFailed, "nope.txt: no such file; check the path (or give the text itself with "
                        "--prompt)"),
    # ---- special files, other encodings, wrong locales (issue 22)
    Case("corpus-fifo", "a named pipe given as the corpus",
         lambda e: load_text(e.tmp / "pipe.txt"), ValueError,
         "pipe.txt is a named pipe (FIFO), not a regular file: reading it could wait forever or "
         "never end. Give the path of an ordinary file"),
    Case("corpus-dev-zero", "/dev/zero given as the corpus (it never ends)",
         lambda e: load_text("/dev/zero"), ValueError,
         "corpus file /dev/zero is a character device (such as /dev/zero), not a regular file"),
    Case("corpus-utf16", "a corpus saved as UTF-16 (Windows Notepad's 'Unicode')",
         lambda e: load_text(e.tmp / "utf16.txt"), ValueError,
         "is UTF-16 text (it starts with the byte-order mark FF FE), not UTF-8; convert it with "
         "`iconv -f UTF-16 -t UTF-8 "),
    Case("task-fifo", "a named pipe as lesson 11's own file",
         lambda e: __import__("course_lib.lessons.own_gpt", fromlist=["x"]).task_from_path(
             e.tmp / "pipe.txt"), ValueError, "is a named pipe (FIFO), not a regular file"),
    Case("cli-corpus-fifo", "train --corpus on a named pipe",
         command(TRAIN, "--out", "{tmp}/o", "--corpus", "{tmp}/pipe.txt"), CommandFailed,
         "pipe.txt is a named pipe (FIFO), not a regular file"),
    Case("cli-gen-prompt-file-fifo", "generate --prompt-file on a named pipe",
         command(GEN, "--checkpoint", "{tmp}/ck", "--prompt-file", "{tmp}/pipe.txt"),
         CommandFailed, "pipe.txt is a named pipe (FIFO), not a regular file"),
    Case("cli-gen-prompt-file-device", "generate --prompt-file /dev/zero",
         command(GEN, "--checkpoint", "{tmp}/ck", "--prompt-file", "/dev/zero"), CommandFailed,
         "--prompt-file /dev/zero is a character device (such as /dev/zero), not a regular file"),
    Case("cli-gen-prompt-file-empty", "generate --prompt-file on an empty file",
         command(GEN, "--checkpoint", "{tmp}/ck", "--prompt-file", "{tmp}/zero.txt"),
         CommandFailed, "zero.txt is empty (0 bytes); write the text to start from in it, or "
                        "leave --prompt-file out to start from a new line"),
    Case("cli-gen-prompt-not-utf8", "generate --prompt with bytes that are not UTF-8",
         command(GEN, "--checkpoint", "{tmp}/ck", "--prompt", "\udcff"), CommandFailed,
         "--prompt holds bytes that are not UTF-8 text ('\\udcff'); type it in a terminal set "
         "to UTF-8, or save it in a UTF-8 file"),
    Case("bpe-encode-surrogates", "BPE-encoding text read under LC_ALL=C (surrogate escapes)",
         lambda e: _bpe()([]).encode("\udce4\udcbd\udca0"), ValueError,
         "the text holds U+DCE4 at position 0, half of a surrogate pair and not a character: "
         "bytes that were read with an encoding other than UTF-8"),
    # ---- where the commands write, part two (issue 22)
    Case("cli-history-corpus", "train --history naming the corpus itself",
         command_leaves(TRAIN, ["--out", "{tmp}/h2", "--corpus", "{tmp}/val-short.txt",
                                "--history", "{tmp}/val-short.txt", "--overwrite"],
                        {"{tmp}/val-short.txt": "abcdefghij" * 15}), CommandFailed,
         "val-short.txt is the corpus the command trains on (--corpus "),
    Case("cli-history-checkpoint-file", "train --history naming a file of --init-from",
         command_leaves(TRAIN, ["--out", "{tmp}/h3", "--corpus", "{tmp}/tiny.txt", "--init-from",
                                "{tmp}/ck", "--history", "{tmp}/ck/config.json"],
                        {"{tmp}/ck": ["config.json", "model.safetensors", "tokenizer.json"]}),
         CommandFailed, "ck/config.json is a file of the checkpoint --init-from continues"),
    Case("cli-history-not-ours", "train --history on a file the learner wrote",
         command_leaves(TRAIN, ["--out", "{tmp}/h4", "--history", "{tmp}/short.txt", *TINY_RUN],
                        {"{tmp}/short.txt": "To be."}), CommandFailed,
         "short.txt exists and is not a loss history this command wrote; it is not replaced. "
         "Give a new file name, or pass --overwrite to replace it"),
    Case("cli-out-link-to-data", "train --out through a symbolic link into data/",
         command(TRAIN, "--out", "{tmp}/datalink/checkpoints/gpt", *TINY_RUN), CommandFailed,
         "is part of the course's shipped data (data/checkpoints/gpt, which the lessons load)"),
    Case("cli-init-from-typed-default", "train --init-from with --n-embd 128 (the default) on "
                                        "a 32-wide checkpoint",
         command(TRAIN, "--out", "{tmp}/i", "--corpus", "{tmp}/tiny.txt", "--init-from",
                 "{tmp}/ck", "--n-embd", "128"), CommandFailed,
         "the checkpoint's config differs from the flags: --n-embd 128 (the checkpoint has "
         "n_embd=32)"),
    # ---- untrusted tokenizers do bounded work (issue 22)
    Case("checkpoint-bpe-bomb", "a tokenizer.json whose merges double a token 60 times",
         lambda e: load_checkpoint(e.bpe_bomb), CheckpointError,
         "tokenizer.json describes 316 tokens but the model config says vocab_size=30; the "
         "tokenizer file does not belong to this model"),
    Case("bpe-merges-bomb", "BPE merges that would build tokens of 2**60 bytes",
         lambda e: _bpe()([(97, 97)] + [(256 + i, 256 + i) for i in range(59)]), ValueError,
         "the merges make tokens of more than 16,000,000 bytes in all (merge 22 makes a token "
         "of 8,388,608 bytes)"),
    Case("bpe-special-many", "200,000 special tokens",
         lambda e: _bpe()([], [f"<|{i}|>" for i in range(200_000)]), ValueError,
         "200,000 special tokens is more than the 1,000 a course tokenizer may have"),
    Case("bpe-pattern-backtracks", "a stored pre-splitting pattern that backtracks without end",
         lambda e: _bpe().from_dict(_stored_pattern(r"(\w|\w\w)+\d")), ValueError,
         "took more than 2 s on a text of 316 characters: it backtracks without end on such "
         "text. Use the GPT-2 pattern (the default) or pattern=None"),
    # ---- lesson 11's save and load (issue 22)
    Case("save-model-name-nul", "save_model with a name holding a NUL character",
         _save_model_as("my\x00model"), ValueError,
         "the model name 'my\\x00model' holds the control character '\\x00', which no folder "
         "name may hold"),
    Case("save-model-name-long", "save_model with a 300-character name",
         _save_model_as("x" * 300), ValueError,
         "the model name has 300 characters; a folder name may have at most 100. Give a "
         "shorter name"),
    Case("load-model-damaged-task", "load_model on a folder whose task.json was damaged",
         lambda e: __import__("course_lib.lessons.own_gpt", fromlist=["x"]).load_model(
             e.damaged), ValueError,
         "task.json does not match its checksum in config.json: the file was changed or cut "
         "short after saving"),
    # ---- checkpoints changed after saving
    Case("checkpoint-n_layer-tampered", "a config.json edited to n_layer 1000000",
         lambda e: load_checkpoint(e.deep), CheckpointError,
         "config.json does not fit the weights in model.safetensors (the file holds 2 blocks, "
         "the config says n_layer=1000000); the config was changed after saving"),
    Case("checkpoint-float64", "weights saved as float64",
         lambda e: load_checkpoint(e.f64), CheckpointError,
         "as float64, but course checkpoints hold float32 weights"),
    Case("checkpoint-nan", "weights holding NaN",
         lambda e: load_checkpoint(e.nan), CheckpointError,
         "holds NaN values in lm_head.weight: the training that made it diverged"),
    # ---- exercise checks never crash on learner code
    Case("check-learner-raises", "the learner's function raises",
         lambda e: check_verdict(checks.check_context_target_pairs(_raises(KeyError("x")))),
         CommandFailed, "❌ check_context_target_pairs: your function raised KeyError: 'x'."),
    Case("check-result-not-function", "passing the result instead of the function",
         lambda e: check_verdict(checks.check_encode_decode([1, 2], None, e.tok)), CommandFailed,
         "pass your function itself, not its result: check_encode_decode(my_function)"),
    Case("check-stub", "running the check on the untouched stub",
         lambda e: check_verdict(checks.check_context_target_pairs(_raises(NotImplementedError()))),
         CommandFailed, "⏳ check_context_target_pairs: not attempted yet: fill in the TODO"),
]


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return Env(tmp_path_factory.mktemp("bad"))


def test_the_catalogue_is_large_and_unique():
    assert len(CASES) >= 25
    assert len({c.id for c in CASES}) == len(CASES)


SLOW_CASES = {"cli-diverges", "cli-save-fails", "bpe-pattern-backtracks"}     # trains a few steps: seconds on a busy machine


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=[pytest.mark.slow]
                                               if c.id in SLOW_CASES else []) for c in CASES])
def test_bad_input_gets_a_clear_message(env, case):
    with pytest.raises(case.error) as info:
        case.call(env)
    assert case.message in str(info.value), f"message was: {info.value}"


if __name__ == "__main__":   # print the catalogue: what the learner does, what they read
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        e = Env(Path(d))
        for c in CASES:
            kind, got = "-", "(no error!)"
            try:
                c.call(e)
            except Exception as err:  # noqa: BLE001 - we print whatever it is
                kind = ("check verdict" if c.id.startswith("check-") else "exit 2"
                        if isinstance(err, CommandFailed) else type(err).__name__)
                got = str(err).replace(str(e.tmp), "<tmp>")
            print(f"| {c.what} | {kind} | {got} |")
