"""The environment report at the top of lesson 00: is this machine ready for the course?

It speaks the learner's language (course_lib.set_language): every message is wrapped in _().
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

import course_lib
from course_lib.i18n import _


@dataclass
class EnvironmentReport:
    rows: list[tuple[str, str, bool, str]]   # (item, value, ok, what to do if not ok)

    @property
    def ok(self) -> bool:
        return all(ok for _, _, ok, _ in self.rows)

    def __repr__(self) -> str:
        width = max(len(r[0]) for r in self.rows)
        lines = []
        for item, value, ok, fix in self.rows:
            lines.append(f"{'✅' if ok else '❌'} {item:<{width}}  {value}")
            if not ok:
                lines.append(f"   {'':<{width}}  {_('fix:')} {fix}")
        lines.append(_("Everything is ready.") if self.ok else _(
            "Fix the lines marked ❌, then restart the kernel (Kernel > Restart Kernel) and "
            "run this cell again."))
        return "\n".join(lines)


def _version(module_name: str) -> str | None:
    try:
        module = __import__(module_name)
    except ImportError:
        return None
    return getattr(module, "__version__", "installed")


def report_environment(show_versions: bool = True) -> EnvironmentReport:
    """Report Python, PyTorch, course_lib, widgets and CPU threads, and say what to fix.

    With show_versions=False the version numbers are replaced by "ok" (so a stored
    notebook output does not change when a patch release is installed).
    """
    def shown(v: str) -> str:
        return v if show_versions else "ok"

    rows = []
    py_ok = sys.version_info >= (3, 10)
    rows.append(("Python", shown(platform.python_version()), py_ok,
                 _("install Python 3.10 or newer")))
    torch_ok = torch.__version__.split("+")[0] >= "2.1"
    rows.append(("PyTorch", shown(torch.__version__), torch_ok,
                 _("pip install -r requirements.txt (it pins torch==2.13.0)")))
    rows.append(("course_lib", shown(course_lib.__version__) + f" ({_lib_location()})", True, ""))
    missing = _("missing")
    ipyw = _version("ipywidgets")
    rows.append(("ipywidgets", shown(ipyw) if ipyw else missing, ipyw is not None,
                 "pip install -r requirements.txt"))
    lab_widgets = _version("jupyterlab_widgets")
    rows.append((_("widget display in JupyterLab"),
                 "jupyterlab_widgets " + shown(lab_widgets) if lab_widgets else missing,
                 lab_widgets is not None,
                 _("pip install -r requirements.txt, then restart JupyterLab; if sliders show "
                   "as text, use JupyterLab rather than an old notebook frontend")))
    threads = torch.get_num_threads()
    rows.append((_("CPU threads for PyTorch"), str(threads) if show_versions else "ok",
                 threads >= 1, "torch.set_num_threads(n)"))
    return EnvironmentReport(rows)


def _lib_location() -> str:
    here = Path(course_lib.__file__).resolve().parent.parent
    return _("this repository") if (here / "notebooks").exists() else str(here)
