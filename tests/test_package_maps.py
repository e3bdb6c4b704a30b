"""The maps in the package docstrings are true: each package's docstring names every module
and subpackage in its folder, and every module a map line starts with exists there. Also: no
module of course_lib is longer than one sitting (800 lines)."""

import importlib
import re
from pathlib import Path

import pytest

import course_lib

ROOT = Path(course_lib.__file__).parent
PACKAGES = sorted(p.parent for p in ROOT.rglob("__init__.py") if "__pycache__" not in p.parts)
MAX_LINES = 800


def _package_name(folder: Path) -> str:
    return ".".join(("course_lib",) + folder.relative_to(ROOT).parts)


def _children(folder: Path) -> list[str]:
    """The modules ("name.py") and subpackages ("name/") in a package folder."""
    modules = [p.name for p in folder.glob("*.py") if p.name != "__init__.py"]
    packages = [p.name + "/" for p in folder.iterdir() if (p / "__init__.py").is_file()]
    return sorted(modules + packages)


@pytest.mark.parametrize("folder", PACKAGES, ids=_package_name)
def test_every_module_is_in_its_packages_map(folder):
    doc = importlib.import_module(_package_name(folder)).__doc__ or ""
    missing = [name for name in _children(folder)
               if not re.search(rf"(?<![\w/]){re.escape(name)}(?![\w])", doc)]
    assert not missing, f"{_package_name(folder)}'s docstring does not mention {missing}"


@pytest.mark.parametrize("folder", PACKAGES, ids=_package_name)
def test_every_module_a_map_names_exists(folder):
    doc = importlib.import_module(_package_name(folder)).__doc__ or ""
    named = re.findall(r"^ {4}(\w+\.py|\w+/)\s", doc, flags=re.MULTILINE)
    assert named, f"{_package_name(folder)}'s docstring has no map (lines '    name.py  what')"
    gone = [name for name in named if name not in _children(folder)]
    assert not gone, f"{_package_name(folder)}'s map names {gone}, which are not in {folder}"


def test_the_map_test_sees_every_package():
    names = {_package_name(p) for p in PACKAGES}
    assert {"course_lib", "course_lib.core", "course_lib.lessons", "course_lib.commands",
            "course_lib.lessons.checks", "course_lib.lessons.plots"} <= names


@pytest.mark.parametrize("path", sorted(ROOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_longer_than_one_sitting(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines; split it by lesson or concern"
