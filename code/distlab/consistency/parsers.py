"""Parsers for Jepsen-style histories: etcd register logs and Porcupine's kv logs.

Formats as documented with Porcupine's test data: an etcd log line is
``INFO  jepsen.util - <process> :<type> :<f> <arg>`` (any whitespace between
fields); a kv line is a Clojure map ``{:process 0, :type :invoke, :f :get, :key "7",
:value nil}``. Errors name the file and line. Used by ``python -m distlab.consistency``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .operations import UNKNOWN, Op

__all__ = ["ParseError", "parse_etcd", "parse_kv", "parse_file"]


class ParseError(ValueError):
    """A malformed history line: the message gives the file, the line and why."""

    def __init__(self, source: str, line_no: int, line: str, why: str) -> None:
        self.source, self.line_no, self.line, self.why = source, line_no, line, why
        shown = line if len(line) <= 100 else line[:97] + "..."
        super().__init__(f"{source}:{line_no}: {why}: {shown!r}")


@dataclass
class _Open:
    process: str
    f: str
    arg: Any
    call: float
    line_no: int


_ETCD = re.compile(r"^INFO\s+jepsen\.util\s+-\s+(\d+)\s+:(\w+)\s+:(\w+)\s+(.*?)\s*$")
_INT = re.compile(r"-?\d+")


def _etcd_value(raw: str, source: str, n: int, line: str) -> Any:
    if raw == "nil":
        return None
    if _INT.fullmatch(raw):
        return int(raw)
    raise ParseError(source, n, line, f"expected nil or an integer, got {raw!r}")


def parse_etcd(text: str, source: str = "<etcd log>") -> list[Op]:
    """Jepsen etcd register logs (read / write / cas) as ops, in line order."""
    ops: list[Op] = []
    open_: dict[str, _Open] = {}
    infos: list[_Open] = []
    n_lines = 0
    for n, line in enumerate(text.splitlines(), start=1):
        n_lines = n
        if not line.strip():
            continue
        m = _ETCD.match(line)
        if not m:
            raise ParseError(source, n, line, "not an etcd history line "
                             "('INFO  jepsen.util - <process> :<type> :<f> <value>')")
        process, typ, f, raw = m.groups()
        if f not in ("read", "write", "cas"):
            raise ParseError(source, n, line, f"unknown operation :{f} (read, write, cas)")
        if typ == "invoke":
            if process in open_:
                raise ParseError(source, n, line, f"process {process} invokes while its "
                                 f"operation from line {open_[process].line_no} is open")
            if f == "read":
                arg = None
            elif f == "write":
                arg = _etcd_value(raw, source, n, line)
            else:
                pair = re.fullmatch(r"\[\s*(\S+)\s+(\S+)\s*\]", raw)
                if not pair:
                    raise ParseError(source, n, line, f"cas needs [expected new], got {raw!r}")
                arg = (_etcd_value(pair.group(1), source, n, line),
                       _etcd_value(pair.group(2), source, n, line))
            open_[process] = _Open(process, f, arg, float(n), n)
            continue
        if typ not in ("ok", "fail", "info"):
            raise ParseError(source, n, line, f"unknown type :{typ} (invoke, ok, fail, info)")
        inv = open_.pop(process, None)
        if inv is None:
            raise ParseError(source, n, line, f"process {process} completes an operation "
                             f"it never invoked")
        if inv.f != f:
            raise ParseError(source, n, line, f"completion :{f} does not match the invoked "
                             f":{inv.f} (line {inv.line_no})")
        if typ == "info":
            infos.append(inv)  # unknown outcome: may take effect later, or never
            continue
        if typ == "fail":
            if f == "cas":
                ops.append(Op(len(ops), process, f, inv.arg, False, inv.call, float(n), "fail"))
            elif f == "read":  # a timed-out read: unknown result, harmless
                ops.append(Op(len(ops), process, f, None, UNKNOWN, inv.call, float(n), "fail"))
            # a failed write certainly did not happen: leave it out
            continue
        if f == "read":
            out = _etcd_value(raw, source, n, line)
        elif f == "write":
            out = None
        else:
            out = True
        ops.append(Op(len(ops), process, f, inv.arg, out, inv.call, float(n), "ok"))
    for inv in list(open_.values()) + infos:
        ops.append(Op(len(ops), inv.process, inv.f, inv.arg, UNKNOWN, inv.call, math.inf,
                      "info"))
    return ops


_KV_FIELD = re.compile(r':(\w+)\s+("([^"]*)"|nil|:\w+|-?\d+)')


def parse_kv(text: str, source: str = "<kv log>") -> list[Op]:
    """Porcupine's kv logs (get / put / append on string keys) as ops, in line order."""
    ops: list[Op] = []
    open_: dict[str, _Open] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        s = line.strip()
        if not (s.startswith("{") and s.endswith("}")):
            raise ParseError(source, n, line, "expected a map such as {:process 0, :type "
                             ":invoke, :f :get, :key \"1\", :value nil}")
        fields: dict[str, Any] = {}
        for name, raw, string in _KV_FIELD.findall(s):
            if raw.startswith('"'):
                fields[name] = string
            elif raw == "nil":
                fields[name] = None
            elif raw.startswith(":"):
                fields[name] = raw[1:]
            else:
                fields[name] = int(raw)
        missing = [k for k in ("process", "type", "f", "key", "value") if k not in fields]
        if missing:
            raise ParseError(source, n, line, f"missing field(s) {', '.join(':' + k for k in missing)}")
        process, typ, f, key, value = (str(fields["process"]), fields["type"], fields["f"],
                                       fields["key"], fields["value"])
        if f not in ("get", "put", "append"):
            raise ParseError(source, n, line, f"unknown operation :{f} (get, put, append)")
        if typ == "invoke":
            if process in open_:
                raise ParseError(source, n, line, f"process {process} invokes while its "
                                 f"operation from line {open_[process].line_no} is open")
            arg = key if f == "get" else (key, value)
            open_[process] = _Open(process, f, arg, float(n), n)
            continue
        inv = open_.pop(process, None)
        if inv is None:
            raise ParseError(source, n, line, f"process {process} completes an operation "
                             f"it never invoked")
        if typ == "ok":
            out = value if f == "get" else None
            ops.append(Op(len(ops), process, f, inv.arg, out, inv.call, float(n), "ok"))
        elif typ == "info":
            ops.append(Op(len(ops), process, f, inv.arg, UNKNOWN, inv.call, math.inf, "info"))
        elif typ != "fail":
            raise ParseError(source, n, line, f"unknown type :{typ} (invoke, ok, fail, info)")
    for inv in open_.values():
        ops.append(Op(len(ops), inv.process, inv.f, inv.arg, UNKNOWN, inv.call, math.inf,
                      "pending"))
    return ops


def parse_file(path: str | Path, fmt: str) -> list[Op]:
    """Parse ``path`` as ``fmt`` (``"etcd"`` or ``"kv"``)."""
    if fmt not in ("etcd", "kv"):
        raise ValueError(f"format must be 'etcd' or 'kv', got {fmt!r}")
    path = Path(path)
    try:
        text = path.read_text()
    except UnicodeDecodeError as exc:
        raise ParseError(str(path), 0, "", f"not a text file ({exc.reason})") from None
    return (parse_etcd if fmt == "etcd" else parse_kv)(text, str(path))
