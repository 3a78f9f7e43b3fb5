"""compliance.prom (layerwise/render/prometheus.py), exactly: for a fixed report, every line
node_exporter's textfile collector reads, in order. Gauges with HELP and TYPE, numbers in
the exposition format (integers without '.0', other floats exactly), the run's time as Unix
seconds (0 when the report's date cannot be read), labels escaped, and one sample per host
and status and per check and status, zeros included."""

from __future__ import annotations

from typing import Any

import pytest

from layerwise.render import prometheus
from layerwise.usage import KINDS

CHECKS = [{"id": "CFG-001"}, {"id": "CFG-002"}]


def host(name: str, *statuses: str, status: str = "checked") -> dict[str, Any]:
    """A host whose results are, in order, CFG-001, CFG-002 (as many as statuses given)."""
    results = [{"id": c["id"], "status": s} for c, s in zip(CHECKS, statuses)]
    return {"name": name, "status": status, "results": results}


def report(*hosts: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "generated": "2026-12-07T10:00:00.5+00:00",
        "exit_code": 2,
        "duration_seconds": 12.25,
        "checks": CHECKS,
        "hosts": list(hosts),
        **extra,
    }


PARTS = {**dict.fromkeys(KINDS, 0), "image_layers_shared": 300, "logs": 200, "filesystem": 50}
MEASURED = {
    "usage": {
        "filesystems": [
            {"name": "data_root", "size": 1000, "used": 600, "free": 400, "parts": PARTS,
             "unaccounted": 50},
        ]
    },
    "forecast": {"days_until_full": 8.5},
}  # fmt: skip

FLEET = report(
    {**host("web-1", "fail", "fail"), **MEASURED},
    host("web-2", "waived", "fail"),
    host("db-1", status="unreachable"),
)

EXPECTED = """\
# HELP layerwise_compliance_exit_code 0 pass, 1 a check failed, 2 could not check.
# TYPE layerwise_compliance_exit_code gauge
layerwise_compliance_exit_code 2
# HELP layerwise_compliance_last_run_timestamp_seconds When the run's report was made.
# TYPE layerwise_compliance_last_run_timestamp_seconds gauge
layerwise_compliance_last_run_timestamp_seconds 1796637600.5
# HELP layerwise_compliance_duration_seconds Wall time of the run.
# TYPE layerwise_compliance_duration_seconds gauge
layerwise_compliance_duration_seconds 12.25
# HELP layerwise_compliance_host_checked 1 when the host could be read and judged, 0 when not.
# TYPE layerwise_compliance_host_checked gauge
layerwise_compliance_host_checked{host="web-1"} 1
layerwise_compliance_host_checked{host="web-2"} 1
layerwise_compliance_host_checked{host="db-1"} 0
# HELP layerwise_compliance_host_checks Checks of the host by outcome.
# TYPE layerwise_compliance_host_checks gauge
layerwise_compliance_host_checks{host="web-1",status="pass"} 0
layerwise_compliance_host_checks{host="web-1",status="fail"} 2
layerwise_compliance_host_checks{host="web-1",status="waived"} 0
layerwise_compliance_host_checks{host="web-1",status="cannot_check"} 0
layerwise_compliance_host_checks{host="web-1",status="skip"} 0
layerwise_compliance_host_checks{host="web-2",status="pass"} 0
layerwise_compliance_host_checks{host="web-2",status="fail"} 1
layerwise_compliance_host_checks{host="web-2",status="waived"} 1
layerwise_compliance_host_checks{host="web-2",status="cannot_check"} 0
layerwise_compliance_host_checks{host="web-2",status="skip"} 0
layerwise_compliance_host_checks{host="db-1",status="pass"} 0
layerwise_compliance_host_checks{host="db-1",status="fail"} 0
layerwise_compliance_host_checks{host="db-1",status="waived"} 0
layerwise_compliance_host_checks{host="db-1",status="cannot_check"} 0
layerwise_compliance_host_checks{host="db-1",status="skip"} 0
# HELP layerwise_compliance_check_hosts Hosts by outcome of each check.
# TYPE layerwise_compliance_check_hosts gauge
layerwise_compliance_check_hosts{check="CFG-001",status="pass"} 0
layerwise_compliance_check_hosts{check="CFG-001",status="fail"} 1
layerwise_compliance_check_hosts{check="CFG-001",status="waived"} 1
layerwise_compliance_check_hosts{check="CFG-001",status="cannot_check"} 0
layerwise_compliance_check_hosts{check="CFG-001",status="skip"} 0
layerwise_compliance_check_hosts{check="CFG-002",status="pass"} 0
layerwise_compliance_check_hosts{check="CFG-002",status="fail"} 2
layerwise_compliance_check_hosts{check="CFG-002",status="waived"} 0
layerwise_compliance_check_hosts{check="CFG-002",status="cannot_check"} 0
layerwise_compliance_check_hosts{check="CFG-002",status="skip"} 0
# HELP layerwise_filesystem_size_bytes Size of the data root's (or containerd root's) filesystem.
# TYPE layerwise_filesystem_size_bytes gauge
layerwise_filesystem_size_bytes{host="web-1",filesystem="data_root"} 1000
# HELP layerwise_filesystem_used_bytes Bytes used on it, as df counts them.
# TYPE layerwise_filesystem_used_bytes gauge
layerwise_filesystem_used_bytes{host="web-1",filesystem="data_root"} 600
# HELP layerwise_filesystem_free_bytes Bytes free on it for unprivileged writers (df's Avail).
# TYPE layerwise_filesystem_free_bytes gauge
layerwise_filesystem_free_bytes{host="web-1",filesystem="data_root"} 400
# HELP layerwise_disk_bytes Bytes of each kind on it (unaccounted: what no part explains).
# TYPE layerwise_disk_bytes gauge
layerwise_disk_bytes{host="web-1",filesystem="data_root",kind="image_layers_shared"} 300
layerwise_disk_bytes{host="web-1",filesystem="data_root",kind="logs"} 200
layerwise_disk_bytes{host="web-1",filesystem="data_root",kind="filesystem"} 50
layerwise_disk_bytes{host="web-1",filesystem="data_root",kind="unaccounted"} 50
# HELP layerwise_days_until_full Days until the data root is full at its growth since the last run.
# TYPE layerwise_days_until_full gauge
layerwise_days_until_full{host="web-1"} 8.5
"""


def test_the_whole_textfile_for_a_fleet() -> None:
    """Every HELP, TYPE and sample line, their order, and the final newline."""
    assert prometheus.render(FLEET) == EXPECTED


def samples(text: str, metric: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(f"{metric} ")]


@pytest.mark.parametrize(
    ("generated", "shown"),
    [
        ("2026-12-07T12:00:00+02:00", "1796637600"),
        ("2026-12-07T10:00:00.25+00:00", "1796637600.25"),
        ("not a date", "0"),
        ("", "0"),
    ],
)
def test_the_run_time_is_unix_seconds_or_zero_when_unreadable(generated: str, shown: str) -> None:
    text = prometheus.render(report(generated=generated))
    metric = "layerwise_compliance_last_run_timestamp_seconds"
    assert samples(text, metric) == [f"{metric} {shown}"]


@pytest.mark.parametrize(
    ("duration", "shown"),
    [
        (0, ["layerwise_compliance_duration_seconds 0"]),
        (3.0, ["layerwise_compliance_duration_seconds 3"]),
        (None, []),
    ],
)
def test_the_duration_is_shown_when_known_even_when_zero(
    duration: float | None, shown: list[str]
) -> None:
    text = prometheus.render(report(duration_seconds=duration))
    assert samples(text, "layerwise_compliance_duration_seconds") == shown
    assert ("# TYPE layerwise_compliance_duration_seconds gauge" in text) == bool(shown)


def test_a_report_without_a_duration_has_no_duration_gauge() -> None:
    fleet = report()
    del fleet["duration_seconds"]
    assert "duration" not in prometheus.render(fleet)


def test_an_empty_fleet_still_has_every_gauge_with_the_fleet_wide_samples() -> None:
    text = prometheus.render(report(exit_code=0, duration_seconds=None, checks=[]))
    assert text == (
        "# HELP layerwise_compliance_exit_code 0 pass, 1 a check failed, 2 could not check.\n"
        "# TYPE layerwise_compliance_exit_code gauge\n"
        "layerwise_compliance_exit_code 0\n"
        "# HELP layerwise_compliance_last_run_timestamp_seconds When the run's report was made.\n"
        "# TYPE layerwise_compliance_last_run_timestamp_seconds gauge\n"
        "layerwise_compliance_last_run_timestamp_seconds 1796637600.5\n"
        "# HELP layerwise_compliance_host_checked 1 when the host could be read and judged, 0 "
        "when not.\n"
        "# TYPE layerwise_compliance_host_checked gauge\n"
        "# HELP layerwise_compliance_host_checks Checks of the host by outcome.\n"
        "# TYPE layerwise_compliance_host_checks gauge\n"
        "# HELP layerwise_compliance_check_hosts Hosts by outcome of each check.\n"
        "# TYPE layerwise_compliance_check_hosts gauge\n"
        "# HELP layerwise_filesystem_size_bytes Size of the data root's (or containerd root's)"
        " filesystem.\n"
        "# TYPE layerwise_filesystem_size_bytes gauge\n"
        "# HELP layerwise_filesystem_used_bytes Bytes used on it, as df counts them.\n"
        "# TYPE layerwise_filesystem_used_bytes gauge\n"
        "# HELP layerwise_filesystem_free_bytes Bytes free on it for unprivileged writers (df's"
        " Avail).\n"
        "# TYPE layerwise_filesystem_free_bytes gauge\n"
        "# HELP layerwise_disk_bytes Bytes of each kind on it (unaccounted: what no part"
        " explains).\n"
        "# TYPE layerwise_disk_bytes gauge\n"
    )


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("web-1", "web-1"),
        ('a"b', 'a\\"b'),
        ("a\\b", "a\\\\b"),
        ("a\nb", "a\\nb"),
        ('\\"\n', '\\\\\\"\\n'),
        ("\\n", "\\\\n"),
        (7, "7"),
    ],
)
def test_label_values_escape_backslash_quote_and_newline(value: object, escaped: str) -> None:
    """The exposition format's three escapes; a backslash first so none is escaped twice."""
    assert prometheus.label(value) == escaped


def test_host_labels_are_escaped_in_the_samples() -> None:
    text = prometheus.render(report(host('w"1\\', "pass")))
    assert 'layerwise_compliance_host_checked{host="w\\"1\\\\"} 1' in text.splitlines()
    assert 'layerwise_compliance_host_checks{host="w\\"1\\\\",status="pass"} 1' in text.splitlines()
