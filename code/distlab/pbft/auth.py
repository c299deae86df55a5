"""Digests and signatures for PBFT, modelled with ``hashlib``.

PBFT needs two things from cryptography (Castro & Liskov 1999, §2): a collision-
resistant **digest** ``D(m)`` of each request, so that replicas can agree on a short
value instead of the whole request, and **authentication**, so that a faulty replica
cannot put words in an honest replica's mouth. The 1999 paper signs every message
(public-key signatures); the TOCS 2002 paper (§3.2) replaces most of them with MACs
for speed. This module models signatures:

- ``canonical(value)`` encodes a message deterministically (never ``hash()`` or a
  ``set``'s order), and ``digest(value)`` is SHA-256 over that encoding;
- ``sign(msg)`` fills the message's ``sig`` field with a keyed SHA-256 of its signed
  fields, under the key of the node named in the message (its ``signer``);
- ``verify(msg)`` recomputes it. Anyone can verify; only the signer can sign.

The model's one convention: a node signs only as itself. Honest replicas and the
Byzantine behaviours of ``distlab.pbft.byzantine`` keep to it (a faulty replica can
sign *any lie* as itself, but ``forge`` only produces a signature that fails to
verify). Keys are derived from node names, so the model is about protocol logic,
not cryptographic strength. Taught in notebook 2.5.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

__all__ = ["canonical", "digest", "signature", "sign", "verify", "forge", "NULL_DIGEST",
           "short"]


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type, skip: tuple[str, ...] = ("sig",)) -> tuple[str, ...]:
    key = (cls, skip)
    names = _FIELDS.get(key)
    if names is None:
        names = _FIELDS[key] = tuple(f.name for f in dataclasses.fields(cls) if f.name not in skip)
    return names


def canonical(value: Any) -> bytes:
    """A deterministic byte encoding of ``value`` (None, bool, int, float, str, bytes,
    tuples, lists and dataclasses made of them). Dataclasses encode their type name
    and every field except ``sig``; a signed message *inside* ``value`` is encoded by
    its signer and signature."""
    out: list[bytes] = []
    _encode(value, out, nested=False)
    return b"".join(out)


def _encode(value: Any, out: list[bytes], nested: bool = True) -> None:
    t = type(value)
    if t is str:
        data = value.encode()
        out.append(b"s%d:" % len(data) + data)
    elif t is int:
        out.append(b"i%d;" % value)
    elif value is None:
        out.append(b"N")
    elif t is bool:
        out.append(b"T" if value else b"F")
    elif t is tuple or t is list:
        out.append(b"(")
        for item in value:
            _encode(item, out)
        out.append(b")")
    elif nested and getattr(value, "sig", ""):
        # A signed message inside another (a prepare in a certificate) is named by its
        # signer and signature: its own signature already binds its content, and a
        # receiver verifies it on its own.
        out.append(b"@" + value.signer.encode() + b":" + value.sig.encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        out.append(b"<" + t.__name__.encode() + b"|")
        for name in _field_names(t):
            _encode(getattr(value, name), out)
        out.append(b">")
    elif isinstance(value, bool):
        out.append(b"T" if value else b"F")
    elif isinstance(value, int):
        out.append(b"i%d;" % value)
    elif isinstance(value, float):
        out.append(b"f" + repr(value).encode() + b";")
    elif isinstance(value, str):
        _encode(str(value), out)
    elif isinstance(value, bytes):
        out.append(b"b%d:" % len(value) + bytes(value))
    elif isinstance(value, (tuple, list)):
        _encode(tuple(value), out)
    else:
        raise TypeError(f"canonical() cannot encode {type(value).__name__} {value!r}: use "
                        f"None, bool, int, float, str, bytes, tuples and dataclasses")


_DIGESTS: dict[int, tuple[Any, str]] = {}


def digest(value: Any) -> str:
    """``D(value)``: SHA-256 of the canonical encoding, as 16 hex digits."""
    hit = _DIGESTS.get(id(value))
    if hit is not None and hit[0] is value:
        return hit[1]
    d = hashlib.sha256(canonical(value)).hexdigest()[:16]
    if dataclasses.is_dataclass(value):           # cache immutable messages by identity
        if len(_DIGESTS) >= 50_000:
            _DIGESTS.clear()
        _DIGESTS[id(value)] = (value, d)
    return d


#: The digest of the null request, which a new primary proposes for sequence numbers
#: nobody prepared (Castro & Liskov 1999, §4.4).
NULL_DIGEST = digest(None)


_KEYS: dict[str, bytes] = {}


def _key(node: str) -> bytes:
    key = _KEYS.get(node)
    if key is None:
        key = _KEYS[node] = hashlib.sha256(b"distlab-pbft-key:" + node.encode()).digest()
    return key


def signature(signer: str, body: bytes) -> str:
    """The signature of ``body`` under ``signer``'s key (12 hex digits)."""
    if not isinstance(signer, str) or not signer:
        raise TypeError(f"signer must be a node id (a non-empty str), got {signer!r}")
    return hashlib.sha256(_key(signer) + body).hexdigest()[:12]


def _body(msg: Any) -> bytes:
    cls = type(msg)
    parts: list[bytes] = [cls.__name__.encode(), b"|"]
    for name in _field_names(cls, getattr(cls, "UNSIGNED", ("sig",))):
        _encode(getattr(msg, name), parts)
    return b"".join(parts)


def _check_message(msg: Any) -> None:
    if not (dataclasses.is_dataclass(msg) and hasattr(msg, "sig") and hasattr(msg, "signer")):
        raise TypeError(f"sign/verify take a PBFT message (a dataclass with 'sig' and "
                        f"'signer'), got {msg!r}")


def sign(msg: Any) -> Any:
    """``msg`` with its ``sig`` field set: signed by ``msg.signer``, the node it names."""
    _check_message(msg)
    signed = dataclasses.replace(msg, sig=signature(msg.signer, _body(msg)))
    _remember(signed, True)
    return signed


# Verified message objects, by identity: a message delivered to three replicas, or
# carried inside certificates, is checked once. The entry keeps the object alive, so
# its id cannot be reused while it is cached. A pure cache: results never change.
_VERIFIED: dict[int, tuple[Any, bool]] = {}


def verify(msg: Any) -> bool:
    """Was ``msg`` signed by the node it names? (False for forged or altered messages.)"""
    hit = _VERIFIED.get(id(msg))
    if hit is not None and hit[0] is msg:
        return hit[1]
    _check_message(msg)
    ok = bool(msg.sig) and msg.sig == signature(msg.signer, _body(msg))
    _remember(msg, ok)
    return ok


def _remember(msg: Any, ok: bool) -> None:
    if len(_VERIFIED) >= 50_000:
        _VERIFIED.clear()
    _VERIFIED[id(msg)] = (msg, ok)


def forge(msg: Any, by: str) -> Any:
    """What a faulty node ``by`` can do with a message naming another node: sign it with
    its *own* key. The result fails ``verify`` unless ``by`` is the named signer."""
    _check_message(msg)
    return dataclasses.replace(msg, sig=signature(by, _body(msg)))


def short(d: str | None) -> str:
    """A digest shortened for printing (``∅`` for the null request)."""
    if d is None:
        return "-"
    return "null" if d == NULL_DIGEST else d[:4]
