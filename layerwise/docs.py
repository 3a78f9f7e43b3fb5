"""The documents generated from the code: README's checks table and docs/checks.md (each check
with why it matters and how to fix it) from the checks' registry, and docs/cli.md (the
command's help) from its parser. python -m layerwise.docs rewrites them;
tests/unit/test_docs.py fails when one differs from the code."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from pathlib import Path
from unittest import mock

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks

from . import cli

# the checkout this module is in (a tool for the repository: it rewrites its documents)
ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CHECKS_DOC = ROOT / "docs/checks.md"
CLI_DOC = ROOT / "docs/cli.md"
BEGIN = "<!-- checks table: generated from the registry (python -m layerwise.docs) -->"
END = "<!-- end of checks table -->"


def checks_table() -> str:
    rows = ["| id | severity | CIS | check |", "|---|---|---|---|"]
    rows += [f"| {c.id} | {c.severity} | {c.cis or ''} | {c.title} |" for c in checks.CHECKS]
    return "\n".join([BEGIN, *rows, END])


def checks_doc() -> str:
    """docs/checks.md: every check, its severity, CIS item, rationale and remediation."""
    parts = [
        "# layerwise checks",
        "",
        "Generated from the registry (the collection's `plugins/module_utils/layerwise_checks`) "
        "by `python -m layerwise.docs`; do not edit by hand.",
    ]
    for c in checks.CHECKS:
        cis = f", CIS Docker Benchmark 1.6: {c.cis}" if c.cis else ""
        parts += [
            "",
            f"## {c.id}: {c.title}",
            "",
            f"Severity: {c.severity}{cis}.",
            "",
            f"Why: {c.rationale}",
            "",
            f"Fix: {c.remediation}",
        ]
    return "\n".join(parts) + "\n"


def help_of(command: list[str]) -> str:
    """What ``layerwise COMMAND --help`` prints, wrapped at 100 columns whatever the terminal."""
    shown = io.StringIO()
    with (
        mock.patch.dict(os.environ, {"COLUMNS": "100"}),
        contextlib.redirect_stdout(shown),
        contextlib.suppress(SystemExit),
    ):
        cli.parser().parse_args([*command, "--help"])
    return shown.getvalue()


def cli_doc() -> str:
    """docs/cli.md: the help of the command and of each of its subcommands."""
    parts = [
        "# The layerwise command",
        "",
        "Generated from its parser (`layerwise/cli.py`) by `python -m layerwise.docs`; do not edit",
        "by hand. A wrong argument or input is one line on stderr, naming it, and exit 2.",
    ]
    for command in ([], ["compliance"], ["inputs"], ["report"]):
        parts += ["", f"## layerwise {' '.join(command)}".rstrip(), "", "```text"]
        parts += [help_of(command).rstrip(), "```"]
    return "\n".join(parts) + "\n"


def with_table(text: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise ValueError(f"README has no checks table between {BEGIN!r} and {END!r}")
    return pattern.sub(lambda _: checks_table(), text)


if __name__ == "__main__":
    README.write_text(with_table(README.read_text()))
    CHECKS_DOC.parent.mkdir(exist_ok=True)
    CHECKS_DOC.write_text(checks_doc())
    CLI_DOC.write_text(cli_doc())
    sys.stdout.write(f"{README}, {CHECKS_DOC}: {len(checks.CHECKS)} checks written; {CLI_DOC}\n")
