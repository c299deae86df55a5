"""Pictures of logical time (distlab.viz.clocks) and the exercise checks of notebooks 1.2
and 1.3: they draw and judge what the trace says, deterministically."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks must not do this (it drops figures)

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from distlab.clocks import (HappensBefore, LamportMutex, LamportNode,  # noqa: E402
                            VectorClock, VectorNode, mutex_entries, read_stamps)
from distlab.exercises import CheckFailed  # noqa: E402
from distlab.exercises import clocks as ex  # noqa: E402
from distlab.sim import Network, Simulation  # noqa: E402
from distlab.viz.clocks import (CONE_COLORS, animate_clocks, causal_cone,  # noqa: E402
                                clock_diagram, mutex_diagram, vector_label)
from distlab.widgets import Explorer  # noqa: E402


def run(cls, seed=3, **kwargs):
    sim = Simulation(seed=seed)
    sim.add_nodes(["n1", "n2", "n3"], cls, actions=6, **kwargs)
    sim.run(until=200)
    return sim


def texts(ax):
    """The text labels drawn (arrows are annotations with empty text)."""
    return [t.get_text() for t in ax.texts if t.get_text()]


def test_clock_diagram_writes_every_reported_timestamp():
    sim = run(VectorNode)
    stamps = read_stamps(sim)
    fmt = vector_label(sim.node_ids)
    ax = clock_diagram(sim, fmt=fmt)
    assert sorted(texts(ax)) == sorted(fmt(v) for v in stamps.values())
    assert fmt(VectorClock({"n1": 2, "n3": 1})) == "[2,0,1]"
    with pytest.raises(ValueError, match="nodes"):
        vector_label([])
    plt.close("all")


def test_labels_respect_now_and_ids():
    sim = run(LamportNode)
    hb = HappensBefore.from_trace(sim)
    ax = clock_diagram(sim, hb=hb, now=20.0, ids=True)
    shown = [e for e in hb.events if e.time <= 20.0]
    assert len(texts(ax)) == len(shown)
    assert all("\n" in t for t in texts(ax)) and texts(ax)[0].split("\n")[0] in {
        e.id for e in shown}
    plt.close("all")


def test_causal_cone_colours_past_future_and_concurrent():
    sim = run(LamportNode)
    hb = HappensBefore.from_trace(sim)
    ax = causal_cone(sim, "n2.3", hb=hb)
    colours = [l.get_color() for l in ax.lines if l.get_markersize() == 7]
    expected = len(hb)  # every event coloured exactly once
    assert len(colours) == expected
    assert colours.count(CONE_COLORS["past"]) == len(hb.past("n2.3"))
    assert colours.count(CONE_COLORS["future"]) == len(hb.future("n2.3"))
    assert colours.count(CONE_COLORS["concurrent"]) == len(hb.concurrent_with("n2.3"))
    plt.close("all")


def test_animation_is_deterministic_and_shows_clocks():
    sim = run(VectorNode)
    times = [e.time for e in HappensBefore.from_trace(sim).events[:3]]
    a = animate_clocks(sim, times=times, fmt=vector_label(sim.node_ids), name="V",
                       initial=VectorClock())
    b = animate_clocks(sim, times=times, fmt=vector_label(sim.node_ids), name="V",
                       initial=VectorClock())
    assert a.frames == 3 and a.html == b.html
    with pytest.raises(ValueError, match="times"):
        animate_clocks(sim, times=[])
    with pytest.raises(TypeError, match="Simulation"):
        animate_clocks(sim.trace, times=times)


def test_mutex_diagram_draws_one_bar_per_use():
    sim = Simulation(seed=2, network=Network(fifo=True))
    sim.add_nodes(["n1", "n2", "n3"], LamportMutex, rounds=2)
    sim.run(until=1000)
    ax = mutex_diagram(sim)
    assert sorted(texts(ax)) == sorted(str(u[3]) for u in mutex_entries(sim))
    assert len(texts(ax)) == 6
    plt.close("all")


def test_an_explorer_can_draw_clocks():
    class ClockExplorer(Explorer):
        def draw(self, ax=None):
            return clock_diagram(self.sim, now=self.sim.now, end=max(self.sim.now, 1.0),
                                 ax=ax)

    def build(seed):
        sim = Simulation(seed=seed)
        sim.add_nodes(["n1", "n2"], LamportNode, actions=3)
        return sim

    explorer = ClockExplorer(build, seed=1)
    for _ in range(6):
        explorer.step()
    ax = explorer.draw()
    assert texts(ax) and all(t.isdigit() for t in texts(ax))
    hb = HappensBefore.from_trace(explorer.sim)
    stamps = read_stamps(explorer.sim, hb)
    latest = {n: str(stamps[hb.of_node(n)[-1].id]) if hb.of_node(n) else "0"
              for n in ("n1", "n2")}
    assert {row["node"]: row["C"] for row in explorer.state_rows()} == latest
    plt.close("all")


# --- exercise checks -------------------------------------------------------------------

def test_reference_answers_follow_the_rules():
    history = {"p1": ["local", "send a"], "p2": ["recv a", "local"]}
    assert ex.lamport_reference(history) == {"p1": [1, 2], "p2": [3, 4]}
    assert ex.vector_reference(history) == {"p1": [{"p1": 1}, {"p1": 2}],
                                            "p2": [{"p1": 2, "p2": 1}, {"p1": 2, "p2": 2}]}
    with pytest.raises(ValueError, match="never sent"):
        ex.lamport_reference({"p": ["recv z"]})
    with pytest.raises(ValueError, match="'local', 'send m' or 'recv m'"):
        ex.lamport_reference({"p": ["jump"]})


def test_history_of_a_run_gives_the_same_lamport_stamps_as_the_nodes():
    sim = run(LamportNode, seed=5)
    hb = HappensBefore.from_trace(sim)
    stamps = read_stamps(sim, hb)
    reference = ex.lamport_reference(ex.history_of(sim))
    assert {n: [stamps[e.id] for e in hb.of_node(n)] for n in reference} == reference


def test_checks_pass_model_answers(capsys):
    ex.check_lamport_stamps(ex.lamport_reference)
    ex.check_vector_stamps(ex.vector_reference)
    ex.check_may_enter(lambda mine, queue, latest: min(queue) == mine
                       and all(t > mine.time for t in latest.values()))
    ex.check_vector_merge(lambda v, w: VectorClock(v).merge(w).as_dict())
    ex.check_vector_compare(lambda v, w: VectorClock(v).compare(VectorClock(w)))
    assert capsys.readouterr().out.count("✔") == 5


def test_checks_explain_wrong_answers():
    with pytest.raises(CheckFailed, match="first wrong timestamp"):
        ex.check_lamport_stamps(lambda h: {p: list(range(1, len(e) + 1)) for p, e in h.items()})
    with pytest.raises(CheckFailed, match="ties broken by node id"):
        ex.check_may_enter(lambda mine, queue, latest: True)
    with pytest.raises(CheckFailed, match="not written yet"):
        ex.check_vector_merge(lambda v, w: (_ for _ in ()).throw(NotImplementedError()))
    with pytest.raises(CheckFailed, match="raised ZeroDivisionError"):
        ex.check_vector_compare(lambda v, w: 1 / 0)
    with pytest.raises(CheckFailed, match="expected a function"):
        ex.check_vector_stamps("vector_stamps")
