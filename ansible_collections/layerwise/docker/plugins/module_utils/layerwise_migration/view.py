"""What the engine shows: its images with their layers, containers and volumes, read with
the docker CLI.

Recorded before Docker stops for the move and compared once it runs on the new filesystem:
the move is only complete when the engine sees the same things. Each image's layers are its
diff IDs (their content is hashed in layers.py); each container that does not run is also
seen through `docker diff`, what its own layer changed (a running container's layer may still
change until Docker stops it: the copy's proof covers it).
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
_AUTOREMOVE = ["docker", "container", "inspect", "--format", "{{.Id}} {{.HostConfig.AutoRemove}}"]
_LAYERS = [
    "docker",
    "image",
    "inspect",
    "--format",
    "{{.ID}} {{range .RootFS.Layers}}{{.}},{{end}}",
]
# states in which a container's own layer may change (paused: until it is unpaused)
LIVE = ("running", "restarting", "paused")


class EngineError(RuntimeError):
    """The engine did not answer a docker command."""


def _lines(argv: list[str], some: bool = False) -> list[str]:
    """The output lines of ``argv``; with ``some``, whatever it printed even when it failed
    for some of its arguments (a container that went away since it was listed)."""
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    if proc.returncode != 0 and not (some and proc.stdout.strip()):
        raise EngineError(f"{' '.join(argv[:3])} failed: {proc.stderr.strip() or proc.returncode}")
    return [line for line in proc.stdout.splitlines() if line.strip()]


def parse(
    images: list[str],
    containers: list[str],
    volumes: list[str],
    layers: list[str] | None = None,
    changes: dict[str, list[str]] | None = None,
) -> View:
    """The view from the CLI's lines: images as "id name:tag", containers by id with name,
    image and state, volume names; each image's layers as "id diff,diff,"; the changes
    `docker diff` lists for each container that does not run."""
    found: dict[str, dict[str, str]] = {}
    for line in containers:
        cid, name, image, state = ([*line.split(" ", 3), "", "", ""])[:4]
        found[cid] = {"name": name, "image": image, "state": state}
    stacks = {}
    for line in layers or []:
        image, _unused, diffs = line.partition(" ")
        stacks[image] = [diff for diff in diffs.split(",") if diff]
    return {
        "images": sorted(set(images)),
        "containers": dict(sorted(found.items())),
        "volumes": sorted(set(volumes)),
        "layers": dict(sorted(stacks.items())),
        "changes": {cid: sorted(lines) for cid, lines in sorted((changes or {}).items())},
    }


def _changes(containers: dict[str, dict[str, str]]) -> dict[str, list[str]]:
    """`docker diff` of each container that does not run (one the engine cannot diff, such
    as a dead one, is left out)."""
    found = {}
    for cid, container in containers.items():
        if container["state"] not in LIVE:
            try:
                found[cid] = sorted(_lines(["docker", "diff", cid]))
            except EngineError:
                continue
    return found


def containers() -> dict[str, dict[str, str]]:
    """The containers by id, with name, image and state (EngineError when the engine does
    not answer)."""
    return parse([], _lines(_CONTAINERS), [])["containers"]


def read() -> View:
    """The engine's view now (EngineError when it does not answer)."""
    images = _lines(_IMAGES)
    ids = sorted({line.split(" ", 1)[0] for line in images})
    seen = parse(
        images, _lines(_CONTAINERS), _lines(_VOLUMES), _lines([*_LAYERS, *ids]) if ids else []
    )
    seen["changes"] = _changes(seen["containers"])
    if seen["containers"]:
        for line in _lines([*_AUTOREMOVE, *seen["containers"]], some=True):
            cid, _unused, flag = line.partition(" ")
            if flag == "true" and cid in seen["containers"]:
                seen["containers"][cid]["autoremove"] = "true"
    return seen


def diff_ids(seen: View) -> dict[str, list[str]]:
    """Each image's layers (diff IDs), for hashing their content."""
    return dict(seen.get("layers", {}))


def running(view: View) -> list[str]:
    return [cid for cid, c in view["containers"].items() if c["state"] in ("running", "restarting")]


def differences(before: View, after: View) -> list[str]:
    """What the engine no longer shows, or shows in addition (container states aside: they are
    brought back separately; a --rm container gone is Docker's own doing, removed_by_docker)."""
    lines = []
    for key in ("images", "volumes"):
        lines += [f"{key[:-1]} {item} is gone" for item in before[key] if item not in after[key]]
        lines += [f"{key[:-1]} {item} is new" for item in after[key] if item not in before[key]]
    for cid, old in before["containers"].items():
        new = after["containers"].get(cid)
        if new is None:
            if not old.get("autoremove"):
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
    after_layers = after.get("layers", {})
    lines += [
        f"image {image[:19]} has other layers than before ({len(diffs)} then, "
        f"{len(after_layers[image])} now)"
        for image, diffs in before.get("layers", {}).items()
        if image in after_layers and after_layers[image] != diffs
    ]
    after_changes = after.get("changes", {})
    for cid, old_lines in before.get("changes", {}).items():
        if cid in after_changes and after_changes[cid] != old_lines:
            gone = sorted(set(old_lines) - set(after_changes[cid]))
            new = sorted(set(after_changes[cid]) - set(old_lines))
            lines.append(
                f"container {before['containers'][cid]['name']} ({cid[:12]}): its layer's changes "
                f"differ (docker diff: {len(gone)} lines gone, {len(new)} new, "
                f"e.g. {(gone or new)[:3]})"
            )
    return lines


def removed_by_docker(before: View, after: View) -> list[str]:
    """Containers run with --rm that are gone: Docker removes such a container when it stops
    (and at its next start one that is not running), as at any restart of Docker."""
    return [
        c["name"]
        for cid, c in before["containers"].items()
        if c.get("autoremove") and cid not in after["containers"]
    ]


def not_running(before: View, after: View) -> list[str]:
    """Containers that ran before the move and do not run now."""
    now = set(running(after))
    return [cid for cid in running(before) if cid not in now]
