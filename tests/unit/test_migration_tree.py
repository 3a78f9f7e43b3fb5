"""The data root move's copy and its proof, on real trees in a temporary directory.

A tree with what a Docker data root holds (hard links, overlay's trusted.* xattrs, 0/0
whiteouts, a sparse file, odd modes and owners, links, a fifo) is copied with the module's own
copy step (real cp) and proven equal; then each attribute the proof must guard is broken in the
copy, one at a time, and the proof must name it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_migration import (
    state as states,
)
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_migration import tree, view
from ansible_collections.layerwise.docker.plugins.modules import (
    docker_data_root_migration as migration,
)

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="whiteouts (mknod) and trusted.* xattrs need root"
)


def data_root(top: Path) -> Path:
    """A small data root: two layers, a container layer with a whiteout and an opaque dir, a
    volume with hard links and a sparse file."""
    lower = top / "overlay2/aaa/diff/etc"
    lower.mkdir(parents=True)
    (lower / "passwd").write_text("root:x:0:0\n")
    (lower / "gone").write_text("deleted above\n")
    (top / "overlay2/aaa/link").write_text("AAAA")
    (top / "overlay2/l").mkdir()
    os.symlink("../aaa/diff", top / "overlay2/l/AAAA")
    upper = top / "overlay2/bbb/diff/etc"
    upper.mkdir(parents=True)
    os.mknod(upper / "gone", stat.S_IFCHR | 0o000, os.makedev(0, 0))  # overlay whiteout
    (top / "overlay2/bbb/diff/opaque").mkdir()
    os.setxattr(top / "overlay2/bbb/diff/opaque", "trusted.overlay.opaque", b"y")
    (top / "overlay2/bbb/lower").write_text("l/AAAA")
    vol = top / "volumes/data/_data"
    vol.mkdir(parents=True)
    (vol / "a").write_bytes(b"x" * 5000)
    os.link(vol / "a", vol / "a-again")
    with open(vol / "sparse", "wb") as handle:
        handle.truncate(64 << 20)
        handle.write(b"start")
    os.mkfifo(vol / "fifo")
    (vol / "setuid").write_text("#!/bin/sh\n")
    os.chown(vol / "setuid", 1234, 5678)
    os.chmod(vol / "setuid", 0o4755)  # after chown, which clears set-user-ID
    os.setxattr(vol / "a", "user.layerwise", b"kept")
    (top / "containers/ccc").mkdir(parents=True)
    (top / "containers/ccc/config.v2.json").write_text("{}")
    os.utime(vol / "a", ns=(1, 1_500_000_000_000_000_000))
    return top


@pytest.fixture
def moved(tmp_path: Path) -> tuple[Path, Path]:
    """The data root and its copy, made by the module's copy step."""
    old = data_root(tmp_path / "docker")
    new = tmp_path / "new"
    new.mkdir()
    params = {"data_root": str(old), "staging": str(new), "lock": str(tmp_path / "lock")}
    migration.copy(params)
    return old, new


def test_the_copy_of_a_data_root_is_proven_equal(moved: tuple[Path, Path]) -> None:
    old, new = moved
    outcome = tree.compare(str(old), str(new))
    assert outcome["differences"] == []
    assert outcome["equal"]
    counts = outcome["counts"]
    assert (counts["layers"], counts["containers"], counts["volumes"]) == (2, 1, 1)
    assert (counts["whiteouts"], counts["hard_linked"], counts["sparse"]) == (1, 2, 1)
    assert counts["with_xattrs"] == 3, "the opaque dir, and user.layerwise through both links of a"
    assert os.stat(new / "volumes/data/_data/sparse").st_blocks * 512 < 1 << 20, (
        "the sparse file was filled"
    )


def test_the_copy_step_records_its_phase_and_figures(moved: tuple[Path, Path]) -> None:
    _, new = moved
    found = states.load(str(new))
    assert found["phase"] == "copied"
    assert found["copy"]["bytes"] > 0


BREAKS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "content": (
        "etc/passwd: sha256",
        lambda n: (n / "overlay2/aaa/diff/etc/passwd").write_text("root:x:0:1\n"),
    ),
    "whiteout": (
        "etc/gone: kind",
        lambda n: (
            (n / "overlay2/bbb/diff/etc/gone").unlink(),
            (n / "overlay2/bbb/diff/etc/gone").write_text(""),
        ),
    ),
    "opaque xattr": (
        "opaque: xattrs",
        lambda n: os.removexattr(n / "overlay2/bbb/diff/opaque", "trusted.overlay.opaque"),
    ),
    "hard link": (
        "a-again: link_group",
        lambda n: (
            shutil.copy2(n / "volumes/data/_data/a", n / "x"),
            os.replace(n / "x", n / "volumes/data/_data/a-again"),
        ),
    ),
    "sparseness": (
        "sparse: sparse in the data root",
        lambda n: (n / "volumes/data/_data/sparse").write_bytes(
            (n / "volumes/data/_data/sparse").read_bytes()
        ),
    ),
    "mode": ("setuid: mode", lambda n: os.chmod(n / "volumes/data/_data/setuid", 0o755)),
    "owner": ("setuid: owner", lambda n: os.chown(n / "volumes/data/_data/setuid", 0, 0)),
    "mtime": ("_data/a: mtime", lambda n: os.utime(n / "volumes/data/_data/a", ns=(1, 2))),
    "link target": (
        "l/AAAA: target",
        lambda n: (
            (n / "overlay2/l/AAAA").unlink(),
            os.symlink("../bbb/diff", n / "overlay2/l/AAAA"),
        ),
    ),
    "missing": (
        "ccc/config.v2.json: missing from the copy",
        lambda n: (n / "containers/ccc/config.v2.json").unlink(),
    ),
    "extra": ("stray: only in the copy", lambda n: (n / "containers/stray").write_text("")),
}


@pytest.mark.parametrize("what", sorted(BREAKS))
def test_a_copy_that_lost_something_is_not_proven(moved: tuple[Path, Path], what: str) -> None:
    old, new = moved
    expected, damage = BREAKS[what]
    damage(new)
    outcome = tree.compare(str(old), str(new))
    assert not outcome["equal"]
    assert any(expected in line for line in outcome["differences"]), outcome["differences"]
    with pytest.raises(RuntimeError, match="differs from the data root"):
        migration.verify({"data_root": str(old), "staging": str(new)})


def test_a_copy_killed_halfway_is_replaced_by_the_next(
    moved: tuple[Path, Path], tmp_path: Path
) -> None:
    old, new = moved
    (new / "overlay2/aaa/diff/etc/passwd").write_text("half")
    (new / "half-written").write_text("")
    states.save(str(new), {"phase": "copying"})
    migration.copy({"data_root": str(old), "staging": str(new), "lock": str(tmp_path / "lock")})
    assert tree.compare(str(old), str(new))["equal"]


def test_what_mkfs_puts_on_the_new_filesystem_is_not_part_of_the_copy(
    moved: tuple[Path, Path],
) -> None:
    old, new = moved
    (new / "lost+found").mkdir()
    assert tree.compare(str(old), str(new))["equal"]
    (old / "lost+found").mkdir()
    (new / "lost+found" / "x").write_text("")
    assert "lost+found/x: only in the copy" in tree.compare(str(old), str(new))["differences"]


def test_inspect_reads_the_space_needed_and_free(moved: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = moved
    found = migration.inspect({"data_root": str(old), "staging": str(new)})
    assert found["needed_bytes"] >= 5000
    assert found["data_root_entries"] == ["containers", "overlay2", "volumes"]
    assert found["state"] == {}, "the staging path is not a mount point: its state is not read"
    assert "free_bytes" not in found


def test_a_state_file_that_is_not_ours_is_refused(tmp_path: Path) -> None:
    (tmp_path / tree.STATE_DIR).mkdir()
    (tmp_path / tree.STATE_DIR / "state.json").write_text('{"phase": "done-ish"}')
    with pytest.raises(ValueError, match="not a layerwise migration state"):
        states.load(str(tmp_path))


def test_differences_are_capped_with_a_count() -> None:
    old = {f"f{i}": {"kind": "file"} for i in range(30)}
    lines = tree.differences(old, {}, limit=20)
    assert len(lines) == 21
    assert lines[-1] == "... and 10 more"


def test_what_ran_before_a_reboot_still_counts_when_recorded_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A move cut by a reboot records again after it; a container the reboot stopped (no
    restart policy) is still one to start at the end."""
    params = {"data_root": str(tmp_path / "docker"), "staging": str(tmp_path / "new")}
    views = iter(
        [
            view.parse([], ["c1 plain img running", "c2 always img running"], []),
            view.parse([], ["c1 plain img exited", "c2 always img running"], []),
        ]
    )
    monkeypatch.setattr(view, "read", lambda: next(views))
    migration.record(params)
    assert migration.record(params)["state"]["ran"] == ["c1", "c2"]


def containerd_root(top: Path) -> Path:
    """A small containerd root (the containerd image store): two snapshots, one with a
    whiteout, the snapshotter's and the metadata's databases, a content blob."""
    snapshots = top / f"{tree.SNAPSHOTTER}/snapshots"
    (snapshots / "1/fs/etc").mkdir(parents=True)
    (snapshots / "1/fs/etc/issue").write_text("Debian\n")
    (snapshots / "2/fs/etc").mkdir(parents=True)
    os.mknod(snapshots / "2/fs/etc/issue", stat.S_IFCHR | 0o000, os.makedev(0, 0))
    (top / f"{tree.SNAPSHOTTER}/metadata.db").write_bytes(b"\0" * 4096)
    blobs = top / "io.containerd.content.v1.content/blobs/sha256"
    blobs.mkdir(parents=True)
    (blobs / ("ab" * 32)).write_bytes(b"blob")
    (top / "io.containerd.metadata.v1.bolt").mkdir()
    (top / "io.containerd.metadata.v1.bolt/meta.db").write_bytes(b"\1" * 4096)
    os.chmod(top, 0o711)
    return top


def fake_proc(top: Path, processes: dict[int, tuple[str, list[str]]]) -> Path:
    """A /proc with ``{pid: (comm, argv)}`` and the entries /proc has besides."""
    for pid, (comm, argv) in processes.items():
        (top / str(pid)).mkdir(parents=True)
        (top / str(pid) / "comm").write_text(comm + "\n")
        (top / str(pid) / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (top / "self").mkdir(exist_ok=True)
    return top


def with_containerd(old: Path, tmp_path: Path) -> dict[str, str]:
    """The module's params for moving ``old`` and a containerd root to an empty staging dir,
    on a host whose /proc shows no containerd shim (this machine's own shims stay out)."""
    new = tmp_path / "new"
    new.mkdir()
    quiet = fake_proc(tmp_path / "proc-quiet", {1: ("systemd", ["/sbin/init"])})
    return {
        "data_root": str(old),
        "containerd_root": str(containerd_root(tmp_path / "containerd")),
        "staging": str(new),
        "lock": str(tmp_path / "lock"),
        "proc": str(quiet),
    }


@pytest.fixture
def moved_with_containerd(tmp_path: Path) -> dict[str, str]:
    """A data root and containerd's root, copied by the module's copy step; its params."""
    params = with_containerd(data_root(tmp_path / "docker"), tmp_path)
    migration.copy(params)
    return params


def test_containerds_root_is_copied_beside_the_data_root_and_proven(
    moved_with_containerd: dict[str, str],
) -> None:
    params = moved_with_containerd
    copied = Path(params["staging"]) / tree.CONTAINERD_DIR
    assert (copied / tree.SNAPSHOTTER / "snapshots/2/fs/etc/issue").is_char_device()
    assert stat.S_IMODE(copied.stat().st_mode) == 0o711, "the root's own mode is kept"
    figures = migration.verify(params)["verify"]
    assert figures["snapshots"] == 2
    assert (figures["layers"], figures["whiteouts"]) == (2, 2), "both trees are counted"
    assert states.load(params["staging"])["phase"] == "verified"


def test_a_containerd_copy_that_lost_something_is_not_proven(
    moved_with_containerd: dict[str, str],
) -> None:
    params = moved_with_containerd
    blob = Path(params["staging"]) / tree.CONTAINERD_DIR / "io.containerd.content.v1.content"
    (blob / "blobs/sha256" / ("ab" * 32)).write_bytes(b"blub")
    with pytest.raises(RuntimeError, match=r"differs from containerd's root .*: sha256"):
        migration.verify(params)


def test_the_data_roots_own_containerd_dir_is_still_compared(tmp_path: Path) -> None:
    """dockerd that starts its own containerd keeps it under <data root>/containerd/daemon:
    that stays part of the data root's proof (its time too), beside containerd/system."""
    old = data_root(tmp_path / "docker")
    (old / "containerd/daemon").mkdir(parents=True)
    os.utime(old / "containerd", ns=(1, 1_600_000_000_000_000_000))
    params = with_containerd(old, tmp_path)
    new = Path(params["staging"])
    migration.copy(params)
    migration.verify(params)
    (new / "containerd/daemon/stray").write_text("")
    with pytest.raises(RuntimeError, match="daemon/stray: only in the copy"):
        migration.verify(params)


def test_a_data_root_that_holds_containerd_system_already_is_not_copied_over(
    tmp_path: Path,
) -> None:
    old = data_root(tmp_path / "docker")
    (old / tree.CONTAINERD_DIR).mkdir(parents=True)
    params = with_containerd(old, tmp_path)
    with pytest.raises(RuntimeError, match="holds containerd/system already"):
        migration.copy(params)


def test_inspect_counts_containerds_root_in_the_space_needed(tmp_path: Path) -> None:
    params = {"data_root": str(data_root(tmp_path / "docker")), "staging": str(tmp_path / "s")}
    alone = migration.inspect(params)["needed_bytes"]
    both = dict(params, containerd_root=str(containerd_root(tmp_path / "containerd")))
    assert migration.inspect(both)["needed_bytes"] >= alone + 3 * 4096


@pytest.mark.parametrize(
    ("keep", "said", "left"), [(True, "kept at", True), (False, "removed", False)]
)
def test_an_old_copy_is_removed_or_kept_as_asked(
    tmp_path: Path, keep: bool, said: str, left: bool
) -> None:
    old = data_root(tmp_path / "old")
    assert migration.release(str(old), keep).startswith(said)
    assert old.exists() is left
    assert migration.release(str(tmp_path / "never"), keep) == "removed"


@pytest.mark.parametrize(
    ("theirs", "counted"),
    [
        ("/run/containerd/containerd.sock", True),
        ("/var/run/containerd/containerd.sock", True),  # the same socket by its other name
        ("/run/k3s/containerd/containerd.sock", False),  # another containerd, another root
        ("", True),  # a shim that names no socket could be this containerd's
    ],
)
def test_only_the_moving_containerds_shims_count(
    tmp_path: Path, theirs: str, counted: bool
) -> None:
    shim = ["/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", "abc"]
    shim += ["-address", theirs] if theirs else []
    proc = fake_proc(tmp_path / "proc", {77: ("containerd-shim", shim)})
    assert migration.shims(str(proc), "/run/containerd/containerd.sock") == (
        ["77: " + " ".join(shim)] if counted else []
    )
    assert migration.shims(str(proc)) == ["77: " + " ".join(shim)], "no address: every shim"
    params: dict[str, Any] = with_containerd(data_root(tmp_path / "docker"), tmp_path)
    params.update(
        proc=str(proc), shim_wait=0.0, containerd_address="/run/containerd/containerd.sock"
    )
    if counted:
        with pytest.raises(RuntimeError, match="1 containerd shims of /run/containerd/"):
            migration.copy(params)
    else:
        assert migration.copy(params)["state"]["phase"] == "copied"


def test_a_shim_still_running_stops_the_copy_of_containerds_root(tmp_path: Path) -> None:
    """Containers of another containerd client outlive containerd's stop (their shims run
    on): their layers under containerd's root are in use, and the copy is refused."""
    sock = "/run/containerd/containerd.sock"
    shim = ["/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", "abc"]
    shim += ["-address", sock]
    init = (1, ("systemd", ["/sbin/init"]))
    proc = fake_proc(tmp_path / "proc", dict([init, (4321, ("containerd-shim", shim))]))
    assert migration.shims(str(proc)) == ["4321: " + " ".join(shim)]
    params: dict[str, Any] = with_containerd(data_root(tmp_path / "docker"), tmp_path)
    params.update(proc=str(proc), shim_wait=0.0, containerd_address=sock)
    said = rf"1 containerd shims of {sock} still run .* -namespace k8s\.io"
    with pytest.raises(RuntimeError, match=said):
        migration.copy(params)
    assert os.listdir(params["staging"]) == [], "nothing was copied"
    params["proc"] = str(fake_proc(tmp_path / "proc-after", dict([init])))
    migration.copy(params)
    assert states.load(params["staging"])["phase"] == "copied"


def test_clear_keeps_exactly_the_names_asked_and_removes_links_not_their_targets(
    tmp_path: Path,
) -> None:
    top, outside = tmp_path / "top", tmp_path / "outside"
    for d in (top / "keep-dir", top / "gone-dir", outside):
        d.mkdir(parents=True)
    (top / "keep-dir" / "f").write_text("kept")
    (top / "gone-dir" / "f").write_text("gone")
    (top / "keep-file").write_text("kept")
    (top / "gone-file").write_text("gone")
    (outside / "precious").write_text("not ours")
    (top / "link-to-outside").symlink_to(outside)
    tree.clear(str(top), keep=("keep-dir", "keep-file"))
    assert sorted(p.name for p in top.iterdir()) == ["keep-dir", "keep-file"]
    assert (top / "keep-dir" / "f").read_text() == "kept"
    assert (outside / "precious").read_text() == "not ours"


def small_tree(top: Path) -> Path:
    """A small data root built by hand (no cp): layers with a whiteout and a null device, the
    overlay2/l links dir, image/overlay2, a container, two volumes (one with a hard-link pair
    and two sparse files), a layer dir with an xattr, containerd snapshots."""
    (top / "overlay2/aaa/diff").mkdir(parents=True)
    os.mknod(top / "overlay2/aaa/diff/wh", stat.S_IFCHR | 0o000, os.makedev(0, 0))
    os.mknod(top / "overlay2/aaa/diff/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    (top / "overlay2/bbb").mkdir()
    os.setxattr(top / "overlay2/bbb", "user.layerwise", b"x")
    (top / "overlay2/l").mkdir()
    (top / "containers/ccc").mkdir(parents=True)
    (top / "containers/ccc/log").write_text("hello")
    (top / "image/overlay2").mkdir(parents=True)
    vol = top / "volumes/v"
    vol.mkdir(parents=True)
    (top / "volumes/w").mkdir()
    (top / "volumes/metadata.db").write_text("")
    (vol / "a").write_text("abc")
    os.link(vol / "a", vol / "a2")
    for name in ("s1", "s2"):
        with open(vol / name, "wb") as handle:
            handle.truncate(8192)
    snapshots = top / tree.SNAPSHOTTER / "snapshots"
    (snapshots / "1").mkdir(parents=True)
    (snapshots / "2").mkdir()
    return top


def test_counts_name_what_a_data_root_holds(tmp_path: Path) -> None:
    """Each figure exactly: a 0/0 char device is a whiteout, another is not; overlay2/l is no
    layer, nor image/overlay2 a volume; a file directly under volumes/ is no volume; every
    sparse file counts."""
    found = tree.manifest(str(small_tree(tmp_path / "root")))
    assert tree.counts(found) == {
        "entries": 25,
        "files": 6,
        "bytes": 5 + 3 + 3 + 8192 + 8192,
        "hard_linked": 2,
        "whiteouts": 1,
        "sparse": 2,
        "with_xattrs": 1,
        "layers": 2,
        "containers": 1,
        "volumes": 2,
        "snapshots": 2,
    }


def test_counts_of_several_trees_add_up() -> None:
    assert tree.add({"files": 2, "bytes": 10}, {"files": 1, "layers": 3}) == {
        "files": 3,
        "bytes": 10,
        "layers": 3,
    }


def test_walk_lists_each_entry_once_with_its_path_without_following_links(
    tmp_path: Path,
) -> None:
    """A directory's entries in sorted order before what they hold; a skipped path is left
    out with all it holds; a link to a directory is an entry, not a way in."""
    top = tmp_path / "top"
    (top / "b").mkdir(parents=True)
    (top / "a/skip").mkdir(parents=True)
    (top / "a/skip/y").write_text("")
    (top / "a/x").write_text("")
    (top / "b/z").write_text("")
    (top / "c").symlink_to("a")
    seen = list(tree.walk(str(top), skip=["a/skip"]))
    assert [rel for rel, _path, _st in seen] == [".", "a", "b", "c", "a/x", "b/z"]
    for rel, path, st in seen:
        assert path == (str(top) if rel == "." else os.path.join(top, rel))
        assert (st.st_ino, st.st_mode) == (os.lstat(path).st_ino, os.lstat(path).st_mode)


def test_manifest_groups_hard_links_by_inode_and_hashes_files(tmp_path: Path) -> None:
    """Each inode group is named by its own first path (two groups stay two); the top has no
    mtime (the move's state dir changes it), everything under it has."""
    top = tmp_path / "top"
    (top / "a").mkdir(parents=True)
    (top / "b").mkdir()
    (top / "a/x").write_text("one")
    os.link(top / "a/x", top / "a/x2")
    (top / "b/y").write_text("two")
    os.link(top / "b/y", top / "b/y2")
    (top / "c").write_text("")
    found = tree.manifest(str(top), workers=2)
    assert {rel: e.get("link_group") for rel, e in found.items() if e["kind"] == "file"} == {
        "a/x": "a/x",
        "a/x2": "a/x",
        "b/y": "b/y",
        "b/y2": "b/y",
        "c": None,
    }
    assert found["b/y"]["sha256"] == hashlib.sha256(b"two").hexdigest()
    assert "mtime" not in found["."]
    assert found["a"]["mtime"] == os.lstat(top / "a").st_mtime_ns


def test_xattrs_are_a_links_own_not_its_targets(tmp_path: Path) -> None:
    """Values as hex; a link's trusted.* xattr is read from the link itself (the target's are
    the target's); a path that is gone has none."""
    target, link = tmp_path / "target", tmp_path / "link"
    target.write_text("")
    os.setxattr(target, "user.layerwise", b"kept")
    link.symlink_to(target)
    os.setxattr(link, "trusted.layerwise", b"link", follow_symlinks=False)
    assert tree.xattrs(str(target)) == {"user.layerwise": b"kept".hex()}
    assert tree.xattrs(str(link)) == {"trusted.layerwise": b"link".hex()}
    assert tree.xattrs(str(tmp_path / "gone")) == {}


def test_an_xattr_removed_while_read_is_left_out_the_others_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An attribute listed, then removed before its value is read (a live tree)."""
    path = tmp_path / "f"
    path.write_text("")
    for name in ("user.a", "user.b"):
        os.setxattr(path, name, b"v")
    real = os.getxattr

    def racing(target: str, name: str, **how: Any) -> bytes:
        if name == "user.a":
            raise OSError(61, "No data available")
        return real(target, name, **how)

    monkeypatch.setattr(tree.os, "getxattr", racing)
    assert tree.xattrs(str(path)) == {"user.b": b"v".hex()}


@pytest.mark.parametrize(
    ("written", "size", "sparse"),
    [
        (4096, 4096, False),  # every block allocated, to the byte
        (1, 4100, True),  # one block allocated, the next one a hole
        (0, 8192, True),  # nothing allocated
    ],
)
def test_a_file_is_sparse_when_fewer_blocks_than_its_size_are_allocated(
    tmp_path: Path, written: int, size: int, sparse: bool
) -> None:
    path = tmp_path / "f"
    with open(path, "wb") as handle:
        handle.write(b"x" * written)
        handle.truncate(size)
    entry = tree.describe(str(path), os.lstat(path))
    assert (entry["size"], entry["sparse"]) == (size, sparse)
    assert entry["mtime"] == os.lstat(path).st_mtime_ns, "below the top, the mtime counts"


def test_a_block_device_is_described_by_its_numbers(tmp_path: Path) -> None:
    path = tmp_path / "loop"
    os.mknod(path, stat.S_IFBLK | 0o660, os.makedev(7, 3))
    os.chown(path, 0, 6)
    os.chmod(path, 0o660)  # whatever the umask
    assert tree.describe(str(path), os.lstat(path), root=True) == {
        "kind": "block",
        "mode": "0o660",
        "owner": "0:6",
        "rdev": "7:3",
    }


def test_differences_name_the_key_and_both_values() -> None:
    """Each path in order, whatever came before it; a key only one side has shows as None;
    sparse may appear, never disappear."""
    old = {
        "f": {"kind": "file", "mode": "0o644", "sparse": False},
        "s": {"kind": "file", "sparse": True},
        "k": {"kind": "file", "sparse": True},
    }
    new = {
        "a-stray": {"kind": "file"},
        "f": {"kind": "file", "mode": "0o600", "sparse": True, "xattrs": {"user.a": "01"}},
        "s": {"kind": "file", "sparse": False},
        "k": {"kind": "file", "sparse": True},
    }
    assert tree.differences(old, new) == [
        "a-stray: only in the copy",
        "f: mode '0o644' in the data root, '0o600' in the copy",
        "f: xattrs None in the data root, {'user.a': '01'} in the copy",
        "s: sparse in the data root, fully allocated in the copy",
    ]


@pytest.mark.parametrize(("lost", "shown"), [(20, 20), (21, 21)])
def test_differences_up_to_the_limit_are_all_shown(lost: int, shown: int) -> None:
    old = {f"f{i:02}": {"kind": "file"} for i in range(lost)}
    lines = tree.differences(old, {})
    assert len(lines) == shown
    assert lines[0] == "f00: missing from the copy"
    assert lines[-1] == ("... and 1 more" if lost > 20 else "f19: missing from the copy")


def test_compare_leaves_out_what_the_move_and_mkfs_put_beside_the_copy(tmp_path: Path) -> None:
    """The state dir on either side, lost+found and the ``new_own`` paths the data root
    lacks; one it holds is compared; the counts are the data root's."""
    old = small_tree(tmp_path / "old")
    (old / "keep").mkdir()
    new = tmp_path / "new"
    shutil.copytree(old, new, symlinks=True, copy_function=os.link)
    for top in (old, new):
        (top / tree.STATE_DIR).mkdir()
        (top / tree.STATE_DIR / str(top.name)).write_text(top.name)
    (new / "lost+found").mkdir()
    (new / "containerd/system").mkdir(parents=True)
    (new / "keep/extra").write_text("")
    os.utime(
        new / "keep", ns=(os.lstat(old / "keep").st_atime_ns, os.lstat(old / "keep").st_mtime_ns)
    )
    outcome = tree.compare(str(old), str(new), new_own=["containerd", "keep"])
    assert outcome == {
        "equal": False,
        "differences": ["keep/extra: only in the copy"],
        "counts": tree.counts(tree.manifest(str(old), [tree.STATE_DIR])),
    }
    os.unlink(new / "keep/extra")
    os.utime(
        new / "keep", ns=(os.lstat(old / "keep").st_atime_ns, os.lstat(old / "keep").st_mtime_ns)
    )
    assert tree.compare(str(old), str(new), limit=0, new_own=["containerd"])["equal"]


def test_compare_shows_twenty_differences_or_as_many_as_asked(tmp_path: Path) -> None:
    """Against an empty copy every entry of the data root but its top is missing: 24 of them."""
    (tmp_path / "empty").mkdir()
    old, empty = str(small_tree(tmp_path / "old")), str(tmp_path / "empty")
    found = tree.compare(old, empty)
    assert not found["equal"]
    assert len(found["differences"]) == 21
    assert found["differences"][-1] == "... and 4 more"
    assert tree.compare(old, empty, limit=3)["differences"] == [
        "containers: missing from the copy",
        "containers/ccc: missing from the copy",
        "containers/ccc/log: missing from the copy",
        "... and 21 more",
    ]


@pytest.mark.parametrize("backwards", [False, True], ids=["a-z", "z-a"])
def test_clear_removes_a_partial_copy_around_the_kept_names_in_any_listing_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backwards: bool
) -> None:
    """Before a copy starts again, the staging dir keeps the move's state dir and lost+found
    and loses everything else, whichever order the filesystem lists its names in."""
    top = tmp_path / "staging"
    for name in (tree.STATE_DIR, *tree.FS_OWN, "overlay2/aaa", "volumes"):
        (top / name).mkdir(parents=True)
    (top / "engine-id").write_text("half")
    (top / tree.STATE_DIR / "state.json").write_text("{}")
    real = os.listdir
    monkeypatch.setattr(tree.os, "listdir", lambda path: sorted(real(path), reverse=backwards))
    tree.clear(str(top), keep=(tree.STATE_DIR, *tree.FS_OWN))
    assert sorted(real(top)) == sorted([tree.STATE_DIR, *tree.FS_OWN])
    assert real(top / tree.STATE_DIR) == ["state.json"]
