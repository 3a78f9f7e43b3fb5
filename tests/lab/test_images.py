"""Saved lab images are reused only while they were made from today's sources.

Each lab image carries the digest of what it was made from (label io.layerwise.source). An
image under a lab image's name that was made from something else is stale: the lab images
playbook (make images; make lab and molecule's create run the same tasks) says which image
and why, makes it again, and reuses it from then on.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import shell

STALE = "layerwise/sample-base:stale-test"


def docker(*argv: str) -> str:
    done = subprocess.run(["docker", *argv], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def label(image: str) -> str:
    return docker(
        "image", "inspect", "--format", '{{index .Config.Labels "io.layerwise.source"}}', image
    )


@pytest.fixture
def stale_image(tmp_path: Path) -> Iterator[str]:
    """The sample base's name on an image made from something else (the plain Debian base,
    whose label is the digest of its own sources); the command that makes the lab images
    with it."""
    docker("tag", "layerwise/debian:bookworm", STALE)
    extra = {
        "lab_images_suites": ["bookworm"],
        "lab_hosts_sample_base_image": STALE,
        "lab_hosts_archive_dir": str(tmp_path),
    }
    try:
        yield f".venv/bin/ansible-playbook playbooks/lab_images.yml -e '{json.dumps(extra)}'"
    finally:
        subprocess.run(["docker", "rmi", STALE], capture_output=True, check=False)


def test_a_stale_lab_image_is_made_again_saying_why_then_reused(stale_image: str) -> None:
    before = docker("image", "inspect", "--format", "{{.Id}}", STALE)
    was = label(STALE)
    assert len(was) == 64, "the Debian base carries no source label"
    rc, out = shell(stale_image, timeout=900)
    said = " ".join(out.split())  # Ansible folds long messages
    assert rc == 0, out[-3000:]
    assert f"{STALE} is stale: made from other sources ({was[:12]}, now " in said, out[-3000:]
    assert "layerwise/labhost:bookworm is" not in said, "a fresh image was made again"
    made = docker("image", "inspect", "--format", "{{.Id}}", STALE)
    assert made != before
    now = label(STALE)
    assert len(now) == 64, now
    assert now != was
    assert f"now {now[:12]})" in said

    rc, out = shell(stale_image, timeout=300)
    assert rc == 0, out[-3000:]
    assert " is stale" not in out, out
    assert " is missing" not in out, out
    assert "changed=0" in out, out[-2000:]
    assert docker("image", "inspect", "--format", "{{.Id}}", STALE) == made
