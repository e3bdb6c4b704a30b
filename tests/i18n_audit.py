"""Find text shown to the learner that is not marked for translation (tests of issue 26).

`bare_messages(paths, calls)` lists every string literal or f-string passed straight to one
of `calls` (by name, e.g. "Mistake", or attribute, e.g. "set_title"), as positional argument
`index` or as one of `keywords`. A message wrapped as _("...") , N_("...") or
_("...").format(...) is not bare; nor is a variable (the test of that module decides whether
its value was marked). Each test_i18n_*.py file calls it for the modules it covers.
"""

from __future__ import annotations

import ast
import string
from pathlib import Path


def _is_bare_text(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return any(c.isalpha() for c in node.value)   # "", ", ", "%" are not sentences
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.Constant) and any(c.isalpha() for c in str(v.value))
                   for v in node.values)
    if isinstance(node, ast.BinOp):                   # "..." + "..." or "..." % x
        return _is_bare_text(node.left) or _is_bare_text(node.right)
    return False


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def bare_messages(paths, calls: dict[str, tuple[tuple[int, ...], tuple[str, ...]]]) -> list[str]:
    """["file:line: call(...) 'text'"] for each unmarked message.

    `calls` maps a called name to (positional indexes, keyword names) that hold text.
    """
    found = []
    for path in paths:
        path = Path(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = _called_name(node)
            if name not in calls:
                continue
            indexes, keywords = calls[name]
            args = [a for i, a in enumerate(node.args) if i in indexes]
            args += [k.value for k in node.keywords if k.arg in keywords]
            for arg in args:
                if _is_bare_text(arg):
                    found.append(f"{path.name}:{node.lineno}: {name}(...) "
                                 f"{ast.unparse(arg)[:70]}")
    return found


def _literal_text(node: ast.AST) -> str:
    """A literal's text; an f-string's with {} for each value."""
    if isinstance(node, ast.Constant):
        return node.value
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def unmarked_sentences(paths, min_words: int = 3, allowed=frozenset(),
                       is_code=lambda text: False) -> list[str]:
    """["file:line: 'text'"] for every string literal or f-string of `min_words` or more words
    (a word holds a letter) that is not inside _(), N_() or ngettext(), not a docstring, not
    a subscript key (breakdown["layer norms"]), not in `allowed` (test inputs such as "to be
    or not to be") and not `is_code(text)`: the messages bare_messages cannot see (a table
    of mistakes, a dict of known answers, a success message after `return`)."""
    found = []
    for path in paths:
        path = Path(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        skip = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)) and node.body \
                    and isinstance(node.body[0], ast.Expr) \
                    and isinstance(node.body[0].value, ast.Constant):
                skip.add(id(node.body[0].value))                      # a docstring
            if _called_name(node) in ("_", "N_", "ngettext") if isinstance(node, ast.Call) \
                    else False:
                skip.update(id(n) for n in ast.walk(node))
            if isinstance(node, ast.JoinedStr):
                skip.update(id(v) for v in ast.walk(node) if v is not node)
            if isinstance(node, ast.Subscript):
                skip.add(id(node.slice))
        for node in ast.walk(tree):
            if id(node) in skip or not (isinstance(node, ast.JoinedStr) or (
                    isinstance(node, ast.Constant) and isinstance(node.value, str))):
                continue
            text = _literal_text(node)
            words = sum(any(c.isalpha() for c in w) for w in text.split())
            if words >= min_words and text not in allowed and not is_code(text):
                found.append(f"{path.name}:{node.lineno}: {text[:70]!r}")
    return found


def format_fields(message: str) -> list[tuple[str, str]]:
    """The (name, format spec) of each {placeholder} in `message`, sorted: a translation
    must keep the same ones, or filling it in raises KeyError in that language only."""
    return sorted((name, spec) for _lit, name, spec, _conv in string.Formatter().parse(message)
                  if name is not None)
