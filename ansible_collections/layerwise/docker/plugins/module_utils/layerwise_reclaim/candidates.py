"""What reclaim may consider: the layer or snapshot dirs nothing names, from one snapshot.

Pure: a function of the reader's snapshot. The same sets OVL-008 and CTD-004 report as
orphans; a store that cannot be read, or an engine that does not answer, is a refusal (the
checks' CannotCheck, with its reason), never an empty list.
"""

from __future__ import annotations

import math
import os

from ..layerwise_checks import overlay2, snapshot
from ..layerwise_checks.registry import CannotCheck, Snapshot

Candidate = dict[str, str]


class Refused(Exception):
    """Reclaim cannot tell what is unused on this host; the message says why."""


def store_of(snap: Snapshot) -> str:
    """``overlay2`` or ``containerd``; Refused when the engine does not answer."""
    try:
        return "containerd" if snapshot.image_store(snap) == "containerd" else "overlay2"
    except CannotCheck as exc:
        raise Refused(str(exc)) from exc


def overlay2_orphans(snap: Snapshot) -> list[Candidate]:
    """Layer dirs of the overlay2 home that neither the layer database nor BuildKit names."""
    try:
        snapshot.layer_store(snap)
    except CannotCheck as exc:
        raise Refused(str(exc)) from exc
    home = snapshot.home(snap)
    dirs = snapshot.layers(snap)
    unnamed = set(dirs) - overlay2.referenced(snap) - overlay2.build_cache(snap)
    return [
        {
            "store": "overlay2",
            "name": name,
            "path": os.path.join(home, name),
            "home": home,
            "link": str(dirs[name].get("link") or ""),
        }
        for name in sorted(unnamed)
    ]


def containerd_orphans(snap: Snapshot) -> list[Candidate]:
    """Snapshot dirs that no snapshot of any namespace names."""
    try:
        found = snapshot.containerd_section(snap)
    except CannotCheck as exc:
        raise Refused(str(exc)) from exc
    if found.get("error"):
        raise Refused(f"the containerd store cannot be read: {found['error']}")
    base = os.path.join(found["snapshots_dir"], "snapshots")
    ids = {entry["id"] for entry in found["snapshots"].values()}
    ids.update(found["other_ids"])
    return [
        {
            "store": "containerd",
            "name": name,
            "path": os.path.join(base, name),
            "home": found["snapshots_dir"],
            "link": "",
        }
        for name in sorted(set(found["dirs"]) - ids, key=_numbers_first)
    ]


def _numbers_first(name: str) -> tuple[float, str]:
    return (int(name), name) if name.isdigit() else (math.inf, name)


def orphans(snap: Snapshot) -> list[Candidate]:
    """The host's store's orphans; Refused when they cannot be known."""
    if store_of(snap) == "containerd":
        return containerd_orphans(snap)
    return overlay2_orphans(snap)
