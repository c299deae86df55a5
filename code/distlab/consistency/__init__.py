"""``distlab.consistency``: consistency models as data, and checkers that judge histories.

Taught in Part 2 (notebooks 2.1 "Consistency models" and 2.2 "Checking
linearizability"). Run ``python -m distlab.consistency --help`` for the command line.
"""

from . import models
from .causal import CausalResult, check_causal
from .linearizability import (LinearizabilityResult, PartitionResult, Search,
                              check_linearizable, linearization_points)
from .models import Model
from .operations import UNKNOWN, Op, as_ops, from_history, retire_after_unknown
from .parsers import ParseError, parse_etcd, parse_file, parse_kv
from .sequential import SequentialResult, check_sequential
from .session import GUARANTEES, check_sessions

__all__ = ["models", "Model", "Op", "UNKNOWN", "from_history", "as_ops", "retire_after_unknown",
           "check_linearizable", "LinearizabilityResult", "PartitionResult", "Search",
           "linearization_points", "ParseError", "parse_etcd", "parse_kv", "parse_file",
           "check_sequential", "SequentialResult", "check_causal", "CausalResult",
           "check_sessions", "GUARANTEES"]
