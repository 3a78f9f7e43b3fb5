"""The overlay2 layer store checks (OVL-...): layer dirs, l/ links, lower chains, the layer
database, and the overlay mounts of running containers, as Docker 20.10-28 lay them out.

Each needs the engine's answer (which images and containers exist) and the driver home on
disk; without them it cannot check, and says why.
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any

from .registry import NotAsked, Policy, Snapshot, check
from .snapshot import engine, home, image_store, layer_store, layerdb, layers, links, mounts

# parts a layer dir may hold besides the ones its kind requires
BASE_PARTS = {"diff": "dir", "link": "file"}
CHILD_PARTS = {"diff": "dir", "link": "file", "lower": "file", "work": "dir"}
OPTIONAL_PARTS = {"committed": "file", "merged": "dir"}
# BuildKit's build cache snapshots: 25-character ids of [0-9a-z], next to the 64-hex layers
BUILD_CACHE_ID = re.compile(r"[0-9a-z]{25}")


# ---- how the parts of a snapshot relate ------------------------------------------------------


def chain_ids(diff_ids: list[str]) -> list[str]:
    """Layer chain ids of an image's RootFS diff ids, base first."""
    chains: list[str] = []
    for diff in diff_ids:
        if not chains:
            chains.append(diff)
        else:
            text = f"{chains[-1]} {diff}".encode()
            chains.append("sha256:" + hashlib.sha256(text).hexdigest())
    return chains


# policy image_store values and the store docker info shows for each
POLICY_STORES = {"overlay2": "graphdriver", "containerd": "containerd"}


def store_asked(snap: Snapshot, policy: Policy, store: str) -> None:
    """NotAsked when the policy leaves out the checks of ``store`` (graphdriver, containerd).

    ``image_store: any`` asks a host's own store's checks only; a policy naming one store
    asks that store's checks everywhere (a host on the other store then fails CFG-018 and
    these say what they cannot see).
    """
    wanted = policy["image_store"]
    if wanted == "any":
        found = image_store(snap)
        if found != store:
            raise NotAsked(f"policy image_store is any and the engine uses the {found} store")
    elif POLICY_STORES[wanted] != store:
        raise NotAsked(f"policy image_store is {wanted}")


def parent_dirs(snap: Snapshot, chain: str) -> list[str]:
    """The layer dirs of an image layer and its parents, nearest first (top to base)."""
    db = layerdb(snap)
    found: list[str] = []
    while chain and chain in db and len(found) <= len(db):
        found.append(db[chain].get("cache_id", ""))
        chain = db[chain].get("parent", "")
    return found


def all_parent_dirs(snap: Snapshot) -> dict[str, list[str]]:
    """``parent_dirs`` of every chain of the layer database, each layer walked once.

    A chain's list is its own layer dir before its parent's list: thousands of layers in
    chains a hundred deep cost one step each, not one walk each. A loop in the parent links
    (a damaged database) is walked as ``parent_dirs`` walks it.
    """
    db = layerdb(snap)
    done: dict[str, list[str]] = {}
    for start in db:
        path: list[str] = []
        chain = start
        while chain and chain in db and chain not in done and len(path) <= len(db):
            path.append(chain)
            chain = db[chain].get("parent", "")
        if len(path) > len(db):  # a loop: no shared tails
            done.update((c, parent_dirs(snap, c)) for c in path)
            continue
        tail = done.get(chain, [])
        for chain in reversed(path):
            tail = [db[chain].get("cache_id", ""), *tail]
            done[chain] = tail
    return done


def expected_lower(snap: Snapshot) -> dict[str, list[str]]:
    """The layer dirs each layer dir's ``lower`` must name, nearest first, by layer dir."""
    chains = all_parent_dirs(snap)
    wanted: dict[str, list[str]] = {}
    for entry in layerdb(snap).values():
        if entry.get("parent"):
            wanted[entry.get("cache_id", "")] = chains.get(entry["parent"], [])
    for entry in mounts(snap).values():
        image = chains.get(entry.get("parent", ""), [])
        init = entry.get("init_id", "")
        if init:
            wanted[init] = image
        wanted[entry.get("mount_id", "")] = ([init] if init else []) + image
    return wanted


def link_target(snap: Snapshot, entry: str) -> str | None:
    """The layer dir a ``lower`` entry (``l/<id>`` or ``<home>/l/<id>``) leads to."""
    return link_dir(links(snap).get(entry.rsplit("/", 1)[-1]))


def link_dir(target: str | None) -> str | None:
    """The layer dir an l/ link's target (``../<id>/diff``) names."""
    if not target or not target.startswith("../") or not target.endswith("/diff"):
        return None
    return target[len("../") : -len("/diff")]


def diff_path(snap: Snapshot, layer: str) -> str:
    return os.path.join(home(snap), layer, "diff")


def running_mounts(snap: Snapshot) -> dict[str, dict[str, Any]]:
    """Running overlay2 containers by the id of their layer dir (mount id)."""
    by_cid = mounts(snap)
    found = {}
    for container in snap.get("containers", []):
        entry = by_cid.get(container["id"], {})
        if container.get("running") and entry.get("mount_id"):
            found[entry["mount_id"]] = container
    return found


def build_cache(snap: Snapshot) -> set[str]:
    """Layer dirs that are BuildKit's build cache (``docker buildx du`` lists them)."""
    if not snap.get("overlay2", {}).get("buildkit"):
        return set()
    return {name for name in layers(snap) if BUILD_CACHE_ID.fullmatch(name)}


def child_dirs(snap: Snapshot) -> set[str]:
    """Layer dirs that have a parent: image layers above a base, init and container layers.

    The keys of ``expected_lower``, without walking every chain to the base.
    """
    children = {e.get("cache_id", "") for e in layerdb(snap).values() if e.get("parent")}
    for entry in mounts(snap).values():
        children.add(entry.get("mount_id", ""))
        if entry.get("init_id"):
            children.add(entry["init_id"])
    return children


def referenced(snap: Snapshot) -> set[str]:
    """Layer dirs the layer database names: image layers, container layers and init layers."""
    used = {entry.get("cache_id", "") for entry in layerdb(snap).values()}
    for entry in mounts(snap).values():
        used.update((entry.get("mount_id", ""), entry.get("init_id", "")))
    return used


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# ---- the checks ------------------------------------------------------------------------------


@check(
    "OVL-001",
    "The engine runs the policy's storage driver on a filesystem with d_type",
    severity="critical",
    rationale="overlay2 without d_type (xfs ftype=0) corrupts layers; another driver hides the "
    "images of this one.",
    remediation="Run the docker_storage role: it sets the storage driver in daemon.json on "
    "xfs (ftype=1) or ext4 and refuses a switch that would hide images.",
)
def driver_is_overlay2(snap: Snapshot, policy: Policy) -> list[str]:
    docker = engine(snap)
    store_asked(snap, policy, "graphdriver")
    problems = []
    if docker.get("driver") != policy["driver"]:
        problems.append(
            f"storage driver is {docker.get('driver')!r}, policy wants {policy['driver']!r}"
        )
    if docker.get("d_type") is not True:
        problems.append(
            f"backing filesystem {docker.get('backing_filesystem')!r} does not support d_type"
        )
    return problems


@check(
    "OVL-002",
    "Driver dirs are closed to other users",
    severity="high",
    rationale="Layer contents hold image and container files; other users must not read "
    "them through the driver's directories.",
    remediation="chmod 0710 <data-root>/overlay2 and its layer dirs, 0700 "
    "<data-root>/overlay2/l (Docker 20.10.9+ creates them so).",
)
def driver_dir_modes(snap: Snapshot, policy: Policy) -> list[str]:
    store_asked(snap, policy, "graphdriver")
    layer_store(snap)
    overlay2 = snap["overlay2"]
    problems = []
    if overlay2.get("mode") is not None and overlay2["mode"] & 0o007:
        problems.append(f"{home(snap)} has mode {overlay2['mode']:04o}, open to others")
    if overlay2.get("links_mode") is None:
        if layers(snap):
            problems.append(f"{home(snap)}/l does not exist, yet the home holds layer dirs")
    elif overlay2["links_mode"] != 0o700:
        problems.append(f"{home(snap)}/l has mode {overlay2['links_mode']:04o}, want 0700")
    open_dirs = sorted(name for name, layer in layers(snap).items() if layer["mode"] & 0o007)
    if open_dirs:
        problems.append(f"{plural(len(open_dirs), 'layer dir')} open to others: {open_dirs[:5]}")
    return problems


@check(
    "OVL-003",
    "Every layer in the layer database has its layer dir",
    severity="critical",
    rationale="A layer the database names but the disk lacks makes its image or container "
    "unusable.",
    remediation="The image is damaged. First check which containers use it (docker ps -a "
    "--filter ancestor=<image>: they must be recreated after) and that it can be pulled or "
    "loaded again; then remove it (docker rmi) and pull or load it.",
)
def layerdb_dirs_exist(snap: Snapshot, policy: Policy) -> list[str]:
    store_asked(snap, policy, "graphdriver")
    layer_store(snap)
    dirs = layers(snap)
    missing = sorted(
        (chain, entry.get("cache_id"))
        for chain, entry in layerdb(snap).items()
        if entry.get("cache_id") not in dirs
    )
    problems = [
        f"layer {chain} names layer dir {dir_!r}, which does not exist" for chain, dir_ in missing
    ]
    for cid, entry in sorted(mounts(snap).items()):
        for key in ("mount_id", "init_id"):
            if entry.get(key) not in dirs:
                problems.append(f"container {cid[:12]} {key} {entry.get(key)!r} has no layer dir")
    return problems


@check(
    "OVL-004",
    "Every image layer is in the layer database",
    severity="critical",
    rationale="An image whose layer is missing from the layer database cannot be run.",
    remediation="The image is damaged. First check which containers use it (docker ps -a "
    "--filter ancestor=<image>: they must be recreated after) and that it can be pulled or "
    "loaded again; then remove it (docker rmi) and pull or load it.",
)
def image_layers_in_layerdb(snap: Snapshot, policy: Policy) -> list[str]:
    store_asked(snap, policy, "graphdriver")
    layer_store(snap)
    db = layerdb(snap)
    problems = []
    for image in snap.get("images", []):
        name = (image.get("tags") or [image["id"][:19]])[0]
        for chain, diff in zip(chain_ids(image.get("diff_ids", [])), image.get("diff_ids", [])):
            if db.get(chain, {}).get("diff") != diff:
                problems.append(f"image {name}: layer {diff} (chain {chain}) is not in layerdb")
    return problems


@check(
    "OVL-005",
    "Layer dirs hold the parts of their kind",
    severity="high",
    rationale="A layer dir without its diff, link, lower or work cannot be mounted.",
    remediation="Find what uses the layer dir (grep -rl <dir> <data-root>/image/overlay2/"
    "layerdb); check that it can be recreated (its image can be pulled or loaded, a "
    "container's data lives in volumes); then remove it and recreate it.",
)
def layer_parts(snap: Snapshot, policy: Policy) -> list[str]:
    store_asked(snap, policy, "graphdriver")
    layer_store(snap)
    has_parent = child_dirs(snap)
    known = referenced(snap)
    allowed = {False: {**BASE_PARTS, **OPTIONAL_PARTS}, True: {**CHILD_PARTS, **OPTIONAL_PARTS}}
    problems = []
    for name, layer in sorted(layers(snap).items()):
        parts = {part: info["type"] for part, info in layer["parts"].items()}
        # a dir nothing references is judged by what it claims to be
        child = name in has_parent or (name not in known and "lower" in parts)
        required = CHILD_PARTS if child else BASE_PARTS
        if required.keys() <= parts.keys() and parts.items() <= allowed[child].items():
            continue  # every part it needs, nothing else, each of its type
        missing = sorted(set(required) - set(parts))
        extra = sorted(set(parts) - set(required) - set(OPTIONAL_PARTS))
        wrong = sorted(
            part
            for part, kind in parts.items()
            if {**required, **OPTIONAL_PARTS}.get(part, kind) != kind
        )
        kind = "layer with a parent" if child else "base layer"
        for what, found in (("lacks", missing), ("also holds", extra), ("has mistyped", wrong)):
            if found:
                problems.append(f"{kind} {name} {what} {', '.join(found)}")
    return problems


@check(
    "OVL-006",
    "Every lower file names existing layers, nearest parent first",
    severity="critical",
    rationale="A broken or reordered lower chain mounts the wrong files, or nothing.",
    remediation="Find what uses the layer (grep -rl <dir> <data-root>/image/overlay2/layerdb); "
    "check that it can be recreated (its image can be pulled or loaded, a container's data "
    "lives in volumes); then remove it and recreate it.",
)
def lower_chains(snap: Snapshot, policy: Policy) -> list[str]:
    store_asked(snap, policy, "graphdriver")
    layer_store(snap)
    dirs = layers(snap)
    problems = []
    wanted = expected_lower(snap)
    # each distinct lower entry resolved once, to the very string the wanted chains hold (so
    # comparing a chain compares pointers); a layer's lower is then looked up, not resolved
    same = {d: d for d in referenced(snap)}
    entries = set().union(*(layer.get("lower", []) for layer in dirs.values()))
    target = {entry: same.get(d, d) for entry in entries for d in [link_target(snap, entry)]}
    unresolved = {entry for entry, found in target.items() if found is None}
    broken = {entry for entry, found in target.items() if found not in dirs}  # None too
    for name, layer in sorted(dirs.items()):
        lower = layer.get("lower", [])
        if broken and not broken.isdisjoint(lower):
            problems.extend(
                f"{name}: lower entry {entry} leads to no existing layer"
                for entry in lower
                if entry in broken
            )
        if name in wanted and (not unresolved or unresolved.isdisjoint(lower)):
            resolved = list(map(target.__getitem__, lower))
            if resolved != wanted[name]:
                problems.append(
                    f"{name}: lower names {resolved}, the parent chain is {wanted[name]}"
                )
    return problems


@check(
    "OVL-007",
    "Every l/ link points to ../<id>/diff of an existing layer, and every layer has one",
    severity="high",
    rationale="Mounts name layers through their l/ links; a wrong link mounts the wrong layer.",
    remediation="Dangling l/ links are left by a crash during layer removal. Confirm the "
    "target dir is really gone (ls <home>/<id>), then delete the link with Docker stopped. A "
    "layer without its link must be recreated (remove and pull or load its image).",
)
def short_links(snap: Snapshot, policy: Policy) -> list[str]:
    store_asked(snap, policy, "graphdriver")
    layer_store(snap)
    dirs = layers(snap)
    problems = []
    for name, target in sorted(links(snap).items()):
        layer = link_dir(target)
        if layer is None or "diff" not in dirs.get(layer, {}).get("parts", {}):
            problems.append(f"l/{name} -> {target} does not lead to an existing layer's diff")
    cache = build_cache(snap)
    for name, layer in sorted(dirs.items()):
        lid = layer.get("link")
        if lid is None:
            if "diff" in layer["parts"] and name not in cache:
                problems.append(f"{name}: has no link file, so no l/ link names it")
        elif links(snap).get(lid) != f"../{name}/diff":
            problems.append(f"{name}: its link {lid} is not l/{lid} -> ../{name}/diff")
    return problems


@check(
    "OVL-008",
    "No orphan layer dirs",
    severity="low",
    rationale="A layer dir nothing references wastes space and hides in backups and migrations.",
    remediation="An orphan is left by an interrupted pull, build or removal. The playbook "
    "layerwise.docker.reclaim lists each with its bytes and the proof that nothing uses it, "
    "and removes it with -e docker_reclaim_remove=true. By hand, confirm nothing uses it: "
    "`grep -rl <dir> <data-root>/image/overlay2/layerdb` finds nothing and `docker "
    "ps -aq | xargs -r docker inspect --format '{{.GraphDriver.Data}}' | grep <dir>` prints "
    "nothing; then, with Docker stopped, remove <home>/<dir> and its l/ link.",
)
def orphan_dirs(snap: Snapshot, policy: Policy) -> list[str]:
    store_asked(snap, policy, "graphdriver")
    layer_store(snap)
    orphans = sorted(set(layers(snap)) - referenced(snap) - build_cache(snap))
    return [f"layer dir {name} is not referenced by the layer database" for name in orphans]


@check(
    "OVL-009",
    "Overlay mounts belong to running containers",
    severity="medium",
    rationale="A merged mount left by a crash pins the layer and hides whether it is in use.",
    remediation="Confirm the mount is unused first: `docker ps -q | xargs -r docker inspect "
    "--format '{{.GraphDriver.Data.MergedDir}}'` must not list it and `fuser -vm "
    "<home>/<id>/merged` must show no process. Only then, with Docker stopped, run umount "
    "<home>/<id>/merged.",
)
def stray_mounts(snap: Snapshot, policy: Policy) -> list[str]:
    store_asked(snap, policy, "graphdriver")
    layer_store(snap)
    running = running_mounts(snap)
    problems = []
    for mount in snap.get("overlay_mounts", []):
        layer = os.path.relpath(mount["mount_point"], home(snap)).split("/")[0]
        wanted = os.path.join(home(snap), layer, "merged")
        if layer not in running or mount["mount_point"] != wanted:
            problems.append(f"overlay on {mount['mount_point']} belongs to no running container")
    return problems


@check(
    "OVL-010",
    "Running containers are mounted as docker inspect says: init layer, then the image",
    severity="high",
    rationale="A container mounted over other layers than its image's runs other files than "
    "the image promises.",
    remediation="Stop and start the container (docker stop <name>, then docker start <name>: "
    "docker restart does not mount again a container whose mount a failed dockerd start took, "
    "as with live-restore); if the mount stays wrong, recreate it from its image.",
)
def container_mounts(snap: Snapshot, policy: Policy) -> list[str]:
    store_asked(snap, policy, "graphdriver")
    layer_store(snap)
    by_cid = mounts(snap)
    problems = []
    for layer, container in sorted(running_mounts(snap).items()):
        name = container["name"]
        entry = by_cid[container["id"]]
        merged = os.path.join(home(snap), layer, "merged")
        found = [m for m in snap.get("overlay_mounts", []) if m["mount_point"] == merged]
        if len(found) != 1:
            problems.append(f"{name}: {len(found)} overlay mounts on {merged}, want 1")
            continue
        mount = found[0]
        lower = [entry.get("init_id", ""), *parent_dirs(snap, entry.get("parent", ""))]
        want = {
            "lowerdir": [diff_path(snap, d) for d in lower],
            "upperdir": diff_path(snap, layer),
            "workdir": os.path.join(home(snap), layer, "work"),
        }
        got = {
            "lowerdir": [diff_path(snap, link_target(snap, e) or e) for e in mount["lowerdir"]],
            "upperdir": mount["upperdir"],
            "workdir": mount["workdir"],
        }
        data = container["graph_driver"]["data"]
        inspect = {
            "lowerdir": data.get("LowerDir", "").split(":"),
            "upperdir": data.get("UpperDir", ""),
            "workdir": data.get("WorkDir", ""),
        }
        for key, value in want.items():
            if got[key] != value:
                problems.append(f"{name}: mount {key} is {got[key]}, want {value}")
            if inspect[key] != value:
                problems.append(f"{name}: docker inspect {key} is {inspect[key]}, want {value}")
        if data.get("MergedDir") != merged:
            problems.append(f"{name}: docker inspect MergedDir is {data.get('MergedDir')}")
    return problems


# ---- lookups the tests and roles share -------------------------------------------------------


def image_dirs(snap: Snapshot, image: dict[str, Any]) -> list[str]:
    """An image's layer dirs, top to base, as the layer database maps its layers."""
    db = layerdb(snap)
    chains = chain_ids(image.get("diff_ids", []))
    return [db.get(chain, {}).get("cache_id", "") for chain in reversed(chains)]
