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

Two such hosts: Debian 12's Docker 20.10 on the overlay2 graph driver, and Debian testing's
Docker 28 on the containerd image store, whose layers are under containerd's root (here on
the host's data volume as well, set in containerd's config.toml), moved with the data root.
"""

# the host-side shell scripts below read best unwrapped
# ruff: noqa: E501

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.waiting import start, wait_for

from .conftest import ROOT, lab_host, shell

DATA_ROOT = "/var/lib/layerwise/docker"
OLD = f"{DATA_ROOT}.layerwise-old"
LOOP = "/var/lib/layerwise/docker-new.img"
STAGING = "/run/layerwise-migration/new"
VOLUME = "layerwise-move-data"
STOPPED = "layerwise-move-stopped"
# a running container of `docker run --rm`: Docker removes it when it stops (as at any restart
# of Docker), so it is not in what the tests compare; the move must report it, not fail on it
RM = "layerwise-move-rm"
# The running containers' command: PID 1 of a container ignores SIGTERM unless it handles it,
# and `sleep infinity` would hold every stop of Docker (the move's, each reset's, each
# reboot's) for Docker's 10 s stop timeout
SLEEP = """sh -c 'trap "exit 0" TERM; sleep infinity & wait'"""
PLAYBOOK = ROOT / "tests/role/apply_role.yml"
VENV_BIN = ROOT / ".venv/bin"
# The containerd image store's host: containerd's root on the host's data volume too (the
# lab host's / is overlay), set in containerd's config before the engine is installed
CONTAINERD_ROOT = "/var/lib/layerwise/containerd"
CONTAINERD_OLD = f"{CONTAINERD_ROOT}.layerwise-old"


@dataclass(frozen=True)
class Install:
    """How a host was installed years ago: its engine and image store."""

    name: str
    suite: str
    base: str
    driver: str  # what docker info calls the storage
    inventory_vars: str
    daemon_json: str
    prepare: str = ""


INSTALLS = {
    "overlay2": Install(
        name="layerwise-move-1",
        suite="bookworm",
        base="layerwise/sample-base:bookworm",
        driver="overlay2",
        inventory_vars="",
        daemon_json=json.dumps({"data-root": DATA_ROOT}),
    ),
    "containerd": Install(
        name="layerwise-move-2",
        suite="trixie",
        base="layerwise/sample-base:trixie",
        driver="overlayfs",
        inventory_vars=f"""
    docker_engine_source: pinned
    docker_engine_pin_check_valid_until: false
    sample_images_network: none
    docker_storage_image_store: containerd
    docker_storage_containerd_root: {CONTAINERD_ROOT}""",
        daemon_json=json.dumps(
            {"data-root": DATA_ROOT, "features": {"containerd-snapshotter": True}}
        ),
        prepare=f"mkdir -p /etc/containerd && printf 'version = 2\\nroot = \"{CONTAINERD_ROOT}\"\\n' > /etc/containerd/config.toml",
    ),
}


def inventory_text(install: Install) -> str:
    suite = install.suite
    return f"""move:
  hosts:
    {install.name}:
  vars:
    ansible_connection: community.docker.docker
    ansible_python_interpreter: /usr/bin/python3
    ansible_pipelining: true
    sample_images_base_image: layerwise/sample-base:{suite}
    sample_images_base_archive: /var/tmp/layerwise/sample-base-{suite}.tar
    docker_storage_data_root: {DATA_ROOT}
    docker_storage_loop_file: {LOOP}
    docker_storage_loop_size: 3G{install.inventory_vars}
"""


# The state the move leaves on the new filesystem, wherever that is mounted now
STATE = f"cat {STAGING}/.layerwise-migration/state.json {DATA_ROOT}/.layerwise-migration/state.json 2>/dev/null"


def content(base: str) -> str:
    """What the host holds besides the sample images: a volume with what a copy most easily
    loses, a stopped container whose layer holds a whiteout (a file of the image deleted) and
    an opaque directory (one deleted and made again), and two more running containers."""
    return f"""set -eu
docker volume create {VOLUME} >/dev/null
vol=$(docker volume inspect --format '{{{{.Mountpoint}}}}' {VOLUME})
head -c 1073741824 /dev/urandom > "$vol/random"
echo shared > "$vol/a"; ln "$vol/a" "$vol/a-again"
truncate --size 256M "$vol/sparse"; echo tail >> "$vol/sparse"
ln -s a "$vol/link"; mkfifo "$vol/fifo"
setfattr --name user.layerwise --value kept "$vol/a"
chown 1234:5678 "$vol/a"; chmod 4750 "$vol/a"
docker run --name {STOPPED} --network none -v {VOLUME}:/data {base} \\
  sh -c 'rm /etc/issue && rm -rf /usr/share/doc && mkdir /usr/share/doc && echo note > /root/note'
docker run --detach --name layerwise-move-always --restart always --network none \\
  {base} {SLEEP} >/dev/null
docker run --detach --name layerwise-move-plain --network none \\
  {base} {SLEEP} >/dev/null
{run_rm(base)}
"""


def run_rm(base: str) -> str:
    """Start the --rm container (again: a move or a reset removes it)."""
    return (
        f"docker container inspect {RM} >/dev/null 2>&1 || "
        f"docker run --detach --rm --name {RM} --network none {base} {SLEEP} >/dev/null"
    )


# sha256 of stdin, or (--files0) of each file named on stdin, NUL-separated: Python's hashlib
# (OpenSSL, with the CPU's SHA instructions) hashes 1 GiB in 1.1 s here, coreutils' sha256sum
# of Debian 12 in 4.7 s
SHA256 = r"""sha256() { python3 -c 'import hashlib, sys
def digest(f):
    h = hashlib.sha256()
    for block in iter(lambda: f.read(1 << 20), b""):
        h.update(block)
    return h.hexdigest()
if sys.argv[1:] == ["--files0"]:
    for path in filter(None, sys.stdin.buffer.read().split(b"\0")):
        with open(path, "rb") as f:
            print(digest(f), path.decode(errors="surrogateescape"))
else:
    print(digest(sys.stdin.buffer))
' "$@"; }
"""

# What Docker shows and what the data holds, with docker's own commands and coreutils (a
# directory's size and link count are the filesystem's own: xfs and ext4 differ)
SEEN = (
    SHA256
    + f"""set -eu
echo "images $(docker image ls --all --no-trunc --format '{{{{.ID}}}} {{{{.Repository}}}}:{{{{.Tag}}}}' | sort | tr '\\n' ' ')"
echo "layers $(docker image inspect --format '{{{{.RootFS.Layers}}}}' $(docker image ls --quiet | sort -u) | sort | sha256sum)"
echo "containers $(docker ps --all --no-trunc --format '{{{{.ID}}}} {{{{.Names}}}} {{{{.Image}}}}' | grep -v ' {RM} ' | sort | tr '\\n' ' ')"
echo "volumes $(docker volume ls --format '{{{{.Name}}}}' | sort | tr '\\n' ' ')"
echo "stopped-diff $(docker diff {STOPPED} | sort | tr '\\n' ' ')"
echo "stopped-export $(docker export {STOPPED} | sha256)"
vol=$(docker volume inspect --format '{{{{.Mountpoint}}}}' {VOLUME})
echo "volume-content $(cd "$vol" && {{ find . -type d -printf '%P %y %m %U:%G %T@\\n' | sort
  find . ! -type d -printf '%P %y %m %U:%G %s %n %T@ %l\\n' | sort
  find . -type f -print0 | sort -z | sha256 --files0
  find . | sort | xargs -d '\\n' getfattr --dump --match=- --no-dereference 2>/dev/null; }} | sha256sum)"
echo "volume-stat $(cd "$vol" && stat --format '%n %h %a %u:%g %s %Y' a a-again sparse random link | tr '\\n' ' ')"
echo "volume-xattr $(getfattr --only-values --name user.layerwise "$vol/a")"
"""
    + r"""
ids=$(docker image ls --all --quiet --no-trunc | sort -u)
docker image inspect --format '{{range .RootFS.Layers}}{{.}} {{end}}' $ids | tr ' ' '\n' | grep . | sort -u > /run/layerwise-diff-ids
echo "layers-hashed $(docker save $ids | python3 -c '
import gzip, hashlib, sys, tarfile
found = set()
with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as tar:
    for member in tar:
        data = tar.extractfile(member).read() if member.isfile() else b""
        found.add("sha256:" + hashlib.sha256(data).hexdigest())
        if data[:2] == b"\x1f\x8b":
            found.add("sha256:" + hashlib.sha256(gzip.decompress(data)).hexdigest())
wanted = open("/run/layerwise-diff-ids").read().split()
print(f"{sum(layer in found for layer in wanted)}/{len(wanted)}")
')"
"""
)


@dataclass(frozen=True)
class Host:
    """The lab host of one install, and its inventory file."""

    install: Install
    inventory: Path

    @property
    def containerd(self) -> bool:
        return self.install.driver == "overlayfs"

    def sh(self, command: str, timeout: float = 600, check: bool = True) -> str:
        proc = subprocess.run(
            ["docker", "exec", "-i", self.install.name, "bash", "-c", command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check:
            assert proc.returncode == 0, f"{command}\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout.strip()

    def apt(self, package: str) -> None:
        """Install ``package`` from Debian's mirror (updating the lists only when needed)."""
        install = f"apt-get install --yes --no-install-recommends {package} >/dev/null"
        self.sh(f"{install} 2>&1 || (apt-get update >/dev/null && {install})")

    def seen(self) -> dict[str, str]:
        """What Docker shows and what the volume and the stopped container's layer hold."""
        return dict(line.split(" ", 1) for line in self.sh(SEEN).splitlines())

    def running(self) -> set[str]:
        return set(self.sh("docker ps --format '{{.Names}}'").split()) - {RM}

    def phase(self) -> str:
        found = self.sh(STATE, check=False)
        return json.loads(found)["phase"] if found else ""

    def playbook(self, role: str = "docker_storage", **extra: Any) -> list[str]:
        extra_vars = {"layerwise_target": self.install.name, "layerwise_role": role, **extra}
        return [
            str(VENV_BIN / "ansible-playbook"),
            str(PLAYBOOK),
            "-i",
            str(self.inventory),
            "-e",
            json.dumps(extra_vars),
        ]

    def run_role(self, role: str = "docker_storage", **extra: Any) -> tuple[int, str]:
        proc = subprocess.run(
            self.playbook(role, **extra),
            capture_output=True,
            text=True,
            env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1"),
            timeout=1200,
            check=False,
        )
        return proc.returncode, proc.stdout + proc.stderr


def install_old(install: Install, inventory: Path) -> Host:
    """Boot the lab host of ``install`` and install it the old way, with its content
    (tests/lab/bench_move_host.py makes its bench host this way too)."""
    lab_host(install.name, "fresh", install.suite)
    inventory.write_text(inventory_text(install))
    found = Host(install, inventory)
    found.sh(f"mkdir -p /etc/docker && echo '{install.daemon_json}' > /etc/docker/daemon.json")
    if install.prepare:
        found.sh(install.prepare)
    for role in ("docker_engine", "sample_images"):
        rc, out = found.run_role(role)
        assert rc == 0, out
    found.apt("attr")
    found.sh(content(install.base))
    assert found.sh("docker info --format '{{.Driver}}'") == install.driver
    return found


def installed(store: str) -> Any:
    """A module fixture: the host of ``store``, installed the old way, with its content."""

    @pytest.fixture(scope="module")
    def fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
        install = INSTALLS[store]
        try:
            yield install_old(install, tmp_path_factory.mktemp("move") / "hosts.yml")
        finally:
            lab_host(install.name, "absent")

    return fixture


# Both hosts live through the module (each made when a test first needs it); the tests run
# in the order written, each on both, the move that removes the old data root last.
overlay2_host = installed("overlay2")
containerd_host = installed("containerd")
BEFORE: dict[str, dict[str, Any]] = {}


@pytest.fixture
def host(request: pytest.FixtureRequest) -> Host:
    """The host of the image store the test is parametrized with."""
    found: Host = request.getfixturevalue(f"{request.param}_host")
    return found


@pytest.fixture
def before(host: Host) -> dict[str, Any]:
    """What the host showed and held before any move (read by its first test), and what ran."""
    if host.install.name not in BEFORE:
        seen = host.seen()
        hashed, layers = seen["layers-hashed"].split("/")
        assert int(layers) > 0, "no image layers to hash"
        assert hashed == layers, (
            f"layers hashed to their diff IDs before any move: {hashed}/{layers}"
        )
        BEFORE[host.install.name] = {"seen": seen, "running": host.running()}
    return BEFORE[host.install.name]


# With the containerd image store, containerd's root was bound, recorded in fstab and renamed
# aside too; containerd stops and starts with Docker
CONTAINERD_RESET = f"""
findmnt {CONTAINERD_ROOT} >/dev/null && umount {CONTAINERD_ROOT}
sed -i '\\# {CONTAINERD_ROOT} #d' /etc/fstab
rm -f /etc/systemd/system/containerd.service.d/10-layerwise-storage.conf
if [ -e {CONTAINERD_OLD} ]; then rm -rf {CONTAINERD_ROOT} && mv {CONTAINERD_OLD} {CONTAINERD_ROOT}; fi
"""


def reset(host: Host, before: dict[str, Any]) -> None:
    """Put the host back as it was before a move that kept the old data root, with the
    containers that ran then running (a Docker restart leaves those without a restart policy
    stopped)."""
    units = "docker.socket docker.service" + (" containerd.service" if host.containerd else "")
    host.sh(f"""set -u
systemctl unmask {units}
systemctl stop {units}
umount {STAGING} 2>/dev/null; {CONTAINERD_RESET if host.containerd else ""}
findmnt {DATA_ROOT} >/dev/null && umount {DATA_ROOT}
sed -i '\\# {DATA_ROOT} #d' /etc/fstab
rm -f /etc/systemd/system/docker.service.d/10-layerwise-storage.conf
rm -f /etc/systemd/system/docker.service.d/05-layerwise-config-at-start.conf /run/layerwise/dockerd-config-at-start.json
systemctl daemon-reload
if [ -e {OLD} ]; then rm -rf {DATA_ROOT} && mv {OLD} {DATA_ROOT}; fi
losetup --associated {LOOP} | cut -d: -f1 | xargs -r -n1 losetup --detach
rm -f {LOOP}
systemctl start {"containerd " if host.containerd else ""}docker
""")
    wait_for(
        "docker answers", lambda: host.sh("docker info >/dev/null 2>&1 && echo up", check=False)
    )
    host.sh("docker start " + " ".join(sorted(before["running"])))
    host.sh(run_rm(host.install.base))
    wait_for("the containers run again", lambda: host.running() >= before["running"], interval=0.2)


@pytest.fixture
def put_back(host: Host, before: dict[str, Any]) -> Iterator[None]:
    """The host as it was before the test's move (which keeps the old data root), whatever
    the test did or where it failed: the next test starts from the old install again."""
    yield
    reset(host, before)
    assert host.seen() == before["seen"], "the reset did not bring the host back"


def assert_nothing_lost(host: Host, before: dict[str, Any], kept: bool) -> None:
    assert host.seen() == before["seen"]
    assert host.running() >= before["running"], "a container that ran before the move does not run"
    mounted = host.sh(f"findmnt --noheadings --output SOURCE,FSTYPE --mountpoint {DATA_ROOT}")
    assert mounted.split()[1] == "xfs", mounted
    assert host.sh(f"losetup --associated {LOOP}"), "the data root is not on the loop file"
    assert host.sh("docker info --format '{{.DockerRootDir}} {{.Driver}}'") == (
        f"{DATA_ROOT} {host.install.driver}"
    )
    olds = [OLD, *([CONTAINERD_OLD] if host.containerd else [])]
    for old in olds:
        assert host.sh(f"test -e {old} && echo kept || echo removed") == (
            "kept" if kept else "removed"
        ), old
    assert (
        host.sh(f"find {DATA_ROOT}/.layerwise-migration {STAGING} -mindepth 1 2>/dev/null; true")
        == ""
    )
    assert host.sh("systemctl is-enabled docker.service") == "enabled"
    assert host.sh(f"grep -c ' {DATA_ROOT} ' /etc/fstab") == "1"
    if host.containerd:
        assert (
            host.sh(f"findmnt --noheadings --output FSROOT --mountpoint {CONTAINERD_ROOT}")
            == "/containerd/system"
        ), "containerd's root is not the data root filesystem's containerd/system"
        assert host.sh("systemctl is-enabled containerd.service") == "enabled"


STORES = list(INSTALLS)


@pytest.mark.parametrize("host", STORES, indirect=True)
def test_without_the_opt_in_the_role_refuses_and_names_the_variable(
    host: Host, before: dict[str, Any]
) -> None:
    rc, out = host.run_role()
    assert rc != 0
    assert "docker_storage_migrate_data_root: true" in out, out[-3000:]
    assert host.seen() == before["seen"]
    assert host.running() == before["running"]
    assert (
        host.sh(f"findmnt --mountpoint {DATA_ROOT} >/dev/null && echo mounted || echo plain")
        == "plain"
    )


@pytest.mark.parametrize("host", STORES, indirect=True)
def test_a_new_filesystem_too_small_is_refused_before_anything_stops(
    host: Host, before: dict[str, Any]
) -> None:
    rc, out = host.run_role(docker_storage_migrate_data_root=True, docker_storage_loop_size="512M")
    assert rc != 0
    assert "the copy would not fit. Nothing was stopped or copied." in out, out[-3000:]
    assert "bytes) free" in out
    if host.containerd:
        assert f"and containerd's root {CONTAINERD_ROOT} on" in out, out[-3000:]
    assert host.running() == before["running"], "Docker or a container stopped"
    assert host.seen() == before["seen"]
    reset(host, before)


@pytest.mark.parametrize("host", ["containerd"], indirect=True)
def test_a_move_that_also_switches_the_image_store_is_refused(
    host: Host, before: dict[str, Any]
) -> None:
    """The move copies the layers where the engine keeps them now; a store switch in the same
    run (even allowed) would start Docker on the other store over the copy."""
    rc, out = host.run_role(
        docker_storage_migrate_data_root=True,
        docker_storage_image_store="overlay2",
        docker_storage_allow_image_store_change=True,
    )
    assert rc != 0
    assert "Move first with docker_storage_image_store: containerd" in out, out[-3000:]
    assert host.running() == before["running"], "Docker or a container stopped"
    assert host.seen() == before["seen"]
    assert host.sh(f"test -e {LOOP} && echo made || echo none") == "none", "something changed"


# Where a run is cut: the task it is cut before, and what must hold on the host then (proof
# that the cut landed there; "" for mid-copy, proven by the move's own phase).
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
    # the containerd image store: the data root is mounted, containerd's root renamed aside
    # and not bound yet; a reboot now must not start containerd (or Docker) on an empty root
    "containerd's root not mounted": (
        "Bind-mount it on containerd's root and record it in fstab",
        f"findmnt --noheadings --output FSTYPE --mountpoint {DATA_ROOT}; test -d {CONTAINERD_OLD} && "
        f"systemctl is-enabled containerd.service docker.service",
        "xfs\nmasked\nmasked",
    ),
}
# Each point of the overlay2 move is cut by a SIGKILL alone and by a SIGKILL and a reboot of
# the host; the containerd store's move, where it differs: its copy of two trees and the
# mount of containerd's root.
CUTS = [
    pytest.param(store, point, reboot, id=f"{store}: {point}" + (", rebooted" if reboot else ""))
    for store, points in (
        ("overlay2", [p for p in POINTS if p != "containerd's root not mounted"]),
        ("containerd", ["mid-copy", "containerd's root not mounted"]),
    )
    for point in points
    for reboot in ((False,) if (store, point) == ("containerd", "mid-copy") else (False, True))
]
MOVE = {"docker_storage_migrate_data_root": True, "docker_storage_migrate_keep_old": True}


def cut_at(host: Host, log: Path, task: str, mid_copy: bool) -> None:
    """Start the move and SIGKILL ansible-playbook (its whole process group) at ``task``.

    Before the task starts (ansible-playbook --step holds the run there: exact), or, for the
    copy, while it runs: more than 100 MiB copied, not all of it.
    """
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = start(
        host.playbook(**MOVE),
        env,
        log,
        "" if mid_copy else f"layerwise.docker.docker_storage : {task}",
    )
    try:
        if mid_copy:
            wait_for(
                f"task '{task}' started",
                lambda: (
                    f"TASK [layerwise.docker.docker_storage : {task}" in log.read_text()
                    or proc.poll() is not None
                ),
                timeout=600,
            )
            assert proc.poll() is None, f"the run ended before '{task}':\n{log.read_text()[-3000:]}"
            wait_for(
                "the copy under way",
                lambda: (
                    int(host.sh(f"du -sm --exclude=.layerwise-migration {STAGING} | cut -f1")) > 100
                ),
                timeout=120,
                interval=0.1,
            )
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)


@pytest.mark.parametrize(("host", "point", "reboot"), CUTS, indirect=["host"])
def test_a_move_cut_at_each_step_is_finished_by_the_next_run(
    host: Host,
    before: dict[str, Any],
    point: str,
    reboot: bool,
    tmp_path: Path,
    put_back: None,
) -> None:
    task, probe, expected = POINTS[point]
    cut_at(host, tmp_path / "cut.log", task, mid_copy=point == "mid-copy")
    if probe:
        assert host.sh(probe, check=False) == expected, f"the cut did not land {point}"
    else:
        assert host.phase() == "copying", f"the cut did not land mid-copy ({host.phase()!r})"
    if reboot:
        rc, out = shell(
            f".venv/bin/ansible-playbook playbooks/reboot.yml -i {host.inventory} -e reboot_group=move",
            timeout=600,
        )
        assert rc == 0, out
    rc, out = host.run_role(**MOVE)
    assert rc == 0, out[-5000:]
    assert f"the old data root was kept at {OLD}" in out, out[-3000:]
    assert_nothing_lost(host, before, kept=True)


@pytest.mark.parametrize("host", STORES, indirect=True)
def test_a_move_keeps_everything_and_a_second_run_changes_nothing(
    host: Host, before: dict[str, Any]
) -> None:
    assert RM in host.sh("docker ps --format '{{.Names}}'"), "the --rm container is not running"
    rc, out = host.run_role(docker_storage_migrate_data_root=True)
    assert rc == 0, out[-5000:]
    assert "Moved the data root" in out, out[-3000:]
    report = " ".join(out[out.index("Moved the data root") :][:3000].split())  # unfolded
    print(report[: report.find('"')])  # the figures, shown with pytest -rP
    assert RM not in host.sh("docker ps --all --format '{{.Names}}'")
    words = [
        "the old data root was removed",
        "1 volumes",
        "Docker shows the same",
        "whiteouts",
        "hard-linked",
        f"1 containers run with --rm were removed by Docker when it stopped, as at any restart ({RM})",
        f"{before['seen']['layers-hashed'].split('/')[0]} image layers hash to their diff IDs",
    ]
    if host.containerd:
        words += ["containerd snapshots", "containerd's old root was removed"]
    for word in words:
        assert word in report, report
    assert_nothing_lost(host, before, kept=False)
    rc, out = host.run_role(docker_storage_migrate_data_root=True)
    assert rc == 0, out[-3000:]
    assert "changed=0" in out, out[-3000:]
    assert host.seen() == before["seen"]
