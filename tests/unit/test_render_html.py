"""The HTML report, part by part, for a fixed fleet: the exact markup of the matrix, each
host's outcomes, the filters, waivers and drift, and the page around them. Exact strings, so
that a page that loses a cell, a count, a class the filters and colours rely on, or the
escaping of a host's value fails here.

The fleet (built by hand, valid against schema/compliance.schema.json): three checks in an
order that is not by severity; db-1 unreachable; web-1 with a failure, a waived failure and
a check it did not report; web-2 with a pass, a failure whose waiver expired and a skip;
db-2 with a check it could not check; three waivers (group, expired host, fleet-wide) and
drift in two groups.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from layerwise import usage
from layerwise.render import html

from .conftest import ROOT

LIVE = {
    "check": "CFG-006",
    "hosts": [],
    "groups": ["web"],
    "fleet": False,
    "justification": 'the agent "rewrites" it',
    "expires": "2026-12-07",
    "approved_by": "ops' team",
    "line": 2,
    "expired": False,
}
EXPIRED = {
    "check": "CFG-006",
    "hosts": ["web-2"],
    "groups": [],
    "fleet": False,
    "justification": "old exception",
    "expires": "2026-01-31",
    "approved_by": "sec",
    "line": 9,
    "expired": True,
}
FLEET_WIDE = {
    "check": "CFG-012",
    "hosts": [],
    "groups": [],
    "fleet": True,
    "justification": "lab only",
    "expires": "2027-01-01",
    "approved_by": "cto",
    "line": 15,
    "expired": False,
}


def outcome(
    check: str,
    status: str,
    problems: tuple[str, ...] = (),
    reason: str = "",
    waiver: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One check's outcome on a host, as fleet.report puts it in the report."""
    return {
        "id": check,
        "status": status,
        "problems": list(problems),
        "reason": reason,
        "waiver": waiver,
    }


def checked(name: str, groups: list[str], *results: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "groups": groups,
        "status": "checked",
        "reason": "",
        "results": list(results),
        "summary": {},
        "usage": None,
    }


PARTS = {**dict.fromkeys(usage.KINDS, 0), "image_layers_shared": 300, "logs": 200}
# web-1's brief account: a filesystem of 1,000 bytes, 600 used, 100 of them unexplained
MEASURED = {
    "store": "overlay2",
    "layer_sizes": "walked",
    "filesystems": [
        {"name": "data_root", "path": "/var/lib/docker", "mount_point": True, "size": 1000,
         "used": 600, "free": 400, "parts": PARTS, "accounted": 500, "unaccounted": 100,
         "unaccounted_percent": 16.67, "complete": True},
    ],
    "writable_layers": [{"name": "app<1>", "id": "c" * 64, "bytes": 2048}],
    "logs": [{"name": "app<1>", "id": "c" * 64, "bytes": 200, "rotates": False}],
    "unrotated_logs": 1, "volumes": [], "unused_volumes": 0, "images": [],
    "build_cache_bytes": 0, "orphans": [], "open_deleted": [], "cannot_size": [],
    "cannot_size_count": 0,
}  # fmt: skip


def fleet_report() -> dict[str, Any]:
    """The fixed fleet of this module's golden strings (a fresh copy for each test)."""
    made = copy.deepcopy(
        {
            "schema_version": 2,
            "generated": "2026-12-07T10:00:00+00:00",
            "duration_seconds": 1.5,
            "verdict": "fail",
            "exit_code": 1,
            "totals": {
                "hosts": 4,
                "checked": 3,
                "not_checked": 1,
                "pass": 3,
                "fail": 2,
                "waived": 1,
                "cannot_check": 5,
                "skip": 6,
            },
            "policy": {},
            "waivers": [LIVE, EXPIRED, FLEET_WIDE],
            "checks": [
                {
                    "id": "CFG-012",
                    "title": "live-restore is <on>",
                    "severity": "low",
                    "cis": "",
                    "rationale": "r",
                    "remediation": "set live-restore",
                },
                {
                    "id": "OVL-001",
                    "title": "overlay2 on d_type",
                    "severity": "critical",
                    "cis": "",
                    "rationale": "r",
                    "remediation": "run the role & retry",
                },
                {
                    "id": "CFG-006",
                    "title": "daemon.json mode",
                    "severity": "high",
                    "cis": "3.18",
                    "rationale": "r",
                    "remediation": "chmod 0644",
                },
            ],
            "hosts": [
                {
                    "name": "db-1",
                    "groups": ["db"],
                    "status": "unreachable",
                    "reason": "ssh: no <route>",
                    "results": [],
                    "summary": {},
                    "usage": None,
                },
                {
                    **checked(
                        "web-1",
                        ["web", "edge"],
                        outcome("OVL-001", "fail", ("d_type is false", "driver <vfs>")),
                        outcome("CFG-006", "waived", ("mode 0664",), waiver=LIVE),
                    ),
                    "usage": MEASURED,
                    "forecast": {
                        "since": "2026-12-06T10:00:00+00:00",
                        "growth_per_day": 100,
                        "days_until_full": 4.0,
                        "free": 400,
                    },
                },
                checked(
                    "web-2",
                    ["web"],
                    outcome("CFG-012", "skip", reason="policy live_restore is null"),
                    outcome("OVL-001", "pass"),
                    outcome("CFG-006", "fail", ("mode 0666",), waiver=EXPIRED),
                ),
                checked(
                    "db-2",
                    ["db"],
                    outcome("CFG-012", "cannot_check", ("no <answer>",), reason="gone"),
                    outcome("OVL-001", "pass"),
                    outcome("CFG-006", "pass"),
                ),
            ],
            "drift": [
                {
                    "group": "web",
                    "field": "engine_version",
                    "usual": "28.0",
                    "hosts": {"web-1": "20.10", "web-9": "<27>"},
                },
                {"group": "all", "field": "driver", "usual": "overlay2", "hosts": {"db-2": "vfs"}},
            ],
        }
    )
    made["usage"] = usage.fleet(made["hosts"])
    return made


@pytest.fixture
def report() -> dict[str, Any]:
    return fleet_report()


def counts(fail: int = 0, cannot: int = 0, waived: int = 0, passed: int = 0, skip: int = 0) -> str:
    """A host's outcome counts in the matrix, in the order of the filters."""
    return (
        f'<span class="fail">{fail} fail</span> '
        f'<span class="cannot_check">{cannot} cannot check</span> '
        f'<span class="waived">{waived} waived</span> '
        f'<span class="pass">{passed} pass</span> '
        f'<span class="skip">{skip} not asked</span>'
    )


LEGEND = (
    '<p class="counts"><span class="fail">✗ fail</span> '
    '<span class="cannot_check">? cannot check</span> '
    '<span class="waived">W waived</span> '
    '<span class="pass">✓ pass</span> '
    '<span class="skip">· not asked</span></p>'
)
MATRIX = (
    LEGEND + '<table id="matrix"><tr><th>host</th><th>outcomes</th>'
    '<th class="check" title="CFG-012: live-restore is &lt;on&gt;">CFG<br>012</th>'
    '<th class="check" title="OVL-001: overlay2 on d_type">OVL<br>001</th>'
    '<th class="check" title="CFG-006: daemon.json mode">CFG<br>006</th></tr>'
    '<tr class="host" data-host="db-1"><th><a href="#host-db-1">db-1</a></th>'
    f'<td class="counts">{counts()}</td>'
    '<td class="cannot_check" colspan="3">unreachable: ssh: no &lt;route&gt;</td></tr>'
    '<tr class="host" data-host="web-1"><th><a href="#host-web-1">web-1</a></th>'
    f'<td class="counts">{counts(fail=1, waived=1)}</td>'
    '<td class="cell cannot_check">?</td>'
    '<td class="cell fail" title="OVL-001: fail">✗</td>'
    '<td class="cell waived" title="CFG-006: waived">W</td></tr>'
    '<tr class="host" data-host="web-2"><th><a href="#host-web-2">web-2</a></th>'
    f'<td class="counts">{counts(fail=1, passed=1, skip=1)}</td>'
    '<td class="cell skip" title="CFG-012: not asked">·</td>'
    '<td class="cell pass" title="OVL-001: pass">✓</td>'
    '<td class="cell fail" title="CFG-006: fail">✗</td></tr>'
    '<tr class="host" data-host="db-2"><th><a href="#host-db-2">db-2</a></th>'
    f'<td class="counts">{counts(cannot=1, passed=2)}</td>'
    '<td class="cell cannot_check" title="CFG-012: cannot check">?</td>'
    '<td class="cell pass" title="OVL-001: pass">✓</td>'
    '<td class="cell pass" title="CFG-006: pass">✓</td></tr>'
    "</table>"
)

HEADER = (
    "<table><tr><th>check</th><th>outcome</th><th>severity</th><th>title</th>"
    "<th>evidence</th><th>remediation</th></tr>"
)
HOSTS = {
    "db-1": '<h3 id="host-db-1">db-1 <small>(db)</small></h3>'
    '<p class="cannot_check host-reason">not checked (unreachable): ssh: no &lt;route&gt;</p>',
    "web-1": '<h3 id="host-web-1">web-1 <small>(web, edge)</small></h3>'
    + HEADER
    + '<tr class="outcome fail" data-status="fail" data-severity="critical">'
    "<td>OVL-001</td><td>fail</td><td>critical</td><td>overlay2 on d_type</td>"
    "<td><ul><li><code>d_type is false</code></li>"
    "<li><code>driver &lt;vfs&gt;</code></li></ul></td>"
    "<td>run the role &amp; retry</td></tr>"
    '<tr class="outcome waived" data-status="waived" data-severity="high">'
    "<td>CFG-006</td><td>waived</td><td>high</td>"
    "<td>daemon.json mode <small>(CIS 3.18)</small></td>"
    "<td><ul><li><code>mode 0664</code></li>"
    "<li>waiver for group web (until 2026-12-07, approved by ops&#x27; team): "
    "the agent &quot;rewrites&quot; it</li></ul></td>"
    "<td>chmod 0644</td></tr></table>",
    "web-2": '<h3 id="host-web-2">web-2 <small>(web)</small></h3>'
    + HEADER
    + '<tr class="outcome skip" data-status="skip" data-severity="low">'
    "<td>CFG-012</td><td>not asked</td><td>low</td><td>live-restore is &lt;on&gt;</td>"
    "<td><ul><li>policy live_restore is null</li></ul></td><td></td></tr>"
    '<tr class="outcome pass" data-status="pass" data-severity="critical">'
    "<td>OVL-001</td><td>pass</td><td>critical</td><td>overlay2 on d_type</td>"
    "<td><ul></ul></td><td></td></tr>"
    '<tr class="outcome fail" data-status="fail" data-severity="high">'
    "<td>CFG-006</td><td>fail</td><td>high</td>"
    "<td>daemon.json mode <small>(CIS 3.18)</small></td>"
    "<td><ul><li><code>mode 0666</code></li>"
    "<li>waiver for web-2 (expired 2026-01-31, approved by sec): old exception</li></ul></td>"
    "<td>chmod 0644</td></tr></table>",
    "db-2": '<h3 id="host-db-2">db-2 <small>(db)</small></h3>'
    + HEADER
    + '<tr class="outcome cannot_check" data-status="cannot_check" data-severity="low">'
    "<td>CFG-012</td><td>cannot check</td><td>low</td><td>live-restore is &lt;on&gt;</td>"
    "<td><ul><li><code>no &lt;answer&gt;</code></li><li>gone</li></ul></td><td></td></tr>"
    '<tr class="outcome pass" data-status="pass" data-severity="critical">'
    "<td>OVL-001</td><td>pass</td><td>critical</td><td>overlay2 on d_type</td>"
    "<td><ul></ul></td><td></td></tr>"
    '<tr class="outcome pass" data-status="pass" data-severity="high">'
    "<td>CFG-006</td><td>pass</td><td>high</td>"
    "<td>daemon.json mode <small>(CIS 3.18)</small></td>"
    "<td><ul></ul></td><td></td></tr></table>",
}
FILTERS = (
    '<div class="filters"><p>Show: '
    '<label><input type="checkbox" data-status="fail" checked> fail</label>'
    '<label><input type="checkbox" data-status="cannot_check" checked> cannot check</label>'
    '<label><input type="checkbox" data-status="waived" checked> waived</label>'
    '<label><input type="checkbox" data-status="pass"> pass</label>'
    '<label><input type="checkbox" data-status="skip"> not asked</label></p>'
    "<p>Severity: "
    '<label><input type="checkbox" data-severity="critical" checked> critical</label>'
    '<label><input type="checkbox" data-severity="high" checked> high</label>'
    '<label><input type="checkbox" data-severity="low" checked> low</label></p></div>'
)
WAIVERS = (
    '<table id="waivers"><tr><th>check</th><th>hosts</th><th>justification</th>'
    "<th>approved by</th><th>expires</th></tr>"
    '<tr class="waived"><td>CFG-006</td><td>group web</td>'
    "<td>the agent &quot;rewrites&quot; it</td><td>ops&#x27; team</td><td>2026-12-07</td></tr>"
    '<tr class="fail"><td>CFG-006</td><td>web-2</td>'
    "<td>old exception</td><td>sec</td><td>2026-01-31 (expired)</td></tr>"
    '<tr class="waived"><td>CFG-012</td><td>FLEET-WIDE: every host</td>'
    "<td>lab only</td><td>cto</td><td>2027-01-01</td></tr></table>"
)
# web-1's 1,000 bytes: 300 in shared image layers, 200 in logs, 100 not accounted for, the
# rest free (white); the key names every part in the order the bars stack them
DISK = (
    '<table id="disk"><tr><th>host</th><th>used</th><th>days left</th>'
    "<th>where the bytes are</th></tr>"
    '<tr><td>web-1</td><td>600 B of 1000 B</td><td>4.0</td><td><div class="bar">'
    '<span class="part" data-kind="image_layers_shared" style="width:30.000%;background:#3b6fb6"'
    ' title="image layers, shared: 300 B"></span>'
    '<span class="part" data-kind="logs" style="width:20.000%;background:#d94f4f"'
    ' title="logs: 200 B"></span>'
    '<span class="part" data-kind="unaccounted" style="width:10.000%;background:#222222"'
    ' title="not accounted for: 100 B"></span></div></td></tr></table>'
    '<p class="legend"><span class="key" style="background:#3b6fb6"></span>image layers, shared'
    '<span class="key" style="background:#6f9bd8"></span>image layers, one image&#x27;s'
    '<span class="key" style="background:#b7cbe8"></span>image layers, no image&#x27;s'
    '<span class="key" style="background:#8e6bbf"></span>content store'
    '<span class="key" style="background:#e0823d"></span>writable layers'
    '<span class="key" style="background:#d94f4f"></span>logs'
    '<span class="key" style="background:#4fa36b"></span>volumes'
    '<span class="key" style="background:#c9b43c"></span>build cache'
    '<span class="key" style="background:#8c5a3c"></span>orphans'
    '<span class="key" style="background:#b59ad9"></span>other snapshots'
    '<span class="key" style="background:#7f7f7f"></span>Docker&#x27;s records'
    '<span class="key" style="background:#b0b0b0"></span>filesystem&#x27;s own'
    '<span class="key" style="background:#e8a0c0"></span>deleted, held open'
    '<span class="key" style="background:#222222"></span>not accounted for</p>'
)

DRIFT = (
    '<ul id="drift">'
    "<li>group <b>web</b>: engine_version is <code>28.0</code> on most hosts; "
    "web-1 has <code>20.10</code>, web-9 has <code>&lt;27&gt;</code></li>"
    "<li>group <b>all</b>: driver is <code>overlay2</code> on most hosts; "
    "db-2 has <code>vfs</code></li></ul>"
)


def test_the_fixed_fleet_is_a_valid_report(report: dict[str, Any]) -> None:
    """The golden strings below are for a report the controller could write."""
    schema = json.loads((ROOT / "schema/compliance.schema.json").read_text())
    jsonschema.validate(report, schema)


def test_the_matrix_has_a_column_per_check_and_a_row_per_host(report: dict[str, Any]) -> None:
    """Columns in the report's check order; a mark and its label per outcome, a ? for a check
    the host did not report, one spanning cell saying why for a host not checked; counts per
    status in the filters' order."""
    assert html.matrix(report) == MATRIX


def test_a_check_id_is_broken_at_its_first_dash_only(report: dict[str, Any]) -> None:
    """A column head is narrow: the id's prefix, a line break, the rest as it is."""
    report["checks"] = [{**report["checks"][0], "id": "LAB-CIS-5"}]
    report["hosts"] = []
    assert '">LAB<br>CIS-5</th>' in html.matrix(report)


def test_an_unknown_status_shows_a_question_mark_and_no_label(report: dict[str, Any]) -> None:
    """A status no version of the page knows is not dropped nor guessed: ? in the matrix, the
    raw status in the host's table."""
    report["hosts"][3]["results"][1]["status"] = "later"
    cell = '<td class="cell later" title="OVL-001: ">?</td>'
    assert cell in html.matrix(report)
    row = (
        '<tr class="outcome later" data-status="later" data-severity="critical">'
        "<td>OVL-001</td><td>later</td>"
    )
    assert row in html.host_detail(report, report["hosts"][3])


@pytest.mark.parametrize("name", list(HOSTS))
def test_each_host_has_its_outcomes_with_evidence_waiver_and_remediation(
    report: dict[str, Any], name: str
) -> None:
    """Problems as code, then the reason (both when there are both), then the waiver (live
    or expired) with whom it waives; remediation only for a failure or a waived failure; CIS
    reference where there is one; a host not checked says why instead of a table."""
    host = next(h for h in report["hosts"] if h["name"] == name)
    assert html.host_detail(report, host) == HOSTS[name]


def test_the_filters_show_what_needs_action_and_every_severity_in_use(
    report: dict[str, Any],
) -> None:
    """Failures, cannot-check and waived outcomes are shown at first, passes and skips hidden;
    one box per severity the checks use, from critical down."""
    assert html.filters(report) == FILTERS


def test_the_severity_filters_go_from_critical_to_low(report: dict[str, Any]) -> None:
    for check, severity in zip(report["checks"], ["medium", "low", "critical"], strict=True):
        check["severity"] = severity
    report["checks"].append({**report["checks"][0], "id": "CFG-013", "severity": "high"})
    shown = html.filters(report).split("<p>Severity: ")[1]
    assert shown == (
        '<label><input type="checkbox" data-severity="critical" checked> critical</label>'
        '<label><input type="checkbox" data-severity="high" checked> high</label>'
        '<label><input type="checkbox" data-severity="medium" checked> medium</label>'
        '<label><input type="checkbox" data-severity="low" checked> low</label></p></div>'
    )


def test_waivers_are_listed_with_whom_they_waive_and_expired_ones_in_red(
    report: dict[str, Any],
) -> None:
    assert html.waivers(report) == WAIVERS


def test_drift_names_each_odd_host_and_its_value(report: dict[str, Any]) -> None:
    assert html.drift(report) == DRIFT


def test_no_waivers_and_no_drift_are_said(report: dict[str, Any]) -> None:
    report["waivers"], report["drift"] = [], []
    assert html.waivers(report) == "<p>No waivers.</p>"
    assert html.drift(report) == "<p>No drift: every group's hosts run the same storage.</p>"


def test_the_page_is_the_verdict_totals_and_every_part_in_order(report: dict[str, Any]) -> None:
    """One self-contained page: a policy that lets only its own inline style and script run,
    the verdict and exit code, the totals, then matrix, filters, hosts, waivers and drift."""
    body = (
        "<h1>layerwise compliance</h1>"
        '<p class="verdict fail" id="verdict">FAIL (exit 1)</p>'
        "<p>2026-12-07T10:00:00+00:00: 4 hosts, 3 checked, 1 not checked; "
        "3 passed, 2 failed, 1 waived, 5 could not be checked.</p>"
        f"<h2>Fleet</h2>{MATRIX}"
        f"<h2>Hosts</h2>{FILTERS}{HOSTS['db-1']}{HOSTS['web-1']}{HOSTS['web-2']}{HOSTS['db-2']}"
        f"<h2>Waivers</h2>{WAIVERS}<h2>Drift</h2>{DRIFT}<h2>Disk</h2>{DISK}"
    )
    assert html.render(report) == (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
        f"<title>layerwise compliance: fail</title><style>{html.STYLE}</style></head>"
        f"<body>{body}<script>{html.SCRIPT}</script></body></html>\n"
    )


@pytest.mark.parametrize(
    ("verdict", "code", "shown"),
    [
        ("pass", 0, '<p class="verdict pass" id="verdict">PASS (exit 0)</p>'),
        ("fail", 1, '<p class="verdict fail" id="verdict">FAIL (exit 1)</p>'),
        ("error", 2, '<p class="verdict cannot_check" id="verdict">ERROR (exit 2)</p>'),
    ],
)
def test_the_verdict_is_coloured_by_outcome(
    report: dict[str, Any], verdict: str, code: int, shown: str
) -> None:
    """Pass green, fail red, a run that could not check everything in the cannot-check colour."""
    report["verdict"], report["exit_code"] = verdict, code
    page = html.render(report)
    assert shown in page
    assert f"<title>layerwise compliance: {verdict}</title>" in page


def test_every_value_a_host_sends_is_escaped_quotes_included(report: dict[str, Any]) -> None:
    """A host's name lands in attributes too: quotes are escaped, so it cannot close one."""
    report["hosts"][0]["name"] = 'x" onmouseover="alert(1)'
    page = html.render(report)
    assert 'data-host="x&quot; onmouseover=&quot;alert(1)"' in page
    assert 'href="#host-x&quot; onmouseover=&quot;alert(1)"' in page
    assert 'onmouseover="' not in page


def test_a_fleet_with_no_measured_host_says_so_instead_of_bars(report: dict[str, Any]) -> None:
    report["hosts"][1]["usage"] = None
    assert html.disk(report) == "<p>No host's disk was measured (usage: false).</p>"


def test_a_filesystem_of_unknown_size_is_an_empty_bar() -> None:
    assert (
        html.bar({"size": 0, "parts": {"logs": 5}, "unaccounted": 0}) == '<div class="bar"></div>'
    )


def with_disagreement(report: dict[str, Any]) -> dict[str, Any]:
    """web-1 sent one of its two recorded sizes that disagree with the disk (top 1), a
    path carrying markup, and the images' blob figures of the containerd store."""
    usage = report["hosts"][1]["usage"]
    usage["disagreements"] = [
        {
            "what": "image layer sha256:ab",
            "path": "/var/lib/docker/overlay2/<b>x</b>",
            "recorded": 100,
            "walked": 3 * 1024 * 1024,
            "counted": "walked",
            "reason": "Docker recorded 100 bytes, ...",
        }
    ]
    usage["disagreement_count"] = 2
    usage["images"] = [
        {"id": "sha256:ab", "tags": ["app:1"], "layers": 2, "bytes": 300, "shared_bytes": 100,
         "unique_bytes": 200, "blobs": 4, "blob_bytes": 250, "blob_shared_bytes": 90,
         "blob_unique_bytes": 160},
    ]  # fmt: skip
    return report


def test_recorded_sizes_that_disagree_are_listed_under_the_bars(report: dict[str, Any]) -> None:
    schema = json.loads((ROOT / "schema/compliance.schema.json").read_text())
    jsonschema.validate(with_disagreement(report), schema)
    assert html.disk(report).endswith(
        '</p><p class="disagree">web-1: 2 recorded sizes disagree with the disk (the walks are'
        " counted)</p><ul><li>/var/lib/docker/overlay2/&lt;b&gt;x&lt;/b&gt;: recorded 100 B,"
        " walked 3.0 MiB</li></ul>"
    )
    report["hosts"][1]["usage"]["disagreements"] = ["... and 5 more", {"path": "p"}]
    assert "<li>p: recorded ?, walked ?</li></ul>" in html.disk(report)
    report["hosts"][1]["usage"].update(disagreements=[], disagreement_count=0)
    assert "disagree" not in html.disk(report)
