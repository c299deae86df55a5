"""Command line: check Jepsen-style histories for linearizability.

    python -m distlab.consistency --format etcd|kv FILE...

One line per file, ``FILE: linearizable|not linearizable|unknown (S s)``. Exit status:
1 if any file is not linearizable; otherwise 2 if any verdict is unknown (time limit)
or a file could not be parsed; otherwise 0.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from . import models
from .linearizability import check_linearizable
from .parsers import ParseError, parse_file

MODELS = {"register": models.register, "kv": models.kv,
          "kv-map": lambda: models.kv(partitioned=False)}
DEFAULT_MODEL = {"etcd": "register", "kv": "kv"}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m distlab.consistency",
                                description="Check histories for linearizability (Wing & Gong "
                                            "search with Lowe's memoisation, keys checked "
                                            "independently).",
                                epilog="Exit status: 0 all linearizable; 1 some history is not "
                                       "linearizable; 2 unknown (time limit) or parse error.")
    p.add_argument("--format", required=True, choices=["etcd", "kv"],
                   help="etcd: Jepsen etcd register logs; kv: Porcupine's kv logs")
    p.add_argument("--model", choices=sorted(MODELS),
                   help="sequential model (default: register for etcd, kv for kv)")
    p.add_argument("--timeout", type=float, default=60.0,
                   help="seconds per file before answering 'unknown' (default 60)")
    p.add_argument("files", nargs="+", metavar="FILE")
    args = p.parse_args(argv)
    if args.timeout <= 0:
        p.error("--timeout must be positive")
    model = MODELS[args.model or DEFAULT_MODEL[args.format]]()

    any_bad = any_unknown = False
    for name in args.files:
        start = time.monotonic()
        try:
            ops = parse_file(name, args.format)
        except ParseError as exc:
            print(f"{name}: parse error: {exc}", file=sys.stderr)
            any_unknown = True
            continue
        except OSError as exc:
            print(f"{name}: cannot read: {exc.strerror or exc}", file=sys.stderr)
            any_unknown = True
            continue
        deadline = start + args.timeout
        try:
            result = check_linearizable(ops, model, stop=lambda: time.monotonic() > deadline)
        except (ValueError, TypeError) as exc:
            print(f"{name}: cannot check with the {model.name} model: {exc}", file=sys.stderr)
            any_unknown = True
            continue
        elapsed = time.monotonic() - start
        print(f"{name}: {result.verdict} ({elapsed:.2f} s)", flush=True)
        any_bad |= result.verdict == "not linearizable"
        any_unknown |= result.verdict == "unknown"
    return 1 if any_bad else 2 if any_unknown else 0


if __name__ == "__main__":
    sys.exit(main())
