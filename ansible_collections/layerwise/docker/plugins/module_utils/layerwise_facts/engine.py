"""The Docker engine over its API socket: its info (storage facts) and its containers."""

from __future__ import annotations

import http.client
import json
import re
import socket
from typing import Any
from urllib.parse import urlparse

from .containerd import container_snapshot


def version_tuple(version: str) -> tuple[int, ...]:
    """``20.10.24+dfsg1`` -> (20, 10, 24)."""
    return tuple(int(p) for p in re.findall(r"\d+", version.split("+", 1)[0])[:3])


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
        return self.call("GET", path)

    def call(self, method: str, path: str) -> Any:
        """One request's JSON answer; OSError for any status but 200."""
        self.conn.request(method, path)
        response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise OSError(f"{method} {path}: HTTP {response.status} {body[:200]!r}")
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
        # the log driver of containers created from now on (daemon.json or a flag)
        "logging_driver": str(info.get("LoggingDriver") or ""),
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


def read_containers(api: DockerAPI) -> list[dict[str, Any]]:
    """Every container as ``docker inspect`` shows it: state, image and GraphDriver data."""
    containers = []
    for summary in api.get("/containers/json?all=1"):
        inspect = api.get(f"/containers/{summary['Id']}/json")
        state = inspect.get("State") or {}
        graph = inspect.get("GraphDriver") or {}
        log_config = (inspect.get("HostConfig") or {}).get("LogConfig") or {}
        log_options = log_config.get("Config") or {}
        containers.append(
            {
                "id": inspect["Id"],
                "name": inspect.get("Name", "").lstrip("/"),
                "image": inspect.get("Image", ""),
                "status": state.get("Status", ""),
                "running": bool(state.get("Running")),
                "graph_driver": {"name": graph.get("Name", ""), "data": graph.get("Data") or {}},
                # the containerd store's snapshotter (Docker 29 says it in Storage instead)
                "snapshotter": container_snapshot(inspect)["snapshotter"],
                # the log driver and options the container was created with: daemon.json's
                # log-opts reach only containers created after them
                "log_path": str(inspect.get("LogPath") or ""),
                "log_driver": str(log_config.get("Type") or ""),
                "log_options": {str(k): str(v) for k, v in log_options.items()},
                "volumes": sorted(
                    str(m.get("Name", ""))
                    for m in inspect.get("Mounts") or []
                    if m.get("Type") == "volume"
                ),
            }
        )
    return containers
