"""The scenario suite: Raft stories in the style of MIT 6.5840's lab 3 tests.

Each story is a function ``(server_class, seed) -> Cluster`` registered in
``scenarios.SUITE`` by the ``@scenario(part, section)`` decorator; its docstring tells
the story and cites the section it checks. Parts: ``3A`` leader election, ``3B``
log replication, ``3C`` persistence and unreliable networks (Figure 8), ``3D`` log
compaction, ``KV`` clients, reads and membership. Time is virtual: the whole suite
runs in a couple of seconds. Run them with ``scenarios.run_suite`` or
``scenarios.run_scenario``. Taught in notebooks 2.6–2.8.
"""

from __future__ import annotations

from .kv import KVClient
from .messages import InstallSnapshot
from .scenarios import ELECTION_TIMEOUT, HEARTBEAT, Cluster, scenario
from .server import LEADER, RaftServer

__all__ = ["SNAPSHOT_INTERVAL"]  # the stories are reached through scenarios.SUITE


def _distinct(c: Cluster) -> int:
    return c.rng.randrange(1, 10**9)


# --- 3A: leader election (§5.2) -----------------------------------------------------------
@scenario("3A", "§5.2")
def initial_election(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Three servers start as followers; one times out, wins a majority and leads.
    With no failures, the term then stays the same and the leader stays leader:
    heartbeats keep the followers from timing out."""
    c = Cluster(3, seed=seed, server_class=server_class)
    c.check_one_leader()
    c.run(HEARTBEAT * 2)
    term1 = c.check_terms()
    if term1 < 1:
        c.fail(f"term is {term1}, but an election should have made it at least 1")
    c.run(2 * ELECTION_TIMEOUT[1])
    term2 = c.check_terms()
    if term1 != term2:
        c.fail(f"the term changed from {term1} to {term2} with no failures")
    c.check_one_leader()
    return c


@scenario("3A", "§5.2")
def re_election(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """The leader is cut off: the other two elect a new one. The old leader comes back
    and must not disturb the new one. With two of three servers gone there must be no
    leader (no majority); once one returns, a leader again."""
    c = Cluster(3, seed=seed, server_class=server_class)
    leader1 = c.check_one_leader()
    c.disconnect(leader1)
    c.check_one_leader()
    c.connect(leader1)
    leader2 = c.check_one_leader()
    other = c.ids[(c.ids.index(leader2) + 1) % 3]
    c.disconnect(leader2)
    c.disconnect(other)
    c.run(2 * ELECTION_TIMEOUT[1])
    c.check_no_leader()
    c.connect(other)
    c.check_one_leader()
    c.connect(leader2)
    c.check_one_leader()
    return c


@scenario("3A", "§5.2")
def many_elections(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Seven servers; ten times, three random servers are cut off: the four others are
    a majority and must always elect a leader."""
    c = Cluster(7, seed=seed, server_class=server_class)
    c.check_one_leader()
    for _ in range(10):
        for s in c.rng.sample(c.ids, 3):
            c.disconnect(s)
        c.check_one_leader()
        c.heal()
    c.check_one_leader()
    return c


# --- 3B: log replication (§5.3) -----------------------------------------------------------
@scenario("3B", "§5.3")
def basic_agree(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Three commands, one after the other: each is committed at all three servers,
    at consecutive indices, and nothing is committed before it was started."""
    c = Cluster(3, seed=seed, server_class=server_class)
    c.check_one_leader()
    last = None
    for cmd in (100, 200, 300):
        index = c.one(cmd, 3)
        n, _ = c.n_committed(index + 1)
        if n:
            c.fail(f"index {index + 1} committed before its command was started")
        if last is not None and index != last + 1:
            c.fail(f"command {cmd} got index {index}, expected {last + 1}")
        last = index
    return c


@scenario("3B", "§5.3")
def follower_failure(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """A follower disconnects: the other two still commit (a majority). Then the last
    follower disconnects too: the leader alone must not commit anything."""
    c = Cluster(3, seed=seed, server_class=server_class)
    c.one(101, 3)
    leader1 = c.check_one_leader()
    c.disconnect(c.ids[(c.ids.index(leader1) + 1) % 3])
    c.one(102, 2)
    c.run(ELECTION_TIMEOUT[1])
    c.one(103, 2)
    leader2 = c.check_one_leader()
    for s in c.ids:
        if s != leader2:
            c.disconnect(s)
    index, _, ok = c.start(leader2, 104)
    if not ok:
        c.fail(f"leader {leader2} rejected Start()", node=leader2)
    c.run(2 * ELECTION_TIMEOUT[1])
    n, _ = c.n_committed(index)
    if n > 0:
        c.fail(f"{n} servers committed index {index} with no majority", node=leader2)
    return c


@scenario("3B", "§5.3")
def leader_failure(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """The leader disconnects: the followers elect another and go on committing. That
    one disconnects too: the last server, alone, must commit nothing even when every
    server is asked to start a command."""
    c = Cluster(3, seed=seed, server_class=server_class)
    c.one(101, 3)
    leader1 = c.check_one_leader()
    c.disconnect(leader1)
    c.one(102, 2)
    c.run(ELECTION_TIMEOUT[1])
    c.one(103, 2)
    leader2 = c.check_one_leader()
    c.disconnect(leader2)
    indices = [c.start(s, 104)[0] for s in c.ids]
    c.run(2 * ELECTION_TIMEOUT[1])
    for index in indices:
        if index > 0 and c.n_committed(index)[1] == 104:
            c.fail(f"command 104 was committed at index {index} without a majority")
    return c


@scenario("3B", "§5.3")
def fail_agree(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """A follower misses four commands while disconnected; when it comes back, the
    leader's AppendEntries consistency check finds where its log ends and fills it in."""
    c = Cluster(3, seed=seed, server_class=server_class)
    c.one(101, 3)
    leader = c.check_one_leader()
    c.disconnect(c.ids[(c.ids.index(leader) + 1) % 3])
    for cmd in (102, 103, 104, 105):
        c.one(cmd, 2)
    c.connect(c.ids[(c.ids.index(leader) + 1) % 3])
    c.one(106, 3, retry=True)
    c.run(ELECTION_TIMEOUT[1])
    c.one(107, 3, retry=True)
    return c


@scenario("3B", "§5.3")
def fail_no_agree(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Five servers; three followers disconnect. The leader accepts a command but
    cannot commit it. When they return, a (maybe new) leader commits new commands,
    and the stranded command ends up everywhere or nowhere."""
    c = Cluster(5, seed=seed, server_class=server_class)
    c.one(10, 5)
    leader = c.check_one_leader()
    k = c.ids.index(leader)
    for d in (1, 2, 3):
        c.disconnect(c.ids[(k + d) % 5])
    index, _, ok = c.start(leader, 20)
    if not ok:
        c.fail(f"leader {leader} rejected Start()", node=leader)
    c.run(2 * ELECTION_TIMEOUT[1])
    n, _ = c.n_committed(index)
    if n > 0:
        c.fail(f"{n} servers committed index {index} while a majority was disconnected")
    c.heal()
    c.check_one_leader()
    c.one(30, 5, retry=True)
    c.one(1000, 5, retry=True)
    n, cmd = c.n_committed(index)
    if n not in (0, 5):
        c.fail(f"index {index} applied at {n} of 5 servers after the cluster healed")
    return c


@scenario("3B", "§5.3")
def concurrent_starts(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Five commands started at the same instant at the leader all commit, each once,
    in the leader's term."""
    c = Cluster(3, seed=seed, server_class=server_class)
    for _ in range(5):
        leader = c.check_one_leader()
        started = [c.start(leader, 100 + i) for i in range(5)]
        if not all(ok for _, _, ok in started):
            c.run(ELECTION_TIMEOUT[0])
            continue
        term = started[0][1]
        got = [c.wait(index, 3, term) for index, _, _ in started]
        if None in got:
            continue   # the term changed: try again, as 6.5840 does
        if sorted(got) != [100, 101, 102, 103, 104]:
            c.fail(f"concurrent starts committed {got}, expected 100..104 once each")
        return c
    c.fail("the term changed too often to test concurrent starts")
    return c


@scenario("3B", "§5.3, §5.4")
def rejoin(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """A leader is partitioned away and, believing it still leads, appends three
    commands nobody else sees. A new leader commits other commands. When the old
    leader returns, its uncommitted entries must be overwritten by the new log."""
    c = Cluster(3, seed=seed, server_class=server_class)
    c.one(101, 3)
    leader1 = c.check_one_leader()
    c.disconnect(leader1)
    for cmd in (102, 103, 104):
        c.start(leader1, cmd)
    c.one(103, 2, retry=True)
    leader2 = c.check_one_leader()
    c.disconnect(leader2)
    c.connect(leader1)
    c.one(104, 2, retry=True)
    c.connect(leader2)
    c.one(105, 3, retry=True)
    return c


@scenario("3B", "§5.3")
def backup(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Servers with long divergent logs are brought back quickly. A leader and one
    follower append 50 commands that never commit; the other three commit 50 of
    their own; a new leader appends 50 more that never commit; then the first pair
    returns. Fast backtracking (the conflict term in rejections) skips a whole term
    per round trip, so catching up costs a few AppendEntries, not one per entry."""
    c = Cluster(5, seed=seed, server_class=server_class)
    c.one(_distinct(c), 5)
    leader1 = c.check_one_leader()
    k = c.ids.index(leader1)
    pair = [leader1, c.ids[(k + 1) % 5]]
    rest = [s for s in c.ids if s not in pair]
    c.partition(pair, rest)
    for _ in range(50):
        c.start(leader1, _distinct(c))
    c.run(ELECTION_TIMEOUT[0] / 2)
    c.partition(rest, pair)
    for _ in range(50):
        c.one(_distinct(c), 3, retry=True)
    leader2 = c.check_one_leader()
    other = next(s for s in rest if s != leader2)
    c.partition([s for s in rest if s != other], [other], pair)
    for _ in range(50):
        c.start(leader2, _distinct(c))
    c.run(ELECTION_TIMEOUT[0] / 2)
    c.partition(pair + [other], [s for s in rest if s != other])
    rejected_before = _rejections(c)
    for _ in range(50):
        c.one(_distinct(c), 3, retry=True)
    c.heal()
    c.one(_distinct(c), 5, retry=True)
    rejected = _rejections(c) - rejected_before
    # Each lagging follower's conflicts span a few terms: a handful of rejections each.
    if rejected > 30:
        c.fail(f"catching up took {rejected} rejected AppendEntries: backtracking is not fast")
    return c


def _rejections(c: Cluster) -> int:
    return sum(1 for e in c.trace.events if e.kind == "send"
               and type(e.msg).__name__ == "AppendEntriesReply" and not e.msg.success)


@scenario("3B", "§5.2, §5.3")
def count(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """RPC counts stay small: an election takes few RequestVotes; eleven commands
    started together take about one AppendEntries per follower each; an idle
    leader sends only heartbeats."""
    c = Cluster(3, seed=seed, server_class=server_class)
    leader = c.check_one_leader()
    total1 = c.rpc_count()
    if not 1 <= total1 <= 30:
        c.fail(f"{total1} RPCs to elect a leader: too many (or none)")
    for _ in range(5):
        leader = c.check_one_leader()
        total1 = c.rpc_count()
        started = [c.start(leader, 1000 + i) for i in range(11)]
        if not all(ok for _, _, ok in started):
            continue
        term = started[0][1]
        if None in [c.wait(index, 3, term) for index, _, _ in started]:
            continue
        total2 = c.rpc_count()
        iters = 10
        if total2 - total1 > (iters + 1 + 3) * 3:
            c.fail(f"{total2 - total1} RPCs for {iters + 1} entries: too many")
        break
    else:
        c.fail("the term changed too often to count RPCs")
    total2 = c.rpc_count()
    c.run(1000.0)
    idle = c.rpc_count() - total2
    bound = 2 * (int(1000.0 / HEARTBEAT) + 1)
    if idle > bound:
        c.fail(f"{idle} RPCs in 1000 idle time units; heartbeats need at most {bound}")
    return c


# --- 3C: persistence (§5, Figure 2 "persistent state") ------------------------------------
@scenario("3C", "Figure 2 (persistent state)")
def persist1(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Crash and restart everyone, then the leader, then a follower: what was committed
    survives in the durable term, vote and log, and agreement continues."""
    c = Cluster(3, seed=seed, server_class=server_class)
    c.one(11, 3)
    for s in c.ids:
        c.crash(s)
    for s in c.ids:
        c.restart(s)
    c.one(12, 3)
    leader1 = c.check_one_leader()
    c.crash(leader1)
    c.restart(leader1)
    c.one(13, 3)
    leader2 = c.check_one_leader()
    c.crash(leader2)
    c.one(14, 2)
    c.restart(leader2)
    c.wait(c.one(15, 3, retry=True), 3)
    leader3 = c.check_one_leader()
    i3 = c.ids[(c.ids.index(leader3) + 1) % 3]
    c.crash(i3)
    c.one(16, 2)
    c.restart(i3)
    c.one(17, 3, retry=True)
    return c


@scenario("3C", "Figure 2 (persistent state)")
def persist2(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Five servers, five rounds of crashes that leave a bare majority of servers
    with different logs, then restarts in an order that makes stale servers vote:
    only up-to-date candidates may win (§5.4.1)."""
    c = Cluster(5, seed=seed, server_class=server_class)
    index = 1
    for _ in range(5):
        c.one(10 + index, 5, retry=True)
        index += 1
        leader1 = c.check_one_leader()
        k = c.ids.index(leader1)
        c.crash(c.ids[(k + 1) % 5])
        c.crash(c.ids[(k + 2) % 5])
        c.one(10 + index, 3, retry=True)
        index += 1
        for d in (0, 3, 4):
            c.crash(c.ids[(k + d) % 5])
        c.restart(c.ids[(k + 1) % 5])
        c.restart(c.ids[(k + 2) % 5])
        c.run(ELECTION_TIMEOUT[1])
        c.restart(c.ids[(k + 3) % 5])
        c.one(10 + index, 3, retry=True)
        index += 1
        c.restart(c.ids[(k + 4) % 5])
        c.restart(leader1)
    c.one(1000, 5, retry=True)
    return c


@scenario("3C", "Figure 2 (persistent state)")
def persist3(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """A follower is cut off; the leader and the other follower crash after committing
    without it. The cut-off follower and the old leader restart: together they hold
    everything committed and go on."""
    c = Cluster(3, seed=seed, server_class=server_class)
    c.one(101, 3)
    leader = c.check_one_leader()
    k = c.ids.index(leader)
    c.disconnect(c.ids[(k + 2) % 3])
    c.one(102, 2)
    c.crash(c.ids[k])
    c.crash(c.ids[(k + 1) % 3])
    c.connect(c.ids[(k + 2) % 3])
    c.restart(c.ids[k])
    c.one(103, 2, retry=True)
    c.restart(c.ids[(k + 1) % 3])
    c.one(104, 3, retry=True)
    return c


@scenario("3C", "Figure 2 (votedFor is persistent)")
def persist_vote(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """A vote must survive a crash. n1 campaigns in a new term and n3 votes for it:
    n1 leads. n3 crashes and restarts at once, still in that term; then n2 campaigns
    for the same term. If n3 had forgotten its vote it would grant a second one, and
    the term would have two leaders (Election Safety, §5.2). (No no-op entries, so that
    n1's election leaves the logs equal and only the vote stands in n2's way.)"""
    c = Cluster(3, seed=seed, server_class=server_class, noop=False,
                election_timeout=(2000.0, 4000.0))
    n1, n2, n3 = c.ids
    c.elect(n1)
    c.one(1, 3)
    c.partition([n1, n3], [n2])
    term = c.elect(n1)                        # n1 leads term t+1 with n3's vote
    c.crash(n3)
    c.restart(n3)
    c.partition([n2, n3], [n1])
    c.campaign(n2)                            # n2 asks for votes in the same term
    c.run(40)
    node = c.server(n2)
    if node.role == LEADER and node.current_term == term:
        c.fail(f"{n2} was elected in term {term}, where {n1} already leads: {n3} voted "
               f"twice", node=n3)
    c.heal()
    c.one(2, 3, retry=True)
    return c


@scenario("3C", "§5.4.2 (Figure 8)")
def figure8(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Leaders crash right after accepting commands, over and over, with restarts
    that keep at least three servers up: the log histories of Figure 8 arise by
    chance. Whatever happened, a final command must reach all five servers and no
    two servers may ever apply different commands at one index."""
    c = Cluster(5, seed=seed, server_class=server_class)
    c.one(_distinct(c), 1, retry=True)
    nup = 5
    for _ in range(100):
        leader = None
        for s in c.ids:
            if c.up(s) and c.start(s, _distinct(c))[2]:
                leader = s
        if c.rng.random() < 0.1:
            c.run(c.rng.uniform(0, ELECTION_TIMEOUT[1] / 2))
        else:
            c.run(c.rng.uniform(0, 13))
        if leader is not None:
            c.crash(leader)
            nup -= 1
        if nup < 3:
            s = c.rng.choice(c.ids)
            if not c.up(s):
                c.restart(s)
                nup += 1
    for s in c.ids:
        c.restart(s)
    c.one(_distinct(c), 5, retry=True)
    return c


@scenario("3C", "§5.4.2 (Figure 8, step by step)")
def figure8_paper(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """The paper's Figure 8, told step by step with forced elections and no no-ops.

    (a) S1 leads term 2 and replicates entry 2 to S2 only. (b) S1 crashes; S5 is
    elected in term 3 by S3, S4 and itself and appends a different entry 2.
    (c) S5 crashes; S1 restarts, is elected in term 4 and replicates its term-2 entry
    to S3: now stored on a majority, but **not committed**, because it is not from
    the leader's term. (d) S1 crashes; S5 restarts, is elected in term 5 by S2, S3
    and S4 and overwrites index 2 everywhere with its term-3 entry. Had S1 committed
    entry 2 in (c), that entry would now be lost: a state machine safety violation."""
    c = Cluster(5, seed=seed, server_class=server_class, noop=False,
                election_timeout=(2000.0, 4000.0))
    s1, s2, s3, s4, s5 = c.ids
    c.elect(s1)                           # term 1: a first entry everywhere
    c.one(1, 5)
    c.elect(s1)                           # (a) term 2
    c.partition([s1, s2], [s3, s4, s5])
    c.start(s1, "a: S1 term 2")
    c.run(60)
    c.crash(s1)                           # (b)
    c.partition([s3, s4, s5], [s1, s2])
    c.elect(s5)
    c.partition([s5], [s1, s2, s3, s4])
    c.start(s5, "b: S5 term 3")
    c.run(60)
    c.crash(s5)                           # (c)
    c.restart(s1)
    c.partition([s1, s2, s3], [s4], [s5])
    c.elect(s1)
    c.run(3 * HEARTBEAT)                  # entry 2 (term 2) reaches S3: a majority
    if c.server(s1).log.term_at(2) != 2 or c.server(s3).log.term_at(2) != 2:
        c.fail("setup: entry 2 of term 2 should be on S1, S2 and S3")
    c.crash(s1)                           # (d)
    c.restart(s5)
    c.partition([s2, s3, s4, s5], [s1])
    c.elect(s5)
    index = c.one("d: S5 term 5", 4)
    if c.n_committed(2)[1] != "b: S5 term 3" or index != 3:
        c.fail(f"index 2 should hold S5's term-3 entry, got {c.n_committed(2)[1]!r}")
    c.heal()
    c.restart(s1)
    c.one("e: everyone", 5, retry=True)
    return c


@scenario("3C", "§5.3 (unreliable network)")
def unreliable_agree(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """The network loses, duplicates and reorders messages. Commands from four clients
    at a time still commit (retried if need be); then, on a reliable network, all
    five servers agree."""
    c = Cluster(5, seed=seed, server_class=server_class, reliable=False)
    for it in range(1, 26):
        for j in range(4):
            c.start(c.check_one_leader(), 100 * it + j)
        c.one(it, 1, retry=True)
    c.set_reliable(True)
    c.one(100, 5, retry=True)
    return c


@scenario("3C", "§5.4.2 (Figure 8, unreliable)")
def figure8_unreliable(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Figure 8's chaos with leaders disconnected instead of crashed, on a network
    that loses, duplicates and holds messages back for long."""
    c = Cluster(5, seed=seed, server_class=server_class, reliable=False)
    c.one(_distinct(c) % 10000, 1, retry=True)
    nup = 5
    for it in range(120):
        if it == 40:
            c.sim.network.reorder = 0.3          # many long delays from now on
        leader = None
        for s in c.ids:
            if s in c.connected and c.start(s, _distinct(c) % 10000)[2]:
                leader = s
        if c.rng.random() < 0.1:
            c.run(c.rng.uniform(0, ELECTION_TIMEOUT[1] / 2))
        else:
            c.run(c.rng.uniform(0, 13))
        if leader is not None and c.rng.random() < 0.5:
            c.disconnect(leader)
            nup -= 1
        if nup < 3:
            s = c.rng.choice(c.ids)
            if s not in c.connected:
                c.connect(s)
                nup += 1
    c.heal()
    c.set_reliable(True)
    c.one(_distinct(c) % 10000, 5, retry=True)
    return c


def _churn(c: Cluster) -> None:
    """Clients start commands at random servers while servers are cut off, crashed
    and restarted (6.5840's churn: each round, a disconnection with probability 0.2,
    a restart and reconnection with 0.5, a crash with 0.2, then 0.7 of an election
    timeout); every command a client saw committed must survive."""
    started: list[tuple[int, int]] = []        # (index, command) a leader accepted
    confirmed: set[int] = set()
    for _ in range(20):
        if c.rng.random() < 0.2:
            c.disconnect(c.rng.choice(c.ids))
        if c.rng.random() < 0.5:
            s = c.rng.choice(c.ids)
            c.restart(s)
            c.connect(s)
        if c.rng.random() < 0.2:
            c.crash(c.rng.choice(c.ids))
        for _ in range(7):
            for _ in range(3):                   # three clients, each trying a server
                cmd = _distinct(c)
                index, _, ok = c.start(c.rng.choice(c.ids), cmd)
                if ok:
                    started.append((index, cmd))
            c.run(0.1 * ELECTION_TIMEOUT[0])
            for index, cmd in started:
                if c.n_committed(index)[1] == cmd:
                    confirmed.add(cmd)
    for s in c.ids:
        c.restart(s)
    c.heal()
    c.set_reliable(True)
    c.run(ELECTION_TIMEOUT[1])
    last = c.one(_distinct(c), 5, retry=True)
    final = {c.n_committed(i)[1] for i in range(1, last + 1)}
    missing = sorted(confirmed - final)
    if missing:
        c.fail(f"commands committed during the churn are missing afterwards: {missing[:5]}")
    # Some schedules leave no majority up for the whole churn: then nothing could be
    # committed, and the check above is empty. The tests make sure that is rare.
    c.confirmed = confirmed


@scenario("3C", "§5 (churn)")
def reliable_churn(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Servers are cut off, crashed and restarted at random while clients start
    commands; on a reliable network. Everything committed survives."""
    c = Cluster(5, seed=seed, server_class=server_class)
    _churn(c)
    return c


@scenario("3C", "§5 (churn)")
def unreliable_churn(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """The same churn on a network that loses, duplicates and reorders messages."""
    c = Cluster(5, seed=seed, server_class=server_class, reliable=False)
    _churn(c)
    return c


# --- 3D: log compaction (§7) --------------------------------------------------------------
SNAPSHOT_INTERVAL = 10


@scenario("3D", "§7")
def snapshot_basic(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Every server snapshots every ten applied entries and discards its log prefix;
    agreement goes on, and the state machines stay identical."""
    c = Cluster(3, seed=seed, server_class=server_class, snapshot_threshold=SNAPSHOT_INTERVAL)
    for i in range(1, 3 * SNAPSHOT_INTERVAL + 2):
        c.one(c.kv(i), 3)
    c.states_agree()
    for s in c.ids:
        node = c.server(s)
        if node.log.snapshot_index == 0:
            c.fail(f"{s} never took a snapshot", node=s)
        if len(node.log) > 2 * SNAPSHOT_INTERVAL:
            c.fail(f"{s} still holds {len(node.log)} entries after snapshots", node=s)
    return c


def _snapshot_install(c: Cluster, *, disconnect: bool, crash: bool) -> Cluster:
    """6.5840's snapcommon: a follower misses more than a snapshot's worth of entries
    (cut off or crashed) and must be brought up to date with InstallSnapshot."""
    c.one(c.kv(0), 3, retry=True)
    seq = 1
    for _ in range(6):
        victim = c.ids[(c.ids.index(c.check_one_leader()) + 1) % 3]
        if disconnect:
            c.disconnect(victim)
            c.one(c.kv(seq), 2, retry=True)
            seq += 1
        if crash:
            c.crash(victim)
            c.one(c.kv(seq), 2, retry=True)
            seq += 1
        for _ in range(SNAPSHOT_INTERVAL + 1):      # enough to force a snapshot
            c.start(c.check_one_leader(), c.kv(seq))
            seq += 1
        c.one(c.kv(seq), 2, retry=True)
        seq += 1
        if disconnect:
            c.connect(victim)
        if crash:
            c.restart(victim)
            c.connect(victim)
        c.one(c.kv(seq), 3, retry=True)
        seq += 1
    installs = c.trace.count("send", InstallSnapshot)
    if installs == 0:
        c.fail("no InstallSnapshot was sent, though followers fell behind the snapshots")
    c.states_agree()
    return c


@scenario("3D", "§7 (InstallSnapshot)")
def snapshot_install(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """A follower cut off for longer than a snapshot interval catches up by
    InstallSnapshot: its missing entries no longer exist in the leader's log."""
    c = Cluster(3, seed=seed, server_class=server_class, snapshot_threshold=SNAPSHOT_INTERVAL)
    return _snapshot_install(c, disconnect=True, crash=False)


@scenario("3D", "§7 (InstallSnapshot, unreliable)")
def snapshot_install_unreliable(server_class: type[RaftServer] = RaftServer,
                                seed: int = 0) -> Cluster:
    """The same on a lossy, duplicating, reordering network: late or repeated
    InstallSnapshots must never roll a follower back."""
    c = Cluster(3, seed=seed, server_class=server_class, reliable=False,
                snapshot_threshold=SNAPSHOT_INTERVAL)
    return _snapshot_install(c, disconnect=True, crash=False)


@scenario("3D", "§7 (InstallSnapshot after a crash)")
def snapshot_install_crash(server_class: type[RaftServer] = RaftServer,
                           seed: int = 0) -> Cluster:
    """A follower crashed for longer than a snapshot interval restarts from its own
    snapshot and log, then catches up by InstallSnapshot."""
    c = Cluster(3, seed=seed, server_class=server_class, snapshot_threshold=SNAPSHOT_INTERVAL)
    return _snapshot_install(c, disconnect=False, crash=True)


@scenario("3D", "§7 (snapshots are durable)")
def snapshot_all_crash(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Every server crashes after snapshots were taken; they restart from their
    snapshots and logs, and new commands get higher indices than before."""
    c = Cluster(3, seed=seed, server_class=server_class, reliable=False,
                snapshot_threshold=SNAPSHOT_INTERVAL)
    seq = 1
    c.one(c.kv(seq), 3, retry=True)
    for _ in range(5):
        for _ in range(SNAPSHOT_INTERVAL + 1):
            seq += 1
            c.one(c.kv(seq), 3, retry=True)
        seq += 1
        index1 = c.one(c.kv(seq), 3, retry=True)
        for s in c.ids:
            c.crash(s)
        for s in c.ids:
            c.restart(s)
        seq += 1
        index2 = c.one(c.kv(seq), 3, retry=True)
        if index2 < index1 + 1:
            c.fail(f"index decreased from {index1} to {index2} after a crash")
    c.states_agree()
    return c


@scenario("3D", "§7 (restart from a snapshot)")
def snapshot_init(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Servers restart twice from snapshots: the state machine is restored from the
    snapshot, commit and apply indices start at its last included index, and the
    entries it covers are not applied again."""
    c = Cluster(3, seed=seed, server_class=server_class, snapshot_threshold=SNAPSHOT_INTERVAL)
    seq = 1
    for _ in range(SNAPSHOT_INTERVAL + 1):
        c.one(c.kv(seq), 3, retry=True)
        seq += 1
    for s in c.ids:
        c.crash(s)
    for s in c.ids:
        c.restart(s)
    for s in c.ids:
        node = c.server(s)
        if node.last_applied != node.log.snapshot_index or node.log.snapshot_index == 0:
            c.fail(f"{s} restarted with last_applied={node.last_applied}, snapshot at "
                   f"{node.log.snapshot_index}", node=s)
    c.one(c.kv(seq), 3, retry=True)
    seq += 1
    for s in c.ids:
        c.crash(s)
    for s in c.ids:
        c.restart(s)
    c.one(c.kv(seq), 3, retry=True)
    c.states_agree()
    return c


# --- clients, reads and membership (thesis §4, §6) ----------------------------------------
@scenario("KV", "thesis §6.2 (redirection)")
def client_redirect(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """A client that first asks a follower is told who the leader is and goes there;
    when the leader fails, it finds the new one. All its operations complete."""
    c = Cluster(3, seed=seed, server_class=server_class)
    leader = c.check_one_leader()
    follower = c.ids[(c.ids.index(leader) + 1) % 3]
    c.sim.add_node("c1", KVClient, servers=[follower], ops=6, think=(10.0, 30.0))
    c.clients.append("c1")
    c.run(200)
    c.crash(leader)
    c.wait_clients()
    ops = c.sim.history.operations()
    if not ops or any(op.status != "ok" for op in ops):
        c.fail(f"every operation should complete: {[op.status for op in ops]}")
    return c


@scenario("KV", "thesis §6.3 (duplicate detection)")
def duplicate_detection(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """The leader's first answers to a client are lost, and the network duplicates
    requests: the client retries with the same sequence number, the command may reach
    the log twice, and the state machine still applies each append exactly once."""
    c = Cluster(3, seed=seed, server_class=server_class)
    c.check_one_leader()
    c.sim.network.duplicate = 0.3
    dropped = []

    def lose_first_replies(env):
        if type(env.msg).__name__ == "ClientReply" and env.msg.status == "ok" \
                and env.msg.seq not in dropped:
            dropped.append(env.msg.seq)
            return False
        return None
    c.sim.network.add_hook(lose_first_replies)
    script = [("append", "k", f"{i};") for i in range(1, 6)]
    c.sim.add_node("c1", KVClient, servers=c.ids, script=script, retry_timeout=60.0)
    c.clients.append("c1")
    c.wait_clients()
    leader = c.check_one_leader()
    c.run(2 * HEARTBEAT)
    value = c.server(leader).state_machine.query("k")
    if value != "1;2;3;4;5;":
        c.fail(f"appends applied {value!r}; expected each exactly once: '1;2;3;4;5;'")
    c.states_agree()
    return c


@scenario("KV", "thesis §6.4 (read index)")
def linearizable_reads(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """The leader is partitioned into a minority together with two clients that only
    read; two clients that only write stay with the majority, which elects a new
    leader and commits their appends. The old leader still believes it leads, but a
    read needs a heartbeat round acknowledged by a majority, which it cannot get: the
    readers wait (and time out) instead of reading stale values, and the history is
    linearizable. (A leader answering reads from its own state would fail here.)"""
    c = Cluster(5, seed=seed, server_class=server_class)
    leader = c.check_one_leader()
    writers = c.add_clients(2, ops=10, think=(5.0, 25.0), read_ratio=0.0)
    readers = c.add_clients(2, ops=40, think=(5.0, 15.0), read_ratio=1.0)
    c.run(150)
    k = c.ids.index(leader)
    minority = [leader, c.ids[(k + 1) % 5]]
    majority = [s for s in c.ids if s not in minority]
    c.sim.partition(minority + readers, majority + writers)
    c.connected = set(majority)
    c.run(800)
    c.heal()
    c.wait_clients()
    return c


@scenario("KV", "thesis §4 (membership changes)")
def membership_change(server_class: type[RaftServer] = RaftServer, seed: int = 0) -> Cluster:
    """Under client load, an administrator adds two servers one at a time (each
    catches up as a learner before it votes, by InstallSnapshot if the log was
    compacted) and then removes two of the original ones, possibly the leader.
    Every change completes, the servers agree on the final configuration, and the
    clients' history is linearizable."""
    c = Cluster(3, seed=seed, server_class=server_class, spares=2,
                snapshot_threshold=SNAPSHOT_INTERVAL)
    c.add_clients(3, ops=15, think=(10.0, 40.0))
    n1, n2, n3, n4, n5 = c.servers
    leader = c.check_one_leader()
    removed = [leader, next(s for s in (n1, n2, n3) if s != leader)]
    script = [(400.0, "add", n4), (500.0, "add", n5), (600.0, "remove", removed[0]),
              (700.0, "remove", removed[1])]
    c.add_admin(script)
    c.wait_clients()
    deadline = c.now + 5000
    while len(c.sim.node("admin").results) < len(script) and c.now < deadline:
        c.run(100)
    results = c.sim.node("admin").results
    if [r[2] for r in results] != ["ok"] * len(script):
        c.fail(f"membership changes did not all succeed: {results}")
    expected = tuple(sorted(s for s in c.servers if s not in removed))
    c.run(3 * HEARTBEAT)
    for s in expected:
        if c.server(s).config.voters != expected:
            c.fail(f"{s} has configuration {c.server(s).config!r}; expected {expected}", node=s)
    learners = [e for e in c.trace.outputs("config") if n4 in e.msg[2]]
    if not learners:
        c.fail(f"{n4} should join as a learner before it votes (thesis §4.2.1)")
    c.ids = list(expected)
    c.one(c.kv(1, key="after"), len(expected), retry=True)
    return c
