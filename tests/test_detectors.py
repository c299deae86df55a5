"""The heartbeat failure detector and the timing models (notebook 1.1).

References: Cachin, Guerraoui & Rodrigues 2011, §2.6.2 (perfect detection by
"Exclude on Timeout" in a synchronous system) and §2.6.5 (eventually perfect
detection by "Increasing Timeout"); Dwork, Lynch & Stockmeyer 1988 (partial synchrony,
GST); Chandra & Toueg's completeness and accuracy.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.detectors import (Heartbeat, HeartbeatDetector, PartialSynchrony, Stalls,
                               completeness_violations, delay_bound, detection_times,
                               false_suspicions, suspicions, up_intervals)
from distlab.sim import Constant, Exponential, Network, Simulation, Uniform

PERIOD = 10.0


def pair(seed: int, latency, *, timeout: float, increase: float = 0.0,
         network: Network | None = None) -> Simulation:
    """p sends heartbeats to q; q watches p."""
    sim = Simulation(seed=seed, network=network or Network(latency=latency))
    sim.add_node("p", HeartbeatDetector, period=PERIOD, timeout=timeout, watch=())
    sim.add_node("q", HeartbeatDetector, period=PERIOD, timeout=timeout, increase=increase,
                 send_to=())
    return sim


# --- scenarios -------------------------------------------------------------------------

def test_a_silent_peer_is_suspected_exactly_one_timeout_after_its_last_heartbeat():
    sim = pair(1, Constant(2.0), timeout=25.0)
    sim.crash("p", at=41.0)          # heartbeats leave at 0, 10, 20, 30, 40
    sim.run(until=200)
    last = max(e.time for e in sim.trace.of_kind("deliver") if e.node == "q")
    assert last == 42.0
    (s,) = suspicions(sim)
    assert (s.monitor, s.peer, s.false) == ("q", "p", False)
    assert s.time == pytest.approx(last + 25.0)
    assert detection_times(sim) == {("q", "p"): pytest.approx(42.0 + 25.0 - 41.0)}


def test_a_mistake_is_undone_by_the_next_heartbeat_and_lengthens_the_timeout():
    """§2.6.5: when a suspected process turns out alive, restore it, increase the delay."""
    sim = pair(1, Constant(2.0), timeout=15.0, increase=5.0)
    sim.cut("p", "q", at=25.0)       # heartbeats of 30, 40 are lost
    sim.heal(at=45.0)
    sim.run(until=120)
    outs = [(e.info, e.msg) for e in sim.trace.outputs(node="q")]
    assert outs == [("suspect", "p"), ("restore", "p")]
    assert len(false_suspicions(sim)) == 1
    assert sim.node("q").timeouts == {"p": 20.0}
    assert sim.node("q").suspected == []


def test_a_restarted_node_is_restored_and_the_crash_was_not_a_mistake():
    sim = pair(2, Uniform(1, 10), timeout=25.0)
    sim.crash("p", at=100)
    sim.restart("p", at=200)
    sim.run(until=400)
    kinds = [e.info for e in sim.trace.outputs(node="q")]
    assert kinds == ["suspect", "restore"]
    assert false_suspicions(sim) == []
    assert up_intervals(sim)["p"] == [(0.0, 100.0), (200.0, math.inf)]


def test_all_to_all_detectors_watch_every_peer():
    sim = Simulation(seed=3, network=Network(latency=Uniform(1, 10)))
    sim.add_nodes(["a", "b", "c"], HeartbeatDetector, period=PERIOD, timeout=25.0)
    sim.crash("c", at=50)
    sim.run(until=300)
    assert sorted(detection_times(sim)) == [("a", "c"), ("b", "c")]
    assert completeness_violations(sim) == []
    assert false_suspicions(sim) == []
    assert sim.node("a").state() == {"suspected": ["c"], "timeouts": {"b": 25.0, "c": 25.0}}


# --- the three timing models, over many seeds ------------------------------------------------

def test_synchronous_a_timeout_above_the_bound_never_suspects_a_live_node():
    """§2.6.2: with delays in [1, 10], silences last at most period + 10 - 1 = 19."""
    for seed in range(60):
        sim = pair(seed, Uniform(1, 10), timeout=19.5)
        sim.crash("p", at=700)
        sim.run(until=1000)
        assert false_suspicions(sim) == [], f"seed={seed}: {false_suspicions(sim)}"
        delay = detection_times(sim)[("q", "p")]
        assert delay is not None and delay <= 10 + 19.5, f"seed={seed}: detected after {delay}"


def _ran(sim: Simulation, until: float = 1000) -> Simulation:
    sim.run(until=until)
    return sim


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), period=st.floats(1, 20), low=st.floats(0, 10),
       spread=st.floats(0, 30))
def test_law_no_timeout_above_period_plus_spread_ever_suspects(seed, period, low, spread):
    """Synchronous model: consecutive heartbeats arrive at most period + (d_max − d_min)
    apart and the first within d_max, so a timeout above both never suspects a live
    node (§2.6.2)."""
    high = low + spread
    sim = Simulation(seed=seed, network=Network(latency=Uniform(low, high)))
    sim.add_node("p", HeartbeatDetector, period=period, watch=())
    sim.add_node("q", HeartbeatDetector, timeout=max(high, period + spread) + 1e-6,
                 send_to=())
    sim.run(until=30 * period)
    assert false_suspicions(sim) == [], f"seed={seed}"


def test_synchronous_a_timeout_below_the_bound_does_make_mistakes():
    mistakes = [len(false_suspicions(_ran(pair(s, Uniform(1, 10), timeout=15.0))))
                for s in range(20)]
    assert all(m > 0 for m in mistakes), mistakes


def test_asynchronous_independent_exponential_delays_make_long_silences_rare():
    """Each delay is unbounded, but a silence of T needs every heartbeat sent during it
    to be slow: mistakes fall off steeply with the timeout."""
    counts = [sum(len(false_suspicions(_ran(pair(s, Exponential(mean=5.5, minimum=1.0),
                                                  timeout=t)))) for s in range(20))
              for t in (20.0, 25.0, 30.0)]
    assert counts[0] > counts[1] > counts[2], counts
    assert counts[1] > 0


def test_asynchronous_with_stalls_every_fixed_timeout_sometimes_suspects_a_live_node():
    """With heavy-tailed stalls, silences longer than any timeout keep happening."""
    per_timeout = {}
    for timeout in (20.0, 40.0, 80.0):
        total = 0
        for s in range(40):
            sim = pair(s, Uniform(1, 10), timeout=timeout)
            Stalls(Uniform(1, 10), every=200, duration=5, shape=1.2, seed=s).install(sim)
            total += len(false_suspicions(_ran(sim, 1000)))
        per_timeout[timeout] = total
    assert all(n > 0 for n in per_timeout.values()), per_timeout
    assert per_timeout[20.0] > per_timeout[40.0] > per_timeout[80.0]


def test_a_stall_delays_every_message_sent_during_it_until_it_ends():
    stalls = Stalls(Constant(2.0), every=50, duration=10, shape=1.5, seed=4)
    sends = [float(t) for t in range(0, 2000, 3)]
    arrivals = [t + stalls.sample_delay("p", "q", t) for t in sends]
    assert any(a - t > 2.0 for t, a in zip(sends, arrivals)), "no stall in 2000 units"
    # messages sent during one stall all leave when it ends: none overtakes another
    assert arrivals == sorted(arrivals)
    # another link stalls at other times
    other = [t + stalls.sample_delay("q", "p", t) for t in sends]
    assert other != arrivals


def test_completeness_crashed_nodes_are_always_eventually_suspected():
    for name in ("synchronous", "asynchronous", "stalls"):
        for seed in range(30):
            latency = Exponential(8.0, 1.0) if name == "asynchronous" else Uniform(1, 10)
            sim = pair(seed, latency, timeout=20.0, increase=5.0)
            if name == "stalls":
                Stalls(latency, every=100, duration=5, shape=1.2, seed=seed).install(sim)
            sim.crash("p", at=400)
            sim.run(until=1500)
            assert completeness_violations(sim) == [], f"{name} seed={seed}"


def test_partial_synchrony_adaptive_timeouts_stop_making_mistakes_after_gst():
    """DLS 1988 + §2.6.5: after GST each mistake adds `increase` to the timeout, so at
    most ceil((bound - timeout) / increase) + 1 mistakes can happen after GST."""
    gst, after = 400.0, Uniform(1, 25)
    timeout, increase = 15.0, 5.0
    bound = PERIOD + delay_bound(after) - after.low          # 34
    allowed = math.ceil((bound - timeout) / increase) + 1
    late_fixed = []
    for seed in range(40):
        for inc in (increase, 0.0):
            sim = pair(seed, Exponential(mean=20.0, minimum=1.0), timeout=timeout,
                       increase=inc)
            PartialSynchrony(gst, Exponential(20.0, 1.0), after, seed=seed).install(sim)
            sim.run(until=2000)
            late = [s for s in false_suspicions(sim) if s.time >= gst + after.low]
            if inc:
                assert len(late) <= allowed, f"seed={seed}: {len(late)} mistakes after GST"
            elif any(s.time > 1500 for s in late):
                late_fixed.append(seed)
    # the contrast: a fixed timeout below the unknown bound keeps making mistakes
    assert len(late_fixed) > 20, late_fixed


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), gst=st.floats(0, 300), delta=st.floats(1, 30))
def test_partial_synchrony_every_message_arrives_by_max_send_gst_plus_delta(seed, gst, delta):
    sim = pair(seed, None, timeout=1e6, network=Network(latency=Exponential(40.0, 1.0)))
    hook = PartialSynchrony(gst, Exponential(40.0, 1.0), Uniform(0.5, 0.5 + delta),
                            seed=seed).install(sim)
    sim.run(until=gst + 200)
    for m in sim.trace.messages():
        for t in m.deliver_times:
            assert t <= max(m.send_time, gst) + hook.delta + 1e-9, (seed, m)


# --- inputs and hygiene ---------------------------------------------------------------------

def test_detector_and_model_arguments_are_checked():
    with pytest.raises(ValueError, match="period"):
        HeartbeatDetector(period=0)
    with pytest.raises(ValueError, match="increase"):
        HeartbeatDetector(increase=-1)
    with pytest.raises(TypeError, match="timeout"):
        HeartbeatDetector(timeout="soon")
    with pytest.raises(TypeError, match="watch"):
        HeartbeatDetector(watch="p")
    with pytest.raises(ValueError, match="after must be bounded"):
        PartialSynchrony(10, Exponential(5), Exponential(5))
    with pytest.raises(ValueError, match="gst"):
        PartialSynchrony(-1, Exponential(5), Uniform(1, 2))
    assert delay_bound(Constant(3)) == 3 and delay_bound(Exponential(3)) == math.inf
    assert repr(Heartbeat(4)) == "Heartbeat(4)"


def test_same_seed_same_trace():
    def run():
        sim = pair(9, Exponential(mean=8.0, minimum=1.0), timeout=20.0, increase=5.0)
        sim.run(until=500)
        return sim.trace.dump()
    assert run() == run()
