"""The `train` command: train a GPTLanguageModel on a text file and save a checkpoint.

    python -m course_lib.train --corpus data/shakespeare.txt --out checkpoints/mine
    torchrun --standalone --nproc_per_node=2 -m course_lib.train --out checkpoints/ddp
    python -m course_lib.train --corpus my.txt --init-from checkpoints/mine --out checkpoints/more

Every flag has a default (the CPU recipe); `--help` lists them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from ..core.checkpoint import (OWN_FILES, is_checkpoint, require_memory, resolved,
                               save_checkpoint, shipped_data_error, validate_output_folder,
                               writer_lock)
from .cli import (OneLineParser, fail, fraction, non_negative_int, positive_float, positive_int,
                  safe_output, validate_seed)
from ..core.bpe import TOKENIZERS, build_tokenizer
from ..core.data import CORPUS_PATH, REPO_DIR, UnknownCharacterError, load_corpus, load_text
from ..core.defaults import COMMAND_PRECISION, EVALS_PER_RUN, TRAIN_FRACTION
from ..core.device import pick_device
from ..core.model import ACTIVATIONS, NORMS, POSITIONS, GPTConfig, GPTLanguageModel
from ..core.precision import PRECISIONS
from ..core.training import DEFAULTS, save_history, train, validate_optimizer_args

CORPUS_SHOWN = CORPUS_PATH.relative_to(REPO_DIR).as_posix()   # data/shakespeare.txt


class _DefaultsFormatter(argparse.HelpFormatter):
    """--help shows each flag's default, except where there is none."""

    def _get_help_string(self, action):
        flag = isinstance(action, argparse._StoreTrueAction)     # --no-progress: no value
        if action.default is None or action.default is argparse.SUPPRESS or flag \
                or "default" in (action.help or ""):
            return action.help
        return f"{action.help or ''} (default: {action.default})".strip()


def build_parser() -> OneLineParser:
    M, R = GPTConfig(), DEFAULTS   # the defaults: GPTConfig's and TrainConfig's, in one place
    p = OneLineParser(prog="python -m course_lib.train",
                      description="Train a GPTLanguageModel on a UTF-8 text file and save a "
                                  "checkpoint. The defaults are the course's CPU recipe.",
                      formatter_class=_DefaultsFormatter)
    p.add_argument("--corpus", type=Path, default=None,
                   help=f"UTF-8 text file to train on (default: {CORPUS_SHOWN})")
    p.add_argument("--tokenizer", choices=TOKENIZERS, default=None,
                   help="char: one token per character; bpe: byte-level BPE learned from the "
                        "training text (lesson 10; needs --vocab-size) (default: char)")
    p.add_argument("--vocab-size", type=positive_int, default=None,
                   help="with --tokenizer bpe: 256 bytes + merges + <|endoftext|>, e.g. 512")
    p.add_argument("--out", type=Path, required=True, help="checkpoint directory to write")
    p.add_argument("--init-from", type=Path, default=None, metavar="DIR",
                   help="continue training the checkpoint in DIR: its weights, config and "
                        "vocabulary are used (model flags may be left out; one that differs "
                        "from the checkpoint is refused), the corpus must use its characters; "
                        "AdamW's state and the learning-rate schedule start afresh")
    p.add_argument("--history", type=Path, default=None,
                   help="also write the loss history (JSON) to this file")
    p.add_argument("--overwrite", action="store_true",
                   help="allow --out (and --history) to replace the course's shipped data in "
                        "data/ (`git checkout data/...` brings it back), and --history to "
                        "replace a file that is not a history this command wrote")
    # the model flags default to None, so a flag the user typed is told from one left out
    # (with --init-from, a typed flag that differs from the checkpoint is refused)
    m = p.add_argument_group("model (GPTConfig)")

    def model_flag(flag, help, **kw):
        default = getattr(M, flag[2:].replace("-", "_"))
        shown = {True: "on", False: "off"}.get(default, default) if isinstance(default, bool) \
            else default
        m.add_argument(flag, default=None, help=f"{help} (default: {shown})", **kw)
    model_flag("--n-layer", "Blocks stacked", type=positive_int)
    model_flag("--n-head", "attention heads per block", type=positive_int)
    model_flag("--n-embd", "channels per token", type=positive_int)
    model_flag("--block-size", "longest context, in tokens", type=positive_int)
    model_flag("--dropout", "dropout probability", type=fraction)
    model_flag("--activation", "the feed-forward's nonlinearity", choices=list(ACTIVATIONS))
    model_flag("--bias", "biases in the Linears and LayerNorms",
               action=argparse.BooleanOptionalAction)
    model_flag("--tie-weights", "lm_head shares the token embedding's weight",
               action=argparse.BooleanOptionalAction)
    model_flag("--norm", "layernorm (GPT-2) or rmsnorm (lesson 12)", choices=NORMS)
    model_flag("--position", "learned: a position table (GPT-2); rope: rotary positions "
               "(lesson 12)", choices=POSITIONS)
    m.add_argument("--n-kv-head", type=positive_int, default=None,
                   help="key/value heads, a divisor of --n-head (default: --n-head; 1: "
                        "multi-query; lesson 12)")
    t = p.add_argument_group("training")
    t.add_argument("--batch-size", type=positive_int, default=R.batch_size,
                   help="sequences per step and per process")
    t.add_argument("--max-iters", type=positive_int, default=R.max_iters, help="optimisation steps")
    t.add_argument("--max-seconds", type=positive_float, default=None,
                   help="stop after this many seconds even if max-iters is not reached")
    t.add_argument("--lr", type=positive_float, default=R.lr, help="peak learning rate")
    t.add_argument("--min-lr", type=float, default=R.min_lr,
                   help="learning rate at the end of the cosine decay")
    t.add_argument("--warmup-iters", type=non_negative_int, default=R.warmup_iters, help="steps of linear learning-rate warmup")
    t.add_argument("--weight-decay", type=float, default=R.weight_decay, help="AdamW weight decay")
    t.add_argument("--grad-clip", type=positive_float, default=R.grad_clip, help="clip the gradient norm to this")
    t.add_argument("--eval-interval", type=positive_int, default=None, help=f"steps between loss estimates (default: max-iters / {EVALS_PER_RUN})")
    t.add_argument("--eval-iters", type=positive_int, default=R.eval_iters, help="batches per loss estimate")
    t.add_argument("--seed", type=int, default=R.seed, help="random seed")
    t.add_argument("--precision", choices=PRECISIONS, default=COMMAND_PRECISION,
                   help="fp32; bf16 (bfloat16 autocast); auto: bf16 only where the hardware has "
                        f"it and a short timing of this model shows it faster (default: "
                        f"{COMMAND_PRECISION})")
    t.add_argument("--device", default="auto", help="auto (cuda, then mps, then cpu), cpu, cuda, mps")
    t.add_argument("--threads", type=positive_int, default=None,
                   help="CPU threads for PyTorch (default: PyTorch's choice)")
    t.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    safe_output()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.typed = {name for name in (*MODEL_FLAGS, "tokenizer") if getattr(args, name) is not None}
    if args.init_from is None:                # no checkpoint to take them from: the defaults
        _fill_defaults(args)
    status = 1
    try:
        status = _run(args, parser.prog)
        return status
    finally:
        # every process must leave the group, also after an error: a process that exits
        # with the group alive can abort at shutdown ("terminate called ...")
        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
            # gloo's worker threads can still hold tensors when Python shuts down, and
            # freeing them then aborts the process now and then ("terminate called without
            # an active exception", pytorch/pytorch#179291): a torchrun process has nothing
            # left to do, so it ends here, without that shutdown
            if sys.exc_info()[0] is not None:  # an unexpected error: show it before leaving
                import traceback
                traceback.print_exc()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)


ERRORS = (ValueError, TypeError, OSError, RuntimeError, FloatingPointError)


def _say(prog: str, message: str) -> None:
    print(f"{prog}: {message}", file=sys.stderr, flush=True)


def _fill_defaults(args) -> None:
    """Give each model flag and --tokenizer left out (None) its default value."""
    M = GPTConfig()
    for name in MODEL_FLAGS:
        if getattr(args, name) is None:
            setattr(args, name, getattr(M, name))
    if args.tokenizer is None:
        args.tokenizer = "char"


def _is_history_file(path: Path) -> bool:
    """True if `path` holds a loss history this command wrote (JSON with its fields)."""
    from dataclasses import fields
    from ..core.data import read_regular_file
    from ..core.training import TrainHistory
    try:
        d = json.loads(read_regular_file(path, 100_000_000, "history file"))
    except (OSError, ValueError):
        return False
    return isinstance(d, dict) and set(d) == {f.name for f in fields(TrainHistory)}


def _validate_history_path(args) -> None:
    """Refuse a --history that cannot take the file or would overwrite something, before
    any training (and again just before it is written).

    Every comparison is made on resolved paths (links, ..). Never written: the corpus, the
    --init-from checkpoint's files, the new checkpoint's files, a folder, a pipe or device.
    Written over only with --overwrite: the shipped data, a file that is not a history this
    command wrote.
    """
    path, flag = args.history, f"--history {args.history}"
    if path is None:
        return
    if path.is_dir():
        raise ValueError(f"{flag} is a folder; give a file name, for example "
                         f"{(path / 'history.json').as_posix()}")
    from ..core.data import CORPUS_PATH
    corpus = args.corpus if args.corpus is not None else CORPUS_PATH
    if resolved(path) == resolved(corpus):
        raise ValueError(f"{flag} is the corpus the command trains on (--corpus "
                         f"{args.corpus or 'data/shakespeare.txt'}); writing the history there "
                         f"would replace your text. Give a new file name, for example "
                         f"history.json")
    for folder, what in ((args.out, "the new checkpoint (--out)"),
                         (args.init_from, "the checkpoint --init-from continues")):
        if folder is not None and (resolved(path) == resolved(folder) or any(
                resolved(path) == resolved(Path(folder) / name) for name in OWN_FILES)):
            raise ValueError(f"{flag} is a file of {what}, {folder}; writing the history there "
                             f"would break that checkpoint. Give another file name, for "
                             f"example {(Path(folder) / 'history.json').as_posix()}")
    if not args.overwrite and (err := shipped_data_error(path)) is not None:
        raise err
    if path.exists() or path.is_symlink():
        import stat
        if path.exists() and not stat.S_ISREG(os.stat(path).st_mode):
            raise ValueError(f"{flag} is not a regular file (a pipe, a device or a socket); "
                             f"give the name of a new file")
        if not args.overwrite and not _is_history_file(path):
            raise ValueError(f"{flag} exists and is not a loss history this command wrote; it "
                             f"is not replaced. Give a new file name, or pass --overwrite to "
                             f"replace it")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"cannot write {flag}: {parent} is a file, not a folder")


def _validate_splits(corpus, block_size: int) -> None:
    """Each split must hold one window of block_size + 1 tokens; name the split that does not."""
    train_share = f"the first {TRAIN_FRACTION:.0%}"
    val_share = f"the last {1 - TRAIN_FRACTION:.0%}"
    for name, data, share in (("training", corpus.train_data, train_share),
                              ("validation", corpus.val_data, val_share)):
        if len(data) < block_size + 1:
            raise ValueError(f"the {name} split ({share} of the corpus) has {len(data)} tokens, "
                             f"but one window of --block-size {block_size} needs at least "
                             f"{block_size + 1} (the inputs plus one target); use a smaller "
                             f"--block-size or a longer corpus")


MODEL_FLAGS = ("n_layer", "n_head", "n_embd", "block_size", "dropout", "activation", "bias",
               "tie_weights", "norm", "position", "n_kv_head")


def _init_from(args):
    """(model, tokenizer) of the checkpoint --init-from names, after checking that the flags
    agree with it. A model flag left out takes the checkpoint's value; one typed that
    differs from the checkpoint is refused (even if it equals the default)."""
    from ..core.checkpoint import load_checkpoint
    where = f"--init-from {args.init_from}"
    if not args.init_from.exists():
        raise FileNotFoundError(f"{where}: no such folder; give the folder of a checkpoint "
                                f"that course_lib.train (or save_checkpoint) wrote")
    model, tokenizer = load_checkpoint(args.init_from)
    if not isinstance(model, GPTLanguageModel):
        raise ValueError(f"{where} holds a {type(model).__name__}; the train command continues "
                         f"a GPTLanguageModel only")
    saved = model.cfg
    diffs = [f"{_flag_text(name, getattr(args, name))} (the checkpoint has "
             f"{name}={getattr(saved, name)})" for name in MODEL_FLAGS
             if name in args.typed and getattr(args, name) != getattr(saved, name)]
    kind = tokenizer.to_dict().get("kind")
    if "tokenizer" in args.typed and args.tokenizer != kind:
        diffs.append(f"--tokenizer {args.tokenizer} (the checkpoint's tokenizer is {kind})")
    if args.vocab_size is not None and args.vocab_size != tokenizer.vocab_size:
        diffs.append(f"--vocab-size {args.vocab_size} (the checkpoint has "
                     f"{tokenizer.vocab_size})")
    if diffs:
        raise ValueError(f"{where}: the checkpoint's config differs from the flags: "
                         f"{', '.join(diffs)}. Leave those flags out (the checkpoint's config is "
                         f"used), or train a new model without --init-from")
    for name in MODEL_FLAGS:                 # what the model is, for the messages that follow
        setattr(args, name, getattr(saved, name))
    args.tokenizer = kind
    return model, tokenizer


def _flag_text(name: str, value) -> str:
    flag = f"--{name.replace('_', '-')}"
    if isinstance(value, bool):
        return flag if value else f"--no-{flag[2:]}"
    return f"{flag} {value}"


def _corpus_for(args, tokenizer):
    """The corpus encoded with the checkpoint's vocabulary, or an error naming the misfit."""
    try:
        return load_corpus(args.corpus, tokenizer=tokenizer)
    except ValueError as err:
        if not isinstance(err, UnknownCharacterError):
            raise
        raise ValueError(f"--corpus {args.corpus or CORPUS_SHOWN} does not fit the "
                         f"vocabulary of --init-from {args.init_from}: {err}. A model continues "
                         f"only on text made of the characters it was trained on; give such a "
                         f"corpus, or train a new model without --init-from") from None


def _run(args, prog: str) -> int:
    distributed = "RANK" in os.environ and "WORLD_SIZE" in os.environ
    # what has happened so far, for the messages after an error or a Ctrl-C
    progress = {"step": 0, "loss": None, "training": False}
    with contextlib.ExitStack() as stack:
        try:
            validate_optimizer_args(args.lr, args.min_lr, args.weight_decay,
                                    names={"lr": "--lr", "min_lr": "--min-lr",
                                           "weight_decay": "--weight-decay"})
            validate_seed(args.seed)
            validate_output_folder(args.out, overwrite=args.overwrite)   # before the slow part
            _validate_history_path(args)
            if args.threads:
                torch.set_num_threads(args.threads)
            device = pick_device(args.device)
            rank, world = 0, 1
            if distributed:
                device, rank, world = _init_distributed(device)
            start = _init_from(args) if args.init_from is not None else None
            if start is None:
                tokenizer = build_tokenizer(args.tokenizer, load_text(args.corpus),
                                            args.vocab_size)
                corpus = load_corpus(args.corpus, tokenizer=tokenizer)
                cfg = GPTConfig(vocab_size=corpus.tokenizer.vocab_size,
                                block_size=args.block_size, n_embd=args.n_embd,
                                n_head=args.n_head, n_layer=args.n_layer, dropout=args.dropout,
                                activation=args.activation, bias=args.bias,
                                tie_weights=args.tie_weights, norm=args.norm,
                                position=args.position, n_kv_head=args.n_kv_head)
            else:
                model, tokenizer = start
                corpus = _corpus_for(args, tokenizer)
                cfg = model.cfg
                args.block_size = cfg.block_size
            require_memory(cfg, batch_size=args.batch_size)
            _validate_splits(corpus, args.block_size)
            torch.manual_seed(args.seed)              # the same initial weights on every rank
            if start is None:
                model = GPTLanguageModel(cfg)
            model = model.to(device).train()
            if rank == 0:
                size = sum(t.numel() * t.element_size() for t in model.state_dict().values())
                validate_output_folder(args.out, overwrite=args.overwrite, size=size)
                stack.enter_context(writer_lock(args.out))   # held until the save is done
                if args.init_from is not None:
                    print(f"{prog}: continuing from the checkpoint {args.init_from} (its "
                          f"weights only: AdamW's running averages and the learning-rate "
                          f"schedule, warm-up included, start afresh)", flush=True)
                print(f"{prog}: {model.num_parameters():,} parameters, {cfg}, device {device}"
                      f"{f', {world} processes' if distributed else ''}, corpus "
                      f"{len(corpus.text):,} characters"
                      + (f" in {len(corpus.data):,} BPE tokens (vocabulary {cfg.vocab_size})"
                         if args.tokenizer == "bpe" else ""), flush=True)
            net = model
            if distributed:
                from torch.nn.parallel import DistributedDataParallel as DDP
                net = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)

            def seen(step, loss):
                progress.update(step=step, loss=loss, training=True)

            history = None
            try:
                history = train(net, corpus.train_data, corpus.val_data,
                                max_iters=args.max_iters, max_seconds=args.max_seconds,
                                batch_size=args.batch_size, lr=args.lr, min_lr=args.min_lr,
                                warmup_iters=args.warmup_iters,
                                weight_decay=args.weight_decay, grad_clip=args.grad_clip,
                                eval_interval=args.eval_interval, eval_iters=args.eval_iters,
                                seed=args.seed, progress=not args.no_progress,
                                precision=args.precision, callback=seen)
            except KeyboardInterrupt:
                if not progress["training"]:
                    raise
                # the first Ctrl-C stopped training; this one came during the last loss
                # estimate: the weights are whole (never cut in the middle of a step)
                if rank == 0:
                    _say(prog, f"Ctrl-C again during the final loss estimate: saving the weights "
                               f"of step {progress['step']} without it to {args.out} (Ctrl-C "
                               f"once more quits without saving)")
        except ERRORS as err:
            if os.environ.get("COURSE_DEBUG"):   # the full traceback, for debugging the course
                raise
            return fail(prog, err)
        except KeyboardInterrupt:
            return fail(prog, KeyboardInterrupt("interrupted before training started; nothing "
                                                "saved"))
        if history is not None and history.interrupted and rank == 0:
            _say(prog, f"stopped by Ctrl-C after step {progress['step']}; saving the checkpoint "
                       f"to {args.out} (Ctrl-C again quits without saving)")
        status = 0
        if rank == 0:
            status = _save(args, prog, model, corpus, history, progress, world, device)
        if distributed:
            same = _ranks_hold_identical_parameters(model)
            if rank == 0:
                print(f"{prog}: parameters identical on all {world} processes: {same}")
            dist.barrier()
        if status:
            return status
        return 130 if history is None or history.interrupted else 0


def _save(args, prog, model, corpus, history, progress, world, device) -> int:
    """Save the checkpoint (and the history); on failure, save it to a fallback folder and
    say where. Returns the exit status."""
    final = history.final() if history is not None else {}
    steps = history.steps[-1] if history is not None and history.steps else progress["step"]
    extra = {"steps": steps, "train_loss": final.get("train"), "val_loss": final.get("val"),
             "seconds": round(history.seconds, 1) if history else None,
             "tokens_per_second": round(history.tokens_per_second) if history else None,
             "processes": world, "device": str(device),
             "stopped": history.stopped if history else "interrupted",
             "corpus": str(args.corpus or CORPUS_SHOWN)}
    if args.init_from is not None:
        extra["init_from"] = str(args.init_from)
    if history is None:
        extra["note"] = "saved without a final loss estimate (Ctrl-C twice)"
    try:
        try:
            save_checkpoint(args.out, model, corpus.tokenizer, extra=extra)
        except ERRORS as err:
            if os.environ.get("COURSE_DEBUG"):
                raise
            rescue = _save_elsewhere(model, corpus.tokenizer, extra)
            where = (f"saved it to {rescue} instead, so the training is not lost (move it where "
                     f"you want it)" if rescue else
                     "saving it elsewhere failed too: the training is lost")
            return fail(prog, OSError(f"could not save the checkpoint to {args.out} "
                                      f"({_reason(err)}); {where}"))
    except KeyboardInterrupt:
        kept = (f"{args.out} still holds the previous checkpoint" if is_checkpoint(args.out)
                else f"nothing was written to {args.out}")
        return fail(prog, KeyboardInterrupt(f"Ctrl-C during the save: quit without saving "
                                            f"the training; {kept}"))
    if history is not None:
        print(f"{prog}: stopped by {history.stopped} after {steps} steps in "
              f"{history.seconds:.1f} s ({extra['tokens_per_second']:,} tokens/s)")
    if final:
        print(f"{prog}: train loss {final['train']:.4f}, val loss {final['val']:.4f}")
    print(f"{prog}: checkpoint saved to {args.out}"
          + (f" (the weights of step {steps}, stopped by Ctrl-C)"
             if history is None or history.interrupted else ""), flush=True)
    if args.history and history is not None:
        try:
            _validate_history_path(args)     # again: the file may have appeared meanwhile
            save_history(history, args.history)
        except (OSError, ValueError) as err:
            return fail(prog, OSError(f"the checkpoint is saved, but the history could not be "
                                      f"written to {args.history} ({_reason(err)})"))
    return 0


def _reason(err: BaseException) -> str:
    """One short line for an error: the OS's words where there are some."""
    text = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    return text.splitlines()[0][:300] if text else type(err).__name__


def _save_elsewhere(model, tokenizer, extra) -> Path | None:
    """Save to a new folder in the current folder, else in the temp folder; its path or None."""
    import tempfile
    import time
    name = f"rescued-checkpoint-{time.strftime('%Y%m%d-%H%M%S')}"
    for folder in (Path.cwd(), Path(tempfile.gettempdir())):
        try:
            return save_checkpoint(folder / name, model, tokenizer, extra=extra)
        except ERRORS:
            continue
    return None


def _ranks_hold_identical_parameters(model: torch.nn.Module) -> bool:
    """DDP keeps every process's copy of the weights in step; check it with a hash per rank."""
    import hashlib
    h = hashlib.sha256()
    for p in model.parameters():
        h.update(p.detach().cpu().contiguous().numpy().tobytes())
    hashes = [None] * dist.get_world_size()
    dist.all_gather_object(hashes, h.hexdigest())
    return len(set(hashes)) == 1


def _init_distributed(device: torch.device):
    """Join the process group torchrun set up: gloo on CPU, nccl on GPU, one GPU per process."""
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend=backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    if device.type == "cuda":
        local = int(os.environ.get("LOCAL_RANK", 0))
        torch.cuda.set_device(local)
        device = torch.device("cuda", local)
    return device, rank, world
