"""The disk usage checks (USE-...): what fills a host's Docker storage, from the host's
account (``accounting.account``) of a snapshot read with ``usage: true``.

A snapshot read without ``usage`` was not asked to measure: these checks are then not
asked either. A part the account could not size is never taken as 0: a check that needs it
cannot check, and says which part and why.
"""

from __future__ import annotations

from typing import Any

from .accounting import account
from .registry import CannotCheck, NotAsked, Policy, Snapshot, check
from .snapshot import containerd_section, image_store, layer_store

MIB = 1 << 20


def accounted(snap: Snapshot) -> dict[str, Any]:
    """The host's account (the one the module made, else made here), once its image store
    could be read; NotAsked when the disk usage was not measured."""
    if "usage" not in snap and "accounting" not in snap:
        raise NotAsked("the disk usage was not measured (overlay2_facts usage: false)")
    if image_store(snap) == "containerd":
        found = containerd_section(snap)
        if found.get("error"):
            raise CannotCheck(f"the containerd store cannot be read: {found['error']}")
    else:
        layer_store(snap)
    return dict(snap["accounting"]) if "accounting" in snap else account(snap)


def mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB"


@check(
    "USE-001",
    "No container writes more than the policy allows into its writable layer",
    severity="medium",
    rationale="Writes to a container's writable layer go through copy-on-write, are slow, fill "
    "the data root and vanish with the container; write-heavy data belongs in a volume.",
    remediation="Find what the container writes (docker diff CONTAINER) and mount a volume "
    "there (docker run -v NAME:/path); confirm nothing in the layer is needed (docker diff, or "
    "docker cp it out) before the container is recreated, since recreating drops the layer.",
)
def writable_layers(snap: Snapshot, policy: Policy) -> list[str]:
    limit = policy["max_writable_layer_mb"] * MIB
    problems, unknown = [], []
    for row in accounted(snap)["containers"]:
        size = row["writable_bytes"]
        if size is None:
            unknown.append(row["name"])
        elif size > limit:
            problems.append(
                f"container {row['name']} holds {mib(size)} in its writable layer, more than"
                f" {policy['max_writable_layer_mb']} MiB"
            )
    if unknown and not problems:
        raise CannotCheck(f"the writable layer of {', '.join(sorted(unknown))} cannot be sized")
    return problems


@check(
    "USE-002",
    "Every container's log file is rotated, as the container was created",
    severity="medium",
    rationale="json-file without max-size grows until the disk is full; daemon.json's "
    "log-opts reach only containers created after them, so a host that has rotation "
    "configured can still run containers without it.",
    remediation="Set log-opts max-size (and max-file) in daemon.json, or use the local log "
    "driver, and recreate the containers listed (docker inspect -f "
    "'{{.HostConfig.LogConfig}}' CONTAINER shows what each runs with); keep what the log "
    "holds first if it is needed (docker logs CONTAINER > FILE).",
)
def log_rotation(snap: Snapshot, policy: Policy) -> list[str]:
    if not policy["log_rotation"]:
        raise NotAsked("policy log_rotation is false")
    problems = []
    for row in accounted(snap)["containers"]:
        if row["rotates"] is False:
            held = "" if row["log_bytes"] is None else f", its log holds {mib(row['log_bytes'])}"
            problems.append(f"container {row['name']}: {row['rotation']}{held}")
    return problems


@check(
    "USE-003",
    "The parts account for the data root filesystem's used bytes",
    severity="low",
    rationale="Bytes no part explains are space nobody can reclaim with Docker's tools: files "
    "hidden under a mount point, files outside Docker's roots, or the filesystem's own "
    "metadata; a large share means the account, or the host, hides something.",
    remediation="Compare du -x -s DIR for each top-level dir of the filesystem with the "
    "parts; look under the mount point with the filesystem mounted elsewhere (mount --bind "
    "/ /mnt) for files hidden below it. Remove nothing found there before confirming which "
    "process or package owns it.",
)
def unaccounted(snap: Snapshot, policy: Policy) -> list[str]:
    limit = policy["max_unaccounted_percent"]
    account_ = accounted(snap)
    if account_["layer_sizes"] == "recorded":
        raise NotAsked(
            "the account takes the layer sizes Docker recorded (overlay2's are apparent sizes)"
            " and leaves Docker's own records unwalked: walk them to judge the rest"
            " (overlay2_facts usage_walk_layers, layerwise compliance --walk-layers)"
        )
    problems = []
    for fs in account_["filesystems"]:
        if "error" in fs:
            raise CannotCheck(f"the filesystem of {fs['path']} cannot be read: {fs['error']}")
        if not fs.get("mount_point"):
            raise CannotCheck(
                f"{fs['path']} is not a filesystem of its own: the rest of the filesystem it is"
                " on is not Docker's to account for"
            )
        if not fs["complete"]:
            raise CannotCheck(f"some parts on the filesystem of {fs['path']} cannot be sized")
        if fs["unaccounted_percent"] > limit:
            problems.append(
                f"{mib(fs['unaccounted'])} of the {mib(fs['used'])} used on {fs['path']}"
                f" ({fs['unaccounted_percent']}%) is not accounted for, more than {limit}%"
            )
    return problems


@check(
    "USE-004",
    "No deleted file held open keeps much space",
    severity="medium",
    rationale="A file deleted while a process holds it open (a log removed by hand is the "
    "classic) keeps its blocks until the process closes it: df shows the space used, du "
    "does not find it.",
    remediation="Restart the process named (or the container) to release the space, after "
    "confirming it can be restarted; to keep the data first, copy it from /proc/PID/fd/FD. "
    "Truncate, do not delete, a log that must be emptied in place.",
)
def open_deleted(snap: Snapshot, policy: Policy) -> list[str]:
    limit = policy["max_open_deleted_mb"] * MIB
    problems = []
    for item in accounted(snap)["open_deleted"]:
        if item["bytes"] > limit:
            where = f" in container {item['container'][:12]}" if item.get("container") else ""
            problems.append(
                f"{item['path']} ({mib(item['bytes'])}) deleted, held open by"
                f" {item['command']} (pid {item['pid']}){where}"
            )
    return problems


@check(
    "USE-005",
    "The data root's filesystem is not forecast to fill within the policy's days",
    severity="high",
    rationale="A filesystem that fills stops every container writing to it and can corrupt "
    "what was being written; the days left at the present growth say how soon to act.",
    remediation="See where the bytes went in the report's usage section and reclaim what "
    "nothing uses (docker image prune, docker builder prune) or grow the filesystem; "
    "confirm with docker ps -a and docker volume ls that what is removed is not needed.",
)
def days_until_full(snap: Snapshot, policy: Policy) -> list[str]:
    found = snap.get("forecast")
    if found is None:
        raise NotAsked("days until full need the previous report: layerwise compliance --previous")
    if found.get("error"):
        raise CannotCheck(str(found["error"]))
    days = found.get("days_until_full")
    limit = policy["min_days_until_full"]
    if days is None or days >= limit:
        return []
    return [
        f"the data root's filesystem grows {mib(found['growth_per_day'])} a day since"
        f" {found['since']}: its {mib(found['free'])} free last {days} days, fewer than {limit}"
    ]
