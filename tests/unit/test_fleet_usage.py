"""The fleet's usage (layerwise/usage.py, fleet.report): each host's brief account kept as
sent (made safe), totals per group, the hosts nearest to full, the largest writable layers
and logs across the fleet, and against a previous report growth per day, days until full and
USE-005 judged by the fleet; a previous report that is not one is refused in one line."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
from layerwise import cli, fleet, usage, yamlfile

from . import snapshots as s

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 12, 7)
NOW = "2026-12-07T10:00:00+00:00"
GIB = 1 << 30


def brief(used: int, size: int = 10 * GIB, writable: int = 0, log: int = 0) -> dict[str, Any]:
    """A host's usage_brief with one data root filesystem of ``size``, ``used`` bytes."""
    snap = s.healthy()
    fs = snap["usage"]["filesystems"]["data_root"]
    fs.update(size=size, used=used, free=size - used)
    found = checks.brief(checks.account(snap))
    found["writable_layers"][0]["bytes"] = writable
    found["logs"][0]["bytes"] = log
    return found


def result(used: int, **given: Any) -> dict[str, Any]:
    """A host's registered result: every check passed, with its usage."""
    judged = checks.results(s.healthy())
    return {"results": judged, "summary": {}, "elapsed": 0.1, "usage_brief": brief(used, **given)}


def raw(**hosts: dict[str, Any]) -> dict[str, Any]:
    groups = {name: ["web"] if name.startswith("web") else ["db"] for name in hosts}
    return {"hosts": hosts, "groups": groups, "generated": NOW}


def build(previous: dict[str, Any] | None = None, **hosts: dict[str, Any]) -> dict[str, Any]:
    return fleet.report(raw(**hosts), checks.defaults(), [], today=TODAY, previous=previous, top=2)


def outcome(report: dict[str, Any], host: str, check: str) -> dict[str, Any]:
    entry = next(h for h in report["hosts"] if h["name"] == host)
    return next(o for o in entry["results"] if o["id"] == check)


def test_each_host_keeps_its_brief_account_and_the_report_is_valid() -> None:
    report = build(**{"web-1": result(2 * GIB), "db-1": {"unreachable": True, "msg": "gone"}})
    schema = json.loads((ROOT / "schema/compliance.schema.json").read_text())
    jsonschema.validate(report, schema)
    web, db = (next(h for h in report["hosts"] if h["name"] == n) for n in ("web-1", "db-1"))
    assert web["usage"]["filesystems"][0]["used"] == 2 * GIB
    assert db["usage"] is None
    assert report["usage"]["hosts_measured"] == 1


def test_totals_per_group_add_each_hosts_filesystems_and_parts() -> None:
    report = build(**{"web-1": result(2 * GIB), "web-2": result(3 * GIB), "db-1": result(GIB)})
    groups = report["usage"]["groups"]
    assert list(groups) == ["db", "web"]
    assert (groups["web"]["hosts"], groups["web"]["used"], groups["web"]["size"]) == (
        2,
        5 * GIB,
        20 * GIB,
    )
    assert groups["web"]["free"] == 15 * GIB
    part = s.usage()["logs"][s.CID]["bytes"]
    assert groups["web"]["parts"]["logs"] == 2 * part
    assert report["usage"]["totals"]["used"] == 6 * GIB
    assert report["usage"]["totals"]["hosts"] == 3


def test_the_nearest_to_full_first_and_the_largest_items_across_the_fleet() -> None:
    report = build(
        **{
            "web-1": result(2 * GIB, writable=5, log=70),
            "web-2": result(9 * GIB, writable=50, log=7),
            "db-1": result(GIB, writable=500, log=700),
        }
    )
    found = report["usage"]
    assert [(n["host"], n["used_percent"]) for n in found["nearest_full"]] == [
        ("web-2", 90.0),
        ("web-1", 20.0),
    ]  # top 2
    assert [(i["host"], i["bytes"]) for i in found["writable_layers"]] == [
        ("db-1", 500),
        ("web-2", 50),
    ]
    assert [(i["host"], i["bytes"]) for i in found["logs"]] == [("db-1", 700), ("web-1", 70)]
    assert found["previous"] is None


def previous_of(report: dict[str, Any], generated: str) -> dict[str, Any]:
    earlier = copy.deepcopy(report)
    earlier["generated"] = generated
    return earlier


def test_growth_since_the_previous_report_gives_days_until_full_and_use_005() -> None:
    before = build(**{"web-1": result(2 * GIB), "web-2": result(8 * GIB)})
    day_ago = previous_of(before, "2026-12-06T10:00:00+00:00")
    report = build(day_ago, **{"web-1": result(3 * GIB), "web-2": result(8 * GIB)})
    web1 = next(h for h in report["hosts"] if h["name"] == "web-1")
    assert web1["forecast"] == {
        "since": "2026-12-06T10:00:00+00:00",
        "growth_per_day": GIB,
        "days_until_full": 7.0,
        "free": 7 * GIB,
    }
    assert outcome(report, "web-1", "USE-005")["status"] == "fail"
    assert outcome(report, "web-1", "USE-005")["problems"] == [
        "the data root's filesystem grows 1024.0 MiB a day since 2026-12-06T10:00:00+00:00:"
        " its 7168.0 MiB free last 7.0 days, fewer than 14"
    ]
    # no growth: no days until full, and the check passes
    web2 = next(h for h in report["hosts"] if h["name"] == "web-2")
    assert web2["forecast"]["days_until_full"] is None
    assert outcome(report, "web-2", "USE-005")["status"] == "pass"
    assert report["usage"]["previous"] == "2026-12-06T10:00:00+00:00"
    assert report["exit_code"] == 1
    jsonschema.validate(report, json.loads((ROOT / "schema/compliance.schema.json").read_text()))


@pytest.mark.parametrize(
    ("earlier", "why"),
    [
        (
            {"generated": "2026-12-07T09:30:00+00:00"},
            "the previous report is 1800 s old, less than an hour: give an older one",
        ),
        ({"hosts": []}, "the host is not in the previous report"),
        ({"usage": None}, "the previous report did not measure the host's data root"),
        (
            {"generated": "yesterday"},
            "the previous report says no valid time it was made (generated)",
        ),
    ],
    ids=["too-recent", "new-host", "not-measured", "no-time"],
)
def test_a_forecast_that_cannot_be_made_is_cannot_check_with_why(
    earlier: dict[str, Any], why: str
) -> None:
    before = previous_of(build(**{"web-1": result(2 * GIB)}), "2026-12-06T10:00:00+00:00")
    if "generated" in earlier:
        before["generated"] = earlier["generated"]
    if "hosts" in earlier:
        before["hosts"] = earlier["hosts"]
    if "usage" in earlier:
        before["hosts"][0]["usage"] = None
    report = build(before, **{"web-1": result(3 * GIB)})
    found = outcome(report, "web-1", "USE-005")
    assert (found["status"], found["reason"]) == ("cannot_check", why)
    assert report["exit_code"] == 2


def test_a_host_not_measured_now_has_no_forecast_to_make() -> None:
    before = previous_of(build(**{"web-1": result(2 * GIB)}), "2026-12-06T10:00:00+00:00")
    now = result(3 * GIB)
    del now["usage_brief"]
    report = build(before, **{"web-1": now})
    assert outcome(report, "web-1", "USE-005")["reason"] == (
        "this run did not measure the data root's filesystem"
    )


def test_without_a_previous_report_use_005_is_not_asked_and_there_is_no_forecast() -> None:
    report = build(**{"web-1": result(3 * GIB)})
    assert outcome(report, "web-1", "USE-005")["status"] == "skip"
    assert "forecast" not in report["hosts"][0]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[]", "not a compliance.json of layerwise"),
        ('{"hosts": []}', "not a compliance.json of layerwise"),
        ('{"hosts": {}, "generated": "2026-12-06T10:00:00"}', "not a compliance.json"),
        ("{", "not valid JSON"),
    ],
)
def test_a_previous_report_that_is_not_one_is_refused_in_one_line(
    tmp_path: Path, text: str, error: str
) -> None:
    path = tmp_path / "previous.json"
    path.write_text(text)
    with pytest.raises(yamlfile.FileError) as refused:
        fleet.load_previous(path)
    assert error in str(refused.value)
    assert "\n" not in str(refused.value)


def test_compliance_refuses_a_bad_previous_before_any_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "previous.json"
    path.write_text("[]")
    code = cli.main(["compliance", "-i", "h1,", "--previous", str(path), "--out", str(tmp_path)])
    assert code == 2
    assert "not a compliance.json of layerwise" in capsys.readouterr().err
    assert not (tmp_path / "compliance-ansible.log").exists()


@pytest.mark.parametrize("value", ["0", "-1", "x", "1.5"])
def test_top_is_a_whole_number_of_one_or_more(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.parser().parse_args(["report", "--raw", "r.json", "--top", value])
    assert stopped.value.code == 2
    assert f"{value!r} is not a whole number of 1 or more" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("size", "shown"),
    [(None, "?"), (0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (5 * GIB, "5.0 GiB")],
)
def test_sizes_are_shown_in_binary_units(size: int | None, shown: str) -> None:
    assert usage.human(size) == shown
