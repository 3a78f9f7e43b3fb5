"""Growth in place (plugins/filter/docker_storage_grow.py): the role's one size parser, read
as truncate reads it, and what a run grows, decided from synthetic probe snapshots: a raised
loop size, a run cut after each step, an lvextend, what stays alone. tests/role proves it on
real hosts, with Docker serving a container throughout."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.filter import docker_storage_grow as grow
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import mounts

G, M = 2**30, 2**20
LOOP = "/var/lib/layerwise/docker.img"


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("1", 1),
        ("4096", 4096),
        ("1K", 1024),
        ("2048M", 2 * G),
        ("2G", 2 * G),
        ("10G", 10 * G),
        ("1T", 2**40),
        ("2304M", 2 * G + 256 * M),
    ],
)
def test_a_size_is_read_in_bytes_with_powers_of_1024(text: str, count: int) -> None:
    assert grow.size_bytes(text) == count


@pytest.mark.parametrize(
    "text",
    ["", "0", "0G", "010G", "10GB", "10g", "1.5G", "-1G", " 10G", "10G ", "10 G", "lots", "1P"],
)
def test_what_is_not_a_size_reads_as_zero(text: str) -> None:
    assert grow.size_bytes(text) == 0


@pytest.mark.parametrize("value", [None, 10, 10.0, True, ["10G"], {"size": "10G"}])
def test_a_value_that_is_not_text_reads_as_zero(value: Any) -> None:
    assert grow.size_bytes(value) == 0


@pytest.mark.skipif(shutil.which("truncate") is None, reason="no truncate(1) here")
@pytest.mark.parametrize("text", ["1", "4096", "1K", "3M", "2304M", "2G"])
def test_truncate_makes_a_file_of_exactly_the_size_parsed(tmp_path: Path, text: str) -> None:
    """The file the role's truncate task makes has the size the guard and the plan compare
    with (sparse: nothing written)."""
    made = tmp_path / "image"
    subprocess.run(["truncate", "--size", text, str(made)], check=True)
    assert made.stat().st_size == grow.size_bytes(text)


@pytest.mark.parametrize(
    ("count", "text"),
    [(2 * G, "2G"), (2 * G + 256 * M, "2304M"), (1536, "1536"), (3 * 1024, "3K"), (0, "0")],
)
def test_bytes_are_written_back_in_the_largest_exact_unit(count: int, text: str) -> None:
    assert grow.size_text(count) == text
    assert count == 0 or grow.size_bytes(text) == count


# ---------------------------------------------------------------------------------------
# What grows


def probe(fs: int = 2 * G, device: int = 2 * G, file: int = 2 * G) -> dict[str, Any]:
    """What probe.yml reads: the data root mounted from the loop file, an xfs on /dev/loop3."""
    return {
        "backing_fs": {
            "mounted": True,
            "device": "/dev/loop3",
            "realdevice": "/dev/loop3",
            "backing_file": LOOP,
            "fstype": "xfs",
            "device_bytes": device,
            "fs_bytes": fs,
        },
        "source": {"exists": True, "is_file": True, "realpath": LOOP, "size": file},
    }


def variables(**changed: Any) -> dict[str, Any]:
    found = {
        "docker_storage_loop_file": LOOP,
        "docker_storage_loop_size": "2G",
        "docker_storage_source": LOOP,
        "docker_storage_grow_filesystem": True,
        "docker_storage_data_root": "/var/lib/docker",
    }
    found.update(changed)
    return found


def steps(plan: dict[str, Any]) -> tuple[int, str, str]:
    return plan["file_bytes"], plan["refresh"], plan["grow"]


def raised(snap: dict[str, Any], size: str = "2304M") -> tuple[int, str, str]:
    return steps(grow.grow_plan(snap, variables(docker_storage_loop_size=size)))


def test_a_converged_loop_file_grows_nothing() -> None:
    assert steps(grow.grow_plan(probe(), variables())) == (0, "", "")


def test_a_raised_loop_size_grows_the_file_the_device_and_the_filesystem() -> None:
    plan = grow.grow_plan(probe(), variables(docker_storage_loop_size="2304M"))
    assert steps(plan) == (2 * G + 256 * M, "/dev/loop3", "xfs")
    assert (plan["fs_from"], plan["fs_to"]) == (2 * G, 2 * G + 256 * M)
    assert (plan["mount_point"], plan["device"]) == ("/var/lib/docker", "/dev/loop3")


def test_a_run_cut_after_the_truncate_refreshes_the_device_and_grows() -> None:
    snap = probe(file=2 * G + 256 * M)
    plan = grow.grow_plan(snap, variables(docker_storage_loop_size="2304M"))
    assert steps(plan) == (0, "/dev/loop3", "xfs")


def test_a_run_cut_after_the_refresh_grows_the_filesystem_alone() -> None:
    snap = probe(file=2 * G + 256 * M, device=2 * G + 256 * M)
    assert raised(snap) == (0, "", "xfs")


def test_a_grown_filesystem_is_done() -> None:
    snap = probe(fs=2 * G + 256 * M, file=2 * G + 256 * M, device=2 * G + 256 * M)
    assert raised(snap) == (0, "", "")


def test_a_tail_the_filesystem_cannot_use_is_left_alone() -> None:
    """xfs_growfs and resize2fs may leave up to a few MiB: not grown again at every run."""
    snap = probe(fs=2 * G + 256 * M - grow.SLACK, file=2 * G + 256 * M, device=2 * G + 256 * M)
    assert raised(snap) == (0, "", "")
    snap["backing_fs"]["fs_bytes"] -= 4096
    assert raised(snap) == (0, "", "xfs")


def test_a_few_bytes_more_grow_the_file_but_not_the_filesystem() -> None:
    plan = grow.grow_plan(probe(), variables(docker_storage_loop_size=str(2 * G + 4096)))
    assert steps(plan) == (2 * G + 4096, "/dev/loop3", "")


def test_an_ext4_grows_by_its_device() -> None:
    snap = probe()
    snap["backing_fs"]["fstype"] = "ext4"
    plan = grow.grow_plan(snap, variables(docker_storage_loop_size="3G"))
    assert steps(plan) == (3 * G, "/dev/loop3", "ext4")
    assert plan["device"] == "/dev/loop3"


@pytest.mark.parametrize("fstype", ["btrfs", "ext3", ""])
def test_a_filesystem_the_role_does_not_make_is_not_grown(fstype: str) -> None:
    snap = probe(file=3 * G, device=3 * G)
    snap["backing_fs"]["fstype"] = fstype
    assert steps(grow.grow_plan(snap, variables())) == (0, "", "")


def test_a_filesystem_whose_size_was_not_read_is_not_grown() -> None:
    snap = probe(file=3 * G, device=3 * G)
    snap["backing_fs"]["fs_bytes"] = None
    assert steps(grow.grow_plan(snap, variables(docker_storage_loop_size="3G"))) == (0, "", "")


@pytest.mark.parametrize(
    "change",
    [
        {"mounted": False},
        {"backing_file": "/var/lib/other.img", "realdevice": "/dev/loop9"},
    ],
)
def test_a_data_root_not_mounted_from_the_source_grows_nothing(change: dict[str, Any]) -> None:
    """Made or mounted by this run at the size it has; someone else's mount is refused."""
    snap = probe()
    snap["backing_fs"].update(change)
    assert steps(grow.grow_plan(snap, variables(docker_storage_loop_size="3G"))) == (0, "", "")


def lvextended(fs: int = 10 * G, lv: int = 20 * G) -> dict[str, Any]:
    """An xfs on an LV that lvextend made larger, without --resizefs."""
    return {
        "backing_fs": {
            "mounted": True,
            "device": "/dev/mapper/vg0-docker",
            "realdevice": "/dev/dm-0",
            "backing_file": "",
            "fstype": "xfs",
            "device_bytes": lv,
            "fs_bytes": fs,
        },
        "source": {"exists": True, "is_block": True, "realpath": "/dev/dm-0", "size": lv},
    }


def on_device(**changed: Any) -> dict[str, Any]:
    return variables(
        docker_storage_loop_file="", docker_storage_source="/dev/vg0/docker", **changed
    )


def test_an_lv_larger_than_its_filesystem_is_grown_into() -> None:
    plan = grow.grow_plan(lvextended(), on_device())
    assert steps(plan) == (0, "", "xfs")
    assert (plan["fs_from"], plan["fs_to"]) == (10 * G, 20 * G)


def test_without_docker_storage_grow_filesystem_an_lv_is_left_alone() -> None:
    off = on_device(docker_storage_grow_filesystem="false")
    assert steps(grow.grow_plan(lvextended(), off)) == (0, "", "")


def test_an_lv_the_size_of_its_filesystem_grows_nothing() -> None:
    assert steps(grow.grow_plan(lvextended(lv=10 * G), on_device())) == (0, "", "")


def test_a_raised_loop_size_is_grown_into_without_docker_storage_grow_filesystem() -> None:
    """The loop size asks for the size; the variable is about space found beyond it."""
    off = {"docker_storage_grow_filesystem": False}
    plan = grow.grow_plan(probe(), variables(docker_storage_loop_size="3G", **off))
    assert steps(plan) == (3 * G, "/dev/loop3", "xfs")
    # a file made larger by hand, beyond the size asked: not grown into
    snap = probe(file=3 * G, device=3 * G)
    assert steps(grow.grow_plan(snap, variables(**off))) == (0, "", "")
    assert steps(grow.grow_plan(snap, variables())) == (0, "", "xfs")


# ---------------------------------------------------------------------------------------
# What the reader gives the plan


XFS_INFO = """\
meta-data=/dev/loop1             isize=512    agcount=4, agsize=131072 blks
         =                       sectsz=512   attr=2, projid32bit=1
data     =                       bsize=4096   blocks=524288, imaxpct=25
         =                       sunit=0      swidth=0 blks
naming   =version 2              bsize=4096   ascii-ci=0, ftype=1
log      =internal log           bsize=4096   blocks=16384, version=2
realtime =none                   extsz=4096   blocks=0, rtextents=0
"""


def test_the_xfs_size_is_its_data_section() -> None:
    assert mounts.xfs_data_bytes(XFS_INFO) == 2 * G
    assert mounts.xfs_data_bytes("naming   =version 2              bsize=4096\n") is None


DUMPE2FS = """\
Filesystem volume name:   <none>
Block count:              589824
Reserved block count:     29491
Block size:               4096
Reserved GDT blocks:      127
"""


def test_the_ext4_size_is_its_block_count_times_its_block_size() -> None:
    assert mounts.ext4_bytes(DUMPE2FS) == 2 * G + 256 * M
    assert mounts.ext4_bytes(DUMPE2FS.replace("Block size", "Blocksize")) is None
    assert mounts.ext4_bytes("") is None


def test_a_block_device_size_is_read_in_sectors_of_512(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read = {"/sys/class/block/loop3/size": "4194304\n", "/sys/class/block/dm-0/size": "x\n"}
    monkeypatch.setattr(mounts, "read_text", lambda path, *a, **k: read.get(path))
    monkeypatch.setattr(mounts.os.path, "realpath", lambda path: path.replace("vg0-docker", "dm-0"))
    assert mounts.block_device_bytes("/dev/loop3") == 2 * G
    assert mounts.block_device_bytes("/dev/vg0-docker") is None
    assert mounts.block_device_bytes("/dev/loop7") is None
    assert mounts.block_device_bytes("overlay") is None


def test_the_plan_does_not_change_the_snapshot() -> None:
    snap = probe()
    kept = copy.deepcopy(snap)
    grow.grow_plan(snap, variables(docker_storage_loop_size="3G"))
    assert snap == kept


@pytest.mark.parametrize(
    ("status", "caps"),
    [
        ("CapBnd:\t000001ffffffffff\n", {"sys_admin": True, "sys_resource": True}),
        ("CapBnd:\t000001fffeffffff\n", {"sys_admin": True, "sys_resource": False}),
        ("CapBnd:\t0000000000000000\n", {"sys_admin": False, "sys_resource": False}),
        ("Name:\tpython3\n", {"sys_admin": None, "sys_resource": None}),
    ],
)
def test_the_capabilities_growth_needs_are_read_from_the_bounding_set(
    status: str, caps: dict[str, Any]
) -> None:
    assert mounts.capabilities(status) == caps
