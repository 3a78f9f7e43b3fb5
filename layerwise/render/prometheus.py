"""node_exporter textfile collector format: gauges in base units, labels host, check and
status only (hosts x statuses and checks x statuses, never hosts x checks); disk usage per
host, filesystem and kind of bytes only (at most 2 filesystems x 14 kinds a host; no series
per container, image or volume: their names are unbounded)."""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any

from ..fleet import OUTCOMES as STATUSES
from ..usage import parts_of


def label(value: Any) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render(report: dict[str, Any]) -> str:
    lines: list[str] = []

    def gauge(name: str, help_text: str, samples: list[tuple[dict[str, Any], float]]) -> None:
        lines.extend([f"# HELP {name} {help_text}", f"# TYPE {name} gauge"])
        for labels, value in samples:
            inner = ",".join(f'{k}="{label(v)}"' for k, v in labels.items())
            number = str(int(value)) if float(value).is_integer() else repr(float(value))
            lines.append(f"{name}{{{inner}}} {number}" if inner else f"{name} {number}")

    try:
        stamp = dt.datetime.fromisoformat(report["generated"]).timestamp()
    except ValueError:
        stamp = 0.0
    gauge(
        "layerwise_compliance_exit_code",
        "0 pass, 1 a check failed, 2 could not check.",
        [({}, report["exit_code"])],
    )
    gauge(
        "layerwise_compliance_last_run_timestamp_seconds",
        "When the run's report was made.",
        [({}, stamp)],
    )
    if report.get("duration_seconds") is not None:
        gauge(
            "layerwise_compliance_duration_seconds",
            "Wall time of the run.",
            [({}, report["duration_seconds"])],
        )
    gauge(
        "layerwise_compliance_host_checked",
        "1 when the host could be read and judged, 0 when not.",
        [({"host": h["name"]}, 1 if h["status"] == "checked" else 0) for h in report["hosts"]],
    )
    gauge(
        "layerwise_compliance_host_checks",
        "Checks of the host by outcome.",
        [
            ({"host": h["name"], "status": s}, sum(o["status"] == s for o in h["results"]))
            for h in report["hosts"]
            for s in STATUSES
        ],
    )
    by_check = collections.Counter(
        (o["id"], o["status"]) for h in report["hosts"] for o in h["results"]
    )
    gauge(
        "layerwise_compliance_check_hosts",
        "Hosts by outcome of each check.",
        [
            ({"check": c["id"], "status": s}, by_check[(c["id"], s)])
            for c in report["checks"]
            for s in STATUSES
        ],
    )
    measured = [
        (h["name"], fs)
        for h in report["hosts"]
        for fs in (h.get("usage") or {}).get("filesystems") or []
        if isinstance(fs, dict) and "used" in fs
    ]
    for field, help_text in (
        ("size", "Size of the data root's (or containerd root's) filesystem."),
        ("used", "Bytes used on it, as df counts them."),
        ("free", "Bytes free on it for unprivileged writers (df's Avail)."),
    ):
        gauge(
            f"layerwise_filesystem_{field}_bytes",
            help_text,
            [({"host": name, "filesystem": fs["name"]}, fs[field]) for name, fs in measured],
        )
    gauge(
        "layerwise_disk_bytes",
        "Bytes of each kind on it (unaccounted: what no part explains).",
        [
            ({"host": name, "filesystem": fs["name"], "kind": kind}, size)
            for name, fs in measured
            for kind, size in parts_of(fs)
        ],
    )
    forecasts = [
        ({"host": h["name"]}, h["forecast"]["days_until_full"])
        for h in report["hosts"]
        if (h.get("forecast") or {}).get("days_until_full") is not None
    ]
    if forecasts:
        gauge(
            "layerwise_days_until_full",
            "Days until the data root is full at its growth since the last run.",
            forecasts,
        )
    return "\n".join(lines) + "\n"
