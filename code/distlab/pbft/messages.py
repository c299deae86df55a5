"""The messages of PBFT (Castro & Liskov 1999, §4; TOCS 2002, §4) and of the
oral-messages algorithm (Lamport, Shostak & Pease 1982, §3).

Frozen, slotted dataclasses named as in the papers. Every PBFT message carries the
``sig`` of the node it names (its ``signer``): see ``distlab.pbft.auth``. A pre-prepare
piggybacks its request, as in the paper's ``<<PRE-PREPARE, v, n, d>σp, m>``, and the
request is not part of what the primary signs (the digest ``d`` binds it). The reprs
are short, because learners print them. Taught in notebook 2.5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .auth import short

__all__ = ["Order", "Request", "Reply", "PrePrepare", "Prepare", "Commit", "Checkpoint",
           "PreparedCertificate", "ViewChange", "NewView", "Snapshot", "FetchState",
           "StateTransfer", "describe_op"]


def describe_op(op: Any) -> str:
    """``("write", 3)`` as ``write 3``; ``("read", None)`` as ``read``."""
    if op is None:
        return "null"
    if isinstance(op, tuple) and len(op) == 2:
        return op[0] if op[1] is None else f"{op[0]} {op[1]}"
    return repr(op)


# --- the Byzantine generals ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Order:
    """An oral message of OM(m): ``value`` as relayed along ``path``.

    ``path[0]`` is the commander; ``path[-1]`` is the general who sent this copy
    (``("C", "L2")``: L2 says "the commander told me ``value``").
    """

    path: tuple[str, ...]
    value: str

    def __repr__(self) -> str:
        return f"Order({'→'.join(self.path)}: {self.value})"


# --- PBFT: the client's messages -------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Request:
    """``<REQUEST, o, t, c>σc``: client ``c`` asks for operation ``o``; ``t`` orders the
    client's own requests (exactly-once execution)."""

    op: tuple
    timestamp: int
    client: str
    sig: str = ""

    @property
    def signer(self) -> str:
        return self.client

    def __repr__(self) -> str:
        return f"Request({describe_op(self.op)}, t={self.timestamp}, {self.client})"


@dataclass(frozen=True, slots=True)
class Reply:
    """``<REPLY, v, t, c, i, r>σi``: replica ``i`` executed the client's request ``t``
    in view ``v`` with result ``r``."""

    view: int
    timestamp: int
    client: str
    replica: str
    result: Any
    sig: str = ""

    @property
    def signer(self) -> str:
        return self.replica

    def __repr__(self) -> str:
        return f"Reply(v={self.view}, t={self.timestamp}, {self.replica}: {self.result!r})"


# --- PBFT: the normal case -------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PrePrepare:
    """``<<PRE-PREPARE, v, n, d>σp, m>``: the primary of view ``v`` assigns sequence
    number ``n`` to the request with digest ``d`` (``request`` is ``None`` for the null
    request of a view change)."""

    UNSIGNED: ClassVar[tuple[str, ...]] = ("sig", "request")

    view: int
    seq: int
    digest: str
    replica: str
    request: Request | None = None
    sig: str = ""

    @property
    def signer(self) -> str:
        return self.replica

    def __repr__(self) -> str:
        return f"PrePrepare(v={self.view}, n={self.seq}, d={short(self.digest)}, {self.replica})"


@dataclass(frozen=True, slots=True)
class Prepare:
    """``<PREPARE, v, n, d, i>σi``: backup ``i`` accepted the pre-prepare."""

    view: int
    seq: int
    digest: str
    replica: str
    sig: str = ""

    @property
    def signer(self) -> str:
        return self.replica

    def __repr__(self) -> str:
        return f"Prepare(v={self.view}, n={self.seq}, d={short(self.digest)}, {self.replica})"


@dataclass(frozen=True, slots=True)
class Commit:
    """``<COMMIT, v, n, D(m), i>σi``: replica ``i`` has prepared ``m`` at ``(v, n)``."""

    view: int
    seq: int
    digest: str
    replica: str
    sig: str = ""

    @property
    def signer(self) -> str:
        return self.replica

    def __repr__(self) -> str:
        return f"Commit(v={self.view}, n={self.seq}, d={short(self.digest)}, {self.replica})"


# --- PBFT: checkpoints and state transfer -------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Checkpoint:
    """``<CHECKPOINT, n, d, i>σi``: replica ``i``'s state after executing ``n`` has
    digest ``d``. ``2f+1`` matching ones make the checkpoint *stable* (§4.3)."""

    seq: int
    state: str
    replica: str
    sig: str = ""

    @property
    def signer(self) -> str:
        return self.replica

    def __repr__(self) -> str:
        return f"Checkpoint(n={self.seq}, d={short(self.state)}, {self.replica})"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The service state after executing request ``seq``: the register's value and
    the last reply sent to each client (so exactly-once survives a state transfer)."""

    seq: int
    value: Any
    replies: tuple[tuple[str, int, Any], ...]   # (client, timestamp, result), sorted


@dataclass(frozen=True, slots=True)
class FetchState:
    """A replica that is behind a stable checkpoint asks for the state at ``seq``."""

    seq: int
    replica: str
    sig: str = ""

    @property
    def signer(self) -> str:
        return self.replica

    def __repr__(self) -> str:
        return f"FetchState(n={self.seq}, {self.replica})"


@dataclass(frozen=True, slots=True)
class StateTransfer:
    """A snapshot with the ``2f+1`` checkpoint messages that vouch for its digest."""

    snapshot: Snapshot
    proof: tuple[Checkpoint, ...]
    replica: str
    sig: str = ""

    @property
    def signer(self) -> str:
        return self.replica

    def __repr__(self) -> str:
        return f"StateTransfer(n={self.snapshot.seq}, {self.replica})"


# --- PBFT: view changes --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PreparedCertificate:
    """Proof that a request *prepared* (§4.2): a pre-prepare and ``2f`` matching
    prepares from different backups. Made of signed messages; not signed itself."""

    pre_prepare: PrePrepare
    prepares: tuple[Prepare, ...]

    @property
    def view(self) -> int:
        return self.pre_prepare.view

    @property
    def seq(self) -> int:
        return self.pre_prepare.seq

    @property
    def digest(self) -> str:
        return self.pre_prepare.digest

    def __repr__(self) -> str:
        who = ",".join(p.replica for p in self.prepares)
        return (f"Prepared(v={self.view}, n={self.seq}, d={short(self.digest)}, "
                f"prepares from {who})")


@dataclass(frozen=True, slots=True)
class ViewChange:
    """``<VIEW-CHANGE, v+1, n, C, P, i>σi`` (§4.4): replica ``i`` moves to view ``view``;
    ``stable_seq`` is its last stable checkpoint, ``checkpoint_proof`` the ``2f+1``
    checkpoint messages proving it, ``prepared`` a certificate for each request that
    prepared at ``i`` after it (the latest view's, per sequence number)."""

    view: int
    stable_seq: int
    checkpoint_proof: tuple[Checkpoint, ...]
    prepared: tuple[PreparedCertificate, ...]
    replica: str
    sig: str = ""

    @property
    def signer(self) -> str:
        return self.replica

    def __repr__(self) -> str:
        seqs = ",".join(str(c.seq) for c in self.prepared) or "-"
        return f"ViewChange(v={self.view}, h={self.stable_seq}, P=[{seqs}], {self.replica})"


@dataclass(frozen=True, slots=True)
class NewView:
    """``<NEW-VIEW, v+1, V, O>σp`` (§4.4): the new primary's proof (``2f+1`` view
    changes) and the pre-prepares ``O`` it re-proposes from them."""

    view: int
    view_changes: tuple[ViewChange, ...]
    pre_prepares: tuple[PrePrepare, ...]
    replica: str
    sig: str = ""

    @property
    def signer(self) -> str:
        return self.replica

    def __repr__(self) -> str:
        seqs = ",".join(str(p.seq) for p in self.pre_prepares) or "-"
        return f"NewView(v={self.view}, O=[{seqs}], {self.replica})"
