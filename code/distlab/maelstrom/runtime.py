"""The real-process host: one ``distlab`` node as a Maelstrom process.

The simulator is one host for a ``distlab.sim.Node``; ``Runtime`` is another. It gives
the node the same handles (``send``, ``set_timer``, ``cancel_timer``, ``now``,
``clock()``, ``rng``, ``storage``, ``output``, ``annotate``, ``record``) and drives the
same handlers (``on_start``, ``on_message``, ``on_timer``), but its network is
Maelstrom's (Kingsbury 2022): messages arrive as JSON lines on stdin and leave as JSON
lines on stdout, and its time is the computer's. This is the one place in the library
where real time is allowed. The structure stays that of the simulator:

- a single-threaded loop (``serve``) waits with ``select`` for the first of "a line
  arrives on stdin" and "the earliest timer is due"; timers sit in a heap of
  ``(deadline, seq, id)``, so ties fire in the order they were set;
- a handler's sends are collected and written after it returns (as in the
  simulator: durable writes first, then messages); a handler that raises sends
  nothing, the client gets error 13 (*crash*, indefinite) and the process goes on;
- ``now`` is the time since the process started, in ``time_unit`` seconds (default
  0.001: the book's time units become milliseconds), fixed while a handler runs;
- ``rng`` is the stream the simulator would give the node: ``(seed, node id)``;
- ``storage`` lives in the process's memory, or, with ``state_dir``, in a journal
  file per node (JSON lines, fsynced per write) that a restarted process replays,
  counting its ``incarnation`` as the simulator does.

The first message must be ``init`` (node id and every node's id), answered with
``init_ok`` before ``on_start`` runs. Malformed lines are reported on stderr and, when
the line names a sender and a ``msg_id``, refused with an error body; the process keeps
serving. ``python -m distlab.maelstrom NODE`` runs it (``main`` below).
Taught in notebook 2.14 ("Running your node outside the book").
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import heapq
import importlib
import inspect
import itertools
import json
import os
import selectors
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from ..sim import Node, PhysicalClock, Storage, _check
from ..sim.history import History
from ..sim.randomness import child_stream, seed_of
from .protocol import (Codec, ErrorCode, MaelstromMessage, ProtocolError, RPCError,
                       error_body, format_line, from_json, parse_line, to_json)

__all__ = ["Runtime", "JournalStorage", "resolve_node_class", "main", "wall_clock"]

#: The real-process host's clock, in seconds: the one place in the library where real
#: time enters (``Runtime``'s default, and ``harness``'s timeouts). Protocol code never
#: reads it: it gets ``now`` from whichever host runs it.
wall_clock = time.monotonic


# --- durable storage on disk ------------------------------------------------------------------
class JournalStorage(Storage):
    """``Storage`` kept in an append-only journal of JSON lines, fsynced at every write.

    Opening a journal replays it: the node finds what it stored before the process
    died, and ``starts`` counts the earlier lives (its next ``incarnation``). Values
    must be JSON data; arrays come back as tuples (a top-level list stays a list, so
    ``append`` keeps working). A torn last line (the process died mid-write) is ignored.
    """

    __slots__ = ("path", "starts", "_file")

    def __init__(self, path: str | os.PathLike) -> None:
        super().__init__()
        self.path = Path(path)
        self.starts = 0
        if self.path.exists():
            self._replay()
        self._file = open(self.path, "a", encoding="utf-8")

    def _replay(self) -> None:
        lines = self.path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                op = rec["op"]
            except (ValueError, KeyError, TypeError):
                if i == len(lines) - 1:
                    break  # torn last write: it never completed, so nobody was told
                raise ValueError(f"{self.path}:{i + 1}: corrupt journal line {line!r}") from None
            if op == "start":
                self.starts += 1
            elif op == "set":
                value = from_json(rec["value"])
                self._data[rec["key"]] = list(value) if rec.get("list") else value
            elif op == "del":
                self._data.pop(rec["key"], None)
            elif op == "append":
                self._data.setdefault(rec["key"], []).append(from_json(rec["item"]))
            elif op == "truncate":
                del self._data.setdefault(rec["key"], [])[rec["length"]:]

    def _log(self, record: dict) -> None:
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())

    def mark_start(self) -> int:
        """Record one more start; returns this life's incarnation (0, 1, 2, ...)."""
        incarnation = self.starts
        self._log({"op": "start", "incarnation": incarnation})
        self.starts += 1
        return incarnation

    def __setitem__(self, key: str, value: Any) -> None:
        record = {"op": "set", "key": self._key(key), "value": to_json(value, f"storage[{key!r}]")}
        if isinstance(value, list):
            record["list"] = True
        super().__setitem__(key, value)
        self._log(record)

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key)
        self._log({"op": "del", "key": key})

    def append(self, key: str, item: Any) -> None:
        record = {"op": "append", "key": self._key(key),
                  "item": to_json(item, f"storage[{key!r}] item")}
        super().append(key, item)
        self._log(record)

    def truncate(self, key: str, length: int) -> None:
        super().truncate(key, length)
        self._log({"op": "truncate", "key": key, "length": length})

    def close(self) -> None:
        self._file.close()


# --- the host -------------------------------------------------------------------------------------
def _codec_for(node: Node, codec: Codec | Iterable[type] | None) -> Codec:
    if isinstance(codec, Codec):
        return codec
    base = getattr(type(node), "messages", ())
    extra = tuple(codec) if codec is not None else ()
    return Codec(*base, *extra)


class Runtime:
    """Hosts one ``distlab.sim.Node`` as a Maelstrom process (see the module docstring).

    ``factory`` builds the node (a ``Node`` subclass, or ``functools.partial`` of one).
    ``codec`` maps its messages to JSON bodies (default: the class's ``messages``).
    ``clock`` returns seconds (default ``wall_clock``; tests pass a fake one).
    ``handle_line``, ``fire_due`` and ``next_deadline`` are the loop's steps, so a test
    or a notebook can drive a runtime in-process; ``serve`` is the loop itself.
    """

    def __init__(self, factory: Callable[[], Node], *, codec: Codec | Iterable[type] | None = None,
                 seed: int = 0, time_unit: float = 0.001,
                 clock: Callable[[], float] | None = None, stdout: IO[str] | None = None,
                 stderr: IO[str] | None = None, state_dir: str | os.PathLike | None = None,
                 verbose: bool = False) -> None:
        if not callable(factory):
            raise TypeError(f"factory must be a Node subclass or a callable returning a Node, "
                            f"got {factory!r}")
        node = factory()
        if not isinstance(node, Node):
            raise TypeError(f"the factory returned {node!r}, which is not a distlab.sim.Node")
        self.node = node
        self.codec = _codec_for(node, codec)
        self.seed = seed_of(seed)
        self.time_unit = _check.number("time_unit", time_unit, minimum=0.0, strict_min=True)
        if clock is not None and not callable(clock):
            raise TypeError(f"clock must be a callable returning seconds, got {clock!r}")
        self._clock = clock or wall_clock
        self._t0 = self._clock()
        self._out = stdout if stdout is not None else sys.stdout
        self._err = stderr if stderr is not None else sys.stderr
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.verbose = bool(verbose)
        self.node_id: str | None = None
        self.outputs: list[tuple[float, str, Any]] = []
        self.stats: Counter[str] = Counter()

        # What a distlab.sim.Node reads through `self._rt` (see distlab/sim/node.py); the
        # simulator keeps the same attributes. `_nodes` stays empty: Node.send's fast
        # path is the simulator's, and every send here goes through `_node_send`.
        self._ids: tuple[str, ...] = ()
        self._nodes: dict[str, Node] = {}
        self._current: Node | None = None
        self._outbox: list[str] = []
        self._incarnation: dict[str, int] = {}
        self._storage: dict[str, Storage] = {}
        self._clocks: dict[str, PhysicalClock] = {}
        self.history = History()

        self._heap: list[tuple[float, int, int]] = []
        self._timers: dict[int, tuple[str, Any]] = {}
        self._seq = itertools.count()
        self._timer_ids = itertools.count(1)
        self._frozen_now: float | None = None

    def __repr__(self) -> str:
        return (f"<Runtime {type(self.node).__name__} {self.node_id or '(waiting for init)'} "
                f"timers={len(self._timers)}>")

    # --- what Node uses (the simulator offers the same) --------------------------------------
    @property
    def node_ids(self) -> tuple[str, ...]:
        """Every node's id, from ``init`` (this one included), in Maelstrom's order."""
        return self._ids

    @property
    def now(self) -> float:
        """Time since the process started, in time units (fixed while a handler runs)."""
        if self._frozen_now is not None:
            return self._frozen_now
        return (self._clock() - self._t0) / self.time_unit

    def _node_send(self, node: Node, dst: str, msg: Any) -> None:
        _check.node_id("dst", dst)
        line = format_line(self.node_id or "?", dst, self.codec.encode(msg))
        if self._current is node:
            self._outbox.append(line)
        else:                      # sent outside a handler (a test, a notebook): now
            self._write(line)
            self._flush()

    def _set_timer(self, node: Node, delay: float, name: str, payload: Any) -> int:
        delay = _check.number("delay", delay, minimum=0.0)
        if not isinstance(name, str):
            raise TypeError(f"timer name must be a str, got {name!r}")
        tid = next(self._timer_ids)
        self._timers[tid] = (name, payload)
        heapq.heappush(self._heap, (self.now + delay, next(self._seq), tid))
        return tid

    def _cancel_timer(self, node: Node, timer: int | str) -> int:
        if isinstance(timer, bool) or not isinstance(timer, (int, str)):
            raise TypeError(f"cancel_timer takes a timer id (int) or a timer name (str), "
                            f"got {timer!r}")
        if isinstance(timer, int):
            return 1 if self._timers.pop(timer, None) is not None else 0
        mine = [tid for tid, (name, _) in self._timers.items() if name == timer]
        for tid in mine:
            del self._timers[tid]
        return len(mine)

    def _adjust_clock(self, node_id: str, delta: float) -> None:
        self._clocks[node_id].step(self.now, delta)

    def _annotate(self, node_id: str | None, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"annotation text must be a str, got {text!r}")
        if self.verbose:
            self.log(f"note: {text}")

    def _output(self, node_id: str, name: str, value: Any) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"output name must be a non-empty str such as 'deliver', "
                            f"got {name!r}")
        self.outputs.append((self.now, name, value))
        if self.verbose:
            self.log(f"output {name}: {value!r}")

    # --- input ----------------------------------------------------------------------------------
    def handle_line(self, line: str | bytes) -> None:
        """Process one line of stdin (a malformed one is reported, never fatal)."""
        self.stats["lines_in"] += 1
        if self.verbose:
            self.log(f"<- {line.strip() if isinstance(line, str) else line!r}")
        try:
            message = parse_line(line)
        except ProtocolError as err:
            self._reject(err, line, self.node_id)
            return
        self.deliver(message, line)

    def deliver(self, message: MaelstromMessage, line: str | bytes | None = None) -> None:
        """Hand one parsed message to the node (``init`` is the runtime's own).

        ``line`` is the text it came from (shown in diagnostics)."""
        if line is None:
            line = message.to_line()
        if message.type == "init":
            self._init(message, line)
            return
        if self.node_id is None:
            self._reject(ProtocolError("not initialised yet: the first message must be init",
                                       code=ErrorCode.TEMPORARILY_UNAVAILABLE, src=message.src,
                                       msg_id=message.msg_id, in_reply_to=message.in_reply_to),
                         line, message.dest)
            return
        if message.dest != self.node_id:
            self._reject(ProtocolError(f"this is node {self.node_id}, but the message is for "
                                       f"{message.dest!r}", code=ErrorCode.NODE_NOT_FOUND,
                                       src=message.src, msg_id=message.msg_id,
                                       in_reply_to=message.in_reply_to),
                         line, self.node_id)
            return
        try:
            msg = self.codec.decode(message.body)
        except ProtocolError as err:
            err.src = message.src
            self._reject(err, line, self.node_id)
            return
        self._dispatch(self.node.on_message, (message.src, msg), message,
                       f"{message.type!r} from {message.src}")

    def _init(self, message: MaelstromMessage, line: str | bytes) -> None:
        body = message.body
        node_id, node_ids = body.get("node_id"), body.get("node_ids")
        if not isinstance(node_id, str) or not node_id or not isinstance(node_ids, list) \
                or not all(isinstance(n, str) and n for n in node_ids) or node_id not in node_ids:
            self._reject(ProtocolError(f"init needs a node_id (a string) and node_ids (a list "
                                       f"of strings that includes it), got {body!r}",
                                       src=message.src, msg_id=message.msg_id),
                         line, message.dest)
            return
        if self.node_id is not None:
            if (node_id, tuple(node_ids)) != (self.node_id, self._ids):
                self._reject(ProtocolError(f"already initialised as {self.node_id} of "
                                           f"{list(self._ids)}", src=message.src,
                                           msg_id=message.msg_id), line, self.node_id)
                return
            self.log("init again, with the same ids: answered init_ok again")
            self._send_raw(message.src, {"type": "init_ok", "in_reply_to": message.msg_id})
            return
        self.node_id, self._ids = node_id, tuple(node_ids)
        if self.state_dir is not None:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            storage: Storage = JournalStorage(self.state_dir / f"{node_id}.jsonl")
            incarnation = storage.mark_start()  # type: ignore[attr-defined]
        else:
            storage, incarnation = Storage(), 0
        self._storage[node_id] = storage
        self._incarnation[node_id] = incarnation
        self._clocks[node_id] = PhysicalClock()
        node = self.node
        node.id = node_id
        node.rng = child_stream(self.seed, "node", node_id)
        node._rt = self  # type: ignore[assignment]
        self.log(f"initialised as {node_id} of {list(node_ids)}"
                 + (f", incarnation {incarnation}" if incarnation else ""))
        body_ok: dict[str, Any] = {"type": "init_ok"}
        if message.msg_id is not None:
            body_ok["in_reply_to"] = message.msg_id
        self._send_raw(message.src, body_ok)
        self._dispatch(node.on_start, (), None, "on_start")

    # --- handlers ----------------------------------------------------------------------------------
    def _dispatch(self, handler: Callable[..., None], args: tuple,
                  request: MaelstromMessage | None, what: str) -> None:
        self._frozen_now = self.now
        self._current = self.node
        try:
            handler(*args)
        except RPCError as err:
            self._outbox.clear()
            self._answer_error(request, err.code, err.text)
        except Exception as exc:  # a bug in the node: report it, refuse, keep serving
            self._outbox.clear()
            self.stats["crashes"] += 1
            self.log(f"the node raised {type(exc).__name__} while handling {what}; its sends "
                     f"were discarded and the process goes on:\n"
                     + "".join(traceback.format_exception(exc)).rstrip())
            self._answer_error(request, ErrorCode.CRASH,
                               f"{self.node_id} raised {type(exc).__name__}: {exc}")
        finally:
            self._current = None
            self._frozen_now = None
        for line in self._outbox:
            self._write(line)
        self._outbox.clear()
        self._flush()

    def _answer_error(self, request: MaelstromMessage | None, code: int, text: str) -> None:
        if request is None or request.msg_id is None or request.in_reply_to is not None:
            return  # only requests are answered, never replies (no error ping-pong)
        self._send_raw(request.src, error_body(code, text, request.msg_id))

    def _reject(self, err: ProtocolError, line: str | bytes, me: str | None) -> None:
        self.stats["malformed"] += 1
        shown = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        shown = shown.strip()
        shown = shown if len(shown) <= 200 else shown[:199] + "…"
        answered = err.can_reply
        self.log(f"rejected input ({err.reason}); error {err.code}"
                 + (f" sent to {err.src}" if answered else " (nobody to answer)")
                 + f"; line: {shown}")
        if answered:
            body = error_body(err.code, err.reason, err.msg_id)
            self._write(format_line(me or "?", err.src, body))
            self._flush()

    # --- output ------------------------------------------------------------------------------------
    def _send_raw(self, dst: str, body: dict) -> None:
        self._write(format_line(self.node_id or "?", dst, body))
        self._flush()

    def _write(self, line: str) -> None:
        self.stats["lines_out"] += 1
        if self.verbose:
            self.log(f"-> {line}")
        self._out.write(line + "\n")

    def _flush(self) -> None:
        self._out.flush()

    def log(self, text: str) -> None:
        """A line on stderr (Maelstrom keeps it in the node's log)."""
        self._err.write(f"[{self.node_id or 'distlab'}] {text}\n")
        self._err.flush()

    # --- timers ----------------------------------------------------------------------------------
    def next_deadline(self) -> float | None:
        """When the earliest pending timer is due (time units), or ``None``."""
        heap = self._heap
        while heap and heap[0][2] not in self._timers:
            heapq.heappop(heap)  # cancelled
        return heap[0][0] if heap else None

    def fire_due(self) -> int:
        """Fire every timer due now (those set meanwhile wait for the next call)."""
        if self.node_id is None:
            return 0
        now = self.now
        limit = next(self._seq)   # timers set by these handlers are not fired in this call
        fired = 0
        while self._heap and self._heap[0][0] <= now and self._heap[0][1] < limit:
            _, _, tid = heapq.heappop(self._heap)
            entry = self._timers.pop(tid, None)
            if entry is None:
                continue
            name, payload = entry
            fired += 1
            self.stats["timers"] += 1
            self._dispatch(self.node.on_timer, (name, payload), None, f"timer {name!r}")
        return fired

    # --- the loop ----------------------------------------------------------------------------------
    def serve(self, stdin: IO | None = None) -> int:
        """Serve until stdin closes: wait for a line or the next timer, whichever is first."""
        stdin = stdin if stdin is not None else sys.stdin
        try:
            fd = stdin.fileno()
        except (AttributeError, OSError, ValueError):
            for line in stdin:   # not a real file (a StringIO): no waiting, no timers
                if line.strip():
                    self.handle_line(line)
            return 0
        selector = selectors.DefaultSelector()
        selector.register(fd, selectors.EVENT_READ)
        pending = b""
        try:
            while True:
                self.fire_due()
                deadline = self.next_deadline()
                wait = None if deadline is None else max(0.0, (deadline - self.now)
                                                          * self.time_unit)
                if not selector.select(wait):
                    continue           # a timer is due
                chunk = os.read(fd, 65536)
                if not chunk:          # end of input: Maelstrom is done with us
                    if pending.strip():
                        self.handle_line(pending)
                    return 0
                *lines, pending = (pending + chunk).split(b"\n")
                for raw in lines:
                    if raw.strip():
                        self.handle_line(raw)
        finally:
            selector.close()


# --- the command line ------------------------------------------------------------------------------
def resolve_node_class(spec: str) -> type:
    """A node class from a workload name (``broadcast``) or a path (``pkg.mod:Class``)."""
    from .nodes import WORKLOADS

    if not isinstance(spec, str) or not spec:
        raise ValueError(f"NODE must be a workload name or module:Class, got {spec!r}")
    if spec in WORKLOADS:
        return WORKLOADS[spec]
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
    else:
        module_name, _, attr = spec.rpartition(".")
    if not module_name or not attr:
        raise ValueError(f"{spec!r} is neither a workload ({', '.join(sorted(WORKLOADS))}) "
                         f"nor a path such as distlab.maelstrom.nodes:EchoNode")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"cannot import {module_name!r}: {exc}") from None
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise ValueError(f"{module_name} has no {attr!r}") from None
    if not (isinstance(obj, type) and issubclass(obj, Node)):
        raise ValueError(f"{spec} is {obj!r}, not a distlab.sim.Node subclass")
    return obj


def _message_classes(spec: str) -> list[type]:
    module_name, _, names = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"--messages: cannot import {module_name!r}: {exc}") from None
    if names:
        try:
            return [getattr(module, n) for n in names.split(",")]
        except AttributeError as exc:
            raise ValueError(f"--messages: {exc}") from None
    return [obj for _, obj in sorted(vars(module).items())
            if inspect.isclass(obj) and dataclasses.is_dataclass(obj)
            and obj.__module__ == module.__name__ and obj.__dataclass_params__.frozen]


def _node_kwargs(pairs: list[str]) -> dict[str, Any]:
    kwargs = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.isidentifier():
            raise ValueError(f"--arg takes NAME=VALUE (VALUE in JSON, or a bare string), "
                             f"got {pair!r}")
        try:
            kwargs[name] = json.loads(text)
        except ValueError:
            kwargs[name] = text
    return kwargs


def main(argv: list[str] | None = None) -> int:
    """``python -m distlab.maelstrom NODE [options]``: serve one node on stdin/stdout."""
    from .nodes import WORKLOADS

    parser = argparse.ArgumentParser(
        prog="python -m distlab.maelstrom",
        description="Run a distlab node as a Maelstrom process: JSON messages on stdin and "
                    "stdout, logs on stderr.",
        epilog="Under Maelstrom: ./maelstrom test -w echo --bin ./echo.sh, where echo.sh is "
               "'#!/bin/sh' and 'exec python -m distlab.maelstrom echo'.")
    parser.add_argument("node", help=f"a workload ({', '.join(WORKLOADS)}) or a node class "
                                     f"as module:Class, e.g. distlab.maelstrom.nodes:EchoNode")
    parser.add_argument("--arg", action="append", default=[], metavar="NAME=VALUE",
                        help="a keyword argument for the node class (VALUE is JSON)")
    parser.add_argument("--messages", action="append", default=[], metavar="MODULE[:A,B]",
                        help="message dataclasses to map to JSON bodies (default: the "
                             "class's `messages`); a module means all its frozen dataclasses")
    parser.add_argument("--seed", type=int, default=0, help="seed of the node's rng (0)")
    parser.add_argument("--time-unit", type=float, default=0.001,
                        help="seconds per time unit of now/set_timer (default 0.001: ms)")
    parser.add_argument("--state-dir", default=None,
                        help="keep storage in DIR/<node id>.jsonl across restarts")
    parser.add_argument("--verbose", action="store_true",
                        help="log every line in and out, outputs and notes on stderr")
    args = parser.parse_args(argv)
    try:
        cls = resolve_node_class(args.node)
        kwargs = _node_kwargs(args.arg)
        extra = [c for spec in args.messages for c in _message_classes(spec)]
        factory = functools.partial(cls, **kwargs) if kwargs else cls
        runtime = Runtime(factory, codec=extra or None, seed=args.seed,
                          time_unit=args.time_unit, state_dir=args.state_dir,
                          verbose=args.verbose)
    except (ValueError, TypeError) as exc:
        print(f"distlab.maelstrom: {exc}", file=sys.stderr)
        return 2
    runtime.log(f"serving {cls.__module__}.{cls.__qualname__} (seed {args.seed}, time unit "
                f"{args.time_unit:g} s); waiting for init")
    try:
        return runtime.serve()
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:   # Maelstrom went away
        return 0
