"""Where the fleet's disk went: each host's brief account (overlay2_facts ``usage_brief``),
made safe; totals per group; the hosts nearest to full; the largest writable layers and
logs across the fleet; and, against a previous report, growth per day and days until full.

Pure functions of what hosts sent back; ``fleet.report`` calls them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_checks import (
    accounting,
)

KINDS = accounting.KINDS
TOP = accounting.TOP
DAY = 86400.0
# a forecast from two reports closer than this says more about noise than about growth
MIN_FORECAST_SECONDS = 3600


# what each part is called in the reports (the order a bar stacks them in: KINDS)
NAMES = {
    "image_layers_shared": "image layers, shared",
    "image_layers_unique": "image layers, one image's",
    "image_layers_unused": "image layers, no image's",
    "content_store": "content store",
    "writable_layers": "writable layers",
    "logs": "logs",
    "volumes": "volumes",
    "build_cache": "build cache",
    "orphans": "orphans",
    "other_snapshots": "other snapshots",
    "metadata": "Docker's records",
    "filesystem": "filesystem's own",
    "open_deleted": "deleted, held open",
    "unaccounted": "not accounted for",
}


def human(size: int | None) -> str:
    """Bytes in binary units with one decimal (1536 -> "1.5 KiB"); "?" for unknown."""
    if size is None:
        return "?"
    value, unit = float(size), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            break
        value /= 1024
    return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"


def disagreements(entry: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """A host's recorded sizes that disagree with the disk (how many, and those it sent)."""
    usage = entry.get("usage")
    if not isinstance(usage, dict):
        return 0, []
    found = [d for d in usage.get("disagreements") or [] if isinstance(d, dict)]
    count = _int(usage.get("disagreement_count"))
    return (len(found) if count is None else max(count, len(found))), found


def parts_of(fs: dict[str, Any]) -> list[tuple[str, int]]:
    """A filesystem's parts with bytes, and what is not accounted for, in KINDS order."""
    parts = fs.get("parts") or {}
    found = [(kind, _int(parts.get(kind)) or 0) for kind in KINDS]
    found.append(("unaccounted", max(_int(fs.get("unaccounted")) or 0, 0)))
    return [(kind, size) for kind, size in found if size > 0]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def filesystem(entry: dict[str, Any]) -> dict[str, Any] | None:
    """The data root's filesystem from a host's usage (the first one the host listed)."""
    usage = entry.get("usage")
    if not isinstance(usage, dict):
        return None
    found = [f for f in usage.get("filesystems") or [] if isinstance(f, dict)]
    return next((f for f in found if f.get("name") == "data_root"), None)


def totals(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Bytes of the hosts' filesystems (each host's distinct ones) and of each part."""
    sums: dict[str, Any] = {"hosts": 0, "size": 0, "used": 0, "free": 0, "unaccounted": 0}
    parts = dict.fromkeys(KINDS, 0)
    for entry in entries:
        usage = entry.get("usage")
        if not isinstance(usage, dict):
            continue
        sums["hosts"] += 1
        for fs in usage.get("filesystems") or []:
            if not isinstance(fs, dict):
                continue
            for key in ("size", "used", "free", "unaccounted"):
                sums[key] += _int(fs.get(key)) or 0
            for kind, size in (fs.get("parts") or {}).items():
                if kind in parts:
                    parts[kind] += _int(size) or 0
    return {**sums, "parts": parts}


def items(entries: list[dict[str, Any]], field: str, top: int) -> list[dict[str, Any]]:
    """The ``top`` largest items of ``field`` (writable_layers, logs) across the hosts."""
    found = []
    for entry in entries:
        usage = entry.get("usage")
        if not isinstance(usage, dict):
            continue
        for item in usage.get(field) or []:
            if isinstance(item, dict) and _int(item.get("bytes")) is not None:
                found.append({"host": entry["name"], **item})
    found.sort(key=lambda i: (-i["bytes"], i["host"], str(i.get("name", ""))))
    return found[:top]


def forecast(
    entry: dict[str, Any], before: dict[str, Any] | None, now: dt.datetime, then: dt.datetime
) -> dict[str, Any]:
    """Growth per day of the data root's used bytes since the previous report, and the days
    until its free bytes are gone at that rate (None: it does not grow); or why not."""
    fs = filesystem(entry)
    if fs is None or _int(fs.get("used")) is None or _int(fs.get("free")) is None:
        return {"error": "this run did not measure the data root's filesystem"}
    if before is None:
        return {"error": "the host is not in the previous report"}
    old = filesystem(before)
    if old is None or _int(old.get("used")) is None:
        return {"error": "the previous report did not measure the host's data root"}
    seconds = (now - then).total_seconds()
    if seconds < MIN_FORECAST_SECONDS:
        return {
            "error": f"the previous report is {max(seconds, 0):.0f} s old, less than an hour:"
            " give an older one"
        }
    growth = (fs["used"] - old["used"]) * DAY / seconds
    days = round(fs["free"] / growth, 1) if growth > 0 else None
    return {
        "since": then.isoformat(),
        "growth_per_day": round(growth),
        "days_until_full": days,
        "free": fs["free"],
    }


def when(text: Any) -> dt.datetime | None:
    """A report's ``generated`` time (ISO 8601, UTC when it names no zone), None if not one."""
    try:
        moment = dt.datetime.fromisoformat(str(text))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def fleet(
    hosts: list[dict[str, Any]], top: int = TOP, previous: str | None = None
) -> dict[str, Any]:
    """The fleet's usage section of the report (see schema/compliance.schema.json);
    ``previous``: when the report the forecasts compare with was made."""
    measured = [h for h in hosts if isinstance(h.get("usage"), dict)]
    groups: dict[str, list[dict[str, Any]]] = {}
    for entry in measured:
        for group in entry["groups"] or ["ungrouped"]:
            groups.setdefault(group, []).append(entry)
    nearest = []
    for entry in measured:
        fs = filesystem(entry) or {}
        size, used = _int(fs.get("size")), _int(fs.get("used"))
        if size and used is not None:
            nearest.append(
                {
                    "host": entry["name"],
                    "path": fs.get("path", ""),
                    "used_percent": round(100.0 * used / size, 1),
                    "free": _int(fs.get("free")),
                    "days_until_full": (entry.get("forecast") or {}).get("days_until_full"),
                }
            )
    nearest.sort(key=lambda n: (-n["used_percent"], n["host"]))
    return {
        "top": top,
        "previous": previous,
        "hosts_measured": len(measured),
        "totals": totals(measured),
        "groups": {name: totals(members) for name, members in sorted(groups.items())},
        "nearest_full": nearest[:top],
        "writable_layers": items(measured, "writable_layers", top),
        "logs": items(measured, "logs", top),
    }
