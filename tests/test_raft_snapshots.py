"""Raft log compaction (Ongaro & Ousterhout 2014, §7, Figures 12 and 13; 6.5840 lab 3D)."""

from __future__ import annotations

import pytest

from distlab.raft import (InstallSnapshot, KVSnapshot, RaftServer, Snapshot, run_scenario,
                          scenarios)
from distlab.raft.messages import Configuration, Entry
from distlab.sim import Node, Simulation


def story(name: str, seed: int = 0, server_class=RaftServer):
    c = scenarios.SUITE[name].run(server_class=server_class, seed=seed)
    c.check_safety()
    return c


@pytest.mark.parametrize("name", ["snapshot_basic", "snapshot_install",
                                  "snapshot_install_unreliable", "snapshot_install_crash",
                                  "snapshot_all_crash", "snapshot_init"])
def test_snapshot_stories(name):
    """§7: 6.5840's lab 3D stories (see each scenario's docstring)."""
    story(name)


def test_snapshot_stories_on_another_seed():
    for name in ("snapshot_install", "snapshot_install_unreliable", "snapshot_install_crash"):
        result = run_scenario(name, seed=7)
        assert result.passed, str(result)


def test_a_snapshot_holds_the_state_the_sessions_and_the_configuration():
    """§7 and thesis §6.3: the snapshot is the state machine's whole state (data and
    the duplicate table) plus the last included index, term and configuration; it is
    durable, and the log keeps only what follows it."""
    c = story("snapshot_basic")
    node = c.server("n1")
    snap = c.sim.storage("n1")["snapshot"]
    assert snap.last_included_index == node.log.snapshot_index
    assert snap.last_included_term == node.log.snapshot_term
    assert snap.config.voters == ("n1", "n2", "n3")
    assert {c: seq for c, seq, _ in snap.state.sessions}["tester"] >= 20
    assert "k" in dict(snap.state.data)
    assert len(c.sim.storage("n1")["log"]) == node.log.last_index - snap.last_included_index


class Silent(Node):
    pass


def follower_with_log(terms, commit):
    sim = Simulation(seed=0)
    sim.add_node("n1", RaftServer, members=["n1", "n2", "n3"])
    sim.add_nodes(["n2", "n3"], Silent)
    storage = sim.storage("n1")
    storage["term"] = max(terms)
    storage["log"] = [Entry(i + 1, t, f"c{i + 1}") for i, t in enumerate(terms)]
    sim.run(until=0)
    n1 = sim.node("n1")
    n1.commit_index = n1.last_applied = commit
    return sim, n1


def snapshot(index, term):
    return Snapshot(index, term, Configuration(("n1", "n2", "n3")), KVSnapshot(other=index))


def test_install_keeps_the_entries_after_a_matching_last_included_entry():
    """Figure 13, step 6: the log continues the snapshot: keep what follows."""
    sim, n1 = follower_with_log([1, 1, 2, 2, 2], commit=1)
    n1.on_message("n2", InstallSnapshot(2, "n2", snapshot(3, 2)))
    assert (n1.log.snapshot_index, n1.log.last_index) == (3, 5)
    assert n1.commit_index == n1.last_applied == 3 and n1.state_machine.other == 3


def test_install_discards_a_log_that_does_not_continue_the_snapshot():
    """Figure 13, step 7: otherwise discard the entire log."""
    sim, n1 = follower_with_log([1, 1, 1], commit=1)
    n1.on_message("n2", InstallSnapshot(3, "n2", snapshot(4, 3)))
    assert (n1.log.snapshot_index, n1.log.snapshot_term, n1.log.last_index) == (4, 3, 4)


def test_a_late_snapshot_never_rolls_a_follower_back():
    """A duplicated or delayed InstallSnapshot older than the commit index is ignored
    (only acknowledged): the state machine must not go back in time."""
    sim, n1 = follower_with_log([1, 1, 2, 2, 2], commit=5)
    n1.on_message("n2", InstallSnapshot(2, "n2", snapshot(3, 2)))
    assert (n1.log.snapshot_index, n1.last_applied) == (0, 5)
    assert not sim.trace.outputs("install")
