"""Lesson 09's exercise checks (notebooks/09_scaling_up.ipynb).

Their tests: tests/test_checks_l09_scaling_up.py."""

from __future__ import annotations

import torch

from ...i18n import _
from .framework import Mistake, call, exercise


@exercise
def check_tokens_per_step(tokens_per_step) -> str:
    """tokens_per_step(batch_size, block_size, nproc): tokens one optimisation step sees."""
    for B, T, n in [(16, 64, 2), (12, 128, 1), (8, 256, 4), (1, 1, 3)]:
        got = call(tokens_per_step, B, T, n)
        want = B * T * n
        if isinstance(got, float) or (isinstance(got, torch.Tensor) and got.numel() == 1
                                      and got.is_floating_point()):
            raise Mistake(_("you returned a float ({got}); a number of tokens is a whole "
                            "number: multiply whole numbers, without `/`")
                          .format(got=float(got)))
        if got == want:
            continue
        if got == T * n:
            raise Mistake(_("for batch_size={B}, block_size={T}, nproc={n} you gave {got}: you "
                            "left out batch_size; every process reads batch_size sequences per "
                            "step").format(B=B, T=T, n=n, got=got))
        if got == B * T:
            raise Mistake(_("for batch_size={B}, block_size={T}, nproc={n} you gave {got}: that "
                            "is one process's share; every process sees its own batch, so "
                            "multiply by nproc").format(B=B, T=T, n=n, got=got))
        if got == B * n:
            raise Mistake(_("you gave {got} = the number of sequences; each sequence holds "
                            "block_size={T} tokens (one example per position)")
                          .format(got=got, T=T))
        raise Mistake(_("for batch_size={B}, block_size={T}, nproc={n} expected {want}, got "
                        "{got}").format(B=B, T=T, n=n, want=want, got=got))
    return _("tokens per step = batch_size x block_size x nproc.")


@exercise
def check_steps_per_epoch(steps_per_epoch) -> str:
    """steps_per_epoch(n_tokens, batch_size, block_size, nproc): steps to see n_tokens once."""
    for N, B, T, n in [(1_000_000, 16, 64, 2), (1000, 10, 10, 1), (1001, 10, 10, 1),
                       (5000, 4, 32, 3)]:
        got = call(steps_per_epoch, N, B, T, n)
        want = -(-N // (B * T * n))
        if got == want and isinstance(got, int):
            continue
        if isinstance(got, float):
            raise Mistake(_("you returned a float ({got}); a number of steps is a whole "
                            "number: round up with math.ceil or -(-a // b)").format(got=got))
        per_step = B * T * n
        if got == N // per_step:
            # 1080 tokens in steps of 100: 10.8 steps; round() gives 11, rounding down 10
            if call(steps_per_epoch, 1080, 10, 10, 1) == 11:
                raise Mistake(_("for {N} tokens and {per_step} tokens per step you gave {got}: "
                                "round() goes to the nearest whole number, so here the last "
                                "{left} tokens are left unseen; round up (math.ceil, or "
                                "-(-n_tokens // per_step))")
                              .format(N=N, per_step=per_step, got=got, left=N % per_step))
            raise Mistake(_("for {N} tokens and {per_step} tokens per step you gave {got}: "
                            "rounding down leaves the last {left} tokens unseen, round up")
                          .format(N=N, per_step=per_step, got=got, left=N % per_step))
        if got == -(-N // (B * T)):
            raise Mistake(_("you gave {got}: with {n} processes each step sees {n} batches, "
                            "divide by nproc too").format(got=got, n=n))
        if got == -(-N // (B * n)):
            raise Mistake(_("you gave {got}: you divided by batch_size x nproc, the sequences "
                            "per step; each sequence holds block_size={T} tokens, so divide by "
                            "batch_size x block_size x nproc").format(got=got, T=T))
        if got == N // per_step + 1:
            raise Mistake(_("for {N} tokens and {per_step} tokens per step you gave {got}: "
                            "adding 1 to a rounded-down division is one step too many when the "
                            "tokens fill the steps exactly; round up instead: "
                            "-(-n_tokens // per_step)").format(N=N, per_step=per_step, got=got))

        raise Mistake(_("for n_tokens={N}, batch_size={B}, block_size={T}, nproc={n} expected "
                        "{want}, got {got}").format(N=N, B=B, T=T, n=n, want=want, got=got))
    return _("steps per epoch = ceil(n_tokens / (batch_size x block_size x nproc)).")
