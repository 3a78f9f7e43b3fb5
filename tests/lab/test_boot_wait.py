"""A lab host that never finishes booting fails the wait, in bounded time, and says why.

The wait (role lab_hosts, tasks wait.yml; used by make lab, molecule create and the reboot
playbook) asks systemd inside the host through docker exec. Here a host gets a unit that
never finishes starting, is rebooted with playbooks/reboot.yml, and the run must fail with
the host's name and that unit, instead of hanging.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import lab_host, shell

HOST = "layerwise-boot-probe"
UNIT = "layerwise-hang.service"
TIMEOUT_S = 20
PLAYBOOK = "ansible-playbook"
VENV_BIN = ".venv/bin"

HANGING_UNIT = """[Unit]
Description=layerwise test: a unit that never finishes starting
[Service]
Type=oneshot
ExecStart=/bin/sleep infinity
TimeoutStartSec=infinity
[Install]
WantedBy=multi-user.target
"""


@pytest.fixture(scope="module")
def hanging_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A booted lab host with a unit that will hang its next boot; its inventory file."""
    lab_host(HOST, "fresh")
    try:
        rc, out = shell(
            f"docker exec -i {HOST} sh -c 'cat > /etc/systemd/system/{UNIT} && "
            f"systemctl enable {UNIT} 2>&1' <<'UNIT'\n{HANGING_UNIT}UNIT",
            timeout=60,
        )
        assert rc == 0, out
        inventory = tmp_path_factory.mktemp("boot") / "hosts.yml"
        inventory.write_text(f"probe:\n  hosts:\n    {HOST}:\n")
        yield inventory
    finally:
        lab_host(HOST, "absent")


def test_a_host_that_never_boots_fails_the_wait_naming_host_and_unit(hanging_host: Path) -> None:
    rc, out = shell(
        f"{VENV_BIN}/{PLAYBOOK} playbooks/reboot.yml -i {hanging_host} "
        f"-e reboot_group=probe -e lab_hosts_boot_timeout={TIMEOUT_S}",
        timeout=TIMEOUT_S + 120,  # the bound: a hang fails here instead of never ending
    )
    assert rc != 0, out
    assert f"{HOST} has not finished booting after {TIMEOUT_S} s" in out, out
    assert UNIT in out, out


def test_reboot_of_a_group_with_no_hosts_is_refused(tmp_path: Path) -> None:
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("probe:\n  hosts: {}\n")
    rc, out = shell(
        f"{VENV_BIN}/{PLAYBOOK} playbooks/reboot.yml -i {inventory} -e reboot_group=probe",
        timeout=120,
    )
    assert rc != 0, out
    assert "reboot_group 'probe' names no host" in out, out
