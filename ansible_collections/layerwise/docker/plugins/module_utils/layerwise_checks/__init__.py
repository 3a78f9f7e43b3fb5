"""The layerwise judge: every check of a Docker host's storage, pure functions of
(snapshot, policy) over an overlay2_facts snapshot. Standard library only.

The overlay2_facts module runs it on the host (the roles' verify steps, compliance runs);
tests/infra runs it on the snapshot it fetched; unit tests run it on synthetic snapshots.
Checks are registered once, in ``overlay2`` (OVL-...), ``containerd`` (CTD-...),
``config`` (CFG-...) and ``usage`` (USE-...); everything else (tests, README's table,
reports) reads ``CHECKS``. They read the snapshot through the accessors of ``snapshot``
(schema/snapshot.schema.json says what each key holds).
"""

from __future__ import annotations

import gc
from typing import Any

from . import config, containerd, overlay2, usage  # noqa: F401  (registers the checks)
from .accounting import account, brief
from .overlay2 import chain_ids, image_dirs
from .policy import POLICY, defaults, validate
from .registry import (
    CANNOT,
    CHECKS,
    FAIL,
    PASS,
    SEVERITIES,
    SKIP,
    STATUSES,
    CannotCheck,
    Check,
    NotAsked,
    Policy,
    Snapshot,
    by_id,
    judge,
)
from .snapshot import image_named

__all__ = [
    "CANNOT",
    "CHECKS",
    "FAIL",
    "PASS",
    "POLICY",
    "SEVERITIES",
    "SKIP",
    "STATUSES",
    "CannotCheck",
    "Check",
    "NotAsked",
    "account",
    "brief",
    "by_id",
    "chain_ids",
    "defaults",
    "describe",
    "failed",
    "image_dirs",
    "image_named",
    "judge",
    "results",
    "validate",
]


def results(
    snap: Snapshot, policy: Policy | None = None, only: list[str] | None = None
) -> list[dict[str, Any]]:
    """Every check's outcome over the snapshot, in registry order.

    ``policy`` is a validated policy (defaults when None); ``only`` keeps the checks whose id
    starts with one of its prefixes (``["OVL"]``: the layer store alone).
    """
    collecting = gc.isenabled()
    gc.disable()  # the checks make many short-lived sets and lists, none in cycles
    try:
        policy = defaults() if policy is None else policy
        return [
            judge(item, snap, policy)
            for item in CHECKS
            if not only or any(item.id.startswith(prefix) for prefix in only)
        ]
    finally:
        if collecting:
            gc.enable()


def failed(outcomes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The outcomes that need someone: failed, or could not be checked."""
    return [o for o in outcomes if o["status"] in (FAIL, CANNOT)]


def describe(findings: list[dict[str, Any]], limit: int = 3) -> str:
    """Findings as one readable message: id, title, the first problems or why, the fix."""
    parts = []
    for finding in findings:
        if finding["status"] == CANNOT:
            parts.append(f"{finding['id']} {finding['title']}: cannot check: {finding['reason']}.")
            continue
        problems = finding["problems"]
        more = f" (and {len(problems) - limit} more)" if len(problems) > limit else ""
        parts.append(
            f"{finding['id']} {finding['title']}: {'; '.join(problems[:limit])}{more}."
            f" Fix: {finding['remediation']}"
        )
    return " ".join(parts)
