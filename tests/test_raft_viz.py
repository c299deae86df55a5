"""Pictures of a Raft run read from the trace (``distlab.raft.timeline``,
``distlab.viz.raft``)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from distlab.raft import scenarios  # noqa: E402
from distlab.raft.timeline import (partition_spans, role_segments, servers_of,  # noqa: E402
                                   views_at)
from distlab.viz.raft import animate_raft, raft_logs, raft_timeline  # noqa: E402


def test_role_segments_tile_each_servers_time():
    c = scenarios.SUITE["re_election"].run(seed=0)
    segs = role_segments(c.sim)
    end = c.trace.events[-1].time
    for s in servers_of(c.sim):
        mine = [x for x in segs if x.node == s]
        assert mine[0].start == 0.0 and abs(mine[-1].end - end) < 1e-9
        assert all(a.end == b.start for a, b in zip(mine, mine[1:]))
    leaders = {(x.node, x.term) for x in segs if x.role == "leader"}
    assert len({t for _, t in leaders}) == len(leaders)     # one leader per term
    assert partition_spans(c.sim)


def test_views_rebuild_the_logs_of_the_live_servers():
    c = scenarios.SUITE["snapshot_install"].run(seed=0)
    views = views_at(c.sim)
    for s in c.ids:
        node, v = c.server(s), views[s]
        assert (v.base_index, v.last_index) == (node.log.snapshot_index, node.log.last_index)
        assert [t for _, t, _ in v.entries] == [e.term for e in node.log.entries]
        assert v.role == node.role and v.term == node.current_term


def test_figures_and_animation_draw():
    c = scenarios.SUITE["figure8_paper"].run(seed=0)
    fig, (a, b) = plt.subplots(2, 1)
    raft_timeline(c, ax=a, title="Figure 8")
    raft_logs(c, ax=b, time=480, commands=True)
    assert a.get_title(loc="left") == "Figure 8" and len(b.patches) >= 8
    plt.close(fig)
    anim = animate_raft(c, times=[100, 300, 500])
    assert anim.frames == 3 and "data:image/png" in anim.html
