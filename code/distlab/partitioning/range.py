"""Range partitioning: contiguous key ranges, split when they grow too big.

The keys are kept in sorted order and cut into ranges ``[lo, hi)``; each range (a
*partition*, a *tablet* in Bigtable, a *region* in HBase) lives on one node. A range
scan touches only the partitions that overlap it, which hash partitioning cannot offer.
The price is skew: keys are rarely uniform, and a workload that writes increasing keys
(timestamps, sequence numbers) sends every write to the last partition (Kleppmann
2017, ch. 6, "Partitioning by key range").

Ranges adapt by *splitting*: when a partition holds more than ``max_keys`` keys, it is
cut at its median key and the new half can move to another node (HBase and Bigtable
split this way; MongoDB splits "chunks"). ``RangePartitioner`` is an immutable value:
``split`` and ``split_until`` return new partitioners.

Taught in notebook 2.11.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .hashing import check_nodes

__all__ = ["Range", "RangePartitioner"]


@dataclass(frozen=True, slots=True)
class Range:
    """Keys ``lo <= k < hi`` (``None``: unbounded on that side), stored on ``node``."""

    lo: Any
    hi: Any
    node: str

    def __contains__(self, key: Any) -> bool:
        return (self.lo is None or key >= self.lo) and (self.hi is None or key < self.hi)

    def __repr__(self) -> str:
        lo = "-inf" if self.lo is None else repr(self.lo)
        hi = "+inf" if self.hi is None else repr(self.hi)
        return f"[{lo}, {hi}) on {self.node}"


class RangePartitioner:
    """Sorted split points ``bounds`` cut the key space into ``len(bounds) + 1`` ranges;
    range ``i`` is stored on ``owners[i]``.

    >>> p = RangePartitioner(["g", "p"], ["n1", "n2", "n3"])
    >>> p.owner("apple"), p.owner("grape"), p.owner("zebra")
    ('n1', 'n2', 'n3')
    """

    __slots__ = ("_bounds", "_owners", "_nodes")

    def __init__(self, bounds: Sequence[Any] = (), owners: Sequence[str] = ("n1",),
                 nodes: Sequence[str] | None = None) -> None:
        if isinstance(bounds, (str, bytes)):
            raise TypeError("bounds must be a list of split keys, not a single string")
        bounds = tuple(bounds)
        owners = tuple(owners) if not isinstance(owners, str) else None
        if owners is None:
            raise TypeError("owners must be a list of node ids, one per range")
        if len(owners) != len(bounds) + 1:
            raise ValueError(f"owners must name one node per range: {len(bounds)} bounds make "
                             f"{len(bounds) + 1} ranges, got {len(owners)} owners")
        for a, b in zip(bounds, bounds[1:]):
            if not a < b:
                raise ValueError(f"bounds must be strictly increasing, got {a!r} before {b!r}")
        for o in owners:
            if not isinstance(o, str) or not o:
                raise TypeError(f"each owner must be a node id (a non-empty str), got {o!r}")
        all_nodes = check_nodes(nodes) if nodes is not None else tuple(dict.fromkeys(owners))
        missing = [o for o in owners if o not in all_nodes]
        if missing:
            raise ValueError(f"owners {missing} are not in nodes {list(all_nodes)}")
        self._bounds, self._owners, self._nodes = bounds, owners, all_nodes

    # --- looking keys up ---------------------------------------------------------------
    @property
    def nodes(self) -> tuple[str, ...]:
        return self._nodes

    @property
    def bounds(self) -> tuple[Any, ...]:
        return self._bounds

    @property
    def ranges(self) -> list[Range]:
        """Every range, in key order."""
        edges = (None, *self._bounds, None)
        return [Range(edges[i], edges[i + 1], o) for i, o in enumerate(self._owners)]

    def index(self, key: Any) -> int:
        """Which range holds ``key`` (binary search on the split points)."""
        try:
            return bisect.bisect_right(self._bounds, key)
        except TypeError:
            raise TypeError(f"key {key!r} cannot be compared with the split points "
                            f"{list(self._bounds)[:3]}") from None

    def owner(self, key: Any) -> str:
        """The node that stores ``key``."""
        return self._owners[self.index(key)]

    def scan(self, lo: Any, hi: Any) -> list[int]:
        """The ranges a scan of keys ``lo <= k < hi`` must visit."""
        if not lo < hi:
            raise ValueError(f"a scan needs lo < hi, got lo={lo!r}, hi={hi!r}")
        return list(range(self.index(lo), self.index(hi) + 1)) if self._bounds else [0]

    # --- splitting ---------------------------------------------------------------------
    def split(self, index: int, at: Any, node: str | None = None) -> "RangePartitioner":
        """Cut range ``index`` at key ``at``; the upper half goes to ``node`` (default:
        the node that had the range). Returns a new partitioner."""
        if isinstance(index, bool) or not isinstance(index, int) \
                or not 0 <= index < len(self._owners):
            raise ValueError(f"index must be a range number in 0..{len(self._owners) - 1}, "
                             f"got {index!r}")
        r = self.ranges[index]
        if at not in r or at == r.lo:
            raise ValueError(f"split key {at!r} must lie strictly inside range {index} {r!r}")
        node = r.node if node is None else node
        nodes = self._nodes if node in self._nodes else self._nodes + (node,)
        bounds = self._bounds[:index] + (at,) + self._bounds[index:]
        owners = self._owners[:index + 1] + (node,) + self._owners[index + 1:]
        return RangePartitioner(bounds, owners, nodes)

    def split_until(self, keys: Iterable[Any], max_keys: int) -> tuple["RangePartitioner", int]:
        """Split every range holding more than ``max_keys`` of ``keys`` at its median key,
        until none does; each new upper half goes to the node with the fewest keys.

        Returns ``(new partitioner, number of splits)``.
        """
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise ValueError(f"max_keys must be an int >= 1, got {max_keys!r}")
        ordered = sorted(set(keys))
        p, splits = self, 0
        while True:
            per_range: list[list[Any]] = [[] for _ in p._owners]
            for k in ordered:
                per_range[p.index(k)].append(k)
            big = [i for i, ks in enumerate(per_range) if len(ks) > max_keys]
            if not big:
                return p, splits
            i = big[0]
            ks = per_range[i]
            at = ks[len(ks) // 2]
            load = {n: 0 for n in p._nodes}
            for j, kj in enumerate(per_range):
                load[p._owners[j]] += len(kj)
            load[p._owners[i]] -= len(ks) - len(ks) // 2  # the half that would leave
            target = min(p._nodes, key=lambda n: (load[n], p._nodes.index(n)))
            p, splits = p.split(i, at, target), splits + 1

    def __repr__(self) -> str:
        return "RangePartitioner(" + ", ".join(repr(r) for r in self.ranges) + ")"
