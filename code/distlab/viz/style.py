"""The book's look: colours shared by every picture, and ``use_book_style``.

Figures keep a white background so they stay readable when the site is in dark mode.
"""

from __future__ import annotations

import matplotlib as mpl

__all__ = ["PALETTE", "DROP_COLOR", "CRASH_COLOR", "NODE_LINE", "PARTITION_FILL",
           "use_book_style"]

# Okabe-Ito, readable for colour-blind readers, in an order that separates neighbours.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9",
           "#000000", "#F0E442"]
DROP_COLOR = "#9e9e9e"
CRASH_COLOR = "#c62828"
NODE_LINE = "#424242"
PARTITION_FILL = "#fff3cd"

BOOK_RC = {
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "legend.frameon": False,
    "figure.constrained_layout.use": True,
}


def use_book_style() -> None:
    """Apply the book's matplotlib settings (notebooks call this once, at the top)."""
    mpl.rcParams.update(BOOK_RC)
