"""Shared by the role suites: run one role with ansible-playbook against the host under test."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.waiting import start

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = Path(__file__).with_name("apply_role.yml")

RunRole = Callable[..., tuple[int, str]]
StartRole = Callable[..., "tuple[subprocess.Popen[bytes], Path]"]


# What the growth tests measured, printed at the end of the run (test_grow_in_place.py)
MEASURED: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that grow the data root's filesystem run after every other test of the run.

    Growth cannot be undone (xfs never shrinks), and once the loop file is larger than the
    inventory's docker_storage_loop_size the role refuses that size: the tests that run the
    role with the inventory's variables must come first. The order is otherwise kept.
    """
    items.sort(key=lambda item: item.get_closest_marker("grows_data_root") is not None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    for line in MEASURED:
        terminalreporter.write_line(line)


def role_command(host_vars: dict[str, Any], inventory: str, extra: dict[str, Any]) -> list[str]:
    extra_vars = {"layerwise_target": host_vars["inventory_hostname"], **extra}
    return ["ansible-playbook", str(PLAYBOOK), "-i", inventory, "-e", json.dumps(extra_vars)]


def role_env() -> dict[str, str]:
    return dict(
        os.environ,
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        # molecule's verify sets ANSIBLE_FORCE_COLOR, which would win over NOCOLOR
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOWS="1",
        ANSIBLE_CALLBACK_RESULT_FORMAT="json",
    )


@pytest.fixture
def run_role(host_vars: dict[str, Any], request: pytest.FixtureRequest) -> RunRole:
    """``run_role(**extra_vars)``: ansible-playbook with a role on this host -> (rc, output).

    The role is docker_storage unless ``layerwise_role`` names another.
    """
    inventory = request.config.getoption("ansible_inventory")

    def run(**extra: Any) -> tuple[int, str]:
        proc = subprocess.run(
            role_command(host_vars, inventory, extra),
            capture_output=True,
            text=True,
            env=role_env(),
            check=False,
            timeout=600,
        )
        return proc.returncode, proc.stdout + proc.stderr

    return run


@pytest.fixture
def start_role(
    host_vars: dict[str, Any], request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[StartRole]:
    """``start_role(at="", **extra_vars)``: ansible-playbook started in a process group of
    its own, not waited for, or left waiting before the task ``at`` (tests.waiting.start)
    -> (process, the file its output goes to). The group is killed at teardown if it still
    runs."""
    inventory = request.config.getoption("ansible_inventory")
    started: list[subprocess.Popen[bytes]] = []

    def begin(at: str = "", **extra: Any) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"ansible-playbook-{len(started)}.log"
        proc = start(role_command(host_vars, inventory, extra), role_env(), log, at)
        started.append(proc)
        return proc, log

    yield begin
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)


@contextmanager
def daemon_json_key(host: Any, key: str, value: Any) -> Iterator[None]:
    """daemon.json with ``key`` set to ``value`` (Docker not restarted), for a refusal to read;
    the file is put back as it was, whatever the test did."""
    path = "/etc/docker/daemon.json"
    host.check_output("cp -p %s %s.layerwise-test", path, path)
    try:
        host.check_output(
            "python3 -c %s %s %s %s",
            "import json,sys; p,k,v=sys.argv[1:]; d=json.load(open(p)); d[k]=json.loads(v); "
            "json.dump(d, open(p, 'w'))",
            path,
            key,
            json.dumps(value),
        )
        yield
    finally:
        host.check_output("mv %s.layerwise-test %s", path, path)
