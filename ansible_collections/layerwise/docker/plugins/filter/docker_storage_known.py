"""Jinja filters of the docker_storage role: whether what the probe read at the start of the
run (overlay2_facts) already is what a task would make, so that the task is skipped instead
of run as a module that finds nothing to do (each module run costs the host a second or so).

Every answer errs towards running the task: a path or mount the probe did not describe, or
described otherwise, needs its task. Only a state read as exactly the one wanted skips it.
"""

from __future__ import annotations

import hashlib
from typing import Any


def path_needs_writing(
    described: dict[str, Any] | None, kind: str, mode: str = "", content: str | None = None
) -> bool:
    """Whether the path the probe ``described`` (reader: files.describe_path) must be made
    ``kind`` ("file", "dir" or "absent"), owned by root:root with ``mode`` (octal text) and,
    for a file, holding ``content``."""
    if not described or "type" not in described:
        return True
    if kind == "absent":
        return described["type"] != "absent"
    if described["type"] != kind or described.get("uid") != 0 or described.get("gid") != 0:
        return True
    if described.get("mode") != int(mode, 8):
        return True
    if content is None:
        return False
    return described.get("sha256") != hashlib.sha256(content.encode()).hexdigest()


def mount_needs_work(
    before: dict[str, Any], data_root: str, source: str, fstype: str, opts: str
) -> bool:
    """Whether ansible.posix.mount (state mounted) would change something: the data root is
    not mounted from ``source`` with ``fstype``, or /etc/fstab holds anything but the one line
    the module writes (``source data_root fstype opts 0 0``) for it."""
    fs = before.get("backing_fs") or {}
    src = before.get("source") or {}
    real = src.get("realpath")  # as the host resolved it, not this controller
    from_source = real and real in (fs.get("backing_file"), fs.get("realdevice"))
    if not (fs.get("mounted") and from_source and fs.get("fstype") == fstype):
        return True
    line = {
        "source": source,
        "fstype": fstype,
        "options": opts.split(","),
        "dump": "0",
        "passno": "0",
    }
    return fs.get("fstab") != [line] or before.get("data_root") != data_root


class FilterModule:
    """docker_storage_path_needs_writing, docker_storage_mount_needs_work."""

    def filters(self) -> dict[str, Any]:
        return {
            "docker_storage_path_needs_writing": path_needs_writing,
            "docker_storage_mount_needs_work": mount_needs_work,
        }
