"""Jinja filters of the docker_storage role: merge its storage keys into daemon.json, and
say as a layerwise policy what the role promises.

debops-style: daemon.json is a dict merged key by key, never a string built by hand, so keys
the role does not own (log-driver, registry-mirrors, ...) survive untouched.
"""

from __future__ import annotations

import re
from typing import Any

# daemon.json keys this role owns; every other key is left as it is. Of "features" it owns
# only the containerd-snapshotter flag, which chooses the image store, and the
# containerd-migration flag of Docker 29, which moves graph-driver images into it.
MANAGED_KEYS = ("storage-driver", "storage-opts", "data-root")
SNAPSHOTTER_FEATURE = "containerd-snapshotter"
MIGRATION_FEATURE = "containerd-migration"

# What docker info reports as the driver of each image store the role sets up.
STORE_DRIVERS = {"overlay2": "overlay2", "containerd": "overlayfs"}

# The log drivers that keep containers' logs in files on the host, the files log-opts
# max-size and max-file rotate (moby daemon/logger/jsonfilelog and daemon/logger/local), and
# the size form Docker documents for max-size: a positive whole number and k, m or g.
ROTATING_DRIVERS = ("json-file", "local")
LOG_SIZE = re.compile(r"[1-9][0-9]*[kmg]")

# "graph" is the pre-17.05 name of "data-root": both at once make dockerd refuse to start,
# so the role replaces it rather than leaving a second, conflicting data root behind.
REPLACED_KEYS = ("graph",)


def daemon_config(
    existing: dict[str, Any] | None,
    driver: str,
    opts: list[str],
    data_root: str,
    store: str = "overlay2",
    *,
    migrate_images: bool = False,
    log_rotation: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Return ``existing`` with the storage keys set; keys the role does not own survive.

    ``log_rotation`` (log_opts' result) is set into ``log-opts``, whose other options are
    kept; empty leaves ``log-opts`` as it is.

    An empty ``opts`` removes ``storage-opts``: the role owns the key, and an empty list
    would only say the same thing less clearly.

    ``store`` "overlay2" is the graph driver: ``storage-driver`` set, and a
    containerd-snapshotter feature already in the file turned off (dockerd refuses both at
    once; Docker 29 would otherwise pick the containerd store). "containerd" is the
    containerd image store: the feature on, and no ``storage-driver`` nor ``storage-opts``
    (the graph driver's keys; ``storage-driver: overlay2`` with the feature makes dockerd
    refuse to start). Other features are kept.

    ``migrate_images`` (only with ``store`` "containerd"; Docker 29+) writes the opt-in of
    Docker 29's start-up migration of graph-driver images to the containerd store: the
    containerd store's keys, but ``containerd-migration`` on instead of the
    ``containerd-snapshotter`` flag. dockerd only considers the migration while its image
    store choice is a graph driver (moby daemon/daemon.go: the migration sits inside
    ``if imgStoreChoice.IsGraphDriver()``). ``containerd-snapshotter: true`` makes the choice
    "containerd-explicit" (daemon/image_store_choice.go), which skips the migration and
    hides the images; without the flag and without ``storage-driver`` the non-empty
    ``<data-root>/overlay2`` makes it "graphdriver-prior" (graphdriver.HasPriorDriver), and
    the migration then switches the driver to the overlayfs snapshotter. No
    ``storage-driver`` is written (moby's test passes ``-s overlay2``, which works too):
    after the migration the engine runs overlayfs, and a declared overlay2 would read as a
    pending restart. Without ``migrate_images`` a ``containerd-migration`` flag already in
    the file is removed: on the overlay2 store it would let a restart move the host to
    containerd behind the role's back.
    """
    if existing is None:
        existing = {}
    if not isinstance(existing, dict):
        raise TypeError(f"daemon.json must hold a JSON object, not {type(existing).__name__}")
    if store not in STORE_DRIVERS:
        raise ValueError(f"image store {store!r} is not one of {', '.join(STORE_DRIVERS)}")
    if migrate_images and store != "containerd":
        raise ValueError(f"migrate_images moves images to the containerd store, not to {store!r}")
    merged = {k: v for k, v in existing.items() if k not in REPLACED_KEYS}
    features = dict(merged.get("features") or {})
    features.pop(MIGRATION_FEATURE, None)
    if store == "containerd":
        merged.pop("storage-driver", None)
        merged.pop("storage-opts", None)
        if migrate_images:
            features.pop(SNAPSHOTTER_FEATURE, None)
            features[MIGRATION_FEATURE] = True
        else:
            features[SNAPSHOTTER_FEATURE] = True
    else:
        merged["storage-driver"] = driver
        if opts:
            merged["storage-opts"] = list(opts)
        else:
            merged.pop("storage-opts", None)
        if SNAPSHOTTER_FEATURE in features:
            features[SNAPSHOTTER_FEATURE] = False
    if features:
        merged["features"] = features
    elif MIGRATION_FEATURE in (merged.get("features") or {}):
        merged.pop("features")  # held only the migration flag, now removed
    merged["data-root"] = data_root
    if log_rotation:
        kept = merged.get("log-opts", {})
        if not isinstance(kept, dict):  # the guard refuses it first, with the fix
            raise TypeError(f"daemon.json's log-opts must be an object, not {kept!r}")
        merged["log-opts"] = {**kept, **log_rotation}
    return merged


def log_opts(max_size: str, max_file: int | str = 0) -> dict[str, str]:
    """daemon.json's log-opts for docker_storage_log_max_size and docker_storage_log_max_file,
    as strings (dockerd reads no numbers there); {} when max_size is empty: log-opts are left
    as they are. Raises ValueError on a value dockerd would refuse (validate.yml says it first).
    """
    size, files = str(max_size or ""), int(max_file or 0)
    if not size:
        if files:
            raise ValueError("docker_storage_log_max_file needs docker_storage_log_max_size")
        return {}
    if not LOG_SIZE.fullmatch(size):
        raise ValueError(f"docker_storage_log_max_size {size!r} is not a size such as 50m")
    if files < 0:
        raise ValueError(f"docker_storage_log_max_file {files} is below 0")
    return {"max-size": size, **({"max-file": str(files)} if files else {})}


def log_opts_problem(max_size: str, max_file: int | str = 0) -> str:
    """Why log_opts refuses these values, "" when it takes them (validate.yml's check: one
    reading of the size form)."""
    try:
        log_opts(max_size, max_file)
    except ValueError as exc:
        return str(exc)
    return ""


def new_log_driver(snap: dict[str, Any]) -> str:
    """The log driver of containers created from now on: daemon.json's log-driver, else the
    running engine's, else dockerd's default (json-file)."""
    content = (snap.get("daemon_json") or {}).get("content") or {}
    return str(
        content.get("log-driver") or (snap.get("docker") or {}).get("logging_driver") or "json-file"
    )


def log_holdouts(snap: dict[str, Any], rotation: dict[str, str]) -> list[str]:
    """The containers, in words, that keep other log settings than ``rotation`` gives new
    ones: a container keeps the log driver and options it was created with until it is
    recreated (moby/moby#35185). Containers whose log is not a file here are left out."""
    if not rotation:
        return []
    driver = new_log_driver(snap)
    found = []
    for container in snap.get("containers") or []:
        had, options = container["log_driver"], container["log_options"]
        if had not in ROTATING_DRIVERS:
            continue
        if had == driver and all(options.get(k) == v for k, v in rotation.items()):
            continue
        kept = ", ".join(f"{k} {options[k]}" for k in ("max-size", "max-file") if k in options)
        found.append(f"{container['name']} ({had}, {kept or 'no max-size'}; {container['status']})")
    return sorted(found)


def role_policy(
    driver: str,
    data_root: str,
    opts: list[str],
    fstype: str,
    source: str,
    store: str = "overlay2",
) -> dict[str, Any]:
    """What the role promises, as a layerwise policy (layerwise/policy/default.yml lists the keys).

    The role's verify step, tests/infra and a compliance run judge a host the role set up
    against this, with the same checks. Without a source (device or loop file) the role
    leaves the data root's filesystem as it is, so where it lives is not judged. The image
    store is judged by its own policy key, not by the features map of daemon.json, whose
    other flags belong to the user. Log rotation (USE-002) is not the role's to promise; the
    other disk usage checks keep their defaults.
    """
    daemon_json: dict[str, Any] = {"data-root": data_root}
    if store == "overlay2":
        daemon_json["storage-driver"] = driver
        if opts:
            daemon_json["storage-opts"] = list(opts)
    policy: dict[str, Any] = {
        "driver": STORE_DRIVERS[store],  # what docker info calls it; driver is overlay2
        "image_store": store,
        "data_root": data_root,
        "daemon_json": daemon_json,
        "data_root_own_filesystem": bool(source),
        "fstab_entry": bool(source),
        "mount_dependency": bool(source),
        # the role sets up storage, not the containers' logging: not its promise
        "log_rotation": False,
    }
    if source:
        policy["backing_filesystems"] = [fstype]
    return policy


# Where images live, as daemon.json decides it, and dockerd's choice where the file is silent
# (engines before 29: the graph driver store; overlay2, the prior driver on these hosts).
WHERE_IMAGES_LIVE = {
    "storage-driver": lambda c: c.get("storage-driver", "overlay2"),
    "image store": lambda c: (
        "containerd" if (c.get("features") or {}).get(SNAPSHOTTER_FEATURE) else "graph driver"
    ),
    "data-root": lambda c: c.get("data-root", "/var/lib/docker"),
}


def hiding_switches(before: dict[str, Any] | None, after: dict[str, Any]) -> list[dict[str, str]]:
    """What a daemon.json change switches that decides where Docker finds its images.

    One entry per switch (key, from, to, and the three in words), read from the two files
    alone: for a host whose engine cannot be asked (it does not start), what it declares is
    what it would run. On the containerd store the graph driver's storage-driver plays no
    part and is not compared.
    """
    old, new = dict(before or {}), dict(after)
    found = []
    for key, read in WHERE_IMAGES_LIVE.items():
        if key == "storage-driver" and "containerd" in (
            WHERE_IMAGES_LIVE["image store"](old),
            WHERE_IMAGES_LIVE["image store"](new),
        ):
            continue
        if read(old) != read(new):
            was, now = str(read(old)), str(read(new))
            found.append({"key": key, "from": was, "to": now, "says": f"{key} from {was} to {now}"})
    return found


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {
            "docker_storage_daemon_config": daemon_config,
            "docker_storage_policy": role_policy,
            "docker_storage_hiding_switches": hiding_switches,
            "docker_storage_log_opts": log_opts,
            "docker_storage_log_opts_problem": log_opts_problem,
            "docker_storage_log_holdouts": log_holdouts,
        }
