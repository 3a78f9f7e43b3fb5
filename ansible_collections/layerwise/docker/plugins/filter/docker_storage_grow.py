"""Growing the data root's filesystem in place, as pure functions of what the probe read
(the overlay2_facts snapshot) and the role's variables: the one parser of the role's sizes,
and what a run grows (tasks/grow.yml). Its refusal, a docker_storage_loop_size smaller than
what the host has, is in docker_storage_guard.py with the others.

Growth is online only: the filesystem mounted on the data root from the role's source (the
device, LV or loop file) is grown while Docker runs (xfs_growfs on the mount point, resize2fs
on the device); nothing is stopped or unmounted. tests/unit/test_grow.py proves each
decision; tests/role/test_grow_in_place.py does it on real hosts.
"""

from __future__ import annotations

import re
from typing import Any

# A size as the role's variables take it and as truncate(1) reads it: a whole number of
# bytes, or with K, M, G or T, powers of 1024 (truncate --size 10G makes 10 * 1024**3 bytes).
SIZE = re.compile(r"^([1-9][0-9]*)([KMGT]?)$")
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}

# A device this much larger than its filesystem, or less, is not grown into. A filesystem may
# leave a tail of its device unused that it cannot make a whole unit of (xfs: an allocation
# group under 64 blocks, at most 4 MiB; ext4: a last block group smaller than its own
# metadata plus 50 blocks, under 7 MiB with 4 KiB blocks): growing into it would change
# nothing and be tried again at every run.
SLACK = 16 << 20

# The filesystems grown online, and how (the commands tasks/grow.yml runs).
GROWERS = ("xfs", "ext4")


def size_bytes(text: Any) -> int:
    """``text`` (such as "2048M" or "10G") in bytes, as truncate reads it; 0 when it is not
    such a size (validate.yml refuses it, naming the variable)."""
    if not isinstance(text, str):
        return 0
    match = SIZE.match(text)
    return int(match.group(1)) * UNITS[match.group(2)] if match else 0


def size_text(count: int) -> str:
    """Bytes as the largest unit that holds them exactly ("2304M"): what size_bytes reads
    back to the same number."""
    for unit in ("T", "G", "M", "K"):
        if count and count % UNITS[unit] == 0:
            return f"{count // UNITS[unit]}{unit}"
    return str(count)


def _truth(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1", "y", "t")
    return bool(value)


def mounted_from_source(before: dict[str, Any], source: str) -> bool:
    """Whether the data root is mounted from the role's device or loop file now."""
    fs, src = before.get("backing_fs") or {}, before.get("source") or {}
    real = src.get("realpath") or ""
    return bool(
        source
        and fs.get("mounted")
        and real
        and real in (fs.get("backing_file"), fs.get("realdevice"))
    )


def grow_plan(before: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
    """What this run grows, from the probe snapshot ``before`` and the role's variables
    (docker_storage_loop_file, docker_storage_loop_size, docker_storage_source,
    docker_storage_grow_filesystem, docker_storage_data_root).

    - ``file_bytes``: the loop file is grown to this many bytes (truncate --size), 0: not.
      Only a loop file smaller than docker_storage_loop_size, mounted on the data root.
    - ``refresh``: the loop device to refresh (losetup --set-capacity) because it is smaller
      than its file will be; "" for none. A run cut after the truncate leaves this alone.
    - ``grow``: "xfs" or "ext4" when the filesystem is grown into its device (xfs_growfs on
      ``mount_point``, resize2fs on ``device``), "" when not: its device (as it will be) is
      larger than it by more than SLACK, and docker_storage_grow_filesystem is true or the
      filesystem is smaller than docker_storage_loop_size asks (a loop file's size is a
      request to grow into).
    - ``fs_from`` / ``fs_to``: the filesystem's size now and its device's (as it will be),
      bytes; ``device``, ``mount_point``: where the commands act.

    Nothing is grown on a data root not mounted from the source (it is made or mounted by this
    run at the size it has), nor when the probe could not read a size.
    """
    fs = before.get("backing_fs") or {}
    src = before.get("source") or {}
    loop = variables.get("docker_storage_loop_file") or ""
    plan: dict[str, Any] = {
        "file_bytes": 0,
        "file_from": int(src.get("size") or 0),
        "refresh": "",
        "grow": "",
        "fs_from": fs.get("fs_bytes"),
        "fs_to": 0,
        "device": fs.get("device") or "",
        "mount_point": variables.get("docker_storage_data_root") or "",
    }
    if not mounted_from_source(before, variables.get("docker_storage_source") or ""):
        return plan
    device_now = fs.get("device_bytes")
    asked = size_bytes(variables.get("docker_storage_loop_size")) if loop else 0
    if loop and src.get("is_file"):
        if asked > plan["file_from"]:
            plan["file_bytes"] = asked
        target = max(asked, plan["file_from"])
        if isinstance(device_now, int) and device_now < target:
            plan["refresh"] = plan["device"]
    else:
        target = int(src.get("size") or device_now or 0)
    plan["fs_to"] = target
    fs_now = plan["fs_from"]
    if not isinstance(fs_now, int) or fs.get("fstype") not in GROWERS:
        return plan
    room = target - fs_now > SLACK
    wanted = _truth(variables.get("docker_storage_grow_filesystem")) or (
        bool(loop) and asked - fs_now > SLACK
    )
    if room and wanted:
        plan["grow"] = fs["fstype"]
    return plan


class FilterModule:
    """docker_storage_size_bytes, docker_storage_size_text, docker_storage_grow_plan."""

    def filters(self) -> dict[str, Any]:
        return {
            "docker_storage_size_bytes": size_bytes,
            "docker_storage_size_text": size_text,
            "docker_storage_grow_plan": grow_plan,
        }
