"""Quorums and certificates of PBFT, as pure functions over signed messages.

Everything a replica must check about what *others* claim lives here, so that the
rules can be read (and tested) on their own:

- ``Group``: the replicas, ``f``, the quorum size and ``primary(v) = replicas[v mod n]``;
- ``prepared_certificate``: the *prepared* predicate (Castro & Liskov 1999, §4.2): a
  valid pre-prepare plus ``2f`` matching prepares from different backups;
- ``valid_certificate``, ``checkpoint_digest``, ``valid_view_change``: what a replica
  checks before it believes a view-change message (§4.3, §4.4);
- ``reproposals`` and ``valid_new_view``: the new primary's set ``O`` of pre-prepares,
  computed from ``2f+1`` view changes, and the backups' re-computation of it (§4.4).

Why ``2f+1`` of ``3f+1``: two such quorums share at least ``f+1`` replicas, so at
least one honest replica is in both (``intersection``). Taught in notebook 2.5.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .auth import NULL_DIGEST, digest, verify
from .messages import (Checkpoint, Prepare, PreparedCertificate, PrePrepare, Request,
                       ViewChange, NewView)

__all__ = ["Group", "intersection", "request_matches", "prepared_certificate",
           "valid_certificate", "checkpoint_digest", "valid_view_change", "reproposals",
           "valid_new_view"]


def intersection(n: int, q: int) -> int:
    """The fewest replicas two quorums of size ``q`` out of ``n`` can share: ``2q - n``."""
    for name, v in (("n", n), ("q", q)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    if q > n:
        raise ValueError(f"a quorum cannot be larger than the group: q={q} > n={n}")
    return max(0, 2 * q - n)


@dataclass(frozen=True)
class Group:
    """The replica group: ``n = len(replicas)`` replicas tolerating ``f`` faults.

    ``quorum`` defaults to the smallest size whose intersections always hold an honest
    replica, ``ceil((n + f + 1) / 2)`` (``2f+1`` when ``n = 3f+1``). A group smaller than
    ``3f+1`` is refused unless ``quorum`` is given: that is how notebook 2.5 shows what
    goes wrong below the bound.
    """

    replicas: tuple[str, ...]
    f: int
    quorum: int

    @classmethod
    def make(cls, replicas: Sequence[str], f: int | None = None,
             quorum: int | None = None) -> "Group":
        if isinstance(replicas, str) or not isinstance(replicas, Sequence):
            raise TypeError(f"replicas must be a list of node ids, got {replicas!r}")
        reps = tuple(replicas)
        if not reps or not all(isinstance(r, str) and r for r in reps):
            raise ValueError(f"replicas must be non-empty node ids, got {replicas!r}")
        if len(set(reps)) != len(reps):
            raise ValueError(f"replicas must be distinct, got {replicas!r}")
        n = len(reps)
        if f is None:
            f = (n - 1) // 3
        if isinstance(f, bool) or not isinstance(f, int) or f < 0:
            raise ValueError(f"f must be a non-negative int, got {f!r}")
        if quorum is None:
            if n < 3 * f + 1:
                raise ValueError(f"{n} replicas cannot tolerate f={f} Byzantine faults: PBFT "
                                 f"needs n >= 3f+1 = {3 * f + 1} (pass quorum= to build an "
                                 f"unsafe group on purpose)")
            quorum = (n + f + 2) // 2          # ceil((n + f + 1) / 2)
        if isinstance(quorum, bool) or not isinstance(quorum, int) or not 1 <= quorum <= n:
            raise ValueError(f"quorum must be an int between 1 and n={n}, got {quorum!r}")
        return cls(reps, f, quorum)

    @property
    def n(self) -> int:
        return len(self.replicas)

    def primary(self, view: int) -> str:
        """The primary of view ``view``: ``replicas[view mod n]`` (§4)."""
        return self.replicas[view % len(self.replicas)]


def request_matches(pp: PrePrepare) -> bool:
    """Does the pre-prepare's digest match the request it carries (signed by its client),
    or is it the null request?"""
    if pp.request is None:
        return pp.digest == NULL_DIGEST
    return (isinstance(pp.request, Request) and verify(pp.request)
            and digest(pp.request) == pp.digest)


def prepared_certificate(messages: Iterable[Any], view: int, seq: int,
                         group: Group) -> PreparedCertificate | None:
    """The predicate ``prepared(m, v, n, i)`` over a replica's log (§4.2).

    True (a certificate is returned) iff the log holds a valid pre-prepare for
    ``(view, seq)`` from the primary of ``view`` whose digest matches its request, and
    prepares from ``quorum - 1`` (``2f``) *different backups* with the same view,
    sequence number and digest. Prepares from the primary, with another digest, or
    with a bad signature do not count.
    """
    msgs = list(messages)
    primary = group.primary(view)
    pps = [m for m in msgs if isinstance(m, PrePrepare) and m.view == view and m.seq == seq
           and m.replica == primary and verify(m) and request_matches(m)]
    for pp in pps:
        votes: dict[str, Prepare] = {}
        for m in msgs:
            if (isinstance(m, Prepare) and m.view == view and m.seq == seq
                    and m.digest == pp.digest and m.replica != primary
                    and m.replica in group.replicas and m.replica not in votes and verify(m)):
                votes[m.replica] = m
        if len(votes) >= group.quorum - 1:
            chosen = tuple(sorted(votes.values(), key=lambda p: p.replica)[:group.quorum - 1])
            return PreparedCertificate(pp, chosen)
    return None


def valid_certificate(cert: Any, group: Group) -> bool:
    """Is ``cert`` a genuine proof that its request prepared?"""
    if not isinstance(cert, PreparedCertificate) or not isinstance(cert.pre_prepare, PrePrepare):
        return False
    return prepared_certificate((cert.pre_prepare, *cert.prepares), cert.view, cert.seq,
                                group) is not None


def checkpoint_digest(seq: int, proof: Sequence[Any], group: Group) -> str | None:
    """The state digest that ``proof`` (``2f+1`` matching checkpoint messages from
    different replicas) vouches for at ``seq``; ``""`` for the initial state
    (``seq = 0``, no proof needed); ``None`` if the proof does not hold."""
    if seq == 0:
        return ""
    by_state: dict[str, set[str]] = {}
    for c in proof:
        if (isinstance(c, Checkpoint) and c.seq == seq and c.replica in group.replicas
                and verify(c)):
            by_state.setdefault(c.state, set()).add(c.replica)
    for state, who in sorted(by_state.items()):
        if len(who) >= group.quorum:
            return state
    return None


def valid_view_change(vc: Any, group: Group, window: int) -> bool:
    """Check a view-change message (§4.4): signed by a replica, its checkpoint proven,
    and every prepared certificate genuine, from an earlier view and inside the log
    window above the checkpoint, at most one per sequence number."""
    if not isinstance(vc, ViewChange) or vc.replica not in group.replicas or not verify(vc):
        return False
    if checkpoint_digest(vc.stable_seq, vc.checkpoint_proof, group) is None:
        return False
    seqs = set()
    for cert in vc.prepared:
        if not valid_certificate(cert, group) or cert.view >= vc.view:
            return False
        if not vc.stable_seq < cert.seq <= vc.stable_seq + window or cert.seq in seqs:
            return False
        seqs.add(cert.seq)
    return True


def reproposals(view_changes: Sequence[ViewChange]
                ) -> tuple[int, tuple[Checkpoint, ...], list[tuple[int, str, Request | None]]]:
    """What the new primary must propose, from the view changes ``V`` (§4.4).

    ``min-s`` is the latest stable checkpoint in ``V``; ``max-s`` the highest sequence
    number of a prepared certificate. For every ``n`` in ``(min-s, max-s]``: the
    request of the certificate with the *highest view* for ``n``, or the null request
    if no view change has one. Returns ``(min-s, its proof, [(n, digest, request)])``.
    """
    best = max(view_changes, key=lambda vc: vc.stable_seq)
    min_s, proof = best.stable_seq, best.checkpoint_proof
    chosen: dict[int, PreparedCertificate] = {}
    for vc in view_changes:
        for cert in vc.prepared:
            if cert.seq > min_s and (cert.seq not in chosen or cert.view > chosen[cert.seq].view):
                chosen[cert.seq] = cert
    max_s = max(chosen, default=min_s)
    out = []
    for n in range(min_s + 1, max_s + 1):
        cert = chosen.get(n)
        if cert is None:
            out.append((n, NULL_DIGEST, None))
        else:
            out.append((n, cert.digest, cert.pre_prepare.request))
    return min_s, proof, out


def valid_new_view(nv: Any, group: Group, window: int) -> bool:
    """A backup's check of a new-view message (§4.4): signed by the primary of the new
    view, ``2f+1`` valid view changes for that view from different replicas, and the
    pre-prepares exactly those that ``reproposals`` computes from them."""
    if not isinstance(nv, NewView) or nv.replica != group.primary(nv.view) or not verify(nv):
        return False
    senders = {vc.replica for vc in nv.view_changes}
    if len(senders) != len(nv.view_changes) or len(senders) < group.quorum:
        return False
    if not all(vc.view == nv.view and valid_view_change(vc, group, window)
               for vc in nv.view_changes):
        return False
    _, _, expected = reproposals(nv.view_changes)
    if len(expected) != len(nv.pre_prepares):
        return False
    for (n, d, _), pp in zip(expected, nv.pre_prepares):
        if not (isinstance(pp, PrePrepare) and pp.view == nv.view and pp.seq == n
                and pp.digest == d and pp.replica == nv.replica and verify(pp)
                and request_matches(pp)):
            return False
    return True
