"""Lesson 01's exercise checks (course_lib/lessons/checks/l01_embeddings.py): each
solution passes, each stub is "not attempted", and each typical mistake is named."""

import pytest
import torch
import torch.nn.functional as F

from course_lib.lessons.checks import (check_cosine_similarity, check_most_similar,
                                       check_one_hot_embed)

from checks_support import assert_fails, stub


# Typical mistakes of one_hot_embed: no num_classes (too narrow); no .float() (a dtype
# error); the transpose; returning the one-hot matrix; summing over tokens; wrong rows;
# and the shortcut the exercise is not about: weight[ids], F.embedding, index_select.

def test_one_hot_embed_solution_passes_and_stub_is_not_attempted():
    r = check_one_hot_embed(lambda ids, w: F.one_hot(ids, w.shape[0]).float() @ w)
    assert r.passed, r
    assert check_one_hot_embed(lambda ids, w: torch.einsum(
        "tv,vd->td", F.one_hot(ids, w.shape[0]).float(), w)).passed
    assert check_one_hot_embed(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda ids, w: F.one_hot(ids).float() @ w, "give num_classes=weight.shape[0]"),
    (lambda ids, w: F.one_hot(ids, w.shape[0]) @ w, "convert with .float()"),
    (lambda ids, w: w.T @ F.one_hot(ids, w.shape[0]).float().T, "the transpose of (T, D)"),
    (lambda ids, w: F.one_hot(ids, w.shape[0]).float(), "you returned the one-hot matrix itself"),
    (lambda ids, w: (F.one_hot(ids, w.shape[0]).float() @ w).sum(0), "should have shape (4, 3)"),
    (lambda ids, w: F.one_hot((ids + 1) % w.shape[0], w.shape[0]).float() @ w,
     "values are not the rows of weight"),
    (lambda ids, w: w[ids], "you looked the rows up directly (weight[ids]"),
    (lambda ids, w: F.embedding(ids, w), "you looked the rows up directly"),
    (lambda ids, w: torch.index_select(w, 0, ids), "you looked the rows up directly"),
    (lambda ids, w: torch.stack([w[i] for i in ids]), "you looked the rows up directly"),
    (lambda ids, w: (F.one_hot(ids, w.shape[0]).float() @ w).tolist(),
     "your function returned a list of 4 items; return a tensor"),
])
def test_one_hot_embed_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_one_hot_embed(fn), fragment)


# Typical mistakes of cosine similarity: the dot product alone; squared lengths; one
# length; a @ b / |a| * |b| (precedence); 1 - cos; no sum; the distance; F.cosine_similarity
# without dim=0.

def test_cosine_similarity_solution_passes():
    assert check_cosine_similarity(lambda a, b: (a @ b) / (a.norm() * b.norm())).passed
    assert check_cosine_similarity(lambda a, b: F.cosine_similarity(a, b, dim=0).item()).passed
    assert check_cosine_similarity(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda a, b: a @ b, "you returned the dot product"),
    (lambda a, b: (a @ b) / ((a ** 2).sum() * (b ** 2).sum()), "divided by the squared lengths"),
    (lambda a, b: (a @ b) / a.norm(), "you divided by one length only"),
    (lambda a, b: a @ b / a.norm() * b.norm(), "put the product in parentheses"),
    (lambda a, b: 1 - (a @ b) / (a.norm() * b.norm()), "the cosine distance"),
    (lambda a, b: a * b / (a.norm() * b.norm()), "sum the products"),
    (lambda a, b: (a - b).norm(), "expected 0.7333"),
    (lambda a, b: F.cosine_similarity(a, b), "Hint: for two 1-D vectors, F.cosine_similarity needs dim=0"),
    (lambda a, b: str(float((a @ b) / (a.norm() * b.norm()))), "returned a str"),
])
def test_cosine_similarity_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_cosine_similarity(fn), fragment)


def _cos_rows(q, vs):
    return (vs @ q) / (vs.norm(dim=1) * q.norm())


# Typical mistakes of most_similar: ranking by the dot product; ascending order; the
# similarities instead of the indices; k + 1 results; only the best index; ranking by
# distance; a wrong order.

def test_most_similar_solution_passes():
    assert check_most_similar(lambda q, vs, k: torch.topk(_cos_rows(q, vs), k).indices).passed
    assert check_most_similar(lambda q, vs, k: _cos_rows(q, vs).argsort(descending=True)[:k].tolist()).passed
    assert check_most_similar(stub).status == "not_attempted"


@pytest.mark.parametrize("fn,fragment", [
    (lambda q, vs, k: torch.topk(vs @ q, k).indices, "you ranked by the dot product"),
    (lambda q, vs, k: torch.argsort(_cos_rows(q, vs))[:k], "least similar rows first"),
    (lambda q, vs, k: torch.topk(_cos_rows(q, vs), k).values, "not their similarities"),
    (lambda q, vs, k: torch.topk(_cos_rows(q, vs), k + 1).indices, "asked for k=3 indices, got 4"),
    (lambda q, vs, k: int(_cos_rows(q, vs).argmax()), "returned one index (1); return the k = 3 best"),
    (lambda q, vs, k: torch.topk(-(vs - q).norm(dim=1), k).indices, "ranked by the Euclidean distance"),
    (lambda q, vs, k: torch.topk(_cos_rows(q, vs), k).indices.roll(1),
     "most_similar gave [0, 1, 4], expected [1, 4, 0]"),
])
def test_most_similar_rejects_typical_mistakes(fn, fragment):
    assert_fails(check_most_similar(fn), fragment)
