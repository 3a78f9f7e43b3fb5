"""node_exporter textfile collector format: gauges in base units, labels host, check and
status only (hosts x statuses and checks x statuses, never hosts x checks)."""

from __future__ import annotations

import collections
import datetime as dt
from typing import Any

from ..fleet import OUTCOMES as STATUSES


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
    return "\n".join(lines) + "\n"
