"""Where the disk went: a snapshot read with ``usage: true`` made into one account per host.

Pure: ``account(snap)`` adds up what the reader measured (``snap["usage"]``) and what Docker
recorded (layerdb sizes, containerd's committed snapshot sizes) into parts, per filesystem,
and sets the sum against the filesystem's used bytes: the rest is "not accounted for".

Parts (``KINDS``, the order a report stacks them in):

- ``image_layers_shared`` / ``image_layers_unique`` / ``image_layers_unused``: image layers
  (or committed snapshots) used by 2+ images, by one, by none
- ``content_store``: containerd's compressed blobs (the containerd store keeps each image twice)
- ``writable_layers``: containers' writable layers and their ``-init`` layers
- ``logs``: containers' log files with their rotated files
- ``volumes``: the engine's volumes
- ``build_cache``: BuildKit's store and its snapshot dirs
- ``orphans``: layer or snapshot dirs nothing names (OVL-008, CTD-004 find them)
- ``other_snapshots``: containerd snapshots neither an image's nor a container's (another
  namespace's, another tool's)
- ``metadata``: everything else under the roots: the layer database, configs, databases
- ``filesystem``: the filesystem's own use: what it used empty (docker_storage records it
  when it makes the filesystem) and, on xfs, its inodes (ext4 keeps them outside df's used)
- ``open_deleted``: deleted files a process still holds open (``lsof +L1`` shows them)

A size that cannot be known is listed in ``cannot_size`` with the reason, never counted as 0;
the filesystems it lies on are then ``complete: false``.

Where a size Docker recorded and a walk of the same dir are both known (``walked_layers``:
image layers, containerd's committed snapshots and init layers), the walk is counted and the
two are compared (``Ledger.compare``): apart by more than block rounding, they are listed in
``disagreements`` with both figures, the dir, and which is counted and why.

Per image: its layers' (snapshots') bytes, shared (used by 2+ images) and unique; on the
containerd store also its content-store blobs apart (``image_blob_bytes``: the sizes
containerd recorded in meta.db, shared and unique the same way).
"""

from __future__ import annotations

import os
import re
from typing import Any

from .overlay2 import BUILD_CACHE_ID, chain_ids
from .snapshot import layerdb, mounts

Snapshot = dict[str, Any]

KINDS = (
    "image_layers_shared",
    "image_layers_unique",
    "image_layers_unused",
    "content_store",
    "writable_layers",
    "logs",
    "volumes",
    "build_cache",
    "orphans",
    "other_snapshots",
    "metadata",
    "filesystem",
    "open_deleted",
)

# what Docker writes in a layerdb size file: decimal digits (str.isdigit takes '²' too)
NUMBER = re.compile(r"[0-9]+")

# json-file and local keep logs on the data root; local rotates unless told not to
# (daemon/logger/local: max-size 20m, max-file 5 by default)
FILE_DRIVERS = ("json-file", "local")
# an image's content-store figures (containerd store only)
BLOB_FIELDS = ("blobs", "blob_bytes", "blob_shared_bytes", "blob_unique_bytes")


# a filesystem's allocation unit when the snapshot names none (statvfs f_frsize: ext4's and
# xfs's default)
BLOCK = 4096


class Ledger:
    """The parts as they are added up, per filesystem (by device number)."""

    def __init__(self, filesystems: dict[str, dict[str, Any]]) -> None:
        self.filesystems = filesystems
        self.parts: dict[int, dict[str, int]] = {}
        self.cannot: list[dict[str, Any]] = []
        self.incomplete: set[int] = set()
        self.disagreements: list[dict[str, Any]] = []

    def block_size(self, dev: int | None) -> int:
        """The allocation unit of the filesystem with device ``dev`` (BLOCK if unknown)."""
        for fs in self.filesystems.values():
            if dev is not None and fs.get("dev") == dev and fs.get("block_size"):
                return int(fs["block_size"])
        return BLOCK

    def compare(
        self, what: str, path: str, recorded: int | None, walk: dict[str, Any] | None
    ) -> None:
        """Set a size Docker recorded against a walk of the same dir. The two count different
        things by at most block rounding: overlay2 records apparent bytes of ``diff/``,
        containerd allocated bytes of ``fs/``, the walk allocated bytes of the whole dir (its
        ``link``, ``lower``, ``work/``): at most one block per inode walked. More than that
        apart is a disagreement, listed with both figures; the walk is what is counted."""
        if recorded is None or walk is None or "error" in walk:
            return
        walked, files = int(walk["bytes"]), int(walk.get("files", 0))
        block = self.block_size(walk.get("dev"))
        allowed = files * block
        if abs(walked - recorded) <= allowed:
            return
        self.disagreements.append(
            {
                "what": what,
                "path": path,
                "recorded": recorded,
                "walked": walked,
                "counted": "walked",
                "reason": f"Docker recorded {recorded} bytes, a walk of the dir found {walked}"
                f" bytes in {files} inodes: {abs(walked - recorded)} bytes apart, more than"
                f" block rounding ({files} inodes x {block} bytes = {allowed}); the walk is"
                " counted: it is what the disk holds",
            }
        )

    def dev_of(self, path: str) -> int | None:
        """The device of the root filesystem ``path`` lies under (the longest root)."""
        best, dev = -1, None
        for fs in self.filesystems.values():
            root = fs.get("path", "")
            inside = path == root or path.startswith(root.rstrip("/") + "/")
            if "dev" in fs and inside and len(root) > best:
                best, dev = len(root), fs["dev"]
        return dev

    def add(
        self,
        kind: str,
        size: int | None,
        path: str,
        what: str,
        why: str = "",
        dev: int | None = None,
    ) -> int | None:
        """Count ``size`` bytes of ``path`` as ``kind``; None: it cannot be sized (``why``)."""
        dev = self.dev_of(path) if dev is None else dev
        if size is None:
            self.cannot.append({"what": what, "path": path, "reason": why})
            if dev is not None:
                self.incomplete.add(dev)
            return None
        if dev is not None:
            totals = self.parts.setdefault(dev, dict.fromkeys(KINDS, 0))
            totals[kind] += size
        return size

    def add_walk(self, kind: str, walk: dict[str, Any] | None, path: str, what: str) -> int | None:
        """Count a walk's bytes; a missing or failed walk cannot be sized."""
        if walk is None:
            return self.add(kind, None, path, what, "it was not measured")
        if "error" in walk:
            return self.add(kind, None, path, what, str(walk["error"]))
        return self.add(kind, int(walk["bytes"]), path, what, dev=walk.get("dev"))


def recorded_layer_size(entry: dict[str, str]) -> tuple[int | None, str]:
    """An overlay2 layer's size from its layerdb ``size`` file, or why there is none."""
    text = entry.get("size")
    if text is None:
        return None, "its layerdb size file is missing or unreadable"
    if not text.strip():
        return None, "its layerdb size file is empty"
    if not NUMBER.fullmatch(text.strip()):
        return None, f"its layerdb size file holds {text[:40]!r}, not a number"
    return int(text.strip()), ""


def store_layers(snap: Snapshot) -> tuple[str, str, dict[str, tuple[str, int | None, str]]]:
    """(store, dir of the layer dirs, {layer key: (dir name, recorded size, why none)}):
    the image layers by chain id, as overlay2's layerdb or containerd's committed snapshots
    of Docker's namespace hold them."""
    if "overlay2" in snap:
        home = str(snap["overlay2"].get("home", ""))
        found = {
            chain: (entry.get("cache_id", ""), *recorded_layer_size(entry))
            for chain, entry in layerdb(snap).items()
        }
        return "overlay2", home, found
    section = snap.get("containerd") or {}
    base = os.path.join(str(section.get("snapshots_dir", "")), "snapshots")
    found = {}
    for key, entry in section.get("snapshots", {}).items():
        if entry.get("kind") == "committed" and key.startswith("sha256:"):
            size = entry.get("size")
            why = "" if size is not None else "containerd recorded no size for the snapshot"
            found[key] = (entry.get("id", ""), size, why)
    return "containerd", base, found


def image_blob_bytes(snap: Snapshot, cannot: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each image's content-store blobs (containerd store), apart from its unpacked snapshots:
    ``blobs`` (how many), ``blob_bytes`` (the sizes containerd recorded for them),
    ``blob_shared_bytes`` (blobs 2+ images keep: a base layer) and ``blob_unique_bytes``; all
    None when the content could not be read or a blob's size is not recorded, and why is
    added to ``cannot`` (the content store's own bytes are walked: none go uncounted)."""
    section = snap.get("containerd") or {}
    content: dict[str, int | None] = section.get("content") or {}
    listed: dict[str, list[str]] = section.get("image_blobs") or {}
    users: dict[str, int] = {}
    for image in snap.get("images", []):
        for digest in dict.fromkeys(listed.get(image["id"], [])):
            users[digest] = users.get(digest, 0) + 1
    rows: dict[str, dict[str, Any]] = {}
    for image in snap.get("images", []):
        digests = list(dict.fromkeys(listed.get(image["id"], [])))
        sizes = [content.get(d) for d in digests]
        why = (
            f"containerd's content records cannot be read: {section['content_error']}"
            if section.get("content_error")
            else "its blobs were not read"
            if image["id"] not in listed
            else f"containerd recorded no size for blob {digests[sizes.index(None)]}"
            if None in sizes
            else ""
        )
        if why:
            cannot.append(
                {"what": f"content-store blobs of image {image['id']}", "path": "", "reason": why}
            )
            rows[image["id"]] = dict.fromkeys(BLOB_FIELDS)
            continue
        total = sum(s or 0 for s in sizes)
        shared = sum(s or 0 for d, s in zip(digests, sizes) if users[d] > 1)
        rows[image["id"]] = {
            "blobs": len(digests),
            "blob_bytes": total,
            "blob_shared_bytes": shared,
            "blob_unique_bytes": total - shared,
        }
    return rows


def container_dirs(snap: Snapshot, base: str) -> dict[str, tuple[str, str]]:
    """{container id: (writable layer dir, init layer dir)} on either store."""
    dirs = {}
    if "overlay2" in snap:
        for cid, entry in mounts(snap).items():
            mount, init = entry.get("mount_id", ""), entry.get("init_id", "")
            dirs[cid] = (
                os.path.join(base, mount) if mount else "",
                os.path.join(base, init) if init else "",
            )
        return dirs
    found = (snap.get("containerd") or {}).get("snapshots", {})
    for container in snap.get("containers", []):
        cid = container["id"]
        own, init = found.get(cid, {}), found.get(f"{cid}-init", {})
        dirs[cid] = (
            os.path.join(base, own["id"]) if own.get("id") else "",
            os.path.join(base, init["id"]) if init.get("id") else "",
        )
    return dirs


def log_rotation(container: dict[str, Any]) -> tuple[bool | None, str]:
    """Whether the container's log file is rotated, as it was created (None: it keeps no
    log file here), and the rotation in words."""
    driver = container.get("log_driver", "")
    options = container.get("log_options", {})
    if driver not in FILE_DRIVERS:
        return None, f"{driver or 'no'} log driver: no log file on this host"
    size = options.get("max-size", "")
    if driver == "local":
        size = size or "20m"
        return size != "-1", f"local, max-size {size}, max-file {options.get('max-file', '5')}"
    if not size or size == "-1":
        return False, "json-file without max-size: the log grows without limit"
    return True, f"json-file, max-size {size}, max-file {options.get('max-file', '1')}"


def size_of(
    walks: dict[str, Any], path: str, recorded: int | None, why: str, walked_layers: bool
) -> tuple[int | None, str]:
    """A layer's bytes: the walk when layers were walked, else what Docker recorded."""
    if walked_layers or (recorded is None and path in walks):
        walk = walks.get(path)
        if walk is None:
            return None, "it was not measured"
        if "error" in walk:
            return None, str(walk["error"])
        return int(walk["bytes"]), ""
    return recorded, why


def account(snap: Snapshot) -> dict[str, Any]:
    """The host's account (see the module docstring); ValueError when usage was not read."""
    usage = snap.get("usage")
    if not usage:
        raise ValueError("the snapshot holds no usage: read it with usage: true")
    walks: dict[str, Any] = usage.get("walks", {})
    walked_layers = bool(usage.get("walked_layers"))
    ledger = Ledger(usage.get("filesystems", {}))
    store, base, layers = store_layers(snap)

    # image layers: who uses each, shared or unique
    users: dict[str, list[str]] = {key: [] for key in layers}
    for image in snap.get("images", []):
        for chain in dict.fromkeys(chain_ids(image.get("diff_ids", []))):
            users.setdefault(chain, []).append(image["id"])
    layer_rows = []
    sizes: dict[str, int | None] = {}
    for key, (name, recorded, why) in sorted(layers.items()):
        path = os.path.join(base, name)
        size, why = size_of(walks, path, recorded, why, walked_layers)
        if walked_layers:
            ledger.compare(f"image layer {key}", path, recorded, walks.get(path))
        count = len(users.get(key, []))
        kind = (
            ("image_layers_unused", "image_layers_unique")[count]
            if count < 2
            else ("image_layers_shared")
        )
        sizes[key] = ledger.add(kind, size, path, f"image layer {key}", why)
        layer_rows.append({"id": key, "dir": name, "bytes": size, "images": users.get(key, [])})
    image_rows = []
    blobs = image_blob_bytes(snap, ledger.cannot) if store == "containerd" else {}
    for image in snap.get("images", []):
        chains = list(dict.fromkeys(chain_ids(image.get("diff_ids", []))))
        known = [sizes.get(c) for c in chains]
        unknown = any(s is None for s in known)
        shared = sum(sizes.get(c) or 0 for c in chains if len(users.get(c, [])) > 1)
        total = sum(s or 0 for s in known)
        image_rows.append(
            {
                "id": image["id"],
                "tags": image.get("tags", []),
                "layers": len(chains),
                "bytes": None if unknown else total,
                "shared_bytes": None if unknown else shared,
                "unique_bytes": None if unknown else total - shared,
                **blobs.get(image["id"], {}),
            }
        )

    # containers: writable layers, init layers, logs, their effective rotation
    dirs = container_dirs(snap, base)
    writable_dirs = set()
    container_rows = []
    for container in snap.get("containers", []):
        cid = container["id"]
        upper, init = dirs.get(cid, ("", ""))
        row: dict[str, Any] = {
            "id": cid,
            "name": container.get("name", ""),
            "running": bool(container.get("running")),
        }
        for field, path in (("writable_bytes", upper), ("init_bytes", init)):
            if not path:
                ledger.cannot.append(
                    {
                        "what": f"{field[:-6]} layer of container {row['name']}",
                        "path": "",
                        "reason": "the store names no dir for it",
                    }
                )
                row[field] = None
                continue
            writable_dirs.add(path)
            walk = walks.get(path)
            key = f"{cid}-init"
            entry = (snap.get("containerd") or {}).get("snapshots", {}).get(key, {})
            if field == "init_bytes" and store == "containerd" and walked_layers:
                ledger.compare(
                    f"init layer of container {row['name']}", path, entry.get("size"), walk
                )
            if walk is None and field == "init_bytes" and store == "containerd":
                # an init layer whose size is recorded (containerd commits it)
                row[field] = ledger.add(
                    "writable_layers",
                    entry.get("size"),
                    path,
                    f"init layer of container {row['name']}",
                    "containerd recorded no size for it",
                )
                continue
            row[field] = ledger.add_walk(
                "writable_layers", walk, path, f"{field[:-6]} layer of container {row['name']}"
            )
        log = usage.get("logs", {}).get(cid)
        rotates, rotation = log_rotation(container)
        row.update(
            log_path=(log or {}).get("path") or container.get("log_path", ""),
            log_driver=container.get("log_driver", ""),
            rotates=rotates,
            rotation=rotation,
            log_bytes=None,
        )
        if rotates is not None:
            row["log_bytes"] = ledger.add_walk(
                "logs", log, row["log_path"], f"log of container {row['name']}"
            )
        container_rows.append(row)

    # volumes, and which containers use them
    by_volume: dict[str, list[str]] = {}
    for container in snap.get("containers", []):
        for name in container.get("volumes", []):
            by_volume.setdefault(name, []).append(container.get("name", ""))
    volume_rows = []
    if usage.get("volumes_error"):
        ledger.cannot.append({"what": "volumes", "path": "", "reason": usage["volumes_error"]})
    for volume in usage.get("volumes", []):
        path = volume.get("mountpoint", "")
        size = ledger.add_walk("volumes", walks.get(path), path, f"volume {volume['name']}")
        volume_rows.append(
            {
                "name": volume["name"],
                "driver": volume.get("driver", ""),
                "bytes": size,
                "used_by": sorted(by_volume.get(volume["name"], [])),
            }
        )

    # the store's other dirs: build cache, orphans, snapshots neither images' nor containers'
    named = {os.path.join(base, name) for name, _r, _w in layers.values()} | writable_dirs
    others: set[str] = set()
    if store == "containerd":
        section = snap.get("containerd") or {}
        others = set(section.get("other_ids", []))
        inits = {f"{c['id']}-init" for c in snap.get("containers", [])}
        for key, entry in section.get("snapshots", {}).items():
            path = os.path.join(base, entry.get("id", ""))
            if path in named or key in inits:  # an image's, or a container's (above)
                continue
            named.add(path)
            recorded, why = entry.get("size"), "containerd recorded no size for it"
            size, why = size_of(walks, path, recorded, why, walked_layers)
            if walked_layers:
                ledger.compare(f"snapshot {key}", path, recorded, walks.get(path))
            ledger.add("other_snapshots", size, path, f"snapshot {key}", why)
    if usage.get("content_store"):
        path = usage["content_store"]
        ledger.add_walk("content_store", walks.get(path), path, "containerd's content store")
    build_bytes = 0
    if usage.get("buildkit"):
        path = usage["buildkit"]
        walk = walks.get(path)
        build_bytes += ledger.add_walk("build_cache", walk, path, "BuildKit's store") or 0
    orphan_rows = []
    prefix = base.rstrip("/") + "/"
    for path, walk in sorted(walks.items()):
        if path in named or not path.startswith(prefix):
            continue
        name = path[len(prefix) :]
        if store == "overlay2" and BUILD_CACHE_ID.fullmatch(name):
            build_bytes += ledger.add_walk("build_cache", walk, path, "build cache") or 0
        elif name in others:
            ledger.add_walk("other_snapshots", walk, path, f"snapshot {name} of another namespace")
        else:
            size = ledger.add_walk("orphans", walk, path, f"unreferenced dir {name}")
            orphan_rows.append({"path": path, "bytes": size})
    for path, walk in sorted(usage.get("rest", {}).items()):
        ledger.add_walk("metadata", walk, path, f"the rest of {path}")
    for fs in ledger.filesystems.values():
        empty = fs.get("used_when_empty")
        if isinstance(empty, int) and "dev" in fs:
            inodes = int(fs.get("inode_size") or 0) * int(fs.get("inodes_used") or 0)
            ledger.add("filesystem", empty + inodes, fs["path"], "the filesystem", dev=fs["dev"])
    for item in usage.get("open_deleted", []):
        ledger.add(
            "open_deleted",
            item.get("bytes"),
            item.get("path", ""),
            f"deleted file held open by {item.get('command')}",
            dev=item.get("dev"),
        )

    return {
        "store": store,
        "layer_sizes": "walked" if walked_layers else "recorded",
        "filesystems": reconcile(ledger),
        "layers": layer_rows,
        "images": image_rows,
        "containers": container_rows,
        "volumes": volume_rows,
        "build_cache_bytes": build_bytes,
        "orphans": orphan_rows,
        "open_deleted": list(usage.get("open_deleted", [])),
        "cannot_size": ledger.cannot,
        "disagreements": ledger.disagreements,
    }


def reconcile(ledger: Ledger) -> list[dict[str, Any]]:
    """Each filesystem once (the data root's and containerd's root may share one): its
    numbers, its parts, and what the parts leave of its used bytes."""
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    for name, fs in ledger.filesystems.items():
        row = {"name": name, **{k: v for k, v in fs.items() if k not in ("dev", "inode_size")}}
        dev = fs.get("dev")
        if dev is None or dev in seen:
            if dev is None:
                rows.append(row)
            continue
        seen.add(dev)
        parts = ledger.parts.get(dev, dict.fromkeys(KINDS, 0))
        accounted = sum(parts.values())
        used = int(fs.get("used", 0))
        row.update(
            parts=parts,
            accounted=accounted,
            unaccounted=used - accounted,
            unaccounted_percent=round(100.0 * (used - accounted) / used, 2) if used else 0.0,
            complete=dev not in ledger.incomplete,
        )
        rows.append(row)
    return rows


TOP = 10  # the largest items of each kind a brief account keeps


def largest(rows: list[dict[str, Any]], field: str, top: int) -> list[dict[str, Any]]:
    """The ``top`` rows with the most bytes in ``field`` (unknown sizes left out)."""
    sized = [row for row in rows if row.get(field) is not None]
    return sorted(sized, key=lambda row: (-row[field], str(row.get("name", ""))))[:top]


def brief(account_: dict[str, Any], top: int = TOP) -> dict[str, Any]:
    """What a compliance run brings back of a host's account: its filesystems with their
    parts, and the largest items of each kind (the whole account lists every layer)."""
    containers = account_["containers"]
    return {
        "store": account_["store"],
        "layer_sizes": account_["layer_sizes"],
        "filesystems": account_["filesystems"],
        "writable_layers": [
            {"name": c["name"], "id": c["id"], "bytes": c["writable_bytes"]}
            for c in largest(containers, "writable_bytes", top)
        ],
        "logs": [
            {"name": c["name"], "id": c["id"], "bytes": c["log_bytes"], "rotates": c["rotates"]}
            for c in largest(containers, "log_bytes", top)
        ],
        "unrotated_logs": sum(c["rotates"] is False for c in containers),
        "volumes": largest(account_["volumes"], "bytes", top),
        "unused_volumes": sum(not v["used_by"] for v in account_["volumes"]),
        "images": largest(account_["images"], "bytes", top),
        "build_cache_bytes": account_["build_cache_bytes"],
        "orphans": largest(account_["orphans"], "bytes", top),
        "open_deleted": account_["open_deleted"][:top],
        "cannot_size": account_["cannot_size"][:top],
        "cannot_size_count": len(account_["cannot_size"]),
        "disagreements": account_["disagreements"][:top],
        "disagreement_count": len(account_["disagreements"]),
    }
