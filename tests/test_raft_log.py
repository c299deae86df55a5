"""Raft's building blocks: messages, the log with its snapshot prefix, and the
key-value state machine with sessions (Ongaro & Ousterhout 2014, Figure 2 and §7;
Ongaro 2014, §6.3)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.raft import (AppendEntries, AppendEntriesReply, Command, Configuration, Entry,
                          KVSnapshot, KVStateMachine, NOOP, RaftLog, RaftServer, RequestVote,
                          Snapshot)
from distlab.sim import Simulation


# --- messages -----------------------------------------------------------------------------
def test_messages_print_as_in_the_paper():
    e = Entry(3, 2, Command("c1", 7, "put", "x", "a"))
    assert repr(e) == "3@t2 put 'x' 'a' (c1#7)"
    ae = AppendEntries(2, "n1", 2, 1, (e,), leader_commit=2)
    assert repr(ae) == "AppendEntries(t2 n1 prev=2@t1 [3@t2 put 'x' 'a' (c1#7)] commit=2)"
    assert repr(AppendEntries(2, "n1", 3, 2)).endswith("heartbeat commit=0)")
    assert repr(RequestVote(4, "n2", 9, 3)) == "RequestVote(t4 n2 last=9@t3)"
    assert repr(AppendEntriesReply(4, False, 0, 5, 2)) == "AppendEntriesReply(t4 no conflict=5/t2)"
    assert repr(NOOP) == "no-op"


def test_messages_are_frozen_and_hashable():
    m = RequestVote(1, "n1", 0, 0)
    with pytest.raises(AttributeError):
        m.term = 2
    assert hash(m) == hash(RequestVote(1, "n1", 0, 0))


def test_configurations_are_sorted_and_know_their_quorum():
    c = Configuration(("n3", "n1", "n2"), ("n5",))
    assert c.voters == ("n1", "n2", "n3") and c.members == ("n1", "n2", "n3", "n5")
    assert c.quorum == 2 and Configuration(("a", "b", "c", "d")).quorum == 3
    with pytest.raises(ValueError, match="both voter and learner"):
        Configuration(("n1",), ("n1",))


# --- the log --------------------------------------------------------------------------------
def entries(*terms: int, start: int = 1) -> list[Entry]:
    return [Entry(start + k, t, f"cmd{start + k}") for k, t in enumerate(terms)]


def test_log_indices_terms_and_the_empty_prefix():
    log = RaftLog(entries(1, 1, 2))
    assert (log.last_index, log.last_term) == (3, 2)
    assert log.term_at(0) == 0 and log.term_at(2) == 1 and log.term_at(4) is None
    assert log.matches(2, 1) and not log.matches(2, 2) and not log.matches(5, 2)
    assert log.first_index_of_term(3) == 3 and log.first_index_of_term(2) == 1
    assert log.last_index_of_term(1) == 2 and log.last_index_of_term(3) is None


def test_compaction_keeps_the_suffix_and_remembers_the_last_included_term():
    """§7: after a snapshot up to index 3, index 3's term is still known (for the
    consistency check of the next AppendEntries), earlier ones are not."""
    log = RaftLog(entries(1, 1, 2, 2, 3))
    log.compact(3)
    assert (log.snapshot_index, log.snapshot_term) == (3, 2)
    assert log.term_at(3) == 2 and log.term_at(2) is None and log.last_index == 5
    with pytest.raises(ValueError, match="in the snapshot"):
        log.truncate_from(3)
    # An InstallSnapshot whose last entry does not match discards the whole log.
    log.compact(4, term=9)
    assert (log.snapshot_index, log.snapshot_term, len(log)) == (4, 9, 0)


def test_log_rejects_gaps():
    with pytest.raises(ValueError, match="contiguous"):
        RaftLog([Entry(2, 1, "x")])
    log = RaftLog(entries(1))
    with pytest.raises(ValueError, match="cannot append"):
        log.append([Entry(3, 1, "x")])


def test_the_log_writes_through_to_durable_storage():
    """Figure 2: the log is persistent state. What the handler wrote is on "disk"."""
    sim = Simulation(seed=0)
    sim.add_node("n1", RaftServer, members=["n1"])
    storage = sim.storage("n1")
    log = RaftLog(storage=storage)
    log.append(entries(1, 1, 2))
    log.truncate_from(3)
    log.append(entries(3, start=3))
    assert [e.term for e in storage["log"]] == [1, 1, 3]
    log.compact(2)
    reloaded = RaftLog.load(storage, 2, 1)
    assert reloaded.entries == log.entries and reloaded.term_at(3) == 3


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["append", "truncate", "compact"]),
                          st.integers(1, 4)), max_size=30))
def test_log_behaves_like_a_list_with_a_forgotten_prefix(ops):
    """Property: whatever appends, truncations and compactions happen, the log agrees
    with a plain list of terms on every index it still holds."""
    log, model, term = RaftLog(), [], 1
    for op, k in ops:
        if op == "append":
            term = max(term, k)
            new = [Entry(log.last_index + 1 + i, term, i) for i in range(k)]
            log.append(new)
            model += [term] * k
        elif op == "truncate" and log.last_index > log.snapshot_index:
            at = max(log.snapshot_index + 1, log.last_index - k + 1)
            log.truncate_from(at)
            del model[at - 1:]
        elif op == "compact" and log.last_index > log.snapshot_index:
            log.compact(min(log.last_index, log.snapshot_index + k))
        assert log.last_index == len(model)
        for i in range(log.snapshot_index, log.last_index + 1):
            assert log.term_at(i) == (model[i - 1] if i else 0)


# --- the state machine ----------------------------------------------------------------------
def test_each_command_is_applied_once_per_client_sequence_number():
    """Thesis §6.3: a retried command reaches the log twice but takes effect once; the
    retry gets the first answer, and an abandoned older command does nothing."""
    sm = KVStateMachine()
    a1 = Command("c1", 1, "append", "k", "a")
    assert sm.apply(a1) is None and sm.apply(a1) is None
    assert sm.query("k") == "a"
    assert sm.apply(Command("c1", 2, "get", "k")) == "a"
    sm.apply(Command("c1", 3, "append", "k", "b"))
    assert sm.apply(Command("c1", 2, "append", "k", "late")) is None
    assert sm.query("k") == "ab"
    assert sm.cached("c1", 3) == (True, None) and sm.cached("c1", 2) == (False, None)
    assert sm.apply(12345) is None and sm.other == 1


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["c1", "c2"]), st.integers(1, 6),
                          st.sampled_from(["put", "append", "get"]), st.sampled_from("xy")),
                max_size=25), st.integers(0, 25))
def test_a_snapshot_restores_data_and_sessions(commands, cut):
    """§7 with §6.3: restoring a snapshot taken midway and replaying the rest gives the
    same state (data and duplicate table) as applying everything."""
    cmds = [Command(c, seq, op, key, f"{c}{seq}" if op != "get" else None)
            for c, seq, op, key in commands]
    whole = KVStateMachine()
    for c in cmds:
        whole.apply(c)
    first = KVStateMachine()
    for c in cmds[:cut]:
        first.apply(c)
    snap = first.snapshot()
    assert isinstance(snap, KVSnapshot) and hash(snap) is not None
    second = KVStateMachine()
    second.restore(snap)
    for c in cmds[cut:]:
        second.apply(c)
    assert second.snapshot() == whole.snapshot()


def test_snapshot_messages_say_what_they_cover():
    s = Snapshot(10, 3, Configuration(("n1", "n2", "n3")), KVSnapshot())
    assert repr(s) == "Snapshot(upto 10@t3, config{n1,n2,n3})"
