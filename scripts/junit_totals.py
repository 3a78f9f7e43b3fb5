#!/usr/bin/env python3
"""Close `make test`: where the time went, then the total of every test.

`make test` runs pytest in several places (unit tests here, the host suites inside molecule's
verify step, the lab suites) and in lanes side by side. This prints, from what those runs
left behind:

- each stage's wall time, from the lines scripts/stage.sh appends to ``--stages FILE``;
- the ``--slowest N`` tests over every JUnit report, with the report each comes from;
- one closing line: 'tests: N passed, N failed, N skipped'.

Exits 1 when a report is missing or counts a failure or error, or a stage failed.
"""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NamedTuple


class Case(NamedTuple):
    seconds: float
    name: str
    report: str


def suites_of(path: Path) -> list[ET.Element]:
    root = ET.parse(path).getroot()
    return [root] if root.tag == "testsuite" else list(root.iter("testsuite"))


def totals(paths: list[Path]) -> dict[str, int]:
    """Sum tests, failures, errors and skips over every <testsuite> of the reports."""
    sums = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for path in paths:
        for suite in suites_of(path):
            for key in sums:
                sums[key] += int(suite.get(key, 0))
    return sums


def slowest(paths: list[Path], count: int) -> list[Case]:
    """The ``count`` slowest test cases of all the reports, slowest first."""
    cases = [
        Case(float(case.get("time") or 0), f"{case.get('classname')}::{case.get('name')}", p.name)
        for p in paths
        for suite in suites_of(p)
        for case in suite.iter("testcase")
    ]
    return sorted(cases, key=lambda c: -c.seconds)[:count]


def stages(path: Path) -> list[tuple[str, str, int]]:
    """(name, ok/FAILED, seconds) per line scripts/stage.sh appended, in order."""
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        name, status, seconds = line.rsplit("\t", 2)
        rows.append((name, status, int(seconds)))
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", type=Path, help="the stage times scripts/stage.sh wrote")
    parser.add_argument("--slowest", type=int, default=0, help="list the N slowest tests")
    parser.add_argument("reports", nargs="*", type=Path)
    args = parser.parse_args(argv)
    failed_stages = 0
    if args.stages:
        rows = stages(args.stages)
        width = max([len(name) for name, _, _ in rows] + [5])
        print(f"\n{'stage':<{width}}  status  seconds")
        for name, status, seconds in rows:
            print(f"{name:<{width}}  {status:<6}  {seconds:>7}")
            failed_stages += status != "ok"
    missing = [str(p) for p in args.reports if not p.is_file()]
    if missing or not args.reports:
        print(f"tests: no JUnit report at {', '.join(missing) or '(none given)'}", file=sys.stderr)
        return 1
    if args.slowest:
        found = slowest(args.reports, args.slowest)
        print(f"\nthe {len(found)} slowest tests (seconds, test, report):")
        for case in found:
            print(f"{case.seconds:9.1f}  {case.name}  ({case.report})")
    t = totals(args.reports)
    failed = t["failures"] + t["errors"]
    passed = t["tests"] - failed - t["skipped"]
    print(f"tests: {passed} passed, {failed} failed, {t['skipped']} skipped")
    return 1 if failed or failed_stages else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
