#!/usr/bin/env python3
"""Time the data root move's copy and proof against plain copies: bench_move.py [LAYERS] [GIB].

As root, no Docker needed. Crafts a data root of LAYERS overlay2 layers (bench_layers.py's
layout, each layer's diff/ given a few files, every tenth a whiteout and an opaque directory)
and a volume of GIB GiB of random data in files of 64 MiB, a sparse file and hard links, on
this machine's disk (where a host's old data root lives). Each copy goes to a new xfs
(ftype=1) on a loop file, as the role makes it, emptied and with the page cache dropped
before each run:

  cp -a           cp -a SRC/. DST/ (the floor)
  rsync -aHAX     rsync -aHAX SRC/ DST/ (the other floor)
  move: copy      the role's copy step (cp --archive --preserve=all --sparse=always)
  move: verify    the role's proof: both trees read, every file hashed, compared

    python -m scripts.bench_move 1111 3      # the defaults (make bench-move)
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_migration import tree
from scripts.bench_layers import craft_overlay2

WORK = Path(os.environ.get("BENCH_MOVE_DIR", "/var/tmp/layerwise-bench-move"))
CHUNK = 64 << 20


def sh(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def craft(src: Path, layers: int, gib: int) -> None:
    craft_overlay2(src, layers)
    for number, layer in enumerate(
        sorted(p for p in (src / "overlay2").iterdir() if p.name != "l")
    ):
        diff = layer / "diff" / "bench"
        for index in range(4):
            (diff / f"file-{index}").write_bytes(os.urandom(1024 << index))
        if number % 10 == 0:
            os.mknod(diff / "deleted", stat.S_IFCHR, os.makedev(0, 0))
            (diff / "opaque").mkdir()
            os.setxattr(diff / "opaque", "trusted.overlay.opaque", b"y")
    volume = src / "volumes/bench/_data"
    volume.mkdir(parents=True)
    for index in range(gib * (1 << 30) // CHUNK):
        with open(volume / f"blob-{index}", "wb") as handle:
            for _ in range(CHUNK >> 20):
                handle.write(os.urandom(1 << 20))
    os.link(volume / "blob-0", volume / "blob-0-again")
    with open(volume / "sparse", "wb") as handle:
        handle.truncate(1 << 30)
        handle.write(b"end")


def fresh(dst: Path) -> None:
    tree.clear(str(dst))
    subprocess.run(["sync"], check=True)
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError:
        print("(the page cache could not be dropped: later runs may read from memory)")


def timed(argv: list[str]) -> float:
    began = time.monotonic()
    subprocess.run(argv, check=True)
    return time.monotonic() - began


def main() -> None:
    layers = int(sys.argv[1]) if len(sys.argv) > 1 else 1111
    gib = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    if os.geteuid() != 0:
        sys.exit("bench_move.py needs root (whiteouts, trusted.* xattrs, a loop mount)")
    missing = [tool for tool in ("rsync", "mkfs.xfs") if not shutil.which(tool)]
    if missing:
        sys.exit(f"bench_move.py needs {', '.join(missing)}: scripts/ensure-tools.sh installs them")
    WORK.mkdir(parents=True, exist_ok=True)
    src, dst, image = WORK / "src", WORK / "dst", WORK / "dst.img"
    shutil.rmtree(src, ignore_errors=True)
    dst.mkdir(exist_ok=True)
    try:
        began = time.monotonic()
        craft(src, layers, gib)
        size = int(sh("du", "-sx", "--block-size=1", str(src)).split()[0])
        print(
            f"data root: {layers} layers, {size / (1 << 30):.2f} GiB allocated "
            f"(crafted in {time.monotonic() - began:.0f} s) "
            f"on {sh('findmnt', '-no', 'FSTYPE', '-T', str(src)).strip()}"
        )
        # allocated up front: a sparse loop file makes the first copy pay for allocating the
        # file's blocks on this machine's disk, and the runs after it not
        with open(image, "wb") as handle:
            os.posix_fallocate(handle.fileno(), 0, size * 2 + (2 << 30))
        sh("mkfs.xfs", "-q", "-f", "-n", "ftype=1", str(image))
        sh("mount", "-o", "loop", str(image), str(dst))
        # one untimed copy first: a new xfs makes its first inode chunks and free-space
        # trees as the first copy writes, which every run after it finds made
        fresh(dst)
        subprocess.run(["cp", "-a", f"{src}/.", f"{dst}/"], check=True)
        rows = []
        for name, argv in (
            ("cp -a", ["cp", "-a", f"{src}/.", f"{dst}/"]),
            ("rsync -aHAX", ["rsync", "-aHAX", f"{src}/", f"{dst}/"]),
            ("move: copy", tree.copy_argv(str(src), str(dst))),
        ):
            fresh(dst)
            rows.append((name, timed(argv)))
        subprocess.run(["sync"], check=True)
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        began = time.monotonic()
        outcome = tree.compare(str(src), str(dst))
        rows.append(("move: verify", time.monotonic() - began))
        assert outcome["equal"], outcome["differences"]
        counts = outcome["counts"]
        print(
            f"proven equal: {counts['entries']} entries, {counts['files']} files, "
            f"{counts['whiteouts']} whiteouts, {counts['hard_linked']} hard-linked, "
            f"{counts['sparse']} sparse"
        )
        for name, seconds in rows:
            print(f"{name:14} {seconds:7.2f} s  {size / (1 << 20) / seconds:7.0f} MiB/s")
        total = rows[2][1] + rows[3][1]
        print(
            f"{'move: total':14} {total:7.2f} s  {size / (1 << 20) / total:7.0f} MiB/s "
            f"({total / rows[0][1]:.1f}x cp -a)"
        )
    finally:
        subprocess.run(["umount", str(dst)], check=False)
        image.unlink(missing_ok=True)
        shutil.rmtree(src, ignore_errors=True)


if __name__ == "__main__":
    main()
