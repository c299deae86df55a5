"""Causal consistency of read/write histories, by bad patterns.

For *differentiated* histories (every write writes a distinct value, so each read
tells which write it read from), Bouajjani, Enea, Guerraoui and Hamza (POPL 2017)
show that a history is causally consistent (CC) iff it contains none of four bad
patterns, stated with the causal order co = (program order ∪ reads-from)⁺:

- **CyclicCO**: co is cyclic (a write is in its own causal past);
- **ThinAirRead**: a read returns a value no write wrote;
- **WriteCOInitRead**: a read returns the initial value although a write to the same
  key is in its causal past;
- **WriteCORead**: a read returns the value of ``w1`` although another write ``w2`` to
  the same key satisfies ``w1 co w2 co read`` (it read a value its own causal past
  had overwritten).

Operations: ``write`` with input ``(key, value)`` and ``read`` with input ``key``,
returning the value (``initial`` when unwritten). Failed operations are left out;
a write with an unknown outcome may have been read from, and the client that issued
it continues as a new process (Jepsen's rule). Taught in notebook 2.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .operations import Op, as_ops, retire_after_unknown

__all__ = ["check_causal", "CausalResult"]


@dataclass
class CausalResult:
    """``consistent``, or the violations: ``(pattern, [ops involved])`` pairs."""

    consistent: bool
    violations: list[tuple[str, list[Op]]] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        return "causally consistent" if self.consistent else "not causally consistent"


def _key(op: Op) -> Any:
    return op.input if op.f == "read" else op.input[0]


def check_causal(history: Any, *, initial: Any = None) -> CausalResult:
    """Check a differentiated read/write history for causal consistency (CC)."""
    ops = [op for op in retire_after_unknown(as_ops(history)) if op.status != "fail"]
    for op in ops:
        if op.f not in ("read", "write"):
            raise ValueError(f"{op!r}: causal checking knows read(key) and "
                             f"write((key, value)) only")
    writes: dict[tuple[Any, Any], Op] = {}
    for op in ops:
        if op.f == "write":
            k = (op.input[0], op.input[1])
            if k in writes:
                raise ValueError(f"the history is not differentiated: {op!r} and "
                                 f"{writes[k]!r} write the same value {op.input[1]!r} to "
                                 f"key {op.input[0]!r}")
            if op.input[1] == initial:
                raise ValueError(f"{op!r} writes the initial value {initial!r}; "
                                 f"give writes distinct, non-initial values")
            writes[k] = op
    n = len(ops)
    index = {op.id: i for i, op in enumerate(ops)}
    succ: list[set[int]] = [set() for _ in range(n)]
    by_proc: dict[str, list[Op]] = {}
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        by_proc.setdefault(op.process, []).append(op)
    for seq in by_proc.values():
        for a, b in zip(seq, seq[1:]):
            succ[index[a.id]].add(index[b.id])
    violations: list[tuple[str, list[Op]]] = []
    read_from: dict[int, int] = {}
    for op in ops:
        if op.f == "read" and op.known and op.output != initial:
            w = writes.get((op.input, op.output))
            if w is None:
                violations.append(("ThinAirRead", [op]))
            else:
                succ[index[w.id]].add(index[op.id])
                read_from[index[op.id]] = index[w.id]
    # transitive closure of co as bitsets (small histories)
    reach = [0] * n
    order = _topological(succ)
    if order is None:
        cyc = _a_cycle(succ)
        violations.append(("CyclicCO", [ops[i] for i in cyc]))
        return CausalResult(False, violations)
    for i in reversed(order):
        r = 0
        for j in succ[i]:
            r |= (1 << j) | reach[j]
        reach[i] = r

    def co(a: int, b: int) -> bool:
        return bool(reach[a] >> b & 1)

    writes_by_key: dict[Any, list[int]] = {}
    for i, op in enumerate(ops):
        if op.f == "write":
            writes_by_key.setdefault(op.input[0], []).append(i)
    for i, op in enumerate(ops):
        if op.f != "read" or not op.known:
            continue
        same_key = writes_by_key.get(op.input, [])
        if op.output == initial:
            past = [w for w in same_key if co(w, i)]
            if past:
                violations.append(("WriteCOInitRead", [ops[past[0]], op]))
            continue
        w1 = read_from.get(i)
        if w1 is None:
            continue
        for w2 in same_key:
            if w2 != w1 and co(w1, w2) and co(w2, i):
                violations.append(("WriteCORead", [ops[w1], ops[w2], op]))
                break
    return CausalResult(not violations, violations)


def _topological(succ: list[set[int]]) -> list[int] | None:
    indeg = [0] * len(succ)
    for s in succ:
        for j in s:
            indeg[j] += 1
    ready = [i for i, d in enumerate(indeg) if d == 0]
    out = []
    while ready:
        i = ready.pop()
        out.append(i)
        for j in sorted(succ[i]):
            indeg[j] -= 1
            if indeg[j] == 0:
                ready.append(j)
    return out if len(out) == len(succ) else None


def _a_cycle(succ: list[set[int]]) -> list[int]:
    color = [0] * len(succ)
    stack: list[int] = []

    def dfs(i: int) -> list[int] | None:
        color[i] = 1
        stack.append(i)
        for j in sorted(succ[i]):
            if color[j] == 1:
                return stack[stack.index(j):]
            if color[j] == 0:
                found = dfs(j)
                if found:
                    return found
        stack.pop()
        color[i] = 2
        return None

    for i in range(len(succ)):
        if color[i] == 0:
            found = dfs(i)
            if found:
                return found
    return []
