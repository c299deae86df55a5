"""``distlab.detectors``: failure detectors and the timing models they live in.

A heartbeat detector with increasing timeouts (perfect in a synchronous system,
eventually perfect in a partially synchronous one), the partial-synchrony network
hook, and checkers for completeness and accuracy that read the trace.

Taught in notebook 1.1 ("System models, IPC and RPC").
"""

from .analysis import (Suspicion, completeness_violations, detection_times,
                       false_suspicions, suspicions, up_intervals)
from .heartbeat import Heartbeat, HeartbeatDetector
from .models import PartialSynchrony, Stalls, delay_bound

__all__ = ["Heartbeat", "HeartbeatDetector", "PartialSynchrony", "Stalls", "delay_bound",
           "Suspicion", "suspicions", "false_suspicions", "up_intervals",
           "detection_times", "completeness_violations"]
