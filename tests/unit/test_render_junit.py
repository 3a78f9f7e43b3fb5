"""compliance-junit.xml (layerwise/render/junit.py), exactly: for a fixed report, the whole
document a CI server reads, byte for byte. One suite per host, named after it; a testcase per
check whose child says its outcome (failure, error, skipped, or none for a pass) with the
message and text a reader sees; the suite's counts; and XML 1.0 that every parser accepts,
whatever a host sent."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from layerwise.render import junit

CHECKS = [
    {"id": "CFG-001", "title": "storage driver is overlay2", "remediation": "set overlay2"},
    {"id": "CFG-002", "title": "data root is on its own filesystem", "remediation": "move it"},
    {"id": "CFG-003", "title": "daemon.json is owned by root", "remediation": "chown root"},
]


def outcome(check_id: str, status: str, **extra: Any) -> dict[str, Any]:
    """One result as the report holds it (layerwise.fleet.build)."""
    return {"id": check_id, "status": status, "problems": [], "reason": "", "waiver": None, **extra}


def waiver(**extra: Any) -> dict[str, Any]:
    """A waiver as the report shows it on a waived outcome."""
    return {
        "check": "CFG-003",
        "fleet": False,
        "hosts": ["web-*"],
        "groups": ["web"],
        "expires": "2026-12-07",
        "approved_by": "ops",
        "justification": "the agent rewrites it",
        **extra,
    }


def host(name: str, results: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": name, "status": "checked", "reason": "", "results": results, **extra}


def report(*hosts: dict[str, Any]) -> dict[str, Any]:
    return {"checks": CHECKS, "hosts": list(hosts)}


# every outcome, each counted kind after another of its kind, so that a count set instead of
# added shows
EVERY_OUTCOME = host(
    "web-1",
    [
        outcome("CFG-001", "pass"),
        outcome("CFG-001", "fail", problems=["driver is vfs", "vfs is slow"]),
        outcome("CFG-002", "fail", problems=["same filesystem as /"]),
        outcome("CFG-002", "cannot_check", reason="no mount table"),
        outcome("CFG-003", "waived", waiver=waiver()),
        outcome("CFG-003", "skip", reason="not in policy"),
        outcome("CFG-003", "cannot_check", reason="permission denied"),
        outcome("CFG-003", "waived", waiver=waiver(fleet=True, justification="lab")),
    ],
)
UNREACHABLE = host("db-1", [], status="unreachable", reason="ssh: no route to host")

EXPECTED = """\
<?xml version='1.0' encoding='utf-8'?>
<testsuites name="layerwise compliance">
  <testsuite name="layerwise compliance: web-1" hostname="web-1" tests="8" failures="2" \
errors="2" skipped="3">
    <testcase classname="web-1" name="CFG-001 storage driver is overlay2" />
    <testcase classname="web-1" name="CFG-001 storage driver is overlay2">
      <failure message="driver is vfs; vfs is slow">driver is vfs
vfs is slow
fix: set overlay2</failure>
    </testcase>
    <testcase classname="web-1" name="CFG-002 data root is on its own filesystem">
      <failure message="same filesystem as /">same filesystem as /
fix: move it</failure>
    </testcase>
    <testcase classname="web-1" name="CFG-002 data root is on its own filesystem">
      <error message="cannot check: no mount table" />
    </testcase>
    <testcase classname="web-1" name="CFG-003 daemon.json is owned by root">
      <skipped message="waived for web-*, group web until 2026-12-07 by ops: the agent \
rewrites it" />
    </testcase>
    <testcase classname="web-1" name="CFG-003 daemon.json is owned by root">
      <skipped message="not asked: not in policy" />
    </testcase>
    <testcase classname="web-1" name="CFG-003 daemon.json is owned by root">
      <error message="cannot check: permission denied" />
    </testcase>
    <testcase classname="web-1" name="CFG-003 daemon.json is owned by root">
      <skipped message="waived for FLEET-WIDE: every host until 2026-12-07 by ops: lab" />
    </testcase>
  </testsuite>
  <testsuite name="layerwise compliance: db-1" hostname="db-1" tests="1" failures="0" \
errors="1" skipped="0">
    <testcase classname="db-1" name="host can be checked">
      <error message="unreachable: ssh: no route to host" />
    </testcase>
  </testsuite>
</testsuites>
"""


def test_the_whole_document_for_every_outcome_and_an_unreachable_host() -> None:
    """Declaration, root name, indentation, every element, attribute, count and text."""
    assert junit.render(report(EVERY_OUTCOME, UNREACHABLE)) == EXPECTED


def test_a_fleet_with_no_hosts_is_an_empty_testsuites() -> None:
    assert junit.render(report()) == (
        "<?xml version='1.0' encoding='utf-8'?>\n<testsuites name=\"layerwise compliance\" />\n"
    )


def test_a_host_that_passes_everything_has_zero_counts_and_no_children() -> None:
    suite = junit.suite(report(), host("ok-1", [outcome("CFG-002", "pass")]))
    assert suite.attrib == {
        "name": "layerwise compliance: ok-1",
        "hostname": "ok-1",
        "tests": "1",
        "failures": "0",
        "errors": "0",
        "skipped": "0",
    }
    [case] = list(suite)
    assert case.attrib == {
        "classname": "ok-1",
        "name": "CFG-002 data root is on its own filesystem",
    }
    assert list(case) == []


def test_a_host_not_checked_counts_its_error_on_top_of_any_results() -> None:
    """The 'host can be checked' error is counted once, and results still add to it."""
    not_checked = host(
        "db-2",
        [outcome("CFG-001", "cannot_check", reason="gone"), outcome("CFG-002", "fail")],
        status="not_checked",
        reason="no facts",
    )
    suite = junit.suite(report(), not_checked)
    assert {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "3",
        "failures": "1",
        "errors": "2",
        "skipped": "0",
    }
    first = suite.find("testcase")
    assert first is not None
    assert first.get("name") == "host can be checked"
    assert [e.get("message") for e in first] == ["not_checked: no facts"]


def test_an_unknown_status_is_a_testcase_with_no_verdict() -> None:
    """A status this format does not know (say from a newer controller) counts as a test only."""
    suite = junit.suite(report(), host("x", [outcome("CFG-001", "maybe")]))
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("1", "0", "0")
    assert suite.get("skipped") == "0"
    assert [list(case) for case in suite] == [[]]


HOSTILE = "a\x00b\x08c\x0bd\x0ce\x1bf\ud800g\ufffeh\uffffi"


def test_what_hosts_send_becomes_xml_that_parses_with_question_marks() -> None:
    """Characters XML 1.0 cannot hold are '?' in names, messages and text; the rest stays."""
    bad = host(
        HOSTILE,
        [outcome("CFG-001", "fail", problems=[HOSTILE, '<&">'])],
    )
    text = junit.render(report(bad))
    root = ET.fromstring(text.encode())
    clean = "a?b?c?d?e?f?g?h?i"
    [suite] = root
    assert suite.get("hostname") == clean
    assert suite.get("name") == f"layerwise compliance: {clean}"
    failure = suite.find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == f'{clean}; <&">'
    assert failure.text == f'{clean}\n<&">\nfix: set overlay2'


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("\t\n\r ~", "\t\n\r ~"),
        ("\x00\x01\x08\x0b\x0c\x0e\x1f", "???????"),
        ("\ud7ff\ud800\udfff\ue000", "\ud7ff??\ue000"),
        ("\ufffd\ufffe\uffff", "\ufffd??"),
        ("\U00010000\U0010ffff", "\U00010000\U0010ffff"),
        (42, "42"),
        (None, "None"),
    ],
)
def test_text_keeps_what_xml_holds_and_replaces_each_other_character_by_one_question_mark(
    value: object, shown: str
) -> None:
    assert junit.text(value) == shown
