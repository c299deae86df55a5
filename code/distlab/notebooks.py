"""Execute the book's notebooks in place, the way the committed outputs are made.

``make outputs`` calls ``python -m distlab.notebooks FILE...``: each notebook runs top
to bottom in a fresh kernel, in its own folder, with no timing metadata, and the
widget state Jupyter would embed is dropped (the site shows each explorer's static
twin instead; see the "How to use this book" page). nbval then proves the committed
outputs are what the code produces.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

__all__ = ["execute", "main"]


def execute(path: str | Path, timeout: int = 300) -> float:
    """Run ``path`` in place; returns the seconds it took."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path).resolve()
    nb = nbformat.read(path, as_version=4)
    # store_widget_state stays on while running: nbclient's capture of Output widgets
    # needs it (with it off, a cell writing to an Output widget raises KeyError).
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.monotonic()
    client.execute()
    elapsed = time.monotonic() - start
    nb.metadata.pop("widgets", None)
    _normalise(nb)
    nbformat.write(nb, path)
    return elapsed


def _normalise(nb) -> None:
    """Make the committed outputs a function of the code alone: consecutive writes to
    the same stream become one output (how a kernel splits them depends on timing), and
    widget views get ids numbered in order (their state is dropped, so the random ids
    Jupyter makes point at nothing anyway)."""
    views = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged: list = []
        for out in cell.get("outputs", []):
            if (out.get("output_type") == "stream" and merged
                    and merged[-1].get("output_type") == "stream"
                    and merged[-1].get("name") == out.get("name")):
                merged[-1]["text"] = merged[-1]["text"] + out["text"]
                continue
            view = out.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view is not None:
                views += 1
                view["model_id"] = f"{views:032x}"
            merged.append(out)
        cell["outputs"] = merged


def main(argv: list[str] | None = None) -> int:
    paths = argv if argv is not None else sys.argv[1:]
    if not paths:
        print("usage: python -m distlab.notebooks NOTEBOOK.ipynb ...", file=sys.stderr)
        return 2
    for p in paths:
        if not Path(p).is_file():
            print(f"notebooks: no such notebook: {p}", file=sys.stderr)
            return 2
        print(f"{p}: executed in {execute(p):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
