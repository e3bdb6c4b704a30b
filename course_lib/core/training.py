"""Training: estimate the loss and run the optimisation loop.

    history = train(model, corpus.train_data, corpus.val_data, max_iters=500)

The same code runs on one CPU, on a GPU, and on several processes under `torchrun` with
DistributedDataParallel (lesson 09). The command `python -m course_lib.train` (train.py)
wraps it.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
import torch.distributed as dist

from ..i18n import _
from . import validate
from .data import get_batch
from .defaults import PRECISION, SEED, default_eval_interval
from .model import LanguageModel
from .precision import autocast, choose_precision, validate_precision


@dataclass(frozen=True)
class TrainConfig:
    """Every training default of the course, in one place: the CPU recipe.

    `train()` takes its defaults from here, the train command shows them as its flags'
    defaults, and `python -m course_lib.bench --recipes` measures them against nanoGPT's
    CPU recipe. The model's defaults are GPTConfig's.
    """
    max_iters: int = 5000             # optimisation steps
    batch_size: int = 32              # sequences per step (and per process)
    lr: float = 2e-3                  # peak learning rate
    min_lr: float | None = 2e-4       # the cosine decay's end; None keeps lr constant
    warmup_iters: int = 100           # steps of linear warmup from 0 to lr
    weight_decay: float = 0.01        # AdamW's decoupled weight decay
    grad_clip: float | None = 1.0     # clip the gradient norm to this; None: no clipping
    eval_iters: int = 20              # batches per loss estimate
    seed: int = SEED                  # batches, dropout and (in the commands) initial weights
    precision: str = PRECISION        # "fp32", "bf16" or "auto" (the train command: "auto")


DEFAULTS = TrainConfig()


class TrainingDiverged(FloatingPointError):
    """The loss became NaN or infinite; `history` holds what was recorded before."""

    def __init__(self, message: str, history: TrainHistory):
        super().__init__(message)
        self.history = history


@dataclass
class TrainHistory:
    """What happened during training: per-step losses, evaluations, time, why it stopped."""
    steps: list[int] = field(default_factory=list)        # optimisation steps, from 1
    train_loss: list[float] = field(default_factory=list)  # the minibatch loss of each step
    lr: list[float] = field(default_factory=list)          # the learning rate of each step
    eval_steps: list[int] = field(default_factory=list)    # steps at which both losses were estimated
    eval_train: list[float] = field(default_factory=list)  # mean loss on eval_iters train batches
    eval_val: list[float] = field(default_factory=list)    # mean loss on eval_iters val batches
    seconds: float = 0.0          # wall time of the whole run, evaluations included
    train_seconds: float = 0.0    # wall time of the optimisation steps alone
    tokens: int = 0               # tokens processed by the optimisation steps (all processes)
    stopped: str = ""             # "max_iters", "max_seconds", "interrupted" or "callback"
    precision: str = "fp32"       # what the forward pass computed in: "fp32" or "bf16"
    precision_reason: str = ""    # why (for precision="auto": what was measured)

    @property
    def interrupted(self) -> bool:
        return self.stopped == "interrupted"

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.train_seconds if self.train_seconds else 0.0

    def to_json(self) -> dict:
        from dataclasses import asdict
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> TrainHistory:
        return cls(**d)

    def final(self) -> dict[str, float]:
        """The last evaluation: {'train': ..., 'val': ...} (empty if none was made)."""
        if not self.eval_steps:
            return {}
        return {"train": self.eval_train[-1], "val": self.eval_val[-1]}


def save_history(history: TrainHistory, path) -> None:
    """Write a TrainHistory as JSON: into a new temporary file next to `path`, then renamed
    over it, so there is never a partial file and no other file (such as PATH.tmp) is touched."""
    import contextlib
    import json
    import os
    import tempfile
    from pathlib import Path
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with open(fd, "w", encoding="utf-8") as f:
            json.dump(history.to_json(), f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load_history(path) -> TrainHistory:
    """Read a TrainHistory written by save_history."""
    import json
    from pathlib import Path
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(_("no training history at {path}").format(path=path))
    return TrainHistory.from_json(json.loads(path.read_text(encoding="utf-8")))


@torch.no_grad()
def estimate_loss(model: LanguageModel, train_data: torch.Tensor, val_data: torch.Tensor,
                  eval_iters: int = 20, batch_size: int = 32, block_size: int | None = None,
                  seed: int = 0) -> dict[str, float]:
    """Mean loss over `eval_iters` random batches of each split -> {'train': .., 'val': ..}.

    One minibatch loss is noisy; the mean of many is a steadier estimate. The batches come
    from a generator seeded with `seed`, so every call sees the same batches and two
    estimates differ only because the model changed. The model is put in eval mode (no
    dropout) and its previous mode is restored.
    """
    validate.positive_int("eval_iters", eval_iters)
    block_size = _block_size(model, block_size)
    device = _model_device(model)
    was_training = model.training
    model.eval()
    out = {}
    try:
        for split, data in (("train", train_data), ("val", val_data)):
            g = torch.Generator().manual_seed(seed)
            losses = torch.zeros(eval_iters)
            for k in range(eval_iters):
                x, y = get_batch(data, batch_size, block_size, generator=g, device=device)
                _logits, loss = model(x, y)
                losses[k] = loss.item()
            out[split] = losses.mean().item()
    finally:
        model.train(was_training)
    return out


def _block_size(model: LanguageModel, block_size: int | None) -> int:
    if block_size is not None:
        return block_size
    if getattr(model, "context_size", None) is None:
        raise ValueError(_("{kind} has no block_size of its own; pass block_size=... (for "
                           "example 8) to say how long each training window is").format(
            kind=type(model).__name__))
    return model.context_size


def _model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def lr_at(step: int, progress: float, lr: float, min_lr: float | None = None,
          warmup_iters: int = 0) -> float:
    """The learning rate for optimisation step `step` (counted from 0).

    Linear warmup from lr / warmup_iters up to `lr` over the first `warmup_iters` steps;
    then, if `min_lr` is given, a cosine from `lr` down to `min_lr` as `progress` (the
    fraction of the run done after warmup, in [0, 1]) goes from 0 to 1; else constant `lr`.
    """
    if step < warmup_iters:
        return lr * (step + 1) / warmup_iters
    if min_lr is None:
        return lr
    t = min(1.0, max(0.0, progress))
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(math.pi * t))


def make_optimizer(model: torch.nn.Module, lr: float, weight_decay: float
                   ) -> torch.optim.Optimizer:
    """AdamW over every parameter that requires a gradient.

    `fused=True` updates all parameters in one kernel per tensor group instead of a loop of
    small operations per parameter (PyTorch's default on a CPU); same update rule.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    try:
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay, fused=True)
    except (RuntimeError, ValueError):   # a device or dtype the fused kernel does not support
        return torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)


def clip_grad_norm(parameters, max_norm: float) -> torch.Tensor:
    """Scale all gradients down together so that their total norm is at most `max_norm`.

    The same as torch.nn.utils.clip_grad_norm_ (which it is tested against), done with one
    call for all the norms and one for all the products: on a CPU that function loops over
    the parameters in Python, two small operations each. Returns the norm before clipping.
    """
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    scale = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    torch._foreach_mul_(grads, scale.to(grads[0].device))
    return total


@contextmanager
def _graceful_interrupt(state: dict):
    """Turn the first Ctrl-C into a request to stop after the current step.

    The optimiser step is never cut in half, so the weights stay those of a whole step.
    A second Ctrl-C interrupts at once, as usual, except in the middle of a step: then the
    step ends, and the final loss estimate is skipped (`state["skip_eval"]`). Only possible
    in the main thread.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if not state.get("stop"):
            state["stop"] = True
        elif state.get("in_step"):
            state["skip_eval"] = True        # finish the step: its weights must stay whole
        else:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _progress_bar(total: int | None, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="step", dynamic_ncols=True, mininterval=0.5)


def train(model: LanguageModel, train_data: torch.Tensor, val_data: torch.Tensor, *,
          max_iters: int | None = DEFAULTS.max_iters, max_seconds: float | None = None,
          batch_size: int = DEFAULTS.batch_size, block_size: int | None = None,
          lr: float = DEFAULTS.lr, min_lr: float | None = DEFAULTS.min_lr,
          warmup_iters: int = DEFAULTS.warmup_iters,
          weight_decay: float = DEFAULTS.weight_decay,
          grad_clip: float | None = DEFAULTS.grad_clip, eval_interval: int | None = None,
          eval_iters: int = DEFAULTS.eval_iters, seed: int = DEFAULTS.seed,
          progress: bool = True, precision: str = DEFAULTS.precision,
          callback=None, history: TrainHistory | None = None) -> TrainHistory:
    """Train `model` with AdamW on random batches; return the TrainHistory.

    The defaults are the course's CPU recipe (TrainConfig). Stops after `max_iters` steps
    or `max_seconds` seconds, whichever comes first (pass max_iters=None to stop by time
    alone). The
    learning rate warms up linearly over `warmup_iters` steps and then, if `min_lr` is
    given, decays along a cosine to `min_lr` at the end of the run (measured in steps, or
    in seconds when only max_seconds is given). The train and val losses are estimated
    every `eval_interval` steps and at the end.

    Ctrl-C (or "interrupt kernel" in Jupyter) stops after the current step and returns the
    history so far, with `stopped == "interrupted"`. A NaN or infinite loss raises
    TrainingDiverged at once, naming the step and the likely cause.

    `precision` is "fp32" (the default: every number in float32), "bf16" (bfloat16
    autocast for the forward pass) or "auto" (bf16 only where the hardware has it and a short
    timing of this model shows it faster; see course_lib.core.precision).

    `callback(step, loss)` is called after every step (for live plots, a Stop button and
    tests); if it returns True, training stops after that step, keeps the weights, makes
    its final loss estimate and returns with `stopped == "callback"`. Give an empty
    `history` to watch it fill while training runs (a live plot of the val estimates).
    Under torchrun (torch.distributed initialised, model wrapped in DDP), each process
    draws its own batches, the losses are averaged over processes, and only rank 0
    evaluates and shows progress.
    """
    core = model.module if hasattr(model, "module") else model  # unwrap DDP
    _validate_train_args(max_iters, max_seconds, batch_size, lr, min_lr, warmup_iters,
                         weight_decay, grad_clip, eval_interval, eval_iters)
    block_size = _block_size(core, block_size)
    distributed = dist.is_available() and dist.is_initialized()
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    device = _model_device(core)
    if eval_interval is None:
        eval_interval = default_eval_interval(max_iters)
    # check the sizes once, before any time is spent
    get_batch(train_data, batch_size, block_size)
    get_batch(val_data, batch_size, block_size)

    torch.manual_seed(seed + rank)                    # dropout masks: reproducible per process
    g = torch.Generator().manual_seed(seed + rank)    # batches: a different stream per process
    optimizer = make_optimizer(model, lr, weight_decay)
    history = history if history is not None else TrainHistory()
    if history.steps or history.eval_steps:
        raise ValueError(_("history must be an empty TrainHistory (a new one for each run)"))
    history.precision, history.precision_reason = _resolve_precision(
        precision, core, train_data, batch_size, block_size, device, distributed)
    amp = autocast(device, history.precision)
    bar = _progress_bar(max_iters, progress and rank == 0)
    state = {"stop": False}
    start = time.perf_counter()

    def evaluate(step):
        if rank != 0:
            return
        losses = estimate_loss(core, train_data, val_data, eval_iters, batch_size, block_size,
                               seed=seed + 10_000)
        history.eval_steps.append(step)
        history.eval_train.append(losses["train"])
        history.eval_val.append(losses["val"])
        if bar is not None:
            bar.set_postfix(train=f"{losses['train']:.3f}", val=f"{losses['val']:.3f}")

    model.train()
    step = 0
    try:
        with _graceful_interrupt(state):
            evaluate(0)
            while True:
                step_lr = lr_at(step, _run_progress(step, start, max_iters, max_seconds,
                                                    warmup_iters), lr, min_lr, warmup_iters)
                for group in optimizer.param_groups:
                    group["lr"] = step_lr

                t0 = time.perf_counter()
                state["in_step"] = True
                x, y = get_batch(train_data, batch_size, block_size, generator=g, device=device)
                with amp:
                    _logits, loss = model(x, y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if grad_clip is not None:
                    clip_grad_norm(model.parameters(), grad_clip)
                optimizer.step()
                step += 1
                state["in_step"] = False

                loss_value, stop_now = _reduce(loss.detach(), state["stop"], distributed, world)
                history.train_seconds += time.perf_counter() - t0
                history.tokens += batch_size * block_size * world
                history.steps.append(step)
                history.train_loss.append(loss_value)
                history.lr.append(step_lr)
                if not math.isfinite(loss_value):
                    raise TrainingDiverged(
                        _("the loss became {loss} at step {step} (learning rate {lr:.2g}); "
                          "training stopped. The learning rate is probably too high (try "
                          "{lower:.2g}), or the data or the model holds bad values").format(
                            loss=loss_value, step=step, lr=step_lr, lower=lr / 10),
                        history)
                if bar is not None:
                    bar.update(1)
                asked_to_stop = callback is not None and callback(step, loss_value) is True

                if stop_now or state["stop"]:
                    history.stopped = "interrupted"
                elif asked_to_stop:
                    history.stopped = "callback"
                elif max_iters is not None and step >= max_iters:
                    history.stopped = "max_iters"
                elif max_seconds is not None and _elapsed_flag(start, max_seconds, distributed):
                    history.stopped = "max_seconds"
                if history.stopped:
                    break
                if step % eval_interval == 0:
                    evaluate(step)
    except KeyboardInterrupt:
        history.stopped = "interrupted"
    finally:
        if bar is not None:
            bar.close()
    if history.interrupted and rank == 0:
        print(_("Training interrupted at step {step}: keeping the weights and the history so "
                "far.").format(step=step), file=sys.stderr)
    if state.get("skip_eval") and rank == 0:
        print(_("Ctrl-C again: no final loss estimate."), file=sys.stderr)
    elif not history.eval_steps or history.eval_steps[-1] != step:
        evaluate(step)
    history.seconds = time.perf_counter() - start
    return history


def _run_progress(step: int, start: float, max_iters: int | None, max_seconds: float | None,
                  warmup_iters: int) -> float:
    """How far the run is after warmup, in [0, 1]: by steps, by seconds, or the larger."""
    by_steps = (step - warmup_iters) / max(1, max_iters - warmup_iters) if max_iters else 0.0
    by_time = (time.perf_counter() - start) / max_seconds if max_seconds else 0.0
    return max(by_steps, by_time)


def _validate_train_args(max_iters, max_seconds, batch_size, lr, min_lr, warmup_iters,
                         weight_decay, grad_clip, eval_interval, eval_iters) -> None:
    if max_iters is None and max_seconds is None:
        raise ValueError(_("give max_iters or max_seconds (or both), or training never stops"))
    if max_iters is not None:
        validate.positive_int("max_iters", max_iters)
    if max_seconds is not None:
        validate.finite_number("max_seconds", max_seconds, above=0)
    validate.positive_int("batch_size", batch_size)
    validate_optimizer_args(lr, min_lr, weight_decay)
    validate.int_at_least("warmup_iters", warmup_iters, 0)
    if grad_clip is not None:
        validate.finite_number("grad_clip", grad_clip, above=0)
    if eval_interval is not None:
        validate.positive_int("eval_interval", eval_interval)
    validate.positive_int("eval_iters", eval_iters)


def validate_optimizer_args(lr, min_lr, weight_decay, names: dict[str, str] | None = None) -> None:
    """lr > 0, 0 <= min_lr <= lr (or None), weight_decay >= 0, else ValueError. `names` shows
    the arguments under other names (the train command's flags: {"min_lr": "--min-lr", ...})."""
    n = {"lr": "lr", "min_lr": "min_lr", "weight_decay": "weight_decay"} | (names or {})
    validate.finite_number(n["lr"], lr, above=0)
    if min_lr is not None:
        validate.finite_number(n["min_lr"], min_lr, at_least=0)
        if min_lr > lr:
            raise ValueError(_("{min_name}={min_lr} is larger than {lr_name}={lr}; the schedule "
                               "decays from {lr_name} down to {min_name}").format(
                min_name=n["min_lr"], min_lr=min_lr, lr_name=n["lr"], lr=lr))
    validate.finite_number(n["weight_decay"], weight_decay, at_least=0)


def _resolve_precision(precision, model, train_data, batch_size, block_size, device,
                       distributed) -> tuple[str, str]:
    """"auto" -> "fp32" or "bf16" by a short timing; every process takes rank 0's choice."""
    validate_precision(precision)
    g = torch.Generator().manual_seed(0)       # its own stream: the training batches stay the same
    chosen, why = choose_precision(
        precision, model, lambda: get_batch(train_data, batch_size, block_size, generator=g,
                                            device=device), device)
    if distributed and precision == "auto":
        flag = torch.tensor([float(chosen == "bf16")], device=device)
        dist.broadcast(flag, src=0)
        if (flag.item() > 0) != (chosen == "bf16"):
            chosen, why = ("bf16" if flag.item() > 0 else "fp32"), _("rank 0's choice")
    return chosen, why


def _reduce(loss: torch.Tensor, stop: bool, distributed: bool, world: int):
    """The mean loss over processes, and whether any process asked to stop."""
    if not distributed:
        return loss.item(), stop
    buf = torch.stack([loss.float(), torch.tensor(float(stop), device=loss.device)])
    dist.all_reduce(buf)
    return (buf[0] / world).item(), bool(buf[1].item() > 0)


def _elapsed_flag(start: float, max_seconds: float, distributed: bool) -> bool:
    """Whether time is up, decided by rank 0 so that every process stops at the same step."""
    up = time.perf_counter() - start >= max_seconds
    if not distributed:
        return up
    flag = torch.tensor([float(up)])
    if dist.get_backend() == "nccl":
        flag = flag.cuda()
    dist.broadcast(flag, src=0)
    return bool(flag.item() > 0)
