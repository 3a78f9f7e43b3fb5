"""Shared by the role suites: run one role with ansible-playbook against the host under test."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any, Callable

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = Path(__file__).with_name("apply_role.yml")

RunRole = Callable[..., tuple[int, str]]


@pytest.fixture
def run_role(host_vars: dict[str, Any], request: pytest.FixtureRequest) -> RunRole:
    """``run_role(**extra_vars)``: ansible-playbook with a role on this host -> (rc, output).

    The role is docker_storage unless ``layerwise_role`` names another.
    """
    inventory = request.config.getoption("ansible_inventory")
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
    )

    def run(**extra: Any) -> tuple[int, str]:
        extra_vars = {"layerwise_target": host_vars["inventory_hostname"], **extra}
        proc = subprocess.run(
            ["ansible-playbook", str(PLAYBOOK), "-i", inventory, "-e", json.dumps(extra_vars)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=600,
        )
        return proc.returncode, proc.stdout + proc.stderr

    return run
