"""Events per second of distlab.sim against SimPy 4 on one message-passing workload.

Workload: N nodes; each delivery makes the receiver send one message to a random
other node, with latency Uniform(1, 10), until D deliveries have happened. Both
kernels start the same number of messages in flight (one per node).

distlab runs its full world (trace on, partition checks, per-link random streams).
SimPy runs the idiomatic model, as in SimPy's own "Event Latency" example: one process
per node that waits on its Store inbox, and one process per message that sleeps for the
latency and then puts it there.

Usage: python benchmarks/sim_kernel.py [--nodes N] [--deliveries D] [--repeat R]
An event is one message delivery, the unit of work both kernels do; SimPy's own count
(timeouts, puts, gets, process starts) would be several times higher for the same work.
Prints events per second for each kernel and, last, ``ratio distlab/simpy: R``.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from dataclasses import dataclass

import simpy

from distlab.sim import Network, Node, Simulation, Uniform


@dataclass(frozen=True, slots=True)
class Token:
    hops: int


class Relay(Node):
    """Passes each token on to a random other node."""

    def __init__(self, budget: list[int]) -> None:
        self.budget = budget

    def on_start(self) -> None:
        self.others = self.peers
        self.send(self.rng.choice(self.others), Token(0))

    def on_message(self, src: str, msg: Token) -> None:
        self.budget[0] -= 1
        if self.budget[0] > 0:
            self.send(self.rng.choice(self.others), Token(msg.hops + 1))


def run_distlab(nodes: int, deliveries: int, seed: int = 1) -> tuple[int, float]:
    budget = [deliveries]
    sim = Simulation(seed=seed, network=Network(latency=Uniform(1.0, 10.0)))
    for i in range(nodes):
        sim.add_node(f"n{i}", Relay, budget=budget)
    t0 = time.perf_counter()
    sim.run(until=float("inf"), max_events=10 * deliveries)
    elapsed = time.perf_counter() - t0
    assert sim.stats["delivered"] >= deliveries, sim.stats
    return sim.events_processed, elapsed


def run_simpy(nodes: int, deliveries: int, seed: int = 1) -> tuple[int, float]:
    env = simpy.Environment()
    rng = random.Random(seed)
    inboxes = [simpy.Store(env) for _ in range(nodes)]
    budget = [deliveries]
    events = [0]

    def transmit(dst: int, msg: Token):
        yield env.timeout(rng.uniform(1.0, 10.0))
        events[0] += 1
        yield inboxes[dst].put(msg)

    def node(i: int):
        others = [j for j in range(nodes) if j != i]
        env.process(transmit(rng.choice(others), Token(0)))
        while True:
            msg = yield inboxes[i].get()
            budget[0] -= 1
            if budget[0] <= 0:
                return
            env.process(transmit(rng.choice(others), Token(msg.hops + 1)))

    for i in range(nodes):
        env.process(node(i))
    t0 = time.perf_counter()
    env.run()
    elapsed = time.perf_counter() - t0
    # Count the same unit as distlab: one scheduled delivery = one event.
    return events[0], elapsed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--nodes", type=int, default=8)
    p.add_argument("--deliveries", type=int, default=100_000)
    p.add_argument("--repeat", type=int, default=7)
    a = p.parse_args(argv)
    kernels = (("distlab", run_distlab), ("simpy", run_simpy))
    rates: dict[str, list[float]] = {name: [] for name, _ in kernels}
    # Interleave the kernels and keep the best run of each: on a shared, noisy machine
    # the fastest run is the one least disturbed (the habit of timeit and pyperf).
    gc.disable()
    try:
        for r in range(a.repeat):
            for name, fn in kernels:
                n_events, seconds = fn(a.nodes, a.deliveries, seed=r + 1)
                rates[name].append(n_events / seconds)
                gc.collect()
    finally:
        gc.enable()
    for name, _ in kernels:
        print(f"{name:8s} {a.nodes} nodes, {a.deliveries} deliveries: "
              f"{max(rates[name]):,.0f} events/s (best of {a.repeat}; "
              f"median {statistics.median(rates[name]):,.0f})")
    print(f"ratio distlab/simpy: {max(rates['distlab']) / max(rates['simpy']):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
