"""What the containerd image store does on the host: snapshots, rootfs mounts, copy-on-write,
cleanup. The counterpart of test_overlay2.py for hosts the docker_storage role gave
``docker_storage_image_store: containerd``.

Layers are containerd snapshots (``<snapshots_dir>/snapshots/<N>/fs``), keyed by chain id; a
container has an active snapshot keyed by its id over ``<id>-init`` over its image's top layer.
"""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks

from .shared import INIT_FILES, Snapshot, sha256

pytestmark = pytest.mark.image_store("containerd")


def store(snap: Snapshot) -> dict[str, Any]:
    section = snap["containerd"]
    assert not section["error"], section["error"]
    return section


def fs_of(snap: Snapshot, key: str) -> str:
    """The directory a snapshot's files are in."""
    section = store(snap)
    return f"{section['snapshots_dir']}/snapshots/{section['snapshots'][key]['id']}/fs"


def ancestry(snapshots: dict[str, Any], key: str) -> list[str]:
    """A snapshot's key and its parents' keys, down to the base."""
    found = []
    while key:
        found.append(key)
        key = snapshots[key]["parent"]
    return found


def test_the_engine_keeps_images_in_containerd(storage: Snapshot) -> None:
    assert storage["summary"]["image_store"] == "containerd"
    assert storage["docker"]["driver"] == "overlayfs"
    section = store(storage)
    assert section["namespace"] == "moby"
    assert section["snapshots"], "no snapshot in the moby namespace"
    assert "l" not in section["dirs"]  # no overlay2 short links here


@pytest.mark.samples
def test_image_layers_are_committed_snapshots_keyed_by_chain_id(
    storage: Snapshot, sample: dict[str, Any], base: dict[str, Any]
) -> None:
    snapshots = store(storage)["snapshots"]
    chain = checks.overlay2.chain_ids(sample["diff_ids"])
    assert len(chain) == len(base["diff_ids"]) + 2
    for parent, key in zip(["", *chain], chain):
        assert snapshots[key]["kind"] == "committed", key
        # BuildKit commits a layer over the previous one; the classic builder (the API's
        # /build, docker commit) over the build container's -init, whose parent it is
        over = snapshots[key]["parent"]
        if over.endswith("-init"):
            over = snapshots[over]["parent"]
        assert over == parent, key


@pytest.mark.samples
def test_images_on_one_base_share_its_snapshots(
    storage: Snapshot, samples: dict[str, Any], base: dict[str, Any]
) -> None:
    images = [checks.image_named(storage, i["name"]) for i in samples["sample_images_images"]]
    assert len(images) >= 2
    assert all(images), "the sample images are not all on the host"
    shared = checks.overlay2.chain_ids(base["diff_ids"])
    ids = store(storage)["snapshots"]
    tops = set()
    for image in images:
        assert image
        chain = checks.overlay2.chain_ids(image["diff_ids"])
        assert chain[: len(shared)] == shared  # the same snapshots, not copies
        tops.add(tuple(ids[key]["id"] for key in chain[len(shared) :]))
    assert len(tops) == len(images), "each image has its own COPY and RUN snapshots"


@pytest.mark.samples
def test_sample_containers_run_on_their_own_rootfs_mount(
    storage: Snapshot, samples: dict[str, Any]
) -> None:
    section = store(storage)
    snapshots = section["snapshots"]
    mounts = {m["container"]: m for m in section["mounts"]}
    by_name = {c["name"]: c for c in storage["containers"]}
    for wanted in samples["sample_images_containers"]:
        container = by_name.get(wanted["name"])
        assert container, f"{wanted['name']} does not exist"
        assert container["running"], f"{wanted['name']} is not running"
        cid = container["id"]
        image = checks.image_named(storage, wanted["image"])
        assert image
        chain = checks.overlay2.chain_ids(image["diff_ids"])
        assert snapshots[cid]["kind"] == "active"
        assert snapshots[cid]["parent"] == f"{cid}-init"
        assert snapshots[f"{cid}-init"]["parent"] == chain[-1]
        mount = mounts[cid]
        assert mount["mount_point"].endswith(f"/rootfs/overlayfs/{cid}")
        assert mount["upper_id"] == snapshots[cid]["id"]
        # the lowers are the init snapshot and every ancestor of it: the image's layers, and
        # the -init snapshots a classic build committed them over
        lowers = ancestry(snapshots, f"{cid}-init")
        assert mount["lower_ids"] == [snapshots[k]["id"] for k in lowers]
        assert [k for k in lowers if k in chain] == list(reversed(chain))


@pytest.mark.acting
@pytest.mark.samples
def test_copy_on_write(host: Any, facts: Any, sample: dict[str, Any], scratch: str) -> None:
    app = (sample["context"] / "app.py").read_bytes()
    makefile = (sample["context"] / "Makefile").read_bytes()
    host.check_output(
        "docker exec %s sh -c %s",
        scratch,
        "printf '#' >> /app/app.py && rm /app/Makefile && echo new > /app/new.txt"
        " && rm -r /etc/skel && mkdir /etc/skel",
    )
    snap = facts()
    (container,) = [c for c in snap["containers"] if c["name"] == scratch]
    chain = checks.overlay2.chain_ids(sample["diff_ids"])
    upper = fs_of(snap, container["id"])
    init = fs_of(snap, f"{container['id']}-init")
    copy_layer = fs_of(snap, chain[-2])  # top to base: RUN, COPY, base...
    image_layers = [fs_of(snap, key) for key in chain]
    paths = [f"{upper}/app/{n}" for n in ("app.py", "Makefile", "new.txt")] + [
        f"{upper}/etc/skel",
        f"{copy_layer}/app/app.py",
        f"{copy_layer}/app/Makefile",
    ]
    paths += [f"{layer}/app/new.txt" for layer in image_layers]
    paths += [f"{init}/{name}" for name in INIT_FILES]
    files = facts(files=paths, layers=False)["files"]

    # the -init snapshot holds what Docker writes for every container
    assert {name: files[f"{init}/{name}"]["type"] for name in INIT_FILES} == INIT_FILES
    # a write copies the whole file up; the image snapshot's copy stays byte-identical
    written = files[f"{upper}/app/app.py"]
    assert (written["type"], written["size"]) == ("file", len(app) + 1)
    assert written["sha256"] == sha256(app + b"#")
    assert files[f"{copy_layer}/app/app.py"]["sha256"] == sha256(app)
    # a deleted image file becomes a whiteout: a character device 0/0
    whiteout = files[f"{upper}/app/Makefile"]
    assert (whiteout["type"], whiteout["rdev"]) == ("char", [0, 0])
    assert files[f"{copy_layer}/app/Makefile"]["sha256"] == sha256(makefile)
    # a new file exists only in the container's snapshot
    assert files[f"{upper}/app/new.txt"]["sha256"] == sha256(b"new\n")
    assert {files[f"{layer}/app/new.txt"]["type"] for layer in image_layers} == {"absent"}
    # a directory made again over a deleted one hides the image's: it is opaque
    assert files[f"{upper}/etc/skel"]["opaque"] == "y"


@pytest.mark.acting
@pytest.mark.samples
def test_stop_unmounts_and_rm_removes_the_container_snapshots(
    host: Any,
    facts: Any,
    storage: Snapshot,
    scratch: str,
    policy: dict[str, Any],
) -> None:
    running = facts()
    (container,) = [c for c in running["containers"] if c["name"] == scratch]
    cid = container["id"]
    section = store(running)
    ids = {section["snapshots"][k]["id"] for k in (cid, f"{cid}-init")}
    assert cid in {m["container"] for m in section["mounts"]}

    host.check_output("docker stop -t 5 %s", scratch)
    stopped = store(facts())
    assert cid not in {m["container"] for m in stopped["mounts"]}
    assert stopped["snapshots"][cid]["kind"] == "active"  # kept until rm

    host.check_output("docker rm %s", scratch)
    after = facts()
    removed = store(after)
    assert cid not in removed["snapshots"]
    assert f"{cid}-init" not in removed["snapshots"]
    assert not ids & set(removed["dirs"]), "the container's snapshot dirs are still there"
    for check_id in ("CTD-004", "CTD-007"):
        outcome = checks.judge(checks.by_id()[check_id], after, policy)
        assert outcome["status"] == "pass", outcome["problems"]
    # the host is as this run found it
    assert set(removed["snapshots"]) == set(store(storage)["snapshots"])
