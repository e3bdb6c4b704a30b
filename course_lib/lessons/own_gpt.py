"""Lesson 11, your own GPT: pick a text or a task, choose a size, train, generate, save.

    task = load_task("addition")                  # or "python", "shakespeare", a path
    own = train_task(task, "small", max_iters=500)
    print(addition_accuracy(own.model, own.tokenizer, task.held_out, task.reverse))
    folder = save_model(own, "addition")          # notebooks/my_models/addition/
    print(cli_commands(folder))

Training is `course_lib.train`, the same function the train command runs. The panels
(training_panel, generation_panel) are ipywidgets built around these functions.
"""

from __future__ import annotations

import functools
import json
import math
import os
import random
import shlex
import sysconfig
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..core.checkpoint import (CheckpointError, is_checkpoint, load_checkpoint,
                               read_checkpoint_info, read_side_file, same_or_inside,
                               save_checkpoint)
from ..core.data import (CORPUS_PATH, DATA_DIR, MAX_TEXT_BYTES, REPO_DIR, CharTokenizer,
                         decode_utf8, load_text, normalize_text, train_val_split)
from ..core.defaults import SEED, TRAIN_FRACTION, default_eval_interval
from ..core.model import GPTConfig, GPTLanguageModel
from ..core.training import TrainHistory, train
from ..i18n import _

MY_MODELS_DIR = REPO_DIR / "notebooks" / "my_models"
MADE_BY = "course_lib lesson 11 (own_gpt.save_model)"

# ----------------------------------------------------------------------------- addition

DIGITS = 2                 # digits of each operand: 00 to 99
ANSWER_DIGITS = 3          # the largest sum, 99 + 99 = 198, has three digits
HELD_OUT = 500             # pairs that never appear in the training text (5%)
ADDITION_SEED = 11


def addition_line(a: int, b: int, reverse: bool = False) -> str:
    """One training line without its newline: '07+45=052', or with reverse '07+45=250'.

    Both operands are zero-padded to two digits and the answer to three, so every line has
    the same 9 characters (10 with the newline) and each digit has a fixed place. With
    `reverse` the answer is written least significant digit first, the order in which
    carrying works. Raises ValueError for an operand outside 0..99.
    """
    for name, v in (("a", a), ("b", b)):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 10 ** DIGITS:
            raise ValueError(_("{name} must be a whole number from 0 to 99 (two digits), got "
                               "{v!r}").format(name=name, v=v))
    answer = str(a + b).zfill(ANSWER_DIGITS)
    return f"{a:02d}+{b:02d}={answer[::-1] if reverse else answer}"


def read_answer(answer: str, reverse: bool = False) -> int | None:
    """The number a model wrote as its answer (three characters), or None if it is not one."""
    if not isinstance(answer, str) or len(answer) != ANSWER_DIGITS or not answer.isdigit() \
            or not answer.isascii():
        return None
    return int(answer[::-1] if reverse else answer)


def addition_pairs(seed: int = ADDITION_SEED, held_out: int = HELD_OUT):
    """(training pairs, held-out pairs): every (a, b) with 0 <= a, b <= 99, split at random.

    The held-out set is closed under swapping: when (a, b) is held out, so is (b, a), so a
    model that answers a held-out sum right cannot have read its mirror b + a either. The
    same seed gives the same split on every machine: only random.random() is used, whose
    sequence Python keeps the same across versions.
    """
    unordered = [(a, b) for a in range(10 ** DIGITS) for b in range(a, 10 ** DIGITS)]
    rng = random.Random(seed)
    for i in range(len(unordered) - 1, 0, -1):        # Fisher-Yates with random() alone
        j = int(rng.random() * (i + 1))
        unordered[i], unordered[j] = unordered[j], unordered[i]
    held = set()
    for a, b in unordered:
        mirror = {(a, b), (b, a)}
        if len(held) + len(mirror) <= held_out:
            held |= mirror
        if len(held) == held_out:
            break
    train_pairs = [(a, b) for a in range(10 ** DIGITS) for b in range(10 ** DIGITS)
                   if (a, b) not in held]
    return train_pairs, sorted(held)


def addition_text(n_lines: int = 20_000, reverse: bool = False, seed: int = ADDITION_SEED) -> str:
    """`n_lines` lines of random sums from the training pairs, one per line ('07+45=250\\n')."""
    if isinstance(n_lines, bool) or not isinstance(n_lines, int) or n_lines < 1:
        raise ValueError(_("n_lines must be a whole number >= 1, got {n!r}").format(n=n_lines))
    train_pairs, _held = addition_pairs(seed)
    rng = random.Random(seed + 1)
    lines = [addition_line(*train_pairs[int(rng.random() * len(train_pairs))], reverse)
             for _i in range(n_lines)]
    return "\n".join(lines) + "\n"


def loss_levels(text: str) -> dict:
    """The loss (nats per character) that a perfect adder and a format-only model reach.

    The text is read as lines of equal length (the addition task). For each place in the
    line the entropy of the character found there is measured: the question digits are
    random, so no model predicts them better than this entropy; a perfect adder predicts
    every other character exactly. `floor` is the question digits' entropy per character
    (newline included), `format_only` the level of a model that knows the format and how
    often each digit appears at each place, but cannot add.
    """
    lines = text.splitlines()
    width = len(lines[0]) if lines else 0
    if not lines or any(len(line) != width for line in lines):
        raise ValueError(_("loss_levels reads lines of equal length (the addition task's "
                           "text)"))
    per_char = width + 1                              # the newline is a character too
    entropy = []
    for i in range(width):
        counts = Counter(line[i] for line in lines)
        n = sum(counts.values())
        entropy.append(0.0 - sum(c / n * math.log(c / n) for c in counts.values()))
    question = [i for i in range(width) if i < width - ANSWER_DIGITS - 1]
    answer = list(range(width - ANSWER_DIGITS, width))
    return {"per_place": entropy, "chars_per_line": per_char,
            "question_nats": sum(entropy[i] for i in question),
            "answer_nats": sum(entropy[i] for i in answer),
            "floor": sum(entropy[i] for i in question) / per_char,
            "format_only": sum(entropy) / per_char}


@torch.no_grad()
def answer_held_out(model, tokenizer, pairs, reverse: bool = False, temperature: float = 1.0,
                    top_k: int | None = 1, seed: int = 0) -> list[str]:
    """The three characters the model writes after each question '\\nAA+BB=' (all at once).

    top_k=1 (the default) takes the most likely character each time: the model's best
    answer. Returns one string per pair.
    """
    if not pairs:
        return []
    prompts = ["\n" + addition_line(a, b, reverse)[:-ANSWER_DIGITS] for a, b in pairs]
    idx = torch.tensor([tokenizer.encode(p) for p in prompts], dtype=torch.long)   # (N, 7)
    g = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    try:
        out = model.generate(idx, ANSWER_DIGITS, temperature=temperature, top_k=top_k,
                             generator=g)                                          # (N, 10)
    finally:
        model.train(was_training)
    return [tokenizer.decode(row[-ANSWER_DIGITS:]) for row in out]


def score_answers(answers, pairs, reverse: bool = False) -> float:
    """The fraction of `answers` (as the model wrote them) that are the right sums."""
    if len(answers) != len(pairs):
        raise ValueError(_("{answers} answers for {pairs} pairs; give one answer per pair")
                         .format(answers=len(answers), pairs=len(pairs)))
    if not pairs:
        raise ValueError(_("no pairs to score; give at least one"))
    right = sum(read_answer(ans, reverse) == a + b for ans, (a, b) in zip(answers, pairs))
    return right / len(pairs)


PLACES = ("hundreds", "tens", "units")


def addition_accuracy(model, tokenizer, pairs, reverse: bool = False, temperature: float = 1.0,
                      top_k: int | None = 1, seed: int = 0) -> dict:
    """How well the model adds the held-out `pairs`: the whole answer, and each place.

    Returns {"accuracy", "per_place" ({"hundreds", "tens", "units"}: fraction right),
    "rows" [(question, written answer, true answer, right?)]}.
    """
    answers = answer_held_out(model, tokenizer, pairs, reverse, temperature, top_k, seed)
    rows, places = [], {p: 0 for p in PLACES}
    for ans, (a, b) in zip(answers, pairs):
        true = str(a + b).zfill(ANSWER_DIGITS)
        as_written = ans[::-1] if reverse else ans           # hundreds, tens, units
        for place, got, want in zip(PLACES, as_written, true):
            places[place] += got == want
        rows.append((f"{a:02d}+{b:02d}=", ans, true[::-1] if reverse else true,
                     read_answer(ans, reverse) == a + b))
    n = len(pairs)
    return {"accuracy": score_answers(answers, pairs, reverse),
            "per_place": {p: c / n for p, c in places.items()}, "rows": rows}


def addition_table_html(result: dict, show: int = 8) -> str:
    """An HTML table: up to `show` right and `show` wrong held-out sums, and the accuracy."""
    right = [r for r in result["rows"] if r[3]][:show]
    wrong = [r for r in result["rows"] if not r[3]][:show]
    n = len(result["rows"])
    verdict = {True: _("right"), False: _("wrong")}
    cells = "".join(
        f"<tr><td><code>{q}</code></td><td><code>{ans}</code></td><td><code>{true}</code></td>"
        f"<td>{verdict[bool(ok)]}</td></tr>" for q, ans, true, ok in right + wrong)
    n_right = sum(r[3] for r in result["rows"])
    return (_("<p>Held-out sums answered right: <b>{right} of {n}</b> ({percent:.1f}%)</p>")
            .format(right=n_right, n=n, percent=100 * result["accuracy"])
            + _("<table><tr><th>question</th><th>model wrote</th><th>right answer</th><th></th>"
                "</tr>")
            + f"{cells}</table>")


# ----------------------------------------------------------------------------- texts and tasks

@dataclass
class Task:
    """A text to train on, and where it came from. For addition: the held-out pairs."""
    name: str                     # "addition", "python", "shakespeare", "file"
    text: str
    source: str                   # a sentence: where the text came from
    reverse: bool = False          # addition: answers written least significant digit first
    held_out: tuple = ()          # addition: the (a, b) pairs never in the text

    @property
    def is_addition(self) -> bool:
        return self.name == "addition"

    def __repr__(self) -> str:
        return _("Task({name!r}, {n:,} characters, {distinct} distinct)").format(
            name=self.name, n=len(self.text), distinct=len(set(self.text)))


PYTHON_CHARS = 1_000_000


@functools.lru_cache(maxsize=2)
def python_text(max_chars: int = PYTHON_CHARS) -> str:
    """Source files of the standard library of the Python that runs this (sorted by name),
    joined up to `max_chars` characters. Files that are not UTF-8 are left out."""
    folder = Path(sysconfig.get_paths()["stdlib"])
    parts, total = [], 0
    for path in sorted(folder.glob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        text = f"# file: {path.name}\n" + text.replace("\r\n", "\n")
        parts.append(text[:max_chars - total])
        total += len(parts[-1])
        if total >= max_chars:
            break
    if not parts:
        raise ValueError(_("no Python source files found in {folder}; pick another task")
                         .format(folder=folder))
    return normalize_text("".join(parts), source=str(folder))


def load_task(name: str = "addition", reverse: bool = False, n_lines: int = 20_000,
              max_chars: int = PYTHON_CHARS) -> Task:
    """One of the built-in tasks: "addition", "python" or "shakespeare" (no download)."""
    if name == "addition":
        _train, held = addition_pairs()
        source = (_("{n:,} generated sums of two-digit numbers, answers reversed") if reverse
                  else _("{n:,} generated sums of two-digit numbers, answers as written"))
        return Task("addition", addition_text(n_lines, reverse), source.format(n=n_lines),
                    reverse=reverse, held_out=tuple(held))
    if name == "python":
        import sys
        return Task("python", python_text(max_chars), _(
            "the first {n:,} characters of the top-level .py files of Python {version}'s "
            "standard library on this machine, sorted by name (another Python version gives "
            "another text)").format(n=max_chars, version=sys.version.split()[0]))
    if name == "shakespeare":
        return Task("shakespeare", load_text(CORPUS_PATH),
                    _("the course corpus, data/shakespeare.txt"))
    raise ValueError(_("unknown task {name!r}; choose 'addition', 'python' or 'shakespeare', "
                       "or give your own text with task_from_path(path) or "
                       "task_from_upload(upload)").format(name=name))


def task_from_path(path) -> Task:
    """Your own UTF-8 text file as a task. Errors name the problem and the fix."""
    if not isinstance(path, (str, Path)) or not str(path).strip():
        raise ValueError(_("give the path of a UTF-8 text file as a string, got {path!r}")
                         .format(path=path))
    path = Path(str(path).strip()).expanduser()
    if not path.exists():
        raise FileNotFoundError(_("no file at {path}; check the path (a relative path starts "
                                  "from the folder this notebook is in: {cwd})").format(
            path=path, cwd=Path.cwd()))
    if path.is_dir():
        raise ValueError(_("{path} is a folder; give the path of one text file inside it")
                         .format(path=path))
    # load_text refuses a named pipe or a device by its type before reading (a pipe would
    # hang the kernel, /dev/zero fill the memory) and reads at most MAX_TEXT_BYTES
    return Task("file", load_text(path), _("the file {path}").format(path=path))


def task_from_upload(upload) -> Task:
    """The file chosen with an ipywidgets FileUpload (its widget or its value) as a task."""
    value = getattr(upload, "value", upload)
    files = list(value.values()) if isinstance(value, dict) else list(value or ())
    if not files:
        raise ValueError(_("no file uploaded yet: click the upload button and choose a UTF-8 "
                           "text file (.txt)"))
    item = files[-1]
    name = item.get("name") or item.get("metadata", {}).get("name", "the upload")
    raw = bytes(item["content"])
    if len(raw) > MAX_TEXT_BYTES:
        raise ValueError(_("{name} is larger than {limit:,} bytes, the most the course reads; "
                           "upload a part of it").format(name=name, limit=MAX_TEXT_BYTES))
    try:
        text = decode_utf8(raw, name, "the upload", then="upload converted.txt")
    except ValueError as err:
        raise ValueError(_("{error}; or save it as UTF-8 in your editor and upload it again")
                         .format(error=err)) from None
    if not text.strip():
        raise ValueError(_("{name} is empty; upload a file with some text in it").format(
            name=name))
    return Task("file", normalize_text(text.replace("\r\n", "\n"), source=name),
                _("the uploaded file {name}").format(name=name))


def validate_text_fits(text: str, block_size: int, batch_size: int) -> None:
    """Raise ValueError unless both parts of `text` hold a batch of windows of block_size."""
    def fits(n: int) -> bool:                    # get_batch: batch_size windows + 1 target
        n_train = int(TRAIN_FRACTION * n)
        return min(n_train, n - n_train) >= block_size + batch_size

    n = len(text)
    if not fits(n):
        need = block_size + batch_size           # the smallest length that fits
        while not fits(need):
            need += 1
        raise ValueError(_("the text has {n:,} characters, shorter than the training window "
                           "needs: its validation part (the last 10%) must hold {batch_size} "
                           "windows of block_size={block_size}, so the text needs at least "
                           "{need:,} characters. Give a longer text or choose a smaller size")
                         .format(n=n, batch_size=batch_size, block_size=block_size, need=need))


# ----------------------------------------------------------------------------- sizes

@dataclass(frozen=True)
class Size:
    """A model size and how long to train it."""
    n_layer: int
    n_embd: int
    n_head: int
    block_size: int
    batch_size: int
    max_iters: int
    lr: float

    def config(self, vocab_size: int) -> GPTConfig:
        return GPTConfig(vocab_size=vocab_size, block_size=self.block_size, n_embd=self.n_embd,
                         n_head=self.n_head, n_layer=self.n_layer, dropout=0.0)


SIZES = {
    "tiny": Size(n_layer=1, n_embd=32, n_head=2, block_size=32, batch_size=16, max_iters=1500, lr=3e-3),
    "small": Size(n_layer=2, n_embd=64, n_head=4, block_size=32, batch_size=32, max_iters=1500, lr=3e-3),
    "medium": Size(n_layer=4, n_embd=128, n_head=4, block_size=64, batch_size=32, max_iters=5000, lr=2e-3),
    "large": Size(n_layer=6, n_embd=256, n_head=8, block_size=128, batch_size=64, max_iters=10000, lr=1e-3),
}


def get_size(size) -> Size:
    if isinstance(size, Size):
        return size
    if size not in SIZES:
        raise ValueError(_("unknown size {size!r}; choose one of {sizes}").format(
            size=size, sizes=list(SIZES)))
    return SIZES[size]


def size_costs(vocab_size: int, sizes=None) -> list[dict]:
    """For each size: parameters (counted on a model built for this vocabulary) and the
    memory its weights and AdamW's state take (weights, gradients, two moments: 16 bytes
    per float32 parameter)."""
    rows = []
    for name in sizes or SIZES:
        s = get_size(name)
        torch.manual_seed(0)
        params = GPTLanguageModel(s.config(vocab_size)).num_parameters()
        rows.append({"size": name, "n_layer": s.n_layer, "n_embd": s.n_embd,
                     "block_size": s.block_size, "batch_size": s.batch_size,
                     "max_iters": s.max_iters, "params": params, "train_bytes": 16 * params})
    return rows


def measure_seconds_per_step(task: Task, size, steps: int = 3) -> float:
    """Time `steps` training steps of `size` on this machine (after one warm-up step)."""
    s = get_size(size)
    tokenizer = CharTokenizer.from_text(task.text)
    data = torch.tensor(tokenizer.encode(task.text[:200_000]), dtype=torch.long)
    model = GPTLanguageModel(s.config(tokenizer.vocab_size))
    kw = dict(batch_size=s.batch_size, lr=s.lr, warmup_iters=0, progress=False, eval_iters=1,
              eval_interval=10_000)
    train(model, data, data, max_iters=1, **kw)
    h = train(model, data, data, max_iters=steps, **kw)
    return h.train_seconds / steps


# ----------------------------------------------------------------------------- training

@dataclass
class OwnModel:
    """A trained model with everything needed to use, save and continue it."""
    model: GPTLanguageModel
    tokenizer: CharTokenizer
    task: Task
    size: str
    history: TrainHistory = field(default_factory=TrainHistory)

    def final_loss(self) -> dict:
        return self.history.final()

    def bits_per_char(self) -> float:
        """The final validation loss in bits per character of text (loss per token divided
        by the characters per token of the validation text, and by ln 2), so that models
        with different tokenizers compare. Raises ValueError before any training."""
        val = self.history.final().get("val") if self.history.steps else None
        if val is None:
            raise ValueError(_("the model has no validation loss yet; train it first"))
        data = self.tokenizer.encode(self.task.text)
        n_val = len(data) - int(TRAIN_FRACTION * len(data))
        chars = len(self.tokenizer.decode(data[len(data) - n_val:]))
        return val / (chars / n_val) / math.log(2)


def val_estimate_spread(own: OwnModel, repeats: int = 5, eval_iters: int = 10) -> float:
    """How far a val-loss estimate moves by chance alone: max - min of `repeats` estimates of
    the same model, each the mean of `eval_iters` random batches drawn with its own seed (the
    size's batch and block size, as train_task evaluates)."""
    from ..core.training import estimate_loss
    if not own.history.steps:
        raise ValueError(_("the model has no training history yet; train it first"))
    s = get_size(own.size) if own.size in SIZES else None
    batch = s.batch_size if s else 32
    data = torch.tensor(own.tokenizer.encode(own.task.text), dtype=torch.long)
    train_data, val_data = train_val_split(data, TRAIN_FRACTION)
    vals = [estimate_loss(own.model, train_data, val_data, eval_iters, batch,
                          seed=1000 + i)["val"] for i in range(repeats)]
    return max(vals) - min(vals)


def new_model(task: Task, size="small", seed: int = SEED, tokenizer: str = "char",
              vocab_size: int | None = None, dropout: float = 0.0) -> OwnModel:
    """An untrained model of `size` for `task`, with a tokenizer built from its text.

    tokenizer="char" takes the text's characters as the vocabulary; tokenizer="bpe" learns
    byte-pair merges from the first 90% of the text up to `vocab_size` tokens (the part the
    model trains on). `dropout` is the probability of zeroing an activation in training.
    """
    import dataclasses
    from ..core.bpe import build_tokenizer
    if not isinstance(task, Task):
        raise TypeError(_("task must be a Task (from load_task, task_from_path or "
                          "task_from_upload), got {kind}").format(kind=type(task).__name__))
    s = get_size(size)
    validate_text_fits(task.text, s.block_size, s.batch_size)
    tok = build_tokenizer(tokenizer, task.text, vocab_size, train_fraction=TRAIN_FRACTION)
    if tokenizer == "bpe":                         # the tokens, not the characters, must fit
        n_tokens = len(tok.encode(task.text))
        if min(int(TRAIN_FRACTION * n_tokens), n_tokens - int(TRAIN_FRACTION * n_tokens)) \
                < s.block_size + s.batch_size:
            raise ValueError(_("the text is {n:,} BPE tokens, too short for size {size!r}: give "
                               "a longer text, a smaller size or tokenizer='char'").format(
                n=n_tokens, size=size))
    torch.manual_seed(seed)
    model = GPTLanguageModel(dataclasses.replace(s.config(tok.vocab_size), dropout=dropout))
    tokenizer = tok
    return OwnModel(model, tokenizer, task, size if isinstance(size, str) else "custom")


def train_task(task: Task, size="small", max_iters: int | None = None, callback=None,
               seed: int = SEED, progress: bool = False, eval_interval: int | None = None,
               eval_iters: int = 10, own: OwnModel | None = None, tokenizer: str = "char",
               vocab_size: int | None = None, dropout: float = 0.0,
               history=None) -> OwnModel:
    """Train a new model of `size` on `task` (or `own`, made by new_model) with
    course_lib.train, the function the train command runs; returns the OwnModel.

    `callback(step, loss)` is passed to train: returning True stops training cleanly,
    keeping the weights and making the final loss estimate. An empty TrainHistory given as
    `history` fills while it trains (the panel draws its val estimates live).
    """
    own = own if own is not None else new_model(task, size, seed, tokenizer, vocab_size, dropout)
    s = get_size(size)
    data = torch.tensor(own.tokenizer.encode(own.task.text), dtype=torch.long)
    train_data, val_data = train_val_split(data, TRAIN_FRACTION)
    iters = max_iters or s.max_iters
    own.history = train(own.model, train_data, val_data, max_iters=iters,
                        batch_size=s.batch_size, lr=s.lr, min_lr=s.lr / 10,
                        warmup_iters=min(100, iters // 10),
                        eval_interval=eval_interval or default_eval_interval(iters),
                        eval_iters=eval_iters, seed=seed, progress=progress, callback=callback,
                        history=history)
    own.model.eval()
    return own


# ----------------------------------------------------------------------------- save and load

def _made_here(folder: Path) -> bool:
    if not is_checkpoint(folder):
        return False
    try:
        return read_checkpoint_info(folder).get("extra", {}).get("made_by") == MADE_BY
    except (OSError, ValueError):
        return False


MAX_NAME_CHARS = 100     # a model name; file systems allow 255 bytes, minus the save's suffixes


def model_folder(name: str) -> Path:
    """notebooks/my_models/<name>: where save_model puts a model called `name`."""
    if not isinstance(name, str) or not name.strip() or name in (".", "..") \
            or any(c in name for c in "/\\") or name.startswith("."):
        raise ValueError(_("a model name is a plain folder name such as 'addition' or "
                           "'my-poems' (no slashes, not starting with '.'), got {name!r}")
                         .format(name=name))
    bad = [c for c in name if ord(c) < 32 or ord(c) == 127]
    if bad:
        raise ValueError(_("the model name {name!r} holds the control character {bad!r}, "
                           "which no folder name may hold; use letters, digits, '-' and '_', "
                           "such as 'my-poems'").format(name=name[:40], bad=bad[0]))
    if len(name) > MAX_NAME_CHARS or len(name.encode("utf-8")) > 2 * MAX_NAME_CHARS:
        raise ValueError(_("the model name has {n:,} characters; a folder name may have at "
                           "most {most}. Give a shorter name, such as {short!r}").format(
            n=len(name), most=MAX_NAME_CHARS, short=name[:20]))
    return MY_MODELS_DIR / name


SIDE_LIMIT = {"training_text.txt": MAX_TEXT_BYTES, "task.json": 10_000_000,
              "history.json": 100_000_000}       # bytes load_model reads from each side file


def save_model(own: OwnModel, name: str = "my_gpt", folder=None, overwrite: bool = False) -> Path:
    """Save `own` into notebooks/my_models/<name>/ (or `folder`) and return the folder.

    Writes the checkpoint (config.json, tokenizer.json, model.safetensors: the course's
    safe format), training_text.txt, task.json and history.json, all in one new folder that
    is swapped in whole (a full disk or a crash leaves the previous save as it was). Refuses
    a folder inside data/ (the course's shipped data; links and ".." are resolved first),
    and any file or folder this function did not make; a model it saved before is replaced
    only with overwrite=True.
    """
    if not isinstance(own, OwnModel):
        raise TypeError(_("save_model saves an OwnModel (what train_task returns), got {kind}")
                        .format(kind=type(own).__name__))
    target = model_folder(name) if folder is None else Path(folder)
    if same_or_inside(target, DATA_DIR):
        # left in English on purpose: lesson 11 prints this message from the word "inside" on
        # (str(err).index("inside")), so a translation would break that cell in Italian
        raise ValueError(f"{target} is inside the course's data/ folder, which the lessons "
                         f"load; save your model elsewhere, for example save_model(own, "
                         f"'{name}') (into notebooks/my_models/{name})")
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        if not _made_here(target):
            raise ValueError(_("{target} already exists and was not made by save_model; it is "
                               "not replaced. Choose another name, for example save_model(own, "
                               "'{name}-2')").format(target=target, name=target.name))
        if not overwrite:
            raise ValueError(_("{target} already holds a model you saved; pass overwrite=True to "
                               "replace it, or choose another name, for example save_model(own, "
                               "'{name}-2')").format(target=target, name=target.name))
    extra = {"made_by": MADE_BY, "task": own.task.name, "reverse": own.task.reverse,
             "size": own.size, "steps": own.history.steps[-1] if own.history.steps else 0,
             "val_loss": own.history.final().get("val"), "stopped": own.history.stopped}
    task = {"name": own.task.name, "source": own.task.source, "reverse": own.task.reverse,
            "held_out": [list(p) for p in own.task.held_out]}
    side = {"training_text.txt": own.task.text.encode("utf-8"),
            "task.json": json.dumps(task, ensure_ascii=False).encode("utf-8"),
            "history.json": json.dumps(own.history.to_json()).encode("utf-8")}
    try:
        save_checkpoint(target, own.model, own.tokenizer, extra=extra, side_files=side)
    except OSError as err:
        if err.errno == getattr(__import__("errno"), "ENAMETOOLONG", None):
            raise ValueError(_("the folder name {name!r}... is too long for this disk; give a "
                               "shorter name").format(name=target.name[:40])) from None
        raise
    return target


def load_model(folder) -> OwnModel:
    """Load a model that save_model wrote, with its task and history.

    Each side file is checked against the checksum the save stored, so a folder whose
    training text or task came from another save (or was edited) is refused with a
    ValueError that names the file, never loaded as a mix of two models.
    """
    from ..core.training import TrainHistory
    folder = Path(folder)
    model, tokenizer = load_checkpoint(folder)
    info = read_checkpoint_info(folder).get("extra", {})
    info = info if isinstance(info, dict) else {}
    text_path, task_path = folder / "training_text.txt", folder / "task.json"
    if not text_path.is_file() or not task_path.is_file():
        raise ValueError(_("{folder} is a checkpoint, but not one saved by save_model "
                           "(training_text.txt or task.json is missing); load it with "
                           "load_checkpoint({path!r})").format(folder=folder, path=str(folder)))
    try:
        # unchecked_ok: a model saved before the side files had checksums still loads
        text = decode_utf8(read_side_file(folder, "training_text.txt", SIDE_LIMIT[
            "training_text.txt"], unchecked_ok=True), text_path, "training text")
        meta = json.loads(read_side_file(folder, "task.json", SIDE_LIMIT["task.json"],
                                         unchecked_ok=True))
        task = Task(str(meta["name"]), text, str(meta["source"]), bool(meta["reverse"]),
                    tuple((int(a), int(b)) for a, b in meta["held_out"]))
        history = TrainHistory()
        if (folder / "history.json").exists():
            history = TrainHistory.from_json(json.loads(read_side_file(
                folder, "history.json", SIDE_LIMIT["history.json"], unchecked_ok=True)))
    except CheckpointError as err:
        reason = str(err)
        for ending in (". Save the checkpoint again", _(". Save the checkpoint again")):
            reason = reason.removesuffix(ending)     # the advice below replaces it
        raise ValueError(_("{reason}; this folder was not saved whole by save_model (or was "
                           "changed since). Load the weights alone with load_checkpoint({path!r}),"
                           " or save the model again").format(reason=reason,
                                                              path=str(folder))) from None
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(_("{folder} holds a damaged training_text.txt, task.json or "
                           "history.json ({kind}: {error}); load the weights alone with "
                           "load_checkpoint({path!r}), or save the model again").format(
            folder=folder, kind=type(err).__name__, error=str(err)[:200],
            path=str(folder))) from None
    except FileNotFoundError as err:
        raise ValueError(_("{error}; save the model again with save_model").format(
            error=err)) from None
    return OwnModel(model, tokenizer, task, str(info.get("size", "custom")), history)


def _shown(path: Path) -> str:
    """`path` relative to the repository (where the commands run), quoted for a shell."""
    path = Path(os.path.abspath(path))
    try:
        path = path.relative_to(REPO_DIR)
    except ValueError:
        pass
    return shlex.quote(path.as_posix())


def cli_commands(folder, more_steps: int = 2000) -> str:
    """The commands, run from the repository folder, that generate from the saved model and
    continue its training (`--init-from`) into a new folder."""
    folder = Path(folder)
    if not is_checkpoint(folder):
        raise ValueError(_("{folder} holds no saved model; save one first with save_model(...)")
                         .format(folder=folder))
    info = read_checkpoint_info(folder)
    cfg, extra = info.get("config"), info.get("extra", {})
    if not isinstance(cfg, dict) or not isinstance(cfg.get("block_size"), int) \
            or not isinstance(extra, dict):
        raise ValueError(_("{path} is damaged (no config with a block_size); save the model "
                           "again with save_model(...)").format(path=folder / "config.json"))
    size = SIZES.get(extra.get("size"))
    adds = extra.get("task") == "addition"
    prompt = (f" --prompt {addition_line(12, 34, extra.get('reverse', False))[:-ANSWER_DIGITS]}"
              if adds else "")                   # else the command's default: a new line
    gen = (f"python -m course_lib.generate --checkpoint {_shown(folder)}{prompt} "
           f"--max-new-tokens {30 if adds else 300} --temperature 0.8 --top-k 5")
    more = folder.with_name(folder.name + "-more")
    tr = (f"python -m course_lib.train --corpus {_shown(folder / 'training_text.txt')} "
          f"--init-from {_shown(folder)} --out {_shown(more)} --max-iters {more_steps} "
          f"--block-size {cfg['block_size']}"
          + (f" --batch-size {size.batch_size} --lr {size.lr:g}" if size else ""))
    return gen + "\n" + tr
