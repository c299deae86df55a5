"""Time the linearizability checker on Porcupine's 108 histories.

Usage: python benchmarks/linearizability.py [--repeat R] [--data DIR]

Reads the histories in place (DISTLAB_PORCUPINE_DATA, default ../shared/data/porcupine
next to the repository), checks every verdict, and prints the whole set's time, the
slowest files and the search steps, each the minimum over R runs (the machine is
noisy; the fastest run is the least disturbed). Parsing is timed separately.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

from distlab.consistency import check_linearizable, models, parse_file

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--data", default=os.environ.get("DISTLAB_PORCUPINE_DATA",
                                                    ROOT.parent / "shared" / "data" / "porcupine"))
    a = p.parse_args(argv)
    data = Path(a.data)
    if not (data / "expected.json").is_file():
        print(f"no Porcupine data at {data}", file=sys.stderr)
        return 2
    expected = json.loads((data / "expected.json").read_text())
    histories = {}
    t0 = time.perf_counter()
    for name, want in sorted(expected.items()):
        fmt = "etcd" if want["model"] == "etcd" else "kv"
        histories[name] = (parse_file(data / name, fmt), want["linearizable"],
                           models.register() if fmt == "etcd" else models.kv())
    parse_s = time.perf_counter() - t0

    best: dict[str, float] = {}
    steps: dict[str, int] = {}
    wrong = []
    gc.disable()
    try:
        for _ in range(a.repeat):
            for name, (ops, want, model) in histories.items():
                t = time.perf_counter()
                r = check_linearizable(ops, model)
                dt = time.perf_counter() - t
                best[name] = min(dt, best.get(name, float("inf")))
                steps[name] = r.steps
                if r.linearizable != want and name not in wrong:
                    wrong.append(name)
            gc.collect()
    finally:
        gc.enable()
    etcd = sum(t for n, t in best.items() if n.startswith("etcd/"))
    kv = sum(t for n, t in best.items() if n.startswith("kv/"))
    print(f"histories: {len(best)}  wrong verdicts: {len(wrong)} {wrong if wrong else ''}")
    print(f"parse: {parse_s:.2f} s (once)")
    print(f"check, whole set: {etcd + kv:.2f} s  (etcd {etcd:.2f} s, kv {kv:.2f} s; "
          f"best of {a.repeat} per file)")
    print(f"search steps, whole set: {sum(steps.values()):,}")
    print("slowest files:")
    for name, t in sorted(best.items(), key=lambda kv_: -kv_[1])[:6]:
        print(f"  {name:22s} {t:6.3f} s  {steps[name]:>10,} steps")
    print(f"max per file: {max(best.values()):.3f} s")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
