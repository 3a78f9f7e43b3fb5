"""The layerwise checks on synthetic snapshots: a healthy host passes, each breakage is named."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from . import snapshots as s
from .conftest import load

checks = load("module_utils/overlay2_checks.py")

Snapshot = dict[str, Any]


def failing(snap: Snapshot) -> dict[str, list[str]]:
    return {r["id"]: r["problems"] for r in checks.failed(snap)}


def test_a_healthy_host_passes_every_check() -> None:
    assert failing(s.healthy()) == {}


def test_every_check_has_a_unique_id_a_title_and_a_remediation() -> None:
    ids = [c.id for c in checks.CHECKS]
    assert len(ids) == len(set(ids))
    assert all(c.title and c.remediation for c in checks.CHECKS)
    assert [r["id"] for r in checks.results(s.healthy())] == ids


def test_chain_ids_follow_docker() -> None:
    """A parent/diff/chain triple read off a real host's layerdb."""
    parent = "sha256:f7f8d1ef980e626b6fde568971fad5075da1035b318c9ca953d3682aa9a2d1e5"
    diff = "sha256:07055cb84ca75862d9f2b1638407f58481858ed1b56fbc65f0eb9b2bbd7ae78e"
    chain = "sha256:006c885a277be08585c7dc0b695c78583c415c556480228ce6469fc749f720dd"
    assert checks.chain_ids([parent, diff]) == [parent, chain]


def test_lower_chain_of_a_container_is_init_then_image_top_to_base() -> None:
    wanted = checks.expected_lower(s.healthy())
    assert wanted[s.CONTAINER] == [s.INIT, s.TOP, s.BASE]
    assert wanted[s.INIT] == [s.TOP, s.BASE]
    assert wanted[s.TOP] == [s.BASE]
    assert s.BASE not in wanted


def dangling_link(snap: Snapshot) -> None:
    snap["overlay2"]["links"]["GONEAAAAAAAAAAAAAAAAAAAAAA"] = "../" + "d" * 64 + "/diff"


def lower_names_missing_layer(snap: Snapshot) -> None:
    snap["overlay2"]["layers"][s.TOP]["lower"] = ["l/MISSINGAAAAAAAAAAAAAAAAAA"]


def lower_in_wrong_order(snap: Snapshot) -> None:
    snap["overlay2"]["layers"][s.INIT]["lower"].reverse()


def orphan_dir(snap: Snapshot) -> None:
    s.add_unreferenced_layer(snap, "e" * 64, "ORPHANAAAAAAAAAAAAAAAAAAAA")


def merged_left_by_removed_container(snap: Snapshot) -> None:
    snap["containers"] = []
    snap["layerdb"]["mounts"] = {}
    for name in (s.CONTAINER, s.INIT):
        del snap["overlay2"]["layers"][name]
        del snap["overlay2"]["links"][s.LINKS[name]]


def merged_left_by_stopped_container(snap: Snapshot) -> None:
    snap["containers"][0]["running"] = False


def base_layer_with_lower(snap: Snapshot) -> None:
    snap["overlay2"]["layers"][s.BASE]["parts"].update(s.parts("lower"))


def child_layer_without_work(snap: Snapshot) -> None:
    del snap["overlay2"]["layers"][s.TOP]["parts"]["work"]


def layer_dir_missing(snap: Snapshot) -> None:
    del snap["overlay2"]["layers"][s.TOP]
    del snap["overlay2"]["links"][s.LINKS[s.TOP]]


def layer_dir_open_to_others(snap: Snapshot) -> None:
    snap["overlay2"]["layers"][s.TOP]["mode"] = 0o755


def another_driver(snap: Snapshot) -> None:
    snap["docker"].update(driver="vfs")


def inspect_disagrees_with_mount(snap: Snapshot) -> None:
    snap["containers"][0]["graph_driver"]["data"]["UpperDir"] = "/elsewhere/diff"


def running_container_not_mounted(snap: Snapshot) -> None:
    snap["overlay_mounts"] = []


def image_layer_not_in_layerdb(snap: Snapshot) -> None:
    snap["images"][0]["diff_ids"].append("sha256:" + "3" * 64)


@pytest.mark.parametrize(
    ("breakage", "failed_ids", "named"),
    [
        (dangling_link, {"OVL-007"}, "GONEAAAA"),
        (lower_names_missing_layer, {"OVL-006"}, "MISSING"),
        (lower_in_wrong_order, {"OVL-006"}, "parent chain"),
        (orphan_dir, {"OVL-008"}, "e" * 64),
        (merged_left_by_removed_container, {"OVL-009"}, f"{s.CONTAINER}/merged"),
        (merged_left_by_stopped_container, {"OVL-009"}, f"{s.CONTAINER}/merged"),
        (base_layer_with_lower, {"OVL-005"}, "also holds lower"),
        (child_layer_without_work, {"OVL-005"}, "lacks work"),
        (layer_dir_missing, {"OVL-003", "OVL-006", "OVL-010"}, s.TOP),
        (layer_dir_open_to_others, {"OVL-002"}, "open to others"),
        (another_driver, {"OVL-001"}, "'vfs'"),
        (inspect_disagrees_with_mount, {"OVL-010"}, "/elsewhere/diff"),
        (running_container_not_mounted, {"OVL-010"}, "0 overlay mounts"),
        (image_layer_not_in_layerdb, {"OVL-004"}, "3" * 64),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_a_broken_host_fails_the_check_that_names_it(
    breakage: Callable[[Snapshot], None], failed_ids: set[str], named: str
) -> None:
    snap = s.healthy()
    breakage(snap)
    found = failing(snap)
    assert set(found) == failed_ids
    assert any(named in problem for problems in found.values() for problem in problems), found


def test_a_snapshot_without_layers_has_nothing_to_check_but_the_driver() -> None:
    snap = s.healthy()
    for key in ("overlay2", "layerdb", "images", "containers", "overlay_mounts"):
        del snap[key]
    assert failing(snap) == {}


@pytest.mark.parametrize(("buildkit", "failed_ids"), [(True, set()), (False, {"OVL-008"})])
def test_buildkit_cache_dirs_are_not_orphans(buildkit: bool, failed_ids: set[str]) -> None:
    """BuildKit records its cache in <root>/buildkit, not in the layer database."""
    snap = s.healthy()
    snap["overlay2"]["buildkit"] = buildkit
    s.add_unreferenced_layer(snap, "j9cv4hnpokcyfoh1uhz81hn4a", "CACHEAAAAAAAAAAAAAAAAAAAAA")
    assert set(failing(snap)) == failed_ids


def test_findings_read_as_one_message_with_the_fix() -> None:
    snap = s.healthy()
    for n in range(5):
        snap["overlay2"]["links"][f"GONE{n}AAAAAAAAAAAAAAAAAAAAA"] = f"../{n}/diff"
    message = checks.describe(checks.failed(snap))
    assert message.startswith("OVL-007 Every l/ link points to")
    assert "(and 2 more)" in message
    assert "Fix: Dangling l/ links" in message
    assert checks.describe([]) == ""


def test_child_dirs_are_the_dirs_with_an_expected_lower() -> None:
    snap = s.healthy()
    assert checks.child_dirs(snap) == set(checks.expected_lower(snap))
