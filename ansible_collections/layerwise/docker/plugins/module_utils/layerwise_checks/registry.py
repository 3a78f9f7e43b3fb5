"""The registry of checks and how a snapshot is judged against a policy.

A check is a pure function ``(snapshot, policy) -> problems``: an empty list passes, each
string is one thing wrong, said with what was found and what is wanted. A check that cannot
see what it judges (engine down, directory missing, layers not read) raises ``CannotCheck``
with the reason: never a pass. A check the policy does not ask for raises ``NotAsked``.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

Snapshot = dict[str, Any]
Policy = dict[str, Any]

PASS, FAIL, CANNOT, SKIP = "pass", "fail", "cannot_check", "skip"
STATUSES = (PASS, FAIL, CANNOT, SKIP)
SEVERITIES = ("critical", "high", "medium", "low")


class CannotCheck(Exception):
    """What a check judges is not in the snapshot; the message says why."""


class NotAsked(Exception):
    """The policy does not ask for this check; the message names the policy key."""


class Check(NamedTuple):  # not a dataclass: importing dataclasses slows every start
    id: str
    title: str
    severity: str
    rationale: str
    remediation: str
    cis: str
    run: Callable[[Snapshot, Policy], list[str]]


CHECKS: list[Check] = []


def check(
    check_id: str,
    title: str,
    *,
    severity: str,
    rationale: str,
    remediation: str,
    cis: str = "",
) -> Callable[..., Any]:
    """Register a check function under its id and what a report says about it."""
    if severity not in SEVERITIES:
        raise ValueError(f"{check_id}: severity {severity!r} is not one of {SEVERITIES}")

    def register(func: Callable[[Snapshot, Policy], list[str]]) -> Callable[..., list[str]]:
        if any(c.id == check_id for c in CHECKS):
            raise ValueError(f"{check_id} is registered twice")
        CHECKS.append(Check(check_id, title, severity, rationale, remediation, cis, func))
        return func

    return register


def by_id() -> dict[str, Check]:
    return {c.id: c for c in CHECKS}


def judge(item: Check, snap: Snapshot, policy: Policy) -> dict[str, Any]:
    """One check's outcome: its status, the problems it found or why it could not judge."""
    problems: list[str] = []
    reason = ""
    try:
        problems = item.run(snap, policy)
        status = FAIL if problems else PASS
    except CannotCheck as exc:
        status, reason = CANNOT, str(exc)
    except NotAsked as exc:
        status, reason = SKIP, str(exc)
    return {
        "id": item.id,
        "title": item.title,
        "severity": item.severity,
        "cis": item.cis,
        "status": status,
        "problems": problems,
        "reason": reason,
        "rationale": item.rationale,
        "remediation": item.remediation,
    }
