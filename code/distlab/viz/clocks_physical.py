"""Pictures for notebook 1.4: clock offsets over time, Cristian's error bars, NTP's
exchange and its delay/offset wedge, hybrid logical clocks against physical time, and
labels for a last-writer-wins story.

Time in the simulator is in ms; long runs are drawn in seconds (``time_unit``).
Everything here reads traces, sample lists and clocks as the world sees them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

from ..clocksync.cristian import CristianSample
from ..clocksync.hlc import hlc_events
from ..clocksync.lww import Read, ReadOk, Replicate, Write, WriteOk
from ..clocksync.ntp import NTPRequest, NTPResponse, NTPSample
from ..sim import Simulation
from ..sim.trace import TraceEvent
from .spacetime import spacetime
from .style import PALETTE

__all__ = ["plot_offsets", "plot_skew", "plot_cristian", "ntp_exchange", "plot_wedge",
           "plot_hlc", "lww_outputs", "lww_message_label"]

_UNITS = {"ms": 1.0, "s": 1000.0, "min": 60_000.0}


def _scale(time_unit: str) -> float:
    if time_unit not in _UNITS:
        raise ValueError(f"time_unit must be one of {list(_UNITS)}, got {time_unit!r}")
    return _UNITS[time_unit]


def plot_offsets(times: Sequence[float], series: Mapping[str, Sequence[float]], *,
                 ax: Axes | None = None, time_unit: str = "s", title: str | None = None,
                 band: float | None = None, colors: Mapping[str, str] | None = None,
                 legend: bool | str = True) -> Axes:
    """Each clock's offset from true time (ms) against true time.

    ``band`` shades ``±band`` around zero (a synchronisation target). ``legend``:
    ``True`` (outside, right), ``False``, or a matplotlib location inside the axes.
    """
    k = _scale(time_unit)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.2))
    xs = [t / k for t in times]
    for i, (node, ys) in enumerate(series.items()):
        c = (colors or {}).get(node, PALETTE[i % len(PALETTE)])
        ax.plot(xs, list(ys), color=c, lw=1.6, label=node)
    if band is not None:
        ax.axhspan(-band, band, color="#e0e0e0", zorder=0, lw=0)
    ax.axhline(0, color="#757575", lw=0.8, ls=":")
    ax.set_xlabel(f"true time ({time_unit})")
    ax.set_ylabel("offset from true time (ms)")
    if legend is True:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    elif legend:
        ax.legend(loc=legend, fontsize=8)
    if title:
        ax.set_title(title, loc="left")
    return ax


def plot_skew(times: Sequence[float], series: Mapping[str, Sequence[float]], *,
              ax: Axes | None = None, time_unit: str = "s", title: str | None = None,
              color: str = "#424242", label: str | None = None) -> Axes:
    """The skew (largest minus smallest offset) of ``series`` against true time."""
    k = _scale(time_unit)
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 2.4))
    cols = list(series.values())
    skews = [max(col[i] for col in cols) - min(col[i] for col in cols)
             for i in range(len(times))]
    ax.plot([t / k for t in times], skews, color=color, lw=1.6, label=label)
    ax.set_xlabel(f"true time ({time_unit})")
    ax.set_ylabel("skew (ms)")
    ax.set_ylim(bottom=0)
    if title:
        ax.set_title(title, loc="left")
    return ax


def plot_cristian(samples: Sequence[CristianSample], truths: Sequence[float], *,
                  best: CristianSample | None = None, ax: Axes | None = None,
                  title: str | None = None, legend: bool = True) -> Axes:
    """Each sample's estimated correction with its ±error bar, and the true correction.

    ``truths[i]`` is the true *server minus client* when sample ``i`` was taken.
    """
    if len(samples) != len(truths):
        raise ValueError("samples and truths must have the same length")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.2))
    xs = list(range(1, len(samples) + 1))
    ax.errorbar(xs, [s.offset for s in samples], yerr=[s.error for s in samples], fmt="o",
                color=PALETTE[0], ecolor=PALETTE[5], elinewidth=2, capsize=3, ms=4,
                label="estimate ± error bound")
    ax.plot(xs, list(truths), "-", color=PALETTE[1], lw=1.5, zorder=0.5,
            label="true correction")
    if best is not None and best in samples:
        i = samples.index(best)
        ax.plot([xs[i]], [best.offset], "o", ms=11, mfc="none", mec=PALETTE[2], mew=2,
                label="smallest round trip")
    for x, s in zip(xs, samples):
        ax.text(x, s.offset - s.error, f"{s.rtt:.0f}", fontsize=7, ha="center", va="top",
                color="#616161")
    ax.set_xticks(xs)
    ax.set_xlabel("sample (under each bar: its round trip, ms)")
    ax.set_ylabel("server − client (ms)")
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    if title:
        ax.set_title(title, loc="left")
    return ax


def ntp_exchange(sim: Simulation, client: str, server: str, *, sample: int = 0,
                 ax: Axes | None = None, title: str | None = None, pad: float = 3.0) -> Axes:
    """A space-time diagram of one NTP exchange, each event labelled with its timestamp.

    ``sample`` picks which completed exchange of ``client`` with ``server`` to draw.
    """
    samples = [e for e in sim.trace.outputs("sample", node=client)
               if isinstance(e.msg, NTPSample) and e.msg.server == server]
    if not 0 <= sample < len(samples):
        raise ValueError(f"sample must be in [0, {len(samples)}), got {sample!r}")
    s: NTPSample = samples[sample].msg
    end = samples[sample].time
    begin = next(e.time for e in sim.trace.of_kind("send")
                 if e.node == client and isinstance(e.msg, NTPRequest) and e.msg.t1 == s.t1)
    labels = {("send", client): f"t1={s.t1:.4g}", ("deliver", server): f"t2={s.t2:.4g}",
              ("send", server): f"t3={s.t3:.4g}", ("deliver", client): f"t4={s.t4:.4g}"}

    def label(e: TraceEvent) -> str | None:
        if not begin <= e.time <= end:
            return None
        if isinstance(e.msg, NTPRequest) and e.msg.t1 == s.t1 or \
                isinstance(e.msg, NTPResponse) and e.msg.t1 == s.t1:
            return labels.get((e.kind, e.node))
        return None

    window = [e for e in sim.trace.events if begin <= e.time <= end
              and e.kind in ("send", "deliver") and e.node in (client, server)
              and isinstance(e.msg, (NTPRequest, NTPResponse)) and e.msg.t1 == s.t1]
    ax = spacetime(window, nodes=[client, server], start=begin - pad, end=end + pad, ax=ax,
                   event_labels=label, figsize=(7.5, 2.3),
                   title=title or (f"offset θ = {s.offset:+.2f} ms, "
                                   f"delay δ = {s.delay:.2f} ms"))
    ax.set_xlabel("true time (ms)")
    return ax


def plot_wedge(samples: Sequence[NTPSample], true_offsets: Sequence[float], *,
               chosen: Sequence[NTPSample] = (), ax: Axes | None = None,
               title: str | None = None) -> Axes:
    """Mills's wedge: each sample's offset error against its delay, within ±delay/2."""
    if len(samples) != len(true_offsets):
        raise ValueError("samples and true_offsets must have the same length")
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.4))
    errs = [s.offset - t for s, t in zip(samples, true_offsets)]
    delays = [s.delay for s in samples]
    ax.scatter(delays, errs, s=12, color=PALETTE[0], alpha=0.7, label="samples", zorder=3)
    top = max(delays) * 1.05 if delays else 1.0
    ax.fill_between([0, top], [0, -top / 2], [0, top / 2], color="#eeeeee", zorder=0,
                    label="|error| ≤ δ/2")
    ax.plot([0, top], [0, top / 2], color="#9e9e9e", lw=1)
    ax.plot([0, top], [0, -top / 2], color="#9e9e9e", lw=1)
    picked = [i for i, s in enumerate(samples) if s in set(chosen)]
    if picked:
        ax.scatter([delays[i] for i in picked], [errs[i] for i in picked], s=60,
                   facecolors="none", edgecolors=PALETTE[1], lw=1.6, zorder=4,
                   label="chosen by the clock filter")
    ax.axhline(0, color="#616161", lw=0.8, ls=":")
    ax.set_xlim(0, top)
    ax.set_xlabel("round-trip delay δ (ms)")
    ax.set_ylabel("offset error θ − true (ms)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    if title:
        ax.set_title(title, loc="left")
    return ax


def plot_hlc(sim: Simulation, *, axes: Sequence[Axes] | None = None,
             title: str | None = None) -> Sequence[Axes]:
    """Two panels: HLC ``l`` and each event's ``pt``, minus true time; Lamport counters.

    The shaded band spans the clocks' offsets: ``l`` never leaves it.
    """
    events = hlc_events(sim.trace)
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.2), width_ratios=[1.6, 1.0])
    a, b = axes
    nodes = list(sim.node_ids)
    color = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(nodes)}
    offs = [sim.clock(n).offset_at(0.0) for n in nodes]
    a.axhspan(min(offs), max(offs), color="#eeeeee", lw=0, zorder=0)
    for n in nodes:
        mine = [(t, ev) for t, node, ev in events if node == n]
        a.plot([t for t, _ in mine], [ev.ts.l - t for t, ev in mine], "o", ms=4,
               color=color[n])
        a.plot([t for t, _ in mine], [ev.pt - t for t, ev in mine], "x", ms=4,
               color=color[n], alpha=0.5)
        b.plot([t for t, _ in mine], [ev.lamport for _, ev in mine], "o-", ms=3, lw=1,
               color=color[n], label=n)
    a.set_xlabel("true time (ms)")
    a.set_ylabel("timestamp − true time (ms)")
    a.set_title("HLC l (dots), physical pt (crosses)", loc="left", fontsize=10)
    b.set_xlabel("true time (ms)")
    b.set_ylabel("Lamport counter")
    b.set_title("Lamport clocks count events, not ms", loc="left", fontsize=10)
    b.legend(fontsize=8, loc="upper left")
    if title:
        a.figure.suptitle(title, x=0.01, ha="left", fontsize=11)
    return axes


def lww_outputs(e: TraceEvent) -> str | None:
    """Labels for ``spacetime(..., outputs=lww_outputs)`` on a last-writer-wins run."""
    if e.info == "write":
        op, value, stamp, applied = e.msg
        return f"{value} ⟵ {stamp}" + ("" if applied else " (older!)")
    if e.info in ("apply", "discard"):
        return f"{e.info} {e.msg[1]}"
    if e.info == "read":
        return f"read {e.msg[1]}"
    return None



def lww_message_label(msg: object) -> str | None:
    """Short arrow labels for a last-writer-wins run (values, not operation ids)."""
    if isinstance(msg, Write):
        return f"write {msg.value}"
    if isinstance(msg, Replicate):
        return f"replicate {msg.value}"
    if isinstance(msg, ReadOk):
        return f"{msg.value}"
    if isinstance(msg, Read):
        return "read"
    if isinstance(msg, WriteOk):
        return "ok"
    return None
