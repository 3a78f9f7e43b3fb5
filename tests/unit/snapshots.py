"""Synthetic overlay2_facts snapshots, shaped like the real ones, for checks and reports.

``healthy()`` is a host with one two-layer image and one running container from it, laid out
as Docker lays it out (see ../shared/DESIGN.md, overlay2 on disk). Tests break one thing.
"""

from __future__ import annotations

import copy
import hashlib
from typing import Any

HOME = "/var/lib/docker/overlay2"
BASE, TOP, CONTAINER = "b" * 64, "c" * 64, "f" * 64
INIT = f"{CONTAINER}-init"
CID = "9" * 64
DIFFS = ["sha256:" + "1" * 64, "sha256:" + "2" * 64]
LINKS = {BASE: "BASELINKAAAAAAAAAAAAAAAAAA", TOP: "TOPLINKAAAAAAAAAAAAAAAAAAA"}
LINKS.update({INIT: "INITLINKAAAAAAAAAAAAAAAAA", CONTAINER: "CONTLINKAAAAAAAAAAAAAAAAA"})


def chain(parent: str, diff: str) -> str:
    return "sha256:" + hashlib.sha256(f"{parent} {diff}".encode()).hexdigest()


TOP_CHAIN = chain(DIFFS[0], DIFFS[1])
# the image's config: a base (its one layer), COPY and CMD (no layer of its own)
HISTORY = [
    {"created_by": "/bin/sh -c #(nop) ADD file:0123 in / ", "empty_layer": False},
    {"created_by": "COPY . /app # buildkit", "empty_layer": False},
    {"created_by": 'CMD ["python", "/app/app.py"]', "empty_layer": True},
]
# what the reader says of the option source when none is given
NO_SOURCE = {
    "path": "",
    "exists": False,
    "realpath": "",
    "is_block": False,
    "is_file": False,
    "size": 0,
    "signature": {},
    "xfs_ftype": None,
    "xfs_isize": None,
}


def regular_file(mode: int, size: int) -> dict[str, Any]:
    """A root-owned regular file as the reader describes it (describe_path)."""
    return {
        "type": "file",
        "mode": mode,
        "size": size,
        "uid": 0,
        "gid": 0,
        "sha256": hashlib.sha256(str(size).encode()).hexdigest(),
    }


def parts(*names: str) -> dict[str, dict[str, Any]]:
    kinds = {"diff": "dir", "work": "dir", "merged": "dir"}
    return {n: {"type": kinds.get(n, "file"), "mode": 0o755} for n in names}


def layer(name: str, lower: list[str], *extra: str) -> dict[str, Any]:
    names = ("diff", "link", "lower", "work") if lower else ("diff", "link")
    return {
        "mode": 0o710,
        "parts": parts(*names, *extra),
        "link": LINKS[name],
        "lower": [f"l/{LINKS[n]}" for n in lower],
    }


def healthy() -> dict[str, Any]:
    """A host with image ``app`` (base + one layer) and container ``web`` running from it."""
    lower = [f"{HOME}/{d}/diff" for d in (INIT, TOP, BASE)]
    snap = {
        "data_root": "/var/lib/docker",
        "docker": {
            "answers": True,
            "engine_version": "28.5.2",
            "driver": "overlay2",
            "driver_status": {"Backing Filesystem": "xfs", "Supports d_type": "true"},
            "d_type": True,
            "backing_filesystem": "xfs",
            "root_dir": "/var/lib/docker",
            "images": 1,
            "containers": 1,
            "validate_supported": True,
            "live_restore": False,
            "userns": False,
            "logging_driver": "json-file",
            "error": "",
        },
        "daemon_json": {
            "exists": True,
            "path": "/etc/docker/daemon.json",
            "told_by": "dockerd's default: no --config-file is given",
            "content": {"storage-driver": "overlay2", "data-root": "/var/lib/docker"},
            "error": "",
            "file": regular_file(0o644, 64),
            "backups": [],
        },
        "config_dir": {
            "path": "/etc/docker",
            "file": {"type": "dir", "mode": 0o755, "size": 4096, "uid": 0, "gid": 0, "opaque": ""},
        },
        "unit": {
            "found": True,
            "masked": False,
            "path": "/lib/systemd/system/docker.service",
            "file": regular_file(0o644, 1600),
            "drop_ins": ["/etc/systemd/system/docker.service.d/10-layerwise-storage.conf"],
            "needs_reload": False,
            "flag_conflicts": [],
            "log_flags": [],
            "requires_mounts_for": ["/var/lib/docker"],
            "config_file": "",
            "started_at": 1_800_000_000.0,
            "config_at_start": True,
            "restart_pending": [],
        },
        "audit": {"available": True, "watched": ["/var/lib/docker", "/etc/docker"], "error": ""},
        "backing_fs": {
            "exists": True,
            "mounted": True,
            "mount_point": "/var/lib/docker",
            "device": "/dev/vdb",
            "realdevice": "/dev/vdb",
            "backing_file": "",
            "fstype": "xfs",
            "options": ["rw", "relatime", "attr2", "inode64", "logbsize=32k", "noquota"],
            "xfs_ftype": 1,
            "xfs_isize": 512,
            "device_bytes": 100 << 30,
            "fs_bytes": 100 << 30,
            "fstab": [
                {
                    "source": "/dev/vdb",
                    "fstype": "xfs",
                    "options": ["defaults"],
                    "dump": "0",
                    "passno": "0",
                }
            ],
            "bytes_total": 10 * 2**30,
            "bytes_free": 8 * 2**30,
            "inodes_total": 5_000_000,
            "inodes_free": 4_900_000,
        },
        "overlay2": {
            "home": HOME,
            "exists": True,
            "mode": 0o710,
            "links_mode": 0o700,
            "layers": {
                BASE: layer(BASE, [], "committed"),
                TOP: layer(TOP, [BASE], "committed"),
                INIT: layer(INIT, [TOP, BASE], "committed"),
                CONTAINER: layer(CONTAINER, [INIT, TOP, BASE], "merged"),
            },
            "links": {lid: f"../{name}/diff" for name, lid in LINKS.items()},
            "other": {},
            "buildkit": False,
        },
        "layerdb": {
            "layers": {
                DIFFS[0]: {"cache_id": BASE, "diff": DIFFS[0], "size": "100"},
                TOP_CHAIN: {"cache_id": TOP, "diff": DIFFS[1], "parent": DIFFS[0], "size": "50"},
            },
            "mounts": {CID: {"mount_id": CONTAINER, "init_id": INIT, "parent": TOP_CHAIN}},
        },
        "images": [
            {
                "id": "sha256:" + "a" * 64,
                "tags": ["app:latest"],
                "diff_ids": DIFFS,
                "history": HISTORY,
            }
        ],
        "containers": [
            {
                "id": CID,
                "name": "web",
                "image": "sha256:" + "a" * 64,
                "status": "running",
                "running": True,
                "log_path": LOG,
                "log_driver": "json-file",
                "log_options": {"max-size": "10m", "max-file": "3"},
                "volumes": ["data"],
                "snapshotter": "",
                "graph_driver": {
                    "name": "overlay2",
                    "data": {
                        "LowerDir": ":".join(lower),
                        "UpperDir": f"{HOME}/{CONTAINER}/diff",
                        "WorkDir": f"{HOME}/{CONTAINER}/work",
                        "MergedDir": f"{HOME}/{CONTAINER}/merged",
                    },
                },
            }
        ],
        "overlay_mounts": [
            {
                "mount_point": f"{HOME}/{CONTAINER}/merged",
                "lowerdir": [f"{HOME}/l/{LINKS[d]}" for d in (INIT, TOP, BASE)],
                "upperdir": f"{HOME}/{CONTAINER}/diff",
                "workdir": f"{HOME}/{CONTAINER}/work",
            }
        ],
        "source": NO_SOURCE,
        "xfs_quota_supported": False,
        "capabilities": {"sys_admin": True, "sys_resource": True},
        "files": {},
        "digests": {},
        "usage": usage(),
        "summary": {
            "engine_version": "28.5.2",
            "driver": "overlay2",
            "image_store": "graphdriver",
            "backing_filesystem": "xfs",
            "storage_keys": {"storage-driver": "overlay2", "data-root": "/var/lib/docker"},
        },
        "elapsed": 0.05,
    }
    return copy.deepcopy(snap)


LOG = f"/var/lib/docker/containers/{CID}/{CID}-json.log"
VOLUME = "/var/lib/docker/volumes/data/_data"


def walked(path: str, size: int) -> dict[str, Any]:
    return {"path": path, "dev": 1, "bytes": size, "files": 3}


def usage() -> dict[str, Any]:
    """What ``usage: true`` (layers walked) measures on the healthy host: its data root's
    filesystem holds the two image layers, the container's writable and init layers,
    its log, a volume and Docker's records, and nothing else."""
    parts = {
        f"{HOME}/{BASE}": 100,
        f"{HOME}/{TOP}": 50,
        f"{HOME}/{CONTAINER}": 8192,
        f"{HOME}/{INIT}": 4096,
        VOLUME: 1 << 20,
    }
    used = sum(parts.values()) + 12288 + 65536
    return {
        "walked_layers": True,
        "filesystems": {
            "data_root": {
                "path": "/var/lib/docker",
                "dev": 1,
                "mount_point": True,
                "size": 10 * 2**30,
                "used": used,
                "free": 10 * 2**30 - used,
                "inodes": 5_000_000,
                "inodes_used": 100,
                "inodes_free": 4_999_900,
            }
        },
        "walks": {path: walked(path, size) for path, size in parts.items()},
        "logs": {CID: {"path": LOG, "bytes": 12288, "files": 1}},
        "volumes": [{"name": "data", "driver": "local", "mountpoint": VOLUME}],
        "volumes_error": "",
        "content_store": "",
        "buildkit": "",
        "rest": {"/var/lib/docker": walked("/var/lib/docker", 65536)},
        "open_deleted": [],
    }


def add_unreferenced_layer(snap: dict[str, Any], name: str, link: str) -> None:
    """A base-shaped layer dir with its l/ link that no layerdb entry names."""
    snap["overlay2"]["layers"][name] = {
        "mode": 0o710,
        "parts": parts("diff", "link"),
        "link": link,
        "lower": [],
    }
    snap["overlay2"]["links"][link] = f"../{name}/diff"
