"""Maelstrom's wire protocol: JSON lines, message bodies, error codes, and the mapping
between the book's dataclass messages and JSON bodies.

Maelstrom (Kingsbury 2022, ``doc/protocol.md``) runs every node as a process that reads
messages on stdin and writes messages on stdout, one JSON object per line::

    {"src": "c1", "dest": "n1", "body": {"type": "echo", "msg_id": 1, "echo": "hi"}}

A body has a mandatory ``"type"``, an optional integer ``"msg_id"`` (unique among the
messages its sender sends) and, in a reply, ``"in_reply_to"``: the ``msg_id`` of the
request. Anything that is not a message goes to stderr. ``parse_line`` checks one line
against these rules and raises ``ProtocolError`` (with the error code to answer with)
when it breaks them; ``format_line`` writes one.

**Errors.** A node refuses a request with a body ``{"type": "error", "code": c, "text":
..., "in_reply_to": ...}``. ``ErrorCode`` lists Maelstrom's codes; an error is *definite*
when the operation certainly did not happen (the client records ``fail``) and
*indefinite* otherwise (``info``: it may have happened, or may yet). Custom codes
(1000 and above) are indefinite. Handlers raise ``RPCError(code, text)``.

**The mapping** (``Codec``) between a frozen dataclass message and a body:

1. the body's ``"type"`` names the class: its ``TYPE`` class attribute if it has one,
   otherwise the class name in snake case (``EchoOk`` -> ``"echo_ok"``);
2. each field is the body key of the same name; a trailing underscore is dropped, so
   the field ``from_`` is the key ``"from"`` (a Python keyword);
3. a field whose default is ``None`` is optional: left out of the body when it is
   ``None``, and ``None`` when the body lacks it. ``msg_id`` and ``in_reply_to`` are
   such fields, declared by the messages that carry them; a field with no default is
   required, and a body without it is a malformed request (code 12);
4. values are JSON values: ``None``, booleans, numbers, strings, lists or tuples, and
   dicts with string keys. On the way in, JSON arrays become tuples, so a decoded
   message is as immutable as the dataclass around it;
5. keys the class does not declare are ignored on the way in.

The simulator never encodes anything: there, messages stay dataclass objects. Only the
real-process host (``distlab.maelstrom.runtime``) puts them on the wire. Taught in
notebook 2.14 ("Running your node outside the book").
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

__all__ = ["ErrorCode", "ERRORS", "is_definite", "RPCError", "ProtocolError",
           "MaelstromMessage", "parse_line", "format_line", "error_body", "Codec",
           "body_type", "to_json", "from_json", "Init", "InitOk", "Error"]


# --- error codes (doc/protocol.md, "Errors") ---------------------------------------------
class ErrorCode(IntEnum):
    """Maelstrom's error codes (``doc/protocol.md``). Codes 0-999 are Maelstrom's."""

    TIMEOUT = 0
    NODE_NOT_FOUND = 1
    NOT_SUPPORTED = 10
    TEMPORARILY_UNAVAILABLE = 11
    MALFORMED_REQUEST = 12
    CRASH = 13
    ABORT = 14
    KEY_DOES_NOT_EXIST = 20
    KEY_ALREADY_EXISTS = 21
    PRECONDITION_FAILED = 22
    TXN_CONFLICT = 30

    @property
    def maelstrom_name(self) -> str:
        """The name Maelstrom's documentation uses, e.g. ``key-does-not-exist``."""
        return self.name.lower().replace("_", "-")

    @property
    def definite(self) -> bool:
        """Does this error mean the operation certainly did not (and never will) happen?"""
        return self not in (ErrorCode.TIMEOUT, ErrorCode.CRASH)


#: ``(code, name, definite, meaning)`` for every code, as the documentation's table.
ERRORS: tuple[tuple[int, str, bool, str], ...] = (
    (0, "timeout", False, "the operation could not be completed within a timeout"),
    (1, "node-not-found", True, "the request went to a node that does not exist"),
    (10, "not-supported", True, "the node does not implement this operation"),
    (11, "temporarily-unavailable", True,
     "the operation certainly cannot be performed now (e.g. not initialised yet)"),
    (12, "malformed-request", True, "the request could not possibly have been processed"),
    (13, "crash", False, "a general, indefinite error: it may have happened"),
    (14, "abort", True, "a general, definite error: it certainly did not happen"),
    (20, "key-does-not-exist", True, "the key does not exist"),
    (21, "key-already-exists", True, "the key already exists"),
    (22, "precondition-failed", True, "e.g. a compare-and-set found another value"),
    (30, "txn-conflict", True, "the transaction aborted because of a conflict"),
)


def is_definite(code: int) -> bool:
    """Is error ``code`` definite? Unknown and custom codes (1000+) are indefinite."""
    try:
        return ErrorCode(code).definite
    except ValueError:
        return False


class RPCError(Exception):
    """Raised by a handler to refuse a request with one of Maelstrom's error codes.

    >>> raise RPCError(ErrorCode.KEY_DOES_NOT_EXIST, "key 3 does not exist")  # doctest: +SKIP
    """

    def __init__(self, code: int, text: str = "") -> None:
        if isinstance(code, bool) or not isinstance(code, int) or code < 0:
            raise TypeError(f"code must be a non-negative int such as "
                            f"ErrorCode.MALFORMED_REQUEST, got {code!r}")
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {text!r}")
        super().__init__(text or _code_name(code))
        self.code = int(code)
        self.text = text

    @property
    def definite(self) -> bool:
        return is_definite(self.code)

    def __repr__(self) -> str:
        return f"RPCError({_code_name(self.code)}, {self.text!r})"


def _code_name(code: int) -> str:
    try:
        return f"{int(code)} {ErrorCode(code).maelstrom_name}"
    except ValueError:
        return f"{code} (custom)"


class ProtocolError(ValueError):
    """An input line or body that breaks the protocol.

    ``code`` is the error code to answer with; ``src`` and ``msg_id`` are what could be
    recovered from the input (an error reply needs both).
    """

    def __init__(self, reason: str, *, code: int = ErrorCode.MALFORMED_REQUEST,
                 src: str | None = None, msg_id: int | None = None,
                 in_reply_to: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = int(code)
        self.src = src
        self.msg_id = msg_id
        self.in_reply_to = in_reply_to

    @property
    def can_reply(self) -> bool:
        """An error reply needs a sender, a ``msg_id``, and a request (not a reply)."""
        return self.src is not None and self.msg_id is not None and self.in_reply_to is None


# --- lines -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MaelstromMessage:
    """One line of the protocol: ``{"src": ..., "dest": ..., "body": {...}}``."""

    src: str
    dest: str
    body: dict

    @property
    def type(self) -> str:
        return self.body["type"]

    @property
    def msg_id(self) -> int | None:
        return self.body.get("msg_id")

    @property
    def in_reply_to(self) -> int | None:
        return self.body.get("in_reply_to")

    def to_line(self) -> str:
        return format_line(self.src, self.dest, self.body)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_line(line: str | bytes) -> MaelstromMessage:
    """Parse and check one line; raise ``ProtocolError`` saying what is wrong.

    The checks are those of ``doc/protocol.md``: a JSON object with string ``src`` and
    ``dest`` and an object ``body`` whose ``type`` is a non-empty string, whose
    ``msg_id`` and ``in_reply_to``, when present, are integers.
    """
    if isinstance(line, bytes):
        line = line.decode("utf-8", errors="replace")
    if not isinstance(line, str):
        raise TypeError(f"line must be a str or bytes, got {type(line).__name__}")
    text = line.strip()
    if not text:
        raise ProtocolError("empty line (each line must be one JSON message)")
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        detail = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) \
            else str(exc)
        raise ProtocolError(f"not JSON ({detail})") from None
    if not isinstance(data, dict):
        raise ProtocolError(f"a message must be a JSON object with src, dest and body; got "
                            f"a JSON {_json_kind(data)}")
    src = data.get("src")
    body = data.get("body")
    # What we can recover for an error reply, before complaining about the rest.
    reply_src = src if isinstance(src, str) and src else None
    msg_id = body.get("msg_id") if isinstance(body, dict) else None
    msg_id = msg_id if _is_int(msg_id) else None
    in_reply_to = body.get("in_reply_to") if isinstance(body, dict) else None
    ctx = dict(src=reply_src, msg_id=msg_id,
               in_reply_to=in_reply_to if _is_int(in_reply_to) else None)
    for key in ("src", "dest"):
        if key not in data:
            raise ProtocolError(f"the message has no {key!r} field", **ctx)
        if not isinstance(data[key], str) or not data[key]:
            raise ProtocolError(f"{key!r} must be a non-empty string (a node id such as "
                                f"'n1' or 'c1'), got {data[key]!r}", **ctx)
    if "body" not in data:
        raise ProtocolError("the message has no 'body' field", **ctx)
    if not isinstance(body, dict):
        raise ProtocolError(f"'body' must be a JSON object, got a JSON {_json_kind(body)}",
                            **ctx)
    if "type" not in body:
        raise ProtocolError("the body has no 'type' field", **ctx)
    if not isinstance(body["type"], str) or not body["type"]:
        raise ProtocolError(f"the body's 'type' must be a non-empty string, got "
                            f"{body['type']!r}", **ctx)
    for key in ("msg_id", "in_reply_to"):
        if key in body and body[key] is not None and not _is_int(body[key]):
            raise ProtocolError(f"the body's {key!r} must be an integer, got {body[key]!r}",
                                **{**ctx, key: None})
    return MaelstromMessage(data["src"], data["dest"], body)


def _json_kind(value: Any) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null",
            dict: "object"}.get(type(value), "number")


def format_line(src: str, dest: str, body: dict) -> str:
    """One protocol line (no newline): compact JSON, keys in a fixed order."""
    return json.dumps({"src": src, "dest": dest, "body": body}, separators=(",", ":"),
                      allow_nan=False)


def error_body(code: int, text: str = "", in_reply_to: int | None = None) -> dict:
    """The body of an error reply: ``{"type": "error", "code": ..., "text": ...}``."""
    body: dict[str, Any] = {"type": "error", "code": int(code)}
    if text:
        body["text"] = text
    if in_reply_to is not None:
        body["in_reply_to"] = in_reply_to
    return body


# --- JSON values ---------------------------------------------------------------------------
def to_json(value: Any, where: str = "value") -> Any:
    """``value`` as plain JSON data (tuples become lists); TypeError if JSON cannot carry it."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where} is {value!r}, which JSON cannot carry")
        return value
    if isinstance(value, (list, tuple)):
        return [to_json(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError(f"{where} has the key {k!r}: JSON object keys are strings "
                                f"(send a list of [key, value] pairs instead)")
            out[k] = to_json(v, f"{where}[{k!r}]")
        return out
    raise TypeError(f"{where} holds a {type(value).__name__} ({value!r}), which JSON cannot "
                    f"carry; send plain data (numbers, strings, lists, dicts), e.g. a "
                    f"CRDT's entries() rather than the CRDT object")


def from_json(value: Any) -> Any:
    """Decoded JSON with every array turned into a tuple (recursively)."""
    if isinstance(value, list):
        return tuple(from_json(v) for v in value)
    if isinstance(value, dict):
        return {k: from_json(v) for k, v in value.items()}
    return value


# --- the dataclass <-> body mapping ------------------------------------------------------------
def _snake(name: str) -> str:
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def body_type(cls: type) -> str:
    """The body ``type`` of a message class: ``cls.TYPE``, or its name in snake case."""
    explicit = cls.__dict__.get("TYPE")
    return explicit if isinstance(explicit, str) and explicit else _snake(cls.__name__)


@dataclass(frozen=True, slots=True)
class _Field:
    attr: str        # the dataclass field
    key: str         # the body key
    optional: bool   # default None: left out when None


class Codec:
    """The two-way mapping between message dataclasses and Maelstrom bodies.

    ``Codec(Echo, EchoOk)`` knows ``Init``, ``InitOk``, ``Error`` and the classes given.
    ``encode(msg) -> dict`` and ``decode(body) -> msg`` follow the rules in this
    module's docstring. Two classes with the same body type are refused.
    """

    def __init__(self, *classes: type) -> None:
        self._by_type: dict[str, type] = {}
        self._fields: dict[type, tuple[_Field, ...]] = {}
        for cls in (Init, InitOk, Error, *classes):
            self.add(cls)

    def add(self, cls: type) -> None:
        """Register one message class (a frozen dataclass)."""
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise TypeError(f"messages must be dataclass classes, got {cls!r}")
        if not cls.__dataclass_params__.frozen:
            raise TypeError(f"{cls.__name__} must be a frozen dataclass "
                            f"(@dataclass(frozen=True, slots=True)): messages are values")
        kind = body_type(cls)
        if cls in self._fields:
            return
        if kind in self._by_type:
            raise ValueError(f"{cls.__name__} and {self._by_type[kind].__name__} both have the "
                             f"body type {kind!r}; give one a TYPE class attribute, or use "
                             f"separate codecs (one per workload)")
        fields = []
        for f in dataclasses.fields(cls):
            key = f.name[:-1] if f.name.endswith("_") else f.name
            if key == "type":
                raise ValueError(f"{cls.__name__}.{f.name}: 'type' is the body's reserved key")
            fields.append(_Field(f.name, key, f.default is None))
        self._by_type[kind] = cls
        self._fields[cls] = tuple(fields)

    @property
    def types(self) -> tuple[str, ...]:
        """The body types this codec knows, sorted."""
        return tuple(sorted(self._by_type))

    def __contains__(self, item: object) -> bool:
        return item in self._by_type or item in self._fields

    def __repr__(self) -> str:
        return f"Codec({', '.join(self.types)})"

    def class_of(self, kind: str) -> type | None:
        return self._by_type.get(kind)

    def encode(self, msg: Any) -> dict:
        """The JSON body of ``msg``: ``{"type": ..., field: value, ...}``."""
        cls = type(msg)
        fields = self._fields.get(cls)
        if fields is None:
            raise TypeError(f"{cls.__name__} is not one of this node's message classes "
                            f"({', '.join(c.__name__ for c in self._fields)}); add it to the "
                            f"node class's `messages`")
        body: dict[str, Any] = {"type": body_type(cls)}
        for f in fields:
            value = getattr(msg, f.attr)
            if value is None and f.optional:
                continue
            body[f.key] = to_json(value, f"{cls.__name__}.{f.attr}")
        return body

    def decode(self, body: dict) -> Any:
        """The message a body stands for; ``ProtocolError`` (code 10 or 12) if it cannot."""
        if not isinstance(body, dict) or not isinstance(body.get("type"), str):
            raise ProtocolError(f"a body must be a JSON object with a string 'type', "
                                f"got {body!r}")
        kind = body["type"]
        msg_id = body.get("msg_id") if _is_int(body.get("msg_id")) else None
        cls = self._by_type.get(kind)
        if cls is None:
            raise ProtocolError(f"unknown message type {kind!r}; this node knows "
                                f"{', '.join(self.types)}", code=ErrorCode.NOT_SUPPORTED,
                                msg_id=msg_id, in_reply_to=body.get("in_reply_to"))
        args = {}
        for f in self._fields[cls]:
            if f.key in body:
                args[f.attr] = from_json(body[f.key])
            elif not f.optional:
                raise ProtocolError(f"a body of type {kind!r} needs the field {f.key!r}",
                                    msg_id=msg_id, in_reply_to=body.get("in_reply_to"))
        for key in ("msg_id", "in_reply_to"):
            if args.get(key) is not None and not _is_int(args[key]):
                raise ProtocolError(f"{key!r} must be an integer, got {args[key]!r}")
        return cls(**args)


# --- the messages every node shares (doc/protocol.md) ----------------------------------------
@dataclass(frozen=True, slots=True)
class Init:
    """Maelstrom -> node, first of all: your id, and every node's id (yours included)."""

    node_id: str
    node_ids: tuple[str, ...]
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class InitOk:
    """Node -> Maelstrom: initialised."""

    in_reply_to: int | None = None
    msg_id: int | None = None


@dataclass(frozen=True, slots=True)
class Error:
    """A refusal: ``code`` from ``ErrorCode`` (or 1000+), and an explanation."""

    code: int
    text: str | None = None
    in_reply_to: int | None = None
    msg_id: int | None = None

    @property
    def definite(self) -> bool:
        return is_definite(self.code)

    def __repr__(self) -> str:
        text = f", {self.text!r}" if self.text else ""
        reply = f", in_reply_to={self.in_reply_to}" if self.in_reply_to is not None else ""
        return f"Error({_code_name(self.code)}{text}{reply})"
