"""The daemon.json merge: the role's keys set, every other key kept."""

from __future__ import annotations

import pytest

from .conftest import load

merge = load("roles/docker_storage/filter_plugins/docker_storage.py").daemon_config


def test_keys_the_role_does_not_own_survive() -> None:
    existing = {
        "log-driver": "json-file",
        "log-opts": {"max-size": "10m"},
        "registry-mirrors": ["https://mirror.example"],
    }
    merged = merge(existing, "overlay2", [], "/var/lib/docker")
    assert {k: merged[k] for k in existing} == existing


def test_storage_keys_are_set_and_replace_old_values() -> None:
    merged = merge(
        {"storage-driver": "vfs", "data-root": "/old"}, "overlay2", ["overlay2.size=5G"], "/srv/d"
    )
    assert merged == {
        "storage-driver": "overlay2",
        "storage-opts": ["overlay2.size=5G"],
        "data-root": "/srv/d",
    }


def test_empty_opts_remove_storage_opts() -> None:
    merged = merge({"storage-opts": ["overlay2.size=5G"]}, "overlay2", [], "/var/lib/docker")
    assert "storage-opts" not in merged


def test_legacy_graph_key_is_replaced_by_data_root() -> None:
    merged = merge({"graph": "/old"}, "overlay2", [], "/var/lib/docker")
    assert "graph" not in merged
    assert merged["data-root"] == "/var/lib/docker"


@pytest.mark.parametrize("existing", [None, {}])
def test_missing_or_empty_file(existing: dict | None) -> None:
    assert merge(existing, "overlay2", [], "/var/lib/docker") == {
        "storage-driver": "overlay2",
        "data-root": "/var/lib/docker",
    }


def test_input_is_not_modified() -> None:
    existing = {"storage-opts": ["a.b=c"], "debug": True}
    merge(existing, "overlay2", [], "/var/lib/docker")
    assert existing == {"storage-opts": ["a.b=c"], "debug": True}


def test_non_object_is_rejected() -> None:
    with pytest.raises(TypeError, match="JSON object"):
        merge(["not", "an", "object"], "overlay2", [], "/var/lib/docker")  # type: ignore[arg-type]


def test_containerd_store_turns_the_feature_on_and_drops_graph_driver_keys() -> None:
    existing = {
        "storage-driver": "overlay2",
        "storage-opts": ["overlay2.size=5G"],
        "features": {"buildkit": True},
        "log-driver": "json-file",
    }
    merged = merge(existing, "overlay2", [], "/srv/docker", "containerd")
    assert merged == {
        "features": {"buildkit": True, "containerd-snapshotter": True},
        "log-driver": "json-file",
        "data-root": "/srv/docker",
    }


@pytest.mark.parametrize("flag", [True, False, "true"])
def test_overlay2_store_turns_an_existing_snapshotter_feature_off(flag: object) -> None:
    existing = {"features": {"containerd-snapshotter": flag, "buildkit": True}}
    merged = merge(existing, "overlay2", [], "/var/lib/docker", "overlay2")
    assert merged["features"] == {"containerd-snapshotter": False, "buildkit": True}
    assert merged["storage-driver"] == "overlay2"


def test_overlay2_store_adds_no_features_key() -> None:
    assert "features" not in merge({}, "overlay2", [], "/var/lib/docker", "overlay2")


def test_switching_back_and_forth_is_stable() -> None:
    """Each store's config, merged again for the same store, is unchanged (idempotence)."""
    for store in ("overlay2", "containerd"):
        once = merge({"features": {"buildkit": True}}, "overlay2", [], "/d", store)
        assert merge(once, "overlay2", [], "/d", store) == once


def test_unknown_store_is_rejected() -> None:
    with pytest.raises(ValueError, match="image store 'zfs' is not one of overlay2, containerd"):
        merge({}, "overlay2", [], "/d", "zfs")
