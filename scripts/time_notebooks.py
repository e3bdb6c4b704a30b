"""Run every lesson notebook top to bottom, measure it, and write the README's lesson table.

    python scripts/time_notebooks.py            # all notebooks, then rewrite the table
    python scripts/time_notebooks.py --no-write # only print

Each notebook runs in a fresh kernel, as `pytest` (nbval) and a learner run it. For each it
records the wall time from the first cell to the last, and the kernel's peak memory (the
largest resident set the kernel process reached, read inside the kernel at the end with
`resource.getrusage`). The table in README.md between the markers
`<!-- lessons:start -->` and `<!-- lessons:end -->` is replaced, and README.it.md's table
(the Italian lessons run the same code) gets the same times.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parent.parent
NB_DIR = REPO / "notebooks"
README = REPO / "README.md"
README_IT = REPO / "README.it.md"
RESULTS = REPO / "data" / "notebook_times.json"

PEAK_CELL = ("import resource, sys\n"
             "_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
             "print('PEAK_KB', _peak // 1024 if sys.platform == 'darwin' else _peak)")


def measure(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(NB_DIR)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    peak_kb = int(re.search(r"PEAK_KB (\d+)", text).group(1))
    return {"notebook": path.name, "seconds": round(seconds, 1), "peak_mib": round(peak_kb / 1024)}


def lesson_title(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0].source.splitlines()[0]
    return re.sub(r"^#\s*Lesson \d+:\s*", "", first).strip()


def write_table(rows: list[dict]) -> None:
    lines = ["| # | lesson | run time | peak memory |", "|---|---|---|---|"]
    for r in rows:
        num = r["notebook"][:2]
        lines.append(f"| {num} | [{r['title']}](notebooks/{r['notebook']}) | {r['seconds']:.0f} s | "
                     f"{r['peak_mib']} MiB |")
    total = sum(r["seconds"] for r in rows)
    lines.append(f"| | **all {len(rows)} notebooks** | **{total:.0f} s** | |")
    table = "\n".join(lines)
    text = README.read_text(encoding="utf-8")
    new = re.sub(r"(<!-- lessons:start -->\n).*?(\n<!-- lessons:end -->)",
                 lambda m: m.group(1) + table + m.group(2), text, flags=re.S)
    if new == text and table not in text:
        raise SystemExit("README.md has no <!-- lessons:start --> ... <!-- lessons:end --> markers")
    README.write_text(new, encoding="utf-8")
    write_italian_times(rows)


def write_italian_times(rows: list[dict]) -> None:
    """Put each lesson's time into README.it.md's row for it, and the total."""
    text = README_IT.read_text(encoding="utf-8")
    for r in rows:
        row = re.compile(r"^(\| " + re.escape(r["notebook"][:2]) + r" \| \[[^\n]*?\]\(notebooks/it/"
                         r"[^)]+\) \| )\d+ s( \|)$", re.M)
        text, n = row.subn(lambda m: f"{m.group(1)}{r['seconds']:.0f} s{m.group(2)}", text)
        if n != 1:
            raise SystemExit(f"README.it.md has no table row for lesson {r['notebook'][:2]}")
    total = sum(r["seconds"] for r in rows)
    text = re.sub(r"(\| \| \*\*[^*\n]*\*\* \| \*\*)\d+ s(\*\* \|)",
                  lambda m: f"{m.group(1)}{total:.0f} s{m.group(2)}", text)
    README_IT.write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-write", action="store_true", help="print only; leave README.md alone")
    p.add_argument("lessons", nargs="*", help="name prefixes (default: all)")
    args = p.parse_args(argv)
    paths = sorted(NB_DIR.glob("[0-9][0-9]_*.ipynb"))
    if args.lessons:
        paths = [q for q in paths if any(q.name.startswith(x) for x in args.lessons)]
    rows = []
    for path in paths:
        r = measure(path) | {"title": lesson_title(path)}
        print(f"{r['notebook']:<32} {r['seconds']:6.1f} s  {r['peak_mib']:5d} MiB", flush=True)
        rows.append(r)
    print(f"{'total':<32} {sum(r['seconds'] for r in rows):6.1f} s")
    if not args.no_write and not args.lessons:
        write_table(rows)
        RESULTS.write_text(json.dumps({"machine": f"{platform.machine()}, {os.cpu_count()} CPU "
                                       f"cores", "rows": rows}, indent=1), encoding="utf-8")
        print(f"updated {README.relative_to(REPO)}, {README_IT.relative_to(REPO)} and "
              f"{RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
