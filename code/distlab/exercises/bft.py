"""Checks for the exercises of notebook 2.5, "Byzantine fault tolerance".

- ``check_quorum_sizes(fn)``: ``fn(f)`` gives PBFT's group and certificate sizes;
- ``check_prepared(fn)``: ``fn(log, view, seq)`` is the *prepared* predicate
  (Castro & Liskov 1999, §4.2) for four replicas ``r0..r3`` (``f = 1``), judged
  against ``distlab.pbft.prepared_certificate`` on logs built here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..pbft.auth import digest, forge, sign
from ..pbft.messages import Prepare, PrePrepare, Request
from ..pbft.quorums import Group, prepared_certificate
from . import CheckFailed, expect, fail, passed

__all__ = ["REPLICAS", "primary", "quorum_sizes", "check_quorum_sizes", "prepared_cases",
           "check_prepared"]

REPLICAS = ("r0", "r1", "r2", "r3")
_GROUP = Group.make(REPLICAS, 1)


def primary(view: int) -> str:
    """The primary of ``view`` among ``r0..r3``: ``REPLICAS[view % 4]``."""
    return _GROUP.primary(view)


def quorum_sizes(f: int) -> dict[str, int]:
    """The reference answer, derived from ``distlab.pbft.Group``."""
    group = Group.make([f"r{i}" for i in range(3 * f + 1)], f)
    return {"replicas": group.n, "prepares": group.quorum - 1, "commits": group.quorum,
            "view_changes": group.quorum, "replies": f + 1}


_HINTS = {
    "replicas": "n must exceed 3f: with 3f, a quorum that does not wait for the f silent "
                "replicas may share only Byzantine replicas with another",
    "prepares": "the pre-prepare counts as the primary's vote; how many *more* matching "
                "votes, from backups, make 2f+1 in all?",
    "commits": "any two sets of commits must share an honest replica: 2q - n >= f + 1",
    "view_changes": "the new primary must hear from a quorum, so that it meets every "
                    "quorum that may have committed something",
    "replies": "the client cannot tell liars apart: how many matching replies guarantee "
               "that one came from an honest replica?",
}


def check_quorum_sizes(fn: Callable[[int], dict]) -> None:
    """``fn(f)`` returns ``{"replicas", "prepares", "commits", "view_changes", "replies"}``."""
    for f in (1, 2, 3, 0, 7):
        try:
            got = fn(f)
        except NotImplementedError:
            fail("pbft_sizes is not written yet (it raises NotImplementedError)",
                 got="NotImplementedError",
                 hint="replace `raise NotImplementedError()` with a dict of five sizes")
        expected = quorum_sizes(f)
        expect(isinstance(got, dict), "pbft_sizes must return a dict",
               given=f"pbft_sizes({f})", expected=expected, got=got)
        missing = sorted(set(expected) - set(got))
        expect(not missing, f"pbft_sizes({f}) lacks some keys", given=f"pbft_sizes({f})",
               expected=sorted(expected), got=sorted(got),
               hint=f"add {', '.join(missing)}")
        for key in expected:
            expect(got[key] == expected[key], f"pbft_sizes({f})[{key!r}] is wrong",
                   given=f"f = {f}", expected=expected[key], got=got[key], hint=_HINTS[key])
    passed("replicas 3f+1; prepared with 2f prepares; committed with 2f+1 commits; "
           "2f+1 view changes; f+1 matching replies (f = 0, 1, 2, 3, 7)")


def prepared_cases() -> list[tuple[str, list[Any], int, int]]:
    """Logs to judge: ``(what it shows, log, view, seq)``; the expected answer of each is
    computed by ``distlab.pbft.prepared_certificate``."""
    req = sign(Request(("write", 1), 1, "c1"))
    other = sign(Request(("write", 2), 1, "c2"))
    d = digest(req)

    def pp(view=0, seq=1, by=None, request=req, dig=None):
        return sign(PrePrepare(view, seq, d if dig is None else dig, by or primary(view),
                               request))

    def prep(r, view=0, seq=1, dig=None):
        return sign(Prepare(view, seq, d if dig is None else dig, r))

    return [
        ("the pre-prepare and prepares from two backups", [pp(), prep("r1"), prep("r2")], 0, 1),
        ("the pre-prepare and a single prepare", [pp(), prep("r1")], 0, 1),
        ("prepares from three backups, in another order", [prep("r3"), prep("r1"), pp(),
                                                          prep("r2")], 0, 1),
        ("the same backup's prepare twice", [pp(), prep("r1"), prep("r1")], 0, 1),
        ("a 'prepare' from the primary r0 itself", [pp(), prep("r1"), prep("r0")], 0, 1),
        ("a prepare with another digest", [pp(), prep("r1"),
                                           prep("r2", dig=digest(other))], 0, 1),
        ("a prepare for another view", [pp(), prep("r1"), prep("r2", view=1)], 0, 1),
        ("a prepare for another sequence number", [pp(), prep("r1"), prep("r2", seq=2)], 0, 1),
        ("a prepare forged by r1 in r2's name", [pp(), prep("r1"),
                                                 forge(Prepare(0, 1, d, "r2"), by="r1")], 0, 1),
        ("prepares but no pre-prepare", [prep("r1"), prep("r2"), prep("r3")], 0, 1),
        ("a pre-prepare sent by a backup (r1) in view 0", [pp(by="r1"), prep("r2"),
                                                           prep("r3")], 0, 1),
        ("a pre-prepare whose digest is not that of its request",
         [pp(request=other), prep("r1"), prep("r2")], 0, 1),
        ("view 1, whose primary is r1: prepares from r0 and r3",
         [pp(view=1), prep("r0", view=1), prep("r3", view=1)], 1, 1),
        ("view 1: a prepare from r1, its primary, does not count",
         [pp(view=1), prep("r1", view=1), prep("r3", view=1)], 1, 1),
        ("asked about sequence number 2, the log is about 1", [pp(), prep("r1"), prep("r2")],
         0, 2),
    ]


def check_prepared(fn: Callable[[list, int, int], bool]) -> None:
    """``fn(log, view, seq)``: is some request prepared at ``(view, seq)`` in ``log``?"""
    cases = prepared_cases()
    for what, log, view, seq in cases:
        expected = prepared_certificate(log, view, seq, _GROUP) is not None
        try:
            got = fn(list(log), view, seq)
        except NotImplementedError:
            fail("prepared is not written yet (it raises NotImplementedError)",
                 got="NotImplementedError", hint="replace `raise NotImplementedError()`")
        except CheckFailed:
            raise
        except Exception as exc:  # the learner's bug: show the case
            fail(f"prepared raised {type(exc).__name__}: {exc}", given=what,
                 expected=expected, got=type(exc).__name__,
                 hint="the log mixes PrePrepare and Prepare messages: check the type first")
        expect(isinstance(got, bool), "prepared must return True or False", given=what,
               expected=expected, got=got)
        shown = "\n            ".join(map(repr, log))
        expect(got == expected, f"prepared is wrong for: {what}",
               given=f"prepared(log, view={view}, seq={seq}) with log\n            {shown}",
               expected=expected, got=got,
               hint="count prepares from *different backups* (not the primary of the view) "
                    "that match the primary's pre-prepare in view, sequence number and "
                    "digest, and check every signature with verify() and the pre-prepare's "
                    "digest with digest(request)")
    passed(f"prepared(log, view, seq) agrees with the library on all {len(cases)} logs")
