"""Where the disk went, on a real host: content of known size put there on purpose (a
container writing into its layer, one logging without rotation, a volume, a deleted file a
process keeps open, a dir nothing names) is reported with those bytes; the sizes Docker
recorded agree with a walk of the same dirs; the parts add up to the filesystem's used
bytes; the USE checks fail and pass as the content says; and the figures are set beside
the engine's own (GET /system/df, what ``docker system df -v`` shows).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks

from .shared import Snapshot

MIB = 1 << 20
WRITTEN = 8 * MIB  # into the writer's container layer
LOGGED = 3 * MIB  # by the logger (json-file wraps each line: more on disk)
VOLUME = 4 * MIB
HELD = 6 * MIB  # deleted inside a container, still open
ORPHAN = 2 * MIB
SLACK = 256 << 10  # dirs, inodes' blocks and block rounding around a file of known size
# the logger's log file: each 1,023-byte line and its newline is one JSON record of 1,024
# bytes and some 60 more (stream, time)
RECORDS = LOGGED // 1024 * (1024 + 60)

# The engine's own account, as `docker system df -v` gets it (GET /system/df)
SYSTEM_DF = """import http.client, json, socket
c = http.client.HTTPConnection("localhost", timeout=300)
s = socket.socket(socket.AF_UNIX); s.connect("/var/run/docker.sock"); c.sock = s
c.request("GET", "/system/df"); print(c.getresponse().read().decode())"""

# moby's directory.Size: st_size of everything but dirs, each inode once
APPARENT = """import os, sys
seen, total = set(), 0
for top in sys.argv[1:]:
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(root, name)
            st = os.lstat(path)
            if not os.path.isdir(path) or os.path.islink(path):
                if (st.st_dev, st.st_ino) not in seen:
                    seen.add((st.st_dev, st.st_ino)); total += st.st_size
print(total)"""


def run(host: Any, command: str, *args: Any) -> str:
    return str(host.check_output(command, *args))


@pytest.fixture(scope="module")
def content(host: Any, sample: dict[str, Any], storage: Snapshot) -> Iterator[dict[str, str]]:
    """The known content, made once for the module; removed whatever happens."""
    tag = uuid.uuid4().hex[:8]
    names = {kind: f"layerwise-usage-{kind}-{tag}" for kind in ("writer", "logger", "holder")}
    volume = f"layerwise-usage-{tag}"
    image = sample["name"]
    base = "docker run -d --network none --label io.layerwise.test=true --name %s"
    try:
        run(host, f"{base} %s sh -c %s", names["writer"], image,
            f"head -c {WRITTEN} /dev/urandom > /written && sync && exec sleep 100000")  # fmt: skip
        log = f"head -c {LOGGED} /dev/zero | tr '\\0' x | fold -w 1023 && exec sleep 100000"
        run(host, f"{base} --log-driver json-file %s sh -c %s", names["logger"], image, log)
        run(host, "docker volume create %s", volume)
        run(host, f"{base} -v %s:/data %s sh -c %s", names["holder"], volume, image,
            f"head -c {VOLUME} /dev/urandom > /data/known && head -c {HELD} /dev/urandom > /held"
            " && exec 3</held && rm /held && sync && exec sleep 100000")  # fmt: skip
        for name in names.values():  # each has written when its last command runs
            run(
                host,
                "timeout 60 sh -c %s",
                f"until docker top {name} | grep -q sleep; do sleep 0.2; done",
            )
        orphan = orphan_dir(host, storage, tag)
        yield {**names, "volume": volume, "orphan": orphan}
    finally:
        host.run("docker rm -f %s %s %s", *names.values())
        host.run("docker volume rm %s", volume)
        host.run("rm -rf %s", orphan_path(storage, tag))


def orphan_path(storage: Snapshot, tag: str) -> str:
    """A dir nothing names, where the store keeps its layer dirs (a 25-character overlay2
    name is BuildKit's: this one is 64 hex characters, as an interrupted pull leaves)."""
    if "overlay2" in storage:
        return f"{storage['overlay2']['home']}/{tag * 8}"
    return f"{storage['containerd']['snapshots_dir']}/snapshots/9{int(tag, 16) % 10**6:06d}"


def orphan_dir(host: Any, storage: Snapshot, tag: str) -> str:
    path = orphan_path(storage, tag)
    make = "mkdir -p %s && head -c %s /dev/urandom > %s/known"
    run(host, make, f"{path}/diff", str(ORPHAN), path)
    return path


@pytest.fixture(scope="module")
def measured(facts: Any, content: dict[str, str]) -> Snapshot:
    """The host read with usage, image layers walked (exact bytes): the account beside it."""
    snap = facts(usage=True, usage_walk_layers=True)
    snap["accounting"] = checks.account(snap)
    return snap


def container(snap: Snapshot, name: str) -> dict[str, Any]:
    return next(c for c in snap["accounting"]["containers"] if c["name"] == name)


def daemon_log_size(snap: Snapshot) -> str:
    """The max-size daemon.json's log-opts give new json-file containers ("" for none)."""
    content = snap["daemon_json"]["content"] or {}
    if content.get("log-driver", "json-file") != "json-file":
        return ""
    return str((content.get("log-opts") or {}).get("max-size", ""))


def within(found: int | None, known: int) -> bool:
    return found is not None and known <= found <= known + SLACK


def test_known_content_is_reported_with_its_bytes(
    measured: Snapshot, content: dict[str, str]
) -> None:
    account = measured["accounting"]
    writer = container(measured, content["writer"])
    assert within(writer["writable_bytes"], WRITTEN), writer
    logger = container(measured, content["logger"])
    # rotated exactly when daemon.json's log-opts gave it a max-size when it was created
    size = daemon_log_size(measured)
    assert (logger["rotates"], logger["log_driver"]) == (bool(size), "json-file")
    if size:
        assert logger["rotation"].startswith(f"json-file, max-size {size}, max-file "), logger
    # the file is open: xfs may hold speculative preallocation past its end
    assert RECORDS <= logger["log_bytes"] <= 2 * RECORDS + SLACK, logger
    [volume] = [v for v in account["volumes"] if v["name"] == content["volume"]]
    assert within(volume["bytes"], VOLUME), volume
    assert volume["used_by"] == [content["holder"]]
    [held] = [f for f in account["open_deleted"] if f["path"] == "/held"]
    assert within(held["bytes"], HELD), held
    assert (held["command"], held["container"][:12]) == ("sleep", held["container"][:12])
    holder = container(measured, content["holder"])
    assert held["container"] == holder["id"]
    [orphan] = [o for o in account["orphans"] if o["path"] == content["orphan"]]
    assert within(orphan["bytes"], ORPHAN), orphan
    # what this test made is sized (the host may hold other things: not this test's to judge)
    ours = [c for c in account["cannot_size"] if any(n in str(c) for n in content.values())]
    assert ours == [], account["cannot_size"]


def test_the_parts_add_up_to_what_the_filesystem_uses(measured: Snapshot) -> None:
    [fs] = [f for f in measured["accounting"]["filesystems"] if f["name"] == "data_root"]
    assert fs["mount_point"], fs
    assert fs["complete"], fs
    assert fs["used_when_empty"], "docker_storage made this filesystem: it records its use"
    assert fs["accounted"] > 0
    # what no part explains: under 1% of the used bytes (and never a negative: nothing twice)
    assert 0 <= fs["unaccounted"] < fs["used"] / 100, fs


def test_docker_recorded_sizes_agree_with_a_walk(host: Any, facts: Any, content: Any) -> None:
    snap = facts(usage=True)
    if "overlay2" in snap:
        home = snap["overlay2"]["home"]
        recorded = {
            f"{home}/{e['cache_id']}/diff": int(e["size"])
            for e in snap["layerdb"]["layers"].values()
        }
        walked = {path: int(run(host, "python3 -c %s %s", APPARENT, path)) for path in recorded}
    else:
        section = snap["containerd"]
        base = f"{section['snapshots_dir']}/snapshots"
        recorded = {
            f"{base}/{s['id']}/fs": s["size"]
            for s in section["snapshots"].values()
            if s["kind"] == "committed"
        }
        walked = {
            path: int(run(host, "du -s -B1 --one-file-system %s", path).split()[0])
            for path in recorded
        }
    assert len(recorded) >= 2, "the sample images have layers"
    assert walked == recorded


def test_the_use_checks_fail_on_the_content_and_say_which(measured: Snapshot, content: Any) -> None:
    policy, errors = checks.validate({"max_writable_layer_mb": 4, "max_open_deleted_mb": 5})
    assert not errors
    found = {o["id"]: o for o in checks.results(measured, policy, only=["USE"])}
    assert found["USE-001"]["status"] == "fail"
    # of this test's containers, the writer alone (other containers of the host are theirs)
    mine = [p for p in found["USE-001"]["problems"] if "layerwise-usage-" in p]
    assert [p.split(" holds ")[0] for p in mine] == [f"container {content['writer']}"], found
    unrotated = [p for p in found["USE-002"]["problems"] if content["logger"] in p]
    if daemon_log_size(measured):  # the host gives new containers rotation
        assert unrotated == []
    else:
        assert found["USE-002"]["status"] == "fail"
        held = container(measured, content["logger"])["log_bytes"] / MIB
        assert unrotated == [
            f"container {content['logger']}: json-file without max-size: the log grows without"
            f" limit, its log holds {held:.1f} MiB"
        ]
    assert found["USE-004"]["status"] == "fail"
    holder = container(measured, content["holder"])["id"][:12]
    held = [p for p in found["USE-004"]["problems"] if p.endswith(f"in container {holder}")]
    assert len(held) == 1, found["USE-004"]
    assert held[0].startswith("/held (6.0 MiB) deleted, held open by sleep (pid "), held
    relaxed, _ = checks.validate({"max_writable_layer_mb": 9, "max_open_deleted_mb": 7})
    again = {o["id"]: o for o in checks.results(measured, relaxed, only=["USE"])}
    assert not [p for p in again["USE-001"]["problems"] if "layerwise-usage-" in p], again
    assert not [p for p in again["USE-004"]["problems"] if holder in p], again


def test_the_engines_own_figures_beside_ours(host: Any, measured: Snapshot, content: Any) -> None:
    """GET /system/df counts apparent bytes (st_size, as moby's directory.Size); the account
    counts what the filesystem allocated: ours is the same or a little more, never less."""
    engine = json.loads(run(host, "python3 -c %s", SYSTEM_DF))
    account = measured["accounting"]
    sizes = {c["Names"][0].lstrip("/"): c.get("SizeRw") for c in engine["Containers"]}
    writer = container(measured, content["writer"])
    assert sizes[content["writer"]] >= WRITTEN
    assert sizes[content["writer"]] <= writer["writable_bytes"] <= sizes[content["writer"]] + SLACK
    volumes = {v["Name"]: v["UsageData"]["Size"] for v in engine["Volumes"]}
    [volume] = [v for v in account["volumes"] if v["name"] == content["volume"]]
    assert volumes[content["volume"]] <= volume["bytes"] <= volumes[content["volume"]] + SLACK


def test_no_recorded_size_disagrees_with_the_disk(measured: Snapshot) -> None:
    """Layers walked: every size Docker recorded (layerdb size, containerd's committed
    snapshots) is within block rounding of the walk of its dir on a healthy host."""
    account = measured["accounting"]
    assert account["layer_sizes"] == "walked"
    assert account["layers"], "the sample images have layers"
    assert account["disagreements"] == []
    [fs] = [f for f in account["filesystems"] if f["name"] == "data_root"]
    assert fs["block_size"] in (1024, 2048, 4096, 65536), fs


# containerd's view of its content store, through its API (not meta.db): each blob's labels
# (``ctr content ls``: digest, size, age, labels) and an index's or manifest's JSON
# (``ctr content get``)
DOCUMENTS = (  # an index or a manifest: read for the blobs it names
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


@pytest.mark.image_store("containerd")
def test_each_images_blobs_are_what_containerd_says(
    host: Any, measured: Snapshot, sample: dict[str, Any], base: dict[str, Any]
) -> None:
    """Per image, its content-store blobs apart from its snapshots: the blobs its target
    leads to through containerd's API (manifests' descriptors, gc.ref labels), each sized by
    its file in the content store; shared: kept by 2+ images (the sample base's layers)."""
    section = measured["containerd"]
    namespace, store = section["namespace"], f"{section['root']}/io.containerd.content.v1.content"
    listing = run(host, "ctr -n %s content ls", namespace).splitlines()[1:]
    refs: dict[str, list[str]] = {}
    for line in listing:
        fields = line.split("\t")
        labels = fields[-1] if len(fields) > 3 and "=" in fields[-1] else ""
        refs[fields[0]] = [
            value
            for key, _, value in (item.partition("=") for item in labels.split(",") if item)
            if key.startswith("containerd.io/gc.ref.content.")
        ]
    sizes = {
        digest: int(run(host, "stat -c %%s %s", f"{store}/blobs/sha256/{digest[7:]}").strip())
        for digest in refs
    }
    assert sizes == section["content"], "meta.db's sizes are the content store's files'"

    def blobs_of(target: str) -> list[str]:
        found, todo = [], [(target, True)]
        while todo:
            digest, document = todo.pop(0)
            if digest not in refs:
                continue
            if digest not in found:
                found.append(digest)
                todo += [(ref, False) for ref in refs[digest]]
            if document:
                blob = json.loads(run(host, "ctr -n %s content get %s", namespace, digest))
                children = [*blob.get("manifests", []), blob.get("config"), *blob.get("layers", [])]
                todo += [(c["digest"], c["mediaType"] in DOCUMENTS) for c in children if c]
        return found

    images = {row["id"]: row for row in measured["accounting"]["images"]}
    expected = {image: blobs_of(image) for image in images}
    users = {d: sum(d in blobs for blobs in expected.values()) for d in sizes}
    for image, blobs in expected.items():
        row = images[image]
        shared = sum(sizes[d] for d in set(blobs) if users[d] > 1)
        total = sum(sizes[d] for d in set(blobs))
        assert (row["blobs"], row["blob_bytes"], row["blob_shared_bytes"]) == (
            len(set(blobs)),
            total,
            shared,
        ), row
        assert row["blob_unique_bytes"] == total - shared
    # the sample image keeps its base's layer blobs, which the base keeps too: shared
    base_layers = [d for d in expected[base["id"]] if not refs[d] and sizes[d] > MIB]
    assert base_layers, "the base image's layers are in the content store"
    assert set(base_layers) <= set(expected[sample["id"]])
    assert images[sample["id"]]["blob_shared_bytes"] >= sum(sizes[d] for d in base_layers)
    # the snapshots are shown apart: the same image's unpacked bytes are the layers'
    assert images[sample["id"]]["bytes"] != images[sample["id"]]["blob_bytes"]
