"""The graph driver's store on disk: the overlay2 home (layer dirs, l/ links), the layer
database (image layers, container mounts) and the images' configs in the image database.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

from .engine import DockerAPI
from .files import file_type, lstat_and_text, read_bytes, read_text
from .images import image_entry

LAYERDB_FILES = ("cache-id", "diff", "parent", "size")

MOUNT_FILES = ("mount-id", "init-id", "parent")


def entry_mode(name: str, dir_fd: int) -> int | None:
    """The st_mode of ``name`` (not followed) in the open dir ``dir_fd``, None when it is gone."""
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except FileNotFoundError:
        return None


def read_link(name: str, dir_fd: int) -> str | None:
    """A symlink's target, None when it is not a symlink (any more)."""
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError:
        return None


def open_dir(path: str) -> int:
    return os.open(path, os.O_RDONLY | os.O_DIRECTORY)


# The reader walks the driver home and the layer database through an open fd of each, with
# paths relative to it: tens of thousands of stats and reads walk two names, not the whole path.


# the files of a layer dir the reader reads: each stat'ed and read from one open
READ_PARTS = ("link", "lower")


def read_layer_dir(
    home_fd: int, name: str, path: str, mode: int, entries_seen: dict[str, str]
) -> dict[str, Any]:
    """Layer dir ``name`` of the home open as ``home_fd`` (at ``path``, with st_mode ``mode``):
    its mode, each part's type and mode, the link id and the lower chain, whose entries are
    the string objects ``entries_seen`` holds (see ``shared``)."""
    parts: dict[str, dict[str, Any]] = {}
    layer: dict[str, Any] = {"mode": stat.S_IMODE(mode), "parts": parts}
    texts: dict[str, str | None] = {}
    with os.scandir(path) as entries:
        for entry in entries:
            part_path = f"{name}/{entry.name}"
            found = lstat_and_text(part_path, home_fd) if entry.name in READ_PARTS else None
            if found is None:
                part = entry_mode(part_path, home_fd)
            else:
                part, texts[entry.name] = found
            if part is not None:
                parts[entry.name] = {"type": file_type(part), "mode": stat.S_IMODE(part)}
    layer["link"] = part_text(home_fd, name, "link", parts, texts)
    lower = part_text(home_fd, name, "lower", parts, texts)
    layer["lower"] = shared(lower.split(":"), entries_seen) if lower else []
    return layer


def shared(strings: list[str], seen: dict[str, str]) -> list[str]:
    """``strings`` with each one replaced by the equal string ``seen`` already holds (added
    when new). A lower chain repeats its parent's: on thousands of layers a hundred deep
    the chains hold a few thousand distinct entries, not half a million copies, and the
    checks compare them as the same objects."""
    return list(map(seen.setdefault, strings, strings))


def part_text(
    home_fd: int, name: str, part: str, parts: dict[str, Any], texts: dict[str, str | None]
) -> str | None:
    """A part's text: as read with its mode, else read now (a symlink is followed); None
    when the layer dir has no such part."""
    if part in texts:
        return texts[part]
    return read_text(f"{name}/{part}", True, home_fd) if part in parts else None


def read_overlay2(home: str) -> dict[str, Any]:
    """The driver home: its mode, every layer dir, the l/ links and anything else in it."""
    facts: dict[str, Any] = {
        "home": home,
        "exists": os.path.isdir(home),
        "mode": None,
        "links_mode": None,
        "layers": {},
        "links": {},
        "other": {},
        # BuildKit (the default builder from Docker 23) keeps its build cache as layer dirs
        # of its own, recorded in <root>/buildkit, not in the layer database
        "buildkit": os.path.isdir(os.path.join(os.path.dirname(home), "buildkit")),
    }
    if not facts["exists"]:
        return facts
    facts["mode"] = stat.S_IMODE(os.stat(home).st_mode)
    home_fd = open_dir(home)
    entries_seen: dict[str, str] = {}  # lower entries, one string object each
    try:
        with os.scandir(home) as entries:
            for entry in entries:
                mode = entry_mode(entry.name, home_fd)
                if mode is None:
                    continue
                if entry.name == "l" and stat.S_ISDIR(mode):
                    facts["links_mode"] = stat.S_IMODE(mode)
                    with os.scandir(entry.path) as links:
                        facts["links"] = {
                            link.name: read_link(f"l/{link.name}", home_fd) for link in links
                        }
                elif stat.S_ISDIR(mode):
                    try:
                        layer = read_layer_dir(home_fd, entry.name, entry.path, mode, entries_seen)
                    except FileNotFoundError:
                        continue
                    facts["layers"][entry.name] = layer
                else:
                    facts["other"][entry.name] = {
                        "type": file_type(mode),
                        "mode": stat.S_IMODE(mode),
                    }
    finally:
        os.close(home_fd)
    return facts


def read_entries(root: str, names: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Every subdir of root as {subdir: {file name: text}} for the files that exist."""
    found: dict[str, dict[str, str]] = {}
    keys = [(name, name.replace("-", "_")) for name in names]
    if not os.path.isdir(root):
        return found
    root_fd = open_dir(root)
    try:
        with os.scandir(root) as entries:
            for entry in entries:
                if not entry.is_dir(follow_symlinks=False):
                    continue
                values = {}
                for name, key in keys:
                    text = read_text(f"{entry.name}/{name}", True, root_fd)
                    if text is not None:
                        values[key] = text
                found[entry.name] = values
    finally:
        os.close(root_fd)
    return found


def read_layerdb(image_root: str) -> dict[str, Any]:
    """Image layers by chain id (cache-id, diff, parent, size) and container mounts."""
    layerdb = os.path.join(image_root, "layerdb")
    layers = read_entries(os.path.join(layerdb, "sha256"), LAYERDB_FILES)
    return {
        "layers": {f"sha256:{chain}": entry for chain, entry in layers.items()},
        "mounts": read_entries(os.path.join(layerdb, "mounts"), MOUNT_FILES),
    }


def read_images(api: DockerAPI, image_root: str) -> list[dict[str, Any]]:
    """The engine's images with their tags, RootFS diff ids and history.

    The list comes from the engine; each image's config is read from the image store on disk
    (what ``docker image inspect`` reports as RootFS.Layers, plus history with empty_layer).
    """
    images = []
    for summary in api.get("/images/json"):
        image_id = summary["Id"]
        path = os.path.join(image_root, "imagedb/content", image_id.replace(":", "/", 1))
        try:
            config = json.loads(read_bytes(path, regular=True))
        except (OSError, ValueError, RecursionError):
            config = {}
        images.append(image_entry(image_id, summary, config))
    return images


def read(root_dir: str, api: DockerAPI | None) -> dict[str, Any]:
    """The graph driver's store under the engine's root dir; images only when the engine answers."""
    home = os.path.join(root_dir, "overlay2")
    image_root = os.path.join(root_dir, "image", "overlay2")
    return {
        "overlay2": read_overlay2(home),
        "layerdb": read_layerdb(image_root),
        "images": read_images(api, image_root) if api is not None else [],
    }
