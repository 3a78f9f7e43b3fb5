"""Time a whole data root move on a real lab host:
    python -m tests.lab.bench_move_host [IMAGES] [LAYERS] [GIB]

As root, after `make engine`. A lab host (systemd, Debian 12's Docker 20.10, overlay2) is
installed the old way, as tests/lab/test_migration.py installs its overlay2 host: the data
root a plain directory holding the sample images, running and stopped containers and a volume
with 1 GiB of random data, hard links, a sparse file and xattrs. It gets IMAGES more images of
LAYERS distinct layers each (scripts/bench_images.py, docker load) and GIB GiB more volume
data in 64 MiB files, then the docker_storage role moves it onto a new loop xfs (ftype=1),
keeping the old data root for the floors:

  move: whole run    ansible-playbook of the role, start to end (Docker runs before and after)
  move: downtime     Docker's stop for the copy to the engine answering on the copy
  move: copy, proof, layers hashed   the role's own figures, from its report line
  cp -a, rsync -aHAX the old data root onto a fresh xfs of the same size: the floors

The page cache is dropped before the move and before each floor. The host is removed at the
end (BENCH_KEEP=1 keeps it); figures also go to reports/bench-move-host.json.

    python -m tests.lab.bench_move_host 10 110 3     # the defaults (make bench-move-host)
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .conftest import ROOT, lab_host
from .test_migration import DATA_ROOT, INSTALLS, OLD, VOLUME, Host, install_old

NAME = "layerwise-bench-move"
FLOOR_IMG = "/var/lib/layerwise/floor.img"
FLOOR = "/mnt/layerwise-floor"
REPORT = ROOT / "reports/bench-move-host.json"


def say(line: str) -> None:
    print(line, flush=True)


def drop_caches() -> None:
    """The host shares this machine's kernel: one drop serves both."""
    subprocess.run(["sync"], check=True)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def load_layers(host: Host, images: int, layers: int) -> None:
    with tempfile.TemporaryDirectory(prefix="layerwise-bench-move-") as out:
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts/bench_images.py"),
                f"--images={images}",
                f"--layers={layers}",
                f"--out={out}",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        host.sh("mkdir -p /var/tmp/bench")
        for archive in sorted(Path(out).glob("bench-*.tar")):
            subprocess.run(["docker", "cp", str(archive), f"{NAME}:/var/tmp/bench/"], check=True)
    host.sh(
        "ls /var/tmp/bench/bench-*.tar | xargs -P 4 -n 1 docker load -q -i >/dev/null"
        " && rm -rf /var/tmp/bench",
        timeout=1800,
    )


def add_data(host: Host, gib: int) -> None:
    host.sh(
        f"vol=$(docker volume inspect --format '{{{{.Mountpoint}}}}' {VOLUME}); "
        f'for i in $(seq {gib * 16}); do head -c 64M /dev/urandom > "$vol/more-$i"; done',
        timeout=1800,
    )


def floor(host: Host, size: int, argv: str) -> float:
    """Seconds ``argv`` takes to copy the old data root onto a fresh xfs of ``size`` bytes."""
    host.sh(
        f"umount {FLOOR} 2>/dev/null; rm -f {FLOOR_IMG}; fallocate -l {size} {FLOOR_IMG}; "
        f"mkfs.xfs -q -n ftype=1 {FLOOR_IMG}; mkdir -p {FLOOR}; mount -o loop {FLOOR_IMG} {FLOOR}"
    )
    drop_caches()
    began = time.monotonic()
    host.sh(f"{argv} && sync", timeout=3600)
    took = time.monotonic() - began
    host.sh(f"umount {FLOOR}; rm -f {FLOOR_IMG}")
    return took


def main(images: int, layers: int, gib: int) -> int:
    install = dataclasses.replace(INSTALLS["overlay2"], name=NAME)
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        say(f"==> a lab host installed the old way ({install.suite}, Docker on {install.driver})")
        try:
            host = install_old(install, Path(tmp) / "hosts.yml")
            say(f"==> {images} images of {layers} layers each, and {gib} GiB more volume data")
            load_layers(host, images, layers)
            add_data(host, gib)
            dirs = int(
                host.sh(
                    f"find {DATA_ROOT}/overlay2 -mindepth 1 -maxdepth 1 -type d ! -name l | wc -l"
                )
            )
            used = int(host.sh(f"du -sx --block-size=1 {DATA_ROOT} | cut -f1"))
            files = int(host.sh(f"find {DATA_ROOT} -xdev | wc -l"))
            size = used * 5 // 4 + (1 << 30)
            say(f"    data root: {dirs} layer dirs, {files} entries, {used / 2**30:.2f} GiB")
            say(f"==> the move ({host.install.name}: set up in {time.monotonic() - began:.0f} s)")
            drop_caches()
            started = time.monotonic()
            rc, out = host.run_role(
                docker_storage_migrate_data_root=True,
                docker_storage_migrate_keep_old=True,
                docker_storage_loop_size=f"{-(-size // 2**30)}G",
            )
            whole = time.monotonic() - started
            if rc != 0 or "Moved the data root" not in out:
                say(out[-5000:])
                return 1
            # the report line, as the YAML callback folds it
            report = re.search(r"Moved the data root.*?(?:removed|kept at \S+?)\.(?=\s)", out, re.S)
            line = " ".join(report.group(0).split()) if report else ""
            say(f"    {line}")
            figures = {
                "layer_dirs": dirs,
                "entries": files,
                "bytes": used,
                "whole_s": round(whole, 1),
                "recap": re.findall(r"changed=\d+ +unreachable=\d+ +failed=\d+", out)[-1:],
            }
            for key, pattern in {
                "copy_s": r"copied in ([\d.]+) s",
                "copy_mib_s": r"\(([\d.]+) MiB/s\)",
                "proof_s": r"proven equal in ([\d.]+) s",
                "layers_hashed": r"(\d+) image layers hash",
                "hash_s": r"hash to their diff IDs as Docker gives them out \([^)]* in ([\d.]+) s",
                "downtime_s": r"Docker was down ([\d.]+) s",
            }.items():
                found = re.search(pattern, line)
                figures[key] = float(found.group(1)) if found else None
            host.apt("rsync")
            say("==> the floors: the same tree (the old data root, kept) onto a fresh xfs")
            figures["cp_a_s"] = round(floor(host, size, f"cp -a {OLD}/. {FLOOR}/"), 1)
            figures["rsync_s"] = round(floor(host, size, f"rsync -aHAX {OLD}/ {FLOOR}/"), 1)
        finally:
            if not os.environ.get("BENCH_KEEP"):
                lab_host(NAME, "absent")
    mib = used / 2**20
    say(f"{'method':<24}{'seconds':>9}{'MiB/s':>9}")
    for label, seconds, whole_tree in (
        ("cp -a", figures["cp_a_s"], True),
        ("rsync -aHAX", figures["rsync_s"], True),
        ("move: copy", figures["copy_s"], True),
        ("move: proof", figures["proof_s"], True),
        (f"move: {figures['layers_hashed'] or 0:.0f} layers hashed", figures["hash_s"], False),
        ("move: downtime", figures["downtime_s"], False),
        ("move: whole run", figures["whole_s"], False),
    ):
        rate = f"{mib / seconds:9.0f}" if seconds and whole_tree else f"{'-':>9}"
        say(f"{label:<24}{seconds if seconds is not None else '-':>9}{rate}")
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=1) + "\n")
    say(f"figures in {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    given = [int(arg) for arg in sys.argv[1:4]]
    sys.exit(main(*given, *[10, 110, 3][len(given) :]))
