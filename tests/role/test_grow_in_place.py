"""Growth in place on a real host: the data root's filesystem grows into a larger loop file,
online, while Docker keeps serving a container; a run killed between the steps; a data root
that is full when it grows; a smaller size refused.

Every test here grows the filesystem for good (xfs never shrinks): they run after the rest of
the role suite (tests/role/conftest.py), and each asks for the size the host has now plus a
little, never for a size it had before. After each: Docker was not restarted, every image
still runs, and every byte each container's files and each volume held before is unchanged.
Their names carry ``grow_in_place`` so that molecule's verify runs them where growth runs
(Debian 12's xfs and ext4, Debian 13's instance, Docker 28's containerd store), after the
rest of the role suite there too.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.filter.docker_storage_grow import (
    SLACK,
    size_bytes,
    size_text,
)
from tests.waiting import wait_for

from .conftest import MEASURED, RunRole, StartRole
from .test_faults import FILL_SPACE, a_local_image, fill_dir

pytestmark = [pytest.mark.role, pytest.mark.grows_data_root]

__all__ = ["fill_dir"]  # the fixture, shared with test_faults

Facts = Callable[..., dict[str, Any]]
ROLE = "layerwise.docker.docker_storage"
STEP = 256 * 2**20
SERVER = "layerwise-test-grow-serve"
SERVE_VOLUME = "layerwise-test-grow-serve"
BYTES_VOLUME = "layerwise-test-grow-bytes"
RECORD = "/run/layerwise-test-grow-record.json"
GREW = re.compile(
    r"Grew the (xfs|ext4) on \S+ \(\S+\) online from (\d+) to about (\d+) bytes in ([0-9:.]+);"
)

# Every file of every container's own layer and of every volume: mode, size and the sha256 of
# its bytes ("record"); then the same files again, hashing only as many bytes as each had
# ("check": a file a running container appends to, such as the sample worker's log, keeps
# every byte it had). Prints what differs.
FILES = r"""
import hashlib, json, os, stat, subprocess, sys

def docker(*args):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout

def roots(skip):
    found = {}
    for cid in docker("ps", "--all", "--quiet", "--no-trunc").split():
        info = json.loads(docker("inspect", cid))[0]
        upper = ((info.get("GraphDriver") or {}).get("Data") or {}).get("UpperDir")
        if upper:
            found["container " + info["Name"].lstrip("/")] = upper
    for name in docker("volume", "ls", "--quiet").split():
        if name not in skip:
            where = docker("volume", "inspect", "--format", "{{.Mountpoint}}", name)
            found["volume " + name] = where.strip()
    return found

def digest(path, size):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        left = size
        while left > 0:
            chunk = f.read(min(left, 1 << 20))
            if not chunk:
                break
            h.update(chunk)
            left -= len(chunk)
    return h.hexdigest()

def regular(path, st):
    return stat.S_ISREG(st.st_mode)

def walk(root):
    for d, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(d, name)
            yield os.path.relpath(path, root), path, os.lstat(path)

mode, arg = sys.argv[1], sys.argv[2]
if mode == "record":
    record = {}
    for what, root in roots(arg.split(",")).items():
        record[what] = {
            rel: [st.st_mode, st.st_size, regular(path, st) and digest(path, st.st_size)]
            for rel, path, st in walk(root)
        }
    print(json.dumps(record))
else:
    record, now, differ = json.load(open(arg)), roots(()), []
    for what, files in record.items():
        if what not in now:
            differ.append(what + ": gone")
            continue
        for rel, (mode_, size, sha) in files.items():
            path = os.path.join(now[what], rel)
            try:
                st = os.lstat(path)
            except OSError:
                differ.append(f"{what}: {rel} gone")
                continue
            if st.st_mode != mode_ or st.st_size < size or (sha and digest(path, size) != sha):
                differ.append(f"{what}: {rel} changed")
    print(json.dumps(differ))
"""

SERVE = (
    "echo layerwise > /srv/own; "
    "while :; do date +%s.%N >> /serve/beats; cat /bytes/blob > /dev/null || exit 3; "
    "sleep 0.1; done"
)


NO_RESIZE = (
    "a mounted ext4 cannot grow here: resize2fs needs CAP_SYS_RESOURCE, which this host's "
    "capability bounding set lacks (the lab's containers run without it); "
    "test_grow_in_place_is_refused_where_it_cannot_finish proves the role refuses it"
)


def can_grow(facts: Facts) -> bool:
    snap = facts(layers=False)
    need = "sys_resource" if snap["backing_fs"]["fstype"] == "ext4" else "sys_admin"
    return snap["capabilities"][need] is not False


@pytest.fixture
def growable(facts: Facts) -> None:
    if not can_grow(facts):
        pytest.skip(NO_RESIZE)


def sizes(facts: Facts) -> dict[str, Any]:
    """The loop file, its loop device and the filesystem, as the role's reader sees them."""
    snap = facts(layers=False)
    fs = snap["backing_fs"]
    return {
        "file": snap["source"]["size"],
        "device": fs["device_bytes"],
        "fs": fs["fs_bytes"],
        "total": fs["bytes_total"],
        "free": fs["bytes_free"],
        "fstype": fs["fstype"],
    }


def fixed(seen: dict[str, Any]) -> dict[str, Any]:
    """The sizes without the free space, which the running containers' writes move."""
    return {k: v for k, v in seen.items() if k != "free"}


def dockerd_pid(host: Any) -> str:
    pid = str(host.check_output("systemctl show --property MainPID --value docker.service"))
    assert pid not in ("", "0"), "docker.service has no main process"
    return pid


def started_at(host: Any, name: str) -> str:
    return str(
        host.check_output(
            "docker inspect --format '{{.State.Running}} {{.State.StartedAt}}' %s", name
        )
    )


def every_image_runs(host: Any) -> None:
    images = host.check_output(
        "docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -v '<none>'"
    ).split()
    assert images
    # repository:tag names, nothing to quote; the loop needs them as separate words
    ran = host.check_output(
        f"for i in {' '.join(images)}; do docker run --rm --network none $i sh -c 'echo ran'"
        " || echo failed $i; done"
    )
    assert ran.split() == ["ran"] * len(images), ran


@pytest.fixture
def serving(host: Any) -> Iterator[dict[str, Any]]:
    """A container that writes to a volume on the data root (a time stamp every 0.1 s) and
    reads 8 MiB from another, throughout; and the record of every file's bytes. Removed after."""
    image = a_local_image(host)
    host.run("docker rm --force %s", SERVER)
    host.run("docker volume rm %s %s", SERVE_VOLUME, BYTES_VOLUME)
    host.check_output(
        "docker run --rm --network none -v %s:/bytes %s"
        " sh -c 'head -c 8M /dev/urandom > /bytes/blob'",
        BYTES_VOLUME,
        image,
    )
    host.check_output(
        "docker run --detach --name %s --network none -v %s:/serve -v %s:/bytes:ro %s sh -c %s",
        SERVER,
        SERVE_VOLUME,
        BYTES_VOLUME,
        image,
        SERVE,
    )
    wait_for(
        "the serving container writing",
        lambda: host.run("docker exec %s test -s /serve/beats", SERVER).rc == 0,
        60,
    )
    host.check_output("python3 -c %s record %s > %s", FILES, SERVE_VOLUME, RECORD)
    try:
        yield {"image": image, "started": started_at(host, SERVER), "pid": dockerd_pid(host)}
    finally:
        host.run("docker rm --force %s", SERVER)
        host.run("docker volume rm %s %s", SERVE_VOLUME, BYTES_VOLUME)
        host.run("rm -f %s", RECORD)


def longest_pause(host: Any, since: float, until: float) -> float:
    """The longest time between two writes of the serving container within [since, until]."""
    beats = [float(b) for b in host.check_output("docker exec %s cat /serve/beats", SERVER).split()]
    inside = [b for b in beats if since <= b <= until]
    assert len(inside) > 2, f"the serving container wrote {len(inside)} times during the run"
    edges = [since, *inside, until]
    return max(b - a for a, b in zip(edges, edges[1:]))


def assert_nothing_lost(host: Any, serve: dict[str, Any]) -> None:
    """Docker not restarted, the serving container still the one started, every image runs,
    every byte each container file and volume had unchanged."""
    assert dockerd_pid(host) == serve["pid"], "dockerd was restarted"
    assert started_at(host, SERVER) == serve["started"], "the serving container stopped"
    assert json.loads(host.check_output("python3 -c %s check %s", FILES, RECORD)) == []
    every_image_runs(host)


def grown_into(after: dict[str, Any], size: int) -> None:
    assert after["file"] == size, after
    assert after["device"] == size, "the loop device does not see its file's new size"
    assert size - SLACK < after["fs"] <= size, after


def grew(out: str) -> tuple[str, int, int, float]:
    """What the role says it grew: fstype, from, to (bytes) and how long the grow took (s)."""
    match = GREW.search(out)
    assert match, out[-3000:]
    h, m, s = match.group(4).split(":")
    return (
        match.group(1),
        int(match.group(2)),
        int(match.group(3)),
        int(h) * 3600 + int(m) * 60 + float(s),
    )


def test_grow_in_place_refuses_a_smaller_loop_size_and_changes_nothing(
    host: Any, facts: Facts, run_role: RunRole, expected: dict[str, Any], host_vars: dict[str, Any]
) -> None:
    before = sizes(facts)
    pid = dockerd_pid(host)
    asked = size_text(before["file"] - STEP)
    rc, out = run_role(docker_storage_loop_size=asked)
    assert rc != 0, out[-3000:]
    loop = expected["docker_storage_loop_file"]
    assert (
        f"docker_storage_loop_size {asked} ({size_bytes(asked)} bytes) is smaller than the loop "
        f"file {loop} on {host_vars['inventory_hostname']}: the file has {before['file']} bytes"
    ) in out, out[-3000:]
    assert (
        f"Set docker_storage_loop_size to {size_text(before['file'])} (its size now) or more."
        in out
    )
    assert re.search(r"changed=0 ", out), out[-3000:]
    assert fixed(sizes(facts)) == fixed(before)
    assert dockerd_pid(host) == pid


def test_grow_in_place_is_refused_where_it_cannot_finish(
    host: Any, facts: Facts, run_role: RunRole, host_vars: dict[str, Any]
) -> None:
    """A mounted ext4 without CAP_SYS_RESOURCE: refused before the loop file grows."""
    if can_grow(facts):
        pytest.skip("this host can grow its filesystem online")
    before = sizes(facts)
    pid = dockerd_pid(host)
    rc, out = run_role(docker_storage_loop_size=size_text(before["file"] + STEP))
    assert rc != 0, out[-3000:]
    assert (
        f"resize2fs cannot grow a mounted ext4 on {host_vars['inventory_hostname']}: it needs "
        "CAP_SYS_RESOURCE"
    ) in out, out[-3000:]
    assert f"or keep docker_storage_loop_size at {size_text(before['file'])}." in out
    assert re.search(r"changed=0 ", out), out[-3000:]
    assert fixed(sizes(facts)) == fixed(before)
    assert dockerd_pid(host) == pid


def test_grow_in_place_with_docker_serving_a_container(
    host: Any,
    facts: Facts,
    run_role: RunRole,
    growable: None,
    serving: dict[str, Any],
    host_vars: dict[str, Any],
) -> None:
    before = sizes(facts)
    size = before["file"] + STEP
    since = time.time()
    began = time.monotonic()
    rc, out = run_role(docker_storage_loop_size=size_text(size))
    took = time.monotonic() - began
    until = time.time()
    assert rc == 0, out[-3000:]
    fstype, was, to, seconds = grew(out)
    assert (fstype, was, to) == (before["fstype"], before["fs"], size)
    after = sizes(facts)
    grown_into(after, size)
    assert after["total"] > before["total"], (before, after)
    assert after["free"] > before["free"], (before, after)
    pause = longest_pause(host, since, until)
    assert pause < 5, f"the serving container paused {pause:.1f} s during the run"
    assert_nothing_lost(host, serving)

    rc, again = run_role(docker_storage_loop_size=size_text(size))
    assert rc == 0, again[-3000:]
    assert re.search(r"changed=0 ", again), again[-3000:]
    assert fixed(sizes(facts)) == fixed(after)
    assert dockerd_pid(host) == serving["pid"]
    MEASURED.append(
        f"grow in place, {host_vars['inventory_hostname']} ({fstype}): {was} -> {after['fs']} "
        f"bytes in {seconds:.3f} s ({'xfs_growfs' if fstype == 'xfs' else 'resize2fs'}), "
        f"role run {took:.1f} s, Docker serving a container throughout (longest pause "
        f"between its writes {pause:.2f} s), dockerd not restarted"
    )


@pytest.mark.parametrize("cut_before", ["refresh", "grow"])
def test_grow_in_place_killed_between_its_steps_is_finished_by_the_next_run(
    host: Any,
    facts: Facts,
    run_role: RunRole,
    start_role: StartRole,
    growable: None,
    serving: dict[str, Any],
    expected: dict[str, Any],
    cut_before: str,
) -> None:
    """SIGKILL of ansible-playbook after the file grew and before the loop device saw it, or
    after that and before the filesystem grew: the next run finishes the growth."""
    before = sizes(facts)
    size = before["file"] + STEP
    at = (
        f"{ROLE} : Make the loop device see the grown file"
        if cut_before == "refresh"
        else f"{ROLE} : Grow the {expected['docker_storage_fstype']} online"
    )
    proc, log = start_role(at=at, docker_storage_loop_size=size_text(size))
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    assert f"TASK [{ROLE} : Grow the loop file" in log.read_text()

    cut = sizes(facts)
    assert cut["file"] == size, "not cut after the truncate"
    assert cut["device"] == (before["device"] if cut_before == "refresh" else size), cut
    assert cut["fs"] == before["fs"], "cut after the filesystem grew"

    rc, out = run_role(docker_storage_loop_size=size_text(size))
    assert rc == 0, out[-3000:]
    assert grew(out)[1:3] == (before["fs"], size)
    grown_into(sizes(facts), size)
    assert_nothing_lost(host, serving)


def test_grow_in_place_makes_room_on_a_data_root_filled_to_the_last_block(
    host: Any,
    facts: Facts,
    run_role: RunRole,
    growable: None,
    serving: dict[str, Any],
    fill_dir: str,
) -> None:
    """Filled to the last block (root's reserve too) and then grown: the growth needs no free
    space on the filesystem, and afterwards there is room to write. Twice the step, so that
    the role's own check of free space (10%) passes after the growth."""
    left = int(host.check_output("bash -c %s fill %s", FILL_SPACE, fill_dir).split()[-1])
    assert left < 1024 * 1024, f"{left} bytes still free after filling"
    assert host.run("bash -c 'echo x > %s/probe'", fill_dir).rc != 0, "not full"
    before = sizes(facts)
    size = before["file"] + 2 * STEP

    rc, out = run_role(docker_storage_loop_size=size_text(size))
    assert rc == 0, out[-3000:]
    assert grew(out)[1:3] == (before["fs"], size)
    after = sizes(facts)
    grown_into(after, size)
    assert after["free"] > STEP, after
    host.check_output("dd if=/dev/zero of=%s/after bs=1M count=64 status=none conv=fsync", fill_dir)
    assert_nothing_lost(host, serving)
