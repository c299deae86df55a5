"""``distlab.partitioning``: which node stores which key.

Pure functions and immutable values, no simulator: every scheme hashes with
``stable_hash`` (MD5, never Python's ``hash()``), so a key's owner is the same in every
process.

- ``modn``: hash mod N (even, but a join moves N/(N+1) of the keys);
- ``range``: key ranges, split at the median when they grow too big;
- ``ring``: consistent hashing with virtual nodes and preference lists
  (Karger et al. 1997; DeCandia et al. 2007);
- ``rendezvous``: highest-random-weight hashing (Thaler & Ravishankar 1998);
- ``hotkeys``: Zipf workloads and key salting;
- ``hashing``: the hash and the measures (keys moved, loads, imbalance).

Taught in notebook 2.11 ("Partitioning and consistent hashing").
"""

from .hashing import (HASH_BITS, HASH_SPACE, Partitioner, assignment, imbalance, key_bytes,
                      loads, moved, stable_hash)
from .hotkeys import (SaltingCost, hottest, salt, salted_requests, salting_cost,
                      zipf_requests)
from .modn import ModN, modn_moved_fraction
from .range import Range, RangePartitioner
from .rendezvous import Rendezvous, score
from .ring import HashRing, token_of

__all__ = [
    "stable_hash", "key_bytes", "HASH_BITS", "HASH_SPACE", "Partitioner",
    "assignment", "moved", "loads", "imbalance",
    "ModN", "modn_moved_fraction",
    "Range", "RangePartitioner",
    "HashRing", "token_of",
    "Rendezvous", "score",
    "zipf_requests", "hottest", "salt", "salted_requests", "SaltingCost", "salting_cost",
]
