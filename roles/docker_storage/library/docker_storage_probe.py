#!/usr/bin/python3
"""Read-only probe of what the docker_storage role decides on, in one remote call.

Standard library only: target hosts have nothing but python3.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import subprocess
import sys
from typing import Any

DOCUMENTATION = r"""
---
module: docker_storage_probe
short_description: Read a Docker host's storage state before and after docker_storage changes it
description:
  - Returns, in one call, the backing source (device or loop file) with its signature and xfs
    ftype, what is mounted on the data root, what the running engine reports, daemon.json as
    parsed, storage flags set on dockerd's command line by its systemd unit, and whether the
    kernel has XFS quota support. Changes nothing.
options:
  data_root:
    description: Docker's data root.
    type: str
    required: true
  source:
    description: Block device, LV or loop image file meant to hold the data root; empty for none.
    type: str
    default: ""
  daemon_json:
    description: Path of daemon.json.
    type: str
    default: /etc/docker/daemon.json
author: layerwise
"""

RETURN = r"""
source:
  description: The backing device or file, its signature and xfs ftype.
  type: dict
  returned: always
mount:
  description: What is mounted on the data root.
  type: dict
  returned: always
docker:
  description: The engine's storage facts from docker info.
  type: dict
  returned: always
daemon_json:
  description: daemon.json existence, parsed content or parse error.
  type: dict
  returned: always
unit:
  description: docker.service found, and storage flags on dockerd's command line.
  type: dict
  returned: always
xfs_quota_supported:
  description: The kernel has XFS quota support.
  type: bool
  returned: always
"""

# dockerd flags that set what daemon.json's storage keys set, and the key each one clashes with.
STORAGE_FLAGS = {
    "--storage-driver": "storage-driver",
    "-s": "storage-driver",
    "--storage-opt": "storage-opts",
    "--data-root": "data-root",
    "--graph": "data-root",
    "-g": "data-root",
}

DAEMON_JSON = "/etc/docker/daemon.json"

_ENV_REF = re.compile(r"\$\{(\w+)\}|\$(\w+)")


def run(argv: list[str]) -> tuple[int, str, str]:
    """Run a command without a shell; a missing program is rc 127."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    except FileNotFoundError:
        return 127, "", f"{argv[0]}: not found"
    return proc.returncode, proc.stdout, proc.stderr


def kv_lines(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines, as ``blkid -o export`` prints them."""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def xfs_ftype(xfs_info_text: str) -> int | None:
    """The ``ftype=`` value of ``xfs_info`` output, None when absent."""
    match = re.search(r"\bftype=([01])\b", xfs_info_text)
    return int(match.group(1)) if match else None


def unit_exec_starts(unit_text: str) -> list[str]:
    """The ExecStart commands in force in ``systemctl cat`` output.

    Later files (drop-ins) add to, or after an empty ``ExecStart=`` replace, earlier ones.
    Backslash continuations are joined.
    """
    commands: list[str] = []
    for raw in unit_text.replace("\\\n", " ").splitlines():
        line = raw.strip()
        if not line.startswith("ExecStart="):
            continue
        value = line[len("ExecStart=") :].strip()
        if value:
            commands.append(value)
        else:
            commands = []
    return commands


def parse_env_file(text: str) -> dict[str, str]:
    """``KEY=value`` lines of an EnvironmentFile such as /etc/default/docker."""
    env: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if key.startswith("export "):
            key = key[len("export ") :]
        try:
            words = shlex.split(value, comments=True)
        except ValueError:
            words = [value]
        env[key.strip()] = " ".join(words)
    return env


def flag_conflicts(unit_text: str, env_text: str = "") -> list[dict[str, str]]:
    """Storage settings that dockerd gets as flags from its systemd unit.

    Each entry names the flag, the daemon.json key it clashes with, the ExecStart command it
    sits in, and the environment variables it came through (from the EnvironmentFile).
    """
    env = parse_env_file(env_text)
    found: list[dict[str, str]] = []
    for command in unit_exec_starts(unit_text):
        words = command.lstrip("-@+!:").split()
        if not words or os.path.basename(words[0]) != "dockerd":
            continue
        via = sorted({m.group(1) or m.group(2) for m in _ENV_REF.finditer(command)} & env.keys())
        expanded = _ENV_REF.sub(lambda m: env.get(m.group(1) or m.group(2), ""), command)
        try:
            tokens = shlex.split(expanded)
        except ValueError:
            tokens = expanded.split()
        for token in tokens[1:]:
            name = token.split("=", 1)[0]
            if name in STORAGE_FLAGS:
                found.append(
                    {
                        "flag": token,
                        "key": STORAGE_FLAGS[name],
                        "command": command,
                        "via": ", ".join(f"${v}" for v in via),
                    }
                )
    return found


def storage_info(info: dict[str, Any] | None) -> dict[str, Any]:
    """The storage facts of ``docker info``'s JSON, with DriverStatus pairs made a dict."""
    info = info or {}
    status = {str(k): str(v) for k, v in (info.get("DriverStatus") or [])}
    d_type = status.get("Supports d_type")
    return {
        "engine_version": info.get("ServerVersion", ""),
        "driver": info.get("Driver", ""),
        "driver_status": status,
        "backing_filesystem": status.get("Backing Filesystem", ""),
        "d_type": None if d_type is None else d_type.lower() == "true",
        "root_dir": info.get("DockerRootDir", ""),
        "images": int(info.get("Images") or 0),
        "containers": int(info.get("Containers") or 0),
    }


def version_tuple(version: str) -> tuple[int, ...]:
    """``20.10.24+dfsg1`` -> (20, 10, 24)."""
    return tuple(int(p) for p in re.findall(r"\d+", version.split("+", 1)[0])[:3])


def probe_source(path: str) -> dict[str, Any]:
    """The device or loop file: kind, signature (blkid -p) and, for xfs, its ftype."""
    result: dict[str, Any] = {
        "path": path,
        "exists": False,
        "realpath": "",
        "is_block": False,
        "is_file": False,
        "size": 0,
        "signature": {},
        "xfs_ftype": None,
    }
    if not path:
        return result
    try:
        st = os.stat(path)
    except OSError:
        return result
    result.update(
        exists=True,
        realpath=os.path.realpath(path),
        is_block=stat.S_ISBLK(st.st_mode),
        is_file=stat.S_ISREG(st.st_mode),
        size=st.st_size,
    )
    rc, out, err = run(["blkid", "-p", "-o", "export", path])
    if rc not in (0, 2):
        result["signature_error"] = (err or out).strip()
    result["signature"] = {
        k: v for k, v in kv_lines(out).items() if k in ("TYPE", "PTTYPE", "UUID", "LABEL", "USAGE")
    }
    if result["signature"].get("TYPE") == "xfs":
        result["xfs_ftype"] = xfs_ftype(run(["xfs_info", path])[1])
    return result


def probe_mount(data_root: str) -> dict[str, Any]:
    """What is mounted exactly on the data root, and the loop file behind it if any."""
    rc, out, _ = run(["findmnt", "-J", "-o", "SOURCE,FSTYPE,OPTIONS", "--mountpoint", data_root])
    found = json.loads(out).get("filesystems", []) if rc == 0 and out.strip() else []
    mount: dict[str, Any] = {
        "mounted": False,
        "exists": os.path.isdir(data_root),
        "source": "",
        "realsource": "",
        "fstype": "",
        "options": [],
        "backing_file": "",
        "xfs_ftype": None,
    }
    if not found:
        return mount
    entry = found[-1]
    source = entry.get("source") or ""
    mount.update(
        {
            "mounted": True,
            "source": source,
            "realsource": os.path.realpath(source) if source.startswith("/") else source,
            "fstype": entry.get("fstype") or "",
            "options": (entry.get("options") or "").split(","),
        }
    )
    if re.match(r"^/dev/loop\d+$", source):
        mount["backing_file"] = run(["losetup", "-n", "-O", "BACK-FILE", source])[1].strip()
    if mount["fstype"] == "xfs":
        mount["xfs_ftype"] = xfs_ftype(run(["xfs_info", data_root])[1])
    return mount


def probe_docker() -> dict[str, Any]:
    """The engine's storage facts, or why it does not answer."""
    facts = storage_info(None)
    facts.update(answers=False, error="", validate_supported=False)
    rc, out, err = run(["docker", "info", "--format", "{{json .}}"])
    try:
        info = json.loads(out) if rc == 0 else {}
    except ValueError:
        info = {}
    if rc != 0 or not info or info.get("ServerErrors"):
        facts["error"] = "; ".join(info.get("ServerErrors") or []) or (err or out).strip()[-500:]
        return facts
    facts.update(storage_info(info))
    facts["answers"] = True
    facts["validate_supported"] = version_tuple(facts["engine_version"]) >= (23,)
    return facts


def probe_daemon_json(path: str) -> dict[str, Any]:
    """daemon.json parsed, or the reason it cannot be."""
    if not os.path.exists(path):
        return {"exists": False, "content": {}, "error": ""}
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        content = json.loads(text) if text.strip() else {}
    except (OSError, ValueError) as exc:
        return {"exists": True, "content": None, "error": str(exc)}
    if not isinstance(content, dict):
        return {
            "exists": True,
            "content": None,
            "error": "the top level is not a JSON object",
        }
    return {"exists": True, "content": content, "error": ""}


def probe_unit() -> dict[str, Any]:
    """Whether docker.service exists, and storage flags it and its drop-ins give dockerd."""
    rc, unit_text, _ = run(["systemctl", "cat", "--no-pager", "docker.service"])
    if rc != 0:
        return {"found": False, "flag_conflicts": []}
    env_text = ""
    for line in unit_text.splitlines():
        if line.strip().startswith("EnvironmentFile="):
            env_path = line.split("=", 1)[1].strip().lstrip("-")
            try:
                with open(env_path, encoding="utf-8") as handle:
                    env_text += handle.read() + "\n"
            except OSError:
                pass
    return {"found": True, "flag_conflicts": flag_conflicts(unit_text, env_text)}


def probe(data_root: str, source: str, daemon_json: str) -> dict[str, Any]:
    """Everything the role decides on, as one dict."""
    return {
        "source": probe_source(source),
        "mount": probe_mount(data_root),
        "docker": probe_docker(),
        "daemon_json": probe_daemon_json(daemon_json),
        "unit": probe_unit(),
        "xfs_quota_supported": os.path.exists("/proc/fs/xfs/xqmstat"),
    }


def main() -> None:
    """Ansible module entry; ``--json DATA_ROOT [SOURCE [DAEMON_JSON]]`` prints the probe."""
    if len(sys.argv) > 1 and sys.argv[1] == "--json":
        data_root, source, daemon_json = [*sys.argv[2:5], "", ""][:3]
        print(json.dumps(probe(data_root, source, daemon_json or DAEMON_JSON)))
        return
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(
        argument_spec={
            "data_root": {"type": "str", "required": True},
            "source": {"type": "str", "default": ""},
            "daemon_json": {"type": "str", "default": DAEMON_JSON},
        },
        supports_check_mode=True,
    )
    params = module.params
    module.exit_json(
        changed=False,
        **probe(params["data_root"], params["source"], params["daemon_json"]),
    )


if __name__ == "__main__":
    main()
