"""The docker_storage role's refusals, as one pure function: what the probe read on the host
(the overlay2_facts snapshot, and the few counts it takes on disk) and the role's variables
in, every refusal out, each naming the variable or host setting to change and how.

tasks/guard.yml calls it once, before the first change; tests/unit/test_guard.py proves each
refusal, message and all, on synthetic snapshots.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ansible_collections.layerwise.docker.plugins.filter.docker_storage import (
    ROTATING_DRIVERS,
    new_log_driver,
)
from ansible_collections.layerwise.docker.plugins.filter.docker_storage_grow import (
    SLACK,
    grow_plan,
    mounted_from_source,
    size_bytes,
    size_text,
)

# The store names the role's variable uses, by what the reader's summary calls them.
STORE_NAMES = {"graphdriver": "overlay2", "containerd": "containerd"}
# Which allow_* variable lets a switch of each kind through (hiding_switches' keys).
ALLOW_NAMES = {
    "storage-driver": "docker_storage_allow_driver_change",
    "image store": "docker_storage_allow_image_store_change",
    "data-root": "docker_storage_allow_data_root_change",
}


def version_at_least(version: str, floor: str) -> bool:
    """Whether an engine version such as "20.10.24+dfsg1" or "28.5.2" is ``floor`` or later."""

    def parts(text: str) -> tuple[int, ...]:
        head = re.match(r"[0-9.]*", text)
        return tuple(int(p) for p in (head.group(0) if head else "").split(".") if p)

    return parts(version) >= parts(floor)


class Host:
    """What the probe read, with the defaults the role assumes where the reader is silent."""

    def __init__(self, before: dict[str, Any], name: str, on_disk: dict[str, Any]) -> None:
        self.name = name
        self.before = before
        self.unit = before.get("unit") or {}
        self.source = before.get("source") or {}
        self.fs = before.get("backing_fs") or {}
        self.daemon_json = before.get("daemon_json") or {}
        self.docker = before.get("docker") or {}
        self.store = (before.get("summary") or {}).get("image_store") or ""
        self.xfs_quota = bool(before.get("xfs_quota_supported"))
        self.on_disk = on_disk
        self.content = self.daemon_json.get("content")
        self.held = int(self.docker.get("images") or 0) + int(self.docker.get("containers") or 0)
        self.answers = bool(self.docker.get("answers"))


Check = Callable[[Host, dict[str, Any]], "str | None"]


def engine_installed(h: Host, v: dict[str, Any]) -> str | None:
    if h.unit.get("found"):
        return None
    return (
        f"docker.service was not found on {h.name}. Install the engine first (the "
        "docker_engine role), then run docker_storage."
    )


def device_is_a_block_device(h: Host, v: dict[str, Any]) -> str | None:
    if not v["docker_storage_device"] or (h.source.get("exists") and h.source.get("is_block")):
        return None
    what = "is not a block device" if h.source.get("exists") else "does not exist"
    return (
        f"docker_storage_device '{v['docker_storage_device']}' {what} on {h.name}. Set "
        "docker_storage_device to the disk or LV that should hold Docker's data (lsblk lists "
        "them), or use docker_storage_loop_file for a lab."
    )


def loop_file_is_a_file(h: Host, v: dict[str, Any]) -> str | None:
    loop = v["docker_storage_loop_file"]
    if not loop or not h.source.get("exists") or h.source.get("is_file"):
        return None
    return (
        f"docker_storage_loop_file '{loop}' exists but is not a regular file. Point "
        "docker_storage_loop_file at an image file (the role creates it when missing)."
    )


def loop_size_not_smaller(h: Host, v: dict[str, Any]) -> str | None:
    """A loop file (and its filesystem) is only grown: a docker_storage_loop_size under what
    it is now would be a shrink."""
    loop, asked = v["docker_storage_loop_file"], v["docker_storage_loop_size"]
    if not loop or not h.source.get("is_file"):
        return None
    wanted = size_bytes(asked)
    file_now = int(h.source.get("size") or 0)
    fs_now = h.fs.get("fs_bytes") if mounted_from_source(h.before, loop) else None
    has = max(file_now, fs_now if isinstance(fs_now, int) else 0)
    if not wanted or wanted >= has:
        return None
    fs_part = (
        f" and the {h.fs.get('fstype')} filesystem on it {fs_now}"
        if isinstance(fs_now, int)
        else ""
    )
    return (
        f"docker_storage_loop_size {asked} ({wanted} bytes) is smaller than the loop file "
        f"{loop} on {h.name}: the file has {file_now} bytes{fs_part}. The role grows a data "
        "root's filesystem in place but never shrinks it: xfs cannot shrink, and shrinking "
        "ext4 (unmounted, Docker stopped) is not this role's job. Set docker_storage_loop_size "
        f"to {size_text(has)} (its size now) or more."
    )


# What each growth needs, by the names the reader gives capabilities.
GROW_NEEDS = {
    "xfs": ("sys_admin", "CAP_SYS_ADMIN", "xfs_growfs"),
    "ext4": ("sys_resource", "CAP_SYS_RESOURCE", "resize2fs"),
}


def growth_can_run(h: Host, v: dict[str, Any]) -> str | None:
    """A growth this run would start must be able to finish: checked before the loop file
    grows, so that a host that cannot grow its filesystem online is left as it is."""
    plan = grow_plan(h.before, v)
    fstype = plan["grow"]
    if not fstype:
        return None
    cap, name, tool = GROW_NEEDS[fstype]
    if (h.before.get("capabilities") or {}).get(cap) is not False:
        return None
    keep = []
    if plan["file_bytes"]:
        keep.append(f"keep docker_storage_loop_size at {size_text(plan['file_from'])}")
    if (
        v["docker_storage_grow_filesystem"]
        and max(plan["file_from"], h.fs.get("device_bytes") or 0) - (plan["fs_from"] or 0) > SLACK
    ):
        keep.append("set docker_storage_grow_filesystem: false")
    alternative = f", or {' and '.join(keep)}" if keep else ""
    return (
        f"The {fstype} on {v['docker_storage_data_root']} ({plan['device']}) is to grow online "
        f"from {plan['fs_from']} to about {plan['fs_to']} bytes, but {tool} cannot grow a mounted "
        f"{fstype} on {h.name}: it needs {name}, which the host's capability bounding set "
        "lacks (a container started without it). Nothing was changed. Give the host "
        f"{name}, or run {tool} {plan['mount_point'] if fstype == 'xfs' else plan['device']} "
        f"where it is held (on the machine that runs this container){alternative}."
    )


def no_foreign_signature(h: Host, v: dict[str, Any]) -> str | None:
    source, fstype = v["docker_storage_source"], v["docker_storage_fstype"]
    sig = h.source.get("signature") or {}
    if not source or v["docker_storage_force_format"] or not sig:
        return None
    if sig.get("TYPE", "") == fstype and "PTTYPE" not in sig:
        return None
    variable = "docker_storage_device" if v["docker_storage_device"] else "docker_storage_loop_file"
    carries = (
        f"a {sig['TYPE']} filesystem"
        if "TYPE" in sig
        else f"a {sig.get('PTTYPE', 'unknown')} partition table"
    )
    return (
        f"{variable} '{source}' already carries {carries}, not {fstype}: the role will not "
        "format it. Check that this is the right device (blkid and lsblk -f show what it "
        f"holds); if its data may go, wipe it (wipefs -a {source}) or set "
        "docker_storage_force_format: true."
    )


def xfs_has_ftype(h: Host, v: dict[str, Any]) -> str | None:
    source = v["docker_storage_source"]
    ftype = h.source.get("xfs_ftype") if source else h.fs.get("xfs_ftype")
    if str(ftype) != "0":
        return None
    force = " (or set docker_storage_force_format: true)" if source else ""
    return (
        f"The xfs on {source or v['docker_storage_data_root']} was made with ftype=0; overlay2 "
        "needs d_type (ftype=1) and the flag cannot be changed in place. Move the data off, "
        f"then reformat it: mkfs.xfs -f -n ftype=1 {source or '<device>'}{force}."
    )


def data_root_mounted_from_source(h: Host, v: dict[str, Any]) -> str | None:
    source = v["docker_storage_source"]
    if not source or v["docker_storage_force_format"] or not h.fs.get("mounted"):
        return None
    real = h.source.get("realpath") or ""
    if h.fs.get("realdevice") == real or h.fs.get("backing_file") == real:
        return None
    root = v["docker_storage_data_root"]
    return (
        f"{root} is already mounted from {h.fs.get('backing_file') or h.fs.get('device')}, "
        f"not from {source}. Unmount it (and remove its fstab line) once nothing uses it "
        f"(docker info shows whether Docker keeps its data there; fuser -vm {root} lists "
        "what else holds it open), or set docker_storage_device / docker_storage_loop_file "
        "to what is mounted there."
    )


def daemon_json_is_the_one_read(h: Host, v: dict[str, Any]) -> str | None:
    path, wanted = h.daemon_json.get("path"), v["docker_storage_daemon_json"]
    if path == wanted:
        return None
    return (
        f"dockerd on {h.name} reads {path} ({h.daemon_json.get('told_by', 'its --config-file')}"
        f"), not {wanted}: set docker_storage_daemon_json to {path}, or the storage keys would "
        "land in a file dockerd ignores."
    )


def daemon_json_not_a_link(h: Host, v: dict[str, Any]) -> str | None:
    file = h.daemon_json.get("file") or {}
    if not h.daemon_json.get("exists") or file.get("type") != "symlink":
        return None
    path = v["docker_storage_daemon_json"]
    return (
        f"{path} is a symbolic link to {file.get('target', '?')} on {h.name}: writing it would "
        "replace the link with a plain file, and whatever keeps the target (another tool, a "
        "mounted volume, a package) would no longer configure Docker. The role leaves it "
        "alone. Find out what manages the target; if nothing does, make daemon.json a plain "
        f'file with the same content (cp --remove-destination "$(readlink -f {path})" {path}; '
        "cmp shows the content unchanged, and Docker reads it only at its next start) and run "
        "the role again. Or set docker_storage_daemon_json to the file dockerd is told to "
        "read (--config-file), if that is the target."
    )


def daemon_json_owned_by_root(h: Host, v: dict[str, Any]) -> str | None:
    file = h.daemon_json.get("file") or {}
    if not h.daemon_json.get("exists") or file.get("type") == "symlink":
        return None
    uid, gid = file.get("uid", 0), file.get("gid", 0)
    if uid == 0 and gid == 0:
        return None
    path = v["docker_storage_daemon_json"]
    return (
        f"{path} is owned by {uid}:{gid}, not root (0:0), on {h.name}: whoever can write it "
        "runs dockerd as they like (CIS 3.17), and something other than root may be managing "
        f"it. The role will not rewrite or chown it. Check who wrote it and why (ls -ln {path}, "
        f"its content); if root should own it, chown root:root {path} (neither its content "
        "nor the running Docker changes) and run the role again."
    )


def daemon_json_is_json(h: Host, v: dict[str, Any]) -> str | None:
    if h.content is not None:
        return None
    return (
        f"{v['docker_storage_daemon_json']} is not a valid JSON object "
        f"({h.daemon_json.get('error')}). Fix it (python3 -m json.tool "
        f"{v['docker_storage_daemon_json']} shows where it breaks); the role merges its "
        "storage keys into the existing file and will not overwrite what it cannot read."
    )


def no_storage_flags(h: Host, v: dict[str, Any]) -> str | None:
    conflicts = h.unit.get("flag_conflicts") or []
    if not conflicts:
        return None
    vias = list(dict.fromkeys(c.get("via") for c in conflicts if c.get("via")))
    keys = list(dict.fromkeys(c.get("key") for c in conflicts))
    via = f" via {', '.join(vias)}" if vias else ""
    return (
        f"docker.service passes {', '.join(c.get('flag', '') for c in conflicts)} to "
        f"dockerd{via} (ExecStart: {conflicts[0].get('command', '')}). dockerd refuses to start "
        "when a setting is both a flag and in daemon.json. Remove the flag from the unit or "
        "its drop-in (systemctl edit docker.service) or from /etc/default/docker, and let "
        f"this role own {', '.join(keys)}."
    )


def log_rotation_can_apply(h: Host, v: dict[str, Any]) -> str | None:
    """docker_storage_log_max_size: log-opts dockerd will take, for a log driver that writes
    files here."""
    if not v["docker_storage_log_max_size"]:
        return None
    given = [f for f in h.unit.get("log_flags") or [] if f.get("key") == "log-opts"]
    if given:
        return (
            f"docker.service passes {', '.join(f.get('flag', '') for f in given)} to dockerd "
            f"(ExecStart: {given[0].get('command', '')}), and dockerd refuses to start when "
            "log-opts are both flags and in daemon.json. Move the options into daemon.json's "
            "log-opts (systemctl edit docker.service for a drop-in, or /etc/default/docker), or "
            "leave docker_storage_log_max_size empty."
        )
    kept = (h.content or {}).get("log-opts")
    if kept is not None and not isinstance(kept, dict):
        return (
            f"{v['docker_storage_daemon_json']} has a log-opts that is not a JSON object "
            f'({kept!r}). Make it an object of strings (e.g. {{"max-size": "50m"}}) or '
            "remove it; the role sets max-size and max-file in it and keeps the rest."
        )
    driver = new_log_driver(h.before)
    if driver in ROTATING_DRIVERS:
        return None
    return (
        f"docker_storage_log_max_size rotates the log files of the json-file and local log "
        f"drivers, but new containers on {h.name} log with {driver}, which keeps no log file "
        "there to rotate (and dockerd refuses max-size for it). Leave "
        "docker_storage_log_max_size and docker_storage_log_max_file empty, or set daemon.json's "
        "log-driver to json-file or local first (docker info shows the Logging Driver in "
        "use)."
    )


def containerd_store_can_run(h: Host, v: dict[str, Any]) -> str | None:
    if v["docker_storage_image_store"] != "containerd":
        return None
    userns = bool(h.docker.get("userns")) or bool((h.content or {}).get("userns-remap"))
    engine = h.docker.get("engine_version") or ""
    if not userns and (not engine or version_at_least(engine, "24.0")):
        return None
    why = (
        f"userns-remap is set on {h.name} (daemon.json or dockerd flags), and Docker does not "
        "run the containerd image store with user namespace remapping: drop userns-remap"
        if userns
        else f"Docker {engine} on {h.name} is older than 24.0, the first engine with the "
        "containerd image store: upgrade the engine (docker_engine_source: pinned gives "
        "Docker 28 on Debian 13)"
    )
    return (
        f"docker_storage_image_store is containerd, but {why}, or set "
        "docker_storage_image_store: overlay2."
    )


def engine_can_migrate_images(h: Host, v: dict[str, Any]) -> str | None:
    """Docker 29's start-up migration (moby daemon/daemon.go, features containerd-migration)
    exists from 29.0; older engines ignore the flag."""
    if not v["docker_storage_migrate_images"]:
        return None
    engine = h.docker.get("engine_version") or ""
    if engine and version_at_least(engine, "29.0"):
        return None
    which = (
        f"Docker {engine} on {h.name} is older than 29.0"
        if engine
        else f"Docker on {h.name} does not answer, so its version is unknown"
    )
    return (
        f"docker_storage_migrate_images is true, but {which}: only Docker 29.0 and later "
        "migrate overlay2 images into the containerd image store (daemon.json "
        "features.containerd-migration). Upgrade the engine to 29 first, or set "
        "docker_storage_migrate_images: false and move the images yourself (docker save, "
        "switch the store, docker load)."
    )


def migration_not_skipped(h: Host, v: dict[str, Any]) -> str | None:
    """dockerd migrates only with no container, running or stopped, and only from overlay2
    or vfs; otherwise it stays on the graph driver."""
    if not v["docker_storage_migrating"]:
        return None
    containers, driver = h.docker.get("containers"), h.docker.get("driver")
    if containers == 0 and driver in ("overlay2", "vfs"):
        return None
    return (
        "docker_storage_migrate_images is true, but Docker 29 migrates images to the "
        f"containerd store only from the overlay2 or vfs driver (here: {driver}) and only with "
        f"no containers, running or stopped (here: {containers}); otherwise it stays on the "
        "graph driver. Remove the containers first (docker ps -a lists them; docker rm each "
        "once it is no longer needed), or set docker_storage_migrate_images: false."
    )


def store_switch_hides_nothing(h: Host, v: dict[str, Any]) -> str | None:
    store_now = STORE_NAMES.get(h.store, "")
    wanted = v["docker_storage_image_store"]
    if (
        v["docker_storage_allow_image_store_change"]
        or v["docker_storage_migrating"]
        or not h.answers
        or store_now == wanted
        or h.held == 0
    ):
        return None
    root, driver = h.docker.get("root_dir"), h.docker.get("driver")
    kept = (
        f"under {root}/{driver} and {root}/image/{driver}"
        if store_now == "overlay2"
        else "in containerd's content store and snapshots (namespace moby)"
    )
    docker29 = (
        f" On Docker 29 or later (this host runs "
        f"{h.docker.get('engine_version') or 'an unknown version'}), "
        "docker_storage_migrate_images: true instead has dockerd copy the images into the "
        "containerd store at its next start, once no containers are left."
        if wanted == "containerd" and store_now == "overlay2"
        else ""
    )
    return (
        f"Docker on {h.name} runs the {store_now} image store and holds "
        f"{h.docker.get('images')} images and {h.docker.get('containers')} containers. "
        f"Switching to {wanted} would hide them: they stay on disk, {kept}, and come back when "
        f"docker_storage_image_store is set to {store_now} again. Save what you need (docker "
        "save / docker export), then set docker_storage_allow_image_store_change: true."
        f"{docker29}"
    )


def driver_switch_hides_nothing(h: Host, v: dict[str, Any]) -> str | None:
    driver = v["docker_storage_driver"]
    if (
        v["docker_storage_allow_driver_change"]
        or v["docker_storage_image_store"] != "overlay2"
        or h.store != "graphdriver"
        or not h.answers
        or h.docker.get("driver") == driver
        or h.held == 0
    ):
        return None
    now = h.docker.get("driver")
    return (
        f"Docker runs the {now} driver and holds {h.docker.get('images')} images and "
        f"{h.docker.get('containers')} containers. Switching to {driver} would hide them "
        f"(they stay on disk under {h.docker.get('root_dir')}/{now}). Save what you need "
        "(docker save / docker export), then set docker_storage_allow_driver_change: true."
    )


def data_root_switch_hides_nothing(h: Host, v: dict[str, Any]) -> str | None:
    root, source = v["docker_storage_data_root"], v["docker_storage_source"]
    root_now = h.docker.get("root_dir") or ""
    new_root = root_now != root or bool(source and not h.fs.get("mounted"))
    moving = bool(v["docker_storage_migrate_data_root"] and source and root_now == root)
    if (
        v["docker_storage_allow_data_root_change"]
        or moving
        or not h.answers
        or not new_root
        or h.held == 0
    ):
        return None
    how = (
        "Set docker_storage_migrate_data_root: true to have the role copy them onto the new "
        "filesystem (Docker stops for the copy; the copy is proven equal before the old data "
        "root is removed)."
        if source and root_now == root
        else "The role moves a data root onto a new filesystem only at the same path "
        f"(docker_storage_migrate_data_root, docker_storage_data_root: {root_now or '?'}); "
        "move them yourself first."
    )
    on = f" on {source}" if source else ""
    return (
        f"Docker holds {h.docker.get('images')} images and {h.docker.get('containers')} "
        f"containers under {h.docker.get('root_dir')}; a new data root ({root}{on}) would hide "
        f"them. {how} Or set docker_storage_allow_data_root_change: true to leave them hidden "
        "on the old one."
    )


def silent_docker_switches_nothing(h: Host, v: dict[str, Any]) -> str | None:
    """Docker does not answer (probe.yml tried to start it): what daemon.json declares now is
    what it would start with, and the data root on disk shows whether there is anything to
    hide."""
    if h.answers:
        return None
    matched = int(h.on_disk.get("containers_and_images") or 0)
    allowed = {
        "storage-driver": v["docker_storage_allow_driver_change"],
        "image store": v["docker_storage_allow_image_store_change"]
        or v["docker_storage_migrating"],
        "data-root": v["docker_storage_allow_data_root_change"],
    }
    blocked = [s for s in v["docker_storage_switches"] if not allowed.get(s["key"])]
    if matched == 0 or not blocked:
        return None
    return (
        f"Docker on {h.name} does not answer ({h.docker.get('error') or 'no reason given'}), and "
        f"its data root holds {matched} containers and overlay2 images on disk. This run "
        f"switches {'; '.join(s['says'] for s in blocked)}, which would hide them, and the role "
        "cannot ask Docker what it holds. Find out why Docker does not start (journalctl -u "
        "docker.service), start it (systemctl start docker) and run again; or set "
        f"{', '.join(ALLOW_NAMES[s['key']] for s in blocked)}: true to switch and leave them "
        "hidden on disk."
    )


def move_keeps_the_store(h: Host, v: dict[str, Any]) -> str | None:
    """The move copies the layers where the engine keeps them now: the store must stay."""
    if not v["docker_storage_move_wanted"] or h.store == "":
        return None
    wanted = v["docker_storage_image_store"]
    if STORE_NAMES.get(h.store) == wanted:
        return None
    now = STORE_NAMES.get(h.store, h.store)
    return (
        "docker_storage_migrate_data_root moves the data root with the image store Docker runs "
        f"now ({now}), and this run also asks for docker_storage_image_store: {wanted}. Move "
        f"first with docker_storage_image_store: {now}, then switch the store in a second run."
    )


def quota_can_work(h: Host, v: dict[str, Any]) -> str | None:
    if not v["docker_storage_wants_quota"]:
        return None
    source = v["docker_storage_source"]
    fs = v["docker_storage_fstype"] if source else h.fs.get("fstype") or ""
    options = h.fs.get("options") or []
    pquota = bool(source) or "prjquota" in options or "pquota" in options
    if fs == "xfs" and h.xfs_quota and pquota:
        return None
    kernel = "supported" if h.xfs_quota else "not supported (no /proc/fs/xfs/xqmstat)"
    return (
        "docker_storage_opts sets overlay2.size, which needs the data root on xfs mounted with "
        "pquota and a kernel with XFS quota support. Here: filesystem "
        f"'{fs or 'not a separate mount'}', mount options '{','.join(options)}', kernel XFS "
        f"quota {kernel}. Drop overlay2.size from docker_storage_opts, or give the data root "
        "an xfs with pquota on a kernel built with CONFIG_XFS_QUOTA."
    )


def containerd_root_hides_nothing(h: Host, v: dict[str, Any]) -> str | None:
    """containerd_root.yml mounts a directory of the data root filesystem on containerd's
    root: whatever the root holds now would be hidden (a move copies it instead)."""
    if v["docker_storage_image_store"] != "containerd" or not v["docker_storage_source"]:
        return None
    held = int(h.on_disk.get("containerd_entries") or 0)
    if h.on_disk.get("containerd_mounted") or v["docker_storage_allow_data_root_change"]:
        return None
    if v["docker_storage_move_wanted"] or held == 0:
        return None
    root = v["docker_storage_containerd_root"]
    return (
        f"containerd's root {root} on {h.name} holds {held} snapshots and content blobs; "
        "mounting the data root filesystem's containerd/system there would hide them. See "
        "what they belong to (ctr namespaces ls; ctr -n NAMESPACE images ls) and move or "
        "remove them first, or set docker_storage_allow_data_root_change: true to keep them "
        "hidden under the mount."
    )


# In the order a person fixes them. Without the engine nothing else can be judged; a
# daemon.json that is not JSON stops the checks that read its content.
FIRST: list[Check] = [engine_installed]
BEFORE_CONTENT: list[Check] = [
    device_is_a_block_device,
    loop_file_is_a_file,
    loop_size_not_smaller,
    growth_can_run,
    no_foreign_signature,
    xfs_has_ftype,
    data_root_mounted_from_source,
    daemon_json_is_the_one_read,
    daemon_json_not_a_link,
    daemon_json_owned_by_root,
    daemon_json_is_json,
]
ON_CONTENT: list[Check] = [
    no_storage_flags,
    log_rotation_can_apply,
    containerd_store_can_run,
    engine_can_migrate_images,
    migration_not_skipped,
    store_switch_hides_nothing,
    driver_switch_hides_nothing,
    data_root_switch_hides_nothing,
    silent_docker_switches_nothing,
    move_keeps_the_store,
    quota_can_work,
    containerd_root_hides_nothing,
]
CHECKS = FIRST + BEFORE_CONTENT + ON_CONTENT

# The role's variables (and the values vars/main.yml and validate.yml derive from them) the
# refusals read; guard.yml passes exactly these.
VARIABLES = (
    "docker_storage_device",
    "docker_storage_loop_file",
    "docker_storage_loop_size",
    "docker_storage_grow_filesystem",
    "docker_storage_source",
    "docker_storage_fstype",
    "docker_storage_force_format",
    "docker_storage_data_root",
    "docker_storage_daemon_json",
    "docker_storage_driver",
    "docker_storage_image_store",
    "docker_storage_containerd_root",
    "docker_storage_allow_driver_change",
    "docker_storage_allow_image_store_change",
    "docker_storage_allow_data_root_change",
    "docker_storage_migrate_images",
    "docker_storage_migrate_data_root",
    "docker_storage_migrating",
    "docker_storage_move_wanted",
    "docker_storage_wants_quota",
    "docker_storage_switches",
    "docker_storage_log_max_size",
)
BOOLEANS = {
    name
    for name in VARIABLES
    if name.startswith(("docker_storage_allow", "docker_storage_migrat", "docker_storage_force"))
    or name
    in (
        "docker_storage_move_wanted",
        "docker_storage_wants_quota",
        "docker_storage_grow_filesystem",
    )
}


def truth(value: Any) -> bool:
    """A role boolean as Ansible's bool filter reads it (templated ones arrive as text)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1", "y", "t")
    return bool(value)


def wanted_of(variables: dict[str, Any]) -> dict[str, Any]:
    """The variables the refusals read, booleans as Ansible reads them; a missing one is a
    bug of the caller, not a pass."""
    missing = [name for name in VARIABLES if name not in variables]
    if missing:
        raise KeyError(f"docker_storage_refusals needs {', '.join(missing)}")
    return {
        name: truth(variables[name]) if name in BOOLEANS else variables[name] for name in VARIABLES
    }


def refusals(
    before: dict[str, Any],
    variables: dict[str, Any],
    host: str,
    on_disk: dict[str, Any] | None = None,
) -> list[str]:
    """Every refusal for this host and these variables, in order; empty: nothing refused.

    ``before`` is the overlay2_facts snapshot probe.yml read; ``on_disk`` what it counted
    where the engine cannot tell (``containers_and_images`` under the declared data root
    while Docker does not answer; ``containerd_mounted`` and ``containerd_entries`` of
    containerd's root). A missing variable is a bug of the caller, not a pass.
    """
    wanted = wanted_of(variables)
    h = Host(before, host, on_disk or {})
    found: list[str] = []
    for check in CHECKS:
        if check in ON_CONTENT and h.content is None:
            break
        message = check(h, wanted)
        if message:
            found.append(message)
            if check in FIRST:
                break
    return found


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {"docker_storage_refusals": refusals}
