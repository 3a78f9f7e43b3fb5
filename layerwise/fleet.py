"""A compliance run's verdict: what each host sent back, made safe, waived, compared.

Input is what layerwise.docker.compliance registers per host (``{"hosts": {name: result},
"groups": {name: [group, ...]}}``: the overlay2_facts module's outcomes and summary, or why
the host could not be checked). Everything a host sends is
untrusted: strings are bounded and credentials in URLs redacted here, once, before any report
sees them; each report format escapes for itself.
"""

from __future__ import annotations

import collections
import datetime as dt
import fnmatch
import json
import math
import re
from pathlib import Path
from typing import Any

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks

from . import usage, yamlfile
from .inputs import Waiver

Policy = dict[str, Any]
SCHEMA_VERSION = 2
CHECKED, UNREACHABLE, ERROR = "checked", "unreachable", "error"
WAIVED = "waived"
# every status an outcome has in a report: the judge's, and waived
OUTCOMES = ("pass", "fail", WAIVED, "cannot_check", "skip")
# what fleet drift compares, from each host's summary
DRIFT_FIELDS = ("engine_version", "driver", "image_store", "backing_filesystem", "storage_keys")
MAX_TEXT = 2000
MAX_ITEMS = 200
MAX_NUMBER = 2**63  # JSON readers that keep numbers in 64 bits read anything below exactly
MAX_RAW_BYTES = 256 << 20  # compliance-raw.json: the whole fleet's results, 256 MiB at most
_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@")
# control characters, bidi overrides and isolates, lone surrogates: shown as '?' in every
# format alike (they move the cursor, reorder text, or cannot be encoded)
_UNSHOWN = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with control and bidi characters and lone surrogates replaced by '?'."""
    return _UNSHOWN.sub("?", text)


def number(value: Any) -> int | float | None:
    """A host's number as it may be kept: finite and below MAX_NUMBER, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) and abs(value) < MAX_NUMBER else None


def clean(value: Any, depth: int = 0) -> Any:
    """A host's value made safe to keep: strings bounded, printable and without credentials,
    lists bounded, nesting bounded, numbers finite."""
    if isinstance(value, str):
        value = printable(_CREDENTIALS.sub(r"\1***:***@", value))
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "... (truncated)"
    if depth > 6:
        return "(nested too deep)"
    if isinstance(value, list):
        kept = [clean(v, depth + 1) for v in value[:MAX_ITEMS]]
        return kept + ([f"... and {len(value) - MAX_ITEMS} more"] if len(value) > MAX_ITEMS else [])
    if isinstance(value, dict):
        return {clean(str(k)): clean(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]}
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return number(value)
    return clean(str(value))  # a string: bounded and printable, at any depth


def load_json(path: Path) -> Any:
    """A JSON file read as hostile input: a regular file of at most MAX_RAW_BYTES, strict
    JSON (yamlfile.FileError, one line, when not)."""
    text = yamlfile.read_text(path, MAX_RAW_BYTES)

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    try:
        raw = json.loads(text, parse_constant=refuse)
    except json.JSONDecodeError as exc:
        raise yamlfile.FileError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        what = "nested too deep" if isinstance(exc, RecursionError) else str(exc)[:200]
        raise yamlfile.FileError(f"{path}: not valid JSON: {what}") from None
    return raw


def load_raw(path: Path) -> dict[str, Any]:
    """What layerwise.docker.compliance wrote (compliance-raw.json): a mapping with
    ``hosts`` (host name: its result)."""
    raw = load_json(path)
    if not isinstance(raw, dict) or not isinstance(raw.get("hosts"), dict):
        raise yamlfile.FileError(
            f"{path}: not what layerwise.docker.compliance writes: a mapping with 'hosts' "
            "(host name: its result)"
        )
    return raw


def load_previous(path: Path) -> dict[str, Any]:
    """An earlier compliance.json, for the forecasts: a mapping with the time it was made
    (``generated``) and its ``hosts``."""
    found = load_json(path)
    if (
        not isinstance(found, dict)
        or not isinstance(found.get("hosts"), list)
        or usage.when(found.get("generated")) is None
    ):
        raise yamlfile.FileError(
            f"{path}: not a compliance.json of layerwise (a mapping with 'generated', the time"
            " it was made, and 'hosts'): give the reports/compliance.json of an earlier run"
        )
    return found


# what Ansible says when the module's own output tells more: then that output is the reason
GENERIC = ("MODULE FAILURE", "Module result deserialization failed")


def why_not_checked(result: dict[str, Any]) -> str:
    """The reason a host could not be checked, from its Ansible result."""
    msg = str(result.get("msg") or "").strip()
    texts = [
        str(result.get(key) or "").strip() for key in ("module_stderr", "module_stdout", "stderr")
    ]
    said = [text.splitlines()[-1] for text in texts if text]
    parts = said if said and msg.startswith(GENERIC) else [msg, *said]
    reason = ": ".join(p for p in parts if p) or "no result came back"
    if "not found" in reason and "python" in reason:
        reason = f"no python3 on the host ({reason})"
    elif "Failed to create temporary directory" in reason:
        # Ansible's words when the connection runs no command at all, e.g. docker exec into
        # a stopped container without pipelining; say that first
        reason = (
            f"Ansible could not run a command on the host (stopped, or no writable home?): {reason}"
        )
    return reason


def host_entry(name: str, groups: list[str], result: dict[str, Any]) -> dict[str, Any]:
    """One host of the report, from what Ansible registered for it."""
    entry: dict[str, Any] = {"name": clean(name), "groups": clean(sorted(groups)), "reason": ""}
    if result.get("unreachable"):
        entry.update(status=UNREACHABLE, reason=clean(why_not_checked(result)), results=[])
    elif "results" not in result:
        entry.update(status=ERROR, reason=clean(why_not_checked(result)), results=[])
    elif not isinstance(result["results"], list):
        got = type(result["results"]).__name__
        entry.update(
            status=ERROR, reason=f"its results are not a list of checks ({got})", results=[]
        )
    else:
        known = checks.by_id()
        outcomes = []
        for item in result.get("results") or []:
            if not isinstance(item, dict) or item.get("id") not in known:
                continue
            outcomes.append(
                {
                    "id": item["id"],
                    "status": item.get("status")
                    if item.get("status") in checks.STATUSES
                    else checks.CANNOT,
                    "problems": clean([str(p) for p in item.get("problems") or []]),
                    "reason": clean(str(item.get("reason") or "")),
                    "waiver": None,
                }
            )
        missing = sorted(set(known) - {o["id"] for o in outcomes})
        for check_id in missing:
            outcomes.append(
                {
                    "id": check_id,
                    "status": checks.CANNOT,
                    "problems": [],
                    "reason": "the host did not report this check (an older layerwise?)",
                    "waiver": None,
                }
            )
        order = {c.id: n for n, c in enumerate(checks.CHECKS)}
        outcomes.sort(key=lambda o: order[o["id"]])
        entry.update(status=CHECKED, results=outcomes)
        entry["elapsed"] = number(result.get("elapsed"))
    summary = result.get("summary")
    entry["summary"] = clean(summary) if isinstance(summary, dict) else {}
    brief = result.get("usage_brief")
    entry["usage"] = (
        clean(brief) if entry["status"] == CHECKED and isinstance(brief, dict) else None
    )
    return entry


FORECAST = "USE-005"


def forecast(
    hosts: list[dict[str, Any]], previous: dict[str, Any], now: str, policy: Policy
) -> str:
    """Each checked host's growth since the ``previous`` report and days until full, judged
    by USE-005 here (a host cannot see its own past); the previous report's time."""
    then = usage.when(previous.get("generated"))
    before = {h.get("name"): h for h in previous.get("hosts") or [] if isinstance(h, dict)}
    moment = usage.when(now) or dt.datetime.now(dt.timezone.utc)
    item = checks.by_id()[FORECAST]
    for entry in hosts:
        if entry["status"] != CHECKED:
            continue
        if then is None:
            found = {"error": "the previous report says no valid time it was made (generated)"}
        else:
            found = usage.forecast(entry, before.get(entry["name"]), moment, then)
        entry["forecast"] = clean(found)
        judged = checks.judge(item, {"forecast": found}, policy)
        for outcome in entry["results"]:
            if outcome["id"] == FORECAST:
                outcome.update(
                    status=judged["status"],
                    problems=clean(judged["problems"]),
                    reason=clean(judged["reason"]),
                )
    return then.isoformat() if then else ""


FLEET_WIDE = "FLEET-WIDE: every host"


def scope(waiver: dict[str, Any]) -> str:
    """Whom a waiver (as in the report) waives, in the words every format shows."""
    if waiver["fleet"]:
        return FLEET_WIDE
    return ", ".join([*waiver["hosts"], *(f"group {g}" for g in waiver["groups"])])


def matches(waiver: Waiver, host: dict[str, Any]) -> bool:
    if waiver.fleet:
        return True
    if any(fnmatch.fnmatchcase(host["name"], p) for p in waiver.hosts):
        return True
    return any(fnmatch.fnmatchcase(g, p) for p in waiver.groups for g in host["groups"])


def apply_waivers(hosts: list[dict[str, Any]], waivers: list[Waiver], today: dt.date) -> None:
    """Waive failed outcomes a live waiver covers; say when an expired one no longer does."""
    for host in hosts:
        for outcome in host["results"]:
            if outcome["status"] != checks.FAIL:
                continue
            for waiver in waivers:
                if waiver.check != outcome["id"] or not matches(waiver, host):
                    continue
                live = waiver.expires >= today
                outcome["waiver"] = {**waiver.as_dict(), "expired": not live}
                if live:
                    outcome["status"] = WAIVED
                    break


def _value(summary: dict[str, Any], field: str) -> str:
    value = summary.get(field)
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)


def drift(hosts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hosts whose effective storage differs from most of their group, field by field."""
    groups: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for host in hosts:
        if host["status"] == CHECKED:
            for group in ["all", *host["groups"]]:
                groups[group].append(host)
    found, seen = [], set()
    for group, members in sorted(groups.items(), key=lambda g: (g[0] != "all", g[0])):
        names = frozenset(h["name"] for h in members)
        if len(members) < 2 or names in seen:
            continue
        seen.add(names)
        for field in DRIFT_FIELDS:
            # a host that did not report the field is not different, only silent
            values = {
                h["name"]: _value(h["summary"], field)
                for h in members
                if h["summary"].get(field) is not None
            }
            counts = collections.Counter(values.values())
            if len(counts) < 2:
                continue
            usual = sorted(counts, key=lambda v: (-counts[v], v))[0]
            found.append(
                {
                    "group": group,
                    "field": field,
                    "usual": usual,
                    "hosts": {n: v for n, v in sorted(values.items()) if v != usual},
                }
            )
    return found


def exit_code(hosts: list[dict[str, Any]]) -> int:
    """2 when a host or a check could not be checked, else 1 when a check failed, else 0."""
    statuses = {o["status"] for h in hosts for o in h["results"]}
    if any(h["status"] != CHECKED for h in hosts) or checks.CANNOT in statuses:
        return 2
    return 1 if checks.FAIL in statuses else 0


def _names(value: Any) -> list[str]:
    """A host's group names: the strings of a list, nothing else."""
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def report(
    raw: dict[str, Any],
    policy: dict[str, Any],
    waivers: list[Waiver],
    today: dt.date | None = None,
    previous: dict[str, Any] | None = None,
    top: int = usage.TOP,
) -> dict[str, Any]:
    """The whole report (reports/compliance.json, schema/compliance.schema.json);
    ``previous``: an earlier report, for growth and days until full; ``top``: how many of the
    largest writable layers, logs and fullest hosts the usage section lists."""
    today = today or dt.date.today()
    generated = clean(str(raw.get("generated") or dt.datetime.now(dt.timezone.utc).isoformat()))
    groups = raw.get("groups") if isinstance(raw.get("groups"), dict) else {}
    hosts = [
        host_entry(name, _names(groups.get(name)), result if isinstance(result, dict) else {})
        for name, result in sorted((raw.get("hosts") or {}).items())
    ]
    since = forecast(hosts, previous, generated, policy) if previous is not None else None
    apply_waivers(hosts, waivers, today)
    counts = collections.Counter(o["status"] for h in hosts for o in h["results"])
    code = exit_code(hosts)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated": generated,
        "duration_seconds": number(raw.get("duration_seconds")),
        "verdict": {0: "pass", 1: "fail", 2: "error"}[code],
        "exit_code": code,
        "totals": {
            "hosts": len(hosts),
            "checked": sum(h["status"] == CHECKED for h in hosts),
            "not_checked": sum(h["status"] != CHECKED for h in hosts),
            **{s: counts.get(s, 0) for s in OUTCOMES},
        },
        "policy": policy,
        "waivers": [{**w.as_dict(), "expired": w.expires < today} for w in waivers],
        "checks": [
            {
                "id": c.id,
                "title": c.title,
                "severity": c.severity,
                "cis": c.cis,
                "rationale": c.rationale,
                "remediation": c.remediation,
            }
            for c in checks.CHECKS
        ],
        "hosts": hosts,
        "drift": drift(hosts),
        "usage": usage.fleet(hosts, top, since),
    }
