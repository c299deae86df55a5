"""Physical clocks and their synchronisation (notebook 1.4): drift, stepping and
slewing, Cristian, Berkeley, NTP, hybrid logical clocks, last-writer-wins."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from distlab.clocks import LamportClock
from distlab.clocksync import (PPM, BerkeleyMaster, BerkeleySlave, ClockFilter,
                               CristianClient, DisciplinedNode, HLCNode, HLCTimestamp,
                               HybridLogicalClock, LWWClient, LWWReplica, NTPNode,
                               TimeServer, check_hlc, cristian_estimate, drift_apart,
                               fault_tolerant_average, hlc_events, hlc_receive, lost_writes,
                               lww_writes, ntp_offset_delay, resync_interval, run_sampling,
                               schedule_step, select_truechimers, skew)
from distlab.exercises import CheckFailed
from distlab.exercises.clocksync import check_hlc_receive, check_ntp_offset_delay
from distlab.sim import Constant, Exponential, FaultPlan, Network, Simulation, Uniform


# --- drift and skew (van Steen & Tanenbaum; Cristian 1989 section 2) ------------------

def test_two_free_running_clocks_drift_apart_at_the_difference_of_their_rates():
    sim = Simulation(seed=0)
    sim.add_node("fast", DisciplinedNode, clock={"drift": 50 * PPM})
    sim.add_node("slow", DisciplinedNode, clock={"drift": -50 * PPM})
    sim.run(until=1_000_000)  # 1000 s
    assert skew(sim) == pytest.approx(drift_apart(50 * PPM, 1_000_000))  # 100 ms
    assert resync_interval(10.0, 50 * PPM) == pytest.approx(100_000)     # 100 s for 10 ms


def test_helpers_validate_their_arguments():
    with pytest.raises(ValueError, match="rho"):
        drift_apart(-1e-6, 10)
    with pytest.raises(TypeError, match="interval"):
        drift_apart(1e-6, "10")
    assert resync_interval(5.0, 0.0) == math.inf


# --- step versus slew -----------------------------------------------------------------

class Corrector(DisciplinedNode):
    """Applies one correction of `delta` at its clock time 1000, by `how`."""

    def __init__(self, how: str, delta: float, freq: float = 0.0) -> None:
        super().__init__()
        self.how, self.delta, self.freq0 = how, delta, freq

    def on_start(self) -> None:
        super().on_start()
        self.set_timer(1000.0, "go")
        if self.freq0:
            self.set_frequency(self.freq0)

    def on_timer(self, name, payload):
        if name == "go":
            (self.step_clock if self.how == "step" else self.slew_clock)(self.delta)
        else:
            super().on_timer(name, payload)


def readings(how: str, delta: float, until: float = 200_000, every: float = 50.0):
    sim = Simulation(seed=0)
    sim.add_node("n", Corrector, how=how, delta=delta, clock={"offset": 30.0})
    times, series = run_sampling(sim, until, every)
    return times, [t + o for t, o in zip(times, series["n"])], series["n"]


def test_a_step_backwards_makes_the_clock_run_backwards():
    times, reads, offs = readings("step", -30.0, until=5000, every=10.0)
    assert any(b < a for a, b in zip(reads, reads[1:]))
    assert offs[-1] == pytest.approx(0.0)


def test_a_slew_never_goes_backwards_and_takes_delta_over_max_slew():
    """Mills 1991 section 5 / BSD adjtime: at most 500 ppm, so 30 ms take 60 s."""
    times, reads, offs = readings("slew", -30.0)
    assert all(b > a for a, b in zip(reads, reads[1:]))
    done = next(t for t, o in zip(times, offs) if abs(o) < 1e-6)
    assert 60_000 <= done <= 62_500
    assert offs[-1] == pytest.approx(0.0, abs=1e-9)


def test_a_frequency_correction_cancels_drift():
    sim = Simulation(seed=0)
    sim.add_node("n", Corrector, how="slew", delta=0.0, freq=-80 * PPM,
                 clock={"drift": 80 * PPM})
    sim.add_node("free", DisciplinedNode, clock={"drift": 80 * PPM})
    sim.run(until=600_000)
    assert abs(sim.clock("n").offset_at(sim.now)) < 1.0        # within a tick's worth
    assert sim.clock("free").offset_at(sim.now) == pytest.approx(48.0)


def test_discipline_rejects_bad_arguments():
    with pytest.raises(ValueError, match="max_slew"):
        DisciplinedNode(max_slew=0.9)
    with pytest.raises(ValueError, match="tick"):
        DisciplinedNode(tick=0)


# --- Cristian (1989, section 3) -------------------------------------------------------

def test_cristian_estimate_is_exact_for_symmetric_delays():
    # server 25 ahead; request and reply take 4 each: T = t0 + 4 + 25, t1 = t0 + 8
    s = cristian_estimate(100.0, 108.0, 129.0, min_delay=1.0)
    assert s.offset == pytest.approx(25.0)
    assert s.error == pytest.approx(3.0)  # rtt/2 - min


@settings(max_examples=300, deadline=None)
@given(offset=st.floats(-1e3, 1e3), d1=st.floats(0.5, 50), d2=st.floats(0.5, 50),
       t0=st.floats(0, 1e6))
def test_cristian_interval_always_contains_the_truth(offset, d1, d2, t0):
    """The bound holds however the round trip splits, if min_delay bounds both ways."""
    T = t0 + d1 + offset
    t1 = t0 + d1 + d2
    s = cristian_estimate(t0, t1, T, min_delay=0.5)
    assert abs(s.offset - offset) <= s.error + 1e-6
    assert abs(s.offset - offset) == pytest.approx(abs(d1 - d2) / 2, abs=1e-6)


def test_cristian_estimate_validates():
    with pytest.raises(ValueError, match="t1"):
        cristian_estimate(10.0, 5.0, 0.0)
    with pytest.raises(TypeError, match="T"):
        cristian_estimate(1.0, 2.0, "3")


def cristian_run(seed=3, **kw):
    sim = Simulation(seed=seed, network=Network(latency=Exponential(mean=10, minimum=2)))
    sim.add_node("server", TimeServer)
    sim.add_node("client", CristianClient, server="server", min_delay=2.0,
                 clock={"offset": 25.0}, **kw)
    return sim


def test_cristian_client_keeps_the_sample_with_the_smallest_round_trip():
    sim = cristian_run(samples=8, interval=60.0)
    sim.run(until=2000)
    samples = [e.msg for e in sim.trace.outputs("sample")]
    (sync,) = [e.msg for e in sim.trace.outputs("sync")]
    assert len(samples) == 8 and sync == min(samples, key=lambda s: s.rtt)
    assert abs(sim.clock("client").offset_at(sim.now)) <= sync.error


def test_cristians_probabilistic_rule_stops_at_the_first_fast_reply():
    sim = cristian_run(samples=20, interval=60.0, max_rtt=12.0)
    sim.run(until=5000)
    samples = [e.msg for e in sim.trace.outputs("sample")]
    (sync,) = [e.msg for e in sim.trace.outputs("sync")]
    assert 1 < len(samples) < 20
    assert sync is samples[-1] and sync.rtt <= 12.0
    assert all(s.rtt > 12.0 for s in samples[:-1])
    assert sync.error <= 12.0 / 2 - 2.0


def test_a_cristian_round_with_no_fast_reply_changes_nothing():
    sim = cristian_run(samples=3, interval=60.0, max_rtt=0.5)
    sim.run(until=2000)
    assert not sim.trace.outputs("sync")
    assert sim.clock("client").offset_at(sim.now) == pytest.approx(25.0)


def test_cristian_client_ignores_duplicated_and_late_replies():
    sim = Simulation(seed=5, network=Network(latency=Uniform(1, 30), duplicate=0.5))
    sim.add_node("server", TimeServer)
    sim.add_node("client", CristianClient, server="server", samples=6, interval=10.0)
    sim.run(until=1000)
    assert sim.stats["duplicated"] > 0
    assert len(sim.trace.outputs("sample")) <= 6


# --- Berkeley (Gusella & Zatti 1989) --------------------------------------------------

def test_fault_tolerant_average_ignores_the_clock_that_disagrees():
    avg, used = fault_tolerant_average({"m": 0.0, "a": 4.0, "b": -2.0, "c": 250.0}, 20.0)
    assert used == ["a", "b", "m"] and avg == pytest.approx(2 / 3)
    avg, used = fault_tolerant_average({"m": 0.0, "a": 4.0, "b": -2.0, "c": 250.0}, math.inf)
    assert len(used) == 4 and avg == pytest.approx(63.0)


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.floats(-1e3, 1e3), min_size=1),
       st.floats(0, 500))
def test_fault_tolerant_average_laws(diffs, tol):
    avg, used = fault_tolerant_average(diffs, tol)
    vals = [diffs[n] for n in used]
    assert max(vals) - min(vals) <= tol
    assert min(vals) - 1e-9 <= avg <= max(vals) + 1e-9
    # no group of clocks within `tol` of each other is larger
    for lo in diffs.values():
        assert sum(1 for v in diffs.values() if lo <= v <= lo + tol) <= len(used)


def test_fault_tolerant_average_validates():
    with pytest.raises(ValueError, match="tolerance"):
        fault_tolerant_average({"a": 1.0}, -1)
    with pytest.raises(ValueError, match="diffs"):
        fault_tolerant_average({}, 1)


def berkeley(seed=2, tolerance=20.0, wild=250.0, network=None, rounds=None):
    sim = Simulation(seed=seed, network=network or Network(latency=Uniform(1, 10)))
    sim.add_node("m", BerkeleyMaster, slaves=["s1", "s2", "s3", "s4"], period=10_000,
                 tolerance=tolerance, rounds=rounds, clock={"drift": 30 * PPM})
    for n, (o, d) in zip(["s1", "s2", "s3", "s4"],
                         [(12, -40 * PPM), (-7, 60 * PPM), (3, 10 * PPM), (wild, 0.0)]):
        sim.add_node(n, BerkeleySlave, clock={"offset": o, "drift": d})
    return sim


def test_berkeley_pulls_every_clock_together_including_the_wild_one():
    """Gusella & Zatti section 2: one round brings all clocks within the measurement
    error; the wild clock is corrected but does not move the average."""
    sim = berkeley()
    sim.run(until=10_500)
    (first,) = [e.msg for e in sim.trace.outputs("round")]
    assert "s4" not in first.used and abs(first.average) < 10
    assert skew(sim) < 10
    sim.run(until=60_500)
    assert skew(sim) < 10


def test_without_fault_tolerance_the_wild_clock_drags_everyone():
    sim = berkeley(tolerance=math.inf)
    sim.run(until=10_500)
    offs = [sim.clock(n).offset_at(sim.now) for n in sim.node_ids]
    assert min(offs) > 40  # everyone moved about 250/5 = 50 ms ahead of true time


def test_berkeley_ignores_duplicated_corrections_and_survives_loss():
    for seed in range(20):
        sim = berkeley(seed=seed, network=Network(latency=Uniform(1, 10), duplicate=0.3,
                                                  loss=0.2))
        sim.run(until=80_500)
        applied = [e for e in sim.trace.outputs("adjust")]
        per_round = {(e.node, i) for i, e in enumerate(applied)}
        assert len(per_round) == len(applied)
        assert skew(sim) < 25, f"seed={seed}: skew {skew(sim):.1f} ms after 8 rounds"


# --- NTP (Mills 1991; RFC 5905) -------------------------------------------------------

def test_offset_and_delay_formulas_section_8():
    # server 20 ahead, 5 ms each way, server holds 2 ms
    assert ntp_offset_delay(100, 125, 127, 112) == (20.0, 10.0)
    with pytest.raises(ValueError, match="t3"):
        ntp_offset_delay(0, 10, 5, 20)


@given(theta=st.floats(-1e3, 1e3), d1=st.floats(0, 100), d2=st.floats(0, 100),
       h=st.floats(0, 10), t1=st.floats(0, 1e6))
def test_offset_error_is_half_the_asymmetry_and_within_half_the_delay(theta, d1, d2, h, t1):
    t2 = t1 + d1 + theta
    t3 = t2 + h
    t4 = t3 - theta + d2
    est, delay = ntp_offset_delay(t1, t2, t3, t4)
    assert delay == pytest.approx(d1 + d2, abs=1e-6)
    assert est - theta == pytest.approx((d1 - d2) / 2, abs=1e-6)
    assert abs(est - theta) <= delay / 2 + 1e-6


def test_asymmetric_links_bias_the_offset_by_half_the_asymmetry_measured():
    for asym in (-8.0, 0.0, 6.0):
        sim = Simulation(seed=1)
        sim.add_node("ref", NTPNode, reference=True)
        sim.add_node("c", NTPNode, servers=["ref"], adjust=False, clock={"offset": 20.0})
        sim.network.set_link("c", "ref", latency=Constant(5 + asym / 2), symmetric=False)
        sim.network.set_link("ref", "c", latency=Constant(5 - asym / 2), symmetric=False)
        sim.run(until=40_000)
        s = sim.trace.outputs("sample")[-1].msg
        assert s.offset - (-20.0) == pytest.approx(asym / 2)


# A golden trace (tier 2): one client, one stratum-1 server, constant asymmetric delays
# (8 ms out, 4 ms back), the server holding each request 2 ms; the client 30 ms behind.
# Regenerate on purpose with: print(ntp_golden_run().trace.dump())
NTP_GOLDEN = """\
0.000000 start server [0]
0.000000 start client [0]
0.000000 send client ->server #1 NTPRequest(t1=970.0)
8.000000 deliver server <-client #1 NTPRequest(t1=970.0)
10.000000 timer server ('client', 970.0, 1008.0) [respond]
10.000000 send server ->client #2 NTPResponse(t1=970.0, t2=1008.0, t3=1010.0, stratum=1, \
root_delay=0.0, root_dispersion=0.0)
14.000000 deliver client <-server #2 NTPResponse(t1=970.0, t2=1008.0, t3=1010.0, stratum=1, \
root_delay=0.0, root_dispersion=0.0)
14.000000 output client NTPSample(server, offset=+32.000, delay=12.000) [sample]
14.000000 output client NTPUpdate(server, slew +32.000, freq=+0.0 ppm, stratum 2) [update]
100.000000 timer client [poll]
100.000000 send client ->server #3 NTPRequest(t1=1070.0)
108.000000 deliver server <-client #3 NTPRequest(t1=1070.0)
110.000000 timer server ('client', 1070.0, 1108.0) [respond]
110.000000 send server ->client #4 NTPResponse(t1=1070.0, t2=1108.0, t3=1110.0, stratum=1, \
root_delay=0.0, root_dispersion=0.0)
114.000000 deliver client <-server #4 NTPResponse(t1=1070.0, t2=1108.0, t3=1110.0, stratum=1, \
root_delay=0.0, root_dispersion=0.0)
114.000000 output client NTPSample(server, offset=+32.000, delay=12.000) [sample]
114.000000 output client NTPUpdate(server, slew +0.000, freq=+0.0 ppm, stratum 2) [update]"""


def ntp_golden_run() -> Simulation:
    sim = Simulation(seed=0)
    sim.add_node("server", NTPNode, reference=True, processing=2.0, clock={"offset": 1000.0})
    sim.add_node("client", NTPNode, servers=["server"], poll=100.0, clock={"offset": 970.0})
    sim.network.set_link("client", "server", latency=Constant(8.0), symmetric=False)
    sim.network.set_link("server", "client", latency=Constant(4.0), symmetric=False)
    sim.run(until=120)
    return sim


def test_golden_trace_of_two_ntp_exchanges():
    """RFC 5905 section 8: theta = 30 + (8 - 4)/2 = 32, delta = 8 + 4 = 12. The second
    exchange still measures 32 (the slew has not started: ticks are 4 s apart) but the
    filter stores it net of the pending slew, so the update is +0."""
    assert ntp_golden_run().trace.dump() == NTP_GOLDEN


def test_clock_filter_picks_min_delay_and_uses_a_sample_once():
    f = ClockFilter()
    for i, (off, d) in enumerate([(5, 9), (1, 2), (7, 12), (3, 6)]):
        f.add(off, d, time=float(i))
    assert f.best().offset == 1 and f.fresh() is f.best()
    f.use(f.best())
    assert f.fresh() is None
    for i in range(4, 12):
        f.add(9, 20, time=float(i))
    assert len(f.samples) == 8 and f.best().delay == 20  # the old best fell out


def test_intersection_algorithm_rejects_a_falseticker():
    sel = select_truechimers({"a": (1.0, 3.0), "b": (-1.0, 2.0), "bad": (300.0, 2.0)})
    assert sel.truechimers == ("a", "b") and sel.rejected == ("bad",)
    assert sel.low <= 0 <= sel.high
    assert select_truechimers({"a": (0.0, 1.0), "bad": (50.0, 1.0)}) is None


@given(truth=st.floats(-100, 100),
       good=st.lists(st.tuples(st.floats(-2.5, 2.5), st.floats(5, 20)), min_size=2, max_size=5),
       bad=st.lists(st.floats(200, 1000), max_size=1))
def test_truechimers_contain_every_correct_server_when_they_are_a_majority(truth, good, bad):
    """Correct servers whose errors are within half the narrowest interval all survive
    (RFC 5905 section 11.2.1: a truechimer's midpoint lies in the intersection)."""
    cands = {f"g{i}": (truth + e, w) for i, (e, w) in enumerate(good)}
    cands.update({f"b{i}": (truth + x, 1.0) for i, x in enumerate(bad)})
    sel = select_truechimers(cands)
    assert sel is not None and sel.low <= truth <= sel.high
    assert all(n in sel.truechimers for n in cands if n.startswith("g"))


def ntp_world(seed, falseticker=300.0, select=True, network=None):
    sim = Simulation(seed=seed, network=network or Network(latency=Exponential(mean=6,
                                                                              minimum=1)))
    sim.add_node("gps1", NTPNode, reference=True)
    sim.add_node("gps2", NTPNode, reference=True)
    sim.add_node("bad", NTPNode, reference=True, clock={"offset": falseticker})
    rng = random.Random(seed)
    def random_clock():
        return {"offset": rng.uniform(-60, 60), "drift": rng.uniform(-50, 50) * PPM}

    for s in ("s1", "s2"):
        sim.add_node(s, NTPNode, servers=["gps1", "gps2", "bad"], select=select,
                     clock=random_clock())
    for c in ("c1", "c2", "c3"):
        sim.add_node(c, NTPNode, servers=["s1", "s2"], clock=random_clock())
    return sim


def test_a_two_level_hierarchy_gets_strata_and_converges():
    """RFC 5905 section 3: stratum = the server's stratum + 1."""
    sim = ntp_world(1)
    sim.run(until=600_000)
    assert [sim.node(n).stratum for n in ("gps1", "s1", "s2", "c1", "c2", "c3")] == \
        [1, 2, 2, 3, 3, 3]
    assert {sim.node(n).sys_peer for n in ("s1", "s2")} <= {"gps1", "gps2"}
    for n in ("s1", "s2", "c1", "c2", "c3"):
        assert abs(sim.clock(n).offset_at(sim.now)) < 8, n


def test_without_selection_a_falseticker_wins_sometimes():
    sim = ntp_world(1, select=False)
    times, series = run_sampling(sim, 600_000, 10_000)
    assert max(abs(x) for x in series["s1"] + series["s2"]) > 250


def test_large_offsets_are_stepped_small_ones_slewed():
    sim = Simulation(seed=4, network=Network(latency=Constant(3.0)))
    sim.add_node("ref", NTPNode, reference=True)
    sim.add_node("c", NTPNode, servers=["ref"], clock={"offset": 500.0})
    sim.run(until=100_000)
    first = sim.trace.outputs("update")[0].msg
    assert first.stepped and first.offset == pytest.approx(-500.0)
    assert not any(e.msg.stepped for e in sim.trace.outputs("update")[1:])


def test_ntp_disciplines_frequency():
    sim = Simulation(seed=3, network=Network(latency=Exponential(mean=4, minimum=1)))
    sim.add_node("ref", NTPNode, reference=True)
    sim.add_node("c", NTPNode, servers=["ref"], clock={"offset": 30.0, "drift": 40 * PPM})
    sim.run(until=2_400_000)
    assert sim.node("c").freq == pytest.approx(-40 * PPM, abs=12 * PPM)
    assert abs(sim.clock("c").offset_at(sim.now)) < 3


def test_ntp_node_rejects_bogus_and_duplicate_responses():
    sim = Simulation(seed=2, network=Network(latency=Uniform(1, 20), duplicate=0.5))
    sim.add_node("ref", NTPNode, reference=True)
    sim.add_node("c", NTPNode, servers=["ref"], poll=1000.0)
    sim.run(until=30_000)
    sends = sum(1 for e in sim.trace.of_kind("send") if e.node == "c")
    assert sim.stats["duplicated"] > 0
    assert len(sim.trace.outputs("sample")) <= sends


def test_ntp_node_validates():
    with pytest.raises(ValueError, match="reference"):
        NTPNode(["a"], reference=True)
    with pytest.raises(TypeError, match="servers"):
        NTPNode("gps")
    with pytest.raises(ValueError, match="freq_gain"):
        NTPNode(["a"], freq_gain=2)


@pytest.mark.parametrize("seed", range(12))
def test_ntp_sweep_under_loss_duplication_and_a_falseticker(seed):
    """Every client ends within its servers' error of true time, whatever the seed."""
    sim = ntp_world(seed)
    sim.apply(FaultPlan(loss=0.2, duplicate=0.1, reorder=0.1), until=900_000)
    sim.run(until=900_000)
    for n in ("s1", "s2", "c1", "c2", "c3"):
        off = sim.clock(n).offset_at(sim.now)
        assert abs(off) < 10, f"seed={seed}: {n} is {off:+.1f} ms off after 15 minutes"


# --- hybrid logical clocks (Kulkarni et al. 2014) -------------------------------------

def test_hlc_rules_of_figure_5():
    c = HybridLogicalClock()
    assert c.send(10) == HLCTimestamp(10, 0)
    assert c.send(10) == HLCTimestamp(10, 1)          # same pt: counter
    assert c.send(9) == HLCTimestamp(10, 2)           # clock went back: l holds
    assert c.receive(8, HLCTimestamp(15, 4)) == HLCTimestamp(15, 5)   # message ahead
    assert c.receive(15, HLCTimestamp(15, 7)) == HLCTimestamp(15, 8)  # all equal
    assert c.receive(16, HLCTimestamp(12, 0)) == HLCTimestamp(16, 0)  # pt ahead
    assert c.receive(16, HLCTimestamp(3, 0)) == HLCTimestamp(16, 1)   # own l ahead


@given(st.lists(st.tuples(st.sampled_from(["send", "recv"]), st.integers(0, 30),
                          st.integers(0, 30), st.integers(0, 5)), max_size=40))
def test_hlc_is_monotonic_and_l_is_the_max_pt_seen(ops):
    c, seen = HybridLogicalClock(), -math.inf
    prev = None
    for kind, pt, lm, cm in ops:
        if kind == "send":
            ts = c.send(pt)
        else:
            ts = c.receive(pt, HLCTimestamp(lm, cm))
            assert ts > HLCTimestamp(lm, cm)
            seen = max(seen, lm)
        seen = max(seen, pt)
        assert ts.l == seen
        assert prev is None or ts > prev
        prev = ts
    assert hlc_receive(5, 1, 5, 3, 2) == (5, 4)


def hlc_world(seed, plan=None, step=None, n=3, events=20):
    rng = random.Random(seed)
    sim = Simulation(seed=seed, network=Network(latency=Uniform(1, 10)))
    for i in range(n):
        sim.add_node(f"n{i + 1}", HLCNode, interval=10.0, events=events,
                     clock={"offset": rng.uniform(-20, 20),
                            "drift": rng.uniform(-100, 100) * PPM})
    if plan is not None:
        sim.apply(plan, until=300)
    if step is not None:
        schedule_step(sim, "n1", 100, step)
    sim.run(until=1000)
    return sim


@pytest.mark.parametrize("seed", range(40))
def test_hlc_theorems_hold_under_faults_and_backward_steps(seed):
    plan = FaultPlan(loss=0.1, duplicate=0.1, reorder=0.2, crash_every=100,
                     restart_after=(10, 30))
    sim = hlc_world(seed, plan=plan, step=-30.0 if seed % 2 else None)
    problems = check_hlc(sim.trace)
    assert not problems, f"seed={seed}: " + "; ".join(problems[:3])
    assert len(hlc_events(sim.trace)) >= 40


@pytest.mark.parametrize("seed", range(10))
def test_hlc_stays_within_the_skew_of_physical_time(seed):
    sim = hlc_world(seed)
    offs = [sim.clock(n).offset_at(0) for n in sim.node_ids]
    drift_room = 2 * 100 * PPM * 1000 + 1.0  # drift over the run, and 1 ms granularity
    bound = max(offs) - min(offs) + drift_room
    assert not check_hlc(sim.trace, bound=bound), f"seed={seed}"


def test_the_checker_catches_physical_timestamps_breaking_causality():
    sim = hlc_world(0)
    bad = [p for p in check_hlc(sim.trace, timestamp=lambda ev: (ev.pt,)) if "send" in p]
    assert bad
    lam = check_hlc(sim.trace, timestamp=lambda ev: ev.lamport)
    assert not [p for p in lam if "timestamp" in p or "receive" in p]


# --- last-writer-wins under skew (Kleppmann 2017, ch. 8) ------------------------------

def lww_story(ts, concurrent=False):
    sim = Simulation(seed=1, network=Network(latency=Constant(3.0)))
    if concurrent:
        sim.add_node("A", LWWClient, script=[(10, "write", "r1", "x=1")])
    else:
        sim.add_node("A", LWWClient, script=[(0, "write", "r1", "x=1")])
    sim.add_node("r1", LWWReplica, timestamps=ts, replicas=["r1", "r2"], clock={"offset": 40.0})
    sim.add_node("r2", LWWReplica, timestamps=ts, replicas=["r1", "r2"])
    if concurrent:
        sim.add_node("B", LWWClient, script=[(12, "write", "r2", "x=2")])
    else:
        sim.add_node("B", LWWClient, script=[(10, "read", "r2", None),
                                             (20, "write", "r2", "x=2")])
    sim.run(until=100)
    return sim


def test_physical_timestamps_lose_a_write_that_causally_follows():
    sim = lww_story("physical")
    read = sim.trace.outputs("read", node="B")[0].msg
    assert read[1] == "x=1"                     # B saw x=1 ...
    assert [sim.node(r).value for r in ("r1", "r2")] == ["x=1", "x=1"]  # ... its x=2 is lost
    (lost, winner) = lost_writes(sim.trace)[0]
    assert lost.value == "x=2" and winner.value == "x=1"


@pytest.mark.parametrize("ts", ["hlc", "lamport"])
def test_logical_timestamps_keep_the_causally_later_write(ts):
    sim = lww_story(ts)
    assert [sim.node(r).value for r in ("r1", "r2")] == ["x=2", "x=2"]
    assert not lost_writes(sim.trace)


def test_no_clock_orders_concurrent_writes_by_real_time():
    sim = lww_story("hlc", concurrent=True)
    assert [sim.node(r).value for r in ("r1", "r2")] == ["x=1", "x=1"]
    assert [w.value for w in lww_writes(sim.trace)] == ["x=1", "x=2"]
    assert lost_writes(sim.trace)


def test_lww_replicas_converge_under_faults():
    for seed in range(10):
        sim = Simulation(seed=seed, network=Network(latency=Uniform(1, 10), duplicate=0.2,
                                                    reorder=0.3))
        rng = random.Random(seed)
        script = [(rng.uniform(0, 100), "write", rng.choice(["r1", "r2", "r3"]), i)
                  for i in range(6)]
        sim.add_node("c", LWWClient, script=script)
        for r in ("r1", "r2", "r3"):
            sim.add_node(r, LWWReplica, timestamps="hlc", replicas=["r1", "r2", "r3"],
                         clock={"offset": rng.uniform(-30, 30)})
        sim.run(until=500)
        vals = {sim.node(r).value for r in ("r1", "r2", "r3")}
        assert len(vals) == 1, f"seed={seed}: replicas disagree: {vals}"


# --- exercise checks ------------------------------------------------------------------

def test_ntp_exercise_check_accepts_the_formulas_and_explains_mistakes():
    check_ntp_offset_delay(ntp_offset_delay)
    with pytest.raises(CheckFailed, match="swapped"):
        check_ntp_offset_delay(lambda *t: ntp_offset_delay(*t)[::-1])
    with pytest.raises(CheckFailed, match="wrong sign"):
        check_ntp_offset_delay(lambda *t: (-ntp_offset_delay(*t)[0], ntp_offset_delay(*t)[1]))
    with pytest.raises(CheckFailed, match="hold"):
        check_ntp_offset_delay(lambda a, b, c, d: (ntp_offset_delay(a, b, c, d)[0], d - a))

    def stub(*t):
        raise NotImplementedError()
    with pytest.raises(CheckFailed, match="not written yet"):
        check_ntp_offset_delay(stub)


def test_hlc_exercise_check_accepts_the_rule_and_points_at_the_branch():
    check_hlc_receive(hlc_receive)

    def forgets_cm(l, c, lm, cm, pt):
        l2 = max(l, lm, pt)
        return (l2, c + 1) if l2 in (l, lm) else (l2, 0)
    with pytest.raises(CheckFailed, match="c_m"):
        check_hlc_receive(forgets_cm)

    def lamport_like(l, c, lm, cm, pt):
        return max(l, lm) + 1, 0
    with pytest.raises(CheckFailed, match="max"):
        check_hlc_receive(lamport_like)


def test_lamport_clock_is_the_logical_comparison():
    c = LamportClock()
    assert c.receive(10) == 11
