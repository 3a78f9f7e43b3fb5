"""Jinja filters of the lab_hosts role: which lab images are missing or stale, and why.

A lab image is saved state: made once, reused by every later start. Each carries the label
``io.layerwise.source``, a digest of what it was made from (the Debian suite and mirror; a
Dockerfile and the base's own digest). One whose label differs from what its sources give
now was made from older sources and is rebuilt, never silently reused.
"""

from __future__ import annotations

from typing import Any

SOURCE_LABEL = "io.layerwise.source"


def image_sources(images: list[dict[str, Any]]) -> dict[str, str]:
    """Each tag of ``docker_image_info``'s images -> its source label ('' for none)."""
    found = {}
    for image in images or []:
        labels = (image.get("Config") or {}).get("Labels") or {}
        for tag in image.get("RepoTags") or []:
            found[tag] = labels.get(SOURCE_LABEL, "")
    return found


def stale_images(images: list[dict[str, Any]], wanted: dict[str, str]) -> dict[str, str]:
    """Of the ``wanted`` tags (tag -> the source digest it must carry), those to make, each
    with why: missing, or made from other sources. A fresh image is left out."""
    found = image_sources(images)
    why = {}
    for tag, source in wanted.items():
        if tag not in found:
            why[tag] = "missing"
        elif found[tag] != source:
            was = found[tag][:12] or "no source label"
            why[tag] = f"stale: made from other sources ({was}, now {source[:12]})"
    return why


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {"lab_hosts_stale_images": stale_images}
