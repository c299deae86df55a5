"""distlab.maelstrom: the book's nodes as Maelstrom processes (notebook 2.14).

The exchanges below are written from Maelstrom's documentation (Kingsbury 2022):
doc/protocol.md (lines, bodies, init, errors) and doc/workloads.md (echo, unique-ids,
broadcast, g-counter, pn-counter, lin-kv). There is no Maelstrom (no JVM) here, so the
tests play its part: in-process through ``Runtime`` and ``LocalNet`` (fast, exact), and
against real child processes through pipes (``NodeProcess``, ``ProcessCluster``).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.maelstrom import (ERRORS, BroadcastNode, Codec, EchoNode, ErrorCode,
                               GCounterNode, JournalStorage, LinKVNode, MaelstromNode,
                               PNCounterNode, ProtocolError, Runtime, UniqueIdsNode, body_type,
                               is_definite, main, parse_line, resolve_node_class)
from distlab.maelstrom import messages as m
from distlab.maelstrom.harness import LocalNet, NodeProcess, ProcessCluster
from distlab.maelstrom.workloads import (broadcast_problems, check_broadcast,
                                         check_g_counter, check_lin_kv, check_pn_counter,
                                         counter_problems, lin_kv_result, simulate)
from distlab.sim import Node
from distlab.sim.randomness import child_stream


def line(src: str, dest: str, body: dict) -> str:
    return json.dumps({"src": src, "dest": dest, "body": body})


def INIT(node_id: str = "n1", node_ids: tuple = ("n1",), msg_id: int = 1) -> str:
    return line("c0", node_id, {"type": "init", "msg_id": msg_id, "node_id": node_id,
                                "node_ids": list(node_ids)})


class FakeClock:
    """Seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def hosted(factory, *, clock=None, **kw) -> tuple[Runtime, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    rt = Runtime(factory, clock=clock or FakeClock(), stdout=out, stderr=err, **kw)
    return rt, out, err


def bodies(out: io.StringIO) -> list[dict]:
    """Every body written so far (and empty the buffer)."""
    lines = out.getvalue().splitlines()
    out.seek(0)
    out.truncate()
    return [json.loads(x)["body"] for x in lines]


# --- protocol.md: lines and bodies ---------------------------------------------------------------
def test_a_line_is_src_dest_body_with_a_typed_body():
    msg = parse_line('{"src": "c1", "dest": "n1", "body": {"type": "echo", "msg_id": 1, '
                     '"echo": "hi"}}\n')
    assert (msg.src, msg.dest, msg.type, msg.msg_id, msg.in_reply_to) == ("c1", "n1", "echo",
                                                                          1, None)
    assert json.loads(msg.to_line()) == {"src": "c1", "dest": "n1",
                                         "body": {"type": "echo", "msg_id": 1, "echo": "hi"}}


@pytest.mark.parametrize("text, reason, can_reply", [
    ("not json at all", "not JSON", False),
    ("[1, 2]", "JSON object", False),
    ('{"dest": "n1", "body": {"type": "echo", "msg_id": 4}}', "no 'src'", False),
    ('{"src": "c1", "body": {"type": "echo", "msg_id": 4}}', "no 'dest'", True),
    ('{"src": "c1", "dest": "n1"}', "no 'body'", False),
    ('{"src": "c1", "dest": "n1", "body": [1]}', "'body' must be a JSON object", False),
    ('{"src": "c1", "dest": "n1", "body": {"msg_id": 4}}', "no 'type'", True),
    ('{"src": "c1", "dest": "n1", "body": {"type": 3, "msg_id": 4}}', "non-empty string", True),
    ('{"src": "c1", "dest": "n1", "body": {"type": "echo", "msg_id": "4"}}', "integer", False),
    ('{"src": "c1", "dest": "n1", "body": {"type": "echo", "msg_id": true}}', "integer", False),
    ('{"src": 5, "dest": "n1", "body": {"type": "echo", "msg_id": 4}}', "'src' must be", False),
    ('{"src": "c1", "dest": "n1", "body": {"type": "x", "msg_id": NaN}}', "not JSON", False),
    ("   ", "empty line", False),
])
def test_malformed_lines_say_what_is_wrong(text, reason, can_reply):
    with pytest.raises(ProtocolError) as info:
        parse_line(text)
    assert reason in str(info.value)
    assert info.value.code == ErrorCode.MALFORMED_REQUEST
    assert info.value.can_reply == can_reply


def test_error_codes_are_maelstroms_with_their_definiteness():
    """protocol.md, "Errors": only timeout (0) and crash (13) are indefinite."""
    assert [int(c) for c in ErrorCode] == [0, 1, 10, 11, 12, 13, 14, 20, 21, 22, 30]
    assert [c for c in ErrorCode if not c.definite] == [ErrorCode.TIMEOUT, ErrorCode.CRASH]
    assert [(code, name, definite) for code, name, definite, _ in ERRORS] == [
        (int(c), c.maelstrom_name, c.definite) for c in ErrorCode]
    assert ErrorCode.KEY_DOES_NOT_EXIST.maelstrom_name == "key-does-not-exist"
    assert not is_definite(1000) and not is_definite(999)   # custom codes: indefinite


# --- the dataclass <-> body mapping --------------------------------------------------------------
def test_codec_maps_fields_to_keys_and_drops_the_keyword_underscore():
    body = m.LIN_KV.encode(m.Cas(key=1, from_=2, to=3, msg_id=7))
    assert body == {"type": "cas", "key": 1, "from": 2, "to": 3, "msg_id": 7}
    assert m.LIN_KV.decode(body) == m.Cas(1, 2, 3, 7)
    # optional fields (default None) are left out, and None when absent
    assert m.BROADCAST.encode(m.BroadcastOk(in_reply_to=4)) == {"type": "broadcast_ok",
                                                                "in_reply_to": 4}
    assert m.ECHO.decode({"type": "echo", "echo": "x"}) == m.Echo("x", None)
    # workloads reuse type names with other fields: one codec each
    assert body_type(m.KVRead) == body_type(m.Read) == body_type(m.CounterRead) == "read"
    assert m.LIN_KV.decode({"type": "read", "key": 3, "msg_id": 1}) == m.KVRead(3, 1)
    assert m.BROADCAST.decode({"type": "read", "msg_id": 1}) == m.Read(1)


def test_codec_refuses_what_it_cannot_map():
    with pytest.raises(ProtocolError) as info:
        m.LIN_KV.decode({"type": "cas", "key": 1, "to": 3, "msg_id": 9})
    assert info.value.code == ErrorCode.MALFORMED_REQUEST and "'from'" in str(info.value)
    with pytest.raises(ProtocolError) as info:
        m.ECHO.decode({"type": "txn", "msg_id": 9})
    assert info.value.code == ErrorCode.NOT_SUPPORTED and info.value.msg_id == 9
    with pytest.raises(TypeError, match="not one of this node's message classes"):
        m.ECHO.encode(m.Generate())
    with pytest.raises(TypeError, match="JSON cannot carry"):
        m.ECHO.encode(m.Echo(object()))
    with pytest.raises(TypeError, match="keys are strings"):
        m.ECHO.encode(m.Echo({1: 2}))
    with pytest.raises(ValueError, match="both have the body type 'read'"):
        Codec(m.Read, m.KVRead)

    @dataclass
    class Loose:
        x: int
    with pytest.raises(TypeError, match="frozen"):
        Codec(Loose)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.text(max_size=5)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3).map(tuple)
    | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=10)


@settings(max_examples=80, deadline=None)
@given(key=json_values, a=json_values, b=json_values, mid=st.integers(0, 2**40))
def test_codec_round_trips_through_json_text(key, a, b, mid):
    """Arrays come back as tuples, so a tuple-built message survives the wire exactly."""
    msg = m.Cas(key, a, b, mid)
    wire = json.dumps(m.LIN_KV.encode(msg))
    assert m.LIN_KV.decode(json.loads(wire)) == msg


# --- the host, in-process ----------------------------------------------------------------------------
def test_init_is_answered_with_init_ok_before_on_start_runs():
    rt, out, err = hosted(EchoNode)
    rt.handle_line(INIT("n3", ("n1", "n2", "n3")))
    assert bodies(out) == [{"type": "init_ok", "in_reply_to": 1}]
    assert rt.node.id == "n3" and rt.node.nodes == ("n1", "n2", "n3")
    assert rt.node.peers == ("n1", "n2")
    assert "initialised as n3" in err.getvalue()


def test_echo_in_process():
    rt, out, _ = hosted(EchoNode)
    rt.handle_line(INIT())
    bodies(out)
    rt.handle_line(line("c1", "n1", {"type": "echo", "msg_id": 5, "echo": "Please echo 35"}))
    assert bodies(out) == [{"type": "echo_ok", "echo": "Please echo 35", "in_reply_to": 5,
                            "msg_id": 1}]


def test_before_init_requests_are_temporarily_unavailable():
    rt, out, err = hosted(EchoNode)
    rt.handle_line(line("c1", "n1", {"type": "echo", "msg_id": 2, "echo": 1}))
    [reply] = bodies(out)
    assert (reply["type"], reply["code"], reply["in_reply_to"]) == ("error", 11, 2)
    assert "first message must be init" in err.getvalue()


def test_a_second_init_is_idempotent_or_refused():
    rt, out, _ = hosted(EchoNode)
    rt.handle_line(INIT())
    rt.handle_line(INIT(msg_id=2))
    rt.handle_line(INIT("n1", ("n1", "n2"), msg_id=3))
    got = bodies(out)
    assert got[:2] == [{"type": "init_ok", "in_reply_to": 1}, {"type": "init_ok", "in_reply_to": 2}]
    assert (got[2]["code"], got[2]["in_reply_to"]) == (12, 3)


def test_messages_for_another_node_and_replies_are_never_answered_with_errors():
    rt, out, _ = hosted(EchoNode)
    rt.handle_line(INIT())
    bodies(out)
    rt.handle_line(line("c1", "n9", {"type": "echo", "msg_id": 3, "echo": 1}))
    assert [(b["code"], b["in_reply_to"]) for b in bodies(out)] == [(1, 3)]
    # a reply (in_reply_to set) or an error body gets no error back: no ping-pong
    rt.handle_line(line("n2", "n1", {"type": "bogus_ok", "in_reply_to": 4, "msg_id": 8}))
    rt.handle_line(line("n2", "n1", {"type": "error", "code": 11, "in_reply_to": 4}))
    assert bodies(out) == []


class Probe(MaelstromNode):
    """Touches every part of the Node API the simulator offers."""

    messages = (m.Echo, m.EchoOk)

    def on_start(self):
        self.storage["started"] = self.incarnation
        self.first_random = self.rng.random()
        self.set_timer(5, "b", "second")
        self.set_timer(2, "a", "first")
        self.set_timer(5, "c", "third")
        self.cancel_timer("c")
        self.fired = []

    def on_timer(self, name, payload):
        self.fired.append((name, payload, self.now))
        self.output("tick", payload)
        self.annotate(f"timer {name}")
        if name == "b":
            self.set_timer(0, "again", "later")     # not fired by the same fire_due call

    def handle_echo(self, src, msg):
        if msg.echo == "boom":
            self.send(src, m.EchoOk("never sent"))
            raise ZeroDivisionError("a bug in the node")
        self.record("invoke", "echo", msg.echo)
        self.reply(src, msg, m.EchoOk([self.now, self.clock(), self.storage["started"]]))


def test_the_node_api_through_the_runtime():
    clock = FakeClock()
    rt, out, _ = hosted(Probe, clock=clock, seed=7, time_unit=1.0)
    rt.handle_line(INIT("n2", ("n1", "n2")))
    node = rt.node
    assert node.first_random == child_stream(7, "node", "n2").random()  # the simulator's rng
    assert rt.next_deadline() == 2.0
    clock.t += 2.0
    assert rt.fire_due() == 1
    clock.t += 3.0
    assert rt.fire_due() == 1                       # "c" was cancelled; "again" waits
    assert rt.fire_due() == 1
    assert [(n, p) for n, p, _ in node.fired] == [("a", "first"), ("b", "second"),
                                                   ("again", "later")]
    assert [t for _, _, t in node.fired] == [2.0, 5.0, 5.0]
    assert [(name, v) for _, name, v in rt.outputs] == [("tick", "first"), ("tick", "second"),
                                                         ("tick", "later")]
    bodies(out)
    rt.handle_line(line("c1", "n2", {"type": "echo", "msg_id": 1, "echo": "x"}))
    assert bodies(out)[0]["echo"] == [5.0, 5.0, 0]
    assert [e.f for e in rt.history.events] == ["echo"]


def test_a_handler_that_raises_sends_nothing_answers_crash_and_the_process_goes_on():
    rt, out, err = hosted(Probe, time_unit=1.0)
    rt.handle_line(INIT())
    bodies(out)
    rt.handle_line(line("c1", "n1", {"type": "echo", "msg_id": 3, "echo": "boom"}))
    [reply] = bodies(out)
    assert (reply["type"], reply["code"], reply["in_reply_to"]) == ("error", 13, 3)
    assert "ZeroDivisionError" in reply["text"] and "Traceback" in err.getvalue()
    rt.handle_line(line("c1", "n1", {"type": "echo", "msg_id": 4, "echo": "ok"}))
    assert bodies(out)[0]["type"] == "echo_ok"


@dataclass(frozen=True, slots=True)
class Ping:
    n: int


@dataclass(frozen=True, slots=True)
class Pong:
    n: int


class Ponger(Node):
    """A book-style node (notebook 0.3), with no Maelstrom in it at all."""

    def on_message(self, src, msg):
        self.send(src, Pong(msg.n))


def test_a_plain_book_node_runs_unchanged_given_its_message_classes():
    rt, out, _ = hosted(Ponger, codec=[Ping, Pong])
    rt.handle_line(INIT())
    bodies(out)
    rt.handle_line(line("n2", "n1", {"type": "ping", "n": 4}))
    assert bodies(out) == [{"type": "pong", "n": 4}]


def test_journal_storage_survives_the_process(tmp_path):
    s = JournalStorage(tmp_path / "n1.jsonl")
    assert s.mark_start() == 0
    s["kv"] = {"a": (1, 2)}
    s["log"] = []
    s.append("log", "x")
    s.append("log", [3, 4])
    s["gone"] = 1
    del s["gone"]
    s.append("t", 1)
    s.append("t", 2)
    s.truncate("t", 1)
    s.close()
    with open(tmp_path / "n1.jsonl", "a") as f:
        f.write('{"op": "set", "key": "torn", "val')        # died mid-write
    again = JournalStorage(tmp_path / "n1.jsonl")
    assert again.mark_start() == 1
    assert again.as_dict() == {"kv": {"a": (1, 2)}, "log": ["x", (3, 4)], "t": [1]}
    again.append("log", "y")                                # still a list: appendable
    again.close()
    with open(tmp_path / "bad.jsonl", "w") as f:
        f.write("garbage\n{\"op\": \"start\"}\n")
    with pytest.raises(ValueError, match="corrupt journal"):
        JournalStorage(tmp_path / "bad.jsonl")


# --- the workloads, in-process through JSON (LocalNet) ------------------------------------------------
def test_broadcast_reaches_everyone_through_a_partition_once_healed():
    """workloads.md, broadcast: topology, broadcast, read."""
    net = LocalNet(BroadcastNode, ["n1", "n2", "n3"])
    line_topology = {"n1": ["n2"], "n2": ["n1", "n3"], "n3": ["n2"]}
    for n in net.ids:            # Maelstrom sends every node the whole topology
        assert net.request(n, {"type": "topology", "topology": line_topology})["type"] \
            == "topology_ok"
    net.partition(["n3"])
    assert net.request("n1", {"type": "broadcast", "message": 5})["type"] == "broadcast_ok"
    net.run(net.now + 300)
    assert net.node("n2").seen == {5: None} and net.node("n3").seen == {}
    net.heal()
    net.run(net.now + 300)
    reads = [net.request(n, {"type": "read"})["messages"] for n in net.ids]
    assert reads == [[5], [5], [5]]
    # they follow the topology: n1 and n3 never talk directly
    assert not [e for e in net.exchanges if {e.src, e.dest} == {"n1", "n3"}]


def test_g_counter_and_pn_counter_converge_and_refuse_what_they_must():
    net = LocalNet(GCounterNode, ["n1", "n2"])
    assert net.request("n1", {"type": "add", "delta": 3})["type"] == "add_ok"
    assert net.request("n2", {"type": "add", "delta": 4})["type"] == "add_ok"
    bad = net.request("n2", {"type": "add", "delta": -1})
    assert (bad["type"], bad["code"]) == ("error", 12)
    bad = net.request("n2", {"type": "add", "delta": "1"})
    assert (bad["type"], bad["code"]) == ("error", 12)
    net.run(net.now + 200)
    assert [net.request(n, {"type": "read"})["value"] for n in net.ids] == [7, 7]
    pn = LocalNet(PNCounterNode, ["n1", "n2"])
    pn.request("n1", {"type": "add", "delta": 5})
    pn.request("n2", {"type": "add", "delta": -8})
    pn.run(pn.now + 200)
    assert [pn.request(n, {"type": "read"})["value"] for n in pn.ids] == [-3, -3]


def test_a_duplicated_add_counts_once():
    """A retransmitted request (same client, same msg_id) is acknowledged, not re-applied."""
    net = LocalNet(GCounterNode, ["n1"])
    body = {"type": "add", "delta": 2, "msg_id": 40}
    assert net.request("n1", body)["type"] == "add_ok"
    assert net.request("n1", body)["type"] == "add_ok"
    assert net.request("n1", {"type": "read"})["value"] == 2


def test_lin_kv_read_write_cas_with_the_right_error_codes():
    """workloads.md, lin-kv: cas returns 20 if the key does not exist, 22 on mismatch."""
    net = LocalNet(LinKVNode, ["n1", "n2"])
    for node in ("n1", "n2"):                   # n1 leads; n2 forwards and relays
        net2 = LocalNet(LinKVNode, ["n1", "n2"])
        r = net2.request(node, {"type": "read", "key": 1})
        assert (r["type"], r["code"]) == ("error", 20)
        r = net2.request(node, {"type": "cas", "key": 1, "from": 0, "to": 1})
        assert (r["type"], r["code"]) == ("error", 20)
        assert net2.request(node, {"type": "write", "key": 1, "value": 3})["type"] == "write_ok"
        r = net2.request(node, {"type": "cas", "key": 1, "from": 2, "to": 4})
        assert (r["type"], r["code"]) == ("error", 22) and "holds 3" in r["text"]
        assert net2.request(node, {"type": "cas", "key": 1, "from": 3, "to": 4})["type"] \
            == "cas_ok"
        r = net2.request(node, {"type": "read", "key": 1})
        assert (r["type"], r["value"], r["in_reply_to"]) == ("read_ok", 4, 6)
        assert net2.node("n1").kv == {1: 4} and net2.node("n2").kv == {}
    # cut off from the leader, a follower answers "timeout": indefinite, never 11
    net.partition(["n1"])
    r = net.request("n2", {"type": "write", "key": 2, "value": 1})
    assert (r["type"], r["code"]) == ("error", 0) and "may or may not" in r["text"]
    forwards = [e for e in net.exchanges if e.body["type"] == "forward"]
    assert len(forwards) >= 5 and {e.fate for e in forwards} == {"dropped"}  # retried
    net.heal()
    net.run(net.now + 200)
    # every Forward was dropped, so this write did not happen (had only a reply been
    # lost, it would have: the follower cannot tell, hence an indefinite error)
    assert net.request("n2", {"type": "read", "key": 2})["code"] == 20


def test_unique_ids_are_unique_across_nodes_and_restarts(tmp_path):
    net = LocalNet(UniqueIdsNode, ["n1", "n2"])
    ids = [net.request(n, {"type": "generate"})["id"] for n in ("n1", "n2") * 20]
    lives = []
    for life in range(2):        # the same node, a second process, the same state dir
        rt, out, _ = hosted(UniqueIdsNode, state_dir=tmp_path)
        rt.handle_line(INIT())
        for i in range(3):
            rt.handle_line(line("c1", "n1", {"type": "generate", "msg_id": i + 1}))
        lives.append([b["id"] for b in bodies(out)[1:]])
    assert lives[0] == ["n1-0-1", "n1-0-2", "n1-0-3"]
    assert lives[1] == ["n1-1-1", "n1-1-2", "n1-1-3"]
    assert len(set(ids) | set(lives[0]) | set(lives[1])) == 40 + 6 - 3  # n1-0-k shared


# --- real processes, through pipes -----------------------------------------------------------------
def test_echo_process_survives_malformed_lines():
    """protocol.md: messages on stdin, replies on stdout, logs on stderr."""
    with NodeProcess("echo") as p:
        assert p.init("n1") == {"type": "init_ok", "in_reply_to": 1}
        assert p.request({"type": "echo", "echo": "Please echo 35"}) == {
            "type": "echo_ok", "echo": "Please echo 35", "in_reply_to": 2, "msg_id": 1}
        p.write("this is not json")
        assert "not JSON" in p.wait_stderr("rejected input")
        p.write('{"src": "c1", "dest": "n1", "body": {"msg_id": 77}}')     # no type
        assert p.wait_reply(77)["code"] == 12
        p.write('{"src": "c1", "dest": "n1", "body": {"type": "txn", "msg_id": 78}}')
        assert p.wait_reply(78)["code"] == 10
        p.write('{"src": "c1", "dest": "n1", "body": {"type": "echo", "msg_id": 79}}')
        reply = p.wait_reply(79)
        assert reply["code"] == 12 and "'echo'" in reply["text"]
        assert p.request({"type": "echo", "echo": [1, {"a": None}]})["echo"] == [1, {"a": None}]
        assert p.close() == 0                         # stdin closed: a clean exit
    assert sum("rejected input" in s for s in p.stderr) == 4
    assert all(kind != "out" or json.loads(text) for kind, text in p.transcript)


def test_cluster_of_processes_broadcast_counter_kv_and_ids(tmp_path):
    with ProcessCluster("broadcast", 3, args=("--arg", "gossip_every=20")) as c:
        c.partition(["n3"], ["n1", "n2"])
        assert c.request("n1", {"type": "broadcast", "message": 1})["type"] == "broadcast_ok"
        assert c.request("n2", {"type": "broadcast", "message": 2})["type"] == "broadcast_ok"
        c.run(0.2)
        assert c.request("n3", {"type": "read"})["messages"] == []
        c.heal()
        assert c.run_until(lambda: all(sorted(c.request(n, {"type": "read"})["messages"])
                                       == [1, 2] for n in c.ids), timeout=10)
    with ProcessCluster("lin-kv", 2, args=("--arg", "forward_timeout=150")) as c:
        assert c.request("n2", {"type": "read", "key": "k"})["code"] == 20
        assert c.request("n2", {"type": "write", "key": "k", "value": [1]})["type"] == "write_ok"
        assert c.request("n1", {"type": "read", "key": "k"})["value"] == [1]
        assert c.request("n2", {"type": "cas", "key": "k", "from": 9, "to": 2})["code"] == 22
        c.partition(["n1"])
        assert c.request("n2", {"type": "read", "key": "k"})["code"] == 0
    with NodeProcess("unique-ids") as p:
        p.init("n1")
        ids = [p.request({"type": "generate"})["id"] for _ in range(30)]
        assert len(set(ids)) == 30 and all(i.startswith("n1-0-") for i in ids)


def test_a_killed_process_restarts_from_its_journal(tmp_path):
    with ProcessCluster("g-counter", 2, state_dir=tmp_path,
                        args=("--arg", "gossip_every=20")) as c:
        assert c.request("n2", {"type": "add", "delta": 5})["type"] == "add_ok"
        c.kill("n2")
        assert c.request("n2", {"type": "read"}, timeout=0.1) is None   # dead: silence
        c.restart("n2")
        assert c.request("n2", {"type": "read"})["value"] == 5          # from its journal
        assert c.request("n2", {"type": "add", "delta": 1})["msg_id"] > 10**9  # incarnation 1
        assert c.run_until(lambda: c.request("n1", {"type": "read"})["value"] == 6,
                           timeout=10)
    assert (tmp_path / "n2.jsonl").exists()


def test_command_line_errors_are_clear(capsys):
    assert main(["no-such-workload"]) == 2
    assert "neither a workload" in capsys.readouterr().err
    assert main(["echo", "--arg", "nonsense"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
    assert main(["broadcast", "--arg", "gossip_every=-1"]) == 2
    assert "gossip_every must be > 0.0" in capsys.readouterr().err
    assert resolve_node_class("distlab.maelstrom.nodes:EchoNode") is EchoNode
    assert resolve_node_class("distlab.maelstrom.nodes.LinKVNode") is LinKVNode
    with pytest.raises(ValueError, match="not a distlab.sim.Node"):
        resolve_node_class("distlab.maelstrom.messages:Echo")


# --- the same classes in the simulator, under faults ----------------------------------------------
@pytest.mark.parametrize("check, seeds", [(check_broadcast, 100), (check_g_counter, 50),
                                          (check_pn_counter, 30), (check_lin_kv, 150)])
def test_seed_sweeps_under_loss_duplication_partitions_and_crashes(check, seeds):
    """Maelstrom's final reads (broadcast, counters) and linearizability (lin-kv)."""
    bad = [str(v) for s in range(seeds) for v in check(s)]
    assert not bad, "\n".join(bad[:5])


class PushOnly(BroadcastNode):
    """Broadcast without the retrying gossip: one eager push, and hope."""

    def on_timer(self, name, payload):
        pass


class LocalReads(LinKVNode):
    """Followers answer reads from a cache filled by the leader's answers: stale reads."""

    def handle_read(self, src, msg):
        if self.id != self.leader and msg.key in getattr(self, "cache", {}):
            self.reply(src, msg, m.KVReadOk(self.cache[msg.key]))
        else:
            self._client_request(src, msg)

    def handle_read_ok(self, src, msg):
        ident = self.forwarded.get(msg.in_reply_to)
        if ident in self.pending:
            key = self.codec.decode(dict(self.pending[ident])).key
            self.cache = {**getattr(self, "cache", {}), key: msg.value}
        self._relay(src, msg)


def test_the_checkers_catch_broken_variants_and_name_the_seed():
    lost = [s for s in range(15)
            if broadcast_problems(simulate("broadcast", s, node_class=PushOnly))]
    assert lost, "without retries, losses must lose acknowledged messages on some seed"
    problems = broadcast_problems(simulate("broadcast", lost[0], node_class=PushOnly))
    assert any("lacks acknowledged messages" in p for p in problems)
    stale = [s for s in range(40)
             if lin_kv_result(simulate("lin-kv", s, node_class=LocalReads)).verdict
             == "not linearizable"]
    assert stale, "reads served from a follower's cache must be caught on some seed"


def test_counter_checker_bounds():
    sim = simulate("g-counter", 3, plan=None)
    assert counter_problems(sim) == []
    reads = [op.output for op in sim.history.operations() if op.f == "final-read"]
    adds = sum(op.input for op in sim.history.operations() if op.f == "add")
    assert reads == [adds] * 3
