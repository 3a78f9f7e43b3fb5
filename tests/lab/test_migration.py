"""Moving a data root that holds images, containers and volumes onto its new filesystem, on a
real lab host (systemd, dockerd, a loop-backed xfs), with nothing lost, also when the run is
killed or the host rebooted at each step.

The host is set up as one "installed years ago": Docker's data root is a plain directory
(daemon.json data-root; the lab host's / is overlay, on which overlay2 cannot nest, so the
directory lies on the host's data volume) holding the sample images, running containers (one
with a restart policy, one without), a stopped container whose layer has a whiteout and an
opaque directory, and a named volume with hard links, a sparse file, an xattr and 1 GiB of
data. What Docker shows and what the volume and container layers hold are taken before the
move with docker's own commands and compared after it.
"""

# the host-side shell scripts below read best unwrapped
# ruff: noqa: E501

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.waiting import start, wait_for

from .conftest import ROOT, lab_host, shell

HOST = "layerwise-move-1"
DATA_ROOT = "/var/lib/layerwise/docker"
OLD = f"{DATA_ROOT}.layerwise-old"
LOOP = "/var/lib/layerwise/docker-new.img"
STAGING = "/run/layerwise-migration/new"
VOLUME = "layerwise-move-data"
STOPPED = "layerwise-move-stopped"
PLAYBOOK = ROOT / "tests/role/apply_role.yml"
VENV_BIN = ROOT / ".venv/bin"
INVENTORY = f"""move:
  hosts:
    {HOST}:
  vars:
    ansible_connection: community.docker.docker
    ansible_python_interpreter: /usr/bin/python3
    ansible_pipelining: true
    sample_images_base_image: layerwise/sample-base:bookworm
    sample_images_base_archive: /var/tmp/layerwise/sample-base-bookworm.tar
    docker_storage_data_root: {DATA_ROOT}
    docker_storage_loop_file: {LOOP}
    docker_storage_loop_size: 3G
"""
# The state the move leaves on the new filesystem, wherever that is mounted now
STATE = f"cat {STAGING}/.layerwise-migration/state.json {DATA_ROOT}/.layerwise-migration/state.json 2>/dev/null"
# What the host holds besides the sample images: a volume with what a copy most easily
# loses, a stopped container whose layer holds a whiteout (a file of the image deleted) and an
# opaque directory (one deleted and made again), and two more running containers.
CONTENT = f"""set -eu
docker volume create {VOLUME} >/dev/null
vol=$(docker volume inspect --format '{{{{.Mountpoint}}}}' {VOLUME})
head -c 1073741824 /dev/urandom > "$vol/random"
echo shared > "$vol/a"; ln "$vol/a" "$vol/a-again"
truncate --size 256M "$vol/sparse"; echo tail >> "$vol/sparse"
ln -s a "$vol/link"; mkfifo "$vol/fifo"
setfattr --name user.layerwise --value kept "$vol/a"
chown 1234:5678 "$vol/a"; chmod 4750 "$vol/a"
docker run --name {STOPPED} --network none -v {VOLUME}:/data layerwise/sample-base:bookworm \
  sh -c 'rm /etc/issue && rm -rf /usr/share/doc && mkdir /usr/share/doc && echo note > /root/note'
docker run --detach --name layerwise-move-always --restart always --network none \
  layerwise/sample-base:bookworm sleep infinity >/dev/null
docker run --detach --name layerwise-move-plain --network none \
  layerwise/sample-base:bookworm sleep infinity >/dev/null
"""
# What Docker shows and what the data holds, with docker's own commands and coreutils (a
# directory's size and link count are the filesystem's own: xfs and ext4 differ)
SEEN = f"""set -eu
echo "images $(docker image ls --all --no-trunc --format '{{{{.ID}}}} {{{{.Repository}}}}:{{{{.Tag}}}}' | sort | tr '\\n' ' ')"
echo "layers $(docker image inspect --format '{{{{.RootFS.Layers}}}}' $(docker image ls --quiet | sort -u) | sort | sha256sum)"
echo "containers $(docker ps --all --no-trunc --format '{{{{.ID}}}} {{{{.Names}}}} {{{{.Image}}}}' | sort | tr '\\n' ' ')"
echo "volumes $(docker volume ls --format '{{{{.Name}}}}' | sort | tr '\\n' ' ')"
echo "stopped-diff $(docker diff {STOPPED} | sort | tr '\\n' ' ')"
echo "stopped-export $(docker export {STOPPED} | sha256sum)"
vol=$(docker volume inspect --format '{{{{.Mountpoint}}}}' {VOLUME})
echo "volume-content $(cd "$vol" && {{ find . -type d -printf '%P %y %m %U:%G %T@\\n' | sort
  find . ! -type d -printf '%P %y %m %U:%G %s %n %T@ %l\\n' | sort
  find . -type f -print0 | sort -z | xargs -0 sha256sum
  find . | sort | xargs -d '\\n' getfattr --dump --match=- --no-dereference 2>/dev/null; }} | sha256sum)"
echo "volume-stat $(cd "$vol" && stat --format '%n %h %a %u:%g %s %Y' a a-again sparse random link | tr '\\n' ' ')"
echo "volume-xattr $(getfattr --only-values --name user.layerwise "$vol/a")"
"""


def on_host(command: str, timeout: float = 600, check: bool = True) -> str:
    proc = subprocess.run(
        ["docker", "exec", "-i", HOST, "bash", "-c", command],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check:
        assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout.strip()


def seen() -> dict[str, str]:
    """What Docker shows and what the volume and the stopped container's layer hold."""
    return dict(line.split(" ", 1) for line in on_host(SEEN).splitlines())


def running() -> set[str]:
    return set(on_host("docker ps --format '{{.Names}}'").split())


def playbook(inventory: Path, role: str = "docker_storage", **extra: Any) -> list[str]:
    extra_vars = {"layerwise_target": HOST, "layerwise_role": role, **extra}
    return [
        str(VENV_BIN / "ansible-playbook"),
        str(PLAYBOOK),
        "-i",
        str(inventory),
        "-e",
        json.dumps(extra_vars),
    ]


def run_role(inventory: Path, role: str = "docker_storage", **extra: Any) -> tuple[int, str]:
    proc = subprocess.run(
        playbook(inventory, role, **extra),
        capture_output=True,
        text=True,
        env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1"),
        timeout=1200,
        check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The host, installed the old way, with its content; its inventory file."""
    lab_host(HOST, "present")
    try:
        path = tmp_path_factory.mktemp("move") / "hosts.yml"
        path.write_text(INVENTORY)
        on_host(
            f'mkdir -p /etc/docker && echo \'{{"data-root": "{DATA_ROOT}"}}\' > /etc/docker/daemon.json'
        )
        for role in ("docker_engine", "sample_images"):
            rc, out = run_role(path, role)
            assert rc == 0, out
        on_host(
            "apt-get install --yes --no-install-recommends attr >/dev/null 2>&1 || "
            "(apt-get update >/dev/null && apt-get install --yes --no-install-recommends attr >/dev/null)"
        )
        on_host(CONTENT)
        yield path
    finally:
        lab_host(HOST, "absent")


@pytest.fixture(scope="module")
def before(inventory: Path) -> dict[str, Any]:
    """What the host shows and holds before any move, and what runs."""
    return {"seen": seen(), "running": running()}


def reset(before: dict[str, Any]) -> None:
    """Put the host back as it was before a move that kept the old data root, with the
    containers that ran then running (a Docker restart leaves those without a restart policy
    stopped)."""
    on_host(f"""set -u
systemctl unmask docker.socket docker.service
systemctl stop docker.socket docker.service
umount {STAGING} 2>/dev/null; findmnt {DATA_ROOT} >/dev/null && umount {DATA_ROOT}
sed -i '\\# {DATA_ROOT} #d' /etc/fstab
rm -f /etc/systemd/system/docker.service.d/10-layerwise-storage.conf
rm -f /etc/systemd/system/docker.service.d/05-layerwise-config-at-start.conf /run/layerwise/dockerd-config-at-start.json
systemctl daemon-reload
if [ -e {OLD} ]; then rm -rf {DATA_ROOT} && mv {OLD} {DATA_ROOT}; fi
losetup --associated {LOOP} | cut -d: -f1 | xargs -r -n1 losetup --detach
rm -f {LOOP}
systemctl start docker
""")
    wait_for(
        "docker answers", lambda: on_host("docker info >/dev/null 2>&1 && echo up", check=False)
    )
    on_host("docker start " + " ".join(sorted(before["running"])))
    wait_for("the containers run again", lambda: running() >= before["running"], interval=0.2)


@pytest.fixture
def put_back(before: dict[str, Any]) -> Iterator[None]:
    """The host as it was before the test's move (which keeps the old data root), whatever
    the test did or where it failed: the next test starts from the old install again."""
    yield
    reset(before)
    assert seen() == before["seen"], "the reset did not bring the host back"


def assert_nothing_lost(before: dict[str, Any], kept: bool) -> None:
    assert seen() == before["seen"]
    assert running() >= before["running"], "a container that ran before the move does not run"
    mounted = on_host(f"findmnt --noheadings --output SOURCE,FSTYPE --mountpoint {DATA_ROOT}")
    assert mounted.split()[1] == "xfs", mounted
    assert on_host(f"losetup --associated {LOOP}"), "the data root is not on the loop file"
    assert (
        on_host("docker info --format '{{.DockerRootDir}} {{.Driver}}'") == f"{DATA_ROOT} overlay2"
    )
    assert on_host(f"test -e {OLD} && echo kept || echo removed") == ("kept" if kept else "removed")
    assert (
        on_host(f"find {DATA_ROOT}/.layerwise-migration {STAGING} -mindepth 1 2>/dev/null; true")
        == ""
    )
    assert on_host("systemctl is-enabled docker.service") == "enabled"
    assert on_host(f"grep -c ' {DATA_ROOT} ' /etc/fstab") == "1"


def test_without_the_opt_in_the_role_refuses_and_names_the_variable(
    inventory: Path, before: dict[str, Any]
) -> None:
    rc, out = run_role(inventory)
    assert rc != 0
    assert "docker_storage_migrate_data_root: true" in out, out[-3000:]
    assert seen() == before["seen"]
    assert running() == before["running"]
    assert (
        on_host(f"findmnt --mountpoint {DATA_ROOT} >/dev/null && echo mounted || echo plain")
        == "plain"
    )


def test_a_new_filesystem_too_small_is_refused_before_anything_stops(
    inventory: Path, before: dict[str, Any]
) -> None:
    rc, out = run_role(
        inventory, docker_storage_migrate_data_root=True, docker_storage_loop_size="512M"
    )
    assert rc != 0
    assert "the copy would not fit. Nothing was stopped or copied." in out, out[-3000:]
    assert "bytes) free" in out
    assert running() == before["running"], "Docker or a container stopped"
    assert seen() == before["seen"]
    reset(before)


def phase() -> str:
    found = on_host(STATE, check=False)
    return json.loads(found)["phase"] if found else ""


# Where a run is cut: the task it is cut before, and what must hold on the host then (proof
# that the cut landed there; "" for mid-copy, proven by the move's own phase). Each point is
# cut by a SIGKILL alone and by a SIGKILL and a reboot of the host.
POINTS: dict[str, tuple[str, str, str]] = {
    "after stop": (
        "Note that Docker is stopped",
        f"systemctl is-active docker.service; {STATE} | grep -c recorded",
        "inactive\n1",
    ),
    "mid-copy": ("Copy the data root onto the new filesystem", "", ""),
    "renamed, not mounted": (
        "Mount the filesystem on the data root and record it in fstab",
        f"test ! -e {DATA_ROOT} && test -d {OLD} && systemctl is-enabled docker.service",
        "masked",
    ),
    "after the fstab change": (
        "Let Docker start again, on the copy",
        f"grep -c ' {DATA_ROOT} ' /etc/fstab; systemctl is-enabled docker.service",
        "1\nmasked",
    ),
    "before the restart": (
        "Merge the storage keys into the existing daemon.json",
        f"findmnt --noheadings --output FSTYPE --mountpoint {DATA_ROOT}; systemctl is-active docker.service",
        "xfs\ninactive",
    ),
}
CUTS = [
    pytest.param(point, reboot, id=point + (", rebooted" if reboot else ""))
    for point in POINTS
    for reboot in (False, True)
]
MOVE = {"docker_storage_migrate_data_root": True, "docker_storage_migrate_keep_old": True}


def cut_at(inventory: Path, log: Path, task: str, mid_copy: bool) -> None:
    """Start the move and SIGKILL ansible-playbook (its whole process group) at ``task``.

    Before the task starts (ansible-playbook --step holds the run there: exact), or, for the
    copy, while it runs: more than 100 MiB copied, not all of it.
    """
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = start(
        playbook(inventory, **MOVE), env, log, "" if mid_copy else f"docker_storage : {task}"
    )
    try:
        if mid_copy:
            wait_for(
                f"task '{task}' started",
                lambda: (
                    f"TASK [docker_storage : {task}" in log.read_text() or proc.poll() is not None
                ),
                timeout=600,
            )
            assert proc.poll() is None, f"the run ended before '{task}':\n{log.read_text()[-3000:]}"
            wait_for(
                "the copy under way",
                lambda: (
                    int(on_host(f"du -sm --exclude=.layerwise-migration {STAGING} | cut -f1")) > 100
                ),
                timeout=120,
                interval=0.1,
            )
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)


@pytest.mark.parametrize(("point", "reboot"), CUTS)
def test_a_move_cut_at_each_step_is_finished_by_the_next_run(
    inventory: Path,
    before: dict[str, Any],
    point: str,
    reboot: bool,
    tmp_path: Path,
    put_back: None,
) -> None:
    task, probe, expected = POINTS[point]
    cut_at(inventory, tmp_path / "cut.log", task, mid_copy=point == "mid-copy")
    if probe:
        assert on_host(probe, check=False) == expected, f"the cut did not land {point}"
    else:
        assert phase() == "copying", f"the cut did not land mid-copy (phase {phase()!r})"
    if reboot:
        rc, out = shell(
            f".venv/bin/ansible-playbook playbooks/reboot.yml -i {inventory} -e reboot_group=move",
            timeout=600,
        )
        assert rc == 0, out
    rc, out = run_role(inventory, **MOVE)
    assert rc == 0, out[-5000:]
    assert f"the old data root was kept at {OLD}" in out, out[-3000:]
    assert_nothing_lost(before, kept=True)


def test_a_move_keeps_everything_and_a_second_run_changes_nothing(
    inventory: Path, before: dict[str, Any]
) -> None:
    rc, out = run_role(inventory, docker_storage_migrate_data_root=True)
    assert rc == 0, out[-5000:]
    assert "Moved the data root" in out, out[-3000:]
    assert "the old data root was removed" in out, out[-3000:]
    report = out[out.index("Moved the data root") :][:1500]
    for words in ("1 volumes", "Docker shows the same", "whiteouts", "hard-linked"):
        assert words in report, report
    assert_nothing_lost(before, kept=False)
    rc, out = run_role(inventory, docker_storage_migrate_data_root=True)
    assert rc == 0, out[-3000:]
    assert "changed=0" in out, out[-3000:]
    assert seen() == before["seen"]
