"""Checkers for the Dynamo-style store. They read only the trace and the client history.

- ``check_durability``: no acknowledged write is lost. Every write (put or delete)
  a client saw acknowledged must, in the final reads, be visible or *superseded*:
  an ancestor of a visible version. Ancestry comes from the clients' own reports
  (``output("write", (key, value, seen))``: what the writer had observed), never
  from the store's clocks, so the check also judges the clocks.
- ``check_convergence``: after the partitions heal and anti-entropy runs, every node
  has the same membership, the replicas of each key (the first ``N`` of its
  preference list on the final ring) hold identical versions, other nodes hold none,
  and no hint is left.
- ``check_register``: a key written by a single client behaves as a linearizable
  register (Herlihy & Wing 1990), checked exactly with ``distlab.consistency``.
- ``stale_reads``: for a single-writer key, the reads that returned a value older than
  the newest write acknowledged before they began (what notebook 2.12 counts).

Taught in notebooks 2.12 and 2.13.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..consistency import UNKNOWN, Op, check_linearizable, models
from ..consistency.linearizability import LinearizabilityResult
from ..sim import History, Simulation, Trace
from .client import is_tombstone
from .ring import Ring

__all__ = ["ancestry", "check_durability", "check_convergence", "final_stores",
           "register_ops", "check_register", "stale_reads", "availability", "writers"]


def _parts(source: Any) -> tuple[Trace, History]:
    if isinstance(source, Simulation):
        return source.trace, source.history
    raise TypeError(f"expected a Simulation (after its run), got {type(source).__name__}")


def ancestry(trace: Trace) -> dict[tuple[str, Any], frozenset]:
    """``{(key, value): every value that write supersedes}``, from the clients'
    ``write`` outputs, closed transitively (the write's causal past on its key)."""
    parents: dict[tuple[str, Any], tuple] = {}
    for e in trace.outputs("write"):
        key, value, seen = e.msg
        parents[(key, value)] = tuple(seen)
    closed: dict[tuple[str, Any], frozenset] = {}

    def past(key: str, value: Any) -> frozenset:
        if (key, value) in closed:
            return closed[(key, value)]
        out: set = set()
        stack = list(parents.get((key, value), ()))
        while stack:
            v = stack.pop()
            if v in out:
                continue
            out.add(v)
            if (key, v) in closed:
                out |= closed[(key, v)]
            else:
                stack.extend(parents.get((key, v), ()))
        closed[(key, value)] = frozenset(out)
        return closed[(key, value)]

    return {kv: past(*kv) for kv in parents}


def check_durability(sim: Simulation, *, after: float) -> list[str]:
    """Each acknowledged write is visible in, or superseded by a write visible in, the
    last successful read of its key invoked at or after time ``after`` (writes
    acknowledged after that read began are not judged)."""
    trace, history = _parts(sim)
    ops = history.operations()
    past = ancestry(trace)
    final: dict[str, Any] = {}
    for op in ops:   # in call order: the last one wins
        if op.f == "get" and op.status == "ok" and op.call >= after:
            final[op.input] = op
    problems = []
    unread: set[str] = set()
    for op in ops:
        if op.f not in ("put", "delete") or op.status != "ok":
            continue
        key, value = op.input
        if key not in final:
            if key not in unread:
                unread.add(key)
                problems.append(f"no successful read of {key!r} after t={after:g} to "
                                f"check {value!r} against")
            continue
        if op.ret_index > final[key].call_index:
            continue   # acknowledged after the final read began: not judged
        seen = final[key].output
        if value in seen or any(value in past.get((key, s), ()) for s in seen):
            continue
        problems.append(f"acknowledged {op.f} {value!r} of {key!r} (by {op.process} at "
                        f"t={op.ret:g}) is lost: the final read saw {list(seen)}, none "
                        f"of which descends from it")
    return problems


def final_stores(trace: Trace) -> tuple[dict[str, dict[str, tuple]], dict[str, tuple],
                                        dict[str, int]]:
    """The last reported state of each node: ``({node: {key: fingerprint}}, {node:
    members}, {node: hints held})``."""
    stores: dict[str, dict[str, tuple]] = {}
    rings: dict[str, tuple] = {}
    hints: dict[str, int] = {}
    for e in trace.of_kind("output"):
        if e.info == "store":
            key, fp = e.msg
            stores.setdefault(e.node, {})[key] = fp
        elif e.info == "ring":
            rings[e.node] = tuple(e.msg)
        elif e.info == "hints":
            hints[e.node] = e.msg
    return stores, rings, hints


def check_convergence(sim: Simulation, *, n: int, vnodes: int) -> list[str]:
    """Replicas agree: same membership everywhere, identical versions on each key's
    ``n`` replicas, nothing on other nodes, no hint left."""
    trace, _ = _parts(sim)
    stores, rings, hints = final_stores(trace)
    problems = []
    views = {r for r in rings.values() if r}
    if len(views) > 1:
        problems.append(f"membership did not converge: {sorted(views)}")
        return problems
    if not views:
        return ["no node reported a ring"]
    ring = Ring(views.pop(), vnodes)
    keys = sorted({k for per in stores.values() for k in per})
    for key in keys:
        owners = ring.preference_list(key, n)
        held = {node: per.get(key, ()) for node, per in stores.items()}
        copies = {node: held.get(node, ()) for node in owners}
        if len(set(copies.values())) > 1:
            shown = "; ".join(f"{node}: {len(fp)} version(s)" for node, fp in copies.items())
            problems.append(f"replicas of {key!r} differ ({shown})")
        strays = sorted(node for node, fp in held.items() if fp and node not in owners)
        if strays:
            problems.append(f"{key!r} is still held by non-replicas {strays} "
                            f"(replicas: {list(owners)})")
    left = {node: count for node, count in sorted(hints.items()) if count}
    if left:
        problems.append(f"hints never handed off: {left}")
    return problems


def writers(history: History) -> dict[str, set[str]]:
    """``{key: the clients that wrote it}``."""
    out: dict[str, set[str]] = {}
    for e in history:
        if e.type == "invoke" and e.f in ("put", "delete"):
            out.setdefault(e.value[0], set()).add(e.process)
    return out


def _read_value(ids: Iterable[Any]) -> Any:
    values = tuple(v for v in ids if not is_tombstone(v))
    if not values:
        return None
    return values[0] if len(values) == 1 else values   # siblings: no register state


def register_ops(history: History, key: str) -> list[Op]:
    """The operations on ``key`` as a register's (``distlab.consistency.models.register``):
    a put writes its value, a delete writes ``None``, a get reads its single visible
    value (``None`` if none; a tuple of siblings, which no register state equals).
    Call and return positions are history indices, as in ``from_history``."""
    ops: list[Op] = []
    for o in history.operations():
        if o.f == "get":
            if o.input != key:
                continue
            f, arg = "read", None
            out = _read_value(o.output) if o.status == "ok" else UNKNOWN
        elif o.f in ("put", "delete"):
            if o.input[0] != key:
                continue
            f, arg = "write", (None if o.f == "delete" else o.input[1])
            out = None if o.status == "ok" else UNKNOWN
        else:
            continue
        if o.status == "fail":
            continue   # certainly did not take effect
        ret = float(o.ret_index) if o.status == "ok" else math.inf
        ops.append(Op(len(ops), o.process, f, arg, out, float(o.call_index), ret,
                      "ok" if o.status == "ok" else o.status))
    return ops


def check_register(sim: Simulation, key: str, *,
                   max_steps: int | None = 2_000_000) -> LinearizabilityResult:
    """Is the history of ``key`` linearizable as a read/write register?"""
    _, history = _parts(sim)
    return check_linearizable(register_ops(history, key), models.register(),
                              max_steps=max_steps)


def stale_reads(sim: Simulation, key: str) -> list[tuple[Any, Any, float]]:
    """Reads of a single-writer ``key`` that missed an acknowledged write.

    Returns ``(got, expected, time)`` for each read that returned a value older (in the
    writer's order) than the newest write acknowledged before the read was invoked.
    """
    _, history = _parts(sim)
    ops = history.operations()
    who = writers(history).get(key, set())
    if len(who) > 1:
        raise ValueError(f"stale_reads needs a key with one writer; {key!r} has {sorted(who)}")
    order: dict[Any, int] = {None: -1}
    acked: list[tuple[int, int, Any]] = []   # (ret index, position, value)
    for o in ops:
        if o.f in ("put", "delete") and o.input[0] == key:
            value = None if o.f == "delete" else o.input[1]
            order[value] = len(order)
            if o.status == "ok":
                acked.append((o.ret_index, order[value], value))
    out = []
    for o in ops:
        if o.f != "get" or o.input != key or o.status != "ok":
            continue
        before = [a for a in acked if a[0] < o.call_index]
        if not before:
            continue
        _, pos, expected = max(before, key=lambda a: a[1])
        got = _read_value(o.output)
        if order.get(got, -1) < pos:
            out.append((got, expected, o.call))
    return out


def availability(sim: Simulation) -> dict[str, Counter]:
    """``{"get": Counter(ok=.., fail=.., info=..), "put": ..., "delete": ...}``."""
    _, history = _parts(sim)
    out: dict[str, Counter] = {}
    for o in history.operations():
        out.setdefault(o.f, Counter())[o.status] += 1
    return out
