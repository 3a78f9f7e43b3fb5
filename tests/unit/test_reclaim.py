"""Reclaim's pure parts and its proof on real files: which dirs are candidates (the orphans
OVL-008 and CTD-004 name), each use that keeps one (the store's record, a lower chain, a
mount, a process, a recent change) with its exact reason, the removal with its l/ link, the
record on the host, a run that re-proves before removing, and the report lines."""

from __future__ import annotations

import http.server
import json
import os
import socketserver
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.filter import docker_reclaim as report
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import mounts
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_reclaim import (
    candidates,
    proof,
    prune,
    run,
)

from . import containerd_store as store
from . import snapshots as s

ORPHAN = "e" * 64
LINK = "ORPHANAAAAAAAAAAAAAAAAAAAA"
Snapshot = dict[str, Any]


# ---- candidates ------------------------------------------------------------------------------


def with_orphan() -> Snapshot:
    snap = s.healthy()
    s.add_unreferenced_layer(snap, ORPHAN, LINK)
    return snap


def test_a_healthy_host_has_no_candidates() -> None:
    assert candidates.orphans(s.healthy()) == []


def test_an_unreferenced_layer_dir_is_a_candidate_with_its_link() -> None:
    assert candidates.orphans(with_orphan()) == [
        {
            "store": "overlay2",
            "name": ORPHAN,
            "path": f"{s.HOME}/{ORPHAN}",
            "home": s.HOME,
            "link": LINK,
        }
    ]


def test_a_layer_dir_without_a_link_file_is_a_candidate_with_no_link() -> None:
    snap = with_orphan()
    snap["overlay2"]["layers"][ORPHAN]["link"] = None
    assert candidates.store_of(snap) == "overlay2"
    assert [(c["name"], c["link"]) for c in candidates.orphans(snap)] == [(ORPHAN, "")]


def test_build_cache_is_not_a_candidate() -> None:
    snap = with_orphan()
    snap["overlay2"]["buildkit"] = True
    s.add_unreferenced_layer(snap, "j9cv4hnpokcyfoh1uhz81hn4a", "CACHEAAAAAAAAAAAAAAAAAAAAA")
    assert [c["name"] for c in candidates.orphans(snap)] == [ORPHAN]


def engine_down(snap: Snapshot) -> None:
    snap["docker"] = {"answers": False, "error": "connection refused"}


def layers_unread(snap: Snapshot) -> None:
    del snap["layerdb"]


def home_missing(snap: Snapshot) -> None:
    snap["overlay2"]["exists"] = False


@pytest.mark.parametrize(
    ("breakage", "reason"),
    [
        (engine_down, "Docker does not answer: connection refused"),
        (layers_unread, "the layer store was not read (overlay2_facts with layers: false)"),
        (
            home_missing,
            f"the driver home {s.HOME} does not exist: the data root is not where Docker "
            "keeps its layers",
        ),
    ],
)
def test_a_store_that_cannot_be_read_is_refused(breakage: Any, reason: str) -> None:
    snap = with_orphan()
    breakage(snap)
    with pytest.raises(candidates.Refused) as refused:
        candidates.orphans(snap)
    assert str(refused.value) == reason


def test_containerd_orphans_are_dirs_no_snapshot_of_any_namespace_names(
    section: dict[str, Any],
) -> None:
    snap = store.healthy(section)
    assert candidates.orphans(snap) == []
    snap["containerd"]["dirs"]["999"] = {"fs": True, "work": True}
    snap["containerd"]["dirs"]["new-1234"] = {"fs": False, "work": False}
    base = section["snapshots_dir"]
    assert candidates.orphans(snap) == [
        {"store": "containerd", "name": n, "path": f"{base}/snapshots/{n}", "home": base}
        | {"link": ""}
        for n in ("999", "new-1234")
    ]
    assert section["other_ids"], "the fixture has another namespace's snapshots"
    assert not {c["name"] for c in candidates.orphans(snap)} & set(section["other_ids"])


def test_containerd_orphans_are_listed_numbers_first_in_numeric_order(
    section: dict[str, Any],
) -> None:
    snap = store.healthy(section)
    for name in ("new-2", "4096", "512", "new-1", "65536"):
        snap["containerd"]["dirs"][name] = {"fs": True, "work": True}
    assert candidates.store_of(snap) == "containerd"
    names = [c["name"] for c in candidates.orphans(snap)]
    assert names == ["512", "4096", "65536", "new-1", "new-2"]


def unread_containerd(snap: Snapshot) -> None:
    del snap["containerd"]


def unreadable_metadata(snap: Snapshot) -> None:
    snap["containerd"]["error"] = "metadata.db: not a bbolt database"


@pytest.mark.parametrize(
    ("breakage", "reason"),
    [
        (
            unread_containerd,
            "the containerd store was not read (overlay2_facts with layers: false)",
        ),
        (
            unreadable_metadata,
            "the containerd store cannot be read: metadata.db: not a bbolt database",
        ),
    ],
)
def test_an_unreadable_containerd_store_is_refused(
    section: dict[str, Any], breakage: Any, reason: str
) -> None:
    snap = store.healthy(section)
    breakage(snap)
    with pytest.raises(candidates.Refused) as refused:
        candidates.orphans(snap)
    assert str(refused.value) == reason


# ---- the proof, on real files ------------------------------------------------------------------


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An overlay2 data root under tmp_path: one image layer the layerdb names, and the
    orphan (diff with 64 KiB, its link file and l/ link)."""
    root = tmp_path / "docker"
    home = root / "overlay2"
    (home / "l").mkdir(parents=True)
    for name, link in (("a" * 64, "IMAGEAAAAAAAAAAAAAAAAAAAAA"), (ORPHAN, LINK)):
        (home / name / "diff").mkdir(parents=True)
        (home / name / "link").write_text(link)
        (home / "l" / link).symlink_to(f"../{name}/diff")
    (home / ORPHAN / "diff" / "data").write_bytes(os.urandom(65536))
    layer = root / "image/overlay2/layerdb/sha256" / ("c" * 64)
    layer.mkdir(parents=True)
    (layer / "cache-id").write_text("a" * 64)
    return home


def candidate(home: Path, name: str = ORPHAN, link: str = LINK) -> dict[str, str]:
    return {
        "store": "overlay2",
        "name": name,
        "path": str(home / name),
        "home": str(home),
        "link": link,
    }


def test_an_unused_orphan_is_proven_with_its_bytes_and_evidence(home: Path) -> None:
    found = proof.prove(candidate(home), grace=0)
    assert found["reasons"] == []
    assert 65536 <= found["bytes"] <= 65536 + 16384
    assert found["files"] == 4  # the dir, diff, diff/data, link
    assert found["evidence"][:2] == [
        "the store's record names 1 layer dirs, not this one",
        f"no layer's lower chain names l/{LINK}",
    ]
    assert found["evidence"][2].startswith("none of the ")
    assert found["evidence"][2].endswith(" mounts uses it")
    assert found["evidence"][3:] == [
        "no process holds a file or dir in it",
        f"nothing in it changed for {found['unchanged_seconds']} s (grace 0 s)",
    ]


@pytest.mark.parametrize(
    ("where", "file", "shown"),
    [
        ("sha256/" + "d" * 64, "cache-id", "layerdb/sha256/" + "d" * 64 + "/cache-id"),
        ("tmp/write-set-1", "cache-id", "layerdb/tmp/write-set-1/cache-id"),
        ("mounts/" + "9" * 64, "mount-id", "layerdb/mounts/" + "9" * 64 + "/mount-id"),
        ("mounts/" + "9" * 64, "init-id", "layerdb/mounts/" + "9" * 64 + "/init-id"),
    ],
)
def test_a_dir_the_layer_database_names_now_is_kept(
    home: Path, where: str, file: str, shown: str
) -> None:
    entry = home.parent / "image/overlay2/layerdb" / where
    entry.mkdir(parents=True)
    (entry / file).write_text(ORPHAN + "\n")
    assert proof.prove(candidate(home), grace=0)["reasons"] == [
        f"the store's record names it: {shown}"
    ]


def test_layer_database_entries_that_name_nothing_are_not_names(home: Path) -> None:
    layerdb = home.parent / "image/overlay2/layerdb"
    (layerdb / "sha256" / ("d" * 64)).mkdir()  # no cache-id
    (layerdb / "tmp" / "write-set-1").mkdir(parents=True)
    (layerdb / "tmp" / "write-set-1" / "cache-id").write_text("")
    (layerdb / "mounts" / ("9" * 64)).mkdir(parents=True)
    (layerdb / "mounts" / ("9" * 64) / "mount-id").write_text("m" * 64)  # no init-id
    assert proof.record_names(candidate(home)) == (
        {"a" * 64, "m" * 64},
        {
            "a" * 64: f"layerdb/sha256/{'c' * 64}/cache-id",
            "m" * 64: f"layerdb/mounts/{'9' * 64}/mount-id",
        },
    )
    assert proof.prove(candidate(home), grace=0)["evidence"][0] == (
        "the store's record names 2 layer dirs, not this one"
    )


def test_every_layer_whose_lower_chain_names_the_link_is_listed(home: Path) -> None:
    users = [f"{n:02d}" + "b" * 62 for n in range(12)]
    for name in users:
        (home / name).mkdir()
        (home / name / "lower").write_text(f"l/{LINK}:l/IMAGEAAAAAAAAAAAAAAAAAAAAA\n")
        (home / (name[:2] + "x" * 62)).mkdir()  # a layer dir with no lower file
    (home / ORPHAN / "lower").write_text(f"l/{LINK}")  # its own never counts
    assert proof.lower_users(candidate(home)) == users


def test_a_dir_without_a_link_has_no_lower_chain_to_read(tmp_path: Path) -> None:
    missing = {"store": "overlay2", "name": ORPHAN, "path": "", "home": str(tmp_path / "no")}
    assert proof.lower_users({**missing, "link": ""}) == []
    with pytest.raises(FileNotFoundError):
        proof.lower_users({**missing, "link": LINK})


def test_lower_files_that_cannot_be_read_are_a_reason(home: Path) -> None:
    item = {**candidate(home), "home": str(home / "gone")}
    assert proof.prove(item, grace=0)["reasons"] == [
        "cannot read the layers' lower files: No such file or directory"
    ]


def test_a_dir_whose_link_a_lower_chain_names_is_kept(home: Path) -> None:
    (home / ("b" * 64)).mkdir()
    (home / ("b" * 64) / "lower").write_text(f"l/IMAGEAAAAAAAAAAAAAAAAAAAAA:l/{LINK}")
    assert proof.prove(candidate(home), grace=0)["reasons"] == [
        f"layer {'b' * 64}'s lower chain has l/{LINK}"
    ]


def test_a_dir_without_a_link_says_no_chain_can_name_it(home: Path) -> None:
    found = proof.prove(candidate(home, link=""), grace=0)
    assert "it has no link file: no lower chain can name it" in found["evidence"]


@pytest.fixture
def holder(home: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process holding the orphan's file open (stdin)."""
    with open(home / ORPHAN / "diff" / "data", "rb") as data:
        proc = subprocess.Popen(["sleep", "60"], stdin=data)
    yield proc
    proc.kill()
    proc.wait()


def test_a_dir_a_process_holds_a_file_in_is_kept_and_the_process_named(
    home: Path, holder: subprocess.Popen[bytes]
) -> None:
    assert proof.prove(candidate(home), grace=0)["reasons"] == [
        f"process {holder.pid} (sleep) holds {home / ORPHAN / 'diff' / 'data'}"
    ]


def test_a_process_living_in_the_dir_is_found(home: Path) -> None:
    proc = subprocess.Popen(["sleep", "60"], cwd=home / ORPHAN / "diff")
    try:
        assert proof.process_users(str(home / ORPHAN)) == [
            f"process {proc.pid} (sleep) holds {home / ORPHAN / 'diff'}"
        ]
        assert proof.process_users(str(home / "a")) == []  # a prefix of a name is not inside
    finally:
        proc.kill()
        proc.wait()


# pids above the kernel's largest pid_max (2^22): no process has them, their command is "?"
NO_PIDS = ("4194305", "4194306", "10000000")


@pytest.fixture
def proc(tmp_path: Path, home: Path) -> Path:
    """A /proc tree under tmp_path: no mounts; a process living in the orphan (root), one
    running a deleted file of it (exe), one holding its file open (fd), one next to it."""
    root = tmp_path / "proc"
    (root / "self").mkdir(parents=True)
    (root / "self" / "mountinfo").write_text("")
    data = home / ORPHAN / "diff" / "data"
    for pid in NO_PIDS:
        (root / pid / "fd").mkdir(parents=True)
    (root / "10000000" / "root").symlink_to(home / ORPHAN / "diff")  # no cwd: readlink fails
    (root / "4194305" / "exe").symlink_to(f"{data} (deleted)")
    (root / "4194306" / "cwd").symlink_to(home)
    (root / "4194306" / "fd" / "3").symlink_to(data)
    (root / "4194307" / "fd").mkdir(parents=True)
    (root / "4194307" / "cwd").symlink_to(f"{home / ORPHAN}x")
    (root / "4194308").mkdir()  # no fd dir, as a kernel thread's
    (root / "4194308" / "cwd").symlink_to("/")
    return root


def test_each_process_a_proc_tree_shows_in_the_dir_is_named_in_pid_order(
    home: Path, proc: Path
) -> None:
    data, diff = home / ORPHAN / "diff" / "data", home / ORPHAN / "diff"
    held = [
        f"process 4194305 (?) holds {data}",
        f"process 4194306 (?) holds {data}",
        f"process 10000000 (?) holds {diff}",
    ]
    assert proof.process_users(str(home / ORPHAN), str(proc)) == held
    assert proof.process_users(f"{home / ORPHAN}/", str(proc)) == held
    found = proof.prove(candidate(home), grace=0, proc=str(proc))
    assert found["reasons"] == held
    assert found["evidence"][2] == "none of the 0 mounts uses it"


def test_a_dir_whose_name_ends_in_x_is_matched_as_a_whole(tmp_path: Path, proc: Path) -> None:
    (tmp_path / "boX" / "sub").mkdir(parents=True)
    (proc / "4194309" / "fd").mkdir(parents=True)
    (proc / "4194309" / "cwd").symlink_to(tmp_path / "boX" / "sub")
    (proc / "4194310" / "fd").mkdir(parents=True)
    (proc / "4194310" / "cwd").symlink_to(tmp_path / "bo" / "sub")
    assert proof.process_users(str(tmp_path / "boX"), str(proc)) == [
        f"process 4194309 (?) holds {tmp_path / 'boX' / 'sub'}"
    ]


def test_mounts_that_cannot_be_read_are_a_reason(home: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert proof.prove(candidate(home), grace=0, proc=str(tmp_path / "empty"))["reasons"] == [
        "cannot read the mounts: No such file or directory"
    ]


@pytest.mark.skipif(
    os.lstat("/dev").st_dev == os.lstat("/dev/shm").st_dev, reason="/dev/shm is not a mount"
)
def test_a_filesystem_mounted_inside_keeps_a_dir_the_mounts_do_not_show(
    tmp_path: Path, proc: Path
) -> None:
    item = {"store": "overlay2", "name": "dev", "path": "/dev", "home": str(tmp_path), "link": ""}
    found = proof.prove(item, grace=0, now=time.time() + 10**6, proc=str(proc))
    assert found["reasons"] == ["a filesystem is mounted inside it"]
    assert proof.measure("/dev")["crosses_mount"] is True


def test_a_change_exactly_the_grace_period_ago_is_outside_it(home: Path) -> None:
    newest = proof.measure(str(home / ORPHAN))["newest_change"]
    grace = (newest + 100) - newest
    found = proof.prove(candidate(home), grace=grace, now=newest + 100)
    assert found["reasons"] == []
    assert (
        found["evidence"][-1] == f"nothing in it changed for {int(grace)} s (grace {int(grace)} s)"
    )


def test_a_dir_changed_within_the_grace_period_is_kept(home: Path) -> None:
    found = proof.prove(candidate(home), grace=3600)
    assert found["reasons"] == [
        f"something in it changed {found['unchanged_seconds']} s ago, within the grace "
        "period of 3600 s (a pull or build may be writing it)"
    ]
    assert found["unchanged_seconds"] < 60
    later = proof.prove(candidate(home), grace=3600, now=time.time() + 3601)
    assert later["reasons"] == []


def test_the_newest_change_anywhere_in_the_tree_counts(home: Path) -> None:
    old = time.time() - 7200
    deep = home / ORPHAN / "diff" / "data"
    for path in (home / ORPHAN, home / ORPHAN / "link", home / ORPHAN / "diff", deep):
        os.utime(path, (old, old))  # each one's ctime is now: the deepest, set last, is newest
    while os.lstat(deep).st_ctime <= os.lstat(home / ORPHAN).st_ctime:  # a coarse clock
        os.utime(deep, (old, old))
    assert proof.measure(str(home / ORPHAN))["newest_change"] == os.lstat(deep).st_ctime


def test_a_modification_time_in_the_future_is_the_newest_change(home: Path) -> None:
    ahead = time.time() + 7200
    os.utime(home / ORPHAN / "link", (ahead, ahead))  # walked before diff/ and what it holds
    assert proof.measure(str(home / ORPHAN))["newest_change"] == ahead


def test_a_file_is_measured_alone(home: Path) -> None:
    data = home / ORPHAN / "diff" / "data"
    info = os.lstat(data)
    assert proof.measure(str(data)) == {
        "bytes": info.st_blocks * 512,
        "files": 1,
        "newest_change": max(info.st_ctime, info.st_mtime),
        "crosses_mount": False,
    }


def test_symlinks_are_measured_as_links_not_what_they_lead_to(home: Path) -> None:
    diff = home / ORPHAN / "diff"
    (diff / "to-image").symlink_to(home / ("a" * 64))
    (diff / "to-data").symlink_to(diff / "data")
    (home / ("a" * 64) / "diff" / "big").write_bytes(os.urandom(65536))
    walked = [home / ORPHAN, home / ORPHAN / "link", diff, diff / "data"]
    walked += [diff / "to-image", diff / "to-data"]
    measured = proof.measure(str(home / ORPHAN))
    assert measured["files"] == 6
    assert measured["bytes"] == sum(os.lstat(p).st_blocks * 512 for p in walked)


def test_a_vanished_dir_cannot_be_proven(home: Path) -> None:
    found = proof.prove(candidate(home, name="f" * 64), grace=0)
    assert found["reasons"] == ["cannot walk it: No such file or directory"]
    assert found["bytes"] is None


def test_hard_links_are_counted_once(home: Path) -> None:
    diff = home / ORPHAN / "diff"
    for n in range(8):
        os.link(diff / "data", diff / f"again-{n}")
        (diff / f"small-{n}").write_bytes(b"x" * 5000)
    measured = proof.measure(str(home / ORPHAN))
    walked = [home / ORPHAN, home / ORPHAN / "link", diff, diff / "data"]
    walked += [diff / f"small-{n}" for n in range(8)]
    assert measured["files"] == 12
    assert measured["bytes"] == sum(os.lstat(p).st_blocks * 512 for p in walked)
    assert measured["crosses_mount"] is False


# ---- mounts (pure, on mountinfo as parsed) --------------------------------------------------


def mountinfo(*lines: str) -> list[dict[str, Any]]:
    return mounts.parse_mountinfo("\n".join(lines))


HOME = "/var/lib/docker/overlay2"
OVERLAY2 = {"store": "overlay2", "name": ORPHAN, "path": f"{HOME}/{ORPHAN}", "home": HOME}
SNAP = "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs"
CTD = {"store": "containerd", "name": "12", "path": f"{SNAP}/snapshots/12", "home": SNAP}


def overlay(point: str, options: str) -> str:
    return f"1 2 0:3 / {point} rw - overlay overlay rw,{options}"


@pytest.mark.parametrize(
    ("item", "line", "used"),
    [
        (
            {**OVERLAY2, "link": LINK},
            overlay("/m", f"lowerdir={HOME}/l/{LINK}:{HOME}/l/B,upperdir=/u/diff,workdir=/u/work"),
            "the overlay mount at /m uses it",
        ),
        (
            {**OVERLAY2, "link": LINK},
            overlay("/m", f"lowerdir=l/X:l/{LINK},upperdir=/u/diff,workdir=/u/work"),
            "the overlay mount at /m uses it",
        ),
        (
            {**OVERLAY2, "link": ""},
            overlay("/m", f"lowerdir=l/X,upperdir={HOME}/{ORPHAN}/diff,workdir=/w"),
            "the overlay mount at /m uses it",
        ),
        (
            {**OVERLAY2, "link": ""},
            overlay("/m", f"lowerdir=l/X,upperdir={ORPHAN}/diff,workdir={ORPHAN}/work"),
            "the overlay mount at /m uses it",
        ),
        (
            {**OVERLAY2, "link": ""},
            f"1 2 8:1 / {HOME}/{ORPHAN}/merged rw - overlay overlay rw,lowerdir=/x",
            f"{HOME}/{ORPHAN}/merged is mounted inside it",
        ),
        (
            {**OVERLAY2, "link": ""},
            f"1 2 8:1 /docker/overlay2/{ORPHAN}/diff /srv/peek rw - xfs /dev/loop0 rw",
            f"/srv/peek is a bind mount of /docker/overlay2/{ORPHAN}/diff",
        ),
        (
            {**CTD, "link": ""},
            overlay("/r", f"lowerdir={SNAP}/snapshots/12/fs,upperdir=/u,workdir=/w"),
            "the overlay mount at /r uses it",
        ),
        (
            {**CTD, "link": ""},
            overlay("/r", "lowerdir=14/fs:12/fs,upperdir=/u,workdir=/w"),
            "the overlay mount at /r uses it",
        ),
    ],
)
def test_each_kind_of_mount_that_uses_a_dir_is_named(
    item: dict[str, str], line: str, used: str
) -> None:
    assert proof.mount_users(item, mountinfo(line)) == [used]


def test_every_mount_that_uses_a_dir_is_named() -> None:
    lines = [
        f"1 2 8:1 / {HOME}/{ORPHAN}/merged rw - overlay overlay rw,lowerdir=/x",
        overlay("/m", f"lowerdir=l/{LINK}/sub,upperdir=/u/diff,workdir=/u/work"),
        f"1 2 8:1 /docker/overlay2/{ORPHAN}/diff /srv/peek rw - xfs /dev/loop0 rw",
    ]
    assert proof.mount_users({**OVERLAY2, "link": LINK}, mountinfo(*lines)) == [
        f"{HOME}/{ORPHAN}/merged is mounted inside it",
        "the overlay mount at /m uses it",
        f"/srv/peek is a bind mount of /docker/overlay2/{ORPHAN}/diff",
    ]


@pytest.mark.parametrize(
    ("item", "line"),
    [
        ({**OVERLAY2, "link": LINK}, overlay("/m", f"lowerdir={HOME}/l/OTHER,upperdir=/u")),
        ({**OVERLAY2, "link": ""}, overlay("/m", f"lowerdir=/{ORPHAN}/diff,upperdir=/u")),
        ({**CTD, "link": ""}, overlay("/r", f"lowerdir={SNAP}/snapshots/112/fs,upperdir=/u")),
        ({**CTD, "link": ""}, overlay("/r", "lowerdir=112/fs:2/fs,upperdir=/u,workdir=/w")),
        ({**CTD, "link": ""}, f"1 2 8:1 / {SNAP}/snapshots/123 rw - xfs /dev/loop0 rw"),
        ({**OVERLAY2, "link": ""}, "1 2 8:1 / / rw - ext4 /dev/vda rw"),
    ],
)  # fmt: skip
def test_mounts_of_other_dirs_do_not_count(item: dict[str, str], line: str) -> None:
    assert proof.mount_users(item, mountinfo(line)) == []


# ---- containerd's record ---------------------------------------------------------------------


def test_a_containerd_snapshot_id_in_metadata_db_is_kept(tmp_path: Path) -> None:
    root, _mountinfo = store.make_tree(tmp_path)
    snapshotter = root / "io.containerd.snapshotter.v1.overlayfs"
    (snapshotter / "snapshots" / "999" / "fs").mkdir(parents=True)
    item = {
        "store": "containerd",
        "name": "999",
        "path": str(snapshotter / "snapshots/999"),
        "home": str(snapshotter),
        "link": "",
    }
    found = proof.prove(item, grace=0)
    assert found["reasons"] == []
    names, _where = proof.record_names(item)
    assert found["evidence"][0] == (
        f"the store's record names {len(names)} snapshot ids, not this one"
    )
    assert {"1", "2", "3"} <= names
    assert "999" not in names
    assert proof.prove({**item, "name": "3", "path": str(snapshotter / "snapshots/3")}, 0)[
        "reasons"
    ] == ["the store's record names it: snapshot id 3 in the snapshotter's metadata.db"]
    (snapshotter / "metadata.db").write_bytes(b"not bolt" * 1000)
    reasons = proof.prove(item, grace=0)["reasons"]
    assert len(reasons) == 1
    assert reasons[0].startswith("cannot read the store's record: ")


# ---- removal and the record ------------------------------------------------------------------


def test_removal_takes_the_dir_and_its_link(home: Path) -> None:
    run.remove(candidate(home))
    assert not (home / ORPHAN).exists()
    assert not (home / "l" / LINK).is_symlink()
    assert (home / "l" / "IMAGEAAAAAAAAAAAAAAAAAAAAA").is_symlink()


def test_removal_takes_what_a_layer_holds_symlinks_to_dirs_and_whiteouts(home: Path) -> None:
    diff = home / ORPHAN / "diff"
    (diff / "usr" / "bin").mkdir(parents=True)
    (diff / "bin").symlink_to("usr/bin")  # as a base image's /bin
    (diff / "dangling").symlink_to("/nowhere")
    os.mkfifo(diff / "fifo")
    (diff / "locked").mkdir(mode=0)
    (diff / "usr" / "bin" / "sh").write_text("#!")
    run.remove(candidate(home))
    assert not (home / ORPHAN).exists()
    assert (home / ("a" * 64) / "diff").is_dir()


def test_what_cannot_be_removed_is_named() -> None:
    with pytest.raises(FileNotFoundError):
        run.remove({"path": "/nonexistent/layerwise", "name": "x", "home": "/nonexistent"})


def test_a_link_that_leads_elsewhere_is_left(home: Path) -> None:
    (home / "l" / LINK).unlink()
    (home / "l" / LINK).symlink_to(f"../{'a' * 64}/diff")
    run.remove(candidate(home))
    assert not (home / ORPHAN).exists()
    assert os.readlink(home / "l" / LINK) == f"../{'a' * 64}/diff"


def test_the_record_is_whole_json_readable_by_root_only(tmp_path: Path) -> None:
    done = {"started": 1796671800.5, "removed": [{"path": "/x", "bytes": 4096}]}
    path = run.write_record(str(tmp_path / "reclaim"), done)
    assert os.path.basename(path).startswith("reclaim-20261207T193000Z-")
    assert json.loads(Path(path).read_text()) == done
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(tmp_path / "reclaim").st_mode & 0o777 == 0o700
    assert [p.name for p in (tmp_path / "reclaim").iterdir()] == [os.path.basename(path)]


# ---- a whole run, on a snapshot of the tree ----------------------------------------------------


@pytest.fixture
def read_host(home: Path, monkeypatch: pytest.MonkeyPatch) -> Snapshot:
    """The reader's snapshot of ``home``: the healthy host plus the orphan, its home here."""
    snap = with_orphan()
    snap["overlay2"]["home"] = str(home)
    monkeypatch.setattr(run, "snapshot", lambda params: snap)
    return snap


PARAMS = {"grace": "0s", "record_dir": ""}


def test_a_run_without_apply_lists_and_removes_nothing(home: Path, read_host: Snapshot) -> None:
    done = run.reclaim({**PARAMS, "record_dir": str(home / "rec")}, apply=False)
    assert [i["name"] for i in done["would_remove"]] == [ORPHAN]
    assert done["removed"] == []
    assert done["freed_bytes"] == 0
    assert "record" not in done
    assert (home / ORPHAN).is_dir()
    assert not (home / "rec").exists()


def test_a_run_with_apply_removes_and_records(home: Path, read_host: Snapshot) -> None:
    done = run.reclaim({**PARAMS, "record_dir": str(home.parent / "rec")}, apply=True)
    assert [i["name"] for i in done["removed"]] == [ORPHAN]
    assert done["freed_bytes"] == done["removed"][0]["bytes"] >= 65536
    assert not (home / ORPHAN).exists()
    assert json.loads(Path(done["record"]).read_text())["removed"][0]["path"] == str(home / ORPHAN)


def test_a_dir_used_between_the_listing_and_the_removal_is_kept(
    home: Path, read_host: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    proven = proof.prove
    calls = []

    def prove_then_use(item: dict[str, Any], grace: float) -> dict[str, Any]:
        calls.append(item["name"])
        if len(calls) == 2:  # after the listing: a layer registers it
            entry = home.parent / "image/overlay2/layerdb/sha256" / ("f" * 64)
            entry.mkdir()
            (entry / "cache-id").write_text(ORPHAN)
        return proven(item, grace)

    monkeypatch.setattr(run, "prove", prove_then_use)
    done = run.reclaim({**PARAMS, "record_dir": str(home.parent / "rec")}, apply=True)
    assert calls == [ORPHAN, ORPHAN]
    assert done["removed"] == []
    assert (home / ORPHAN).is_dir()
    assert done["kept"][0]["used_since_listed"] is True
    assert done["kept"][0]["reasons"] == [
        f"the store's record names it: layerdb/sha256/{'f' * 64}/cache-id"
    ]


def test_a_refused_store_raises_before_anything_is_proven(
    read_host: Snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine_down(read_host)
    monkeypatch.setattr(run, "prove", lambda *a: pytest.fail("proved on a refused host"))
    with pytest.raises(candidates.Refused, match=r"^Docker does not answer"):
        run.reclaim(PARAMS, apply=True)


# ---- the report lines --------------------------------------------------------------------------


def test_the_report_names_each_dir_its_bytes_and_why() -> None:
    done = {
        "store": "overlay2",
        "applied": True,
        "candidates": [{}, {}, {}],
        "removed": [{"path": "/d/a", "bytes": 3 << 20}],
        "would_remove": [],
        "kept": [{"path": "/d/b", "bytes": 4096, "reasons": ["x", "y"], "used_since_listed": True}],
        "not_removed": [{"path": "/d/c", "error": "1 entries could not be removed"}],
        "freed_bytes": 3 << 20,
        "record": "/var/lib/layerwise/reclaim/r.json",
        "deleted_but_open": [
            {"path": "/l.log", "bytes": 1536, "pid": 7, "command": "app", "container": "c" * 64}
        ],
    }
    assert report.reclaim_report(done) == [
        "overlay2: 3 dirs nothing names; 1 proven unused (3.0 MiB), 1 kept because something "
        "uses them",
        "removed /d/a (3.0 MiB)",
        "kept /d/b (4.0 KiB) (in use since it was listed): x; y",
        "NOT REMOVED /d/c: 1 entries could not be removed",
        "freed 3.0 MiB; recorded in /var/lib/layerwise/reclaim/r.json",
        "deleted but open: /l.log (1.5 KiB) held by process 7 (app), container cccccccccccc: "
        "the space returns when that process closes it or stops; reclaim never signals a "
        "process",
    ]


def test_a_listing_says_how_to_remove() -> None:
    done = {
        "store": "containerd",
        "applied": False,
        "candidates": [{}],
        "would_remove": [{"path": "/s/9", "bytes": None}],
    }
    assert report.reclaim_report(done) == [
        "containerd: 1 dirs nothing names; 1 proven unused (0 B), 0 kept because something "
        "uses them",
        "would remove /s/9 (?)",
        "nothing removed: set docker_reclaim_remove=true (not in check mode) to remove what "
        "is proven unused; each dir is proven again just before",
    ]


def test_an_empty_run_is_one_headline() -> None:
    assert report.reclaim_report({}) == [
        "?: 0 dirs nothing names; 0 proven unused (0 B), 0 kept because something uses them"
    ]


def test_what_a_run_leaves_out_is_shown_as_nothing() -> None:
    until = {"until": ["86400s"]}
    done = {
        "store": "overlay2",
        "applied": True,
        "would_remove": [{"path": "/d/w", "bytes": 2048}],
        "kept": [{"path": "/d/k", "bytes": 1024}],
        "not_removed": [{"path": "/d/n"}],
        "prunes": [
            {"what": "images", "filters": until, "applied": True},
            {"what": "images", "filters": until, "applied": False},
        ],
        "deleted_but_open": [{"path": "/x.log", "bytes": 10, "pid": 1, "command": "init"}],
    }
    assert report.reclaim_report(done) == [
        "overlay2: 0 dirs nothing names; 1 proven unused (2.0 KiB), 1 kept because something "
        "uses them",
        "would remove /d/w (2.0 KiB)",
        "kept /d/k (1.0 KiB): ",
        "NOT REMOVED /d/n: ",
        "freed 0 B; nothing to record",
        "docker pruned dangling images older than 86400s: 0 deleted, 0 B freed",
        "would prune 0 dangling images older than 86400s (at most ?: sizes count shared layers)",
        "deleted but open: /x.log (10 B) held by process 1 (init): the space returns when that "
        "process closes it or stops; reclaim never signals a process",
    ]


def test_the_filter_is_named_docker_reclaim_report() -> None:
    assert report.FilterModule().filters() == {"docker_reclaim_report": report.reclaim_report}


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (None, "?"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1 << 20, "1.0 MiB"),
        (5 << 40, "5.0 TiB"),
        (5 << 50, "5120.0 TiB"),
    ],
)
def test_human_sizes(size: int | None, shown: str) -> None:
    assert report.human(size) == shown


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0s", 0), ("90s", 90), ("30m", 1800), ("1h", 3600), ("2d", 172800), (" 5m ", 300)],
)
def test_grace_is_a_duration(text: str, seconds: int) -> None:
    assert run.grace_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "1", "1w", "-1h", "1.5h", "h", "1h30m", "1234567890s"])
def test_a_grace_that_is_not_a_duration_is_refused_naming_the_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"^grace must be a duration") as refused:
        run.grace_seconds(text)
    assert str(refused.value) == (
        "grace must be a duration such as 30m, 1h or 2d (a whole number and s, m, h or d), "
        f"got {text!r}"
    )


# ---- Docker's own prunes -----------------------------------------------------------------------


class FakeEngine:
    """The Engine API as far as a prune asks it: what was asked, and set answers."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers, self.asked = answers, []

    def get(self, path: str) -> Any:
        self.asked.append(("GET", path))
        return self.answers[path.split("?")[0]]

    def post(self, path: str) -> Any:
        self.asked.append(("POST", path))
        return self.answers[path.split("?")[0]]


def test_an_applied_image_prune_reports_what_docker_freed() -> None:
    engine = FakeEngine({"/images/prune": {"ImagesDeleted": [{}, {}], "SpaceReclaimed": 5000}})
    assert prune.prune(engine, "images", 86400, apply=True) == {  # type: ignore[arg-type]
        "what": "images",
        "filters": {"dangling": ["true"], "until": ["86400s"]},
        "applied": True,
        "freed_bytes": 5000,
        "deleted": 2,
    }
    assert engine.asked == [
        ("POST", "/images/prune?filters=%7B%22dangling%22%3A%20%5B%22true%22%5D%2C%20%22until"
         "%22%3A%20%5B%2286400s%22%5D%7D")
    ]  # fmt: skip


def test_a_listed_image_prune_names_the_old_dangling_images_only() -> None:
    now = time.time()
    listed = [
        {"Id": "sha256:old", "Size": 300, "Created": int(now - 90000)},
        {"Id": "sha256:new", "Size": 700, "Created": int(now - 60)},
    ]
    engine = FakeEngine({"/images/json": listed})
    found = prune.prune(engine, "images", 86400, apply=False)  # type: ignore[arg-type]
    assert found["would_delete"] == [{"id": "sha256:old", "bytes": 300}]
    assert found["at_most_bytes"] == 300
    assert found["applied"] is False
    assert [method for method, _path in engine.asked] == ["GET"]


def test_dangling_images_are_those_created_until_seconds_ago_or_before() -> None:
    listed = [
        {"Id": "sha256:edge", "Size": 300, "Created": 900},
        {"Id": "sha256:new", "Size": 700, "Created": 901},
        {},
    ]
    engine = FakeEngine({"/images/json": listed})
    found = prune.dangling_images(engine, 100, now=1000.0)  # type: ignore[arg-type]
    assert found == [{"id": "sha256:edge", "bytes": 300}, {"id": "", "bytes": 0}]
    assert engine.asked == [
        ("GET", "/images/json?filters=%7B%22dangling%22%3A%20%5B%22true%22%5D%7D")
    ]
    unknown_age = FakeEngine({"/images/json": [{"Id": "sha256:x"}]})
    assert prune.dangling_images(unknown_age, 100, now=100.5) == [  # type: ignore[arg-type]
        {"id": "sha256:x", "bytes": 0}
    ]


def test_a_prune_docker_answers_without_sizes_freed_nothing() -> None:
    engine = FakeEngine({"/images/prune": None})
    done = prune.prune(engine, "images", 60, apply=True)  # type: ignore[arg-type]
    assert (done["freed_bytes"], done["deleted"]) == (0, 0)


class Engine(http.server.BaseHTTPRequestHandler):
    """The Engine API's prune endpoints on a real socket: each request asked, one answer."""

    def do_POST(self) -> None:
        self.server.asked.append(("POST", self.path))  # type: ignore[attr-defined]
        body = json.dumps({"ImagesDeleted": [{"Deleted": "sha256:1"}], "SpaceReclaimed": 7})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def engine_socket(tmp_path: Path) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """An HTTP server on a unix socket under tmp_path, as dockerd's: its docker_host and
    what it was asked."""
    sock = tmp_path / "e.sock"
    server = socketserver.UnixStreamServer(str(sock), Engine)
    server.asked = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"unix://{sock}", server.asked  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()
    thread.join()


def test_an_applied_prune_posts_to_the_engine(
    engine_socket: tuple[str, list[tuple[str, str]]],
) -> None:
    docker_host, asked = engine_socket
    done = prune.prune(prune.EngineAPI(docker_host), "images", 60, apply=True)
    assert done == {
        "what": "images",
        "filters": {"dangling": ["true"], "until": ["60s"]},
        "applied": True,
        "freed_bytes": 7,
        "deleted": 1,
    }
    assert asked == [("POST", prune.query("images", 60))]


def test_the_build_cache_prune_cannot_be_sized_before_and_is_sized_after() -> None:
    listed = prune.prune(FakeEngine({}), "build_cache", 3600, apply=False)  # type: ignore[arg-type]
    assert listed["at_most_bytes"] is None
    assert listed["filters"] == {"until": ["3600s"]}
    engine = FakeEngine({"/build/prune": {"CachesDeleted": ["a"], "SpaceReclaimed": 9}})
    done = prune.prune(engine, "build_cache", 3600, apply=True)  # type: ignore[arg-type]
    assert (done["freed_bytes"], done["deleted"]) == (9, 1)


def test_the_report_says_what_each_prune_did_or_would_do() -> None:
    until = {"until": ["86400s"]}
    done = {
        "store": "overlay2",
        "applied": False,
        "prunes": [
            {"what": "images", "filters": until, "applied": True, "freed_bytes": 2048,
             "deleted": 3},
            {"what": "images", "filters": until, "applied": False, "at_most_bytes": 1024,
             "would_delete": [{}, {}]},
            {"what": "build_cache", "filters": until, "applied": False, "at_most_bytes": None},
        ],
    }  # fmt: skip
    assert report.reclaim_report(done)[1:] == [
        "docker pruned dangling images older than 86400s: 3 deleted, 2.0 KiB freed",
        "would prune 2 dangling images older than 86400s (at most 1.0 KiB: sizes count shared "
        "layers)",
        "would prune the build cache older than 86400s (Docker says how much after)",
    ]


def test_containers_logging_without_rotation_are_listed_with_how_they_log() -> None:
    snap = s.healthy()
    base = snap["containers"][0]
    snap["containers"] = [
        {**base, "name": "b", "id": "2" * 64, "log_driver": "json-file", "log_options": {}},
        {**base, "name": "a", "id": "1" * 64, "log_driver": "json-file",
         "log_options": {"max-size": "-1"}, "log_path": "/l/a.log"},
        {**base, "name": "rotated", "log_driver": "json-file", "log_options": {"max-size": "10m"}},
        {**base, "name": "local", "log_driver": "local", "log_options": {}},
        {**base, "name": "journald", "log_driver": "journald", "log_options": {}},
    ]  # fmt: skip
    rotation = "json-file without max-size: the log grows without limit"
    found = run.unrotated_logs(snap)
    assert [(c["name"], c["rotation"]) for c in found] == [("a", rotation), ("b", rotation)]
    assert (found[0]["id"], found[0]["log_path"]) == ("1" * 64, "/l/a.log")
    assert report.reclaim_report({"unrotated_logs": found[:1]})[1:] == [
        f"log without rotation: container a ({rotation}); the docker_storage role's "
        "docker_storage_log_max_size sets log-opts max-size in daemon.json for new containers; "
        "recreate this one to rotate it (it keeps the log config it was created with)"
    ]
