"""What the engine shows: its images, containers and volumes, read with the docker CLI.

Recorded before Docker stops for the move and compared once it runs on the new filesystem:
the move is only complete when the engine sees the same things.
"""

from __future__ import annotations

import subprocess
from typing import Any

View = dict[str, Any]

_IMAGES = [
    "docker",
    "image",
    "ls",
    "--all",
    "--no-trunc",
    "--format",
    "{{.ID}} {{.Repository}}:{{.Tag}}",
]
_CONTAINERS = [
    "docker",
    "ps",
    "--all",
    "--no-trunc",
    "--format",
    "{{.ID}} {{.Names}} {{.Image}} {{.State}}",
]
_VOLUMES = ["docker", "volume", "ls", "--format", "{{.Name}}"]


class EngineError(RuntimeError):
    """The engine did not answer a docker command."""


def _lines(argv: list[str]) -> list[str]:
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0:
        raise EngineError(f"{' '.join(argv[:3])} failed: {proc.stderr.strip() or proc.returncode}")
    return [line for line in proc.stdout.splitlines() if line.strip()]


def parse(images: list[str], containers: list[str], volumes: list[str]) -> View:
    """The view from the CLI's lines: images as "id name:tag", containers by id with name,
    image and state, volume names."""
    found: dict[str, dict[str, str]] = {}
    for line in containers:
        cid, name, image, state = ([*line.split(" ", 3), "", "", ""])[:4]
        found[cid] = {"name": name, "image": image, "state": state}
    return {
        "images": sorted(set(images)),
        "containers": dict(sorted(found.items())),
        "volumes": sorted(set(volumes)),
    }


def read() -> View:
    """The engine's view now (EngineError when it does not answer)."""
    return parse(_lines(_IMAGES), _lines(_CONTAINERS), _lines(_VOLUMES))


def running(view: View) -> list[str]:
    return [cid for cid, c in view["containers"].items() if c["state"] in ("running", "restarting")]


def differences(before: View, after: View) -> list[str]:
    """What the engine no longer shows, or shows in addition (container states aside: they are
    brought back separately)."""
    lines = []
    for key in ("images", "volumes"):
        lines += [f"{key[:-1]} {item} is gone" for item in before[key] if item not in after[key]]
        lines += [f"{key[:-1]} {item} is new" for item in after[key] if item not in before[key]]
    for cid, old in before["containers"].items():
        new = after["containers"].get(cid)
        if new is None:
            lines.append(f"container {old['name']} ({cid[:12]}) is gone")
        elif (new["name"], new["image"]) != (old["name"], old["image"]):
            lines.append(
                f"container {cid[:12]} was {old['name']} of {old['image']}, "
                f"now {new['name']} of {new['image']}"
            )
    lines += [
        f"container {c['name']} ({cid[:12]}) is new"
        for cid, c in after["containers"].items()
        if cid not in before["containers"]
    ]
    return lines


def not_running(before: View, after: View) -> list[str]:
    """Containers that ran before the move and do not run now."""
    now = set(running(after))
    return [cid for cid in running(before) if cid not in now]
