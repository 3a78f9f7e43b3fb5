"""The containerd image store checks (CTD-...): snapshots in the snapshotter's metadata.db,
their dirs, and the rootfs mounts of containers, as Docker 24+ lays them out with the
containerd image store (see layerwise_facts/containerd.py for the snapshot's section).

Each needs the engine's answer (images, containers) and the store read from the host;
without them it cannot check, and says why.
"""

from __future__ import annotations

import re
from typing import Any

from .overlay2 import chain_ids, store_asked
from .registry import CannotCheck, NotAsked, Policy, Snapshot, check
from .snapshot import containerd_section, image_name, images_with_layers, snapshots

CONTAINER_KEY = re.compile(r"[0-9a-f]{64}")
INIT_KEY = re.compile(r"([0-9a-f]{64})-init")


# ---- how the parts of a snapshot relate ------------------------------------------------------


def store(snap: Snapshot, policy: Policy) -> dict[str, Any]:
    """The store's section, when the policy asks and it could be read."""
    store_asked(snap, policy, "containerd")
    found = containerd_section(snap)
    if found.get("error"):
        raise CannotCheck(f"the containerd store cannot be read: {found['error']}")
    return found


def our_containers(snap: Snapshot, found: dict[str, Any]) -> list[dict[str, Any]]:
    """The containers whose rootfs is a snapshot of the store's snapshotter."""
    snapshotter = found.get("snapshotter", "overlayfs")
    return [
        c
        for c in snap.get("containers", [])
        if (c.get("snapshotter") or c.get("graph_driver", {}).get("name")) == snapshotter
    ]


def children(found: dict[str, Any]) -> dict[str, list[str]]:
    """Snapshot keys by the key of their parent."""
    kids: dict[str, list[str]] = {}
    for key, entry in snapshots(found).items():
        if entry.get("parent"):
            kids.setdefault(entry["parent"], []).append(key)
    return kids


def ancestor_ids(found: dict[str, Any], key: str) -> list[str] | None:
    """The snapshot ids of ``key``'s parents, nearest first; None when a parent is missing."""
    snaps = snapshots(found)
    ids: list[str] = []
    parent = snaps.get(key, {}).get("parent", "")
    while parent:
        if parent not in snaps or len(ids) > len(snaps):
            return None
        ids.append(snaps[parent]["id"])
        parent = snaps[parent].get("parent", "")
    return ids


# ---- the checks ------------------------------------------------------------------------------


@check(
    "CTD-001",
    "The containerd store's snapshot metadata is readable",
    severity="high",
    rationale="Every image and container layer of the containerd store is a snapshot named "
    "in the snapshotter's metadata.db; if it cannot be read, no layer can be checked.",
    remediation="Read the error: a missing root means the engine's containerd keeps its data "
    "elsewhere (see root in /etc/containerd/config.toml, or <data-root>/containerd/daemon "
    "when dockerd runs its own); a damaged metadata.db needs containerd's own tools (ctr -n "
    "moby snapshots ls must list the snapshots) before anything is changed.",
)
def metadata_readable(snap: Snapshot, policy: Policy) -> list[str]:
    store_asked(snap, policy, "containerd")
    found = containerd_section(snap)
    if found.get("error"):
        return [
            f"containerd at {found.get('address') or '?'} (root "
            f"{found.get('root') or 'unknown'}): {found['error']}"
        ]
    return []


@check(
    "CTD-002",
    "Every image layer has its committed snapshot",
    severity="critical",
    rationale="An image whose layer has no committed snapshot keyed by its chain id cannot "
    "be run: containerd has nothing to mount under its containers.",
    remediation="The image is damaged. First check which containers use it (docker ps -a "
    "--filter ancestor=<image>: they must be recreated after) and that it can be pulled or "
    "loaded again; then remove it (docker rmi) and pull or load it.",
)
def image_snapshots(snap: Snapshot, policy: Policy) -> list[str]:
    found = store(snap, policy)
    snaps = snapshots(found)
    problems = []
    for image in images_with_layers(snap):
        for chain, diff in zip(chain_ids(image["diff_ids"]), image["diff_ids"]):
            kind = snaps.get(chain, {}).get("kind")
            if kind is None:
                problems.append(f"image {image_name(image)}: layer {diff} has no snapshot {chain}")
            elif kind != "committed":
                problems.append(
                    f"image {image_name(image)}: snapshot {chain} is {kind}, not committed"
                )
    return problems


@check(
    "CTD-003",
    "Snapshot parents follow each image's layers (chain ids)",
    severity="critical",
    rationale="A layer's snapshot mounted over another parent than the image's previous "
    "layer shows other files than the image promises.",
    remediation="The image is damaged. First check which containers use it (docker ps -a "
    "--filter ancestor=<image>: they must be recreated after) and that it can be pulled or "
    "loaded again; then remove it (docker rmi) and pull or load it.",
)
def image_chains(snap: Snapshot, policy: Policy) -> list[str]:
    found = store(snap, policy)
    snaps = snapshots(found)
    problems = []
    for image in images_with_layers(snap):
        previous = ""
        for chain in chain_ids(image["diff_ids"]):
            parent = snaps.get(chain, {}).get("parent")
            # docker commit makes the new layer a child of its container's -init snapshot
            via_init = (
                snaps.get(parent or "", {}).get("parent")
                if INIT_KEY.fullmatch(parent or "")
                else None
            )
            if parent is not None and parent != previous and via_init != previous:
                problems.append(
                    f"image {image_name(image)}: snapshot {chain} has parent {parent or 'none'!r}, "
                    f"want {previous or 'none'!r}"
                )
            previous = chain
    return problems


@check(
    "CTD-004",
    "Snapshot dirs and snapshots match one to one",
    severity="medium",
    rationale="A snapshot dir no snapshot names wastes space and hides in backups; a snapshot "
    "without its dir, or without fs (work for an active one), cannot be mounted.",
    remediation="An orphan dir is left by an interrupted pull or removal. The playbook "
    "layerwise.docker.reclaim lists each with its bytes and the proof that nothing uses it, "
    "and removes it with -e docker_reclaim_remove=true. By hand, confirm nothing uses it: "
    "no snapshot lists its id (ctr -n <namespace> snapshots --snapshotter overlayfs info "
    "<key> for each key of ctr snapshots ls; or grep -c /snapshots/<N>/ /proc/mounts "
    "prints 0), then, with Docker and containerd stopped, remove <snapshots_dir>/snapshots/"
    "<N>. A snapshot without its dir is damaged: recreate its image or container.",
)
def snapshot_dirs(snap: Snapshot, policy: Policy) -> list[str]:
    found = store(snap, policy)
    dirs = found.get("dirs", {})
    ids = {entry["id"] for entry in snapshots(found).values()}
    problems = [
        f"snapshot dir {found.get('snapshots_dir')}/snapshots/{n} belongs to no snapshot"
        for n in sorted(set(dirs) - ids - set(found.get("other_ids", [])), key=_number)
    ]
    for key, entry in sorted(snapshots(found).items()):
        parts = dirs.get(entry["id"])
        if parts is None:
            problems.append(f"{entry['kind']} snapshot {key} has no dir snapshots/{entry['id']}")
            continue
        if not parts.get("fs"):
            problems.append(f"snapshot {key}: snapshots/{entry['id']} lacks fs")
        if entry["kind"] == "active" and not parts.get("work"):
            problems.append(f"active snapshot {key}: snapshots/{entry['id']} lacks work")
    return problems


def _number(name: str) -> tuple[int, str]:
    return (int(name), name) if name.isdigit() else (-1, name)


@check(
    "CTD-005",
    "Running containers are mounted as their snapshots say: own layer over init, then image",
    severity="high",
    rationale="A container mounted over other snapshots than its own, its -init and its "
    "image's runs other files than the image promises.",
    remediation="Stop and start the container (docker stop <name>, then docker start "
    "<name>); if the mount stays wrong, recreate it from its image.",
)
def container_mounts(snap: Snapshot, policy: Policy) -> list[str]:
    found = store(snap, policy)
    snaps = snapshots(found)
    by_id = {i.get("id"): i for i in snap.get("images", [])}
    problems = []
    for container in our_containers(snap, found):
        if not container.get("running"):
            continue
        cid, name = container["id"], container["name"]
        own, init = snaps.get(cid), snaps.get(f"{cid}-init")
        if own is None or init is None:
            missing = cid if own is None else f"{cid}-init"
            problems.append(f"{name}: no snapshot {missing}")
            continue
        image = by_id.get(container.get("image"))
        top = chain_ids(image["diff_ids"])[-1] if image and image.get("diff_ids") else ""
        if top and init.get("parent") != top:
            problems.append(
                f"{name}: snapshot {cid[:12]}-init has parent {init.get('parent')!r}, "
                f"the image's top layer is {top}"
            )
        if own.get("parent") != f"{cid}-init":
            problems.append(f"{name}: snapshot {cid[:12]} has parent {own.get('parent')!r}")
        mounted = [m for m in found.get("mounts", []) if m["container"] == cid]
        if len(mounted) != 1:
            problems.append(f"{name}: {len(mounted)} rootfs overlay mounts, want 1")
            continue
        mount = mounted[0]
        lower = ancestor_ids(found, cid)
        for what, got, want in (
            ("upperdir", mount["upper_id"], own["id"]),
            ("workdir", mount["work_id"], own["id"]),
            ("lowerdir", mount["lower_ids"], lower),
        ):
            if got != want:
                problems.append(f"{name}: mount {what} is snapshot {got}, want {want}")
    return problems


@check(
    "CTD-006",
    "Rootfs overlay mounts belong to running containers",
    severity="medium",
    rationale="A rootfs mount left by a crash pins the container's snapshots and hides "
    "whether they are in use.",
    remediation="Confirm the mount is unused first: docker ps -q --no-trunc must not list "
    "the container id and fuser -vm <data-root>/rootfs/overlayfs/<id> must show no process. "
    "Only then, with Docker stopped, run umount <data-root>/rootfs/overlayfs/<id>.",
)
def stray_mounts(snap: Snapshot, policy: Policy) -> list[str]:
    found = store(snap, policy)
    running = {c["id"] for c in snap.get("containers", []) if c.get("running")}
    return [
        f"overlay on {m['mount_point']} belongs to no running container"
        for m in found.get("mounts", [])
        if m["container"] not in running
    ]


@check(
    "CTD-007",
    "No container snapshots left after their container is removed",
    severity="low",
    rationale="An active snapshot or a childless -init snapshot with no container behind "
    "it is an orphan: space nothing will free.",
    remediation="Confirm no container has that id (docker ps -a --no-trunc -q | grep <id> "
    "prints nothing) and no snapshot is its child (ctr -n moby snapshots --snapshotter "
    "overlayfs tree); then remove it with ctr -n moby snapshots --snapshotter overlayfs rm "
    "<key> (the active one first, then its -init).",
)
def leftover_snapshots(snap: Snapshot, policy: Policy) -> list[str]:
    found = store(snap, policy)
    containers = {c["id"] for c in snap.get("containers", [])}
    kids = children(found)
    problems = []
    for key, entry in sorted(snapshots(found).items()):
        init = INIT_KEY.fullmatch(key)
        if entry["kind"] == "active" and CONTAINER_KEY.fullmatch(key) and key not in containers:
            problems.append(f"active snapshot {key} belongs to no container")
        elif init and init.group(1) not in containers and not kids.get(key):
            problems.append(f"snapshot {key} belongs to no container and has no children")
    return problems


@check(
    "CTD-008",
    "The containerd store lives on the data root's own filesystem",
    severity="high",
    rationale="With the containerd image store, image and container layers are containerd "
    "snapshots under containerd's root, not under Docker's data root: a dedicated data root "
    "filesystem then holds no layer, and the layers fill the filesystem containerd's root is "
    "on (often /).",
    remediation="Give containerd's snapshots the data root's filesystem: the docker_storage "
    "role with docker_storage_image_store: containerd bind-mounts <data-root>/containerd/"
    "system on containerd's root (docker_storage_containerd_root). It refuses while "
    "containerd's root holds snapshots or content; check what they belong to first (ctr "
    "namespaces ls; ctr -n <namespace> images ls) and move or drop them before.",
    cis="1.1.1",
)
def store_on_data_root_filesystem(snap: Snapshot, policy: Policy) -> list[str]:
    if not policy["data_root_own_filesystem"]:
        raise NotAsked("policy data_root_own_filesystem is false")
    found = store(snap, policy)
    same = found.get("on_data_root_filesystem")
    if same is None:
        raise CannotCheck(f"the filesystem of {found.get('snapshots_dir')} was not read")
    if same:
        return []
    return [
        f"containerd's snapshots ({found.get('snapshots_dir')}) are not on the data root's "
        f"filesystem ({snap.get('data_root', '')})"
    ]
