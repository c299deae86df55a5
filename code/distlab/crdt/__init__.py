"""``distlab.crdt``: conflict-free replicated data types (Shapiro et al. 2011).

State-based CRDTs are immutable values with a ``merge`` that is commutative,
associative and idempotent (``base``). Counters (``counters``) are taught in notebook
1.5; sets (``sets``: G-Set, 2P-Set, OR-Set) and registers (``registers``: LWW-Register,
MV-Register) in notebook 2.10.
"""

from .base import LAWS, StateCRDT, law_violations, merge_all
from .counters import GCounter, PNCounter
from .registers import LWWRegister, MVRegister
from .sets import GSet, ORSet, Tag, TwoPSet, sorted_elements

__all__ = ["StateCRDT", "LAWS", "law_violations", "merge_all", "GCounter", "PNCounter",
           "GSet", "TwoPSet", "ORSet", "Tag", "sorted_elements", "LWWRegister", "MVRegister"]
