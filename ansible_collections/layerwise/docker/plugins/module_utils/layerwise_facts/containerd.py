"""The containerd image store of a Docker engine, read from the host: standard library only.

With the containerd image store (Docker 24+ with ``"features": {"containerd-snapshotter":
true}``, Docker 29's default on fresh installs) image layers and container layers are
containerd snapshots, not overlay2 layer dirs. ``read_containerd`` returns the section a
snapshot holds under ``"containerd"``::

    {
      "address": "/run/containerd/containerd.sock",  # docker info Containerd.Address
      "namespace": "moby",                     # docker info Containerd.Namespaces.Containers
      "snapshotter": "overlayfs",              # docker info Driver
      "root": "/var/lib/containerd",           # containerd's root, "" when not found
      "root_from": "system default",           # how the root was found
      "snapshots_dir": "<root>/io.containerd.snapshotter.v1.overlayfs",
      "error": "",                             # why the store cannot be read, or ""
      "snapshots": {user key: {"id": "5", "kind": "committed", "parent": user key or "",
                               "labels": {...}}},   # the namespace's snapshots
      "other_ids": ["40", ...],                # snapshot ids of other namespaces
      "dirs": {"5": {"fs": true, "work": true}, ...},  # <snapshots_dir>/snapshots/<N>
      "mounts": [{"mount_point", "container", "lowerdir", "upperdir", "workdir",
                  "lower_ids", "upper_id", "work_id"}],  # rootfs overlays of containers
      "content": {"sha256:...": 1234, ...},    # the namespace's blobs, recorded sizes (meta.db)
      "image_blobs": {image id: ["sha256:...", ...]},  # the blobs each image's target leads to
      "content_error": "",                     # why the content could not be read, or ""
    }

Where the layout comes from (moby/moby and containerd/containerd sources):

- the snapshotter's bbolt ``metadata.db``: containerd ``snapshots/storage/bolt.go``: bucket
  ``v1`` / ``snapshots`` / one bucket per backend key holding ``id`` (uvarint), ``kind``
  (1 view, 2 active, 3 committed), ``parent`` (a backend key), ``labels`` (a bucket). The
  metadata layer (``core/metadata/snapshot.go``) names backend keys ``<namespace>/<seq>/<key>``.
- a container's snapshots: moby ``daemon/containerd/image_snapshot.go`` (``CreateLayer``):
  the active snapshot's key is the container id, its parent ``<id>-init`` (committed from
  ``<id>-init-key``), whose parent is the image's top chain id.
- the containerd root: moby ``daemon/command/daemon.go``: dockerd uses the system containerd
  when ``/run/containerd/containerd.sock`` exists (``systemContainerdRunning``), else starts
  its own with root ``<data-root>/containerd/daemon`` (``containerdRootDir``) and its socket
  in ``<exec-root>/containerd/``; the system containerd's root is ``root`` in its config.toml,
  ``/var/lib/containerd`` by default.
- relative lowerdirs: containerd ``core/mount/mount_linux.go`` (``compactLowerdirOption``)
  makes lowerdirs relative to the snapshots dir when the option string is long.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from . import bolt
from .files import read_bytes
from .images import image_entry

SYSTEM_ADDRESS = "/run/containerd/containerd.sock"
SYSTEM_ROOT = "/var/lib/containerd"
SYSTEM_CONFIG = "/etc/containerd/config.toml"
KINDS = {1: "view", 2: "active", 3: "committed"}
GRAPH_DRIVERS = ("overlay2", "fuse-overlayfs", "btrfs", "zfs", "vfs")  # graphdriver/driver_linux.go

_TOML_SECTION = re.compile(r"^\s*\[+\s*(.+?)\s*\]+\s*(#.*)?$")
_TOML_STRING = re.compile(r"""^\s*([\w.-]+|"[^"]*")\s*=\s*(?:"([^"]*)"|'([^']*)')\s*(#.*)?$""")


# ---- which store, and where it lives ---------------------------------------------------------


def uses_containerd_store(info: dict[str, Any] | None) -> bool:
    """Whether ``docker info`` says the engine keeps its images in containerd."""
    status = {str(k): str(v) for k, v in (info or {}).get("DriverStatus") or []}
    return status.get("driver-type", "").startswith("io.containerd.snapshotter")


def store_choice(
    daemon_json: dict[str, Any],
    prior_drivers: list[str],
    docker_driver_env: str = "",
    userns: bool = False,
) -> str:
    """The store Docker 29+ picks at start: ``containerd`` or ``graphdriver``.

    From moby ``daemon/image_store_choice.go`` (``determineImageStoreChoice``) and
    ``daemon/command/daemon_linux.go``: containerd by default; the ``containerd-snapshotter``
    feature set to false, userns-remap (unless the feature is explicitly true, which dockerd
    refuses), a ``storage-driver`` (or ``$DOCKER_DRIVER``) naming a graph driver, or a
    non-empty ``<data-root>/<graph driver>`` dir other than vfs (``graphdriver.HasPriorDriver``;
    ``prior_drivers`` lists those found) choose the graph driver store.
    """
    features = daemon_json.get("features") or {}
    explicit = features.get("containerd-snapshotter")
    if explicit is False or (userns and explicit is None):
        return "graphdriver"
    driver = docker_driver_env or str(daemon_json.get("storage-driver") or "")
    if explicit is None and any(d != "vfs" for d in prior_drivers):
        return "graphdriver"
    if driver and explicit is None and driver in GRAPH_DRIVERS:
        return "graphdriver"
    return "containerd"


def toml_settings(text: str) -> tuple[str, str]:
    """containerd config.toml's top-level ``root`` and the overlayfs snapshotter's
    ``root_path`` (a line reader: enough for these two string keys, no tomllib needed)."""
    root, root_path, section = "", "", ""
    for line in text.splitlines():
        header = _TOML_SECTION.match(line)
        if header and "=" not in line.split("]", 1)[0]:
            section = header.group(1)
            continue
        match = _TOML_STRING.match(line)
        if not match:
            continue
        key, value = match.group(1).strip('"'), match.group(2) or match.group(3) or ""
        if not section and key == "root":
            root = value
        elif "io.containerd.snapshotter.v1.overlayfs" in section and key == "root_path":
            root_path = value
    return root, root_path


def containerd_root(address: str, data_root: str, config_text: str | None) -> tuple[str, str]:
    """containerd's root for the engine's containerd address, and how it was found.

    dockerd's own containerd listens in ``<exec-root>/containerd/`` and keeps its root in
    ``<data-root>/containerd/daemon``; the system one (``/run/containerd/containerd.sock``)
    keeps it where its config.toml says (``/var/lib/containerd`` by default). Another
    address: the config.toml given, else unknown ("" and why).
    """
    if not address:
        return "", "docker info names no containerd address"
    if "/docker/containerd/" in address:
        return os.path.join(data_root, "containerd", "daemon"), "containerd started by dockerd"
    configured = toml_settings(config_text)[0] if config_text else ""
    if configured:
        return configured, f"root in {SYSTEM_CONFIG}"
    if address in (SYSTEM_ADDRESS, "/var/run/containerd/containerd.sock"):
        return SYSTEM_ROOT, "system default"
    return "", f"containerd at {address} is neither the system's nor dockerd's own"


# ---- the snapshotter's metadata ------------------------------------------------------------


def uvarint(data: bytes) -> int:
    """Go's binary.Uvarint."""
    value, shift = 0, 0
    for byte in data[:10]:
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value
        shift += 7
    raise ValueError(f"bad uvarint {data[:10].hex()}")


def varint(data: bytes) -> int:
    """Go's binary.Varint (zig-zag): containerd's snapshot usage (``size``, ``inodes``)."""
    unsigned = uvarint(data)
    return -((unsigned + 1) >> 1) if unsigned & 1 else unsigned >> 1


def recorded_size(data: bytes | None) -> int | None:
    """A snapshot's recorded size, None when none is recorded or it is not a size."""
    if not data:
        return None
    try:
        size = varint(data)
    except ValueError:
        return None
    return size if size >= 0 else None


def user_key(backend_key: str) -> tuple[str, str]:
    """(namespace, key) of a backend key ``<namespace>/<seq>/<key>``."""
    parts = backend_key.split("/", 2)
    if len(parts) == 3 and parts[1].isdigit():
        return parts[0], parts[2]
    return "", backend_key


def snapshots_of(root: bolt.Bucket, namespace: str) -> tuple[dict[str, Any], list[str]]:
    """The namespace's snapshots by user key, and the ids of every other namespace's."""
    version = root.buckets.get(b"v1")
    if version is None or b"snapshots" not in version.buckets:
        raise ValueError("no v1/snapshots bucket: not a containerd snapshotter database")
    found: dict[str, Any] = {}
    others = []
    for raw, bucket in version.buckets[b"snapshots"].buckets.items():
        space, key = user_key(raw.decode("utf-8", "replace"))
        values = bucket.values
        raw_id = values.get(b"id", b"\x00")
        snap_id = str(raw_id[0] if raw_id and raw_id[0] < 0x80 else uvarint(raw_id))
        if space != namespace:
            others.append(snap_id)
            continue
        kind = values.get(b"kind", b"")
        labels = bucket.buckets.get(b"labels")
        parent = values.get(b"parent")
        found[key] = {
            "id": snap_id,
            "kind": KINDS.get(kind[0], "unknown") if len(kind) == 1 else "unknown",
            "parent": user_key(parent.decode("utf-8", "replace"))[1] if parent else "",
            # what Commit measured of the snapshot's dir (continuity fs.DiskUsage: allocated
            # blocks, each inode once); an active snapshot has none recorded
            "size": recorded_size(values.get(b"size")),
            "labels": {
                k.decode("utf-8", "replace"): v.decode("utf-8", "replace")
                for k, v in labels.values.items()
            }
            if labels
            else {},
        }
    return found, sorted(others, key=int)


def read_dirs(snapshots_dir: str) -> dict[str, dict[str, bool]]:
    """``<snapshots_dir>/snapshots/<N>``: whether each has ``fs`` and ``work``."""
    base = os.path.join(snapshots_dir, "snapshots")
    dirs = {}
    isdir = os.path.isdir
    with os.scandir(base) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                path = entry.path  # base/name
                dirs[entry.name] = {"fs": isdir(path + "/fs"), "work": isdir(path + "/work")}
    return dirs


# ---- containers and their mounts ------------------------------------------------------------


def container_snapshot(inspect: dict[str, Any]) -> dict[str, str]:
    """A container's snapshotter and snapshot keys from ``docker inspect``.

    Docker 24-28 (and 29 with API < 1.52): ``GraphDriver {"Name": "overlayfs", "Data":
    null}``; Docker 29 with API >= 1.52: ``Storage {"RootFS": {"Snapshot": {"Name":
    "overlayfs"}}}`` instead (moby ``daemon/inspect.go``, ``api/types/storage``). Neither
    names the key: it is the container id (``daemon/containerd/image_snapshot.go``).
    ``snapshotter`` is "" for a graph driver container (GraphDriver with Data).
    """
    cid = str(inspect.get("Id", ""))
    rootfs = ((inspect.get("Storage") or {}).get("RootFS") or {}).get("Snapshot") or {}
    graph = inspect.get("GraphDriver") or {}
    if rootfs.get("Name"):
        name, source = str(rootfs["Name"]), "Storage"
    elif graph.get("Name") and not graph.get("Data"):
        name, source = str(graph["Name"]), "GraphDriver"
    else:
        name, source = "", "GraphDriver" if graph else ""
    keys = {"key": cid, "init_key": f"{cid}-init"} if name else {"key": "", "init_key": ""}
    return {"snapshotter": name, "source": source, **keys}


def image_diff_ids(inspect: dict[str, Any]) -> list[str]:
    """An image's layer diff ids, base first, from ``docker image inspect`` (RootFS.Layers):
    on the containerd store there is no image/overlay2/imagedb to read them from."""
    return [str(d) for d in (inspect.get("RootFS") or {}).get("Layers") or []]


def snapshot_id_of(path: str, snapshots_dir: str) -> str:
    """N of ``<snapshots_dir>/snapshots/<N>/fs`` (or ``/work``), or "" for another path."""
    rel = os.path.relpath(path, os.path.join(snapshots_dir, "snapshots"))
    parts = rel.split("/")
    if len(parts) == 2 and parts[0].isdigit() and parts[1] in ("fs", "work"):
        return parts[0]
    return ""


def rootfs_mounts(
    overlays: list[dict[str, Any]], data_root: str, snapshotter: str, snapshots_dir: str
) -> list[dict[str, Any]]:
    """The overlay mounts under ``<data-root>/rootfs/<snapshotter>/``, lowerdirs made absolute
    against the snapshots dir, each dir mapped to its snapshot id.

    ``overlays`` are parse_mountinfo entries (mount_point, fstype, options).
    """
    base = os.path.join(data_root, "rootfs", snapshotter) + "/"
    snapshots = os.path.join(snapshots_dir, "snapshots")

    def absolute(path: str) -> str:
        return path if not path or path.startswith("/") else os.path.join(snapshots, path)

    found = []
    for mount in overlays:
        if mount.get("fstype") != "overlay" or not mount["mount_point"].startswith(base):
            continue
        values = dict(o.split("=", 1) for o in mount.get("options", []) if "=" in o)
        lower = [absolute(p) for p in values.get("lowerdir", "").split(":") if p]
        upper, work = absolute(values.get("upperdir", "")), absolute(values.get("workdir", ""))
        found.append(
            {
                "mount_point": mount["mount_point"],
                "container": mount["mount_point"][len(base) :].split("/")[0],
                "lowerdir": lower,
                "upperdir": upper,
                "workdir": work,
                "lower_ids": [snapshot_id_of(p, snapshots_dir) for p in lower],
                "upper_id": snapshot_id_of(upper, snapshots_dir),
                "work_id": snapshot_id_of(work, snapshots_dir),
            }
        )
    return found


# ---- images ----------------------------------------------------------------------------------

CONTENT_DIR = "io.containerd.content.v1.content"
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
ARCHES = {
    "x86_64": "amd64",
    "aarch64": "arm64",
    "armv7l": "arm",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "riscv64": "riscv64",
}


def read_blob(content_dir: str, digest: str) -> dict[str, Any] | None:
    """A JSON blob of containerd's content store (``blobs/<algorithm>/<hex>``), or None."""
    algorithm, _unused, hexdigest = digest.partition(":")
    try:
        blob = json.loads(read_bytes(os.path.join(content_dir, "blobs", algorithm, hexdigest)))
    except (OSError, ValueError, RecursionError):
        return None
    return blob if isinstance(blob, dict) else None


def image_config(content_dir: str, target: str, arch: str) -> dict[str, Any] | None:
    """The image config an image id (its target: an index or a manifest digest) leads to.

    On the containerd store an image's id is its target's digest; an index names one
    manifest per platform, of which only the host's is unpacked (and often the only one in
    the content store). The config holds rootfs.diff_ids and history with empty_layer.
    """
    blob = read_blob(content_dir, target)
    for _unused in range(3):  # index -> (nested index ->) manifest -> config
        if blob is None:
            return None
        if blob.get("mediaType") in INDEX_TYPES or "manifests" in blob:
            manifests = [m for m in blob.get("manifests") or [] if isinstance(m, dict)]
            mine = [m for m in manifests if (m.get("platform") or {}).get("architecture") == arch]
            present = [m for m in mine + manifests if read_blob(content_dir, str(m.get("digest")))]
            blob = read_blob(content_dir, str(present[0]["digest"])) if present else None
        elif "config" in blob:
            return read_blob(content_dir, str((blob.get("config") or {}).get("digest", "")))
        else:
            return blob
    return None


METADATA_DB = os.path.join("io.containerd.metadata.v1.bolt", "meta.db")
DANGLING = "moby-dangling@"


# containerd's meta.db as last parsed: (path, its stat's identity, the buckets); one read of
# a host asks for it twice (its images, its content) and parsing it is most of their cost
_METADATA: list[tuple[str, tuple[int, int, int, int], bolt.Bucket]] = []


def metadata(root: str) -> bolt.Bucket:
    """containerd's own bolt db under ``root``, parsed once while the file is unchanged."""
    path = os.path.join(root, METADATA_DB)
    info = os.stat(path)
    identity = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    if _METADATA and _METADATA[0][:2] == (path, identity):
        return _METADATA[0][2]
    db = bolt.load(path)
    _METADATA[:] = [(path, identity, db)]
    return db


def familiar(name: str) -> str:
    """A reference as ``docker images`` shows it: docker.io/library/ and docker.io/ dropped."""
    for prefix in ("docker.io/library/", "docker.io/"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def image_refs(root: str, namespace: str) -> list[dict[str, Any]]:
    """The namespace's images from containerd's own metadata (``meta.db``): ``[{"Id": target
    digest, "RepoTags": [...]}]``, as GET /images/json?all=1 lists them (intermediate images
    of classic builds included), without computing sizes.

    containerd ``core/metadata/buckets.go``: ``v1/<namespace>/images/<name>/target/digest``.
    An image id on the containerd store is its target's digest; dockerd names an untagged
    image ``moby-dangling@<digest>``. On Docker 28 /images/json takes 1.6 s for 1,100 layers
    (it sizes every image's snapshots); this read takes milliseconds.
    """
    db = metadata(root)
    space = (db.buckets.get(b"v1") or bolt.Bucket()).buckets.get(namespace.encode())
    if space is None:
        return []
    tags: dict[str, list[str]] = {}
    for raw, bucket in (space.buckets.get(b"images") or bolt.Bucket()).buckets.items():
        target = bucket.buckets.get(b"target")
        digest = target.values.get(b"digest", b"").decode() if target else ""
        if not digest:
            continue
        name = raw.decode("utf-8", "replace")
        names = tags.setdefault(digest, [])
        if not name.startswith(DANGLING) and "@" not in name:
            names.append(familiar(name))
    return [{"Id": digest, "RepoTags": sorted(names)} for digest, names in sorted(tags.items())]


MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


GC_REF = "containerd.io/gc.ref.content."


def content_records(
    root: str, namespace: str
) -> tuple[dict[str, int | None], dict[str, list[str]]]:
    """The namespace's content-store blobs as containerd's meta.db records them: each blob's
    size by digest (None when none is recorded or it is not a size), and the blobs each one
    keeps alive (its ``containerd.io/gc.ref.content.*`` labels: a manifest's config and
    layers, moby's container config, an index's manifests).

    containerd ``core/metadata/buckets.go``: ``v1/<namespace>/content/blob/<digest>/size``
    (a varint) and ``.../labels``, written when the blob is committed to the content store;
    ``core/metadata/gc.go`` follows the gc.ref labels.
    """
    db = metadata(root)
    space = (db.buckets.get(b"v1") or bolt.Bucket()).buckets.get(namespace.encode())
    content = (space or bolt.Bucket()).buckets.get(b"content") or bolt.Bucket()
    sizes: dict[str, int | None] = {}
    refs: dict[str, list[str]] = {}
    for raw, bucket in sorted((content.buckets.get(b"blob") or bolt.Bucket()).buckets.items()):
        digest = raw.decode("utf-8", "replace")
        sizes[digest] = recorded_size(bucket.values.get(b"size"))
        labels = bucket.buckets.get(b"labels") or bolt.Bucket()
        refs[digest] = [
            value.decode("utf-8", "replace")
            for key, value in sorted(labels.values.items())
            if key.decode("utf-8", "replace").startswith(GC_REF)
        ]
    return sizes, refs


def image_blobs(
    content_dir: str, target: str, held: dict[str, int | None], refs: dict[str, list[str]]
) -> list[str]:
    """The blobs of ``held`` (the namespace's content) an image's target keeps, in the order
    met: the target (an index or a manifest), an index's manifests, each manifest's config
    and layers (the JSON's descriptors), and every blob a reached blob's gc.ref labels name
    (moby's container config). A blob the namespace does not hold (another platform's
    manifest, a layer never fetched) is not the image's on this host and is left out; only
    indexes and manifests are read (a layer blob is never opened)."""
    found: dict[str, None] = {}
    opened: set[str] = set()
    todo = [(target, True)]  # (digest, whether it is an index or a manifest)
    while todo:
        digest, document = todo.pop(0)
        if digest not in held:
            continue
        if digest not in found:
            found[digest] = None
            todo += [(ref, False) for ref in refs.get(digest, [])]
        if not document or digest in opened:
            continue
        opened.add(digest)
        blob = read_blob(content_dir, digest) or {}
        children = [m for m in blob.get("manifests") or [] if isinstance(m, dict)]
        config = blob.get("config")
        children += [config] if isinstance(config, dict) else []
        children += [layer for layer in blob.get("layers") or [] if isinstance(layer, dict)]
        for child in children:
            todo.append(
                (
                    str(child.get("digest", "")),
                    child.get("mediaType") in INDEX_TYPES + MANIFEST_TYPES,
                )
            )
    return list(found)


def read_content(section: dict[str, Any], image_ids: list[str]) -> dict[str, Any]:
    """The section's content-store part: ``content`` (the namespace's blobs and their recorded
    sizes), ``image_blobs`` (each image's blobs, by image id) and ``content_error`` (why they
    could not be read, or "")."""
    root, namespace = str(section.get("root") or ""), str(section.get("namespace") or "moby")
    if not root or section.get("error"):
        return {"content": {}, "image_blobs": {}, "content_error": "containerd's root is unknown"}
    try:
        held, refs = content_records(root, namespace)
    except (OSError, ValueError) as exc:
        return {"content": {}, "image_blobs": {}, "content_error": str(exc) or type(exc).__name__}
    content_dir = os.path.join(root, CONTENT_DIR)
    return {
        "content": held,
        "image_blobs": {i: image_blobs(content_dir, i, held, refs) for i in image_ids},
        "content_error": "",
    }


def list_images(api: Any, section: dict[str, Any]) -> list[dict[str, Any]]:
    """The images, from containerd's metadata when it can be read, else from the engine."""
    try:
        return image_refs(str(section.get("root") or ""), str(section.get("namespace") or "moby"))
    except (OSError, ValueError):
        return list(api.get("/images/json"))


def read_images(api: Any, section: dict[str, Any]) -> list[dict[str, Any]]:
    """The engine's images with tags, diff ids and history, as graphdriver.read_images gives
    them: each config from containerd's content store (under the root the section found),
    else the diff ids ``docker image inspect`` reports."""
    content_dir = os.path.join(section.get("root") or "", CONTENT_DIR)
    arch = ARCHES.get(os.uname().machine, os.uname().machine)
    images = []
    for summary in list_images(api, section):
        image_id = str(summary["Id"])
        config = image_config(content_dir, image_id, arch) if section.get("root") else None
        if config is None:
            config = {"rootfs": {"diff_ids": image_diff_ids(api.get(f"/images/{image_id}/json"))}}
        images.append(image_entry(image_id, summary, config))
    return images


# ---- the section ---------------------------------------------------------------------------


def same_filesystem(path: str, data_root: str) -> bool | None:
    """Whether ``path`` is on the data root's filesystem (None when either cannot be read).

    With the containerd store the layers live under containerd's root, so a dedicated data
    root filesystem holds them only when containerd's snapshots are on it too.
    """
    try:
        return os.stat(path).st_dev == os.stat(data_root).st_dev
    except OSError:
        return None


def read_containerd(
    info: dict[str, Any],
    data_root: str,
    mounts: list[dict[str, Any]],
    config_text: str | None = None,
) -> dict[str, Any]:
    """The containerd store's section of a snapshot (see the module's docstring).

    ``info``: ``docker info`` (GET /info); ``data_root``: the engine's root dir;
    ``mounts``: parse_mountinfo of /proc/self/mountinfo; ``config_text``: the system
    containerd's config.toml (None when absent). Never raises for what the host holds:
    ``error`` says why the store could not be read.
    """
    containerd = info.get("Containerd") or {}
    address = str(containerd.get("Address") or "")
    snapshotter = str(info.get("Driver") or "")
    section: dict[str, Any] = {
        "address": address,
        "namespace": str((containerd.get("Namespaces") or {}).get("Containers") or "moby"),
        "snapshotter": snapshotter,
        "root": "",
        "root_from": "",
        "snapshots_dir": "",
        "error": "",
        "snapshots": {},
        "other_ids": [],
        "dirs": {},
        "mounts": [],
        "on_data_root_filesystem": None,
        "content": {},
        "image_blobs": {},
        "content_error": "",
    }
    if not uses_containerd_store(info):
        section["error"] = "the engine does not use the containerd image store"
        return section
    if snapshotter != "overlayfs":
        section["error"] = f"snapshotter {snapshotter!r}: layerwise reads overlayfs only"
        return section
    root, how = containerd_root(address, data_root, config_text)
    section.update(root=root, root_from=how)
    if not root:
        section["error"] = f"containerd's root is unknown: {how}"
        return section
    # dockerd's own containerd does not read the system config.toml
    own = how == "containerd started by dockerd"
    root_path = toml_settings(config_text)[1] if config_text and not own else ""
    snapshots_dir = root_path or os.path.join(root, "io.containerd.snapshotter.v1.overlayfs")
    section["snapshots_dir"] = snapshots_dir
    section["mounts"] = rootfs_mounts(mounts, data_root, snapshotter, snapshots_dir)
    section["on_data_root_filesystem"] = same_filesystem(snapshots_dir, data_root)
    try:
        section["dirs"] = read_dirs(snapshots_dir)
        metadata = os.path.join(snapshots_dir, "metadata.db")
        # containerd creates the snapshotter's metadata.db on its first transaction
        # (core/snapshots/storage/metastore.go, TransactionContext): a store that never
        # held a snapshot has none, and nothing to judge
        if not section["dirs"] and not os.path.exists(metadata):
            return section
        db = bolt.load(metadata)
        section["snapshots"], section["other_ids"] = snapshots_of(db, section["namespace"])
    except (OSError, ValueError) as exc:
        section["error"] = str(exc) or type(exc).__name__
    return section
