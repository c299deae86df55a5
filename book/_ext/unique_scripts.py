"""Emit each page script once.

With Jupyter Book 1, sphinx-thebe's configuration script (``const THEBE_JS_URL = ...``)
ends up twice in every page, and the second copy throws "Identifier 'THEBE_JS_URL' has
already been declared". This keeps the first copy of any repeated script.
"""

from __future__ import annotations

from sphinx.application import Sphinx


def _dedupe(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        # the same file or inline body, whatever its priority
        key = (str(getattr(js, "filename", js) or ""),  # inline: None or ""
               tuple(sorted((k, str(v)) for k, v in getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict:
    # Early: the event stops at the first handler that returns a value (a theme's might).
    app.connect("html-page-context", _dedupe, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
