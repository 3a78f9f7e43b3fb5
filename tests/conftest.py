"""Fixtures shared by the host suites (tests/infra, tests/role).

A host's storage state is read once per host with the docker_storage role's own probe (the
same code the role decides and verifies with), sent over as one ``python3 -c`` command.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "roles/docker_storage/library/docker_storage_probe.py"
ROLE_DEFAULTS = ROOT / "roles/docker_storage/defaults/main.yml"
ROLE_VARS = ROOT / "roles/docker_storage/vars/main.yml"


@pytest.fixture(scope="module")
def host_vars(host: Any) -> dict[str, Any]:
    """The host's inventory variables (group_vars and host_vars merged by Ansible)."""
    return dict(host.ansible.get_variables())


@pytest.fixture(scope="module")
def expected(host_vars: dict[str, Any]) -> dict[str, Any]:
    """What the docker_storage role was asked for: its defaults under the inventory's vars."""
    defaults = yaml.safe_load(ROLE_DEFAULTS.read_text())
    wanted = {k: host_vars.get(k, v) for k, v in defaults.items()}
    wanted["docker_storage_source"] = (
        wanted["docker_storage_device"] or wanted["docker_storage_loop_file"]
    )
    # what docker info calls the filesystem, from the role's own table (xfs -> xfs, ext4 -> extfs)
    names = yaml.safe_load(ROLE_VARS.read_text())["docker_storage_backing_fs_names"]
    wanted["backing_filesystem"] = names[wanted["docker_storage_fstype"]]
    return wanted


@pytest.fixture(scope="module")
def storage(host: Any, expected: dict[str, Any]) -> dict[str, Any]:
    """The host's storage snapshot, read once per host in one remote command."""
    out = host.check_output(
        "python3 -c %s --json %s %s %s",
        PROBE.read_text(),
        expected["docker_storage_data_root"],
        expected["docker_storage_source"],
        expected["docker_storage_daemon_json"],
    )
    return dict(json.loads(out))
