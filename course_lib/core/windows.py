"""A sliding-window dataset with a stride: the data loader of *Build a Large Language Model
(From Scratch)*, ch. 2, next to the course's random windows (data.get_batch).

    ds = SlidingWindowDataset(data, block_size=8, stride=4)
    x, y = ds[0]                     # (8,), (8,): y is x one token later
    loader = torch.utils.data.DataLoader(ds, batch_size=4, shuffle=True)

Window i starts at token i * stride. With stride == block_size the windows touch and never
overlap, so one pass (an "epoch") reads every token once; a smaller stride makes windows
that overlap by block_size - stride tokens, and more of them.
"""

from __future__ import annotations

import torch

from ..i18n import _
from . import validate


class SlidingWindowDataset(torch.utils.data.Dataset):
    """Windows of `block_size` tokens and their targets, starting every `stride` tokens.

    Item i is (x, y), both (block_size,) int64, with x = data[s:s + block_size] and
    y = data[s + 1:s + block_size + 1] for s = i * stride.
    """

    def __init__(self, data: torch.Tensor, block_size: int, stride: int):
        validate.positive_int("block_size", block_size)
        validate.positive_int("stride", stride, hint=_("a stride of block_size gives windows "
                                                       "that touch without overlapping"))
        if not isinstance(data, torch.Tensor) or data.dim() != 1:
            raise ValueError(_("expected a 1-D tensor of token IDs, got {what}").format(
                what=getattr(data, "shape", type(data).__name__)))
        if len(data) < block_size + 1:
            raise ValueError(_("the data has {n} tokens, but one window of "
                               "block_size={block_size} needs {need} (inputs plus one target); "
                               "use a smaller block_size or more text").format(
                n=len(data), block_size=block_size, need=block_size + 1))
        self.data, self.block_size, self.stride = data, block_size, stride

    def __len__(self) -> int:
        # the last start s must leave room for the target: s + block_size <= len(data) - 1
        return (len(self.data) - self.block_size - 1) // self.stride + 1

    def start(self, i: int) -> int:
        """The token position where window i begins."""
        if not validate.is_whole(i) or not -len(self) <= i < len(self):
            raise IndexError(_("window {i!r} does not exist: there are {n} windows").format(
                i=i, n=len(self)))
        return (i % len(self)) * self.stride

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.start(i)
        return self.data[s:s + self.block_size], self.data[s + 1:s + self.block_size + 1]

    @property
    def overlap(self) -> int:
        """How many tokens two neighbouring windows share (0 when stride >= block_size)."""
        return max(0, self.block_size - self.stride)

    def __repr__(self) -> str:
        return (f"SlidingWindowDataset({len(self):,} windows of {self.block_size} tokens, "
                f"stride {self.stride}, overlap {self.overlap})")
