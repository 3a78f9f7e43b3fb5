"""Fixtures of the host suite that do not depend on the image store: the sample images as
the sample_images role was asked for them, and a scratch container a test owns."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks

from .shared import SAMPLE_ROLE, Snapshot


@pytest.fixture(scope="module")
def samples(host_vars: dict[str, Any]) -> dict[str, Any]:
    """What the sample_images role was asked for: its defaults under the inventory's vars."""
    defaults = yaml.safe_load((SAMPLE_ROLE / "defaults/main.yml").read_text())
    return {k: host_vars.get(k, v) for k, v in defaults.items()}


@pytest.fixture(scope="module")
def sample(storage: Snapshot, samples: dict[str, Any]) -> dict[str, Any]:
    """The first sample image as the host has it, with its build context on this machine."""
    wanted = samples["sample_images_images"][0]
    image = checks.image_named(storage, wanted["name"])
    assert image, f"{wanted['name']} is not on the host: run the sample_images role"
    return {**image, "name": wanted["name"], "context": SAMPLE_ROLE / "files" / wanted["context"]}


@pytest.fixture(scope="module")
def base(storage: Snapshot, samples: dict[str, Any]) -> dict[str, Any]:
    image = checks.image_named(storage, samples["sample_images_base_image"])
    assert image, f"{samples['sample_images_base_image']} is not on the host"
    return image


@pytest.fixture
def scratch(host: Any, sample: dict[str, Any]) -> Iterator[str]:
    """A container of the sample image that the test owns; removed whatever happens."""
    name = f"layerwise-test-{uuid.uuid4().hex[:8]}"
    # no network: none is needed, and Docker 26 in a lab host cannot set up a bridged one
    host.check_output(
        "docker run -d --network none --name %s --label io.layerwise.test=true %s",
        name,
        sample["name"],
    )
    yield name
    host.run("docker rm -f %s", name)
