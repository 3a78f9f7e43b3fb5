"""The USE checks on synthetic snapshots: each passes at its limit and fails one byte (or one
hundredth of a percent) over it with the exact problem, the policy keys move the limits, a
snapshot read without usage is not asked, and a part the account could not size makes the
check that needs it cannot check, with the reason, never a pass."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_checks import (
    accounting,
    usage,
)

from . import snapshots as s

Snapshot = dict[str, Any]
# the checks judged from the host's account (USE-005 from the fleet's forecast, below)
USE = ("USE-001", "USE-002", "USE-003", "USE-004")
MIB = 1 << 20
WRITABLE = f"{s.HOME}/{s.CONTAINER}"
ROOT = "/var/lib/docker"


def outcome(snap: Snapshot, check_id: str, **given: Any) -> dict[str, Any]:
    valid, errors = checks.validate(given)
    assert errors == []
    (found,) = checks.results(snap, valid, [check_id])
    return found


def judged(snap: Snapshot, check_id: str, **given: Any) -> tuple[str, list[str], str]:
    found = outcome(snap, check_id, **given)
    return found["status"], found["problems"], found["reason"]


def with_writable(size: int) -> Snapshot:
    snap = s.healthy()
    snap["usage"]["walks"][WRITABLE]["bytes"] = size
    return snap


def test_a_healthy_host_passes_every_use_check() -> None:
    snap = s.healthy()
    assert [judged(snap, i) for i in USE] == [("pass", [], "")] * 4


def test_the_use_checks_are_registered_with_what_a_report_needs() -> None:
    found = {c.id: c for c in checks.CHECKS if c.id.startswith("USE-")}
    assert tuple(found) == (*USE, "USE-005")
    assert {i: c.severity for i, c in found.items()} == {
        "USE-001": "medium",
        "USE-002": "medium",
        "USE-003": "low",
        "USE-004": "medium",
        "USE-005": "high",
    }
    assert found["USE-003"].title == "The parts account for the data root filesystem's used bytes"
    assert found["USE-005"].title == (
        "The data root's filesystem is not forecast to fill within the policy's days"
    )


# ---- USE-001: writable layers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "status"),
    [(MIB - 1, "pass"), (MIB, "pass"), (MIB + 1, "fail")],
    ids=["under", "at", "over"],
)
def test_the_writable_layer_limit_is_inclusive(size: int, status: str) -> None:
    found = judged(with_writable(size), "USE-001", max_writable_layer_mb=1)
    problems = (
        ["container web holds 1.0 MiB in its writable layer, more than 1 MiB"]
        if status == "fail"
        else []
    )
    assert found == (status, problems, "")


def test_the_writable_layer_limit_is_the_policys() -> None:
    snap = with_writable(1536 * MIB)
    assert judged(snap, "USE-001") == (
        "fail",
        ["container web holds 1536.0 MiB in its writable layer, more than 1024 MiB"],
        "",
    )
    assert judged(snap, "USE-001", max_writable_layer_mb=1536)[0] == "pass"
    assert judged(snap, "USE-001", max_writable_layer_mb=1535)[1] == [
        "container web holds 1536.0 MiB in its writable layer, more than 1535 MiB"
    ]


def test_the_init_layer_does_not_count_against_the_limit() -> None:
    snap = with_writable(MIB)
    snap["usage"]["walks"][f"{s.HOME}/{s.INIT}"]["bytes"] = 5 * MIB
    assert judged(snap, "USE-001", max_writable_layer_mb=1)[0] == "pass"


@pytest.mark.parametrize(
    "unsized",
    [
        lambda snap: snap["usage"]["walks"].pop(WRITABLE),
        lambda snap: snap["usage"]["walks"].update({WRITABLE: {"path": "x", "error": "EIO"}}),
        lambda snap: snap["layerdb"]["mounts"].clear(),
    ],
    ids=["not-walked", "walk-failed", "no-dir"],
)
def test_a_writable_layer_that_cannot_be_sized_cannot_be_checked(
    unsized: Callable[[Snapshot], None],
) -> None:
    snap = s.healthy()
    unsized(snap)
    assert judged(snap, "USE-001") == (
        "cannot_check",
        [],
        "the writable layer of web cannot be sized",
    )


def accounting_with(*rows: dict[str, Any]) -> Snapshot:
    """healthy() with its account made and its container rows replaced by ``rows``; the usage
    it was made from removed: the checks take the account the module made."""
    snap = s.healthy()
    snap["accounting"] = accounting.account(snap)
    del snap["usage"]
    template = snap["accounting"]["containers"][0]
    snap["accounting"]["containers"] = [{**template, **row} for row in rows]
    return snap


def test_every_container_that_cannot_be_sized_is_named() -> None:
    snap = accounting_with(
        {"name": "web", "writable_bytes": None},
        {"name": "api", "writable_bytes": None},
        {"name": "db", "writable_bytes": MIB},
    )
    assert judged(snap, "USE-001", max_writable_layer_mb=1) == (
        "cannot_check",
        [],
        "the writable layer of api, web cannot be sized",
    )


def test_a_container_over_the_limit_fails_though_another_cannot_be_sized() -> None:
    snap = accounting_with(
        {"name": "web", "writable_bytes": None},
        {"name": "api", "writable_bytes": 3 * MIB},
        {"name": "db", "writable_bytes": 2 * MIB + 1},
    )
    assert judged(snap, "USE-001", max_writable_layer_mb=2) == (
        "fail",
        [
            "container api holds 3.0 MiB in its writable layer, more than 2 MiB",
            "container db holds 2.0 MiB in its writable layer, more than 2 MiB",
        ],
        "",
    )


# ---- USE-002: log rotation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("driver", "options", "problem"),
    [
        ("json-file", {"max-size": "10m"}, ""),
        ("json-file", {}, "json-file without max-size: the log grows without limit"),
        (
            "json-file",
            {"max-size": "-1"},
            "json-file without max-size: the log grows without limit",
        ),
        ("local", {}, ""),
        ("local", {"max-size": "-1", "max-file": "2"}, "local, max-size -1, max-file 2"),
        ("journald", {}, ""),
        ("none", {}, ""),
    ],
    ids=[
        "json-file-rotated",
        "json-file-unbounded",
        "json-file-minus-one",
        "local",
        "local-minus-one",
        "journald",
        "none",
    ],
)
def test_a_log_that_is_not_rotated_fails_with_what_it_holds(
    driver: str, options: dict[str, str], problem: str
) -> None:
    snap = s.healthy()
    snap["containers"][0].update(log_driver=driver, log_options=options)
    snap["usage"]["logs"][s.CID]["bytes"] = 5 * MIB + 1
    problems = [f"container web: {problem}, its log holds 5.0 MiB"] if problem else []
    assert judged(snap, "USE-002") == ("fail" if problem else "pass", problems, "")


def test_a_log_not_rotated_that_cannot_be_sized_still_fails() -> None:
    snap = s.healthy()
    snap["containers"][0]["log_options"] = {}
    snap["usage"]["logs"][s.CID] = {"path": s.LOG, "error": "No such file or directory"}
    assert judged(snap, "USE-002") == (
        "fail",
        ["container web: json-file without max-size: the log grows without limit"],
        "",
    )


def test_log_rotation_false_is_not_asked() -> None:
    snap = s.healthy()
    snap["containers"][0]["log_options"] = {}
    assert judged(snap, "USE-002", log_rotation=False) == (
        "skip",
        [],
        "policy log_rotation is false",
    )


# ---- USE-003: what the parts do not account for ------------------------------------------------

# what healthy()'s parts add up to: all its filesystem's used bytes
ACCOUNTED = 150 + 8192 + 4096 + 12288 + MIB + 65536


def unaccounted_by(extra: int, rest: int = 0) -> Snapshot:
    """healthy() whose filesystem uses ``extra`` bytes more than its parts explain."""
    snap = s.healthy()
    snap["usage"]["rest"][ROOT]["bytes"] += rest
    snap["usage"]["filesystems"]["data_root"]["used"] = ACCOUNTED + rest + extra
    return snap


def test_exactly_the_limit_of_unaccounted_bytes_passes() -> None:
    # 5% of used: parts of 19 * 59940 bytes, used 20 * 59940
    snap = unaccounted_by(59940, rest=19 * 59940 - ACCOUNTED)
    (fs,) = accounting.account(snap)["filesystems"]
    assert fs["unaccounted_percent"] == 5.0
    assert judged(snap, "USE-003") == ("pass", [], "")


def test_a_hundredth_of_a_percent_over_the_limit_fails() -> None:
    # 5.01% of 10000 * 1000 bytes
    snap = unaccounted_by(501_000, rest=9_499_000 - ACCOUNTED)
    assert judged(snap, "USE-003") == (
        "fail",
        [
            "0.5 MiB of the 9.5 MiB used on /var/lib/docker (5.01%) is not accounted for, "
            "more than 5%"
        ],
        "",
    )


def test_the_unaccounted_limit_is_the_policys() -> None:
    snap = unaccounted_by(200 * MIB, rest=300 * MIB - ACCOUNTED)
    assert judged(snap, "USE-003", max_unaccounted_percent=40) == ("pass", [], "")
    assert judged(snap, "USE-003", max_unaccounted_percent=39) == (
        "fail",
        [
            "200.0 MiB of the 500.0 MiB used on /var/lib/docker (40.0%) is not accounted for, "
            "more than 39%"
        ],
        "",
    )


def test_parts_that_claim_more_than_used_pass() -> None:
    assert judged(unaccounted_by(-1000), "USE-003", max_unaccounted_percent=0)[0] == "pass"


@pytest.mark.parametrize(
    ("blind", "reason"),
    [
        (
            lambda fs: fs.update(mount_point=False),
            "/var/lib/docker is not a filesystem of its own: the rest of the filesystem it is "
            "on is not Docker's to account for",
        ),
        (
            lambda fs: fs.pop("mount_point"),
            "/var/lib/docker is not a filesystem of its own: the rest of the filesystem it is "
            "on is not Docker's to account for",
        ),
        (
            lambda fs: fs.clear() or fs.update(path=ROOT, error="Permission denied"),
            "the filesystem of /var/lib/docker cannot be read: Permission denied",
        ),
    ],
    ids=["not-a-mount-point", "mount-point-unknown", "statvfs-failed"],
)
def test_a_filesystem_that_is_not_the_data_roots_own_cannot_be_checked(
    blind: Callable[[dict[str, Any]], None], reason: str
) -> None:
    snap = unaccounted_by(50 * MIB)  # it would fail
    blind(snap["usage"]["filesystems"]["data_root"])
    assert judged(snap, "USE-003") == ("cannot_check", [], reason)


def test_an_incomplete_account_cannot_be_checked() -> None:
    snap = s.healthy()
    del snap["usage"]["walks"][s.VOLUME]
    assert judged(snap, "USE-003") == (
        "cannot_check",
        [],
        "some parts on the filesystem of /var/lib/docker cannot be sized",
    )


def test_an_account_of_recorded_layer_sizes_is_not_asked() -> None:
    snap = s.healthy()
    snap["usage"]["walked_layers"] = False
    for name in (s.BASE, s.TOP):
        del snap["usage"]["walks"][f"{s.HOME}/{name}"]
    snap["usage"]["rest"] = {}
    assert accounting.account(snap)["layer_sizes"] == "recorded"
    assert judged(snap, "USE-003") == (
        "skip",
        [],
        "the account takes the layer sizes Docker recorded (overlay2's are apparent sizes)"
        " and leaves Docker's own records unwalked: walk them to judge the rest"
        " (overlay2_facts usage_walk_layers, layerwise compliance --walk-layers)",
    )
    # the other checks judge it as it is
    assert [judged(snap, i) for i in ("USE-001", "USE-002", "USE-004")] == [("pass", [], "")] * 3


def test_each_filesystem_is_judged() -> None:
    snap = s.healthy()
    croot = {**snap["usage"]["filesystems"]["data_root"], "path": "/srv/containerd", "dev": 2}
    snap["usage"]["filesystems"]["containerd_root"] = croot
    assert judged(snap, "USE-003") == (
        "fail",
        [
            "1.1 MiB of the 1.1 MiB used on /srv/containerd (100.0%) is not accounted for, "
            "more than 5%"
        ],
        "",
    )


# ---- USE-004: deleted files held open ----------------------------------------------------------


def holding(size: int, container: str = "") -> Snapshot:
    snap = s.healthy()
    snap["usage"]["open_deleted"] = [
        {
            "path": f"{ROOT}/containers/{s.CID}/app.log",
            "mount": "",
            "dev": 1,
            "bytes": size,
            "pid": 4242,
            "command": "app",
            "container": container,
        }
    ]
    return snap


@pytest.mark.parametrize(
    ("size", "status"),
    [(100 * MIB - 1, "pass"), (100 * MIB, "pass"), (100 * MIB + 1, "fail")],
    ids=["under", "at", "over"],
)
def test_the_open_deleted_limit_is_inclusive(size: int, status: str) -> None:
    problems = [
        f"{ROOT}/containers/{s.CID}/app.log (100.0 MiB) deleted, held open by app (pid 4242)"
    ]
    assert judged(holding(size), "USE-004") == (status, problems if status == "fail" else [], "")


def test_a_deleted_file_held_in_a_container_names_it() -> None:
    snap = holding(3 * MIB, container="0123456789abcdef" * 4)
    assert judged(snap, "USE-004", max_open_deleted_mb=2) == (
        "fail",
        [
            f"{ROOT}/containers/{s.CID}/app.log (3.0 MiB) deleted, held open by app (pid 4242)"
            " in container 0123456789ab"
        ],
        "",
    )
    assert judged(snap, "USE-004", max_open_deleted_mb=3)[0] == "pass"


# ---- USE-005: days until full -----------------------------------------------------------------


def forecast(days: int | None) -> Snapshot:
    snap = s.healthy()
    snap["forecast"] = {
        "days_until_full": days,
        "growth_per_day": 3 * MIB,
        "free": 42 * MIB,
        "since": "2026-01-01T00:00:00Z",
    }
    return snap


@pytest.mark.parametrize(
    ("days", "status"),
    [(13, "fail"), (14, "pass"), (15, "pass"), (None, "pass")],
    ids=["under", "at", "over", "not-growing"],
)
def test_the_days_until_full_limit_is_inclusive(days: int | None, status: str) -> None:
    problems = [
        "the data root's filesystem grows 3.0 MiB a day since 2026-01-01T00:00:00Z: its"
        " 42.0 MiB free last 13 days, fewer than 14"
    ]
    assert judged(forecast(days), "USE-005") == (status, problems if status == "fail" else [], "")


def test_the_days_until_full_limit_is_the_policys() -> None:
    assert judged(forecast(20), "USE-005", min_days_until_full=20)[0] == "pass"
    assert judged(forecast(20), "USE-005", min_days_until_full=21)[1] == [
        "the data root's filesystem grows 3.0 MiB a day since 2026-01-01T00:00:00Z: its"
        " 42.0 MiB free last 20 days, fewer than 21"
    ]


def test_days_until_full_without_a_forecast_is_not_asked_and_with_an_error_cannot_check() -> None:
    assert judged(s.healthy(), "USE-005") == (
        "skip",
        [],
        "days until full need the previous report: layerwise compliance --previous",
    )
    snap = s.healthy()
    snap["forecast"] = {"error": "the previous report did not measure this host"}
    assert judged(snap, "USE-005") == (
        "cannot_check",
        [],
        "the previous report did not measure this host",
    )


# ---- what the USE checks are not asked, or cannot see ------------------------------------------


def test_a_snapshot_read_without_usage_is_not_asked() -> None:
    snap = s.healthy()
    del snap["usage"]
    reason = "the disk usage was not measured (overlay2_facts usage: false)"
    assert [judged(snap, i) for i in USE] == [("skip", [], reason)] * 4


def test_the_account_the_module_made_is_the_one_judged() -> None:
    snap = s.healthy()
    snap["accounting"] = accounting.account(with_writable(2 * MIB))
    assert judged(snap, "USE-001", max_writable_layer_mb=1) == (
        "fail",
        ["container web holds 2.0 MiB in its writable layer, more than 1 MiB"],
        "",
    )
    # without usage, it is still judged
    del snap["usage"]
    assert judged(snap, "USE-001", max_writable_layer_mb=1)[0] == "fail"
    assert usage.accounted(snap) == snap["accounting"]
    assert usage.accounted(snap) is not snap["accounting"]


@pytest.mark.parametrize(
    ("blind", "reason"),
    [
        (
            lambda snap: snap["docker"].update(driver="vfs"),
            "the engine runs 'vfs', not overlay2: no overlay2 layer store",
        ),
        (
            lambda snap: snap.pop("layerdb"),
            "the layer store was not read (overlay2_facts with layers: false)",
        ),
        (
            lambda snap: (
                snap["docker"].update(
                    driver="overlayfs",
                    driver_status={"driver-type": "io.containerd.snapshotter.v1"},
                )
                or snap.update(containerd={"error": "metadata.db: no such file"})
            ),
            "the containerd store cannot be read: metadata.db: no such file",
        ),
        (
            lambda snap: snap["docker"].update(
                driver="overlayfs", driver_status={"driver-type": "io.containerd.snapshotter.v1"}
            ),
            "the containerd store was not read (overlay2_facts with layers: false)",
        ),
    ],
    ids=["another-driver", "layers-not-read", "containerd-unreadable", "containerd-not-read"],
)
def test_a_store_that_cannot_be_read_cannot_be_checked(
    blind: Callable[[Snapshot], None], reason: str
) -> None:
    snap = s.healthy()
    blind(snap)
    assert [judged(snap, i) for i in USE] == [("cannot_check", [], reason)] * 4


def test_log_rotation_false_is_not_asked_before_the_store_is_read() -> None:
    snap = s.healthy()
    snap["docker"]["driver"] = "vfs"
    assert judged(snap, "USE-002", log_rotation=False)[0] == "skip"


def test_accounted_refuses_a_snapshot_without_usage() -> None:
    with pytest.raises(checks.NotAsked, match=r"^the disk usage was not measured"):
        usage.accounted({})


def test_mib_says_one_decimal() -> None:
    assert [usage.mib(n) for n in (0, MIB // 10 + 1, MIB, 1536 * MIB + 1)] == [
        "0.0 MiB",
        "0.1 MiB",
        "1.0 MiB",
        "1536.0 MiB",
    ]
