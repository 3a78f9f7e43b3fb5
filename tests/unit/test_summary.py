"""The per-host storage summary printed at the end of site.yml."""

from __future__ import annotations

from ansible_collections.layerwise.docker.plugins.filter.layerwise_summary import (
    storage_summary as summary,
)


def test_one_aligned_line_per_host_under_a_header() -> None:
    hosts = [
        {
            "inventory_hostname": "lab-2",
            "docker_storage_facts": {
                "engine_version": "20.10.24",
                "driver": "overlayfs",
                "image_store": "containerd",
                "backing_filesystem": "extfs",
                "d_type": True,
                "data_root": "/var/lib/docker",
                "device": "/dev/loop1",
                "backing_file": "/var/lib/layerwise/docker.img",
            },
        },
        {"inventory_hostname": "lab-1", "docker_storage_facts": {"d_type": "False"}},
    ]
    header, first, second = summary(hosts)
    assert header.startswith("host")
    assert first.startswith("lab-1 ")
    assert second.startswith("lab-2 ")
    assert second.endswith("/dev/loop1 (/var/lib/layerwise/docker.img)")
    assert first.split()[5] == "false"
    assert first.split()[2] == "-"  # no facts: no store
    assert second.split()[5] == "true"
    # columns line up: "driver" in the header starts where each host's driver does
    assert second.index("overlayfs") == header.index("driver")
    assert second.index("containerd") == header.index("store")


def test_graph_driver_store_is_named_as_the_role_names_it() -> None:
    facts = {"image_store": "graphdriver", "driver": "overlay2"}
    _, line = summary([{"inventory_hostname": "h", "docker_storage_facts": facts}])
    assert line.split()[2] == "overlay2"


def test_unknown_d_type_is_a_dash_not_false() -> None:
    facts = {"image_store": "containerd", "d_type": "None"}
    _, line = summary([{"inventory_hostname": "h", "docker_storage_facts": facts}])
    assert line.split()[5] == "-"
