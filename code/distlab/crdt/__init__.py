"""``distlab.crdt``: conflict-free replicated data types (Shapiro et al. 2011).

State-based CRDTs are immutable values with a ``merge`` that is commutative,
associative and idempotent (``base``). Counters (``counters``) are taught in notebook
1.5; sets and registers join them in the conflict-resolution chapter of Part 2.
"""

from .base import LAWS, StateCRDT, law_violations, merge_all
from .counters import GCounter, PNCounter

__all__ = ["StateCRDT", "LAWS", "law_violations", "merge_all", "GCounter", "PNCounter"]
