"""Every chapter notebook has the anatomy of DESIGN.md and is committed as executed.

Static checks on the .ipynb files (fast; nbval re-executes them separately).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(p for p in (ROOT / "chapters").rglob("[0-9]*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)
ALL_NOTEBOOKS = CHAPTERS + sorted((ROOT / "book").glob("*.ipynb"))


def ids(p: Path) -> str:
    return str(p.relative_to(ROOT))


def load(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids)
def test_committed_as_executed_top_to_bottom(path):
    nb = load(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert all(n is not None for n in counts), f"{path.name}: some cells were never run"
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: run it top to bottom in a fresh kernel (make outputs NB=...); "
        f"execution counts are {counts}")
    for c in code:
        errors = [o for o in c.outputs if o.output_type == "error"]
        assert not errors, f"{path.name}: a committed cell has an error output: {errors[0].ename}"
        assert "execution" not in c.metadata, f"{path.name}: cell timing metadata was committed"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids)
def test_widgets_live_in_the_notebook_and_twins_on_the_site(path):
    """The site loads no widget JavaScript (no state is stored, and widget outputs are
    removed there: with no kernel their buttons would do nothing); each explorer's
    static twin plays instead. nbval cannot compare widget outputs (random model ids)."""
    nb = load(path)
    assert "widgets" not in nb.metadata, (
        f"{path.name} stores widget state; run `make outputs` (store_widget_state=False)")
    for c in nb.cells:
        if c.cell_type == "code" and any(WIDGET_VIEW in o.get("data", {}) for o in c.outputs):
            missing = {"nbval-ignore-output", "remove-output"} - set(tags(c))
            assert not missing, f"{path.name}: a widget cell lacks the tags {sorted(missing)}"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_chapter_anatomy(path):
    nb = load(path)
    text = markdown(nb)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "a title first"
    assert "Learning objectives" in text, "learning objectives"
    assert re.search(r"\*\*Prerequisites:?\*\*", text), "prerequisites"
    assert re.search(r"\*\*Time:?\*\*", text), "time to read"
    for heading in ("## Try it", "## What can go wrong", "## Exercises", "## Further reading"):
        assert heading in text, f"{path.name} lacks the section {heading!r}"
    assert "{cite}" in text.split("## Further reading", 1)[1], "further reading cites sources"

    install = [c for c in nb.cells if c.cell_type == "code" and "remove-cell" in tags(c)
               and "import distlab" in c.source and "pip install" in c.source]
    assert install, f"{path.name}: the Colab install cell (tagged remove-cell) is missing"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_try_it_has_a_widget_and_a_static_twin(path):
    nb = load(path)
    cells = nb.cells
    start = next(i for i, c in enumerate(cells)
                 if c.cell_type == "markdown" and "## Try it" in c.source)
    end = next(i for i, c in enumerate(cells)
               if c.cell_type == "markdown" and "## What can go wrong" in c.source)
    section = cells[start:end]
    widget = [c for c in section if c.cell_type == "code" and "nbval-ignore-output" in tags(c)
              and any("application/vnd.jupyter.widget-view+json" in o.get("data", {})
                      for o in c.outputs)]
    assert widget, f"{path.name}: 'Try it' has no widget cell tagged nbval-ignore-output"
    twin = [c for c in section if c.cell_type == "code" and any(
        "_anim_img" in o.get("data", {}).get("text/html", "") or
        "image/png" in o.get("data", {}) for o in c.outputs)]
    assert twin, f"{path.name}: 'Try it' has no static twin (an animation or figures)"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_exercises_follow_nbgrader_conventions(path):
    nb = load(path)
    text = markdown(nb)
    exercises = re.findall(r"^:{3,}\{exercise\}|^`{3,}\{exercise\}", text, re.M)
    assert len(exercises) >= 3, f"{path.name}: {len(exercises)} exercises, at least 3 needed"
    ids_seen = set()
    solutions = tests = 0
    for c in nb.cells:
        meta = nbgrader(c)
        if not meta:
            continue
        assert meta.get("schema_version") == 3, f"{path.name}: nbgrader schema_version 3"
        gid = meta.get("grade_id")
        assert gid and gid not in ids_seen, f"{path.name}: grade_id {gid!r} missing or repeated"
        ids_seen.add(gid)
        if c.cell_type == "code" and meta.get("solution"):
            solutions += 1
            assert "### BEGIN SOLUTION" in c.source and "### END SOLUTION" in c.source, gid
            assert "hide-input" in tags(c), f"{gid}: solutions are hidden on the site"
            assert "raises-exception" in tags(c), (
                f"{gid}: tag raises-exception so the student version runs on past the stub")
        if c.cell_type == "markdown" and meta.get("solution"):
            # nbgrader replaces the whole cell with "YOUR ANSWER HERE" for students
            assert "{exercise}" not in c.source, (
                f"{gid}: put the question in its own cell before the answer cell")
            assert "{solution}" in c.source and "dropdown" in c.source, (
                f"{gid}: the model answer goes in a hidden {{solution}} dropdown")
            assert meta.get("grade") and meta.get("points"), f"{gid}: a written answer has points"
        if c.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            tests += 1
            assert meta.get("locked") and meta.get("points"), f"{gid}: locked, pointed"
            assert "distlab.exercises" in c.source, f"{gid}: calls a distlab.exercises check"
            assert "raises-exception" in tags(c), f"{gid}: tag raises-exception"
            shown = "".join(o.get("text", "") for o in c.outputs if o.output_type == "stream")
            assert "✔" in shown, f"{gid}: the committed check passes with the model solution"
    assert solutions >= 1 and tests >= 1, f"{path.name}: at least one auto-checked exercise"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=ids)
def test_no_empty_figures(path):
    """An axes made by plt.subplots and never used is an empty frame on the page (the
    plot went to a figure of its own): every name a cell unpacks from plt.subplots must be
    used later in that cell."""
    unpack = re.compile(r"^[ \t]*([\w \t,()]+?)[ \t]*=[ \t]*plt\.subplots\(", re.M)
    for i, cell in enumerate(load(path).cells):
        if cell.cell_type != "code":
            continue
        for m in unpack.finditer(cell.source):
            rest = cell.source[m.end():]
            unused = [n for n in re.findall(r"\w+", m.group(1))
                      if n not in ("fig", "_") and not re.search(rf"\b{n}\b", rest)]
            assert not unused, f"{path.name} cell {i}: {unused} from plt.subplots never used"
