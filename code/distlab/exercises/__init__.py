"""``distlab.exercises``: the checks behind the book's auto-checked exercises.

Exercises follow nbgrader's conventions: a solution cell between ``### BEGIN SOLUTION``
and ``### END SOLUTION`` markers, then a locked test cell that calls a check from a
chapter module here (``distlab.exercises.logical_clocks`` and so on). A check either
prints a short confirmation or raises ``CheckFailed`` (an ``AssertionError``, which
nbgrader counts as a failed test) whose message gives the input that failed, what was
expected, what came back, and a hint. Never a bare "wrong".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["CheckFailed", "fail", "passed", "check_cases", "expect", "call", "need_function",
           "not_written", "STUB_HINT"]

STUB_HINT = "replace the `raise NotImplementedError()` line with your code"


class CheckFailed(AssertionError):
    """An exercise check failed; the message says why and how to fix it."""


def fail(what: str, *, given: Any = None, expected: Any = None, got: Any = None,
         hint: str | None = None) -> None:
    """Raise ``CheckFailed`` with a structured, readable message."""
    lines = [what]
    if given is not None:
        lines.append(f"  input:    {given!r}" if not isinstance(given, str) else f"  input:    {given}")
    if expected is not None:
        lines.append(f"  expected: {expected!r}")
    lines.append(f"  got:      {got!r}")
    if hint:
        lines.append(f"  hint: {hint}")
    raise CheckFailed("\n".join(lines))


def passed(message: str) -> None:
    """Report success (printed, so the reader sees the check ran)."""
    print(f"✔ {message}")


def expect(condition: bool, what: str, *, given: Any = None, expected: Any = None,
           got: Any = None, hint: str | None = None) -> None:
    """``fail(...)`` unless ``condition`` holds."""
    if not condition:
        fail(what, given=given, expected=expected, got=got, hint=hint)


def not_written(name: str) -> None:
    """Fail with the message for a learner's code that is still nbgrader's stub."""
    fail(f"{name} is not written yet (it raises NotImplementedError)",
         got="NotImplementedError", hint=STUB_HINT)


def need_function(fn: Any, name: str,
                  hint: str = "define the function in the cell above and run that cell "
                              "first") -> None:
    """Fail unless the learner handed in something callable."""
    if not callable(fn):
        fail(f"{name}: expected a function", expected="a callable", got=fn, hint=hint)


def call(fn: Callable[..., Any], name: str, args: tuple = (), *, shown: str | None = None,
         given: Any = None, expected: Any = None, hint: str | None = None) -> Any:
    """Call the learner's ``fn(*args)``. A stub (``NotImplementedError``) or any
    exception it raises becomes a ``CheckFailed`` naming the call and its input
    (``shown``: how the arguments are written; ``given``: default ``name(shown)``)."""
    try:
        return fn(*args)
    except NotImplementedError:
        not_written(name)
    except CheckFailed:
        raise
    except Exception as exc:  # the learner's bug: show it as a failed case
        shown = ", ".join(repr(a) for a in args) if shown is None else shown
        fail(f"{name}({shown}) raised {type(exc).__name__}: {exc}",
             given=f"{name}({shown})" if given is None else given, expected=expected,
             got=type(exc).__name__, hint=hint)


def check_cases(fn: Callable[..., Any], cases: Iterable[tuple[tuple, Any]], *, name: str,
                hint: str | None = None,
                same: Callable[[Any, Any], bool] = lambda a, b: a == b) -> int:
    """Call ``fn(*args)`` for each ``(args, expected)``; fail on the first mismatch.

    A function that is still the student stub (it raises ``NotImplementedError``) gets
    a message saying so. Returns how many cases passed.
    """
    need_function(fn, name)
    n = 0
    for args, expected in cases:
        shown = ", ".join(repr(a) for a in args)
        got = call(fn, name, args, shown=shown, given=shown, expected=expected, hint=hint)
        if not same(got, expected):
            fail(f"{name} gave a wrong answer", given=f"{name}({shown})", expected=expected,
                 got=got, hint=hint)
        n += 1
    return n
