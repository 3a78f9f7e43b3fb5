"""overlay2_facts reading real directory trees laid out as Docker lays them out (no Docker)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import (
    files,
    graphdriver,
    images,
)

from . import snapshots as s


def store_findings(snap: dict[str, Any]) -> list[str]:
    """Ids of the layer store checks that fail or cannot check."""
    return [f["id"] for f in checks.failed(checks.results(snap, None, ["OVL"]))]


def write_layer(home: Path, name: str, lower: list[str], link: str = "") -> None:
    link = link or s.LINKS[name]
    layer = home / name
    (layer / "diff").mkdir(parents=True)
    (layer / "link").write_text(link)
    if lower:
        (layer / "lower").write_text(":".join(f"l/{s.LINKS[n]}" for n in lower))
        (layer / "work").mkdir()
    layer.chmod(0o710)
    (home / "l" / link).symlink_to(f"../{name}/diff")


def write_layerdb(image_root: Path) -> None:
    for chain, entry in s.healthy()["layerdb"]["layers"].items():
        path = image_root / "layerdb/sha256" / chain.split(":", 1)[1]
        path.mkdir(parents=True)
        (path / "cache-id").write_text(entry["cache_id"])
        (path / "diff").write_text(entry["diff"])
        if "parent" in entry:
            (path / "parent").write_text(entry["parent"])


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A data root with the synthetic snapshot's two image layers, on disk."""
    home = tmp_path / "overlay2"
    (home / "l").mkdir(parents=True)
    write_layer(home, s.BASE, [])
    write_layer(home, s.TOP, [s.BASE])
    (home / "l").chmod(0o700)
    home.chmod(0o710)
    write_layerdb(tmp_path / "image/overlay2")
    return tmp_path


def read(root: Path) -> dict[str, Any]:
    return {
        "docker": {"answers": True, "driver": "overlay2", "d_type": True},
        "overlay2": graphdriver.read_overlay2(str(root / "overlay2")),
        "layerdb": graphdriver.read_layerdb(str(root / "image/overlay2")),
        "images": [],
        "containers": [],
    }


def test_a_tree_as_docker_lays_it_out_reads_and_passes(root: Path) -> None:
    snap = read(root)
    top = snap["overlay2"]["layers"][s.TOP]
    assert set(top["parts"]) == {"diff", "link", "lower", "work"}
    assert top["lower"] == [f"l/{s.LINKS[s.BASE]}"]
    assert top["mode"] == 0o710
    assert snap["overlay2"]["links"][s.LINKS[s.TOP]] == f"../{s.TOP}/diff"
    assert snap["layerdb"]["layers"][s.TOP_CHAIN]["parent"] == s.DIFFS[0]
    assert store_findings(snap) == []


def test_a_removed_diff_is_found_as_a_dangling_link_and_a_broken_layer(root: Path) -> None:
    (root / "overlay2" / s.TOP / "diff").rmdir()
    assert set(store_findings(read(root))) == {"OVL-005", "OVL-007"}


def test_a_layer_dir_without_layerdb_entry_is_an_orphan(root: Path) -> None:
    write_layer(root / "overlay2", "e" * 64, [], link="ORPHANAAAAAAAAAAAAAAAAAAAA")
    assert store_findings(read(root)) == ["OVL-008"]


def test_describe_path_of_file_dir_link_and_absent(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"abc")
    (tmp_path / "link").symlink_to("file")
    (tmp_path / "dir").mkdir()
    described = {n: files.describe_path(str(tmp_path / n)) for n in ("file", "link", "dir", "no")}
    assert described["file"]["sha256"].startswith("ba7816bf")
    assert described["file"]["size"] == 3
    assert described["link"]["target"] == "file"
    assert described["dir"]["opaque"] == ""
    assert described["no"] == {"type": "absent"}


@pytest.mark.skipif(os.geteuid() != 0, reason="making a character device (mknod) needs root")
def test_describe_path_of_a_whiteout(tmp_path: Path) -> None:
    os.mknod(tmp_path / "gone", stat.S_IFCHR | 0o600, os.makedev(0, 0))
    assert files.describe_path(str(tmp_path / "gone"))["rdev"] == [0, 0]


def test_digest_of_a_tree_changes_with_content_and_mode_only(root: Path) -> None:
    diff = root / "overlay2" / s.BASE / "diff"
    (diff / "etc").mkdir()
    (diff / "etc/hostname").write_text("a\n")
    first = files.digest_tree(str(diff))
    os.utime(diff / "etc/hostname", (0, 0))
    assert files.digest_tree(str(diff)) == first, "a timestamp is not content"
    (diff / "etc/hostname").write_text("b\n")
    changed = files.digest_tree(str(diff))
    assert changed != first
    (diff / "etc/hostname").chmod(0o600)
    assert files.digest_tree(str(diff)) != changed
    assert files.digest_tree(str(root / "missing")) is None


def parts_as_lstat_sees_them(layer: Path) -> dict[str, dict[str, Any]]:
    found = {}
    for part in layer.iterdir():
        mode = part.lstat().st_mode
        found[part.name] = {"type": files.file_type(mode), "mode": stat.S_IMODE(mode)}
    return found


def test_link_and_lower_read_in_one_open_are_what_lstat_and_read_text_see(root: Path) -> None:
    """The reader takes link's and lower's mode from the open it reads them with; a symlink
    (followed for its text), a fifo, a dir, CRLF or bad UTF-8 read as lstat and read_text
    see them."""
    home = root / "overlay2"
    top, base = home / s.TOP, home / s.BASE
    (top / "link").rename(top / "link.real")
    (top / "link").symlink_to("link.real")
    (top / "lower").unlink()
    os.mkfifo(top / "lower")
    (base / "lower").mkdir()
    odd = home / ("e" * 64)
    write_layer(home, odd.name, [s.BASE, s.TOP], link="ODDAAAAAAAAAAAAAAAAAAAAAAA")
    (odd / "lower").write_text(f"l/{s.LINKS[s.TOP]}:l/{s.LINKS[s.BASE]}\r\n")
    (odd / "link").write_bytes(b"\xff\xfe")
    layers = graphdriver.read_overlay2(str(home))["layers"]
    for layer in (top, base, odd):
        read = layers[layer.name]
        assert read["parts"] == parts_as_lstat_sees_them(layer)
        assert read["link"] == files.read_text(str(layer / "link"), True)
    assert layers[s.TOP]["link"] == s.LINKS[s.TOP]  # through the symlink
    assert layers[s.TOP]["parts"]["link"]["type"] == "symlink"
    assert layers[s.TOP]["lower"] == []
    assert layers[s.BASE]["lower"] == []
    assert layers[odd.name]["lower"] == [f"l/{s.LINKS[s.TOP]}", f"l/{s.LINKS[s.BASE]}"]
    assert layers[odd.name]["link"] is None


def test_a_plain_file_in_l_is_read_as_a_broken_link(root: Path) -> None:
    (root / "overlay2/l/NOTALINKAAAAAAAAAAAAAAAAAA").write_text("x")
    snap = read(root)
    assert snap["overlay2"]["links"]["NOTALINKAAAAAAAAAAAAAAAAAA"] is None
    assert store_findings(snap) == ["OVL-007"]


def test_an_image_entry_is_its_tags_diff_ids_and_history_on_either_store() -> None:
    """images.image_entry, which both stores' readers build their image list with."""
    summary = {"RepoTags": ["web:1", "<none>:<none>"]}
    config = {
        "rootfs": {"diff_ids": ["sha256:a"]},
        "history": [{"created_by": "COPY . /app"}, {"created_by": "CMD", "empty_layer": True}],
    }
    assert images.image_entry("sha256:i", summary, config) == {
        "id": "sha256:i",
        "tags": ["web:1"],
        "diff_ids": ["sha256:a"],
        "history": [
            {"created_by": "COPY . /app", "empty_layer": False},
            {"created_by": "CMD", "empty_layer": True},
        ],
    }
    assert images.image_entry("sha256:j", {"RepoTags": None}, {}) == {
        "id": "sha256:j", "tags": [], "diff_ids": [], "history": [],
    }  # fmt: skip
