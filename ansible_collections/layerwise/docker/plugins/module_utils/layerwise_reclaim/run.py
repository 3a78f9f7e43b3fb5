"""One reclaim run on a host: list the orphans, prove each, and (when asked) remove each one
proven again immediately before, then write what was done to a file on the host.

Deleted files that a process still holds open are listed with the process and its container;
reclaim never signals a process.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from typing import Any

from ..layerwise_checks.accounting import log_rotation
from ..layerwise_facts import snapshot
from ..layerwise_facts.usage import open_deleted, overlay_devs
from .candidates import Refused, orphans, store_of
from .proof import prove
from .prune import EngineAPI, prune

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION = re.compile(r"([0-9]{1,9})([smhd])")


def grace_seconds(text: str) -> int:
    """A duration such as ``90s``, ``30m``, ``1h`` or ``2d`` in seconds; ValueError otherwise."""
    found = DURATION.fullmatch(str(text).strip())
    if not found:
        raise ValueError(
            f"grace must be a duration such as 30m, 1h or 2d (a whole number and s, m, h or "
            f"d), got {text!r}"
        )
    return int(found.group(1)) * UNITS[found.group(2)]


class NotRemoved(Exception):
    """A proven candidate that could not be removed (whole or in part); the message says why."""


def check_one_filesystem(path: str) -> None:
    """NotRemoved when anything under ``path`` lies on another filesystem: a mount made
    since the proof must never be emptied through it."""
    dev = os.lstat(path).st_dev
    for root, dirs, _files in os.walk(path):
        for name in dirs:
            if os.lstat(os.path.join(root, name)).st_dev != dev:
                raise NotRemoved(f"{os.path.join(root, name)} is another filesystem's")


def remove(item: dict[str, Any]) -> None:
    """Remove a proven candidate and what belongs to it: an overlay2 dir's ``l/`` link (only
    when it leads to this dir's diff). NotRemoved says what is left when it fails."""
    path = item["path"]
    check_one_filesystem(path)
    if item.get("link"):
        link = os.path.join(item["home"], "l", item["link"])
        try:
            target = os.readlink(link)
        except OSError:
            target = ""
        if target == f"../{item['name']}/diff":
            os.unlink(link)
    errors: list[str] = []
    for root, dirs, files in os.walk(path, topdown=False):
        for name in files + dirs:  # a symlink to a dir (a base image's /bin) is among dirs
            entry = os.path.join(root, name)
            try:
                if name in dirs and not os.path.islink(entry):
                    os.rmdir(entry)
                else:
                    os.unlink(entry)
            except OSError as exc:
                errors.append(f"{entry}: {exc.strerror or exc}")
    try:
        os.rmdir(path)
    except OSError as exc:
        errors.append(f"{path}: {exc.strerror or exc}")
    if errors:
        raise NotRemoved(f"{len(errors)} entries could not be removed, first {errors[0]}")


def deleted_but_open(snap: dict[str, Any]) -> list[dict[str, Any]]:
    """Deleted files a process still holds open under Docker's roots or in a container."""
    roots = [snap.get("docker", {}).get("root_dir") or snap.get("data_root", "")]
    section = snap.get("containerd") or {}
    if section.get("root"):
        roots.append(section["root"])
    return open_deleted([r for r in roots if r], overlay_devs(snap))


def unrotated_logs(snap: dict[str, Any]) -> list[dict[str, str]]:
    """The containers whose log file grows without rotation as they were created: daemon.json's
    log-opts reach only containers created after them, so each keeps it until recreated."""
    found = []
    for container in snap.get("containers", []):
        rotates, rotation = log_rotation(container)
        if rotates is False:
            found.append(
                {
                    "name": str(container.get("name", "")),
                    "id": str(container.get("id", "")),
                    "rotation": rotation,
                    "log_path": str(container.get("log_path", "")),
                }
            )
    return sorted(found, key=lambda c: c["name"])


def write_record(record_dir: str, run: dict[str, Any]) -> str:
    """The run as one JSON file in ``record_dir`` (mode 0700, made when missing), named by
    the run's UTC time; written to a temporary name first, so a file there is whole."""
    os.makedirs(record_dir, mode=0o700, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(run["started"]))
    path = os.path.join(record_dir, f"reclaim-{stamp}-{os.getpid()}.json")
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(run, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, stat.S_IRUSR | stat.S_IWUSR)
    os.replace(temporary, path)
    return path


def reclaim(params: dict[str, Any], apply: bool) -> dict[str, Any]:
    """List and prove every orphan; with ``apply``, prove each again and remove it.

    Refused (nothing removed) when the store cannot be read or the engine does not answer.
    """
    started = time.time()
    snap = snapshot({**params, "layers": True, "usage": False})
    found = orphans(snap)  # Refused
    grace = grace_seconds(params["grace"])
    listed = [prove(candidate, grace) for candidate in found]
    removed, kept, failed = [], [], []
    for item in listed:
        if item["reasons"] or not apply:
            kept.append(item)
            continue
        again = prove(item, grace)  # immediately before removing: the listing may be stale
        if again["reasons"]:
            kept.append({**again, "used_since_listed": True})
            continue
        try:
            remove(again)
        except (OSError, NotRemoved) as exc:
            failed.append({**again, "error": str(exc)})
            continue
        removed.append({**again, "removed_at": time.time()})
    prunes = []
    if params.get("prune"):
        api, until = EngineAPI(params["docker_host"]), grace_seconds(params["prune_until"])
        prunes = [prune(api, what, until, apply) for what in params["prune"]]
    run = {
        "started": started,
        "applied": apply,
        "store": store_of(snap),
        "grace_seconds": grace,
        "candidates": listed,
        "removed": removed,
        "kept": [i for i in kept if i["reasons"]],
        "would_remove": [i for i in kept if not i["reasons"]],
        "not_removed": failed,
        "freed_bytes": sum(int(i.get("bytes") or 0) for i in removed),
        "prunes": prunes,
        "pruned_bytes": sum(int(p.get("freed_bytes") or 0) for p in prunes),
        "deleted_but_open": deleted_but_open(snap),
        "unrotated_logs": unrotated_logs(snap),
        "elapsed": round(time.time() - started, 3),
    }
    if apply and (removed or failed or prunes):
        run["record"] = write_record(params["record_dir"], run)
    return run


__all__ = ["Refused", "reclaim"]
