"""Cluster membership: configurations in the log, one server at a time (thesis §4).

A configuration is an ordinary log entry (``Configuration(voters, learners)``). The
rules, from Ongaro's thesis (2014), Chapter 4:

- **In effect once appended.** Every server uses the latest configuration in its
  log, committed or not (§4.1); if that entry is truncated away, the previous one
  is back in force. The leader counts votes and replicas among the voters of its
  latest configuration (it does not count itself if it is removing itself, §4.2.2).
- **One server at a time.** Adding or removing a single voter keeps every majority
  of the old configuration intersecting every majority of the new one, so no
  joint consensus is needed (§4.2). The leader starts a change only when the
  previous configuration entry is committed *and* it has committed an entry of its
  own term (the fix Ongaro posted to raft-dev in 2015; the new leader's no-op does it).
- **Catch up first.** A new server joins as a *learner* (non-voting: it receives the
  log but neither votes nor counts for commitment) and is promoted to voter only
  when it has caught up with the leader's commit index, so that adding it does not
  stall commitment (§4.2.1). A server that does not catch up within
  ``catch_up_timeout`` is dropped again and the admin is told ``timeout``.
- **Removed servers** stop being voters as soon as they have the entry, so they
  stop campaigning; one that never received it may time out and campaign, and the
  "disruptive servers" rule (paper §6, thesis §4.2.3) keeps it from deposing a
  healthy leader: a server that has heard from a leader within the minimum election
  timeout ignores RequestVote.

``MembershipClient`` is the administrator: it sends ``AddServer`` / ``RemoveServer``
to the leader (following leader hints, retrying on timeouts) and reports each
outcome in the trace as ``output("membership", (op, server, status))``.
Taught in notebook 2.8.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..sim import Node
from .log import RaftLog
from .messages import (BUSY, NOT_LEADER, OK, TIMEOUT, AddServer, Configuration,
                       MembershipReply, RemoveServer)

__all__ = ["Configuration", "latest_config", "config_at", "MembershipClient", "MembershipMixin"]


def latest_config(log: RaftLog, base: Configuration) -> tuple[Configuration, int]:
    """The latest configuration in ``log`` and its index; ``base`` (the snapshot's
    configuration, or the bootstrap one) if the log holds none (thesis §4.1)."""
    for e in reversed(log.entries):
        if isinstance(e.command, Configuration):
            return e.command, e.index
    return base, log.snapshot_index


def config_at(log: RaftLog, index: int, base: Configuration) -> Configuration:
    """The configuration in force at ``index`` (for a snapshot taken there, §7)."""
    for e in reversed(log.entries):
        if e.index <= index and isinstance(e.command, Configuration):
            return e.command
    return base


class MembershipClient(Node):
    """An administrator that runs ``script``: ``[(time, "add" | "remove", server), ...]``.

    Each change is sent to the server believed to lead; ``not_leader`` replies are
    followed to the hint, ``busy`` ones retried after ``retry_timeout``, and an
    unanswered request is re-sent to the next server. A change is given up (status
    ``"gave up"``) after ``give_up`` time units. Every outcome appears in the trace as
    ``output("membership", (op, server, status))``.
    """

    def __init__(self, servers: Sequence[str], script: Sequence[tuple[float, str, str]],
                 retry_timeout: float = 100.0, give_up: float = 3000.0) -> None:
        if isinstance(servers, str) or not servers:
            raise ValueError("servers must be a non-empty list of server ids")
        for k, item in enumerate(script):
            if len(item) != 3 or item[1] not in ("add", "remove"):
                raise ValueError(f"script[{k}] must be (time, 'add' | 'remove', server), "
                                 f"got {item!r}")
        self.servers = list(servers)
        self.script = sorted(script, key=lambda s: s[0])
        self.retry_timeout = retry_timeout
        self.give_up = give_up
        self.results: list[tuple[str, str, str]] = []
        self._i = 0
        self._seq = 0
        self._target = 0
        self._started = 0.0
        self._open = False
        self._stay = False

    def on_start(self) -> None:
        if self.incarnation == 0 and self.script:
            self.set_timer(max(0.0, self.script[0][0] - self.now), "next")

    def _send(self) -> None:
        _, op, server = self.script[self._i]
        msg = AddServer(server, self._seq) if op == "add" else RemoveServer(server, self._seq)
        target = self.servers[self._target % len(self.servers)]
        self.send(target, msg)
        self.set_timer(self.retry_timeout, "retry", self._seq)

    def _finish(self, status: str) -> None:
        _, op, server = self.script[self._i]
        self.results.append((op, server, status))
        self.output("membership", (op, server, status))
        self._open = False
        self._i += 1
        if self._i < len(self.script):
            self.set_timer(max(0.0, self.script[self._i][0] - self.now), "next")

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "next":
            self._seq += 1
            self._open = True
            self._started = self.now
            self._send()
        elif name == "retry" and self._open and payload == self._seq:
            if self.now - self._started >= self.give_up:
                self._finish("gave up")
                return
            if not self._stay:
                self._target += 1
            self._stay = False
            self._send()

    def on_message(self, src: str, msg: Any) -> None:
        if not isinstance(msg, MembershipReply) or not self._open or msg.seq != self._seq:
            return
        if msg.status == OK or (msg.status not in (NOT_LEADER, BUSY)):
            self.cancel_timer("retry")
            self._finish(msg.status)
        elif msg.status == NOT_LEADER and msg.leader_hint is not None \
                and msg.leader_hint != src:
            if msg.leader_hint not in self.servers:
                self.servers.append(msg.leader_hint)
            self._target = self.servers.index(msg.leader_hint)
            self.cancel_timer("retry")
            self._send()
        elif msg.status == BUSY:
            self._stay = True  # the right server, at the wrong moment: retry it later
        # no hint: the retry timer re-sends to the next server


class _Change:
    """The membership change a leader is carrying out."""

    __slots__ = ("op", "server", "admin", "seq")

    def __init__(self, op: str, server: str, admin: str, seq: int) -> None:
        self.op, self.server, self.admin, self.seq = op, server, admin, seq


class MembershipMixin:
    """Single-server membership changes (thesis §4), for ``RaftServer``."""

    def refresh_config(self) -> None:
        """Put the latest configuration in the log in force (thesis §4.1)."""
        base = self.snapshot.config if self.snapshot is not None else self.initial_config
        config, index = latest_config(self.log, base)
        if config == self.config and index == self.config_index:
            return
        self.config, self.config_index = config, index
        self.output("config", (index, config.voters, config.learners))
        if self.role == "leader":
            for p in config.members:
                if p != self.id and p not in self.next_index:
                    self.next_index[p] = self.log.last_index + 1
                    self.match_index[p] = 0

    def config_committed(self) -> bool:
        """Is the configuration in force committed?"""
        return self.config_index <= self.commit_index

    def _membership_refusal(self, src: str, server: str, seq: int, op: str) -> bool:
        """Reply and return True if this server cannot start a change now."""
        if self.role != "leader":
            self.send(src, MembershipReply(seq, server, NOT_LEADER, self.leader_id))
            return True
        ch = self.change
        if ch is not None:
            if ch.op == op and ch.server == server:
                ch.admin, ch.seq = src, seq     # the admin retried: answer the new copy
            else:
                self.send(src, MembershipReply(seq, server, BUSY, self.id))
            return True
        return False

    def _ready_for_change(self) -> bool:
        # One change at a time, and only once this leader has committed an entry of
        # its own term (Ongaro, raft-dev 2015; the no-op at the start of a term does it).
        return self.config_committed() and self.log.term_at(self.commit_index) == self.current_term

    def on_add_server(self, src: str, m: AddServer) -> None:
        """Leader: add ``m.server``, first as a learner, then as a voter (thesis §4.2.1)."""
        if self._membership_refusal(src, m.server, m.seq, "add"):
            return
        s = m.server
        if s in self.config.voters:
            self.send(src, MembershipReply(m.seq, s, OK, self.id))
            return
        if not self._ready_for_change():
            self.send(src, MembershipReply(m.seq, s, BUSY, self.id))
            return
        self.change = _Change("add", s, src, m.seq)
        if s not in self.config.learners:
            self.append_config(Configuration(self.config.voters, self.config.learners + (s,)))
        self.set_timer(self.catch_up_timeout, "catch_up", (self.current_term, s))
        self.progress_membership()

    def on_remove_server(self, src: str, m: RemoveServer) -> None:
        """Leader: remove ``m.server`` (which may be the leader itself, §4.2.2)."""
        if self._membership_refusal(src, m.server, m.seq, "remove"):
            return
        s = m.server
        if s not in self.config.members:
            self.send(src, MembershipReply(m.seq, s, OK, self.id))
            return
        if not self._ready_for_change() or (s in self.config.voters
                                            and len(self.config.voters) == 1):
            self.send(src, MembershipReply(m.seq, s, BUSY, self.id))
            return
        self.change = _Change("remove", s, src, m.seq)
        self.append_config(Configuration(tuple(v for v in self.config.voters if v != s),
                                         tuple(v for v in self.config.learners if v != s)))
        self.progress_membership()

    def append_config(self, config: Configuration) -> None:
        """Leader: append a configuration entry; it is in force at once (§4.1)."""
        self.start(config)

    def progress_membership(self) -> None:
        """Leader: move the pending change on once the configuration is committed."""
        ch = self.change
        if ch is None or self.role != "leader" or not self.config_committed():
            return
        s, config = ch.server, self.config
        if ch.op == "add":
            if s in config.voters:
                self._finish_change(OK)
            elif s not in config.learners:
                self._finish_change(TIMEOUT)
            elif self.match_index.get(s, 0) >= self.commit_index:
                # Caught up with everything committed: promote the learner.
                self.append_config(Configuration(config.voters + (s,),
                                                 tuple(v for v in config.learners if v != s)))
        elif s not in config.members:
            self._finish_change(OK)
            if s == self.id:
                self.become_follower(self.current_term)   # removed itself: step down

    def _finish_change(self, status: str) -> None:
        ch = self.change
        self.change = None
        self.send(ch.admin, MembershipReply(ch.seq, ch.server, status, self.id))

    def on_catch_up_timeout(self, payload: tuple[int, str]) -> None:
        """Leader: a learner that has not caught up in time is dropped (§4.2.1)."""
        term, s = payload
        ch = self.change
        if (self.role != "leader" or term != self.current_term or ch is None
                or ch.op != "add" or ch.server != s or s not in self.config.learners):
            return
        if not self.config_committed():
            self.set_timer(self.heartbeat_interval, "catch_up", payload)
            return
        self.append_config(Configuration(self.config.voters,
                                         tuple(v for v in self.config.learners if v != s)))
        self._finish_change(TIMEOUT)

    def abandon_change(self) -> None:
        """On stepping down: tell the admin to find the new leader."""
        ch = self.change
        if ch is not None:
            self.change = None
            self.send(ch.admin, MembershipReply(ch.seq, ch.server, NOT_LEADER, None))
