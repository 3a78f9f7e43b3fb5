"""The documents generated from the code: README's checks table and docs/checks.md (each check
with why it matters and how to fix it) from the checks' registry, docs/cli.md (the
command's help) from its parser, and README's snapshot table and the overlay2_facts module's
RETURN from the snapshot's schema (schema/snapshot.schema.json). python -m layerwise.docs
rewrites them; tests/unit/test_docs.py fails when one differs from its source."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
from pathlib import Path
from typing import Any
from unittest import mock

import yaml

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks

from . import cli
from .collection import HOME as COLLECTION

# the checkout this module is in (a tool for the repository: it rewrites its documents)
ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
CHECKS_DOC = ROOT / "docs/checks.md"
CLI_DOC = ROOT / "docs/cli.md"
BEGIN = "<!-- checks table: generated from the registry (python -m layerwise.docs) -->"
END = "<!-- end of checks table -->"
SNAPSHOT_SCHEMA = ROOT / "schema/snapshot.schema.json"
FACTS_MODULE = COLLECTION / "plugins/modules/overlay2_facts.py"
SNAPSHOT_BEGIN = (
    "<!-- snapshot table: generated from schema/snapshot.schema.json (python -m layerwise.docs) -->"
)
SNAPSHOT_END = "<!-- end of snapshot table -->"
RETURN_BLOCK = re.compile(r'^RETURN = r"""\n.*?^"""$', re.M | re.S)
RETURN_HEAD = "# generated from schema/snapshot.schema.json (python -m layerwise.docs): edit that"

# where safe_dump folds a description: RETURN's deepest lines stay within ruff's 100 columns
WIDTH = 76
# What the overlay2_facts module returns besides the reader's snapshot (the schema's keys)
MODULE_RETURNS: dict[str, dict[str, Any]] = {
    "accounting": {
        "description": "The host's account of its disk (plugins/module_utils/layerwise_checks/"
        "accounting) - store, layer_sizes recorded or walked, filesystems with their parts and "
        "what is not accounted for, layers, images with shared and unique bytes (on the "
        "containerd store also their content-store blobs - blobs, blob_bytes, "
        "blob_shared_bytes, blob_unique_bytes), containers "
        "with writable, init and log bytes and their effective log rotation, volumes with the "
        "containers using them, build_cache_bytes, orphans, open_deleted, cannot_size, "
        "disagreements (a size Docker recorded that a walk of the same dir contradicts by more "
        "than block rounding - both figures, the walk counted).",
        "type": "dict",
        "returned": "when usage and layers are true",
    },
    "usage_brief": {
        "description": "What a compliance run brings back of the account - its filesystems "
        "with their parts, and the largest items of each kind.",
        "type": "dict",
        "returned": "when usage and layers are true and snapshot is false",
    },
    "results": {
        "description": "Every check's outcome (id, title, severity, cis, status pass, fail, "
        "skip or cannot_check, problems, reason, rationale, remediation).",
        "type": "list",
        "elements": "dict",
        "returned": "when checks is true",
    },
    "findings": {
        "description": "The outcomes that failed or could not be checked.",
        "type": "list",
        "elements": "dict",
        "returned": "when checks is true",
    },
    "findings_message": {
        "description": "The findings as one readable message (empty when there are none).",
        "type": "str",
        "returned": "when checks is true",
    },
}
# JSON Schema types as Ansible's return documentation names them
ANSIBLE_TYPES = {
    "string": "str",
    "boolean": "bool",
    "integer": "int",
    "number": "float",
    "object": "dict",
    "array": "list",
}


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


def between(text: str, begin: str, end: str, table: str, what: str) -> str:
    """``text`` with what lies between the markers ``begin`` and ``end`` made ``table``."""
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise ValueError(f"README has no {what} between {begin!r} and {end!r}")
    return pattern.sub(lambda _: table, text)


def with_table(text: str) -> str:
    return between(text, BEGIN, END, checks_table(), "checks table")


# ---- the snapshot's schema -------------------------------------------------------------------


def snapshot_schema() -> dict[str, Any]:
    return dict(json.loads(SNAPSHOT_SCHEMA.read_text()))


def resolved(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A key's schema with its ``$ref`` (``#/$defs/<name>``) taken in; its own words first."""
    if "$ref" not in node:
        return node
    target = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return {**resolved(target, schema), **{k: v for k, v in node.items() if k != "$ref"}}


def ansible_type(node: dict[str, Any]) -> str:
    """The one Ansible type of a key's values, null left out; raw when it has several."""
    given = node.get("type")
    if given is None and "enum" in node:
        kinds = {type(v).__name__ for v in node["enum"] if v is not None}
        given = [{"str": "string", "int": "integer", "bool": "boolean"}[k] for k in kinds]
    types = [given] if isinstance(given, str) else [k for k in given or [] if k != "null"]
    return ANSIBLE_TYPES[types[0]] if len(types) == 1 else "raw"


def sentence(text: str) -> str:
    """A description as a sentence: a plain first word capitalised (not a name such as
    docker.service, daemon.json or l/), a full stop at the end."""
    if re.match(r"[a-z]+(?=[ ,;:(]|$)", text):
        text = text[:1].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def returned(node: dict[str, Any], schema: dict[str, Any], when: str) -> dict[str, Any]:
    """A key of the schema as a RETURN entry: its keys in ``contains`` when it is a closed
    dict (or a list of them); a dict keyed by names (layers by id...) is described whole."""
    node = resolved(node, schema)
    entry: dict[str, Any] = {
        "description": sentence(node["description"]),
        "type": ansible_type(node),
        "returned": when,
    }
    items = node.get("items")
    if entry["type"] == "list" and isinstance(items, dict):
        items = resolved(items, schema)
        entry["elements"] = ansible_type(items)
        node = items
    if node.get("properties") and node.get("additionalProperties") is False:
        entry["contains"] = keys_returned(node, schema)
    return entry


def keys_returned(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    required = set(node.get("required", []))
    return {
        name: returned(prop, schema, "always" if name in required else prop["x-returned"])
        for name, prop in node["properties"].items()
    }


def return_doc() -> str:
    """The overlay2_facts module's RETURN: the snapshot's keys, then the module's own."""
    keys = {**keys_returned(snapshot_schema(), snapshot_schema()), **MODULE_RETURNS}
    text = yaml.safe_dump(keys, sort_keys=False, width=WIDTH, allow_unicode=True)
    return f'RETURN = r"""\n{RETURN_HEAD}\n{text}"""'


def with_return(source: str) -> str:
    """The module's source with its RETURN generated from the schema."""
    if not RETURN_BLOCK.search(source):
        raise ValueError(f'{FACTS_MODULE.name} has no RETURN = r"""...""" block')
    return RETURN_BLOCK.sub(lambda _: return_doc(), source)


def snapshot_table() -> str:
    """README's table of the snapshot's keys: type, when it is there, what it holds."""
    schema = snapshot_schema()
    required = set(schema["required"])
    rows = ["| key | type | present | what |", "|---|---|---|---|"]
    for name, prop in schema["properties"].items():
        node = resolved(prop, schema)
        kind = ansible_type(node)
        if kind == "list" and isinstance(node.get("items"), dict):
            kind = f"list of {ansible_type(resolved(node['items'], schema))}"
        when = "always" if name in required else prop["x-returned"]
        what = node["description"].split("; present ")[0]
        rows.append(f"| `{name}` | {kind} | {when} | {what} |")
    return "\n".join([SNAPSHOT_BEGIN, *rows, SNAPSHOT_END])


def with_snapshot_table(text: str) -> str:
    return between(text, SNAPSHOT_BEGIN, SNAPSHOT_END, snapshot_table(), "snapshot table")


if __name__ == "__main__":
    README.write_text(with_snapshot_table(with_table(README.read_text())))
    CHECKS_DOC.parent.mkdir(exist_ok=True)
    CHECKS_DOC.write_text(checks_doc())
    CLI_DOC.write_text(cli_doc())
    FACTS_MODULE.write_text(with_return(FACTS_MODULE.read_text()))
    sys.stdout.write(
        f"{README}, {CHECKS_DOC}: {len(checks.CHECKS)} checks written; {CLI_DOC}; "
        f"README's snapshot table and {FACTS_MODULE.name}'s RETURN from {SNAPSHOT_SCHEMA.name}\n"
    )
