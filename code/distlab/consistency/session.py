"""Session guarantees (Terry et al. 1994): what one client (a session) may rely on.

The checker needs to know which version of a key each operation wrote or saw, in the
store's own order of versions (its arbitration: a timestamp, a version number):

- ``write`` has input ``(key, value)`` and output the **version** the store gave it;
- ``read`` has input ``key`` and output the **version** it returned (``None``: the
  initial, unwritten version, older than every other).

Then, for each session (process), in its own order, and per key:

- **read-your-writes**: a read after the session's write sees that version or a later one;
- **monotonic reads**: a read never sees an older version than an earlier read did;
- **monotonic writes**: the session's later write gets a later version than its
  earlier write (the store applies them in session order);
- **writes-follow-reads**: a write after a read gets a later version than the one read.

Each check returns the offending pairs of operations. Terry's guarantees are stated
over sets of writes; with per-key versions this checker judges each key separately.
Taught in notebook 2.1.
"""

from __future__ import annotations

from typing import Any

from .operations import Op, as_ops, retire_after_unknown

__all__ = ["check_sessions", "GUARANTEES"]

GUARANTEES = ("read-your-writes", "monotonic reads", "monotonic writes",
              "writes-follow-reads")


class _Oldest:
    def __lt__(self, other: object) -> bool:
        return not isinstance(other, _Oldest)

    def __gt__(self, other: object) -> bool:
        return False

    def __le__(self, other: object) -> bool:
        return True

    def __ge__(self, other: object) -> bool:
        return isinstance(other, _Oldest)

    def __repr__(self) -> str:
        return "initial"


_OLDEST = _Oldest()


def _version(v: Any) -> Any:
    return _OLDEST if v is None else v


def check_sessions(history: Any) -> dict[str, list[tuple[Op, Op]]]:
    """Violations of each session guarantee: ``{guarantee: [(earlier, later), ...]}``."""
    ops = [op for op in retire_after_unknown(as_ops(history))
           if op.status == "ok" and op.known]
    for op in ops:
        if op.f not in ("read", "write"):
            raise ValueError(f"{op!r}: session checks know read(key) -> version and "
                             f"write((key, value)) -> version")
    out: dict[str, list[tuple[Op, Op]]] = {g: [] for g in GUARANTEES}
    sessions: dict[str, list[Op]] = {}
    for op in sorted(ops, key=lambda o: (o.call, o.id)):
        sessions.setdefault(op.process, []).append(op)
    for name in sorted(sessions):
        last_write: dict[Any, Op] = {}
        last_read: dict[Any, Op] = {}
        for op in sessions[name]:
            key = op.input if op.f == "read" else op.input[0]
            v = _version(op.output)
            if op.f == "read":
                w = last_write.get(key)
                if w is not None and v < _version(w.output):
                    out["read-your-writes"].append((w, op))
                r = last_read.get(key)
                if r is not None and v < _version(r.output):
                    out["monotonic reads"].append((r, op))
                if r is None or v >= _version(r.output):
                    last_read[key] = op
            else:
                w = last_write.get(key)
                if w is not None and not v > _version(w.output):
                    out["monotonic writes"].append((w, op))
                r = last_read.get(key)
                if r is not None and not v > _version(r.output):
                    out["writes-follow-reads"].append((r, op))
                last_write[key] = op
    return out
