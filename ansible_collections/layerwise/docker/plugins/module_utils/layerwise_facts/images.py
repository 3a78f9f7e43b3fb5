"""An image as the snapshot lists it, on either image store: the engine's summary (its tags)
with the image's config (RootFS diff ids, history with empty_layer)."""

from __future__ import annotations

from typing import Any


def image_entry(image_id: str, summary: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": image_id,
        "tags": [t for t in summary.get("RepoTags") or [] if t != "<none>:<none>"],
        "diff_ids": (config.get("rootfs") or {}).get("diff_ids") or [],
        "history": [
            {
                "created_by": h.get("created_by", ""),
                "empty_layer": bool(h.get("empty_layer", False)),
            }
            for h in config.get("history") or []
        ],
    }
