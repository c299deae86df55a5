"""Layering: the core (distlab.sim and every protocol) imports neither matplotlib nor
ipywidgets (DESIGN.md, "The library, in layers")."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import distlab

PICTURES = {"viz", "widgets"}


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(distlab.__path__, prefix="distlab."):
        parts = info.name.split(".")
        if len(parts) > 1 and parts[1] in PICTURES:
            continue
        names.append(info.name)
    return sorted(names)


def test_there_is_a_core_to_check():
    mods = core_modules()
    assert "distlab.sim.simulation" in mods and len(mods) > 10


def test_core_imports_neither_matplotlib_nor_ipywidgets():
    mods = core_modules()
    code = (
        "import importlib, sys\n"
        f"for m in {mods!r}:\n"
        "    if m.endswith('__main__'):\n"
        "        continue\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'ipywidgets'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent)
    assert out.stdout.strip() == "", f"the core imported: {out.stdout.strip()}"


def test_core_sources_do_not_import_pictures():
    """The same rule, read from the source (catches imports inside functions too)."""
    root = Path(distlab.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in PICTURES:
            continue
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped.startswith(("import matplotlib", "from matplotlib",
                                    "import ipywidgets", "from ipywidgets")):
                offenders.append(f"{rel}: {stripped}")
    assert not offenders, offenders


GLOBAL_RANDOM = re.compile(r"(?<![\w.])random\.(random|randint|randrange|choice|choices|"
                           r"shuffle|sample|seed|uniform|gauss|expovariate)\(")
WALL_CLOCK = re.compile(r"(?<![\w.])(time\.(time|monotonic|perf_counter)|datetime\.now|"
                        r"datetime\.utcnow)\(")


def test_no_global_randomness_or_wall_clock_in_core():
    """Determinism: the core never uses the global `random` or reads the wall clock.

    Exempt, and only these: command-line front ends (``__main__.py``) that time
    themselves for the user; the real-process host of the Maelstrom runtime, whose
    timers are real by definition; and the book's notebook runner.
    """
    root = Path(distlab.__file__).parent
    real_time_hosts = {"maelstrom/runtime.py", "maelstrom/harness.py", "notebooks.py"}
    offenders = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0] in PICTURES or rel.name == "__main__.py" \
                or rel.as_posix() in real_time_hosts:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if GLOBAL_RANDOM.search(code) or WALL_CLOCK.search(code):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, offenders
