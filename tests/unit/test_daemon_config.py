"""The daemon.json merge: the role's keys set, every other key kept."""

from __future__ import annotations

import pytest

from ansible_collections.layerwise.docker.plugins.filter import docker_storage as filters

merge = filters.daemon_config


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
    with pytest.raises(TypeError, match=r"^daemon\.json must hold a JSON object, not list$"):
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


# Docker 29's migration of graph-driver images to the containerd store (moby
# daemon/daemon.go, features["containerd-migration"]; integration/daemon/migration_test.go).
MIGRATION = "containerd-migration"


def test_migration_turns_the_migration_on_instead_of_the_snapshotter() -> None:
    """No storage-driver: dockerd picks the prior overlay2 dir (graphdriver-prior) and
    migrates; after that the engine runs overlayfs, which a declared overlay2 would contradict.
    """
    existing = {
        "storage-driver": "overlay2",
        "storage-opts": ["overlay2.size=5G"],
        "features": {"buildkit": True, "containerd-snapshotter": False},
        "log-driver": "json-file",
    }
    merged = merge(existing, "overlay2", [], "/srv/docker", "containerd", migrate_images=True)
    assert merged == {
        "features": {"buildkit": True, MIGRATION: True},
        "log-driver": "json-file",
        "data-root": "/srv/docker",
    }


@pytest.mark.parametrize("flag", [True, False])
def test_migration_drops_the_snapshotter_flag(flag: bool) -> None:
    """true would skip the migration (containerd-explicit), false pins the graph driver."""
    existing = {"features": {"containerd-snapshotter": flag}}
    merged = merge(existing, "overlay2", [], "/d", "containerd", migrate_images=True)
    assert merged["features"] == {MIGRATION: True}


@pytest.mark.parametrize("store", ["overlay2", "containerd"])
@pytest.mark.parametrize(
    "existing",
    [{}, {"features": {MIGRATION: True}}, {"features": {MIGRATION: False, "buildkit": True}}],
)
def test_no_migration_flag_unless_asked(store: str, existing: dict) -> None:
    """Not written for the overlay2 store nor without migrate_images; one in the file goes."""
    merged = merge(existing, "overlay2", [], "/d", store, migrate_images=False)
    features = merged.get("features", {})
    assert MIGRATION not in features
    assert features.get("buildkit") == existing.get("features", {}).get("buildkit")


def test_a_features_map_that_held_only_the_migration_flag_goes() -> None:
    merged = merge({"features": {MIGRATION: True}}, "overlay2", [], "/d", "overlay2")
    assert "features" not in merged


def test_an_empty_features_map_is_left_alone() -> None:
    assert merge({"features": {}}, "overlay2", [], "/d", "overlay2")["features"] == {}


def test_migration_is_refused_for_the_overlay2_store() -> None:
    with pytest.raises(ValueError, match="containerd store, not to 'overlay2'"):
        merge({}, "overlay2", [], "/d", "overlay2", migrate_images=True)


@pytest.mark.parametrize(
    "existing",
    [
        None,
        {},
        {"storage-driver": "overlay2", "storage-opts": ["overlay2.size=5G"]},
        {"features": {"containerd-snapshotter": True, "buildkit": True}, "debug": True},
        {"graph": "/old", "features": {MIGRATION: True}},
    ],
)
@pytest.mark.parametrize(
    ("store", "migrate_images"),
    [("overlay2", False), ("containerd", False), ("containerd", True)],
)
def test_merging_twice_changes_nothing(
    existing: dict | None, store: str, migrate_images: bool
) -> None:
    once = merge(existing, "overlay2", [], "/d", store, migrate_images=migrate_images)
    assert merge(once, "overlay2", [], "/d", store, migrate_images=migrate_images) == once


def test_after_the_migration_the_plain_containerd_config_replaces_the_opt_in() -> None:
    """Once dockerd runs the containerd store, the role writes containerd-snapshotter: true."""
    migrating = merge({"debug": True}, "overlay2", [], "/d", "containerd", migrate_images=True)
    after = merge(migrating, "overlay2", [], "/d", "containerd")
    assert after == {"debug": True, "features": {"containerd-snapshotter": True}, "data-root": "/d"}


SNAPSHOTTER = {"features": {"containerd-snapshotter": True}}


@pytest.mark.parametrize(
    ("before", "after", "switches"),
    [
        ({}, {"storage-driver": "overlay2", "data-root": "/var/lib/docker"}, []),
        ({"log-driver": "local"}, {"log-driver": "journald", "storage-opts": ["x"]}, []),
        (
            {"storage-driver": "vfs"},
            {"storage-driver": "overlay2"},
            ["storage-driver from vfs to overlay2"],
        ),
        ({}, {"data-root": "/srv/docker"}, ["data-root from /var/lib/docker to /srv/docker"]),
        ({}, SNAPSHOTTER, ["image store from graph driver to containerd"]),
        (
            {**SNAPSHOTTER, "data-root": "/a"},
            {"storage-driver": "overlay2", "data-root": "/b"},
            ["image store from containerd to graph driver", "data-root from /a to /b"],
        ),
        (SNAPSHOTTER, {"features": {"containerd-snapshotter": True, "other": True}}, []),
        (None, {"storage-driver": "overlay2"}, []),
    ],
    ids=[
        "defaults declared",
        "other keys",
        "driver",
        "data root",
        "to containerd",
        "to graph driver, new root",
        "other features",
        "no file",
    ],
)
def test_a_switch_of_where_images_live_is_named(
    before: dict | None, after: dict, switches: list[str]
) -> None:
    assert [s["says"] for s in filters.hiding_switches(before, after)] == switches


# log rotation (docker_storage_log_max_size, docker_storage_log_max_file)


def test_log_rotation_is_set_into_log_opts_and_keeps_the_others() -> None:
    existing = {"log-driver": "local", "log-opts": {"max-size": "10m", "compress": "false"}}
    rotation = filters.log_opts("50m", 3)
    merged = merge(existing, "overlay2", [], "/var/lib/docker", log_rotation=rotation)
    assert merged["log-opts"] == {"max-size": "50m", "compress": "false", "max-file": "3"}
    assert merged["log-driver"] == "local"
    assert existing["log-opts"] == {"max-size": "10m", "compress": "false"}, "input modified"
    again = merge(merged, "overlay2", [], "/var/lib/docker", log_rotation=rotation)
    assert again == merged


def test_no_log_rotation_leaves_log_opts_as_they_are() -> None:
    existing = {"log-opts": {"max-size": "10m"}}
    for rotation in (None, {}, filters.log_opts("", 0)):
        merged = merge(existing, "overlay2", [], "/var/lib/docker", log_rotation=rotation)
        assert merged["log-opts"] == {"max-size": "10m"}
    assert "log-opts" not in merge({}, "overlay2", [], "/var/lib/docker", log_rotation={})


def test_log_opts_that_are_not_an_object_are_not_replaced() -> None:
    """The guard refuses such a file with the fix; the merge never drops what it holds."""
    with pytest.raises(TypeError, match=r"^daemon\.json's log-opts must be an object, not 'x'$"):
        merge({"log-opts": "x"}, "overlay2", [], "/d", log_rotation={"max-size": "1m"})
    assert merge({"log-opts": "x"}, "overlay2", [], "/d")["log-opts"] == "x"


@pytest.mark.parametrize(
    ("size", "files", "opts"),
    [
        ("50m", 0, {"max-size": "50m"}),
        ("1g", 3, {"max-size": "1g", "max-file": "3"}),
        ("100k", "2", {"max-size": "100k", "max-file": "2"}),  # templated: text
        ("", 0, {}),
        ("", "0", {}),
    ],
)
def test_log_opts_are_strings_as_dockerd_reads_them(
    size: str, files: int | str, opts: dict[str, str]
) -> None:
    assert filters.log_opts(size, files) == opts


@pytest.mark.parametrize(
    ("size", "files", "message"),
    [
        ("", 3, "docker_storage_log_max_file needs docker_storage_log_max_size"),
        ("50", 0, "docker_storage_log_max_size '50' is not a size such as 50m"),
        ("0m", 0, "docker_storage_log_max_size '0m' is not a size such as 50m"),
        ("50M", 0, "docker_storage_log_max_size '50M' is not a size such as 50m"),
        ("-1", 0, "docker_storage_log_max_size '-1' is not a size such as 50m"),
        ("50m", -1, "docker_storage_log_max_file -1 is below 0"),
    ],
)
def test_log_opts_dockerd_would_refuse_are_refused(size: str, files: int, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        filters.log_opts(size, files)
    assert filters.log_opts_problem(size, files) == message


def test_log_opts_dockerd_takes_have_no_problem() -> None:
    assert filters.log_opts_problem("50m", 3) == filters.log_opts_problem("", 0) == ""


def container(name: str, driver: str, running: bool = True, **options: str) -> dict[str, object]:
    status = "running" if running else "exited"
    return {
        "name": name,
        "log_driver": driver,
        "log_options": options,
        "running": running,
        "status": status,
    }


def test_containers_created_with_other_log_settings_are_named() -> None:
    snap = {
        "daemon_json": {"content": {}},
        "docker": {"logging_driver": "json-file"},
        "containers": [
            container("web", "json-file"),
            container("db", "json-file", False, **{"max-size": "10m"}),
            container("new", "json-file", **{"max-size": "50m", "max-file": "3"}),
            container("quiet", "none"),
            container("journal", "journald"),
            container("cache", "local", **{"max-size": "50m", "max-file": "3"}),
        ],
    }
    assert filters.log_holdouts(snap, filters.log_opts("50m", 3)) == [
        "cache (local, max-size 50m, max-file 3; running)",
        "db (json-file, max-size 10m; exited)",
        "web (json-file, no max-size; running)",
    ]
    assert filters.log_holdouts(snap, {}) == [], "nothing asked, nothing named"


def test_the_new_log_driver_is_daemon_json_s_then_the_engine_s_then_json_file() -> None:
    def snap(content: dict[str, str], engine: str) -> dict[str, object]:
        return {"daemon_json": {"content": content}, "docker": {"logging_driver": engine}}

    assert filters.new_log_driver(snap({"log-driver": "local"}, "json-file")) == "local"
    assert filters.new_log_driver(snap({}, "syslog")) == "syslog"
    assert filters.new_log_driver(snap({}, "")) == "json-file"
    assert filters.new_log_driver({"daemon_json": {"content": None}}) == "json-file"
    holdout = {"containers": [container("a", "json-file", **{"max-size": "50m"})]}
    local = {**snap({"log-driver": "local"}, "local"), **holdout}
    assert filters.log_holdouts(local, {"max-size": "50m"}) == [
        "a (json-file, max-size 50m; running)"
    ]
