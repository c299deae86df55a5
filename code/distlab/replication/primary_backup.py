"""Primary-backup replication of a log: synchronous or asynchronous, with or without
failover.

One replica, the **primary**, orders every append: it adds the entry to its log
(durably) and ships it to the **backups** in ``Replicate`` messages, which also serve
as heartbeats (Budhiraja et al. 1993; Kleppmann 2017, ch. 5, "Leaders and
followers"). When is the client told "done"?

- ``mode="sync"``: once *every* backup in the primary's view has stored the entry.
  Reads, served by the primary, return only such *committed* entries. Without failover
  this is linearizable, and a single slow or crashed backup blocks every write.
- ``mode="async"``: at once, before any backup has it; new entries are shipped in a
  batch with the next heartbeat. Fast, and available while backups are down; but if the
  primary crashes in the **window** between its "done" and the backups' copy, and a
  backup takes over, the write is gone although the client was told it was stored.

**Failover** (``failover=True``): a backup that hears nothing from the primary for
``timeout`` promotes itself, primary of the next *epoch*, and the others follow the
best view they hear of (higher epoch; in one epoch, the earlier replica in
``replicas``). The new primary's log is the truth: backups (and a deposed primary, when
it hears of the new epoch) truncate whatever conflicts with it, which the trace shows
as ``discard`` outputs. So that writes keep flowing while a backup is down, a primary
with failover also drops from its view a backup it has not heard from for ``timeout``
(and takes it back when it answers). Neither rule asks anyone else: a partitioned
primary drops its backups and commits alone while the other side elects a new
primary: **split brain**, with stale reads on one side and acknowledged writes lost
when the partition heals. Making failover safe takes consensus (Raft, Paxos:
notebooks 2.4 and 2.5); this module shows why.

Trace outputs: ``commit`` (index, value) at the primary, ``promote`` (epoch, log
length), ``follow`` (epoch, primary), ``discard`` (the entries dropped), ``drop
backup`` / ``readd backup`` (the primary's view). Taught in notebook 2.9.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import Node
from ..sim import _check
from .clients import Append, AppendOk, Read, ReadOk, Redirect

__all__ = ["MODES", "Entry", "Replicate", "ReplicateOk", "NotPrimary", "PrimaryBackupReplica"]

MODES = ("sync", "async")


@dataclass(frozen=True, slots=True)
class Entry:
    """One appended value, with the epoch that created it and the request it came from."""

    epoch: int
    value: Any
    client: str
    req: int

    def __repr__(self) -> str:
        return f"{self.value!r}@e{self.epoch}"


@dataclass(frozen=True, slots=True)
class Replicate:
    """Primary -> backup: ``entries`` at indices ``start, start + 1, ...`` (1-based) of
    the primary's log, which holds ``prev`` at index ``start - 1`` (as Raft's
    AppendEntries carries the previous entry, so that a backup can tell whether its log
    agrees up to there); no entries: a heartbeat. ``commit``: the primary's commit index."""

    epoch: int
    start: int
    entries: tuple[Entry, ...]
    commit: int
    prev: Entry | None = None

    def __repr__(self) -> str:
        return f"Replicate(e{self.epoch}, from {self.start}, {list(self.entries)})"


@dataclass(frozen=True, slots=True)
class ReplicateOk:
    """Backup -> primary: my log matches yours up to index ``match``; with ``gap``, it
    does not agree at ``start - 1``: send again from ``match + 1``."""

    epoch: int
    match: int
    gap: bool = False


@dataclass(frozen=True, slots=True)
class NotPrimary:
    """Replica -> a node acting as primary: "I follow ``primary`` of epoch ``epoch``"."""

    epoch: int
    primary: str


class PrimaryBackupReplica(Node):
    """One replica of a primary-backup log (``replicas[0]`` is the first primary).

    Parameters
    ----------
    replicas
        Every replica's id, in order of preference.
    mode
        ``"sync"`` or ``"async"`` (see the module docstring).
    failover
        May backups take over from a silent primary (and the primary drop silent backups)?
    heartbeat, timeout
        Period of ``Replicate`` messages; silence after which a peer is suspected.
    batch
        At most this many entries per ``Replicate``.
    """

    def __init__(self, replicas: Sequence[str], *, mode: str = "sync", failover: bool = False,
                 heartbeat: float = 10.0, timeout: float = 40.0, batch: int = 32) -> None:
        if isinstance(replicas, str):
            raise TypeError("replicas must be a list of node ids, not a string")
        self.replicas = tuple(_check.node_id("replicas", r) for r in replicas)
        if not self.replicas:
            raise ValueError("replicas must name at least one replica")
        self.mode = _check.one_of("mode", mode, MODES)
        if not isinstance(failover, bool):
            raise TypeError(f"failover must be True or False, got {failover!r}")
        self.failover = failover
        self.heartbeat = _check.number("heartbeat", heartbeat, minimum=0.0, strict_min=True)
        self.timeout = _check.number("timeout", timeout, minimum=0.0, strict_min=True)
        self.batch = _check.integer("batch", batch, minimum=1)
        # durable state (reloaded in on_start)
        self.log: list[Entry] = []
        self.epoch = 0
        self.primary = self.replicas[0]
        self.commit = 0
        # volatile state
        self.match: dict[str, int] = {}
        self.next: dict[str, int] = {}
        self.members: list[str] = []
        self.heard: dict[str, float] = {}
        self.waiting: dict[int, tuple[str, int]] = {}
        self.last_heard = 0.0

    # --- roles -------------------------------------------------------------------------
    @property
    def is_primary(self) -> bool:
        return self.primary == self.id

    @property
    def backups(self) -> tuple[str, ...]:
        return tuple(r for r in self.replicas if r != self.id)

    def _rank(self, node: str) -> int:
        return self.replicas.index(node) if node in self.replicas else len(self.replicas)

    def better(self, epoch: int, primary: str) -> bool:
        """Is the view ``(epoch, primary)`` better than the one this replica follows?"""
        return (epoch, -self._rank(primary)) > (self.epoch, -self._rank(self.primary))

    def _save_view(self) -> None:
        self.storage["view"] = (self.epoch, self.primary)

    def become_primary(self) -> None:
        """Failover: primary of the next epoch, with this replica's log as the truth."""
        self.epoch += 1
        self.primary = self.id
        self._save_view()
        self._lead()
        self.output("promote", (self.epoch, len(self.log)))
        self.annotate(f"primary of epoch {self.epoch}")
        self._heartbeat()

    def _lead(self) -> None:
        self.match = {b: 0 for b in self.backups}
        self.next = {b: 1 for b in self.backups}
        self.members = list(self.backups)
        self.heard = {b: self.now for b in self.backups}
        self.waiting = {}

    def become_backup(self, epoch: int, primary: str) -> None:
        """Follow ``primary`` of ``epoch`` (a deposed primary steps down here)."""
        was_primary = self.is_primary
        self.epoch, self.primary = epoch, primary
        self._save_view()
        self.match, self.next, self.members, self.waiting = {}, {}, [], {}
        self.last_heard = self.now
        self.output("follow", (epoch, primary))
        if was_primary:
            self.annotate(f"steps down: {primary} leads epoch {epoch}")

    # --- the runtime's handlers ---------------------------------------------------------
    def on_start(self) -> None:
        self.log = list(self.storage.get("log", ()))
        self.epoch, self.primary = self.storage.get("view", (0, self.replicas[0]))
        self.commit = self.storage.get("commit", 0)
        self.last_heard = self.now
        if self.is_primary:
            self._lead()
            self._heartbeat()
        self.set_timer(self.heartbeat, "tick")

    def on_timer(self, name: str, payload: Any) -> None:
        if name != "tick":
            return
        if self.is_primary:
            if self.failover:
                self._update_view()
            self._heartbeat()
        elif self.failover and self.now - self.last_heard > self._patience():
            self.become_primary()
        self.set_timer(self.heartbeat, "tick")

    def _patience(self) -> float:
        # Later replicas wait longer, so that usually one backup takes over, not all.
        return self.timeout * (1.0 + 0.5 * (self._rank(self.id) - 1))

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Replicate):
            self.on_replicate(src, msg)
        elif isinstance(msg, ReplicateOk):
            self.on_replicate_ok(src, msg)
        elif isinstance(msg, NotPrimary):
            if self.better(msg.epoch, msg.primary):
                self.become_backup(msg.epoch, msg.primary)
        elif isinstance(msg, Append):
            self.on_append(src, msg)
        elif isinstance(msg, Read):
            if self.is_primary:
                self.send(src, ReadOk(msg.req, tuple(e.value for e in self.log[:self.commit])))
            else:
                self.send(src, Redirect(msg.req, self.primary))

    # --- the primary -----------------------------------------------------------------------
    def on_append(self, src: str, msg: Append) -> None:
        if not self.is_primary:
            self.send(src, Redirect(msg.req, self.primary))
            return
        index = next((i + 1 for i, e in enumerate(self.log)
                      if e.client == src and e.req == msg.req), None)
        if index is None:  # a new request (a duplicate finds its entry instead)
            self.log.append(Entry(self.epoch, msg.value, src, msg.req))
            self.storage.append("log", self.log[-1])
            index = len(self.log)
            if self.mode == "sync":  # waiting for the backups: ship it now
                for b in self.members:
                    self._ship(b)
        if index <= self.commit:
            self.send(src, AppendOk(msg.req))
            return
        self.waiting[index] = (src, msg.req)
        self._advance_commit()

    def _ship(self, backup: str) -> None:
        """Send the entries this backup has not been sent yet (a heartbeat if none)."""
        start = self.next.get(backup, 1)
        entries = tuple(self.log[start - 1:start - 1 + self.batch])
        prev = self.log[start - 2] if start > 1 else None
        self.send(backup, Replicate(self.epoch, start, entries, self.commit, prev))
        self.next[backup] = start + len(entries)

    def _heartbeat(self) -> None:
        for b in self.backups:
            self._ship(b)

    def on_replicate_ok(self, src: str, msg: ReplicateOk) -> None:
        if not self.is_primary or msg.epoch != self.epoch or src not in self.match:
            return
        self.heard[src] = self.now
        if self.failover and src not in self.members:
            self.members.append(src)
            self.output("readd backup", src)
        if msg.gap:                     # it missed entries, or disagrees: go back
            self.next[src] = max(self.match[src], msg.match) + 1
            self._ship(src)
            return
        self.match[src] = max(self.match[src], msg.match)
        self.next[src] = max(self.next[src], self.match[src] + 1)
        self._advance_commit()

    def _update_view(self) -> None:
        """With failover, stop waiting for backups that have been silent too long."""
        for b in list(self.members):
            if self.now - self.heard.get(b, self.now) > self.timeout:
                self.members.remove(b)
                self.output("drop backup", b)
        self._advance_commit()

    def _advance_commit(self) -> None:
        if self.mode == "async" or not self.members:
            target = len(self.log)
        else:
            target = min(len(self.log), min(self.match.get(b, 0) for b in self.members))
        if target <= self.commit:
            return
        for index in range(self.commit + 1, target + 1):
            self.output("commit", (index, self.log[index - 1].value))
        self.commit = target
        self.storage["commit"] = target
        for index in sorted(i for i in self.waiting if i <= target):
            client, req = self.waiting.pop(index)
            self.send(client, AppendOk(req))

    # --- a backup --------------------------------------------------------------------------
    def on_replicate(self, src: str, msg: Replicate) -> None:
        if (msg.epoch, src) != (self.epoch, self.primary):
            if not self.better(msg.epoch, src):
                self.send(src, NotPrimary(self.epoch, self.primary))
                return
            self.become_backup(msg.epoch, src)
        self.last_heard = self.now
        if msg.start > len(self.log) + 1 or (
                msg.start > 1 and self.log[msg.start - 2] != msg.prev):
            # A gap (a lost message), or a log that disagrees at start - 1 (entries of
            # an older epoch): ask for the entries from an earlier index.
            self.send(src, ReplicateOk(self.epoch, min(len(self.log), msg.start - 2), True))
            return
        for offset, entry in enumerate(msg.entries):
            index = msg.start + offset
            if index <= len(self.log):
                if self.log[index - 1] == entry:
                    continue
                dropped = tuple(self.log[index - 1:])
                self.output("discard", dropped)
                del self.log[index - 1:]
                self.storage.truncate("log", index - 1)
            self.log.append(entry)
            self.storage.append("log", entry)
        self.commit = max(self.commit, min(msg.commit, msg.start - 1 + len(msg.entries)))
        self.send(src, ReplicateOk(self.epoch, msg.start - 1 + len(msg.entries)))

    def state(self) -> dict[str, Any]:
        role = "primary" if self.is_primary else "backup"
        return {"role": role, "epoch": self.epoch, "log": [e.value for e in self.log],
                "commit": self.commit}
