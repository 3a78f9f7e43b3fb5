"""Fixtures shared by the host suites (tests/infra, tests/role).

A host's storage state is read with the overlay2_facts reader (the same code the roles decide
and verify with), sent over as one ``python3 -c`` command (a zipapp, layerwise.shipping): once
per host for the whole run, and again only where a test acts and looks at the result.
The run ends with the number of remote commands each host got.
"""

from __future__ import annotations

import collections
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

import pytest
import testinfra.host
import yaml

from ansible_collections.layerwise.docker.plugins.filter import docker_storage as role_filters
from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks
from layerwise.collection import HOME as COLLECTION
from layerwise.shipping import bootstrap

ROOT = Path(__file__).resolve().parents[1]
ROLE_DEFAULTS = COLLECTION / "roles/docker_storage/defaults/main.yml"
ROLE_VARS = COLLECTION / "roles/docker_storage/vars/main.yml"


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
def policy(expected: dict[str, Any]) -> dict[str, Any]:
    """What the docker_storage role promises this host, as the judge's policy.

    The role's verify step builds the same policy with the same filter from the same
    variables, so the role and this suite give one verdict.
    """
    given = role_filters.role_policy(
        expected["docker_storage_driver"],
        expected["docker_storage_data_root"],
        expected["docker_storage_opts"],
        expected["docker_storage_fstype"],
        expected["docker_storage_source"],
        expected["docker_storage_image_store"],
    )
    valid, errors = layerwise_checks.validate(given)
    assert not errors, errors
    return valid


Facts = Callable[..., dict[str, Any]]
COMMANDS: collections.Counter[str] = collections.Counter()


def pytest_configure(config: pytest.Config) -> None:
    """Find the Ansible next to this pytest, and count every remote command, per host.

    testinfra's ansible backend runs ``ansible-inventory`` and ansible.cfg from the
    environment: ``.venv/bin/pytest`` from a fresh shell (venv not activated) must find the
    venv's Ansible and the project's ansible.cfg.
    """
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join(filter(None, [bindir, os.environ.get("PATH")]))
    os.environ.setdefault("ANSIBLE_CONFIG", str(ROOT / "ansible.cfg"))
    _count_remote_commands()


def _count_remote_commands() -> None:
    """Count every remote command testinfra runs, per host.

    The ansible backend hands a command on to an inner host (e.g. docker://); only the
    outermost call counts.
    """
    run = testinfra.host.Host.run
    depth = [0]

    def counted(self: testinfra.host.Host, command: str, *args: str, **kwargs: Any) -> Any:
        if depth[0] == 0:
            COMMANDS[self.backend.get_hostname()] += 1
        depth[0] += 1
        try:
            return run(self, command, *args, **kwargs)
        finally:
            depth[0] -= 1

    testinfra.host.Host.run = counted  # type: ignore[method-assign]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run a test marked ``image_store(name)`` only on hosts asked for that store.

    What a host was asked for is its inventory's ``docker_storage_image_store`` (the role's
    default when unset); the other store's tests do not apply to it and are deselected, not
    skipped. A host on another store than it was asked for fails test_checks (CFG-018).
    """
    default = yaml.safe_load(ROLE_DEFAULTS.read_text())["docker_storage_image_store"]
    kept, dropped = [], []
    for item in items:
        marker = item.get_closest_marker("image_store")
        host = getattr(item, "callspec", None) and item.callspec.params.get("_testinfra_host")
        if marker is None or host is None:
            kept.append(item)
            continue
        inventory = host.ansible.get_variables() if host.backend.NAME == "ansible" else {}
        wanted = inventory.get("docker_storage_image_store", default)
        (kept if wanted == marker.args[0] else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not COMMANDS:
        return
    counts = ", ".join(f"{name} {count}" for name, count in sorted(COMMANDS.items()))
    terminalreporter.write_line(f"remote commands per host: {counts}")
    if os.environ.get("LAYERWISE_COMMAND_COUNTS"):
        Path(os.environ["LAYERWISE_COMMAND_COUNTS"]).write_text(json.dumps(dict(COMMANDS)))


@pytest.fixture(scope="module")
def facts(host: Any, expected: dict[str, Any]) -> Facts:
    """Read the host's storage state now: ``facts(files=[...], digests=[...])``."""
    source = bootstrap()

    def read(**params: Any) -> dict[str, Any]:
        wanted = {
            "data_root": expected["docker_storage_data_root"],
            "source": expected["docker_storage_source"],
            "daemon_json": expected["docker_storage_daemon_json"],
            **params,
        }
        try:
            result = host.run("python3 -c %s --params %s", source, json.dumps(wanted))
        except RuntimeError as exc:  # testinfra's ssh backend: rc 255, the connection failed
            result = exc.args[0]
        if result.rc != 0:
            # the command is the whole reader: say why it failed, not what it was
            why = (result.stderr or result.stdout).strip()[-800:]
            name = host.backend.get_hostname()
            raise HostUnreadable(f"cannot read {name}: rc={result.rc}: {why}")
        return dict(json.loads(result.stdout))

    return read


class HostUnreadable(RuntimeError):
    """The facts module could not run on a host (unreachable, no python3, ...)."""


_SNAPSHOTS: dict[str, dict[str, Any] | HostUnreadable] = {}


@pytest.fixture(scope="module")
def storage(host: Any, facts: Facts) -> dict[str, Any]:
    """The host's storage snapshot, read once per host for the whole run.

    A host that cannot be read is tried once; every test of it errors with that reason.
    """
    name = host.backend.get_hostname()
    if name not in _SNAPSHOTS:
        try:
            # with where the disk went, layers walked: the USE checks judge exact bytes
            _SNAPSHOTS[name] = facts(usage=True, usage_walk_layers=True)
        except HostUnreadable as exc:
            _SNAPSHOTS[name] = exc
    snap = _SNAPSHOTS[name]
    if isinstance(snap, HostUnreadable):
        raise snap
    return snap


@pytest.fixture(scope="module")
def judged(storage: dict[str, Any], policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every check's outcome on the host's snapshot, by check id."""
    return {o["id"]: o for o in layerwise_checks.results(storage, policy)}
