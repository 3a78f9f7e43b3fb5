"""The containerd store reader: bbolt files, the snapshotter's metadata, snapshot dirs, rootfs
mounts and where containerd keeps its root, on real data a containerd wrote."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import bolt, mounts
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import (
    containerd as c,
)

from . import containerd_store as store


def read(tmp_path: Path) -> dict[str, Any]:
    root, mountinfo = store.make_tree(tmp_path)
    return c.read_containerd(
        store.INFO,
        str(tmp_path / "data"),
        mounts.parse_mountinfo(mountinfo),
        f'version = 2\nroot = "{root}"\nstate = "/run/x"\n',
    )


# ---- bbolt -----------------------------------------------------------------------------------


def test_bolt_reads_every_snapshot_containerd_wrote() -> None:
    root = bolt.parse(store.DB)
    snaps = root.buckets[b"v1"].buckets[b"snapshots"]
    assert snaps.sequence == 133  # the id containerd handed out last
    assert len(snaps.buckets) == 11 + 120  # moby's and the other namespace's (branch pages)
    big = next(b for k, b in snaps.buckets.items() if k.endswith(b"layer-119-" + b"x" * 60))
    assert big.buckets[b"labels"].values[b"containerd.io/snapshot/big"] == b"y" * 4060  # overflow


def test_bolt_picks_the_valid_meta_with_the_higher_txid() -> None:
    data = bytearray(store.DB)
    metas = [m for m in (bolt.read_meta(bytes(data), at)[0] for at in (0, 4096)) if m]
    assert len(metas) == 2
    assert abs(metas[0].txid - metas[1].txid) == 1
    newer = 0 if metas[0].txid > metas[1].txid else 4096
    assert bolt.current_meta(bytes(data)).txid == max(m.txid for m in metas)
    data[newer + 16 + 40] ^= 0xFF  # a byte of the newer meta: its checksum fails
    assert bolt.current_meta(bytes(data)).txid == min(m.txid for m in metas)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: b"", "not a bbolt database: the file ends before a meta page at byte 0"),
        (lambda d: b"\0" * 8192, "not a bbolt database: no bbolt magic at byte 16"),
        (
            lambda d: d[:16] + b"\0" * 64 + d[80:4112] + b"\0" * 64 + d[4176:],
            "not a bbolt database: no bbolt magic",
        ),
        (
            lambda d: d[:60] + bytes([d[60] ^ 1]) + d[61:4156] + bytes([d[4156] ^ 1]) + d[4157:],
            "fails its checksum",
        ),
        (lambda d: d[: 4096 * 20], "past the end of the file"),
        (lambda d: _page_header(d, id_=7), "says it is page 7"),
        (lambda d: _page_header(d, flags=0x10), "not a branch or leaf page"),
    ],
    ids=["empty", "zeros", "no-magic", "checksums", "truncated", "page-id", "page-flags"],
)
def test_bolt_refuses_a_damaged_file_saying_why(damage: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        bolt.parse(damage(store.DB))  # type: ignore[operator]


def _page_header(data: bytes, id_: int | None = None, flags: int | None = None) -> bytes:
    """The root page's header rewritten (id or flags)."""
    meta = bolt.current_meta(data)
    at = meta.root * meta.page_size
    old_id, old_flags, count, overflow = bolt.PAGE_HEADER.unpack_from(data, at)
    header = bolt.PAGE_HEADER.pack(
        old_id if id_ is None else id_, old_flags if flags is None else flags, count, overflow
    )
    return data[:at] + header + data[at + len(header) :]


def test_bolt_load_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "metadata.db"
    path.write_bytes(b"not bolt")
    with pytest.raises(ValueError, match=f"^{path}: not a bbolt database"):
        bolt.load(str(path))


def test_fnv1a64_is_gos() -> None:
    assert bolt.fnv1a64(b"") == 0xCBF29CE484222325
    assert bolt.fnv1a64(b"a") == 0xAF63DC4C8601EC8C
    assert struct.calcsize("<IIIIQQQQQQ") == 64


# ---- the section ------------------------------------------------------------------------------


def test_reader_agrees_with_ctr_snapshots_ls(tmp_path: Path) -> None:
    found = read(tmp_path)
    assert found["error"] == ""
    snaps = found["snapshots"]
    assert {k: (v["parent"], v["kind"]) for k, v in snaps.items()} == store.ctr_ls()
    ids = {k: v["id"] for k, v in snaps.items()}
    assert (ids[store.WEB], ids[f"{store.WEB}-init"]) == ("6", "5")
    assert (ids[store.MADE["chains_a"][0]], ids["build-view"]) == ("1", "133")
    # every dir belongs to one snapshot of moby's or of the other namespace, and back
    assert set(found["dirs"]) == set(ids.values()) | set(found["other_ids"])
    assert found["dirs"]["133"] == {"fs": True, "work": False}
    label = snaps[store.MADE["c5"]]["labels"]["containerd.io/snapshot.ref"]
    assert label == store.MADE["c5"]


def test_reader_maps_rootfs_mounts_to_snapshot_ids_relative_lowerdirs_too(
    tmp_path: Path,
) -> None:
    found = read(tmp_path)
    snapshots = f"{tmp_path}/root/io.containerd.snapshotter.v1.overlayfs/snapshots"
    web, api = found["mounts"]
    assert (web["container"], web["upper_id"], web["work_id"]) == (store.WEB, "6", "6")
    assert web["lower_ids"] == ["5", "3", "2", "1"]
    assert "lowerdir=7/fs:4/fs:1/fs" in store.MOUNTINFO  # the real mount had relative lowers
    assert api["lowerdir"] == [f"{snapshots}/{n}/fs" for n in (7, 4, 1)]
    assert (api["upper_id"], api["lower_ids"]) == ("8", ["7", "4", "1"])


def test_reader_says_why_it_cannot_read(tmp_path: Path) -> None:
    found = c.read_containerd(store.INFO, str(tmp_path), [], f'root = "{tmp_path}/none"\n')
    assert found["error"].startswith("[Errno 2] No such file or directory")
    graph = c.read_containerd({"Driver": "overlay2", "DriverStatus": []}, "/x", [], None)
    assert graph["error"] == "the engine does not use the containerd image store"
    other = dict(store.INFO, Containerd={"Address": "/srv/ctd.sock"})
    assert c.read_containerd(other, "/x", [], None)["error"] == (
        "containerd's root is unknown: containerd at /srv/ctd.sock is neither the system's "
        "nor dockerd's own"
    )


@pytest.mark.parametrize(
    ("address", "config", "want"),
    [
        ("/run/containerd/containerd.sock", None, ("/var/lib/containerd", "system default")),
        (
            "/run/containerd/containerd.sock",
            '# x\nversion = 2\nroot = "/srv/ctd" # moved\n[plugins]\n  root = "/no"\n',
            ("/srv/ctd", "root in /etc/containerd/config.toml"),
        ),
        (
            "/var/run/docker/containerd/containerd.sock",
            'root = "/srv/ctd"\n',
            ("/data/containerd/daemon", "containerd started by dockerd"),
        ),
        ("", None, ("", "docker info names no containerd address")),
    ],
)
def test_containerd_root_follows_the_engine(
    address: str, config: str | None, want: tuple[str, str]
) -> None:
    assert c.containerd_root(address, "/data", config) == want


def test_snapshotter_root_path_from_config_toml() -> None:
    text = '[plugins."io.containerd.snapshotter.v1.overlayfs"]\n  root_path = "/fast/ovl"\n'
    assert c.toml_settings(text) == ("", "/fast/ovl")


def test_container_snapshot_from_graphdriver_and_storage() -> None:
    cid = "a" * 64
    want = {"snapshotter": "overlayfs", "key": cid, "init_key": f"{cid}-init"}
    docker28 = {"Id": cid, "GraphDriver": {"Name": "overlayfs", "Data": None}}
    docker29 = {"Id": cid, "Storage": {"RootFS": {"Snapshot": {"Name": "overlayfs"}}}}
    assert c.container_snapshot(docker28) == {**want, "source": "GraphDriver"}
    assert c.container_snapshot(docker29) == {**want, "source": "Storage"}
    overlay2 = {"Id": cid, "GraphDriver": {"Name": "overlay2", "Data": {"UpperDir": "/x"}}}
    assert c.container_snapshot(overlay2)["snapshotter"] == ""
    assert c.image_diff_ids({"RootFS": {"Type": "layers", "Layers": ["sha256:1"]}}) == ["sha256:1"]


@pytest.mark.parametrize(
    ("daemon_json", "prior", "env", "userns", "want"),
    [
        ({}, [], "", False, "containerd"),
        ({"features": {"containerd-snapshotter": False}}, [], "", False, "graphdriver"),
        ({"storage-driver": "overlay2"}, [], "", False, "graphdriver"),
        ({}, [], "overlay2", False, "graphdriver"),
        ({"storage-driver": "overlayfs"}, [], "", False, "containerd"),
        ({}, ["overlay2"], "", False, "graphdriver"),
        ({}, ["vfs"], "", False, "containerd"),
        ({"features": {"containerd-snapshotter": True}}, ["overlay2"], "", False, "containerd"),
        ({}, [], "", True, "graphdriver"),
    ],
)
def test_store_docker_29_picks(
    daemon_json: dict[str, object], prior: list[str], env: str, userns: bool, want: str
) -> None:
    assert c.store_choice(daemon_json, prior, env, userns) == want


def test_uses_containerd_store_reads_driver_type() -> None:
    assert c.uses_containerd_store(store.INFO)
    assert not c.uses_containerd_store({"DriverStatus": [["Backing Filesystem", "xfs"]]})


def _blob(content: Path, data: dict[str, Any]) -> str:
    import hashlib
    import json

    raw = json.dumps(data).encode()
    digest = hashlib.sha256(raw).hexdigest()
    (content / "blobs/sha256").mkdir(parents=True, exist_ok=True)
    (content / "blobs/sha256" / digest).write_bytes(raw)
    return f"sha256:{digest}"


def test_image_config_follows_index_to_the_hosts_manifest(tmp_path: Path) -> None:
    """An image id on the containerd store is its target: index -> manifest -> config."""
    config = {"rootfs": {"diff_ids": ["sha256:aa"]}, "history": [{"empty_layer": True}]}
    other = {"rootfs": {"diff_ids": ["sha256:bb"]}}
    mine = _blob(tmp_path, {"config": {"digest": _blob(tmp_path, config)}, "layers": []})
    theirs = _blob(tmp_path, {"config": {"digest": _blob(tmp_path, other)}, "layers": []})
    index = _blob(
        tmp_path,
        {
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {"digest": theirs, "platform": {"architecture": "arm64"}},
                {"digest": mine, "platform": {"architecture": "amd64"}},
                {"digest": "sha256:" + "0" * 64, "platform": {"architecture": "amd64"}},
            ],
        },
    )
    assert c.image_config(str(tmp_path), index, "amd64") == config
    assert c.image_config(str(tmp_path), mine, "amd64") == config  # a manifest as the target
    # the host's manifest absent: the first one present
    assert c.image_config(str(tmp_path), index, "s390x") == other
    assert c.image_config(str(tmp_path), "sha256:" + "f" * 64, "amd64") is None


@pytest.mark.parametrize(("dirs", "error"), [([], ""), (["1"], "metadata.db")])
def test_a_store_that_never_held_a_snapshot_has_no_metadata_db(
    tmp_path: Path, dirs: list[str], error: str
) -> None:
    """Seen on Docker 28.5.2 / containerd 2.1.9 before the first image: snapshots/ empty and
    no metadata.db. That is an empty store; snapshot dirs without it cannot be read."""
    snapshots = tmp_path / "root/io.containerd.snapshotter.v1.overlayfs/snapshots"
    snapshots.mkdir(parents=True)
    for name in dirs:
        (snapshots / name / "fs").mkdir(parents=True)
    section = c.read_containerd(
        store.INFO, str(tmp_path / "data"), [], f'root = "{tmp_path}/root"\n'
    )
    assert section["snapshots"] == {}
    assert (error in section["error"]) if error else section["error"] == ""


def test_same_filesystem(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    assert c.same_filesystem(str(tmp_path / "a"), str(tmp_path)) is True
    assert c.same_filesystem("/proc/self", str(tmp_path)) is False
    assert c.same_filesystem(str(tmp_path / "missing"), str(tmp_path)) is None


def test_image_refs_from_containerds_metadata(tmp_path: Path) -> None:
    """Images as /images/json?all=1 lists them, read from meta.db: tags made familiar,
    dangling and digest references not tags, another namespace not ours."""
    from .conftest import load

    boltwrite = load("scripts/boltwrite.py")

    def image(digest: str) -> dict[str, Any]:
        return {
            "target": {"digest": digest, "mediatype": "application/vnd.oci.image.index.v1+json"}
        }

    a, b = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    tree = {
        "v1": {
            "moby": {
                "images": {
                    "docker.io/library/debian:13": image(a),
                    "docker.io/layerwise/web:latest": image(a),
                    "registry.example/x/y:1": image(b),
                    "docker.io/layerwise/web@" + a: image(a),
                    "moby-dangling@" + b: image(b),
                    "no-target": {"labels": {}},
                }
            },
            "k8s.io": {"images": {"docker.io/library/pause:3": image("sha256:" + "c" * 64)}},
        }
    }
    path = tmp_path / "io.containerd.metadata.v1.bolt/meta.db"
    path.parent.mkdir()
    boltwrite.write(str(path), tree)
    assert c.image_refs(str(tmp_path), "moby") == [
        {"Id": a, "RepoTags": ["debian:13", "layerwise/web:latest"]},
        {"Id": b, "RepoTags": ["registry.example/x/y:1"]},
    ]
    assert c.image_refs(str(tmp_path), "nobody") == []


def test_images_come_from_the_engine_when_meta_db_cannot_be_read(tmp_path: Path) -> None:
    class Engine:
        def get(self, path: str) -> list[dict[str, Any]]:
            assert path == "/images/json"
            return [{"Id": "sha256:" + "d" * 64, "RepoTags": ["x:1"]}]

    section = {"root": str(tmp_path), "namespace": "moby"}
    assert c.list_images(Engine(), section) == [{"Id": "sha256:" + "d" * 64, "RepoTags": ["x:1"]}]


# ---- the content store: each image's blobs ---------------------------------------------------

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def digest(name: str) -> str:
    return "sha256:" + name.encode().hex().ljust(64, "0")


def go_varint(value: int) -> bytes:
    """Go's binary.PutVarint (zig-zag, then uvarint), as containerd writes a blob's size."""
    unsigned, out = value << 1 if value >= 0 else (-value << 1) - 1, b""
    while unsigned >= 0x80:
        out += bytes([unsigned & 0x7F | 0x80])
        unsigned >>= 7
    return out + bytes([unsigned])


# what meta.db records of moby's content: image A (an index whose amd64 manifest is held,
# its arm64 one not), image B (a manifest), sharing base layer L0; B's L2 was never fetched
BLOB_SIZES = {
    "indexA": 300,
    "manA": 500,
    "cfgA": 1000,
    "L0": 30000,
    "L1": 2000,
    "manB": 450,
    "cfgB": 900,
    "ccfgB": 600,  # moby's container config: only manB's gc.ref label names it
    "stray": 77,
}


def content_root(tmp_path: Path) -> Path:
    """A containerd root with moby's content records in meta.db and the JSON blobs."""
    from .conftest import load

    boltwrite = load("scripts/boltwrite.py")
    blobs = {
        digest(name): {"size": go_varint(size), "labels": {}} for name, size in BLOB_SIZES.items()
    }
    # containerd's gc references: the index names its manifest, manB moby's container config
    blobs[digest("indexA")]["labels"] = {"containerd.io/gc.ref.content.m.0": digest("manA")}
    blobs[digest("manB")]["labels"] = {
        "containerd.io/gc.ref.content.moby/container.config": digest("ccfgB"),
        "containerd.io/uncompressed": digest("cfgA"),  # not a reference
    }
    tree = {"v1": {"moby": {"content": {"blob": blobs}}, "k8s.io": {"content": {"blob": {}}}}}
    path = tmp_path / "io.containerd.metadata.v1.bolt/meta.db"
    path.parent.mkdir()
    boltwrite.write(str(path), tree)
    store_dir = tmp_path / c.CONTENT_DIR / "blobs/sha256"
    store_dir.mkdir(parents=True)

    def desc(name: str, media: str) -> dict[str, Any]:
        return {"mediaType": media, "digest": digest(name), "size": BLOB_SIZES.get(name, 1)}

    documents = {
        "indexA": {
            "mediaType": OCI_INDEX,
            "manifests": [
                {**desc("manA", OCI_MANIFEST), "platform": {"architecture": "amd64"}},
                {**desc("manArm", OCI_MANIFEST), "platform": {"architecture": "arm64"}},
            ],
        },
        "manA": {
            "mediaType": OCI_MANIFEST,
            "config": desc("cfgA", "application/vnd.oci.image.config.v1+json"),
            "layers": [desc("L0", LAYER), desc("L1", LAYER)],
        },
        "manB": {
            "mediaType": DOCKER_MANIFEST,
            "config": desc("cfgB", "application/vnd.docker.container.image.v1+json"),
            "layers": [desc("L0", LAYER), desc("L2", LAYER)],
        },
    }
    for name, document in documents.items():
        (store_dir / digest(name)[7:]).write_text(json.dumps(document))
    return tmp_path


def test_content_records_are_what_meta_db_recorded_for_the_namespace(tmp_path: Path) -> None:
    root = content_root(tmp_path)
    sizes, refs = c.content_records(str(root), "moby")
    assert sizes == {digest(n): s for n, s in BLOB_SIZES.items()}
    assert {k: v for k, v in refs.items() if v} == {
        digest("indexA"): [digest("manA")],
        digest("manB"): [digest("ccfgB")],
    }
    assert c.content_records(str(root), "k8s.io") == ({}, {})
    assert c.content_records(str(root), "nobody") == ({}, {})


def test_each_images_blobs_are_what_its_target_leads_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = content_root(tmp_path)
    held, refs = c.content_records(str(root), "moby")
    opened = []
    read_blob = c.read_blob
    monkeypatch.setattr(c, "read_blob", lambda where, d: opened.append(d) or read_blob(where, d))
    content_dir = str(root / c.CONTENT_DIR)
    a = c.image_blobs(content_dir, digest("indexA"), held, refs)
    # manA is met first by the index's gc.ref label, and still read as a manifest
    assert a == [digest(n) for n in ("indexA", "manA", "cfgA", "L0", "L1")]
    b = c.image_blobs(content_dir, digest("manB"), held, refs)
    # L2 is not held; the container config comes from the label alone
    assert b == [digest(n) for n in ("manB", "ccfgB", "cfgB", "L0")]
    # only indexes and manifests are opened, each once, never a layer or a config
    assert opened == [digest(n) for n in ("indexA", "manA", "manB")]
    assert c.image_blobs(content_dir, digest("gone"), held, refs) == []


def test_read_content_gives_the_section_its_content(tmp_path: Path) -> None:
    root = content_root(tmp_path)
    section = {"root": str(root), "namespace": "moby", "error": ""}
    found = c.read_content(section, [digest("indexA"), digest("manB")])
    assert found["content_error"] == ""
    assert found["content"][digest("stray")] == 77
    assert found["image_blobs"][digest("manB")] == [
        digest(n) for n in ("manB", "ccfgB", "cfgB", "L0")
    ]
    (root / c.METADATA_DB).write_bytes(b"\1" * 4096)
    broken = c.read_content(section, [digest("indexA")])
    assert (broken["content"], broken["image_blobs"]) == ({}, {})
    assert broken["content_error"]
    unknown = c.read_content({"root": "", "error": "x"}, [digest("indexA")])
    assert unknown["content_error"] == "containerd's root is unknown"


def test_meta_db_is_parsed_once_for_images_and_content_while_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = content_root(tmp_path)
    loads = []
    load = bolt.load
    monkeypatch.setattr(bolt, "load", lambda path: loads.append(path) or load(path))
    assert c.image_refs(str(root), "moby") == []
    assert c.content_records(str(root), "moby")[0][digest("stray")] == 77
    assert len(loads) == 1
    meta = root / c.METADATA_DB
    data = meta.read_bytes()
    meta.unlink()
    meta.write_bytes(data)  # another file: read again
    c.content_records(str(root), "moby")
    assert len(loads) == 2
