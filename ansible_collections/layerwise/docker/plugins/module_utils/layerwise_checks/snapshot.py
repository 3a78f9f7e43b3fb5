"""How the checks read a snapshot: every accessor of an overlay2_facts snapshot's keys, in one
place. schema/snapshot.schema.json says what each key holds.

Each one reads a part of the snapshot and nothing else. The ones that guard a part raise
``CannotCheck`` with the reason when the part is not there (the engine did not answer, the
layer store was not read, the data root does not exist): a check that calls them cannot
pass by default. Lookups hand out the snapshot's own dicts (checks only read them): no
copies, as the checks call them per layer on hosts with thousands of layers.
"""

from __future__ import annotations

from typing import Any

from .registry import CannotCheck, Snapshot

# ---- the engine --------------------------------------------------------------------------------


def engine(snap: Snapshot) -> dict[str, Any]:
    """The engine's answer; cannot check without it."""
    docker = snap.get("docker")
    if not docker:
        raise CannotCheck("the snapshot holds no engine facts")
    if not docker.get("answers"):
        raise CannotCheck(f"Docker does not answer: {docker.get('error') or 'no reason given'}")
    return dict(docker)


def image_store(snap: Snapshot) -> str:
    """The engine's image store: ``containerd`` (DriverStatus driver-type
    io.containerd.snapshotter.v1) or ``graphdriver``; cannot check when it does not answer."""
    status = engine(snap).get("driver_status") or {}
    driver_type = str(status.get("driver-type", ""))
    return "containerd" if driver_type.startswith("io.containerd.snapshotter") else "graphdriver"


def image_named(snap: Snapshot, name: str) -> dict[str, Any] | None:
    """The image with tag ``name`` (``repo:tag``; ``:latest`` when no tag is given)."""
    tag = name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"
    return next((i for i in snap.get("images", []) if tag in i.get("tags", [])), None)


def image_name(image: dict[str, Any]) -> str:
    """An image as a message names it: its first tag, else the start of its id."""
    return str((image.get("tags") or [str(image.get("id", ""))[:19]])[0])


def images_with_layers(snap: Snapshot) -> list[dict[str, Any]]:
    """The engine's images; cannot check when any image's layers were not read."""
    found = snap.get("images", [])
    unread = [image_name(i) for i in found if not i.get("diff_ids")]
    if unread:
        count = len(unread)
        raise CannotCheck(
            f"the RootFS layers of {count} image{'' if count == 1 else 's'} were not read"
        )
    return list(found)


# ---- the overlay2 layer store ------------------------------------------------------------------


def layer_store(snap: Snapshot) -> None:
    """Cannot check the layer store unless the engine runs overlay2 and its home was read."""
    docker = engine(snap)
    if docker.get("driver") != "overlay2":
        raise CannotCheck(
            f"the engine runs {docker.get('driver')!r}, not overlay2: no overlay2 layer store"
        )
    overlay2 = snap.get("overlay2")
    if overlay2 is None or "layerdb" not in snap:
        raise CannotCheck("the layer store was not read (overlay2_facts with layers: false)")
    if not overlay2.get("exists"):
        raise CannotCheck(
            f"the driver home {overlay2.get('home') or '<data-root>/overlay2'} does not exist: "
            "the data root is not where Docker keeps its layers"
        )


def home(snap: Snapshot) -> str:
    """The overlay2 driver home."""
    return str(snap.get("overlay2", {}).get("home", ""))


def layers(snap: Snapshot) -> dict[str, dict[str, Any]]:
    """The layer dirs of the driver home, by name."""
    return snap.get("overlay2", {}).get("layers", {})


def links(snap: Snapshot) -> dict[str, str | None]:
    """The l/ links by name: their targets."""
    return snap.get("overlay2", {}).get("links", {})


def layerdb(snap: Snapshot) -> dict[str, dict[str, str]]:
    """The layer database's image layers, by chain id."""
    return snap.get("layerdb", {}).get("layers", {})


def mounts(snap: Snapshot) -> dict[str, dict[str, str]]:
    """The layer database's container mounts, by container id."""
    return snap.get("layerdb", {}).get("mounts", {})


# ---- the containerd image store ----------------------------------------------------------------


def containerd_section(snap: Snapshot) -> dict[str, Any]:
    """The containerd store as read; cannot check without it."""
    engine(snap)
    if image_store(snap) != "containerd":
        raise CannotCheck("the engine uses the graph driver store: it has no containerd snapshots")
    found = snap.get("containerd")
    if found is None:
        raise CannotCheck("the containerd store was not read (overlay2_facts with layers: false)")
    return dict(found)


def snapshots(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The snapshots of a containerd section, by key."""
    return found.get("snapshots", {})


# ---- the host's configuration ------------------------------------------------------------------


def backing(snap: Snapshot) -> dict[str, Any]:
    """The data root's filesystem; cannot check when the data root is not there."""
    facts = snap.get("backing_fs")
    if not facts:
        raise CannotCheck("the snapshot holds no facts about the data root's filesystem")
    if not facts.get("exists"):
        raise CannotCheck(f"the data root {snap.get('data_root', '')} does not exist on the host")
    return dict(facts)


def daemon_config(snap: Snapshot) -> dict[str, Any]:
    """daemon.json as parsed; cannot check what it declares when it does not parse."""
    facts = snap.get("daemon_json")
    if facts is None:
        raise CannotCheck("the snapshot holds no daemon.json facts")
    if facts.get("error"):
        raise CannotCheck(f"{facts.get('path', 'daemon.json')} does not parse: {facts['error']}")
    return dict(facts.get("content") or {})


def unit(snap: Snapshot) -> dict[str, Any]:
    """docker.service as read; cannot check when it is not found or masked."""
    facts = snap.get("unit")
    if not facts or not facts.get("found"):
        raise CannotCheck("docker.service was not found (systemctl cat docker.service failed)")
    if facts.get("masked"):
        raise CannotCheck(
            "docker.service is masked: its file cannot be read (a data root move masks it until "
            "the copy is mounted; otherwise find out who masked it before systemctl unmask)"
        )
    return dict(facts)
