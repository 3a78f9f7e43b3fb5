"""Properties of the pure logic the role decides with, over generated input (hypothesis):
the daemon.json merge, the switches that would hide images, and a pending restart.

The examples are derandomized (the same ones every run, no example database): a property
that fails, fails every time, with its smallest example.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.layerwise.docker.plugins.filter import docker_storage as filters
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import dockerd

settings.register_profile("layerwise", derandomize=True, database=None, max_examples=400)
settings.load_profile("layerwise")

OWNED = {*filters.MANAGED_KEYS, *filters.REPLACED_KEYS, "features"}
json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
other_keys = st.text(min_size=1, max_size=12).filter(lambda k: k not in OWNED)
features = st.dictionaries(
    st.sampled_from(["containerd-snapshotter", "containerd-migration", "buildkit", "cdi"]),
    st.booleans(),
    max_size=3,
)
existing_files = st.fixed_dictionaries(
    {},
    optional={
        "storage-driver": st.sampled_from(["overlay2", "vfs", "devicemapper"]),
        "storage-opts": st.lists(st.text(max_size=10), max_size=2),
        "data-root": st.sampled_from(["/var/lib/docker", "/srv/docker", "/data/d"]),
        "graph": st.just("/var/lib/docker-legacy"),
        "features": features,
    },
).flatmap(
    lambda owned: st.dictionaries(other_keys, json_values, max_size=4).map(
        lambda others: {**others, **owned}
    )
)
data_roots = st.sampled_from(["/var/lib/docker", "/srv/docker", "/var/lib/layerwise/docker"])
opts = st.lists(st.sampled_from(["overlay2.size=10G", "overlay2.override_kernel_check=true"]))
stores = st.sampled_from(["overlay2", "containerd"])


def merge(existing: dict[str, Any], opts: list[str], root: str, store: str) -> dict[str, Any]:
    return filters.daemon_config(existing, "overlay2", opts, root, store)


@given(existing_files, opts, data_roots, stores)
def test_keys_the_role_does_not_own_survive_any_merge(
    existing: dict[str, Any], opts: list[str], root: str, store: str
) -> None:
    merged = merge(existing, opts, root, store)
    for key, value in existing.items():
        if key not in OWNED:
            assert merged[key] == value, key
    for flag, value in (existing.get("features") or {}).items():
        if flag not in ("containerd-snapshotter", "containerd-migration"):
            assert merged["features"][flag] == value, flag


@given(existing_files, opts, data_roots, stores)
def test_a_second_merge_changes_nothing(
    existing: dict[str, Any], opts: list[str], root: str, store: str
) -> None:
    once = merge(existing, opts, root, store)
    assert merge(once, opts, root, store) == once


@given(existing_files, opts, data_roots, stores)
def test_the_merge_declares_what_was_asked(
    existing: dict[str, Any], opts: list[str], root: str, store: str
) -> None:
    merged = merge(existing, opts, root, store)
    assert merged["data-root"] == root
    assert "graph" not in merged
    assert "containerd-migration" not in (merged.get("features") or {})
    snapshotter = (merged.get("features") or {}).get("containerd-snapshotter")
    if store == "containerd":
        assert snapshotter is True
        assert "storage-driver" not in merged
        assert "storage-opts" not in merged
    else:
        assert not snapshotter
        assert merged["storage-driver"] == "overlay2"
        assert merged.get("storage-opts", []) == opts


@given(existing_files, opts, data_roots, stores)
def test_a_switch_is_named_exactly_when_where_images_live_changes(
    existing: dict[str, Any], opts: list[str], root: str, store: str
) -> None:
    merged = merge(existing, opts, root, store)
    named = {s["key"]: (s["from"], s["to"]) for s in filters.hiding_switches(existing, merged)}
    assert filters.hiding_switches(merged, merged) == []
    for key, read in filters.WHERE_IMAGES_LIVE.items():
        old, new = str(read(existing)), str(read(merged))
        containerd = "containerd" in (
            filters.WHERE_IMAGES_LIVE["image store"](existing),
            filters.WHERE_IMAGES_LIVE["image store"](merged),
        )
        if key == "storage-driver" and containerd:
            assert key not in named
        elif old != new:
            assert named[key] == (old, new)
        else:
            assert key not in named


STARTED = 1_800_000_000.0
mtimes = st.dictionaries(
    st.sampled_from(["/etc/docker/daemon.json", "/lib/docker.service", "/etc/d/10.conf"]),
    st.none() | st.floats(min_value=STARTED - 1e6, max_value=STARTED + 1e6),
)


@given(mtimes, st.booleans())
def test_a_restart_is_pending_for_each_file_newer_than_dockerd(
    changed: dict[str, float | None], needs_reload: bool
) -> None:
    pending = dockerd.restart_pending(STARTED, changed, needs_reload)
    newer = sorted(p for p, m in changed.items() if m is not None and m > STARTED)
    assert [why.split(" changed ")[0] for why in pending[: len(newer)]] == newer
    assert len(pending) == len(newer) + needs_reload
    assert dockerd.restart_pending(None, changed, needs_reload) == []
