"""Find text shown to the learner that is not marked for translation (tests of issue 26).

`bare_messages(paths, calls)` lists every string literal or f-string passed straight to one
of `calls` (by name, e.g. "Mistake", or attribute, e.g. "set_title"), as positional argument
`index` or as one of `keywords`. A message wrapped as _("...") , N_("...") or
_("...").format(...) is not bare; nor is a variable (the test of that module decides whether
its value was marked). Each test_i18n_*.py file calls it for the modules it covers.
"""

from __future__ import annotations

import ast
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
