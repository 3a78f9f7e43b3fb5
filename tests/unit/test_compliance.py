"""A compliance run's verdict and reports, from what hosts send back (no hosts needed).

Each host's result is what the overlay2_facts module returns in a compliance run: the judge's
outcomes over a synthetic snapshot, or why the host could not be checked.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
from layerwise import fleet, render
from layerwise.inputs import InputError, Waiver, load_policy, load_waivers

from . import snapshots as s
from .conftest import ROOT

TODAY = dt.date(2026, 11, 29)
HOSTILE = "<img src=x onerror=alert(1)>\x1b[2J\x1b]0;pwned\x07"


def judged(snap: dict[str, Any]) -> dict[str, Any]:
    """What the module returns for a host in a compliance run."""
    return {"results": checks.results(snap), "summary": {"driver": "overlay2", "storage_keys": {}}}


def noncompliant() -> dict[str, Any]:
    snap = s.healthy()
    snap["daemon_json"]["file"]["mode"] = 0o664
    snap["daemon_json"]["content"]["live-restore"] = True
    s.add_unreferenced_layer(snap, "e" * 64, "ORPHANAAAAAAAAAAAAAAAAAAAA")
    return snap


def raw(**hosts: dict[str, Any]) -> dict[str, Any]:
    return {
        "hosts": {name.replace("_", "-"): result for name, result in hosts.items()},
        "groups": {name.replace("_", "-"): ["lab"] for name in hosts},
    }


def build(raw_doc: dict[str, Any], waivers: list[Waiver] | None = None) -> dict[str, Any]:
    return fleet.report(raw_doc, checks.defaults(), waivers or [], today=TODAY)


def waiver(check: str = "CFG-006", expires: dt.date = dt.date(2027, 1, 31), **kw: Any) -> Waiver:
    fields = {
        "hosts": ("lab-2",),
        "groups": (),
        "justification": "vendor agent",
        "approved_by": "ops",
    }
    fields.update(kw)
    return Waiver(check=check, expires=expires, line=3, **fields)


@pytest.fixture
def lab() -> dict[str, Any]:
    """The issue's three hosts: clean, made non-compliant on purpose, stopped."""
    return raw(
        lab_1=judged(s.healthy()),
        lab_2=judged(noncompliant()),
        lab_3={"unreachable": True, "msg": "container layerwise-lab-3 is not running"},
    )


def failures(report: dict[str, Any]) -> dict[str, list[str]]:
    return {
        h["name"]: [o["id"] for o in h["results"] if o["status"] == "fail"] for h in report["hosts"]
    }


# ---- verdict and exit codes ------------------------------------------------------------------


def test_the_lab_report_names_exactly_the_three_failures_and_the_stopped_host(lab) -> None:
    report = build(lab)
    assert failures(report) == {
        "lab-1": [],
        "lab-2": ["OVL-008", "CFG-006", "CFG-017"],
        "lab-3": [],
    }
    stopped = report["hosts"][2]
    assert (stopped["status"], stopped["reason"]) == (
        "unreachable",
        "container layerwise-lab-3 is not running",
    )
    assert (report["exit_code"], report["verdict"]) == (2, "error")


@pytest.mark.parametrize(
    ("hosts", "code"),
    [
        ({"a": "healthy"}, 0),
        ({"a": "healthy", "b": "noncompliant"}, 1),
        ({"a": "healthy", "b": "engine_down"}, 2),
        ({"a": "noncompliant", "b": "unreachable"}, 2),
    ],
)
def test_exit_code_is_0_pass_1_failed_2_could_not_check(hosts: dict[str, str], code: int) -> None:
    down = s.healthy()
    down["docker"] = {"answers": False, "error": "connection refused"}
    made = {
        "healthy": judged(s.healthy()),
        "noncompliant": judged(noncompliant()),
        "engine_down": judged(down),
        "unreachable": {"unreachable": True, "msg": "ssh: no route"},
    }
    assert build(raw(**{n: made[k] for n, k in hosts.items()}))["exit_code"] == code


def test_a_host_without_python_or_with_a_failed_module_says_why() -> None:
    report = build(
        raw(
            nopython={
                "failed": True,
                "msg": "MODULE FAILURE",
                "module_stderr": "/bin/sh: 1: /usr/bin/python3: not found\n",
            },
            timeout={"failed": True, "msg": "The ansible module timed out after 120 seconds"},
        )
    )
    reasons = {h["name"]: (h["status"], h["reason"]) for h in report["hosts"]}
    assert reasons["nopython"] == (
        "error",
        "no python3 on the host (/bin/sh: 1: /usr/bin/python3: not found)",
    )
    assert reasons["timeout"] == ("error", "The ansible module timed out after 120 seconds")


def test_a_stopped_container_says_so() -> None:
    result = {
        "failed": True,
        "msg": "Module result deserialization failed: No start of json char found",
        "module_stderr": "Error response from daemon: Container 9a is not running\n",
    }
    report = build(raw(stopped=result))
    assert report["hosts"][0]["reason"] == "Error response from daemon: Container 9a is not running"


def test_a_host_that_runs_no_command_says_so_first() -> None:
    msg = "Task failed: Failed to create temporary directory. In some cases, ..."
    report = build(raw(stopped={"unreachable": True, "msg": msg}))
    assert report["hosts"][0]["reason"] == (
        "Ansible could not run a command on the host (stopped, or no writable home?): " + msg
    )


def test_a_check_the_host_did_not_report_is_cannot_check() -> None:
    result = judged(s.healthy())
    result["results"] = [o for o in result["results"] if o["id"] != "CFG-006"]
    result["results"].append({"id": "XYZ-999", "status": "pass"})
    outcome = {o["id"]: o for o in build(raw(a=result))["hosts"][0]["results"]}
    assert "XYZ-999" not in outcome
    assert outcome["CFG-006"]["status"] == "cannot_check"


# ---- waivers ---------------------------------------------------------------------------------


def test_a_live_waiver_waives_and_an_expired_one_fails_again_saying_when(lab) -> None:
    live = build(lab, [waiver()])
    outcome = {o["id"]: o for o in live["hosts"][1]["results"]}["CFG-006"]
    assert outcome["status"] == "waived"
    assert outcome["waiver"]["justification"] == "vendor agent"
    assert live["totals"]["waived"] == 1
    expired = build(lab, [waiver(expires=dt.date(2026, 11, 28))])
    outcome = {o["id"]: o for o in expired["hosts"][1]["results"]}["CFG-006"]
    assert outcome["status"] == "fail"
    assert outcome["waiver"]["expired"] is True
    assert "waiver for lab-2 expired on 2026-11-28" in render.terminal.render(expired)


def test_waivers_match_host_and_group_patterns_and_only_their_check(lab) -> None:
    by_group = build(lab, [waiver(hosts=(), groups=("la*",))])
    assert failures(by_group)["lab-2"] == ["OVL-008", "CFG-017"]
    other_host = build(lab, [waiver(hosts=("lab-1",))])
    assert failures(other_host)["lab-2"] == ["OVL-008", "CFG-006", "CFG-017"]
    other_check = build(lab, [waiver(check="CFG-007", hosts=("lab-*",))])
    assert failures(other_check)["lab-2"] == ["OVL-008", "CFG-006", "CFG-017"]


def test_a_waiver_does_not_waive_what_could_not_be_checked() -> None:
    down = s.healthy()
    down["docker"] = {"answers": False, "error": "refused"}
    report = build(raw(a=judged(down)), [waiver(check="OVL-001", hosts=("a",))])
    assert report["hosts"][0]["results"][0]["status"] == "cannot_check"
    assert report["exit_code"] == 2


WAIVERS_OK = """\
waivers:
  - check: CFG-006
    hosts: [lab-2]
    justification: the vendor agent rewrites daemon.json; ticket OPS-12
    expires: 2027-01-31
    approved_by: platform-security
"""


def test_a_waiver_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "waivers.yml"
    path.write_text(WAIVERS_OK)
    (loaded,) = load_waivers(path)
    assert (loaded.check, loaded.hosts, loaded.expires, loaded.line) == (
        "CFG-006",
        ("lab-2",),
        dt.date(2027, 1, 31),
        2,
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            WAIVERS_OK.replace("CFG-006", "CFG-999"),
            ":2: check 'CFG-999' is not a layerwise check id",
        ),
        (WAIVERS_OK.replace("2027-01-31", "next year"), ":2: expires 'next year' is not a date"),
        (
            WAIVERS_OK.replace("    approved_by: platform-security\n", ""),
            ":2: approved_by is required",
        ),
        (WAIVERS_OK.replace("    hosts: [lab-2]\n", ""), ":2: name the hosts or groups"),
        (
            WAIVERS_OK.replace("hosts: [lab-2]", "hosts: [lab-2]\n    owner: me"),
            ":2: unknown key 'owner'",
        ),
        (WAIVERS_OK.replace("hosts: [lab-2]", "hosts: 3"), ":2: hosts must be a host name pattern"),
        ("waivers: {}\n", ":1: a waiver file holds 'waivers:', a list"),
        ("waivers:\n  - check: [\n", ":3: not valid YAML"),
        ("waivers:\n  - just text\n", ":2: a waiver is a mapping"),
    ],
)
def test_a_bad_waiver_file_names_line_and_reason(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "waivers.yml"
    path.write_text(text)
    with pytest.raises(InputError) as raised:
        load_waivers(path)
    assert f"{path}{error}" in str(raised.value)


def test_a_bad_policy_file_names_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "policy.yml"
    path.write_text("driver: overlay2\nlive_restore: maybe\n")
    with pytest.raises(InputError, match=r"policy.yml:2: live_restore: 'maybe' is not true"):
        load_policy(path)
    with pytest.raises(InputError, match="cannot read it"):
        load_policy(tmp_path / "missing.yml")
    assert load_policy(None) == checks.defaults()


# ---- drift -----------------------------------------------------------------------------------


def test_drift_names_the_hosts_that_differ_from_their_group() -> None:
    def host(version: str, fs: str) -> dict[str, Any]:
        result = judged(s.healthy())
        result["summary"] = {
            "engine_version": version,
            "driver": "overlay2",
            "backing_filesystem": fs,
        }
        return result

    report = build(
        raw(
            a=host("28.5.2", "xfs"),
            b=host("28.5.2", "xfs"),
            c=host("26.1.5", "xfs"),
            d=host("28.5.2", "ext4"),
        )
    )
    found = {(d["group"], d["field"]): d["hosts"] for d in report["drift"]}
    assert found == {
        ("all", "engine_version"): {"c": "26.1.5"},
        ("all", "backing_filesystem"): {"d": "ext4"},
    }


def test_no_drift_in_a_uniform_fleet(lab) -> None:
    assert build(lab)["drift"] == []


# ---- what hosts send is untrusted ------------------------------------------------------------


def test_host_strings_are_bounded_and_credentials_redacted() -> None:
    assert fleet.clean("http://user:s3cret@proxy:3128") == "http://***:***@proxy:3128"
    long = fleet.clean("x" * 5000)
    assert len(long) < 2100
    assert long.endswith("(truncated)")
    assert len(fleet.clean(list(range(500)))) == fleet.MAX_ITEMS + 1


@pytest.fixture
def hostile() -> dict[str, Any]:
    snap = noncompliant()
    snap["overlay2"]["layers"][HOSTILE] = snap["overlay2"]["layers"].pop("e" * 64)
    result = judged(snap)
    result["summary"] = {"engine_version": HOSTILE}
    doc = raw(a=result)
    doc["hosts"][HOSTILE] = {"unreachable": True, "msg": HOSTILE}
    doc["groups"][HOSTILE] = ["lab"]
    return build(doc)


def test_terminal_report_shows_no_escape_sequences(hostile) -> None:
    text = render.terminal.render(hostile)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "?[2J" in text


def test_html_report_escapes_what_hosts_send(hostile) -> None:
    page = render.html.render(hostile)
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("<script>") == 1


def test_junit_has_a_suite_per_host_named_after_it(hostile, lab) -> None:
    for report in (hostile, build(lab)):
        root = ET.fromstring(render.junit.render(report))
        suites = root.findall("testsuite")
        assert [x.get("hostname") for x in suites] == [
            h["name"].replace("\x1b", "?").replace("\x07", "?") for h in report["hosts"]
        ]
    suites = {
        x.get("hostname"): x
        for x in ET.fromstring(render.junit.render(build(lab))).findall("testsuite")
    }
    assert suites["lab-1"].get("name") == "layerwise compliance: lab-1"
    assert (suites["lab-2"].get("failures"), suites["lab-3"].get("errors")) == ("3", "1")
    assert suites["lab-1"].get("tests") == str(len(checks.CHECKS))


def test_prometheus_textfile_is_gauges_with_few_labels(lab) -> None:
    text = render.prometheus.render(build(lab))
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    assert "layerwise_compliance_exit_code 2" in samples
    assert 'layerwise_compliance_host_checked{host="lab-3"} 0' in samples
    assert 'layerwise_compliance_host_checks{host="lab-2",status="fail"} 3' in samples
    assert 'layerwise_compliance_check_hosts{check="CFG-006",status="fail"} 1' in samples
    for line in samples:
        labels = re.findall(r'(\w+)="', line)
        assert set(labels) <= {"host", "check", "status"}
        assert len(labels) <= 2
    assert all(f"# TYPE {m} gauge" in text for m in re.findall(r"^(\w+)", "\n".join(samples), re.M))


def test_prometheus_label_values_are_escaped() -> None:
    """Quotes and backslashes escaped; a newline, like every control character, is '?' in
    every format (fleet.clean)."""
    name = 'web"01\\\nx'
    text = render.prometheus.render(build({"hosts": {name: {"unreachable": True, "msg": "x"}}}))
    assert 'layerwise_compliance_host_checked{host="web\\"01\\\\?x"} 0' in text.splitlines()


def test_reports_are_written_atomically_and_match_the_schema(lab, tmp_path: Path) -> None:
    written = render.write_all(build(lab, [waiver()]), tmp_path)
    assert sorted(p.name for p in written) == [
        "compliance-junit.xml",
        "compliance.html",
        "compliance.json",
        "compliance.prom",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in written)
    schema = json.loads((ROOT / "schema/compliance.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads((tmp_path / "compliance.json").read_text()), schema)


def test_schema_rejects_a_report_with_an_unknown_status(lab) -> None:
    schema = json.loads((ROOT / "schema/compliance.schema.json").read_text())
    report = build(lab)
    report["hosts"][0]["results"][0]["status"] = "ok"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(report, schema)
