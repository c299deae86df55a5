"""The replicated log, with the prefix a snapshot has replaced (§5.3, §7).

Indices start at 1. Everything up to ``snapshot_index`` has been compacted into a
snapshot whose last entry had term ``snapshot_term``; index 0 with term 0 stands for
the empty log. ``term_at(i)`` answers for ``snapshot_index <= i <= last_index`` and
returns ``None`` elsewhere (compacted away, or not there yet).

A ``RaftLog`` writes through to the node's durable storage when it is given one:
every append and truncation reaches "disk" (``storage``) inside the handler that
made it, so the simulator persists it before the handler's messages leave (the
persist-before-send rule of Figure 2, "Persistent state on all servers"). The
durable form is two keys: ``"log"`` (the list of entries after the snapshot) and the
snapshot itself, which the server stores under ``"snapshot"``.

Taught in notebooks 2.6–2.8.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .messages import Entry

if TYPE_CHECKING:  # pragma: no cover
    from ..sim import Storage

__all__ = ["RaftLog"]


class RaftLog:
    """Log entries after a snapshot; optionally written through to durable storage."""

    __slots__ = ("entries", "snapshot_index", "snapshot_term", "storage")

    def __init__(self, entries: Iterable[Entry] = (), *, snapshot_index: int = 0,
                 snapshot_term: int = 0, storage: "Storage | None" = None) -> None:
        if isinstance(snapshot_index, bool) or not isinstance(snapshot_index, int) \
                or snapshot_index < 0:
            raise ValueError(f"snapshot_index must be an int >= 0, got {snapshot_index!r}")
        self.entries: list[Entry] = list(entries)
        self.snapshot_index = snapshot_index
        self.snapshot_term = snapshot_term
        self.storage = storage
        for k, e in enumerate(self.entries):
            if not isinstance(e, Entry):
                raise TypeError(f"entries[{k}] is {e!r}, not an Entry")
            if e.index != snapshot_index + 1 + k:
                raise ValueError(f"entries must be contiguous after snapshot_index="
                                 f"{snapshot_index}: entries[{k}] has index {e.index}")

    @classmethod
    def load(cls, storage: "Storage", snapshot_index: int = 0,
             snapshot_term: int = 0) -> "RaftLog":
        """The log as it was persisted (after a restart)."""
        return cls(storage.get("log", []), snapshot_index=snapshot_index,
                   snapshot_term=snapshot_term, storage=storage)

    def __repr__(self) -> str:
        head = f"snapshot upto {self.snapshot_index}@t{self.snapshot_term}, " \
            if self.snapshot_index else ""
        return f"RaftLog({head}{self.entries!r})"

    def __len__(self) -> int:
        """How many entries are held (not counting the compacted prefix)."""
        return len(self.entries)

    # --- reading ------------------------------------------------------------------------
    @property
    def last_index(self) -> int:
        return self.snapshot_index + len(self.entries)

    @property
    def last_term(self) -> int:
        return self.entries[-1].term if self.entries else self.snapshot_term

    def term_at(self, index: int) -> int | None:
        """The term of the entry at ``index``; ``None`` if compacted or absent."""
        if index == self.snapshot_index:
            return self.snapshot_term
        k = index - self.snapshot_index - 1
        if 0 <= k < len(self.entries):
            return self.entries[k].term
        return None

    def entry(self, index: int) -> Entry:
        """The entry at ``index`` (raises IndexError if compacted or absent)."""
        k = index - self.snapshot_index - 1
        if not 0 <= k < len(self.entries):
            raise IndexError(f"no entry {index} in a log holding "
                             f"{self.snapshot_index + 1}..{self.last_index}")
        return self.entries[k]

    def entries_from(self, index: int, limit: int | None = None) -> tuple[Entry, ...]:
        """Entries ``index``, ``index+1``, ... (at most ``limit``), as a tuple."""
        k = max(0, index - self.snapshot_index - 1)
        stop = len(self.entries) if limit is None else min(len(self.entries), k + limit)
        return tuple(self.entries[k:stop])

    def matches(self, prev_index: int, prev_term: int) -> bool:
        """Does this log hold an entry at ``prev_index`` whose term is ``prev_term``?
        (The AppendEntries consistency check, §5.3.)"""
        return self.term_at(prev_index) == prev_term

    def first_index_of_term(self, index: int) -> int:
        """The first index of the run of entries that share the term at ``index``
        (stops at the snapshot)."""
        term = self.term_at(index)
        first = index
        while first - 1 > self.snapshot_index and self.term_at(first - 1) == term:
            first -= 1
        return first

    def last_index_of_term(self, term: int) -> int | None:
        """The last index whose entry has ``term``, or ``None`` if no held entry has it."""
        for e in reversed(self.entries):
            if e.term == term:
                return e.index
            if e.term < term:
                break
        return None

    # --- writing (written through to storage) ----------------------------------------
    def append(self, entries: Sequence[Entry]) -> None:
        """Append entries that continue the log exactly."""
        storage = self.storage
        for e in entries:
            if e.index != self.last_index + 1:
                raise ValueError(f"cannot append entry {e!r} after index {self.last_index}")
            self.entries.append(e)
            if storage is not None:
                storage.append("log", e)

    def truncate_from(self, index: int) -> None:
        """Delete the entry at ``index`` and every entry after it (Figure 2,
        AppendEntries receiver step 3)."""
        if index <= self.snapshot_index:
            raise ValueError(f"cannot truncate at {index}: entries up to "
                             f"{self.snapshot_index} are in the snapshot (committed)")
        keep = index - self.snapshot_index - 1
        if keep < len(self.entries):
            del self.entries[keep:]
            if self.storage is not None:
                self.storage.truncate("log", keep)

    def compact(self, index: int, term: int | None = None) -> None:
        """Discard the entries up to ``index``: a snapshot now covers them (§7).

        With ``term`` (InstallSnapshot of an index beyond the log's end, or whose term
        differs) the whole log is discarded and the snapshot becomes its base.
        """
        if index <= self.snapshot_index:
            return
        own = self.term_at(index)
        if term is None or own == term:
            if own is None:
                raise ValueError(f"cannot compact up to {index}: the log ends at "
                                 f"{self.last_index}; give the snapshot's term")
            self.entries = self.entries[index - self.snapshot_index:]
            self.snapshot_term = own
        else:
            self.entries = []
            self.snapshot_term = term
        self.snapshot_index = index
        if self.storage is not None:
            self.storage["log"] = self.entries
