"""What make test prints at its end (scripts/junit_totals.py): each stage's time, the slowest
tests over every JUnit report, the total; and its exit status."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, load

totals = load("scripts/junit_totals.py")

UNIT = """<?xml version="1.0"?>
<testsuites><testsuite name="pytest" tests="3" failures="0" errors="0" skipped="1">
<testcase classname="tests.unit.a" name="test_fast" time="0.010"/>
<testcase classname="tests.unit.a" name="test_slow" time="12.5"/>
<testcase classname="tests.unit.b" name="test_skipped" time="0"><skipped/></testcase>
</testsuite></testsuites>"""
ROLE = """<?xml version="1.0"?>
<testsuite name="pytest" tests="2" failures="1" errors="0" skipped="0">
<testcase classname="tests.role.c" name="test_restart" time="51.4"/>
<testcase classname="tests.role.c" name="test_broken" time="3.0"><failure/></testcase>
</testsuite>"""


@pytest.fixture
def reports(tmp_path: Path) -> list[Path]:
    (tmp_path / "junit-unit.xml").write_text(UNIT)
    (tmp_path / "junit-role-default.xml").write_text(ROLE)
    return [tmp_path / "junit-unit.xml", tmp_path / "junit-role-default.xml"]


def test_the_slowest_tests_of_all_reports_slowest_first(reports: list[Path]) -> None:
    found = totals.slowest(reports, 2)
    assert [(c.seconds, c.name, c.report) for c in found] == [
        (51.4, "tests.role.c::test_restart", "junit-role-default.xml"),
        (12.5, "tests.unit.a::test_slow", "junit-unit.xml"),
    ]


def test_the_closing_lines(
    reports: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stages = tmp_path / "stages.tsv"
    stages.write_text("ruff\tok\t1\nmolecule default\tok\t512\n")
    rc = totals.main(["--stages", str(stages), "--slowest", "1", *map(str, reports)])
    out = capsys.readouterr().out
    assert rc == 1  # a test failed
    assert "molecule default  ok          512" in out
    assert "     51.4  tests.role.c::test_restart  (junit-role-default.xml)" in out
    assert "tests.unit.a::test_slow" not in out
    assert out.rstrip().endswith("tests: 3 passed, 1 failed, 1 skipped")


def test_a_failed_stage_fails_the_run_even_when_every_report_passed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "junit-unit.xml").write_text(UNIT)
    stages = tmp_path / "stages.tsv"
    stages.write_text("ansible-lint\tFAILED\t14\n")
    assert totals.main(["--stages", str(stages), str(tmp_path / "junit-unit.xml")]) == 1
    assert totals.main([str(tmp_path / "junit-unit.xml")]) == 0


def test_a_missing_report_fails(tmp_path: Path) -> None:
    assert totals.main([str(tmp_path / "junit-lab-rest.xml")]) == 1


def test_lanes_run_side_by_side_and_a_failed_one_is_shown_and_fails_the_run(
    tmp_path: Path,
) -> None:
    """scripts/lanes.py: each lane's whole output in its log, its stage lines and a failed
    lane's tail on the terminal, exit 1. Side by side: each lane waits for a file the other
    one writes, which one after the other would never see."""
    meet = "touch {mine}; for i in $(seq 300); do [ -e {theirs} ] && break; sleep 0.1; done; "
    done = subprocess.run(
        [
            str(ROOT / "scripts/lanes.py"),
            "good", meet.format(mine="a", theirs="b")
            + "[ -e b ] && printf '==> good stage\\n' && printf 'dots...'",
            "bad", meet.format(mine="b", theirs="a") + "[ -e a ] && echo 'the reason'; exit 3",
        ],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout
    assert "[good] ==> good stage" in done.stdout
    assert "==> lane bad FAILED; the last 200 lines of reports/lanes/bad.log:\nthe reason" in (
        done.stdout
    )
    assert "==> lane good: ok in " in done.stdout
    assert (tmp_path / "reports/lanes/good.log").read_text() == "==> good stage\ndots..."


@pytest.mark.parametrize(
    ("failing", "rc"), [("setup", 3), ("check", 1), ("", 0)], ids=["gate", "other", "none"]
)
def test_lanes_say_whether_the_gate_lane_failed(tmp_path: Path, failing: str, rc: int) -> None:
    """make test runs its lanes only when --gate's lane (engine and images) made what they
    need: exit 3 then; exit 1 when only another lane failed (lint: the lanes still run)."""
    command = {"setup": "true", "check": "true", failing: "exit 1"}
    lanes = [x for name in ("setup", "check") for x in (name, command[name])]
    done = subprocess.run(
        [str(ROOT / "scripts/lanes.py"), "--gate", "setup", *lanes],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == rc, done.stdout


def test_a_gate_that_names_no_lane_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(ROOT / "scripts/lanes.py"), "--gate", "nope", "setup", "true"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--gate NAME" in done.stderr
