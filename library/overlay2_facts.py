#!/usr/bin/python3
"""Read a Docker host's whole storage state in one call, changing nothing.

The one reader of a host in layerwise: the docker_storage role decides and verifies with it,
the testinfra suite and compliance runs take their snapshot from it. Standard library only
(target hosts have nothing but python3). It runs as an Ansible module or on its own:

    python3 overlay2_facts.py --params '{"data_root": "/var/lib/docker"}'
"""

from __future__ import annotations

import glob
import hashlib
import http.client
import json
import os
import re
import shlex
import socket
import stat
import subprocess
import sys
import time
from typing import Any
from urllib.parse import urlparse

DOCUMENTATION = r"""
---
module: overlay2_facts
short_description: A Docker host's storage state as one JSON snapshot
description:
  - Returns, in one call, daemon.json as parsed, the engine's info, every overlay2 layer dir
    with its parts and modes, the l/ links, the layer database (layers and container mounts),
    the overlay mounts from /proc/self/mountinfo, the images and containers as the engine
    reports them (containers with their GraphDriver data), the backing filesystem of the data
    root, the backing device or loop file, and storage flags on dockerd's command line.
  - With I(checks) it also judges that snapshot with the layerwise checks against I(policy)
    (module_utils/layerwise_checks), on the host, and returns every outcome.
  - Also reads the files the CIS Docker Benchmark judges (the config file dockerd really
    reads, docker.service, /etc/docker), live-restore and userns-remap in effect, and the
    paths audit rules watch.
  - Changes nothing; check mode is supported.
options:
  data_root:
    description: Docker's data root. Empty means the engine's DockerRootDir, else daemon.json's
      data-root, else /var/lib/docker.
    type: str
    default: ""
  source:
    description: Block device, LV or loop image file meant to hold the data root; empty for none.
    type: str
    default: ""
  daemon_json:
    description: Path of daemon.json.
    type: str
    default: /etc/docker/daemon.json
  docker_host:
    description: The engine's API socket, unix:// or tcp://.
    type: str
    default: unix:///var/run/docker.sock
  layers:
    description: Read the overlay2 layer dirs, l/ links, layerdb, images and containers.
    type: bool
    default: true
  files:
    description: Paths to describe (type, mode, size, device numbers, sha256, opaque xattr).
    type: list
    elements: str
    default: []
  digests:
    description: Layer dir names whose diff/ content is hashed (names, modes, content).
    type: list
    elements: str
    default: []
  checks:
    description: Also judge the snapshot with the layerwise checks (Ansible module only).
    type: bool
    default: true
  policy:
    description: What the fleet expects (policy/default.yml lists the keys); unset keys take
      their defaults. A bad key fails the module before anything is read.
    type: dict
    default: {}
  only:
    description: Check id prefixes to run (e.g. [OVL]); empty runs every check.
    type: list
    elements: str
    default: []
  snapshot:
    description: Return the whole snapshot; false returns only the outcomes and the summary
      (what a compliance run brings back).
    type: bool
    default: true
author: layerwise
"""

RETURN = r"""
data_root:
  description: The data root read (the option, else daemon.json's data-root, else /var/lib/docker).
  type: str
  returned: always
docker:
  description: The engine's storage facts (answers, error, engine_version, driver, driver_status,
    backing_filesystem, d_type, root_dir, images, containers, validate_supported, live_restore,
    userns).
  type: dict
  returned: always
daemon_json:
  description: The config file dockerd reads (its --config-file, else the option) - path, exists,
    content or the parse error, owner and mode, the role's backups.
  type: dict
  returned: always
config_dir:
  description: The directory of that file (/etc/docker) - path, owner and mode.
  type: dict
  returned: always
audit:
  description: The paths the loaded audit rules watch (auditctl -l), or why they cannot be read.
  type: dict
  returned: always
unit:
  description: docker.service - found, its file with owner and mode, storage flags on dockerd's
    command line, RequiresMountsFor, its --config-file.
  type: dict
  returned: always
source:
  description: The device or loop file meant for the data root - signature, xfs ftype.
  type: dict
  returned: always
backing_fs:
  description: The filesystem holding the data root (mount, device, loop file, type, options,
    xfs ftype, fstab entries, bytes and inodes total and free).
  type: dict
  returned: always
xfs_quota_supported:
  description: Whether the kernel has XFS quota (/proc/fs/xfs/xqmstat).
  type: bool
  returned: always
overlay_mounts:
  description: Overlay mounts under the driver home (lowerdir, upperdir, workdir, absolute).
  type: list
  returned: always
files:
  description: The asked-for paths described (type, mode, size, owner, rdev, sha256, target,
    opaque).
  type: dict
  returned: always
digests:
  description: A content hash of each asked-for layer's diff/.
  type: dict
  returned: always
overlay2:
  description: Driver home, layer dirs with parts and modes, l/ links.
  type: dict
  returned: when layers is true
layerdb:
  description: Image layers by chain id and container mounts.
  type: dict
  returned: when layers is true
images:
  description: The engine's images with tags, RootFS diff ids and history.
  type: list
  returned: when layers is true
containers:
  description: Every container with its state, image and GraphDriver data.
  type: list
  returned: when layers is true
summary:
  description: The host's effective storage in a few fields, for fleet drift (engine_version,
    driver, image_store, backing_filesystem, storage_keys).
  type: dict
  returned: always
elapsed:
  description: Seconds the read took on the host.
  type: float
  returned: always
results:
  description: Every check's outcome (id, title, severity, cis, status pass, fail, skip or
    cannot_check, problems, reason, rationale, remediation).
  type: list
  returned: when checks is true
findings:
  description: The outcomes that failed or could not be checked.
  type: list
  returned: when checks is true
findings_message:
  description: The findings as one readable message (empty when there are none).
  type: str
  returned: when checks is true
"""

DAEMON_JSON = "/etc/docker/daemon.json"
DOCKER_HOST = "unix:///var/run/docker.sock"
DEFAULT_DATA_ROOT = "/var/lib/docker"

# dockerd flags that set what daemon.json's storage keys set, and the key each one clashes with.
STORAGE_FLAGS = {
    "--storage-driver": "storage-driver",
    "-s": "storage-driver",
    "--storage-opt": "storage-opts",
    "--data-root": "data-root",
    "--graph": "data-root",
    "-g": "data-root",
}

# Files of a layer dir that are read, not just listed.
LAYER_TEXT_PARTS = ("link", "lower")
LAYERDB_FILES = ("cache-id", "diff", "parent", "size")
MOUNT_FILES = ("mount-id", "init-id", "parent")

_ENV_REF = re.compile(r"\$\{(\w+)\}|\$(\w+)")
_MOUNTINFO_ESCAPE = re.compile(r"\\([0-7]{3})")

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

# daemon.json keys that decide where and how images are stored (fleet drift compares them)
STORAGE_KEYS = ("storage-driver", "storage-opts", "data-root", "features")


# ---- small readers ---------------------------------------------------------------------------


def run(argv: list[str]) -> tuple[int, str, str]:
    """Run a command without a shell; a missing program is rc 127."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    except FileNotFoundError:
        return 127, "", f"{argv[0]}: not found"
    return proc.returncode, proc.stdout, proc.stderr


def read_text(path: str) -> str | None:
    """A small file's text without its trailing newline, None when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().rstrip("\n")
    except (OSError, UnicodeDecodeError):
        return None


def file_type(mode: int) -> str:
    """The kind of file a st_mode says."""
    for test, name in (
        (stat.S_ISDIR, "dir"),
        (stat.S_ISREG, "file"),
        (stat.S_ISLNK, "symlink"),
        (stat.S_ISCHR, "char"),
        (stat.S_ISBLK, "block"),
        (stat.S_ISFIFO, "fifo"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "other"


def kv_lines(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines, as ``blkid -o export`` prints them."""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def xfs_ftype(xfs_info_text: str) -> int | None:
    """The ``ftype=`` value of ``xfs_info`` output, None when absent."""
    match = re.search(r"\bftype=([01])\b", xfs_info_text)
    return int(match.group(1)) if match else None


def version_tuple(version: str) -> tuple[int, ...]:
    """``20.10.24+dfsg1`` -> (20, 10, 24)."""
    return tuple(int(p) for p in re.findall(r"\d+", version.split("+", 1)[0])[:3])


# ---- dockerd's command line ------------------------------------------------------------------


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


def systemd_properties(text: str) -> dict[str, str]:
    """``systemctl show`` output as a dict."""
    return dict(line.partition("=")[::2] for line in text.splitlines() if "=" in line)


def read_unit() -> dict[str, Any]:
    """docker.service: its file, storage flags it and its drop-ins give dockerd, mounts it needs."""
    rc, unit_text, _ = run(["systemctl", "cat", "--no-pager", "docker.service"])
    if rc != 0:
        return {"found": False, "flag_conflicts": [], "requires_mounts_for": [], "path": ""}
    env_text = ""
    for line in unit_text.splitlines():
        if line.strip().startswith("EnvironmentFile="):
            env_text += (read_text(line.split("=", 1)[1].strip().lstrip("-")) or "") + "\n"
    shown = systemd_properties(
        run(["systemctl", "show", "--property=RequiresMountsFor,FragmentPath", "docker.service"])[1]
    )
    path = shown.get("FragmentPath", "")
    return {
        "found": True,
        "path": path,
        "file": describe_path(path) if path else {"type": "absent"},
        "flag_conflicts": flag_conflicts(unit_text, env_text),
        "requires_mounts_for": shown.get("RequiresMountsFor", "").split(),
        "config_file": config_file_flag(" ".join(unit_exec_starts(unit_text))),
    }


def config_file_flag(command: str) -> str:
    """The value of dockerd's --config-file in a command line, '' when it has none."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    for index, word in enumerate(words):
        if word.startswith("--config-file="):
            return word.split("=", 1)[1]
        if word == "--config-file" and index + 1 < len(words):
            return words[index + 1]
    return ""


def running_config_file() -> str:
    """The --config-file of the running dockerd, from /proc; '' when none is given or seen."""
    for comm in glob.glob("/proc/[0-9]*/comm"):
        if read_text(comm) != "dockerd":
            continue
        try:
            with open(os.path.join(os.path.dirname(comm), "cmdline"), "rb") as handle:
                argv = handle.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        return config_file_flag(shlex.join(a for a in argv if a))
    return ""


def audit_watches(rules: str) -> list[str]:
    """Paths that ``auditctl -l`` rules watch (-w PATH, or -F path=/dir= in syscall rules)."""
    watched = []
    for line in rules.splitlines():
        words = line.split()
        for index, word in enumerate(words):
            if word == "-w" and index + 1 < len(words):
                watched.append(words[index + 1])
            elif word == "-F" and index + 1 < len(words):
                name, _, value = words[index + 1].partition("=")
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


# ---- daemon.json and the engine's API --------------------------------------------------------


def read_daemon_json(path: str) -> dict[str, Any]:
    """daemon.json parsed, or the reason it cannot be."""
    if not os.path.exists(path):
        return {"exists": False, "path": path, "content": {}, "error": ""}
    bad = {"exists": True, "path": path, "content": None, "file": describe_path(path)}
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        content = json.loads(text) if text.strip() else {}
    except (OSError, ValueError) as exc:
        return {**bad, "error": str(exc)}
    if not isinstance(content, dict):
        return {**bad, "error": "the top level is not a JSON object"}
    return {
        "exists": True,
        "path": path,
        "content": content,
        "error": "",
        "file": describe_path(path),
        "backups": sorted(glob.glob(glob.escape(path) + ".*~")),
    }


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over the engine's unix socket."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class DockerAPI:
    """The few GET calls of the Engine API this module needs, on one kept-alive connection."""

    def __init__(self, docker_host: str, timeout: float = 30.0) -> None:
        url = urlparse(docker_host)
        if url.scheme == "unix":
            self.conn: http.client.HTTPConnection = _UnixConnection(url.path, timeout)
        elif url.scheme in ("tcp", "http"):
            self.conn = http.client.HTTPConnection(url.hostname or "", url.port or 2375, timeout)
        else:
            raise ValueError(f"docker_host {docker_host!r}: use unix:///path or tcp://host:port")

    def get(self, path: str) -> Any:
        self.conn.request("GET", path)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise OSError(f"GET {path}: HTTP {response.status} {body[:200]!r}")
        return json.loads(body)


def storage_info(info: dict[str, Any] | None) -> dict[str, Any]:
    """The storage facts of the engine's info, with DriverStatus pairs made a dict."""
    info = info or {}
    status = {str(k): str(v) for k, v in (info.get("DriverStatus") or [])}
    d_type = status.get("Supports d_type")
    version = str(info.get("ServerVersion", ""))
    return {
        "engine_version": version,
        "driver": info.get("Driver", ""),
        "driver_status": status,
        "backing_filesystem": status.get("Backing Filesystem", ""),
        "d_type": None if d_type is None else d_type.lower() == "true",
        "root_dir": info.get("DockerRootDir", ""),
        "images": int(info.get("Images") or 0),
        "containers": int(info.get("Containers") or 0),
        "validate_supported": bool(version) and version_tuple(version) >= (23,),
        "live_restore": info.get("LiveRestoreEnabled") if info else None,
        "userns": any("name=userns" in str(o) for o in info.get("SecurityOptions") or []),
    }


def read_docker(api: DockerAPI) -> dict[str, Any]:
    """The engine's storage facts, or why it does not answer."""
    facts = storage_info(None)
    try:
        info = api.get("/info")
    except (OSError, ValueError) as exc:
        facts.update(answers=False, error=str(exc) or type(exc).__name__)
        return facts
    facts.update(storage_info(info), answers=True, error="")
    return facts


def read_images(api: DockerAPI, image_root: str) -> list[dict[str, Any]]:
    """The engine's images with their tags, RootFS diff ids and history.

    The list comes from the engine; each image's config is read from the image store on disk
    (what ``docker image inspect`` reports as RootFS.Layers, plus history with empty_layer).
    """
    images = []
    for summary in api.get("/images/json"):
        image_id = summary["Id"]
        path = os.path.join(image_root, "imagedb/content", image_id.replace(":", "/", 1))
        try:
            with open(path, encoding="utf-8") as handle:
                config = json.load(handle)
        except (OSError, ValueError):
            config = {}
        images.append(
            {
                "id": image_id,
                "tags": [t for t in summary.get("RepoTags") or [] if t != "<none>:<none>"],
                "diff_ids": (config.get("rootfs") or {}).get("diff_ids") or [],
                "history": [
                    {
                        "created_by": h.get("created_by", ""),
                        "empty_layer": bool(h.get("empty_layer", False)),
                    }
                    for h in config.get("history") or []
                ],
            }
        )
    return images


def read_containers(api: DockerAPI) -> list[dict[str, Any]]:
    """Every container as ``docker inspect`` shows it: state, image and GraphDriver data."""
    containers = []
    for summary in api.get("/containers/json?all=1"):
        inspect = api.get(f"/containers/{summary['Id']}/json")
        state = inspect.get("State") or {}
        graph = inspect.get("GraphDriver") or {}
        containers.append(
            {
                "id": inspect["Id"],
                "name": inspect.get("Name", "").lstrip("/"),
                "image": inspect.get("Image", ""),
                "status": state.get("Status", ""),
                "running": bool(state.get("Running")),
                "graph_driver": {"name": graph.get("Name", ""), "data": graph.get("Data") or {}},
            }
        )
    return containers


# ---- mounts and the backing filesystem -------------------------------------------------------


def _unescape(field: str) -> str:
    return _MOUNTINFO_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text: str) -> list[dict[str, Any]]:
    """/proc/self/mountinfo lines as dicts (mount point, fs type, source, all options)."""
    mounts = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if not sep or len(fields) < 6 or len(tail) < 2:
            continue
        options = fields[5].split(",")
        super_options = tail[2].split(",") if len(tail) > 2 else []
        mounts.append(
            {
                "mount_point": _unescape(fields[4]),
                "root": _unescape(fields[3]),
                "fstype": tail[0],
                "source": _unescape(tail[1]),
                "options": options + [o for o in super_options if o not in options],
            }
        )
    return mounts


def overlay_options(options: list[str]) -> dict[str, Any]:
    """lowerdir (as a list), upperdir and workdir of an overlay mount's options."""
    values = dict(o.split("=", 1) for o in options if "=" in o)
    lower = values.get("lowerdir", "")
    return {
        "lowerdir": lower.split(":") if lower else [],
        "upperdir": values.get("upperdir", ""),
        "workdir": values.get("workdir", ""),
    }


def overlay_mounts(mounts: list[dict[str, Any]], home: str) -> list[dict[str, Any]]:
    """The overlay mounts under the driver home; relative dirs made absolute against it."""

    def absolute(path: str) -> str:
        return path if not path or path.startswith("/") else os.path.join(home, path)

    found = []
    for mount in mounts:
        if mount["fstype"] != "overlay" or not mount["mount_point"].startswith(home + "/"):
            continue
        opts = overlay_options(mount["options"])
        found.append(
            {
                "mount_point": mount["mount_point"],
                "lowerdir": [absolute(p) for p in opts["lowerdir"]],
                "upperdir": absolute(opts["upperdir"]),
                "workdir": absolute(opts["workdir"]),
            }
        )
    return found


def mount_of(path: str, mounts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The mount holding path: the last mounted on the longest prefix of it."""
    best = None
    for mount in mounts:
        point = mount["mount_point"]
        if (path == point or path.startswith(point.rstrip("/") + "/")) and (
            best is None or len(point) >= len(best["mount_point"])
        ):
            best = mount
    return best


def loop_backing_file(device: str) -> str:
    """The file behind /dev/loopN, from sysfs."""
    if not re.match(r"^/dev/loop\d+$", device):
        return ""
    return read_text(f"/sys/block/{os.path.basename(device)}/loop/backing_file") or ""


def fstab_entries(text: str, mount_point: str) -> list[dict[str, Any]]:
    """The fstab lines that mount something on mount_point."""
    found = []
    for line in text.splitlines():
        fields = line.split()
        if (
            len(fields) >= 4
            and not fields[0].startswith("#")
            and _unescape(fields[1]) == mount_point
        ):
            found.append(
                {
                    "source": _unescape(fields[0]),
                    "fstype": fields[2],
                    "options": fields[3].split(","),
                }
            )
    return found


def read_backing_fs(data_root: str, mounts: list[dict[str, Any]]) -> dict[str, Any]:
    """The filesystem holding the data root: mount, device, type, options, ftype, free space."""
    real = os.path.realpath(data_root)
    mount = mount_of(real, mounts) or {}
    device = mount.get("source", "")
    facts: dict[str, Any] = {
        "exists": os.path.isdir(data_root),
        "mounted": bool(mount) and mount["mount_point"] == real,
        "mount_point": mount.get("mount_point", ""),
        "device": device,
        "realdevice": os.path.realpath(device) if device.startswith("/") else device,
        "backing_file": loop_backing_file(device),
        "fstype": mount.get("fstype", ""),
        "options": mount.get("options", []),
        "xfs_ftype": None,
        "fstab": fstab_entries(read_text("/etc/fstab") or "", data_root),
    }
    if facts["fstype"] == "xfs":
        facts["xfs_ftype"] = xfs_ftype(run(["xfs_info", real])[1])
    try:
        vfs = os.statvfs(real)
    except OSError:
        return facts
    facts.update(
        bytes_total=vfs.f_blocks * vfs.f_frsize,
        bytes_free=vfs.f_bavail * vfs.f_frsize,
        inodes_total=vfs.f_files,
        inodes_free=vfs.f_favail,
    )
    return facts


def read_source(path: str) -> dict[str, Any]:
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


# ---- overlay2 on disk ------------------------------------------------------------------------


# Docker may add or remove layers while the module reads: what vanishes meanwhile is left
# out (FileNotFoundError), never fatal.


def entry_mode(entry: os.DirEntry[str]) -> int | None:
    """An entry's st_mode, None when it is gone."""
    try:
        return entry.stat(follow_symlinks=False).st_mode
    except FileNotFoundError:
        return None


def read_link(path: str) -> str | None:
    """A symlink's target, None when it is not a symlink (any more)."""
    try:
        return os.readlink(path)
    except OSError:
        return None


def read_layer_dir(path: str) -> dict[str, Any]:
    """One layer dir: its mode, each part's type and mode, the link id and the lower chain."""
    layer: dict[str, Any] = {"mode": stat.S_IMODE(os.lstat(path).st_mode), "parts": {}}
    with os.scandir(path) as entries:
        for entry in entries:
            mode = entry_mode(entry)
            if mode is not None:
                layer["parts"][entry.name] = {"type": file_type(mode), "mode": stat.S_IMODE(mode)}
    layer["link"] = read_text(os.path.join(path, "link")) if "link" in layer["parts"] else None
    lower = read_text(os.path.join(path, "lower")) if "lower" in layer["parts"] else None
    layer["lower"] = lower.split(":") if lower else []
    return layer


def read_overlay2(home: str) -> dict[str, Any]:
    """The driver home: its mode, every layer dir, the l/ links and anything else in it."""
    facts: dict[str, Any] = {
        "home": home,
        "exists": os.path.isdir(home),
        "mode": None,
        "links_mode": None,
        "layers": {},
        "links": {},
        "other": {},
        # BuildKit (the default builder from Docker 23) keeps its build cache as layer dirs
        # of its own, recorded in <root>/buildkit, not in the layer database
        "buildkit": os.path.isdir(os.path.join(os.path.dirname(home), "buildkit")),
    }
    if not facts["exists"]:
        return facts
    facts["mode"] = stat.S_IMODE(os.stat(home).st_mode)
    with os.scandir(home) as entries:
        for entry in entries:
            mode = entry_mode(entry)
            if mode is None:
                continue
            if entry.name == "l" and stat.S_ISDIR(mode):
                facts["links_mode"] = stat.S_IMODE(mode)
                with os.scandir(entry.path) as links:
                    facts["links"] = {link.name: read_link(link.path) for link in links}
            elif stat.S_ISDIR(mode):
                try:
                    facts["layers"][entry.name] = read_layer_dir(entry.path)
                except FileNotFoundError:
                    continue
            else:
                facts["other"][entry.name] = {"type": file_type(mode), "mode": stat.S_IMODE(mode)}
    return facts


def read_entries(root: str, names: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Every subdir of root as {subdir: {file name: text}} for the files that exist."""
    found: dict[str, dict[str, str]] = {}
    if not os.path.isdir(root):
        return found
    with os.scandir(root) as entries:
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False):
                continue
            values = {}
            for name in names:
                text = read_text(os.path.join(entry.path, name))
                if text is not None:
                    values[name.replace("-", "_")] = text
            found[entry.name] = values
    return found


def read_layerdb(image_root: str) -> dict[str, Any]:
    """Image layers by chain id (cache-id, diff, parent, size) and container mounts."""
    layerdb = os.path.join(image_root, "layerdb")
    layers = read_entries(os.path.join(layerdb, "sha256"), LAYERDB_FILES)
    return {
        "layers": {f"sha256:{chain}": entry for chain, entry in layers.items()},
        "mounts": read_entries(os.path.join(layerdb, "mounts"), MOUNT_FILES),
    }


# ---- asked-for paths and digests -------------------------------------------------------------


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_path(path: str) -> dict[str, Any]:
    """Type, mode, size, owner, device numbers, content hash or link target of one path."""
    try:
        st = os.lstat(path)
    except OSError:
        return {"type": "absent"}
    kind = file_type(st.st_mode)
    facts: dict[str, Any] = {
        "type": kind,
        "mode": stat.S_IMODE(st.st_mode),
        "size": st.st_size,
        "uid": st.st_uid,
        "gid": st.st_gid,
    }
    if kind in ("char", "block"):
        facts["rdev"] = [os.major(st.st_rdev), os.minor(st.st_rdev)]
    elif kind == "file":
        facts["sha256"] = sha256_file(path)
    elif kind == "symlink":
        facts["target"] = os.readlink(path)
    elif kind == "dir":
        try:
            facts["opaque"] = os.getxattr(path, "trusted.overlay.opaque", follow_symlinks=False)
        except OSError:
            facts["opaque"] = b""
        facts["opaque"] = facts["opaque"].decode(errors="replace")
    return facts


def digest_tree(root: str) -> str | None:
    """One sha256 over a tree: every path with its type, mode, owner and content or target."""
    if not os.path.isdir(root):
        return None
    digest = hashlib.sha256()
    for top, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(dirs + files):
            path = os.path.join(top, name)
            facts = describe_path(path)
            facts.pop("opaque", None)
            if facts["type"] == "dir":
                facts.pop("size")
            digest.update(os.path.relpath(path, root).encode(errors="surrogateescape"))
            digest.update(json.dumps(facts, sort_keys=True).encode())
    return digest.hexdigest()


# ---- the snapshot ----------------------------------------------------------------------------


def snapshot(params: dict[str, Any]) -> dict[str, Any]:
    """Everything about the host's storage, as one dict."""
    started = time.monotonic()
    api = DockerAPI(params["docker_host"])
    docker = read_docker(api)
    unit = read_unit()
    # the file dockerd really reads: its --config-file, else the path asked for
    config_path = running_config_file() or unit.get("config_file") or params["daemon_json"]
    daemon_json = read_daemon_json(config_path)
    configured = (daemon_json["content"] or {}).get("data-root", "")
    data_root = params["data_root"] or configured or DEFAULT_DATA_ROOT
    # the engine's own root dir carries the userns-remap <uid>.<gid> part when there is one
    root_dir = docker["root_dir"] or data_root
    home = os.path.join(root_dir, "overlay2")
    image_root = os.path.join(root_dir, "image", "overlay2")
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        mounts = parse_mountinfo(handle.read())
    snap: dict[str, Any] = {
        "data_root": data_root,
        "docker": docker,
        "daemon_json": daemon_json,
        "config_dir": {
            "path": os.path.dirname(config_path),
            "file": describe_path(os.path.dirname(config_path)),
        },
        "audit": read_audit(),
        "unit": unit,
        "source": read_source(params["source"]),
        "backing_fs": read_backing_fs(data_root, mounts),
        "xfs_quota_supported": os.path.exists("/proc/fs/xfs/xqmstat"),
        "overlay_mounts": overlay_mounts(mounts, home),
        "files": {path: describe_path(path) for path in params["files"]},
        "digests": {
            layer: digest_tree(os.path.join(home, layer, "diff")) for layer in params["digests"]
        },
    }
    if params["layers"]:
        snap["overlay2"] = read_overlay2(home)
        snap["layerdb"] = read_layerdb(image_root)
        snap["images"] = read_images(api, image_root) if docker["answers"] else []
        snap["containers"] = read_containers(api) if docker["answers"] else []
    api.conn.close()
    snap["summary"] = summary(snap)
    snap["elapsed"] = round(time.monotonic() - started, 4)
    return snap


def summary(snap: dict[str, Any]) -> dict[str, Any]:
    """The host's effective storage in a few fields: what fleet drift compares."""
    docker = snap["docker"]
    content = snap["daemon_json"].get("content") or {}
    driver_type = docker["driver_status"].get("driver-type", "")
    store = "containerd" if driver_type.startswith("io.containerd.snapshotter") else "graphdriver"
    return {
        "engine_version": docker["engine_version"],
        "driver": docker["driver"],
        "image_store": store if docker.get("answers") else "",
        "backing_filesystem": snap["backing_fs"]["fstype"],
        "storage_keys": {k: content[k] for k in STORAGE_KEYS if k in content},
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


def main() -> None:
    """Ansible module entry; ``--params JSON`` prints the snapshot for any other caller."""
    if len(sys.argv) > 1 and sys.argv[1] == "--params":
        try:
            params = standalone_params(sys.argv)
        except BadParams as exc:
            print(f"overlay2_facts: {exc}", file=sys.stderr)
            sys.exit(2)
        print(json.dumps(snapshot(params)))
        return
    from ansible.module_utils.basic import AnsibleModule
    from ansible.module_utils.layerwise_checks import describe, failed, results, validate

    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    policy, errors = validate(module.params["policy"])
    if errors:
        module.fail_json(msg="the policy is not valid: " + "; ".join(errors))
    try:
        snap = snapshot(module.params)
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"cannot read the storage state: {exc}")
    if module.params["checks"]:
        snap["results"] = results(snap, policy, module.params["only"])
        snap["findings"] = failed(snap["results"])
        snap["findings_message"] = describe(snap["findings"])
    if not module.params["snapshot"]:
        kept = ("results", "findings", "findings_message", "summary", "elapsed")
        snap = {key: snap[key] for key in kept if key in snap}
    module.exit_json(changed=False, **snap)


if __name__ == "__main__":
    main()
