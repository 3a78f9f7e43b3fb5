"""Log rotation by the docker_storage role on a real host: docker_storage_log_max_size and
docker_storage_log_max_file land in daemon.json's log-opts (every other key kept), Docker
restarts once, a container created afterwards gets them, the containers created before are
named as keeping their old settings, and a second run changes nothing.

The host gets its daemon.json back afterwards, and Docker is restarted on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.waiting import wait_for

from .conftest import RunRole, daemon_json_key
from .test_faults import a_local_image, restart_docker

pytestmark = pytest.mark.role

DAEMON_JSON = "/etc/docker/daemon.json"
KEPT = "/run/layerwise-test-log-rotation.json"
NEW = "layerwise-test-log-rotation"
ROTATION = {"docker_storage_log_max_size": "10m", "docker_storage_log_max_file": 2}


def names(host: Any, every: bool = False) -> set[str]:
    listed = "docker ps --all --format '{{.Names}}'" if every else "docker ps --format '{{.Names}}'"
    return set(host.check_output(listed).split())


def started(host: Any) -> str:
    return host.check_output("systemctl show --property ActiveEnterTimestampMonotonic docker")


@pytest.fixture
def daemon_json_back(host: Any) -> Iterator[dict[str, Any]]:
    """daemon.json as it was, and the containers that ran: put back after the test (the file,
    Docker restarted on it, those containers running)."""
    before = json.loads(host.file(DAEMON_JSON).content_string)
    running = names(host)
    host.check_output("cp -p %s %s", DAEMON_JSON, KEPT)
    yield before
    host.run("docker rm --force %s", NEW)
    host.check_output("mv %s %s", KEPT, DAEMON_JSON)
    restart_docker(host)
    wait_for("docker answers", lambda: host.run("docker info").rc == 0, timeout=90)
    host.run("docker start %s", " ".join(sorted(running - names(host))))
    assert names(host) >= running, "a container that ran before does not run again"


def test_log_rotation_reaches_new_containers_and_names_the_old_ones(
    host: Any, run_role: RunRole, daemon_json_back: dict[str, Any]
) -> None:
    created_before = names(host, every=True)
    assert created_before, "no container on the host to keep its old log settings"
    rc, out = run_role(**ROTATION)
    assert rc == 0, out[-3000:]

    written = json.loads(host.file(DAEMON_JSON).content_string)
    assert written["log-opts"] == {
        **daemon_json_back.get("log-opts", {}),
        "max-size": "10m",
        "max-file": "2",
    }
    assert {k: v for k, v in written.items() if k != "log-opts"} == {
        k: v for k, v in daemon_json_back.items() if k != "log-opts"
    }, "a key other than log-opts changed"

    said = " ".join(out.split())
    assert "containers keep the log settings they were created with until they are recreated" in (
        said
    ), out[-3000:]
    for name in created_before:
        had = json.loads(
            host.check_output("docker inspect --format '{{json .HostConfig.LogConfig}}' %s", name)
        )
        options = had.get("Config") or {}
        kept = ", ".join(f"{k} {options[k]}" for k in ("max-size", "max-file") if k in options)
        assert f"{name} ({had['Type']}, {kept or 'no max-size'};" in said, (name, had)
    assert "New containers get max-size 10m, max-file 2." in said

    image = a_local_image(host)
    host.check_output("docker create --name %s --network none %s true", NEW, image)
    config = json.loads(
        host.check_output("docker inspect --format '{{json .HostConfig.LogConfig}}' %s", NEW)
    )
    assert config == {"Type": "json-file", "Config": {"max-size": "10m", "max-file": "2"}}

    restarted = started(host)
    rc, out = run_role(**ROTATION)
    assert rc == 0, out[-3000:]
    assert "changed=0" in out, out[-3000:]
    assert started(host) == restarted, "the second run restarted Docker"
    assert f"{NEW} (" not in out, (
        "a container created with the rotation is named as keeping old settings"
    )


@pytest.fixture
def journald_in_daemon_json(host: Any) -> Iterator[None]:
    """daemon.json asks for the journald log driver (Docker not restarted); put back after."""
    with daemon_json_key(host, "log-driver", "journald"):
        yield


@pytest.mark.usefixtures("journald_in_daemon_json")
def test_log_rotation_for_a_driver_without_files_is_refused(host: Any, run_role: RunRole) -> None:
    before, restarted = host.check_output("sha256sum %s", DAEMON_JSON), started(host)
    rc, out = run_role(**ROTATION)
    assert rc != 0
    said = " ".join(out.split())
    assert "but new containers on" in said, out[-3000:]
    assert "log with journald, which keeps no log file" in said
    assert "Leave docker_storage_log_max_size and docker_storage_log_max_file empty" in said
    assert host.check_output("sha256sum %s", DAEMON_JSON) == before, "daemon.json changed"
    assert started(host) == restarted, "Docker was restarted"
