"""What a fleet expects of a host's storage: the policy, its keys, defaults and validation.

A policy is data (YAML on the controller, a dict here). ``POLICY`` is the one list of its
keys: layerwise/policy/default.yml holds exactly these defaults (a unit test keeps them equal), and
``validate`` names a bad key and what it takes before any host is contacted.
"""

from __future__ import annotations

import json
import re
from typing import Any

Policy = dict[str, Any]

# key: (kind, default, what it means). Kinds: str, bool, int (0-100 for percents), days
# (1-3650), mib (a size in MiB, 1 to MAX_MIB), mode (an octal string such as "0644"),
# strings (a list of str), dict, tristate
# (true, false or null), store (one of STORES).
POLICY: dict[str, tuple[str, Any, str]] = {
    "driver": ("str", "overlay2", "storage driver docker info must report"),
    "image_store": (
        "store",
        "any",
        "image store: overlay2 (graph driver), containerd, or any (each host judged by its own)",
    ),
    "data_root": ("str", "", "Docker's data root; empty: whatever daemon.json and the engine say"),
    "data_root_own_filesystem": (
        "bool",
        True,
        "the data root is a filesystem of its own (CIS 1.1.1)",
    ),
    "backing_filesystems": (
        "strings",
        ["xfs", "ext4"],
        "filesystem types the data root may be on",
    ),
    "fstab_entry": ("bool", True, "the data root's filesystem is mounted from /etc/fstab"),
    "mount_dependency": (
        "bool",
        True,
        "docker.service waits for the data root's mount (RequiresMountsFor)",
    ),
    "min_free_percent": ("int", 10, "free space on the data root's filesystem, at least (%)"),
    "min_free_inodes_percent": (
        "int",
        10,
        "free inodes on the data root's filesystem, at least (%)",
    ),
    "daemon_json": ("dict", {}, "keys daemon.json must set, with their values"),
    "live_restore": ("tristate", None, "live-restore on (true) or off (false); null: not judged"),
    "daemon_json_max_mode": ("mode", "0644", "widest mode of daemon.json (CIS 3.18)"),
    "unit_max_mode": ("mode", "0644", "widest mode of docker.service (CIS 3.2)"),
    "config_dir_max_mode": ("mode", "0755", "widest mode of /etc/docker (CIS 3.6)"),
    "audit_paths": ("strings", [], "paths that must have audit rules (CIS 1.1.x); empty: none"),
    "max_writable_layer_mb": (
        "mib",
        1024,
        "the most a container may hold in its writable layer, in MiB (USE-001)",
    ),
    "log_rotation": ("bool", True, "every container's log file is rotated (USE-002)"),
    "max_unaccounted_percent": (
        "int",
        5,
        "the most of the data root filesystem's used bytes the account may leave unexplained (%)",
    ),
    "max_open_deleted_mb": (
        "mib",
        100,
        "the most one deleted file held open may keep, in MiB (USE-004)",
    ),
    "min_days_until_full": (
        "days",
        14,
        "the fewest days the data root's free space may last at its growth (USE-005)",
    ),
    "waiver_max_days": (
        "days",
        180,
        "the furthest a waiver's expiry may lie ahead, in days: longer ones are refused",
    ),
}

_MODE = re.compile(r"^0?[0-7]{3}$")
SHOWN = 40  # characters of a value an error message quotes
STORES = ("overlay2", "containerd", "any")
MAX_MIB = 1 << 30  # a PiB


def shown(value: Any) -> str:
    """``repr(value)`` cut to SHOWN characters: what an error message may quote of a value
    (a policy's value can be megabytes)."""
    text = repr(value)
    return text if len(text) <= SHOWN else text[: SHOWN - 3] + "..."


def _json_value(value: Any) -> bool:
    """Whether daemon.json can hold ``value`` as it is (strict JSON: no NaN, no dates)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def defaults() -> Policy:
    """The default policy (layerwise/policy/default.yml holds the same)."""
    return {key: _copy(default) for key, (_kind, default, _why) in POLICY.items()}


def _copy(value: Any) -> Any:
    return (
        list(value)
        if isinstance(value, list)
        else dict(value)
        if isinstance(value, dict)
        else value
    )


def _kind_error(kind: str, value: Any) -> str:
    """What is wrong with value for kind, or '' when it fits."""
    if kind == "str" and not isinstance(value, str):
        return "a string"
    if kind == "bool" and not isinstance(value, bool):
        return "true or false"
    if kind == "tristate" and value is not None and not isinstance(value, bool):
        return "true, false or null"
    if kind == "int" and (
        isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100
    ):
        return "a whole number from 0 to 100"
    if kind == "days" and (
        isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 3650
    ):
        return "a whole number of days from 1 to 3650"
    if kind == "mib" and (
        isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MIB
    ):
        return f"a whole number of MiB from 1 to {MAX_MIB}"
    if kind == "mode" and not (isinstance(value, str) and _MODE.match(value)):
        return 'an octal mode in quotes, such as "0644"'
    if kind == "strings" and not (
        isinstance(value, list) and all(isinstance(v, str) and v for v in value)
    ):
        return "a list of non-empty strings"
    if kind == "store" and value not in STORES:
        return f"one of {', '.join(STORES)}"
    if kind == "dict" and not (isinstance(value, dict) and _json_value(value)):
        return "a mapping of daemon.json keys to JSON values"
    return ""


def validate(given: Any) -> tuple[Policy, list[str]]:
    """The given policy over the defaults, and every error in it (unknown key, wrong kind)."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        return defaults(), [f"a policy is a mapping of keys to values, not {type(given).__name__}"]
    errors = []
    policy = defaults()
    for key, value in given.items():
        if key == "version":
            if isinstance(value, bool) or not isinstance(value, int) or value != 1:
                errors.append(
                    f"version: {shown(value)} is not a policy version this layerwise reads (1)"
                )
            continue
        if key not in POLICY:
            name = key if isinstance(key, str) and len(key) <= SHOWN else shown(key)
            errors.append(f"{name}: not a policy key; known keys: {', '.join(sorted(POLICY))}")
            continue
        wrong = _kind_error(POLICY[key][0], value)
        if wrong:
            errors.append(f"{key}: {shown(value)} is not {wrong}")
        else:
            policy[key] = value
    return policy, errors


def mode(value: str) -> int:
    """A policy mode string as a number."""
    return int(value, 8)
