"""Raft scenarios: a test harness in the style of MIT 6.5840's, and the suite runner.

``Cluster`` builds a simulated Raft cluster and offers the verbs of 6.5840's
``config.go``, in virtual time: ``disconnect``/``connect``/``partition``/``heal``,
``crash``/``restart``, ``check_one_leader``, ``check_terms``, ``check_no_leader``,
``start`` (a command at one server), ``one`` (get a command committed at ``expected``
servers, or fail), ``n_committed`` (how many servers applied an index, read from
the trace), ``wait``, ``rpc_count``, and ``check_safety`` (the checkers of
``checks.py`` on the whole trace). A failed expectation raises ``ScenarioFailure``
with the time and the server it concerns.

The suite (``SUITE``, whose stories live in ``suite.py``) follows 6.5840's lab 3A–3D
tests, scaled to virtual time, plus stories of our own (the paper's Figure 8 step by
step, clients, reads, membership). Each scenario is a function ``(server_class, seed)
-> Cluster`` whose docstring tells the story and cites the section it checks; after
it returns, the harness checks every safety property on the trace.
``run_suite(MyServer)`` runs them all against a learner's variant and returns a
``SuiteReport`` that prints, for each failure, the scenario, the seed, the message
and the trace around the moment it went wrong::

    from distlab.raft import RaftServer, scenarios

    class MyServer(RaftServer):
        def up_to_date(self, last_log_index, last_log_term):
            return True                       # "any candidate will do"

    print(scenarios.run_suite(MyServer, names=["figure8", "persist2"]))

Taught in notebooks 2.6–2.8; the tests in ``tests/test_raft_*.py`` run the suite.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..sim import Network, NodeError, Simulation, Uniform
from ..sim.randomness import child_stream
from . import checks
from .config import MembershipClient
from .kv import KVClient
from .messages import AppendEntries, Command, InstallSnapshot, RequestVote
from .server import LEADER, RaftServer

__all__ = ["Cluster", "ScenarioFailure", "Scenario", "SUITE", "scenario", "run_scenario",
           "run_suite", "ScenarioResult", "SuiteReport", "describe_exception", "RPC_TYPES",
           "ELECTION_TIMEOUT", "HEARTBEAT", "UNRELIABLE"]

#: The harness's timing, in the book's abstract units (read them as milliseconds):
#: latency 1-10, heartbeats every 50, elections after 150-300 of silence.
ELECTION_TIMEOUT = (150.0, 300.0)
HEARTBEAT = 50.0
#: 6.5840's "unreliable" network: lost, duplicated and long-delayed (reordered) RPCs.
UNRELIABLE = dict(loss=0.1, duplicate=0.05, reorder=0.1)
#: The server-to-server requests counted by ``rpc_count`` (replies are not counted,
#: as in 6.5840, where an RPC is one call).
RPC_TYPES = (RequestVote, AppendEntries, InstallSnapshot)


class ScenarioFailure(AssertionError):
    """A scenario's expectation failed (or a safety property was violated)."""

    def __init__(self, message: str, *, time: float | None = None, node: str | None = None,
                 findings: Sequence[checks.Finding] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.time = time
        self.node = node
        self.findings = list(findings)


_made: list["Cluster"] | None = None   # clusters built while run_scenario listens


class Cluster:
    """A Raft cluster in a fresh ``Simulation``, with 6.5840's test verbs.

    Parameters
    ----------
    servers
        How many voting servers (``n1`` ... ``nN``), all in the bootstrap configuration.
    seed
        The simulation's seed (the harness's own random choices derive from it too).
    server_class
        ``RaftServer`` or a learner's subclass.
    spares
        Extra servers outside the configuration (``members=()``), for membership changes.
    reliable
        ``False``: the network loses, duplicates and reorders (``UNRELIABLE``).
    **server_kwargs
        Passed to every server (``snapshot_threshold=10``, ``reads="log"``, ...).
    """

    def __init__(self, servers: int = 3, *, seed: int = 0,
                 server_class: type[RaftServer] = RaftServer, spares: int = 0,
                 reliable: bool = True, network: Network | None = None,
                 election_timeout: tuple[float, float] = ELECTION_TIMEOUT,
                 heartbeat_interval: float = HEARTBEAT, **server_kwargs: Any) -> None:
        if isinstance(servers, bool) or not isinstance(servers, int) or servers < 1:
            raise ValueError(f"servers must be a positive int, got {servers!r}")
        if not (isinstance(server_class, type) and issubclass(server_class, RaftServer)):
            raise TypeError(f"server_class must be RaftServer or a subclass of it, "
                            f"got {server_class!r}")
        if network is None:
            network = Network(latency=Uniform(1.0, 10.0))
        self.sim = Simulation(seed=seed, network=network)
        self.seed = seed
        self.server_class = server_class
        self.rng = child_stream(self.sim.seed, "scenario")
        self.ids = [f"n{i + 1}" for i in range(servers)]
        self.spares = [f"n{servers + k + 1}" for k in range(spares)]
        self.server_kwargs = dict(election_timeout=election_timeout,
                                  heartbeat_interval=heartbeat_interval, **server_kwargs)
        for s in self.ids:
            self.sim.add_node(s, server_class, members=self.ids, **self.server_kwargs)
        for s in self.spares:
            self.sim.add_node(s, server_class, members=(), **self.server_kwargs)
        self.connected: set[str] = set(self.servers)
        self.clients: list[str] = []
        self.confirmed: set[Any] = set()     # what a churn saw committed
        self._events_seen = 0
        self.applied: dict[str, dict[int, Any]] = {s: {} for s in self.servers}
        self._applied_at: dict[int, tuple[str, Any]] = {}
        self.set_reliable(reliable)
        self.sim.run(until=0.0)      # the servers start
        if _made is not None:
            _made.append(self)

    def __repr__(self) -> str:
        return f"<Cluster {self.servers} t={self.now:g} seed={self.seed}>"

    # --- the world ------------------------------------------------------------------------
    @property
    def servers(self) -> list[str]:
        """Every server id (voters first, then spares)."""
        return self.ids + self.spares

    @property
    def now(self) -> float:
        return self.sim.now

    @property
    def trace(self):
        return self.sim.trace

    def server(self, s: str) -> RaftServer | None:
        """The live server object, or None if it is crashed."""
        return self.sim.node(s) if self.sim.is_up(s) else None

    def up(self, s: str) -> bool:
        return self.sim.is_up(s)

    def run(self, duration: float) -> None:
        """Let ``duration`` units of virtual time pass."""
        self.sim.run(until=self.sim.now + duration)

    def set_reliable(self, reliable: bool) -> None:
        """Switch the network between reliable and 6.5840's unreliable."""
        net = self.sim.network
        for k, v in UNRELIABLE.items():
            setattr(net, k, 0.0 if reliable else v)

    def fail(self, message: str, node: str | None = None) -> None:
        raise ScenarioFailure(message, time=self.now, node=node)

    # --- network and crashes --------------------------------------------------------------
    def _apply_network(self) -> None:
        alone = [s for s in self.servers if s not in self.connected]
        if not alone:
            self.sim.heal()
            return
        main = [s for s in self.servers if s in self.connected]
        others = [n for n in self.sim.node_ids if n not in self.servers]
        groups = ([main + others] if main or others else []) + [[s] for s in alone]
        self.sim.partition(*groups)

    def disconnect(self, s: str) -> None:
        """Cut ``s`` off from every other node (6.5840's ``disconnect``)."""
        self.connected.discard(s)
        self._apply_network()

    def connect(self, s: str) -> None:
        """Reconnect ``s`` to the connected servers and the clients."""
        self.connected.add(s)
        self._apply_network()

    def partition(self, *groups: Sequence[str]) -> None:
        """Split the servers into ``groups``; clients stay with the first group."""
        listed = [s for g in groups for s in g]
        rest = [s for s in self.servers if s not in listed]
        others = [n for n in self.sim.node_ids if n not in self.servers]
        first = list(groups[0]) + others
        self.connected = set(groups[0])
        self.sim.partition(first, *[list(g) for g in groups[1:]], *([rest] if rest else []))

    def heal(self) -> None:
        """Reconnect everyone."""
        self.connected = set(self.servers)
        self.sim.heal()

    def crash(self, s: str) -> None:
        """Crash ``s`` (its durable state survives); no-op if already down."""
        if self.sim.is_up(s):
            self.sim.crash(s)

    def restart(self, s: str) -> None:
        """Restart ``s`` from its durable state; no-op if it is up."""
        if not self.sim.is_up(s):
            self.sim.restart(s)

    # --- leaders and terms (read from the live servers, as 6.5840's GetState) -------------
    def leaders(self) -> dict[int, list[str]]:
        """``{term: [leaders]}`` among connected, live servers."""
        out: dict[int, list[str]] = {}
        for s in self.servers:
            node = self.server(s)
            if node is not None and s in self.connected and node.role == LEADER:
                out.setdefault(node.current_term, []).append(s)
        return out

    def check_one_leader(self, within: float = 5000.0) -> str:
        """Wait until the connected servers have a leader; return the newest one.

        Lets two heartbeat intervals pass first, so that a leader just reconnected
        learns of a newer term before anyone is counted (6.5840 sleeps first too)."""
        deadline = self.now + within
        self.run(2 * self.server_kwargs["heartbeat_interval"])
        while True:
            by_term = self.leaders()
            for term, names in sorted(by_term.items()):
                if len(names) > 1:
                    self.fail(f"term {term} has {len(names)} leaders: {names}")
            if by_term:
                return by_term[max(by_term)][0]
            if self.now >= deadline:
                self.fail(f"expected one leader among {sorted(self.connected)}, got none "
                          f"after {within:g}")
            self.run(25.0)

    def check_terms(self) -> int:
        """The term every connected, live server is in (fail if they disagree)."""
        terms = {s: self.server(s).current_term for s in self.servers
                 if s in self.connected and self.up(s)}
        if len(set(terms.values())) > 1:
            self.fail(f"servers disagree on term: {terms}")
        return next(iter(terms.values()))

    def check_no_leader(self) -> None:
        """No connected server believes it leads."""
        for s in self.servers:
            node = self.server(s)
            if node is not None and s in self.connected and node.role == LEADER:
                self.fail(f"expected no leader among connected servers, but {s} claims "
                          f"to be leader of term {node.current_term}", node=s)

    def campaign(self, s: str) -> None:
        """Make ``s`` start an election now, as a leadership transfer would (thesis §3.10)."""
        node = self.server(s)
        if node is None:
            self.fail(f"cannot campaign: {s} is down", node=s)
        node.become_candidate(transfer=True)

    def elect(self, s: str, attempts: int = 5) -> int:
        """Make ``s`` leader by forced campaigns; returns its term."""
        for _ in range(attempts):
            self.campaign(s)
            self.run(40.0)
            node = self.server(s)
            if node is not None and node.role == LEADER:
                return node.current_term
        self.fail(f"{s} could not be elected in {attempts} campaigns", node=s)
        return -1

    # --- commands -------------------------------------------------------------------------
    def _scan(self) -> None:
        events = self.sim.trace.events
        for k in range(self._events_seen, len(events)):
            e = events[k]
            if e.kind != "output" or e.info != "apply":
                continue
            index, _, command = e.msg
            seen = self._applied_at.get(index)
            if seen is not None and seen[1] != command:
                raise ScenarioFailure(f"committed values do not match: index {index} is "
                                      f"{seen[1]!r} at {seen[0]} but {command!r} at {e.node}",
                                      time=e.time, node=e.node)
            self._applied_at[index] = (e.node, command)
            self.applied[e.node][index] = command
        self._events_seen = len(events)

    def n_committed(self, index: int) -> tuple[int, Any]:
        """How many servers have applied ``index`` (ever), and the command there."""
        self._scan()
        count, command = 0, None
        for s in self.servers:
            if index in self.applied[s]:
                count += 1
                command = self.applied[s][index]
        return count, command

    def start(self, s: str, command: Any) -> tuple[int, int, bool]:
        """``Start(command)`` at server ``s``: ``(index, term, is_leader)``."""
        node = self.server(s)
        if node is None:
            return -1, -1, False
        return node.start(command)

    def one(self, command: Any, expected: int, retry: bool = False,
            within: float = 10_000.0) -> int:
        """Get ``command`` committed at ``expected`` servers; return its index (6.5840).

        Tries the connected servers in turn until one accepts it as leader, then waits
        up to 2000 for the agreement; with ``retry``, tries again if the leader failed
        to commit it."""
        deadline = self.now + within
        k = 0
        while self.now < deadline:
            index = -1
            for _ in range(len(self.servers)):
                k = (k + 1) % len(self.servers)
                s = self.servers[k]
                if s in self.connected and self.up(s):
                    i, _, ok = self.start(s, command)
                    if ok:
                        index = i
                        break
            if index != -1:
                until = self.now + 2000.0
                while self.now < until:
                    n, cmd = self.n_committed(index)
                    if n > 0 and n >= expected and cmd == command:
                        return index
                    self.run(10.0)
                if not retry:
                    self.fail(f"one({command!r}) failed to reach agreement at {expected} "
                              f"servers (index {index})")
            else:
                self.run(50.0)
        self.fail(f"one({command!r}) failed to reach agreement within {within:g}")
        return -1

    def wait(self, index: int, n: int, start_term: int = -1) -> Any:
        """Wait until ``n`` servers applied ``index``; None if the term moved past
        ``start_term`` first (6.5840's ``wait``)."""
        step = 10.0
        for _ in range(30):
            count, _ = self.n_committed(index)
            if count >= n:
                break
            self.run(step)
            step = min(step * 2, 1000.0)
            if start_term > -1:
                for s in self.servers:
                    node = self.server(s)
                    if node is not None and node.current_term > start_term:
                        return None
        count, command = self.n_committed(index)
        if count < n:
            self.fail(f"only {count} servers applied index {index}; expected {n}")
        return command

    def rpc_count(self) -> int:
        """Server-to-server requests sent so far (RequestVote, AppendEntries, InstallSnapshot)."""
        return sum(1 for e in self.sim.trace.events if e.kind == "send"
                   and isinstance(e.msg, RPC_TYPES))

    def kv(self, i: int, key: str = "k") -> Command:
        """The ``i``-th test command: append ``"i;"`` to ``key`` (so states carry history)."""
        return Command("tester", i, "append", key, f"{i};")

    def states_agree(self, servers: Iterable[str] | None = None, within: float = 2000.0) -> None:
        """Wait until the live servers' state machines are equal; fail if they never are."""
        names = [s for s in (servers or self.servers) if self.up(s)]
        deadline = self.now + within
        while True:
            snaps = {s: self.server(s).state_machine.snapshot() for s in names}
            if len(set(snaps.values())) <= 1:
                return
            if self.now >= deadline:
                shown = "; ".join(f"{s}: {dict(v.data)!r}" for s, v in snaps.items())
                self.fail(f"state machines differ after {within:g}: {shown}")
            self.run(25.0)

    # --- clients --------------------------------------------------------------------------
    def add_clients(self, k: int, **kwargs: Any) -> list[str]:
        """Add ``k`` key-value clients (``KVClient``) that know every voter."""
        names = []
        for _ in range(k):
            name = f"c{len(self.clients) + 1}"
            self.sim.add_node(name, KVClient, servers=list(self.ids), **kwargs)
            self.clients.append(name)
            names.append(name)
        if self.connected != set(self.servers):
            self._apply_network()
        return names

    def add_admin(self, script: Sequence[tuple[float, str, str]], **kwargs: Any) -> str:
        """Add a ``MembershipClient`` running ``script``."""
        self.sim.add_node("admin", MembershipClient, servers=list(self.ids), script=script,
                          **kwargs)
        return "admin"

    def clients_finished(self) -> bool:
        return all(self.sim.node(c).finished for c in self.clients if self.sim.is_up(c))

    def wait_clients(self, within: float = 20_000.0) -> None:
        """Run until every client has completed its operations."""
        deadline = self.now + within
        while not self.clients_finished():
            if self.now >= deadline:
                self.fail(f"clients did not finish within {within:g}")
            self.run(50.0)

    # --- safety ---------------------------------------------------------------------------
    def check_safety(self, linearizability: bool = True) -> None:
        """Every property of ``checks.py`` on the whole trace (and history)."""
        found = checks.check_all(self.sim, linearizability=linearizability and bool(self.clients))
        if found:
            f = found[0]
            raise ScenarioFailure(f"{f.property}: {f.detail}", time=f.time, node=f.node,
                                  findings=found)


# =============================================================================================
# The suite
# =============================================================================================
@dataclass(frozen=True)
class Scenario:
    """A named story: ``run(server_class, seed) -> Cluster``."""

    name: str
    part: str
    section: str
    run: Callable[..., Cluster]

    @property
    def story(self) -> str:
        return (self.run.__doc__ or "").strip()


SUITE: dict[str, Scenario] = {}


def scenario(part: str, section: str) -> Callable[[Callable[..., Cluster]],
                                                 Callable[..., Cluster]]:
    """Register a scenario in ``SUITE`` under its function's name."""
    def register(fn: Callable[..., Cluster]) -> Callable[..., Cluster]:
        SUITE[fn.__name__] = Scenario(fn.__name__, part, section, fn)
        return fn
    return register


# --- running the suite --------------------------------------------------------------------
@dataclass
class ScenarioResult:
    """The outcome of one scenario on one seed."""

    name: str
    seed: int
    passed: bool
    message: str = ""
    time: float | None = None
    node: str | None = None
    window: str = ""
    findings: list[checks.Finding] = field(default_factory=list)
    events: int = 0

    def __str__(self) -> str:
        head = f"{'PASS' if self.passed else 'FAIL'} {self.name} seed={self.seed}"
        if self.passed:
            return head
        where = "" if self.time is None else f" at t={self.time:g}" + \
            (f" ({self.node})" if self.node else "")
        text = f"{head}{where}: {self.message}"
        if self.window:
            text += "\n  trace around it:\n" + "\n".join("    " + line
                                                      for line in self.window.splitlines())
        return text


@dataclass
class SuiteReport:
    """Results of ``run_suite``: printable, and ``ok`` when everything passed."""

    server_class: str
    results: list[ScenarioResult]

    @property
    def ok(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> list[ScenarioResult]:
        return [r for r in self.results if not r.passed]

    def __str__(self) -> str:
        passed = sum(r.passed for r in self.results)
        lines = [f"{self.server_class}: {passed}/{len(self.results)} scenario runs passed"]
        lines += [str(r) for r in self.results if not r.passed]
        if passed:
            names = sorted({r.name for r in self.results if r.passed})
            lines.append("passed: " + ", ".join(names))
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:  # IPython prints it as text
        p.text(str(self))


def run_scenario(name: str, server_class: type[RaftServer] = RaftServer,
                 seed: int = 0) -> ScenarioResult:
    """Run one scenario of ``SUITE`` and check safety afterwards; never raises for a
    failure of the protocol (it is in the result, with the trace around it)."""
    global _made
    if name not in SUITE:
        raise ValueError(f"unknown scenario {name!r}; scenarios: {', '.join(SUITE)}")
    if not (isinstance(server_class, type) and issubclass(server_class, RaftServer)):
        raise TypeError(f"server_class must be RaftServer or a subclass, got {server_class!r}")
    made: list[Cluster] = []
    _made = made
    try:
        cluster = SUITE[name].run(server_class=server_class, seed=seed)
        cluster.check_safety()
    except ScenarioFailure as exc:
        return _failed(name, seed, made, exc.message, exc.time, exc.node, exc.findings)
    except NodeError as exc:
        return _failed(name, seed, made, describe_exception(exc), None, None, ())
    finally:
        _made = None
    # Even a passing story must not have violated safety on its way.
    return ScenarioResult(name, seed, True, events=cluster.sim.events_processed)


def describe_exception(exc: BaseException) -> str:
    """A handler's exception in one line: where the simulator caught it, what it was,
    and the line of protocol code that raised it."""
    cause = exc.__cause__ or exc
    where = ""
    tb = traceback.extract_tb(cause.__traceback__)
    if tb:
        # The deepest frame outside the library (a learner's code), else the deepest.
        mine = [f for f in tb if "/distlab/" not in f.filename.replace("\\", "/")]
        f = (mine or tb)[-1]
        where = f" [in {f.name}, line {f.lineno}: {f.line}]"
    head = f"{exc} -> " if cause is not exc else ""
    return f"{head}{type(cause).__name__}: {cause}{where}"


def _failed(name: str, seed: int, made: list[Cluster], message: str, time: float | None,
            node: str | None, findings: Sequence[checks.Finding]) -> ScenarioResult:
    text = ""
    events = 0
    if made:
        c = made[-1]
        events = c.sim.events_processed
        text = checks.window(c.sim, time if time is not None else c.now, node=None)
        if not findings:
            # The story failed: were safety properties violated on the way?
            found = checks.check_trace(c.sim.trace)
            if found:
                findings = found
                message += f" (and {found[0]})"
    return ScenarioResult(name, seed, False, message, time, node, text, list(findings), events)


def run_suite(server_class: type[RaftServer] = RaftServer, *, seeds: Iterable[int] = (0,),
              names: Iterable[str] | None = None, parts: Iterable[str] | None = None
              ) -> SuiteReport:
    """Run the scenarios (all, or ``names``, or those of ``parts`` such as ``"3A"``)
    on each seed against ``server_class``; returns a printable ``SuiteReport``."""
    if not (isinstance(server_class, type) and issubclass(server_class, RaftServer)):
        raise TypeError(f"server_class must be RaftServer or a subclass, got {server_class!r}")
    chosen = list(SUITE) if names is None else list(names)
    unknown = [n for n in chosen if n not in SUITE]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; scenarios: {', '.join(SUITE)}")
    if parts is not None:
        wanted = set(parts)
        known = sorted({sc.part for sc in SUITE.values()})
        if not wanted <= set(known):
            raise ValueError(f"parts must be among {known}, got {sorted(wanted)}")
        chosen = [n for n in chosen if SUITE[n].part in wanted]
    seeds = list(seeds)
    if not seeds or any(isinstance(s, bool) or not isinstance(s, int) for s in seeds):
        raise ValueError(f"seeds must be a non-empty list of ints, got {seeds!r}")
    results = [run_scenario(n, server_class, s) for n in chosen for s in seeds]
    return SuiteReport(server_class.__name__, results)


from . import suite as _suite  # noqa: E402,F401  (registers the stories in SUITE)
