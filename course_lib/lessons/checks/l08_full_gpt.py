"""Lesson 08's exercise checks (notebooks/08_full_gpt.ipynb).

Their tests: tests/test_checks_l08_full_gpt.py."""

from __future__ import annotations

import operator
from contextlib import contextmanager

import torch
import torch.nn.functional as F

from ...core.model import GPTConfig, GPTLanguageModel
from ...i18n import _
from .answers import close, expect_tensor, name_the_mistake, whole_number
from .framework import Mistake, Shortcut, call, exercise


@contextmanager
def _refusing_f_linear():
    """While learner code runs, F.linear (which nn.Linear calls too) raises Shortcut: the
    exercise is to write what it computes."""
    def refused(*args, **kwargs):
        raise Shortcut(_("you called F.linear (or an nn.Linear, which calls it): right "
                         "values, but the exercise is to write what it computes yourself, "
                         "with @ and the transpose: x @ weight.T + bias"))

    original = F.linear
    F.linear = refused
    try:
        yield
    finally:
        F.linear = original


@exercise
def check_linear_forward(linear_forward) -> str:
    """linear_forward(x, weight, bias) -> x @ weight.T + bias, the computation of nn.Linear."""
    if linear_forward in (F.linear, torch._C._nn.linear):
        raise Mistake(_("you passed F.linear itself: right values, but the exercise is to "
                        "write what it computes yourself, with @ and the transpose: "
                        "x @ weight.T + bias"))
    hint = _("weight has shape (out_features, in_features), so the output is "
             "x @ weight.T + bias; use @, which works for any number of leading dimensions")
    g = torch.Generator().manual_seed(8)
    cases = [((2, 3), 3),        # a square weight: a missing transpose gives wrong values
             ((1, 3), 2),        # the notes' example: 3 inputs, 2 outputs
             ((4, 5, 3), 2)]     # (B, T, C) input, as in a model
    for x_shape, out_features in cases:
        in_features = x_shape[-1]
        x = torch.randn(*x_shape, generator=g)
        weight = torch.randn(out_features, in_features, generator=g)
        bias = torch.randn(out_features, generator=g)
        want = x @ weight.T + bias
        with _refusing_f_linear():
            got = call(linear_forward, x.clone(), weight.clone(), bias.clone(), hint=hint)
        if not isinstance(got, torch.Tensor):
            raise Mistake(_("return a torch.Tensor, got {got}").format(got=type(got).__name__))
        if tuple(got.shape) != tuple(want.shape):
            raise Mistake(_("for x of shape {x_shape} and weight of shape {w_shape} the output "
                            "should have shape {want} (one value per output feature), got "
                            "{got}").format(x_shape=x_shape, w_shape=(out_features, in_features),
                                            want=tuple(want.shape), got=tuple(got.shape)))
        if close(got, want):
            continue
        if out_features == in_features and close(got, x @ weight + bias):
            raise Mistake(_("you computed x @ weight + bias: nn.Linear stores weight as "
                            "(out_features, in_features), so transpose it: "
                            "x @ weight.T + bias"))
        if close(got, x @ weight.T):
            raise Mistake(_("you forgot the bias: the output is x @ weight.T + bias"))
        if close(got, x @ weight.T - bias):
            raise Mistake(_("you subtracted the bias; add it: x @ weight.T + bias"))
        raise Mistake(_("wrong values for x of shape {x_shape}: expected {want}..., got "
                        "{got}...").format(x_shape=x_shape, want=want.flatten()[:3].tolist(),
                                           got=got.flatten()[:3].tolist()))
    return _("x @ weight.T + bias, for 2-D and 3-D inputs: what nn.Linear computes.")


def _parameter_mistakes(cfg) -> dict[str, int]:
    """Typical counting mistakes -> how many parameters each one leaves out (negative: adds)."""
    V, T, C, L, H = cfg.vocab_size, cfg.block_size, cfg.n_embd, cfg.n_layer, cfg.n_head
    return {
        _("you forgot the position embedding table: block_size x n_embd parameters"):
            T * C,
        _("you forgot ln_f, the final LayerNorm (its weight and bias: 2 x n_embd)"):
            2 * C,
        _("you forgot the LayerNorms: ln1 and ln2 in every block, and ln_f, each with a weight "
          "and a bias of n_embd"): (4 * L + 2) * C,
        _("each LayerNorm has a weight AND a bias (2 x n_embd), you counted n_embd"):
            (2 * L + 1) * C,
        _("you forgot the biases of the Linear layers (proj and both feed-forward layers in "
          "each block, and lm_head)"): L * 6 * C + V,
        _("you forgot the bias of lm_head (vocab_size numbers)"):
            V,
        _("key, query and value are Linear(..., bias=False): they have no biases"):
            -3 * L * C,
        _("you forgot the attention's output projection proj (n_embd x n_embd + n_embd per "
          "block)"): L * (C * C + C),
        _("the feed-forward hidden layer is 4 x n_embd wide: n_embd -> 4*n_embd -> n_embd"):
            L * (6 * C * C + 3 * C),
        _("you counted lm_head and the token embedding as one shared matrix; here they are two "
          "separate matrices of vocab_size x n_embd"): V * C,
        _("you counted one block; there are n_layer of them"):
            (L - 1) * (12 * C * C + 10 * C),
        _("each head's key, query and value map n_embd to head_size = n_embd // n_head, so all "
          "heads together hold 3 x n_embd x n_embd, not n_head times that"):
            -(H - 1) * 3 * C * C * L,
    }


@exercise
def check_gpt_parameter_count(count_parameters) -> str:
    """count_parameters(cfg) -> the number of parameters of GPTLanguageModel(cfg), by formula."""
    configs = [GPTConfig(vocab_size=67, block_size=32, n_embd=48, n_head=4, n_layer=3),
               GPTConfig(vocab_size=67, block_size=128, n_embd=192, n_head=6, n_layer=6),
               GPTConfig(vocab_size=50, block_size=16, n_embd=24, n_head=3, n_layer=1)]
    for cfg in configs:
        with torch.random.fork_rng():      # building a model must not move the notebook's seed
            want = GPTLanguageModel(cfg).num_parameters()
        got = whole_number(call(count_parameters, cfg))
        if got == want:
            continue
        missing = want - got
        name_the_mistake(missing, ((diff, _("{message} (for {cfg} you got {got:,}, the model "
                                            "has {want:,})").format(message=message, cfg=cfg,
                                                                    got=got, want=want))
                                   for message, diff in _parameter_mistakes(cfg).items()),
                         same=operator.eq)
        raise Mistake(_("for {cfg} you got {got:,}, but the model has {want:,} parameters "
                        "({missing:+,} off); count each part: embeddings, n_layer blocks "
                        "(attention, feed-forward, two LayerNorms), ln_f, lm_head")
                      .format(cfg=cfg, got=got, want=want, missing=missing))
    return _("your formula matches the real models for 3 configurations.")


def _forward_variants(model, idx) -> dict[str, torch.Tensor]:
    """Wrong forward passes and the mistake each one makes."""
    T = idx.size(1)
    tok = model.token_embedding_table(idx)
    pos = model.position_embedding_table(torch.arange(T))
    return {
        _("you forgot the position embeddings: x = tok_emb + pos_emb, with pos_emb = "
          "model.position_embedding_table(torch.arange(T))"):
            model.lm_head(model.ln_f(model.blocks(tok))),
        _("you forgot ln_f: apply model.ln_f after the blocks, before lm_head"):
            model.lm_head(model.blocks(tok + pos)),
        _("the blocks are missing: x = model.blocks(x) between the embeddings and ln_f"):
            model.lm_head(model.ln_f(tok + pos)),
    }


class CheckGPT(GPTLanguageModel):
    """The stand-in GPT of check_gpt_forward: with `refuse` set, its own forward raises
    Shortcut. A plain attribute, so the grader can send the model as data (remote.py)."""
    refuse = False

    def forward(self, idx, targets=None):
        if self.refuse:
            raise Shortcut(_("you called model(idx), the library's own forward pass: the "
                             "exercise is to write it, calling the five parts yourself "
                             "(model.token_embedding_table, "
                             "model.position_embedding_table, model.blocks, model.ln_f, "
                             "model.lm_head)"))
        return super().forward(idx, targets)


@exercise
def check_gpt_forward(gpt_forward) -> str:
    """gpt_forward(model, idx) -> the (B, T, vocab_size) logits, built from the model's modules."""
    with torch.random.fork_rng():          # leave the notebook's random state alone
        torch.manual_seed(8)
        model = CheckGPT(GPTConfig(vocab_size=67, block_size=16, n_embd=32, n_head=4,
                                   n_layer=2)).eval()
    g = torch.Generator().manual_seed(8)
    hint = _("the positions are torch.arange(T) with T = idx.shape[1] (not block_size); the "
             "parts are model.token_embedding_table, model.position_embedding_table, "
             "model.blocks, model.ln_f and model.lm_head")
    with torch.no_grad():
        for B, T in ((2, 16), (3, 5)):        # a full block, then a shorter one
            idx = torch.randint(67, (B, T), generator=g)
            want = model(idx)[0]
            model.refuse = True
            try:
                got = call(gpt_forward, model, idx, hint=hint)
            finally:
                model.refuse = False
            if isinstance(got, tuple):
                raise Mistake(_("return only the logits tensor, not a tuple (model(idx) "
                                "returns (logits, loss))"))
            expect_tensor(got, (B, T, 67), _("your logits"))
            if close(got, want):
                continue
            if close(got.sum(-1), torch.ones(B, T)) and close(got, want.softmax(-1)):
                raise Mistake(_("you returned probabilities; the forward pass returns the raw "
                                "logits of lm_head (softmax comes later, when sampling or in "
                                "the loss)"))
            name_the_mistake(got, ((wrong, message)
                                   for message, wrong in _forward_variants(model, idx).items()))
            raise Mistake(_("your logits differ from model(idx); the order is token "
                            "embedding + position embedding -> blocks -> ln_f -> lm_head"))
    return _("your forward pass gives exactly the logits of model(idx).")
