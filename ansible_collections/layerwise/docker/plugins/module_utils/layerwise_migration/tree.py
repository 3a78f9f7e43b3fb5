"""What a directory tree holds, and how two trees differ.

Every entry is described by what a faithful copy of a Docker data root must keep: its type,
mode, owner, modification time, extended attributes (overlay's trusted.* included), a regular
file's size and content hash, whether it is sparse, a device's numbers (overlay whiteouts are
0/0 character devices), a link's target, and which other paths share its inode (hard links).
Access and change times are not compared: no copy can keep them.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..layerwise_facts.files import file_type, sha256_file

# what the move itself puts on the new filesystem, or mkfs.ext4 does
STATE_DIR = ".layerwise-migration"
FS_OWN = ("lost+found",)
# with the containerd image store, where containerd's root goes on the new filesystem (the
# docker_storage role bind-mounts it back on containerd's root)
CONTAINERD_DIR = "containerd/system"

Entry = dict[str, Any]
Manifest = dict[str, Entry]


def clear(top: str, keep: Iterable[str] = ()) -> None:
    """Remove everything in ``top`` but the names in ``keep`` (a link is removed, not followed)."""
    for name in os.listdir(top):
        if name in keep:
            continue
        path = os.path.join(top, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)


def copy_argv(source: str, target: str) -> list[str]:
    """How the move copies the directory ``source`` into the directory ``target``: what it
    holds and its own owner, mode and times, with all cp can keep (hard links, xattrs with
    trusted.*, whiteouts, sparse files), on one filesystem (a mount below is not followed)."""
    return [
        "cp",
        "--archive",
        "--preserve=all",
        "--sparse=always",
        "--one-file-system",
        "--",
        os.path.join(source, "."),
        target + "/",
    ]


def xattrs(path: str) -> dict[str, str]:
    """Extended attributes of ``path`` itself (a link is not followed), values as hex."""
    try:
        names = os.listxattr(path, follow_symlinks=False)
    except OSError:
        return {}
    found = {}
    for name in sorted(names):
        try:
            found[name] = os.getxattr(path, name, follow_symlinks=False).hex()
        except OSError:
            continue
    return found


def describe(path: str, st: os.stat_result, root: bool = False) -> Entry:
    """One entry as a copy must keep it (``root``: the tree's top, whose mtime the move's own
    state directory changes)."""
    kind = file_type(st.st_mode)
    entry: Entry = {
        "kind": kind,
        "mode": oct(stat.S_IMODE(st.st_mode)),
        "owner": f"{st.st_uid}:{st.st_gid}",
    }
    if not root:
        entry["mtime"] = st.st_mtime_ns
    found = xattrs(path)
    if found:
        entry["xattrs"] = found
    if kind == "file":
        entry["size"] = st.st_size
        entry["sparse"] = st.st_blocks * 512 < st.st_size
    elif kind in ("char", "block"):
        entry["rdev"] = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    elif kind == "symlink":
        entry["target"] = os.readlink(path)
    return entry


def walk(top: str, skip: Iterable[str] = ()) -> Iterator[tuple[str, str, os.stat_result]]:
    """(relative path, path, lstat) of ``top`` and everything under it, in sorted order,
    without following links or crossing into another filesystem; ``skip``: relative paths
    left out, with all they hold."""
    top_st = os.lstat(top)
    yield ".", top, top_st
    skipped = set(skip)
    stack = [("", top)]
    while stack:
        rel_dir, path_dir = stack.pop()
        with os.scandir(path_dir) as entries:
            names = sorted(e.name for e in entries)
        subdirs = []
        for name in names:
            rel = f"{rel_dir}/{name}" if rel_dir else name
            if rel in skipped:
                continue
            path = os.path.join(path_dir, name)
            st = os.lstat(path)
            yield rel, path, st
            if stat.S_ISDIR(st.st_mode) and st.st_dev == top_st.st_dev:
                subdirs.append((rel, path))
        stack.extend(reversed(subdirs))


def manifest(top: str, skip: Iterable[str] = (), workers: int = 4) -> Manifest:
    """Every entry under ``top`` described, regular files with their sha256 (hashed on
    ``workers`` threads), hard-linked files with the first path of their inode group."""
    found: Manifest = {}
    first_path: dict[tuple[int, int], str] = {}
    files: list[tuple[str, str]] = []
    for rel, path, st in walk(top, skip):
        entry = describe(path, st, root=rel == ".")
        if entry["kind"] == "file":
            files.append((rel, path))
            if st.st_nlink > 1:
                entry["link_group"] = first_path.setdefault((st.st_dev, st.st_ino), rel)
        found[rel] = entry
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for (rel, _path), digest in zip(files, pool.map(lambda item: sha256_file(item[1]), files)):
            found[rel]["sha256"] = digest
    return found


def differences(old: Manifest, new: Manifest, limit: int = 20) -> list[str]:
    """What ``new`` lacks, adds or holds differently from ``old``, at most ``limit`` lines
    (then one line with how many more). A file that was sparse must still be sparse; one
    that was not may become sparse (cp --sparse=always drops runs of zeros)."""
    lines: list[str] = []
    for rel in sorted(old.keys() | new.keys()):
        if rel not in new:
            lines.append(f"{rel}: missing from the copy")
            continue
        if rel not in old:
            lines.append(f"{rel}: only in the copy")
            continue
        before, after = old[rel], new[rel]
        for key in sorted(before.keys() | after.keys()):
            if key == "sparse":
                if before.get("sparse") and not after.get("sparse"):
                    lines.append(f"{rel}: sparse in the data root, fully allocated in the copy")
                continue
            if before.get(key) != after.get(key):
                lines.append(
                    f"{rel}: {key} {before.get(key)!r} in the data root, "
                    f"{after.get(key)!r} in the copy"
                )
    if len(lines) > limit:
        lines = [*lines[:limit], f"... and {len(lines) - limit} more"]
    return lines


# containerd's overlayfs snapshotter: each snapshot (an image layer or a container's layer)
# is a directory under its snapshots/
SNAPSHOTTER = "io.containerd.snapshotter.v1.overlayfs"


def counts(found: Manifest) -> dict[str, int]:
    """How much a tree holds, in the terms of a Docker data root."""
    tally = {
        "entries": len(found),
        "files": 0,
        "bytes": 0,
        "hard_linked": 0,
        "whiteouts": 0,
        "sparse": 0,
        "with_xattrs": 0,
        "layers": 0,
        "containers": 0,
        "volumes": 0,
        "snapshots": 0,
    }
    for rel, entry in found.items():
        if entry["kind"] == "file":
            tally["files"] += 1
            tally["bytes"] += entry["size"]
            tally["hard_linked"] += "link_group" in entry
            tally["sparse"] += entry["sparse"]
        tally["whiteouts"] += entry.get("rdev") == "0:0" and entry["kind"] == "char"
        tally["with_xattrs"] += "xattrs" in entry
        parts = rel.split("/")
        if len(parts) == 2 and entry["kind"] == "dir":
            if parts[0] in ("overlay2", "containers") and parts[1] != "l":
                tally["layers" if parts[0] == "overlay2" else "containers"] += 1
            elif parts[0] == "volumes":
                tally["volumes"] += 1
        elif len(parts) == 3 and parts[:2] == [SNAPSHOTTER, "snapshots"] and entry["kind"] == "dir":
            tally["snapshots"] += 1
    return tally


def add(*tallies: dict[str, int]) -> dict[str, int]:
    """Counts of several trees, summed."""
    total: dict[str, int] = {}
    for tally in tallies:
        for key, value in tally.items():
            total[key] = total.get(key, 0) + value
    return total


def compare(
    old_top: str, new_top: str, limit: int = 20, new_own: Iterable[str] = ()
) -> dict[str, Any]:
    """Both trees read at once (two threads: hashing releases the GIL) and compared.

    The move's state directory and what mkfs put on the new filesystem (lost+found, when the
    data root has none) are not part of the copy, nor the paths in ``new_own`` that the data
    root does not hold (where containerd's root was copied beside it)."""
    new_skip = [STATE_DIR] + [
        n for n in (*FS_OWN, *new_own) if not os.path.lexists(os.path.join(old_top, n))
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        old_job = pool.submit(manifest, old_top, [STATE_DIR])
        new_job = pool.submit(manifest, new_top, new_skip)
        old, new = old_job.result(), new_job.result()
    found = differences(old, new, limit)
    return {"equal": not found, "differences": found, "counts": counts(old)}
