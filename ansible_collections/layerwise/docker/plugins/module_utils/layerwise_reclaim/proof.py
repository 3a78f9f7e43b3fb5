"""The proof that nothing uses a candidate dir, read afresh from the host each time it is asked.

Five questions, each answered from its own source at the moment of asking (never from the
listing's snapshot): does the store's record name it (the layer database with its in-flight
write sets and every layer's lower chain; the snapshotter's metadata.db of every
namespace), does a mount use it (overlay lower/upper/work dirs, a bind mount, a mount
inside it), does a process hold a file or dir in it (fd, cwd, root, exe), and has anything
in it changed within the grace period (an in-flight pull or build writes its dir before
it registers it: each inode's ctime, which extraction cannot set back). A candidate is
proven unused only when every answer is no.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from typing import Any

from ..layerwise_facts import bolt, containerd, graphdriver, mounts
from ..layerwise_facts.usage import command_of

BLOCK = 512


def components(path: str) -> list[str]:
    return [part for part in path.split("/") if part]


def record_names(candidate: dict[str, str]) -> tuple[set[str], dict[str, str]]:
    """(what the store's record names now, where each name was found) - the overlay2 layer
    database (layers, container mounts and init layers, write sets not yet committed), or
    the ids of every snapshot of every namespace in the snapshotter's metadata.db."""
    home = candidate["home"]
    where: dict[str, str] = {}
    if candidate["store"] == "containerd":
        db = bolt.load(os.path.join(home, "metadata.db"))
        ours, ids = containerd.snapshots_of(db, "")
        ids += [entry["id"] for entry in ours.values()]
        where.update((i, f"snapshot id {i} in the snapshotter's metadata.db") for i in ids)
        return set(where), where
    layerdb = os.path.join(os.path.dirname(home), "image", "overlay2", "layerdb")
    for sub, files in (("sha256", ("cache-id",)), ("tmp", ("cache-id",))):
        for entry, values in graphdriver.read_entries(os.path.join(layerdb, sub), files).items():
            name = values.get("cache_id", "").strip()
            where.setdefault(name, f"layerdb/{sub}/{entry}/cache-id")
    mounted = graphdriver.read_entries(os.path.join(layerdb, "mounts"), ("mount-id", "init-id"))
    for entry, values in mounted.items():
        for key in ("mount_id", "init_id"):
            name = values.get(key, "").strip()
            where.setdefault(name, f"layerdb/mounts/{entry}/{key.replace('_', '-')}")
    where.pop("", None)
    return set(where), where


def lower_users(candidate: dict[str, str]) -> list[str]:
    """The overlay2 layer dirs whose ``lower`` file names the candidate's ``l/`` link."""
    link = candidate["link"]
    if candidate["store"] != "overlay2" or not link:
        return []
    wanted = f"l/{link}"
    found = []
    with os.scandir(candidate["home"]) as entries:
        for entry in entries:
            if entry.name == candidate["name"]:  # l/, with no lower file, is skipped below
                continue
            try:
                with open(os.path.join(entry.path, "lower"), encoding="utf-8") as handle:
                    lower = handle.read()
            except OSError:
                continue
            if wanted in lower.strip().split(":"):
                found.append(entry.name)
    return sorted(found)


def _uses_path(value: str, candidate: dict[str, str]) -> bool:
    """Whether a mount's path (absolute, or relative to the store's dir as overlay options
    are when long) is the candidate, lies in it, or is its ``l/`` link."""
    path, name, link = candidate["path"], candidate["name"], candidate["link"]
    if value == path or value.startswith(path + "/"):
        return True
    parts = components(value)
    if link and (parts[-2:] == ["l", link] or parts[:2] == ["l", link]):
        return True
    return not value.startswith("/") and parts[:1] == [name]


def mount_users(candidate: dict[str, str], mountinfo: list[dict[str, Any]]) -> list[str]:
    """Each mount that uses the candidate, as one line: a mount inside it, an overlay whose
    lower, upper or work dir it is, a bind mount of it (its root names the dir)."""
    users = []
    for mount in mountinfo:
        point = mount["mount_point"]
        if point == candidate["path"] or point.startswith(candidate["path"] + "/"):
            users.append(f"{point} is mounted inside it")
            continue
        if mount["fstype"] == "overlay":
            options = mounts.overlay_options(mount["options"])
            dirs = [*options["lowerdir"], options["upperdir"], options["workdir"]]
            if any(d and _uses_path(d, candidate) for d in dirs):
                users.append(f"the overlay mount at {point} uses it")
                continue
        if candidate["name"] in components(mount["root"]):
            users.append(f"{point} is a bind mount of {mount['root']}")
    return users


def process_users(path: str, proc: str = "/proc") -> list[str]:
    """Each process holding a file or dir in ``path`` open, or living in it (cwd, root,
    exe): pid, command and how; nothing is signalled."""
    inside = path.rstrip("/") + "/"
    users = []
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return users
    for pid in sorted(pids, key=int):
        links = [f"{proc}/{pid}/{name}" for name in ("cwd", "root", "exe")]
        with contextlib.suppress(OSError):  # gone, or a kernel thread: no fds to read
            links += [f"{proc}/{pid}/fd/{fd}" for fd in os.listdir(f"{proc}/{pid}/fd")]
        for link in links:
            try:
                target = os.readlink(link)
            except OSError:
                continue
            if target.endswith(" (deleted)"):
                target = target[: -len(" (deleted)")]
            if target == path or target.startswith(inside):
                users.append(f"process {pid} ({command_of(pid) or '?'}) holds {target}")
                break
    return users


def measure(path: str) -> dict[str, Any]:
    """``path``'s bytes on disk (each inode once), its inode count, the newest change time
    of anything in it (ctime or mtime), and whether another filesystem is mounted in it."""
    top = os.lstat(path)
    seen = {(top.st_dev, top.st_ino)}
    total, files = top.st_blocks * BLOCK, 1
    newest = max(top.st_ctime, top.st_mtime)
    crossing = False
    dirs = [path] if stat.S_ISDIR(top.st_mode) else []
    while dirs:
        with os.scandir(dirs.pop()) as entries:
            for entry in entries:
                info = entry.stat(follow_symlinks=False)
                if info.st_dev != top.st_dev:
                    crossing = True
                    continue
                newest = max(newest, info.st_ctime, info.st_mtime)
                if (info.st_dev, info.st_ino) in seen:
                    continue
                seen.add((info.st_dev, info.st_ino))
                total += info.st_blocks * BLOCK
                files += 1
                if stat.S_ISDIR(info.st_mode):
                    dirs.append(entry.path)
    return {"bytes": total, "files": files, "newest_change": newest, "crosses_mount": crossing}


def prove(
    candidate: dict[str, str], grace: float, now: float | None = None, proc: str = "/proc"
) -> dict[str, Any]:
    """The candidate with its bytes, the evidence that nothing uses it, and ``reasons``:
    every use found (empty when it is proven unused). A question that cannot be answered
    is a reason too."""
    found: dict[str, Any] = {**candidate, "bytes": None, "evidence": [], "reasons": []}
    evidence, reasons = found["evidence"], found["reasons"]
    path = candidate["path"]
    try:
        size = measure(path)
    except OSError as exc:
        reasons.append(f"cannot walk it: {exc.strerror or exc}")
        return found
    found.update(bytes=size["bytes"], files=size["files"])
    try:
        names, where = record_names(candidate)
    except (OSError, ValueError) as exc:
        reasons.append(f"cannot read the store's record: {exc}")
    else:
        if candidate["name"] in names:
            reasons.append(f"the store's record names it: {where[candidate['name']]}")
        else:
            what = "snapshot ids" if candidate["store"] == "containerd" else "layer dirs"
            evidence.append(f"the store's record names {len(names)} {what}, not this one")
    try:
        children = lower_users(candidate)
    except OSError as exc:
        reasons.append(f"cannot read the layers' lower files: {exc.strerror or exc}")
    else:
        reasons.extend(f"layer {c}'s lower chain has l/{candidate['link']}" for c in children)
        if candidate["store"] == "overlay2" and candidate["link"]:
            evidence.append(f"no layer's lower chain names l/{candidate['link']}")
        elif candidate["store"] == "overlay2":
            evidence.append("it has no link file: no lower chain can name it")
    try:
        with open(f"{proc}/self/mountinfo", encoding="utf-8") as handle:
            mounted = mounts.parse_mountinfo(handle.read())
    except OSError as exc:
        reasons.append(f"cannot read the mounts: {exc.strerror or exc}")
    else:
        used = mount_users(candidate, mounted)
        if size["crosses_mount"] and not used:
            used = ["a filesystem is mounted inside it"]
        reasons.extend(used)
        if not used:
            evidence.append(f"none of the {len(mounted)} mounts uses it")
    held = process_users(path, proc)
    reasons.extend(held)
    if not held:
        evidence.append("no process holds a file or dir in it")
    age = (time.time() if now is None else now) - size["newest_change"]
    found["unchanged_seconds"] = int(max(age, 0))
    if age < grace:
        reasons.append(
            f"something in it changed {int(max(age, 0))} s ago, within the grace period of "
            f"{int(grace)} s (a pull or build may be writing it)"
        )
    else:
        evidence.append(f"nothing in it changed for {int(age)} s (grace {int(grace)} s)")
    return found
