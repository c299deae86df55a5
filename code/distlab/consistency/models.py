"""Sequential specifications ("models") as data, for the checkers.

A ``Model`` says what one object does when operations are applied one at a time:
an initial state and ``step(state, input, output) -> (legal, new_state)``, where
``input`` is ``(f, argument)`` and ``output`` what the client observed (or ``UNKNOWN``:
then any outcome is legal). States must be hashable. A model may split a history
into independent parts (``partition``: one per key of a key-value map), which is
sound because linearizability is local (Herlihy & Wing 1990, §3.3): a history is
linearizable iff each object's sub-history is.

Provided: ``register`` (read / write / cas), ``kv`` (get / put / append per key),
``set_model`` (add / remove / read) and ``queue`` (enqueue / dequeue). Taught in
notebooks 2.1 and 2.2.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from .operations import UNKNOWN, Op

__all__ = ["Model", "register", "kv", "set_model", "queue"]


@dataclass(frozen=True)
class Model:
    """A sequential specification.

    ``step(state, (f, arg), output)`` returns ``(legal, new_state)``.
    ``partition(ops)`` (optional) returns independent groups of ops.
    """

    name: str
    init: Hashable
    step: Callable[[Any, tuple[str, Any], Any], tuple[bool, Any]]
    partition: Callable[[list[Op]], list[list[Op]]] | None = None
    describe_operation: Callable[[tuple[str, Any], Any], str] = field(
        default=lambda inp, out: f"{inp[0]}({'' if inp[1] is None else repr(inp[1])})"
                                 f" -> {'?' if out is UNKNOWN else repr(out)}")
    describe_state: Callable[[Any], str] = field(default=repr)
    functions: tuple[str, ...] = ()
    #: ``read_only((f, arg), output)``: does this operation leave *every* state as it
    #: is? (Lets the linearizability search prune; ``False`` is always safe.)
    read_only: Callable[[tuple[str, Any], Any], bool] = field(default=lambda inp, out: False)

    def check_functions(self, ops: list[Op]) -> None:
        """Raise ValueError if an op calls a function this model does not know."""
        if not self.functions:
            return
        for op in ops:
            if op.f not in self.functions:
                raise ValueError(f"{op!r}: the {self.name} model has no operation {op.f!r}; "
                                 f"it knows {', '.join(self.functions)}")


# --- a register: read / write / compare-and-set ---------------------------------------
def register(initial: Hashable = None) -> Model:
    """A single read/write/cas register that starts as ``initial`` (None: absent).

    ``read() -> v``; ``write(v)``; ``cas((expected, new)) -> True`` if it swapped,
    ``False`` if the value did not match (Jepsen's failed cas).
    """

    def step(state: Any, inp: tuple[str, Any], out: Any) -> tuple[bool, Any]:
        f, arg = inp
        if f == "read":
            return (out is UNKNOWN or out == state), state
        if f == "write":
            return True, arg
        if f == "cas":
            expected, new = arg
            if out is UNKNOWN:
                return True, (new if state == expected else state)
            if out:
                return state == expected, new
            return state != expected, state
        raise ValueError(f"register has no operation {f!r}")

    def read_only(inp: tuple[str, Any], out: Any) -> bool:
        return inp[0] == "read" or (inp[0] == "cas" and out is False)

    def describe(inp: tuple[str, Any], out: Any) -> str:
        f, arg = inp
        shown = "?" if out is UNKNOWN else ("∅" if out is None else repr(out))
        if f == "read":
            return f"read → {shown}"
        if f == "write":
            return f"write {arg!r}" + (" ?" if out is UNKNOWN else "")
        mark = "?" if out is UNKNOWN else ("✓" if out else "✗")
        return f"cas {arg[0]!r}→{arg[1]!r} {mark}"

    return Model("register", initial, step, functions=("read", "write", "cas"),
                 describe_state=lambda s: "∅" if s is None else repr(s),
                 describe_operation=describe, read_only=read_only)


# --- a key-value map of strings: get / put / append -------------------------------------
def _describe_kv(inp: tuple[str, Any], out: Any) -> str:
    f, arg = inp
    if f == "get":
        return f"get {arg!r} → {'?' if out is UNKNOWN else repr(out)}"
    return f"{f} {arg[0]!r} {arg[1]!r}"


def _key_of(op: Op) -> Any:
    arg = op.input
    return arg if op.f == "get" else arg[0]


def kv(initial: str = "", *, partitioned: bool = True) -> Model:
    """A map from keys to strings (Porcupine's kv model; keys start as ``initial``).

    ``get(key) -> str``; ``put((key, value))``; ``append((key, value))`` concatenates.
    Partitioned per key by default. Unpartitioned, the state is the whole map as a
    sorted tuple of ``(key, value)`` pairs (much slower: for teaching the difference).
    """

    def step_one(state: str, inp: tuple[str, Any], out: Any) -> tuple[bool, str]:
        f, arg = inp
        if f == "get":
            return (out is UNKNOWN or out == state), state
        if f == "put":
            return True, arg[1]
        if f == "append":
            return True, state + arg[1]
        raise ValueError(f"kv has no operation {f!r}")

    if partitioned:
        def partition(ops: list[Op]) -> list[list[Op]]:
            groups: dict[Any, list[Op]] = {}
            for op in ops:
                groups.setdefault(_key_of(op), []).append(op)
            return [groups[k] for k in sorted(groups, key=repr)]

        return Model("kv", initial, step_one, partition=partition,
                     functions=("get", "put", "append"), describe_operation=_describe_kv,
                     describe_state=lambda s: repr(s),
                     read_only=lambda inp, out: inp[0] == "get")

    def step_map(state: tuple, inp: tuple[str, Any], out: Any) -> tuple[bool, tuple]:
        f, arg = inp
        key = arg if f == "get" else arg[0]
        current = dict(state)
        ok, new = step_one(current.get(key, initial), inp, out)
        if new == current.get(key, initial):
            return ok, state
        current[key] = new
        return ok, tuple(sorted(current.items()))

    return Model("kv-map", (), step_map, functions=("get", "put", "append"),
                 read_only=lambda inp, out: inp[0] == "get")


# --- a set: add / remove / read ------------------------------------------------------------
def set_model() -> Model:
    """A set: ``add(x)``, ``remove(x)``, ``read() -> frozenset``."""

    def step(state: frozenset, inp: tuple[str, Any], out: Any) -> tuple[bool, frozenset]:
        f, arg = inp
        if f == "add":
            return True, state | {arg}
        if f == "remove":
            return True, state - {arg}
        if f == "read":
            return (out is UNKNOWN or frozenset(out) == state), state
        raise ValueError(f"set has no operation {f!r}")

    return Model("set", frozenset(), step, functions=("add", "remove", "read"),
                 read_only=lambda inp, out: inp[0] == "read",
                 describe_state=lambda s: "{" + ", ".join(map(repr, sorted(s, key=repr))) + "}")


# --- a FIFO queue: enqueue / dequeue ---------------------------------------------------------
def queue() -> Model:
    """A FIFO queue: ``enqueue(x)``; ``dequeue() -> x``, or ``None`` when empty."""

    def step(state: tuple, inp: tuple[str, Any], out: Any) -> tuple[bool, tuple]:
        f, arg = inp
        if f == "enqueue":
            return True, state + (arg,)
        if f == "dequeue":
            if out is UNKNOWN:
                return True, state[1:]
            if not state:
                return out is None, state
            return out == state[0], state[1:]
        raise ValueError(f"queue has no operation {f!r}")

    return Model("queue", (), step, functions=("enqueue", "dequeue"),
                 # dequeue() -> None (it was empty) changes nothing wherever it is legal
                 read_only=lambda inp, out: inp[0] == "dequeue" and out is None,
                 describe_state=lambda s: "⟨" + ", ".join(map(repr, s)) + "⟩")
