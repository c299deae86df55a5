"""Hot keys: skewed workloads, and spreading one key's load by salting.

Partitioning spreads *keys*; it cannot spread the requests for *one* key. Real
workloads are skewed (a celebrity's timeline, a flash sale's product): request
popularity often follows a Zipf law, where the key of rank ``r`` gets a share
proportional to ``1 / r**s``. Then one node serves far more than its share, whatever
the partitioning scheme, and adding nodes or virtual nodes does not help.

The usual remedy is to **split the hot key** (Kleppmann 2017, ch. 6, "Skewed workloads
and relieving hot spots"): store it as ``salts`` sub-keys ``key#0 ... key#{salts-1}``,
which hash to different nodes. A write goes to one random sub-key; a read must fetch
all of them and combine (a counter sums them, a set unions them). Writes spread
``salts`` ways; each read of a hot key costs ``salts`` requests. ``salting_cost``
measures both sides. (Read-heavy hot keys are better served by caches or extra read
replicas.)

All randomness comes from a seed. Taught in notebook 2.11.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from .hashing import Partitioner, imbalance, loads

__all__ = ["zipf_requests", "hottest", "salt", "salted_requests", "SaltingCost",
           "salting_cost"]


def zipf_requests(n_keys: int, n_requests: int, *, s: float = 1.0, seed: int = 0,
                  prefix: str = "k") -> list[str]:
    """``n_requests`` keys drawn from ``prefix0 ... prefix{n_keys-1}`` with Zipf
    popularity: key ``i`` (rank ``i + 1``) has weight ``1 / (i + 1)**s``.

    ``s = 0`` is uniform; ``s`` around 1 is typical of web workloads.
    """
    for name, v in (("n_keys", n_keys), ("n_requests", n_requests)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be an int >= 1, got {v!r}")
    if isinstance(s, bool) or not isinstance(s, (int, float)) or s < 0:
        raise ValueError(f"s must be a number >= 0, got {s!r}")
    rng = random.Random(f"zipf:{seed}")
    cumulative = list(accumulate(1.0 / (i + 1) ** s for i in range(n_keys)))
    total = cumulative[-1]
    keys = [f"{prefix}{i}" for i in range(n_keys)]
    return [keys[min(bisect.bisect_left(cumulative, rng.random() * total), n_keys - 1)]
            for _ in range(n_requests)]


def hottest(requests: Iterable[Any], top: int = 1) -> list[tuple[Any, int]]:
    """The ``top`` most requested keys with their counts (ties by first appearance)."""
    return Counter(requests).most_common(top)


def salt(key: str, i: int) -> str:
    """Sub-key ``i`` of ``key``: ``f"{key}#{i}"``."""
    return f"{key}#{i}"


def salted_requests(requests: Sequence[str], hot: Iterable[str], salts: int, *,
                    seed: int = 0) -> list[str]:
    """Each request for a ``hot`` key goes to one of its ``salts`` sub-keys, at random
    (a write's view: one sub-key per request); other requests are unchanged."""
    if isinstance(salts, bool) or not isinstance(salts, int) or salts < 1:
        raise ValueError(f"salts must be an int >= 1, got {salts!r}")
    hot = set(hot)
    rng = random.Random(f"salt:{seed}")
    return [salt(k, rng.randrange(salts)) if k in hot else k for k in requests]


@dataclass(frozen=True)
class SaltingCost:
    """What salting the hot keys did to a workload (requests = messages to nodes)."""

    salts: int
    max_load: int          #: requests at the busiest node
    imbalance: float       #: busiest node / mean
    requests: int          #: requests sent to nodes in all (reads of hot keys fan out)


def salting_cost(partitioner: Partitioner, requests: Sequence[str], hot: Iterable[str],
                 salts: int, *, read_fraction: float = 0.0, seed: int = 0) -> SaltingCost:
    """Node loads when the ``hot`` keys are split into ``salts`` sub-keys.

    A fraction ``read_fraction`` of the requests are reads (chosen with the seed): a read
    of a hot key is sent to *every* sub-key; a write to one random sub-key.
    """
    if isinstance(read_fraction, bool) or not isinstance(read_fraction, (int, float)) \
            or not 0.0 <= read_fraction <= 1.0:
        raise ValueError(f"read_fraction must be between 0 and 1, got {read_fraction!r}")
    if isinstance(salts, bool) or not isinstance(salts, int) or salts < 1:
        raise ValueError(f"salts must be an int >= 1, got {salts!r}")
    hot = set(hot)
    rng = random.Random(f"salting:{seed}")
    sent: list[str] = []
    for k in requests:
        is_read = rng.random() < read_fraction
        if k not in hot or salts == 1:
            sent.append(k)
        elif is_read:
            sent.extend(salt(k, i) for i in range(salts))
        else:
            sent.append(salt(k, rng.randrange(salts)))
    per_node = loads(partitioner, sent)
    return SaltingCost(salts, max(per_node.values()), imbalance(per_node), len(sent))
