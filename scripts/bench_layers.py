#!/usr/bin/env python3
"""Time the reader (usage: true), the accounting and the judge on N crafted layers:
bench_layers.py [--store S] N [N ...].

No Docker needed: for each N it lays out an image store and answers the engine's GET calls on
a unix socket of its own. ``--store overlay2`` (the default): a data root as Docker 20.10-28
lays it out (images of up to 110 layers, as scripts/bench_images.py loads them: layer dirs
with diff/, link, lower, work/, committed; the l/ links; the layer database; the images'
configs). ``--store containerd``: the containerd image store as Docker 28 lays it out with its
own containerd (root ``<data-root>/containerd/daemon``): the overlayfs snapshotter's bbolt
metadata.db (written by scripts/boltwrite.py) with each image layer a committed snapshot
keyed by its chain id, its snapshots/<N>/{fs,work} dirs, the content store's index, manifest
and config of each image, and a few containers, each an active snapshot over a committed
``<id>-init``, running with their rootfs overlays mounted in a mount namespace of the bench's
own (``unshare -m``; stopped, without mounts, where that is not allowed).

Each run is a fresh python3 pinned to one core (taskset -c 0; entered into that namespace
with nsenter) that imports the zipapp the hosts get (layerwise.shipping), reads the snapshot,
judges it with every check and encodes it as JSON, as the module does on a host. A run fails
if a check of the store (OVL-... or CTD-...) does not pass. Prints, per N, the median of RUNS
runs: wall (python start included) and where it goes.

    python -m scripts.bench_layers 1111 10000     # RUNS=5 by default; BENCH_RUNS=9 for more
    python -m scripts.bench_layers --store containerd 1111 10000
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

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import bolt
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts.containerd import (
    ARCHES,
)
from layerwise import shipping
from scripts import boltwrite

CHAIN = 110  # layers per image, as make bench loads them
BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

# One fresh process: import the zipapp, read, judge, encode (as a host does); the phases'
# seconds on stderr.
CHILD = """\
import sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])  # the zipapp: the reader and the judge as shipped to hosts
import json
import layerwise_checks
from layerwise_facts import encode, snapshot, standalone_params
t1 = time.perf_counter()
snap = snapshot(standalone_params(["-c", "--params", sys.argv[2]]))
t2 = time.perf_counter()
snap["accounting"] = layerwise_checks.account(snap)
t2a = time.perf_counter()
snap["results"] = layerwise_checks.results(snap)
snap["findings"] = layerwise_checks.failed(snap["results"])
t3 = time.perf_counter()
out = encode(snap)  # as the reader run on a host encodes it
t4 = time.perf_counter()
sys.stdout.write(out)
sys.stderr.write(json.dumps({"import": t1 - t0, "read": t2 - t1, "account": t2a - t2,
                             "judge": t3 - t2a,
                             "json": t4 - t3, "inside": time.perf_counter() - t0}))
"""


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def lid(number: int) -> str:
    """A 26-character l/ link id, as Docker makes them (base32)."""
    digits = "".join(BASE32[(number >> (5 * i)) & 31] for i in range(26))
    return digits[::-1]


class Crafted:
    """An image store on disk and what the engine says of it."""

    def __init__(
        self,
        info: dict[str, Any],
        images: list[dict[str, Any]],
        containers: list[dict[str, Any]] | None = None,
        mounts: list[str] | None = None,
    ) -> None:
        self.info = info
        self.images = images
        self.containers = containers or []  # docker inspect of each
        self.mounts = mounts or []  # shell commands mounting running containers' rootfs


def craft_overlay2(root: Path, count: int) -> Crafted:
    """A data root with ``count`` image layers on overlay2."""
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
    return Crafted(
        info={
            "Driver": "overlay2",
            "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]],
            "ServerVersion": "26.1.5",
        },
        images=images,
    )


# ---- the containerd image store ---------------------------------------------------------------

CONTAINERS = 3  # running containers, one on each of the first images
OWN_CONTAINERD = "/var/run/docker/containerd/containerd.sock"  # dockerd's own containerd
GO_EPOCH = 62135596800  # seconds from Go's zero time (year 1) to 1970


def uvarint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out + bytes([value]))


def go_time(seconds: float) -> bytes:
    """Go's time.MarshalBinary of a UTC time (version 1), as containerd stores createdat."""
    whole = int(seconds)
    nanos = int((seconds - whole) * 1e9)
    return b"\x01" + (whole + GO_EPOCH).to_bytes(8, "big") + nanos.to_bytes(4, "big") + b"\xff\xff"


class Snapshotter:
    """The overlayfs snapshotter's metadata (v1/snapshots, v1/parents) and snapshot dirs, as
    containerd's metadata layer drives it: each snapshot is prepared under one backend key
    ``moby/<seq>/<key>`` and committed under a new one, keeping its id."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.snapshots: dict[bytes, Any] = {}
        self.parents: dict[bytes, bytes] = {}
        self.ids: dict[str, int] = {}  # user key -> id
        self.backend: dict[str, bytes] = {}  # user key -> backend key
        self.seq = 0
        self.now = 1_760_000_000.0

    def add(self, key: str, parent: str, kind: int, labels: dict[str, str] | None = None) -> int:
        """Snapshot ``key`` over ``parent`` (kind 2 active, 3 committed), with its dir."""
        snap_id = len(self.ids) + 1
        self.seq += 2 if kind == 3 else 1  # a committed one was prepared under another key
        backend = f"moby/{self.seq}/{key}".encode()
        self.now += 0.25
        entry: dict[bytes, Any] = {
            b"id": uvarint(snap_id),
            b"kind": bytes([kind]),
            b"createdat": go_time(self.now),
            b"updatedat": go_time(self.now),
        }
        if parent:
            entry[b"parent"] = self.backend[parent]
            self.parents[uvarint(self.ids[parent]) + b"\0" + uvarint(snap_id)] = backend
        if kind == 3:
            entry.update({b"inodes": uvarint(3), b"size": uvarint(8192)})
        if labels:
            entry[b"labels"] = {k.encode(): v.encode() for k, v in labels.items()}
        self.snapshots[backend] = entry
        self.ids[key], self.backend[key] = snap_id, backend
        files = self.home / "snapshots" / str(snap_id) / "fs" / "bench"
        files.mkdir(parents=True)
        (files / "layer").write_text(f"{key}\n")
        (files / "id").write_text(f"{snap_id}\n")
        (self.home / "snapshots" / str(snap_id) / "work").mkdir()
        return snap_id

    def write(self) -> None:
        snapshots = boltwrite_bucket(self.snapshots, sequence=len(self.ids))
        tree = {b"v1": {b"snapshots": snapshots, b"parents": self.parents}}
        boltwrite.write(str(self.home / "metadata.db"), tree)
        (self.home / "snapshots").chmod(0o700)


def boltwrite_bucket(entries: dict[bytes, Any], sequence: int) -> bolt.Bucket:
    """A nested dict as a bucket that keeps its sequence (containerd's last snapshot id)."""
    return bolt.Bucket(
        values={k: v for k, v in entries.items() if isinstance(v, bytes)},
        buckets={k: boltwrite_bucket(v, 0) for k, v in entries.items() if isinstance(v, dict)},
        sequence=sequence,
    )


class Content:
    """containerd's content store: blobs/sha256/<hex>."""

    def __init__(self, home: Path) -> None:
        self.blobs = home / "blobs" / "sha256"
        self.blobs.mkdir(parents=True)
        # what containerd's meta.db records of each blob: v1/moby/content/blob/<digest>
        self.records: dict[bytes, Any] = {}

    def put(self, media_type: str, blob: dict[str, Any]) -> dict[str, Any]:
        """Store ``blob``; its descriptor. A manifest's gc.ref labels name its config and
        layers, as containerd's pull and moby's builds label them."""
        raw = json.dumps(blob, separators=(",", ":")).encode()
        digest = hashlib.sha256(raw).hexdigest()
        (self.blobs / digest).write_bytes(raw)
        children = [blob["config"], *blob["layers"]] if "layers" in blob else []
        labels = {
            f"containerd.io/gc.ref.content.{n}".encode(): c["digest"].encode()
            for n, c in enumerate(children)
        }
        self.record(f"sha256:{digest}", len(raw), labels)
        return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(raw)}

    def record(self, digest: str, size: int, labels: dict[bytes, bytes] | None = None) -> None:
        """A blob in meta.db (a layer's is recorded, its file not written: never read)."""
        self.records[digest.encode()] = {b"size": uvarint(size << 1), b"labels": labels or {}}

    def write_meta(self, daemon: Path, images: list[dict[str, Any]]) -> None:
        """containerd's meta.db: moby's images (name -> target) and content records."""
        names = {
            image["RepoTags"][0].encode(): {b"target": {b"digest": image["Id"].encode()}}
            for image in images
        }
        tree = {b"v1": {b"moby": {b"images": names, b"content": {b"blob": self.records}}}}
        path = daemon / "io.containerd.metadata.v1.bolt" / "meta.db"
        path.parent.mkdir(parents=True)
        boltwrite.write(str(path), tree)


def craft_containerd(root: Path, count: int, running: bool) -> Crafted:
    """The containerd store of dockerd's own containerd with ``count`` image layers."""
    daemon = root / "containerd" / "daemon"
    home = daemon / "io.containerd.snapshotter.v1.overlayfs"
    snapshotter = Snapshotter(home)
    content = Content(daemon / "io.containerd.content.v1.content")
    arch = ARCHES.get(os.uname().machine, os.uname().machine)
    images: list[dict[str, Any]] = []
    tops: list[tuple[str, str]] = []  # (image id, top chain id)
    for first in range(0, count, CHAIN):
        size = min(CHAIN, count - first)
        diffs, chain = [], ""
        for number in range(first, first + size):
            diff = f"sha256:{sha(f'diff {number}')}"
            parent, chain = chain, diff if not chain else f"sha256:{sha(f'{chain} {diff}')}"
            snapshotter.add(chain, parent, 3, {"containerd.io/snapshot.ref": chain})
            diffs.append(diff)
        config = content.put(
            "application/vnd.oci.image.config.v1+json",
            {
                "architecture": arch,
                "os": "linux",
                "config": {"Cmd": ["true"]},
                "rootfs": {"type": "layers", "diff_ids": diffs},
                "history": [{"created_by": f"RUN layer {n}"} for n in range(size)]
                + [{"created_by": 'CMD ["true"]', "empty_layer": True}],
            },
        )
        layer_type = "application/vnd.oci.image.layer.v1.tar+gzip"
        manifest = content.put(
            "application/vnd.oci.image.manifest.v1+json",
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": config,
                "layers": [
                    {"mediaType": layer_type, "digest": f"sha256:{sha(f'gz {d}')}", "size": 1}
                    for d in diffs
                ],
            },
        )
        for d in diffs:
            content.record(f"sha256:{sha(f'gz {d}')}", 1)
        index = content.put(
            "application/vnd.oci.image.index.v1+json",
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "manifests": [{**manifest, "platform": {"architecture": arch, "os": "linux"}}],
            },
        )
        images.append({"Id": index["digest"], "RepoTags": [f"bench-{first}:latest"]})
        tops.append((index["digest"], chain))
    containers, mounts = [], []
    snapshots = home / "snapshots"
    for number, (image_id, top) in enumerate(tops[:CONTAINERS]):
        cid = sha(f"container {number}")
        init = snapshotter.add(f"{cid}-init", top, 3)
        own = snapshotter.add(cid, f"{cid}-init", 2)
        containers.append(
            {
                "Id": cid,
                "Name": f"/bench-{number}",
                "Image": image_id,
                "State": {"Status": "running" if running else "exited", "Running": running},
                "GraphDriver": {"Name": "overlayfs", "Data": None},
            }
        )
        # the lowerdirs relative to the snapshots dir, as containerd makes long ones
        chain_ids = [top]
        while snapshotter.snapshots[snapshotter.backend[chain_ids[-1]]].get(b"parent"):
            parent = snapshotter.snapshots[snapshotter.backend[chain_ids[-1]]][b"parent"]
            chain_ids.append(parent.decode().split("/", 2)[2])
        lower = ":".join(f"{n}/fs" for n in [init, *(snapshotter.ids[c] for c in chain_ids)])
        target = root / "rootfs" / "overlayfs" / cid
        target.mkdir(parents=True)
        mounts.append(
            f"mount -t overlay overlay -o lowerdir={lower},upperdir={snapshots}/{own}/fs,"
            f"workdir={snapshots}/{own}/work {target}"
        )
    snapshotter.write()
    content.write_meta(daemon, images)
    info = {
        "Driver": "overlayfs",
        "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]],
        "ServerVersion": "28.5.2",
        "Containerd": {
            "Address": OWN_CONTAINERD,
            "Namespaces": {"Containers": "moby", "Plugins": "plugins.moby"},
        },
    }
    return Crafted(info, images, containers, mounts if running else [])


class Namespace:
    """A mount namespace of the bench's own holding the containers' rootfs overlays (a
    sleeping holder process; the mounts go when it ends). ``prefix`` enters it."""

    def __init__(self, snapshots: Path, mounts: list[str]) -> None:
        script = f"cd {snapshots} && {' && '.join(mounts)} && echo ready && exec sleep 86400"
        self.holder = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.holder.stdout is not None
        if self.holder.stdout.readline().strip() != "ready":
            self.holder.wait()
            raise OSError(self.holder.stderr.read().strip() if self.holder.stderr else "unshare")
        self.prefix = ["nsenter", "-t", str(self.holder.pid), "-m", "--"]

    def close(self) -> None:
        self.holder.terminate()
        self.holder.communicate()


# ---- the engine and the runs -------------------------------------------------------------------


class Engine(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """The engine's GET /info, /images/json, /containers/json and inspect, nothing else."""

    daemon_threads = True

    def __init__(self, path: str, root: Path, crafted: Crafted) -> None:
        self.answers: dict[str, Any] = {
            "/info": {
                **crafted.info,
                "DockerRootDir": str(root),
                "Images": len(crafted.images),
                "Containers": len(crafted.containers),
                "LiveRestoreEnabled": False,
                "SecurityOptions": [],
            },
            "/images/json": crafted.images,
            "/containers/json?all=1": [{"Id": c["Id"]} for c in crafted.containers],
            "/volumes": {"Volumes": [], "Warnings": []},
            **{f"/containers/{c['Id']}/json": c for c in crafted.containers},
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


def run_once(zipapp: Path, params: str, store: str, prefix: list[str]) -> dict[str, float]:
    command = [*prefix, "taskset", "-c", "0", sys.executable, "-c", CHILD, str(zipapp), params]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=True)
    wall = time.perf_counter() - started
    phases = json.loads(done.stderr)
    snap = json.loads(done.stdout)
    checks = [r for r in snap["results"] if r["id"].startswith(STORE_CHECKS[store])]
    unhealthy = [r for r in checks if r["status"] != "pass"]
    assert checks, f"no {STORE_CHECKS[store]} check ran"
    assert not unhealthy, f"the crafted store is not healthy: {unhealthy}"
    if store == "containerd":
        assert snap["containerd"]["error"] == "", snap["containerd"]["error"]
        assert snap["containerd"]["content_error"] == "", snap["containerd"]["content_error"]
        blobs = snap["containerd"]["image_blobs"]
        assert blobs, "no image's blobs read"
        assert all(len(b) >= 3 for b in blobs.values()), "each image: index, manifest, config.."
        layers = sum(k.startswith("sha256:") for k in snap["containerd"]["snapshots"])
    else:
        layers = len(snap["overlay2"]["layers"])
    phases.update(wall=wall, start=wall - phases.pop("inside"), layers=layers)
    return phases


def bench(count: int, runs: int, work: Path, zipapp: Path, store: str) -> dict[str, float]:
    root = work / f"root-{count}"
    namespace = None
    if store == "containerd":
        crafted = craft_containerd(root, count, running=True)
        snapshots = root / "containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots"
        try:
            namespace = Namespace(snapshots, crafted.mounts)
        except OSError as exc:
            print(f"  (no mount namespace: {exc}; the containers are stopped, not mounted)")
            shutil.rmtree(root)
            crafted = craft_containerd(root, count, running=False)
    else:
        crafted = craft_overlay2(root, count)
    server = Engine(str(work / f"docker-{count}.sock"), root, crafted)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    params = json.dumps(
        {"docker_host": f"unix://{work}/docker-{count}.sock", "data_root": str(root), "usage": True}
    )
    prefix = namespace.prefix if namespace else []
    try:
        results = [run_once(zipapp, params, store, prefix) for _ in range(runs)]
    finally:
        server.shutdown()
        server.server_close()
        if namespace:
            namespace.close()
        shutil.rmtree(root)
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


STORE_CHECKS = {"overlay2": "OVL", "containerd": "CTD"}


def main(argv: list[str]) -> int:
    args = argv[1:]
    store = "overlay2"
    if args[:1] == ["--store"]:
        store, args = args[1] if len(args) > 1 else "", args[2:]
    if store not in STORE_CHECKS:
        print(f"usage: {argv[0]} [--store overlay2|containerd] N [N ...]", file=sys.stderr)
        return 2
    counts = [int(a) for a in args] or [1111, 10000]
    runs = int(os.environ.get("BENCH_RUNS", "5"))
    with tempfile.TemporaryDirectory(prefix="layerwise-bench-") as tmp:
        work = Path(tmp)
        zipapp = work / "reader.pyz"
        zipapp.write_bytes(shipping.zipapp())
        print(
            f"{store} store: reader (with usage) + accounting + judge, one core (taskset -c 0),"
            " fresh python3, "
            f"median of {runs}:"
        )
        for count in counts:
            m = bench(count, runs, work, zipapp, store)
            per = m["wall"] / count * 1e6
            print(
                f"  {int(m['layers']):>6} layers: wall {m['wall']:.3f} s ({per:.0f} us/layer) = "
                f"start {m['start']:.3f} + import {m['import']:.3f} + read {m['read']:.3f} + "
                f"account {m['account']:.3f} + judge {m['judge']:.3f} + json {m['json']:.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
