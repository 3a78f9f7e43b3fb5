"""make bench's side-by-side of where the disk went: the engine's figures and ours in the same
kinds, from GET /system/df and from an account."""

from __future__ import annotations

from scripts import bench_usage


def test_the_engines_figures_are_summed_per_kind_an_unknown_volume_size_as_none() -> None:
    df = {
        "LayersSize": 1000,
        "Containers": [{"SizeRw": 10}, {"SizeRw": None}, {}],
        "Volumes": [{"UsageData": {"Size": 7}}, {"UsageData": {"Size": -1}}, {}],
        "BuildCache": [{"Size": 3}, {"Size": 4}],
    }
    assert bench_usage.engine_totals(df) == {
        "image_layers": 1000,
        "writable_layers": 10,
        "volumes": 7,
        "build_cache": 7,
    }


def test_our_parts_are_summed_over_filesystems_the_filesystems_own_left_out_of_all() -> None:
    account = {
        "filesystems": [
            {"parts": {"image_layers_shared": 5, "image_layers_unique": 6, "logs": 2,
                       "filesystem": 100, "open_deleted": 50, "volumes": 1}},
            {"parts": {"image_layers_unused": 4, "writable_layers": 3, "build_cache": 9}},
            {"name": "containerd_root"},  # the same filesystem as the data root: no parts
        ]
    }  # fmt: skip
    assert bench_usage.our_totals(account) == {
        "image_layers": 15,
        "writable_layers": 3,
        "volumes": 1,
        "build_cache": 9,
        "logs": 2,
        "all_parts_but_the_filesystems_own": 30,
    }
