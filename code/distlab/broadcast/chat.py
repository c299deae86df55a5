"""The chat: members post messages and reply to what they have seen, over any
broadcast layer.

``ChatMember`` is the application; it only calls ``bcast`` and reacts to
``on_deliver``, so the same chat runs over best-effort, reliable, FIFO, causal or
total order broadcast (``BestEffortChat``, ``ReliableChat``, ``FifoChat``,
``CausalChat``, ``TotalOrderChat``, or ``chat_node(any_layer)``). A reply is posted
after its author has delivered the post it answers, so it causally depends on it:
only a causal (or stronger) broadcast guarantees that nobody sees the reply first.

Taught in notebook 1.6 ("Project: a distributed chat").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..sim import Network, Simulation, _check, child_stream
from ..sim.trace import Trace
from .causal import CausalBroadcast
from .fifo import FifoBroadcast
from .messages import Message, MessageId
from .reliable import BestEffortBroadcast, ReliableBroadcast
from .total import SequencerBroadcast

__all__ = ["Post", "ChatMember", "chat_node", "BestEffortChat", "ReliableChat", "FifoChat",
           "CausalChat", "TotalOrderChat", "chat_simulation", "transcript", "TOPICS"]

TOPICS = ("lunch?", "build is red", "coffee?", "slides?", "ship it!", "standup moved",
          "who has the keys?", "new release")


@dataclass(frozen=True, slots=True)
class Post:
    """A chat message; ``reply_to`` is the id of the message it answers, if any."""

    text: str
    reply_to: MessageId | None = None

    def __repr__(self) -> str:
        if self.reply_to is None:
            return f"Post({self.text!r})"
        return f"Post({self.text!r} ↩ {self.reply_to[0]}#{self.reply_to[1]})"


class ChatMember:
    """A chat member: a mixin to put before a broadcast layer in a class's bases.

    Parameters
    ----------
    script
        ``(time, text)`` pairs: posts this member makes (a post whose time falls while
        the member is down is not made).
    reply_probability
        Chance of replying to each new post (not to replies) from someone else.
    think
        ``(low, high)``: a reply is posted this long after the post is delivered.
    **layer
        Passed to the broadcast layer (``retransmit``, ``durable``, ...).
    """

    #: What this layer adds (drawn by ``distlab.viz.broadcast.layer_stack``).
    summary = "the application: posts, replies to what it has seen"

    def __init__(self, *, script: Sequence[tuple[float, str]] = (),
                 reply_probability: float = 0.0, think: tuple[float, float] = (1.0, 3.0),
                 **layer: Any) -> None:
        super().__init__(**layer)
        if isinstance(script, (str, bytes)):
            raise TypeError("script must be a list of (time, text) pairs, not a string")
        checked = []
        for entry in script:
            if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[1], str)):
                raise TypeError(f"script entries must be (time, text) pairs, got {entry!r}")
            checked.append((_check.number("script time", entry[0], minimum=0.0), entry[1]))
        self.script = tuple(sorted(checked))
        self.reply_probability = _check.probability("reply_probability", reply_probability)
        lo, hi = (_check.number("think", t, minimum=0.0) for t in think)
        if hi < lo:
            raise ValueError(f"think must be (low, high) with low <= high, got {think!r}")
        self.think = (lo, hi)
        self.seen = 0

    def on_start(self) -> None:
        super().on_start()
        self.seen = 0
        for when, text in self.script:
            if when >= self.now:
                self.set_timer(when - self.now, "post", text)

    def on_timer(self, name: str, payload: Any) -> None:
        if name == "post":
            self.bcast(Post(payload))
        elif name == "reply":
            mid, text = payload
            self.bcast(Post(f"re: {text}", reply_to=mid))
        else:
            super().on_timer(name, payload)

    def on_deliver(self, m: Message) -> None:
        super().on_deliver(m)
        post = m.payload
        if not isinstance(post, Post):
            return
        self.seen += 1
        if (m.origin != self.id and post.reply_to is None and self.reply_probability
                and self.rng.random() < self.reply_probability):
            self.set_timer(self.rng.uniform(*self.think), "reply", (m.id, post.text))

    def state(self) -> dict[str, Any]:
        return {**super().state(), "seen": self.seen}


_CHATS: dict[type, type] = {}


def chat_node(layer: type) -> type:
    """The chat application on top of ``layer`` (a ``BestEffortBroadcast`` subclass)."""
    if not (isinstance(layer, type) and issubclass(layer, BestEffortBroadcast)):
        raise TypeError(f"layer must be a broadcast class such as CausalBroadcast (a "
                        f"subclass of BestEffortBroadcast), got {layer!r}")
    if issubclass(layer, ChatMember):
        return layer
    if layer not in _CHATS:
        name = layer.__name__.removesuffix("Broadcast") + "Chat"
        _CHATS[layer] = type(name, (ChatMember, layer), {
            "__doc__": f"A chat member over {layer.__name__}.", "__module__": __name__})
    return _CHATS[layer]


BestEffortChat = chat_node(BestEffortBroadcast)
ReliableChat = chat_node(ReliableBroadcast)
FifoChat = chat_node(FifoBroadcast)
CausalChat = chat_node(CausalBroadcast)
TotalOrderChat = chat_node(SequencerBroadcast)


def chat_simulation(layer: type = CausalBroadcast, *, seed: int = 0,
                    members: Sequence[str] = ("ann", "bob", "cat", "dan"),
                    posts: int = 2, window: float = 40.0, reply_probability: float = 0.5,
                    network: Network | None = None, **layer_kwargs: Any) -> Simulation:
    """A chat of ``members`` over ``layer``: each makes ``posts`` posts at random times
    in ``[0, window]`` (drawn from the seed) and replies to others' posts with
    ``reply_probability``. Returns the simulation, not yet run."""
    if isinstance(members, str) or len(members) < 2:
        raise ValueError(f"members must be a list of at least two node ids, got {members!r}")
    _check.integer("posts", posts, minimum=0)
    window = _check.number("window", window, minimum=0.0)
    node = chat_node(layer)
    sim = Simulation(seed=seed, network=network)
    for member in members:
        rng = child_stream(sim.seed, "chat", member)
        script = [(round(rng.uniform(0.0, window), 2), rng.choice(TOPICS)) for _ in range(posts)]
        sim.add_node(member, node, script=script, reply_probability=reply_probability,
                     **layer_kwargs)
    return sim


def transcript(trace: Trace, node: str) -> list[str]:
    """What ``node``'s chat window showed, in order, read from the trace's
    ``deliver`` outputs. A reply shown before the post it answers is marked ``⚠``."""
    if not isinstance(trace, Trace):
        raise TypeError(f"transcript reads a Trace (sim.trace), got {type(trace).__name__}")
    shown: set[MessageId] = set()
    lines = []
    for e in trace.outputs("deliver", node=node):
        m = e.msg
        if not isinstance(m, Message) or not isinstance(m.payload, Post):
            continue
        post = m.payload
        line = f"t={e.time:6.2f}  {m.origin}: {post.text}"
        if post.reply_to is not None:
            line += f"   (reply to {post.reply_to[0]}#{post.reply_to[1]}"
            line += ")" if post.reply_to in shown else ", not yet shown ⚠)"
        shown.add(m.id)
        lines.append(line)
    return lines
