"""What overlay2 does on the host: layer dirs, images, merged mounts, copy-on-write, cleanup.

Read-only tests share one snapshot per host (``storage``); test_checks.py judges it with
every check of the registry. Tests marked ``acting`` start their own container, look at the
host again, and remove it; the host ends as it began.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import layerwise_checks as checks
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_ROLE = ROOT / "roles/sample_images"

Snapshot = dict[str, Any]
# what Docker puts in every container's -init layer, and their kinds
INIT_FILES = {
    ".dockerenv": "file",
    "etc/hosts": "file",
    "etc/hostname": "file",
    "etc/resolv.conf": "file",
    "dev/console": "file",
    "etc/mtab": "symlink",
}


@pytest.fixture(scope="module")
def samples(host_vars: dict[str, Any]) -> dict[str, Any]:
    """What the sample_images role was asked for: its defaults under the inventory's vars."""
    defaults = yaml.safe_load((SAMPLE_ROLE / "defaults/main.yml").read_text())
    return {k: host_vars.get(k, v) for k, v in defaults.items()}


@pytest.fixture(scope="module")
def sample(storage: Snapshot, samples: dict[str, Any]) -> dict[str, Any]:
    """The first sample image as the host has it, with its build context on this machine."""
    wanted = samples["sample_images_images"][0]
    image = checks.image_named(storage, wanted["name"])
    assert image, f"{wanted['name']} is not on the host: run the sample_images role"
    return {**image, "name": wanted["name"], "context": SAMPLE_ROLE / "files" / wanted["context"]}


@pytest.fixture(scope="module")
def base(storage: Snapshot, samples: dict[str, Any]) -> dict[str, Any]:
    image = checks.image_named(storage, samples["sample_images_base_image"])
    assert image, f"{samples['sample_images_base_image']} is not on the host"
    return image


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
def test_sample_image_is_its_base_plus_two_layers(
    sample: dict[str, Any], base: dict[str, Any]
) -> None:
    """COPY and RUN add a layer each; CMD adds none."""
    assert len(sample["diff_ids"]) == len(base["diff_ids"]) + 2
    assert sample["diff_ids"][: len(base["diff_ids"])] == base["diff_ids"]


@pytest.mark.samples
def test_sample_image_has_a_history_entry_per_instruction(
    sample: dict[str, Any], base: dict[str, Any]
) -> None:
    history = sample["history"]
    assert len(history) == len(base["history"]) + 3
    copy, run, cmd = history[-3:]
    assert "COPY" in copy["created_by"]
    assert "/app" in copy["created_by"]
    assert "make /app" in run["created_by"]
    assert "python /app/app.py" in cmd["created_by"]
    assert [copy["empty_layer"], run["empty_layer"], cmd["empty_layer"]] == [False, False, True]


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


@pytest.fixture
def scratch(host: Any, sample: dict[str, Any]) -> Iterator[str]:
    """A container of the sample image that the test owns; removed whatever happens."""
    name = f"layerwise-test-{uuid.uuid4().hex[:8]}"
    # no network: none is needed, and Docker 26 in a lab host cannot set up a bridged one
    host.check_output(
        "docker run -d --network none --name %s --label io.layerwise.test=true %s",
        name,
        sample["name"],
    )
    yield name
    host.run("docker rm -f %s", name)


def container_layer(snap: Snapshot, name: str) -> dict[str, str]:
    (container,) = [c for c in snap["containers"] if c["name"] == name]
    return {"id": container["id"], **snap["layerdb"]["mounts"][container["id"]]}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
