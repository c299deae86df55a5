"""The simulated network: latency, loss, duplication, reordering, partitions, hooks.

A ``Network`` is configuration plus the current partition; the ``Simulation`` asks it,
for each send, what becomes of the message (``route``). Every random choice is drawn
from the stream of the directed link ``src -> dst``, so one link's traffic never changes
another link's luck.

Links are unreliable by default in the ways the asynchronous model allows: messages
may be delayed (a latency distribution per link), lost, duplicated, and reordered
(independent delays reorder naturally; ``reorder`` adds occasional long delays so that
later messages overtake; ``fifo=True`` forbids overtaking on a link, like TCP).
A partition splits the nodes into groups that cannot talk; a message that would cross
it is dropped, including one already in flight when the partition starts.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import _check
from .latency import Latency, Uniform, as_latency

__all__ = ["Network", "LinkConfig", "Envelope", "Hook"]

# Attributes whose change may switch the fast path on or off.
_BEHAVIOUR = frozenset({"loss", "duplicate", "reorder", "fifo", "_group"})


@dataclass(frozen=True, slots=True)
class Envelope:
    """A message on the wire, as a hook sees it.

    A hook may return a modified copy (``dataclasses.replace``): another ``msg`` (a
    corrupted or forged message) or a ``delay`` that replaces the sampled latency.
    """

    src: str
    dst: str
    msg: Any
    msg_id: int
    send_time: float
    delay: float | None = None


Hook = Callable[[Envelope], "Envelope | bool | None"]


@dataclass(frozen=True, slots=True)
class LinkConfig:
    """Behaviour of one directed link (``None`` fields fall back to the network's)."""

    latency: Latency | None = None
    loss: float | None = None
    duplicate: float | None = None
    reorder: float | None = None


@dataclass
class Network:
    """Network behaviour, shared by every link unless overridden with ``set_link``.

    Parameters
    ----------
    latency
        Delay distribution (or a number, or a ``(low, high)`` pair); default
        ``Uniform(1, 10)``.
    loss, duplicate
        Probability that a message is lost / delivered twice.
    reorder
        Probability that a message is held back by an extra 1–10× its latency.
    fifo
        Deliver messages on each link in the order they were sent.
    """

    latency: Any = field(default_factory=lambda: Uniform(1.0, 10.0))
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0
    fifo: bool = False

    def __post_init__(self) -> None:
        self.latency = as_latency("latency", self.latency)
        _check.probability("loss", self.loss)
        _check.probability("duplicate", self.duplicate)
        _check.probability("reorder", self.reorder)
        if not isinstance(self.fifo, bool):
            raise TypeError(f"fifo must be True or False, got {self.fifo!r}")
        self._links: dict[tuple[str, str], LinkConfig] = {}
        self._group: dict[str, int] | None = None
        self._cut: set[tuple[str, str]] = set()
        self._hooks: list[Hook] = []
        self._last_arrival: dict[tuple[str, str], float] = {}
        self._known: Callable[[str], bool] | None = None  # set by the Simulation
        self._simple = False
        self._connected_all = True
        self._refresh()

    def __setattr__(self, name: str, value: Any) -> None:
        # Keep later assignments (net.loss = 0.2) as checked as the constructor.
        if name == "latency":
            value = as_latency("latency", value)
        elif name in ("loss", "duplicate", "reorder"):
            _check.probability(name, value)
        elif name == "fifo" and not isinstance(value, bool):
            raise TypeError(f"fifo must be True or False, got {value!r}")
        object.__setattr__(self, name, value)
        if name in _BEHAVIOUR:
            self._refresh()

    def _refresh(self) -> None:
        """Recompute ``_simple``: may a send take the simulator's fast path?"""
        d = self.__dict__
        if "_hooks" not in d:
            return  # still in __init__
        simple = (not d["loss"] and not d["duplicate"] and not d["reorder"] and not d["fifo"]
                  and not d["_links"] and d["_group"] is None and not d["_cut"]
                  and not d["_hooks"])
        object.__setattr__(self, "_simple", simple)
        object.__setattr__(self, "_connected_all", d["_group"] is None and not d["_cut"])

    # --- configuration ----------------------------------------------------------------
    def set_link(self, src: str, dst: str, *, latency: Any = None, loss: float | None = None,
                 duplicate: float | None = None, reorder: float | None = None,
                 symmetric: bool = True) -> None:
        """Override the behaviour of the link ``src -> dst`` (and back, if symmetric)."""
        self._check_node("src", src)
        self._check_node("dst", dst)
        cfg = LinkConfig(
            latency=None if latency is None else as_latency("latency", latency),
            loss=None if loss is None else _check.probability("loss", loss),
            duplicate=None if duplicate is None else _check.probability("duplicate", duplicate),
            reorder=None if reorder is None else _check.probability("reorder", reorder),
        )
        self._links[(src, dst)] = cfg
        if symmetric:
            self._links[(dst, src)] = cfg
        self._refresh()

    def add_hook(self, hook: Hook) -> Hook:
        """Call ``hook(envelope)`` for every message sent between two different nodes.

        The hook returns ``None`` (leave it), ``False`` (drop it: trace reason ``hook``)
        or a replacement ``Envelope``. Returns the hook, for ``remove_hook``.
        """
        if not callable(hook):
            raise TypeError(f"hook must be callable(envelope) -> Envelope | False | None, "
                            f"got {hook!r}")
        self._hooks.append(hook)
        self._refresh()
        return hook

    def remove_hook(self, hook: Hook) -> None:
        """Remove a hook added with ``add_hook``."""
        try:
            self._hooks.remove(hook)
        except ValueError:
            raise ValueError("remove_hook: that hook was not added to this network") from None
        self._refresh()

    # --- partitions -------------------------------------------------------------------
    def set_partition(self, groups: Iterable[Iterable[str]]) -> list[tuple[str, ...]]:
        """Split the nodes into ``groups``; nodes named in no group form one more group.

        Returns the groups as applied. Use ``Simulation.partition`` to also trace it.
        """
        if isinstance(groups, (str, bytes)):
            raise TypeError("groups must be an iterable of groups of node ids, "
                            "e.g. [['n1', 'n2'], ['n3']]")
        applied: list[tuple[str, ...]] = []
        assignment: dict[str, int] = {}
        for i, group in enumerate(groups):
            if isinstance(group, str):
                raise TypeError(f"each group must be a collection of node ids, got the string "
                                f"{group!r}; write [{group!r}] for a group of one")
            members = tuple(group)
            for n in members:
                self._check_node("partition member", n)
                if n in assignment:
                    raise ValueError(f"node {n!r} appears in two partition groups")
                assignment[n] = i
            applied.append(members)
        if not applied:
            raise ValueError("partition needs at least one group; use heal() to remove one")
        self._group = assignment
        return applied

    def cut(self, src: str, dst: str) -> None:
        """Drop every message from ``src`` to ``dst`` (one direction) until healed."""
        self._check_node("src", src)
        self._check_node("dst", dst)
        self._cut.add((src, dst))
        self._refresh()

    def heal(self) -> None:
        """Remove every partition and cut."""
        self._cut.clear()
        self._group = None
        self._refresh()

    @property
    def partitioned(self) -> bool:
        """Is any partition or cut in force?"""
        return self._group is not None or bool(self._cut)

    def connected(self, src: str, dst: str) -> bool:
        """Can a message go from ``src`` to ``dst`` right now?"""
        if src == dst:
            return True
        if self._cut and (src, dst) in self._cut:
            return False
        g = self._group
        return g is None or g.get(src, -1) == g.get(dst, -1)

    # --- the per-message decision -------------------------------------------------------
    def route(self, src: str, dst: str, msg: Any, msg_id: int, now: float,
              rng: random.Random) -> tuple[list[tuple[float, Any]], tuple[float, str] | None]:
        """Decide a message's fate.

        Returns ``(arrivals, drop)``: a list of ``(arrival_time, msg)`` (two entries when
        duplicated) and, when the message is lost, ``(time, reason)``.
        """
        if src == dst:
            return [(now, msg)], None
        link = self._links.get((src, dst))
        latency = self.latency if link is None or link.latency is None else link.latency
        delay = latency.sample(rng)
        if not self.connected(src, dst):
            return [], (now + delay, "partition")
        if self._hooks:
            env = Envelope(src, dst, msg, msg_id, now)
            for hook in list(self._hooks):
                out = hook(env)
                if out is False:
                    return [], (now + delay, "hook")
                if out is None or out is True:
                    continue
                if not isinstance(out, Envelope):
                    raise TypeError(f"a network hook returned {out!r}; it must return None, "
                                    f"False or an Envelope")
                env = out
            msg = env.msg
            if env.delay is not None:
                delay = _check.number("Envelope.delay", env.delay, minimum=0.0)
        loss = self.loss if link is None or link.loss is None else link.loss
        if loss and rng.random() < loss:
            return [], (now + delay, "loss")
        reorder = self.reorder if link is None or link.reorder is None else link.reorder
        if reorder and not self.fifo and rng.random() < reorder:
            delay += delay * rng.uniform(1.0, 10.0)
        arrivals = [(now + delay, msg)]
        dup = self.duplicate if link is None or link.duplicate is None else link.duplicate
        if dup and rng.random() < dup:
            arrivals.append((now + latency.sample(rng), msg))
        if self.fifo:
            key = (src, dst)
            last = self._last_arrival.get(key, 0.0)
            fixed = []
            for t, m in sorted(arrivals, key=lambda a: a[0]):
                last = max(last, t)
                fixed.append((last, m))
            self._last_arrival[key] = last
            arrivals = fixed
        return arrivals, None

    def _check_node(self, name: str, node: str) -> None:
        _check.node_id(name, node)
        if self._known is not None and not self._known(node):
            raise ValueError(f"{name}={node!r} is not a node of this simulation")
