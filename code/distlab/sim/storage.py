"""Durable storage: what a node keeps across a crash.

A node's attributes are volatile: a crash throws the node object away, and a restart
builds a fresh one. What the node wrote to ``self.storage`` survives. The runtime applies
a handler's writes before it sends the handler's messages (persist before send, as in
etcd's ``Ready``), and a crash never falls inside a handler, so a message can never
announce a decision that a crash could forget.

Values are copied on write and on read: mutating a list after storing it (or after
reading it) does not silently change what is on "disk".
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["Storage"]

_IMMUTABLE = (int, float, str, bytes, bool, type(None), frozenset)


def _immutable(value: Any, depth: int = 0) -> bool:
    """Scalars, and tuples / frozensets / frozen dataclasses made only of them, and
    values of classes that declare themselves immutable (``__immutable__ = True``,
    e.g. ``distlab.clocks.VectorClock``)."""
    if isinstance(value, _IMMUTABLE) or getattr(type(value), "__immutable__", False):
        return True
    if depth > 12:
        return False
    if isinstance(value, tuple):
        return all(_immutable(v, depth + 1) for v in value)
    params = getattr(type(value), "__dataclass_params__", None)
    if params is not None and params.frozen:
        return all(_immutable(getattr(value, f), depth + 1)
                   for f in type(value).__dataclass_fields__)
    return False


def _snapshot(value: Any) -> Any:
    if _immutable(value):
        return value
    return copy.deepcopy(value)


class Storage:
    """A durable key-value store, one per node, kept by the simulation."""

    __slots__ = ("_data", "_on_write", "writes")

    def __init__(self, on_write: Callable[[str], None] | None = None) -> None:
        self._data: dict[str, Any] = {}
        self._on_write = on_write
        self.writes = 0  # how many durable writes (fsyncs) the node has made

    def __repr__(self) -> str:
        return f"Storage({self._data!r})"

    def _wrote(self, key: str) -> None:
        self.writes += 1
        if self._on_write is not None:
            self._on_write(key)

    @staticmethod
    def _key(key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"storage keys must be str, got {type(key).__name__} {key!r}")
        return key

    def __getitem__(self, key: str) -> Any:
        return _snapshot(self._data[self._key(key)])

    def get(self, key: str, default: Any = None) -> Any:
        """The stored value (a copy), or ``default``."""
        key = self._key(key)
        return _snapshot(self._data[key]) if key in self._data else default

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[self._key(key)] = _snapshot(value)
        self._wrote(key)

    def __delitem__(self, key: str) -> None:
        del self._data[self._key(key)]
        self._wrote(key)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)

    def keys(self) -> list[str]:
        return list(self._data)

    def append(self, key: str, item: Any) -> None:
        """Append ``item`` to the durable list at ``key`` (a log-structured write)."""
        key = self._key(key)
        self._data.setdefault(key, []).append(_snapshot(item))
        self._wrote(key)

    def truncate(self, key: str, length: int) -> None:
        """Keep only the first ``length`` items of the durable list at ``key``."""
        key = self._key(key)
        if not isinstance(length, int) or length < 0:
            raise ValueError(f"length must be a non-negative int, got {length!r}")
        del self._data.setdefault(key, [])[length:]
        self._wrote(key)

    def as_dict(self) -> dict[str, Any]:
        """A copy of everything stored (for tests and state tables)."""
        return copy.deepcopy(self._data)
