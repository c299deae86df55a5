"""A linearizability checker: Wing & Gong's search with Lowe's memoisation.

The history becomes a list of call and return entries in real-time order. The search
(Wing & Gong 1993, as improved by Lowe 2017 and used by Porcupine) walks the list: at
a call it tries to *linearize* that operation now (apply it to the model's state); if
the step is legal and the pair (set of linearized operations, state) has not been
seen before, it removes the call and its return from the list and starts again from
the front; at a return it has not got rid of, the operation returning there should
already have taken effect, so the search backtracks. The history is linearizable iff
the list can be emptied. The cache of (set, state) pairs is what makes it fast: the
same configuration is never explored twice.

Speed comes from doing little per step: states are interned as small integers, each
operation keeps a table from state id to next state id (-1: illegal), the set of
linearized operations is a Python int used as a bitset, and the list is two arrays.

One pruning cuts the number of steps (by 4x on Porcupine's etcd logs): a *read-only*
operation (one that changes no state wherever it is placed, as the model declares:
a read, a failed cas) that is legal now can always be linearized first, so once the
search has exhausted that choice it backtracks past the configuration before it too.

Histories of independent objects (keys) are checked separately (locality); the
searches are interleaved in slices so that one hard key cannot delay the verdict
when another key is already known to be non-linearizable.

Taught in notebook 2.2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .models import Model
from .operations import UNKNOWN, Op, as_ops

__all__ = ["check_linearizable", "LinearizabilityResult", "PartitionResult", "Search",
           "linearization_points"]

Verdict = Literal["linearizable", "not linearizable", "unknown"]


@dataclass
class PartitionResult:
    """The verdict for one independent part of a history (one key)."""

    ops: list[Op]
    verdict: Verdict
    linearization: list[Op] = field(default_factory=list)
    longest_partial: list[Op] = field(default_factory=list)
    unplaceable: list[Op] = field(default_factory=list)
    steps: int = 0


@dataclass
class LinearizabilityResult:
    """The verdict for a whole history.

    ``linearization`` (when linearizable): for each part, a legal order of its ops
    consistent with real time, concatenated part after part. When not linearizable:
    ``failed`` is the part that failed, ``longest_partial`` the longest sequence of
    its operations the search could linearize, and ``unplaceable`` the operations
    that could not be placed next.
    """

    verdict: Verdict
    partitions: list[PartitionResult]
    steps: int

    @property
    def linearizable(self) -> bool:
        return self.verdict == "linearizable"

    @property
    def failed(self) -> PartitionResult | None:
        return next((p for p in self.partitions if p.verdict == "not linearizable"), None)

    @property
    def linearization(self) -> list[Op]:
        return [op for p in self.partitions for op in p.linearization]

    @property
    def longest_partial(self) -> list[Op]:
        f = self.failed
        return f.longest_partial if f else []

    @property
    def unplaceable(self) -> list[Op]:
        f = self.failed
        return f.unplaceable if f else []

    def __repr__(self) -> str:
        extra = ""
        if self.failed:
            extra = f", cannot place {len(self.unplaceable)} op(s) after " \
                    f"{len(self.longest_partial)}"
        return (f"LinearizabilityResult({self.verdict!r}, {len(self.partitions)} part(s), "
                f"{self.steps} steps{extra})")


class Search:
    """A resumable search over one part of a history (one key).

    ``run(budget)`` advances by at most ``budget`` steps and returns the verdict so
    far: ``True`` (linearizable), ``False`` (not) or ``None`` (not decided yet).
    """

    def __init__(self, ops: list[Op], model: Model, *, prune: bool = True,
                 memoize: bool = True) -> None:
        self.ops = ops
        self.model = model
        self.prune = prune
        self.memoize = memoize
        n = len(ops)
        # Entries 1..2n: calls and returns in real-time order; 0 is the head sentinel.
        # At equal times, calls come first (touching operations count as concurrent).
        events = []
        for i, op in enumerate(ops):
            events.append((op.call, 0, i))
            events.append((op.ret, 1, i))
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        size = 2 * n + 1
        self.nxt = list(range(1, size)) + [-1]
        self.prv = [-1] + list(range(0, size - 1))
        # code[e] = i for the call of op i, ~i (negative) for its return.
        self.code = [-1] * size
        self.match = [-1] * size
        call_entry = [0] * n
        for pos, (_, kind, i) in enumerate(events, start=1):
            if kind == 0:
                self.code[pos] = i
                call_entry[i] = pos
            else:
                self.code[pos] = ~i
                self.match[call_entry[i]] = pos
        # States interned as ints; per-op transition tables filled on demand.
        self.states: list[Any] = [model.init]
        self.state_id: dict[Any, int] = {model.init: 0}
        self.trans: list[dict[int, int]] = [{} for _ in range(n)]
        self.inputs = [(op.f, op.input) for op in ops]
        self.outputs = [op.output for op in ops]
        self.readonly = [bool(model.read_only(inp, out))
                         for inp, out in zip(self.inputs, self.outputs)]
        # Search state.
        self.entry = self.nxt[0]
        self.sid = 0
        self.lin = 0
        self.bits = [1 << i for i in range(n)]
        self.stack: list[int] = []  # entry, state id, entry, state id, ...
        # The cache of (linearized set, state): one set of bitsets per state id.
        self.seen: list[set[int]] = [{0}]
        self.steps = 0
        self.best: list[int] = []
        self.best_frontier = 0
        self.result: bool | None = None if n else True

    def _next_state(self, i: int, sid: int) -> int:
        legal, new = self.model.step(self.states[sid], self.inputs[i], self.outputs[i])
        if not legal:
            t = -1
        else:
            t = self.state_id.get(new)
            if t is None:
                t = self.state_id[new] = len(self.states)
                self.states.append(new)
                self.seen.append(set())
        self.trans[i][sid] = t
        return t

    def run(self, budget: int | None = None) -> bool | None:
        """Advance the search; see the class docstring."""
        if self.result is not None:
            return self.result
        nxt, prv, code, match = self.nxt, self.prv, self.code, self.match
        trans, seen, bits, stack = self.trans, self.seen, self.bits, self.stack
        entry, sid, lin = self.entry, self.sid, self.lin
        prune, readonly, memoize = self.prune, self.readonly, self.memoize
        steps = 0
        limit = math.inf if budget is None else budget
        result: bool | None = None
        while steps < limit:
            if nxt[0] == -1:
                result = True
                break
            steps += 1
            i = code[entry]
            if i >= 0:  # a call: try to linearize operation i now
                t = trans[i].get(sid)
                if t is None:
                    t = self._next_state(i, sid)
                if t >= 0:
                    new_lin = lin | bits[i]
                    known = seen[t]
                    if new_lin not in known:
                        if memoize:
                            known.add(new_lin)
                        stack.append(entry)
                        stack.append(sid)
                        sid, lin = t, new_lin
                        # lift the call and its return out of the list
                        r = match[entry]
                        n_, p_ = nxt[entry], prv[entry]
                        nxt[p_] = n_
                        prv[n_] = p_
                        n_, p_ = nxt[r], prv[r]
                        nxt[p_] = n_
                        if n_ != -1:
                            prv[n_] = p_
                        entry = nxt[0]
                        continue
                entry = nxt[entry]
            else:  # a return whose operation has not taken effect: backtrack
                depth = len(stack) >> 1
                if depth > len(self.best):
                    self.best = [code[e] for e in stack[0::2]]
                    self.best_frontier = entry
                while True:
                    if not stack:
                        result = False
                        break
                    sid = stack.pop()
                    entry = stack.pop()
                    lin ^= bits[code[entry]]
                    # unlift: put the return back, then the call
                    r = match[entry]
                    n_ = nxt[r]
                    if n_ != -1:
                        prv[n_] = r
                    nxt[prv[r]] = r
                    prv[nxt[entry]] = entry
                    nxt[prv[entry]] = entry
                    if not (prune and readonly[code[entry]]):
                        break
                    # The undone operation is read-only: legal here, it changes no
                    # state wherever it is placed. Any linearization from this
                    # configuration can be rearranged to take it first, and that was
                    # just exhausted: this configuration is dead too. Backtrack again.
                    steps += 1
                if result is False:
                    break
                entry = nxt[entry]
        self.entry, self.sid, self.lin = entry, sid, lin
        self.steps += steps
        self.result = result
        return result

    def partition_result(self) -> PartitionResult:
        ops = self.ops
        if self.result is True:
            order = [ops[self.code[e]] for e in self.stack[0::2]]
            return PartitionResult(ops, "linearizable", linearization=order, steps=self.steps)
        if self.result is False:
            return PartitionResult(ops, "not linearizable",
                                   longest_partial=[ops[i] for i in self.best],
                                   unplaceable=self._unplaceable(), steps=self.steps)
        return PartitionResult(ops, "unknown", longest_partial=[ops[i] for i in self.best],
                               steps=self.steps)

    def _unplaceable(self) -> list[Op]:
        """After the longest partial linearization: the operations that had to come
        next (called before the first pending return) but none of which fits."""
        placed = set(self.best)
        if self.best_frontier <= 0:
            return []
        frontier_op = ~self.code[self.best_frontier]
        deadline = self.ops[frontier_op].ret
        return [op for i, op in enumerate(self.ops)
                if i not in placed and op.call <= deadline]


def check_linearizable(history: Any, model: Model, *, max_steps: int | None = None,
                       slice_steps: int = 20_000, prune: bool = True, memoize: bool = True,
                       stop: Callable[[], bool] | None = None) -> LinearizabilityResult:
    """Is ``history`` (a ``History`` or a list of ``Op``) linearizable for ``model``?

    Parts (keys) are searched in interleaved slices of ``slice_steps``; the first part
    found non-linearizable decides. With ``max_steps`` (a deterministic budget, summed
    over parts) the answer may be ``"unknown"``: the checker never hangs. ``stop()``,
    if given, is asked between slices whether to give up (the command line uses it
    for a time limit); giving up also answers ``"unknown"``. ``prune=False`` turns off
    the read-only pruning, ``memoize=False`` the cache of (linearized set, state)
    (plain Wing & Gong backtracking): for measuring what each buys (notebook 2.2;
    compare ``models.kv()`` with ``models.kv(partitioned=False)`` for partitioning);
    the verdict is the same.
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a distlab.consistency Model (e.g. models.register()), "
                        f"got {model!r}")
    if max_steps is not None and (not isinstance(max_steps, int) or max_steps < 1):
        raise ValueError(f"max_steps must be a positive int or None, got {max_steps!r}")
    if not isinstance(slice_steps, int) or slice_steps < 1:
        raise ValueError(f"slice_steps must be a positive int, got {slice_steps!r}")
    ops = as_ops(history)
    model.check_functions(ops)
    parts = model.partition(ops) if model.partition else [ops]
    searches = [Search(p, model, prune=prune, memoize=memoize) for p in parts]
    pending = [s for s in searches if s.result is None]
    total = 0
    failed = out_of_budget = False
    while pending and not (failed or out_of_budget):
        unfinished = []
        for s in pending:
            if stop is not None and stop():
                out_of_budget = True
                break
            budget = slice_steps if max_steps is None else min(slice_steps, max_steps - total)
            if budget <= 0:
                out_of_budget = True
                break
            before = s.steps
            r = s.run(budget)
            total += s.steps - before
            if r is False:
                failed = True
                break
            if r is None:
                unfinished.append(s)
        pending = unfinished
    if failed:
        verdict: Verdict = "not linearizable"
    elif all(s.result is True for s in searches):
        verdict = "linearizable"
    else:
        verdict = "unknown"
    return LinearizabilityResult(verdict, [s.partition_result() for s in searches], total)


def linearization_points(order: list[Op]) -> dict[int, float]:
    """A point in time for each op of a legal order, inside its [call, ret] interval.

    Greedy: each op takes effect at the latest of its call and the previous op's
    point (nudged forward), which stays before its return because the order respects
    real time. Used to draw the points on a history picture.
    """
    points: dict[int, float] = {}
    last = -math.inf
    for op in order:
        p = max(op.call, last)
        if p == last and math.isfinite(op.ret):
            p = min(op.ret, last + 1e-9 + 0.25 * (op.ret - last))
        points[op.id] = p
        last = p
    return points
