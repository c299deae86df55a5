"""The Byzantine generals and the oral-messages algorithm OM(m) (Lamport, Shostak &
Pease 1982, §3), in synchronous rounds driven by timers.

A commander sends an order (``attack`` or ``retreat``) to ``n - 1`` lieutenants, of
whom some may be traitors (the commander too). The requirements (§1):

- **IC1**: all loyal lieutenants obey the same order;
- **IC2**: if the commander is loyal, every loyal lieutenant obeys the order it sends.

OM(0): the commander sends its value; each lieutenant uses what it received, or
``retreat`` if nothing arrived. OM(m), m > 0: the commander sends its value; each
lieutenant ``i`` then acts as the commander of OM(m-1) to relay the value it got to
the ``n - 2`` others; finally ``i`` takes the *majority* of the value it got from the
commander and the values the others relayed (``retreat`` if there is no majority).

Here every message carries the ``path`` it was relayed along (``("C", "L2")``: L2
says the commander told it ``value``), which is how the recursion is run in rounds:
paths of length ``k`` travel in round ``k``. The synchronous model is the network's
constant latency (1) being shorter than a round (2): a message that is not there by
the end of its round was not sent (assumption A3). With ``n >= 3m+1`` generals OM(m)
meets IC1 and IC2 whatever ``m`` traitors do (Theorem 1); with three generals and one
traitor no algorithm can (§2), which ``exhaustive`` shows for OM(1): either tie rule
loses one of IC1 and IC2 to some traitor. Taught in notebook 2.5.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import Constant, Network, Node, Simulation
from .messages import Order

__all__ = ["ATTACK", "RETREAT", "STRATEGIES", "General", "TraitorGeneral", "majority",
           "run_om", "decisions", "check_generals", "om_messages", "traitor_messages",
           "exhaustive", "Outcome"]

ATTACK, RETREAT = "attack", "retreat"
VALUES = (ATTACK, RETREAT)
STRATEGIES = ("flip", "split", "silent")
ROUND = 2.0


def majority(values: Sequence[str], *, tie: str = "retreat") -> str:
    """The value more than half of ``values`` hold; on a tie, ``retreat`` (the paper's
    default) or, with ``tie="commander"``, ``values[0]`` (the sender's own word)."""
    if tie not in ("retreat", "commander"):
        raise ValueError(f"tie must be 'retreat' or 'commander', got {tie!r}")
    if not values:
        return RETREAT
    value, count = Counter(values).most_common(1)[0]
    if 2 * count > len(values):
        return value
    return values[0] if tie == "commander" else RETREAT


class General(Node):
    """A loyal general running OM(``m``) among ``generals``; ``generals[0]`` commands.

    The commander sends ``order``; lieutenants relay in rounds and decide at the end
    (``output("decide", value)``). ``tie`` chooses the tie rule of ``majority``.
    """

    def __init__(self, generals: Sequence[str], m: int, order: str | None = None, *,
                 tie: str = "retreat", round_length: float = ROUND) -> None:
        self.generals = tuple(generals)
        self.commander = self.generals[0]
        self.m = m
        self.order = order
        self.tie = tie
        self.round_length = round_length
        self.received: dict[tuple[str, ...], str] = {}
        self.decision: str | None = None

    def on_start(self) -> None:
        if self.id == self.commander:
            for dst in self.generals[1:]:
                self._say((self.commander,), dst, self.order)
            self.decision = self.order
            return
        for k in range(1, self.m + 1):
            self.set_timer(k * self.round_length, "round", k)
        self.set_timer((self.m + 1) * self.round_length, "decide")

    def _say(self, path: tuple[str, ...], dst: str, value: str | None) -> None:
        """Send ``value`` along ``path`` to ``dst`` (traitors override this)."""
        if value is not None:
            self.send(dst, Order(path, value))

    def on_message(self, src: str, msg: Order) -> None:
        path = msg.path
        k = len(path)
        if (not isinstance(msg, Order) or src != path[-1] or path[0] != self.commander
                or self.id in path or len(set(path)) != k or k > self.m + 1
                or self.now >= k * self.round_length or msg.value not in VALUES):
            return                                   # not a well-formed, timely oral message
        self.received.setdefault(path, msg.value)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "round":                          # relay what arrived in round `payload`
            for path, value in sorted(self.received.items()):
                if len(path) == payload:
                    relay = path + (self.id,)
                    for dst in self.generals:
                        if dst not in relay:
                            self._say(relay, dst, value)
        elif name == "decide":
            self.decision = self.resolve((self.commander,))
            self.output("decide", self.decision)

    def resolve(self, path: tuple[str, ...]) -> str:
        """The value this lieutenant uses for the OM sub-run whose commander is
        ``path[-1]``: at depth ``m+1`` what it received; above, the majority of what
        it received and what each other lieutenant's sub-run gives."""
        value = self.received.get(path, RETREAT)
        if len(path) == self.m + 1:
            return value
        others = [self.resolve(path + (j,)) for j in self.generals
                  if j not in path and j != self.id]
        return majority([value] + others, tie=self.tie)

    def state(self) -> dict[str, Any]:
        return {"heard": len(self.received), "decision": self.decision or "-"}


class TraitorGeneral(General):
    """A traitor: runs the algorithm but lies in what it sends.

    ``strategy`` is ``"flip"`` (say the opposite), ``"split"`` (``attack`` to every
    other recipient, ``retreat`` to the rest), ``"silent"``, a table
    ``{(path, dst): value or None}`` (missing entries: the truth), or a function
    ``(path, dst, true_value) -> value or None``.
    """

    def __init__(self, generals: Sequence[str], m: int, order: str | None = None, *,
                 strategy: Any = "split", **kwargs: Any) -> None:
        super().__init__(generals, m, order, **kwargs)
        if isinstance(strategy, str) and strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, a table or a function, "
                             f"got {strategy!r}")
        self.strategy = strategy

    def _say(self, path: tuple[str, ...], dst: str, value: str | None) -> None:
        s = self.strategy
        truth = value or ATTACK
        if s == "flip":
            lie = RETREAT if truth == ATTACK else ATTACK
        elif s == "split":
            lie = ATTACK if self.generals.index(dst) % 2 == 1 else RETREAT
        elif s == "silent":
            lie = None
        elif isinstance(s, Mapping):
            lie = s.get((path, dst), truth)
        else:
            lie = s(path, dst, truth)
        super()._say(path, dst, lie)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "decide":
            return                                   # a traitor's decision is not judged
        super().on_timer(name, payload)


def _names(n: int) -> tuple[str, ...]:
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2 (a commander and lieutenants), got {n!r}")
    return ("C",) + tuple(f"L{i}" for i in range(1, n))


def run_om(n: int = 4, m: int = 1, traitors: Mapping[str, Any] | None = None,
           order: str = ATTACK, *, tie: str = "retreat", seed: int = 0) -> Simulation:
    """Run OM(``m``) with ``n`` generals ``C, L1, ..., L{n-1}``; ``traitors`` maps a
    general to its strategy (see ``TraitorGeneral``). Returns the finished simulation."""
    names = _names(n)
    if isinstance(m, bool) or not isinstance(m, int) or m < 0:
        raise ValueError(f"m must be a non-negative int, got {m!r}")
    if order not in VALUES:
        raise ValueError(f"order must be {ATTACK!r} or {RETREAT!r}, got {order!r}")
    majority([], tie=tie)                            # validates tie
    traitors = dict(traitors or {})
    for t in traitors:
        if t not in names:
            raise ValueError(f"traitor {t!r} is not a general; generals are {names}")
    sim = Simulation(seed=seed, network=Network(latency=Constant(1.0)))
    for g in names:
        if g in traitors:
            sim.add_node(g, TraitorGeneral, generals=names, m=m, order=order, tie=tie,
                         strategy=traitors[g])
        else:
            sim.add_node(g, General, generals=names, m=m, order=order, tie=tie)
    sim.run(until=(m + 1) * ROUND + 1)
    return sim


def decisions(sim: Simulation) -> dict[str, str]:
    """What each loyal lieutenant decided (from the trace's ``decide`` outputs)."""
    return {e.node: e.msg for e in sim.trace.outputs("decide")}


def check_generals(sim: Simulation, order: str = ATTACK) -> list[str]:
    """IC1 and IC2 for a finished run (traitors are the ``TraitorGeneral`` nodes)."""
    decided = decisions(sim)
    loyal_commander = not isinstance(sim.node("C"), TraitorGeneral)
    problems = []
    if len(set(decided.values())) > 1:
        split = ", ".join(f"{g} {v}s" for g, v in sorted(decided.items()))
        problems.append(f"IC1: loyal lieutenants disagree ({split})")
    if loyal_commander:
        wrong = sorted(g for g, v in decided.items() if v != order)
        if wrong:
            problems.append(f"IC2: the loyal commander ordered {order}, but "
                            f"{', '.join(wrong)} did not obey")
    return problems


def om_messages(n: int, m: int) -> int:
    """Messages OM(m) sends among ``n`` generals: ``(n-1) + (n-1)(n-2) + ...``,
    ``m+1`` terms (every general relays every path it is not on)."""
    _names(n)
    total, term = 0, 1
    for k in range(1, min(m, n - 2) + 2):
        term *= n - k
        total += term
    return total


def traitor_messages(n: int, m: int, traitor: str) -> list[tuple[tuple[str, ...], str]]:
    """Every ``(path, dst)`` a traitor sends in OM(m) when all others are loyal."""
    names = _names(n)
    if traitor not in names:
        raise ValueError(f"traitor must be one of {names}, got {traitor!r}")
    out = []
    lieutenants = [g for g in names[1:] if g != traitor]
    for k in range(1, m + 2):
        if traitor == "C":
            mids: Iterable[tuple[str, ...]] = [()] if k == 1 else []
        else:
            mids = itertools.permutations(lieutenants, k - 2) if k >= 2 else []
        for mid in mids:
            path = ("C",) + tuple(mid) + (() if traitor == "C" else (traitor,))
            for dst in names:
                if dst not in path:
                    out.append((path, dst))
    return out


@dataclass(frozen=True)
class Outcome:
    """One run of ``exhaustive``: the traitor's table and what the loyal decided."""

    table: tuple[tuple[tuple[tuple[str, ...], str], str | None], ...]
    decisions: tuple[tuple[str, str], ...]
    problems: tuple[str, ...]


def exhaustive(n: int, m: int, traitor: str, *, order: str = ATTACK, tie: str = "retreat",
               limit: int = 2000) -> list[Outcome]:
    """Run OM(m) against *every* strategy of one traitor: each message it sends may
    say ``attack``, ``retreat`` or nothing. Refuses more than ``limit`` runs."""
    sends = traitor_messages(n, m, traitor)
    count = 3 ** len(sends)
    if count > limit:
        raise ValueError(f"{count} strategies (3^{len(sends)}) is more than limit={limit}")
    out = []
    for choice in itertools.product((ATTACK, RETREAT, None), repeat=len(sends)):
        table = dict(zip(sends, choice))
        sim = run_om(n, m, {traitor: table}, order, tie=tie)
        out.append(Outcome(tuple(table.items()), tuple(sorted(decisions(sim).items())),
                           tuple(check_generals(sim, order))))
    return out
