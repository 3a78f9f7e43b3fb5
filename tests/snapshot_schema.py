"""The snapshot's contract, schema/snapshot.schema.json, as the unit and host suites check it:
``problems(snap)`` says where a snapshot differs from it, one line per place."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "schema/snapshot.schema.json"
SHOWN = 20  # problems a failure lists


@functools.cache
def schema() -> dict[str, Any]:
    return dict(json.loads(SCHEMA.read_text()))


def validator(section: str = "") -> jsonschema.Draft202012Validator:
    """The validator of a whole snapshot, or of one of its top-level sections."""
    whole = schema()
    if not section:
        return jsonschema.Draft202012Validator(whole)
    part = whole["properties"][section]
    return jsonschema.Draft202012Validator({"$defs": whole["$defs"], **part})


def where(error: ValidationError, section: str = "") -> str:
    """Where in the snapshot an error is: ``snapshot/docker/answers``."""
    return "/".join(["snapshot", *filter(None, [section]), *map(str, error.absolute_path)])


def said(error: ValidationError) -> str:
    """The schema's complaint; for a value none of several shapes fits, the nearest one's."""
    if error.context:
        nearest = best_match(error.context)
        return f"{error.message[:120]} (nearest: {nearest.message[:200]})"
    return error.message[:300]


def problems(snap: Any, section: str = "") -> list[str]:
    """``path: what is wrong`` for every place ``snap`` differs from the schema, by path."""
    errors = sorted(validator(section).iter_errors(snap), key=lambda e: list(map(str, e.path)))
    return [f"{where(e, section)}: {said(e)}" for e in errors]


def report(found: list[str]) -> str:
    """The problems as a failure message: the first SHOWN of them, one per line."""
    more = f"\n... and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    return f"{len(found)} differences from {SCHEMA.name}:\n" + "\n".join(found[:SHOWN]) + more
