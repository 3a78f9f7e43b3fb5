"""What Docker's own prunes do well, left to Docker: dangling images and build cache, through
the Engine API with an ``until`` filter, and what Docker says it freed.

Volumes are never pruned here: a volume nothing uses now may hold the only copy of data.
Listing (not applying) asks the engine what a prune would take where the API can say it
(dangling images older than ``until``); the build cache's prune cannot be asked beforehand.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote

from ..layerwise_facts.engine import DockerAPI

# what can be pruned: the endpoint and the filters each takes besides until
PRUNES = {
    "images": ("/images/prune", {"dangling": ["true"]}),
    "build_cache": ("/build/prune", {}),
}


class EngineAPI(DockerAPI):
    """The reader's API connection, and the POST calls a prune needs (the reader itself
    only reads)."""

    def post(self, path: str) -> Any:
        return self.call("POST", path)


def filters(what: str, until_seconds: int) -> dict[str, list[str]]:
    """The prune's filters: its own, and ``until`` as a Go duration Docker reads."""
    return {**PRUNES[what][1], "until": [f"{until_seconds}s"]}


def query(what: str, until_seconds: int) -> str:
    return PRUNES[what][0] + "?filters=" + quote(json.dumps(filters(what, until_seconds)))


def dangling_images(api: DockerAPI, until_seconds: int, now: float) -> list[dict[str, Any]]:
    """The dangling images created more than ``until_seconds`` ago: what an image prune with
    the same filters would take."""
    listed = api.get("/images/json?filters=" + quote(json.dumps({"dangling": ["true"]})))
    return [
        {"id": str(i.get("Id", "")), "bytes": int(i.get("Size") or 0)}
        for i in listed or []
        if int(i.get("Created") or 0) <= now - until_seconds
    ]


def prune(api: EngineAPI, what: str, until_seconds: int, apply: bool) -> dict[str, Any]:
    """One prune, applied or listed: ``freed_bytes`` as Docker reports it (SpaceReclaimed),
    or the images it would take; for the build cache, listing says it cannot know."""
    found: dict[str, Any] = {"what": what, "filters": filters(what, until_seconds)}
    if apply:
        answer = api.post(query(what, until_seconds)) or {}
        deleted = answer.get("ImagesDeleted") or answer.get("CachesDeleted") or []
        found.update(applied=True, freed_bytes=int(answer.get("SpaceReclaimed") or 0))
        found["deleted"] = len(deleted)
        return found
    found["applied"] = False
    if what == "images":
        would = dangling_images(api, until_seconds, time.time())
        # an image's size counts the layers it shares too: what the prune frees is at most this
        found.update(at_most_bytes=sum(i["bytes"] for i in would), would_delete=would)
    else:
        found["at_most_bytes"] = None  # the engine cannot be asked before the prune
    return found
