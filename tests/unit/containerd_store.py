"""A containerd image store made from real data: the snapshotter metadata.db, snapshot dirs
and rootfs mounts a private containerd 1.6.20 (Debian 12) wrote when driven with ``ctr -n moby
snapshots --snapshotter overlayfs prepare/commit/view/rm`` the way dockerd drives it:

- image A: three layers keyed by chain id (ids 1, 2, 3); image B: A's base and one layer (4);
- container web (active 6 over web-init 5 over A's top) and api (active 8 over api-init 7
  over B's top), each with its rootfs overlay mounted (api's with relative lowerdirs);
- container gone: committed (docker commit) into A's layers + one (11, a child of gone-init
  9), then removed: gone-init stays, as it has a child;
- a view (build-view, 133) and 120 snapshots of another namespace (branch and overflow pages).

``ctr ... snapshots ls`` of the moby namespace is in containerd-moby-snapshots-ls.txt.
"""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path
from typing import Any

from . import snapshots as s

FIXTURES = Path(__file__).parent / "fixtures"
DB = gzip.decompress((FIXTURES / "containerd-overlayfs-metadata.db.gz").read_bytes())
MADE = json.loads((FIXTURES / "containerd-moby-made.json").read_text())
LS = (FIXTURES / "containerd-moby-snapshots-ls.txt").read_text()
DIRS = (FIXTURES / "containerd-snapshot-dirs.txt").read_text()
MOUNTINFO = (FIXTURES / "containerd-mountinfo.txt").read_text()
WEB, API, GONE = MADE["ids"]["web"], MADE["ids"]["stopped"], MADE["ids"]["gone"]
REAL_ROOT = "/tmp/ctdB"  # where the private containerd ran
INFO = {
    "Driver": "overlayfs",
    "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]],
    "Containerd": {
        "Address": "/run/containerd/containerd.sock",
        "Namespaces": {"Containers": "moby", "Plugins": "plugins.moby"},
    },
}


def ctr_ls() -> dict[str, tuple[str, str]]:
    """``ctr snapshots ls`` as {key: (parent, kind)}."""
    rows = [line.split() for line in LS.splitlines()[1:]]
    return {r[0]: (r[1] if len(r) == 3 else "", r[-1].lower()) for r in rows}


def make_tree(base: Path) -> tuple[Path, str]:
    """The real containerd root under ``base``: metadata.db and snapshots/<N>/{fs,work}.

    Returns the root and the mountinfo text with its paths moved under ``base``.
    """
    root = base / "root"
    snapshotter = root / "io.containerd.snapshotter.v1.overlayfs"
    for line in DIRS.splitlines():
        name, *parts = line.split()
        for part in parts:
            (snapshotter / "snapshots" / name / part).mkdir(parents=True)
    (snapshotter / "metadata.db").write_bytes(DB)
    return root, MOUNTINFO.replace(REAL_ROOT, str(base))


def image(name: str, diffs: list[str]) -> dict[str, Any]:
    return {
        "id": "sha256:" + name.encode().hex().ljust(64, "0"),
        "tags": [name],
        "diff_ids": diffs,
        "history": [{"created_by": f"layer {n}", "empty_layer": False} for n in range(len(diffs))],
    }


IMAGES = [
    image("app:latest", MADE["diffs_a"]),
    image("other:latest", MADE["diffs_b"]),
    image("committed:latest", [*MADE["diffs_a"], MADE["d5"]]),
]


def container(cid: str, name: str, image_entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": cid,
        "name": name,
        "image": image_entry["id"],
        "status": "running",
        "running": True,
        # Docker 24-28: GraphDriver names the snapshotter, with no data
        "graph_driver": {"name": "overlayfs", "data": {}},
        "snapshotter": "overlayfs",
        "log_path": "",
        "log_driver": "none",
        "log_options": {},
        "volumes": [],
    }


FEATURES = {"containerd-snapshotter": True}


def blob(name: str) -> str:
    return "sha256:" + name.encode().hex().ljust(64, "0")


# the content store's blobs (meta.db's recorded sizes): app and committed share the base
# layers' blobs B0, B1, B2, other shares B0; each has its manifest and config; stray is no
# image's
BLOBS = {
    blob(n): size
    for n, size in (
        ("B0", 100_000), ("B1", 20_000), ("B2", 3_000), ("Bo", 7_000), ("B5", 500),
        ("mApp", 400), ("cApp", 900), ("mOther", 410), ("cOther", 800),
        ("mCom", 420), ("cCom", 950), ("stray", 60),
    )
}  # fmt: skip
IMAGE_BLOBS = {
    IMAGES[0]["id"]: [blob(n) for n in ("mApp", "cApp", "B0", "B1", "B2")],
    IMAGES[1]["id"]: [blob(n) for n in ("mOther", "cOther", "B0", "Bo")],
    IMAGES[2]["id"]: [blob(n) for n in ("mCom", "cCom", "B0", "B1", "B2", "B5")],
}


def healthy(section: dict[str, Any]) -> dict[str, Any]:
    """A Docker 28 host on the containerd store, with ``section`` read from the real tree."""
    snap = s.healthy()
    for key in ("overlay2", "layerdb"):
        del snap[key]
    snap["docker"].update(
        driver="overlayfs",
        driver_status={"driver-type": "io.containerd.snapshotter.v1"},
        d_type=None,
        backing_filesystem="",
        images=len(IMAGES),
        containers=2,
    )
    snap["daemon_json"]["content"] = {"features": dict(FEATURES)}
    snap["overlay_mounts"] = []
    snap["images"] = copy.deepcopy(IMAGES)
    snap["containers"] = [container(WEB, "web", IMAGES[0]), container(API, "api", IMAGES[1])]
    snap["containerd"] = copy.deepcopy(section)
    snap["containerd"]["on_data_root_filesystem"] = True
    snap["containerd"].update(
        content=dict(BLOBS), image_blobs=copy.deepcopy(IMAGE_BLOBS), content_error=""
    )
    snap["summary"].update(
        driver="overlayfs", image_store="containerd", storage_keys={"features": dict(FEATURES)}
    )
    return snap
