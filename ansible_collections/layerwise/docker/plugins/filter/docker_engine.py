"""Jinja filters of the docker_engine role: what the host already has, read by one command
at the start of the run (tasks/main.yml), so that a task whose result is already there is
skipped instead of run as a module that finds nothing to do (apt alone takes the host about
two seconds to open its cache).

Every answer errs towards running the task: what the command did not show is missing.
"""

from __future__ import annotations

from typing import Any

# dpkg's status of a package whose files are all in place
INSTALLED = "installed"


def found(stdout: str) -> dict[str, Any]:
    """The command's lines parsed:

    - ``package <name> <dpkg status>`` (dpkg-query)
    - ``service <is-enabled> <is-active>`` (systemctl, for docker.service)
    - ``file <path> <sha256> - <octal mode> <uid> <gid>``
    - ``source <deb822 line>`` (the pinned suite's apt source, one line each)
    """
    result: dict[str, Any] = {"packages": {}, "service": {}, "files": {}, "source": {}}
    for line in stdout.splitlines():
        kind, _unused, rest = line.partition(" ")
        words = rest.split()
        if kind == "package" and len(words) == 2:
            result["packages"][words[0]] = words[1]
        elif kind == "service" and len(words) == 2:
            result["service"] = {"enabled": words[0], "active": words[1]}
        elif kind == "file" and len(words) == 6:
            path, sha256, _unused, mode, uid, gid = words
            result["files"][path] = {
                "sha256": sha256,
                "mode": mode.zfill(4),
                "uid": int(uid),
                "gid": int(gid),
            }
        elif kind == "source" and ":" in rest:
            key, _unused, value = rest.partition(":")
            result["source"][key.strip()] = value.strip()
    return result


def missing(packages: list[str], host: dict[str, Any]) -> list[str]:
    """The ``packages`` the host does not have installed."""
    return [name for name in packages if host["packages"].get(name) != INSTALLED]


def file_differs(host: dict[str, Any], path: str, sha256: str, mode: str) -> bool:
    """Whether ``path`` is not a root-owned file with content hash ``sha256`` and ``mode``."""
    seen = host["files"].get(path)
    return seen != {"sha256": sha256, "mode": mode, "uid": 0, "gid": 0}


def service_differs(host: dict[str, Any], enabled: bool, state: str) -> bool:
    """Whether docker.service is not ``enabled`` and in ``state`` (started or stopped; a
    restart or reload is always work to do)."""
    active = {"started": "active", "stopped": "inactive"}.get(state)
    return host["service"] != {"enabled": "enabled" if enabled else "disabled", "active": active}


class FilterModule:
    """docker_engine_found, docker_engine_missing, docker_engine_file_differs,
    docker_engine_service_differs."""

    def filters(self) -> dict[str, Any]:
        return {
            "docker_engine_found": found,
            "docker_engine_missing": missing,
            "docker_engine_file_differs": file_differs,
            "docker_engine_service_differs": service_differs,
        }
