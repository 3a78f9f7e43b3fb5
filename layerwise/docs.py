"""README's table of checks, generated from the registry: python -m layerwise.docs rewrites
it; tests/unit/test_docs.py fails when README and the registry differ."""

from __future__ import annotations

import re
import sys

import layerwise_checks as checks

from . import ROOT

README = ROOT / "README.md"
BEGIN = "<!-- checks table: generated from the registry (python -m layerwise.docs) -->"
END = "<!-- end of checks table -->"


def checks_table() -> str:
    rows = ["| id | severity | CIS | check |", "|---|---|---|---|"]
    rows += [f"| {c.id} | {c.severity} | {c.cis or ''} | {c.title} |" for c in checks.CHECKS]
    return "\n".join([BEGIN, *rows, END])


def with_table(text: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"README has no checks table between {BEGIN!r} and {END!r}")
    return pattern.sub(lambda _: checks_table(), text)


if __name__ == "__main__":
    README.write_text(with_table(README.read_text()))
    sys.stdout.write(f"{README}: checks table written ({len(checks.CHECKS)} checks)\n")
