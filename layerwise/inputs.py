"""The inputs of a compliance run, checked before any host is contacted: the policy and the
waivers, each error with its file, line and what to write instead."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_checks.policy import shown

from . import yamlfile

DEFAULT_POLICY = Path(__file__).with_name("policy") / "default.yml"
WAIVER_KEYS = {"check", "hosts", "groups", "fleet", "justification", "expires", "approved_by"}
# a pattern of wildcards only names every host or group: a fleet-wide waiver says fleet: true
_EVERYTHING = re.compile(r"^[*?]*\*[*?]*$")


class InputError(ValueError):
    """A policy or waiver file that cannot be used; the message names file, line and fix."""


@dataclass(frozen=True)
class Waiver:
    check: str
    hosts: tuple[str, ...]
    groups: tuple[str, ...]
    justification: str
    expires: dt.date
    approved_by: str
    line: int
    fleet: bool = False  # every host: said explicitly, shown as fleet-wide in every report

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "hosts": list(self.hosts),
            "groups": list(self.groups),
            "fleet": self.fleet,
            "justification": self.justification,
            "expires": self.expires.isoformat(),
            "approved_by": self.approved_by,
            "line": self.line,
        }


def _load(path: Path) -> tuple[Any, yaml.Node | None]:
    """A YAML file's plain data and its node tree (for line numbers), read as hostile input
    (yamlfile: bounded size, regular files, UTF-8, no aliases or duplicate keys)."""
    try:
        return yamlfile.load(path)
    except yamlfile.FileError as exc:
        raise InputError(str(exc)) from None


def _key_lines(node: yaml.Node | None) -> dict[str, int]:
    """Line of each key of a mapping node (1-based)."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def load_policy(path: Path | None) -> dict[str, Any]:
    """The policy file over the judge's defaults; every error with its line."""
    if path is None:
        path = DEFAULT_POLICY
    data, node = _load(path)
    policy, errors = checks.validate(data)
    if errors:
        lines = _key_lines(node)
        raise InputError(
            "\n".join(f"{path}:{lines.get(e.partition(':')[0], 1)}: {e}" for e in errors)
        )
    return policy


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    return None


def _waiver(
    entry: Any, line: int, known: set[str], latest: dt.date
) -> tuple[Waiver | None, list[str]]:
    if not isinstance(entry, dict):
        return None, [f"a waiver is a mapping with {', '.join(sorted(WAIVER_KEYS))}"]
    errors = [f"unknown key {shown(k)}" for k in sorted(set(entry) - WAIVER_KEYS)]
    check = entry.get("check")
    if not isinstance(check, str) or check not in known:
        errors.append(f"check {shown(check)} is not a layerwise check id (e.g. {sorted(known)[0]})")
    hosts, groups = _strings(entry.get("hosts")), _strings(entry.get("groups"))
    fleet = entry.get("fleet", False)
    if "hosts" in entry and hosts is None:
        errors.append("hosts must be a host name pattern or a list of them")
    if "groups" in entry and groups is None:
        errors.append("groups must be a group name pattern or a list of them")
    if not isinstance(fleet, bool):
        errors.append(f"fleet {shown(fleet)} is not true or false")
    elif fleet and (entry.get("hosts") or entry.get("groups")):
        errors.append("fleet: true waives every host: give no hosts or groups with it")
    elif not fleet and not entry.get("hosts") and not entry.get("groups"):
        errors.append("name the hosts or groups it waives (patterns such as 'build-*')")
    for key, patterns in (("hosts", hosts), ("groups", groups)):
        everything = [p for p in patterns or () if _EVERYTHING.match(p)]
        if everything:
            errors.append(
                f"{key} pattern {shown(everything[0])} names every one: a fleet-wide waiver says "
                "so with fleet: true (and no hosts or groups)"
            )
    for key in ("justification", "approved_by"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            errors.append(f"{key} is required: who and why, in words")
    expires = entry.get("expires")  # the file's text: yamlfile makes no dates
    if isinstance(expires, str):
        with contextlib.suppress(ValueError):
            expires = dt.date.fromisoformat(expires)
    if not isinstance(expires, dt.date):
        errors.append(f"expires {shown(entry.get('expires'))} is not a date (YYYY-MM-DD)")
    elif expires > latest:
        errors.append(
            f"expires {expires.isoformat()} is after {latest.isoformat()}, further ahead than the"
            " policy's waiver_max_days allows: waive for a shorter time, and renew it then"
        )
    if errors:
        return None, errors
    return Waiver(
        check,
        hosts or (),
        groups or (),
        entry["justification"].strip(),
        expires,
        entry["approved_by"].strip(),
        line,
        fleet,
    ), []


def load_waivers(
    path: Path | None, max_days: int | None = None, today: dt.date | None = None
) -> list[Waiver]:
    """The waivers of a file (``waivers:`` list); every error with its line. An expiry more
    than ``max_days`` (the policy's waiver_max_days) after ``today`` is an error."""
    if path is None:
        return []
    data, node = _load(path)
    if not isinstance(data, dict) or not isinstance(data.get("waivers"), list):
        raise InputError(f"{path}:1: a waiver file holds 'waivers:', a list of waivers")
    entries = next(v for k, v in node.value if k.value == "waivers").value  # type: ignore[union-attr]
    known = {c.id for c in checks.CHECKS}
    days = checks.defaults()["waiver_max_days"] if max_days is None else max_days
    latest = (today or dt.date.today()) + dt.timedelta(days=days)
    waivers, errors = [], []
    for entry, item in zip(data["waivers"], entries):
        line = item.start_mark.line + 1
        waiver, problems = _waiver(entry, line, known, latest)
        errors.extend(f"{path}:{line}: {p}" for p in problems)
        if waiver:
            waivers.append(waiver)
    if errors:
        raise InputError("\n".join(errors))
    return waivers
