"""Lesson 06's exercise checks (notebooks/06_blocks.ipynb).

Their tests: tests/test_checks_l06_blocks.py."""

from __future__ import annotations

import torch

from ...core.model import Block, FeedForward
from ...i18n import _
from .answers import close, expect_tensor, name_the_mistake
from .framework import Mistake, call, exercise


def _block_variants(x, ln1, sa, ln2, ffwd):
    """The right Block forward and typical wrong ones, each with the message that names it."""
    right = x + sa(ln1(x))
    right = right + ffwd(ln2(right))
    a = sa(ln1(x))
    no_res_sa = a + ffwd(ln2(a))
    b = x + sa(ln1(x))
    no_res_ffwd = ffwd(ln2(b))
    none = ffwd(ln2(sa(ln1(x))))
    post = ln1(x + sa(x))
    post = ln2(post + ffwd(post))
    c = x + ffwd(ln2(x))
    swapped = c + sa(ln1(c))
    d = ln1(x)
    d = d + sa(d)
    e = ln2(d)
    norm_stream = e + ffwd(e)
    f = x + sa(ln1(x))
    same_ln = f + ffwd(ln1(f))
    parallel = x + sa(ln1(x)) + ffwd(ln2(x))
    return right, [
        (no_res_sa, _("the attention part has no residual connection: "
                      "x = x + self.sa(self.ln1(x))")),
        (no_res_ffwd, _("the feed-forward part has no residual connection: "
                        "x = x + self.ffwd(self.ln2(x))")),
        (none, _("no residual connections: add each part's output to its input "
                 "(x = x + ...)")),
        (post, _("post-norm: you applied LayerNorm after the addition, ln(x + f(x)). The "
                 "course Block is pre-norm: x + f(ln(x))")),
        (swapped, _("wrong order: attention (communication) comes first, then the "
                    "feed-forward (computation)")),
        (norm_stream, _("you normalised the residual stream itself (x = ln(x)); normalise "
                        "only the input of each part: x = x + f(ln(x))")),
        (same_ln, _("the feed-forward part uses ln1; each part has its own LayerNorm: ln2 for "
                    "the feed-forward")),
        (parallel, _("both parts read the same x: the feed-forward must read the output of "
                     "the attention step, x after the first addition")),
    ]


@exercise
def check_block_forward(block_forward) -> str:
    """block_forward(x, ln1, sa, ln2, ffwd) -> (B, T, C): a pre-norm Block with residuals."""
    B, T, C = 2, 6, 16
    with torch.random.fork_rng():
        torch.manual_seed(11)
        block = Block(C, n_head=4, block_size=8).eval()
        with torch.no_grad():   # distinct, non-trivial LayerNorms, so ln1 and ln2 differ
            for ln in (block.ln1, block.ln2):
                ln.weight.uniform_(0.5, 1.5)
                ln.bias.normal_(0.0, 0.5)
        x = torch.randn(B, T, C) * 2 + 1
    parts = (block.ln1, block.sa, block.ln2, block.ffwd)
    with torch.no_grad():
        out = call(block_forward, x, *parts,
                   hint=_("x has shape (B, T, C); every part maps (B, T, C) to (B, T, C)"))
        expect_tensor(out, (B, T, C))
        right, wrong = _block_variants(x, *parts)
        if close(out, right):
            return _("pre-norm, attention then feed-forward, each added to the residual "
                     "stream.")
        name_the_mistake(out, wrong)
    raise Mistake(_("the values differ from a Block: x = x + sa(ln1(x)), then "
                    "x = x + ffwd(ln2(x))"))


@exercise
def check_feed_forward(make_feed_forward) -> str:
    """make_feed_forward(n_embd, dropout) -> a module: Linear(C, 4C), ReLU, Linear(4C, C), Dropout."""
    C = 8
    with torch.random.fork_rng():
        torch.manual_seed(3)
        net = call(make_feed_forward, C, 0.0)
        x = torch.randn(4, 5, C)
    if not isinstance(net, torch.nn.Module):
        raise Mistake(_("return a torch.nn.Module (for example an nn.Sequential), got "
                        "{got}").format(got=type(net).__name__))
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    if len(linears) != 2:
        raise Mistake(_("a feed-forward network has two Linear layers, yours has {n}")
                      .format(n=len(linears)))
    first, second = linears
    if first.in_features != C or second.out_features != C:
        raise Mistake(_("it must map n_embd={C} channels back to n_embd: the first Linear "
                        "takes {n_in}, the second gives {n_out}")
                      .format(C=C, n_in=first.in_features, n_out=second.out_features))
    if first.out_features != 4 * C:
        raise Mistake(_("the hidden layer has {units} units; it should be 4 * n_embd = {wide} "
                        "wide (as in the Transformer paper and course_lib.FeedForward)")
                      .format(units=first.out_features, wide=4 * C))
    if first.bias is None or second.bias is None:
        raise Mistake(_("both Linear layers have a bias here (nn.Linear's default)"))
    net.eval()
    with torch.no_grad():
        out = call(net, x)
        expect_tensor(out, (4, 5, C), _("the output"))
        ref = FeedForward(C)
        ref.net[0].load_state_dict(first.state_dict())
        ref.net[2].load_state_dict(second.state_dict())
        linear_only = second(first(x))
        if close(out, linear_only):
            raise Mistake(_("no non-linearity between the two Linear layers: without a ReLU, "
                            "two Linear layers in a row are just one Linear layer"))
        if close(out, torch.relu(second(first(x)))):
            raise Mistake(_("the ReLU comes after the last Linear (the output can never be "
                            "negative); put it between the two Linear layers"))
        if not close(out, ref.eval()(x)):
            raise Mistake(_("the output differs from Linear(C, 4C) -> ReLU -> Linear(4C, C)"))
    # the rate: the network must use its `dropout` argument, not a number of its own
    x_big = torch.randn(64, 16, C, generator=torch.Generator().manual_seed(5))
    for rate in (0.5, 0.2, 0.0):
        with torch.random.fork_rng():
            torch.manual_seed(4)
            dropped = call(make_feed_forward, C, rate)
            if not isinstance(dropped, torch.nn.Module):
                raise Mistake(_("make_feed_forward(n_embd, {rate}) returned {got}; return a "
                                "torch.nn.Module").format(rate=rate, got=type(dropped).__name__))
            dropped.train()
            with torch.no_grad():
                y = call(dropped, x_big)
                dropped.eval()
                y_eval = call(dropped, x_big)
        zeroed = (y == 0).float().mean().item()
        fixed = sorted({m.p for m in dropped.modules() if isinstance(m, torch.nn.Dropout)})
        if rate > 0 and zeroed == 0:
            raise Mistake(_("with dropout={rate} in training mode no output was zeroed: end "
                            "the network with nn.Dropout(dropout)").format(rate=rate))
        if (y_eval == 0).float().mean() > 0.2:
            raise Mistake(_("in evaluation mode outputs are still zeroed: use nn.Dropout, "
                            "which turns itself off in eval mode"))
        if abs(zeroed - rate) > 0.05 and abs(zeroed - (1 - rate)) < 0.05:
            raise Mistake(_("make_feed_forward(n_embd, dropout={rate}) zeroed {zeroed:.0%} of "
                            "the outputs, about 1 - dropout: nn.Dropout's argument is the "
                            "probability of zeroing, not of keeping. Use nn.Dropout(dropout)")
                          .format(rate=rate, zeroed=zeroed))
        if abs(zeroed - rate) > 0.05:
            if len(fixed) == 1:
                raise Mistake(_("make_feed_forward(n_embd, dropout={rate}) zeroed {zeroed:.0%} "
                                "of the outputs in training mode, expected about "
                                "{rate:.0%}: the rate is fixed (your nn.Dropout has "
                                "p = {p:g}) instead of the `dropout` argument. Use "
                                "nn.Dropout(dropout)")
                              .format(rate=rate, zeroed=zeroed, p=fixed[0]))
            raise Mistake(_("make_feed_forward(n_embd, dropout={rate}) zeroed {zeroed:.0%} of "
                            "the outputs in training mode, expected about {rate:.0%}: the "
                            "rate is fixed instead of the `dropout` argument. Use "
                            "nn.Dropout(dropout)")
                          .format(rate=rate, zeroed=zeroed))
    return _("Linear(C, 4C) -> ReLU -> Linear(4C, C) -> Dropout, the same as "
             "course_lib.FeedForward.")


@exercise
def check_dropout(dropout) -> str:
    """dropout(x, p, training) -> tensor: inverted dropout by hand."""
    g = torch.Generator().manual_seed(9)
    x = torch.rand(200_000, generator=g) + 0.5          # no zeros in the input
    for p in (0.25, 0.6):
        with torch.random.fork_rng():
            torch.manual_seed(10)
            y = call(dropout, x, p, True)
            y_eval = call(dropout, x, p, False)
        y = expect_tensor(y, tuple(x.shape))
        y_eval = expect_tensor(y_eval, tuple(x.shape), _("the eval-mode result"))
        if not torch.equal(y_eval, x):
            raise Mistake(_("in evaluation mode (training=False) dropout must return x "
                            "unchanged: no zeros and no scaling"))
        zeroed = (y == 0).float().mean().item()
        if zeroed == 0:
            raise Mistake(_("in training mode nothing was zeroed: set each value to 0 with "
                            "probability p"))
        if abs(zeroed - (1 - p)) < 0.01:
            raise Mistake(_("you zeroed a fraction {zeroed:.2f} = 1 - p of the values; p is the "
                            "probability of zeroing (keep a value when rand >= p)")
                          .format(zeroed=zeroed))
        if abs(zeroed - p) > 0.01:
            raise Mistake(_("with p={p} about {p:.0%} of the values should be zero, yours: "
                            "{zeroed:.1%}").format(p=p, zeroed=zeroed))
        kept = y != 0
        ratio = y[kept] / x[kept]
        if torch.allclose(ratio, torch.ones_like(ratio)):
            raise Mistake(_("the kept values are not scaled: divide them by (1 - p), so the "
                            "expected value stays the same"))
        if torch.allclose(ratio, torch.full_like(ratio, 1 - p)):
            raise Mistake(_("you multiplied the kept values by (1 - p); divide by (1 - p) "
                            "instead"))
        if not torch.allclose(ratio, torch.full_like(ratio, 1 / (1 - p))):
            raise Mistake(_("every kept value should be x / (1 - p) = x * {factor:.3f}")
                          .format(factor=1 / (1 - p)))
    return _("zeros a fraction p, scales the rest by 1/(1-p), and does nothing in eval mode.")
