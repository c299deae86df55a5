"""Two-phase and three-phase commit, judged from the trace (notebook 2.3).

References: Gray 1978 (two-phase commit); Bernstein, Hadzilacos & Goodman 1987, §7.3
(the atomic commitment properties AC1–AC5), §7.4 (2PC, its recovery and the
cooperative termination protocol), §7.5 (3PC and its termination protocol); Mohan,
Lindsay & Obermarck 1986, §2.2 (presumed abort); Skeen 1981 (non-blocking commit).

With ``Constant(5)`` latency a 2PC run is: Prepare sent at 0, votes sent at 5,
the decision at 10, acks sent at 15 and received at 20. 3PC: CanCommit at 0, votes
at 5, PreCommit at 10, acks at 15, DoCommit at 20, decisions at 25.
"""

from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks must not do this (it drops figures)

import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from distlab.chaos import SWEEPS, check_function, sweep
from distlab.commit import (Abort, Ack, CanCommit, Commit, DecisionRequest, DoCommit,
                            Elect, LogRecord, PreCommit, PreCommitAck, Prepare, StateReply,
                            StateReq, TwoPhaseParticipant, Vote, blocked, check_atomicity,
                            check_commit, check_persist_before_send, check_termination,
                            check_validity, decisions, drop_next, in_doubt, log_records,
                            outcomes, participant_recovery, record, snapshot,
                            termination_rule, three_phase, two_phase)
from distlab.commit.sweep import PLANS, check_2pc, check_3pc, run_3pc
from distlab.sim import Constant, Network, TraceEvent


def fast() -> Network:
    return Network(latency=Constant(5.0))


def decided(sim) -> dict[str, str]:
    """{node: outcome} of T1, from the trace."""
    return {d.node: d.outcome for d in decisions(sim) if d.txid == "T1"}


# --- messages and rules -----------------------------------------------------------------

def test_messages_are_frozen_and_print_as_in_the_papers():
    assert repr(Prepare("T1", ("p1",))) == "Prepare(T1)"
    assert repr(Vote("T1", True)) == "Vote(T1: yes)" and repr(Vote("T1", False)) == "Vote(T1: no)"
    assert repr(PreCommit("T1", 2)) == "PreCommit(T1, r2)"
    assert repr(StateReply("T1", 1, "p")) == "StateReply(T1, r1: p)"
    assert repr(LogRecord("T1", "prepared", "c", ("p1",))) == "<prepared T1>"
    with pytest.raises(dataclasses.FrozenInstanceError):
        Commit("T1").txid = "T2"


def test_participant_recovery_rule_bhg_7_4():
    """BHG §7.4: a decision in the log is final; a yes vote without one means in doubt;
    no record means it never voted yes, and under presumed abort it aborts."""
    assert participant_recovery([]) == "abort"
    assert participant_recovery(["prepared"]) == "ask"
    assert participant_recovery(["prepared", "commit"]) == "commit"
    assert participant_recovery([LogRecord("T1", "prepared"), LogRecord("T1", "abort")]) \
        == "abort"
    with pytest.raises(TypeError, match="records must be"):
        participant_recovery([3])


@given(st.lists(st.sampled_from("wpca"), min_size=1, max_size=6))
def test_termination_rule_laws(states):
    """Skeen's rule (BHG §7.5, TR1–TR4): it never commits past an abort, never aborts
    past a commit, aborts when all are uncertain, and commits only via a committable
    or committed state."""
    verdict = termination_rule(states)
    if "a" in states:
        assert verdict == "abort"
    elif "c" in states:
        assert verdict == "commit"
    elif set(states) == {"w"}:
        assert verdict == "abort"
    else:
        assert verdict == "precommit" and "p" in states


def test_termination_rule_rejects_unknown_states():
    with pytest.raises(ValueError, match="at least one state"):
        termination_rule([])
    with pytest.raises(ValueError, match="must be one of"):
        termination_rule(["w", "x"])


# --- 2PC stories ------------------------------------------------------------------------

def test_2pc_all_yes_commits_with_four_messages_per_participant():
    """Gray 1978; BHG §7.4: Prepare, Vote, Commit, Ack; 2 forced writes per participant,
    commit + end at the coordinator."""
    sim = two_phase(0, network=fast())
    sim.run(until=100)
    assert decided(sim) == {"c": "commit", "p1": "commit", "p2": "commit", "p3": "commit"}
    counts = {t.__name__: sim.trace.count("send", t) for t in (Prepare, Vote, Commit, Ack)}
    assert counts == {"Prepare": 3, "Vote": 3, "Commit": 3, "Ack": 3}
    assert [r.kind for r in log_records(sim.storage("c"))] == ["commit", "end"]
    for p in ("p1", "p2", "p3"):
        assert [r.kind for r in log_records(sim.storage(p))] == ["prepared", "commit"]
    assert check_commit(sim) == [] and check_persist_before_send(sim) == []
    assert in_doubt(sim)[0].duration == pytest.approx(10.0) and blocked(sim) == []


def test_2pc_a_no_vote_aborts_and_presumed_abort_writes_nothing():
    """Mohan et al. 1986, §2.2: with presumed abort the coordinator neither logs an
    abort nor waits for acks; Abort goes only to those that may be prepared."""
    sim = two_phase(0, network=fast(), vote_no={"p2": ["T1"]})
    sim.run(until=100)
    assert set(decided(sim).values()) == {"abort"} and len(decided(sim)) == 4
    assert log_records(sim.storage("c")) == []
    assert sim.trace.count("send", Ack) == 0
    # p2 voted no and aborted on its own; p3's yes arrives after the decision and is
    # answered with the outcome.
    assert {e.peer for e in sim.trace.of_kind("send") if isinstance(e.msg, Abort)} \
        == {"p1", "p3"}
    assert check_commit(sim) == []


def test_persist_comes_before_the_send_that_depends_on_it():
    """A yes vote is sent only after the prepared record is forced (trace order)."""
    sim = two_phase(0, network=fast())
    sim.run(until=100)
    events = sim.trace.events
    for p in ("p1", "p2", "p3"):
        i_vote = next(i for i, e in enumerate(events) if e.kind == "send" and e.node == p
                      and isinstance(e.msg, Vote))
        i_persist = next(i for i, e in enumerate(events) if e.kind == "persist" and e.node == p)
        assert i_persist < i_vote and events[i_persist].time == events[i_vote].time

    class Hasty(TwoPhaseParticipant):     # votes first, writes later: a bug
        def on_prepare(self, src, msg):
            self.send(src, Vote(msg.txid, True))
            self.output("vote", (msg.txid, "yes"))
            self.txns.setdefault(msg.txid, None)

        def on_message(self, src, msg):
            if isinstance(msg, Prepare):
                self.on_prepare(src, msg)

    bad = two_phase(0, network=fast(), participant_class=Hasty)
    bad.run(until=30)
    found = check_persist_before_send(bad)
    assert {v.nodes for v in found} == {("p1",), ("p2",), ("p3",)}


def test_2pc_blocks_when_the_coordinator_crashes_after_the_votes():
    """BHG §7.4: all participants voted yes, the coordinator crashed before deciding;
    cooperative termination cannot help (everyone is uncertain) until it recovers."""
    sim = two_phase(0, network=fast())
    sim.crash("c", at=7)         # the votes are in flight
    sim.restart("c", at=300)
    sim.run(until=299)
    assert decided(sim) == {}
    assert {d.node for d in in_doubt(sim) if d.until is None} == {"p1", "p2", "p3"}
    assert all(d.asked > 0 for d in blocked(sim)) and len(blocked(sim)) == 3
    assert check_termination(sim) and check_atomicity(sim) == []
    sim.run(until=500)           # the coordinator has no commit record: presumed abort
    assert decided(sim) == {"p1": "abort", "p2": "abort", "p3": "abort"}
    assert check_commit(sim) == []


def test_a_restarted_coordinator_finishes_what_its_log_says():
    """The commit record is forced, every Commit is lost, the coordinator crashes: on
    restart it re-sends Commit from its log (BHG §7.4, coordinator recovery)."""
    sim = two_phase(0, network=fast())
    for p in ("p1", "p2", "p3"):
        drop_next(sim, src="c", dst=p, msg_type=Commit)
    sim.crash("c", at=12)
    sim.restart("c", at=200)
    sim.run(until=199)
    assert decided(sim) == {"c": "commit"}
    assert [e.info for e in sim.trace.of_kind("drop")].count("hook") == 3
    sim.run(until=400)
    assert decided(sim) == {"c": "commit", "p1": "commit", "p2": "commit", "p3": "commit"}
    assert any("resend Commit(T1)" in str(e.info) for e in sim.trace.of_kind("annotate"))
    assert check_commit(sim) == []


def test_cooperative_termination_learns_from_a_participant_that_knows():
    """Commit reached p1 only, then the coordinator crashed: p2 and p3 ask each other
    and p1, and learn the decision without waiting for the coordinator."""
    sim = two_phase(0, network=fast())
    for p in ("p2", "p3"):
        drop_next(sim, src="c", dst=p, msg_type=Commit)
    sim.crash("c", at=12)
    sim.run(until=150)
    assert decided(sim) == {"c": "commit", "p1": "commit", "p2": "commit", "p3": "commit"}
    assert sim.trace.count("send", DecisionRequest) > 0


def test_a_participant_that_has_not_voted_aborts_when_asked():
    """BHG §7.4: asked by an uncertain peer, a participant that has not voted aborts
    unilaterally (durably), so it will vote no: the others can abort."""
    sim = two_phase(0, network=fast())
    drop_next(sim, src="c", dst="p3", msg_type=Prepare)
    sim.crash("c", at=7)
    sim.run(until=200)
    assert decided(sim) == {"p1": "abort", "p2": "abort", "p3": "abort"}
    assert [r.kind for r in log_records(sim.storage("p3"))] == ["abort"]
    sim.restart("c")
    sim.run(until=400)
    assert check_commit(sim) == []


def test_a_participant_in_doubt_after_a_restart_asks_and_learns():
    sim = two_phase(0, network=fast())
    sim.crash("p2", at=6)        # it voted yes at 5
    sim.restart("p2", at=60)
    sim.run(until=200)
    assert decided(sim)["p2"] == "commit" and check_commit(sim) == []
    notes = [e.info for e in sim.trace.of_kind("annotate") if e.node == "p2"]
    assert notes == ["recovery: in doubt about T1"]


def test_validity_checker_flags_a_commit_without_every_yes_vote():
    ev = [TraceEvent(0, "output", "c", None, ("T1", ("p1", "p2")), None, "begin"),
          TraceEvent(1, "output", "p1", None, ("T1", "yes"), None, "vote"),
          TraceEvent(1, "output", "p2", None, ("T1", "no"), None, "vote"),
          TraceEvent(2, "output", "c", None, ("T1", "commit"), None, "decide")]
    found = check_validity(ev)
    assert len(found) == 1 and "p2 voted no" in found[0].detail
    # all yes, nothing failed, yet p2 never committed: AC4
    ev2 = ev[:1] + [ev[1], TraceEvent(1, "output", "p2", None, ("T1", "yes"), None, "vote"),
                    TraceEvent(2, "output", "c", None, ("T1", "abort"), None, "decide")]
    assert [v.property for v in check_validity(ev2)] == ["validity"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["c", "p1", "p2"]), st.sampled_from(["T1", "T2"]),
                          st.sampled_from(["commit", "abort"])), max_size=8))
def test_atomicity_checker_flags_exactly_the_mixed_transactions(ds):
    events = [TraceEvent(float(i), "output", n, None, (t, o), None, "decide")
              for i, (n, t, o) in enumerate(ds)]
    mixed = {t for t in ("T1", "T2") if {o for _, tt, o in ds if tt == t} == {"commit", "abort"}}
    assert {v.txid for v in check_atomicity(events)} == mixed


# --- 3PC stories ------------------------------------------------------------------------

def test_3pc_all_yes_commits_in_three_phases():
    sim = three_phase(0, network=fast())
    sim.run(until=200)
    assert set(decided(sim).values()) == {"commit"} and len(decided(sim)) == 4
    counts = [sim.trace.count("send", t) for t in (CanCommit, Vote, PreCommit, PreCommitAck,
                                                     DoCommit)]
    assert counts == [3, 3, 3, 3, 3]
    assert check_commit(sim) == [] and check_persist_before_send(sim) == []


def test_3pc_terminates_after_the_crash_that_blocks_2pc():
    """Skeen 1981: the same crash (after the votes) no longer blocks. The first
    participant coordinates round 1, finds everyone uncertain and aborts."""
    sim = three_phase(0, network=fast())
    sim.crash("c", at=7)
    sim.run(until=600)
    assert decided(sim) == {"p1": "abort", "p2": "abort", "p3": "abort"}
    assert sim.trace.count("send", StateReq) == 2
    assert check_commit(sim, termination="all") == []


def test_3pc_commits_when_the_coordinator_dies_after_precommit():
    sim = three_phase(0, network=fast())
    sim.crash("c", at=13)        # PreCommit is in flight to everyone
    sim.run(until=600)
    assert decided(sim) == {"p1": "commit", "p2": "commit", "p3": "commit"}


def test_3pc_termination_survives_the_first_backup_crashing():
    """p1, the round-1 coordinator, crashes too: p2 and p3 move on to round 2."""
    sim = three_phase(0, network=fast())
    sim.crash("c", at=13)
    sim.crash("p1", at=14)
    sim.run(until=900)
    assert decided(sim) == {"p2": "commit", "p3": "commit"}
    assert any(isinstance(e.msg, Elect) and e.msg.round == 1 for e in sim.trace.of_kind("send"))
    assert check_commit(sim, termination="up") == []
    sim.restart("p1")            # recovering: it asks, and learns the outcome
    sim.run(until=1100)
    assert decided(sim)["p1"] == "commit" and check_commit(sim) == []


def test_3pc_partition_breaks_atomicity():
    """Skeen's model has no partitions. Cut {c, p1} from {p2, p3} while PreCommit is in
    flight: c commits (taking the silent as crashed), p2 and p3 terminate among
    themselves, find only uncertain states, and abort."""
    sim = three_phase(0, network=fast())
    sim.partition(["c", "p1"], ["p2", "p3"], at=12)
    sim.heal(at=800)
    sim.run(until=1200)
    assert decided(sim) == {"c": "commit", "p1": "commit", "p2": "abort", "p3": "abort"}
    (v,) = check_atomicity(sim)
    assert v.txid == "T1" and v.nodes == ("c", "p1", "p2", "p3")


def test_2pc_is_safe_in_the_same_partition_it_just_blocks():
    sim = two_phase(0, network=fast())
    sim.partition(["c", "p1"], ["p2", "p3"], at=7)
    sim.heal(at=400)
    sim.run(until=700)
    assert check_commit(sim) == [] and {d.node for d in blocked(sim)} >= {"p2", "p3"}


# --- determinism, helpers, arguments ------------------------------------------------------

def test_same_seed_same_trace():
    runs = [run_3pc(7, "all").trace.dump() for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) > 1000


GOLDEN_2PC = """\
0.000000 output c ('T1', ('p1', 'p2')) [begin]
0.000000 send c ->p1 #1 Prepare(T1)
0.000000 send c ->p2 #2 Prepare(T1)
5.000000 persist p1 [log]
5.000000 output p1 ('T1', 'yes') [vote]
5.000000 send p1 ->c #3 Vote(T1: yes)
5.000000 persist p2 [log]
5.000000 output p2 ('T1', 'yes') [vote]
5.000000 send p2 ->c #4 Vote(T1: yes)
10.000000 persist c [log]
10.000000 output c ('T1', 'commit') [decide]
10.000000 send c ->p1 #5 Commit(T1)
10.000000 send c ->p2 #6 Commit(T1)
15.000000 persist p1 [log]
15.000000 output p1 ('T1', 'commit') [decide]
15.000000 send p1 ->c #7 Ack(T1)
15.000000 persist p2 [log]
15.000000 output p2 ('T1', 'commit') [decide]
15.000000 send p2 ->c #8 Ack(T1)
20.000000 persist c [log]"""


def test_golden_trace_of_a_fault_free_2pc_run():
    """A golden trace (etcd-style): the sends, log writes and outputs of 2PC with two
    participants. If the protocol changes on purpose, regenerate it with
    ``print(sim.trace.dump(kinds=["send", "persist", "output"]))``."""
    sim = two_phase(0, participants=2, network=fast())
    sim.run(until=50)
    assert sim.trace.dump(kinds=["send", "persist", "output"]) == GOLDEN_2PC


def test_snapshot_shows_a_crashed_nodes_durable_log():
    sim = two_phase(0, network=fast())
    sim.crash("p1", at=6)
    (t, snap), = record(sim, [8])
    assert snap["p1"]["status"] == "crashed" and snap["p1"]["log"] == "<prepared T1>"
    assert snap["p2"]["decision"] == "T1: in doubt" and snapshot(sim)["c"]["role"] == "coordinator"


def test_arguments_are_checked():
    with pytest.raises(TypeError, match="transactions"):
        two_phase(0, transactions="T1")
    with pytest.raises(ValueError, match="appears twice"):
        two_phase(0, transactions=[("T1", 0), ("T1", 5)])
    with pytest.raises(ValueError, match="not a participant"):
        three_phase(0, vote_no={"p9": ["T1"]})
    with pytest.raises(TypeError, match="participant_class"):
        two_phase(0, participant_class=int)
    with pytest.raises(ValueError, match="vote_timeout"):
        two_phase(0, vote_timeout=0)
    with pytest.raises(ValueError, match="mode must be one of"):
        check_3pc(1, mode="byzantine")
    sim = two_phase(0)
    with pytest.raises(ValueError, match="not a node"):
        drop_next(sim, dst="p7")
    with pytest.raises(TypeError, match="checkers read"):
        check_atomicity("trace")


# --- chaos sweeps ---------------------------------------------------------------------------

def test_sweeps_are_registered_under_their_names():
    assert SWEEPS["2pc"] == "distlab.commit.sweep:check_2pc"
    assert check_function("2pc") is check_2pc and check_function("3pc") is check_3pc


def test_2pc_sweep_under_every_fault_is_safe():
    """Loss, duplication, reordering, crashes with restarts, partitions: atomicity and
    validity on every seed, and every participant decides once all has recovered."""
    assert PLANS["all"].partition_every and PLANS["all"].crash_every
    for seed in range(120):
        found = check_2pc(seed)
        assert not found, f"seed={seed}: {found[0]}"


def test_3pc_sweep_crash_only_is_clean():
    assert PLANS["crash-only"].partition_every is None
    for seed in range(120):
        found = check_3pc(seed, mode="crash-only")
        assert not found, f"seed={seed}: {found[0]}"


def test_3pc_sweep_with_partitions_finds_reproducible_atomicity_violations():
    result = sweep("3pc", range(60), mode="partitions")
    assert result.failing_seeds, "partitions should break 3PC within 60 seeds"
    assert {v.property for v in result.violations} == {"atomicity"}
    seed = result.failing_seeds[0]
    again = check_3pc(seed, mode="partitions")
    assert again == [v for v in result.violations if v.seed == seed]
    assert str(again[0]).startswith(f"SEED={seed} 3pc: atomicity: T")
    sim = run_3pc(seed, "partitions")
    assert "mixed" in outcomes(sim).values() and sim.trace.of_kind("partition")


# --- exercises and pictures ---------------------------------------------------------------

def test_exercise_checks_accept_the_book_and_reject_wrong_answers():
    from distlab.exercises import CheckFailed
    from distlab.exercises.commit import (check_atomicity_checker, check_recovery,
                                          check_termination_rule)

    check_recovery(participant_recovery)
    check_termination_rule(termination_rule)

    def mixed(ds):
        seen = {}
        for _, txid, outcome in ds:
            seen.setdefault(txid, set()).add(outcome)
        return sorted(t for t, s in seen.items() if len(s) > 1)

    check_atomicity_checker(mixed)
    with pytest.raises(CheckFailed, match="expected: 'ask'"):
        check_recovery(lambda records: "abort" if not records else records[-1].kind)
    with pytest.raises(CheckFailed, match="not written yet"):
        check_termination_rule(lambda states: (_ for _ in ()).throw(NotImplementedError()))
    with pytest.raises(CheckFailed, match="one node decided both|one participant aborted"):
        check_atomicity_checker(lambda ds: sorted({t for n, t, o in ds if o == "abort"}
                                                  & {t for n, t, o in ds if o == "commit"
                                                     and n != "p1"}))


def test_commit_pictures_draw_what_the_trace_says():
    import matplotlib.pyplot as plt

    from distlab.viz.commit import (animate_commit, commit_diagram, commit_label,
                                    doubt_bands, state_diagram)

    sim = two_phase(0, network=fast())
    sim.crash("c", at=7)
    sim.restart("c", at=100)
    frames = record(sim, [150])
    ax = commit_diagram(sim, title="blocked")
    assert doubt_bands(ax, sim, nodes=list(sim.node_ids), end=150) == 3
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:3] == ["Prepare", "Vote", "DecisionRequest"] and "in doubt" in legend
    assert commit_label(Vote("T1", True)) == "yes"
    assert commit_label(StateReq("T1", 2)) == "StateReq r2"
    anim = animate_commit(sim, frames, captions=["decided"])
    assert anim.frames == 1 and "_anim_img" in anim.html
    with pytest.raises(ValueError, match="'2pc' or '3pc'"):
        state_diagram("4pc")
    plt.close("all")
