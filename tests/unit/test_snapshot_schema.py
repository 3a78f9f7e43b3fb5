"""The snapshot's contract (schema/snapshot.schema.json): every synthetic snapshot the unit
tests build is one the reader could return, the reader's own output on a tree without an
engine is too, and the schema is strict enough to refuse what the reader never returns."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any, Callable

import jsonschema
import pytest

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import (
    params as options,
)
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import reader
from tests import snapshot_schema as contract

from . import containerd_store as store
from . import snapshots as s
from . import test_accounting as accounting
from .test_facts_reading import write_layer, write_layerdb

Section = dict[str, Any]

# Every builder of a whole snapshot the unit tests use, given the containerd section the
# reader reads from containerd_store's tree (tests/unit/conftest.py's ``section``). The
# tests that break a snapshot start from one of these.
BUILDERS: dict[str, Callable[[Section], dict[str, Any]]] = {
    "snapshots.healthy": lambda section: s.healthy(),
    "containerd_store.healthy": store.healthy,
    "test_accounting.everything": lambda section: accounting.everything(),
    "test_accounting.recorded": lambda section: accounting.recorded(s.healthy()),
    "test_accounting.containerd_host": lambda section: accounting.containerd_host(section, 2),
    "test_accounting.containerd_host_one_device": (
        lambda section: accounting.containerd_host(section, 1)
    ),
}
# Parts of a snapshot built on their own, by the section of the snapshot they are
PARTS: dict[str, tuple[str, Callable[[Section], Any]]] = {
    "conftest.section": ("containerd", lambda section: section),
    "snapshots.usage": ("usage", lambda section: s.usage()),
}


def test_the_schema_is_a_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(contract.schema())


# conditions on keys described elsewhere (if the engine is down, its error is not empty)
CONDITIONS = ("allOf", "oneOf", "anyOf", "not", "if", "then", "else")


def properties(node: Any, path: str = "") -> list[tuple[str, dict[str, Any], bool]]:
    """Every key the schema describes: (path, its schema, whether it is required)."""
    found = []
    if isinstance(node, dict):
        required = set(node.get("required", []))
        for name, prop in (node.get("properties") or {}).items():
            found.append((f"{path}/{name}", prop, name in required))
        for key, value in node.items():
            if key not in CONDITIONS:
                found += properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += properties(value, f"{path}/{index}")
    return found


def test_every_key_is_described_in_one_line_and_says_when_it_is_there() -> None:
    """A description on every key; a key the reader does not always write says when it does
    (x-returned, also in its description); a key it always writes is required."""
    described = properties(contract.schema())
    assert len(described) > 150, len(described)
    for path, prop, required in described:
        text = prop.get("description", "")
        assert text, f"{path}: no description"
        assert "\n" not in text, f"{path}: more than one line"
        when = prop.get("x-returned")
        assert required == (when is None), f"{path}: required or x-returned, one of them"
        assert when is None or when in text, f"{path}: its description does not say {when!r}"


def test_every_builder_of_the_unit_tests_is_listed() -> None:
    assert len(BUILDERS) >= 6
    assert len(PARTS) >= 2


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_a_synthetic_snapshot_is_one_the_reader_could_return(name: str, section: Section) -> None:
    snap = BUILDERS[name](section)
    assert contract.problems(snap) == [], name
    assert snap["summary"] == reader.summary(snap), "summary is not what the reader makes of it"


@pytest.mark.parametrize("name", sorted(PARTS))
def test_a_synthetic_part_is_its_section_of_the_schema(name: str, section: Section) -> None:
    key, build = PARTS[name]
    assert contract.problems(build(section), key) == [], name


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A data root holding the healthy snapshot's two image layers and their layer database,
    a file, a dir, a symlink and a FIFO."""
    root = tmp_path / "docker"
    home = root / "overlay2"
    (home / "l").mkdir(parents=True)
    write_layer(home, s.BASE, [])
    write_layer(home, s.TOP, [s.BASE])
    write_layerdb(root / "image/overlay2")
    (root / "file").write_text("content")
    (root / "link").symlink_to("file")
    os.mkfifo(root / "fifo")
    return root


def read(root: Path, **given: Any) -> dict[str, Any]:
    """The reader's own snapshot of ``root``, on a host whose engine does not answer."""
    params = options.standalone_params(["reader", "--params"])
    params.update(docker_host=f"unix://{root}/none.sock", data_root=str(root), **given)
    return dict(json.loads(json.dumps(reader.snapshot(params))))


@pytest.mark.parametrize(
    "given",
    [{}, {"layers": False}, {"usage": True}, {"usage": True, "usage_walk_layers": True}],
    ids=["default", "no-layers", "usage", "usage-walk-layers"],
)
def test_the_readers_own_snapshot_is_what_the_schema_says(
    tree: Path, given: dict[str, Any]
) -> None:
    paths = [str(tree / n) for n in ("file", "link", "fifo", "overlay2", "none")] + ["/dev/null"]
    snap = read(tree, files=paths, digests=[s.BASE, "missing"], **given)
    assert snap["docker"]["answers"] is False
    assert ("overlay2" in snap, "usage" in snap) == (given.get("layers", True), "usage" in given)
    assert {f["type"] for f in snap["files"].values()} == {
        "file",
        "symlink",
        "fifo",
        "dir",
        "absent",
        "char",
    }
    assert snap["digests"]["missing"] is None
    assert contract.problems(snap) == []


# ---- the schema refuses what the reader never returns ----------------------------------------


Path_ = tuple[str, ...]


def parent(snap: dict[str, Any], path: Path_) -> Any:
    node: Any = snap
    for key in path[:-1]:
        node = node[key]
    return node


def drop(*path: str) -> Callable[[dict[str, Any]], None]:
    return lambda snap: parent(snap, path).pop(path[-1])


def put(*path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda snap: parent(snap, path).__setitem__(path[-1], value)


LAYER = ("overlay2", "layers", s.BASE)
SHOWN = f"overlay2/layers/{s.BASE}"
WALK = f"{s.HOME}/{s.BASE}"
MUTATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "a required key dropped": (drop("docker", "answers"), "snapshot/docker: 'answers' is a"),
    "a required section dropped": (drop("summary"), "snapshot: 'summary' is a required"),
    "a number as text": (put("backing_fs", "bytes_free", value="8G"), "snapshot/backing_fs/bytes"),
    "a bool as a number": (put("docker", "d_type", value=1), "snapshot/docker/d_type: 1 is not"),
    "null where there is always a value": (put("data_root", value=None), "snapshot/data_root:"),
    "a mode past 0o7777": (put(*LAYER, "mode", value=0o10000), f"snapshot/{SHOWN}/mode: 4096"),
    "an unknown key": (put(*LAYER, "size", value=1), f"snapshot/{SHOWN}: Additional properties"),
    "a layerdb key without sha256:": (
        put("layerdb", "layers", "abc", value={}),
        "snapshot/layerdb/layers: 'abc' does not match",
    ),
    "a file without its hash": (
        drop("daemon_json", "file", "sha256"),
        "snapshot/daemon_json/file: 'sha256' is a required",
    ),
    "daemon.json parsed without its backups": (
        drop("daemon_json", "backups"),
        "snapshot/daemon_json: 'backups' is a required property",
    ),
    "an absent path with a mode": (
        put("config_dir", "file", value={"type": "absent", "mode": 0o755}),
        "snapshot/config_dir/file: {'type': 'absent', 'mode': 493} has too many properties",
    ),
    "an unknown image store": (
        put("summary", "image_store", value="aufs"),
        "snapshot/summary/image_store: 'aufs' is not one of",
    ),
    "an engine down without a reason": (
        put("docker", "answers", value=False),
        "snapshot/docker/error: '' should be non-empty",
    ),
    "both layer stores": (put("containerd", value={}), "snapshot: {"),
    "overlay2 without its layer database": (drop("layerdb"), "snapshot: 'layerdb' is a dependency"),
    "a walk with neither bytes nor error": (
        drop("usage", "walks", WALK, "bytes"),
        f"snapshot/usage/walks/{WALK}: {{",
    ),
    "a negative free space": (
        put("usage", "filesystems", "data_root", "free", value=-1),
        "snapshot/usage/filesystems/data_root/free: -1 is less than the minimum of 0",
    ),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_the_schema_refuses_what_the_reader_never_returns(name: str) -> None:
    mutate, wanted = MUTATIONS[name]
    snap = s.healthy()
    assert contract.problems(snap) == []
    mutate(snap)
    found = contract.problems(snap)
    assert any(p.startswith(wanted) for p in found), found


def test_the_containerd_section_refuses_a_snapshot_id_that_is_not_a_number(
    section: Section,
) -> None:
    broken = copy.deepcopy(section)
    key = next(iter(broken["snapshots"]))
    broken["snapshots"][key]["id"] = "one"
    found = contract.problems(broken, "containerd")
    assert found[0].startswith(f"snapshot/containerd/snapshots/{key}/id: 'one' does not match")


def test_a_failure_names_each_place_and_stops_at_twenty() -> None:
    snap = s.healthy()
    for name in list(snap["overlay2"]["layers"]):
        snap["overlay2"]["layers"][name]["mode"] = "0710"
    snap["docker"]["images"] = -1
    found = contract.problems(snap)
    assert len(found) == 5
    assert found[0] == "snapshot/docker/images: -1 is less than the minimum of 0"
    text = contract.report(found * 5)
    assert text.startswith("25 differences from snapshot.schema.json:\n")
    assert text.endswith("\n... and 5 more")


def test_a_key_dropped_is_one_problem_not_one_per_condition_on_it() -> None:
    snap = s.healthy()
    del snap["docker"]["answers"]
    del snap["daemon_json"]["exists"]
    assert contract.problems(snap) == [
        "snapshot/daemon_json: 'exists' is a required property",
        "snapshot/docker: 'answers' is a required property",
    ]
