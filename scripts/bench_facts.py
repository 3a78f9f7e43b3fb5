#!/usr/bin/env python3
"""Time the overlay2_facts reader on the host it runs on: bench_facts.py READER RUNS [PARAMS].

READER holds the reader's bootstrap (``python -m layerwise.shipping`` writes it). Runs it RUNS
times the way the test suite does (``python3 -c <bootstrap> --params JSON``, a fresh python3 per
run) and prints one JSON object: the layer count, wall seconds per run (interpreter start
included), the reader's own elapsed seconds, the peak RSS of a run and the snapshot's size.
Stdlib only: it runs on the host under test.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as handle:
        reader = handle.read()
    runs = int(sys.argv[2])
    params = sys.argv[3] if len(sys.argv) > 3 else "{}"
    walls, elapsed, size, layers = [], [], 0, 0
    for _ in range(runs):
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-c", reader, "--params", params],
            capture_output=True,
            check=True,
        ).stdout
        walls.append(time.monotonic() - started)
        snap = json.loads(out)
        elapsed.append(snap["elapsed"])
        size = len(out)
        # the graph driver's layer dirs, or the containerd store's snapshots
        layers = len(snap.get("overlay2", {}).get("layers", {})) or len(
            snap.get("containerd", {}).get("snapshots", {})
        )
    print(
        json.dumps(
            {
                "layer_dirs": layers,
                "runs": runs,
                "wall_s": {
                    "min": min(walls),
                    "median": statistics.median(walls),
                    "max": max(walls),
                },
                "module_s": {"min": min(elapsed), "median": statistics.median(elapsed)},
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "snapshot_kb": size / 1024,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
