"""Seeded randomness: one seed per run, independent child streams.

A simulation takes one seed. Every consumer of randomness (each node, each directed
link, the fault injector) gets its own child stream derived from that seed and a stable
name, in the spirit of QuantEcon's ``check_random_state`` and TigerBeetle's VOPR. A child
stream depends only on (seed, name), so extra traffic on one link does not change the
random choices made on another: runs stay comparable when a learner changes one thing.

Seeding ``random.Random`` with a ``str`` hashes it with SHA-512, which does not depend on
``PYTHONHASHSEED``: the same seed gives the same streams in every interpreter.
"""

from __future__ import annotations

import random

from . import _check

__all__ = ["check_random_state", "child_stream", "seed_of"]


def check_random_state(seed: int | random.Random) -> random.Random:
    """Turn ``seed`` into a ``random.Random``.

    An ``int`` gives a fresh generator seeded with it; a ``random.Random`` is used as is.
    ``None`` is refused on purpose: every run in this book is a function of its seed.
    """
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        raise TypeError("seed must be an int or a random.Random; None is not allowed "
                        "because every run must be reproducible from its seed")
    _check.integer("seed", seed)
    return random.Random(seed)


def seed_of(seed: int | random.Random) -> int:
    """An integer seed for deriving child streams (drawn once from a generator)."""
    if isinstance(seed, random.Random):
        return seed.getrandbits(64)
    if seed is None:
        raise TypeError("seed must be an int or a random.Random; None is not allowed "
                        "because every run must be reproducible from its seed")
    return _check.integer("seed", seed)


def child_stream(seed: int, *names: str) -> random.Random:
    """An independent generator for the consumer called ``names`` under ``seed``."""
    return random.Random(f"distlab:{seed}:" + "/".join(names))
