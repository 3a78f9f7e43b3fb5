"""The docker_storage role's refusals (plugins/filter/docker_storage_guard.py), each proven on a
synthetic probe snapshot with its exact message; a healthy host and safe variables refuse
nothing. tests/role proves on real instances that the messages reach the user and that
nothing changed."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.filter import docker_storage_guard as guard

from .snapshots import healthy

HOST = "web-1"


def probe() -> dict[str, Any]:
    """What probe.yml reads on a healthy host: Docker 28 on overlay2, its data root on an xfs
    loop file the role made, one image and one container."""
    return {
        "docker": {
            "answers": True,
            "engine_version": "28.5.2",
            "driver": "overlay2",
            "root_dir": "/var/lib/docker",
            "images": 1,
            "containers": 1,
            "userns": False,
            "error": "",
        },
        "summary": {"image_store": "graphdriver"},
        "daemon_json": healthy()["daemon_json"],
        "unit": {"found": True, "flag_conflicts": []},
        "backing_fs": {
            "mounted": True,
            "device": "/dev/loop3",
            "realdevice": "/dev/loop3",
            "backing_file": "/var/lib/layerwise/docker.img",
            "fstype": "xfs",
            "xfs_ftype": 1,
            "options": ["rw", "relatime"],
            "device_bytes": 10 * 2**30,
            "fs_bytes": 10 * 2**30,
        },
        "source": {
            "exists": True,
            "is_file": True,
            "is_block": False,
            "size": 10 * 2**30,
            "realpath": "/var/lib/layerwise/docker.img",
            "signature": {"TYPE": "xfs"},
            "xfs_ftype": 1,
        },
        "xfs_quota_supported": False,
        "capabilities": {"sys_admin": True, "sys_resource": False},
    }


def variables(**changed: Any) -> dict[str, Any]:
    """The role's defaults with a loop file, as guard.yml passes them."""
    found = {
        "docker_storage_device": "",
        "docker_storage_loop_file": "/var/lib/layerwise/docker.img",
        "docker_storage_loop_size": "10G",
        "docker_storage_grow_filesystem": True,
        "docker_storage_fstype": "xfs",
        "docker_storage_force_format": False,
        "docker_storage_data_root": "/var/lib/docker",
        "docker_storage_daemon_json": "/etc/docker/daemon.json",
        "docker_storage_driver": "overlay2",
        "docker_storage_image_store": "overlay2",
        "docker_storage_containerd_root": "/var/lib/containerd",
        "docker_storage_allow_driver_change": False,
        "docker_storage_allow_image_store_change": False,
        "docker_storage_allow_data_root_change": False,
        "docker_storage_migrate_images": False,
        "docker_storage_migrate_data_root": False,
        "docker_storage_migrating": False,
        "docker_storage_move_wanted": False,
        "docker_storage_wants_quota": False,
        "docker_storage_switches": [],
        "docker_storage_log_max_size": "",
    }
    found.update(changed)
    found.setdefault(
        "docker_storage_source", found["docker_storage_device"] or found["docker_storage_loop_file"]
    )
    return found


def refused(
    snap: dict[str, Any], on_disk: dict[str, Any] | None = None, **changed: Any
) -> list[str]:
    return list(guard.refusals(snap, variables(**changed), HOST, on_disk))


def test_a_healthy_host_and_safe_variables_refuse_nothing() -> None:
    assert refused(probe()) == []


def test_an_unread_variable_is_a_bug_not_a_pass() -> None:
    given = variables()
    del given["docker_storage_switches"]
    with pytest.raises(KeyError, match="docker_storage_switches"):
        guard.refusals(probe(), given, HOST)


def test_templated_booleans_are_read_as_ansible_reads_them() -> None:
    snap = probe()
    snap["source"]["signature"] = {"TYPE": "ext4"}
    assert refused(snap, docker_storage_force_format="True") == []
    assert len(refused(snap, docker_storage_force_format=" False ")) == 1


@pytest.mark.parametrize(
    ("version", "floor", "at_least"),
    [
        ("20.10.24+dfsg1", "24.0", False),
        ("24.0", "24.0", True),
        ("26.1.5+dfsg1", "24.0", True),
        ("28.5.2", "29.0", False),
        ("29.0.0-rc.1", "29.0", True),
        ("100.0", "29.0", True),
    ],
)
def test_engine_versions_compare_as_numbers(version: str, floor: str, at_least: bool) -> None:
    assert guard.version_at_least(version, floor) is at_least


def snap_with(path: str, value: Any, snap: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of ``snap`` (probe() by default) with one key (dotted path) set."""
    snap = copy.deepcopy(snap) if snap is not None else probe()
    *parents, last = path.split(".")
    node = snap
    for key in parents:
        node = node[key]
    node[last] = value
    return snap


# (id, snapshot change, variables, what the probe counted on disk, the exact refusal)
CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], str]] = [
    (
        "no engine",
        {"unit.found": False},
        {},
        {},
        "docker.service was not found on web-1. Install the engine first (the docker_engine "
        "role), then run docker_storage.",
    ),
    (
        "device missing",
        {"source.exists": False},
        {"docker_storage_device": "/dev/vdb", "docker_storage_loop_file": ""},
        {},
        "docker_storage_device '/dev/vdb' does not exist on web-1. Set docker_storage_device to "
        "the disk or LV that should hold Docker's data (lsblk lists them), or use "
        "docker_storage_loop_file for a lab.",
    ),
    (
        "device not a block device",
        {"source.is_block": False, "source.signature": {}},
        {"docker_storage_device": "/dev/vdb", "docker_storage_loop_file": ""},
        {},
        "docker_storage_device '/dev/vdb' is not a block device on web-1. Set "
        "docker_storage_device to the disk or LV that should hold Docker's data (lsblk lists "
        "them), or use docker_storage_loop_file for a lab.",
    ),
    (
        "loop file not a file",
        {"source.is_file": False, "source.signature": {}},
        {},
        {},
        "docker_storage_loop_file '/var/lib/layerwise/docker.img' exists but is not a regular "
        "file. Point docker_storage_loop_file at an image file (the role creates it when "
        "missing).",
    ),
    (
        "a loop size smaller than the file and its filesystem",
        {},
        {"docker_storage_loop_size": "2G"},
        {},
        "docker_storage_loop_size 2G (2147483648 bytes) is smaller than the loop file "
        "/var/lib/layerwise/docker.img on web-1: the file has 10737418240 bytes and the xfs "
        "filesystem on it 10737418240. The role grows a data root's filesystem in place but "
        "never shrinks it: xfs cannot shrink, and shrinking ext4 (unmounted, Docker stopped) is "
        "not this role's job. Set docker_storage_loop_size to 10G (its size now) or more.",
    ),
    (
        "a loop size smaller than a file not mounted yet",
        {
            "backing_fs.mounted": False,
            "source.size": 2415919104,
            "docker.images": 0,
            "docker.containers": 0,
        },
        {"docker_storage_loop_size": "2147483649"},
        {},
        "docker_storage_loop_size 2147483649 (2147483649 bytes) is smaller than the loop file "
        "/var/lib/layerwise/docker.img on web-1: the file has 2415919104 bytes. The role grows "
        "a data root's filesystem in place but never shrinks it: xfs cannot shrink, and "
        "shrinking ext4 (unmounted, Docker stopped) is not this role's job. Set "
        "docker_storage_loop_size to 2304M (its size now) or more.",
    ),
    (
        "an ext4 to grow without CAP_SYS_RESOURCE",
        {"backing_fs.fstype": "ext4", "source.signature": {"TYPE": "ext4"}},
        {"docker_storage_loop_size": "12G", "docker_storage_fstype": "ext4"},
        {},
        "The ext4 on /var/lib/docker (/dev/loop3) is to grow online from 10737418240 to about "
        "12884901888 bytes, but resize2fs cannot grow a mounted ext4 on web-1: it needs "
        "CAP_SYS_RESOURCE, which the host's capability bounding set lacks (a container started "
        "without it). Nothing was changed. Give the host CAP_SYS_RESOURCE, or run resize2fs "
        "/dev/loop3 where it is held (on the machine that runs this container), or keep "
        "docker_storage_loop_size at 10G.",
    ),
    (
        "another filesystem",
        {"source.signature": {"TYPE": "ext4"}},
        {},
        {},
        "docker_storage_loop_file '/var/lib/layerwise/docker.img' already carries a ext4 "
        "filesystem, not xfs: the role will not format it. Check that this is the right device "
        "(blkid and lsblk -f show what it holds); if its data may go, wipe it (wipefs -a "
        "/var/lib/layerwise/docker.img) or set docker_storage_force_format: true.",
    ),
    (
        "a partition table",
        {"source.signature": {"PTTYPE": "gpt"}, "source.is_block": True},
        {"docker_storage_device": "/dev/vdb", "docker_storage_loop_file": ""},
        {},
        "docker_storage_device '/dev/vdb' already carries a gpt partition table, not xfs: the "
        "role will not format it. Check that this is the right device (blkid and lsblk -f show "
        "what it holds); if its data may go, wipe it (wipefs -a /dev/vdb) or set "
        "docker_storage_force_format: true.",
    ),
    (
        "xfs without ftype on the source",
        {"source.xfs_ftype": 0},
        {},
        {},
        "The xfs on /var/lib/layerwise/docker.img was made with ftype=0; overlay2 needs d_type "
        "(ftype=1) and the flag cannot be changed in place. Move the data off, then reformat "
        "it: mkfs.xfs -f -n ftype=1 /var/lib/layerwise/docker.img (or set "
        "docker_storage_force_format: true).",
    ),
    (
        "xfs without ftype under the data root",
        {"backing_fs.xfs_ftype": 0},
        {"docker_storage_loop_file": ""},
        {},
        "The xfs on /var/lib/docker was made with ftype=0; overlay2 needs d_type (ftype=1) and "
        "the flag cannot be changed in place. Move the data off, then reformat it: mkfs.xfs -f "
        "-n ftype=1 <device>.",
    ),
    (
        "mounted from elsewhere",
        {"backing_fs.backing_file": "/srv/other.img", "backing_fs.realdevice": "/dev/loop9"},
        {},
        {},
        "/var/lib/docker is already mounted from /srv/other.img, not from "
        "/var/lib/layerwise/docker.img. Unmount it (and remove its fstab line) once nothing "
        "uses it (docker info shows whether Docker keeps its data there; fuser -vm "
        "/var/lib/docker lists what else holds it open), or set docker_storage_device / "
        "docker_storage_loop_file to what is mounted there.",
    ),
    (
        "another daemon.json read",
        {
            "daemon_json.path": "/srv/docker/daemon.json",
            "daemon_json.told_by": "the running dockerd's --config-file",
        },
        {},
        {},
        "dockerd on web-1 reads /srv/docker/daemon.json (the running dockerd's --config-file), "
        "not /etc/docker/daemon.json: set docker_storage_daemon_json to "
        "/srv/docker/daemon.json, or the storage keys would land in a file dockerd ignores.",
    ),
    (
        "a daemon.json dockerd is not told to read",
        {},
        {"docker_storage_daemon_json": "/etc/docker/storage.json"},
        {},
        "dockerd on web-1 reads /etc/docker/daemon.json (dockerd's default: no --config-file "
        "is given), not /etc/docker/storage.json: set docker_storage_daemon_json to "
        "/etc/docker/daemon.json, or the storage keys would land in a file dockerd ignores.",
    ),
    (
        "daemon.json a link",
        {"daemon_json.file": {"type": "symlink", "target": "/srv/cfg/daemon.json"}},
        {},
        {},
        "/etc/docker/daemon.json is a symbolic link to /srv/cfg/daemon.json on web-1: writing "
        "it would replace the link with a plain file, and whatever keeps the target (another "
        "tool, a mounted volume, a package) would no longer configure Docker. The role leaves "
        "it alone. Find out what manages the target; if nothing does, make daemon.json a plain "
        'file with the same content (cp --remove-destination "$(readlink -f '
        '/etc/docker/daemon.json)" /etc/docker/daemon.json; cmp shows the content unchanged, '
        "and Docker reads it only at its next start) and run the role again. Or set "
        "docker_storage_daemon_json to the file dockerd is told to read (--config-file), if "
        "that is the target.",
    ),
    (
        "daemon.json owned by a user",
        {"daemon_json.file": {"type": "file", "uid": 1000, "gid": 0}},
        {},
        {},
        "/etc/docker/daemon.json is owned by 1000:0, not root (0:0), on web-1: whoever can "
        "write it runs dockerd as they like (CIS 3.17), and something other than root may be "
        "managing it. The role will not rewrite or chown it. Check who wrote it and why (ls -ln "
        "/etc/docker/daemon.json, its content); if root should own it, chown root:root "
        "/etc/docker/daemon.json (neither its content nor the running Docker changes) and run "
        "the role again.",
    ),
    (
        "daemon.json not JSON",
        {"daemon_json.content": None, "daemon_json.error": "Expecting value: line 1 column 1"},
        {},
        {},
        "/etc/docker/daemon.json is not a valid JSON object (Expecting value: line 1 column 1). "
        "Fix it (python3 -m json.tool /etc/docker/daemon.json shows where it breaks); the role "
        "merges its storage keys into the existing file and will not overwrite what it cannot "
        "read.",
    ),
    (
        "a storage flag on dockerd",
        {
            "unit.flag_conflicts": [
                {
                    "flag": "--storage-driver=overlay2",
                    "key": "storage-driver",
                    "via": "/etc/default/docker",
                    "command": "/usr/bin/dockerd $DOCKER_OPTS",
                }
            ]
        },
        {},
        {},
        "docker.service passes --storage-driver=overlay2 to dockerd via /etc/default/docker "
        "(ExecStart: /usr/bin/dockerd $DOCKER_OPTS). dockerd refuses to start when a setting is "
        "both a flag and in daemon.json. Remove the flag from the unit or its drop-in "
        "(systemctl edit docker.service) or from /etc/default/docker, and let this role own "
        "storage-driver.",
    ),
    (
        "containerd store with userns-remap",
        {
            "daemon_json.content": {"userns-remap": "default"},
            "docker.images": 0,
            "docker.containers": 0,
        },
        {"docker_storage_image_store": "containerd"},
        {"containerd_mounted": True},
        "docker_storage_image_store is containerd, but userns-remap is set on web-1 (daemon.json "
        "or dockerd flags), and Docker does not run the containerd image store with user "
        "namespace remapping: drop userns-remap, or set docker_storage_image_store: overlay2.",
    ),
    (
        "containerd store on Docker 20.10",
        {"docker.engine_version": "20.10.24+dfsg1", "docker.images": 0, "docker.containers": 0},
        {"docker_storage_image_store": "containerd"},
        {"containerd_mounted": True},
        "docker_storage_image_store is containerd, but Docker 20.10.24+dfsg1 on web-1 is older "
        "than 24.0, the first engine with the containerd image store: upgrade the engine "
        "(docker_engine_source: pinned gives Docker 28 on Debian 13), or set "
        "docker_storage_image_store: overlay2.",
    ),
    (
        "image migration on Docker 28",
        {},
        {"docker_storage_migrate_images": True},
        {},
        "docker_storage_migrate_images is true, but Docker 28.5.2 on web-1 is older than 29.0: "
        "only Docker 29.0 and later migrate overlay2 images into the containerd image store "
        "(daemon.json features.containerd-migration). Upgrade the engine to 29 first, or set "
        "docker_storage_migrate_images: false and move the images yourself (docker save, switch "
        "the store, docker load).",
    ),
    (
        "image migration with Docker silent",
        {
            "docker.answers": False,
            "docker.engine_version": "",
            "docker.images": 0,
            "docker.containers": 0,
        },
        {"docker_storage_migrate_images": True},
        {},
        "docker_storage_migrate_images is true, but Docker on web-1 does not answer, so its "
        "version is unknown: only Docker 29.0 and later migrate overlay2 images into the "
        "containerd image store (daemon.json features.containerd-migration). Upgrade the engine "
        "to 29 first, or set docker_storage_migrate_images: false and move the images yourself "
        "(docker save, switch the store, docker load).",
    ),
    (
        "image migration dockerd would skip",
        {"docker.engine_version": "29.1.0"},
        {
            "docker_storage_migrate_images": True,
            "docker_storage_migrating": True,
            "docker_storage_image_store": "containerd",
        },
        {"containerd_mounted": True},
        "docker_storage_migrate_images is true, but Docker 29 migrates images to the containerd "
        "store only from the overlay2 or vfs driver (here: overlay2) and only with no "
        "containers, running or stopped (here: 1); otherwise it stays on the graph driver. "
        "Remove the containers first (docker ps -a lists them; docker rm each once it is no "
        "longer needed), or set docker_storage_migrate_images: false.",
    ),
    (
        "store switch hiding images",
        {},
        {"docker_storage_image_store": "containerd"},
        {"containerd_mounted": True},
        "Docker on web-1 runs the overlay2 image store and holds 1 images and 1 containers. "
        "Switching to containerd would hide them: they stay on disk, under "
        "/var/lib/docker/overlay2 and /var/lib/docker/image/overlay2, and come back when "
        "docker_storage_image_store is set to overlay2 again. Save what you need (docker save / "
        "docker export), then set docker_storage_allow_image_store_change: true. On Docker 29 "
        "or later (this host runs 28.5.2), docker_storage_migrate_images: true instead has "
        "dockerd copy the images into the containerd store at its next start, once no "
        "containers are left.",
    ),
    (
        "store switch back to overlay2",
        {"summary.image_store": "containerd", "docker.driver": "overlayfs"},
        {},
        {},
        "Docker on web-1 runs the containerd image store and holds 1 images and 1 containers. "
        "Switching to overlay2 would hide them: they stay on disk, in containerd's content "
        "store and snapshots (namespace moby), and come back when docker_storage_image_store "
        "is set to containerd again. Save what you need (docker save / docker export), then "
        "set docker_storage_allow_image_store_change: true.",
    ),
    (
        "driver switch",
        {"docker.driver": "vfs"},
        {},
        {},
        "Docker runs the vfs driver and holds 1 images and 1 containers. Switching to overlay2 "
        "would hide them (they stay on disk under /var/lib/docker/vfs). Save what you need "
        "(docker save / docker export), then set docker_storage_allow_driver_change: true.",
    ),
    (
        "new data root on a new filesystem",
        {"backing_fs.mounted": False},
        {},
        {},
        "Docker holds 1 images and 1 containers under /var/lib/docker; a new data root "
        "(/var/lib/docker on /var/lib/layerwise/docker.img) would hide them. Set "
        "docker_storage_migrate_data_root: true to have the role copy them onto the new "
        "filesystem (Docker stops for the copy; the copy is proven equal before the old data "
        "root is removed). Or set docker_storage_allow_data_root_change: true to leave them "
        "hidden on the old one.",
    ),
    (
        "new data root at another path",
        {},
        {"docker_storage_data_root": "/srv/docker", "docker_storage_loop_file": ""},
        {},
        "Docker holds 1 images and 1 containers under /var/lib/docker; a new data root "
        "(/srv/docker) would hide them. The role moves a data root onto a new filesystem only "
        "at the same path (docker_storage_migrate_data_root, docker_storage_data_root: "
        "/var/lib/docker); move them yourself first. Or set "
        "docker_storage_allow_data_root_change: true to leave them hidden on the old one.",
    ),
    (
        "switches while Docker is silent",
        {"docker.answers": False, "docker.error": "connection refused", "summary.image_store": ""},
        {
            "docker_storage_switches": [
                {"key": "storage-driver", "says": "storage-driver from vfs to overlay2"},
                {"key": "data-root", "says": "data-root from /var/lib/docker to /srv/docker"},
            ],
            "docker_storage_allow_driver_change": True,
        },
        {"containers_and_images": 7},
        "Docker on web-1 does not answer (connection refused), and its data root holds 7 "
        "containers and overlay2 images on disk. This run switches data-root from "
        "/var/lib/docker to /srv/docker, which would hide them, and the role cannot ask Docker "
        "what it holds. Find out why Docker does not start (journalctl -u docker.service), "
        "start it (systemctl start docker) and run again; or set "
        "docker_storage_allow_data_root_change: true to switch and leave them hidden on disk.",
    ),
    (
        "a move that switches the store",
        {
            "summary.image_store": "containerd",
            "docker.driver": "overlayfs",
            "backing_fs.mounted": False,
        },
        {
            "docker_storage_migrate_data_root": True,
            "docker_storage_move_wanted": True,
            "docker_storage_allow_image_store_change": True,
        },
        {},
        "docker_storage_migrate_data_root moves the data root with the image store Docker runs "
        "now (containerd), and this run also asks for docker_storage_image_store: overlay2. "
        "Move first with docker_storage_image_store: containerd, then switch the store in a "
        "second run.",
    ),
    (
        "overlay2.size without xfs quota",
        {},
        {"docker_storage_wants_quota": True},
        {},
        "docker_storage_opts sets overlay2.size, which needs the data root on xfs mounted with "
        "pquota and a kernel with XFS quota support. Here: filesystem 'xfs', mount options "
        "'rw,relatime', kernel XFS quota not supported (no /proc/fs/xfs/xqmstat). Drop "
        "overlay2.size from docker_storage_opts, or give the data root an xfs with pquota on a "
        "kernel built with CONFIG_XFS_QUOTA.",
    ),
    (
        "overlay2.size on a mount without pquota",
        {"xfs_quota_supported": True},
        {"docker_storage_wants_quota": True, "docker_storage_loop_file": ""},
        {},
        "docker_storage_opts sets overlay2.size, which needs the data root on xfs mounted with "
        "pquota and a kernel with XFS quota support. Here: filesystem 'xfs', mount options "
        "'rw,relatime', kernel XFS quota supported. Drop overlay2.size from "
        "docker_storage_opts, or give the data root an xfs with pquota on a kernel built with "
        "CONFIG_XFS_QUOTA.",
    ),
    (
        "log-opts given as a flag too",
        {
            "unit.log_flags": [
                {
                    "flag": "--log-opt",
                    "key": "log-opts",
                    "via": "",
                    "command": "/usr/bin/dockerd -H fd:// --log-opt max-size=10m",
                }
            ]
        },
        {"docker_storage_log_max_size": "50m"},
        {},
        "docker.service passes --log-opt to dockerd (ExecStart: /usr/bin/dockerd -H fd:// "
        "--log-opt max-size=10m), and dockerd refuses to start when log-opts are both flags and "
        "in daemon.json. Move the options into daemon.json's log-opts (systemctl edit "
        "docker.service for a drop-in, or /etc/default/docker), or leave "
        "docker_storage_log_max_size empty.",
    ),
    (
        "log-opts not an object",
        {"daemon_json.content": {"log-opts": "max-size=10m"}},
        {"docker_storage_log_max_size": "50m"},
        {},
        "/etc/docker/daemon.json has a log-opts that is not a JSON object ('max-size=10m'). Make "
        'it an object of strings (e.g. {"max-size": "50m"}) or remove it; the role sets '
        "max-size and max-file in it and keeps the rest.",
    ),
    (
        "log rotation for a driver without files",
        {"daemon_json.content": {"log-driver": "journald"}},
        {"docker_storage_log_max_size": "50m"},
        {},
        "docker_storage_log_max_size rotates the log files of the json-file and local log "
        "drivers, but new containers on web-1 log with journald, which keeps no log file there "
        "to rotate (and dockerd refuses max-size for it). Leave docker_storage_log_max_size and "
        "docker_storage_log_max_file empty, or set daemon.json's log-driver to json-file or "
        "local first (docker info shows the Logging Driver in use).",
    ),
    (
        "containerd's root holds data",
        {"docker.images": 0, "docker.containers": 0},
        {"docker_storage_image_store": "containerd"},
        {"containerd_mounted": False, "containerd_entries": 12},
        "containerd's root /var/lib/containerd on web-1 holds 12 snapshots and content blobs; "
        "mounting the data root filesystem's containerd/system there would hide them. See what "
        "they belong to (ctr namespaces ls; ctr -n NAMESPACE images ls) and move or remove them "
        "first, or set docker_storage_allow_data_root_change: true to keep them hidden under "
        "the mount.",
    ),
]


@pytest.mark.parametrize(
    ("change", "given", "on_disk", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_each_refusal_names_the_variable_and_the_fix(
    change: dict[str, Any], given: dict[str, Any], on_disk: dict[str, Any], message: str
) -> None:
    snap = probe()
    for path, value in change.items():
        snap = snap_with(path, value, snap)
    assert refused(snap, on_disk, **given) == [message]


def test_every_refusal_is_proven_by_a_case() -> None:
    """Each check of the guard fails in at least one case above (a new one needs its case)."""
    proven = set()
    for _, change, given, on_disk, _ in CASES:
        snap = probe()
        for path, value in change.items():
            snap = snap_with(path, value, snap)
        h = guard.Host(snap, HOST, on_disk)
        wanted = guard.wanted_of(variables(**given))
        proven |= {check.__name__ for check in guard.CHECKS if check(h, wanted)}
    assert proven == {check.__name__ for check in guard.CHECKS}


def test_without_the_engine_nothing_else_is_judged() -> None:
    snap = snap_with("unit.found", False)
    snap["daemon_json"]["content"] = None
    assert len(refused(snap)) == 1


def test_a_daemon_json_that_is_not_json_stops_the_checks_that_read_it() -> None:
    snap = snap_with("daemon_json.content", None)
    snap["unit"]["flag_conflicts"] = [{"flag": "--data-root=/x", "key": "data-root"}]
    found = refused(snap)
    assert len(found) == 1
    assert "not a valid JSON object" in found[0]


def test_several_refusals_come_together_in_the_order_a_person_fixes_them() -> None:
    snap = snap_with("source.signature", {"TYPE": "ext4"})
    snap["daemon_json"]["file"]["uid"] = 1000
    snap["docker"]["driver"] = "vfs"
    found = refused(snap)
    assert [m.split(" ", 1)[0] for m in found] == [
        "docker_storage_loop_file",
        "/etc/docker/daemon.json",
        "Docker",
    ]


@pytest.mark.parametrize(
    ("given", "on_disk"),
    [
        (
            {
                "docker_storage_allow_image_store_change": True,
                "docker_storage_image_store": "containerd",
            },
            {"containerd_mounted": True},
        ),
        ({"docker_storage_allow_driver_change": True, "docker_storage_driver": "vfs"}, {}),
        (
            {
                "docker_storage_allow_data_root_change": True,
                "docker_storage_data_root": "/srv/d",
                "docker_storage_loop_file": "",
            },
            {},
        ),
        ({"docker_storage_force_format": True}, {}),
        (
            {
                "docker_storage_image_store": "containerd",
                "docker_storage_allow_image_store_change": True,
            },
            {"containerd_mounted": False, "containerd_entries": 0},
        ),
    ],
    ids=["store", "driver", "data root", "force format", "empty containerd root"],
)
def test_what_the_user_allowed_is_not_refused(
    given: dict[str, Any], on_disk: dict[str, Any]
) -> None:
    snap = probe()
    snap["source"]["signature"] = (
        {"TYPE": "ext4"} if given.get("docker_storage_force_format") else {"TYPE": "xfs"}
    )
    assert refused(snap, on_disk, **given) == []


def test_an_empty_host_may_switch_anything() -> None:
    snap = probe()
    snap["docker"].update(images=0, containers=0, driver="vfs")
    assert (
        refused(snap, {"containerd_mounted": True}, docker_storage_image_store="containerd") == []
    )
    assert refused(snap, docker_storage_data_root="/srv/d", docker_storage_loop_file="") == []


@pytest.mark.parametrize(
    ("asked", "refuses"),
    [("10G", False), ("10241M", False), ("10239M", True), ("1T", False), ("", False)],
)
def test_a_loop_size_is_refused_only_under_what_the_host_has(asked: str, refuses: bool) -> None:
    """Equal or larger is not a shrink; a malformed size is validate.yml's to refuse."""
    found = refused(probe(), docker_storage_loop_size=asked)
    assert bool(found) == refuses, found


def test_a_loop_size_under_the_filesystem_alone_is_refused() -> None:
    """A file cut shorter than its mounted filesystem (by hand) is still no room to shrink."""
    snap = snap_with("source.size", 2**30)
    (found,) = refused(snap, docker_storage_loop_size="2G")
    assert "the file has 1073741824 bytes and the xfs filesystem on it 10737418240." in found
    assert found.endswith("Set docker_storage_loop_size to 10G (its size now) or more.")


def test_a_device_is_never_judged_by_the_loop_size() -> None:
    snap = snap_with("source.is_file", False)
    snap["source"]["is_block"] = True
    given = {"docker_storage_device": "/dev/vdb", "docker_storage_loop_file": ""}
    assert refused(snap, docker_storage_loop_size="1G", **given) == []


def test_an_xfs_grows_with_cap_sys_admin_and_not_without() -> None:
    assert refused(probe(), docker_storage_loop_size="12G") == []
    snap = snap_with("capabilities", {"sys_admin": False, "sys_resource": False})
    (found,) = refused(snap, docker_storage_loop_size="12G")
    assert "xfs_growfs cannot grow a mounted xfs on web-1: it needs CAP_SYS_ADMIN" in found
    assert "run xfs_growfs /var/lib/docker where it is held" in found


def test_capabilities_not_read_do_not_refuse_a_growth() -> None:
    snap = snap_with("capabilities", {"sys_admin": None, "sys_resource": None})
    snap["backing_fs"]["fstype"] = "ext4"
    snap["source"]["signature"] = {"TYPE": "ext4"}
    given = {"docker_storage_fstype": "ext4"}
    assert refused(snap, docker_storage_loop_size="12G", **given) == []


def test_an_lv_found_larger_names_docker_storage_grow_filesystem() -> None:
    snap = snap_with("backing_fs.fstype", "ext4")
    snap["backing_fs"].update(realdevice="/dev/dm-0", backing_file="", device_bytes=20 * 2**30)
    snap["source"].update(
        is_file=False,
        is_block=True,
        realpath="/dev/dm-0",
        size=20 * 2**30,
        signature={"TYPE": "ext4"},
    )
    given = {
        "docker_storage_device": "/dev/vg0/docker",
        "docker_storage_loop_file": "",
        "docker_storage_fstype": "ext4",
    }
    (found,) = refused(snap, **given)
    assert found.endswith(
        "(on the machine that runs this container), or set docker_storage_grow_filesystem: false."
    )
    assert refused(snap, docker_storage_grow_filesystem=False, **given) == []


@pytest.mark.parametrize(
    ("daemon_json", "engine", "refuses"),
    [
        ({}, "json-file", False),
        ({}, "", False),  # dockerd's default: json-file
        ({"log-driver": "local"}, "local", False),
        ({}, "syslog", True),  # a --log-driver flag: the engine says so
        ({"log-driver": "json-file"}, "journald", False),  # daemon.json wins at the restart
        ({"log-driver": "none"}, "json-file", True),
    ],
)
def test_log_rotation_is_refused_only_for_a_driver_without_files(
    daemon_json: dict[str, Any], engine: str, refuses: bool
) -> None:
    snap = snap_with("daemon_json.content", daemon_json, probe())
    snap = snap_with("docker.logging_driver", engine, snap)
    assert bool(refused(snap, docker_storage_log_max_size="10m")) == refuses
    assert refused(snap) == [], "log-opts are judged only when the role writes them"


def test_a_log_driver_flag_alone_is_no_refusal() -> None:
    """--log-driver as a flag beside log-opts in daemon.json is what dockerd takes."""
    flag = {"flag": "--log-driver=json-file", "key": "log-driver", "via": "", "command": "d"}
    snap = snap_with("unit.log_flags", [flag], probe())
    assert refused(snap, docker_storage_log_max_size="10m") == []
