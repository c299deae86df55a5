"""Checks for the exercises of notebook 1.4, "Physical clocks and synchronisation"."""

from __future__ import annotations

import math
import random
from typing import Any

from ..clocksync.hlc import hlc_receive as _reference_receive
from . import CheckFailed, expect, fail, passed

__all__ = ["ntp_cases", "check_ntp_offset_delay", "check_hlc_receive"]


def ntp_cases() -> list[tuple[str, tuple[float, float, float, float], tuple[float, float]]]:
    """Exchanges with known answers: ``(story, (t1, t2, t3, t4), (theta, delta))``.

    Each is built from a server clock ``theta`` ahead of the client's, one-way delays
    ``d1`` (request) and ``d2`` (response) and a server hold time ``h``; the expected
    values are what the formulas give, ``theta + (d1 - d2) / 2`` and ``d1 + d2``.
    """
    out = []
    for theta, d1, d2, h, t1 in [(20.0, 5.0, 5.0, 2.0, 100.0), (-7.5, 3.0, 3.0, 0.0, 40.0),
                                 (0.0, 4.0, 4.0, 1.0, 10.0), (12.0, 8.0, 2.0, 0.5, 1000.0),
                                 (-30.0, 1.0, 9.0, 3.0, 500.0)]:
        t2 = t1 + d1 + theta
        t3 = t2 + h
        t4 = t3 - theta + d2
        story = (f"server {theta:+g} ms ahead, request {d1:g} ms, response {d2:g} ms, "
                 f"server holds it {h:g} ms")
        out.append((story, (t1, t2, t3, t4), (theta + (d1 - d2) / 2, d1 + d2)))
    return out


def _close(a: Any, b: float) -> bool:
    return isinstance(a, (int, float)) and not isinstance(a, bool) and math.isclose(
        a, b, rel_tol=1e-9, abs_tol=1e-9)


def check_ntp_offset_delay(fn: Any) -> None:
    """``fn(t1, t2, t3, t4)`` must return ``(theta, delta)`` as RFC 5905 defines them."""
    if not callable(fn):
        fail("check_ntp_offset_delay needs your function", expected="a function", got=fn,
             hint="define ntp_offset_delay(t1, t2, t3, t4) above and run that cell")
    for story, ts, (theta, delta) in ntp_cases():
        given = f"ntp_offset_delay{ts}   # {story}"
        try:
            got = fn(*ts)
        except NotImplementedError:
            fail("ntp_offset_delay is not written yet (it raises NotImplementedError)",
                 got="NotImplementedError",
                 hint="replace `raise NotImplementedError()` with the two formulas")
        except CheckFailed:
            raise
        except Exception as exc:
            fail(f"ntp_offset_delay raised {type(exc).__name__}: {exc}", given=given,
                 expected=(theta, delta), got=type(exc).__name__)
        if not (isinstance(got, tuple) and len(got) == 2):
            fail("ntp_offset_delay must return a pair (theta, delta)", given=given,
                 expected=(theta, delta), got=got, hint="return theta, delta")
        g_theta, g_delta = got
        if _close(g_theta, delta) and _close(g_delta, theta) and theta != delta:
            fail("theta and delta are swapped", given=given, expected=(theta, delta), got=got,
                 hint="return (offset, delay) in that order")
        if _close(g_theta, -theta) and theta != 0:
            fail("theta has the wrong sign", given=given, expected=(theta, delta), got=got,
                 hint="theta is the server's clock minus the client's: it is positive when "
                      "the server is ahead")
        expect(_close(g_theta, theta), "the offset theta is wrong", given=given,
               expected=theta, got=g_theta,
               hint="theta = ((t2 - t1) + (t3 - t4)) / 2: average the two one-way "
                    "differences, each measured with one clock at each end")
        if _close(g_delta, ts[3] - ts[0]) and ts[2] != ts[1]:
            fail("delta still includes the time the server held the request", given=given,
                 expected=delta, got=g_delta, hint="subtract the server's hold time t3 - t2")
        expect(_close(g_delta, delta), "the delay delta is wrong", given=given,
               expected=delta, got=g_delta,
               hint="delta = (t4 - t1) - (t3 - t2): the round trip minus the server's time")
    passed(f"theta and delta are right on {len(ntp_cases())} exchanges, including "
           f"asymmetric ones (where theta is off by half the asymmetry, as it must be)")


_BRANCHES = {
    "all": "l == l' == l_m, so c = max(c, c_m) + 1",
    "own": "l == l' (the node's own l is the largest), so c = c + 1",
    "msg": "l == l_m (the message's l is the largest), so c = c_m + 1",
    "pt": "pt is the largest, so l = pt and c = 0",
}


def _branch(l: float, l_m: float, pt: float) -> str:
    new = max(l, l_m, pt)
    if new == l == l_m:
        return "all"
    if new == l:
        return "own"
    if new == l_m:
        return "msg"
    return "pt"


def check_hlc_receive(fn: Any, *, cases: int = 300, seed: int = 14) -> None:
    """``fn(l, c, l_m, c_m, pt)`` must return the HLC receive rule's ``(l, c)``."""
    if not callable(fn):
        fail("check_hlc_receive needs your function", expected="a function", got=fn,
             hint="define hlc_receive(l, c, l_m, c_m, pt) above and run that cell")
    targeted = [(10, 2, 10, 5, 7), (10, 4, 10, 1, 3), (12, 3, 9, 7, 11), (8, 1, 15, 4, 9),
                (5, 9, 6, 2, 20), (10, 0, 10, 0, 10), (10, 3, 8, 2, 10), (7, 1, 9, 3, 9)]
    rng = random.Random(seed)
    randoms = [(rng.randint(0, 6), rng.randint(0, 4), rng.randint(0, 6), rng.randint(0, 4),
                rng.randint(0, 6)) for _ in range(cases)]
    for args in targeted + randoms:
        expected = _reference_receive(*args)
        given = "hlc_receive(l={}, c={}, l_m={}, c_m={}, pt={})".format(*args)
        try:
            got = fn(*args)
        except NotImplementedError:
            fail("hlc_receive is not written yet (it raises NotImplementedError)",
                 got="NotImplementedError",
                 hint="replace `raise NotImplementedError()` with the receive rule")
        except CheckFailed:
            raise
        except Exception as exc:
            fail(f"hlc_receive raised {type(exc).__name__}: {exc}", given=given,
                 expected=expected, got=type(exc).__name__)
        if not (isinstance(got, tuple) and len(got) == 2):
            fail("hlc_receive must return a pair (l, c)", given=given, expected=expected,
                 got=got, hint="return l, c")
        if tuple(got) != expected:
            which = _branch(args[0], args[2], args[4])
            hint = f"here {_BRANCHES[which]}"
            if got[0] != expected[0]:
                hint = "l must be max(l, l_m, pt): the largest physical time heard of"
            fail("hlc_receive gave a wrong timestamp", given=given, expected=expected,
                 got=got, hint=hint)
    passed(f"hlc_receive agrees with Kulkarni et al.'s rule on {len(targeted)} targeted "
           f"cases (every branch) and {cases} random ones")
