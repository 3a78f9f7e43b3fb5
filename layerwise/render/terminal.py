"""The terminal report: the fleet matrix, then each failure with what to do, hosts that could
not be checked, drift, and the verdict. Host strings cannot move the cursor or recolour the
terminal: control characters are shown as '?'."""

from __future__ import annotations

from typing import Any

from ..fleet import OUTCOMES as COLUMNS
from ..fleet import printable, scope
from ..usage import NAMES, disagreements, filesystem, human, parts_of


def safe(text: Any) -> str:
    return printable(str(text))


def matrix(report: dict[str, Any]) -> list[str]:
    width = max([len("host"), *(len(safe(h["name"])) for h in report["hosts"])])
    lines = [
        f"{'host':<{width}}  {'state':<11}  "
        + "  ".join(f"{c:>6}" for c in ("pass", "fail", "waived", "cannot", "skip"))
    ]
    for host in report["hosts"]:
        counts = {c: sum(o["status"] == c for o in host["results"]) for c in COLUMNS}
        cells = "  ".join(f"{counts[c]:>6}" for c in COLUMNS)
        lines.append(f"{safe(host['name']):<{width}}  {host['status']:<11}  {cells}")
    return lines


def details(report: dict[str, Any]) -> list[str]:
    titles = {c["id"]: c for c in report["checks"]}
    lines = []
    for host in report["hosts"]:
        name = safe(host["name"])
        if host["status"] != "checked":
            lines.append(f"NOT CHECKED  {name}: {safe(host['reason'])}")
            continue
        for o in host["results"]:
            check = titles[o["id"]]
            head = f"{o['id']} [{check['severity']}] {check['title']}"
            if o["status"] == "fail":
                lines.append(f"FAIL    {name}  {head}")
                lines.extend(f"          found: {safe(p)}" for p in o["problems"])
                if o["waiver"]:
                    w = o["waiver"]
                    why = safe(w["justification"])
                    lines.append(
                        f"          waiver for {safe(scope(w))} expired on {w['expires']}: {why}"
                    )
                lines.append(f"          fix:   {safe(check['remediation'])}")
            elif o["status"] == "cannot_check":
                lines.append(f"CANNOT  {name}  {head}: {safe(o['reason'])}")
            elif o["status"] == "waived":
                w = o["waiver"]
                lines.append(
                    f"WAIVED  {name}  {head}: {safe(w['justification'])} "
                    f"(for {safe(scope(w))}, approved by {safe(w['approved_by'])}, "
                    f"expires {w['expires']})"
                )
    return lines


def drift_lines(report: dict[str, Any]) -> list[str]:
    return [
        f"DRIFT   group {safe(d['group'])}: {d['field']} is {safe(d['usual'])} on most hosts; "
        + ", ".join(f"{safe(h)} has {safe(v)}" for h, v in d["hosts"].items())
        for d in report["drift"]
    ]


def _bytes(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def disk(report: dict[str, Any]) -> list[str]:
    """Each measured host's data root: used of size, days left, its three largest parts;
    then the fleet's largest writable layers and logs."""
    usage = report.get("usage") or {}
    measured = [h for h in report["hosts"] if filesystem(h)]
    if not measured:
        return []
    width = max(len("disk"), *(len(safe(h["name"])) for h in measured))
    lines = [f"{'disk':<{width}}  {'used':>10}  {'of':>10}  {'days left':>9}  largest parts"]
    for host in measured:
        fs = filesystem(host) or {}
        days = (host.get("forecast") or {}).get("days_until_full")
        largest = sorted(parts_of(fs), key=lambda p: -p[1])[:3]
        lines.append(
            f"{safe(host['name']):<{width}}  {human(fs.get('used')):>10}  "
            f"{human(fs.get('size')):>10}  {'-' if days is None else days:>9}  "
            + ", ".join(f"{NAMES[k]} {human(b)}" for k, b in largest)
        )
    for host in measured:
        count, found = disagreements(host)
        if count:
            lines.append(
                f"DISAGREE {safe(host['name'])}: {count} recorded sizes disagree with the disk"
                " (the walks are counted): "
                + ", ".join(
                    f"{safe(d.get('path'))} recorded {human(_bytes(d.get('recorded')))},"
                    f" walked {human(_bytes(d.get('walked')))}"
                    for d in found
                )
            )
    for field, title in (("writable_layers", "writable layers"), ("logs", "logs")):
        items = usage.get(field) or []
        if items:
            lines.append(
                f"largest {title}: "
                + ", ".join(
                    f"{safe(i['host'])}/{safe(i['name'])} {human(i['bytes'])}" for i in items
                )
            )
    return lines


def render(report: dict[str, Any]) -> str:
    t = report["totals"]
    verdict = (
        f"layerwise compliance: {report['verdict'].upper()} (exit {report['exit_code']}): "
        f"{t['hosts']} hosts, {t['checked']} checked, {t['not_checked']} not checked; "
        f"{t['pass']} passed, {t['fail']} failed, {t['waived']} waived, "
        f"{t['cannot_check']} could not be checked, {t['skip']} not asked"
    )
    sections = [matrix(report), details(report), drift_lines(report), disk(report), [verdict]]
    return "\n\n".join("\n".join(s) for s in sections if s) + "\n"
