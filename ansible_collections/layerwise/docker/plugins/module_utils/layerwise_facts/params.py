"""The reader's options, and ``--params JSON`` checked against them when it runs on its own."""

from __future__ import annotations

import json
import os
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
    "usage": {"type": "bool", "default": False},
    "usage_walk_layers": {"type": "bool", "default": False},
    "files": {"type": "list", "elements": "str", "default": []},
    "digests": {"type": "list", "elements": "str", "default": []},
    "checks": {"type": "bool", "default": True},
    "policy": {"type": "dict", "default": {}},
    "only": {"type": "list", "elements": "str", "default": []},
    "snapshot": {"type": "bool", "default": True},
}


class BadParams(ValueError):
    """Standalone parameters that are not what ARGUMENT_SPEC takes."""


def _no_constant(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


_KINDS = {"str": str, "bool": bool, "list": list, "dict": dict}


USAGE = "usage: {} --params JSON   (options: {})"
# Options only the Ansible module acts on: run on its own, the reader judges nothing
MODULE_ONLY = ("checks", "policy", "only", "snapshot")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def standalone_params(argv: list[str]) -> dict[str, Any]:
    """``[prog, "--params", JSON]`` checked against ARGUMENT_SPEC, over its defaults; BadParams
    (one line) for anything else: another argument, JSON that is not one object of known
    options of the right types, a NUL in a string, nesting deeper than Python reads, an
    option only the Ansible module acts on."""
    if len(argv) < 2 or argv[1] != "--params" or len(argv) > 3:
        prog = os.path.basename(argv[0]) if argv else "reader"
        raise BadParams(
            USAGE.format(prog, ", ".join(o for o in ARGUMENT_SPEC if o not in MODULE_ONLY))
        )
    text = argv[2] if len(argv) > 2 else "{}"
    try:
        given = json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise BadParams("--params is nested too deep: pass one flat JSON object") from None
    except ValueError as exc:
        raise BadParams(f"--params is not JSON ({str(exc)[:100]}): pass one JSON object") from None
    if not isinstance(given, dict):
        raise BadParams(f"--params must be a JSON object of options, not {type(given).__name__}")
    unknown = sorted(set(given) - set(ARGUMENT_SPEC))
    if unknown:
        options = ", ".join(ARGUMENT_SPEC)
        raise BadParams(f"unknown option {_shown(unknown[0])}; options: {options}")
    ignored = [name for name in MODULE_ONLY if name in given]
    if ignored:
        raise BadParams(
            f"option {ignored[0]!r} is for the Ansible module (it judges there); run on its own"
            " the reader prints the snapshot: leave it out"
        )
    for name, value in given.items():
        spec = ARGUMENT_SPEC[name]
        if not isinstance(value, _KINDS[spec["type"]]):
            raise BadParams(f"option {name!r} takes a {spec['type']}, not {_shown(value)}")
        if spec.get("elements") == "str" and not all(isinstance(v, str) for v in value):
            raise BadParams(f"option {name!r} takes a list of strings, not {_shown(value)}")
        strings = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and "\0" in v for v in strings):
            raise BadParams(f"option {name!r} holds a NUL character: no path or URL has one")
    scheme = urlparse(given.get("docker_host", DOCKER_HOST)).scheme
    if scheme not in ("unix", "tcp", "http"):
        raise BadParams(
            f"option 'docker_host' {_shown(given['docker_host'])}: use unix:///path or tcp://host:port"
        )
    defaults = {name: spec["default"] for name, spec in ARGUMENT_SPEC.items()}
    return {**defaults, **given}
