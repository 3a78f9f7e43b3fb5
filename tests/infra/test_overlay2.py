"""What overlay2 does on the host: layer dirs, images, merged mounts, copy-on-write, cleanup.

Read-only tests share one snapshot per host (``storage``); test_checks.py judges it with
every check of the registry. Tests marked ``acting`` start their own container, look at the
host again, and remove it; the host ends as it began.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks

from .shared import INIT_FILES, Snapshot, sha256

pytestmark = pytest.mark.image_store("overlay2")

# ---- layer dirs ------------------------------------------------------------------------------


def test_base_layers_hold_diff_and_link_only(storage: Snapshot) -> None:
    layers = storage["overlay2"]["layers"]
    bases = [e["cache_id"] for e in storage["layerdb"]["layers"].values() if "parent" not in e]
    assert bases, "no base layer in the layer database"
    for name in bases:
        assert set(layers[name]["parts"]) - {"committed"} == {"diff", "link"}, name
        assert layers[name]["lower"] == []


def test_layers_with_a_parent_name_it_first_in_lower(storage: Snapshot) -> None:
    layers = storage["overlay2"]["layers"]
    db = storage["layerdb"]["layers"]
    children = [e for e in db.values() if "parent" in e]
    assert children, "no layer with a parent in the layer database"
    for entry in children:
        layer = layers[entry["cache_id"]]
        parent_link = layers[db[entry["parent"]]["cache_id"]]["link"]
        assert {"lower", "work"} <= set(layer["parts"])
        assert layer["lower"][0] == f"l/{parent_link}"


def test_short_links_are_26_base32_characters(storage: Snapshot) -> None:
    links = storage["overlay2"]["links"]
    assert links
    assert all(re.fullmatch("[A-Z2-7]{26}", n) for n in links), sorted(links)[:5]
    assert storage["overlay2"]["links_mode"] == 0o700


# ---- images ----------------------------------------------------------------------------------


@pytest.mark.samples
def test_images_on_one_base_share_its_layer_dirs(
    storage: Snapshot, samples: dict[str, Any], base: dict[str, Any]
) -> None:
    images = [checks.image_named(storage, i["name"]) for i in samples["sample_images_images"]]
    assert len(images) >= 2
    assert all(images), "the sample images are not all on the host"
    dirs = [checks.image_dirs(storage, image) for image in images if image]
    shared = checks.image_dirs(storage, base)
    for image_dirs in dirs:
        assert image_dirs[-len(shared) :] == shared  # the same dirs, not copies
    tops = [tuple(image_dirs[: -len(shared)]) for image_dirs in dirs]
    assert len(set(tops)) == len(tops), "each image has its own COPY and RUN layers"
    in_use = {d for image_dirs in dirs for d in image_dirs}
    assert len(in_use) == len(shared) + 2 * len(dirs)


# ---- running containers ----------------------------------------------------------------------


@pytest.mark.samples
def test_sample_containers_run_on_their_own_overlay_mount(
    storage: Snapshot, samples: dict[str, Any]
) -> None:
    home = storage["overlay2"]["home"]
    by_name = {c["name"]: c for c in storage["containers"]}
    for wanted in samples["sample_images_containers"]:
        container = by_name.get(wanted["name"])
        assert container, f"{wanted['name']} does not exist"
        assert container["running"], f"{wanted['name']} is not running"
        entry = storage["layerdb"]["mounts"][container["id"]]
        assert entry["mount_id"] != container["id"]
        assert entry["init_id"] == entry["mount_id"] + "-init"
        merged = f"{home}/{entry['mount_id']}/merged"
        (mount,) = [m for m in storage["overlay_mounts"] if m["mount_point"] == merged]
        image = checks.image_named(storage, wanted["image"])
        assert image
        lower = [entry["init_id"], *checks.image_dirs(storage, image)]
        resolved = [checks.overlay2.link_target(storage, e) for e in mount["lowerdir"]]
        assert resolved == lower
        assert mount["upperdir"] == f"{home}/{entry['mount_id']}/diff"
        assert mount["workdir"] == f"{home}/{entry['mount_id']}/work"
        data = container["graph_driver"]["data"]
        assert data["LowerDir"].split(":") == [f"{home}/{d}/diff" for d in lower]
        assert (data["UpperDir"], data["WorkDir"], data["MergedDir"]) == (
            mount["upperdir"],
            mount["workdir"],
            merged,
        )


# ---- tests that act --------------------------------------------------------------------------


def container_layer(snap: Snapshot, name: str) -> dict[str, str]:
    (container,) = [c for c in snap["containers"] if c["name"] == name]
    return {"id": container["id"], **snap["layerdb"]["mounts"][container["id"]]}


@pytest.mark.acting
@pytest.mark.samples
def test_copy_on_write(
    host: Any, facts: Any, storage: Snapshot, sample: dict[str, Any], scratch: str
) -> None:
    home = storage["overlay2"]["home"]
    image_dirs = checks.image_dirs(storage, sample)
    copy_layer = f"{home}/{image_dirs[1]}/diff"  # top to base: RUN, COPY, base...
    app = (sample["context"] / "app.py").read_bytes()
    makefile = (sample["context"] / "Makefile").read_bytes()
    host.check_output(
        "docker exec %s sh -c %s",
        scratch,
        "printf '#' >> /app/app.py && rm /app/Makefile && echo new > /app/new.txt"
        " && rm -r /etc/skel && mkdir /etc/skel",
    )
    layer = container_layer(facts(), scratch)
    upper = f"{home}/{layer['mount_id']}/diff"
    init = f"{home}/{layer['init_id']}/diff"
    paths = [f"{upper}/app/{n}" for n in ("app.py", "Makefile", "new.txt")] + [
        f"{upper}/etc/skel",
        f"{copy_layer}/app/app.py",
        f"{copy_layer}/app/Makefile",
    ]
    paths += [f"{home}/{d}/diff/app/new.txt" for d in image_dirs]
    paths += [f"{init}/{name}" for name in INIT_FILES]
    files = facts(files=paths)["files"]

    # the -init layer holds what Docker writes for every container
    assert {name: files[f"{init}/{name}"]["type"] for name in INIT_FILES} == INIT_FILES
    assert files[f"{init}/etc/mtab"]["target"] == "/proc/mounts"

    # a write copies the whole file up; the image layer's copy stays byte-identical
    written = files[f"{upper}/app/app.py"]
    assert (written["type"], written["size"]) == ("file", len(app) + 1)
    assert written["sha256"] == sha256(app + b"#")
    assert files[f"{copy_layer}/app/app.py"]["sha256"] == sha256(app)
    # a deleted image file becomes a whiteout: a character device 0/0
    whiteout = files[f"{upper}/app/Makefile"]
    assert (whiteout["type"], whiteout["rdev"]) == ("char", [0, 0])
    assert files[f"{copy_layer}/app/Makefile"]["sha256"] == sha256(makefile)
    # a new file exists only in the container layer
    assert files[f"{upper}/app/new.txt"]["sha256"] == sha256(b"new\n")
    assert [files[f"{home}/{d}/diff/app/new.txt"]["type"] for d in image_dirs] == ["absent"] * len(
        image_dirs
    )
    # a directory made again over a deleted one hides the image's: it is opaque
    assert files[f"{upper}/etc/skel"]["opaque"] == "y"


@pytest.mark.acting
@pytest.mark.samples
def test_stop_unmounts_and_rm_removes_the_container_layer(
    host: Any,
    facts: Any,
    storage: Snapshot,
    sample: dict[str, Any],
    scratch: str,
    policy: dict[str, Any],
) -> None:
    image_dirs = checks.image_dirs(storage, sample)
    home = storage["overlay2"]["home"]
    running = facts(digests=image_dirs)
    layer = container_layer(running, scratch)
    mount_id, init_id = layer["mount_id"], layer["init_id"]
    merged = f"{home}/{mount_id}/merged"
    links = {n: running["overlay2"]["layers"][n]["link"] for n in (mount_id, init_id)}
    assert merged in [m["mount_point"] for m in running["overlay_mounts"]]

    host.check_output("docker stop -t 5 %s", scratch)
    stopped = facts()
    assert merged not in [m["mount_point"] for m in stopped["overlay_mounts"]]
    kept = set(stopped["overlay2"]["layers"][mount_id]["parts"])
    assert kept == {"diff", "link", "lower", "work"}
    assert layer["id"] in stopped["layerdb"]["mounts"]

    host.check_output("docker rm %s", scratch)
    removed = facts(digests=image_dirs)
    assert mount_id not in removed["overlay2"]["layers"]
    assert init_id not in removed["overlay2"]["layers"]
    assert not set(links.values()) & set(removed["overlay2"]["links"])
    assert layer["id"] not in removed["layerdb"]["mounts"]
    assert removed["digests"] == running["digests"], "image layers changed"
    assert all(running["digests"].values())
    orphans = checks.judge(checks.by_id()["OVL-008"], removed, policy)
    assert orphans["status"] == "pass", orphans["problems"]
    # the host is as this run found it
    assert set(removed["overlay2"]["layers"]) == set(storage["overlay2"]["layers"])
