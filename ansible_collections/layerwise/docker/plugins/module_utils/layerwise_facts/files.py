"""Small readers every unit shares: commands, small files, what a path is, content hashes."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
from typing import Any

_CHUNK = 65536
_SMALL = 4096  # a regular file's first read: the reader's small files fit


def run(argv: list[str]) -> tuple[int, str, str]:
    """Run a command without a shell; a missing program is rc 127."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    except FileNotFoundError:
        return 127, "", f"{argv[0]}: not found"
    return proc.returncode, proc.stdout, proc.stderr


# The most the reader reads of one file it parses (daemon.json, a unit, an image config, a
# blob): a config of Docker's is kilobytes; a file larger is reported, never read whole
MAX_FILE = 16 << 20


class Unreadable(OSError):
    """A file the reader does not read: not a regular file, or larger than it reads."""


def read_bytes(
    path: str, regular: bool = False, dir_fd: int | None = None, limit: int = MAX_FILE
) -> bytes:
    """A file's bytes, read as hostile input: opened without blocking (a FIFO has no writer
    to wait for), only a regular file (the kernel's /proc and /sys files are regular too; a
    device such as /dev/zero is not), at most ``limit`` bytes (Unreadable otherwise; OSError
    when it cannot be opened). ``regular``: a plain file on disk, whose short read is its end
    (one read call, not two; not for /proc or /sys). ``dir_fd``: ``path`` is relative to that
    open dir (a short walk, not the whole path)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY, dir_fd=dir_fd)
    try:
        return read_open(fd, path, os.fstat(fd).st_mode, regular, limit)
    finally:
        os.close(fd)


def read_open(fd: int, path: str, mode: int, regular: bool, limit: int = MAX_FILE) -> bytes:
    """The bytes of ``path``, open as ``fd`` with st_mode ``mode``, as ``read_bytes`` reads
    them (Unreadable when it is not a regular file or larger than ``limit``)."""
    if not stat.S_ISREG(mode):
        raise Unreadable(f"{path}: not a regular file but a {file_type(mode)}")
    data = os.read(fd, _SMALL if regular else _CHUNK)
    if not regular or len(data) == _SMALL:
        chunks, size = [data], len(data)
        while chunks[-1] and size <= limit:
            chunks.append(os.read(fd, min(_CHUNK, limit + 1 - size)))
            size += len(chunks[-1])
        data = b"".join(chunks)
    if len(data) > limit:
        raise Unreadable(f"{path}: larger than {limit} bytes, more than the reader reads")
    return data


def read_text(path: str, regular: bool = False, dir_fd: int | None = None) -> str | None:
    """A small file's text without its trailing newline, None when it cannot be read (also
    when read_bytes refuses it: not a regular file, or too large).

    As ``open(path, encoding="utf-8").read()`` reads it (newlines made ``\n``), without a
    file object: the reader reads tens of thousands of these.
    """
    try:
        return as_text(read_bytes(path, regular, dir_fd))
    except OSError:
        return None


def as_text(data: bytes) -> str | None:
    """A small file's bytes as ``read_text`` gives them: UTF-8 (None when not), newlines
    made ``\n``, without the trailing ones."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip("\n")


def lstat_and_text(path: str, dir_fd: int) -> tuple[int, str | None] | None:
    """A file on disk that is not a symlink: its st_mode (as lstat says it) and its text (as
    ``read_text(path, True, dir_fd)`` reads it), from one open; None when it cannot be opened
    without following a symlink (a symlink, a socket, gone): then lstat it and read it apart.

    One open, fstat, read and close instead of a stat more: the reader reads each layer
    dir's link and lower files."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        mode = os.fstat(fd).st_mode
        try:
            return mode, as_text(read_open(fd, path, mode, True))
        except OSError:
            return mode, None
    finally:
        os.close(fd)


_FILE_TYPES = {
    stat.S_IFDIR: "dir",
    stat.S_IFREG: "file",
    stat.S_IFLNK: "symlink",
    stat.S_IFCHR: "char",
    stat.S_IFBLK: "block",
    stat.S_IFIFO: "fifo",
    stat.S_IFSOCK: "socket",
}


def file_type(mode: int) -> str:
    """The kind of file a st_mode says."""
    return _FILE_TYPES.get(stat.S_IFMT(mode), "other")


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
