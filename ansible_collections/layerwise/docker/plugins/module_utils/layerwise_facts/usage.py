"""Where the disk went: the bytes the reader measures, read only (``usage: true``).

Docker records the size of what never changes: the overlay2 layer database keeps each image
layer's ``size`` (the reader reads it with the layerdb), containerd's snapshotter metadata
keeps each committed snapshot's. This unit measures what changes and what nobody records:

- ``filesystems``: the data root's (and containerd root's) filesystem: size, used, free, inodes
- ``walks``: bytes on disk of each dir the accounting asks for: writable layers, volumes,
  layer dirs the layer database does not know (build cache, orphans), the content store
- ``logs``: each container's log file(s)
- ``volumes``: the engine's volumes and where they live
- ``open_deleted``: files deleted under the data root that a process still holds open

Bytes are what the filesystem allocated (``st_blocks * 512``, as ``du`` counts), each inode
once across every walk of one read (hard links, a dir walked twice). A path that cannot be
measured says why (``error``), never 0.
"""

from __future__ import annotations

import json
import os
import re
import stat
from typing import Any

from .files import read_bytes, run

BLOCK = 512  # st_blocks unit
# what docker_storage records of each filesystem it makes: <uuid>.json, {"used_when_empty": N}
RECORDS = "/var/lib/layerwise/filesystems"
CONTAINER_ID = re.compile(r"[0-9a-f]{64}")


def used_when_empty(device: str, records: str = RECORDS) -> int | None:
    """What the filesystem on ``device`` used right after docker_storage made it (its own
    metadata and reserves, as df counts them), from the role's record; None without one."""
    if not device.startswith("/"):
        return None
    rc, out, _err = run(["blkid", "-s", "UUID", "-o", "value", device])
    uuid = out.strip()
    if rc != 0 or not re.fullmatch(r"[0-9A-Fa-f-]{8,64}", uuid):
        return None
    try:
        found = json.loads(read_bytes(os.path.join(records, f"{uuid}.json"), regular=True))
    except (OSError, ValueError):
        return None
    used = found.get("used_when_empty") if isinstance(found, dict) else None
    return used if isinstance(used, int) and not isinstance(used, bool) and used >= 0 else None


def filesystem(path: str) -> dict[str, Any]:
    """The filesystem holding ``path``: bytes and inodes, as ``df`` and ``df -i`` show them."""
    try:
        fs = os.statvfs(path)
        dev = os.stat(path).st_dev
    except OSError as exc:
        return {"path": path, "error": exc.strerror or str(exc)}
    return {
        "path": path,
        "dev": dev,
        "mount_point": os.path.ismount(path),
        "size": fs.f_blocks * fs.f_frsize,
        # its allocation unit: a file's bytes on disk are a multiple of it
        "block_size": fs.f_frsize,
        "used": (fs.f_blocks - fs.f_bfree) * fs.f_frsize,
        # what an unprivileged writer can still use (df's Avail): root's reserve left out
        "free": fs.f_bavail * fs.f_frsize,
        "inodes": fs.f_files,
        "inodes_used": fs.f_files - fs.f_ffree,
        "inodes_free": fs.f_favail,
    }


class Walker:
    """Measures trees on disk, each inode once across every walk it makes: a dir or file
    walked before (under any path: a bind mount shows one dir at two paths), a file with
    more links met before, or a path set aside with ``exclude``, is not counted again."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, int]] = set()

    def exclude(self, paths: list[str]) -> None:
        """Leave ``paths`` out of every later walk (what is sized another way)."""
        for path in paths:
            try:
                info = os.lstat(path)
            except OSError:
                continue
            self.seen.add((info.st_dev, info.st_ino))

    def walk(self, path: str, apparent: bool = False) -> dict[str, Any]:
        """``path``'s bytes on disk and its inode count, on ``path``'s own filesystem (a mount
        below it is not counted); symlinks are not followed. ``apparent``: the sum of st_size
        of everything but dirs instead (how Docker sizes an overlay2 layer). A tree that
        changes while it is walked loses what vanished; a missing ``path`` is an error."""
        try:
            top = os.lstat(path)
        except OSError as exc:
            return {"path": path, "error": exc.strerror or str(exc)}
        found = {"path": path, "dev": top.st_dev, "bytes": 0, "files": 0}
        if (top.st_dev, top.st_ino) in self.seen:
            return found  # counted under another path
        self.seen.add((top.st_dev, top.st_ino))
        total, files = self._count(top, apparent), 1
        dirs = [path] if stat.S_ISDIR(top.st_mode) else []
        seen = self.seen
        while dirs:
            current = dirs.pop()
            try:
                entries = os.scandir(current)
            except OSError:
                continue  # vanished or unreadable while walked
            with entries:
                for entry in entries:
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    key = (info.st_dev, info.st_ino)
                    if info.st_dev != top.st_dev or key in seen:
                        continue
                    directory = stat.S_ISDIR(info.st_mode)
                    if directory or info.st_nlink > 1:
                        seen.add(key)
                    total += self._count(info, apparent)
                    files += 1
                    if directory:
                        dirs.append(entry.path)
        found.update(bytes=total, files=files)
        return found

    @staticmethod
    def _count(info: os.stat_result, apparent: bool) -> int:
        if apparent:
            return 0 if stat.S_ISDIR(info.st_mode) else info.st_size
        return info.st_blocks * BLOCK


def log_files(path: str) -> list[str]:
    """A container's log file and its rotated files (json-file: ``<path>.1``, ``.2.gz``...;
    local: ``container.log.1`` ...), the log file first."""
    directory, name = os.path.split(path)
    try:
        names = os.listdir(directory)
    except OSError:
        return [path]
    rotated = sorted(n for n in names if n.startswith(name + "."))
    return [path] + [os.path.join(directory, n) for n in rotated]


def log_path(container: dict[str, Any], root_dir: str) -> str:
    """Where the container's log file is: the engine's LogPath, which the local driver leaves
    empty (it writes ``<root>/containers/<id>/local-logs/container.log``)."""
    if container.get("log_path") or container.get("log_driver") != "local":
        return str(container.get("log_path", ""))
    return os.path.join(root_dir, "containers", container["id"], "local-logs", "container.log")


def log_usage(path: str, walker: Walker) -> dict[str, Any]:
    """Bytes of a container's log files; an error when the log file itself is missing."""
    if not path:
        return {"path": "", "error": "the engine names no log file (a driver that logs elsewhere)"}
    files = log_files(path)
    first = walker.walk(files[0])
    if "error" in first:
        return first
    rotated = [walker.walk(p) for p in files[1:]]
    return {
        "path": path,
        "bytes": first["bytes"] + sum(r.get("bytes", 0) for r in rotated),
        "files": 1 + len(rotated),
    }


def container_of(pid: str) -> str:
    """The container id in a process's cgroup path, "" for a process outside containers."""
    try:
        with open(f"/proc/{pid}/cgroup", encoding="utf-8", errors="replace") as handle:
            found = CONTAINER_ID.findall(handle.read())
    except OSError:
        return ""
    return found[-1] if found else ""


def open_deleted(roots: list[str], overlays: dict[int, tuple[str, int]]) -> list[dict[str, Any]]:
    """Files deleted under one of ``roots`` that a process still holds open, and files a
    container's process deleted from its root (``overlays``: the device numbers of the
    containers' overlay mounts, see ``overlay_devs``): each with the process (pid,
    command, its container) and the bytes the filesystem cannot free until the file is
    closed. A file open twice is counted once."""
    prefixes = tuple(root.rstrip("/") + "/" for root in roots if root)
    found: dict[tuple[int, int], dict[str, Any]] = {}
    try:
        pids = [p for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return []
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue  # gone, or not ours to read
        for fd in fds:
            try:
                target = os.readlink(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if not target.endswith(" (deleted)"):
                continue
            try:
                info = os.stat(f"{fd_dir}/{fd}")
            except OSError:
                continue
            inside = target.startswith(prefixes) or info.st_dev in overlays
            if not inside or info.st_nlink or not stat.S_ISREG(info.st_mode):
                continue
            key = (info.st_dev, info.st_ino)
            if key in found:
                continue
            mount, dev = overlays.get(info.st_dev, ("", info.st_dev))
            found[key] = {
                "path": target[: -len(" (deleted)")],
                "mount": mount,  # the container's root the path lies in; "" for the host's
                "dev": dev,
                "bytes": info.st_blocks * BLOCK,
                "pid": int(pid),
                "command": command_of(pid),
                "container": container_of(pid),
            }
    return sorted(found.values(), key=lambda f: (-f["bytes"], f["path"]))


def command_of(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def overlay_devs(snap: dict[str, Any]) -> dict[int, tuple[str, int]]:
    """The device number of each container's overlay mount: its mount point, and the device
    of its upper dir (the filesystem whose blocks a file deleted in the container holds)."""
    mounts = snap.get("overlay_mounts", []) + (snap.get("containerd") or {}).get("mounts", [])
    devs = {}
    for mount in mounts:
        try:
            dev = os.stat(mount.get("mount_point", "")).st_dev
            devs[dev] = (mount["mount_point"], os.stat(mount.get("upperdir", "")).st_dev)
        except OSError:
            continue
    return devs


def read_volumes(api: Any) -> list[dict[str, Any]]:
    """The engine's volumes: name, driver and where it keeps the data."""
    answer = api.get("/volumes") or {}
    return [
        {
            "name": str(v.get("Name", "")),
            "driver": str(v.get("Driver", "")),
            "mountpoint": str(v.get("Mountpoint", "")),
        }
        for v in answer.get("Volumes") or []
    ]


def measured_dirs(snap: dict[str, Any], walk_layers: bool) -> tuple[list[str], list[str]]:
    """(dirs to walk, dirs whose size Docker recorded): every overlay2 layer dir, or every
    containerd snapshot dir, to walk unless its size is recorded (an image layer, a committed
    snapshot) and ``walk_layers`` is false; then the part the record covers, ``diff`` of an
    overlay2 layer, ``fs`` of a snapshot (the rest of the dir is walked with Docker's
    records)."""
    if "overlay2" in snap:
        home, data = snap["overlay2"].get("home", ""), "diff"
        recorded = {
            entry.get("cache_id", "")
            for entry in snap.get("layerdb", {}).get("layers", {}).values()
            if re.fullmatch(r"\s*[0-9]+\s*", entry.get("size", ""))
        }
        names = list(snap["overlay2"].get("layers", {}))
    elif snap.get("containerd", {}).get("snapshots_dir"):
        section, data = snap["containerd"], "fs"
        home = os.path.join(section["snapshots_dir"], "snapshots")
        recorded = {
            s["id"] for s in section.get("snapshots", {}).values() if s.get("size") is not None
        }
        names = list(section.get("dirs", {}))
    else:
        return [], []
    if walk_layers:
        recorded = set()
    walked = [os.path.join(home, n) for n in names if n not in recorded]
    kept = [os.path.join(home, n, data) for n in names if n in recorded]
    return walked, kept


def read_usage(
    snap: dict[str, Any], root_dir: str, api: Any, walk_layers: bool = False
) -> dict[str, Any]:
    """The measurements the accounting needs, for a snapshot already read (its layer store
    and containers): see the module docstring."""
    walker = Walker()
    containerd = snap.get("containerd") or {}
    croot = containerd.get("root", "")
    backing = snap.get("backing_fs") or {}
    data_root = filesystem(root_dir)
    if backing.get("mounted"):
        # the filesystem's own use, known when docker_storage made it (xfs: and its inodes)
        data_root.update(
            used_when_empty=used_when_empty(str(backing.get("device", ""))),
            inode_size=backing.get("xfs_isize"),
        )
    usage: dict[str, Any] = {
        "walked_layers": walk_layers,
        "filesystems": {"data_root": data_root},
        "walks": {},
        "logs": {},
        "volumes": [],
        "volumes_error": "",
        "content_store": "",
        "buildkit": "",
        "open_deleted": [],
    }
    if croot:
        usage["filesystems"]["containerd_root"] = filesystem(croot)
    walks = usage["walks"]
    to_walk, recorded = measured_dirs(snap, walk_layers)
    walker.exclude(recorded)  # Docker recorded their size
    for path in to_walk:
        walks[path] = walker.walk(path)
    if croot:
        usage["content_store"] = os.path.join(croot, "io.containerd.content.v1.content")
        walks[usage["content_store"]] = walker.walk(usage["content_store"])
    for container in snap.get("containers", []):
        usage["logs"][container["id"]] = log_usage(log_path(container, root_dir), walker)
    if api is not None:
        try:
            usage["volumes"] = read_volumes(api)
        except (OSError, ValueError) as exc:
            usage["volumes_error"] = str(exc) or type(exc).__name__
    for volume in usage["volumes"]:
        if volume["mountpoint"]:
            walks[volume["mountpoint"]] = walker.walk(volume["mountpoint"])
    buildkit = os.path.join(root_dir, "buildkit")
    if os.path.isdir(buildkit):
        usage["buildkit"] = buildkit
        walks[buildkit] = walker.walk(buildkit)
    # the rest of each root, last, when every byte is asked for: Docker's and containerd's own
    # records (the layer database, configs, databases: a stat of each of their many small
    # files); what was walked above is not counted again
    usage["rest"] = (
        {root: walker.walk(root) for root in (root_dir, croot) if root} if walk_layers else {}
    )
    usage["open_deleted"] = open_deleted([root_dir, croot], overlay_devs(snap))
    return usage
