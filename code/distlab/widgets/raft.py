"""A consensus explorer in the spirit of RaftScope, for notebooks 2.6–2.8.

``RaftExplorer`` drives a simulated Raft cluster (``distlab.raft.Cluster``): step or
run on, stop (crash) and resume (restart) a server, force its election timeout,
submit a client command to the leader, drop a chosen message in flight, partition
and heal the network, and scrub back through time. It shows the cluster as
RaftScope does (servers on a ring, coloured by role, with their terms, votes and the
messages in flight), the servers' logs (entries coloured by term, committed ones
solid), a space-time diagram of the recent past and a table of terms, roles, logs
and commit indices. Every picture and the table are read from the trace at the
moment shown, so scrubbing back shows the past exactly as it was.

The actions are plain methods (``step``, ``advance``, ``crash``, ``restart``,
``timeout``, ``request``, ``drop``, ``partition``, ``heal``, ``scrub``, ``live``,
``reset``) that write the equivalent line of code, so tests and notebooks can drive
an explorer without clicking. Its static twin on the site is
``distlab.viz.raft.animate_cluster``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import display

from ..raft.scenarios import Cluster
from ..raft.server import LEADER, RaftServer
from ..raft.timeline import views_at
from ..sim import Simulation
from ..viz.raft import (_votes_at, in_flight, raft_cluster, raft_label, raft_logs,
                        raft_spacetime)
from .explorer import Explorer, _short

__all__ = ["RaftExplorer", "drop_in_flight"]


def drop_in_flight(sim: Simulation, msg_id: int) -> bool:
    """Lose the message ``msg_id`` that is on its way now; True if it was in flight
    (``Simulation.lose``: recorded as a ``drop`` with reason ``"manual"``; a duplicated
    message loses every copy still in flight)."""
    return sim.lose(msg_id)


class RaftExplorer(Explorer):
    """Drive a Raft cluster interactively (RaftScope's controls, in virtual time).

    Parameters
    ----------
    servers
        How many servers (``n1`` ... ``nN``).
    seed
        The first seed; the learner can change it and reset.
    server_class
        ``RaftServer`` or a subclass (a learner's, or one of ``distlab.raft.variants``).
    step_size
        How far the "+Δt" button runs.
    window
        How much of the past the space-time diagram shows.
    heartbeats
        Show empty AppendEntries (heartbeats) in the pictures.
    build
        Optional ``build(seed) -> Cluster`` for a prepared story (then ``servers``,
        ``server_class`` and ``server_kwargs`` are not used).
    **server_kwargs
        Passed to ``Cluster`` and on to every server (``snapshot_threshold=...``).
    """

    def __init__(self, servers: int = 5, *, seed: int = 0,
                 server_class: type[RaftServer] = RaftServer, step_size: float = 25.0,
                 window: float = 300.0, heartbeats: bool = False,
                 build: Callable[[int], Cluster] | None = None, title: str = "",
                 **server_kwargs: Any) -> None:
        if isinstance(servers, bool) or not isinstance(servers, int) or not 1 <= servers <= 9:
            raise ValueError(f"servers must be an int from 1 to 9, got {servers!r}")
        if not (isinstance(server_class, type) and issubclass(server_class, RaftServer)):
            raise TypeError(f"server_class must be RaftServer or a subclass, got {server_class!r}")
        if build is not None and not callable(build):
            raise TypeError("build must be callable(seed) -> Cluster")
        self.n_servers = servers
        self.server_class = server_class
        self.server_kwargs = dict(server_kwargs)
        self.heartbeats = bool(heartbeats)
        self._cluster_build = build
        self.cluster: Cluster | None = None
        self.view_time: float | None = None       # None: live (now)
        self.requests = 0
        super().__init__(self._build_sim, seed=seed, step_size=step_size, window=window,
                         title=title)

    # --- building -----------------------------------------------------------------------
    def _build_sim(self, seed: int) -> Simulation:
        if self._cluster_build is not None:
            cluster = self._cluster_build(seed)
            if not isinstance(cluster, Cluster):
                raise TypeError(f"build(seed) must return a Cluster, got {cluster!r}")
        else:
            cluster = Cluster(self.n_servers, seed=seed, server_class=self.server_class,
                              **self.server_kwargs)
        self.cluster = cluster
        self.view_time = None
        self.requests = 0
        return cluster.sim

    @property
    def servers(self) -> list[str]:
        return list(self.cluster.servers)

    @property
    def time(self) -> float:
        """The moment the pictures and the table show (now, unless scrubbed back)."""
        return self.sim.now if self.view_time is None else self.view_time

    def leader(self) -> str | None:
        """The live server that believes it leads in the highest term (or None)."""
        best = None
        for s in self.servers:
            if self.sim.is_up(s):
                node = self.sim.node(s)
                if getattr(node, "role", None) == LEADER and \
                        (best is None or node.current_term > best[0]):
                    best = (node.current_term, s)
        return None if best is None else best[1]

    # --- actions ------------------------------------------------------------------------
    def step(self) -> None:
        self.view_time = None
        super().step()

    def advance(self, dt: float | None = None) -> None:
        self.view_time = None
        super().advance(dt)

    def stop(self, node: str) -> None:
        """Stop a server (RaftScope's "stop"): a crash; its durable state survives."""
        self.crash(node)

    def resume(self, node: str) -> None:
        """Resume a stopped server: a restart from its durable state."""
        self.restart(node)

    def _server(self, node: str, action: str) -> Any:
        if node not in self.servers:
            raise ValueError(f"{node!r} is not a server; servers are {', '.join(self.servers)}")
        if not self.sim.is_up(node):
            raise ValueError(f"{node} is stopped: resume it before it can {action}")
        return self.sim.node(node)

    def timeout(self, node: str) -> None:
        """Make ``node``'s election timer fire now (RaftScope's "timeout"): a follower
        or candidate starts an election in a new term."""
        def act() -> None:
            self._server(node, "time out").election_timeout_elapsed()
        self.view_time = None
        self._guard(act, f"sim.node({node!r}).election_timeout_elapsed()   # force a timeout")

    def request(self, command: Any = None, node: str | None = None) -> None:
        """Submit a client command (RaftScope's "request") to ``node``, by default
        the leader; it is refused by a server that does not lead."""
        def act() -> None:
            target = node or self.leader()
            if target is None:
                raise ValueError("no server leads right now: wait for an election")
            server = self._server(target, "take a request")
            cmd = command if command is not None else f"v{self.requests + 1}"
            index, term, ok = server.start(cmd)
            if not ok:
                raise ValueError(f"{target} is not a leader (it follows "
                                 f"{server.leader_id or 'nobody yet'}; leader now: "
                                 f"{self.leader() or 'none'}): request refused")
            self.requests += 1
            self.log[-1] = (f"sim.node({target!r}).start({cmd!r})   # -> index {index}, "
                            f"term {term}")
        self.view_time = None
        self._guard(act, "start(...)")

    def in_flight(self) -> list[tuple[int, str, str, Any]]:
        """The messages on their way now: ``(msg_id, src, dst, msg)``, oldest first."""
        flying = in_flight(self.sim, self.sim.now)
        return [(e.msg_id, e.node, e.peer, e.msg) for e, _ in flying]

    def drop(self, msg_id: int | None = None) -> None:
        """Lose a message in flight (``msg_id``; by default the oldest one)."""
        def act() -> None:
            flying = self.in_flight()
            if not flying:
                raise ValueError("no message is in flight right now")
            chosen = flying[0] if msg_id is None else \
                next((f for f in flying if f[0] == msg_id), None)
            if chosen is None:
                raise ValueError(f"message {msg_id} is not in flight; in flight: "
                                 f"{[f[0] for f in flying]}")
            drop_in_flight(self.sim, chosen[0])
            self.log[-1] = (f"drop_in_flight(sim, {chosen[0]})   # {chosen[1]} -> {chosen[2]} "
                            f"{chosen[3]!r}")
        self.view_time = None
        self._guard(act, "drop_in_flight(...)")

    def scrub(self, time: float) -> None:
        """Show the cluster as it was at ``time`` (between 0 and now); nothing is re-run."""
        def act() -> None:
            t = float(time)
            if not 0.0 <= t <= self.sim.now:
                raise ValueError(f"time must be between 0 and now ({self.sim.now:g}), got {t:g}")
            self.view_time = None if t == self.sim.now else t
        self._guard(act, f"# looking back at t={float(time):g}")

    def live(self) -> None:
        """Show the present again after scrubbing."""
        self.view_time = None
        self._refresh()

    def reset(self, seed: int | None = None) -> None:
        """Start again from a fresh cluster (optionally with another seed)."""
        if seed is not None:
            self.seed = seed
        self.sim = self._make(self.seed)
        self.log = [f"sim = Cluster({self.n_servers}, seed={self.seed}).sim"
                    if self._cluster_build is None else f"sim = build(seed={self.seed}).sim"]
        self.error = ""
        self._refresh()

    # --- views ----------------------------------------------------------------------------
    def state_rows(self) -> list[dict[str, Any]]:
        """One row per server at the moment shown: status, role, term, vote, the tail
        of its log (index:term), commit index; read from the trace."""
        t = self.time
        views = views_at(self.sim, t)
        votes = _votes_at(self.sim.trace, t)
        rows = []
        for s in self.servers:
            v = views.get(s)
            if v is None:
                rows.append({"server": s, "status": "not started"})
                continue
            tail = v.entries[-5:]
            log = ("… " if len(v.entries) > 5 or v.base_index else "") + \
                " ".join(f"{i}:t{term}" for i, term, _ in tail)
            vote = votes.get(s)
            rows.append({"server": s, "status": "up" if v.up else "stopped",
                         "role": v.role if v.up else "-", "term": v.term,
                         "voted for": vote[0] if vote and vote[1] == v.term else "",
                         "log": _short(log or "(empty)", 36), "commit": v.commit_index})
        return rows

    def draw(self, fig: Any = None) -> Any:
        """The explorer's picture at the moment shown: the ring, the logs and the
        space-time diagram of the last ``window`` time units. Returns the figure."""
        t = self.time
        if fig is None:
            fig = plt.figure(figsize=(10.0, 3.6 + 0.42 * len(self.sim.node_ids) + 0.9))
        grid = fig.add_gridspec(2, 2, width_ratios=[1.0, 1.45],
                                height_ratios=[3.4, 0.42 * len(self.sim.node_ids) + 0.9])
        ring = fig.add_subplot(grid[0, 0])
        raft_cluster(self.sim, time=t, servers=self.servers, ax=ring,
                     heartbeats=self.heartbeats)
        logs = fig.add_subplot(grid[0, 1])
        raft_logs(self.sim, time=t, servers=self.servers, ax=logs, last=14)
        st = fig.add_subplot(grid[1, :])
        start = max(0.0, t - self.window) if self.window else None
        raft_spacetime(self.sim, heartbeats=self.heartbeats, start=start, end=max(t, 1.0),
                       now=t, ax=st)
        ring.set_title(f"t = {t:.1f}" + ("" if self.view_time is None else
                                         f"  (looking back; now is {self.sim.now:.1f})"),
                       loc="left", fontsize=10)
        return fig

    def _refresh(self) -> None:
        if self._widget is None:
            return
        import pandas as pd

        with self._out:
            self._out.clear_output(wait=True)
            fig = self.draw()
            plt.show()
            plt.close(fig)
        self._table.value = pd.DataFrame(self.state_rows()).to_html(index=False, na_rep="")
        where = "" if self.view_time is None else f" &nbsp; (showing t = {self.view_time:.1f})"
        self._clock.value = f"<b>t = {self.sim.now:.1f}</b>{where} &nbsp; seed {self.seed}"
        self._code.value = "\n".join(self.log[-12:])
        self._err.value = f"<span style='color:#c62828'>{self.error}</span>" if self.error else ""
        self._slider.max = max(self.sim.now, 1.0)
        self._slider.value = self.time
        options = [(f"#{mid} {src}→{dst} {raft_label(msg) or type(msg).__name__}", mid)
                   for mid, src, dst, msg in self.in_flight()]
        self._flying.options = options or [("(nothing in flight)", None)]

    # --- the widget -------------------------------------------------------------------------
    def widget(self) -> W.Widget:
        """Build (once) and return the ipywidgets layout."""
        if self._widget is not None:
            return self._widget

        def btn(text: str, tip: str, action: Callable[[], None]) -> W.Button:
            b = W.Button(description=text, tooltip=tip, layout=W.Layout(width="auto"))
            b.on_click(lambda _: action())
            return b

        servers = self.servers
        self._node = W.Dropdown(options=servers, description="server",
                                layout=W.Layout(width="160px"))
        self._seed_box = W.IntText(value=self.seed, description="seed",
                                   layout=W.Layout(width="150px"))
        self._groups = W.Text(value=",".join(servers[:2]) + " | " + ",".join(servers[2:]),
                              description="groups", layout=W.Layout(width="240px"))
        self._flying = W.Dropdown(options=[("(nothing in flight)", None)],
                                  description="in flight", layout=W.Layout(width="330px"))
        self._slider = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=1.0,
                                     description="look at t", continuous_update=False,
                                     layout=W.Layout(width="420px"))
        self._out, self._table, self._clock, self._err = W.Output(), W.HTML(), W.HTML(), W.HTML()
        self._code = W.Textarea(layout=W.Layout(width="100%", height="9em"), disabled=True)
        self._slider.observe(lambda change: self.scrub(change["new"])
                             if abs(change["new"] - self.time) > 1e-9 else None, names="value")
        node = lambda: self._node.value  # noqa: E731
        rows = [
            W.HBox([btn("Step", "process the next event", self.step),
                    btn(f"+{self.step_size:g}", "run on", self.advance), self._clock]),
            W.HBox([self._node, btn("Stop", "crash this server", lambda: self.stop(node())),
                    btn("Resume", "restart it", lambda: self.resume(node())),
                    btn("Timeout", "its election timer fires now", lambda: self.timeout(node())),
                    btn("Request", "a client command to this server (only a leader "
                                   "accepts it)", lambda: self.request(node=node()))]),
            W.HBox([self._flying, btn("Drop", "lose this message",
                                      lambda: self.drop(self._flying.value))]),
            W.HBox([self._groups, btn("Partition", "split the network",
                                      lambda: self.partition(self._groups.value)),
                    btn("Heal", "reconnect everyone", self.heal)]),
            W.HBox([self._slider, btn("Live", "back to the present", self.live)]),
            W.HBox([self._seed_box, btn("Reset", "start again with this seed",
                                        lambda: self.reset(self._seed_box.value)), self._err]),
        ]
        header = [W.HTML(f"<b>{self.title}</b>")] if self.title else []
        self._widget = W.VBox(header + rows + [
            self._out, W.HBox([self._table]),
            W.Accordion(children=[self._code], titles=("the same, in code",)),
        ])
        if not self.log:
            self.log = [f"sim = Cluster({self.n_servers}, seed={self.seed}).sim"]
        self._refresh()
        return self._widget

    def _ipython_display_(self) -> None:
        display(self.widget())
