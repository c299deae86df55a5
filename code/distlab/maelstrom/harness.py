"""Driving Maelstrom nodes without Maelstrom: the client's side of the protocol.

Maelstrom itself is a JVM program; these helpers play its part well enough to try a
node from Python, a test or a notebook:

- ``NodeProcess``: one node served by ``python -m distlab.maelstrom`` in a child
  process, fed JSON lines on its stdin, its stdout and stderr read back;
- ``ProcessCluster``: a few such processes and a router between them, with
  partitions and kills: a Maelstrom in miniature, in real time;
- ``LocalNet``: ``Runtime`` objects in this process, linked by a deterministic network
  of JSON lines in virtual time (every line goes through the real encoder, parser and
  runtime, yet a run is a function of its seed, so a notebook can show it).

Only the first two wait for real time (``timeout`` is in seconds). Taught in
notebook 2.14 ("Running your node outside the book").
"""

from __future__ import annotations

import heapq
import io
import itertools
import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..sim import Node, _check
from .protocol import format_line
from .runtime import Runtime, wall_clock

__all__ = ["NodeProcess", "ProcessCluster", "LocalNet", "Exchange"]


# --- one process ----------------------------------------------------------------------------------
class NodeProcess:
    """A node served by ``python -m distlab.maelstrom NODE ARGS...`` in a child process.

    ``request(body)`` sends a body from a client and waits for the reply;
    ``write(text)`` sends a raw line (malformed ones too); ``stderr`` holds the node's
    log lines; ``transcript`` every line in (``"in"``), out (``"out"``) and logged
    (``"err"``), in the order this side saw them.
    """

    def __init__(self, node: str, *args: str, python: str | None = None) -> None:
        if not isinstance(node, str) or not node:
            raise TypeError(f"node must be a workload name or module:Class, got {node!r}")
        self.command = [python or sys.executable, "-m", "distlab.maelstrom", node, *args]
        self.proc = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._buffers = {"out": b"", "err": b""}
        self._fds = {self.proc.stdout.fileno(): "out", self.proc.stderr.fileno(): "err"}
        self._open = set(self._fds)
        self.received: list[dict] = []     # stdout messages not yet taken
        self.stderr: list[str] = []
        self.transcript: list[tuple[str, str]] = []
        self._ids = itertools.count(1)
        self.node_id: str | None = None

    def __repr__(self) -> str:
        state = "running" if self.proc.poll() is None else f"exited {self.proc.returncode}"
        return f"<NodeProcess {self.node_id or self.command[3]} pid={self.proc.pid} {state}>"

    def __enter__(self) -> "NodeProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    # --- writing ----------------------------------------------------------------------------
    def write(self, text: str) -> None:
        """Send one raw line (a newline is added)."""
        self.transcript.append(("in", text))
        try:
            self.proc.stdin.write(text.encode() + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise ConnectionError(f"{self!r} is not reading its stdin any more") from exc

    def send(self, body: dict, *, src: str = "c1", dest: str | None = None) -> None:
        """Send one message ``{"src", "dest", "body"}`` (no ``msg_id`` is added)."""
        self.write(format_line(src, dest or self.node_id or "n1", body))

    def request(self, body: dict, *, src: str = "c1", dest: str | None = None,
                timeout: float = 3.0) -> dict:
        """Send ``body`` with a fresh ``msg_id`` and wait for the reply's body."""
        body = dict(body)
        body.setdefault("msg_id", next(self._ids))
        self.send(body, src=src, dest=dest)
        reply = self.wait_reply(body["msg_id"], timeout=timeout)
        if reply is None:
            raise TimeoutError(f"no reply to {body} within {timeout} s; stderr: "
                               f"{self.stderr[-3:]}")
        return reply

    def init(self, node_id: str = "n1", node_ids: Sequence[str] | None = None, *,
             timeout: float = 5.0) -> dict:
        """Send ``init`` and wait for ``init_ok``."""
        self.node_id = node_id
        return self.request({"type": "init", "node_id": node_id,
                             "node_ids": list(node_ids or [node_id])}, src="c0",
                            timeout=timeout)

    # --- reading ----------------------------------------------------------------------------
    def _read(self, fd: int) -> bool:
        kind = self._fds[fd]
        chunk = os.read(fd, 65536)
        if not chunk:
            self._open.discard(fd)
            return False
        *lines, self._buffers[kind] = (self._buffers[kind] + chunk).split(b"\n")
        for raw in lines:
            text = raw.decode("utf-8", "replace")
            self.transcript.append((kind, text))
            if kind == "err":
                self.stderr.append(text)
            elif text.strip():
                try:
                    self.received.append(json.loads(text))
                except ValueError:
                    self.received.append({"invalid": text})
        return True

    def pump(self, timeout: float = 0.0) -> bool:
        """Read whatever the process has written within ``timeout`` seconds."""
        if not self._open:
            return False
        with selectors.DefaultSelector() as sel:
            for fd in self._open:
                sel.register(fd, selectors.EVENT_READ)
            got = False
            for key, _ in sel.select(timeout):
                got = self._read(key.fd) or got
            return got

    def take(self) -> list[dict]:
        """The stdout messages received so far (and forget them)."""
        out, self.received = self.received, []
        return out

    def wait_reply(self, msg_id: int, *, timeout: float = 3.0) -> dict | None:
        """Wait for the message whose body answers ``msg_id``; returns its body or None."""
        deadline = wall_clock() + timeout
        while True:
            for i, m in enumerate(self.received):
                if m.get("body", {}).get("in_reply_to") == msg_id:
                    return self.received.pop(i)["body"]
            left = deadline - wall_clock()
            if left <= 0 or (not self._open and not self.alive):
                return None
            self.pump(left)

    def wait_stderr(self, text: str, *, timeout: float = 3.0) -> str | None:
        """Wait for a stderr line containing ``text``; returns it, or None."""
        deadline = wall_clock() + timeout
        seen = 0
        while True:
            for line in self.stderr[seen:]:
                if text in line:
                    return line
            seen = len(self.stderr)
            left = deadline - wall_clock()
            if left <= 0 or not self._open:
                return None
            self.pump(left)

    # --- ending -------------------------------------------------------------------------------
    def kill(self) -> None:
        """Kill the process at once (SIGKILL): what it did not write to disk is gone."""
        if self.alive:
            self.proc.kill()
        self.proc.wait()
        self._drain()

    def close(self, timeout: float = 3.0) -> int:
        """Close stdin (Maelstrom's end of test) and wait; kill if it hangs. Exit code."""
        if self.alive:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._drain()
        return self.proc.returncode

    def _drain(self) -> None:
        while self._open and self.pump(0.05):
            pass
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except OSError:
                pass
        self._open.clear()


# --- several processes and a router ------------------------------------------------------------------
class ProcessCluster:
    """``n`` node processes ``n1..nN`` and a router: Maelstrom's network, in miniature.

    Messages between nodes are forwarded at once, except across a partition
    (``partition``/``heal``) or to a killed node (``kill``/``restart``), where they are
    dropped; messages to clients are kept for ``request``. ``routed`` and ``dropped``
    count node-to-node messages.
    """

    def __init__(self, node: str, n: int = 3, *, args: Sequence[str] = (),
                 state_dir: str | os.PathLike | None = None) -> None:
        _check.integer("n", n, minimum=1)
        self.node, self.args = node, tuple(args)
        self.state_dir = None if state_dir is None else str(state_dir)
        self.ids = tuple(f"n{i}" for i in range(1, n + 1))
        self.procs: dict[str, NodeProcess] = {}
        self.group: dict[str, int] | None = None
        self.routed = 0
        self.dropped = 0
        self._client_ids = itertools.count(1)
        self._to_clients: list[dict] = []
        try:
            for nid in self.ids:          # start them all, then initialise them all
                self._spawn(nid)
            for nid in self.ids:
                self.procs[nid].init(nid, self.ids)
        except BaseException:
            self.close()
            raise

    def _spawn(self, nid: str) -> NodeProcess:
        extra = ("--state-dir", self.state_dir) if self.state_dir else ()
        proc = NodeProcess(self.node, *self.args, *extra)
        self.procs[nid] = proc
        return proc

    def __enter__(self) -> "ProcessCluster":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        up = [n for n, p in self.procs.items() if p.alive]
        return f"<ProcessCluster {self.node} up={up} routed={self.routed} dropped={self.dropped}>"

    # --- faults ---------------------------------------------------------------------------
    def partition(self, *groups: Iterable[str]) -> None:
        """Cut the network into ``groups`` (nodes not listed form one more group)."""
        self.group = {}
        for i, g in enumerate(groups):
            for n in g:
                _check.known_node("partition member", n, self.ids)
                self.group[n] = i
        for n in self.ids:
            self.group.setdefault(n, len(groups))

    def heal(self) -> None:
        self.group = None

    def kill(self, nid: str) -> None:
        """Kill ``nid``'s process (SIGKILL): its memory is gone, its journal is not."""
        _check.known_node("nid", nid, self.ids)
        self.procs[nid].kill()

    def restart(self, nid: str) -> None:
        """Start ``nid`` again (a fresh process; with ``state_dir`` it replays its journal)."""
        _check.known_node("nid", nid, self.ids)
        if self.procs[nid].alive:
            raise ValueError(f"{nid} is running; kill it first")
        self._spawn(nid).init(nid, self.ids)

    # --- routing --------------------------------------------------------------------------
    def _connected(self, a: str, b: str) -> bool:
        return self.group is None or self.group[a] == self.group[b]

    def pump(self, timeout: float = 0.0) -> bool:
        """Read every process (waiting up to ``timeout`` s) and route what they wrote."""
        with selectors.DefaultSelector() as sel:
            for p in self.procs.values():
                for fd in p._open:
                    sel.register(fd, selectors.EVENT_READ, p)
            if not sel.get_map():
                return False
            got = False
            for key, _ in sel.select(timeout):
                got = key.data._read(key.fd) or got
        for nid, p in self.procs.items():
            for m in p.take():
                dest = m.get("dest")
                if dest in self.procs:
                    if self._connected(nid, dest) and self.procs[dest].alive:
                        self.procs[dest].write(json.dumps(m, separators=(",", ":")))
                        self.routed += 1
                    else:
                        self.dropped += 1
                else:
                    self._to_clients.append(m)
        return got

    def run(self, seconds: float) -> None:
        """Let the nodes talk for ``seconds`` of real time."""
        deadline = wall_clock() + seconds
        while (left := deadline - wall_clock()) > 0:
            self.pump(min(left, 0.05))

    def run_until(self, predicate: Callable[[], bool], *, timeout: float = 5.0,
                  every: float = 0.05) -> bool:
        """Let the nodes talk until ``predicate()`` holds (checked every ``every`` s) or
        ``timeout`` s pass; returns whether it held. Real time varies, so tests and
        notebooks wait for an outcome rather than for a fixed time."""
        deadline = wall_clock() + timeout
        while not predicate():
            if wall_clock() >= deadline:
                return False
            self.run(every)
        return True

    def request(self, nid: str, body: dict, *, client: str = "c1",
                timeout: float = 3.0) -> dict | None:
        """Send ``body`` from ``client`` to ``nid``; the reply's body, or None on timeout."""
        _check.known_node("nid", nid, self.ids)
        body = dict(body)
        body.setdefault("msg_id", next(self._client_ids))
        proc = self.procs[nid]
        if not proc.alive:
            time.sleep(timeout)   # a dead node answers nothing: the client times out
            return None
        proc.send(body, src=client, dest=nid)
        deadline = wall_clock() + timeout
        while True:
            for i, m in enumerate(self._to_clients):
                b = m.get("body", {})
                if m.get("dest") == client and b.get("in_reply_to") == body["msg_id"]:
                    return self._to_clients.pop(i)["body"]
            left = deadline - wall_clock()
            if left <= 0:
                return None
            self.pump(min(left, 0.05))

    def close(self) -> dict[str, int]:
        """End every process (stdin closed); returns their exit codes."""
        return {nid: p.close() for nid, p in self.procs.items()}


# --- in one process, deterministically -------------------------------------------------------------
class _VirtualClock:
    """A clock that only moves when told (seconds = time units here)."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class _Wire(io.TextIOBase):
    """A runtime's stdout: each line it writes goes onto the local network."""

    def __init__(self, net: "LocalNet", nid: str) -> None:
        self.net, self.nid = net, nid
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self.net._emit(self.nid, line)
        return len(text)


class Exchange:
    """One line on the local network: sent at ``sent``, ``fate`` at ``at``."""

    __slots__ = ("sent", "at", "src", "dest", "body", "fate")

    def __init__(self, sent: float, at: float, src: str, dest: str, body: dict,
                 fate: str) -> None:
        self.sent, self.at, self.src, self.dest, self.body, self.fate = (
            sent, at, src, dest, body, fate)

    def __repr__(self) -> str:
        return (f"Exchange({self.sent:g}->{self.at:g} {self.src}->{self.dest} "
                f"{self.body.get('type')} {self.fate})")

    @property
    def line(self) -> str:
        return format_line(self.src, self.dest, self.body)


class LocalNet:
    """Nodes hosted by ``Runtime`` objects in this process, in virtual time.

    Every message is a JSON line written by one runtime and parsed by another, after
    ``latency`` time units (FIFO, no loss: the faults are ``partition``/``heal``).
    Clients are simply names (``c1``, ...) whose requests ``request`` sends and whose
    replies it collects. ``exchanges`` records every line and its fate (``delivered``,
    ``dropped``), which is what the notebook draws. The same calls give the same run.

    >>> net = LocalNet(EchoNode, ["n1"])                                  # doctest: +SKIP
    >>> net.request("n1", {"type": "echo", "echo": "hi"})                  # doctest: +SKIP
    {'type': 'echo_ok', 'echo': 'hi', 'in_reply_to': 1, 'msg_id': 1}
    """

    def __init__(self, factory: Callable[[], Node], ids: Sequence[str] = ("n1", "n2", "n3"),
                 *, latency: float = 1.0, seed: int = 0, **runtime_kwargs: Any) -> None:
        if isinstance(ids, str) or not ids:
            raise TypeError(f"ids must be a non-empty list of node ids, got {ids!r}")
        self.latency = _check.number("latency", latency, minimum=0.0)
        self.clock = _VirtualClock()
        self.ids = tuple(ids)
        self.runtimes: dict[str, Runtime] = {}
        self.logs: dict[str, io.StringIO] = {}
        for nid in self.ids:
            self.logs[nid] = io.StringIO()
            self.runtimes[nid] = Runtime(factory, seed=seed, time_unit=1.0, clock=self.clock,
                                         stdout=_Wire(self, nid), stderr=self.logs[nid],
                                         **runtime_kwargs)
        self.exchanges: list[Exchange] = []
        self.group: dict[str, int] | None = None
        self.inboxes: dict[str, list[dict]] = {}
        self._queue: list[tuple[float, int, str, str, dict, float]] = []
        self._seq = itertools.count()
        self._client_ids: dict[str, itertools.count] = {}
        for nid in self.ids:
            self.send("c0", nid, {"type": "init", "node_id": nid, "node_ids": list(self.ids),
                                  "msg_id": self._next_id("c0")})
        self.run(until=self.now + self.latency)

    @property
    def now(self) -> float:
        return self.clock.t

    def node(self, nid: str) -> Node:
        """The node object hosted for ``nid`` (for tests: its state)."""
        return self.runtimes[nid].node

    def _next_id(self, client: str) -> int:
        return next(self._client_ids.setdefault(client, itertools.count(1)))

    # --- the network ------------------------------------------------------------------------
    def send(self, src: str, dest: str, body: dict) -> None:
        """Put one message on the wire (from a client, or on a node's behalf)."""
        heapq.heappush(self._queue, (self.now + self.latency, next(self._seq), src, dest,
                                     body, self.now))

    def _emit(self, nid: str, line: str) -> None:
        m = json.loads(line)
        self.send(m["src"], m["dest"], m["body"])

    def partition(self, *groups: Iterable[str]) -> None:
        """Cut the network between ``groups`` (unlisted nodes and clients: one more group)."""
        self.group = {}
        for i, g in enumerate(groups):
            for n in g:
                self.group[n] = i
        self._rest = len(groups)

    def heal(self) -> None:
        self.group = None

    def _connected(self, a: str, b: str) -> bool:
        if self.group is None:
            return True
        return self.group.get(a, self._rest) == self.group.get(b, self._rest)

    def _deliver(self, sent: float, src: str, dest: str, body: dict) -> None:
        if not self._connected(src, dest):
            self.exchanges.append(Exchange(sent, self.now, src, dest, body, "dropped"))
            return
        self.exchanges.append(Exchange(sent, self.now, src, dest, body, "delivered"))
        if dest in self.runtimes:
            self.runtimes[dest].handle_line(format_line(src, dest, body))
        else:
            self.inboxes.setdefault(dest, []).append(body)

    def run(self, until: float) -> None:
        """Deliver messages and fire timers, in time order, up to time ``until``."""
        until = _check.number("until", until, minimum=self.now)
        while True:
            t_msg = self._queue[0][0] if self._queue else float("inf")
            deadlines = [d for d in (rt.next_deadline() for rt in self.runtimes.values())
                         if d is not None]
            t_timer = min(deadlines, default=float("inf"))
            t = min(t_msg, t_timer)
            if t > until:
                break
            self.clock.t = max(self.clock.t, t)
            if t_msg <= t_timer:
                _, _, src, dest, body, sent = heapq.heappop(self._queue)
                self._deliver(sent, src, dest, body)
            else:
                for rt in self.runtimes.values():
                    rt.fire_due()
        self.clock.t = until

    def request(self, nid: str, body: dict, *, client: str = "c1",
                timeout: float = 1000.0) -> dict | None:
        """Send ``body`` from ``client`` to ``nid`` and run until the reply (or ``timeout``
        time units). Returns the reply's body, or None."""
        body = dict(body)
        body.setdefault("msg_id", self._next_id(client))
        self.send(client, nid, body)
        deadline = self.now + timeout
        inbox = self.inboxes.setdefault(client, [])
        while True:
            for i, b in enumerate(inbox):
                if b.get("in_reply_to") == body["msg_id"]:
                    return inbox.pop(i)
            nxt = self._next_event()
            if nxt is None or nxt > deadline:
                self.run(until=deadline)
                return None
            self.run(until=nxt)

    def _next_event(self) -> float | None:
        times = [self._queue[0][0]] if self._queue else []
        times += [d for d in (rt.next_deadline() for rt in self.runtimes.values())
                  if d is not None]
        return min(times) if times else None

    def log(self, nid: str) -> list[str]:
        """The stderr lines of ``nid``'s runtime."""
        return self.logs[nid].getvalue().splitlines()
