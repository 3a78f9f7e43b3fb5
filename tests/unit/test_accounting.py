"""account() on synthetic snapshots of both image stores: each size the reader measured or
Docker recorded lands in its part on its filesystem, the parts are set against the
filesystem's used bytes to the byte, and a size that cannot be known is listed in
cannot_size with its reason (its filesystem then incomplete), never counted as 0."""

from __future__ import annotations

import copy
import os
from typing import Any, Callable

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_checks import (
    accounting as a,
)

from . import containerd_store as store
from . import snapshots as s

Snapshot = dict[str, Any]
ROOT = "/var/lib/docker"
APP = "sha256:" + "a" * 64
MIB = 1 << 20


def parts(**given: int) -> dict[str, int]:
    """The thirteen parts, every one 0 but those given."""
    found = dict.fromkeys(a.KINDS, 0)
    found.update(given)
    return found


def walk(path: str, size: int, dev: int = 1) -> dict[str, Any]:
    return {"path": path, "dev": dev, "bytes": size, "files": 2}


def data_root(snap: Snapshot) -> dict[str, Any]:
    (found,) = [f for f in a.account(snap)["filesystems"] if f["name"] == "data_root"]
    return found


# ---- the overlay2 host ------------------------------------------------------------------------

# healthy(): image layers 100 + 50 (walked), writable 8192 + init 4096, log 12288, volume
# 1 MiB, the rest of the data root 65536: its used bytes to the byte
HEALTHY_USED = 150 + 8192 + 4096 + 12288 + MIB + 65536


def recorded(snap: Snapshot) -> Snapshot:
    """``snap`` as usage's default reads it: the image layers whose size the layerdb records
    are not walked (their recorded sizes count), nor are Docker's own records (no rest)."""
    usage = snap["usage"]
    usage["walked_layers"] = False
    for entry in snap["layerdb"]["layers"].values():
        if "size" in entry:
            del usage["walks"][f"{s.HOME}/{entry['cache_id']}"]
    usage["rest"] = {}
    return snap


D3 = "sha256:" + "3" * 64
OTHER_CHAIN = s.chain(s.DIFFS[0], D3)
OTHER_DIR = "d" * 64
OTHER_ID = "sha256:" + "b" * 64
UNUSED_CHAIN, UNUSED_DIR = "sha256:" + "5" * 64, "7" * 64
CACHE = "j9cv4hnpokcyfoh1uhz81hn4a"  # a BuildKit cache dir: 25 of [0-9a-z]
ORPHAN = "e" * 64
BUILDKIT = f"{ROOT}/buildkit"
HELD = {
    "path": f"{ROOT}/containers/{s.CID}/app.log",
    "mount": "",
    "dev": 1,
    "bytes": 40960,
    "pid": 4242,
    "command": "app",
    "container": s.CID,
}


def everything() -> Snapshot:
    """healthy() with a part of each kind the overlay2 store has: image other shares app's
    base layer (30 bytes of its own), a layer no image uses (7), each walked as recorded,
    BuildKit's store (20480) and a cache dir (3072), an orphan dir (5120), a deleted file held
    open (40960); the data root's filesystem uses 1493 bytes more than all of it."""
    snap = s.healthy()
    snap["layerdb"]["layers"][OTHER_CHAIN] = {
        "cache_id": OTHER_DIR,
        "diff": D3,
        "parent": s.DIFFS[0],
        "size": "30",
    }
    snap["layerdb"]["layers"][UNUSED_CHAIN] = {"cache_id": UNUSED_DIR, "size": "7"}
    snap["images"].append(
        {
            "id": OTHER_ID,
            "tags": ["other:1"],
            "diff_ids": [s.DIFFS[0], D3],
            "history": s.HISTORY[:2],
        }
    )
    usage = snap["usage"]
    usage["buildkit"] = BUILDKIT
    usage["walks"].update(
        {
            f"{s.HOME}/{OTHER_DIR}": walk(f"{s.HOME}/{OTHER_DIR}", 30),
            f"{s.HOME}/{UNUSED_DIR}": walk(f"{s.HOME}/{UNUSED_DIR}", 7),
            BUILDKIT: walk(BUILDKIT, 20480),
            f"{s.HOME}/{CACHE}": walk(f"{s.HOME}/{CACHE}", 3072),
            f"{s.HOME}/{ORPHAN}": walk(f"{s.HOME}/{ORPHAN}", 5120),
        }
    )
    usage["open_deleted"] = [dict(HELD)]
    usage["filesystems"]["data_root"]["used"] = 1_210_000
    return snap


EVERYTHING = parts(
    image_layers_shared=100,
    image_layers_unique=80,
    image_layers_unused=7,
    writable_layers=8192 + 4096,
    logs=12288,
    volumes=MIB,
    build_cache=20480 + 3072,
    orphans=5120,
    metadata=65536,
    open_deleted=40960,
)


def test_a_healthy_host_is_accounted_for_to_the_byte() -> None:
    found = a.account(s.healthy())
    assert (found["store"], found["layer_sizes"]) == ("overlay2", "walked")
    assert found["filesystems"] == [
        {
            "name": "data_root",
            "path": ROOT,
            "mount_point": True,
            "size": 10 * 2**30,
            "used": HEALTHY_USED,
            "free": 10 * 2**30 - HEALTHY_USED,
            "inodes": 5_000_000,
            "inodes_used": 100,
            "inodes_free": 4_999_900,
            "parts": parts(
                image_layers_unique=150,
                writable_layers=12288,
                logs=12288,
                volumes=MIB,
                metadata=65536,
            ),
            "accounted": HEALTHY_USED,
            "unaccounted": 0,
            "unaccounted_percent": 0.0,
            "complete": True,
        }
    ]
    assert found["cannot_size"] == []
    assert (found["orphans"], found["build_cache_bytes"], found["open_deleted"]) == ([], 0, [])


def test_a_healthy_host_read_with_recorded_sizes_leaves_dockers_records_unaccounted() -> None:
    found = a.account(recorded(s.healthy()))
    assert (found["store"], found["layer_sizes"]) == ("overlay2", "recorded")
    assert [row["bytes"] for row in found["layers"]] == [100, 50]
    (fs,) = found["filesystems"]
    assert fs["parts"] == parts(
        image_layers_unique=150, writable_layers=12288, logs=12288, volumes=MIB
    )
    assert (fs["accounted"], fs["unaccounted"], fs["complete"]) == (
        HEALTHY_USED - 65536,
        65536,
        True,
    )
    assert found["cannot_size"] == []


def test_each_part_lands_in_its_kind_on_the_data_root() -> None:
    (fs,) = a.account(everything())["filesystems"]
    assert fs["parts"] == EVERYTHING
    assert fs["accounted"] == sum(EVERYTHING.values()) == 1_208_507
    assert (fs["unaccounted"], fs["unaccounted_percent"], fs["complete"]) == (1493, 0.12, True)


@pytest.mark.parametrize(
    ("used", "unaccounted", "percent"),
    [
        (1_208_507, 0, 0.0),
        (1_208_507 * 4, 1_208_507 * 3, 75.0),
        (2_000_000, 791_493, 39.57),
        # the parts claim more than the filesystem uses: a negative rest, said as it is
        (1_208_000, -507, -0.04),
        # an empty filesystem: no share to give
        (0, -1_208_507, 0.0),
    ],
    ids=["exact", "three-quarters", "rounded", "parts-exceed-used", "nothing-used"],
)
def test_the_rest_of_the_used_bytes_is_what_the_parts_do_not_explain(
    used: int, unaccounted: int, percent: float
) -> None:
    snap = everything()
    snap["usage"]["filesystems"]["data_root"]["used"] = used
    fs = data_root(snap)
    assert (fs["used"], fs["accounted"]) == (used, 1_208_507)
    assert (fs["unaccounted"], fs["unaccounted_percent"]) == (unaccounted, percent)


def test_a_filesystem_that_says_nothing_of_its_used_bytes_is_all_parts() -> None:
    snap = s.healthy()
    del snap["usage"]["filesystems"]["data_root"]["used"]
    fs = data_root(snap)
    assert (fs["accounted"], fs["unaccounted"], fs["unaccounted_percent"]) == (
        HEALTHY_USED,
        -HEALTHY_USED,
        0.0,
    )


def test_layers_and_images_say_who_shares_what() -> None:
    found = a.account(everything())
    assert found["layers"] == [
        {"id": s.DIFFS[0], "dir": s.BASE, "bytes": 100, "images": [APP, OTHER_ID]},
        {"id": UNUSED_CHAIN, "dir": UNUSED_DIR, "bytes": 7, "images": []},
        {"id": OTHER_CHAIN, "dir": OTHER_DIR, "bytes": 30, "images": [OTHER_ID]},
        {"id": s.TOP_CHAIN, "dir": s.TOP, "bytes": 50, "images": [APP]},
    ]
    assert sorted(row["id"] for row in found["layers"]) == [row["id"] for row in found["layers"]]
    assert found["images"] == [
        {
            "id": APP,
            "tags": ["app:latest"],
            "layers": 2,
            "bytes": 150,
            "shared_bytes": 100,
            "unique_bytes": 50,
        },
        {
            "id": OTHER_ID,
            "tags": ["other:1"],
            "layers": 2,
            "bytes": 130,
            "shared_bytes": 100,
            "unique_bytes": 30,
        },
    ]


def test_an_image_without_tags_or_layers_is_an_empty_row() -> None:
    snap = s.healthy()
    snap["images"].append({"id": OTHER_ID})
    assert a.account(snap)["images"][1] == {
        "id": OTHER_ID,
        "tags": [],
        "layers": 0,
        "bytes": 0,
        "shared_bytes": 0,
        "unique_bytes": 0,
    }


def test_an_image_with_a_layer_that_cannot_be_sized_has_no_bytes() -> None:
    snap = recorded(everything())
    del snap["layerdb"]["layers"][s.TOP_CHAIN]["size"]
    found = a.account(snap)
    app, other = found["images"]
    assert (app["layers"], app["bytes"], app["shared_bytes"], app["unique_bytes"]) == (
        2,
        None,
        None,
        None,
    )
    # other's layers are all known: its numbers stand
    assert (other["bytes"], other["shared_bytes"], other["unique_bytes"]) == (130, 100, 30)
    assert found["layers"][3] == {"id": s.TOP_CHAIN, "dir": s.TOP, "bytes": None, "images": [APP]}
    (fs,) = found["filesystems"]
    assert (fs["parts"]["image_layers_unique"], fs["complete"]) == (30, False)


def test_an_image_naming_a_layer_the_layerdb_lacks_has_no_bytes() -> None:
    snap = s.healthy()
    snap["images"][0]["diff_ids"].append(D3)
    (app,) = a.account(snap)["images"]
    assert (app["layers"], app["bytes"], app["unique_bytes"]) == (3, None, None)


@pytest.mark.parametrize(
    ("size", "reason"),
    [
        (None, "its layerdb size file is missing or unreadable"),
        ("", "its layerdb size file is empty"),
        (" \n", "its layerdb size file is empty"),
        ("abc", "its layerdb size file holds 'abc', not a number"),
        ("-5", "its layerdb size file holds '-5', not a number"),
        ("1.5", "its layerdb size file holds '1.5', not a number"),
        ("9" * 39 + "xyz", f"its layerdb size file holds '{'9' * 39}x', not a number"),
    ],
    ids=["missing", "empty", "blank", "abc", "negative", "fraction", "long"],
)
def test_a_layer_size_docker_did_not_record_is_never_counted_as_0(
    size: str | None, reason: str
) -> None:
    snap = recorded(s.healthy())
    entry = snap["layerdb"]["layers"][s.DIFFS[0]]
    entry.pop("size")
    if size is not None:
        entry["size"] = size
    assert a.recorded_layer_size(entry) == (None, reason)
    found = a.account(snap)
    assert found["cannot_size"] == [
        {"what": f"image layer {s.DIFFS[0]}", "path": f"{s.HOME}/{s.BASE}", "reason": reason}
    ]
    assert found["layers"][0]["bytes"] is None
    assert found["images"][0]["bytes"] is None
    (fs,) = found["filesystems"]
    # TOP's 50 bytes are counted, BASE's 100 are not: they stay in what is not accounted for,
    # with Docker's records (not walked)
    assert (fs["parts"]["image_layers_unique"], fs["unaccounted"], fs["complete"]) == (
        50,
        100 + 65536,
        False,
    )


@pytest.mark.parametrize(
    ("text", "size"),
    [("100", 100), (" 12\n", 12), ("0", 0), ("007", 7)],
    ids=["plain", "padded", "zero", "leading-zeros"],
)
def test_a_recorded_size_is_read_as_docker_wrote_it(text: str, size: int) -> None:
    assert a.recorded_layer_size({"size": text}) == (size, "")
    snap = recorded(s.healthy())
    snap["layerdb"]["layers"][s.DIFFS[0]]["size"] = text
    found = a.account(snap)
    assert (found["layers"][0]["bytes"], found["cannot_size"]) == (size, [])


def test_a_size_file_holding_a_superscript_digit_cannot_be_sized() -> None:
    """'²' is a digit to str.isdigit() but no decimal: not a number, never a ValueError."""
    assert a.recorded_layer_size({"size": "²"}) == (
        None,
        "its layerdb size file holds '²', not a number",
    )
    snap = recorded(s.healthy())
    snap["layerdb"]["layers"][s.DIFFS[0]]["size"] = "²"
    assert a.account(snap)["cannot_size"] == [
        {
            "what": f"image layer {s.DIFFS[0]}",
            "path": f"{s.HOME}/{s.BASE}",
            "reason": "its layerdb size file holds '²', not a number",
        }
    ]


def test_a_layer_without_a_recorded_size_is_sized_by_its_walk() -> None:
    snap = recorded(s.healthy())
    del snap["layerdb"]["layers"][s.DIFFS[0]]["size"]
    path = f"{s.HOME}/{s.BASE}"
    snap["usage"]["walks"][path] = walk(path, 4096)
    found = a.account(snap)
    assert (found["layers"][0]["bytes"], found["cannot_size"]) == (4096, [])
    assert data_root(snap)["parts"]["image_layers_unique"] == 4096 + 50


def test_walked_layers_take_the_walks_not_the_recorded_sizes() -> None:
    snap = s.healthy()
    usage = snap["usage"]
    usage["walked_layers"] = True
    for name, size in ((s.BASE, 12288), (s.TOP, 8192)):
        usage["walks"][f"{s.HOME}/{name}"] = walk(f"{s.HOME}/{name}", size)
    found = a.account(snap)
    assert found["layer_sizes"] == "walked"
    assert [row["bytes"] for row in found["layers"]] == [12288, 8192]
    assert found["images"][0]["bytes"] == 20480
    assert data_root(snap)["parts"]["image_layers_unique"] == 20480


@pytest.mark.parametrize(
    ("walked", "reason"),
    [
        (None, "it was not measured"),
        ({"path": f"{s.HOME}/{s.TOP}", "error": "Permission denied"}, "Permission denied"),
    ],
    ids=["not-walked", "walk-failed"],
)
def test_a_walked_layer_without_its_walk_cannot_be_sized_though_recorded(
    walked: dict[str, Any] | None, reason: str
) -> None:
    snap = s.healthy()
    usage = snap["usage"]
    usage["walked_layers"] = True
    usage["walks"][f"{s.HOME}/{s.BASE}"] = walk(f"{s.HOME}/{s.BASE}", 12288)
    del usage["walks"][f"{s.HOME}/{s.TOP}"]
    if walked is not None:
        usage["walks"][f"{s.HOME}/{s.TOP}"] = walked
    found = a.account(snap)
    assert found["cannot_size"] == [
        {"what": f"image layer {s.TOP_CHAIN}", "path": f"{s.HOME}/{s.TOP}", "reason": reason}
    ]
    assert [row["bytes"] for row in found["layers"]] == [12288, None]


def test_no_usage_is_refused() -> None:
    snap = s.healthy()
    for usage in (None, {}):
        snap["usage"] = usage
        with pytest.raises(ValueError, match=r"^the snapshot holds no usage: read it with usage"):
            a.account(snap)
    del snap["usage"]
    with pytest.raises(ValueError, match="holds no usage"):
        a.account(snap)


# ---- containers: writable and init layers, logs, rotation -------------------------------------


def test_a_container_row_says_its_layers_log_and_rotation() -> None:
    (row,) = a.account(s.healthy())["containers"]
    assert row == {
        "id": s.CID,
        "name": "web",
        "running": True,
        "writable_bytes": 8192,
        "init_bytes": 4096,
        "log_path": s.LOG,
        "log_driver": "json-file",
        "rotates": True,
        "rotation": "json-file, max-size 10m, max-file 3",
        "log_bytes": 12288,
    }


@pytest.mark.parametrize(
    ("log", "reason"),
    [
        ({"path": s.LOG, "error": "No such file or directory"}, "No such file or directory"),
        (None, "it was not measured"),
    ],
    ids=["walk-failed", "not-measured"],
)
def test_a_log_that_cannot_be_sized_is_listed(log: dict[str, Any] | None, reason: str) -> None:
    snap = s.healthy()
    snap["usage"]["logs"] = {s.CID: log} if log else {}
    found = a.account(snap)
    assert found["cannot_size"] == [
        {"what": "log of container web", "path": s.LOG, "reason": reason}
    ]
    assert (found["containers"][0]["log_bytes"], found["containers"][0]["log_path"]) == (
        None,
        s.LOG,
    )
    (fs,) = found["filesystems"]
    assert (fs["parts"]["logs"], fs["unaccounted"], fs["complete"]) == (0, 12288, False)


def test_the_log_path_is_the_one_the_reader_measured() -> None:
    snap = s.healthy()
    local = f"{ROOT}/containers/{s.CID}/local-logs/container.log"
    snap["containers"][0].update(log_path="", log_driver="local", log_options={})
    snap["usage"]["logs"][s.CID] = {"path": local, "bytes": 12288, "files": 1}
    (row,) = a.account(snap)["containers"]
    assert (row["log_path"], row["log_bytes"], row["rotates"]) == (local, 12288, True)


def test_a_driver_that_keeps_no_log_file_counts_none() -> None:
    snap = s.healthy()
    snap["containers"][0].update(log_path="", log_driver="journald", log_options={})
    snap["usage"]["logs"] = {}
    found = a.account(snap)
    (row,) = found["containers"]
    assert (row["log_bytes"], row["rotates"], row["log_driver"]) == (None, None, "journald")
    assert found["cannot_size"] == []
    assert data_root(snap)["parts"]["logs"] == 0


@pytest.mark.parametrize(
    ("driver", "options", "rotates", "rotation"),
    [
        (
            "json-file",
            {"max-size": "10m", "max-file": "3"},
            True,
            "json-file, max-size 10m, max-file 3",
        ),
        ("json-file", {"max-size": "10m"}, True, "json-file, max-size 10m, max-file 1"),
        ("json-file", {}, False, "json-file without max-size: the log grows without limit"),
        (
            "json-file",
            {"max-size": "-1", "max-file": "3"},
            False,
            "json-file without max-size: the log grows without limit",
        ),
        ("local", {}, True, "local, max-size 20m, max-file 5"),
        ("local", {"max-size": "1g", "max-file": "2"}, True, "local, max-size 1g, max-file 2"),
        ("local", {"max-size": "-1"}, False, "local, max-size -1, max-file 5"),
        ("journald", {"max-size": "10m"}, None, "journald log driver: no log file on this host"),
        ("none", {}, None, "none log driver: no log file on this host"),
        ("", {}, None, "no log driver: no log file on this host"),
    ],
    ids=[
        "json-file",
        "json-file-default-max-file",
        "json-file-unbounded",
        "json-file-minus-one",
        "local-defaults",
        "local-set",
        "local-minus-one",
        "journald",
        "none",
        "unknown",
    ],
)
def test_log_rotation_as_the_container_was_created(
    driver: str, options: dict[str, str], rotates: bool | None, rotation: str
) -> None:
    assert a.log_rotation({"log_driver": driver, "log_options": options}) == (rotates, rotation)


def test_log_rotation_of_a_container_that_says_nothing() -> None:
    assert a.log_rotation({}) == (None, "no log driver: no log file on this host")
    assert a.log_rotation({"log_driver": "local"}) == (True, "local, max-size 20m, max-file 5")


def test_an_unnamed_container_is_an_empty_name() -> None:
    snap = s.healthy()
    del snap["containers"][0]["name"]
    del snap["containers"][0]["running"]
    (row,) = a.account(snap)["containers"]
    assert (row["name"], row["running"]) == ("", False)


@pytest.mark.parametrize(
    "unnamed",
    [
        lambda snap: snap["layerdb"]["mounts"].clear(),
        lambda snap: snap["layerdb"]["mounts"][s.CID].update(mount_id="", init_id=""),
        lambda snap: snap["layerdb"].pop("mounts"),
    ],
    ids=["no-mount", "empty-ids", "no-mounts-read"],
)
def test_a_container_whose_store_names_no_dirs_cannot_be_sized(
    unnamed: Callable[[Snapshot], None],
) -> None:
    snap = s.healthy()
    unnamed(snap)
    found = a.account(snap)
    assert found["cannot_size"] == [
        {
            "what": "writable layer of container web",
            "path": "",
            "reason": "the store names no dir for it",
        },
        {
            "what": "init layer of container web",
            "path": "",
            "reason": "the store names no dir for it",
        },
    ]
    row = found["containers"][0]
    assert (row["writable_bytes"], row["init_bytes"]) == (None, None)
    # the layer dirs' walks are not the container's any more: they are orphans
    assert [o["path"] for o in found["orphans"]] == [
        f"{s.HOME}/{s.CONTAINER}",
        f"{s.HOME}/{s.INIT}",
    ]


def test_a_container_without_an_init_layer_has_none_and_no_reason() -> None:
    snap = s.healthy()
    snap["layerdb"]["mounts"][s.CID]["init_id"] = ""
    del snap["usage"]["walks"][f"{s.HOME}/{s.INIT}"]
    found = a.account(snap)
    assert found["containers"][0]["init_bytes"] is None
    assert found["cannot_size"] == [
        {
            "what": "init layer of container web",
            "path": "",
            "reason": "the store names no dir for it",
        }
    ]
    # no dir: nothing on any filesystem is left unsized
    assert data_root(snap)["complete"] is True


@pytest.mark.parametrize(
    ("walked", "reason"),
    [(None, "it was not measured"), ({"error": "Input/output error"}, "Input/output error")],
    ids=["not-walked", "walk-failed"],
)
def test_a_writable_layer_that_cannot_be_walked_cannot_be_sized(
    walked: dict[str, Any] | None, reason: str
) -> None:
    snap = s.healthy()
    path = f"{s.HOME}/{s.CONTAINER}"
    snap["usage"]["walks"].pop(path)
    if walked is not None:
        snap["usage"]["walks"][path] = {"path": path, **walked}
    found = a.account(snap)
    assert found["cannot_size"] == [
        {"what": "writable layer of container web", "path": path, "reason": reason}
    ]
    assert found["containers"][0]["writable_bytes"] is None
    assert found["orphans"] == []
    assert data_root(snap)["complete"] is False


def test_an_init_layer_that_failed_its_walk_says_why() -> None:
    snap = s.healthy()
    path = f"{s.HOME}/{s.INIT}"
    snap["usage"]["walks"][path] = {"path": path, "error": "Permission denied"}
    assert a.account(snap)["cannot_size"] == [
        {"what": "init layer of container web", "path": path, "reason": "Permission denied"}
    ]


def test_an_overlay2_init_layer_that_was_not_walked_cannot_be_sized() -> None:
    snap = s.healthy()
    path = f"{s.HOME}/{s.INIT}"
    del snap["usage"]["walks"][path]
    found = a.account(snap)
    assert [(c["what"], c["path"]) for c in found["cannot_size"]] == [
        ("init layer of container web", path)
    ]
    assert found["containers"][0]["init_bytes"] is None
    (fs,) = found["filesystems"]
    assert (fs["parts"]["writable_layers"], fs["unaccounted"], fs["complete"]) == (
        8192,
        4096,
        False,
    )


def test_an_overlay2_init_layer_that_was_not_walked_says_it_was_not_measured() -> None:
    snap = s.healthy()
    path = f"{s.HOME}/{s.INIT}"
    del snap["usage"]["walks"][path]
    assert a.account(snap)["cannot_size"] == [
        {"what": "init layer of container web", "path": path, "reason": "it was not measured"}
    ]


# ---- volumes, build cache, orphans, records, deleted files -----------------------------------


def test_a_volume_row_says_its_bytes_and_users() -> None:
    snap = s.healthy()
    snap["containers"].append({"id": "8" * 64, "name": "api", "volumes": ["data", "cache"]})
    snap["containers"][0]["name"] = "zweb"
    lone = "/var/lib/docker/volumes/lone/_data"
    snap["usage"]["volumes"].append({"name": "lone", "driver": "local", "mountpoint": lone})
    snap["usage"]["walks"][lone] = walk(lone, 4096)
    found = a.account(snap)
    assert found["volumes"] == [
        {"name": "data", "driver": "local", "bytes": MIB, "used_by": ["api", "zweb"]},
        {"name": "lone", "driver": "local", "bytes": 4096, "used_by": []},
    ]


@pytest.mark.parametrize(
    ("walked", "reason"),
    [
        (None, "it was not measured"),
        ({"error": "No such file or directory"}, "No such file or directory"),
    ],
    ids=["vanished", "walk-failed"],
)
def test_a_volume_that_cannot_be_walked_cannot_be_sized(
    walked: dict[str, Any] | None, reason: str
) -> None:
    snap = s.healthy()
    snap["usage"]["walks"].pop(s.VOLUME)
    if walked is not None:
        snap["usage"]["walks"][s.VOLUME] = {"path": s.VOLUME, **walked}
    found = a.account(snap)
    assert found["volumes"] == [
        {"name": "data", "driver": "local", "bytes": None, "used_by": ["web"]}
    ]
    assert found["cannot_size"] == [{"what": "volume data", "path": s.VOLUME, "reason": reason}]
    (fs,) = found["filesystems"]
    assert (fs["parts"]["volumes"], fs["unaccounted"], fs["complete"]) == (0, MIB, False)


def test_a_volume_without_a_driver_says_none() -> None:
    snap = s.healthy()
    del snap["usage"]["volumes"][0]["driver"]
    assert a.account(snap)["volumes"][0]["driver"] == ""


def test_volumes_the_engine_did_not_list_are_listed_as_unsized() -> None:
    snap = s.healthy()
    snap["usage"].update(volumes=[], volumes_error="connection reset by peer")
    snap["usage"]["walks"].pop(s.VOLUME)
    found = a.account(snap)
    assert found["cannot_size"] == [
        {"what": "volumes", "path": "", "reason": "connection reset by peer"}
    ]
    assert found["volumes"] == []
    # the reader then walked the volumes with the rest of the data root: all its bytes counted
    assert data_root(snap)["complete"] is True


def test_build_cache_dirs_orphans_and_buildkit_are_told_apart() -> None:
    snap = everything()
    for name, size in (("J9CV4HNPOKCYFOH1UHZ81HN4A", 512), (CACHE[:24], 1024), ("l2", 2048)):
        snap["usage"]["walks"][f"{s.HOME}/{name}"] = walk(f"{s.HOME}/{name}", size)
    found = a.account(snap)
    assert found["build_cache_bytes"] == 20480 + 3072
    assert found["orphans"] == [
        {"path": f"{s.HOME}/J9CV4HNPOKCYFOH1UHZ81HN4A", "bytes": 512},
        {"path": f"{s.HOME}/{ORPHAN}", "bytes": 5120},
        {"path": f"{s.HOME}/{CACHE[:24]}", "bytes": 1024},
        {"path": f"{s.HOME}/l2", "bytes": 2048},
    ]
    (fs,) = found["filesystems"]
    assert (fs["parts"]["build_cache"], fs["parts"]["orphans"]) == (23552, 5120 + 512 + 1024 + 2048)


def test_walks_outside_the_layer_dirs_are_not_orphans() -> None:
    snap = s.healthy()
    for path in (f"{ROOT}/overlay2x/{ORPHAN}", f"{ROOT}/{ORPHAN}"):
        snap["usage"]["walks"][path] = walk(path, 999)
    found = a.account(snap)
    assert found["orphans"] == []
    assert data_root(snap)["accounted"] == HEALTHY_USED


def test_an_orphan_or_build_cache_that_cannot_be_walked_is_listed() -> None:
    snap = everything()
    for name in (CACHE, ORPHAN):
        snap["usage"]["walks"][f"{s.HOME}/{name}"] = {"path": name, "error": "Stale file handle"}
    snap["usage"]["walks"][BUILDKIT] = {"path": BUILDKIT, "error": "Stale file handle"}
    found = a.account(snap)
    assert found["cannot_size"] == [
        {"what": "BuildKit's store", "path": BUILDKIT, "reason": "Stale file handle"},
        {
            "what": f"unreferenced dir {ORPHAN}",
            "path": f"{s.HOME}/{ORPHAN}",
            "reason": "Stale file handle",
        },
        {"what": "build cache", "path": f"{s.HOME}/{CACHE}", "reason": "Stale file handle"},
    ]
    assert found["build_cache_bytes"] == 0
    assert found["orphans"] == [{"path": f"{s.HOME}/{ORPHAN}", "bytes": None}]


def test_the_rest_of_each_root_is_metadata() -> None:
    snap = s.healthy()
    snap["usage"]["rest"][f"{ROOT}/image"] = walk(f"{ROOT}/image", 4096)
    assert data_root(snap)["parts"]["metadata"] == 65536 + 4096
    snap["usage"]["rest"][ROOT] = {"path": ROOT, "error": "Permission denied"}
    found = a.account(snap)
    assert found["cannot_size"] == [
        {"what": f"the rest of {ROOT}", "path": ROOT, "reason": "Permission denied"}
    ]
    assert data_root(snap)["parts"]["metadata"] == 4096


def test_deleted_files_held_open_count_on_their_device() -> None:
    snap = s.healthy()
    snap["usage"]["filesystems"]["other"] = {"path": "/srv", "dev": 2, "used": 0}
    on_other = {**HELD, "path": f"{ROOT}/containers/x", "dev": 2, "bytes": 8192}
    elsewhere = {**HELD, "dev": 99, "bytes": 4096}
    snap["usage"]["open_deleted"] = [dict(HELD), on_other, elsewhere]
    found = a.account(snap)
    data, other = found["filesystems"]
    assert (data["parts"]["open_deleted"], other["parts"]["open_deleted"]) == (40960, 8192)
    assert sum(other["parts"].values()) == 8192
    # listed as the reader found them, wherever they are
    assert found["open_deleted"] == [HELD, on_other, elsewhere]
    assert found["cannot_size"] == []


def test_a_deleted_file_of_unknown_size_is_listed() -> None:
    snap = s.healthy()
    snap["usage"]["open_deleted"] = [{"path": f"{ROOT}/x.log", "command": "app"}]
    found = a.account(snap)
    assert found["cannot_size"] == [
        {"what": "deleted file held open by app", "path": f"{ROOT}/x.log", "reason": ""}
    ]
    assert data_root(snap)["complete"] is False


@pytest.mark.parametrize(
    ("given", "part"),
    [
        ({"used_when_empty": 20480, "inode_size": 512}, 20480 + 512 * 100),
        ({"used_when_empty": 20480, "inode_size": None}, 20480),
        ({"used_when_empty": 20480}, 20480),
        ({"used_when_empty": 0, "inode_size": 256}, 256 * 100),
        ({"used_when_empty": None, "inode_size": 512}, 0),
        ({}, 0),
    ],
    ids=["xfs", "no-inode-size", "ext4", "empty-zero", "no-record", "not-mounted"],
)
def test_the_filesystems_own_use_is_its_part(given: dict[str, Any], part: int) -> None:
    """What the filesystem used empty (the role's record) and its inodes (100 used in
    healthy()) on xfs; without a record, no part (it stays not accounted for)."""
    snap = s.healthy()
    snap["usage"]["filesystems"]["data_root"].update(given)
    fs = data_root(snap)
    assert fs["parts"]["filesystem"] == part
    assert (fs["accounted"], fs["unaccounted"], fs["complete"]) == (
        HEALTHY_USED + part,
        -part,
        True,
    )
    assert "dev" not in fs
    assert "inode_size" not in fs
    assert fs.get("used_when_empty") == given.get("used_when_empty")


def test_the_filesystem_part_follows_the_kinds_order() -> None:
    assert a.KINDS.index("filesystem") == a.KINDS.index("metadata") + 1
    assert a.KINDS.index("open_deleted") == a.KINDS.index("filesystem") + 1
    assert len(a.KINDS) == 13


# ---- the ledger: which filesystem a path is on -----------------------------------------------


def test_a_path_is_on_the_filesystem_of_its_longest_root() -> None:
    ledger = a.Ledger(
        {
            "data_root": {"path": ROOT, "dev": 1},
            "containerd_root": {"path": f"{ROOT}/containerd", "dev": 2},
            "broken": {"path": "/srv", "error": "Permission denied"},
            "root": {"path": "/", "dev": 3},
        }
    )
    assert ledger.dev_of(f"{ROOT}/containerd/daemon/x") == 2
    assert ledger.dev_of(f"{ROOT}/containerd") == 2
    assert ledger.dev_of(f"{ROOT}/containerdx") == 1
    assert ledger.dev_of(ROOT) == 1
    assert ledger.dev_of(f"{ROOT}x/y") == 3
    assert ledger.dev_of("/srv/x") == 3
    assert a.Ledger({"data_root": {"path": ROOT, "dev": 1}}).dev_of("/srv/x") is None


def test_a_size_on_no_known_filesystem_is_counted_nowhere() -> None:
    ledger = a.Ledger({"data_root": {"path": ROOT, "dev": 1}})
    assert ledger.add("logs", 5, "/srv/x.log", "log") == 5
    assert ledger.add("logs", None, "/srv/y.log", "log", "gone") is None
    assert (ledger.parts, ledger.incomplete) == ({}, set())
    assert ledger.cannot == [{"what": "log", "path": "/srv/y.log", "reason": "gone"}]
    assert ledger.add("logs", 7, f"{ROOT}/x", "log") == 7
    assert ledger.add("volumes", 9, "/srv/v", "volume", dev=1) == 9
    assert ledger.parts == {1: parts(logs=7, volumes=9)}


def test_a_filesystem_that_cannot_be_read_is_a_row_without_parts() -> None:
    snap = s.healthy()
    snap["usage"]["filesystems"] = {"data_root": {"path": ROOT, "error": "Permission denied"}}
    found = a.account(snap)
    assert found["filesystems"] == [
        {"name": "data_root", "path": ROOT, "error": "Permission denied"}
    ]


# ---- the containerd store ---------------------------------------------------------------------

C0, C1, C2 = store.MADE["chains_a"]
CB, C5 = store.MADE["chain_b"], store.MADE["c5"]
WEB, API, GONE = store.WEB, store.API, store.GONE


def filesystem(path: str, dev: int, used: int) -> dict[str, Any]:
    """A 10 GiB filesystem mounted at ``path`` as the usage reader measures it."""
    size = 10 * 2**30
    return {
        "path": path,
        "dev": dev,
        "mount_point": True,
        "size": size,
        "used": used,
        "free": size - used,
        "inodes": 5_000_000,
        "inodes_used": 100,
        "inodes_free": 4_999_900,
    }


def containerd_host(section: dict[str, Any], croot_dev: int) -> Snapshot:
    """The containerd store host with what usage: true measures of it: containerd's root on
    device ``croot_dev`` holds the snapshots (committed ones recorded at 4096 each, web's
    active 8192, api's 16384, the build view 4096, another namespace's 120 of 1024), the
    content store (2000000) and containerd's records (32768); the data root (device 1) holds
    the logs (12288, 4096), a volume (1 MiB) and Docker's records (65536)."""
    snap = store.healthy(section)
    croot = section["root"]
    base = f"{section['snapshots_dir']}/snapshots"
    content = f"{croot}/io.containerd.content.v1.content"
    walks = {f"{base}/{n}": walk(f"{base}/{n}", 1024, croot_dev) for n in section["other_ids"]}
    for name, size in (("6", 8192), ("8", 16384), ("133", 4096)):
        walks[f"{base}/{name}"] = walk(f"{base}/{name}", size, croot_dev)
    walks[content] = walk(content, 2_000_000, croot_dev)
    walks[s.VOLUME] = walk(s.VOLUME, MIB)
    logs = {}
    for row, size in zip(snap["containers"], (12288, 4096)):
        path = f"{ROOT}/containers/{row['id']}/{row['id']}-json.log"
        row.update(log_path=path, log_driver="json-file", log_options={"max-size": "10m"})
        logs[row["id"]] = {"path": path, "bytes": size, "files": 1}
    snap["containers"][0]["volumes"] = ["data"]
    snap["usage"] = {
        "walked_layers": False,
        "filesystems": {
            "data_root": filesystem(ROOT, 1, 2_000_000),
            "containerd_root": filesystem(croot, croot_dev, 3_000_000),
        },
        "walks": walks,
        "logs": logs,
        "volumes": [{"name": "data", "driver": "local", "mountpoint": s.VOLUME}],
        "volumes_error": "",
        "content_store": content,
        "buildkit": "",
        "rest": {ROOT: walk(ROOT, 65536), croot: walk(croot, 32768, croot_dev)},
        "open_deleted": [],
    }
    return snap


ON_CONTAINERD_ROOT = parts(
    image_layers_shared=3 * 4096,  # A's three layers: app's and committed's (the base: other's)
    image_layers_unique=2 * 4096,  # B's top (other), the committed layer (committed)
    writable_layers=8192 + 4096 + 16384 + 4096,  # web, web-init, api, api-init
    content_store=2_000_000,
    # the build view, the removed container's init snapshot, the other namespace's
    other_snapshots=4096 + 4096 + 120 * 1024,
    metadata=32768,
)
ON_DATA_ROOT = parts(logs=12288 + 4096, volumes=MIB, metadata=65536)


def test_containerd_root_on_its_own_device_is_its_own_filesystem(
    section: dict[str, Any],
) -> None:
    found = a.account(containerd_host(section, 2))
    assert found["store"] == "containerd"
    data, croot = found["filesystems"]
    assert (data["name"], data["parts"], data["accounted"]) == (
        "data_root",
        ON_DATA_ROOT,
        1_130_496,
    )
    assert (data["unaccounted"], data["unaccounted_percent"]) == (869_504, 43.48)
    assert (croot["name"], croot["path"]) == ("containerd_root", section["root"])
    assert croot["parts"] == ON_CONTAINERD_ROOT
    assert (croot["accounted"], croot["unaccounted"], croot["unaccounted_percent"]) == (
        2_217_088,
        782_912,
        26.1,
    )
    assert found["cannot_size"] == []
    assert found["orphans"] == []
    assert (croot["complete"], data["complete"]) == (True, True)


def test_containerd_root_on_the_data_roots_device_is_counted_once(
    section: dict[str, Any],
) -> None:
    (fs,) = a.account(containerd_host(section, 1))["filesystems"]
    assert (fs["name"], fs["used"]) == ("data_root", 2_000_000)
    assert fs["parts"] == {k: ON_DATA_ROOT[k] + ON_CONTAINERD_ROOT[k] for k in a.KINDS}
    assert (fs["accounted"], fs["unaccounted"]) == (3_347_584, -1_347_584)


def test_containerd_layers_images_and_containers(section: dict[str, Any]) -> None:
    found = a.account(containerd_host(section, 2))
    app, other, committed = (row["id"] for row in store.IMAGES)
    assert {row["id"]: (row["dir"], row["bytes"], row["images"]) for row in found["layers"]} == {
        C0: ("1", 4096, [app, other, committed]),
        C1: ("2", 4096, [app, committed]),
        C2: ("3", 4096, [app, committed]),
        CB: ("4", 4096, [other]),
        C5: ("11", 4096, [committed]),
    }
    assert [(r["bytes"], r["shared_bytes"], r["unique_bytes"]) for r in found["images"]] == [
        (12288, 12288, 0),
        (8192, 4096, 4096),
        (16384, 12288, 4096),
    ]
    assert [(r["name"], r["writable_bytes"], r["init_bytes"]) for r in found["containers"]] == [
        ("web", 8192, 4096),
        ("api", 16384, 4096),
    ]


def test_a_containerd_layer_no_image_uses_is_unused(section: dict[str, Any]) -> None:
    snap = containerd_host(section, 2)
    del snap["images"][2]  # committed: the committed layer (11) is nobody's now
    croot = a.account(snap)["filesystems"][1]["parts"]
    shared, unique, unused = (croot[f"image_layers_{k}"] for k in ("shared", "unique", "unused"))
    # A's upper layers are app's alone now
    assert (shared, unique, unused) == (4096, 3 * 4096, 4096)


def test_a_containerd_snapshot_without_a_recorded_size(section: dict[str, Any]) -> None:
    snap = containerd_host(section, 2)
    snapshots = snap["containerd"]["snapshots"]
    snapshots[C2]["size"] = None
    snapshots[f"{WEB}-init"]["size"] = None
    base = f"{section['snapshots_dir']}/snapshots"
    found = a.account(snap)
    assert found["cannot_size"] == [
        {
            "what": f"image layer {C2}",
            "path": f"{base}/3",
            "reason": "containerd recorded no size for the snapshot",
        },
        {
            "what": "init layer of container web",
            "path": f"{base}/5",
            "reason": "containerd recorded no size for it",
        },
    ]
    assert found["filesystems"][1]["complete"] is False
    assert found["filesystems"][0]["complete"] is True
    # the reader walks what has no recorded size: then the walk sizes it
    snap["usage"]["walks"][f"{base}/3"] = walk(f"{base}/3", 777, 2)
    snap["usage"]["walks"][f"{base}/5"] = walk(f"{base}/5", 555, 2)
    found = a.account(snap)
    assert found["cannot_size"] == []
    assert {row["id"]: row["bytes"] for row in found["layers"]}[C2] == 777
    assert found["containers"][0]["init_bytes"] == 555


def test_a_containerd_view_not_walked_cannot_be_sized(section: dict[str, Any]) -> None:
    snap = containerd_host(section, 2)
    base = f"{section['snapshots_dir']}/snapshots"
    del snap["usage"]["walks"][f"{base}/133"]
    assert a.account(snap)["cannot_size"] == [
        {
            "what": "snapshot build-view",
            "path": f"{base}/133",
            "reason": "containerd recorded no size for it",
        }
    ]


def test_containerd_dirs_of_another_namespace_and_orphans(section: dict[str, Any]) -> None:
    snap = containerd_host(section, 2)
    base = f"{section['snapshots_dir']}/snapshots"
    for name in ("999", CACHE):  # a BuildKit-like name is no build cache in this store
        snap["usage"]["walks"][f"{base}/{name}"] = walk(f"{base}/{name}", 2048, 2)
    snap["usage"]["walks"][f"{base}/13"] = {"path": f"{base}/13", "error": "Permission denied"}
    found = a.account(snap)
    assert found["orphans"] == [
        {"path": f"{base}/999", "bytes": 2048},
        {"path": f"{base}/{CACHE}", "bytes": 2048},
    ]
    assert found["build_cache_bytes"] == 0
    assert found["cannot_size"] == [
        {
            "what": "snapshot 13 of another namespace",
            "path": f"{base}/13",
            "reason": "Permission denied",
        }
    ]
    croot = found["filesystems"][1]["parts"]
    assert (croot["orphans"], croot["other_snapshots"]) == (4096, 4096 + 4096 + 119 * 1024)


def test_the_content_store_that_cannot_be_walked_is_listed(section: dict[str, Any]) -> None:
    snap = containerd_host(section, 2)
    content = snap["usage"]["content_store"]
    del snap["usage"]["walks"][content]
    found = a.account(snap)
    assert found["cannot_size"] == [
        {"what": "containerd's content store", "path": content, "reason": "it was not measured"}
    ]
    assert found["filesystems"][1]["parts"]["content_store"] == 0


def test_containerd_walked_layers_take_the_walks(section: dict[str, Any]) -> None:
    snap = containerd_host(section, 2)
    base = f"{section['snapshots_dir']}/snapshots"
    snap["usage"]["walked_layers"] = True
    for name in ("1", "2", "3", "4", "11", "5", "7"):
        snap["usage"]["walks"][f"{base}/{name}"] = walk(f"{base}/{name}", 100, 2)
    found = a.account(snap)
    assert found["layer_sizes"] == "walked"
    assert {row["bytes"] for row in found["layers"]} == {100}
    assert [(r["writable_bytes"], r["init_bytes"]) for r in found["containers"]] == [
        (8192, 100),
        (16384, 100),
    ]
    croot = found["filesystems"][1]["parts"]
    assert (croot["image_layers_shared"], croot["image_layers_unique"]) == (300, 200)


def test_a_containerd_container_without_snapshots_cannot_be_sized(
    section: dict[str, Any],
) -> None:
    snap = containerd_host(section, 2)
    snap["containerd"]["snapshots"].pop(API)
    snap["containerd"]["snapshots"][f"{API}-init"]["id"] = ""
    found = a.account(snap)
    assert found["containers"][1]["writable_bytes"] is None
    assert found["cannot_size"] == [
        {
            "what": "writable layer of container api",
            "path": "",
            "reason": "the store names no dir for it",
        },
        {
            "what": "init layer of container api",
            "path": "",
            "reason": "the store names no dir for it",
        },
    ]
    # api's active dir, walked, is no snapshot's any more
    base = f"{section['snapshots_dir']}/snapshots"
    assert found["orphans"] == [{"path": f"{base}/8", "bytes": 16384}]


def test_the_init_snapshot_of_a_removed_container_is_another_snapshot(
    section: dict[str, Any],
) -> None:
    """gone-init, kept as the parent of a committed layer, is no current container's: its
    recorded 4096 bytes are another snapshot's (the web and api -init snapshots are theirs)."""
    assert section["snapshots"][f"{GONE}-init"]["size"] == 4096
    found = a.account(containerd_host(section, 2))
    assert found["filesystems"][1]["parts"]["other_snapshots"] == 4096 + 4096 + 120 * 1024
    assert found["cannot_size"] == []
    without = containerd_host(section, 2)
    del without["containerd"]["snapshots"][f"{GONE}-init"]
    parts_without = a.account(without)["filesystems"][1]["parts"]
    assert parts_without["other_snapshots"] == 4096 + 120 * 1024


def test_a_walked_init_snapshot_of_a_removed_container_is_no_orphan(
    section: dict[str, Any],
) -> None:
    snap = containerd_host(section, 2)
    base = f"{section['snapshots_dir']}/snapshots"
    snap["usage"]["walked_layers"] = True
    for name in ("1", "2", "3", "4", "11", "5", "7", "9"):
        snap["usage"]["walks"][f"{base}/{name}"] = walk(f"{base}/{name}", 100, 2)
    found = a.account(snap)
    assert (found["orphans"], found["cannot_size"]) == ([], [])
    # it is another snapshot, sized by its walk (the layers were walked, not its record)
    other = found["filesystems"][1]["parts"]["other_snapshots"]
    assert other == 4096 + 100 + 120 * 1024


def test_the_store_layers_of_each_store(section: dict[str, Any]) -> None:
    assert a.store_layers(s.healthy()) == (
        "overlay2",
        s.HOME,
        {s.DIFFS[0]: (s.BASE, 100, ""), s.TOP_CHAIN: (s.TOP, 50, "")},
    )
    kind, base, found = a.store_layers(containerd_host(section, 2))
    assert (kind, base) == ("containerd", f"{section['snapshots_dir']}/snapshots")
    assert found == {
        key: (i, 4096, "") for key, i in ((C0, "1"), (C1, "2"), (C2, "3"), (CB, "4"), (C5, "11"))
    }
    assert a.store_layers({}) == ("containerd", "snapshots", {})


def test_container_dirs_of_each_store(section: dict[str, Any]) -> None:
    assert a.container_dirs(s.healthy(), s.HOME) == {
        s.CID: (f"{s.HOME}/{s.CONTAINER}", f"{s.HOME}/{s.INIT}")
    }
    assert a.container_dirs(containerd_host(section, 2), "/b") == {
        WEB: ("/b/6", "/b/5"),
        API: ("/b/8", "/b/7"),
    }


def test_size_of_takes_the_walk_only_when_asked_or_nothing_is_recorded() -> None:
    walks = {"/l": walk("/l", 10), "/e": {"path": "/e", "error": "gone"}}
    assert a.size_of(walks, "/l", 5, "", False) == (5, "")
    assert a.size_of(walks, "/l", None, "why", False) == (10, "")
    assert a.size_of(walks, "/m", None, "why", False) == (None, "why")
    assert a.size_of(walks, "/l", 5, "", True) == (10, "")
    assert a.size_of(walks, "/m", 5, "", True) == (None, "it was not measured")
    assert a.size_of(walks, "/e", None, "why", False) == (None, "gone")
    assert a.size_of(walks, "/e", 5, "", True) == (None, "gone")


def test_account_does_not_change_the_snapshot() -> None:
    snap = everything()
    kept = copy.deepcopy(snap)
    a.account(snap)
    assert snap == kept


# ---- what a snapshot leaves out, and sizes of 0 -----------------------------------------------


def test_a_snapshot_with_usage_and_nothing_else_is_an_empty_account() -> None:
    assert a.account({"usage": {"walked_layers": False}}) == {
        "store": "containerd",
        "layer_sizes": "recorded",
        "filesystems": [],
        "layers": [],
        "images": [],
        "containers": [],
        "volumes": [],
        "build_cache_bytes": 0,
        "orphans": [],
        "open_deleted": [],
        "cannot_size": [],
        "disagreements": [],
    }


def test_a_sparse_overlay2_snapshot_is_accounted_with_what_it_says() -> None:
    """Layers without a recorded size, a container and a volume, and a usage that holds
    only its filesystem: nothing was measured, each unknown is listed."""
    snap = {
        "overlay2": {"home": "/d/overlay2"},
        "layerdb": {
            "layers": {s.DIFFS[0]: {"cache_id": s.BASE}},
            "mounts": {s.CID: {"mount_id": s.CONTAINER}},
        },
        "images": [{"id": APP, "diff_ids": s.DIFFS[:1]}],
        "containers": [{"id": s.CID, "log_driver": "json-file", "volumes": ["v"]}],
        "usage": {
            "filesystems": {"data_root": {"path": "/d", "dev": 1, "used": 10}},
            "volumes": [{"name": "v"}],
        },
    }
    found = a.account(snap)
    assert found["cannot_size"] == [
        {
            "what": f"image layer {s.DIFFS[0]}",
            "path": f"/d/overlay2/{s.BASE}",
            "reason": "its layerdb size file is missing or unreadable",
        },
        {
            "what": "writable layer of container ",
            "path": f"/d/overlay2/{s.CONTAINER}",
            "reason": "it was not measured",
        },
        {"what": "init layer of container ", "path": "", "reason": "the store names no dir for it"},
        {"what": "log of container ", "path": "", "reason": "it was not measured"},
        {"what": "volume v", "path": "", "reason": "it was not measured"},
    ]
    (row,) = found["containers"]
    assert (row["log_path"], row["log_driver"], row["name"]) == ("", "json-file", "")
    assert found["volumes"] == [{"name": "v", "driver": "", "bytes": None, "used_by": [""]}]
    assert found["filesystems"][0]["parts"] == parts()
    assert (found["filesystems"][0]["accounted"], found["filesystems"][0]["complete"]) == (0, False)


def test_a_container_that_says_nothing_of_its_log_has_an_empty_log_driver() -> None:
    snap = s.healthy()
    for key in ("log_driver", "log_path", "log_options"):
        del snap["containers"][0][key]
    snap["usage"]["logs"] = {}
    (row,) = a.account(snap)["containers"]
    assert (row["log_driver"], row["log_path"], row["rotates"]) == ("", "", None)


def test_the_init_layer_is_sized_when_the_writable_layer_is_not_named() -> None:
    snap = s.healthy()
    snap["layerdb"]["mounts"][s.CID]["mount_id"] = ""
    found = a.account(snap)
    assert (found["containers"][0]["writable_bytes"], found["containers"][0]["init_bytes"]) == (
        None,
        4096,
    )
    assert data_root(snap)["parts"]["writable_layers"] == 4096


def test_a_walk_on_another_device_counts_there() -> None:
    """A volume whose data lies on another filesystem (mounted on its _data): its walk says
    the device, and its bytes count on that filesystem, not on the data root's."""
    snap = s.healthy()
    snap["usage"]["filesystems"]["other"] = {"path": "/srv", "dev": 2, "used": 2 * MIB}
    snap["usage"]["walks"][s.VOLUME]["dev"] = 2
    data, other = a.account(snap)["filesystems"]
    assert (data["parts"]["volumes"], other["parts"]["volumes"]) == (0, MIB)
    assert (other["accounted"], other["unaccounted"], other["unaccounted_percent"]) == (
        MIB,
        MIB,
        50.0,
    )


def test_a_filesystem_nothing_lies_on_is_all_unaccounted() -> None:
    snap = s.healthy()
    snap["usage"]["filesystems"]["other"] = {"path": "/srv", "dev": 7, "used": 300}
    other = a.account(snap)["filesystems"][1]
    assert other == {
        "name": "other",
        "path": "/srv",
        "used": 300,
        "parts": parts(),
        "accounted": 0,
        "unaccounted": 300,
        "unaccounted_percent": 100.0,
        "complete": True,
    }


def test_a_filesystem_that_cannot_be_read_leaves_the_others_reconciled() -> None:
    snap = s.healthy()
    fs = snap["usage"]["filesystems"]
    snap["usage"]["filesystems"] = {
        "broken": {"path": "/srv", "error": "Permission denied"},
        "data_root": fs["data_root"],
    }
    broken, data = a.account(snap)["filesystems"]
    assert broken == {"name": "broken", "path": "/srv", "error": "Permission denied"}
    assert (data["name"], data["accounted"], data["complete"]) == ("data_root", HEALTHY_USED, True)


def test_layers_of_0_bytes_count_0() -> None:
    snap = recorded(everything())
    snap["layerdb"]["layers"][s.DIFFS[0]]["size"] = "0"
    snap["layerdb"]["layers"][s.TOP_CHAIN]["size"] = "0"
    app, other = a.account(snap)["images"]
    assert (app["bytes"], app["shared_bytes"], app["unique_bytes"]) == (0, 0, 0)
    assert (other["bytes"], other["shared_bytes"], other["unique_bytes"]) == (30, 0, 30)


@pytest.mark.parametrize("home", [f"{s.HOME}/", "/srv/X"], ids=["trailing-slash", "ends-in-x"])
def test_orphans_are_the_dirs_in_the_home_whatever_its_spelling(home: str) -> None:
    snap = s.healthy()
    snap["overlay2"]["home"] = home
    usage = snap["usage"]
    usage["walks"] = {
        os.path.join(home, name): walk(os.path.join(home, name), size)
        for name, size in ((s.CONTAINER, 8192), (s.INIT, 4096), (ORPHAN, 5120))
    }
    usage["walks"]["/srv/vol"] = walk("/srv/vol", MIB)
    usage["volumes"][0]["mountpoint"] = "/srv/vol"
    found = a.account(snap)
    assert found["orphans"] == [{"path": os.path.join(home, ORPHAN), "bytes": 5120}]
    assert found["containers"][0]["writable_bytes"] == 8192


def test_a_deleted_file_that_says_nothing_of_its_path() -> None:
    snap = s.healthy()
    snap["usage"]["open_deleted"] = [{"command": "app", "dev": 1}]
    assert a.account(snap)["cannot_size"] == [
        {"what": "deleted file held open by app", "path": "", "reason": ""}
    ]


def test_a_ledger_root_that_says_nothing_of_its_path_is_every_path() -> None:
    # what a filesystem row without its path holds: a device, and no root to stand under
    assert a.Ledger({"fs": {"dev": 5}}).dev_of("/anything") == 5
    # a root whose name ends in the characters stripped off its end is still that root
    assert a.Ledger({"fs": {"path": "/mnt/X", "dev": 5}}).dev_of("/mnt/Y/z") is None
    # two filesystems at one root: the first one's
    both = {"a": {"path": "/x", "dev": 1}, "b": {"path": "/x", "dev": 2}}
    assert a.Ledger(both).dev_of("/x/y") == 1


def test_store_layers_and_container_dirs_of_sparse_snapshots() -> None:
    assert a.store_layers({"overlay2": {}}) == ("overlay2", "", {})
    assert a.store_layers({"overlay2": {}, "layerdb": {}}) == ("overlay2", "", {})
    assert a.store_layers({"overlay2": {}, "layerdb": {"layers": {"k": {"size": "5"}}}}) == (
        "overlay2",
        "",
        {"k": ("", 5, "")},
    )
    sparse = {"snapshots": {"sha256:k": {"kind": "committed", "size": 5}}, "snapshots_dir": "/c"}
    assert a.store_layers({"containerd": sparse}) == (
        "containerd",
        "/c/snapshots",
        {"sha256:k": ("", 5, "")},
    )
    assert a.container_dirs({"overlay2": {}}, "/b") == {}
    assert a.container_dirs({"overlay2": {}, "layerdb": {"mounts": {"c": {}}}}, "/b") == {
        "c": ("", "")
    }
    assert a.container_dirs({}, "/b") == {}
    assert a.container_dirs({"containers": [{"id": "c"}]}, "/b") == {"c": ("", "")}
    own = {"containerd": {"snapshots": {"c": {"id": "6"}}}, "containers": [{"id": "c"}]}
    assert a.container_dirs(own, "/b") == {"c": ("/b/6", "")}


def test_a_sparse_containerd_section_is_accounted(section: dict[str, Any]) -> None:
    snap = containerd_host(section, 2)
    kept = {k: v for k, v in snap["containerd"].items() if k not in ("other_ids", "snapshots")}
    snap["containerd"] = kept
    found = a.account(snap)
    assert found["layers"] == []
    # without other_ids, the other namespace's dirs are orphans; with no snapshots, the
    # containers' dirs are not named
    assert len(found["orphans"]) == 123


def test_another_snapshot_is_sized_as_recorded_or_by_its_dir(section: dict[str, Any]) -> None:
    snap = containerd_host(section, 2)
    base = f"{section['snapshots_dir']}/snapshots"
    snapshots = snap["containerd"]["snapshots"]
    snapshots["buildkit-ref"] = {"id": "12", "kind": "committed", "size": 2048}
    del snapshots["build-view"]["id"]
    found = a.account(snap)
    # build-view without its id: its dir is the snapshots dir itself, not measured
    assert found["cannot_size"] == [
        {
            "what": "snapshot build-view",
            "path": f"{base}/",
            "reason": "containerd recorded no size for it",
        }
    ]
    # buildkit-ref as recorded, gone-init's 4096, the other namespace's dirs walked
    assert found["filesystems"][1]["parts"]["other_snapshots"] == 2048 + 4096 + 120 * 1024
    # 133, not named by any snapshot now, is an orphan
    assert found["orphans"] == [{"path": f"{base}/133", "bytes": 4096}]


# ---- the containerd store's content: each image's blobs beside its snapshots -----------------


def blob_figures(found: dict[str, Any]) -> list[tuple[Any, ...]]:
    fields = ("blobs", "blob_bytes", "blob_shared_bytes", "blob_unique_bytes")
    return [tuple(row[f] for f in fields) for row in found["images"]]


def test_each_images_blobs_are_shown_apart_from_its_snapshots(section: dict[str, Any]) -> None:
    """containerd_store.BLOBS: app and committed share the base layers' blobs (B0 100000,
    B1 20000, B2 3000) and other B0; each has its manifest and config."""
    found = a.account(containerd_host(section, 2))
    assert blob_figures(found) == [
        # app: B0, B1, B2 shared with committed (B0 with other too); its manifest and config
        (5, 124_300, 123_000, 1_300),
        # other: B0 shared; its manifest, config and its own layer Bo
        (4, 108_210, 100_000, 8_210),
        # committed: the shared three, and its own B5, manifest and config
        (6, 124_870, 123_000, 1_870),
    ]
    # the snapshots' figures are the same as without blobs: the two are apart
    assert [(r["bytes"], r["shared_bytes"], r["unique_bytes"]) for r in found["images"]] == [
        (12288, 12288, 0),
        (8192, 4096, 4096),
        (16384, 12288, 4096),
    ]
    # the content store's bytes on disk are still its walk's, whatever the records say
    assert found["filesystems"][1]["parts"] == ON_CONTAINERD_ROOT
    assert found["cannot_size"] == []


def test_an_overlay2_image_has_no_blob_figures() -> None:
    found = a.account(s.healthy())
    assert found["images"]
    assert not any("blob_bytes" in row for row in found["images"])


def test_blobs_that_cannot_be_sized_are_listed_never_0(section: dict[str, Any]) -> None:
    _app, other, committed = (row["id"] for row in store.IMAGES)
    snap = containerd_host(section, 2)
    snap["containerd"]["content"][store.blob("Bo")] = None
    del snap["containerd"]["image_blobs"][committed]
    found = a.account(snap)
    # committed's blobs unread: app shares B1 and B2 with no image it can be told from
    assert blob_figures(found) == [
        (5, 124_300, 100_000, 24_300),
        (None, None, None, None),
        (None, None, None, None),
    ]
    assert found["cannot_size"] == [
        {
            "what": f"content-store blobs of image {other}",
            "path": "",
            "reason": f"containerd recorded no size for blob {store.blob('Bo')}",
        },
        {
            "what": f"content-store blobs of image {committed}",
            "path": "",
            "reason": "its blobs were not read",
        },
    ]
    # a blob's size unknown: the content store's walk still counts, its filesystem complete
    assert found["filesystems"][1]["complete"] is True
    snap["containerd"]["content_error"] = "meta.db: bad magic"
    again = a.account(snap)
    assert blob_figures(again) == [(None, None, None, None)] * 3
    assert [c["reason"] for c in again["cannot_size"]] == [
        "containerd's content records cannot be read: meta.db: bad magic"
    ] * 3


# ---- a recorded size that disagrees with the disk ---------------------------------------------


def disagreeing(recorded: int, walked: int, files: int, block: int) -> str:
    return (
        f"Docker recorded {recorded} bytes, a walk of the dir found {walked} bytes in {files}"
        f" inodes: {abs(walked - recorded)} bytes apart, more than block rounding ({files}"
        f" inodes x {block} bytes = {files * block}); the walk is counted: it is what the disk"
        " holds"
    )


def test_a_recorded_size_the_walk_contradicts_is_reported_and_the_walk_counted() -> None:
    """healthy()'s layerdb records 100 (base) and 50 (top); walked, a layer's dir may hold up
    to one block per inode more or less (block rounding, link, lower, work/): the top's 8192
    in 2 inodes agrees with 50 (8142 apart, 8192 allowed), the base's 12288 does not."""
    snap = s.healthy()
    usage = snap["usage"]
    usage["walks"][f"{s.HOME}/{s.BASE}"] = walk(f"{s.HOME}/{s.BASE}", 12288)
    usage["walks"][f"{s.HOME}/{s.TOP}"] = walk(f"{s.HOME}/{s.TOP}", 50 + 8192)
    found = a.account(snap)
    assert found["disagreements"] == [
        {
            "what": f"image layer {s.DIFFS[0]}",
            "path": f"{s.HOME}/{s.BASE}",
            "recorded": 100,
            "walked": 12288,
            "counted": "walked",
            "reason": disagreeing(100, 12288, 2, 4096),
        }
    ]
    # the walk is what is counted, and nothing is left unsized
    assert [row["bytes"] for row in found["layers"]] == [12288, 50 + 8192]
    assert data_root(snap)["parts"]["image_layers_unique"] == 12288 + 50 + 8192
    assert found["cannot_size"] == []
    # one byte more than block rounding allows is a disagreement too; fewer bytes as well
    usage["walks"][f"{s.HOME}/{s.TOP}"] = walk(f"{s.HOME}/{s.TOP}", 50 + 8193)
    usage["walks"][f"{s.HOME}/{s.BASE}"] = walk(f"{s.HOME}/{s.BASE}", 0)
    usage["filesystems"]["data_root"]["block_size"] = 16
    found = a.account(snap)
    assert [(d["path"], d["reason"]) for d in found["disagreements"]] == [
        (f"{s.HOME}/{s.BASE}", disagreeing(100, 0, 2, 16)),
        (f"{s.HOME}/{s.TOP}", disagreeing(50, 50 + 8193, 2, 16)),
    ]
    # the filesystem's block size is what rounding allows: 64 KiB blocks take both
    usage["filesystems"]["data_root"]["block_size"] = 65536
    assert a.account(snap)["disagreements"] == []
    assert a.brief(a.account(snap))["disagreement_count"] == 0


def test_recorded_sizes_taken_without_a_walk_are_not_compared() -> None:
    """Recorded sizes taken as they are (layers not walked) have nothing to disagree with."""
    snap = recorded(s.healthy())
    snap["usage"]["walks"][f"{s.HOME}/{s.BASE}"] = walk(f"{s.HOME}/{s.BASE}", 10 * MIB)
    found = a.account(snap)
    assert found["disagreements"] == []
    assert found["layers"][0]["bytes"] == 100


def test_containerd_recorded_sizes_are_set_against_their_walks(section: dict[str, Any]) -> None:
    """Committed snapshots (image layers, an init layer, another snapshot) recorded at 4096
    and walked: one layer, web's init layer and the removed container's init snapshot are
    far from what containerd recorded; the rest agree within block rounding."""
    snap = containerd_host(section, 2)
    base = f"{section['snapshots_dir']}/snapshots"
    snap["usage"]["walked_layers"] = True
    walks = snap["usage"]["walks"]
    for name in ("1", "3", "4", "11", "7"):
        walks[f"{base}/{name}"] = walk(f"{base}/{name}", 4096 + 8192, 2)
    walks[f"{base}/2"] = walk(f"{base}/2", 4096 + 8193, 2)
    walks[f"{base}/5"] = walk(f"{base}/5", 40960, 2)
    walks[f"{base}/9"] = walk(f"{base}/9", 4096 + 8193, 2)
    found = a.account(snap)
    assert [(d["what"], d["path"], d["recorded"], d["walked"]) for d in found["disagreements"]] == [
        (f"image layer {C1}", f"{base}/2", 4096, 12289),
        ("init layer of container web", f"{base}/5", 4096, 40960),
        (f"snapshot {GONE}-init", f"{base}/9", 4096, 12289),
    ]
    assert [d["reason"] for d in found["disagreements"]] == [
        disagreeing(4096, 12289, 2, 4096),
        disagreeing(4096, 40960, 2, 4096),
        disagreeing(4096, 12289, 2, 4096),
    ]
    assert {d["counted"] for d in found["disagreements"]} == {"walked"}
    assert [r["init_bytes"] for r in found["containers"]] == [40960, 4096 + 8192]
    brief = a.brief(found, top=2)
    assert (len(brief["disagreements"]), brief["disagreement_count"]) == (2, 3)
