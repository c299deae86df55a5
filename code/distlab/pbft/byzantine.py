"""Byzantine behaviours as fault injection (Castro & Liskov 1999, §2: "faulty nodes
may behave arbitrarily", limited only by what they cannot forge).

A ``ByzantineReplica`` runs the honest protocol inside, so it knows what an honest
replica would say, and lies in what it sends: every message leaves through
``_send``, which its behaviours rewrite. The behaviours, each applied to a message
with probability ``rate`` (from the replica's own seeded stream):

``silent``
    Say nothing (a crash that nobody can tell from slowness; with ``rate < 1``,
    selective omission).
``equivocate``
    Tell different replicas different things: as primary, pre-prepare *another*
    genuine request (or the null request) under the same sequence number for some
    backups, then prepare and commit consistently with what each was told; as a
    backup, vote for other digests; different checkpoint digests to different
    replicas.
``corrupt-digest``
    Replace the digest in pre-prepares, prepares, commits and checkpoints by garbage
    (signed by itself, so the signature is valid and only the digest is wrong).
``replay``
    Also send old messages (its own and others', validly signed) to random replicas,
    and old replies to clients.
``lie``
    Reply to clients with wrong results; omit its prepared certificates from view
    changes; as a new primary, replace the re-proposals of ``NEW-VIEW`` by null
    requests; send state transfers with a doctored snapshot.
``forge``
    Also send votes and replies in the name of other replicas (it can only sign them
    with its own key, so they fail verification).

``tamper(sim, ...)`` is the other kind of injection, a network hook: an attacker on
the wire without any key alters messages in flight, which the signature check turns
into losses. ``ScriptedByzantine`` sends a hand-written attack, message by message;
``AmnesiacReplica`` is an honest replica that loses its durable state when it
crashes. Taught in notebook 2.5.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from ..sim import Envelope, Node, Simulation, child_stream
from .auth import NULL_DIGEST, digest, forge, sign
from .messages import (Checkpoint, Commit, NewView, Prepare, PrePrepare, Reply, Request,
                       StateTransfer, ViewChange)
from .replica import PBFTReplica

__all__ = ["ByzantineReplica", "BEHAVIOURS", "tamper", "ScriptedByzantine", "AmnesiacReplica"]

BEHAVIOURS = ("silent", "equivocate", "corrupt-digest", "replay", "lie", "forge")


class ByzantineReplica(PBFTReplica):
    """A replica that lies: ``behaviours`` from ``BEHAVIOURS``, each applied with
    probability ``rate`` to each message it sends."""

    def __init__(self, replicas: Sequence[str], f: int | None = None, *,
                 behaviours: str | Iterable[str] = ("equivocate",), rate: float = 1.0,
                 **kwargs: Any) -> None:
        super().__init__(replicas, f, **kwargs)
        if isinstance(behaviours, str):
            behaviours = (behaviours,)
        behaviours = tuple(behaviours)
        unknown = [b for b in behaviours if b not in BEHAVIOURS]
        if unknown or not behaviours:
            raise ValueError(f"behaviours must be a non-empty list from {BEHAVIOURS}, "
                             f"got {behaviours!r}")
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"rate must be a probability in [0, 1], got {rate!r}")
        self.behaviours = behaviours
        self.rate = float(rate)

    def on_start(self) -> None:
        self.seen: list[Any] = []                  # messages it could replay
        self.requests: list[Request] = []          # genuine requests it could swap in
        self.told: dict[tuple[int, int, str], str] = {}   # (view, seq, dst) -> digest told
        self.lies = 0                              # messages altered, invented or replayed
        super().on_start()

    def on_message(self, src: str, msg: Any) -> None:
        if isinstance(msg, Request):
            if all(r != msg for r in self.requests):
                self.requests = (self.requests + [msg])[-8:]
        elif isinstance(msg, (PrePrepare, Prepare, Commit, Checkpoint, ViewChange, NewView)):
            self.seen = (self.seen + [msg])[-30:]
        if isinstance(msg, PrePrepare) and msg.request is not None:
            if all(r != msg.request for r in self.requests):
                self.requests = (self.requests + [msg.request])[-8:]
        super().on_message(src, msg)

    def _does(self, behaviour: str) -> bool:
        return behaviour in self.behaviours and self.rng.random() < self.rate

    def _send(self, dst: str, msg: Any) -> None:
        if self._does("silent"):
            self.lies += 1
            return
        out = msg
        if self._does("equivocate"):
            out = self._equivocate(dst, out)
        if self._does("corrupt-digest"):
            out = self._corrupt(out)
        if self._does("lie"):
            out = self._lie(out)
        if out is not msg:
            self.lies += 1
        self.send(dst, out)
        if self._does("replay"):
            self._replay_old(dst)
        if self._does("forge"):
            self._forge(dst, msg)

    # --- the behaviours -----------------------------------------------------------------------
    def _other_request(self, d: str) -> Request | None:
        others = [r for r in self.requests if digest(r) != d]
        return self.rng.choice(others) if others else None

    def _equivocate(self, dst: str, msg: Any) -> Any:
        backups = [r for r in self.group.replicas if r != self.id]
        split = dst in backups and backups.index(dst) % 2 == 0   # told something else
        if isinstance(msg, PrePrepare):
            if split:
                req = self._other_request(msg.digest)
                d = NULL_DIGEST if req is None else digest(req)
                self.told[(msg.view, msg.seq, dst)] = d
                return sign(dataclasses.replace(msg, digest=d, request=req))
            self.told[(msg.view, msg.seq, dst)] = msg.digest
            return msg
        if isinstance(msg, (Prepare, Commit)):
            told = self.told.get((msg.view, msg.seq, dst))
            if told is None and split:
                req = self._other_request(msg.digest)
                told = NULL_DIGEST if req is None else digest(req)
            if told is not None and told != msg.digest:
                return sign(dataclasses.replace(msg, digest=told))
            return msg
        if isinstance(msg, Checkpoint) and split:
            return sign(dataclasses.replace(msg, state=digest(("other", msg.state))))
        return msg

    def _corrupt(self, msg: Any) -> Any:
        junk = "%016x" % self.rng.getrandbits(64)
        if isinstance(msg, (PrePrepare, Prepare, Commit)):
            return sign(dataclasses.replace(msg, digest=junk))
        if isinstance(msg, Checkpoint):
            return sign(dataclasses.replace(msg, state=junk))
        return msg

    def _lie(self, msg: Any) -> Any:
        if isinstance(msg, Reply):
            return sign(dataclasses.replace(msg, result=9000 + self.rng.randrange(1000)))
        if isinstance(msg, ViewChange):
            return sign(dataclasses.replace(msg, prepared=()))
        if isinstance(msg, NewView):
            nulls = tuple(sign(PrePrepare(msg.view, pp.seq, NULL_DIGEST, self.id, None))
                          for pp in msg.pre_prepares)
            return sign(dataclasses.replace(msg, pre_prepares=nulls))
        if isinstance(msg, StateTransfer):
            snap = dataclasses.replace(msg.snapshot, value=("doctored", msg.snapshot.value))
            return sign(dataclasses.replace(msg, snapshot=snap))
        return msg

    def _replay_old(self, dst: str) -> None:
        if self.seen:
            old = self.rng.choice(self.seen)
            target = self.rng.choice([r for r in self.group.replicas if r != self.id])
            self.send(target, old)
            self.lies += 1
        stale = [r for r in self.replies.values()]
        if stale and self.rng.random() < 0.5:
            old = self.rng.choice(stale)
            self.send(old.client, old)
            self.lies += 1

    def _forge(self, dst: str, msg: Any) -> None:
        victims = [r for r in self.group.replicas if r != self.id]
        victim = self.rng.choice(victims)
        if isinstance(msg, (Prepare, Commit, Checkpoint, Reply, ViewChange)):
            fake = dataclasses.replace(msg, replica=victim)
            self.send(dst, forge(fake, by=self.id))
            self.lies += 1

    # What a faulty replica "executes" or "notes" is not a fact anyone can observe:
    # its outputs and annotations stay out of the trace (checkers and diagrams).
    def output(self, name: str, value: Any = None) -> None:
        pass

    def annotate(self, text: str) -> None:
        pass

    def state(self) -> dict[str, Any]:
        out = super().state()
        out["Byzantine"] = ",".join(self.behaviours)
        return out


def tamper(sim: Simulation, nodes: Iterable[str] | None = None, *, rate: float = 0.5) -> Any:
    """Install a network hook that alters messages sent by ``nodes`` (default: all)
    in flight, with probability ``rate``: a digest, a result or a value is changed
    but the signature is left as it was. Returns the hook (``sim.network.remove_hook``)."""
    if not isinstance(sim, Simulation):
        raise TypeError(f"sim must be a Simulation, got {sim!r}")
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError(f"rate must be a probability in [0, 1], got {rate!r}")
    targets = None if nodes is None else set(nodes)
    rng = child_stream(sim.seed, "pbft-tamper")

    def hook(env: Envelope) -> Envelope | None:
        if targets is not None and env.src not in targets:
            return None
        msg = env.msg
        if rng.random() >= rate:
            return None
        if isinstance(msg, (PrePrepare, Prepare, Commit)):
            changed = dataclasses.replace(msg, digest="%016x" % rng.getrandbits(64))
        elif isinstance(msg, Reply):
            changed = dataclasses.replace(msg, result=-1)
        elif isinstance(msg, Request):
            changed = dataclasses.replace(msg, op=("write", -1))
        else:
            return None
        return dataclasses.replace(env, msg=changed)

    sim.network.add_hook(hook)
    return hook


class ScriptedByzantine(Node):
    """A Byzantine replica that sends exactly what a script says, signed as itself.

    ``script`` is a list of ``(time, dsts, msg)``: at ``time``, send ``msg`` to each of
    ``dsts`` (a node id or a list). ``msg`` is a message (its ``sig`` is filled in if
    it names this node) or a function ``msg(node) -> message | None``, for instance to
    forward a message it received (``node.received``: every message, in arrival
    order). For step-by-step stories in tests and in notebook 2.5.
    """

    def __init__(self, script: Sequence[tuple[float, Any, Any]]) -> None:
        self.script = list(script)
        self.received: list[tuple[str, Any]] = []

    def on_start(self) -> None:
        if self.incarnation == 0:
            for i, (t, _, _) in enumerate(self.script):
                self.set_timer(max(0.0, t - self.now), "step", i)

    def on_message(self, src: str, msg: Any) -> None:
        self.received.append((src, msg))

    def on_timer(self, name: str, payload: Any) -> None:
        _, dsts, msg = self.script[payload]
        if callable(msg):
            msg = msg(self)
        if msg is None:
            return
        if getattr(msg, "signer", None) == self.id and not msg.sig:
            msg = sign(msg)
        for dst in ([dsts] if isinstance(dsts, str) else dsts):
            self.send(dst, msg)

    def find(self, kind: type, **fields: Any) -> Any:
        """The first received message of type ``kind`` whose fields match."""
        for _, m in self.received:
            if isinstance(m, kind) and all(getattr(m, k) == v for k, v in fields.items()):
                return m
        return None


class AmnesiacReplica(PBFTReplica):
    """An honest replica *without* durable state: every restart wipes its storage.

    After a crash it has forgotten what it said, so it can be talked into saying the
    opposite: to the others it is indistinguishable from a Byzantine replica. The
    library's ``PBFTReplica`` is not like this; notebook 2.5 shows why it must not be.
    """

    def on_start(self) -> None:
        for key in list(self.storage):
            del self.storage[key]
        super().on_start()
