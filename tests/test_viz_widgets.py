"""Pictures and explorers: they draw what the trace says, deterministically."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only; notebooks must not do this (it drops figures)

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from distlab import viz  # noqa: E402
from distlab.sim import Constant, Network, Node, Simulation  # noqa: E402
from distlab.widgets import Explorer, parse_groups  # noqa: E402


class Relay(Node):
    def on_start(self):
        if self.id == "a":
            self.send("b", "hello")
        self.set_timer(5.0, "tick")

    def on_message(self, src, msg):
        self.output("deliver", msg)
        if self.id == "b":
            self.send("c", msg + "!")

    def on_timer(self, name, payload):
        self.annotate(f"tick@{self.now:g}")


def build(seed: int = 0) -> Simulation:
    sim = Simulation(seed=seed, network=Network(latency=Constant(2.0)))
    sim.add_nodes(["a", "b", "c"], Relay)
    return sim


def arrows_of(ax):
    return [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]


def test_spacetime_draws_one_arrow_per_delivery_and_a_cross_per_drop():
    sim = build()
    sim.network.set_link("b", "c", loss=1.0)
    sim.crash("a", at=3.0)
    sim.partition(["a"], at=4.0)
    sim.heal(at=6.0)
    sim.run(until=10)
    ax = viz.spacetime(sim, outputs=lambda e: f"got {e.msg}")
    assert len(arrows_of(ax)) == sim.stats["delivered"] == 1
    crosses = [l for l in ax.lines if l.get_marker() == "x"]
    assert len(crosses) == sim.stats["dropped"] == 1
    texts = [t.get_text() for t in ax.texts if getattr(t, "arrow_patch", None) is None]
    assert "got hello" in texts and any(t.startswith("partition a") for t in texts)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    plt.close("all")


def test_spacetime_now_hides_the_future():
    sim = build()
    sim.run(until=10)
    ax = viz.spacetime(sim, now=1.0, label=None)
    (arrow,) = arrows_of(ax)  # the message in flight, drawn faint; nothing delivered yet
    assert arrow.arrow_patch.get_alpha() < 1
    plt.close("all")


def test_spacetime_rejects_what_it_cannot_draw():
    with pytest.raises(TypeError, match="Simulation, a Trace"):
        viz.spacetime(42)


def test_animation_is_deterministic_and_self_contained():
    sim = build()
    frames = sim.run_recording(until=8, every=2)
    a = viz.animate_trace(sim, times=[t for t, _ in frames[1:]], states=frames)
    b = viz.animate_trace(sim, times=[t for t, _ in frames[1:]], states=frames)
    assert a.html == b.html
    # four frames, plus the first again as the picture shown before any script runs
    assert a.frames == 4 and a.html.count("data:image/png;base64,") == 5
    assert "_anim_img" in a._repr_html_() and "http" not in a.html  # nothing fetched
    with pytest.raises(ValueError, match="frames"):
        viz.animate(lambda fig, i: None, 0)


def test_topology_cuts_edges_across_a_partition():
    ax = viz.topology(["a", "b", "c"], groups=[["a"]], down=["c"])
    plt.close("all")
    with pytest.raises(ValueError, match="not in nodes"):
        viz.topology(["a"], edges=[("a", "z")])


def test_parse_groups():
    assert parse_groups("n1,n2 | n3", ["n1", "n2", "n3"]) == [["n1", "n2"], ["n3"]]
    with pytest.raises(ValueError, match="'n9' is not a node"):
        parse_groups("n9 | n1", ["n1"])


def test_explorer_actions_drive_the_simulation_and_log_code():
    ex = Explorer(build, seed=3, step_size=4)
    ex.widget()  # builds the controls (no kernel needed)
    ex.step()
    ex.advance()
    ex.crash("b")
    ex.crash("b")  # already down: a clear message, not a traceback
    assert "already crashed" in ex.error
    ex.partition("a | b,c")
    ex.heal()
    ex.restart("b")
    assert ex.sim.is_up("b")
    assert ex.log[0] == "sim = build(seed=3)"
    assert "sim.crash('b')" in ex.log and "sim.partition(['a'], ['b', 'c'])" in ex.log
    rows = ex.state_rows()
    assert [r["node"] for r in rows] == ["a", "b", "c"]
    ex.reset(seed=4)
    assert ex.sim.now == 0 and ex.log == ["sim = build(seed=4)"]
    plt.close("all")


def test_spacetime_can_hide_background_traffic():
    sim = build()
    sim.run(until=10)
    ax = viz.spacetime(sim, hide=lambda e: e.kind == "send" and e.msg == "hello!")
    assert len(arrows_of(ax)) == 1  # a->b stays, b->c (the relayed "hello!") is hidden
    plt.close("all")
