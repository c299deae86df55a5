"""The simulation kernel: virtual time, one event queue, nodes, crashes, the trace.

The queue is a heap of ``(time, priority, seq, action, args)`` with ``seq`` from
``itertools.count()`` (as in SimPy's ``core.py``): ties in time break by priority
(faults and scripted actions before deliveries and timers), then by insertion order,
and payloads are never compared. A run is a function of (code, parameters, seed):
the same seed gives the same trace, byte for byte.

Taught in notebook 0.3 ("hello, simulated world") and used by every chapter.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import random
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from . import _check
from .clock import PhysicalClock
from .history import History
from .network import Network
from .node import Node
from .randomness import child_stream, seed_of
from .storage import Storage
from .trace import Trace, TraceEvent


__all__ = ["Simulation", "NodeError", "PRIORITY_CONTROL", "PRIORITY_NORMAL"]

PRIORITY_CONTROL = 0  # faults and scripted actions at time t happen before ...
PRIORITY_NORMAL = 1   # ... deliveries, timers and starts at the same time t


class NodeError(RuntimeError):
    """A node's handler raised; the message says which node, input, time and seed."""


class Simulation:
    """A deterministic world of nodes exchanging messages over a simulated network.

    >>> sim = Simulation(seed=1)
    >>> sim.add_node("n1", MyNode)          # doctest: +SKIP
    >>> sim.run(until=100)                   # doctest: +SKIP
    """

    def __init__(self, seed: int | random.Random = 0, network: Network | None = None, *,
                 trace: bool = True) -> None:
        self.seed: int = seed_of(seed)
        if network is None:
            network = Network()
        if not isinstance(network, Network):
            raise TypeError(f"network must be a distlab.sim.Network, got {network!r}")
        if network._known is not None:
            raise ValueError("this Network already belongs to another Simulation (it keeps "
                             "that simulation's partitions); create a new Network for each")
        self.network = network
        network._known = self._is_known
        self.trace = Trace()
        self._tracing = bool(trace)
        self.history = History()
        self._stats: Counter[str] = Counter()
        self._sent = 0
        self._delivered = 0
        self.events_processed = 0

        self._now = 0.0
        self._queue: list[tuple] = []
        self._seq = itertools.count()
        self._msg_ids = itertools.count(1)
        self._timer_ids = itertools.count(1)

        self._order: list[str] = []
        self._ids: tuple[str, ...] = ()
        self._factories: dict[str, Callable[[], Node]] = {}
        self._nodes: dict[str, Node | None] = {}
        self._incarnation: dict[str, int] = {}
        self._storage: dict[str, Storage] = {}
        self._clocks: dict[str, PhysicalClock] = {}
        self._rngs: dict[str, random.Random] = {}
        self._link_rngs: dict[tuple[str, str], random.Random] = {}
        self._timers: dict[int, tuple[str, int, str]] = {}
        self._current: Node | None = None
        self._outbox: list[tuple[str, str, Any]] = []
        self._pending_start: set[str] = set()
        self._plans_applied = 0

    def __repr__(self) -> str:
        up = sum(1 for n in self._nodes.values() if n is not None)
        return (f"Simulation(seed={self.seed}, now={self._now:g}, nodes={len(self._order)}, "
                f"up={up}, queued={len(self._queue)})")

    @property
    def stats(self) -> Counter:
        """Counts: sent, delivered, dropped (and by reason), duplicated, timers, crashes, ..."""
        out = Counter(self._stats)
        out["sent"] = self._sent
        out["delivered"] = self._delivered
        return +out

    # --- nodes ----------------------------------------------------------------------
    def add_node(self, node_id: str, factory: Callable[..., Node], *,
                 clock: PhysicalClock | dict | None = None, **kwargs: Any) -> Node:
        """Add a node built by ``factory(**kwargs)`` (usually a ``Node`` subclass).

        The factory is called again on every restart, so volatile state starts fresh.
        ``clock`` is a ``PhysicalClock`` or a dict such as ``{"offset": 5, "drift": 1e-4}``
        (default: a perfect clock). The node starts (``on_start``) at the current time.
        Returns the node object.
        """
        _check.node_id("node_id", node_id)
        if node_id in self._nodes:
            raise ValueError(f"node_id {node_id!r} is already a node of this simulation")
        if not callable(factory):
            raise TypeError(f"factory must be a Node subclass or a callable returning a Node, "
                            f"got {factory!r}")
        made = functools.partial(factory, **kwargs) if kwargs else factory
        if clock is None:
            clock = PhysicalClock()
        elif isinstance(clock, dict):
            unknown = set(clock) - {"offset", "drift"}
            if unknown:
                raise ValueError(f"clock dict keys must be 'offset' and/or 'drift', "
                                 f"got {sorted(unknown)}")
            clock = PhysicalClock(**clock)
        elif not isinstance(clock, PhysicalClock):
            raise TypeError(f"clock must be a PhysicalClock, a dict or None, got {clock!r}")
        self._factories[node_id] = made
        self._order.append(node_id)
        self._ids = tuple(self._order)
        self._incarnation[node_id] = 0
        self._storage[node_id] = Storage(functools.partial(self._persisted, node_id))
        self._clocks[node_id] = clock
        node = self._build(node_id)
        self._nodes[node_id] = node
        self._pending_start.add(node_id)
        self._push(self._now, PRIORITY_NORMAL, self._start, (node_id, 0))
        return node

    def add_nodes(self, node_ids: Iterable[str], factory: Callable[..., Node],
                  **kwargs: Any) -> list[Node]:
        """Add several nodes built by the same factory; returns them in order."""
        if isinstance(node_ids, str):
            raise TypeError("node_ids must be a list of ids such as ['n1', 'n2'], not a string")
        return [self.add_node(n, factory, **kwargs) for n in node_ids]

    def _build(self, node_id: str) -> Node:
        node = self._factories[node_id]()
        if not isinstance(node, Node):
            raise TypeError(f"the factory for {node_id!r} returned {node!r}, which is not a "
                            f"distlab.sim.Node")
        node.id = node_id
        node.rng = self._node_rng(node_id)
        node._rt = self
        return node

    @property
    def node_ids(self) -> tuple[str, ...]:
        """Every node id, in the order the nodes were added."""
        return self._ids

    def node(self, node_id: str) -> Node:
        """The live node object (raises if the node is down: its memory is gone)."""
        _check.known_node("node_id", node_id, self._order)
        node = self._nodes[node_id]
        if node is None:
            raise ValueError(f"node {node_id!r} is crashed: it has no memory to inspect; "
                             f"restart it first, or read sim.storage({node_id!r})")
        return node

    @property
    def nodes(self) -> dict[str, Node]:
        """The live nodes (crashed ones are absent), by id."""
        return {n: node for n, node in self._nodes.items() if node is not None}

    def is_up(self, node_id: str) -> bool:
        """Is ``node_id`` running (not crashed)?"""
        _check.known_node("node_id", node_id, self._order)
        return self._nodes[node_id] is not None

    def storage(self, node_id: str) -> Storage:
        """The durable storage of ``node_id`` (kept across crashes)."""
        _check.known_node("node_id", node_id, self._order)
        return self._storage[node_id]

    def clock(self, node_id: str) -> PhysicalClock:
        """The physical clock of ``node_id``."""
        _check.known_node("node_id", node_id, self._order)
        return self._clocks[node_id]

    def _is_known(self, node_id: str) -> bool:
        return node_id in self._nodes

    # --- time and the event loop ---------------------------------------------------------
    @property
    def now(self) -> float:
        """Current virtual time."""
        return self._now

    def _push(self, time: float, priority: int, action: Callable[..., None], args: tuple) -> None:
        # Entries are flat tuples (time, priority, seq, action, *args): one allocation each.
        heapq.heappush(self._queue, (time, priority, next(self._seq), action, *args))

    def run(self, until: float | None = None, *, max_events: int | None = None) -> int:
        """Process events up to virtual time ``until`` (inclusive); returns how many.

        Without ``until`` the run goes on until no event is left, or until ``max_events``
        (default one million, to stop runaway protocols with a clear error).
        """
        if until is not None:
            until = _check.number("until", until, allow_inf=True)
            if until < self._now:
                raise ValueError(f"until={until} is in the past (now={self._now})")
        if max_events is not None:
            _check.integer("max_events", max_events, minimum=0)
        limit = max_events if max_events is not None else (
            1_000_000 if until is None else None)
        horizon = float("inf") if until is None else until
        cap = limit if limit is not None else -1
        done = self._loop(horizon, cap)
        self.events_processed += done
        if limit is not None and done >= limit and max_events is None and self._queue \
                and self._queue[0][0] <= horizon:
            raise RuntimeError(
                f"run() without until= processed {limit} events and the queue is not "
                f"empty (a protocol with periodic timers never goes quiet); pass "
                f"until= or max_events= (seed={self.seed})")
        if until is not None and until > self._now and until != float("inf"):
            if not self._queue or self._queue[0][0] > until:
                self._now = until
        return done

    def _loop(self, horizon: float, cap: int) -> int:
        """The event loop, with deliveries and sends on the fast path inlined.

        A delivery to a live node, with no partition in force, is handled here without
        a call to ``_deliver``; a send on a network with no faults configured skips
        ``Network.route``. Both shortcuts make exactly the same random draws and trace
        rows as the general path (``tests/test_sim_kernel.py`` proves it), which stays
        in ``_deliver``/``_transmit`` for every other case.
        """
        queue = self._queue
        pop = heapq.heappop
        push = heapq.heappush
        nodes = self._nodes
        net = self.network
        rows = self.trace._rows
        tracing = self._tracing
        deliver = self._deliver
        outbox = self._outbox
        link_rngs = self._link_rngs
        msg_ids = self._msg_ids
        seq = self._seq
        done = sent = delivered = 0
        try:
            while queue and done != cap:
                entry = queue[0]
                time = entry[0]
                if time > horizon:
                    break
                pop(queue)
                self._now = time
                done += 1
                if entry[3] is not deliver:
                    entry[3](*entry[4:])
                    continue
                _, _, _, _, mid, src, dst, msg, dup = entry
                node = nodes[dst]
                if node is None or self._pending_start or not net._connected_all:
                    deliver(mid, src, dst, msg, dup)  # the general path decides
                    continue
                delivered += 1
                if tracing:
                    rows.append((time, "deliver", dst, src, msg, mid,
                                 "duplicate" if dup else None))
                self._current = node
                try:
                    node.on_message(src, msg)
                except Exception as exc:
                    outbox.clear()
                    raise NodeError(f"node {dst!r} raised {type(exc).__name__} while handling "
                                    f"{type(msg).__name__} from {src!r} at t={time:g} "
                                    f"(seed={self.seed})") from exc
                finally:
                    self._current = None
                if outbox:
                    for s_, d_, m_ in outbox:
                        if net._simple and s_ != d_:
                            mid = next(msg_ids)
                            sent += 1
                            if tracing:
                                rows.append((time, "send", s_, d_, m_, mid, None))
                            rng = link_rngs.get((s_, d_)) or self._link_rng(s_, d_)
                            push(queue, (time + net.latency.sample(rng), PRIORITY_NORMAL,
                                         next(seq), deliver, mid, s_, d_, m_, False))
                        else:
                            self._transmit(s_, d_, m_)
                    outbox.clear()
        finally:
            self._sent += sent
            self._delivered += delivered
        return done

    def step(self) -> list[TraceEvent]:
        """Process events until one appears in the trace; returns the new trace events.

        Returns an empty list when nothing is left to happen.
        """
        rows = self.trace._rows
        before = len(rows)
        while self._queue and len(rows) == before:
            entry = heapq.heappop(self._queue)
            self._now = entry[0]
            entry[3](*entry[4:])
            self.events_processed += 1
        return self.trace.events[before:]

    def run_until(self, predicate: Callable[["Simulation"], bool], *, until: float,
                  max_events: int | None = None) -> bool:
        """Run until ``predicate(sim)`` holds (checked after each event) or time ``until``.

        Returns whether the predicate held.
        """
        if not callable(predicate):
            raise TypeError(f"predicate must be callable(sim) -> bool, got {predicate!r}")
        until = _check.number("until", until)
        if predicate(self):
            return True
        done = 0
        while self._queue and self._queue[0][0] <= until:
            if max_events is not None and done >= max_events:
                return False
            entry = heapq.heappop(self._queue)
            self._now = entry[0]
            entry[3](*entry[4:])
            done += 1
            self.events_processed += 1
            if predicate(self):
                return True
        if until > self._now:
            self._now = until
        return predicate(self)

    @property
    def next_time(self) -> float | None:
        """Time of the next queued event, or ``None`` when the queue is empty."""
        return self._queue[0][0] if self._queue else None

    def in_flight(self) -> list[tuple[int, str, str, Any, float]]:
        """Messages on their way now: ``(msg_id, src, dst, msg, arrival time)`` per
        queued delivery (a duplicated message appears once per copy), soonest first."""
        deliver = self._deliver
        return [(e[4], e[5], e[6], e[7], e[0])
                for e in sorted(self._queue) if e[3] == deliver]

    def lose(self, msg_id: int) -> bool:
        """Lose the message ``msg_id`` that is in flight now (every copy still queued):
        the trace records a ``drop`` with reason ``"manual"``. Returns False (and changes
        nothing) if it is not in flight. Behind the Raft explorer's "drop this message"
        (notebook 2.6)."""
        if isinstance(msg_id, bool) or not isinstance(msg_id, int):
            raise TypeError(f"msg_id must be an int (a message id from the trace or "
                            f"in_flight()), got {msg_id!r}")
        deliver = self._deliver
        hit = [e for e in self._queue if e[3] == deliver and e[4] == msg_id]
        if not hit:
            return False
        self._queue[:] = [e for e in self._queue if not (e[3] == deliver and e[4] == msg_id)]
        heapq.heapify(self._queue)
        _, _, _, _, mid, src, dst, msg, _ = min(hit)
        self._drop(mid, src, dst, msg, "manual")
        return True

    def at(self, time: float, action: Callable[..., Any], *args: Any) -> None:
        """Call ``action(*args)`` at virtual time ``time`` (before messages due then)."""
        time = _check.number("time", time)
        if time < self._now:
            raise ValueError(f"time={time} is in the past (now={self._now})")
        if not callable(action):
            raise TypeError(f"action must be callable, got {action!r}")
        self._push(time, PRIORITY_CONTROL, action, args)

    def after(self, delay: float, action: Callable[..., Any], *args: Any) -> None:
        """Call ``action(*args)`` after ``delay`` units of virtual time."""
        delay = _check.number("delay", delay, minimum=0.0)
        self.at(self._now + delay, action, *args)

    # --- handlers ---------------------------------------------------------------------
    def _dispatch(self, node: Node, handler: Callable[..., None], what: str, *args: Any) -> None:
        self._current = node
        try:
            handler(*args)
        except Exception as exc:
            self._outbox.clear()
            raise NodeError(f"node {node.id!r} raised {type(exc).__name__} while handling "
                            f"{what} at t={self._now:g} (seed={self.seed})") from exc
        finally:
            self._current = None
        if self._outbox:
            for src, dst, msg in self._outbox:
                self._transmit(src, dst, msg)
            self._outbox.clear()

    def _start(self, node_id: str, incarnation: int) -> None:
        node = self._nodes[node_id]
        if node is None or self._incarnation[node_id] != incarnation:
            return
        self._pending_start.discard(node_id)
        if self._tracing:
            kind = "start" if incarnation == 0 else "restart"
            self.trace._rows.append((self._now, kind, node_id, None, None, None,
                                                incarnation))
        self._dispatch(node, node.on_start, "on_start")

    # --- messages -----------------------------------------------------------------------
    def _node_send(self, node: Node, dst: str, msg: Any) -> None:
        nodes = self._nodes
        if dst not in nodes:
            _check.known_node("dst", dst, self._order)
        if self._current is node:
            self._outbox.append((node.id, dst, msg))
        elif nodes.get(node.id) is node:
            self._transmit(node.id, dst, msg)
        # else: a stale object of a crashed node: it can no longer act

    def _link_rng(self, src: str, dst: str) -> random.Random:
        key = (src, dst)
        rng = self._link_rngs.get(key)
        if rng is None:
            rng = self._link_rngs[key] = child_stream(self.seed, "link", src, dst)
        return rng

    def _node_rng(self, node_id: str) -> random.Random:
        rng = self._rngs.get(node_id)
        if rng is None:
            rng = self._rngs[node_id] = child_stream(self.seed, "node", node_id)
        return rng

    def _transmit(self, src: str, dst: str, msg: Any) -> None:
        mid = next(self._msg_ids)
        now = self._now
        self._sent += 1
        if self._tracing:
            self.trace._rows.append(((now, "send", src, dst, msg, mid, None)))
        rng = self._link_rngs.get((src, dst)) or self._link_rng(src, dst)
        net = self.network
        if net._simple and src != dst:
            # Fast path: no partition, hook, per-link setting, loss, duplication,
            # reordering or FIFO in force; the same draws as Network.route makes.
            heapq.heappush(self._queue, (now + net.latency.sample(rng), PRIORITY_NORMAL,
                                         next(self._seq), self._deliver, mid, src, dst, msg, False))
            return
        arrivals, drop = net.route(src, dst, msg, mid, now, rng)
        if drop is not None:
            self._push(drop[0], PRIORITY_NORMAL, self._drop, (mid, src, dst, msg, drop[1]))
            return
        for i, (t, m) in enumerate(arrivals):
            if i == 1:
                self._stats["duplicated"] += 1
                if self._tracing:
                    self.trace._rows.append((now, "duplicate", src, dst, m, mid, None))
            self._push(t, PRIORITY_NORMAL, self._deliver, (mid, src, dst, m, i > 0))

    def _drop(self, mid: int, src: str, dst: str, msg: Any, reason: str) -> None:
        self._stats["dropped"] += 1
        self._stats["dropped_" + reason] += 1
        if self._tracing:
            self.trace._rows.append((self._now, "drop", dst, src, msg, mid, reason))

    def _deliver(self, mid: int, src: str, dst: str, msg: Any, duplicate: bool) -> None:
        node = self._nodes[dst]
        if node is None:
            self._drop(mid, src, dst, msg, "crashed")
            return
        if self._pending_start and dst in self._pending_start:
            self._drop(mid, src, dst, msg, "not started")
            return
        net = self.network
        if (net._group is not None or net._cut) and not net.connected(src, dst):
            self._drop(mid, src, dst, msg, "partition")
            return
        self._delivered += 1
        if self._tracing:
            self.trace._rows.append(((self._now, "deliver", dst, src, msg, mid,
                                                         "duplicate" if duplicate else None)))
        # Inlined _dispatch (the hot path).
        self._current = node
        try:
            node.on_message(src, msg)
        except Exception as exc:
            self._outbox.clear()
            raise NodeError(f"node {dst!r} raised {type(exc).__name__} while handling "
                            f"{type(msg).__name__} from {src!r} at t={self._now:g} "
                            f"(seed={self.seed})") from exc
        finally:
            self._current = None
        if self._outbox:
            for s, d, m in self._outbox:
                self._transmit(s, d, m)
            self._outbox.clear()

    # --- timers -----------------------------------------------------------------------------
    def _set_timer(self, node: Node, delay: float, name: str, payload: Any) -> int:
        delay = _check.number("delay", delay, minimum=0.0)
        if not isinstance(name, str):
            raise TypeError(f"timer name must be a str, got {name!r}")
        if self._nodes.get(node.id) is not node:
            return 0  # stale object of a crashed node
        tid = next(self._timer_ids)
        self._timers[tid] = (node.id, self._incarnation[node.id], name)
        true_delay = self._clocks[node.id].true_delay(delay)
        self._push(self._now + true_delay, PRIORITY_NORMAL, self._fire, (tid, payload))
        return tid

    def _cancel_timer(self, node: Node, timer: int | str) -> int:
        if isinstance(timer, bool) or not isinstance(timer, (int, str)):
            raise TypeError(f"cancel_timer takes a timer id (int) or a timer name (str), "
                            f"got {timer!r}")
        if isinstance(timer, int):
            entry = self._timers.get(timer)
            if entry is not None and entry[0] == node.id:
                del self._timers[timer]
                return 1
            return 0
        mine = [tid for tid, (n, _, name) in self._timers.items()
                if n == node.id and name == timer]
        for tid in mine:
            del self._timers[tid]
        return len(mine)

    def _fire(self, tid: int, payload: Any) -> None:
        entry = self._timers.pop(tid, None)
        if entry is None:
            return  # cancelled
        node_id, incarnation, name = entry
        node = self._nodes[node_id]
        if node is None or self._incarnation[node_id] != incarnation:
            return
        self._stats["timers"] += 1
        if self._tracing:
            self.trace._rows.append((self._now, "timer", node_id, None, payload,
                                                None, name))
        self._dispatch(node, node.on_timer, f"timer {name!r}", name, payload)

    def pending_timers(self, node_id: str) -> list[str]:
        """Names of the timers ``node_id`` has pending (for state tables and tests)."""
        _check.known_node("node_id", node_id, self._order)
        return [name for n, _, name in self._timers.values() if n == node_id]

    # --- storage and clocks ----------------------------------------------------------------
    def _persisted(self, node_id: str, key: str) -> None:
        self._stats["persisted"] += 1
        if self._tracing:
            self.trace._rows.append((self._now, "persist", node_id, None, None,
                                                None, key))

    def _adjust_clock(self, node_id: str, delta: float) -> None:
        self._clocks[node_id].step(self._now, delta)

    def _annotate(self, node_id: str | None, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"annotation text must be a str, got {text!r}")
        if self._tracing:
            self.trace._rows.append((self._now, "annotate", node_id, None, None,
                                                None, text))

    def _output(self, node_id: str, name: str, value: Any) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"output name must be a non-empty str such as 'deliver', "
                            f"got {name!r}")
        self._stats["outputs"] += 1
        if self._tracing:
            self.trace._rows.append((self._now, "output", node_id, None, value, None, name))

    def annotate(self, text: str, node: str | None = None) -> None:
        """Put a note in the trace (at ``node``, or for the whole system)."""
        if node is not None:
            _check.known_node("node", node, self._order)
        self._annotate(node, text)

    # --- faults: crashes --------------------------------------------------------------------
    def crash(self, node_id: str, *, at: float | None = None) -> None:
        """Crash ``node_id`` now (or at time ``at``): its memory and timers are lost.

        Messages already in flight from it are still delivered; messages to it are
        dropped until it restarts. Durable ``storage`` and the physical clock survive.
        """
        _check.known_node("node_id", node_id, self._order)
        if at is not None:
            self.at(at, self._crash, node_id, True)
            return
        if self._nodes[node_id] is None:
            raise ValueError(f"node {node_id!r} is already crashed")
        self._crash(node_id, False)

    def _crash(self, node_id: str, quiet: bool) -> None:
        if self._nodes[node_id] is None:
            return
        self._nodes[node_id] = None
        self._pending_start.discard(node_id)
        for tid in [t for t, (n, _, _) in self._timers.items() if n == node_id]:
            del self._timers[tid]
        self._stats["crashes"] += 1
        if self._tracing:
            self.trace._rows.append((self._now, "crash", node_id, None, None, None, None))

    def restart(self, node_id: str, *, at: float | None = None) -> None:
        """Restart a crashed node now (or at ``at``): a fresh object, then ``on_start``."""
        _check.known_node("node_id", node_id, self._order)
        if at is not None:
            self.at(at, self._restart, node_id)
            return
        if self._nodes[node_id] is not None:
            raise ValueError(f"node {node_id!r} is up; crash it before restarting it")
        self._restart(node_id)

    def _restart(self, node_id: str) -> None:
        if self._nodes[node_id] is not None:
            return
        self._incarnation[node_id] += 1
        self._nodes[node_id] = self._build(node_id)
        self._stats["restarts"] += 1
        self._start(node_id, self._incarnation[node_id])

    # --- faults: partitions ----------------------------------------------------------------
    def partition(self, *groups: Iterable[str], at: float | None = None) -> None:
        """Split the network into ``groups`` of node ids (others form one more group).

        ``sim.partition(["n1", "n2"], ["n3", "n4", "n5"])``. Messages between groups,
        including those already in flight, are dropped until ``heal()``.
        """
        groups = tuple(tuple(g) if not isinstance(g, str) else g for g in groups)
        for g in groups:
            if isinstance(g, str):
                raise TypeError(f"each group must be a list of node ids, got the string {g!r}; "
                                f"write [{g!r}] for a group of one")
            for n in g:
                _check.known_node("partition member", n, self._order)
        if at is not None:
            self.at(at, self._partition, groups)
            return
        self._partition(groups)

    def _partition(self, groups: tuple[tuple[str, ...], ...]) -> None:
        applied = self.network.set_partition(groups)
        listed = {n for g in applied for n in g}
        rest = tuple(n for n in self._order if n not in listed)
        if rest:
            applied.append(rest)
        self._stats["partitions"] += 1
        if self._tracing:
            text = " | ".join(",".join(g) for g in applied if g)
            self.trace._rows.append((self._now, "partition", None, None, None,
                                                None, text))

    def isolate(self, node_id: str, *, at: float | None = None) -> None:
        """Cut ``node_id`` off from every other node."""
        _check.known_node("node_id", node_id, self._order)
        self.partition([node_id], at=at)

    def cut(self, src: str, dst: str, *, at: float | None = None) -> None:
        """Drop messages from ``src`` to ``dst`` only (a one-way partition)."""
        _check.known_node("src", src, self._order)
        _check.known_node("dst", dst, self._order)
        if at is not None:
            self.at(at, self._cut, src, dst)
            return
        self._cut(src, dst)

    def _cut(self, src: str, dst: str) -> None:
        self.network.cut(src, dst)
        if self._tracing:
            self.trace._rows.append((self._now, "partition", None, None, None,
                                                None, f"cut {src}->{dst}"))

    def heal(self, *, at: float | None = None) -> None:
        """Remove every partition and cut."""
        if at is not None:
            self.at(at, self._heal)
            return
        self._heal()

    def _heal(self) -> None:
        if not self.network.partitioned:
            return
        self.network.heal()
        if self._tracing:
            self.trace._rows.append((self._now, "heal", None, None, None, None, None))

    # --- faults: a declared plan -------------------------------------------------------------
    def apply(self, plan: "FaultPlan", *, until: float, start: float = 0.0,
              nodes: Iterable[str] | None = None, heal_at_end: bool = True) -> None:
        """Inject the random faults of ``plan`` between ``start`` and ``until``.

        See ``distlab.sim.faults.FaultPlan``. With ``heal_at_end`` the network heals and
        every crashed node restarts at ``until``, so a run can be checked for recovery.
        """
        from .faults import FaultInjector, FaultPlan  # noqa: F811 (runtime import)

        if not isinstance(plan, FaultPlan):
            raise TypeError(f"plan must be a distlab.sim.FaultPlan, got {plan!r}")
        FaultInjector(self, plan, start=start, until=until, nodes=nodes,
                      heal_at_end=heal_at_end).install()

    # --- observation ---------------------------------------------------------------------
    def states(self, state: Callable[[Node], Any] | None = None) -> dict[str, Any]:
        """``{node_id: state}`` for every node (``None`` for a crashed one)."""
        fn = state or (lambda node: node.state())
        out: dict[str, Any] = {}
        for n, node in self._nodes.items():
            if node is None:
                out[n] = None
                continue
            try:
                out[n] = fn(node)
            except (AttributeError, KeyError):
                if n not in self._pending_start:
                    raise
                out[n] = {}  # on_start has not run yet: what it sets does not exist
        return out

    def run_recording(self, until: float, every: float,
                      state: Callable[[Node], Any] | None = None) -> list[tuple[float, dict]]:
        """Run to ``until``, taking ``states(state)`` every ``every`` time units.

        Returns ``[(time, {node: state}), ...]``: the frames of a step-through animation.
        """
        until = _check.number("until", until, minimum=self._now)
        every = _check.number("every", every, minimum=0.0, strict_min=True)
        frames = [(self._now, self.states(state))]
        t = self._now
        while t < until:
            t = min(until, t + every)
            self.run(until=t)
            frames.append((t, self.states(state)))
        return frames


from .faults import FaultPlan  # noqa: E402  (for the type hint in apply)
