"""Book-level checks: the table of contents, references, and a warning-free build."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
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
    # Sphinx folds whitespace (a term may wrap across source lines) and ignores case.
    norm = [" ".join((target or label).split()) for label, target in used]
    missing = sorted({t for t in norm if t.lower() not in terms})
    assert not missing, f"{page.name} uses glossary terms that are not defined: {missing}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the book once for this module: (returncode, log, html folder)."""
    out = tmp_path_factory.mktemp("book")
    jb = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run([str(jb), "build", str(ROOT), "--path-output", str(out),
                             "--warningiserror", "--keep-going"],
                            capture_output=True, text=True, cwd=ROOT)
    return result.returncode, result.stdout + result.stderr, out / "_build" / "html"


def test_book_builds_without_warnings(site):
    """`jupyter-book build -W --keep-going` succeeds: zero warnings."""
    returncode, log, html = site
    causes = [line for line in log.splitlines()
              if any(k in line for k in ("WARNING", "ERROR", "Extension error", "Error:",
                                         "Could not import"))]
    assert returncode == 0, "book build failed:\n" + "\n".join(causes[-30:] or
                                                               log.splitlines()[-30:])
    for nb in NOTEBOOKS:
        page = html / nb.relative_to(ROOT).with_suffix(".html")
        assert page.is_file(), f"no page for {nb.name}"


def test_site_serves_its_own_maths():
    """MathJax comes from the site (book/_ext/offline_mathjax.py), not a CDN."""
    # Checked on the configuration so it holds without a build:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "offline_mathjax" in config["sphinx"]["local_extensions"]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (.ci/run installs "
                    "Debian's chromium; locally: apt-get install chromium)")
def test_every_page_in_a_browser(site):
    """Every page loads in headless Chromium with no missing local resource, no
    JavaScript error, every figure decoded and every animation's controls shown.
    Screenshots of the intro and one page per part go to _build/screenshots/."""
    playwright = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    returncode, _, html = site
    assert returncode == 0, "the book did not build"
    pages = sorted(p for p in html.rglob("*.html")
                   if "_static" not in p.parts and p.name not in ("genindex.html", "search.html"))
    assert len(pages) >= len(NOTEBOOKS)
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    first_of_part: dict[str, Path] = {}
    for p in pages:
        parts = p.relative_to(html).parts
        if parts[0] == "chapters" and len(parts) == 3 and parts[2][0].isdigit():
            first_of_part.setdefault(parts[1], p)
    wanted_shots = {html / "book" / "intro.html": "intro"} | {
        p: part for part, p in first_of_part.items()}

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(html))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    problems: list[str] = []
    try:
        with playwright.sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run"])
            for path in pages:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                rel = path.relative_to(html).as_posix()
                errors: list[str] = []
                missing: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.on("response", lambda r: missing.append(f"{r.status} {r.url}")
                        if r.status >= 400 and "127.0.0.1" in r.url else None)
                page.on("requestfailed", lambda r: missing.append(f"failed {r.url}")
                        if "127.0.0.1" in r.url else None)
                page.goto(f"http://127.0.0.1:{port}/{rel}", wait_until="load")
                page.wait_for_timeout(200)
                broken = page.evaluate("""() => Array.from(document.querySelectorAll('main img'))
                    .filter(i => i.offsetParent !== null && !(i.complete && i.naturalWidth > 0))
                    .map(i => i.src.slice(0, 80))""")
                animations = page.evaluate("""() => Array.from(
                    document.querySelectorAll('.distlab-animation')).map(a => {
                        const c = a.querySelector('.anim-controls');
                        return c !== null && c.offsetParent !== null &&
                               c.querySelectorAll('button').length === 5; })""")
                for e in errors:
                    problems.append(f"{rel}: JavaScript error: {e}")
                for m in missing:
                    problems.append(f"{rel}: {m}")
                for b in broken:
                    problems.append(f"{rel}: figure did not load: {b}")
                if not all(animations):
                    problems.append(f"{rel}: an animation shows no controls")
                if path in wanted_shots:
                    page.screenshot(path=str(shots / f"{wanted_shots[path]}.png"))
                page.close()
            browser.close()
    finally:
        server.shutdown()
    assert not problems, "\n".join(problems[:40])


def test_github_workflows_are_valid_and_use_the_make_targets():
    flows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert {f.name for f in flows} >= {"publish.yml", "nightly.yml"}
    for f in flows:
        data = yaml.safe_load(f.read_text())
        assert data.get("jobs"), f"{f.name} has no jobs"
        runs = " ".join(step.get("run", "") for job in data["jobs"].values()
                        for step in job.get("steps", []))
        assert "make" in runs or ".ci/run" in runs, f"{f.name} must call the make targets"
    nightly = (ROOT / ".github" / "workflows" / "nightly.yml").read_text()
    assert "CONSTRAINTS= test" in nightly  # the unpinned run
