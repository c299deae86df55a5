"""The Network Time Protocol, client/server mode (Mills 1991; RFC 5905).

One exchange gives four timestamps, each read on the clock of the node where it is
taken (RFC 5905, section 8):

- ``t1`` the client's clock when the request leaves (the packet's *origin* timestamp),
- ``t2`` the server's clock when the request arrives (*receive*),
- ``t3`` the server's clock when the response leaves (*transmit*),
- ``t4`` the client's clock when the response arrives (*destination*).

From them, with no knowledge of either clock::

    offset  theta = ((t2 - t1) + (t3 - t4)) / 2      server clock minus client clock
    delay   delta = (t4 - t1) - (t3 - t2)             round trip minus server's hold time

If the request took ``d1`` and the response ``d2`` (true time), ``theta`` is wrong by
``(d1 - d2) / 2``: half the asymmetry, which no timestamp can reveal, and never more
than ``delta / 2``. Hence the clock filter's preference for small delays, and the
*correctness interval* ``[theta - delta/2, theta + delta/2]`` that always contains the
true offset.

``NTPNode`` is a client of its ``servers`` and a server to whoever asks: a node with
``reference=True`` is a primary server (stratum 1, its clock set by a reference such as
GPS); a node that synchronises to a server of stratum ``s`` becomes stratum ``s + 1``
and can serve others; an unsynchronised node reports stratum 16 and is ignored
(RFC 5905, section 3). Per poll, each server's samples go through the clock filter,
candidates through the intersection algorithm (``ntp_filter``), and the *system
peer* (lowest stratum, then smallest root distance) disciplines the clock: a step
when the offset exceeds ``step_threshold`` (128 ms), otherwise a slew plus a
frequency correction. This discipline is a much simplified frequency-lock loop, not
RFC 5905's hybrid PLL/FLL; the cluster and combine algorithms are left out (the
system peer's offset is used as is).

Taught in notebook 1.4.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .discipline import DisciplinedNode
from .ntp_filter import PHI, ClockFilter, select_truechimers

__all__ = ["MAXSTRAT", "STEPT", "ntp_offset_delay", "NTPRequest", "NTPResponse",
           "NTPSample", "NTPUpdate", "NTPNode"]

MAXSTRAT = 16     #: stratum of an unsynchronised server (RFC 5905)
STEPT = 128.0     #: step threshold, 128 ms (RFC 5905; time units are ms)


def _check_timestamps(t1: object, t2: object, t3: object, t4: object) -> None:
    for name, v in (("t1", t1), ("t2", t2), ("t3", t3), ("t4", t4)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"{name} must be a finite number, got {v!r}")
    if t3 < t2:
        raise ValueError(f"t3 (server sends) must not be before t2 (server receives), "
                         f"got t2={t2}, t3={t3}")


def ntp_offset_delay(t1: float, t2: float, t3: float, t4: float) -> tuple[float, float]:
    """``(theta, delta)`` from the four timestamps of one exchange (RFC 5905, section 8)."""
    _check_timestamps(t1, t2, t3, t4)
    theta = ((t2 - t1) + (t3 - t4)) / 2
    delta = (t4 - t1) - (t3 - t2)
    return theta, delta


@dataclass(frozen=True, slots=True)
class NTPRequest:
    """Client to server (mode 3): carries ``t1``, the client's transmit time."""

    t1: float


@dataclass(frozen=True, slots=True)
class NTPResponse:
    """Server to client (mode 4): ``t1`` echoed (origin), ``t2`` receive, ``t3`` transmit.

    ``stratum``, ``root_delay`` and ``root_dispersion`` describe the server's own
    distance from a primary reference.
    """

    t1: float
    t2: float
    t3: float
    stratum: int
    root_delay: float = 0.0
    root_dispersion: float = 0.0


@dataclass(frozen=True, slots=True)
class NTPSample:
    """One completed exchange as the client saw it (trace output ``"sample"``)."""

    server: str
    t1: float
    t2: float
    t3: float
    t4: float
    offset: float
    delay: float

    def __repr__(self) -> str:
        return (f"NTPSample({self.server}, offset={self.offset:+.3f}, "
                f"delay={self.delay:.3f})")


@dataclass(frozen=True, slots=True)
class NTPUpdate:
    """A clock update (trace output ``"update"``): who, by how much, stepped or slewed."""

    peer: str
    offset: float
    delay: float
    stratum: int
    stepped: bool
    freq: float

    def __repr__(self) -> str:
        how = "step" if self.stepped else "slew"
        return (f"NTPUpdate({self.peer}, {how} {self.offset:+.3f}, "
                f"freq={self.freq * 1e6:+.1f} ppm, stratum {self.stratum})")


class NTPNode(DisciplinedNode):
    """An NTP client of ``servers`` that also answers NTP requests.

    Parameters
    ----------
    servers
        The nodes to poll (none for a primary server).
    reference
        A primary server: stratum 1, its clock is taken as correct.
    poll
        Poll interval on the node's clock (default 16 000, i.e. 16 s in ms).
    step_threshold
        Offsets larger than this are stepped, smaller ones slewed (RFC: 128 ms).
    freq_gain, freq_interval
        The frequency correction: every ``freq_interval`` (default 16 polls) the
        phase corrections made since the last time, divided by the time elapsed,
        estimate the residual rate error; ``freq_gain`` (in [0, 1], 0 for none) of it
        is added to the frequency correction.
    select
        Run the intersection algorithm (``False``: trust the best server blindly).
    adjust
        Correct the clock (``False``: only measure).
    processing
        How long the server holds a request before answering (makes ``t3 > t2``).
    min_candidates
        Servers that must have answered before the clock is set (default: a majority
        of ``servers``), so that a single falseticker heard first cannot set it.
    precision
        The clock's reading error, added to every sample's dispersion.
    """

    def __init__(self, servers: Sequence[str] = (), *, reference: bool = False,
                 poll: float = 16_000.0, step_threshold: float = STEPT,
                 freq_gain: float = 0.5, freq_interval: float | None = None,
                 select: bool = True, adjust: bool = True, processing: float = 0.0,
                 precision: float = 0.001, min_candidates: int | None = None,
                 **discipline: float) -> None:
        # Slew and frequency ticks every 4 s: at 500 ppm that is 2 ms per tick, far below
        # the tick, so the clock stays monotonic; fewer events than the default 1 s.
        discipline.setdefault("tick", 4000.0)
        super().__init__(**discipline)
        if isinstance(servers, str):
            raise TypeError("servers must be a list of node ids, not a string")
        self.servers = tuple(servers)
        if reference and self.servers:
            raise ValueError("a reference (stratum 1) node has no servers to poll")
        for name, v in (("poll", poll), ("step_threshold", step_threshold),
                        ("processing", processing), ("precision", precision)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
                raise ValueError(f"{name} must be a number >= 0, got {v!r}")
        if poll <= 0:
            raise ValueError(f"poll must be > 0, got {poll!r}")
        if not 0.0 <= freq_gain <= 1.0:
            raise ValueError(f"freq_gain must be in [0, 1], got {freq_gain!r}")
        if freq_interval is None:
            freq_interval = 16 * poll
        if isinstance(freq_interval, bool) or not isinstance(freq_interval, (int, float)) \
                or not freq_interval > 0:
            raise ValueError(f"freq_interval must be a number > 0, got {freq_interval!r}")
        self.freq_interval = float(freq_interval)
        if min_candidates is None:
            min_candidates = len(self.servers) // 2 + 1
        if isinstance(min_candidates, bool) or not isinstance(min_candidates, int) \
                or min_candidates < 1:
            raise ValueError(f"min_candidates must be an int >= 1, got {min_candidates!r}")
        self.min_candidates = min_candidates
        self.reference = bool(reference)
        self.poll, self.step_threshold = float(poll), float(step_threshold)
        self.freq_gain, self.select, self.adjust = float(freq_gain), bool(select), bool(adjust)
        self.processing, self.precision = float(processing), float(precision)
        self._reset_state()

    def _reset_state(self) -> None:
        self.stratum = 1 if self.reference else MAXSTRAT
        self.root_delay = 0.0
        self.root_dispersion = 0.0
        self.sys_peer: str | None = None
        self.filters = {s: ClockFilter() for s in self.servers}
        self.outstanding: dict[str, float] = {}
        self.peer_info: dict[str, tuple[int, float, float]] = {}
        self.last_update: float | None = None
        self.updated_at = 0.0
        self.freq_anchor: float | None = None   # start of the frequency measurement
        self.freq_phase = 0.0                   # phase corrected since then

    # --- the server side ---------------------------------------------------------------
    def on_message(self, src: str, msg: object) -> None:
        if isinstance(msg, NTPRequest):
            t2 = self.clock()
            if self.processing:
                self.set_timer(self.processing, "respond", (src, msg.t1, t2))
            else:
                self.respond(src, msg.t1, t2)
        elif isinstance(msg, NTPResponse):
            self.receive(src, msg)

    def respond(self, client: str, t1: float, t2: float) -> None:
        disp = self.root_dispersion + PHI * max(0.0, self.clock() - self.updated_at)
        self.send(client, NTPResponse(t1, t2, self.clock(), self.stratum, self.root_delay,
                                      0.0 if self.reference else disp))

    # --- the client side -----------------------------------------------------------------
    def on_start(self) -> None:
        super().on_start()
        self._reset_state()
        self.updated_at = self.clock()
        if self.servers:
            self.poll_servers()

    def on_timer(self, name: str, payload: object) -> None:
        if name == "poll":
            self.poll_servers()
        elif name == "respond":
            self.respond(*payload)
        else:
            super().on_timer(name, payload)

    def poll_servers(self) -> None:
        for server in self.servers:
            t1 = self.clock()
            self.outstanding[server] = t1
            self.send(server, NTPRequest(t1))
        self.set_timer(self.poll, "poll")

    def receive(self, server: str, msg: NTPResponse) -> None:
        # RFC 5905 section 8: a response whose origin timestamp is not the request's
        # transmit timestamp is bogus (a duplicate, or a reply to an older request).
        if self.outstanding.get(server) != msg.t1:
            return
        del self.outstanding[server]
        t4 = self.clock()
        theta, delta = ntp_offset_delay(msg.t1, msg.t2, msg.t3, t4)
        self.output("sample", NTPSample(server, msg.t1, msg.t2, msg.t3, t4, theta, delta))
        if msg.stratum >= MAXSTRAT or delta < 0:
            return  # the server is not synchronised (or the sample is nonsense)
        self.peer_info[server] = (msg.stratum, msg.root_delay, msg.root_dispersion)
        # A slew still in progress will move the clock by `pending`: what is left to
        # correct after it, is theta - pending. Stored offsets always mean "after".
        self.filters[server].add(theta - self.pending, delta, t4, self.precision)
        self.clock_select()

    def root_distance(self, server: str) -> float:
        """RFC 5905's root distance of a server: the half-width of its correctness interval."""
        f = self.filters[server]
        best = f.best()
        if best is None or server not in self.peer_info:
            return math.inf
        _, root_delay, root_disp = self.peer_info[server]
        now = self.clock()
        return ((root_delay + best.delay) / 2 + root_disp + f.dispersion(now) + f.jitter())

    def clock_select(self) -> None:
        candidates = {s: (self.filters[s].best().offset, self.root_distance(s))
                      for s in self.servers if s in self.peer_info and self.filters[s].best()}
        if len(candidates) < self.min_candidates:
            return  # wait until a majority of the servers have been heard
        if self.select:
            chosen = select_truechimers(candidates)
            if chosen is None:
                self.annotate("no majority")
                return
            survivors = chosen.truechimers
        else:
            survivors = tuple(sorted(candidates))
        peer = min(survivors, key=lambda s: (self.peer_info[s][0], candidates[s][1], s))
        sample = self.filters[peer].fresh()
        self.sys_peer = peer
        if sample is None or (self.last_update is not None and sample.time <= self.last_update):
            return  # nothing newer than what the clock was last set from (RFC 5905 11.2)
        self.filters[peer].use(sample)
        self.clock_update(peer, sample.offset, sample.delay, sample.time)

    def discipline_frequency(self, offset: float, when: float) -> None:
        """A frequency-lock loop, much simplified from RFC 5905 section 11.3.

        Phase corrections made over a long interval, divided by its length, measure
        the rate error left; measurement errors cancel except at the two ends, so a
        long interval gives a precise estimate.
        """
        if not self.freq_gain:
            return
        if self.freq_anchor is None:
            self.freq_anchor, self.freq_phase = when, 0.0  # the first correction is phase
            return
        self.freq_phase += offset
        elapsed = when - self.freq_anchor
        if elapsed >= self.freq_interval:
            self.set_frequency(self.freq + self.freq_gain * self.freq_phase / elapsed)
            self.freq_anchor, self.freq_phase = when, 0.0

    def clock_update(self, peer: str, offset: float, delay: float, when: float) -> None:
        stratum, root_delay, root_disp = self.peer_info[peer]
        self.stratum = min(MAXSTRAT, stratum + 1)
        self.root_delay = root_delay + delay
        self.root_dispersion = (root_disp + self.filters[peer].dispersion(self.clock())
                                + self.filters[peer].jitter())
        self.updated_at = self.clock()
        stepped = abs(offset) > self.step_threshold
        if self.adjust:
            if stepped:
                self.step_clock(self.pending + offset)
                # Every sample and every exchange in flight straddles the step: forget
                # them (RFC 5905 clears all associations after a step).
                for f in self.filters.values():
                    f.clear()
                self.outstanding.clear()
                self.last_update = None
                self.freq_anchor = None
            else:
                self.slew_clock(offset)
                self.discipline_frequency(offset, when)
                for f in self.filters.values():
                    f.shift(offset)
                self.last_update = when
        self.output("update", NTPUpdate(peer, offset, delay, self.stratum, stepped,
                                        self.freq))
