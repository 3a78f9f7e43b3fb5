"""Where a move stands, in a small JSON file on the new filesystem.

Each step writes the phase it reached before the next begins (atomically: a new file renamed
over the old), so a run killed at any point, or a reboot, leaves a phase the next run starts
from. The file goes with the filesystem: on the staging mount during the copy, under the
data root once the new filesystem is mounted there.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .tree import STATE_DIR

# The order a move goes through. "verified": the copy equals the data root; the old data root
# may be renamed aside and the new filesystem mounted from here on.
PHASES = ("recorded", "stopped", "copying", "copied", "verified")


def path(top: str) -> str:
    return os.path.join(top, STATE_DIR, "state.json")


def load(top: str) -> dict[str, Any]:
    """The state under ``top``, {} when no move was started there."""
    try:
        with open(path(top), encoding="utf-8") as handle:
            found = json.load(handle)
    except FileNotFoundError:
        return {}
    if not isinstance(found, dict) or found.get("phase") not in PHASES:
        raise ValueError(f"{path(top)} is not a layerwise migration state (phase {found!r:.80})")
    return found


def save(top: str, state: dict[str, Any]) -> None:
    os.makedirs(os.path.join(top, STATE_DIR), mode=0o700, exist_ok=True)
    tmp = path(top) + ".new"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=1, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path(top))
    dir_fd = os.open(os.path.join(top, STATE_DIR), os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def at_least(state: dict[str, Any], phase: str) -> bool:
    return bool(state) and PHASES.index(state["phase"]) >= PHASES.index(phase)
