"""The one entry point: ``snapshot(params)`` reads everything, ``summary(snap)`` condenses it."""

from __future__ import annotations

import gc
import os
import time
from typing import Any

from . import audit, containerd, dockerd, engine, graphdriver, mounts, usage
from .files import describe_path, digest_tree, read_text

DEFAULT_DATA_ROOT = "/var/lib/docker"

# daemon.json keys that decide where and how images are stored (fleet drift compares them)
STORAGE_KEYS = ("storage-driver", "storage-opts", "data-root", "features")


def snapshot(params: dict[str, Any]) -> dict[str, Any]:
    """Everything about the host's storage, as one dict.

    Without the cycle collector while it reads: the snapshot is a tree of dicts and lists,
    hundreds of thousands of them on a host with thousands of layers, which the collector
    would walk again and again for cycles there are none of.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        return read_snapshot(params)
    finally:
        if collecting:
            gc.enable()


def read_snapshot(params: dict[str, Any]) -> dict[str, Any]:
    started = time.monotonic()
    api = engine.DockerAPI(params["docker_host"])
    docker = engine.read_docker(api)
    unit = dockerd.read_unit()
    running = dockerd.running_dockerd()
    config_path, told_by = dockerd.config_file_read(running, unit, params["daemon_json"])
    daemon_json = {**dockerd.read_daemon_json(config_path), "told_by": told_by}
    since = unit["started_at"] = running.get("started_at")
    at_start = dockerd.config_at_start(since)
    unit["config_at_start"] = at_start is not None
    unit["restart_pending"] = dockerd.config_pending(
        config_path, daemon_json["content"], dockerd.mtime(config_path), since, at_start
    ) + dockerd.restart_pending(
        since,
        {p: dockerd.mtime(p) for p in [unit["path"], *unit["drop_ins"]] if p},
        unit["needs_reload"],
    )
    configured = (daemon_json["content"] or {}).get("data-root", "")
    data_root = params["data_root"] or configured or DEFAULT_DATA_ROOT
    # the engine's own root dir carries the userns-remap <uid>.<gid> part when there is one
    root_dir = docker["root_dir"] or data_root
    home = os.path.join(root_dir, "overlay2")
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        mounted = mounts.parse_mountinfo(handle.read())
    snap: dict[str, Any] = {
        "data_root": data_root,
        "docker": docker,
        "daemon_json": daemon_json,
        "config_dir": {
            "path": os.path.dirname(config_path),
            "file": describe_path(os.path.dirname(config_path)),
        },
        "audit": audit.read_audit(),
        "unit": unit,
        "source": mounts.read_source(params["source"]),
        "backing_fs": mounts.read_backing_fs(data_root, mounted),
        "xfs_quota_supported": os.path.exists("/proc/fs/xfs/xqmstat"),
        "capabilities": mounts.capabilities(read_text("/proc/self/status") or ""),
        "overlay_mounts": mounts.overlay_mounts(mounted, home),
        "files": {path: describe_path(path) for path in params["files"]},
        "digests": {
            layer: digest_tree(os.path.join(home, layer, "diff")) for layer in params["digests"]
        },
    }
    if params["layers"]:
        answering = api if docker["answers"] else None
        # The image store's reader, as the engine says it stores images: the containerd
        # store gives its section and images, the graph driver overlay2, layerdb and images.
        if answering and summary_store(docker) == "containerd":
            section = containerd.read_containerd(
                api.get("/info"), root_dir, mounted, read_text(containerd.SYSTEM_CONFIG)
            )
            snap["containerd"] = section
            snap["images"] = containerd.read_images(api, section)
            section.update(containerd.read_content(section, [i["id"] for i in snap["images"]]))
        else:
            snap.update(graphdriver.read(root_dir, answering))
        snap["containers"] = engine.read_containers(api) if answering else []
        if params["usage"]:
            snap["usage"] = usage.read_usage(snap, root_dir, answering, params["usage_walk_layers"])
    api.conn.close()
    snap["summary"] = summary(snap)
    snap["elapsed"] = round(time.monotonic() - started, 4)
    return snap


def summary_store(docker: dict[str, Any]) -> str:
    """The image store the engine's info names: "containerd" or "graphdriver"."""
    driver_type = docker["driver_status"].get("driver-type", "")
    return "containerd" if driver_type.startswith("io.containerd.snapshotter") else "graphdriver"


def summary(snap: dict[str, Any]) -> dict[str, Any]:
    """The host's effective storage in a few fields: what fleet drift compares."""
    docker = snap["docker"]
    content = snap["daemon_json"].get("content") or {}
    store = summary_store(docker)
    return {
        "engine_version": docker["engine_version"],
        "driver": docker["driver"],
        "image_store": store if docker.get("answers") else "",
        "backing_filesystem": snap["backing_fs"]["fstype"],
        "storage_keys": {k: content[k] for k in STORAGE_KEYS if k in content},
    }
