"""Every image layer's content hash, taken from the layers as the engine gives them out.

`docker save` streams each image layer as a tar. On a graph driver (overlay2) the engine
rebuilds that tar from the layer's directory on disk and the tar-split kept beside it, so its
sha256 is the layer's diff ID again only when every file of the layer is as it was. With the
containerd image store `docker save` gives the layer blobs of containerd's content store,
gzip-compressed when the image was pulled or built: those are hashed uncompressed. A blob in
another compression (zstd) cannot be read with the standard library: its layer is counted as
not checked, before the move and after it alike.

Hashed before Docker stops for a move and again once it runs on the copy: every layer whose
hash the engine gave before must come out the same after.
"""

from __future__ import annotations

import hashlib
import subprocess
import tarfile
import tempfile
import time
import zlib
from typing import IO, Any

CHUNK = 1 << 20
GZIP = b"\x1f\x8b"


def _inflate_into(inflate: Any, plain: Any, chunk: bytes) -> None:
    """Feed ``chunk`` through ``inflate`` into ``plain``, a bounded piece at a time (a layer of
    zeros compresses a thousandfold)."""
    while chunk and not inflate.eof:
        plain.update(inflate.decompress(chunk, CHUNK))
        chunk = inflate.unconsumed_tail


def _hash_member(handle: IO[bytes]) -> tuple[list[str], int]:
    """The digests of one archive member (as stored, and uncompressed when gzip) and its size."""
    raw = hashlib.sha256()
    plain: Any = None
    inflate = None
    size = 0
    while chunk := handle.read(CHUNK):
        if size == 0 and chunk[:2] == GZIP:
            inflate, plain = zlib.decompressobj(wbits=47), hashlib.sha256()
        size += len(chunk)
        raw.update(chunk)
        if inflate is not None:
            try:
                _inflate_into(inflate, plain, chunk)
            except zlib.error:  # only looked like gzip: its raw hash stands
                inflate = plain = None
    found = [f"sha256:{raw.hexdigest()}"]
    if inflate is not None and inflate.eof:
        found.append(f"sha256:{plain.hexdigest()}")
    return found, size


def digests(stream: IO[bytes]) -> tuple[set[str], int]:
    """sha256 of every file of a `docker save` archive read as a stream (of its uncompressed
    content too, for gzip), and the bytes read."""
    found: set[str] = set()
    total = 0
    with tarfile.open(fileobj=stream, mode="r|") as archive:
        for member in archive:
            handle = archive.extractfile(member) if member.isfile() else None
            if handle is None:
                continue
            hashes, size = _hash_member(handle)
            found.update(hashes)
            total += size
    return found, total


def _save(images: list[str], timeout: float) -> tuple[set[str], int, str]:
    """Hash `docker save` of ``images``: (digests, bytes, error or "")."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(["docker", "save", *images], stdout=subprocess.PIPE, stderr=errors)
        if proc.stdout is None:
            raise RuntimeError("docker save: no output pipe")
        try:
            found, size = digests(proc.stdout)
            error = ""
        except (tarfile.TarError, OSError, EOFError) as exc:
            proc.kill()
            found, size, error = set(), 0, f"unreadable archive ({exc})"
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return set(), 0, f"docker save did not finish in {timeout:.0f} s"
        finally:
            proc.stdout.close()
        errors.seek(0)
        reason = errors.read().decode(errors="replace").strip()
    if proc.returncode != 0:  # the engine's reason comes first (its output is cut short)
        error = reason or f"exit {proc.returncode}"
    return (set(), 0, error) if error else (found, size, "")


def reproduced(images: dict[str, list[str]], timeout: float = 3600.0) -> dict[str, Any]:
    """Hash every layer of ``images`` (image ID -> its diff IDs) as the engine gives it out.

    Returns the diff IDs whose content gave their hash again (``proven``), the ones that did
    not (``not_proven``, layer -> the first image holding it), the images `docker save`
    refused (``refused``, image -> the engine's reason), bytes read and seconds taken. All
    images are saved at once (shared layers are read once); when that fails, one by one, so
    one damaged image does not hide the others.
    """
    began = time.monotonic()
    wanted = {layer: image for image, layers in images.items() for layer in layers}
    found, size, error = _save(sorted(images), timeout) if images else (set(), 0, "")
    refused: dict[str, str] = {}
    if error:
        found, size = set(), 0
        for image in sorted(images):
            got, got_size, why = _save([image], timeout)
            found |= got
            size += got_size
            if why:
                refused[image] = why
    return {
        "proven": sorted(layer for layer in wanted if layer in found),
        "not_proven": {
            layer: image for layer, image in sorted(wanted.items()) if layer not in found
        },
        "refused": refused,
        "bytes": size,
        "seconds": round(time.monotonic() - began, 2),
    }


def lost(before: list[str], after: dict[str, Any]) -> list[str]:
    """What is lost: each layer whose content gave its diff ID before the move and does not
    now, with the image holding it and the engine's reason when it refused that image."""
    now = set(after["proven"])
    lines = []
    for layer in before:
        if layer not in now:
            image = after["not_proven"].get(layer, "")
            why = after["refused"].get(image, "")
            lines.append(
                f"layer {layer[:19]} of image {image[:19] or '?'} no longer hashes to its diff ID"
                + (f" (docker save: {why})" if why else "")
            )
    return lines
