"""``distlab.clocksync``: physical clocks and their synchronisation (notebook 1.4).

- ``drift``: drift, skew, resynchronisation intervals, clock-step faults, sampling;
- ``discipline``: stepping, slewing and frequency correction (``DisciplinedNode``);
- ``cristian``: Cristian's algorithm (Cristian 1989);
- ``berkeley``: the Berkeley algorithm, TEMPO (Gusella & Zatti 1989);
- ``ntp``, ``ntp_filter``: NTP's on-wire protocol, clock filter, intersection
  algorithm, strata and a simplified clock discipline (Mills 1991; RFC 5905);
- ``hlc``: hybrid logical clocks and a checker of their theorems (Kulkarni et al. 2014);
- ``lww``: a last-writer-wins register stamped by physical, hybrid or Lamport clocks.
"""

from .berkeley import (BerkeleyMaster, BerkeleyRound, BerkeleySlave, ClockAdjust,
                       ClockQuery, ClockReading, fault_tolerant_average)
from .cristian import (CristianClient, CristianSample, TimeReply, TimeRequest, TimeServer,
                       cristian_estimate)
from .discipline import MAX_SLEW, DisciplinedNode
from .drift import (PPM, drift_apart, max_skew, offsets, resync_interval, run_sampling,
                    schedule_step, skew)
from .hlc import (HLCEvent, HLCMessage, HLCNode, HLCTimestamp, HybridLogicalClock,
                  check_hlc, hlc_events, hlc_receive)
from .lww import (LWWClient, LWWReplica, Read, ReadOk, Replicate, Stamp, Write, WriteOk,
                  WriteRecord, lost_writes, lww_writes)
from .ntp import (MAXSTRAT, STEPT, NTPNode, NTPRequest, NTPResponse, NTPSample, NTPUpdate,
                  ntp_offset_delay)
from .ntp_filter import NSTAGE, PHI, ClockFilter, FilterSample, Selection, select_truechimers

__all__ = [
    # drift and discipline
    "PPM", "drift_apart", "resync_interval", "offsets", "skew", "max_skew", "run_sampling",
    "schedule_step", "MAX_SLEW", "DisciplinedNode",
    # Cristian
    "TimeRequest", "TimeReply", "CristianSample", "cristian_estimate", "TimeServer",
    "CristianClient",
    # Berkeley
    "ClockQuery", "ClockReading", "ClockAdjust", "BerkeleyRound", "fault_tolerant_average",
    "BerkeleyMaster", "BerkeleySlave",
    # NTP
    "ntp_offset_delay", "NTPRequest", "NTPResponse", "NTPSample", "NTPUpdate", "NTPNode",
    "MAXSTRAT", "STEPT", "NSTAGE", "PHI", "ClockFilter", "FilterSample", "Selection",
    "select_truechimers",
    # HLC
    "HLCTimestamp", "HybridLogicalClock", "hlc_receive", "HLCMessage", "HLCEvent", "HLCNode",
    "hlc_events", "check_hlc",
    # LWW
    "Stamp", "Write", "WriteOk", "Read", "ReadOk", "Replicate", "LWWReplica", "LWWClient",
    "WriteRecord", "lww_writes", "lost_writes",
]
