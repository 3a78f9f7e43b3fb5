#!/usr/bin/env python3
"""Run the lanes of `make test` side by side: lanes.py [--jobs N] [--gate NAME] NAME COMMAND ...

Each lane is a shell command (usually `make` targets, each timed by scripts/stage.sh) that
shares nothing with the others but the machine: its own lab hosts, its own reports. At most
N lanes run at once (default 2), started in the order given: longest first keeps the end
short. More lanes than cores does not help a CPU-bound suite: they slow each other down and
poll more while they wait. A lane's whole output goes to reports/lanes/NAME.log; the terminal
gets each stage line (`==> `) as it happens, prefixed with the lane, a line every few minutes
naming the lanes still running, and, for a lane that failed, the end of its log. Exits 1 if
any lane failed, 3 if the lane named by --gate failed (what later lanes need was not made).
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

LOGS = Path("reports/lanes")
HEARTBEAT_S = 300
FAILED_TAIL = 200  # lines of a failed lane's log shown on the terminal
PRINT = threading.Lock()


def say(text: str) -> None:
    with PRINT:
        print(text, flush=True)


def run(name: str, command: str, results: dict[str, tuple[int, float]]) -> None:
    """Run one lane: its output into its log as it comes (pytest's dots too), its stage
    lines onto the terminal."""
    log = LOGS / f"{name}.log"
    began = time.monotonic()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["bash", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        assert proc.stdout is not None
        pending = b""
        while chunk := os.read(proc.stdout.fileno(), 65536):
            out.write(chunk)
            out.flush()
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                if line.startswith(b"==> "):
                    say(f"[{name}] {line.decode(errors='replace').rstrip()}")
        rc = proc.wait()
    results[name] = (rc, time.monotonic() - began)


def main(argv: list[str]) -> int:
    jobs, gate = 2, ""
    while argv[:1] in (["--jobs"], ["--gate"]) and len(argv) > 1:
        if argv[0] == "--gate":
            gate, argv = argv[1], argv[2:]
        elif argv[1].isdigit() and int(argv[1]) > 0:
            jobs, argv = int(argv[1]), argv[2:]
        else:
            break
    if not argv or len(argv) % 2 or (gate and gate not in argv[0::2]):
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    lanes = dict(zip(argv[0::2], argv[1::2]))
    LOGS.mkdir(parents=True, exist_ok=True)
    results: dict[str, tuple[int, float]] = {}
    waiting = queue.Queue[str]()
    for name in lanes:
        waiting.put(name)

    def worker() -> None:
        while True:
            try:
                name = waiting.get_nowait()
            except queue.Empty:
                return
            say(f"==> lane {name}: started")
            run(name, lanes[name], results)

    threads = [threading.Thread(target=worker) for _ in range(min(jobs, len(lanes)))]
    began = time.monotonic()
    say(f"==> {len(lanes)} lanes, {jobs} at a time: {', '.join(lanes)} (logs in {LOGS}/)")
    for thread in threads:
        thread.start()
    last = began
    while any(t.is_alive() for t in threads):
        for thread in threads:
            thread.join(timeout=0.2)  # returns at once when it ended
        if time.monotonic() - last >= HEARTBEAT_S:
            last = time.monotonic()
            done = ", ".join(results) or "none"
            say(f"==> {last - began:.0f} s: lanes done: {done}")
    failed = [name for name in lanes if results.get(name, (1, 0))[0] != 0]
    for name in failed:
        lines = (LOGS / f"{name}.log").read_text(errors="replace").splitlines()
        say(f"\n==> lane {name} FAILED; the last {FAILED_TAIL} lines of {LOGS}/{name}.log:")
        say("\n".join(lines[-FAILED_TAIL:]))
    for name in lanes:
        rc, seconds = results.get(name, (1, 0.0))
        say(f"==> lane {name}: {'ok' if rc == 0 else 'FAILED'} in {seconds:.0f}s")
    if gate in failed:
        return 3
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
