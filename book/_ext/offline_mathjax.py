"""Serve MathJax from the built site instead of a CDN.

The MathJax 3 files come from the pip package ``sphinx-mathjax-offline`` (installed by
``make``); after a successful build, only what the ``tex-chtml`` component needs (the
component, its fonts, the TeX extensions it may autoload, the menu and accessibility
helpers) is copied to ``_static/mathjax/`` — about 4 MB instead of the package's 24.
Copying after the build (rather than listing the folder in ``html_static_path``)
keeps Jupyter Book from adding a ``<script>`` tag for every .js file in it.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

from sphinx.application import Sphinx

PARTS = ["tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions", "ui", "a11y"]


def _source() -> Path:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("offline_mathjax needs the pip package sphinx-mathjax-offline "
                           "(make installs it from requirements-dev.txt)")
    return Path(spec.origin).parent / "static" / "mathjax"


def _copy(app: Sphinx, exc: Exception | None) -> None:
    if exc is not None or app.builder.format != "html":
        return
    src, dst = _source(), Path(app.outdir) / "_static" / "mathjax"
    for part in PARTS:
        s, d = src / part, dst / part
        d.parent.mkdir(parents=True, exist_ok=True)
        if s.is_dir():
            shutil.copytree(s, d, dirs_exist_ok=True)
        else:
            shutil.copy2(s, d)


def setup(app: Sphinx) -> dict:
    _source()  # fail at start-up, with a clear message, if the package is missing
    app.config.mathjax_path = "mathjax/tex-chtml.js"   # relative to _static
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
