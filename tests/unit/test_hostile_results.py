"""What hosts send back, and the results file `report --raw` reads, as hostile data: a host of
any shape is "not checked" with a reason while the rest of the fleet is reported; a results
file that cannot be used is exit 2 in one line; the reports are written all or nothing, as
strict JSON, with control and bidi characters shown alike in every format."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from layerwise import fleet, render, yamlfile

from . import snapshots as s
from .conftest import ROOT
from .test_compliance import build, judged

GOOD = judged(s.healthy())


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        ("a string", "no result came back"),
        (["a", "list"], "no result came back"),
        ({"results": "CFG-006 pass"}, "its results are not a list of checks (str)"),
        ({"results": {"id": "CFG-006"}}, "its results are not a list of checks (dict)"),
        ({"msg": "\x1b[2Jgone\u202e"}, "?[2Jgone?"),
    ],
    ids=["string", "list", "results-a-string", "results-a-dict", "control-in-reason"],
)
def test_a_host_of_any_shape_is_not_checked_and_the_fleet_is_reported(
    result: Any, reason: str
) -> None:
    report = build({"hosts": {"bad": result, "good": GOOD}, "groups": {"bad": "lab"}})
    hosts = {h["name"]: h for h in report["hosts"]}
    assert hosts["bad"]["status"] == fleet.ERROR
    assert hosts["bad"]["reason"] == reason
    assert hosts["bad"]["groups"] == []  # a string is not a list of groups
    assert hosts["good"]["status"] == fleet.CHECKED
    assert report["totals"] == {**report["totals"], "hosts": 2, "checked": 1, "not_checked": 1}
    assert report["exit_code"] == 2


def test_numbers_a_host_sends_are_kept_only_when_finite_and_in_range() -> None:
    numbers = {
        "nan": float("nan"), "inf": float("-inf"), "huge": 10**30, "big": 2**63,
        "fine": 2**63 - 1, "float": 1.5, "bool": True,
    }  # fmt: skip
    result = {**GOOD, "elapsed": float("inf"), "summary": {**GOOD["summary"], **numbers}}
    report = build({"hosts": {"h": result}, "duration_seconds": float("nan")})
    summary = report["hosts"][0]["summary"]
    assert {k: summary[k] for k in numbers} == {
        "nan": None, "inf": None, "huge": None, "big": None,
        "fine": 2**63 - 1, "float": 1.5, "bool": True,
    }  # fmt: skip
    assert report["hosts"][0]["elapsed"] is None
    assert report["duration_seconds"] is None
    json.dumps(report, allow_nan=False)  # strict JSON


def test_control_bidi_and_lone_surrogates_are_shown_alike_in_every_format(tmp_path: Path) -> None:
    name = "h\x00\x1b\u202e\u2066\ud800x"
    reason = "why\x07\u200f\udfff"  # U+200F (a mark, not an override) is kept
    report = build({"hosts": {name: {"unreachable": True, "msg": reason}}})
    shown_name, shown_reason = "h?????x", "why?\u200f?"
    assert report["hosts"][0]["name"] == shown_name
    assert report["hosts"][0]["reason"] == shown_reason
    written = render.write_all(report, tmp_path)
    texts = {p.name: p.read_text(encoding="utf-8") for p in written}
    assert all(shown_name in text for text in texts.values()), texts.keys()
    suites = ET.fromstring(texts["compliance-junit.xml"])
    assert suites.find("testsuite").get("hostname") == shown_name  # type: ignore[union-attr]
    assert shown_name in render.terminal.render(report)


def test_reports_are_written_all_or_nothing(tmp_path: Path) -> None:
    report = build({"hosts": {"good": GOOD}})
    render.write_all(report, tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    (tmp_path / "compliance.html").unlink()
    (tmp_path / "compliance.html").mkdir()  # the third file cannot be replaced
    changed = build({"hosts": {"good": GOOD, "other": "x"}})
    with pytest.raises(render.WriteError, match=r"cannot write the reports \(.*compliance.html"):
        render.write_all(changed, tmp_path)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert after == {k: v for k, v in before.items() if k != "compliance.html"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(before)  # no partial left


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", ":1: not valid JSON: Expecting value"),
        ('{"hosts": {"a": {"results": [', ":1: not valid JSON: Expecting value"),
        ('{"hosts": {}, "x": NaN}', ": not valid JSON: NaN is not JSON"),
        ("[" * 100_000 + "]" * 100_000, ": not valid JSON: nested too deep"),
        ("[]", ": not what layerwise.docker.compliance writes"),
        ('{"hosts": ["a"]}', ": not what layerwise.docker.compliance writes"),
        ("\ud800".encode("utf-8", "surrogatepass").decode("latin-1"), ":1: not UTF-8"),
    ],
    ids=["empty", "truncated", "nan", "deep", "a-list", "hosts-a-list", "not-utf8"],
)
def test_a_results_file_that_cannot_be_used_is_one_line(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "raw.json"
    path.write_text(content, encoding="latin-1" if problem.endswith("UTF-8") else "utf-8")
    with pytest.raises(yamlfile.FileError) as refused:
        fleet.load_raw(path)
    assert str(refused.value).startswith(f"{path}{problem}"), refused.value
    assert "\n" not in str(refused.value)


def run(*args: str, cwd: Path = ROOT, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The layerwise command as installed (make venv: pip install -e .)."""
    return subprocess.run(
        [str(Path(sys.executable).with_name("layerwise")), *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False,
        env={"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(cwd)},
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((), "layerwise: the following arguments are required: command"),
        (("frob",), "layerwise: argument command: invalid choice: 'frob'"),
        (("compliance",), "layerwise compliance: the following arguments are required: -i"),
        (("report", "--raw"), "layerwise report: argument --raw: expected one argument"),
    ],
    ids=["none", "unknown", "no-inventory", "no-raw-file"],
)
def test_wrong_arguments_are_one_line_and_exit_2(args: tuple[str, ...], said: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(said), done.stderr
    assert done.stderr.rstrip().endswith("--help)")


def test_report_exits_2_in_one_line_for_a_missing_file_or_an_out_that_is_a_file(
    tmp_path: Path,
) -> None:
    missing = run("report", "--raw", str(tmp_path / "absent.json"), "--out", str(tmp_path))
    assert missing.returncode == 2
    assert missing.stderr.splitlines()[-1] == (
        f"{tmp_path / 'absent.json'}: cannot read it: No such file or directory"
    )
    raw = tmp_path / "raw.json"
    raw.write_text(json.dumps({"hosts": {"good": GOOD}}))
    (tmp_path / "file").write_text("")
    onto_file = run("report", "--raw", str(raw), "--out", str(tmp_path / "file"))
    assert onto_file.returncode == 2
    assert onto_file.stderr.splitlines()[-1].startswith("layerwise: cannot write the reports (")
    assert "Traceback" not in missing.stderr + onto_file.stderr


def test_compliance_names_a_missing_inventory_or_an_out_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    nope, file = tmp_path / "nope.yml", tmp_path / "file"
    for args, said in (
        (["-i", str(nope)], f"the inventory {nope} does not exist"),
        (["-i", "h1,h2,", "--out", str(file)], f"--out {file} is not a directory"),
    ):
        done = run("compliance", *args)
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines()[-1].startswith(said), done.stderr
