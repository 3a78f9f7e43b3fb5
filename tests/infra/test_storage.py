"""The storage the docker_storage role promises, checked on the host itself."""

from __future__ import annotations

from typing import Any

import pytest


def test_data_root_is_its_own_mount(storage: dict[str, Any], expected: dict[str, Any]) -> None:
    mount = storage["mount"]
    assert mount["mounted"], f"{expected['docker_storage_data_root']} is not a mount point"
    if expected["docker_storage_loop_file"]:
        assert mount["backing_file"] == expected["docker_storage_loop_file"]
        assert mount["source"].startswith("/dev/loop")
    else:
        assert mount["realsource"] == storage["source"]["realpath"]


def test_filesystem_type(storage: dict[str, Any], expected: dict[str, Any]) -> None:
    assert storage["mount"]["fstype"] == expected["docker_storage_fstype"]


def test_filesystem_keeps_file_types(storage: dict[str, Any], expected: dict[str, Any]) -> None:
    """xfs must be made with ftype=1; ext4 always records file types."""
    if expected["docker_storage_fstype"] == "xfs":
        assert storage["mount"]["xfs_ftype"] == 1
        assert storage["source"]["xfs_ftype"] == 1
    assert storage["docker"]["d_type"] is True


def test_mount_is_in_fstab(host: Any, expected: dict[str, Any]) -> None:
    fields = [
        line.split()
        for line in host.file("/etc/fstab").content_string.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    entry = [f for f in fields if len(f) >= 4 and f[1] == expected["docker_storage_data_root"]]
    assert len(entry) == 1, f"fstab lines for the data root: {entry}"
    source, _, fstype, options = entry[0][:4]
    assert source == expected["docker_storage_source"]
    assert fstype == expected["docker_storage_fstype"]
    assert ("loop" in options.split(",")) == bool(expected["docker_storage_loop_file"])


def test_docker_waits_for_the_data_root_mount(host: Any, expected: dict[str, Any]) -> None:
    requires = host.check_output("systemctl show --property RequiresMountsFor docker.service")
    assert expected["docker_storage_data_root"] in requires.split("=", 1)[1].split()


def test_daemon_json_owner_and_mode(host: Any, expected: dict[str, Any]) -> None:
    daemon_json = host.file(expected["docker_storage_daemon_json"])
    assert daemon_json.is_file
    assert (daemon_json.user, daemon_json.group, daemon_json.mode) == ("root", "root", 0o644)


def test_daemon_json_storage_keys(storage: dict[str, Any], expected: dict[str, Any]) -> None:
    content = storage["daemon_json"]["content"]
    assert content["storage-driver"] == expected["docker_storage_driver"]
    assert content["data-root"] == expected["docker_storage_data_root"]
    assert content.get("storage-opts", []) == expected["docker_storage_opts"]


def test_daemon_json_keeps_keys_it_does_not_own(
    host: Any, host_vars: dict[str, Any], storage: dict[str, Any], expected: dict[str, Any]
) -> None:
    """The inventory names keys written before the role ran (molecule's prepare.yml)."""
    preserved = host_vars.get("layerwise_preserved_daemon_keys")
    if not preserved:
        pytest.skip("the inventory declares no layerwise_preserved_daemon_keys for this host")
    content = storage["daemon_json"]["content"]
    assert {k: content.get(k) for k in preserved} == preserved
    backups = host.check_output(
        "ls %s.*~ 2>/dev/null || true", expected["docker_storage_daemon_json"]
    )
    assert backups.strip(), "the daemon.json the role replaced was not kept as a backup"


def test_docker_reports_the_configured_storage(
    storage: dict[str, Any], expected: dict[str, Any]
) -> None:
    docker = storage["docker"]
    assert docker["answers"], docker["error"]
    assert docker["driver"] == expected["docker_storage_driver"]
    assert docker["backing_filesystem"] == expected["backing_filesystem"]
    assert docker["root_dir"] == expected["docker_storage_data_root"]


def test_no_storage_flags_on_dockerd(storage: dict[str, Any]) -> None:
    assert storage["unit"]["found"]
    assert storage["unit"]["flag_conflicts"] == []
