#!/usr/bin/env python3
"""Time the reader and the judge on N crafted overlay2 layers: bench_layers.py N [N ...].

No Docker needed: for each N it lays out a data root as Docker 20.10-28 does (images of up
to 110 layers, as scripts/bench_images.py loads them: layer dirs with diff/, link, lower,
work/, committed; the l/ links; the layer database; the images' configs) and answers the
engine's three GET calls on a unix socket of its own. Each run is a fresh python3 pinned to
one core (taskset -c 0) that imports the zipapp the hosts get (layerwise.shipping), reads the
snapshot, judges it with every check and encodes it as JSON, as the module does on a host.
Prints, per N, the median of RUNS runs: wall (python start included) and where it goes.

    scripts/bench_layers.py 1111 10000     # RUNS=5 by default; BENCH_RUNS=9 for more
"""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import shutil
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from layerwise import shipping  # noqa: E402

CHAIN = 110  # layers per image, as make bench loads them
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

# One fresh process: import the zipapp, read, judge, encode; the phases' seconds on stderr.
CHILD = """\
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
import json
import layerwise_checks
from layerwise_facts import snapshot, standalone_params
t1 = time.perf_counter()
snap = snapshot(standalone_params(["-c", "--params", sys.argv[2]]))
t2 = time.perf_counter()
snap["results"] = layerwise_checks.results(snap)
snap["findings"] = layerwise_checks.failed(snap["results"])
t3 = time.perf_counter()
out = json.dumps(snap)
t4 = time.perf_counter()
sys.stdout.write(out)
sys.stderr.write(json.dumps({"import": t1 - t0, "read": t2 - t1, "judge": t3 - t2,
                             "json": t4 - t3, "inside": time.perf_counter() - t0}))
"""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def lid(number: int) -> str:
    """A 26-character l/ link id, as Docker makes them (base32)."""
    digits = "".join(BASE32[(number >> (5 * i)) & 31] for i in range(26))
    return digits[::-1]


def craft(root: Path, count: int) -> list[dict[str, Any]]:
    """A data root with ``count`` image layers; returns the engine's image list."""
    home, image_root = root / "overlay2", root / "image/overlay2"
    (home / "l").mkdir(parents=True)
    layerdb, imagedb = image_root / "layerdb/sha256", image_root / "imagedb/content/sha256"
    imagedb.mkdir(parents=True)
    layerdb.mkdir(parents=True)
    (image_root / "layerdb/mounts").mkdir(parents=True)
    images: list[dict[str, Any]] = []
    for first in range(0, count, CHAIN):
        size = min(CHAIN, count - first)
        diffs, lower, chain = [], [], ""
        for number in range(first, first + size):
            cache, diff, link = sha(f"dir {number}"), f"sha256:{sha(f'diff {number}')}", lid(number)
            layer = home / cache
            (layer / "diff" / "bench").mkdir(parents=True)
            (layer / "link").write_text(link)
            if lower:
                (layer / "lower").write_text(":".join(lower))
                (layer / "work").mkdir()
            if number < first + size - 1:
                (layer / "committed").touch()
            (home / "l" / link).symlink_to(f"../{cache}/diff")
            parent, chain = chain, diff if not chain else f"sha256:{sha(f'{chain} {diff}')}"
            entry = layerdb / chain.split(":", 1)[1]
            entry.mkdir()
            (entry / "cache-id").write_text(cache)
            (entry / "diff").write_text(diff)
            (entry / "size").write_text("4096")
            (entry / "tar-split.json.gz").write_bytes(b"")
            if parent:
                (entry / "parent").write_text(parent)
            diffs.append(diff)
            lower.insert(0, f"l/{link}")
        config = {
            "rootfs": {"type": "layers", "diff_ids": diffs},
            "history": [{"created_by": f"RUN layer {n}"} for n in range(size)]
            + [{"created_by": 'CMD ["true"]', "empty_layer": True}],
        }
        text = json.dumps(config)
        (imagedb / sha(text)).write_text(text)
        images.append({"Id": f"sha256:{sha(text)}", "RepoTags": [f"bench-{first}:latest"]})
    for path in (home, home / "l", *home.iterdir()):
        path.chmod(0o700 if path.name == "l" else 0o710)
    return images


class Engine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """The engine's GET /info, /images/json and /containers/json, nothing else."""

    daemon_threads = True

    def __init__(self, path: str, root: Path, images: list[dict[str, Any]]) -> None:
        self.answers = {
            "/info": {
                "Driver": "overlay2",
                "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]],
                "DockerRootDir": str(root),
                "ServerVersion": "26.1.5",
                "Images": len(images),
                "Containers": 0,
                "LiveRestoreEnabled": False,
                "SecurityOptions": [],
            },
            "/images/json": images,
            "/containers/json?all=1": [],
        }
        super().__init__(path, Answer)


class Answer(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Engine

    def do_GET(self) -> None:
        body = json.dumps(self.server.answers.get(self.path, {})).encode()
        self.send_response(200 if self.path in self.server.answers else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def run_once(zipapp: Path, params: str) -> dict[str, float]:
    command = ["taskset", "-c", "0", sys.executable, "-c", CHILD, str(zipapp), params]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=True)
    wall = time.perf_counter() - started
    phases = json.loads(done.stderr)
    snap = json.loads(done.stdout)
    store = [f for f in snap["findings"] if f["id"].startswith("OVL")]
    assert not store, f"the crafted store is not healthy: {store}"
    phases.update(
        wall=wall, start=wall - phases.pop("inside"), layers=len(snap["overlay2"]["layers"])
    )
    return phases


def bench(count: int, runs: int, work: Path, zipapp: Path) -> dict[str, float]:
    root = work / f"root-{count}"
    images = craft(root, count)
    server = Engine(str(work / f"docker-{count}.sock"), root, images)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    params = json.dumps(
        {"docker_host": f"unix://{work}/docker-{count}.sock", "data_root": str(root)}
    )
    try:
        results = [run_once(zipapp, params) for _ in range(runs)]
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(root)
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def main(argv: list[str]) -> int:
    counts = [int(a) for a in argv[1:]] or [1111, 10000]
    runs = int(os.environ.get("BENCH_RUNS", "5"))
    with tempfile.TemporaryDirectory(prefix="layerwise-bench-") as tmp:
        work = Path(tmp)
        zipapp = work / "reader.pyz"
        zipapp.write_bytes(shipping.zipapp())
        print(f"reader + judge, one core (taskset -c 0), fresh python3, median of {runs}:")
        for count in counts:
            m = bench(count, runs, work, zipapp)
            per = m["wall"] / count * 1e6
            print(
                f"  {int(m['layers']):>6} layers: wall {m['wall']:.3f} s ({per:.0f} us/layer) = "
                f"start {m['start']:.3f} + import {m['import']:.3f} + read {m['read']:.3f} + "
                f"judge {m['judge']:.3f} + json {m['json']:.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
