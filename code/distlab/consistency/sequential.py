"""Sequential consistency (Lamport 1979): some interleaving of the processes' operations,
each process in its own order, is legal for the model. Real time between processes
does not matter (that is the difference from linearizability).

The checker searches interleavings depth first, memoising (position of each process,
state): exponential in the worst case, fine for the small histories it is meant for.
An operation with an unknown outcome may be left out, and its client goes on as a
new process (Jepsen's rule), so it is the last of its process. Taught in notebook 2.1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import Model
from .operations import Op, as_ops, retire_after_unknown

__all__ = ["check_sequential", "SequentialResult"]


@dataclass
class SequentialResult:
    """``consistent`` with a witness ``order``, or not, with the longest legal prefix
    found and the operations that could not come next."""

    consistent: bool
    order: list[Op] = field(default_factory=list)
    longest_partial: list[Op] = field(default_factory=list)
    stuck: list[Op] = field(default_factory=list)
    states_explored: int = 0
    verdict: str = ""

    def __post_init__(self) -> None:
        self.verdict = "sequentially consistent" if self.consistent else \
            "not sequentially consistent"


def check_sequential(history: Any, model: Model, *, max_states: int = 200_000
                     ) -> SequentialResult:
    """Is ``history`` sequentially consistent for ``model``?

    Raises ``ValueError`` if the search would explore more than ``max_states``
    configurations (use it on small histories).
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a distlab.consistency Model, got {model!r}")
    ops = retire_after_unknown(as_ops(history))
    model.check_functions(ops)
    procs: dict[str, list[Op]] = {}
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        procs.setdefault(op.process, []).append(op)
    names = sorted(procs)
    seqs = [procs[p] for p in names]
    for p, seq in zip(names, seqs):
        for op in seq[:-1]:
            if not op.known:
                raise ValueError(f"process {p!r} has an operation with an unknown outcome "
                                 f"({op!r}) that is not its last")
    dead: set[tuple[tuple[int, ...], Any]] = set()
    best: list[Op] = []
    best_stuck: list[Op] = []
    path: list[Op] = []

    def done(pos: tuple[int, ...]) -> bool:
        return all(i == len(s) or (i == len(s) - 1 and not s[i].known)
                   for i, s in zip(pos, seqs))

    def search(pos: tuple[int, ...], state: Any) -> bool:
        nonlocal best, best_stuck
        if done(pos):
            return True
        if (pos, state) in dead:
            return False
        if len(dead) >= max_states:
            raise ValueError(f"sequential consistency search passed max_states={max_states}; "
                             f"it is meant for small histories")
        for k, (i, seq) in enumerate(zip(pos, seqs)):
            if i == len(seq):
                continue
            op = seq[i]
            legal, new = model.step(state, (op.f, op.input), op.output)
            if legal:
                path.append(op)
                if search(pos[:k] + (i + 1,) + pos[k + 1:], new):
                    return True
                path.pop()
        if len(path) >= len(best):
            best = list(path)
            best_stuck = [seq[i] for i, seq in zip(pos, seqs) if i < len(seq)]
        dead.add((pos, state))
        return False

    ok = search(tuple(0 for _ in seqs), model.init)
    if ok:
        return SequentialResult(True, order=list(path), states_explored=len(dead))
    return SequentialResult(False, longest_partial=best, stuck=best_stuck,
                            states_explored=len(dead))
