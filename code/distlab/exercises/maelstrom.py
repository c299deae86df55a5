"""Checks for the exercises of notebook 2.14, "Running your node outside the book".

``check_gset_node`` drives a learner's node for Maelstrom's *g-set* workload through
the real JSON path (``distlab.maelstrom.harness.LocalNet``: every request is a JSON
line parsed by a ``Runtime``), with a partition in the middle, as Maelstrom would.
"""

from __future__ import annotations

from typing import Any

from ..sim import Node
from . import expect, fail, passed

__all__ = ["check_gset_node"]

_HINT_GOSSIP = ("gossip your whole set on a timer (set_timer in on_start, and again in "
                "on_timer) and merge (union) every set you receive: lost or blocked "
                "messages are then repaired by a later round")


def _request(net: Any, node: str, body: dict, what: str) -> dict:
    reply = net.request(node, body, timeout=200.0)
    if reply is None:
        fail(f"{node} did not answer {what} within 200 time units", given=body,
             expected="a reply whose in_reply_to is the request's msg_id", got=None,
             hint="answer with self.reply(src, msg, ...) so in_reply_to is filled in")
    if reply.get("type") == "error":
        if "NotImplementedError" in str(reply.get("text")):
            fail("GSetNode is not written yet (a handler raises NotImplementedError)",
                 given=body, expected="a *_ok reply", got=reply,
                 hint="replace each `raise NotImplementedError()` with your code")
        log = "\n".join(net.log(node)[-6:])
        fail(f"{node} answered {what} with an error", given=body, expected="a *_ok reply",
             got=reply, hint=("read the node's log: " + log) if log else
             "check the handler's name: handle_<type>, e.g. handle_add")
    return reply


def check_gset_node(node_class: type) -> None:
    """``node_class`` must serve Maelstrom's g-set: ``add {element}`` -> ``add_ok``,
    ``read`` -> ``read_ok {value: [...]}``, every node ending with every element."""
    from ..maelstrom.harness import LocalNet

    if not (isinstance(node_class, type) and issubclass(node_class, Node)):
        fail("check_gset_node needs your node class itself", expected="a MaelstromNode subclass",
             got=node_class, hint="pass GSetNode, not GSetNode()")
    try:
        net = LocalNet(node_class, ["n1", "n2", "n3"], seed=3)
    except Exception as exc:  # the learner's __init__ or on_start
        fail(f"starting three nodes failed: {type(exc).__name__}: {exc}", got=type(exc).__name__,
             hint="__init__ takes no arguments but self; call super().__init__()")
    reply = _request(net, "n1", {"type": "add", "element": 1}, "add 1")
    expect(reply.get("type") == "add_ok", "the answer to add has the wrong type",
           given={"type": "add", "element": 1}, expected="add_ok", got=reply.get("type"))
    reply = _request(net, "n1", {"type": "read"}, "read")
    expect(reply.get("type") == "read_ok" and isinstance(reply.get("value"), list),
           "read must be answered with read_ok and a list under 'value'",
           given={"type": "read"}, expected={"type": "read_ok", "value": [1]}, got=reply)
    expect(sorted(reply["value"]) == [1], "n1 does not return what was added to it",
           given="add 1 at n1, then read at n1", expected=[1], got=reply["value"])
    _request(net, "n2", {"type": "add", "element": 2}, "add 2")
    _request(net, "n2", {"type": "add", "element": 2}, "add 2 again")
    net.partition(["n3"])                 # n3 (and only n3) cut off
    _request(net, "n1", {"type": "add", "element": 3}, "add 3")
    net.run(net.now + 300)
    net.heal()
    net.run(net.now + 600)
    for n in net.ids:
        got = _request(net, n, {"type": "read"}, "read")["value"]
        expect(sorted(got) == [1, 2, 3],
               f"600 time units after the partition healed, {n} does not hold every element",
               given="add 1 at n1, 2 at n2 (twice), then 3 at n1 while n3 was cut off",
               expected=[1, 2, 3], got=sorted(got) if isinstance(got, list) else got,
               hint=_HINT_GOSSIP if sorted(set(got)) != [1, 2, 3] else
               "a set holds each element once: 2 was added twice")
    passed("every node serves add/read over JSON and converges after a partition heals")
