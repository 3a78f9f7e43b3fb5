"""A self-contained HTML report: no network to open it. The fleet matrix, each host's
outcomes with evidence and remediation, waivers with their expiry, drift; filters by status
and severity. Every value from a host is escaped; the page runs no script it did not bring."""

from __future__ import annotations

import html
from typing import Any

from ..fleet import scope
from ..usage import NAMES, disagreements, filesystem, human, parts_of

STATUSES = ("fail", "cannot_check", "waived", "pass", "skip")
MARKS = {"pass": "✓", "fail": "✗", "waived": "W", "cannot_check": "?", "skip": "·"}
LABELS = {
    "pass": "pass",
    "fail": "fail",
    "waived": "waived",
    "cannot_check": "cannot check",
    "skip": "not asked",
}

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
.pass{background:#dff3df}.fail{background:#f8d4d4}.waived{background:#fff1c2}.cannot_check{background:#e3dcf5}.skip{background:#eee}
.verdict{font-size:1.1em;font-weight:bold;padding:.4em .6em;display:inline-block}
.cell{min-width:1.4em;text-align:center}.filters label{margin-right:1em}
.bar{display:flex;width:40em;height:1.2em;border:1px solid #999;background:#fff}.bar span{display:block;height:100%}.key{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 .8em;vertical-align:middle}
.hidden{display:none}#matrix{font-size:12px}#matrix th.check{font-weight:normal}.counts span{white-space:nowrap;margin-right:.3em;padding:0 .2em}code,pre{white-space:pre-wrap;font-family:ui-monospace,monospace}
"""

SCRIPT = """
function applyFilters(){
  var on=function(kind){var s={};document.querySelectorAll('input[data-'+kind+']').forEach(function(b){s[b.dataset[kind]]=b.checked});return s};
  var st=on('status'),sv=on('severity');
  document.querySelectorAll('tr.outcome').forEach(function(r){
    r.classList.toggle('hidden',!(st[r.dataset.status]&&sv[r.dataset.severity]));
  });
}
document.querySelectorAll('.filters input').forEach(function(b){b.addEventListener('change',applyFilters)});
applyFilters();
"""


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def matrix(report: dict[str, Any]) -> str:
    checks = report["checks"]
    head = "".join(
        f'<th class="check" title="{e(c["id"])}: {e(c["title"])}">{"<br>".join(e(p) for p in c["id"].split("-", 1))}</th>'
        for c in checks
    )
    rows = []
    for host in report["hosts"]:
        by_id = {o["id"]: o for o in host["results"]}
        counts = " ".join(
            f'<span class="{s}">{sum(o["status"] == s for o in host["results"])} {LABELS[s]}</span>'
            for s in STATUSES
        )
        if host["status"] != "checked":
            cells = f'<td class="cannot_check" colspan="{len(checks)}">{e(host["status"])}: {e(host["reason"])}</td>'
        else:
            cells = "".join(
                f'<td class="cell {e(by_id[c["id"]]["status"])}" title="{e(c["id"])}: {e(LABELS.get(by_id[c["id"]]["status"], ""))}">'
                f"{MARKS.get(by_id[c['id']]['status'], '?')}</td>"
                if c["id"] in by_id
                else '<td class="cell cannot_check">?</td>'
                for c in checks
            )
        rows.append(
            f'<tr class="host" data-host="{e(host["name"])}"><th><a href="#host-{e(host["name"])}">{e(host["name"])}</a></th><td class="counts">{counts}</td>{cells}</tr>'
        )
    legend = " ".join(f'<span class="{s}">{MARKS[s]} {LABELS[s]}</span>' for s in STATUSES)
    return (
        f'<p class="counts">{legend}</p>'
        f'<table id="matrix"><tr><th>host</th><th>outcomes</th>{head}</tr>{"".join(rows)}</table>'
    )


def host_detail(report: dict[str, Any], host: dict[str, Any]) -> str:
    checks = {c["id"]: c for c in report["checks"]}
    title = f'<h3 id="host-{e(host["name"])}">{e(host["name"])} <small>({e(", ".join(host["groups"]))})</small></h3>'
    if host["status"] != "checked":
        return f'{title}<p class="cannot_check host-reason">not checked ({e(host["status"])}): {e(host["reason"])}</p>'
    rows = []
    for o in host["results"]:
        c = checks[o["id"]]
        evidence = "".join(f"<li><code>{e(p)}</code></li>" for p in o["problems"])
        if o["reason"]:
            evidence += f"<li>{e(o['reason'])}</li>"
        if o["waiver"]:
            w = o["waiver"]
            state = "expired" if w["expired"] else "until"
            evidence += f"<li>waiver for {e(scope(w))} ({state} {e(w['expires'])}, approved by {e(w['approved_by'])}): {e(w['justification'])}</li>"
        fix = e(c["remediation"]) if o["status"] in ("fail", "waived") else ""
        cis = f" <small>(CIS {e(c['cis'])})</small>" if c["cis"] else ""
        rows.append(
            f'<tr class="outcome {e(o["status"])}" data-status="{e(o["status"])}" data-severity="{e(c["severity"])}">'
            f"<td>{e(o['id'])}</td><td>{e(LABELS.get(o['status'], o['status']))}</td><td>{e(c['severity'])}</td>"
            f"<td>{e(c['title'])}{cis}</td>"
            f"<td><ul>{evidence}</ul></td><td>{fix}</td></tr>"
        )
    return (
        f"{title}<table><tr><th>check</th><th>outcome</th><th>severity</th><th>title</th>"
        f"<th>evidence</th><th>remediation</th></tr>{''.join(rows)}</table>"
    )


def waivers(report: dict[str, Any]) -> str:
    if not report["waivers"]:
        return "<p>No waivers.</p>"
    rows = "".join(
        f'<tr class="{"fail" if w["expired"] else "waived"}"><td>{e(w["check"])}</td>'
        f"<td>{e(scope(w))}</td><td>{e(w['justification'])}</td>"
        f"<td>{e(w['approved_by'])}</td><td>{e(w['expires'])}{' (expired)' if w['expired'] else ''}</td></tr>"
        for w in report["waivers"]
    )
    return f'<table id="waivers"><tr><th>check</th><th>hosts</th><th>justification</th><th>approved by</th><th>expires</th></tr>{rows}</table>'


def drift(report: dict[str, Any]) -> str:
    if not report["drift"]:
        return "<p>No drift: every group's hosts run the same storage.</p>"
    items = "".join(
        f"<li>group <b>{e(d['group'])}</b>: {e(d['field'])} is <code>{e(d['usual'])}</code> on most hosts; "
        + ", ".join(f"{e(h)} has <code>{e(v)}</code>" for h, v in d["hosts"].items())
        + "</li>"
        for d in report["drift"]
    )
    return f'<ul id="drift">{items}</ul>'


def filters(report: dict[str, Any]) -> str:
    severities = sorted(
        {c["severity"] for c in report["checks"]}, key=["critical", "high", "medium", "low"].index
    )
    status = "".join(
        f'<label><input type="checkbox" data-status="{s}"{" checked" if s != "pass" and s != "skip" else ""}> {LABELS[s]}</label>'
        for s in STATUSES
    )
    severity = "".join(
        f'<label><input type="checkbox" data-severity="{s}" checked> {s}</label>'
        for s in severities
    )
    return f'<div class="filters"><p>Show: {status}</p><p>Severity: {severity}</p></div>'


# one colour per part of a host's disk, in the order the bar stacks them
COLOURS = {
    "image_layers_shared": "#3b6fb6",
    "image_layers_unique": "#6f9bd8",
    "image_layers_unused": "#b7cbe8",
    "content_store": "#8e6bbf",
    "writable_layers": "#e0823d",
    "logs": "#d94f4f",
    "volumes": "#4fa36b",
    "build_cache": "#c9b43c",
    "orphans": "#8c5a3c",
    "other_snapshots": "#b59ad9",
    "metadata": "#7f7f7f",
    "filesystem": "#b0b0b0",
    "open_deleted": "#e8a0c0",
    "unaccounted": "#222222",
}


def bar(fs: dict[str, Any]) -> str:
    """The filesystem as a bar of its size: each part a segment, free space left white."""
    size = fs.get("size") or 0
    segments = "".join(
        f'<span class="part" data-kind="{kind}" style="width:{100.0 * b / size:.3f}%;'
        f'background:{COLOURS[kind]}" title="{e(NAMES[kind])}: {e(human(b))}"></span>'
        for kind, b in parts_of(fs)
        if size
    )
    return f'<div class="bar">{segments}</div>'


def _bytes(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def disk(report: dict[str, Any]) -> str:
    """Where each measured host's bytes are: a bar per data root filesystem, with a key."""
    rows = []
    for host in report["hosts"]:
        fs = filesystem(host)
        if not fs:
            continue
        days = (host.get("forecast") or {}).get("days_until_full")
        rows.append(
            f"<tr><td>{e(host['name'])}</td><td>{e(human(fs.get('used')))} of {e(human(fs.get('size')))}</td>"
            f"<td>{'-' if days is None else e(days)}</td><td>{bar(fs)}</td></tr>"
        )
    if not rows:
        return "<p>No host's disk was measured (usage: false).</p>"
    disagree = []
    for host in report["hosts"]:
        count, found = disagreements(host)
        if count and filesystem(host):
            items = "".join(
                f"<li>{e(d.get('path'))}: recorded {e(human(_bytes(d.get('recorded'))))},"
                f" walked {e(human(_bytes(d.get('walked'))))}</li>"
                for d in found
            )
            disagree.append(
                f'<p class="disagree">{e(host["name"])}: {e(count)} recorded sizes disagree'
                f" with the disk (the walks are counted)</p><ul>{items}</ul>"
            )
    key = "".join(
        f'<span class="key" style="background:{colour}"></span>{e(NAMES[kind])}'
        for kind, colour in COLOURS.items()
    )
    return (
        '<table id="disk"><tr><th>host</th><th>used</th><th>days left</th><th>where the bytes are</th></tr>'
        f'{"".join(rows)}</table><p class="legend">{key}</p>{"".join(disagree)}'
    )


def render(report: dict[str, Any]) -> str:
    t = report["totals"]
    verdict_class = {"pass": "pass", "fail": "fail"}.get(report["verdict"], "cannot_check")
    body = (
        f"<h1>layerwise compliance</h1>"
        f'<p class="verdict {verdict_class}" id="verdict">{e(report["verdict"].upper())} (exit {e(report["exit_code"])})</p>'
        f"<p>{e(report['generated'])}: {t['hosts']} hosts, {t['checked']} checked, {t['not_checked']} not checked; "
        f"{t['pass']} passed, {t['fail']} failed, {t['waived']} waived, {t['cannot_check']} could not be checked.</p>"
        f"<h2>Fleet</h2>{matrix(report)}"
        f"<h2>Hosts</h2>{filters(report)}{''.join(host_detail(report, h) for h in report['hosts'])}"
        f"<h2>Waivers</h2>{waivers(report)}<h2>Drift</h2>{drift(report)}"
        f"<h2>Disk</h2>{disk(report)}"
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
        f"<title>layerwise compliance: {e(report['verdict'])}</title><style>{STYLE}</style></head>"
        f"<body>{body}<script>{SCRIPT}</script></body></html>\n"
    )
