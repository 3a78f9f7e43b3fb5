"""The configuration checks (CFG-...): where the data root lives, what daemon.json and
docker.service declare and who may change them, what the running engine really does, and
room left on the backing filesystem. CIS Docker Benchmark 1.6 items are named where one
applies.
"""

from __future__ import annotations

import os
from typing import Any

from .overlay2 import POLICY_STORES
from .policy import mode
from .registry import CannotCheck, NotAsked, Policy, Snapshot, check
from .snapshot import backing, daemon_config, engine, image_store, unit

# daemon.json keys and the docker info fields that show them in effect
EFFECTIVE = {"storage-driver": "driver", "live-restore": "live_restore"}


def owner_and_mode(what: str, facts: dict[str, Any] | None, widest: str) -> list[str]:
    """root:root and no permission bit outside ``widest`` (0600 passes 0644; 0466 fails)."""
    if not facts or facts.get("type") in (None, "absent"):
        raise CannotCheck(f"{what} does not exist")
    problems = []
    if (facts.get("uid"), facts.get("gid")) != (0, 0):
        problems.append(
            f"{what} is owned by {facts.get('uid')}:{facts.get('gid')}, want 0:0 (root:root)"
        )
    extra = facts["mode"] & ~mode(widest) & 0o7777
    if extra:
        problems.append(
            f"{what} has mode {facts['mode']:04o}: bits {extra:04o} are outside {widest}"
        )
    return problems


def data_root(snap: Snapshot, policy: Policy) -> str:
    return str(policy["data_root"] or snap.get("data_root", ""))


@check(
    "CFG-001",
    "The data root is a filesystem of its own",
    severity="high",
    cis="1.1.1",
    rationale="Images and containers filling the root filesystem stop the host; a filesystem "
    "of its own bounds them and can be xfs with ftype=1.",
    remediation="Run the docker_storage role with docker_storage_device (a disk or LV): it "
    "makes the filesystem, mounts it on the data root and moves nothing without asking.",
)
def data_root_own_filesystem(snap: Snapshot, policy: Policy) -> list[str]:
    if not policy["data_root_own_filesystem"]:
        raise NotAsked("policy data_root_own_filesystem is false")
    facts = backing(snap)
    if facts.get("mounted"):
        return []
    return [
        f"{snap.get('data_root')} is on the filesystem mounted at {facts.get('mount_point')!r} "
        f"({facts.get('device')}), not on its own"
    ]


@check(
    "CFG-002",
    "The engine keeps its data where the policy says",
    severity="high",
    rationale="A data root elsewhere than planned misses its filesystem, backups and monitoring.",
    remediation="Set data-root in daemon.json (docker_storage_data_root) and restart Docker; "
    "images under the old root stay there, hidden, until moved.",
)
def data_root_location(snap: Snapshot, policy: Policy) -> list[str]:
    if not policy["data_root"]:
        raise NotAsked("policy data_root is empty")
    docker = engine(snap)
    root = str(docker.get("root_dir", ""))
    # under userns-remap the engine's root is <data-root>/<uid>.<gid>
    if docker.get("userns") and os.path.dirname(root) == policy["data_root"]:
        return []
    if root != policy["data_root"]:
        return [f"the engine's root dir is {root!r}, policy wants {policy['data_root']!r}"]
    return []


@check(
    "CFG-003",
    "The data root's filesystem is one the policy allows, with d_type",
    severity="critical",
    rationale="overlay2 needs d_type: xfs must be made with ftype=1; other filesystems are not "
    "supported under overlay2.",
    remediation="Make the filesystem again with mkfs.xfs -n ftype=1 (or ext4) after moving "
    "the data off it: the docker_storage role does this on an empty device.",
)
def backing_filesystem(snap: Snapshot, policy: Policy) -> list[str]:
    facts = backing(snap)
    problems = []
    if facts.get("fstype") not in policy["backing_filesystems"]:
        problems.append(
            f"the data root is on {facts.get('fstype')!r}, "
            f"policy allows {policy['backing_filesystems']}"
        )
    if facts.get("fstype") == "xfs" and facts.get("xfs_ftype") != 1:
        problems.append(f"xfs on {facts.get('device')} has ftype={facts.get('xfs_ftype')}, want 1")
    return problems


@check(
    "CFG-004",
    "The data root's filesystem is mounted from /etc/fstab",
    severity="medium",
    rationale="A mount missing from fstab is gone after a reboot, and Docker starts on the "
    "empty directory underneath.",
    remediation="Add the mount to /etc/fstab (the docker_storage role does) and check it "
    "with findmnt --verify.",
)
def fstab_entry(snap: Snapshot, policy: Policy) -> list[str]:
    if not policy["fstab_entry"]:
        raise NotAsked("policy fstab_entry is false")
    facts = backing(snap)
    if not facts.get("fstab"):
        return [f"/etc/fstab has no entry for {snap.get('data_root')}"]
    return []


@check(
    "CFG-005",
    "docker.service waits for the data root's mount",
    severity="medium",
    rationale="Without RequiresMountsFor, Docker can start before the mount and write into "
    "the directory underneath it.",
    remediation="Add a drop-in with RequiresMountsFor=<data-root> to docker.service (the "
    "docker_storage role does) and run systemctl daemon-reload.",
)
def mount_dependency(snap: Snapshot, policy: Policy) -> list[str]:
    if not policy["mount_dependency"]:
        raise NotAsked("policy mount_dependency is false")
    root = data_root(snap, policy)
    wanted = unit(snap).get("requires_mounts_for", [])
    if root not in wanted:
        return [f"docker.service RequiresMountsFor is {wanted}, without {root}"]
    return []


@check(
    "CFG-006",
    "daemon.json is owned by root and not writable by others",
    severity="high",
    cis="3.17, 3.18",
    rationale="Whoever can write daemon.json runs the engine as they like, as root.",
    remediation="chown root:root <file> && chmod 0644 <file> (the file dockerd reads, "
    "--config-file if it is given one).",
)
def daemon_json_file(snap: Snapshot, policy: Policy) -> list[str]:
    facts = snap.get("daemon_json") or {}
    if facts.get("exists") is False:
        raise NotAsked(f"there is no {facts.get('path', 'daemon.json')}: dockerd uses its defaults")
    name = facts.get("path", "daemon.json")
    return owner_and_mode(name, facts.get("file"), policy["daemon_json_max_mode"])


@check(
    "CFG-007",
    "docker.service is owned by root and not writable by others",
    severity="high",
    cis="3.1, 3.2",
    rationale="Whoever can write the unit decides dockerd's command line.",
    remediation="chown root:root <unit file> && chmod 0644 <unit file> (systemctl show -p "
    "FragmentPath docker.service names it).",
)
def unit_file(snap: Snapshot, policy: Policy) -> list[str]:
    facts = unit(snap)
    return owner_and_mode(
        facts.get("path") or "docker.service", facts.get("file"), policy["unit_max_mode"]
    )


@check(
    "CFG-008",
    "/etc/docker is owned by root and closed to writes by others",
    severity="high",
    cis="3.5, 3.6",
    rationale="/etc/docker holds daemon.json and TLS material; a writable directory lets "
    "others replace them.",
    remediation="chown root:root /etc/docker && chmod 0755 /etc/docker.",
)
def config_dir(snap: Snapshot, policy: Policy) -> list[str]:
    facts = snap.get("config_dir") or {}
    return owner_and_mode(
        facts.get("path") or "/etc/docker", facts.get("file"), policy["config_dir_max_mode"]
    )


@check(
    "CFG-009",
    "No storage settings on dockerd's command line",
    severity="high",
    rationale="A storage flag and the same key in daemon.json make dockerd refuse to start; a "
    "flag alone overrides what daemon.json says.",
    remediation="Move --storage-driver, --storage-opt and --data-root from docker.service, "
    "its drop-ins and /etc/default/docker into daemon.json; check the result with dockerd "
    "--validate (Docker 23+) before restarting.",
)
def storage_flags(snap: Snapshot, policy: Policy) -> list[str]:
    return [
        f"{c['flag']} in {c['command']!r}" + (f" (via {c['via']})" if c.get("via") else "")
        for c in unit(snap).get("flag_conflicts", [])
    ]


@check(
    "CFG-010",
    "The aufs storage driver is not used",
    severity="high",
    cis="2.6",
    rationale="aufs is removed from current engines and kernels.",
    remediation="Move to overlay2 with the docker_storage role (images must be moved or "
    "rebuilt: they stay under the aufs store).",
)
def no_aufs(snap: Snapshot, policy: Policy) -> list[str]:
    declared = daemon_config(snap).get("storage-driver")
    effective = engine(snap).get("driver")
    return [
        f"{where} storage driver is aufs"
        for where, driver in (("daemon.json's", declared), ("the engine's", effective))
        if driver == "aufs"
    ]


@check(
    "CFG-011",
    "No dm.basesize storage option",
    severity="medium",
    cis="2.11",
    rationale="dm.basesize belongs to devicemapper, removed from current engines; with "
    "overlay2 dockerd refuses to start on it.",
    remediation="Take dm.basesize out of storage-opts in daemon.json; check the result with "
    "dockerd --validate (Docker 23+) before restarting.",
)
def no_dm_basesize(snap: Snapshot, policy: Policy) -> list[str]:
    opts = daemon_config(snap).get("storage-opts") or []
    return [f"storage-opts has {o!r}" for o in opts if str(o).split("=", 1)[0] == "dm.basesize"]


@check(
    "CFG-012",
    "live-restore is as the policy says",
    severity="medium",
    cis="2.15",
    rationale="With live-restore, containers keep running while dockerd restarts or upgrades.",
    remediation='Set "live-restore" in daemon.json and reload dockerd (systemctl reload '
    "docker applies it without a restart).",
)
def live_restore(snap: Snapshot, policy: Policy) -> list[str]:
    if policy["live_restore"] is None:
        raise NotAsked("policy live_restore is null")
    running = engine(snap).get("live_restore")
    if running is None:
        raise CannotCheck("the engine does not report LiveRestoreEnabled")
    if running != policy["live_restore"]:
        return [
            f"the engine runs with live-restore {running}, policy wants {policy['live_restore']}"
        ]
    return []


@check(
    "CFG-013",
    "The paths the policy names have audit rules",
    severity="low",
    cis="1.1.3-1.1.18",
    rationale="Audit rules record who changed Docker's files and data.",
    remediation="Add -w <path> -p wa -k docker to /etc/audit/rules.d/docker.rules and run "
    "augenrules --load.",
)
def audit_rules(snap: Snapshot, policy: Policy) -> list[str]:
    if not policy["audit_paths"]:
        raise NotAsked("policy audit_paths is empty")
    audit = snap.get("audit") or {}
    if not audit.get("available"):
        raise CannotCheck(audit.get("error") or "no audit rules could be read (auditctl -l)")
    watched = set(audit.get("watched", []))
    return [f"no audit rule watches {p}" for p in policy["audit_paths"] if p not in watched]


def below_floor(snap: Snapshot, policy: Policy, unit: str, floor_key: str) -> list[str]:
    """Free ``unit`` (bytes or inodes) on the data root's filesystem against the policy's %."""
    facts = backing(snap)
    total, free = facts.get(f"{unit}_total"), facts.get(f"{unit}_free")
    if not total or free is None:
        raise CannotCheck(f"the data root's filesystem reports no {unit} count")
    share = 100.0 * free / total
    if share < policy[floor_key]:
        return [
            f"{free} of {total} {unit} free ({share:.1f}%), "
            f"policy wants at least {policy[floor_key]}%"
        ]
    return []


@check(
    "CFG-014",
    "The data root's filesystem has free space above the policy's floor",
    severity="high",
    rationale="A full data root fails pulls, builds and container writes.",
    remediation="Find what takes the space with docker system df -v; remove unused images "
    "and stopped containers (docker image prune, docker container prune) after checking "
    "nobody needs them, or grow the filesystem.",
)
def free_bytes(snap: Snapshot, policy: Policy) -> list[str]:
    return below_floor(snap, policy, "bytes", "min_free_percent")


@check(
    "CFG-015",
    "The data root's filesystem has free inodes above the policy's floor",
    severity="high",
    rationale="Layers are many small files: a filesystem out of inodes fails like a full one.",
    remediation="Remove unused images and stopped containers after checking nobody needs "
    "them; on ext4 make the filesystem again with more inodes (mkfs.ext4 -i).",
)
def free_inodes(snap: Snapshot, policy: Policy) -> list[str]:
    return below_floor(snap, policy, "inodes", "min_free_inodes_percent")


@check(
    "CFG-016",
    "daemon.json declares what the policy requires",
    severity="high",
    rationale="The policy's daemon.json keys are what the fleet is meant to run.",
    remediation="Set the keys in daemon.json (the docker_storage role merges its storage "
    "keys and keeps the others) and restart Docker.",
)
def daemon_json_keys(snap: Snapshot, policy: Policy) -> list[str]:
    facts = snap.get("daemon_json")
    if facts is None:
        raise CannotCheck("the snapshot holds no daemon.json facts")
    if facts.get("error"):
        return [f"{facts.get('path', 'daemon.json')} does not parse: {facts['error']}"]
    if not policy["daemon_json"]:
        raise NotAsked("policy daemon_json is empty")
    content = facts.get("content") or {}
    return [
        f"daemon.json {key} is {content.get(key)!r}, policy wants {want!r}"
        for key, want in sorted(policy["daemon_json"].items())
        if content.get(key) != want
    ]


@check(
    "CFG-017",
    "The running engine has what daemon.json and docker.service declare (no restart pending)",
    severity="medium",
    rationale="A daemon.json or docker.service changed without a restart shows a setting the "
    "engine does not have; the next restart applies it, maybe at a bad time.",
    remediation="Check the change first (dockerd --validate --config-file <file> on Docker "
    "23+, systemctl cat docker.service), then restart Docker in a maintenance window "
    "(systemctl daemon-reload && systemctl restart docker; the docker_storage role does, "
    "with a rollback), or revert the file; live-restore alone can be applied with "
    "systemctl reload docker.",
)
def declared_is_effective(snap: Snapshot, policy: Policy) -> list[str]:
    declared = daemon_config(snap)
    docker = engine(snap)
    problems = [f"{why}: restart pending" for why in unit(snap).get("restart_pending", [])]
    for key, field in EFFECTIVE.items():
        if key in declared and declared[key] != docker.get(field):
            problems.append(
                f"daemon.json sets {key} {declared[key]!r}, the running engine has "
                f"{docker.get(field)!r}: restart pending"
            )
    if "data-root" in declared:
        root = str(docker.get("root_dir", ""))
        if declared["data-root"] not in (
            root,
            os.path.dirname(root) if docker.get("userns") else root,
        ):
            problems.append(
                f"daemon.json sets data-root {declared['data-root']!r}, the running engine "
                f"uses {root!r}: restart pending"
            )
    return problems


@check(
    "CFG-018",
    "The engine keeps its images in the store the policy names",
    severity="high",
    rationale="The graph driver store (overlay2) and the containerd image store keep layers "
    "in different places with different tools; a host on the other store escapes the checks, "
    "backups and monitoring planned for this one. Docker 29 picks the containerd store on "
    "fresh installs.",
    remediation="Switching stores hides the other store's images and containers (they stay "
    "on disk). First list what the host runs (docker ps -a, docker image ls) and check every "
    "image can be pulled, loaded or rebuilt (docker save the others); then set "
    '"features": {"containerd-snapshotter": false} and storage-driver overlay2 (the '
    "docker_storage role does), or true and no storage-driver for containerd, restart Docker "
    "and recreate the containers.",
)
def image_store_allowed(snap: Snapshot, policy: Policy) -> list[str]:
    wanted = policy["image_store"]
    if wanted == "any":
        raise NotAsked("policy image_store is any")
    found = image_store(snap)
    if found != POLICY_STORES[wanted]:
        driver_type = engine(snap).get("driver_status", {}).get("driver-type") or "none"
        return [
            f"the engine uses the {found} image store (driver {engine(snap).get('driver')!r}, "
            f"driver-type {driver_type}), policy image_store wants {wanted}"
        ]
    return []
