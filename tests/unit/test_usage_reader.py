"""The usage reader on real files under tmp_path: a walk counts what the filesystem allocated,
each inode once however often it is linked or walked, on the walked path's filesystem only
and without following symlinks; logs are found with their rotated files; a deleted file a
real process holds open is found with the process; and read_usage measures a data root laid
out as Docker lays it out in parts that add up to a walk of the whole tree, nothing twice."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import (
    usage as u,
)

from . import snapshots as s


def allocated(*paths: Path) -> int:
    """What du counts of each path itself (not followed): its blocks, in bytes."""
    return sum(os.lstat(p).st_blocks * 512 for p in paths)


def write(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """top/ with a/b/f1 (5000 bytes), f2 (100 bytes) and an empty dir."""
    top = tmp_path / "top"
    write(top / "a" / "b" / "f1", 5000)
    write(top / "f2", 100)
    (top / "empty").mkdir()
    return top


def entries(top: Path) -> list[Path]:
    return [top, *sorted(top.rglob("*"))]


# ---- Walker ------------------------------------------------------------------------------------


def test_a_walk_counts_every_entry_allocated_bytes(tree: Path) -> None:
    found = u.Walker().walk(str(tree))
    assert len(entries(tree)) == 6
    assert found == {
        "path": str(tree),
        "dev": os.lstat(tree).st_dev,
        "bytes": allocated(*entries(tree)),
        "files": 6,
    }
    assert found["bytes"] >= 5000 + 100


def test_a_walk_of_a_file_is_the_file(tree: Path) -> None:
    assert u.Walker().walk(str(tree / "f2")) == {
        "path": str(tree / "f2"),
        "dev": os.lstat(tree).st_dev,
        "bytes": allocated(tree / "f2"),
        "files": 1,
    }


def test_a_hard_link_is_counted_once(tree: Path) -> None:
    os.link(tree / "a" / "b" / "f1", tree / "f1-again")
    os.link(tree / "f2", tree / "a" / "f2-again")
    found = u.Walker().walk(str(tree))
    everything = entries(tree)
    assert len(everything) == 8
    assert found["files"] == 6
    assert found["bytes"] == allocated(*everything) - allocated(tree / "f1-again", tree / "f2")


def test_a_hard_link_is_counted_once_across_walks_of_one_walker(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    write(first / "data", 40000)
    second.mkdir()
    os.link(first / "data", second / "data")
    walker = u.Walker()
    assert walker.walk(str(first))["bytes"] == allocated(first, first / "data")
    assert walker.walk(str(second)) == {
        "path": str(second),
        "dev": os.lstat(second).st_dev,
        "bytes": allocated(second),
        "files": 1,
    }
    # the same file walked on its own, again: nothing new
    assert walker.walk(str(first / "data"))["bytes"] == 0
    # another walker has seen nothing
    assert u.Walker().walk(str(second))["bytes"] == allocated(second, second / "data")


def test_a_dir_walked_twice_is_counted_once(tmp_path: Path) -> None:
    """A dir walked again (a bind mount shows one dir at two paths) adds nothing, nor does a
    dir below one walked; a dir above one walked leaves that one out with all below it."""
    d = tmp_path / "d"
    write(d / "one", 3000)
    os.link(d / "one", d / "two")
    write(d / "sub" / "three", 5000)
    dev = os.lstat(d).st_dev
    walker = u.Walker()
    assert walker.walk(str(d)) == {
        "path": str(d),
        "dev": dev,
        "bytes": allocated(d, d / "one", d / "sub", d / "sub" / "three"),
        "files": 4,
    }
    nothing = {"path": str(d), "dev": dev, "bytes": 0, "files": 0}
    assert walker.walk(str(d)) == nothing
    assert walker.walk(str(d / "sub")) == {**nothing, "path": str(d / "sub")}
    # below first, then above: the dir below is not counted again
    walker = u.Walker()
    assert walker.walk(str(d / "sub"))["bytes"] == allocated(d / "sub", d / "sub" / "three")
    assert walker.walk(str(tmp_path)) == {
        "path": str(tmp_path),
        "dev": os.lstat(tmp_path).st_dev,
        "bytes": allocated(tmp_path, d, d / "one"),
        "files": 3,
    }


def test_a_symlink_is_counted_not_followed(tree: Path, tmp_path: Path) -> None:
    big = write(tmp_path / "outside" / "big", 200_000)
    (tree / "to-file").symlink_to(big)
    (tree / "to-dir").symlink_to(big.parent, target_is_directory=True)
    found = u.Walker().walk(str(tree))
    assert found["files"] == 8
    assert found["bytes"] == allocated(*entries(tree))
    assert found["bytes"] < allocated(big)


def test_what_is_excluded_is_left_out_with_all_below_it(tree: Path) -> None:
    walker = u.Walker()
    walker.exclude([str(tree / "a"), str(tree / "f2"), str(tree / "gone")])
    found = walker.walk(str(tree))
    assert found["files"] == 2
    assert found["bytes"] == allocated(tree, tree / "empty")
    # what is excluded is left out when walked on its own too: sized another way
    assert walker.walk(str(tree / "a")) == {
        "path": str(tree / "a"),
        "dev": os.lstat(tree).st_dev,
        "bytes": 0,
        "files": 0,
    }
    # a path that is not there excludes nothing, and is still an error when walked
    assert walker.walk(str(tree / "gone")) == {
        "path": str(tree / "gone"),
        "error": "No such file or directory",
    }
    # another walker excludes nothing
    assert u.Walker().walk(str(tree))["files"] == 6


def test_apparent_is_the_sum_of_the_sizes_of_all_but_dirs(tree: Path, tmp_path: Path) -> None:
    (tree / "link").symlink_to("a/b/f1")
    os.link(tree / "f2", tree / "f2-again")
    found = u.Walker().walk(str(tree), apparent=True)
    # f1, f2 once, the symlink's own size: its target's name
    assert found["bytes"] == 5000 + 100 + len("a/b/f1")
    assert found["files"] == 7
    assert u.Walker().walk(str(tree / "f2"), apparent=True)["bytes"] == 100


def test_a_sparse_file_is_what_it_allocates(tmp_path: Path) -> None:
    sparse = tmp_path / "sparse"
    with sparse.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    walker = u.Walker()
    assert walker.walk(str(sparse))["bytes"] == allocated(sparse) < 1024 * 1024
    assert u.Walker().walk(str(sparse), apparent=True)["bytes"] == 50 * 1024 * 1024


def test_a_missing_path_is_an_error_not_0(tmp_path: Path) -> None:
    assert u.Walker().walk(str(tmp_path / "gone")) == {
        "path": str(tmp_path / "gone"),
        "error": "No such file or directory",
    }


def test_a_walk_stays_on_its_filesystem(tmp_path: Path) -> None:
    """/dev/shm is a tmpfs mounted below /dev (devtmpfs): a file in it is not /dev's."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat("/dev").st_dev:
        pytest.skip("/dev/shm is not a filesystem of its own here")
    filled = shm / f"layerwise-test-{os.getpid()}"
    try:
        write(filled, 2 * 1024 * 1024)
        assert allocated(filled) >= 2 * 1024 * 1024
        assert u.Walker().walk("/dev")["bytes"] < allocated(filled)
        assert u.Walker().walk(str(shm))["bytes"] >= allocated(filled)
    finally:
        filled.unlink()


def deep(tmp_path: Path) -> Path:
    """A dir whose path is 3880 characters long: a name of 250 more in it makes a path over
    PATH_MAX (4096), which no call taking a path can reach; one of a few more, a path it can."""
    path = tmp_path
    while (room := 3880 - len(str(path)) - 1) > 0:
        path = path / ("d" * min(200, room))
    path.mkdir(parents=True)
    assert len(str(path)) == 3880
    return path


def create(directory: Path, name: str, size: int = 0, is_dir: bool = False) -> None:
    """``name`` in ``directory``, made relative to the dir's fd (its full path may be too
    long for a path)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        if is_dir:
            os.mkdir(name, dir_fd=fd)
        else:
            made = os.open(name, os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd)
            os.write(made, b"x" * size)
            os.close(made)
    finally:
        os.close(fd)


def test_an_entry_that_cannot_be_stated_is_left_out_and_the_dir_read_on(tmp_path: Path) -> None:
    top = deep(tmp_path)
    for n in range(5):
        create(top, f"{n}" * 250, 3000)
        create(top, f"dir{n}" + "x" * 246, is_dir=True)
    shorts = [write(top / f"s{n:02}", 100) for n in range(20)]
    found = u.Walker().walk(str(top))
    assert found["files"] == 21
    assert found["bytes"] == allocated(top, *shorts)


def test_a_dir_that_cannot_be_listed_is_left_out_and_the_walk_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """root reads every dir, so the refusal is made: the first dir below the top."""
    top = tmp_path / "top"
    for name in ("x", "y"):
        write(top / name / "f", 1000)
    real, listed = os.scandir, []

    def scandir(path: str) -> Any:
        listed.append(path)
        if len(listed) == 2:
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(u.os, "scandir", scandir)
    found = u.Walker().walk(str(top))
    refused = Path(listed[1])
    (other,) = {top / "x", top / "y"} - {refused}
    assert listed == [str(top), str(refused), str(other)]
    assert found["files"] == 4
    assert found["bytes"] == allocated(top, refused, other, other / "f")


# ---- filesystem --------------------------------------------------------------------------------


def test_filesystem_says_bytes_and_inodes_as_df_does(tmp_path: Path) -> None:
    found = u.filesystem(str(tmp_path))
    fs = os.statvfs(tmp_path)
    assert set(found) == {
        "path",
        "dev",
        "mount_point",
        "size",
        "block_size",
        "used",
        "free",
        "inodes",
        "inodes_used",
        "inodes_free",
    }
    assert (found["path"], found["dev"], found["mount_point"]) == (
        str(tmp_path),
        os.stat(tmp_path).st_dev,
        False,
    )
    assert (found["size"], found["inodes"]) == (fs.f_blocks * fs.f_frsize, fs.f_files)
    assert found["block_size"] == fs.f_frsize > 0
    # one statvfs: what is used and what an unprivileged writer may still use fit in the size
    assert 0 < found["used"] <= found["size"] - found["free"]
    assert 0 < found["inodes_used"] <= found["inodes"] - found["inodes_free"]
    assert found["used"] % fs.f_frsize == 0
    assert isinstance(found["free"], int)
    assert found["free"] % fs.f_frsize == 0
    assert u.filesystem("/")["mount_point"] is True


def test_filesystem_of_a_missing_path_is_an_error(tmp_path: Path) -> None:
    assert u.filesystem(str(tmp_path / "gone")) == {
        "path": str(tmp_path / "gone"),
        "error": "No such file or directory",
    }


UUID = "0f3c2a9e-5b7d-4e21-9c1a-6d8e4f2b7a10"


@pytest.mark.parametrize(
    ("answer", "record", "used"),
    [
        ((0, f"{UUID}\n", ""), '{"used_when_empty": 20480}', 20480),
        ((0, f"{UUID}\n", ""), '{"used_when_empty": 0}', 0),
        ((0, f"{UUID}\n", ""), '{"used_when_empty": -1}', None),
        ((0, f"{UUID}\n", ""), '{"used_when_empty": true}', None),
        ((0, f"{UUID}\n", ""), '{"used_when_empty": "20480"}', None),
        ((0, f"{UUID}\n", ""), "[20480]", None),
        ((0, f"{UUID}\n", ""), "{not json", None),
        ((0, f"{UUID}\n", ""), None, None),
        ((2, "", ""), '{"used_when_empty": 20480}', None),
        ((0, "../../etc/x\n", ""), '{"used_when_empty": 20480}', None),
    ],
    ids=[
        "recorded",
        "zero",
        "negative",
        "bool",
        "string",
        "not-an-object",
        "bad-json",
        "no-record",
        "blkid-failed",
        "not-a-uuid",
    ],
)
def test_used_when_empty_is_the_roles_record_of_the_filesystem(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    answer: tuple[int, str, str],
    record: str | None,
    used: int | None,
) -> None:
    asked = []

    def run(argv: list[str]) -> tuple[int, str, str]:
        asked.append(argv)
        return answer

    monkeypatch.setattr(u, "run", run)
    if record is not None:
        (tmp_path / f"{UUID}.json").write_text(record)
    assert u.used_when_empty("/dev/vdb", str(tmp_path)) == used
    assert asked == [["blkid", "-s", "UUID", "-o", "value", "/dev/vdb"]]


def test_used_when_empty_of_no_device_asks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = []
    monkeypatch.setattr(u, "run", lambda argv: asked.append(argv) or (0, UUID, ""))
    assert [u.used_when_empty(d, "/nowhere") for d in ("", "vdb", "LABEL=x")] == [None] * 3
    assert asked == []


# ---- logs --------------------------------------------------------------------------------------

CID = s.CID


def test_log_files_are_the_log_then_its_rotated_files(tmp_path: Path) -> None:
    log = write(tmp_path / f"{CID}-json.log", 100)
    for name in (".2.gz", ".1", ".10", "-other", "x.1"):
        write(tmp_path / f"{CID}-json.log{name}", 10)
    write(tmp_path / "config.v2.json", 10)
    assert u.log_files(str(log)) == [
        str(log),
        f"{log}.1",
        f"{log}.10",
        f"{log}.2.gz",
    ]


def test_log_files_of_a_missing_dir_are_the_log(tmp_path: Path) -> None:
    log = str(tmp_path / "gone" / "container.log")
    assert u.log_files(log) == [log]


def test_log_usage_adds_the_rotated_files(tmp_path: Path) -> None:
    log = write(tmp_path / "container.log", 30000)
    rotated = [
        write(tmp_path / "container.log.1", 20000),
        write(tmp_path / "container.log.2.gz", 5000),
    ]
    write(tmp_path / "other.log", 90000)
    assert u.log_usage(str(log), u.Walker()) == {
        "path": str(log),
        "bytes": allocated(log, *rotated),
        "files": 3,
    }


def test_log_usage_of_a_lone_log(tmp_path: Path) -> None:
    log = write(tmp_path / "container.log", 30000)
    assert u.log_usage(str(log), u.Walker()) == {
        "path": str(log),
        "bytes": allocated(log),
        "files": 1,
    }


def test_a_rotated_file_that_cannot_be_walked_adds_nothing(tmp_path: Path) -> None:
    top = deep(tmp_path)
    log, rotated = write(top / "c.log", 30000), write(top / "c.log.1", 20000)
    create(top, "c.log." + "1" * 240, 90000)
    assert u.log_usage(str(log), u.Walker()) == {
        "path": str(log),
        "bytes": allocated(log, rotated),
        "files": 3,
    }


def test_log_usage_of_a_missing_log_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "container.log.1", 20000)
    log = str(tmp_path / "container.log")
    assert u.log_usage(log, u.Walker()) == {"path": log, "error": "No such file or directory"}
    assert u.log_usage("", u.Walker()) == {
        "path": "",
        "error": "the engine names no log file (a driver that logs elsewhere)",
    }


@pytest.mark.parametrize(
    ("container", "path"),
    [
        ({"id": CID, "log_driver": "json-file", "log_path": "/x/a.log"}, "/x/a.log"),
        (
            {"id": CID, "log_driver": "local", "log_path": ""},
            f"/srv/docker/containers/{CID}/local-logs/container.log",
        ),
        (
            {"id": CID, "log_driver": "local"},
            f"/srv/docker/containers/{CID}/local-logs/container.log",
        ),
        ({"id": CID, "log_driver": "local", "log_path": "/x/b.log"}, "/x/b.log"),
        ({"id": CID, "log_driver": "journald", "log_path": ""}, ""),
        ({"id": CID}, ""),
    ],
    ids=["json-file", "local", "local-no-path", "local-with-path", "journald", "nothing"],
)
def test_log_path_is_the_engines_or_the_local_drivers(container: dict[str, Any], path: str) -> None:
    assert u.log_path(container, "/srv/docker") == path


# ---- which dirs are walked ---------------------------------------------------------------------


def test_overlay2_dirs_with_a_recorded_size_are_not_walked() -> None:
    home = s.HOME
    walked, kept = u.measured_dirs(s.healthy(), False)
    assert walked == [f"{home}/{s.INIT}", f"{home}/{s.CONTAINER}"]
    # what the record covers: the layer's diff (its link, lower and dir go with the rest)
    assert kept == [f"{home}/{s.BASE}/diff", f"{home}/{s.TOP}/diff"]
    assert u.measured_dirs(s.healthy(), True) == (
        [f"{home}/{n}" for n in (s.BASE, s.TOP, s.INIT, s.CONTAINER)],
        [],
    )


@pytest.mark.parametrize("size", ["", "abc", None], ids=["empty", "abc", "missing"])
def test_an_overlay2_layer_without_a_size_is_walked(size: str | None) -> None:
    snap = s.healthy()
    entry = snap["layerdb"]["layers"][s.DIFFS[0]]
    entry.pop("size")
    if size is not None:
        entry["size"] = size
    walked, kept = u.measured_dirs(snap, False)
    assert walked == [f"{s.HOME}/{n}" for n in (s.BASE, s.INIT, s.CONTAINER)]
    assert kept == [f"{s.HOME}/{s.TOP}/diff"]


@pytest.mark.parametrize(
    ("size", "kept"),
    [("50", True), (" 50\n", True), ("0", True), ("²", False), ("-5", False), ("5 0", False)],
    ids=["plain", "padded", "zero", "superscript", "negative", "two-numbers"],
)
def test_an_overlay2_size_is_recorded_when_it_is_decimal_digits(size: str, kept: bool) -> None:
    snap = s.healthy()
    snap["layerdb"]["layers"][s.TOP_CHAIN]["size"] = size
    walked, recorded = u.measured_dirs(snap, False)
    assert (f"{s.HOME}/{s.TOP}/diff" in recorded, f"{s.HOME}/{s.TOP}" in walked) == (kept, not kept)


def test_containerd_snapshots_with_a_recorded_size_are_not_walked(
    section: dict[str, Any],
) -> None:
    base = f"{section['snapshots_dir']}/snapshots"
    walked, kept = u.measured_dirs({"containerd": section}, False)
    assert sorted(kept) == sorted(
        f"{base}/{n}/fs" for n in ("1", "2", "3", "4", "5", "7", "9", "11")
    )
    assert sorted(walked) == sorted(f"{base}/{n}" for n in ("6", "8", "133", *section["other_ids"]))
    assert len(walked) == 123
    walked, kept = u.measured_dirs({"containerd": section}, True)
    assert (len(walked), kept) == (131, [])
    assert sorted(walked) == sorted(f"{base}/{n}" for n in section["dirs"])


def test_measured_dirs_of_sparse_snapshots() -> None:
    # no home: the names as they are; a layerdb entry without its cache-id names no dir
    sparse = {
        "overlay2": {"layers": {"a": {}, "XXXX": {}}},
        "layerdb": {"layers": {"k": {"size": "5"}}},
    }
    assert u.measured_dirs(sparse, False) == (["a", "XXXX"], [])
    assert u.measured_dirs({"overlay2": {}}, False) == ([], [])
    assert u.measured_dirs({"overlay2": {}, "layerdb": {}}, False) == ([], [])
    assert u.measured_dirs({"containerd": {"snapshots_dir": "/c"}}, False) == ([], [])


@pytest.mark.parametrize(
    "snap",
    [{}, {"containerd": {}}, {"containerd": {"snapshots_dir": ""}}],
    ids=["nothing", "empty", "no-dir"],
)
def test_no_store_no_dirs(snap: dict[str, Any]) -> None:
    assert u.measured_dirs(snap, True) == ([], [])


# ---- deleted files held open -------------------------------------------------------------------

# the held files' root ends in a letter a careless strip of its "/" would take too
HELD, OTHER = "dockerX", "dockerX-other"
HOLDER = """
import os, sys
root, outside = sys.argv[1], sys.argv[2]
held = []
def hold(path, size):
    handle = open(path, "wb")
    handle.write(b"x" * size)
    handle.flush()
    os.fsync(handle.fileno())
    held.append(handle)
hold(root + "/big.log", 100000)
held.append(open(root + "/big.log", "rb"))  # the same file twice
hold(root + "/sub/small.log", 10)
hold(root + "/kept.log", 5000)  # not deleted
hold(root + "/kept (deleted)", 5000)  # not deleted either, whatever its name says
hold(outside + "/out.log", 20000)
for path in (root + "/big.log", root + "/sub/small.log", outside + "/out.log"):
    os.unlink(path)
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the holder's files are: dockerX/ and dockerX-other/."""
    base = tmp_path_factory.mktemp("held")
    (base / HELD / "sub").mkdir(parents=True)
    (base / OTHER).mkdir()
    return base


@pytest.fixture(scope="module")
def holder(held: Path) -> Iterator[subprocess.Popen[str]]:
    """A process holding open files it deleted: dockerX/big.log (100000 bytes, twice),
    dockerX/sub/small.log (10), dockerX-other/out.log (20000, beside the root whose name it
    begins with); and dockerX/kept.log and "dockerX/kept (deleted)", not deleted.

    None of its standard streams is inherited: pytest's fd capture (mutmut runs it so) makes
    stderr a deleted file in /tmp, on tmp_path's device, which the overlay test would find."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(held / HELD), str(held / OTHER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n"
            yield proc
        finally:
            proc.kill()


def of(found: list[dict[str, Any]], proc: subprocess.Popen[str]) -> list[dict[str, Any]]:
    return [item for item in found if item["pid"] == proc.pid]


def test_a_deleted_file_held_open_is_found_with_its_process(
    holder: subprocess.Popen[str], held: Path
) -> None:
    root = held / HELD
    found = of(u.open_deleted([str(root), ""], {}), holder)
    command = Path(sys.executable).name[:15]
    assert [{k: v for k, v in f.items() if k != "bytes"} for f in found] == [
        {
            "path": f"{root}/big.log",
            "mount": "",
            "dev": os.stat(root).st_dev,
            "pid": holder.pid,
            "command": command,
            "container": u.container_of(str(holder.pid)),
        },
        {
            "path": f"{root}/sub/small.log",
            "mount": "",
            "dev": os.stat(root).st_dev,
            "pid": holder.pid,
            "command": command,
            "container": u.container_of(str(holder.pid)),
        },
    ]
    big, small = (f["bytes"] for f in found)
    assert big >= 100000
    assert 0 < small < big
    assert big % 512 == small % 512 == 0
    # a root given with its slash is the same root
    assert of(u.open_deleted([f"{root}/"], {}), holder) == found


def test_no_roots_find_nothing(holder: subprocess.Popen[str]) -> None:
    assert of(u.open_deleted(["", ""], {}), holder) == []
    assert of(u.open_deleted([], {}), holder) == []


def test_a_deleted_file_on_a_containers_overlay_device_is_found(
    holder: subprocess.Popen[str], held: Path
) -> None:
    dev = os.stat(held).st_dev
    found = of(u.open_deleted([], {dev: ("/merged", 77)}), holder)
    assert [(f["path"], f["mount"], f["dev"]) for f in found] == [
        (f"{held}/{HELD}/big.log", "/merged", 77),
        (f"{held}/{OTHER}/out.log", "/merged", 77),
        (f"{held}/{HELD}/sub/small.log", "/merged", 77),
    ]
    assert found[1]["bytes"] >= 20000


def test_a_process_or_fd_gone_while_read_is_passed_over(
    holder: subprocess.Popen[str], held: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that exits, or closes a file, between the listing and the reading (before
    its link is read, or after): listed first, so that whatever comes after is still read."""
    real_listdir, real_readlink = os.listdir, os.readlink
    fds = f"/proc/{holder.pid}/fd"

    def listdir(path: str) -> list[str]:
        names = real_listdir(path)
        if path == "/proc":
            return ["999999999", *names]  # over any pid_max: gone
        if path == fds:
            return ["999999", "999998", *names]  # closed
        return names

    def readlink(path: str) -> str:
        if path == f"{fds}/999998":  # read just before it was closed
            return f"{held}/{HELD}/closed.log (deleted)"
        return real_readlink(path)

    monkeypatch.setattr(u.os, "listdir", listdir)
    monkeypatch.setattr(u.os, "readlink", readlink)
    found = of(u.open_deleted([str(held / HELD)], {}), holder)
    assert [f["path"] for f in found] == [
        f"{held}/{HELD}/big.log",
        f"{held}/{HELD}/sub/small.log",
    ]


def test_the_container_and_command_of_a_process_are_read_from_its_proc_files(
    tmp_path: Path,
) -> None:
    """A pid is a name under /proc: a dir of our own, named relative to /proc, stands in for
    one, with a cgroup file of a process in a container (the last id is its own) and a
    command that is not UTF-8."""
    ids = [f"{n}" * 64 for n in (1, 2, 3)]
    proc = tmp_path / "4242"
    proc.mkdir()
    (proc / "cgroup").write_bytes(
        f"12:pids:/docker/{ids[0]}\n1:name=systemd:/\xff\n".encode("latin-1")
        + f"0::/system.slice/docker-{ids[1]}.scope/{ids[2]}\n".encode()
    )
    (proc / "comm").write_bytes(b"app\xff\n")
    pid = os.path.relpath(proc, "/proc")
    assert (u.container_of(pid), u.command_of(pid)) == (ids[2], "app\ufffd")
    (proc / "cgroup").write_bytes(b"0::/user.slice\xff\n")
    assert u.container_of(pid) == ""


def test_the_process_of_a_pid_that_is_gone_is_nobody() -> None:
    assert (u.command_of("0"), u.container_of("0")) == ("", "")


def test_a_container_id_is_the_last_64_hex_digits_of_the_cgroup() -> None:
    own = "f" * 64
    line = f"0::/system.slice/docker-{'1' * 64}.scope/{own}\n1:cpu:/{'a' * 63}"
    assert u.CONTAINER_ID.findall(line)[-1] == own
    assert u.CONTAINER_ID.findall(f"4:memory:/process_api/{'9' * 32}") == []


def test_overlay_devs_map_each_mounted_root_to_its_upper_dirs_device(tmp_path: Path) -> None:
    merged, upper = tmp_path / "merged", tmp_path / "upper"
    merged.mkdir()
    upper.mkdir()
    shm = "/dev/shm"
    snap = {
        "overlay_mounts": [
            {"mount_point": shm, "upperdir": str(upper)},
            {"mount_point": str(tmp_path / "gone"), "upperdir": str(upper)},
            {"mount_point": str(merged)},
            {"upperdir": str(upper)},
        ],
        "containerd": {"mounts": [{"mount_point": str(merged), "upperdir": str(upper)}]},
    }
    assert u.overlay_devs(snap) == {
        os.stat(shm).st_dev: (shm, os.stat(upper).st_dev),
        os.stat(merged).st_dev: (str(merged), os.stat(upper).st_dev),
    }
    assert u.overlay_devs({"containerd": None}) == {}


# ---- volumes -----------------------------------------------------------------------------------


class Engine:
    """The engine's API as far as read_usage asks it: GET /volumes."""

    def __init__(self, answer: Any = None, error: Exception | None = None) -> None:
        self.answer, self.error, self.asked = answer, error, []

    def get(self, path: str) -> Any:
        self.asked.append(path)
        if self.error is not None:
            raise self.error
        return self.answer


def test_read_volumes_says_name_driver_and_mountpoint() -> None:
    api = Engine({"Volumes": [{"Name": "data", "Driver": "local", "Mountpoint": "/v/data"}, {}]})
    assert u.read_volumes(api) == [
        {"name": "data", "driver": "local", "mountpoint": "/v/data"},
        {"name": "", "driver": "", "mountpoint": ""},
    ]
    assert api.asked == ["/volumes"]
    assert u.read_volumes(Engine({"Volumes": None})) == []
    assert u.read_volumes(Engine(None)) == []


# ---- read_usage --------------------------------------------------------------------------------

CACHE, ORPHAN = "j9cv4hnpokcyfoh1uhz81hn4a", "e" * 64


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    """A data root as Docker lays it out: overlay2 with the healthy snapshot's layer dirs, a
    build cache dir and an orphan, the layer database, a container's log with a rotated
    file (and a file hard linked from its writable layer), a volume, BuildKit's store."""
    root = tmp_path / "docker"
    home = root / "overlay2"
    for name, size in (
        (s.BASE, 2000),
        (s.TOP, 3000),
        (s.INIT, 10),
        (s.CONTAINER, 30000),
        (CACHE, 7000),
        (ORPHAN, 9000),
    ):
        write(home / name / "diff" / "file", size)
        write(home / name / "link", 26)
    (home / "l").mkdir()
    (home / "l" / s.LINKS[s.BASE]).symlink_to(f"../{s.BASE}/diff")
    for chain in s.healthy()["layerdb"]["layers"]:
        write(root / "image/overlay2/layerdb/sha256" / chain[7:] / "size", 4)
    containers = root / "containers" / CID
    write(containers / f"{CID}-json.log", 12000)
    write(containers / f"{CID}-json.log.1", 8000)
    write(containers / "config.v2.json", 500)
    os.link(home / s.CONTAINER / "diff" / "file", containers / "hard")
    write(root / "volumes" / "data" / "_data" / "file", 40000)
    write(root / "volumes" / "metadata.db", 100)
    write(root / "buildkit" / "cache.db", 6000)
    return root


def layer_snap(root: Path) -> dict[str, Any]:
    snap = s.healthy()
    snap["overlay2"]["home"] = str(root / "overlay2")
    for name in (CACHE, ORPHAN):
        snap["overlay2"]["layers"][name] = {}
    snap["containers"][0]["log_path"] = str(root / "containers" / CID / f"{CID}-json.log")
    snap["overlay_mounts"] = []
    # tmp_path is no filesystem docker_storage made (see the filesystem's own use, below)
    snap["backing_fs"]["mounted"] = False
    return snap


def total(measured: dict[str, Any]) -> int:
    return sum(m["bytes"] for m in measured.values())


def test_read_usage_measures_what_docker_does_not_record(data_root: Path) -> None:
    home = data_root / "overlay2"
    found = u.read_usage(layer_snap(data_root), str(data_root), None)
    assert set(found) == {
        "walked_layers",
        "filesystems",
        "walks",
        "logs",
        "volumes",
        "volumes_error",
        "content_store",
        "buildkit",
        "open_deleted",
        "rest",
    }
    assert found["walked_layers"] is False
    assert list(found["filesystems"]) == ["data_root"]
    assert found["filesystems"]["data_root"]["dev"] == os.stat(data_root).st_dev
    assert sorted(found["walks"]) == sorted(
        [
            *(str(home / n) for n in (s.INIT, s.CONTAINER, CACHE, ORPHAN)),
            str(data_root / "buildkit"),
        ]
    )
    assert found["walks"][str(home / ORPHAN)]["bytes"] == allocated(*entries(home / ORPHAN))
    log = data_root / "containers" / CID / f"{CID}-json.log"
    assert found["logs"] == {
        CID: {"path": str(log), "bytes": allocated(log, Path(f"{log}.1")), "files": 2}
    }
    assert (found["volumes"], found["volumes_error"], found["content_store"]) == ([], "", "")
    assert found["buildkit"] == str(data_root / "buildkit")
    # Docker's records are walked only when every byte is asked for
    assert found["rest"] == {}
    assert found["open_deleted"] == []
    walked = u.read_usage(layer_snap(data_root), str(data_root), None, True)
    assert walked["walked_layers"] is True
    assert list(walked["rest"]) == [str(data_root)]


@pytest.mark.parametrize("walk_layers", [False, True], ids=["recorded", "walked"])
def test_read_usage_measures_each_byte_once(data_root: Path, walk_layers: bool) -> None:
    """The walks, logs and Docker's records add up to a walk of the whole data root, with the
    diff dirs of the layers whose size Docker recorded (not walked) walked on their own; the
    records (the rest) are walked only with the layers, else left to nobody."""
    home = data_root / "overlay2"
    found = u.read_usage(layer_snap(data_root), str(data_root), None, walk_layers)
    recorded = [] if walk_layers else [str(home / s.BASE / "diff"), str(home / s.TOP / "diff")]
    assert (str(home / s.BASE) in found["walks"]) is walk_layers
    # Docker's records: all but what is measured elsewhere (a recorded layer's diff only)
    log = data_root / "containers" / CID / f"{CID}-json.log"
    layers = [home / s.BASE, home / s.TOP] if walk_layers else [Path(p) for p in recorded]
    elsewhere = [*layers, *(home / n for n in (s.INIT, s.CONTAINER, CACHE, ORPHAN))]
    elsewhere += [data_root / "buildkit", log, Path(f"{log}.1"), log.parent / "hard"]
    records = [
        p for p in entries(data_root) if not any(p == m or m in p.parents for m in elsewhere)
    ]
    # a recorded layer's dir and link file are Docker's records too
    assert len(records) == (20 if walk_layers else 24)
    rest = {
        "path": str(data_root),
        "dev": os.stat(data_root).st_dev,
        "bytes": allocated(*records),
        "files": len(records),
    }
    assert found["rest"] == ({str(data_root): rest} if walk_layers else {})
    whole = u.Walker().walk(str(data_root))
    kept = u.Walker()
    parts = [*found["walks"].values(), *found["logs"].values(), rest]
    parts += [kept.walk(p) for p in recorded]
    assert sum(p["bytes"] for p in parts) == whole["bytes"]
    assert sum(p["files"] for p in parts) == whole["files"]


def test_the_data_roots_filesystem_says_its_own_use_when_docker_storage_made_it(
    data_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = []

    def used_when_empty(device: str) -> int:
        asked.append(device)
        return 20480

    monkeypatch.setattr(u, "used_when_empty", used_when_empty)
    snap = layer_snap(data_root)
    snap["backing_fs"].update(mounted=True, device="/dev/vdb", xfs_isize=512)
    fs = u.read_usage(snap, str(data_root), None)["filesystems"]["data_root"]
    assert (fs["path"], fs["used_when_empty"], fs["inode_size"]) == (str(data_root), 20480, 512)
    assert asked == ["/dev/vdb"]
    # a data root on no filesystem of its own (or not read): neither is known
    for backing in ({"mounted": False, "device": "/dev/vdb"}, None):
        snap["backing_fs"] = backing
        fs = u.read_usage(snap, str(data_root), None)["filesystems"]["data_root"]
        assert ("used_when_empty" in fs, "inode_size" in fs) == (False, False)
    assert asked == ["/dev/vdb"]


def test_read_usage_reads_each_drivers_log_and_the_rest_keeps_what_no_log_claims(
    data_root: Path,
) -> None:
    """A local driver's log where the local driver writes it; a json-file log that is
    missing, whose rotated file is then Docker's to keep with the rest (not lost)."""
    local, gone = "1" * 64, "2" * 64
    local_log = write(data_root / "containers" / local / "local-logs" / "container.log", 7000)
    missing = data_root / "containers" / gone / f"{gone}-json.log"
    write(Path(f"{missing}.1"), 9000)
    snap = layer_snap(data_root)
    snap["containers"] += [
        {"id": local, "log_driver": "local", "log_path": ""},
        {"id": gone, "log_driver": "json-file", "log_path": str(missing)},
    ]
    found = u.read_usage(snap, str(data_root), None, True)
    assert found["logs"][local] == {
        "path": str(local_log),
        "bytes": allocated(local_log),
        "files": 1,
    }
    assert found["logs"][gone] == {"path": str(missing), "error": "No such file or directory"}
    parts = [*found["walks"].values(), *found["logs"].values(), *found["rest"].values()]
    whole = u.Walker().walk(str(data_root))
    assert sum(p.get("bytes", 0) for p in parts) == whole["bytes"]


def test_read_usage_walks_the_engines_volumes(data_root: Path) -> None:
    volume = data_root / "volumes" / "data" / "_data"
    api = Engine(
        {
            "Volumes": [
                {"Name": "data", "Driver": "local", "Mountpoint": str(volume)},
                {"Name": "remote", "Driver": "nfs", "Mountpoint": ""},
            ]
        }
    )
    found = u.read_usage(layer_snap(data_root), str(data_root), api, True)
    assert found["volumes"] == [
        {"name": "data", "driver": "local", "mountpoint": str(volume)},
        {"name": "remote", "driver": "nfs", "mountpoint": ""},
    ]
    assert found["walks"][str(volume)]["bytes"] == allocated(volume, volume / "file")
    assert "" not in found["walks"]
    without = u.read_usage(layer_snap(data_root), str(data_root), None, True)
    assert (
        without["rest"][str(data_root)]["bytes"] - found["rest"][str(data_root)]["bytes"]
        == found["walks"][str(volume)]["bytes"]
    )


@pytest.mark.parametrize(
    ("error", "said"),
    [(OSError("connection refused"), "connection refused"), (ValueError(), "ValueError")],
    ids=["os-error", "bad-answer"],
)
def test_volumes_the_engine_cannot_list_are_said(
    data_root: Path, error: Exception, said: str
) -> None:
    found = u.read_usage(layer_snap(data_root), str(data_root), Engine(error=error))
    assert (found["volumes"], found["volumes_error"]) == ([], said)


def test_read_usage_without_a_log_file_says_why(data_root: Path) -> None:
    snap = layer_snap(data_root)
    snap["containers"][0].update(log_driver="journald", log_path="")
    found = u.read_usage(snap, str(data_root), None)
    assert found["logs"] == {
        CID: {"path": "", "error": "the engine names no log file (a driver that logs elsewhere)"}
    }


def test_read_usage_finds_deleted_files_held_open_under_the_root(
    holder: subprocess.Popen[str], held: Path
) -> None:
    found = u.read_usage({}, str(held / HELD), None)
    assert [f["path"] for f in of(found["open_deleted"], holder)] == [
        f"{held}/{HELD}/big.log",
        f"{held}/{HELD}/sub/small.log",
    ]
    assert (found["walks"], found["buildkit"], found["content_store"]) == ({}, "", "")
    assert found["rest"] == {}
    walked = u.read_usage({}, str(held / HELD), None, True)
    assert of(walked["open_deleted"], holder) == of(found["open_deleted"], holder)
    assert walked["rest"][str(held / HELD)]["bytes"] == allocated(*entries(held / HELD))


@pytest.mark.parametrize("walk_layers", [False, True], ids=["recorded", "walked"])
def test_read_usage_of_a_containerd_root_inside_the_data_root(
    section: dict[str, Any], walk_layers: bool
) -> None:
    """dockerd's own containerd keeps its root under the data root: its snapshots, content
    store and records are measured once, not again with the data root's rest (containerd's
    records are walked with the data root's, containerd's root then adds nothing)."""
    croot = Path(section["root"])
    root = croot.parent  # the data root: the section's containerd root is in it
    content = croot / "io.containerd.content.v1.content"
    write(content / "blobs" / "sha256" / ("0" * 64), 30000)
    write(root / "data" / "engine-id", 36)
    found = u.read_usage({"containerd": section}, str(root), None, walk_layers)
    assert list(found["filesystems"]) == ["data_root", "containerd_root"]
    assert found["filesystems"]["containerd_root"]["path"] == str(croot)
    assert found["content_store"] == str(content)
    assert found["walks"][str(content)]["bytes"] >= 30000
    _, recorded = u.measured_dirs({"containerd": section}, walk_layers)
    assert (len(found["walks"]), len(recorded)) == ((132, 0) if walk_layers else (124, 8))
    # Docker's and containerd's records: all that is not walked nor recorded
    measured = [Path(p) for p in (*found["walks"], *recorded)]
    records = [p for p in entries(root) if not any(p == m or m in p.parents for m in measured)]
    assert {root, root / "data", root / "data" / "engine-id", croot} <= set(records)
    dev = os.stat(root).st_dev
    rest = {
        str(root): {
            "path": str(root),
            "dev": dev,
            "bytes": allocated(*records),
            "files": len(records),
        },
        str(croot): {"path": str(croot), "dev": dev, "bytes": 0, "files": 0},
    }
    assert found["rest"] == (rest if walk_layers else {})
    kept = u.Walker()
    parts = [*found["walks"].values(), *rest.values(), *map(kept.walk, recorded)]
    whole = u.Walker().walk(str(root))
    assert sum(p["bytes"] for p in parts) == whole["bytes"]
    assert sum(p["files"] for p in parts) == whole["files"]
