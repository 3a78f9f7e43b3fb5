"""What the probe already shows done (plugins/filter/docker_storage_known.py): a task is
skipped only when the state read is exactly the one it would make."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.filter import docker_storage_known as known
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import mounts

from .snapshots import healthy

CONTENT = "# Managed by the layerwise docker_storage role.\n[Unit]\nRequiresMountsFor=/x\n"
FILE = {
    "type": "file",
    "mode": 0o644,
    "uid": 0,
    "gid": 0,
    "sha256": hashlib.sha256(CONTENT.encode()).hexdigest(),
}
DIR = {"type": "dir", "mode": 0o755, "uid": 0, "gid": 0, "opaque": ""}


@pytest.mark.parametrize(
    ("described", "kind", "mode", "content", "needs"),
    [
        pytest.param(FILE, "file", "0644", CONTENT, False, id="file as wanted"),
        pytest.param(DIR, "dir", "0755", None, False, id="dir as wanted"),
        pytest.param({"type": "absent"}, "absent", "", None, False, id="absent as wanted"),
        pytest.param(FILE, "absent", "", None, True, id="file to remove"),
        pytest.param({"type": "absent"}, "file", "0644", CONTENT, True, id="missing file"),
        pytest.param(FILE, "file", "0644", CONTENT + "#\n", True, id="other content"),
        pytest.param({**FILE, "mode": 0o600}, "file", "0644", CONTENT, True, id="other mode"),
        pytest.param({**FILE, "uid": 1000}, "file", "0644", CONTENT, True, id="other owner"),
        pytest.param({**FILE, "gid": 4}, "file", "0644", CONTENT, True, id="other group"),
        pytest.param(FILE, "dir", "0644", None, True, id="a file where a dir belongs"),
        pytest.param({**DIR, "mode": 0o700}, "dir", "0755", None, True, id="dir other mode"),
        pytest.param(None, "dir", "0755", None, True, id="not described"),
        pytest.param({"mode": 0o644}, "absent", "", None, True, id="described without a type"),
    ],
)
def test_a_path_is_left_alone_only_when_read_exactly_as_wanted(
    described: dict[str, Any] | None, kind: str, mode: str, content: str | None, needs: bool
) -> None:
    assert known.path_needs_writing(described, kind, mode, content) is needs


SOURCE = "/var/lib/layerwise/docker.img"
OPTS = "loop,noatime,nofail"


def mounted() -> dict[str, Any]:
    """A probe of a data root mounted from its loop file, with the fstab line mount writes."""
    snap = copy.deepcopy(healthy())
    snap["source"] = {"path": SOURCE, "realpath": SOURCE}
    snap["backing_fs"].update(
        device="/dev/loop3",
        realdevice="/dev/loop3",
        backing_file=SOURCE,
        fstab=mounts.fstab_entries(f"{SOURCE} /var/lib/docker xfs {OPTS} 0 0\n", "/var/lib/docker"),
    )
    return snap


def test_a_data_root_mounted_as_wanted_needs_no_mount() -> None:
    assert not known.mount_needs_work(mounted(), "/var/lib/docker", SOURCE, "xfs", OPTS)


def test_a_device_mounted_as_wanted_needs_no_mount() -> None:
    """Named by a link (as fstab keeps it), resolved on the host by the probe."""
    link = "/dev/disk/by-id/virtio-data"
    snap = healthy()
    snap["source"] = {"path": link, "realpath": "/dev/vdb"}
    snap["backing_fs"]["realdevice"] = "/dev/vdb"
    snap["backing_fs"]["fstab"][0]["source"] = link
    assert not known.mount_needs_work(snap, "/var/lib/docker", link, "xfs", "defaults")


# What differs from the mount the module would make, each as a change of the probe
CHANGES: dict[str, Any] = {
    "not mounted": lambda fs, line: fs.update(mounted=False),
    "from another file": lambda fs, line: fs.update(backing_file="/srv/other.img"),
    "another fstype": lambda fs, line: fs.update(fstype="ext4"),
    "no fstab line": lambda fs, line: fs.update(fstab=[]),
    "two fstab lines": lambda fs, line: fs.update(fstab=[line, line]),
    "fstab options": lambda fs, line: line.update(options=["loop", "nofail"]),
    "fstab passno": lambda fs, line: line.update(passno="2"),
    "fstab dump": lambda fs, line: line.update(dump="1"),
    "fstab source": lambda fs, line: line.update(source="UUID=1234"),
    "fstab fstype": lambda fs, line: line.update(fstype="ext4"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_mount_read_otherwise_is_left_to_the_mount_module(change: str) -> None:
    snap = mounted()
    CHANGES[change](snap["backing_fs"], snap["backing_fs"]["fstab"][0])
    assert known.mount_needs_work(snap, "/var/lib/docker", SOURCE, "xfs", OPTS)


def test_a_probe_of_another_data_root_is_left_to_the_mount_module() -> None:
    snap = {**mounted(), "data_root": "/srv/docker"}
    assert known.mount_needs_work(snap, "/var/lib/docker", SOURCE, "xfs", OPTS)


@pytest.mark.parametrize(
    ("line", "dump", "passno"),
    [
        ("a /d xfs defaults 1 2", "1", "2"),
        ("a /d xfs defaults", "0", "0"),
        ("a /d xfs o 0", "0", "0"),
    ],
)
def test_fstab_dump_and_passno_default_as_mount_reads_them(
    line: str, dump: str, passno: str
) -> None:
    (entry,) = mounts.fstab_entries(line + "\n", "/d")
    assert (entry["dump"], entry["passno"]) == (dump, passno)
