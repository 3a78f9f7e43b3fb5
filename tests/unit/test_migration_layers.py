"""Every image layer's content, hashed as the engine gives it out (`docker save`), before and
after a data root move: archives built here in both layouts Docker writes (the legacy
`<id>/layer.tar` and OCI `blobs/sha256/`), layers plain and gzip-compressed, read by a fake
`docker` on PATH that can refuse an image as the engine does."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_migration import (
    layers,
    state,
    view,
)
from ansible_collections.layerwise.docker.plugins.modules import (
    docker_data_root_migration as migration,
)


def layer(*files: tuple[str, bytes]) -> bytes:
    """A layer tar holding ``files``."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def digest(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def archive(members: dict[str, bytes]) -> bytes:
    """A `docker save` archive with ``members`` (name -> content) and a manifest."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in {**members, "manifest.json": b"[]"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


BASE = layer(("etc/issue", b"Debian\n"))
APP = layer(("app/app.py", b"print('hi')\n" * 1000))
# a layer of zeros: compressed a thousandfold, so inflating it takes many bounded pieces
ZEROS = layer(("big", bytes(8 * layers.CHUNK)))


def test_a_legacy_layer_tar_hashes_to_its_diff_id() -> None:
    found, size = layers.digests(io.BytesIO(archive({"0a1b/layer.tar": BASE, "0a1b/json": b"{}"})))
    assert digest(BASE) in found
    assert size == len(BASE) + len(b"{}") + len(b"[]")


@pytest.mark.parametrize("content", [APP, ZEROS], ids=["app", "zeros"])
def test_a_gzip_blob_is_hashed_as_stored_and_uncompressed(content: bytes) -> None:
    blob = gzip.compress(content, mtime=0)
    found, _ = layers.digests(io.BytesIO(archive({f"blobs/sha256/{digest(blob)[7:]}": blob})))
    assert found == {digest(blob), digest(content), digest(b"[]")}


def test_a_member_that_only_looks_like_gzip_keeps_its_own_hash() -> None:
    odd = b"\x1f\x8b" + b"not gzip at all" * 100
    found, _ = layers.digests(io.BytesIO(archive({"blobs/sha256/x": odd})))
    assert found == {digest(odd), digest(b"[]")}


FAKE_DOCKER = """#!{python}
import json, sys
spec = json.load(open({spec!r}))
images = sys.argv[2:]
assert sys.argv[1] == "save", sys.argv
refused = [i for i in images if i in spec["refuse"]]
if refused:
    sys.stderr.write("Error response from daemon: " + spec["refuse"][refused[0]] + "\\n")
    sys.exit(1)
sys.stdout.buffer.write(open(spec["archives"][",".join(images)], "rb").read())
"""


@pytest.fixture
def engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fake `docker save` on PATH: give(images, members) sets the archive it writes for
    those images; refuse(image, reason) makes it fail for any set holding that image."""
    spec: dict[str, Any] = {"archives": {}, "refuse": {}}
    spec_file = tmp_path / "spec.json"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER.format(python=sys.executable, spec=str(spec_file)))
    docker.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    class Engine:
        def give(self, images: list[str], members: dict[str, bytes]) -> None:
            path = tmp_path / f"{len(spec['archives'])}.tar"
            path.write_bytes(archive(members))
            spec["archives"][",".join(images)] = str(path)
            spec_file.write_text(json.dumps(spec))

        def refuse(self, image: str, reason: str) -> None:
            spec["refuse"][image] = reason
            spec_file.write_text(json.dumps(spec))

    return Engine()


IMAGES = {"sha256:web": [digest(BASE), digest(APP)], "sha256:base": [digest(BASE)]}


def test_every_layer_the_engine_gives_out_whole_is_proven(engine: Any) -> None:
    engine.give(["sha256:base", "sha256:web"], {"a/layer.tar": BASE, "b/layer.tar": APP})
    found = layers.reproduced(IMAGES)
    assert found["proven"] == sorted([digest(BASE), digest(APP)])
    assert found["not_proven"] == {}
    assert found["refused"] == {}
    assert found["bytes"] == len(BASE) + len(APP) + 2


def test_a_layer_whose_content_changed_is_named_with_its_image(engine: Any) -> None:
    changed = layer(("app/app.py", b"print('bye')\n"))
    engine.give(["sha256:base", "sha256:web"], {"a/layer.tar": BASE, "b/layer.tar": changed})
    after = layers.reproduced(IMAGES)
    assert after["not_proven"] == {digest(APP): "sha256:web"}
    assert layers.lost([digest(BASE), digest(APP)], after) == [
        f"layer {digest(APP)[:19]} of image sha256:web no longer hashes to its diff ID"
    ]


def test_an_image_the_engine_refuses_does_not_hide_the_others(engine: Any) -> None:
    """docker save refuses a whole set for one damaged image: each is then saved alone."""
    engine.refuse("sha256:web", "layer verification failed")
    engine.give(["sha256:base"], {"a/layer.tar": BASE})
    after = layers.reproduced(IMAGES)
    assert after["proven"] == [digest(BASE)]
    assert after["refused"] == {
        "sha256:web": "Error response from daemon: layer verification failed"
    }
    assert layers.lost([digest(BASE), digest(APP)], after) == [
        f"layer {digest(APP)[:19]} of image sha256:web no longer hashes to its diff ID "
        "(docker save: Error response from daemon: layer verification failed)"
    ]


def test_a_layer_not_proven_before_the_move_is_not_lost_by_it(engine: Any) -> None:
    engine.give(["sha256:base", "sha256:web"], {"a/layer.tar": BASE})
    assert layers.lost([digest(BASE)], layers.reproduced(IMAGES)) == []


def seen(stacks: list[str], changes: dict[str, list[str]], states: str = "exited") -> view.View:
    return view.parse(
        ["sha256:web w:1"], [f"c1 old w:1 {states}", "c2 web w:1 running"], [], stacks, changes
    )


def test_an_image_with_other_layers_differs() -> None:
    before = seen(["sha256:web d1,d2,"], {})
    assert before["layers"] == {"sha256:web": ["d1", "d2"]}
    after = seen(["sha256:web d1,d3,"], {})
    assert view.differences(before, after) == [
        "image sha256:web has other layers than before (2 then, 2 now)"
    ]


def test_a_stopped_containers_changes_must_be_the_same() -> None:
    before = seen([], {"c1": ["A /root/note", "D /etc/issue"]})
    assert view.differences(before, seen([], {"c1": ["D /etc/issue", "A /root/note"]})) == []
    assert view.differences(before, seen([], {"c1": ["D /etc/issue"]})) == [
        "container old (c1): its layer's changes differ (docker diff: 1 lines gone, 0 new, "
        "e.g. ['A /root/note'])"
    ]


def test_a_container_running_now_or_recorded_by_an_older_version_is_not_compared() -> None:
    before = seen([], {"c1": ["A /root/note"]})
    assert view.differences(before, seen([], {}, states="running")) == []
    older = {k: v for k, v in before.items() if k not in ("layers", "changes")}
    assert view.differences(older, seen(["sha256:web d1,"], {"c1": []})) == []


def test_finish_refuses_a_lost_layer_and_keeps_the_old_data_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, old = tmp_path / "docker", tmp_path / "docker.layerwise-old"
    old.mkdir()
    recorded = seen(["sha256:web d1,d2,"], {})
    state.save(
        str(root),
        {"phase": "verified", "view": recorded, "layers_before": {"proven": ["d1", "d2"]}},
    )
    monkeypatch.setattr(view, "read", lambda: recorded)
    hashed = {"proven": ["d1"], "not_proven": {"d2": "sha256:web"}, "refused": {}}
    monkeypatch.setattr(layers, "reproduced", lambda images: hashed)
    params = {"data_root": str(root), "old_path": str(old), "keep_old": False}
    with pytest.raises(RuntimeError, match="layer d2 of image sha256:web no longer hashes"):
        migration.finish(params)
    assert old.is_dir()
    assert state.load(str(root))["phase"] == "verified"


def test_a_truncated_gzip_blob_keeps_only_its_own_hash() -> None:
    cut = gzip.compress(APP, mtime=0)[:-40]
    found, _ = layers.digests(io.BytesIO(archive({"blobs/sha256/x": cut})))
    assert found == {digest(cut), digest(b"[]")}


def test_only_containers_that_do_not_run_are_diffed(monkeypatch: pytest.MonkeyPatch) -> None:
    """docker diff of a running container may change until Docker stops it; one the engine
    cannot diff (dead) is left out rather than failing the record."""
    asked: list[str] = []

    def lines(argv: list[str]) -> list[str]:
        asked.append(argv[-1])
        if argv[-1] == "dead":
            raise view.EngineError("docker diff dead failed")
        return ["D /etc/issue", "A /root/note"]

    monkeypatch.setattr(view, "_lines", lines)
    states = ["running", "restarting", "paused", "exited", "created", "dead"]
    found = view._changes({s: {"state": s} for s in states})
    assert found == {s: ["A /root/note", "D /etc/issue"] for s in ("exited", "created")}
    assert asked == ["exited", "created", "dead"]


def test_finish_releases_the_old_data_root_once_every_layer_hashes_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, old = tmp_path / "docker", tmp_path / "docker.layerwise-old"
    (old / "overlay2").mkdir(parents=True)
    recorded = seen(["sha256:web d1,d2,"], {"c1": ["A /root/note"]})
    state.save(
        str(root),
        {
            "phase": "verified",
            "view": recorded,
            "layers_before": {"proven": ["d1"]},
            "stopped_at": time.time() - 30,
        },
    )
    monkeypatch.setattr(view, "read", lambda: recorded)
    hashed = {"proven": ["d1"], "not_proven": {"d2": "sha256:web"}, "refused": {}}
    monkeypatch.setattr(layers, "reproduced", lambda images: hashed)
    done = migration.finish({"data_root": str(root), "old_path": str(old), "keep_old": False})
    assert done["layers"] == hashed
    assert 30 <= done["downtime"] < 60
    assert done["old"] == "removed"
    assert not old.exists()
    assert state.load(str(root)) == {}


def test_finish_starts_only_what_is_still_there_and_names_what_docker_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, old = tmp_path / "docker", tmp_path / "docker.layerwise-old"
    recorded = view.parse(
        [], ["c1 plain w:1 running", "c2 job w:1 running", "c3 always w:1 running"], []
    )
    recorded["containers"]["c2"]["autoremove"] = "true"
    state.save(str(root), {"phase": "verified", "view": recorded, "ran": ["c1", "c2", "c3"]})
    now = view.parse([], ["c1 plain w:1 exited", "c3 always w:1 running"], [])
    monkeypatch.setattr(view, "read", lambda: now)
    monkeypatch.setattr(layers, "reproduced", lambda images: {"proven": [], "not_proven": {}})
    asked: list[list[str]] = []
    monkeypatch.setattr(migration, "start_again", lambda ids: asked.append(ids) or [])
    done = migration.finish({"data_root": str(root), "old_path": str(old), "keep_old": False})
    assert asked == [["c1"]]
    assert done["started"] == ["c1"]
    assert done["removed_by_docker"] == ["job"]
    assert done["downtime"] is None


def test_finish_waits_until_what_docker_removed_is_gone_from_disk_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --rm container Docker removed at its start on the copy is off its list before its
    files are gone; finish waits for the files, so that nothing reads it half removed."""
    root = tmp_path / "docker"
    parts = [root / "containers/c2", root / "image/overlay2/layerdb/mounts/c2"]
    for part in parts:
        part.mkdir(parents=True)
    (parts[1] / "init-id").write_text("x-init")  # its mount-id already gone

    waits: list[float] = []

    def docker_removes_while_it_waits(seconds: float) -> None:
        waits.append(seconds)
        for part in parts:
            shutil.rmtree(part, ignore_errors=True)

    monkeypatch.setattr(migration.time, "sleep", docker_removes_while_it_waits)
    assert migration.removal_settled(str(root), ["c2", "c1"], timeout=30) == []
    assert len(waits) == 1, "it did not wait for the files"
    assert not any(part.exists() for part in parts)


def test_a_removal_that_never_ends_is_left_to_the_verify_step(tmp_path: Path) -> None:
    (tmp_path / "image/overlay2/layerdb/mounts/c2").mkdir(parents=True)
    (tmp_path / "100000.100000/containers/c3").mkdir(parents=True)
    found = migration.removal_settled(str(tmp_path), ["c2", "c3", "c4"], timeout=0.2)
    assert found == ["c2", "c3"]


def test_finish_waits_for_exactly_the_containers_docker_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, old = tmp_path / "docker", tmp_path / "docker.layerwise-old"
    recorded = view.parse([], ["c1 plain w:1 running", "c2 job w:1 running"], [])
    recorded["containers"]["c2"]["autoremove"] = "true"
    state.save(str(root), {"phase": "verified", "view": recorded, "ran": ["c1", "c2"]})
    monkeypatch.setattr(view, "read", lambda: view.parse([], ["c1 plain w:1 running"], []))
    monkeypatch.setattr(layers, "reproduced", lambda images: {"proven": [], "not_proven": {}})
    waited: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(migration, "removal_settled", lambda r, ids: waited.append((r, ids)) or [])
    migration.finish({"data_root": str(root), "old_path": str(old), "keep_old": False})
    assert waited == [(str(root), ["c2"])]
