"""What the docker_engine role reads of a host in one command (plugins/filter/docker_engine.py):
a task is skipped only when what it would make is read exactly as wanted."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.filter import docker_engine as engine

SHA = "a" * 64
# what the command prints on a pinned Debian 13 host, Docker running
READ = f"""\
package docker-cli installed
package docker.io installed
package python3-debian installed
service enabled active
file /etc/apt/preferences.d/layerwise-docker-engine {SHA}  - 644 0 0
source Check-Valid-Until: no
source Components: main
source X-Repolib-Name: layerwise-testing
source Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
source Suites: testing
source Types: deb
source URIs: http://deb.debian.org/debian
"""
PIN = "/etc/apt/preferences.d/layerwise-docker-engine"


def test_the_command_is_read_line_by_line() -> None:
    host = engine.found(READ)
    assert host["packages"] == {
        "docker-cli": "installed",
        "docker.io": "installed",
        "python3-debian": "installed",
    }
    assert host["service"] == {"enabled": "enabled", "active": "active"}
    assert host["files"] == {PIN: {"sha256": SHA, "mode": "0644", "uid": 0, "gid": 0}}
    assert host["source"] == {
        "Check-Valid-Until": "no",
        "Components": "main",
        "X-Repolib-Name": "layerwise-testing",
        "Signed-By": "/usr/share/keyrings/debian-archive-keyring.gpg",
        "Suites": "testing",
        "Types": "deb",
        "URIs": "http://deb.debian.org/debian",
    }


def test_a_bare_host_has_nothing() -> None:
    """Nothing installed: dpkg-query prints nothing, is-enabled nothing, is-active inactive."""
    host = engine.found("service  inactive\n")
    assert host == {"packages": {}, "service": {}, "files": {}, "source": {}}
    assert engine.missing(["docker.io"], host) == ["docker.io"]
    assert engine.service_differs(host, True, "started")
    assert engine.file_differs(host, PIN, SHA, "0644")


@pytest.mark.parametrize(
    ("status", "missing"),
    [("installed", []), ("half-installed", ["docker.io"]), ("config-files", ["docker.io"])],
)
def test_only_an_installed_package_is_not_missing(status: str, missing: list[str]) -> None:
    host = engine.found(f"package docker.io {status}\n")
    assert engine.missing(["docker.io"], host) == missing


def test_a_package_not_shown_is_missing() -> None:
    assert engine.missing(["docker.io", "docker-cli"], engine.found(READ)) == []
    assert engine.missing(["containerd"], engine.found(READ)) == ["containerd"]


@pytest.mark.parametrize(
    ("sha256", "mode", "line", "differs"),
    [
        (SHA, "0644", f"file {PIN} {SHA}  - 644 0 0", False),
        ("b" * 64, "0644", f"file {PIN} {SHA}  - 644 0 0", True),
        (SHA, "0644", f"file {PIN} {SHA}  - 600 0 0", True),
        (SHA, "0644", f"file {PIN} {SHA}  - 644 1000 0", True),
        (SHA, "0644", f"file {PIN} {SHA}  - 644 0 4", True),
        (SHA, "0644", f"file /etc/other {SHA}  - 644 0 0", True),
    ],
)
def test_a_file_is_left_alone_only_when_content_mode_and_owner_match(
    sha256: str, mode: str, line: str, differs: bool
) -> None:
    assert engine.file_differs(engine.found(line + "\n"), PIN, sha256, mode) is differs


@pytest.mark.parametrize(
    ("line", "enabled", "state", "differs"),
    [
        ("service enabled active", True, "started", False),
        ("service disabled inactive", False, "stopped", False),
        ("service disabled active", True, "started", True),
        ("service enabled inactive", True, "started", True),
        ("service enabled failed", True, "started", True),
        ("service enabled active", False, "started", True),
        ("service enabled active", True, "stopped", True),
        ("service enabled active", True, "restarted", True),
        ("service enabled active", True, "reloaded", True),
    ],
)
def test_the_service_task_is_skipped_only_in_the_state_asked(
    line: str, enabled: bool, state: str, differs: bool
) -> None:
    assert engine.service_differs(engine.found(line + "\n"), enabled, state) is differs


def test_malformed_lines_are_not_read_as_state() -> None:
    host: dict[str, Any] = engine.found(
        "package docker.io\nservice enabled\nfile /x abc\nfile /x a - 644 0 0 more\n"
        "source no colon here\nnoise\n"
    )
    assert host == {"packages": {}, "service": {}, "files": {}, "source": {}}
