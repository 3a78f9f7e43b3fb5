"""The layerwise checks: pure functions over an overlay2_facts snapshot.

Each check returns a list of problems (empty: passed). The overlay2_facts module runs them on
the host, the testinfra suite runs them on the snapshot it fetched, unit tests run them on
synthetic snapshots. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from typing import Any, Callable

Snapshot = dict[str, Any]

# parts a layer dir may hold besides the ones its kind requires
BASE_PARTS = {"diff": "dir", "link": "file"}
CHILD_PARTS = {"diff": "dir", "link": "file", "lower": "file", "work": "dir"}
OPTIONAL_PARTS = {"committed": "file", "merged": "dir"}
# BuildKit's build cache snapshots: 25-character ids of [0-9a-z], next to the 64-hex layers
BUILD_CACHE_ID = re.compile(r"[0-9a-z]{25}")


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    remediation: str
    run: Callable[[Snapshot], list[str]]


CHECKS: list[Check] = []


def check(check_id: str, title: str, remediation: str) -> Callable[..., Any]:
    """Register a check function under its id, title and remediation."""

    def register(func: Callable[[Snapshot], list[str]]) -> Callable[[Snapshot], list[str]]:
        CHECKS.append(Check(check_id, title, remediation, func))
        return func

    return register


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


def home(snap: Snapshot) -> str:
    return str(snap.get("overlay2", {}).get("home", ""))


# Lookups hand out the snapshot's own dicts (checks only read them): no copies, as the
# checks call them per layer on hosts with thousands of layers.
def layers(snap: Snapshot) -> dict[str, dict[str, Any]]:
    return snap.get("overlay2", {}).get("layers", {})


def links(snap: Snapshot) -> dict[str, str | None]:
    return snap.get("overlay2", {}).get("links", {})


def layerdb(snap: Snapshot) -> dict[str, dict[str, str]]:
    return snap.get("layerdb", {}).get("layers", {})


def mounts(snap: Snapshot) -> dict[str, dict[str, str]]:
    return snap.get("layerdb", {}).get("mounts", {})


def parent_dirs(snap: Snapshot, chain: str) -> list[str]:
    """The layer dirs of an image layer and its parents, nearest first (top to base)."""
    db = layerdb(snap)
    found: list[str] = []
    while chain and chain in db and len(found) <= len(db):
        found.append(db[chain].get("cache_id", ""))
        chain = db[chain].get("parent", "")
    return found


def expected_lower(snap: Snapshot) -> dict[str, list[str]]:
    """The layer dirs each layer dir's ``lower`` must name, nearest first, by layer dir."""
    wanted: dict[str, list[str]] = {}
    for entry in layerdb(snap).values():
        if entry.get("parent"):
            wanted[entry.get("cache_id", "")] = parent_dirs(snap, entry["parent"])
    for entry in mounts(snap).values():
        image = parent_dirs(snap, entry.get("parent", ""))
        init = entry.get("init_id", "")
        if init:
            wanted[init] = image
        wanted[entry.get("mount_id", "")] = ([init] if init else []) + image
    return wanted


def link_target(snap: Snapshot, entry: str) -> str | None:
    """The layer dir a ``lower`` entry (``l/<id>`` or ``<home>/l/<id>``) leads to."""
    name = entry.rsplit("/", 1)[-1]
    target = links(snap).get(name)
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
    "The engine runs overlay2 on a filesystem with d_type",
    "Run the docker_storage role: it sets storage-driver overlay2 in daemon.json on xfs "
    "(ftype=1) or ext4.",
)
def driver_is_overlay2(snap: Snapshot) -> list[str]:
    docker = snap.get("docker", {})
    if not docker.get("answers"):
        return [f"Docker does not answer: {docker.get('error', '')}"]
    problems = []
    if docker.get("driver") != "overlay2":
        problems.append(f"storage driver is {docker.get('driver')!r}, not 'overlay2'")
    if docker.get("d_type") is not True:
        problems.append(
            f"backing filesystem {docker.get('backing_filesystem')!r} does not support d_type"
        )
    return problems


@check(
    "OVL-002",
    "Driver dirs are closed to other users",
    "chmod 0710 <data-root>/overlay2 and its layer dirs, 0700 <data-root>/overlay2/l "
    "(Docker 20.10.9+ creates them so).",
)
def driver_dir_modes(snap: Snapshot) -> list[str]:
    overlay2 = snap.get("overlay2", {})
    if not overlay2.get("exists"):
        return []
    problems = []
    if overlay2.get("mode") is not None and overlay2["mode"] & 0o007:
        problems.append(f"{home(snap)} has mode {overlay2['mode']:04o}, open to others")
    if overlay2.get("links_mode") not in (None, 0o700):
        problems.append(f"{home(snap)}/l has mode {overlay2['links_mode']:04o}, not 0700")
    open_dirs = sorted(name for name, layer in layers(snap).items() if layer["mode"] & 0o007)
    if open_dirs:
        problems.append(f"{plural(len(open_dirs), 'layer dir')} open to others: {open_dirs[:5]}")
    return problems


@check(
    "OVL-003",
    "Every layer in the layer database has its layer dir",
    "The image is damaged: remove it (docker rmi) and load or pull it again.",
)
def layerdb_dirs_exist(snap: Snapshot) -> list[str]:
    dirs = layers(snap)
    problems = [
        f"layer {chain} names layer dir {entry.get('cache_id')!r}, which does not exist"
        for chain, entry in sorted(layerdb(snap).items())
        if entry.get("cache_id") not in dirs
    ]
    for cid, entry in sorted(mounts(snap).items()):
        for key in ("mount_id", "init_id"):
            if entry.get(key) not in dirs:
                problems.append(f"container {cid[:12]} {key} {entry.get(key)!r} has no layer dir")
    return problems


@check(
    "OVL-004",
    "Every image layer is in the layer database",
    "The image is damaged: remove it (docker rmi) and load or pull it again.",
)
def image_layers_in_layerdb(snap: Snapshot) -> list[str]:
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
    "A layer dir without its parts cannot be mounted: remove the image or container that "
    "uses it and recreate it.",
)
def layer_parts(snap: Snapshot) -> list[str]:
    has_parent = child_dirs(snap)
    known = referenced(snap)
    problems = []
    for name, layer in sorted(layers(snap).items()):
        parts = {part: info["type"] for part, info in layer["parts"].items()}
        # a dir nothing references is judged by what it claims to be
        child = name in has_parent or (name not in known and "lower" in parts)
        required = CHILD_PARTS if child else BASE_PARTS
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
    "A broken lower chain means the layer cannot be mounted: remove the image or container "
    "that uses it and recreate it.",
)
def lower_chains(snap: Snapshot) -> list[str]:
    dirs = layers(snap)
    problems = []
    wanted = expected_lower(snap)
    for name, layer in sorted(dirs.items()):
        resolved = [link_target(snap, entry) for entry in layer.get("lower", [])]
        for entry, target in zip(layer.get("lower", []), resolved):
            if target is None or target not in dirs:
                problems.append(f"{name}: lower entry {entry} leads to no existing layer")
        if name in wanted and None not in resolved and resolved != wanted[name]:
            problems.append(f"{name}: lower names {resolved}, the parent chain is {wanted[name]}")
    return problems


@check(
    "OVL-007",
    "Every l/ link points to ../<id>/diff of an existing layer, and every layer has one",
    "Dangling l/ links are left by a crash during layer removal; with Docker stopped, delete "
    "the dangling links. A layer without its link must be recreated.",
)
def short_links(snap: Snapshot) -> list[str]:
    dirs = layers(snap)
    problems = []
    for name, target in sorted(links(snap).items()):
        layer = link_target(snap, name)
        if layer is None or "diff" not in dirs.get(layer, {}).get("parts", {}):
            problems.append(f"l/{name} -> {target} does not lead to an existing layer's diff")
    for name, layer in sorted(dirs.items()):
        lid = layer.get("link")
        if lid is not None and links(snap).get(lid) != f"../{name}/diff":
            problems.append(f"{name}: its link {lid} is not l/{lid} -> ../{name}/diff")
    return problems


@check(
    "OVL-008",
    "No orphan layer dirs",
    "An orphan dir is left by an interrupted pull, build or removal and wastes space. Check "
    "that no container uses it, then remove it with Docker stopped.",
)
def orphan_dirs(snap: Snapshot) -> list[str]:
    orphans = sorted(set(layers(snap)) - referenced(snap) - build_cache(snap))
    return [f"layer dir {name} is not referenced by the layer database" for name in orphans]


@check(
    "OVL-009",
    "Overlay mounts belong to running containers",
    "A merged mount without a running container is left behind by a crash: unmount it "
    "(umount <home>/<id>/merged) with Docker stopped.",
)
def stray_mounts(snap: Snapshot) -> list[str]:
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
    "Restart the container; if the mount stays wrong, recreate it.",
)
def container_mounts(snap: Snapshot) -> list[str]:
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


# ---- running them ----------------------------------------------------------------------------


def results(snap: Snapshot) -> list[dict[str, Any]]:
    """Every check's outcome: id, title, passed, problems, remediation."""
    outcome = []
    for item in CHECKS:
        problems = item.run(snap)
        outcome.append(
            {
                "id": item.id,
                "title": item.title,
                "passed": not problems,
                "problems": problems,
                "remediation": item.remediation,
            }
        )
    return outcome


def failed(snap: Snapshot) -> list[dict[str, Any]]:
    """The checks that found problems."""
    return [result for result in results(snap) if not result["passed"]]


# ---- lookups the tests and roles share -------------------------------------------------------


def image_named(snap: Snapshot, name: str) -> dict[str, Any] | None:
    """The image with tag ``name`` (``repo:tag``; ``:latest`` when no tag is given)."""
    tag = name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"
    return next((i for i in snap.get("images", []) if tag in i.get("tags", [])), None)


def image_dirs(snap: Snapshot, image: dict[str, Any]) -> list[str]:
    """An image's layer dirs, top to base, as the layer database maps its layers."""
    db = layerdb(snap)
    chains = chain_ids(image.get("diff_ids", []))
    return [db.get(chain, {}).get("cache_id", "") for chain in reversed(chains)]


def describe(findings: list[dict[str, Any]], limit: int = 3) -> str:
    """Findings as one readable message: id, title, the first problems, the fix."""
    parts = []
    for finding in findings:
        problems = finding["problems"]
        more = f" (and {len(problems) - limit} more)" if len(problems) > limit else ""
        parts.append(
            f"{finding['id']} {finding['title']}: {'; '.join(problems[:limit])}{more}."
            f" Fix: {finding['remediation']}"
        )
    return " ".join(parts)
