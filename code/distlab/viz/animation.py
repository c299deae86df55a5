"""Step-through animations that work on the static site (no kernel needed).

A widget needs a live kernel; readers of the hosted book have none. Each widget in the
book therefore has a *static twin*: a matplotlib animation rendered to self-contained
JavaScript + PNG frames (``to_jshtml``) with play / step / scrub controls.

matplotlib names each animation with a random UUID; here the name is a hash of the
frames, so the same figures give byte-identical HTML (nbval compares it).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.animation import FuncAnimation
from matplotlib.figure import Figure

from .. import sim as _sim
from .spacetime import spacetime

__all__ = ["Animation", "animate", "animate_trace", "state_text"]

_UUID = re.compile(r"(?<=_anim_img)[0-9a-f]{32}")
_FRAME = re.compile(r'(data:image/png;base64,)(.*?)(")', re.S)


def _quantize_frame(match: re.Match) -> str:
    """Re-encode one embedded frame as a 64-colour palette PNG (about 4x smaller).

    Diagrams have few colours, so nothing visible is lost; the page a reader
    downloads shrinks accordingly.
    """
    from PIL import Image  # Pillow comes with matplotlib

    raw = base64.b64decode(match.group(2).replace("\\\n", ""))
    img = Image.open(io.BytesIO(raw)).convert("RGB")
    small = img.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return match.group(1) + base64.b64encode(out.getvalue()).decode() + match.group(3)


class Animation:
    """An embedded, self-contained HTML animation (displays itself in Jupyter)."""

    def __init__(self, html: str, frames: int) -> None:
        self.html = html
        self.frames = frames

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<Animation: {self.frames} frames, {len(self.html) // 1024} KiB>"


def animate(draw: Callable[[Figure, int], Any], frames: int, *,
            figsize: tuple[float, float] = (8.0, 3.6), dpi: int = 88,
            interval_ms: int = 900, mode: str = "once") -> Animation:
    """Render ``draw(fig, i)`` for ``i in range(frames)`` as a step-through animation.

    ``draw`` gets a cleared figure each time and draws frame ``i`` on it.
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable(fig, i), got {draw!r}")
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise ValueError(f"frames must be a positive int, got {frames!r}")
    if mode not in ("once", "loop", "reflect"):
        raise ValueError(f"mode must be 'once', 'loop' or 'reflect', got {mode!r}")
    with plt.rc_context({"figure.constrained_layout.use": True}):
        fig = plt.figure(figsize=figsize, dpi=dpi)

        def update(i: int) -> list:
            fig.clear()
            draw(fig, i)
            return []

        anim = FuncAnimation(fig, update, frames=frames, interval=interval_ms, blit=False,
                             repeat=False)
        try:
            html = anim.to_jshtml(fps=1000 / interval_ms, embed_frames=True,
                                  default_mode=mode)
        finally:
            plt.close(fig)
    html = _FRAME.sub(_quantize_frame, html)
    match = _UUID.search(html)
    if match:
        random_id = match.group(0)
        stable = hashlib.sha1(html.replace(random_id, "").encode()).hexdigest()[:32]
        html = html.replace(random_id, stable)
    return Animation(html, frames)


def state_text(states: Mapping[str, Any], fields: Sequence[str] | None = None,
               width: int = 46) -> str:
    """Format ``{node: state}`` as monospace lines for an animation's side panel."""
    lines = []
    for node, st in states.items():
        if st is None:
            lines.append(f"{node}: (crashed)")
            continue
        if isinstance(st, Mapping):
            items = [(k, v) for k, v in st.items() if fields is None or k in fields]
            body = ", ".join(f"{k}={v}" for k, v in items)
        else:
            body = str(st)
        text = f"{node}: {body}"
        lines.append(text if len(text) <= width else text[: width - 1] + "…")
    return "\n".join(lines)


def animate_trace(source: Any, *, frames: int | None = None,
                  times: Sequence[float] | None = None,
                  states: Sequence[tuple[float, Mapping[str, Any]]] | None = None,
                  captions: Sequence[str] | Callable[[float], str] | None = None,
                  state_fields: Sequence[str] | None = None,
                  figsize: tuple[float, float] | None = None, dpi: int = 88,
                  interval_ms: int = 900, **spacetime_kwargs: Any) -> Animation:
    """A space-time diagram that grows frame by frame: the static twin of an explorer.

    Parameters
    ----------
    source
        A ``Simulation`` (after its run) or a ``Trace``.
    frames, times
        Either a number of evenly spaced frames, or the frame times themselves.
    states
        Frames from ``Simulation.run_recording``: a side panel shows, at each frame,
        the latest recorded state of every node.
    captions
        A caption per frame, or ``caption(t)``.
    """
    events = source.trace.events if isinstance(source, _sim.Simulation) else list(source)
    end = max((e.time for e in events), default=1.0)
    if states:
        end = max(end, states[-1][0])
    if times is None:
        n = frames if frames is not None else 12
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"frames must be a positive int, got {frames!r}")
        times = [end * (i + 1) / n for i in range(n)]
    times = list(times)
    if not times:
        raise ValueError("times must hold at least one frame time")
    if figsize is None:
        n_nodes = len(source.node_ids) if isinstance(source, _sim.Simulation) else 5
        figsize = (8.6 if states else 8.0, 0.45 * n_nodes + 1.6)

    def draw(fig: Figure, i: int) -> None:
        t = times[i]
        if states:
            gs = fig.add_gridspec(1, 2, width_ratios=[3.0, 1.0])
            ax = fig.add_subplot(gs[0, 0])
            side = fig.add_subplot(gs[0, 1])
            side.axis("off")
            current = states[0][1]
            for ts, st in states:
                if ts <= t + 1e-9:
                    current = st
            side.text(0.0, 1.0, state_text(current, state_fields), family="monospace",
                      fontsize=8, va="top", ha="left", transform=side.transAxes)
        else:
            ax = fig.add_subplot(1, 1, 1)
        spacetime(source, ax=ax, start=0.0, end=end, now=t, legend=False, **spacetime_kwargs)
        if captions is not None:
            text = captions(t) if callable(captions) else captions[i]
        else:
            text = f"t = {t:.1f}"
        ax.set_title(text, fontsize=10, loc="left")

    return animate(draw, len(times), figsize=figsize, dpi=dpi, interval_ms=interval_ms)
