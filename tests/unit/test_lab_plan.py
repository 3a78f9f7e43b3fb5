"""`make lab LAB_SPEC=...`: one word per host chooses its engine and image store."""

from __future__ import annotations

import pytest

from .conftest import load

lab = load("playbooks/filter_plugins/layerwise_lab.py")


def test_no_spec_gives_count_debian_12_hosts_on_overlay2() -> None:
    plan = lab.lab_plan("", "2", "lab")
    assert list(plan) == ["lab-1", "lab-2"]
    assert {p["suite"] for p in plan.values()} == {"bookworm"}
    assert all(p["vars"] == {} and p["store"] == "overlay2" for p in plan.values())


def test_each_word_is_a_host_with_its_engine_and_store() -> None:
    plan = lab.lab_plan("20.10 26 28/containerd", 9, "lab")
    assert list(plan) == ["lab-1", "lab-2", "lab-3"]  # the spec, not the count
    assert [p["suite"] for p in plan.values()] == ["bookworm", "trixie", "trixie"]
    d28 = plan["lab-3"]["vars"]
    assert d28["docker_engine_source"] == "pinned"
    assert d28["docker_storage_image_store"] == "containerd"
    assert d28["sample_images_base_image"] == "layerwise/sample-base:trixie"
    assert "docker_engine_source" not in plan["lab-2"]["vars"]
    assert "docker_storage_image_store" not in plan["lab-2"]["vars"]


def test_hosts_do_not_share_their_variables() -> None:
    plan = lab.lab_plan("28/containerd 28", 0, "lab")
    assert "docker_storage_image_store" not in plan["lab-2"]["vars"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("29", "engine '29' is not one of 20.10, 26, 28"),
        ("28/zfs", "image store 'zfs' is not one of overlay2, containerd"),
        ("20.10/containerd", "Docker 20.10 has no containerd image store (Docker 24+)"),
    ],
)
def test_words_it_cannot_run_are_refused_by_name(spec: str, message: str) -> None:
    with pytest.raises(lab.LabSpecError, match=f"LAB_SPEC word '{spec}': .*") as caught:
        lab.lab_plan(spec, 1, "lab")
    assert message in str(caught.value)
