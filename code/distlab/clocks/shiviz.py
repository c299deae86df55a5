"""Export a run as a ShiViz log (Beschastnikh et al. 2016).

ShiViz draws a space-time diagram from a plain-text log in which every event carries
the vector timestamp of its host; it needs no record of which send matches which
receive, because the vectors alone determine happens-before. Its default format,
used by GoVector, is two lines per event::

    n1.1 send n1/1 to n3
    n1 {"n1": 1}

parsed with the regular expression (JavaScript named groups) ::

    (?<event>.*)\\n(?<host>\\S*) (?<clock>{.*})

An uploaded file starts with that expression on its first line and a (here empty)
line for the delimiter between several executions, then the log. ShiViz also checks
that each host's own entry starts at 1 and grows by exactly 1 from one logged event to
the next ("Clock values for a host must increase monotonically by 1"), which
:func:`to_shiviz` verifies first, so a node that forgot its vector in a crash is
caught here rather than in the browser.

Taught in notebook 1.3.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..sim.trace import TraceEvent
from .causality import Event, HappensBefore, _events_of
from .nodes import read_stamps
from .vector import VectorClock

__all__ = ["SHIVIZ_REGEX", "SHIVIZ_PYTHON_REGEX", "describe_event", "to_shiviz",
           "shiviz_file", "write_shiviz", "parse_shiviz"]

#: ShiViz's default parser (JavaScript syntax for named groups), first line of a file.
SHIVIZ_REGEX = r"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})"
#: The same expression in Python's syntax.
SHIVIZ_PYTHON_REGEX = re.compile(r"(?P<event>.*)\n(?P<host>\S*) (?P<clock>\{.*\})")


def describe_event(event: Event, row: TraceEvent) -> str:
    """One line for an event: its id, what it was and the message body if any."""
    body = getattr(row.msg, "body", None) if event.kind != "local" else None
    what = {"send": f"send {body or '#' + str(event.msg_id)} to {event.peer}",
            "receive": f"receive {body or '#' + str(event.msg_id)} from {event.peer}",
            "local": "local event"}[event.kind]
    return f"{event.id} {what} (t={event.time:.2f})"


def to_shiviz(source: Any, *, hb: HappensBefore | None = None,
              stamps: Mapping[str, VectorClock] | None = None,
              describe: Callable[[Event, TraceEvent], str] = describe_event) -> str:
    """The log of a run of vector-clock nodes, two lines per event, in trace order.

    Raises ``ValueError`` if an event has no vector timestamp, a timestamp lacks its
    own host, or a host's own entry does not go 1, 2, 3, ... (ShiViz would refuse it).
    """
    rows = _events_of(source)
    if hb is None:
        hb = HappensBefore.from_trace(rows)
    if stamps is None:
        stamps = read_stamps(rows, hb)
    if not callable(describe):
        raise TypeError(f"describe must be callable(event, trace_row) -> str, got {describe!r}")
    lines: list[str] = []
    own: dict[str, tuple[int, str]] = {}
    for ev in hb.events:
        v = stamps.get(ev.id)
        if not isinstance(v, Mapping):
            raise ValueError(f"event {ev.id} has no vector timestamp (got {v!r}); ShiViz "
                             f"needs one for every event: run VectorNode processes")
        mine = v.get(ev.node, 0)
        previous, prev_id = own.get(ev.node, (0, "the start"))
        if mine != previous + 1:
            raise ValueError(
                f"ShiViz needs each host's own entry to grow by exactly 1 per event, but "
                f"{ev.node}'s goes from {previous} ({prev_id}) to {mine} ({ev.id}); did the "
                f"node lose its vector in a crash?")
        own[ev.node] = (mine, ev.id)
        text = describe(ev, rows[ev.index])
        if not isinstance(text, str) or "\n" in text:
            raise ValueError(f"describe() must return one line of text, got {text!r}")
        clock = json.dumps({k: v[k] for k in sorted(v) if v[k]})
        lines.append(text)
        lines.append(f"{ev.node} {clock}")
    return "\n".join(lines)


def shiviz_file(source: Any, **kwargs: Any) -> str:
    """A complete file to upload to ShiViz: the parser, an empty delimiter line, the log."""
    return SHIVIZ_REGEX + "\n\n" + to_shiviz(source, **kwargs) + "\n"


def write_shiviz(source: Any, path: str | Path, **kwargs: Any) -> Path:
    """Write :func:`shiviz_file` to ``path``; returns the path."""
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or a pathlib.Path, got {path!r}")
    path = Path(path)
    path.write_text(shiviz_file(source, **kwargs), encoding="utf-8")
    return path


def parse_shiviz(text: str) -> list[tuple[str, str, VectorClock]]:
    """Parse a log (or a whole file) back into ``(event, host, vector)`` triples.

    Uses :data:`SHIVIZ_PYTHON_REGEX`, ShiViz's default parser; a file's two header
    lines (the parser and the delimiter) are skipped.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if text.startswith(SHIVIZ_REGEX + "\n"):
        text = text[len(SHIVIZ_REGEX) + 1:]
        text = text.split("\n", 1)[1] if "\n" in text else ""
    out = []
    for m in SHIVIZ_PYTHON_REGEX.finditer(text.strip("\n")):
        out.append((m["event"], m["host"], VectorClock(json.loads(m["clock"]))))
    return out
