"""How dockerd is configured: docker.service and its drop-ins (storage flags on dockerd's
command line, RequiresMountsFor, --config-file), the config file the running dockerd reads, and
daemon.json.
"""

from __future__ import annotations

import glob
import json
import os
import re
import shlex
import time
from typing import Any

from .files import describe_path, read_bytes, read_text, run

# dockerd flags that set what daemon.json's storage keys set, and the key each one clashes with.
STORAGE_FLAGS = {
    "--storage-driver": "storage-driver",
    "-s": "storage-driver",
    "--storage-opt": "storage-opts",
    "--data-root": "data-root",
    "--graph": "data-root",
    "-g": "data-root",
}
# dockerd flags that set containers' default logging, and the daemon.json key of each: the
# docker_storage role writes log-opts only where no flag sets them (dockerd refuses both).
LOG_FLAGS = {
    "--log-driver": "log-driver",
    "--log-opt": "log-opts",
}


_ENV_REF = re.compile(r"\$\{(\w+)\}|\$(\w+)")


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
        key, _unused, value = line.partition("=")
        if key.startswith("export "):
            key = key[len("export ") :]
        try:
            words = shlex.split(value, comments=True)
        except ValueError:
            words = [value]
        env[key.strip()] = " ".join(words)
    return env


def flag_conflicts(unit_text: str, env_text: str = "") -> list[dict[str, str]]:
    """Storage settings that dockerd gets as flags from its systemd unit (see command_flags)."""
    return command_flags(unit_text, env_text, STORAGE_FLAGS)


def command_flags(unit_text: str, env_text: str, flags: dict[str, str]) -> list[dict[str, str]]:
    """The ``flags`` that dockerd gets on its command line from its systemd unit.

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
            if name in flags:
                found.append(
                    {
                        "flag": token,
                        "key": flags[name],
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
    shown = systemd_properties(
        run(
            [
                "systemctl",
                "show",
                "--property=LoadState,RequiresMountsFor,FragmentPath,DropInPaths,NeedDaemonReload",
                "docker.service",
            ]
        )[1]
    )
    # masked (the data root move masks it for a while): its file is /dev/null, though
    # systemctl cat still shows its drop-ins
    masked = shown.get("LoadState") == "masked"
    rc, unit_text, _unused = (
        (1, "", "") if masked else run(["systemctl", "cat", "--no-pager", "docker.service"])
    )
    if rc != 0 and shown.get("LoadState") == "loaded":
        # systemctl cat fails when a drop-in systemd still lists was removed (no daemon-reload
        # since): the unit is there all the same; its files are what is left on disk
        paths = [shown.get("FragmentPath", ""), *shown.get("DropInPaths", "").split()]
        rc, unit_text = 0, "\n".join(read_text(p) or "" for p in paths if p)
    if rc != 0:
        return {
            "found": masked,
            "masked": masked,
            "drop_ins": [],
            "needs_reload": False,
            "flag_conflicts": [],
            "log_flags": [],
            "requires_mounts_for": [],
            "path": "",
            "file": {"type": "absent"},
            "config_file": "",
        }
    env_text = ""
    for line in unit_text.splitlines():
        if line.strip().startswith("EnvironmentFile="):
            env_text += (read_text(line.split("=", 1)[1].strip().lstrip("-")) or "") + "\n"
    path = shown.get("FragmentPath", "")
    return {
        "found": True,
        "masked": False,
        "path": path,
        "file": describe_path(path) if path else {"type": "absent"},
        "drop_ins": shown.get("DropInPaths", "").split(),
        "needs_reload": shown.get("NeedDaemonReload", "no") == "yes",
        "flag_conflicts": flag_conflicts(unit_text, env_text),
        "log_flags": command_flags(unit_text, env_text, LOG_FLAGS),
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


def process_start(proc: str) -> float:
    """When the process at ``proc`` (/proc/<pid>) started, in epoch seconds.

    /proc/<pid>/stat's starttime (clock ticks since boot, CLOCK_BOOTTIME) put on the wall
    clock through the boot clock now: exact to a tick (10 ms), unlike btime's whole seconds.
    """
    with open(os.path.join(proc, "stat"), encoding="utf-8") as handle:
        # the fields after the command's closing paren start at field 3: starttime is 22
        ticks = int(handle.read().rpartition(")")[2].split()[19])
    since_boot = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    return round(time.time() - since_boot, 3)


def running_dockerd() -> dict[str, Any]:
    """The running dockerd: its pid, argv and start (epoch seconds); {} when none runs."""
    for comm in glob.glob("/proc/[0-9]*/comm"):
        if read_text(comm) != "dockerd":
            continue
        proc = os.path.dirname(comm)
        try:
            with open(os.path.join(proc, "cmdline"), "rb") as handle:
                argv = [a for a in handle.read().decode(errors="replace").split("\0") if a]
            started = process_start(proc)
        except (OSError, IndexError, ValueError):
            continue
        return {"pid": int(os.path.basename(proc)), "argv": argv, "started_at": started}
    return {}


def restart_pending(
    started_at: float | None, changed: dict[str, float | None], needs_reload: bool
) -> list[str]:
    """Why the running dockerd does not run what is on disk; [] when it does.

    ``changed`` maps each file dockerd's start reads (daemon.json, docker.service and its
    drop-ins) to its mtime (None: absent). A file written after dockerd started, or a unit
    systemd has not reloaded, waits for a restart: a run cut between writing and restarting
    leaves exactly that.
    """
    if started_at is None:
        return []
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(started_at))
    reasons = [
        f"{path} changed {mtime - started_at:.1f} s after dockerd started ({when})"
        for path, mtime in sorted(changed.items())
        if mtime is not None and mtime > started_at
    ]
    if needs_reload:
        reasons.append(
            "docker.service or one of its drop-ins changed since systemd read them "
            "(systemctl daemon-reload has not run)"
        )
    return reasons


# The docker_storage role's drop-in has systemd copy the config file here as each start of
# dockerd begins (ExecStartPre): what the running dockerd read, to compare with the file now.
CONFIG_AT_START = "/run/layerwise/dockerd-config-at-start.json"
# how long before dockerd's start the copy may be taken (other ExecStartPre steps run between)
AT_START_WINDOW_S = 600


def config_at_start(started_at: float | None, path: str = CONFIG_AT_START) -> dict[str, Any] | None:
    """The config the running dockerd started with, when systemd copied it at this start.

    None when there is no copy, or the copy is not of this start (taken after it, or long
    before: dockerd started some other way): then only the file's mtime can tell.
    """
    taken = mtime(path)
    if started_at is None or taken is None:
        return None
    if not started_at - AT_START_WINDOW_S <= taken <= started_at + 1:
        return None
    text = read_text(path)
    try:
        content = json.loads(text) if text and text.strip() else {}
    except ValueError:
        return None
    return content if isinstance(content, dict) else None


def config_pending(
    path: str,
    content: dict[str, Any] | None,
    changed: float | None,
    started_at: float | None,
    at_start: dict[str, Any] | None,
) -> list[str]:
    """Why the running dockerd does not run the config file ``path`` holds now; [] when it does.

    Exact when the config it started with is known (``at_start``): the keys that differ. Else
    the file's mtime against dockerd's start (an edit undone since still counts).
    """
    if started_at is None:
        return []
    if at_start is None:
        return restart_pending(started_at, {path: changed}, False)
    if content is None:
        return [f"{path} does not parse, and is not what dockerd started with"]
    keys = sorted(k for k in {*content, *at_start} if content.get(k) != at_start.get(k))
    if not keys:
        return []
    return [f"{path} differs from what dockerd started with ({', '.join(keys)})"]


def mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def running_config_file(dockerd: dict[str, Any]) -> str:
    """The --config-file of the running dockerd; '' when none is given or none runs."""
    return config_file_flag(shlex.join(dockerd.get("argv", [])))


def config_file_read(
    running: dict[str, Any], unit: dict[str, Any], default: str
) -> tuple[str, str]:
    """The file dockerd really reads and what tells it so: the running dockerd's
    --config-file, else the one docker.service gives it, else dockerd's ``default``
    (/etc/docker/daemon.json; a file merely wished for is not read)."""
    if flag := running_config_file(running):
        return flag, "the running dockerd's --config-file"
    if flag := unit.get("config_file", ""):
        return flag, "docker.service's --config-file"
    return default, "dockerd's default: no --config-file is given"


def read_daemon_json(path: str) -> dict[str, Any]:
    """daemon.json parsed, or the reason it cannot be.

    ``file`` describes the path itself (lstat): a symbolic link shows as one, with its target
    and the link's owner, so that a writer can refuse to replace it. A dangling link exists.
    """
    if not os.path.lexists(path):
        return {"exists": False, "path": path, "content": {}, "error": ""}
    bad = {"exists": True, "path": path, "content": None, "file": describe_path(path)}
    try:
        text = read_bytes(path).decode("utf-8")
        content = json.loads(text) if text.strip() else {}
    except (OSError, ValueError, RecursionError) as exc:
        return {**bad, "error": str(exc)[:300] or type(exc).__name__}
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
