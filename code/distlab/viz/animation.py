"""Step-through animations that work on the static site (no kernel needed).

A widget needs a live kernel; readers of the hosted book have none. Each widget in the
book therefore has a *static twin*: matplotlib frames embedded as PNG in a small HTML
player (first / previous / play / next / last and a slider) that needs no outside
resources. The player's id is a hash of its frames, so the same figures give
byte-identical HTML (nbval compares it; tests/sanitize.cfg masks the image bytes).
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from .. import sim as _sim
from .spacetime import spacetime

__all__ = ["Animation", "animate", "animate_trace", "state_text"]

_PLAYER = """<div class="distlab-animation" id="_anim{id}" data-frames="{n}">
<img id="_anim_img{id}" src="{first}" alt="{alt}" style="max-width:100%;height:auto">
<div class="anim-controls" role="group" aria-label="animation controls">
<button type="button" title="First frame" aria-label="First frame" data-act="first">|&#x25C0;</button>
<button type="button" title="Previous frame" aria-label="Previous frame" data-act="prev">&#x25C0;</button>
<button type="button" title="Play" aria-label="Play" data-act="play">&#x25B6; play</button>
<button type="button" title="Next frame" aria-label="Next frame" data-act="next">&#x25B6;</button>
<button type="button" title="Last frame" aria-label="Last frame" data-act="last">&#x25B6;|</button>
<input type="range" min="0" max="{last}" value="0" aria-label="frame" style="vertical-align:middle;width:40%">
<span class="anim-counter">1 / {n}</span>
</div>
<script>
(function () {{
  var root = document.getElementById("_anim{id}");
  var frames = [{frames}];
  var img = root.querySelector("img"), slider = root.querySelector("input");
  var counter = root.querySelector(".anim-counter"), play = root.querySelector("[data-act=play]");
  var i = 0, timer = null;
  function show(k) {{
    i = Math.max(0, Math.min(frames.length - 1, k));
    img.src = frames[i]; slider.value = i; counter.textContent = (i + 1) + " / " + frames.length;
  }}
  function stop() {{ if (timer) {{ clearInterval(timer); timer = null; play.innerHTML = "&#x25B6; play"; play.title = "Play"; }} }}
  function start() {{
    if (i >= frames.length - 1) show(0);
    timer = setInterval(function () {{ if (i >= frames.length - 1) stop(); else show(i + 1); }}, {interval});
    play.innerHTML = "&#x275A;&#x275A; pause"; play.title = "Pause";
  }}
  root.querySelector("[data-act=first]").onclick = function () {{ stop(); show(0); }};
  root.querySelector("[data-act=prev]").onclick = function () {{ stop(); show(i - 1); }};
  root.querySelector("[data-act=next]").onclick = function () {{ stop(); show(i + 1); }};
  root.querySelector("[data-act=last]").onclick = function () {{ stop(); show(frames.length - 1); }};
  play.onclick = function () {{ if (timer) stop(); else start(); }};
  slider.oninput = function () {{ stop(); show(parseInt(slider.value, 10)); }};
}})();
</script>
</div>"""


def _frame_png(fig: Figure, dpi: int) -> str:
    """Render ``fig`` once and encode it as a 96-colour palette PNG data URI.

    Diagrams have few colours, so a palette loses nothing visible and makes the page
    a reader downloads about four times smaller than RGB frames. The pixels come
    straight from the Agg canvas (no PNG written and read back) and the palette from
    a fast octree: together 40% cheaper per frame than savefig plus median cut.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image  # Pillow comes with matplotlib

    if fig.get_dpi() != dpi:
        fig.set_dpi(dpi)
    fig.patch.set_facecolor("white")
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    img = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw",
                           "RGBA", 0, 1).convert("RGB")
    small = img.quantize(colors=96, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    # The octree rounds white to (254, 254, 254); keep the page's white exact.
    palette = small.getpalette()
    small.putpalette([255 if all(v >= 250 for v in palette[i - i % 3:i - i % 3 + 3]) else v
                      for i, v in enumerate(palette)])
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


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
            interval_ms: int = 900, alt: str = "step-through animation",
            layout: str = "constrained") -> Animation:
    """Render ``draw(fig, i)`` for ``i in range(frames)`` as a step-through animation.

    ``draw`` gets a cleared figure each time and draws frame ``i`` on it. With
    ``layout="fixed"`` the figure has no layout engine (``draw`` places its axes), which
    halves the cost of a frame; ``"constrained"`` lays each frame out. Each frame is
    rendered once; the player (first / previous / play / next / last, a slider) is a
    few lines of JavaScript with no outside resources, and shows the first frame even
    where scripts do not run. The same frames give byte-identical HTML.
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable(fig, i), got {draw!r}")
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise ValueError(f"frames must be a positive int, got {frames!r}")
    if isinstance(interval_ms, bool) or not isinstance(interval_ms, int) or interval_ms < 50:
        raise ValueError(f"interval_ms must be an int >= 50, got {interval_ms!r}")
    if layout not in ("constrained", "fixed"):
        raise ValueError(f"layout must be 'constrained' or 'fixed', got {layout!r}")
    uris = []
    with plt.rc_context({"figure.constrained_layout.use": layout == "constrained"}):
        fig = plt.figure(figsize=figsize, dpi=dpi)
        try:
            for i in range(frames):
                fig.clear()
                draw(fig, i)
                uris.append(_frame_png(fig, dpi))
        finally:
            plt.close(fig)
    ident = hashlib.sha1("".join(uris).encode()).hexdigest()[:32]
    html = _PLAYER.format(id=ident, n=frames, last=frames - 1, first=uris[0],
                          alt=alt.replace('"', "'"), interval=interval_ms,
                          frames=",".join(f'"{u}"' for u in uris))
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
        if spacetime_kwargs.get("nodes") is not None:
            n_nodes = len(spacetime_kwargs["nodes"])
        else:
            n_nodes = len(source.node_ids) if isinstance(source, _sim.Simulation) else 5
        figsize = (8.6 if states else 8.0, 0.45 * n_nodes + 1.6)

    # Fixed margins (in inches, turned into fractions): no layout pass per frame.
    margin_bottom = 0.55 / figsize[1]
    margin_top = 1.0 - 0.35 / figsize[1]

    def draw(fig: Figure, i: int) -> None:
        t = times[i]
        if states:
            gs = fig.add_gridspec(1, 2, width_ratios=[3.0, 1.0], left=0.07, right=0.99,
                                  bottom=margin_bottom, top=margin_top, wspace=0.05)
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
            ax = fig.add_axes((0.07, margin_bottom, 0.91, margin_top - margin_bottom))
        spacetime(source, ax=ax, start=0.0, end=end, now=t, legend=False, **spacetime_kwargs)
        if captions is not None:
            text = captions(t) if callable(captions) else captions[i]
        else:
            text = f"t = {t:.1f}"
        ax.set_title(text, fontsize=10, loc="left")

    return animate(draw, len(times), figsize=figsize, dpi=dpi, interval_ms=interval_ms,
                   layout="fixed")
