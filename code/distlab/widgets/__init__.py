"""``distlab.widgets``: ipywidgets explorers for a live kernel.

Each has a static twin for the hosted site (``distlab.viz.animate_trace``).
"""

from .explorer import Explorer, parse_groups

__all__ = ["Explorer", "parse_groups"]
