"""Raft's safety checkers (Ongaro & Ousterhout 2014, Figure 3) read the trace: each
must flag a trace that breaks its property, and stay silent on correct runs."""

from __future__ import annotations

from distlab.raft import Command, Entry, checks, scenarios
from distlab.raft.messages import NOOP
from distlab.sim import Trace, TraceEvent


def out(t, node, name, value):
    return TraceEvent(t, "output", node, None, value, None, name)


def trace(*events):
    return Trace(events)


E1 = Entry(1, 1, "a")


def test_two_leaders_in_one_term_break_election_safety():
    found = checks.check_trace(trace(out(1, "n1", "role", ("leader", 2)),
                                     out(2, "n2", "role", ("leader", 2)),
                                     out(3, "n3", "role", ("leader", 3))))
    assert [f.property for f in found] == ["election safety"]
    assert "term 2: n1 and n2" in found[0].detail and found[0].time == 2


def test_a_leader_that_deletes_entries_breaks_leader_append_only():
    found = checks.check_trace(trace(out(1, "n1", "role", ("leader", 1)),
                                     out(2, "n1", "append", (0, 0, (E1,))),
                                     out(3, "n1", "truncate", 1)))
    assert [f.property for f in found] == ["leader append-only"]


def test_one_index_and_term_with_two_commands_breaks_log_matching():
    found = checks.check_trace(trace(out(1, "n1", "append", (0, 0, (E1,))),
                                     out(2, "n2", "append", (0, 0, (Entry(1, 1, "b"),)))))
    assert [f.property for f in found] == ["log matching"]
    # Same entry, different history before it: also a violation of the inductive form.
    found = checks.check_trace(trace(
        out(1, "n1", "append", (0, 0, (Entry(1, 1, "a"), Entry(2, 2, "c")))),
        out(2, "n2", "append", (0, 0, (Entry(1, 2, "z"),))),
        out(3, "n2", "append", (1, 2, (Entry(2, 2, "c"),)))))
    assert [f.property for f in found] == ["log matching"]


def test_a_leader_missing_a_committed_entry_breaks_leader_completeness():
    found = checks.check_trace(trace(out(1, "n1", "append", (0, 0, (E1,))),
                                     out(2, "n1", "commit", (1, 1)),
                                     out(3, "n2", "role", ("leader", 2))))
    assert [f.property for f in found] == ["leader completeness"]
    assert "without the committed entry 1@t1" in found[0].detail


def test_different_commands_applied_at_one_index_break_state_machine_safety():
    a, b = Command("c", 1, "put", "x", "1"), Command("c", 2, "put", "x", "2")
    found = checks.check_trace(trace(out(1, "n1", "apply", (1, 1, a)),
                                     out(2, "n2", "apply", (1, 2, b)),
                                     out(3, "n3", "apply", (2, 1, a))))
    props = [f.property for f in found]
    assert props == ["state machine safety", "state machine safety"]
    assert "right after 0" in found[1].detail          # n3 skipped index 1


def test_a_restart_and_a_snapshot_reset_the_apply_order():
    ok = trace(out(1, "n1", "append", (0, 0, (E1, Entry(2, 1, NOOP)))),
               out(2, "n1", "apply", (1, 1, "a")),
               TraceEvent(3, "crash", "n1"), TraceEvent(4, "restart", "n1", info=1),
               out(5, "n1", "apply", (1, 1, "a")),
               out(6, "n1", "apply", (2, 1, NOOP)),
               out(7, "n1", "snapshot", (2, 1)),
               TraceEvent(8, "crash", "n1"), TraceEvent(9, "restart", "n1", info=2),
               out(10, "n1", "append", (2, 1, (Entry(3, 2, "b"),))),
               out(11, "n1", "apply", (3, 2, "b")))
    assert checks.check_trace(ok) == []


def test_correct_runs_are_clean_and_the_window_shows_what_happened():
    c = scenarios.SUITE["persist1"].run(seed=1)
    assert checks.check_all(c.sim) == []
    text = checks.window(c.sim, c.now, limit=12)
    lines = text.splitlines()
    assert lines[0].startswith("   ...") and len(lines) == 13
    assert any(" apply " in line for line in lines)


def test_unknown_history_verdicts_are_reported():
    c = scenarios.Cluster(3, seed=1)
    c.add_clients(3, ops=6)
    c.wait_clients()
    assert checks.check_history(c.sim.history) == []
    found = checks.check_history(c.sim.history, max_steps=1)
    assert found and "unknown" in found[0].detail


def test_a_variant_that_raises_is_reported_with_its_own_line():
    """A learner's handler that raises is a failed scenario (not a crashed test run),
    and the report names the line of the learner's code."""
    from distlab.raft import RaftServer, run_scenario

    class Raises(RaftServer):
        def up_to_date(self, last_log_index, last_log_term):
            return self.log.entry(last_log_index + 1).term > 0

    result = run_scenario("initial_election", Raises)
    assert not result.passed and "IndexError" in result.message
    assert "in up_to_date" in result.message
    assert "last_log_index + 1" in result.message
