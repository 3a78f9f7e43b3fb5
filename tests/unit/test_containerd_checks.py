"""The CTD checks on a containerd-store host read from real data: healthy passes, each
breakage fails the check that names it with an exact message, what cannot be seen is
cannot check, and the policy's image_store decides which store's checks are asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks

from . import containerd_store as store
from . import snapshots as s

CTD = {f"CTD-{n:03d}" for n in range(1, 9)}
USE = {c.id for c in checks.CHECKS if c.id.startswith("USE-")} - {"USE-005"}
OVL = {f"OVL-{n:03d}" for n in range(1, 11)}
Snapshot = dict[str, Any]


def outcomes(snap: Snapshot, **given: Any) -> dict[str, dict[str, Any]]:
    policy, errors = checks.validate(given)
    assert errors == []
    return {o["id"]: o for o in checks.results(snap, policy)}


def failing(snap: Snapshot, **given: Any) -> dict[str, list[str]]:
    return {i: o["problems"] for i, o in outcomes(snap, **given).items() if o["status"] == "fail"}


def test_a_healthy_containerd_host_passes_every_ctd_check(section: dict[str, Any]) -> None:
    found = outcomes(store.healthy(section))
    assert {i: found[i]["status"] for i in CTD} == dict.fromkeys(CTD, "pass")
    assert {found[i]["status"] for i in OVL} == {"skip"}
    assert found["OVL-003"]["reason"] == (
        "policy image_store is any and the engine uses the containerd store"
    )
    assert failing(store.healthy(section)) == {}


# ---- breakages -------------------------------------------------------------------------------

C0, C1, C2 = store.MADE["chains_a"]
WEB, API = store.WEB, store.API


def snap_of(section: dict[str, Any]) -> Snapshot:
    return store.healthy(section)


def unreadable(snap: Snapshot) -> None:
    snap["containerd"]["error"] = "metadata.db: not a bbolt database: no bbolt magic at byte 16"


def layer_missing(snap: Snapshot) -> None:
    del snap["containerd"]["snapshots"][C2]


def layer_not_committed(snap: Snapshot) -> None:
    snap["containerd"]["snapshots"][C1]["kind"] = "active"


def wrong_parent(snap: Snapshot) -> None:
    snap["containerd"]["snapshots"][C1]["parent"] = ""


def orphan_dir(snap: Snapshot) -> None:
    snap["containerd"]["dirs"]["999"] = {"fs": True, "work": True}


def dir_missing(snap: Snapshot) -> None:
    del snap["containerd"]["dirs"]["4"]


def work_missing(snap: Snapshot) -> None:
    snap["containerd"]["dirs"]["6"]["work"] = False


def mounted_over_wrong_lower(snap: Snapshot) -> None:
    snap["containerd"]["mounts"][0]["lower_ids"] = ["5", "2", "3", "1"]


def mounted_wrong_upper(snap: Snapshot) -> None:
    snap["containerd"]["mounts"][0]["upper_id"] = "8"


def not_mounted(snap: Snapshot) -> None:
    del snap["containerd"]["mounts"][0]


def init_over_other_image(snap: Snapshot) -> None:
    snap["containers"][0]["image"] = store.IMAGES[1]["id"]


def stopped_but_mounted(snap: Snapshot) -> None:
    snap["containers"][1]["running"] = False


def removed_container(snap: Snapshot) -> None:
    del snap["containers"][1]
    del snap["containerd"]["mounts"][1]


def removed_container_init_left(snap: Snapshot) -> None:
    removed_container(snap)
    del snap["containerd"]["snapshots"][API]
    del snap["containerd"]["dirs"]["8"]


def store_on_the_root_filesystem(snap: Snapshot) -> None:
    snap["containerd"]["on_data_root_filesystem"] = False


# a breakage that also fails other checks, as it should: the mounts follow the snapshots
ALSO = {"layer_missing": {"CTD-004", "CTD-005"}, "wrong_parent": {"CTD-005"}}


SNAPS = "/root/io.containerd.snapshotter.v1.overlayfs"


@pytest.mark.parametrize(
    ("breakage", "check_id", "problems"),
    [
        (
            unreadable,
            "CTD-001",
            [
                "containerd at /run/containerd/containerd.sock (root {root}): metadata.db: not "
                "a bbolt database: no bbolt magic at byte 16"
            ],
        ),
        (
            layer_missing,
            "CTD-002",
            [
                f"image app:latest: layer {store.MADE['diffs_a'][2]} has no snapshot {C2}",
                f"image committed:latest: layer {store.MADE['diffs_a'][2]} has no snapshot {C2}",
            ],
        ),
        (
            layer_not_committed,
            "CTD-002",
            [
                f"image app:latest: snapshot {C1} is active, not committed",
                f"image committed:latest: snapshot {C1} is active, not committed",
            ],
        ),
        (
            wrong_parent,
            "CTD-003",
            [
                f"image app:latest: snapshot {C1} has parent 'none', want '{C0}'",
                f"image committed:latest: snapshot {C1} has parent 'none', want '{C0}'",
            ],
        ),
        (orphan_dir, "CTD-004", ["snapshot dir {dir}/snapshots/999 belongs to no snapshot"]),
        (
            dir_missing,
            "CTD-004",
            [f"committed snapshot {store.MADE['chain_b']} has no dir snapshots/4"],
        ),
        (work_missing, "CTD-004", [f"active snapshot {WEB}: snapshots/6 lacks work"]),
        (
            mounted_over_wrong_lower,
            "CTD-005",
            ["web: mount lowerdir is snapshot ['5', '2', '3', '1'], want ['5', '3', '2', '1']"],
        ),
        (
            mounted_wrong_upper,
            "CTD-005",
            ["web: mount upperdir is snapshot 8, want 6"],
        ),
        (not_mounted, "CTD-005", ["web: 0 rootfs overlay mounts, want 1"]),
        (
            init_over_other_image,
            "CTD-005",
            [
                f"web: snapshot {WEB[:12]}-init has parent '{C2}', the image's top layer is "
                f"{store.MADE['chain_b']}"
            ],
        ),
        (
            stopped_but_mounted,
            "CTD-006",
            ["overlay on {data}/rootfs/overlayfs/" + API + " belongs to no running container"],
        ),
        (
            removed_container,
            "CTD-007",
            [f"active snapshot {API} belongs to no container"],
        ),
        (
            removed_container_init_left,
            "CTD-007",
            [f"snapshot {API}-init belongs to no container and has no children"],
        ),
        (
            store_on_the_root_filesystem,
            "CTD-008",
            [
                "containerd's snapshots ({dir}) are not on the data root's filesystem "
                "(/var/lib/docker)"
            ],
        ),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_each_breakage_fails_its_check_with_what_was_found(
    section: dict[str, Any],
    breakage: Callable[[Snapshot], None],
    check_id: str,
    problems: list[str],
) -> None:
    snap = snap_of(section)
    breakage(snap)
    base = section["root"][: -len("/root")]
    want = [p.format(root=section["root"], dir=base + SNAPS, data=base + "/data") for p in problems]
    found = failing(snap)
    assert {i for i in found if i.startswith("CTD")} == {check_id, *ALSO.get(breakage.__name__, ())}
    assert found[check_id] == want


def test_removed_container_with_a_committed_child_leaves_no_orphan(
    section: dict[str, Any],
) -> None:
    # gone-init outlives docker rm of "gone": docker commit made it a parent
    assert f"{store.GONE}-init" in section["snapshots"]
    assert "CTD-007" not in failing(snap_of(section))


# ---- what cannot be seen, and what the policy asks ---------------------------------------------


def test_an_unreadable_store_is_cannot_check_for_the_others(section: dict[str, Any]) -> None:
    snap = snap_of(section)
    unreadable(snap)
    found = outcomes(snap)
    cannot = {i for i, o in found.items() if o["status"] == "cannot_check"}
    assert cannot == CTD - {"CTD-001"} | USE
    assert (
        found["CTD-002"]["reason"]
        == found["USE-001"]["reason"]
        == (
            "the containerd store cannot be read: metadata.db: not a bbolt database: no bbolt "
            "magic at byte 16"
        )
    )


@pytest.mark.parametrize(
    ("blind", "reason"),
    [
        (lambda snap: snap.pop("containerd"), "the containerd store was not read"),
        (
            lambda snap: snap["images"][0].update(diff_ids=[]),
            "the RootFS layers of 1 image were not read",
        ),
    ],
)
def test_what_a_ctd_check_cannot_see_is_cannot_check(
    section: dict[str, Any], blind: Callable[[Snapshot], None], reason: str
) -> None:
    snap = snap_of(section)
    blind(snap)
    found = outcomes(snap)
    assert found["CTD-002"]["status"] == "cannot_check"
    assert found["CTD-002"]["reason"].startswith(reason)


def test_policy_overlay2_fails_a_containerd_host_and_skips_ctd(section: dict[str, Any]) -> None:
    found = outcomes(snap_of(section), image_store="overlay2")
    assert found["CFG-018"]["problems"] == [
        "the engine uses the containerd image store (driver 'overlayfs', driver-type "
        "io.containerd.snapshotter.v1), policy image_store wants overlay2"
    ]
    assert {found[i]["status"] for i in CTD} == {"skip"}
    assert found["CTD-001"]["reason"] == "policy image_store is overlay2"
    # as for any other driver: OVL-001 fails, the layer store cannot be checked
    assert found["OVL-001"]["status"] == "fail"
    assert {found[i]["status"] for i in OVL - {"OVL-001"}} == {"cannot_check"}


def test_policy_containerd_fails_an_overlay2_host_and_cannot_check_ctd() -> None:
    found = outcomes(s.healthy(), image_store="containerd")
    assert found["CFG-018"]["problems"] == [
        "the engine uses the graphdriver image store (driver 'overlay2', driver-type none), "
        "policy image_store wants containerd"
    ]
    assert {found[i]["status"] for i in OVL} == {"skip"}
    assert {found[i]["status"] for i in CTD} == {"cannot_check"}
    assert found["CTD-003"]["reason"] == (
        "the engine uses the graph driver store: it has no containerd snapshots"
    )


def test_policy_naming_the_hosts_store_passes_cfg_018(section: dict[str, Any]) -> None:
    assert outcomes(snap_of(section), image_store="containerd")["CFG-018"]["status"] == "pass"
    assert outcomes(s.healthy(), image_store="overlay2")["CFG-018"]["status"] == "pass"
    assert outcomes(s.healthy())["CFG-018"]["reason"] == "policy image_store is any"


def test_a_wrong_image_store_is_refused_by_the_policy() -> None:
    assert checks.validate({"image_store": "btrfs"})[1] == [
        "image_store: 'btrfs' is not one of overlay2, containerd, any"
    ]


def test_tmp_tree_is_where_the_fixture_says(section: dict[str, Any]) -> None:
    assert Path(section["snapshots_dir"], "metadata.db").is_file()


@pytest.mark.parametrize(
    ("same", "policy_given", "status", "reason"),
    [
        (None, {}, "cannot_check", "the filesystem of "),
        (False, {"data_root_own_filesystem": False}, "skip", "policy data_root_own_filesystem"),
        (True, {}, "pass", ""),
    ],
)
def test_store_filesystem_unknown_or_not_asked(
    section: dict[str, Any],
    same: bool | None,
    policy_given: dict[str, Any],
    status: str,
    reason: str,
) -> None:
    snap = snap_of(section)
    snap["containerd"]["on_data_root_filesystem"] = same
    valid, errors = checks.validate(policy_given)
    assert errors == []
    (outcome,) = [o for o in checks.results(snap, valid) if o["id"] == "CTD-008"]
    assert outcome["status"] == status
    assert outcome.get("reason", "").startswith(reason)
