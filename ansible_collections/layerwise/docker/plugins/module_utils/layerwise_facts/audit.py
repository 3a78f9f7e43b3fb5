"""The paths the kernel's loaded audit rules watch (``auditctl -l``)."""

from __future__ import annotations

from typing import Any

from .files import run


def audit_watches(rules: str) -> list[str]:
    """Paths that ``auditctl -l`` rules watch (-w PATH, or -F path=/dir= in syscall rules)."""
    watched = []
    for line in rules.splitlines():
        words = line.split()
        for index, word in enumerate(words):
            if word == "-w" and index + 1 < len(words):
                watched.append(words[index + 1])
            elif word == "-F" and index + 1 < len(words):
                name, _unused, value = words[index + 1].partition("=")
                if name in ("path", "dir") and value:
                    watched.append(value)
    return watched


def read_audit() -> dict[str, Any]:
    """The paths the kernel's loaded audit rules watch, or why they cannot be read."""
    rc, out, err = run(["auditctl", "-l"])
    if rc == 127:
        return {"available": False, "watched": [], "error": "auditctl not found: no auditd"}
    if rc != 0:
        why = (err or out).strip() or f"rc {rc}"
        return {"available": False, "watched": [], "error": f"auditctl -l failed: {why}"}
    return {"available": True, "watched": audit_watches(out), "error": ""}
