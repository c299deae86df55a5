"""A key-value store on Raft: clients, redirection, duplicate detection, linearizable
reads and membership changes (Ongaro 2014, thesis §4 and Chapter 6; Ongaro &
Ousterhout 2014, §6 and §8)."""

from __future__ import annotations

import pytest

from distlab.consistency import check_linearizable, models
from distlab.raft import (KVClient, MembershipClient, RaftServer, run_scenario, scenarios)


def story(name: str, seed: int = 0, server_class=RaftServer):
    c = scenarios.SUITE[name].run(server_class=server_class, seed=seed)
    c.check_safety()
    return c


def with_reads(mode: str):
    class Server(RaftServer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "reads": mode})
    Server.__name__ = f"Reads_{mode}"
    return Server


def test_a_client_is_redirected_to_the_leader():
    """Thesis §6.2: a follower answers NOT_LEADER with a hint; the client follows it."""
    c = story("client_redirect")
    hints = [e.msg for e in c.trace.events if e.kind == "send" and e.peer == "c1"
             and e.msg.status == "not_leader"]
    assert hints and all(h.leader_hint in c.ids for h in hints if h.leader_hint)


def test_duplicates_are_applied_once():
    """Thesis §6.3: lost replies and duplicated requests; each append takes effect once."""
    c = story("duplicate_detection")
    requests = [e for e in c.trace.events if e.kind == "send" and e.node == "c1"]
    assert len(requests) > 5, "the lost replies should have made the client retry"
    leader = c.check_one_leader()
    assert c.server(leader).state_machine.query("k") == "1;2;3;4;5;"


def test_reads_by_read_index_stay_linearizable_when_the_leader_is_cut_off():
    """Thesis §6.4: the read index with a heartbeat round; reads through the log too."""
    assert run_scenario("linearizable_reads", seed=1).passed
    assert run_scenario("linearizable_reads", with_reads("log"), seed=1).passed


def test_a_leader_reading_its_own_state_serves_stale_values():
    """Why the heartbeat round: a deposed leader answering from its own state returns
    values older than writes that have completed elsewhere."""
    for seed in (0, 1):
        result = run_scenario("linearizable_reads", with_reads("leader_local"), seed=seed)
        assert not result.passed and "linearizability" in result.message, str(result)


def test_reads_by_read_index_do_not_write_the_log():
    """A read served by read index adds no log entry; through the log it adds one."""
    def entries_after_reads(mode):
        c = scenarios.Cluster(3, seed=1, server_class=with_reads(mode))
        c.check_one_leader()
        c.sim.add_node("c1", KVClient, servers=c.ids, script=[("get", "x")] * 5)
        c.clients.append("c1")
        c.wait_clients()
        assert [op.status for op in c.sim.history.operations()] == ["ok"] * 5
        return len(c.trace.outputs("read")), max(e.msg[0] for e in c.trace.outputs("commit"))
    reads, last_index = entries_after_reads("read_index")
    log_reads, log_last_index = entries_after_reads("log")
    assert reads == 5 and log_reads == 0 and log_last_index >= last_index + 5


def test_membership_changes_under_load():
    """Thesis §4: add two servers (as learners first), remove two, the leader among
    them; the clients' history stays linearizable."""
    c = story("membership_change")
    assert check_linearizable(c.sim.history, models.kv()).linearizable
    voters = [e.msg[1] for e in c.trace.outputs("config", node=c.servers[0])]
    assert all(abs(len(a) - len(b)) <= 1 for a, b in zip(voters, voters[1:])), \
        "configurations must change one voter at a time"
    removed_leader = c.sim.node("admin").script[2][2]
    steps = [e for e in c.trace.outputs("role", node=removed_leader)]
    assert steps[-1].msg[0] == "follower"


def test_membership_changes_on_other_seeds():
    for seed in (1, 2):
        result = run_scenario("membership_change", seed=seed)
        assert result.passed, str(result)


def test_a_new_server_that_cannot_catch_up_is_dropped():
    """Thesis §4.2.1: a learner that does not catch up within the timeout (here: it
    is down) is removed again and the administrator is told 'timeout'."""
    c = scenarios.Cluster(3, seed=2, spares=1, catch_up_timeout=300.0)
    c.check_one_leader()
    c.crash("n4")
    c.add_admin([(c.now + 10, "add", "n4")])
    c.run(1500)
    assert c.sim.node("admin").results == [("add", "n4", "timeout")]
    leader = c.check_one_leader()
    assert c.server(leader).config.members == ("n1", "n2", "n3")
    c.one(5, 3)


def test_clients_record_jepsen_style_histories():
    c = scenarios.Cluster(3, seed=3)
    c.add_clients(2, ops=6)
    c.wait_clients()
    ops = c.sim.history.operations()
    assert len(ops) == 12 and {op.f for op in ops} <= {"get", "put", "append"}
    for op in ops:
        if op.f != "get":
            assert isinstance(op.input, tuple) and op.input[1].startswith(op.process)


def test_bad_arguments_get_clear_errors():
    with pytest.raises(ValueError, match="reads must be one of"):
        RaftServer(["n1"], reads="quorum")
    with pytest.raises(ValueError, match="heartbeat_interval"):
        RaftServer(["n1"], heartbeat_interval=500)
    with pytest.raises(TypeError, match="not the string"):
        RaftServer("n1")
    with pytest.raises(ValueError, match="snapshot_threshold"):
        RaftServer(["n1"], snapshot_threshold=0)
    with pytest.raises(ValueError, match="script"):
        KVClient(["n1"], script=[("inc", "x")])
    with pytest.raises(ValueError, match="servers must be"):
        MembershipClient([], script=[])
    with pytest.raises(ValueError, match="unknown scenario"):
        run_scenario("nope")
    with pytest.raises(TypeError, match="server_class"):
        scenarios.run_suite(object)
