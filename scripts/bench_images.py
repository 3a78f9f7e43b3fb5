#!/usr/bin/env python3
"""Write `docker save` archives of many-layer images, for loading a host with overlay2 layers fast.

Building 1,000 RUN layers takes many minutes; `docker load` of crafted layers takes seconds.
Each image `<prefix>-<i>:latest` gets `--layers` layers, each a tiny tar holding
`bench/<i>/<n>-<k>.txt` files whose content names the image and layer, so no layer is shared
within or across images: 10 images x 110 layers add 1,100 dirs under /var/lib/docker/overlay2.

The archives use the legacy `docker save` layout (manifest.json, `<image id>.json`,
`<diff id>/layer.tar`), which `docker load` reads on Docker 20.10 and on 25+ (26.1 included).
Output is deterministic: the same arguments write byte-identical archives.

One archive per image, so the images can load in parallel: on Docker 20.10 (2 CPUs), ten
110-layer archives loaded in 27-37 s in parallel, 41-45 s one after another, and 46 s as one
combined archive.

Layer limit: Docker's layer store refuses a chain deeper than 125 layers ("max depth exceeded"),
so `docker load` of a 126-layer image fails; a container of a 125-layer image still mounts,
as overlay2's 128 lower dirs leave room for its init and writable layers. The default of 110
leaves headroom; these images hold no program and are not meant to be run.

    scripts/bench_images.py --images 10 --layers 110 --out /tmp/bench-images
    ls /tmp/bench-images/bench-*.tar | xargs -P 10 -n 1 docker load -q -i
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import platform
import sys
import tarfile
from pathlib import Path

MTIME = 1_704_067_200  # 2024-01-01T00:00:00Z, for every tar entry
CREATED = "2024-01-01T00:00:00Z"
MAX_LAYERS = 125  # deepest layer chain Docker's layer store accepts
ARCHES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def host_architecture() -> str:
    """Docker's name for this machine's architecture (amd64, arm64, ...)."""
    machine = platform.machine().lower()
    return ARCHES.get(machine, machine)


def tar_entry(name: str, size: int = 0, directory: bool = False) -> tarfile.TarInfo:
    """A tar header with fixed owner, mode and mtime."""
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE if directory else tarfile.REGTYPE
    info.mode = 0o755 if directory else 0o644
    info.size = size
    info.mtime = MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    """Add a regular file holding data."""
    tar.addfile(tar_entry(name, len(data)), io.BytesIO(data))


def layer_tar(ref: str, image: int, layer: int, files: int) -> bytes:
    """The uncompressed tar of one layer: its dirs and `files` small files unique to it."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        tar.addfile(tar_entry("bench/", directory=True))
        tar.addfile(tar_entry(f"bench/{image}/", directory=True))
        for k in range(files):
            text = f"{ref} layer {layer} file {k}\n".encode()
            add_bytes(tar, f"bench/{image}/{layer}-{k}.txt", text)
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def image_config(diff_ids: list[str], arch: str) -> bytes:
    """The image config JSON; its sha256 is the image id."""
    config = {
        "architecture": arch,
        "os": "linux",
        "created": CREATED,
        "config": {"Cmd": ["/bench"], "Env": ["PATH=/usr/bin:/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created": CREATED, "created_by": f"bench layer {n}"} for n in range(len(diff_ids))
        ],
    }
    return json.dumps(config, sort_keys=True, separators=(",", ":")).encode()


def write_image(
    tar: tarfile.TarFile, ref: str, image: int, layers: int, files: int
) -> dict[str, object]:
    """Add one image's layers and config to an open archive; return its manifest.json entry."""
    diff_ids: list[str] = []
    layer_paths: list[str] = []
    for n in range(layers):
        data = layer_tar(ref, image, n, files)
        diff_id = sha256(data)
        layer_dir = diff_id.split(":", 1)[1]
        tar.addfile(tar_entry(f"{layer_dir}/", directory=True))
        add_bytes(tar, f"{layer_dir}/layer.tar", data)
        diff_ids.append(diff_id)
        layer_paths.append(f"{layer_dir}/layer.tar")
    config = image_config(diff_ids, host_architecture())
    config_name = sha256(config).split(":", 1)[1] + ".json"
    add_bytes(tar, config_name, config)
    return {"Config": config_name, "RepoTags": [ref], "Layers": layer_paths}


def write_archive(path: Path, ref: str, image: int, layers: int, files: int) -> None:
    """Write a `docker load` archive holding the single image `ref`."""
    with tarfile.open(path, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        entry = write_image(tar, ref, image, layers, files)
        add_bytes(tar, "manifest.json", json.dumps([entry], separators=(",", ":")).encode())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10, help="number of images (default 10)")
    parser.add_argument(
        "--layers",
        type=int,
        default=110,
        help=f"layers per image (default 110, at most {MAX_LAYERS})",
    )
    parser.add_argument("--out", type=Path, required=True, help="directory for the archives")
    parser.add_argument(
        "--prefix", default="layerwise/bench", help="image name prefix (default layerwise/bench)"
    )
    parser.add_argument(
        "--files-per-layer", type=int, default=2, help="files in each layer (default 2)"
    )
    args = parser.parse_args(argv)
    if args.images < 1 or args.files_per_layer < 1:
        parser.error("--images and --files-per-layer must be at least 1")
    if not 1 <= args.layers <= MAX_LAYERS:
        parser.error(f"--layers must be 1..{MAX_LAYERS}: Docker loads no deeper layer chain")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for i in range(args.images):
        path = args.out / f"bench-{i}.tar"
        write_archive(path, f"{args.prefix}-{i}:latest", i, args.layers, args.files_per_layer)
        print(path)
    print(f"{args.images} images, {args.images * args.layers} layers")
    return 0


if __name__ == "__main__":
    sys.exit(main())
