"""Execution time of every notebook (the budget: under 10 s each on 2 cores).

Usage: python benchmarks/notebooks.py [NOTEBOOK ...]

Executes each notebook in memory (nothing is written) with nbclient, in its own
directory, and prints the time from the first cell to the last (kernel start-up
excluded, shown apart), then the total. Exits 1 if any notebook is over budget.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
BUDGET_S = 10.0


def run(path: Path) -> tuple[float, float]:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    with client.setup_kernel():
        t1 = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def main(argv: list[str]) -> int:
    if any(a.startswith("-") for a in argv):
        print(__doc__)
        return 0 if argv in (["-h"], ["--help"]) else 2
    missing = [a for a in argv if not Path(a).is_file()]
    if missing:
        print(f"not a notebook file: {', '.join(missing)}", file=sys.stderr)
        return 2
    paths = [Path(a).resolve() for a in argv] or sorted(
        p for p in list((ROOT / "chapters").rglob("*.ipynb")) + list((ROOT / "book").glob("*.ipynb"))
        if ".ipynb_checkpoints" not in p.parts)
    total = 0.0
    over = []
    for p in paths:
        start, cells = run(p)
        total += cells
        flag = "  OVER BUDGET" if cells > BUDGET_S else ""
        print(f"{cells:6.1f} s  (kernel start {start:.1f} s)  {p.relative_to(ROOT)}{flag}",
              flush=True)
        if cells > BUDGET_S:
            over.append(p)
    print(f"{total:6.1f} s  total for {len(paths)} notebooks (cells only)")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
