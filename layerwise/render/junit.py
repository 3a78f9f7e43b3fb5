"""JUnit XML: one testsuite per host (CI tools tell hosts apart by suite), one testcase per
check. fail -> failure, cannot check / not checked -> error, waived and not asked -> skipped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from ..fleet import scope

_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def text(value: Any) -> str:
    """A string XML 1.0 can hold (ElementTree escapes <, & and quotes itself)."""
    return _NOT_XML.sub("?", str(value))


def suite(report: dict[str, Any], host: dict[str, Any]) -> ET.Element:
    name = text(host["name"])
    element = ET.Element("testsuite", name=f"layerwise compliance: {name}", hostname=name)
    titles = {c["id"]: c for c in report["checks"]}
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    if host["status"] != "checked":
        case = ET.SubElement(element, "testcase", classname=name, name="host can be checked")
        ET.SubElement(case, "error", message=text(f"{host['status']}: {host['reason']}"))
        counts.update(tests=1, errors=1)
    for o in host["results"]:
        check = titles[o["id"]]
        case = ET.SubElement(
            element, "testcase", classname=name, name=text(f"{o['id']} {check['title']}")
        )
        counts["tests"] += 1
        if o["status"] == "fail":
            failure = ET.SubElement(case, "failure", message=text("; ".join(o["problems"])))
            failure.text = text("\n".join([*o["problems"], f"fix: {check['remediation']}"]))
            counts["failures"] += 1
        elif o["status"] == "cannot_check":
            ET.SubElement(case, "error", message=text(f"cannot check: {o['reason']}"))
            counts["errors"] += 1
        elif o["status"] == "waived":
            w = o["waiver"]
            ET.SubElement(
                case,
                "skipped",
                message=text(
                    f"waived for {scope(w)} until {w['expires']} by {w['approved_by']}: "
                    f"{w['justification']}"
                ),
            )
            counts["skipped"] += 1
        elif o["status"] == "skip":
            ET.SubElement(case, "skipped", message=text(f"not asked: {o['reason']}"))
            counts["skipped"] += 1
    for key, value in counts.items():
        element.set(key, str(value))
    return element


def render(report: dict[str, Any]) -> str:
    root = ET.Element("testsuites", name="layerwise compliance")
    for host in report["hosts"]:
        root.append(suite(report, host))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
