"""Faults on a real host: Docker and the layerwise checks under a full data root, a data
root mount missing at boot, a daemon.json the role must not take over, and ansible-playbook
killed while the role restarts Docker.

Each test injects one fault, asserts what Docker, the checks and the role do about it, and
puts the host back as it found it in a fixture finalizer, whatever the test did.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks
from tests.waiting import wait_for

from .conftest import ROOT, RunRole, StartRole

pytestmark = pytest.mark.role

Facts = Callable[..., dict[str, Any]]  # the facts fixture of tests/conftest.py
FILL = "layerwise-test-fill"
# Every wait below polls the host with a deadline; none sleeps for a fixed time.
REBOOT_TIMEOUT_S = 300
RESTART_WAIT_S = 120


def judge(facts: Facts, policy: dict[str, Any], **params: Any) -> dict[str, dict[str, Any]]:
    """Read the host now and judge it with the layerwise checks: outcomes by check id."""
    snap = facts(**params)
    outcomes = {o["id"]: o for o in layerwise_checks.results(snap, policy)}
    outcomes["_snapshot"] = snap
    return outcomes


def layer_store_findings(outcomes: dict[str, dict[str, Any]]) -> list[str]:
    """The layer store checks (OVL-, CTD-) that failed or could not check."""
    return [
        f"{o['id']} {o['status']}: {o['problems'] or o['reason']}"
        for key, o in outcomes.items()
        if key[:4] in ("OVL-", "CTD-") and o["status"] in ("fail", "cannot_check")
    ]


def running_containers(host: Any) -> list[str]:
    return sorted(host.check_output("docker ps --quiet --no-trunc").split())


def a_local_image(host: Any) -> str:
    """An image of a container on the host (the sample images), else any image."""
    for line in host.check_output("docker ps --all --format '{{.Image}}'").split():
        return line
    images = host.check_output("docker image ls --format '{{.Repository}}:{{.Tag}}'").split()
    if not images:
        pytest.skip("no image on the host to run a container from")
    return images[0]


def restart_docker(host: Any, check: bool = True) -> None:
    """systemctl restart docker, clear of systemd's start limit (3 starts in 60 s on Debian's
    unit), which the tests here, restarting Docker one after another, would otherwise reach."""
    done = host.run(
        "systemctl reset-failed docker.service docker.socket; systemctl restart docker.service"
    )
    assert done.rc == 0 or not check, done.stderr


def docker_runs_a_container(host: Any, image: str) -> None:
    out = host.run("docker run --rm --network none %s sh -c 'echo layerwise-ok'", image)
    assert out.rc == 0, out.stderr
    assert "layerwise-ok" in out.stdout, out.stdout


# ---------------------------------------------------------------------------------------
# 1. The backing filesystem filled to 100%: data, then inodes


@pytest.fixture
def fill_dir(host: Any, expected: dict[str, Any]) -> Iterator[str]:
    """A directory under the data root for the filler; removed whatever happens."""
    root = expected["docker_storage_data_root"]
    if host.run("findmnt --noheadings --mountpoint %s", root).rc != 0:
        pytest.skip(f"{root} is not a filesystem of its own: filling it would fill the host")
    path = f"{root}/{FILL}"
    host.check_output("mkdir -p %s", path)
    yield path
    # find -delete copes with 100,000 names where rm's argv would not
    host.run("find %s -mindepth 1 -delete; rmdir %s", path, path)
    assert not host.file(path).exists


def assert_docker_survives(host: Any, running: list[str]) -> None:
    assert host.run("docker info --format '{{.Driver}}'").rc == 0, "docker info does not answer"
    assert host.service("docker").is_running
    still = running_containers(host)
    assert still == running, f"containers stopped while the filesystem was full: {running}"


def assert_nothing_corrupt(host: Any, facts: Facts, policy: dict[str, Any], image: str) -> None:
    after = judge(facts, policy)
    assert after["CFG-014"]["status"] == "pass", after["CFG-014"]
    assert after["CFG-015"]["status"] == "pass", after["CFG-015"]
    assert layer_store_findings(after) == []
    docker_runs_a_container(host, image)


FILL_SPACE = r"""
set -e
dir=$1
avail=$(df --output=avail -B1 "$dir" | tail -n 1)
# most of it at once (no data written), then the rest block by block until ENOSPC
big=$(( avail - 64 * 1024 * 1024 ))
[ "$big" -gt 0 ] && fallocate --length "$big" "$dir/space"
dd if=/dev/zero of="$dir/tail" bs=64k status=none 2>/dev/null || true
dd if=/dev/zero of="$dir/tail-4k" bs=4k status=none 2>/dev/null || true
sync
df --output=avail -B1 "$dir" | tail -n 1
"""


def test_full_data_root_space_is_reported_and_survived(
    host: Any, facts: Facts, policy: dict[str, Any], fill_dir: str
) -> None:
    running = running_containers(host)
    image = a_local_image(host)

    left = int(host.check_output("bash -c %s fill %s", FILL_SPACE, fill_dir).split()[-1])
    # xfs keeps a few blocks it reports free but gives no file: full is a write refused
    assert left < 1024 * 1024, f"{left} bytes still free after filling"
    # bash names the error; dash says "I/O error" for any failed write (ext4 creates the
    # file and refuses its data, xfs refuses the file)
    write = host.run("bash -c 'echo x > %s/probe'", fill_dir)
    assert write.rc != 0, "a write succeeded on the full filesystem"
    assert "No space left on device" in write.stderr, write.stderr

    assert_docker_survives(host, running)
    full = judge(facts, policy, layers=False)
    fs = full["_snapshot"]["backing_fs"]
    assert fs["bytes_free"] == left
    outcome = full["CFG-014"]
    assert outcome["status"] == "fail", outcome
    assert outcome["problems"] == [
        f"{left} of {fs['bytes_total']} bytes free (0.0%), "
        f"policy wants at least {policy['min_free_percent']}%"
    ]

    host.check_output("find %s -mindepth 1 -delete", fill_dir)
    assert_nothing_corrupt(host, facts, policy, image)


FILL_INODES = """
import errno, os, sys
where, limit, made = sys.argv[1], int(sys.argv[2]), 0
try:
    while made < limit:
        os.close(os.open(f"{where}/{made}", os.O_CREAT | os.O_WRONLY, 0o600))
        made += 1
except OSError as exc:
    if exc.errno != errno.ENOSPC:
        raise
print(made)
"""


@pytest.fixture
def few_inodes(host: Any, expected: dict[str, Any]) -> Iterator[int]:
    """The data root's xfs allowed 1% of its space for inodes (xfs_growfs -m), put back after.

    xfs makes inodes as it needs them, up to imaxpct of the space: without this, running out
    of inodes means running out of space. ext4's inodes are fixed at mkfs: nothing to do.
    Yields the most files the filler may need to make.
    """
    root = expected["docker_storage_data_root"]
    if host.check_output("findmnt --noheadings --output FSTYPE %s", root) != "xfs":
        yield 2_000_000
        return
    info = host.check_output("xfs_info %s", root)
    match = re.search(r"imaxpct=(\d+)", info)
    assert match, info
    before = int(match.group(1))
    host.check_output("xfs_growfs -m 1 %s", root)
    yield 500_000
    host.check_output("xfs_growfs -m %s %s", str(before), root)
    assert f"imaxpct={before}" in host.check_output("xfs_info %s", root)


def test_full_data_root_inodes_are_reported_and_survived(
    host: Any, facts: Facts, policy: dict[str, Any], few_inodes: int, fill_dir: str
) -> None:
    running = running_containers(host)
    image = a_local_image(host)

    made = int(host.check_output("python3 -c %s %s %s", FILL_INODES, fill_dir, str(few_inodes)))
    assert made < few_inodes, "made the most files asked for without running out of inodes"

    assert_docker_survives(host, running)
    full = judge(facts, policy, layers=False)
    fs = full["_snapshot"]["backing_fs"]
    # a new file got ENOSPC, yet xfs may still count a few inodes free in chunks it could not
    # hand out (80 seen on Debian 13): out of inodes is under 1% left, not exactly 0
    assert fs["inodes_free"] * 100 < fs["inodes_total"], fs
    share = 100.0 * fs["inodes_free"] / fs["inodes_total"]
    assert fs["bytes_free"] * 100 > fs["bytes_total"] * policy["min_free_percent"], (
        "space ran out with the inodes: this is not the inode fault"
    )
    assert full["CFG-014"]["status"] == "pass", full["CFG-014"]
    outcome = full["CFG-015"]
    assert outcome["status"] == "fail", outcome
    assert outcome["problems"] == [
        f"{fs['inodes_free']} of {fs['inodes_total']} inodes free ({share:.1f}%), "
        f"policy wants at least {policy['min_free_inodes_percent']}%"
    ]

    host.check_output("find %s -mindepth 1 -delete", fill_dir)
    assert_nothing_corrupt(host, facts, policy, image)


# ---------------------------------------------------------------------------------------
# 3. A daemon.json the role must not take over: not JSON, a symlink, owned by another user

DAEMON_JSON = "/etc/docker/daemon.json"
SAVED = "/root/layerwise-test-daemon.json"
LINKED = "/etc/docker/layerwise-test-target.json"
# daemon.json without data-root: the role would add it back (a write, then a restart)
WITHOUT_DATA_ROOT = (
    "import json,sys; p=sys.argv[1]; d=json.load(open(p)); d.pop('data-root', None); "
    "open(p, 'w').write(json.dumps(d, indent=2) + chr(10))"
)


def file_state(host: Any, path: str) -> dict[str, str]:
    """What the role must not change: type, owner, mode, link target, content hash."""
    shown = host.check_output("stat --format '%%F %%u:%%g %%a' %s", path)
    target = host.run("readlink %s", path).stdout.strip()
    digest = host.check_output("sha256sum < %s", path).split()[0]
    return {"stat": shown, "target": target, "sha256": digest}


def make_not_json(host: Any) -> str:
    host.check_output('printf \'{"storage-driver": "overlay2",\\n\' > %s', DAEMON_JSON)
    return DAEMON_JSON


def make_symlink(host: Any) -> str:
    host.check_output("cp -p %s %s && ln -sf %s %s", DAEMON_JSON, LINKED, LINKED, DAEMON_JSON)
    host.check_output("python3 -c %s %s", WITHOUT_DATA_ROOT, LINKED)
    return LINKED


def make_foreign_owner(host: Any) -> str:
    host.check_output("python3 -c %s %s", WITHOUT_DATA_ROOT, DAEMON_JSON)
    host.check_output("chown 65534:65534 %s", DAEMON_JSON)
    return DAEMON_JSON


@pytest.fixture
def odd_daemon_json(host: Any, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """daemon.json made odd as the test's parameter says; the original put back after.

    Yields the file's state, which the role must leave as it is, and the path the fault is in.
    """
    backups = set(host.check_output("ls -a /etc/docker").split())
    host.check_output("cp -p %s %s", DAEMON_JSON, SAVED)
    try:
        where = request.param(host)
        yield {"where": where, **file_state(host, DAEMON_JSON)}
    finally:
        host.check_output("rm -f %s %s && mv %s %s", DAEMON_JSON, LINKED, SAVED, DAEMON_JSON)
        for name in set(host.check_output("ls -a /etc/docker").split()) - backups:
            host.run("rm -f /etc/docker/%s", name)
        if not host.service("docker").is_running:
            restart_docker(host)


DAEMON_JSON_FAULTS = [
    pytest.param(
        make_not_json,
        "/etc/docker/daemon.json is not a valid JSON object",
        "Fix it (python3 -m json.tool /etc/docker/daemon.json shows where it breaks)",
        id="not-json",
    ),
    pytest.param(
        make_symlink,
        f"/etc/docker/daemon.json is a symbolic link to {LINKED}",
        "cp --remove-destination",
        id="symlink",
    ),
    pytest.param(
        make_foreign_owner,
        "/etc/docker/daemon.json is owned by 65534:65534, not root",
        "chown root:root /etc/docker/daemon.json",
        id="foreign-owner",
    ),
]


@pytest.mark.parametrize(
    ("odd_daemon_json", "wrong", "fix"), DAEMON_JSON_FAULTS, indirect=["odd_daemon_json"]
)
def test_odd_daemon_json_is_refused_and_left_alone(
    host: Any, run_role: RunRole, odd_daemon_json: dict[str, str], wrong: str, fix: str
) -> None:
    state = {k: v for k, v in odd_daemon_json.items() if k != "where"}
    started = host.check_output(
        "systemctl show --property ActiveEnterTimestampMonotonic docker.service"
    )
    rc, out = run_role()
    assert rc != 0, out
    assert wrong in out, out
    assert fix in out, out
    assert file_state(host, DAEMON_JSON) == state, "the role changed daemon.json"
    assert host.service("docker").is_running
    assert started == host.check_output(
        "systemctl show --property ActiveEnterTimestampMonotonic docker.service"
    ), "the role restarted Docker"
    assert host.run("docker info --format '{{.Driver}}'").rc == 0


# ---------------------------------------------------------------------------------------
# 4. ansible-playbook killed (SIGKILL) while the role restarts Docker

HOLD = "/run/layerwise-test-hold"
HOLD_DROPIN = "/etc/systemd/system/docker.service.d/50-layerwise-test-hold.conf"
HOLD_UNIT = f"[Service]\nExecStartPre=/bin/sh -c 'while [ -e {HOLD} ]; do sleep 0.2; done'\n"


def docker_state(host: Any) -> str:
    return str(host.run("systemctl is-active docker.service").stdout.strip())


@pytest.fixture
def held_restart(host: Any) -> Iterator[str]:
    """The role will restart Docker (daemon.json lacks data-root), and that start waits in an
    ExecStartPre stand-in while HOLD exists. Yields daemon.json's hash as the role writes it;
    everything is put back after, whatever happened."""
    backups = set(host.check_output("ls -a /etc/docker").split())
    original = host.check_output("sha256sum %s", DAEMON_JSON).split()[0]
    host.check_output("cp -p %s %s", DAEMON_JSON, SAVED)
    try:
        host.check_output("touch %s && printf %s > %s", HOLD, HOLD_UNIT, HOLD_DROPIN)
        host.check_output("systemctl daemon-reload")
        host.check_output("python3 -c %s %s", WITHOUT_DATA_ROOT, DAEMON_JSON)
        yield original
    finally:
        host.run("rm -f %s %s && systemctl daemon-reload", HOLD, HOLD_DROPIN)
        wait_for(
            "docker.service leaving activating",
            lambda: docker_state(host) != "activating",
            RESTART_WAIT_S,
        )
        if host.run("cmp -s %s %s", SAVED, DAEMON_JSON).rc != 0:
            host.check_output("cp -p %s %s", SAVED, DAEMON_JSON)
            restart_docker(host)
        host.check_output("rm -f %s", SAVED)
        for name in set(host.check_output("ls -a /etc/docker").split()) - backups:
            host.run("rm -f /etc/docker/%s", name)
        if docker_state(host) != "active":
            restart_docker(host)


def test_run_killed_during_the_restart_converges_next_time(
    host: Any,
    run_role: RunRole,
    start_role: StartRole,
    held_restart: str,
    expected: dict[str, Any],
) -> None:
    image = a_local_image(host)
    proc, log = start_role()
    wait_for(
        "docker.service activating (the role's restart, held)",
        lambda: proc.poll() is not None or docker_state(host) == "activating",
        RESTART_WAIT_S,
    )
    assert proc.poll() is None, f"the role ended before its restart:\n{log.read_text()}"
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    out = log.read_text()
    assert "TASK [layerwise.docker.docker_storage : Restart Docker]" in out, out
    assert "TASK [layerwise.docker.docker_storage : Wait until Docker answers]" not in out, (
        "killed after the restart"
    )

    # the stand-in's only job was to hold the step: the start goes on without it
    host.check_output("rm -f %s %s && systemctl daemon-reload", HOLD_DROPIN, HOLD)
    wait_for("docker.service active", lambda: docker_state(host) == "active", RESTART_WAIT_S)

    rc, out = run_role()
    assert rc == 0, out
    assert "checks passed" in out, out
    content = host.check_output("cat %s", DAEMON_JSON)
    assert json.loads(content)["data-root"] == expected["docker_storage_data_root"]
    assert host.check_output("sha256sum %s", DAEMON_JSON).split()[0] == held_restart, (
        "daemon.json differs from what the role wrote before the fault"
    )
    assert docker_state(host) == "active"
    docker_runs_a_container(host, image)


# ---------------------------------------------------------------------------------------
# 2. The data root's mount missing at boot (its fstab source gone)


def reboot(host_vars: dict[str, Any], inventory: str) -> None:
    """Reboot the lab host with playbooks/reboot.yml and wait, bounded, until it has booted."""
    names = json.dumps({"reboot_names": [host_vars["inventory_hostname"]]})
    proc = subprocess.run(
        ["ansible-playbook", str(ROOT / "playbooks/reboot.yml"), "-i", inventory, "-e", names],
        capture_output=True,
        text=True,
        env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1"),
        check=False,
        timeout=REBOOT_TIMEOUT_S,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def mounted(host: Any, path: str) -> bool:
    return bool(host.run("findmnt --noheadings --mountpoint %s", path).rc == 0)


@pytest.fixture
def source_gone_at_boot(
    host: Any, host_vars: dict[str, Any], expected: dict[str, Any], request: pytest.FixtureRequest
) -> Iterator[dict[str, Any]]:
    """The data root's fstab line names a loop file that is not there.

    Not by renaming the file: loop devices are global to the kernel, and mount(8), finding no
    file, takes a loop device attached to the same path name (another lab host's data root,
    seen here). The line is pointed at a name no loop device carries instead. Only lab hosts
    (containers: a reboot is a restart) with a loop file. fstab is put back and the host
    rebooted again if the data root is not mounted or Docker not running.
    """
    source = expected["docker_storage_loop_file"]
    if not source:
        pytest.skip("the data root is not on a loop file: removing a disk is not a test")
    if host_vars.get("ansible_connection") != "community.docker.docker":
        pytest.skip("only a lab host (a container) is rebooted by a test")
    inventory = request.config.getoption("ansible_inventory")
    root = expected["docker_storage_data_root"]
    missing = f"{source}.layerwise-test-missing"
    before = {
        "images": sorted(host.check_output("docker image ls --quiet --no-trunc").split()),
        "containers": sorted(host.check_output("docker ps --all --quiet --no-trunc").split()),
        "running": running_containers(host),
    }
    host.check_output("cp -p /etc/fstab /etc/fstab.layerwise-test")
    host.check_output("sed -i 's|^%s |%s |' /etc/fstab", source, missing)
    assert missing in host.check_output("cat /etc/fstab")
    try:
        yield {"missing": missing, "root": root, "inventory": inventory, **before}
    finally:
        if host.file("/etc/fstab.layerwise-test").exists:
            host.check_output("mv /etc/fstab.layerwise-test /etc/fstab")
        if not mounted(host, root) or docker_state(host) != "active":
            reboot(host_vars, inventory)


def test_missing_data_root_mount_keeps_docker_down_and_says_why(
    host: Any,
    host_vars: dict[str, Any],
    facts: Facts,
    policy: dict[str, Any],
    source_gone_at_boot: dict[str, Any],
) -> None:
    gone = source_gone_at_boot
    root = gone["root"]
    reboot(host_vars, gone["inventory"])

    assert not mounted(host, root), f"{root} is mounted although its source is gone"
    # the reader asks the API socket: socket activation tries a start, which must fail too
    down = judge(facts, policy)
    assert docker_state(host) != "active", "Docker started on the directory under the mount"
    assert not host.file(f"{root}/overlay2").exists, f"dockerd wrote into the bare {root}"
    snap = down["_snapshot"]
    assert snap["docker"]["answers"] is False
    assert snap["backing_fs"]["mounted"] is False
    assert root in snap["unit"]["requires_mounts_for"]
    own = down["CFG-001"]
    assert own["status"] == "fail", own
    assert f"{root} is on the filesystem mounted at" in own["problems"][0], own
    engine = down["OVL-001"]
    assert engine["status"] == "cannot_check", engine
    assert engine["reason"].startswith("Docker does not answer"), engine

    host.check_output("mv /etc/fstab.layerwise-test /etc/fstab")
    reboot(host_vars, gone["inventory"])

    assert mounted(host, root)
    wait_for("docker.service active", lambda: docker_state(host) == "active", RESTART_WAIT_S)
    assert sorted(host.check_output("docker image ls --quiet --no-trunc").split()) == gone["images"]
    assert (
        sorted(host.check_output("docker ps --all --quiet --no-trunc").split())
        == gone["containers"]
    )
    wait_for(
        "the containers that ran before the reboots running again",
        lambda: running_containers(host) == gone["running"],
        RESTART_WAIT_S,
    )
    back = judge(facts, policy)
    assert layer_store_findings(back) == []
    assert back["CFG-001"]["status"] == "pass", back["CFG-001"]


# ---------------------------------------------------------------------------------------
# 5. A run cut between writing daemon.json and restarting Docker; Docker found stopped


def docker_started(host: Any) -> str:
    """When docker.service last became active (monotonic): changes with every restart."""
    return str(
        host.check_output("systemctl show --property ActiveEnterTimestampMonotonic docker.service")
    )


@pytest.fixture
def daemon_json_put_back(host: Any) -> Iterator[None]:
    """daemon.json and its backups as they were, Docker running on it, whatever the test did."""
    backups = set(host.check_output("ls -a /etc/docker").split())
    host.check_output("cp -p %s %s", DAEMON_JSON, SAVED)
    try:
        yield
    finally:
        changed = host.run("cmp -s %s %s", SAVED, DAEMON_JSON).rc != 0
        host.check_output("cp -p %s %s && rm -f %s", SAVED, DAEMON_JSON, SAVED)
        for name in set(host.check_output("ls -a /etc/docker").split()) - backups:
            host.run("rm -f /etc/docker/%s", name)
        if changed or docker_state(host) != "active":
            restart_docker(host)


def test_run_killed_between_writing_daemon_json_and_the_restart_restarts_next_time(
    host: Any,
    facts: Facts,
    policy: dict[str, Any],
    run_role: RunRole,
    start_role: StartRole,
    expected: dict[str, Any],
    daemon_json_put_back: None,
) -> None:
    image = a_local_image(host)
    # the role will write data-root back into daemon.json, and then restart Docker
    host.check_output("python3 -c %s %s", WITHOUT_DATA_ROOT, DAEMON_JSON)
    restart_docker(host)
    started = docker_started(host)

    proc, log = start_role(at="layerwise.docker.docker_storage : Restart Docker")
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    out = log.read_text()
    assert "TASK [layerwise.docker.docker_storage : Write daemon.json]" in out, out
    written = json.loads(host.check_output("cat %s", DAEMON_JSON))
    assert written["data-root"] == expected["docker_storage_data_root"], "not cut after the write"
    assert docker_started(host) == started, "not cut before the restart: Docker restarted"

    # what the cut leaves: a file dockerd has not read, which the checks now see, by its
    # content against the copy systemd took as this dockerd started
    cut = judge(facts, policy, layers=False)
    unit = cut["_snapshot"]["unit"]
    assert unit["config_at_start"] is True, unit
    pending = f"{DAEMON_JSON} differs from what dockerd started with (data-root)"
    assert unit["restart_pending"] == [pending]
    assert cut["CFG-017"]["status"] == "fail", cut["CFG-017"]
    assert cut["CFG-017"]["problems"] == [f"{pending}: restart pending"]

    rc, out = run_role()
    assert rc == 0, out
    assert f"Docker does not run what is on disk: {pending}" in out, out
    assert docker_started(host) != started, "the next run did not restart Docker"
    done = judge(facts, policy, layers=False)
    assert done["_snapshot"]["unit"]["restart_pending"] == []
    assert done["CFG-017"]["status"] == "pass", done["CFG-017"]
    docker_runs_a_container(host, image)

    restarted = docker_started(host)
    rc, out = run_role()
    assert rc == 0, out
    assert re.search(r"changed=0 ", out), out
    assert docker_started(host) == restarted, "a converged host was restarted"


STARTED_FOUND_STOPPED = (
    r"TASK \[layerwise\.docker\.docker_storage : Start Docker \(found stopped\)\] \**\nchanged:"
)


def test_docker_found_stopped_is_started_and_its_containers_run(
    host: Any, run_role: RunRole, daemon_json_put_back: None
) -> None:
    running = running_containers(host)
    assert running, "no running container to see come back"
    # what a run cut after its stop leaves, as the role stops Docker (both units)
    host.check_output("systemctl stop docker.socket docker.service")
    assert docker_state(host) == "inactive"

    rc, out = run_role()
    assert rc == 0, out
    assert re.search(STARTED_FOUND_STOPPED, out), out
    assert docker_state(host) == "active"
    # the sample containers run with a restart policy: dockerd starts them again
    wait_for(
        "the containers that ran running again",
        lambda: running_containers(host) == running,
        RESTART_WAIT_S,
    )


# the data root the refusal is about: Docker's own, as daemon.json declares it
ELSEWHERE = "/var/lib/layerwise-test-elsewhere"
BAD_OPT = "overlay2.layerwise-test-bogus=1"
WITH_BAD_OPT = (
    "import json,sys; p=sys.argv[1]; d=json.load(open(p)); "
    f"d['storage-opts'] = [{BAD_OPT!r}]; "
    "open(p, 'w').write(json.dumps(d, indent=2) + chr(10))"
)


@pytest.fixture
def elsewhere(host: Any) -> Iterator[str]:
    """A data root path nothing uses; removed after, with what a failed dockerd left there."""
    host.check_output("rm -rf %s", ELSEWHERE)
    yield ELSEWHERE
    host.check_output("rm -rf %s", ELSEWHERE)


@pytest.fixture
def containers_stopped(host: Any) -> Iterator[list[str]]:
    """The running containers stopped first, started again after (once Docker runs).

    With live-restore (the Debian 13 instance), running containers outlive dockerd; a
    dockerd that then fails to start unmounts every container's overlay on its way out and
    leaves them running without their mounts on the host (OVL-010): a fault of its own, not
    the one this test injects. The role repairs it only after its own failed restart (its
    rollback, test_refusals.py); here the failed start is the test's.
    """
    running = running_containers(host)
    if running:
        host.check_output("docker stop " + " ".join(running))  # ids: hex, nothing to quote
    yield running
    if running and docker_state(host) == "active":
        host.run("docker start " + " ".join(running))
        wait_for(
            "the stopped containers running again",
            lambda: set(running) <= set(running_containers(host)),
            RESTART_WAIT_S,
        )


def test_docker_that_does_not_start_is_not_switched_blind_and_is_fixed_in_place(
    host: Any,
    run_role: RunRole,
    expected: dict[str, Any],
    containers_stopped: list[str],
    daemon_json_put_back: None,
    elsewhere: str,
) -> None:
    image = a_local_image(host)
    images = sorted(host.check_output("docker image ls --quiet --no-trunc").split())
    host.check_output("python3 -c %s %s", WITH_BAD_OPT, DAEMON_JSON)
    restart_docker(host, check=False)
    wait_for(
        "dockerd refusing the bad storage option",
        lambda: docker_state(host) in ("failed", "inactive"),
        RESTART_WAIT_S,
    )

    rc, out = run_role(docker_storage_data_root=ELSEWHERE, docker_storage_loop_file="")
    assert rc != 0, out
    assert "does not answer" in out, out
    assert f"data-root from {expected['docker_storage_data_root']} to {ELSEWHERE}" in out, out
    assert "docker_storage_allow_data_root_change: true" in out, out
    assert not host.file(ELSEWHERE).exists, "the refused run created the new data root"
    assert BAD_OPT in host.check_output("cat %s", DAEMON_JSON), "the refused run wrote daemon.json"

    # the role's own configuration is the fix: the bad option goes, Docker comes back
    rc, out = run_role()
    assert rc == 0, out
    assert BAD_OPT not in host.check_output("cat %s", DAEMON_JSON)
    assert docker_state(host) == "active"
    assert sorted(host.check_output("docker image ls --quiet --no-trunc").split()) == images
    docker_runs_a_container(host, image)


WITH_DEBUG = (
    "import json,sys; p=sys.argv[1]; d=json.load(open(p)); d['debug'] = sys.argv[2] == 'on'; "
    "d.pop('debug') if sys.argv[2] == 'undone' else None; "
    "open(p, 'w').write(json.dumps(d, indent=2) + chr(10))"
)


def test_an_edit_of_daemon_json_is_a_pending_restart_until_undone(
    host: Any, facts: Facts, policy: dict[str, Any], daemon_json_put_back: None
) -> None:
    assert judge(facts, policy, layers=False)["CFG-017"]["status"] == "pass"
    host.check_output("python3 -c %s %s on", WITH_DEBUG, DAEMON_JSON)
    edited = judge(facts, policy, layers=False)["CFG-017"]
    assert edited["status"] == "fail", edited
    assert edited["problems"] == [
        f"{DAEMON_JSON} differs from what dockerd started with (debug): restart pending"
    ]
    # written again, newer than dockerd, but what it started with: nothing to restart for
    host.check_output("python3 -c %s %s undone", WITH_DEBUG, DAEMON_JSON)
    undone = judge(facts, policy, layers=False)
    assert undone["_snapshot"]["unit"]["restart_pending"] == []
    assert undone["CFG-017"]["status"] == "pass", undone["CFG-017"]
