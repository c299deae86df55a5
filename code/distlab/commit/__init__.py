"""``distlab.commit``: atomic commitment, two-phase and three-phase, judged under faults.

- ``two_phase(seed, ...)``: a 2PC coordinator ``c`` and participants ``p1``, ``p2``, …
  with durable logs, presumed abort, recovery and cooperative termination (Gray 1978;
  Bernstein, Hadzilacos & Goodman 1987, §7.4; Mohan, Lindsay & Obermarck 1986);
- ``three_phase(seed, ...)``: 3PC with its termination protocol (Skeen 1981; BHG §7.5);
- ``checks``: atomicity, validity and termination read from the trace, and the
  participants that were in doubt or blocked;
- ``sweep``: the seed checks ``check_2pc`` and ``check_3pc`` for ``distlab.chaos``.

Taught in notebook 2.3 ("Two-phase and three-phase commit").
"""

from __future__ import annotations

from .checks import (Decision, InDoubt, Violation, begins, blocked, check_atomicity,
                     check_commit, check_persist_before_send, check_termination,
                     check_validity, decisions, had_faults, in_doubt, outcomes, votes)
from .scenarios import STATE_COLUMNS, DropNext, drop_next, record, snapshot
from .messages import (STATES, Abort, Ack, CanCommit, Commit, DecisionRequest, DoCommit,
                       Elect, LogRecord, PreCommit, PreCommitAck, Prepare, StateReply,
                       StateReq, Vote)
from .threepc import (ThreePhaseCoordinator, ThreePhaseParticipant, termination_rule,
                      three_phase)
from .twopc import (TwoPhaseCoordinator, TwoPhaseParticipant, log_records,
                    participant_recovery, two_phase)

__all__ = [
    "two_phase", "three_phase",
    "TwoPhaseCoordinator", "TwoPhaseParticipant", "ThreePhaseCoordinator",
    "ThreePhaseParticipant", "participant_recovery", "termination_rule", "log_records",
    "Prepare", "Vote", "Commit", "Abort", "Ack", "DecisionRequest", "CanCommit",
    "PreCommit", "PreCommitAck", "DoCommit", "Elect", "StateReq", "StateReply",
    "LogRecord", "STATES",
    "Violation", "Decision", "InDoubt", "begins", "votes", "decisions", "outcomes",
    "check_atomicity", "check_validity", "check_termination", "check_persist_before_send",
    "check_commit", "in_doubt", "blocked", "had_faults",
    "DropNext", "drop_next", "snapshot", "record", "STATE_COLUMNS",
]
