"""Pure parsing in the docker_storage probe: unit files, env files, docker info, xfs_info."""

from __future__ import annotations

import pytest

from .conftest import load

probe = load("roles/docker_storage/library/docker_storage_probe.py")

DEBIAN_UNIT = """\
# /lib/systemd/system/docker.service
[Service]
EnvironmentFile=-/etc/default/docker
ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS
"""


def test_plain_unit_has_no_conflicts() -> None:
    assert probe.flag_conflicts(DEBIAN_UNIT, "") == []


def test_flag_in_environment_file_is_found_and_attributed() -> None:
    env = '# Docker options\nDOCKER_OPTS="--storage-driver=devicemapper --dns 8.8.8.8"\n'
    (conflict,) = probe.flag_conflicts(DEBIAN_UNIT, env)
    assert conflict["flag"] == "--storage-driver=devicemapper"
    assert conflict["key"] == "storage-driver"
    assert conflict["via"] == "$DOCKER_OPTS"


def test_dropin_replacing_execstart_is_what_counts() -> None:
    unit = (
        DEBIAN_UNIT
        + "\n# /etc/systemd/system/docker.service.d/override.conf\n[Service]\nExecStart=\n"
        + "ExecStart=/usr/bin/dockerd -H fd:// \\\n  --data-root /srv/docker -s overlay2\n"
    )
    found = probe.flag_conflicts(unit, 'DOCKER_OPTS="--storage-opt dm.basesize=20G"')
    assert [(c["flag"], c["key"]) for c in found] == [
        ("--data-root", "data-root"),
        ("-s", "storage-driver"),
    ]


def test_empty_execstart_resets_earlier_commands() -> None:
    unit = "ExecStart=/usr/bin/dockerd --graph /old\nExecStart=\n"
    assert probe.unit_exec_starts(unit) == []
    assert probe.flag_conflicts(unit) == []


def test_non_dockerd_commands_are_ignored() -> None:
    unit = "ExecStart=/usr/bin/other -s overlay2\nExecStartPre=/usr/bin/dockerd -s vfs\n"
    assert probe.flag_conflicts(unit) == []


@pytest.mark.parametrize(
    ("text", "ftype"),
    [
        ("naming   =version 2              bsize=4096   ascii-ci=0, ftype=1\n", 1),
        ("naming   =version 2              bsize=4096   ascii-ci=0, ftype=0\n", 0),
        ("meta-data=/dev/loop0 isize=512\n", None),
    ],
)
def test_xfs_ftype(text: str, ftype: int | None) -> None:
    assert probe.xfs_ftype(text) == ftype


def test_storage_info_from_docker_info() -> None:
    info = {
        "ServerVersion": "26.1.5+dfsg1",
        "Driver": "overlay2",
        "DriverStatus": [
            ["Backing Filesystem", "extfs"],
            ["Supports d_type", "true"],
            ["Using metacopy", "false"],
        ],
        "DockerRootDir": "/var/lib/docker",
        "Images": 3,
        "Containers": 2,
    }
    facts = probe.storage_info(info)
    assert facts["backing_filesystem"] == "extfs"
    assert facts["d_type"] is True
    assert (facts["images"], facts["containers"]) == (3, 2)
    assert facts["engine_version"] == "26.1.5+dfsg1"


def test_storage_info_of_nothing_has_every_key() -> None:
    facts = probe.storage_info(None)
    assert facts["driver"] == ""
    assert facts["d_type"] is None
    assert facts["images"] == 0


@pytest.mark.parametrize(
    ("version", "expected"),
    [("20.10.24+dfsg1", (20, 10, 24)), ("28.2.2", (28, 2, 2)), ("23.0.0-rc.1", (23, 0, 0))],
)
def test_version_tuple(version: str, expected: tuple[int, ...]) -> None:
    assert probe.version_tuple(version) == expected


def test_blkid_export_lines() -> None:
    out = "DEVNAME=/dev/loop3\nUUID=1234\nTYPE=ext4\nUSAGE=filesystem\n"
    assert probe.kv_lines(out)["TYPE"] == "ext4"


def test_daemon_json_that_is_not_an_object(tmp_path) -> None:
    path = tmp_path / "daemon.json"
    path.write_text('["storage-driver"]')
    result = probe.probe_daemon_json(str(path))
    assert result["content"] is None
    assert "not a JSON object" in result["error"]


def test_daemon_json_that_is_not_json(tmp_path) -> None:
    path = tmp_path / "daemon.json"
    path.write_text("{'storage-driver': 'overlay2'}")
    result = probe.probe_daemon_json(str(path))
    assert result["content"] is None
    assert result["error"]


def test_missing_daemon_json_is_an_empty_object(tmp_path) -> None:
    result = probe.probe_daemon_json(str(tmp_path / "absent.json"))
    assert result == {"exists": False, "content": {}, "error": ""}
