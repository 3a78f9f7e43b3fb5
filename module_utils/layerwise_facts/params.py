"""The reader's options, and ``--params JSON`` checked against them when it runs on its own."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

DAEMON_JSON = "/etc/docker/daemon.json"

DOCKER_HOST = "unix:///var/run/docker.sock"


# The module's options; run on its own (--params), the same defaults apply.
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "data_root": {"type": "str", "default": ""},
    "source": {"type": "str", "default": ""},
    "daemon_json": {"type": "str", "default": DAEMON_JSON},
    "docker_host": {"type": "str", "default": DOCKER_HOST},
    "layers": {"type": "bool", "default": True},
    "files": {"type": "list", "elements": "str", "default": []},
    "digests": {"type": "list", "elements": "str", "default": []},
    "checks": {"type": "bool", "default": True},
    "policy": {"type": "dict", "default": {}},
    "only": {"type": "list", "elements": "str", "default": []},
    "snapshot": {"type": "bool", "default": True},
}


class BadParams(ValueError):
    """Standalone parameters that are not what ARGUMENT_SPEC takes."""


_KINDS = {"str": str, "bool": bool, "list": list, "dict": dict}


def standalone_params(argv: list[str]) -> dict[str, Any]:
    """``--params JSON`` checked against ARGUMENT_SPEC, over its defaults."""
    text = argv[2] if len(argv) > 2 else "{}"
    try:
        given = json.loads(text)
    except ValueError as exc:
        raise BadParams(f"--params is not JSON ({exc}): pass one JSON object") from None
    if not isinstance(given, dict):
        raise BadParams(f"--params must be a JSON object of options, not {type(given).__name__}")
    unknown = sorted(set(given) - set(ARGUMENT_SPEC))
    if unknown:
        raise BadParams(f"unknown option {unknown[0]!r}; options: {', '.join(ARGUMENT_SPEC)}")
    for name, value in given.items():
        spec = ARGUMENT_SPEC[name]
        if not isinstance(value, _KINDS[spec["type"]]):
            raise BadParams(f"option {name!r} takes a {spec['type']}, not {value!r}")
        if spec.get("elements") == "str" and not all(isinstance(v, str) for v in value):
            raise BadParams(f"option {name!r} takes a list of strings, not {value!r}")
    scheme = urlparse(given.get("docker_host", DOCKER_HOST)).scheme
    if scheme not in ("unix", "tcp", "http"):
        raise BadParams(
            f"option 'docker_host' {given['docker_host']!r}: use unix:///path or tcp://host:port"
        )
    defaults = {name: spec["default"] for name, spec in ARGUMENT_SPEC.items()}
    return {**defaults, **given}
