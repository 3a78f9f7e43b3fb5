"""Which lab images the lab_hosts role makes: missing or made from other sources, and why."""

from __future__ import annotations

from typing import Any

from .conftest import load

stale_images = load("roles/lab_hosts/filter_plugins/lab_hosts.py").stale_images


def image(tag: str, source: str | None) -> dict[str, Any]:
    labels = None if source is None else {"io.layerwise.source": source, "other": "x"}
    return {"RepoTags": [tag, f"{tag}-alias"], "Config": {"Labels": labels}}


WANTED = {"lab/base:12": "a" * 64, "lab/host:12": "b" * 64, "lab/sample:12": "c" * 64}


def test_images_made_from_the_same_sources_are_reused() -> None:
    found = [image(tag, source) for tag, source in WANTED.items()]
    assert stale_images(found, WANTED) == {}


def test_a_missing_image_is_made() -> None:
    found = [image("lab/base:12", "a" * 64), image("lab/host:12", "b" * 64)]
    assert stale_images(found, WANTED) == {"lab/sample:12": "missing"}
    assert stale_images([], WANTED) == dict.fromkeys(WANTED, "missing")


def test_an_image_from_other_sources_is_made_again_saying_what_it_was_made_from() -> None:
    found = [image("lab/base:12", "a" * 64), image("lab/host:12", "d" * 64)]
    found.append(image("lab/sample:12", None))
    assert stale_images(found, WANTED) == {
        "lab/host:12": f"stale: made from other sources ({'d' * 12}, now {'b' * 12})",
        "lab/sample:12": f"stale: made from other sources (no source label, now {'c' * 12})",
    }


def test_another_tag_of_the_same_image_counts() -> None:
    found = [
        {
            "RepoTags": ["x:1", "lab/base:12"],
            "Config": {"Labels": {"io.layerwise.source": "a" * 64}},
        }
    ]
    assert "lab/base:12" not in stale_images(found, WANTED)
