"""Judging replicated runs from their histories and traces.

- ``log_model``: the sequential specification of the append-only log that the
  primary-backup and chain experiments replicate, for ``distlab.consistency``'s
  linearizability checker.
- ``lost_appends``: acknowledged appends missing from the final read (Jepsen's test for
  lost writes). ``stale_log_reads``: reads that miss an append acknowledged before the
  read began.
- ``stale_reads``: for key-value histories (reads return the *siblings*, a tuple of
  values): reads all of whose values were definitely overwritten before the read began.
  Applied to the reads made after the faults stop, it finds **lost updates**: a write
  acknowledged after another, yet gone for good.
- ``check_primary_backup``, ``check_chain``, ``check_quorum``, ``check_multileader``:
  chaos-style seed checks (``distlab.chaos``): build a run from the seed, inject
  random faults, judge it, return ``Violation`` s that name the seed.

Taught in notebook 2.9.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..chaos import Violation
from ..consistency import UNKNOWN, Model, Op, from_history
from ..sim import History

__all__ = ["log_model", "observed_only", "log_linearizable", "acknowledged_appends",
           "lost_appends", "stale_log_reads", "stale_reads", "judge_log", "lost_updates",
           "diverged", "last_final_read", "final_carts", "missing_items", "PB_MODES",
           "CHAIN_MODES", "QUORUM_MODES", "MULTILEADER_MODES", "CART_MODES",
           "check_primary_backup", "check_chain", "check_quorum", "check_multileader",
           "check_cart"]


# --- the append-only log ------------------------------------------------------------------
def log_model() -> Model:
    """An append-only log: ``append(v)``; ``read() -> tuple`` of every value, in order."""

    def step(state: tuple, inp: tuple[str, Any], out: Any) -> tuple[bool, tuple]:
        f, arg = inp
        if f == "append":
            return True, state + (arg,)
        if f == "read":
            return (out is UNKNOWN or tuple(out) == state), state
        raise ValueError(f"the log has no operation {f!r}")

    def describe(inp: tuple[str, Any], out: Any) -> str:
        f, arg = inp
        if f == "append":
            return f"append {arg!r}" + (" ?" if out is UNKNOWN else "")
        return "read → " + ("?" if out is UNKNOWN else repr(list(out)))

    return Model("log", (), step, functions=("append", "read"),
                 describe_operation=describe, read_only=lambda inp, out: inp[0] == "read",
                 describe_state=lambda s: repr(list(s)))


def _ops(history: History | Iterable[Op]) -> list[Op]:
    if isinstance(history, History):
        return from_history(history, by="time")
    return list(history)


def acknowledged_appends(history: History | Iterable[Op]) -> list[Any]:
    """The values whose append the client was told succeeded, in call order."""
    return [op.input for op in _ops(history) if op.f == "append" and op.status == "ok"]


def lost_appends(history: History | Iterable[Op], final: Iterable[Any],
                 before: float = math.inf) -> list[Any]:
    """Acknowledged appends that are not in ``final`` (the values of a final read);
    only appends acknowledged before time ``before`` (when that read began) count."""
    present = set(final)
    return [op.input for op in _ops(history) if op.f == "append" and op.status == "ok"
            and op.ret < before and op.input not in present]


def stale_log_reads(history: History | Iterable[Op]) -> list[tuple[Op, Op]]:
    """``(append, read)`` pairs: the append was acknowledged before the read was invoked,
    and the read does not contain its value."""
    ops = _ops(history)
    appends = [op for op in ops if op.f == "append" and op.status == "ok"]
    out = []
    for r in ops:
        if r.f != "read" or r.status != "ok" or r.output is UNKNOWN:
            continue
        seen = set(r.output)
        for a in appends:
            if a.ret < r.call and a.input not in seen:
                out.append((a, r))
    return out


def observed_only(ops: Iterable[Op]) -> list[Op]:
    """Drop the operations of unknown outcome that cannot matter: reads (any output is
    legal for them, and they change nothing) and appends whose value no successful
    read ever returned (had one taken effect, every later read would contain it, so it
    may be taken never to have happened).

    Dropping them leaves the verdict unchanged and spares the checker from trying
    every place for them.
    """
    ops = list(ops)
    seen = {v for op in ops if op.f == "read" and op.output is not UNKNOWN for v in op.output}
    return [op for op in ops if not (op.output is UNKNOWN and
                                     (op.f == "read" or op.input not in seen))]


def log_linearizable(history: History | Iterable[Op]) -> tuple[bool, str]:
    """An exact, polynomial linearizability check for the append-only log with unique
    values: ``(True, "")`` or ``(False, why)``.

    The general search (``check_linearizable(ops, log_model())``) tries orders of the
    appends; for a log the order is *observed*: every read must be a prefix of the
    longest read ``S``, so the appends it holds are ordered as in ``S``; reads of
    length ``k`` sit between the ``k``-th and ``(k+1)``-th append; acknowledged appends
    no read returned come after every read. What remains is to fit one point per
    operation inside its ``[call, return]`` interval in that order, which taking each
    point as early as possible decides. ``tests/test_replication.py`` checks that it
    agrees with the general search.
    """
    ops = observed_only(_ops(history))
    reads = [op for op in ops if op.f == "read"]
    appends = [op for op in ops if op.f == "append"]
    longest: tuple = max((tuple(r.output) for r in reads), key=len, default=())
    for r in reads:
        out = tuple(r.output)
        if out != longest[:len(out)]:
            return False, f"{r!r} is not a prefix of the longest read {list(longest)}"
    if len(set(longest)) != len(longest):
        return False, f"a value appears twice in the read {list(longest)}"
    by_value: dict[Any, Op] = {}
    for a in appends:
        if a.input in by_value:
            return False, f"two appends of the same value {a.input!r}"
        by_value[a.input] = a
    for v in longest:
        if v not in by_value:
            return False, f"the read {list(longest)} returned {v!r}, which nobody appended"
    groups: dict[int, list[Op]] = {}
    for r in reads:
        groups.setdefault(len(r.output), []).append(r)
    point = -math.inf

    def place(op: Op, after: float) -> float | None:
        p = max(op.call, after)
        return p if p <= op.ret else None

    def place_group(k: int, after: float) -> tuple[float, str]:
        latest = after
        for r in groups.get(k, []):
            p = place(r, after)
            if p is None:
                missing = by_value[longest[k - 1]] if k else None
                return math.nan, (f"{r!r} must follow {missing!r}" if missing else
                                  f"{r!r} cannot be placed")
            latest = max(latest, p)
        return latest, ""

    point, why = place_group(0, point)
    if why:
        return False, why
    for k, v in enumerate(longest, start=1):
        p = place(by_value[v], point)
        if p is None:
            return False, (f"{by_value[v]!r} returned before a read that missed it was "
                           f"invoked")
        point, why = place_group(k, p)
        if why:
            return False, why
    for a in appends:
        if a.input not in set(longest) and place(a, point) is None:
            return False, f"{a!r} was acknowledged before a read that misses it began"
    return True, ""


def judge_log(history: History | Iterable[Op], final: Iterable[Any] | None,
              before: float = math.inf) -> dict[str, Any]:
    """Everything the chapter asks of a log run: linearizability (``log_linearizable``),
    lost appends (against ``final``, the values of a final read begun at ``before``)
    and stale reads."""
    ops = _ops(history)
    ok, _ = log_linearizable(ops)
    verdict = "linearizable" if ok else "not linearizable"
    return {"linearizable": verdict,
            "lost": lost_appends(ops, final, before) if final is not None else None,
            "stale reads": len(stale_log_reads(ops))}


# --- key-value histories with siblings ----------------------------------------------------
def stale_reads(history: History | Iterable[Op]) -> list[tuple[Op, Op]]:
    """``(write, read)`` pairs where ``read`` returned only values that were definitely
    overwritten: ``write`` (same key) was acknowledged before the read began, and every
    value the read returned was written by an operation acknowledged before ``write``
    began (or is the initial, absent value).

    Writes have input ``(key, value)``; reads have input ``key`` and output the tuple of
    values (siblings) they returned. Values must be unique per key.
    """
    ops = _ops(history)
    writes: dict[Any, dict[Any, Op]] = {}
    for op in ops:
        if op.f == "write":
            key, value = op.input
            writes.setdefault(key, {})[value] = op
    out = []
    for r in ops:
        if r.f != "read" or r.status != "ok" or r.output is UNKNOWN:
            continue
        by_value = writes.get(r.input, {})
        returned = [by_value.get(v) for v in r.output]
        for w in by_value.values():
            if w.status != "ok" or not w.ret < r.call:
                continue
            if all(src is not None and src.ret < w.call for src in returned):
                out.append((w, r))
                break
    return out


# --- seed checks --------------------------------------------------------------------------
PB_MODES = ("sync", "async", "sync-failover", "async-failover")
CHAIN_MODES = ("crash", "partition", "crash-any-reads")


def last_final_read(sim: Any) -> tuple[tuple, float] | None:
    """The values of the last final read in the trace, and the time it was invoked."""
    finals = sim.trace.outputs("final read")
    if not finals:
        return None
    last = max(finals, key=lambda e: e.time)
    call = max(op.call for op in sim.history.operations()
               if op.process == last.node and op.f == "read" and op.ret == last.time)
    return tuple(last.msg), call


def _log_violations(seed: int, name: str, sim) -> list[Violation]:
    final = last_final_read(sim)
    ops = _ops(sim.history)
    out = []
    if final is None:
        out.append(Violation(seed, name, "final read", "no final read succeeded"))
    else:
        lost = lost_appends(ops, *final)
        if lost:
            out.append(Violation(seed, name, "lost acknowledged appends",
                                 f"{lost} acknowledged, missing from the final read"))
    ok, why = log_linearizable(ops)
    if not ok:
        stale = len(stale_log_reads(ops))
        out.append(Violation(seed, name, "linearizability",
                             f"{why} ({stale} stale read(s) in all)"))
    return out


def check_primary_backup(seed: int, mode: str | None = None) -> list[Violation]:
    """Primary-backup under crashes, restarts, loss and partitions; the history must be
    linearizable and keep every acknowledged append. ``mode`` is one of ``PB_MODES``
    (default ``"sync"``: expected to pass; the failover modes are expected to fail on
    some seeds)."""
    from .experiments import pb_run

    mode = mode or "sync"
    if mode not in PB_MODES:
        raise ValueError(f"mode must be one of {PB_MODES}, got {mode!r}")
    sim = pb_run(seed, mode=mode.split("-")[0], failover=mode.endswith("failover"))
    return _log_violations(seed, f"primary-backup/{mode}", sim)


def check_chain(seed: int, mode: str | None = None) -> list[Violation]:
    """Chain replication under random faults (``mode``: ``"crash"``, fail-stop crashes
    and loss, expected to pass; ``"partition"`` and ``"crash-any-reads"``, expected to
    fail on some seeds)."""
    from .experiments import chain_run

    mode = mode or "crash"
    if mode not in CHAIN_MODES:
        raise ValueError(f"mode must be one of {CHAIN_MODES}, got {mode!r}")
    sim = chain_run(seed, faults="partition" if mode == "partition" else "crash",
                    reads="any" if mode == "crash-any-reads" else "tail")
    return _log_violations(seed, f"chain/{mode}", sim)


QUORUM_MODES = ("strict", "sloppy", "r1w1", "lww-skew")
MULTILEADER_MODES = ("siblings", "lww", "lww-skew")


def lost_updates(history: History | Iterable[Op], after: float) -> list[tuple[Op, Op]]:
    """Stale reads among the reads invoked at or after time ``after`` (the final reads,
    once faults have stopped and replicas have had time to repair): a write
    acknowledged after another, and gone for good."""
    return [(w, r) for w, r in stale_reads(history) if r.call >= after]


def diverged(trace_finals: Iterable[tuple[str, tuple]]) -> list[str]:
    """Keys whose final reads (``(key, values)`` pairs) do not all agree."""
    seen: dict[str, set] = {}
    for key, values in trace_finals:
        seen.setdefault(key, set()).add(tuple(values))
    return sorted(k for k, vs in seen.items() if len(vs) > 1)


def _kv_violations(seed: int, name: str, sim, *, stale_ok: bool) -> list[Violation]:
    from .experiments import FINAL_READ

    ops = _ops(sim.history)
    out = []
    finals = [e.msg for e in sim.trace.outputs("final read")]
    if len(finals) < sum(1 for n in sim.node_ids if n.startswith("c")):
        out.append(Violation(seed, name, "final read", "a client's final reads did not all "
                                                       "succeed"))
    lost = lost_updates(ops, FINAL_READ)
    if lost:
        w, r = lost[0]
        out.append(Violation(seed, name, "lost update",
                             f"{w.input} was acknowledged at t={w.ret:.0f}, yet the final "
                             f"read {r.process} of {r.input!r} returned {list(r.output)}"))
    stale = [(w, r) for w, r in stale_reads(ops) if r.call < FINAL_READ]
    if stale and not stale_ok:
        w, r = stale[0]
        out.append(Violation(seed, name, "stale read",
                             f"{len(stale)} stale read(s), e.g. {r.process} read {r.input!r} "
                             f"at t={r.call:.0f} -> {list(r.output)}, after {w.input} was "
                             f"acknowledged at t={w.ret:.0f}"))
    split = diverged(finals)
    if split:
        out.append(Violation(seed, name, "convergence", f"final reads disagree on {split}"))
    return out


def check_quorum(seed: int, mode: str | None = None) -> list[Violation]:
    """A leaderless store under crashes, partitions and loss (``mode`` in
    ``QUORUM_MODES``): ``"strict"`` (N=3, R=2, W=2, siblings) must have no stale read
    and no lost update; ``"sloppy"`` and ``"r1w1"`` are expected to show stale reads,
    ``"lww-skew"`` (last writer wins, clocks up to 100 apart) lost updates."""
    from .experiments import quorum_run

    mode = mode or "strict"
    settings: dict[str, dict[str, Any]] = {
        "strict": {}, "sloppy": {"sloppy": True}, "r1w1": {"r": 1, "w": 1},
        "lww-skew": {"versions": "lww", "skew": 100.0}}
    kwargs = settings.get(mode)
    if kwargs is None:
        raise ValueError(f"mode must be one of {QUORUM_MODES}, got {mode!r}")
    sim = quorum_run(seed, **kwargs)
    return [v for v in _kv_violations(seed, f"quorum/{mode}", sim, stale_ok=False)
            if v.property != "convergence"]


def check_multileader(seed: int, mode: str | None = None) -> list[Violation]:
    """Two leaders under inter-site partitions and loss (``mode`` in
    ``MULTILEADER_MODES``): replicas must converge and lose no update; stale reads are
    the model (asynchronous replication) and are not reported. ``"lww-skew"`` (clocks
    up to 100 apart) is expected to lose updates."""
    from .experiments import multileader_run

    mode = mode or "siblings"
    if mode not in MULTILEADER_MODES:
        raise ValueError(f"mode must be one of {MULTILEADER_MODES}, got {mode!r}")
    sim = multileader_run(seed, resolution="siblings" if mode == "siblings" else "lww",
                          skew=100.0 if mode == "lww-skew" else 0.0)
    return _kv_violations(seed, f"multi-leader/{mode}", sim, stale_ok=True)


def final_carts(trace: Any, replicas: Iterable[str]) -> dict[str, tuple]:
    """Each replica's last reported cart (output ``"cart"``)."""
    out: dict[str, tuple] = {}
    wanted = set(replicas)
    for e in trace.outputs("cart"):
        if e.node in wanted:
            out[e.node] = tuple(e.msg)
    return out


def missing_items(history: History | Iterable[Op], cart: Iterable[Any]) -> list[Any]:
    """Items whose last acknowledged operation was an ``add`` that began after every
    ``remove`` of that item had returned, yet are not in ``cart``: adds that lost."""
    ops = [op for op in _ops(history) if op.f in ("add", "remove")]
    present = set(cart)
    out = []
    for item in sorted({op.input for op in ops}, key=repr):
        mine = [op for op in ops if op.input == item]
        adds = [op for op in mine if op.f == "add" and op.status == "ok"]
        removes = [op for op in mine if op.f == "remove"]
        last_remove = max((op.ret for op in removes), default=-math.inf)
        if any(a.call > last_remove for a in adds) and item not in present:
            out.append(item)
    return out


CART_MODES = ("orset", "2pset")


def check_cart(seed: int, mode: str | None = None) -> list[Violation]:
    """A gossiped cart under loss, duplication, crashes and partitions: replicas must
    converge, and an item added after its last remove must be in the cart.
    ``"2pset"`` is expected to fail the second property on some seeds."""
    from .experiments import cart_run

    mode = mode or "orset"
    if mode not in CART_MODES:
        raise ValueError(f"mode must be one of {CART_MODES}, got {mode!r}")
    sim = cart_run(seed, crdt=mode)
    replicas = [n for n in sim.node_ids if n.startswith("r")]
    carts = final_carts(sim.trace, replicas)
    out = []
    if len(set(carts.values())) > 1 or len(carts) < len(replicas):
        out.append(Violation(seed, f"cart/{mode}", "convergence",
                             ", ".join(f"{r}: {list(c)}" for r, c in sorted(carts.items()))))
    final = next(iter(carts.values()), ())
    lost = missing_items(sim.history, final)
    if lost:
        out.append(Violation(seed, f"cart/{mode}", "lost add",
                             f"{lost} added after their last remove, missing from "
                             f"{list(final)}"))
    return out
