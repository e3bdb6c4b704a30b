"""Lesson 09's exercise checks (notebooks/09_scaling_up.ipynb).

Their tests: tests/test_checks_l09_scaling_up.py."""

from __future__ import annotations

import torch

from .framework import Mistake, call, exercise


@exercise
def check_tokens_per_step(tokens_per_step) -> str:
    """tokens_per_step(batch_size, block_size, nproc): tokens one optimisation step sees."""
    for B, T, n in [(16, 64, 2), (12, 128, 1), (8, 256, 4), (1, 1, 3)]:
        got = call(tokens_per_step, B, T, n)
        want = B * T * n
        if isinstance(got, float) or (isinstance(got, torch.Tensor) and got.numel() == 1
                                      and got.is_floating_point()):
            raise Mistake(f"you returned a float ({float(got)}); a number of tokens is a whole "
                          f"number: multiply whole numbers, without `/`")
        if got == want:
            continue
        if got == T * n:
            raise Mistake(f"for batch_size={B}, block_size={T}, nproc={n} you gave {got}: you "
                          f"left out batch_size; every process reads batch_size sequences per "
                          f"step")
        if got == B * T:
            raise Mistake(f"for batch_size={B}, block_size={T}, nproc={n} you gave {got}: that is "
                          f"one process's share; every process sees its own batch, so multiply "
                          f"by nproc")
        if got == B * n:
            raise Mistake(f"you gave {got} = the number of sequences; each sequence holds "
                          f"block_size={T} tokens (one example per position)")
        raise Mistake(f"for batch_size={B}, block_size={T}, nproc={n} expected {want}, got {got}")
    return "tokens per step = batch_size x block_size x nproc."


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
            raise Mistake(f"you returned a float ({got}); a number of steps is a whole number: "
                          f"round up with math.ceil or -(-a // b)")
        if got == N // (B * T * n):
            # 1080 tokens in steps of 100: 10.8 steps; round() gives 11, rounding down 10
            if call(steps_per_epoch, 1080, 10, 10, 1) == 11:
                raise Mistake(f"for {N} tokens and {B * T * n} tokens per step you gave {got}: "
                              f"round() goes to the nearest whole number, so here the last "
                              f"{N % (B * T * n)} tokens are left unseen; round up "
                              f"(math.ceil, or -(-n_tokens // per_step))")
            raise Mistake(f"for {N} tokens and {B * T * n} tokens per step you gave {got}: "
                          f"rounding down leaves the last {N % (B * T * n)} tokens unseen, round up")
        if got == -(-N // (B * T)):
            raise Mistake(f"you gave {got}: with {n} processes each step sees {n} batches, divide "
                          f"by nproc too")
        if got == -(-N // (B * n)):
            raise Mistake(f"you gave {got}: you divided by batch_size x nproc, the sequences per "
                          f"step; each sequence holds block_size={T} tokens, so divide by "
                          f"batch_size x block_size x nproc")
        if got == N // (B * T * n) + 1:
            raise Mistake(f"for {N} tokens and {B * T * n} tokens per step you gave {got}: adding "
                          f"1 to a rounded-down division is one step too many when the tokens "
                          f"fill the steps exactly; round up instead: -(-n_tokens // per_step)")

        raise Mistake(f"for n_tokens={N}, batch_size={B}, block_size={T}, nproc={n} expected "
                      f"{want}, got {got}")
    return "steps per epoch = ceil(n_tokens / (batch_size x block_size x nproc))."
