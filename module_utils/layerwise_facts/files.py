"""Small readers every unit shares: commands, small files, what a path is, content hashes."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
from typing import Any


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
