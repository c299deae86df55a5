"""Clients of the Dynamo-style store: they keep contexts, reconcile siblings and record
what they observe.

A client sends each request to a *contact* node (the coordinator), one request at a
time (Jepsen's rule), and records ``invoke`` / ``ok`` / ``fail`` / ``info`` in the
simulation's history:

- ``get(key)`` -> ``ok`` with the tuple of sibling values it read (tombstones
  included, as their tags ``✝c1-4``; the application only sees the others);
- ``put((key, value))`` -> ``ok``; ``delete((key, tag))`` -> ``ok``;
- ``Unavailable`` -> ``fail`` (nothing was written); ``Timeout`` or no answer within
  ``timeout`` -> ``info`` (the outcome is unknown). After an unanswered request the
  client tries the next contact.

Contexts (DeCandia et al. 2007, §4.4): per key, the client keeps the merged clock of
everything it has read or written. A put sends that context, so the new version
supersedes exactly what the client had seen: when a read returned siblings, the next
put *reconciles* them (a script can compute the new value from the siblings, e.g.
the union of two shopping carts). With ``actor="client"`` the client's own entry is
the one incremented, so the client knows its new clock even when the write times out.

For the checkers, each put or delete also reports in the trace (``output("write",
(key, value, seen))``) the values the client had observed on that key before writing:
the write's causal past as the client knows it, independent of any clock. Values must
be unique per write for the checkers to tell writes apart. Taught in notebooks 2.12
and 2.13.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..clocks import VectorClock
from ..sim import Node
from .messages import Delete, Get, GetOk, Put, PutOk, Timeout, Unavailable
from .versions import ACTORS, context_of

__all__ = ["KVClient", "is_tombstone"]


def is_tombstone(value: Any) -> bool:
    """Is this value a deletion's tag (how histories show tombstones)?"""
    return isinstance(value, str) and value.startswith("✝")


def _sorted(values: Any) -> tuple:
    return tuple(sorted(values, key=repr))


class KVClient(Node):
    """A client issuing a scripted or a random workload.

    Parameters
    ----------
    contacts
        The nodes it may send requests to, in order of preference.
    script
        ``[(time, op), ...]`` with ``op`` one of ``("get", key)``, ``("put", key,
        value)`` (``value`` may be ``f(siblings) -> value``: the reconciliation),
        ``("delete", key)``. Each operation starts at its time or when the previous one
        ends, whichever is later.
    keys, writes, ops, write_ratio, delete_ratio, think
        Without a script: ``ops`` operations on random ``keys``, ``think`` apart on
        average; a key in ``writes`` is written with probability ``write_ratio`` (a
        deletion with ``delete_ratio`` of those), otherwise read. Values are
        ``"<client>-<n>"``.
    timeout
        How long to wait for an answer before recording ``info``.
    start, until
        The random workload begins after ``start``; no operation begins after ``until``.
    actor
        ``"client"`` if the store increments the client's clock entry (then the client
        knows its new clock at once), ``"coordinator"`` otherwise.
    """

    def __init__(self, contacts: Sequence[str], script: Sequence[tuple[float, tuple]] | None = None,
                 keys: Sequence[str] = ("x",), writes: Sequence[str] | None = None,
                 ops: int = 10, write_ratio: float = 0.5, delete_ratio: float = 0.0,
                 think: float = 5.0, timeout: float = 60.0, start: float = 0.0,
                 until: float | None = None, actor: str = "client") -> None:
        if isinstance(contacts, str) or not contacts:
            raise ValueError(f"contacts must be a non-empty list of node ids, got {contacts!r}")
        if actor not in ACTORS:
            raise ValueError(f"actor must be one of {ACTORS}, got {actor!r}")
        if script is not None:
            for item in script:
                if (not isinstance(item, tuple) or len(item) != 2 or not isinstance(item[1], tuple)
                        or item[1][:1] not in (("get",), ("put",), ("delete",))):
                    raise ValueError(f"script items are (time, ('get', key) | ('put', key, "
                                     f"value) | ('delete', key)), got {item!r}")
        for name, p in (("write_ratio", write_ratio), ("delete_ratio", delete_ratio)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {p!r}")
        self.contacts = tuple(contacts)
        self.script = list(script) if script is not None else None
        self.keys = tuple(keys)
        self.writes = tuple(self.keys if writes is None else writes)
        self.ops = len(self.script) if self.script is not None else ops
        self.write_ratio = write_ratio
        self.delete_ratio = delete_ratio
        self.think = think
        self.timeout = timeout
        self.start = start
        self.until = until
        self.actor = actor
        self.home = 0
        self.done = 0
        self.written = 0
        self.contexts: dict[str, VectorClock] = {}
        self.seen: dict[str, set[Any]] = {}
        self.siblings: dict[str, tuple[Any, ...]] = {}
        self._req = 0
        self._open: tuple[int, str, Any] | None = None

    def state(self) -> dict[str, Any]:
        return {"done": self.done, "contexts": {k: str(v) for k, v in sorted(self.contexts.items())},
                "read": {k: list(v) for k, v in sorted(self.siblings.items())}}

    # --- scheduling ---------------------------------------------------------------------------
    def on_start(self) -> None:
        if self.incarnation == 0 and self.ops:
            self._schedule()

    def _schedule(self) -> None:
        if self.script is not None:
            delay = max(0.0, self.script[self.done][0] - self.now)
        elif self.done == 0:
            delay = self.start + self.rng.uniform(0, self.think)
        else:
            delay = self.rng.uniform(0.5, 1.5) * self.think
        self.set_timer(delay, "next")

    def _next_op(self) -> tuple:
        if self.script is not None:
            return self.script[self.done][1]
        key = self.rng.choice(self.keys)
        if key in self.writes and self.rng.random() < self.write_ratio:
            if self.rng.random() < self.delete_ratio:
                return ("delete", key)
            return ("put", key, None)
        return ("get", key)

    # --- issuing ------------------------------------------------------------------------------
    def _issue(self) -> None:
        op = self._next_op()
        kind, key = op[0], op[1]
        self._req += 1
        target = self.contacts[self.home % len(self.contacts)]
        ctx = self.contexts.get(key, VectorClock())
        if kind == "get":
            self._open = (self._req, "get", key)
            self.record("invoke", "get", key)
            self.send(target, Get(self._req, key))
        else:
            self.written += 1
            if kind == "delete":
                value = f"✝{self.id}-{self.written}"
            else:
                value = op[2] if len(op) > 2 else None
                if callable(value):
                    value = value(self.siblings.get(key, ()))
                elif value is None:
                    value = f"{self.id}-{self.written}"
            seen = self.seen.setdefault(key, set())
            self.output("write", (key, value, _sorted(seen)))
            self._open = (self._req, kind, (key, value))
            self.record("invoke", kind, (key, value))
            msg = Delete(self._req, key, value, ctx) if kind == "delete" \
                else Put(self._req, key, value, ctx)
            self.send(target, msg)
            seen.add(value)
            if self.actor == "client":   # the store will increment my entry
                self.contexts[key] = ctx.increment(self.id)
        self.set_timer(self.timeout, "timeout", self._req)

    def _complete(self) -> None:
        self._open = None
        self.done += 1
        self.cancel_timer("timeout")
        if self.done < self.ops:
            self._schedule()

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next":
            if self.until is None or self.now <= self.until:
                self._issue()
        elif name == "timeout" and self._open is not None and self._open[0] == payload:
            self.record("info", self._open[1], self._open[2])
            self.home += 1          # no answer: try another coordinator next time
            self._complete()

    # --- answers --------------------------------------------------------------------------------
    def on_message(self, src: str, msg: Any) -> None:
        if self._open is None or getattr(msg, "req", None) != self._open[0]:
            return  # a late or duplicated answer
        _, f, value = self._open
        if isinstance(msg, GetOk) and f == "get":
            key = value
            ids = _sorted(v.value for v in msg.versions)
            self.contexts[key] = self.contexts.get(key, VectorClock()).merge(
                context_of(msg.versions))
            self.seen.setdefault(key, set()).update(ids)
            self.siblings[key] = tuple(v.value for v in msg.versions if not v.deleted)
            self.record("ok", "get", ids)
        elif isinstance(msg, PutOk) and f in ("put", "delete"):
            key = value[0]
            self.contexts[key] = self.contexts.get(key, VectorClock()).merge(msg.clock)
            self.record("ok", f, value)
        elif isinstance(msg, Unavailable):
            self.record("fail", f, value)
        elif isinstance(msg, Timeout):
            self.record("info", f, value)
        else:
            return
        self._complete()
