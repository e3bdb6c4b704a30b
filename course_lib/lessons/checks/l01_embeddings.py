"""Lesson 01's exercise checks (notebooks/01_embeddings.ipynb).

Their tests: tests/test_checks_l01_embeddings.py."""

from __future__ import annotations

import torch

from ...i18n import _
from ..sandbox import describe
from .answers import LOOKUP_OPS, as_number, close, is_int, name_the_mistake, ops_on_inputs
from .framework import Mistake, call, exercise


def _one_hot_cases():
    g = torch.Generator().manual_seed(0)
    weight = torch.randn(7, 3, generator=g)
    # the largest ID (4) is below V - 1 = 6, so F.one_hot without num_classes is too narrow
    return weight, [torch.tensor([3, 0, 4, 3]), torch.tensor([6, 1])]


@exercise
def check_one_hot_embed(one_hot_embed) -> str:
    """one_hot_embed(ids, weight) -> (T, D): the one-hot rows (T, V) times weight (V, D)."""
    weight, cases = _one_hot_cases()
    weight.requires_grad_(True)          # autograd then records how the result was made
    V, D = weight.shape
    hint = _("F.one_hot gives integers, so convert with .float() before the product, and give "
             "num_classes=weight.shape[0] (otherwise it guesses V from the largest ID)")
    for ids in cases:
        T = len(ids)
        with torch.enable_grad():
            out = call(one_hot_embed, ids, weight, hint=hint)
        if not isinstance(out, torch.Tensor):
            raise Mistake(_("your function returned {value}; return a tensor").format(
                value=describe(out)))
        if tuple(out.shape) == (D, T) and T != D:
            raise Mistake(_("your result has shape {shape}, the transpose of (T, D) = "
                            "{want}: one row per token. Compute one_hot (T, V) @ weight (V, D)"
                            ).format(shape=tuple(out.shape), want=(T, D)))
        if tuple(out.shape) == (T, V):
            raise Mistake(_("you returned the one-hot matrix itself (T, V); multiply it by "
                            "weight"))
        if tuple(out.shape) != (T, D):
            raise Mistake(_("for {T} IDs and a weight of shape {weight_shape} the result should "
                            "have shape {want}, got {shape}").format(
                                T=T, weight_shape=(V, D), want=(T, D), shape=tuple(out.shape)))
        if not close(out.detach(), weight.detach()[ids]):
            raise Mistake(_("the shape is right but the values are not the rows of weight for "
                            "these IDs; one_hot(ids) @ weight picks row ids[t] for token t"))
        lookups = ops_on_inputs(out) & LOOKUP_OPS
        if lookups:
            raise Mistake(_("you looked the rows up directly (weight[ids], F.embedding or "
                            "index_select): right values, but the exercise is to get them by a "
                            "matrix product, F.one_hot(ids, num_classes=V).float() @ weight"))
    return _("one_hot(ids) @ weight gives exactly the rows weight[ids]: a lookup is a matrix "
             "product.")


@exercise
def check_cosine_similarity(cosine_similarity) -> str:
    """cosine_similarity(a, b) -> a number: a.b / (|a| |b|) for two 1-D vectors."""
    a, b = torch.tensor([3.0, 4.0, 0.0]), torch.tensor([1.0, 2.0, 2.0])   # |a| = 5, |b| = 3
    g = torch.Generator().manual_seed(1)
    cases = [(a, b), (torch.randn(16, generator=g), 4 * torch.randn(16, generator=g)),
             (a, -2 * a)]
    hint = _("for two 1-D vectors, F.cosine_similarity needs dim=0")
    for x, y in cases:
        out = as_number(call(cosine_similarity, x, y, hint=hint),
                        _("cosine similarity is one number: sum the products a * b before "
                          "dividing"))
        dot, na, nb = float(x @ y), float(x.norm()), float(y.norm())
        want = dot / (na * nb)
        wrong = {
            _("you returned the dot product a·b: divide it by the lengths |a| and |b|"): dot,
            _("you divided by the squared lengths; divide by the lengths themselves (the square "
              "root of the sum of squares, x.norm())"): dot / (na ** 2 * nb ** 2),
            _("you divided by one length only; divide by both |a| and |b|"): [dot / na, dot / nb],
            _("a @ b / a.norm() * b.norm() divides by |a| and then MULTIPLIES by |b|: put the "
              "product in parentheses, a @ b / (a.norm() * b.norm())"): [dot / na * nb,
                                                                          dot / nb * na],
            _("you returned 1 - cos, the cosine distance; return the similarity itself"): 1 - want,
        }
        if abs(out - want) < 1e-4:
            continue
        name_the_mistake(out, ((v, message) for message, values in wrong.items()
                               for v in (values if isinstance(values, list) else [values])),
                         same=lambda a, b: abs(a - b) < 1e-4)
        raise Mistake(_("cosine_similarity({a}..., {b}...) gave {got:.4f}, expected "
                        "{want:.4f}").format(a=x.tolist()[:3], b=y.tolist()[:3], got=out,
                                             want=want))
    return _("a·b / (|a| |b|): 1 for the same direction, -1 for opposite, and length does not "
             "matter.")


@exercise
def check_most_similar(most_similar) -> str:
    """most_similar(query, vectors, k) -> the k row indices most cosine-similar, best first."""
    query = torch.tensor([1.0, 0.0])
    # row 0 is long but at 45 degrees: the dot product ranks it first, cosine does not
    vectors = torch.tensor([[10.0, 10.0], [1.0, 0.1], [0.0, 1.0], [-1.0, 0.0], [2.0, -0.5]])
    want = [1, 4, 0]
    g = torch.Generator().manual_seed(2)
    big, q2 = torch.randn(50, 8, generator=g), torch.randn(8, generator=g)
    sims = (big @ q2) / (big.norm(dim=1) * q2.norm())
    cases = [(query, vectors, 3, want), (q2, big, 5, torch.argsort(sims, descending=True)[:5].tolist())]
    for q, vs, k, expected in cases:
        out = call(most_similar, q, vs, k, hint=_("cosine similarity of every row: (vectors @ "
                                                  "query) / (vectors.norm(dim=1) * "
                                                  "query.norm())"))
        if isinstance(out, torch.Tensor):
            if out.is_floating_point():
                raise Mistake(_("your function returned floats; return the row indices "
                                "(integers) of the most similar vectors, not their similarities"))
            out = out.tolist()
        if is_int(out):
            raise Mistake(_("your function returned one index ({index}); return the k = {k} "
                            "best indices, most similar first (torch.topk(sims, k).indices), "
                            "not only the best one").format(index=int(out), k=k))
        if not isinstance(out, (list, tuple)):
            raise Mistake(_("your function returned {value}; return the k row indices "
                            "as a list or a tensor of integers").format(value=describe(out)))
        out = list(out)
        if any(isinstance(i, float) for i in out):
            raise Mistake(_("your function returned floats; return the row indices (integers)"))
        if not all(is_int(i) for i in out):
            raise Mistake(_("return the k row indices as integers, got {first}...").format(
                first=out[:3]))
        out = [int(i) for i in out]
        if len(out) != k:
            raise Mistake(_("asked for k={k} indices, got {n}").format(k=k, n=len(out)))
        if out == expected:
            continue
        if out == torch.topk(vs @ q, k).indices.tolist():
            raise Mistake(_("you ranked by the dot product, so long vectors win (row [10, 10] "
                            "came first). Divide by the lengths (cosine similarity) first"))
        if out == torch.topk(-(vs - q).norm(dim=1), k).indices.tolist():
            raise Mistake(_("you ranked by the Euclidean distance |row - query|; the exercise "
                            "asks for the highest cosine similarity, which ignores the lengths"))
        all_sorted = torch.argsort((vs @ q) / (vs.norm(dim=1) * q.norm())).tolist()
        if out == all_sorted[:k]:
            raise Mistake(_("you returned the least similar rows first; sort in descending "
                            "order (torch.topk, or argsort(descending=True))"))
        raise Mistake(_("most_similar gave {got}, expected {want}").format(got=out, want=expected))
    return _("the k nearest rows by cosine similarity, most similar first.")
