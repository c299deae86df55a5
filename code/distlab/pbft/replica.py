"""A PBFT replica (Castro & Liskov 1999, §4; TOCS 2002, §4), as a pure state machine.

The normal case, for a request ``m`` from a client:

1. the primary of view ``v`` assigns the next sequence number ``n`` and multicasts
   ``PrePrepare(v, n, D(m))`` with ``m``;
2. a backup that accepts it (right view, ``n`` in the log window, no other digest for
   ``(v, n)``) multicasts ``Prepare(v, n, d)``; with the pre-prepare and ``2f``
   matching prepares the request is **prepared**, and the replica multicasts
   ``Commit(v, n, d)``;
3. with ``2f+1`` matching commits it is **committed-local**; requests execute in
   sequence-number order and each replica replies to the client, which waits for
   ``f+1`` matching replies.

Every ``checkpoint_interval`` requests, replicas multicast a ``Checkpoint`` with the
digest of their state; ``2f+1`` matching ones make it *stable*: the log below it is
discarded, the window ``(h, h + window]`` of acceptable sequence numbers moves up,
and a replica that fell behind fetches the state (§4.3).

A backup waiting for a request it knows about starts a timer; when it expires the
backup stops accepting normal-case messages and multicasts a ``ViewChange`` for
``v+1`` carrying its prepared certificates. The primary of ``v+1`` collects ``2f+1``,
re-proposes every request that prepared in some view change (the one of the highest
view per sequence number) and null requests in the gaps, and multicasts ``NewView``;
backups check it by recomputing it, then prepare and commit the re-proposals in the
new view (§4.4). Liveness rules (§4.5.2): doubled timeouts for consecutive view
changes, and joining a view change that ``f+1`` others have started. Three additions
of ours for lossy networks, none of which a safety argument relies on: a replica
that receives a pre-prepare again re-sends its own votes; one that hears a view
change for a view it has already entered answers with that view's ``NewView``; and
one whose view change stalls without ``2f+1`` view changes follows the others to a
later view it has seen a view change for. The primary, too, arms the request timer.

The paper counts a crashed replica among the ``f`` faulty ones. Here replicas crash
and *recover*: before each handler's messages leave, the runtime persists what the
handler wrote to ``storage``. What must survive is everything the replica has said
(its view, the pre-prepares it accepted, its own prepares and commits, its prepared
certificates, from which its view-change message is rebuilt) and what it executed.
A replica that forgot would contradict itself after a restart, which is Byzantine
behaviour (``byzantine.AmnesiacReplica`` shows it). Left out: batching, read-only
and tentative execution, MACs and authenticators (signatures are modelled instead),
proactive recovery (TOCS 2002, §4.7).

Honest replicas send through ``_send``; ``distlab.pbft.byzantine`` overrides it to
lie. Outputs for checkers: ``execute`` (an ``Execution``), ``install`` (a state
transfer) and ``view`` (entering a view). Taught in notebook 2.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import Node
from .auth import digest, sign, verify
from .messages import (Checkpoint, Commit, FetchState, NewView, Prepare, PreparedCertificate,
                       PrePrepare, Reply, Request, Snapshot, StateTransfer, ViewChange,
                       describe_op)
from .quorums import (Group, checkpoint_digest, reproposals, request_matches, valid_new_view,
                      valid_view_change)

__all__ = ["PBFTReplica", "Execution", "apply_op"]


@dataclass(frozen=True, slots=True)
class Execution:
    """What a replica reports (``output("execute", ...)``) when it executes ``seq``.

    ``fresh`` is False for the null request and for a request the client had already
    had executed (a duplicate, answered with the saved reply); ``state`` is the digest
    of the service state afterwards.
    """

    seq: int
    digest: str
    client: str | None
    timestamp: int | None
    op: Any
    result: Any
    fresh: bool
    state: str

    def __repr__(self) -> str:
        if self.client is None:
            return f"Execution(n={self.seq}, null request)"
        tag = "" if self.fresh else " (duplicate)"
        return (f"Execution(n={self.seq}, {describe_op(self.op)} from {self.client} "
                f"→ {self.result!r}{tag})")


def apply_op(value: Any, op: Any) -> tuple[Any, Any]:
    """The replicated service: one register. Returns ``(new value, result)``.

    ``("read", None)`` returns the value; ``("write", x)`` sets it and returns
    ``"ok"``; ``("cas", (old, new))`` sets it if it equals ``old`` and returns whether
    it did. Anything else is answered ``"error"`` without changing the state, since a
    (Byzantine) client may send nonsense and every replica must react the same way.
    """
    if isinstance(op, tuple) and len(op) == 2:
        f, arg = op
        if f == "read":
            return value, value
        if f == "write":
            return arg, "ok"
        if f == "cas" and isinstance(arg, tuple) and len(arg) == 2:
            return (arg[1], True) if value == arg[0] else (value, False)
    return value, "error"


class PBFTReplica(Node):
    """A PBFT replica of the register service.

    Parameters
    ----------
    replicas
        Every replica, in the order that makes ``replicas[v mod n]`` the primary of view v.
    f
        Byzantine faults tolerated (default ``(n - 1) // 3``).
    quorum
        Override the quorum (only to build groups below ``3f+1`` on purpose).
    view_timeout
        How long a backup waits for a request it knows before suspecting the primary.
    checkpoint_interval
        Take a checkpoint every this many sequence numbers.
    window
        Size ``L`` of the log window ``(h, h + L]`` (default 3 checkpoint intervals).
    """

    def __init__(self, replicas: Sequence[str], f: int | None = None, *,
                 quorum: int | None = None, view_timeout: float = 80.0,
                 checkpoint_interval: int = 4, window: int | None = None) -> None:
        self.group = Group.make(replicas, f, quorum)
        if isinstance(view_timeout, bool) or not isinstance(view_timeout, (int, float)) \
                or view_timeout <= 0:
            raise ValueError(f"view_timeout must be a positive number, got {view_timeout!r}")
        if isinstance(checkpoint_interval, bool) or not isinstance(checkpoint_interval, int) \
                or checkpoint_interval < 1:
            raise ValueError(f"checkpoint_interval must be a positive int, "
                             f"got {checkpoint_interval!r}")
        window = 3 * checkpoint_interval if window is None else window
        if isinstance(window, bool) or not isinstance(window, int) or window < checkpoint_interval:
            raise ValueError(f"window must be an int >= checkpoint_interval "
                             f"({checkpoint_interval}), got {window!r}")
        self.view_timeout = float(view_timeout)
        self.checkpoint_interval = checkpoint_interval
        self.window = window

    # --- start and recovery ---------------------------------------------------------------
    def on_start(self) -> None:
        if self.id not in self.group.replicas:
            raise ValueError(f"{self.id!r} is not one of the replicas {self.group.replicas}")
        self.view, self.active = self.storage.get("view", (0, True))
        # the log (volatile, rebuilt from storage after a restart)
        self.pre_prepares: dict[tuple[int, int], PrePrepare] = {}
        self.prepares: dict[tuple[int, int, str], dict[str, Prepare]] = {}
        self.commits: dict[tuple[int, int, str], dict[str, Commit]] = {}
        self.sent_commits: set[tuple[int, int]] = set()
        self.certs: dict[int, PreparedCertificate] = {}
        self.committed: dict[int, PrePrepare] = {}
        self.committed_seqs: set[int] = set()
        self.view_changes: dict[int, dict[str, ViewChange]] = {}
        self.new_views: dict[int, NewView] = {}
        self.deferred: list[Any] = []
        # checkpoints
        self.h, self.stable_proof, self.stable_snapshot = self.storage.get("stable", (0, (), None))
        self.checkpoint_votes: dict[tuple[int, str], dict[str, Checkpoint]] = {}
        self.snapshots: dict[int, Snapshot] = {}
        # the service and exactly-once bookkeeping
        self.last_executed, self.value, replies = self.storage.get("exec", (0, None, ()))
        self.replies: dict[str, Reply] = dict(replies)
        self.executed_log: list[str] = []
        # requests
        self.pending: dict[tuple[str, int], Request] = {}
        self.queue: list[Request] = []
        self.next_seq = self.h
        self.vc_attempt = 0
        self.rejected = 0        # messages that failed authentication
        self.conflicts = 0       # conflicting pre-prepares seen (equivocation)
        for key in self.storage:
            if key.startswith("log:"):
                self._replay(self.storage[key])
            elif key.startswith("cert:"):
                self._keep_cert(self.storage[key])
        if self.active:
            self.next_seq = max([self.h, self.last_executed]
                                + [n for (v, n) in self.pre_prepares if v == self.view])
        else:                                    # in a view change: say it again
            vc = self._view_change_message(self.view)
            self.view_changes.setdefault(self.view, {})[self.id] = vc
            self._multicast(vc)
            self._arm_view_change_timer()
        if self.last_executed < self.h:
            self._fetch_state()

    def _replay(self, msg: Any) -> None:
        """Rebuild the volatile log from one durable record (no sends)."""
        if isinstance(msg, PrePrepare):
            self.pre_prepares[(msg.view, msg.seq)] = msg
        elif isinstance(msg, Prepare):
            self.prepares.setdefault((msg.view, msg.seq, msg.digest), {})[msg.replica] = msg
        elif isinstance(msg, Commit):
            self.commits.setdefault((msg.view, msg.seq, msg.digest), {})[msg.replica] = msg
            self.sent_commits.add((msg.view, msg.seq))

    def _persist(self, msg: Any) -> None:
        """Write a log record durably: one key per record, ``log:<type>:<view>:<seq>``."""
        self.storage[f"log:{type(msg).__name__}:{msg.view}:{msg.seq}"] = msg

    def _keep_cert(self, cert: PreparedCertificate) -> bool:
        old = self.certs.get(cert.seq)
        if cert.seq > self.h and (old is None or old.view < cert.view):
            self.certs[cert.seq] = cert
            return True
        return False

    # --- small helpers -----------------------------------------------------------------------
    @property
    def primary(self) -> str:
        """The primary of the current view."""
        return self.group.primary(self.view)

    @property
    def is_primary(self) -> bool:
        return self.group.primary(self.view) == self.id

    def in_window(self, seq: int) -> bool:
        """Is ``seq`` between the low and high water marks, ``h < seq <= h + L``?"""
        return self.h < seq <= self.h + self.window

    def _send(self, dst: str, msg: Any) -> None:
        """Every message leaves through here (Byzantine subclasses override it)."""
        self.send(dst, msg)

    def _multicast(self, msg: Any) -> None:
        for r in self.group.replicas:
            if r != self.id:
                self._send(r, msg)

    # --- input ---------------------------------------------------------------------------------
    def on_message(self, src: str, msg: Any) -> None:
        name = self._HANDLERS.get(type(msg))
        if name is None:
            return
        if not verify(msg):
            self.rejected += 1
            return
        getattr(self, name)(src, msg)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "request":
            if self.active and self.pending:
                self.annotate("timeout")
                self._start_view_change(self.view + 1)
        elif name == "view-change":
            if self.active or payload != self.view:
                return
            if len(self.view_changes.get(self.view, {})) >= self.group.quorum:
                self.vc_attempt += 1                # §4.5.2: no new view in time
                self._start_view_change(self.view + 1)
                return
            later = [v for v, votes in self.view_changes.items()
                     if v > self.view and any(r != self.id for r in votes)]
            if later:
                # Others have given up on this view (their messages for it may be lost
                # for good): follow them rather than wait for a quorum that never comes.
                self._start_view_change(min(later))
                return
            mine = self.view_changes.get(self.view, {}).get(self.id)
            if mine is not None:                    # retransmit ours
                self._multicast(mine)
            self._arm_view_change_timer()
        elif name == "fetch":
            self._fetch_state()

    # --- requests --------------------------------------------------------------------------------
    def _on_request(self, src: str, req: Request) -> None:
        last = self.replies.get(req.client)
        if last is not None and req.timestamp <= last.timestamp:
            if req.timestamp == last.timestamp:
                self._send(req.client, last)        # a retransmission: the saved reply
            return
        if self.active and self.is_primary:
            self._order(req, retransmit=(src == req.client))
        elif self.active and src == req.client:
            self._send(self.primary, req)           # relay to the primary
        self._wait_for(req)

    def _order(self, req: Request, retransmit: bool = True) -> None:
        """The primary assigns the next sequence number (or re-sends its pre-prepare)."""
        for (v, n), pp in self.pre_prepares.items():
            if v == self.view and pp.request is not None and pp.request.client == req.client \
                    and pp.request.timestamp == req.timestamp:
                if retransmit and n > self.last_executed:
                    self._multicast(pp)
                return
        if any(q.client == req.client and q.timestamp == req.timestamp for q in self.queue):
            return
        if not self.in_window(self.next_seq + 1):
            self.queue.append(req)                  # wait for a stable checkpoint
            return
        self.next_seq += 1
        pp = sign(PrePrepare(self.view, self.next_seq, digest(req), self.id, req))
        self.pre_prepares[(pp.view, pp.seq)] = pp
        self._persist(pp)
        self._multicast(pp)

    def _wait_for(self, req: Request | None) -> None:
        if req is None:
            return
        last = self.replies.get(req.client)
        if last is not None and req.timestamp <= last.timestamp:
            return
        self.pending[(req.client, req.timestamp)] = req
        self._arm_request_timer()

    def _arm_request_timer(self, restart: bool = False) -> None:
        # The paper arms it at backups; here the primary too, so that a primary left
        # alone in a view the others have abandoned (it was down) goes looking for them.
        if not self.active or not self.pending:
            return
        if restart:
            self.cancel_timer("request")
        elif "request" in self._rt.pending_timers(self.id):
            return
        self.set_timer(self.view_timeout, "request")

    # --- normal case ---------------------------------------------------------------------------------
    def _defer(self, msg: Any) -> bool:
        """Keep a message of a view we have not entered yet (at most 200)."""
        if msg.view > self.view or (msg.view == self.view and not self.active):
            if len(self.deferred) < 200:
                self.deferred.append(msg)
            return True
        return False

    def _on_pre_prepare(self, src: str, pp: PrePrepare) -> None:
        if pp.replica != self.group.primary(pp.view) or pp.replica == self.id:
            return
        if self._defer(pp) or pp.view != self.view or not self.in_window(pp.seq):
            return
        if not request_matches(pp):
            return
        have = self.pre_prepares.get((pp.view, pp.seq))
        if have is not None:
            if have.digest != pp.digest:
                self.conflicts += 1                 # the primary equivocates
                return
            self._retransmit(pp.view, pp.seq)
            return
        self._accept_pre_prepare(pp)

    def _accept_pre_prepare(self, pp: PrePrepare) -> None:
        """Log the pre-prepare and, as a backup, multicast a matching prepare."""
        self.pre_prepares[(pp.view, pp.seq)] = pp
        self._persist(pp)
        if not self.group.primary(pp.view) == self.id:
            prepare = sign(Prepare(pp.view, pp.seq, pp.digest, self.id))
            self.prepares.setdefault((pp.view, pp.seq, pp.digest), {})[self.id] = prepare
            self._persist(prepare)
            self._multicast(prepare)
        self._wait_for(pp.request)
        self._check_prepared(pp.view, pp.seq)

    def _retransmit(self, view: int, seq: int) -> None:
        """A duplicate pre-prepare: others may have missed our votes, send them again."""
        pp = self.pre_prepares[(view, seq)]
        mine = self.prepares.get((view, seq, pp.digest), {}).get(self.id)
        if mine is not None:
            self._multicast(mine)
        commit = self.commits.get((view, seq, pp.digest), {}).get(self.id)
        if commit is not None:
            self._multicast(commit)

    def _on_prepare(self, src: str, p: Prepare) -> None:
        if self._defer(p) or p.view != self.view or not self.in_window(p.seq):
            return
        if p.replica == self.group.primary(p.view) or p.replica not in self.group.replicas:
            return                                  # only backups prepare
        votes = self.prepares.setdefault((p.view, p.seq, p.digest), {})
        if p.replica not in votes:
            votes[p.replica] = p
            self._check_prepared(p.view, p.seq)

    def _check_prepared(self, view: int, seq: int) -> None:
        """prepared(m, v, n, i): the pre-prepare and 2f matching prepares from backups."""
        pp = self.pre_prepares.get((view, seq))
        if pp is None or (view, seq) in self.sent_commits:
            return
        votes = self.prepares.get((view, seq, pp.digest), {})
        if len(votes) < self.group.quorum - 1:
            return
        chosen = tuple(sorted(votes.values(), key=lambda p: p.replica)[:self.group.quorum - 1])
        cert = PreparedCertificate(pp, chosen)
        if self._keep_cert(cert):
            self.storage[f"cert:{seq}"] = cert
        commit = sign(Commit(view, seq, pp.digest, self.id))
        self.sent_commits.add((view, seq))
        self.commits.setdefault((view, seq, pp.digest), {})[self.id] = commit
        self._persist(commit)
        self._multicast(commit)
        self._check_committed(view, seq)

    def _on_commit(self, src: str, c: Commit) -> None:
        if self._defer(c) or c.view != self.view or not self.in_window(c.seq):
            return
        if c.replica not in self.group.replicas:
            return
        votes = self.commits.setdefault((c.view, c.seq, c.digest), {})
        if c.replica not in votes:
            votes[c.replica] = c
            self._check_committed(c.view, c.seq)

    def _check_committed(self, view: int, seq: int) -> None:
        """committed-local(m, v, n, i): prepared, and 2f+1 matching commits."""
        pp = self.pre_prepares.get((view, seq))
        if pp is None or (view, seq) not in self.sent_commits:
            return
        if len(self.commits.get((view, seq, pp.digest), {})) < self.group.quorum:
            return
        if seq > self.last_executed and seq not in self.committed:
            self.committed[seq] = pp
            self.committed_seqs.add(seq)
            self._execute_ready()

    # --- execution ---------------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The service state after ``last_executed`` (what checkpoints digest)."""
        replies = tuple(sorted((c, r.timestamp, r.result) for c, r in self.replies.items()))
        return Snapshot(self.last_executed, self.value, replies)

    def _execute_ready(self) -> None:
        while self.last_executed + 1 in self.committed:
            self._execute(self.committed.pop(self.last_executed + 1))

    def _execute(self, pp: PrePrepare) -> None:
        """Execute in sequence-number order; each client's request at most once."""
        req = pp.request
        result, fresh, reply = None, False, None
        if req is not None:
            last = self.replies.get(req.client)
            if last is None or req.timestamp > last.timestamp:
                self.value, result = apply_op(self.value, req.op)
                fresh = True
                reply = sign(Reply(self.view, req.timestamp, req.client, self.id, result))
                self.replies[req.client] = reply
            elif req.timestamp == last.timestamp:
                reply, result = last, last.result
            for key in [k for k in self.pending if k[0] == req.client
                        and k[1] <= self.replies[req.client].timestamp]:
                del self.pending[key]
        self.last_executed = pp.seq
        self.storage["exec"] = (self.last_executed, self.value,
                                tuple(sorted(self.replies.items())))
        snap = self.snapshot()
        state = digest(snap)
        self.output("execute", Execution(pp.seq, pp.digest, req.client if req else None,
                                         req.timestamp if req else None,
                                         req.op if req else None, result, fresh, state))
        self.executed_log.append(f"{pp.seq}:{describe_op(req.op) if req else 'null'}"
                                 + ("" if fresh or req is None else "(dup)"))
        if reply is not None:
            self._send(req.client, reply)
        if fresh:
            self.vc_attempt = 0
        if pp.seq % self.checkpoint_interval == 0:
            self.snapshots[pp.seq] = snap
            cp = sign(Checkpoint(pp.seq, state, self.id))
            self._multicast(cp)
            self._count_checkpoint(cp)
        if self.pending:
            self._arm_request_timer(restart=True)
        else:
            self.cancel_timer("request")

    # --- checkpoints and state transfer ----------------------------------------------------------------
    def _on_checkpoint(self, src: str, cp: Checkpoint) -> None:
        if cp.replica in self.group.replicas:
            self._count_checkpoint(cp)

    def _count_checkpoint(self, cp: Checkpoint) -> None:
        if cp.seq <= self.h:
            return
        votes = self.checkpoint_votes.setdefault((cp.seq, cp.state), {})
        votes[cp.replica] = cp
        if len(votes) >= self.group.quorum:
            proof = tuple(sorted(votes.values(), key=lambda c: c.replica)[:self.group.quorum])
            self._stabilize(cp.seq, proof)

    def _stabilize(self, seq: int, proof: tuple[Checkpoint, ...]) -> None:
        """A checkpoint is stable: move the window up and discard the log below it."""
        if seq <= self.h:
            return
        state = proof[0].state
        self.h, self.stable_proof = seq, proof
        snap = self.snapshots.get(seq)
        self.stable_snapshot = snap if snap is not None and digest(snap) == state else None
        for table in (self.pre_prepares, self.sent_commits):
            for key in [k for k in table if k[1] <= seq]:
                table.discard(key) if isinstance(table, set) else table.pop(key)
        for table in (self.prepares, self.commits):
            for key in [k for k in table if k[1] <= seq]:
                del table[key]
        for table in (self.certs, self.committed, self.snapshots):
            for key in [k for k in table if k <= seq]:
                del table[key]
        self.committed_seqs = {n for n in self.committed_seqs if n > seq}
        for key in [k for k in self.checkpoint_votes if k[0] <= seq]:
            del self.checkpoint_votes[key]
        self.storage["stable"] = (self.h, self.stable_proof, self.stable_snapshot)
        for key in self.storage:                   # garbage-collect the durable log
            if key.startswith(("log:", "cert:")) and int(key.rsplit(":", 1)[1]) <= seq:
                del self.storage[key]
        if self.last_executed < seq:
            self._fetch_state()
        if self.active and self.is_primary:
            self.next_seq = max(self.next_seq, seq)
            queued, self.queue = self.queue, []
            for req in queued:
                self._order(req)

    def _fetch_state(self) -> None:
        if self.last_executed >= self.h:
            self.cancel_timer("fetch")
            return
        fetch = sign(FetchState(self.h, self.id))
        self._multicast(fetch)
        self.cancel_timer("fetch")
        self.set_timer(self.view_timeout / 2, "fetch")

    def _on_fetch_state(self, src: str, fs: FetchState) -> None:
        if self.stable_snapshot is not None and self.h >= fs.seq \
                and fs.replica in self.group.replicas:
            self._send(fs.replica, sign(StateTransfer(self.stable_snapshot, self.stable_proof,
                                                      self.id)))

    def _on_state_transfer(self, src: str, st: StateTransfer) -> None:
        snap = st.snapshot
        if not isinstance(snap, Snapshot) or snap.seq <= self.last_executed:
            return
        state = checkpoint_digest(snap.seq, st.proof, self.group)
        if not state or state != digest(snap):
            return                                   # a lie: the proof does not match
        self.value = snap.value
        self.replies = {c: sign(Reply(self.view, t, c, self.id, r)) for c, t, r in snap.replies}
        self.last_executed = snap.seq
        self.storage["exec"] = (self.last_executed, self.value,
                                tuple(sorted(self.replies.items())))
        self.output("install", (snap.seq, state))
        self.executed_log.append(f"≤{snap.seq}:state transfer")
        self.cancel_timer("fetch")
        self.snapshots[snap.seq] = snap
        if snap.seq > self.h:
            self._stabilize(snap.seq, tuple(st.proof))
        elif snap.seq == self.h:
            self.stable_snapshot = snap
            self.storage["stable"] = (self.h, self.stable_proof, snap)
        for key in [k for k in self.pending
                    if k[0] in self.replies and k[1] <= self.replies[k[0]].timestamp]:
            del self.pending[key]
        for n in [n for n in self.committed if n <= self.last_executed]:
            del self.committed[n]
        self._execute_ready()

    # --- view changes ----------------------------------------------------------------------------------
    def _arm_view_change_timer(self) -> None:
        self.cancel_timer("view-change")
        self.set_timer(self.view_timeout * 2 ** min(self.vc_attempt, 5), "view-change",
                       self.view)

    def _start_view_change(self, view: int) -> None:
        """Stop accepting normal-case messages and multicast VIEW-CHANGE for ``view``."""
        assert view > self.view, (view, self.view)
        self.view, self.active = view, False
        self.storage["view"] = (view, False)
        self.cancel_timer("request")
        vc = self._view_change_message(view)
        self.view_changes.setdefault(view, {})[self.id] = vc
        self._multicast(vc)
        self._arm_view_change_timer()
        self._maybe_new_view()

    def _view_change_message(self, view: int) -> ViewChange:
        """VIEW-CHANGE for ``view``: the stable checkpoint with its proof, and the
        prepared certificate (of the latest view) for each sequence number above it.
        Everything in it is durable, so it is rebuilt after a restart."""
        certs = tuple(self.certs[n] for n in sorted(self.certs) if n > self.h)
        return sign(ViewChange(view, self.h, self.stable_proof, certs, self.id))

    def _on_view_change(self, src: str, vc: ViewChange) -> None:
        if vc.view < self.view or (vc.view == self.view and self.active):
            nv = self.new_views.get(self.view)      # the sender is behind: help it
            if self.active and nv is not None and vc.replica != self.id \
                    and vc.replica in self.group.replicas:
                self._send(vc.replica, nv)
            return
        votes = self.view_changes.setdefault(vc.view, {})
        if vc.replica in votes or not valid_view_change(vc, self.group, self.window):
            return
        votes[vc.replica] = vc
        self._join_view_change()
        self._maybe_new_view()

    def _join_view_change(self) -> None:
        """Liveness (§4.5.2): f+1 others want a later view, so some honest one does."""
        latest: dict[str, int] = {}
        for v, votes in self.view_changes.items():
            if v > self.view:
                for r in votes:
                    if r != self.id:
                        latest[r] = max(latest.get(r, 0), v)
        if len(latest) >= self.group.f + 1:
            target = sorted(latest.values(), reverse=True)[self.group.f]
            if target > self.view:
                self._start_view_change(target)

    def _maybe_new_view(self) -> None:
        """As the new primary: with 2f+1 view changes (ours included), send NEW-VIEW."""
        v = self.view
        if self.active or self.group.primary(v) != self.id or v in self.new_views:
            return
        votes = self.view_changes.get(v, {})
        if self.id not in votes or len(votes) < self.group.quorum:
            return
        others = [vc for r, vc in votes.items() if r != self.id][:self.group.quorum - 1]
        chosen = (votes[self.id], *others)
        _, _, proposals = reproposals(chosen)
        pps = tuple(sign(PrePrepare(v, n, d, self.id, req)) for n, d, req in proposals)
        nv = sign(NewView(v, chosen, pps, self.id))
        self._multicast(nv)
        self._enter_view(nv)

    def _on_new_view(self, src: str, nv: NewView) -> None:
        if nv.view < self.view or (nv.view == self.view and self.active):
            return
        if nv.replica == self.id or not valid_new_view(nv, self.group, self.window):
            return
        self._enter_view(nv)

    def _enter_view(self, nv: NewView) -> None:
        """Adopt the new view's checkpoint and re-proposals, then resume."""
        min_s, proof, _ = reproposals(nv.view_changes)
        if min_s > self.h:
            self._stabilize(min_s, proof)
        self.view, self.active = nv.view, True
        self.storage["view"] = (nv.view, True)
        self.new_views = {nv.view: nv}      # to bring lagging replicas into this view
        self.cancel_timer("view-change")
        self.output("view", nv.view)
        for pp in nv.pre_prepares:
            if self.in_window(pp.seq):
                self._accept_pre_prepare(pp)
        max_s = max((pp.seq for pp in nv.pre_prepares), default=min_s)
        if self.is_primary:
            self.next_seq = max(self.h, max_s)
            for req in sorted(self.pending.values(), key=lambda r: (r.client, r.timestamp)):
                self._order(req, retransmit=False)
        deferred, self.deferred = self.deferred, []
        for msg in deferred:
            if msg.view == self.view:
                getattr(self, self._HANDLERS[type(msg)])(msg.replica, msg)
            elif msg.view > self.view:
                self.deferred.append(msg)
        self._arm_request_timer(restart=True)

    # --- what state tables show ---------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """View (``→v`` while changing to v), stable checkpoint ``h``, the sequence numbers
        prepared (in this view) and committed above ``h``, the last executions."""
        if not hasattr(self, "sent_commits"):      # not started yet
            return {"view": "-", "h": "-", "prepared": "-", "committed": "-", "executed": "-"}
        prepared = sorted(n for (v, n) in self.sent_commits if v == self.view)
        return {
            "view": self.view if self.active else f"→{self.view}",
            "h": self.h,
            "prepared": ",".join(map(str, prepared[-6:])) or "-",
            "committed": ",".join(map(str, sorted(self.committed_seqs)[-6:])) or "-",
            "executed": " ".join(self.executed_log[-4:]) or "-",
        }

    #: message type -> the method that handles it
    _HANDLERS: dict[type, str] = {
        Request: "_on_request", PrePrepare: "_on_pre_prepare", Prepare: "_on_prepare",
        Commit: "_on_commit", Checkpoint: "_on_checkpoint", FetchState: "_on_fetch_state",
        StateTransfer: "_on_state_transfer", ViewChange: "_on_view_change",
        NewView: "_on_new_view",
    }
