"""Book-level checks: the table of contents, references, and a warning-free build."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
PAGES = NOTEBOOKS + sorted((ROOT / "book").glob("*.ipynb")) + sorted(
    p for p in (ROOT / "chapters").rglob("*.md")) + sorted((ROOT / "book").glob("*.md"))


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    return files


def test_every_notebook_is_in_the_toc():
    listed = set(toc_files())
    missing = [str(nb.relative_to(ROOT)) for nb in NOTEBOOKS
               if str(nb.relative_to(ROOT).with_suffix("")) not in listed]
    assert not missing, f"notebooks not in _toc.yml (readers would never see them): {missing}"


def test_every_toc_entry_exists():
    for entry in toc_files():
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb", "")]
        assert any(c.is_file() for c in candidates), f"_toc.yml lists {entry!r}, which does not exist"


def test_parts_have_real_chapters():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    for part in toc["parts"]:
        files = []
        for ch in part["chapters"]:
            files.append(ch["file"])
            files.extend(s["file"] for s in ch.get("sections", []))
        if part["caption"].startswith("Back matter"):
            continue
        assert any((ROOT / f"{f}.ipynb").exists() for f in files), (
            f"part {part['caption']!r} has no notebook: no placeholder parts")


def bib_keys() -> set[str]:
    text = (ROOT / "book" / "references.bib").read_text()
    return set(re.findall(r"@\w+\{([^,\s]+),", text))


def page_text(path: Path) -> str:
    if path.suffix == ".ipynb":
        import nbformat

        nb = nbformat.read(path, as_version=4)
        return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return path.read_text()


def test_bibliography_has_the_roadmaps_books_and_papers():
    keys = bib_keys()
    for key in ("kleppmann2017ddia", "vansteen2023distributed", "petrov2019database",
                "newman2021microservices", "dean2004mapreduce", "decandia2007dynamo",
                "corbett2012spanner", "lakshman2010cassandra", "burrows2006chubby",
                "lamport1978time", "lamport2001paxos", "ongaro2014raft", "castro1999pbft",
                "ghemawat2003gfs", "chandy1985snapshots"):
        assert key in keys, key


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_citations_and_terms_resolve(page):
    text = page_text(page)
    keys = bib_keys()
    cited = set()
    for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", text):
        cited.update(k.strip() for k in group.split(","))
    unknown = sorted(cited - keys)
    assert not unknown, f"{page.name} cites keys missing from references.bib: {unknown}"
    glossary = (ROOT / "book" / "glossary.md").read_text()
    terms = {t.strip().lower() for t in re.findall(r"^(\S[^\n]*)\n  \S", glossary, re.M)}
    used = re.findall(r"\{term\}`([^`<]+?)(?:<([^>]+)>)?`", text)
    missing = sorted({(target or label).strip() for label, target in used
                      if (target or label).strip().lower() not in terms})
    assert not missing, f"{page.name} uses glossary terms that are not defined: {missing}"


def test_book_builds_without_warnings(tmp_path):
    """`jupyter-book build -W --keep-going` succeeds: zero warnings."""
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jb), "build", str(ROOT), "--path-output", str(tmp_path),
                             "--warningiserror", "--keep-going"],
                            capture_output=True, text=True, cwd=ROOT)
    log = result.stdout + result.stderr
    causes = [line for line in log.splitlines()
              if any(k in line for k in ("WARNING", "ERROR", "Extension error", "Error:",
                                         "Could not import"))]
    assert result.returncode == 0, "book build failed:\n" + "\n".join(causes[-30:] or
                                                                      log.splitlines()[-30:])
    html = tmp_path / "_build" / "html"
    for nb in NOTEBOOKS:
        page = html / nb.relative_to(ROOT).with_suffix(".html")
        assert page.is_file(), f"no page for {nb.name}"
