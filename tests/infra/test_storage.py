"""What the docker_storage role promises beyond the judge's policy, on the host itself.

Driver, d_type, filesystem type and ftype, fstab, RequiresMountsFor, daemon.json's keys and
modes and dockerd's flags are judged by the checks (test_checks.py); here: that the role
built the filesystem it was asked for, and kept what it does not own.
"""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.filter.docker_storage_grow import size_bytes


def test_data_root_is_its_own_mount(storage: dict[str, Any], expected: dict[str, Any]) -> None:
    mount = storage["backing_fs"]
    assert mount["mounted"], f"{expected['docker_storage_data_root']} is not a mount point"
    if expected["docker_storage_loop_file"]:
        assert mount["backing_file"] == expected["docker_storage_loop_file"]
        assert mount["device"].startswith("/dev/loop")
    else:
        assert mount["realdevice"] == storage["source"]["realpath"]


def test_filesystem_has_the_size_asked_for_and_room(
    storage: dict[str, Any], expected: dict[str, Any]
) -> None:
    backing = storage["backing_fs"]
    assert backing["bytes_free"] > 0
    assert backing["inodes_free"] > 0
    if expected["docker_storage_loop_file"]:
        # the role's own parser; a loop file is at least that size (tests/role grows it)
        wanted = size_bytes(expected["docker_storage_loop_size"])
        has = storage["source"]["size"]
        assert has >= wanted > 0
        assert backing["device_bytes"] == has, "the loop device does not see its file's size"
        # the filesystem fills its file; its own metadata takes a few percent of it
        assert has - 16 * 2**20 <= backing["fs_bytes"] <= has
        assert 0.9 * has <= backing["bytes_total"] <= has


def test_mount_is_in_fstab(storage: dict[str, Any], expected: dict[str, Any]) -> None:
    entries = storage["backing_fs"]["fstab"]
    assert len(entries) == 1, f"fstab lines for the data root: {entries}"
    (entry,) = entries
    assert entry["source"] == expected["docker_storage_source"]
    assert entry["fstype"] == expected["docker_storage_fstype"]
    assert ("loop" in entry["options"]) == bool(expected["docker_storage_loop_file"])
    # a missing disk must not stop the boot (emergency mode, no ssh): Docker stays down instead
    assert "nofail" in entry["options"]


def test_daemon_json_keeps_keys_it_does_not_own(
    host_vars: dict[str, Any], storage: dict[str, Any]
) -> None:
    """The inventory names keys written before the role ran (molecule's prepare.yml)."""
    preserved = host_vars.get("layerwise_preserved_daemon_keys")
    if not preserved:
        pytest.skip("the inventory declares no layerwise_preserved_daemon_keys for this host")
    content = storage["daemon_json"]["content"]
    kept = {k: content.get(k) for k in preserved}
    # of "features" the role owns only the containerd-snapshotter flag: the rest must survive
    if "features" in kept:
        kept["features"] = {
            k: v for k, v in (kept["features"] or {}).items() if k != "containerd-snapshotter"
        }
    assert kept == preserved
    assert storage["daemon_json"]["backups"], "the replaced daemon.json was not kept as a backup"


@pytest.mark.image_store("overlay2")  # the containerd store's DriverStatus names no filesystem
def test_docker_names_the_backing_filesystem_as_the_role_expects(
    storage: dict[str, Any], expected: dict[str, Any]
) -> None:
    """docker info's name for it (xfs -> xfs, ext4 -> extfs), from the role's own table."""
    docker = storage["docker"]
    assert docker["answers"], docker["error"]
    assert docker["backing_filesystem"] == expected["backing_filesystem"]
