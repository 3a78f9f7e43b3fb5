"""Jinja filter for the per-host storage summary printed at the end of site.yml."""

from __future__ import annotations

from typing import Any

COLUMNS = ("host", "engine", "store", "driver", "backing", "d_type", "data root", "device")

# docker info's "Supports d_type", as Ansible hands it over; unknown (containerd store) is "-"
D_TYPE = {"true": "true", "false": "false"}

# what the reader calls each image store, as the docker_storage role names it
STORES = {"graphdriver": "overlay2", "containerd": "containerd"}


def storage_summary(hosts: list[dict[str, Any]]) -> list[str]:
    """One aligned line per host from its ``docker_storage_facts``, under a header line."""
    rows = [COLUMNS]
    for host in sorted(hosts, key=lambda h: h.get("inventory_hostname", "")):
        facts = host.get("docker_storage_facts") or {}
        device = facts.get("device") or "-"
        if facts.get("backing_file"):
            device = f"{device} ({facts['backing_file']})"
        rows.append(
            (
                host.get("inventory_hostname", "?"),
                str(facts.get("engine_version") or "-"),
                STORES.get(str(facts.get("image_store")), "-"),
                str(facts.get("driver") or "-"),
                str(facts.get("backing_filesystem") or "-"),
                D_TYPE.get(str(facts.get("d_type")).lower(), "-"),
                str(facts.get("data_root") or "-"),
                device,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {"layerwise_storage_summary": storage_summary}
