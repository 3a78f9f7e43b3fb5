"""What each report says, line by line, for a fleet with every kind of outcome: a waived
failure (by a group waiver from a file, expiring today), an unreachable host, a host that
could not be checked, drift in a two-host group. Exact lines, so that a report that loses a
line, a reason or a count fails here."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
from layerwise import fleet, render
from layerwise.inputs import load_waivers

from . import snapshots as s

TODAY = dt.date(2026, 12, 7)
WAIVERS = """waivers:
  - check: CFG-006
    groups: [web]
    justification: the agent rewrites it
    expires: 2026-12-07
    approved_by: ops
"""
TITLE = "CFG-006 [high] daemon.json is owned by root and not writable by others"


def host(engine: str, mode: int = 0o644) -> dict[str, Any]:
    snap = s.healthy()
    snap["daemon_json"]["file"]["mode"] = mode
    return {
        "results": checks.results(snap),
        "summary": {"driver": "overlay2", "engine_version": engine},
    }


@pytest.fixture
def report(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "waivers.yml"
    path.write_text(WAIVERS)
    waivers = load_waivers(path, 180, TODAY)
    raw = {
        "hosts": {
            "web-1": host("20.10", 0o664),  # CFG-006 fails: waived (group web, until today)
            "web-2": host("28.0"),
            "db-1": {"unreachable": True, "msg": "ssh: no route to host"},
            "db-2": {"results": [{"id": "CFG-006", "status": "cannot_check", "reason": "gone"}]},
        },
        "groups": {"web-1": ["web"], "web-2": ["web"], "db-1": ["db"], "db-2": ["db"]},
    }
    return fleet.report(raw, checks.defaults(), waivers, today=TODAY)


def test_totals_count_hosts_and_outcomes(report: dict[str, Any]) -> None:
    assert report["totals"] == {
        "hosts": 4, "checked": 3, "not_checked": 1,
        "pass": 53, "fail": 0, "waived": 1, "cannot_check": 41, "skip": 28,
    }  # fmt: skip
    assert (report["verdict"], report["exit_code"]) == ("error", 2)


def test_a_waiver_expiring_today_still_waives_and_a_group_waiver_matches(
    report: dict[str, Any],
) -> None:
    web1 = next(h for h in report["hosts"] if h["name"] == "web-1")
    outcome = next(o for o in web1["results"] if o["id"] == "CFG-006")
    assert outcome["status"] == "waived"
    assert outcome["waiver"]["expired"] is False
    assert report["waivers"][0]["groups"] == ["web"]


def test_drift_in_a_two_host_group_names_the_odd_one_and_ignores_silent_hosts(
    report: dict[str, Any],
) -> None:
    assert report["drift"] == [
        {"group": "all", "field": "engine_version", "usual": "20.10", "hosts": {"web-2": "28.0"}},
        {"group": "web", "field": "engine_version", "usual": "20.10", "hosts": {"web-2": "28.0"}},
    ]


def test_the_terminal_says_each_kind_of_outcome(report: dict[str, Any]) -> None:
    lines = render.terminal.render(report).splitlines()
    assert lines[:5] == [
        "host   state          pass    fail  waived  cannot    skip",
        "db-1   unreachable       0       0       0       0       0",
        "db-2   checked           0       0       0      41       0",
        "web-1  checked          26       0       1       0      14",
        "web-2  checked          27       0       0       0      14",
    ]
    assert "NOT CHECKED  db-1: ssh: no route to host" in lines
    assert f"CANNOT  db-2  {TITLE}: gone" in lines
    assert (
        f"WAIVED  web-1  {TITLE}: the agent rewrites it (for group web, approved by ops, "
        "expires 2026-12-07)"
    ) in lines
    assert "DRIFT   group web: engine_version is 20.10 on most hosts; web-2 has 28.0" in lines
    assert lines[-1] == (
        "layerwise compliance: ERROR (exit 2): 4 hosts, 3 checked, 1 not checked; 53 passed, "
        "0 failed, 1 waived, 41 could not be checked, 28 not asked"
    )


def test_junit_has_an_error_per_host_not_checked_and_a_skip_per_waiver(
    report: dict[str, Any],
) -> None:
    suites = {
        s.get("hostname"): s for s in ET.fromstring(render.junit.render(report)).iter("testsuite")
    }
    db1 = suites["db-1"]
    assert (db1.get("tests"), db1.get("errors")) == ("1", "1")
    assert db1.find("testcase/error").get("message") == "unreachable: ssh: no route to host"  # type: ignore[union-attr]
    db2 = [c for c in suites["db-2"].iter("testcase") if c.get("name", "").startswith("CFG-006")]
    assert db2[0].find("error").get("message") == "cannot check: gone"  # type: ignore[union-attr]
    skipped = [e.get("message") for e in suites["web-1"].iter("skipped")]
    assert "waived for group web until 2026-12-07 by ops: the agent rewrites it" in skipped


def test_the_html_shows_every_part_and_never_none(report: dict[str, Any]) -> None:
    page = render.html.render(report)
    assert "None" not in page
    for part in ('id="waivers"', "group web", "web-2", "28.0", "ssh: no route to host", "gone"):
        assert part in page, part
