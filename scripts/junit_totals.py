#!/usr/bin/env python3
"""Add up JUnit XML reports and print one closing line: 'tests: N passed, N failed, N skipped'.

`make test` runs pytest in several places (unit tests here, the host suites inside molecule's
verify step); this line is the total a person or CI reads last. Exits 1 when a report is
missing or counts a failure or error.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def totals(paths: list[Path]) -> dict[str, int]:
    """Sum tests, failures, errors and skips over every <testsuite> of the reports."""
    sums = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for path in paths:
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
        for suite in suites:
            for key in sums:
                sums[key] += int(suite.get(key, 0))
    return sums


def main(argv: list[str]) -> int:
    paths = [Path(p) for p in argv]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing or not paths:
        print(f"tests: no JUnit report at {', '.join(missing) or '(none given)'}", file=sys.stderr)
        return 1
    t = totals(paths)
    failed = t["failures"] + t["errors"]
    passed = t["tests"] - failed - t["skipped"]
    print(f"tests: {passed} passed, {failed} failed, {t['skipped']} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
