"""Mounts and the backing filesystem: /proc/self/mountinfo, overlay mount options, the
filesystem holding the data root (with its fstab entries), and the source device or loop file.
"""

from __future__ import annotations

import os
import re
import stat
from typing import Any

from .files import read_text, run

_MOUNTINFO_ESCAPE = re.compile(r"\\([0-7]{3})")


def kv_lines(text: str) -> dict[str, str]:
    """``KEY=VALUE`` lines, as ``blkid -o export`` prints them."""
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def xfs_ftype(xfs_info_text: str) -> int | None:
    """The ``ftype=`` value of ``xfs_info`` output, None when absent."""
    match = re.search(r"\bftype=([01])\b", xfs_info_text)
    return int(match.group(1)) if match else None


def xfs_isize(xfs_info_text: str) -> int | None:
    """The inode size (``isize=``) of ``xfs_info`` output, None when absent."""
    match = re.search(r"\bisize=(\d+)\b", xfs_info_text)
    return int(match.group(1)) if match else None


def xfs_data_bytes(xfs_info_text: str) -> int | None:
    """xfs's size in bytes (its data section), None when absent."""
    match = re.search(r"^data\s*=\s*bsize=(\d+)\s+blocks=(\d+)", xfs_info_text, re.MULTILINE)
    return int(match.group(1)) * int(match.group(2)) if match else None


def ext4_bytes(dumpe2fs_text: str) -> int | None:
    """ext4's size in bytes (``dumpe2fs -h``), None when absent."""
    found = re.findall(r"^Block (count|size):\s+(\d+)$", dumpe2fs_text, re.MULTILINE)
    sizes = dict(found)
    return int(sizes["count"]) * int(sizes["size"]) if len(sizes) == 2 else None


def block_device_bytes(device: str) -> int | None:
    """A block device's size in bytes now (sysfs: 512-byte sectors), None when unknown."""
    name = os.path.basename(os.path.realpath(device)) if device.startswith("/") else ""
    text = read_text(f"/sys/class/block/{name}/size") if name else None
    return int(text) * 512 if text and text.strip().isdigit() else None


# what xfs_growfs and resize2fs (mounted ext4) need (linux/capability.h)
CAPABILITIES = {"sys_admin": 21, "sys_resource": 24}


def capabilities(status_text: str) -> dict[str, bool | None]:
    """Which CAPABILITIES the bounding set (CapBnd) holds, None when not read."""
    match = re.search(r"^CapBnd:\s*([0-9a-fA-F]+)$", status_text, re.MULTILINE)
    bits = int(match.group(1), 16) if match else None
    return {
        name: None if bits is None else bool(bits >> bit & 1) for name, bit in CAPABILITIES.items()
    }


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
    """The fstab lines that mount something on mount_point (dump and passno "0" when the
    line leaves them out, as mount reads it)."""
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
                    "dump": fields[4] if len(fields) > 4 else "0",
                    "passno": fields[5] if len(fields) > 5 else "0",
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
        "xfs_isize": None,
        "fstab": fstab_entries(read_text("/etc/fstab") or "", data_root),
    }
    # sizes of the device and of the filesystem itself (statvfs leaves out its metadata)
    facts["device_bytes"] = block_device_bytes(device) if facts["mounted"] else None
    facts["fs_bytes"] = None
    if facts["fstype"] == "xfs":
        info = run(["xfs_info", real])[1]
        facts.update(
            xfs_ftype=xfs_ftype(info), xfs_isize=xfs_isize(info), fs_bytes=xfs_data_bytes(info)
        )
    elif facts["fstype"] == "ext4" and facts["mounted"] and device.startswith("/dev/"):
        facts["fs_bytes"] = ext4_bytes(run(["dumpe2fs", "-h", device])[1])
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
    """The device or loop file: kind, size, signature (blkid -p) and, for xfs, its ftype."""
    result: dict[str, Any] = {
        "path": path,
        "exists": False,
        "realpath": "",
        "is_block": False,
        "is_file": False,
        "size": 0,
        "signature": {},
        "xfs_ftype": None,
        "xfs_isize": None,
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
    if result["is_block"]:
        result["size"] = block_device_bytes(path) or 0
    rc, out, err = run(["blkid", "-p", "-o", "export", path])
    if rc not in (0, 2):
        result["signature_error"] = (err or out).strip()
    result["signature"] = {
        k: v for k, v in kv_lines(out).items() if k in ("TYPE", "PTTYPE", "UUID", "LABEL", "USAGE")
    }
    if result["signature"].get("TYPE") == "xfs":
        result["xfs_ftype"] = xfs_ftype(run(["xfs_info", path])[1])
    return result
