"""The sample_images role refuses bad input before it touches the host.

Each case runs the role with ansible-playbook against one converged molecule instance and
checks that it failed, that its message names the variable to fix, and that the host's
containers and images are as they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import RunRole

pytestmark = pytest.mark.role

WEB = {"name": "layerwise/sample-web:latest", "context": "web"}


def docker_state(host: Any) -> str:
    """Every container with its image and state, and every image id."""
    return host.check_output(
        "docker ps -a --format '{{.Names}} {{.Image}} {{.State}}' | sort;"
        " docker images -q --no-trunc | sort"
    )


@pytest.fixture
def unchanged(host: Any) -> Iterator[None]:
    before = docker_state(host)
    yield
    assert docker_state(host) == before, "the role changed containers or images though it failed"


@pytest.fixture
def foreign_container(host: Any, host_vars: dict[str, Any]) -> Iterator[str]:
    """A container the role did not make (no sample label), with a name the test asks for."""
    name = "layerwise-test-foreign"
    host.check_output(
        "docker create --network none --name %s %s",
        name,
        host_vars.get("sample_images_base_image", "layerwise/sample-base:bookworm"),
    )
    yield name
    host.run("docker rm -f %s", name)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (
            {"sample_images_base_image": "layerwise/absent:1", "sample_images_base_archive": ""},
            "sample_images_base_archive",
        ),
        (
            {
                "sample_images_base_image": "layerwise/absent:1",
                "sample_images_base_archive": "/nonexistent/base.tar",
            },
            "sample_images_base_archive",
        ),
        ({"sample_images_images": [{**WEB, "context": "no-such-context"}]}, "sample_images_images"),
        (
            {"sample_images_containers": [{"name": "x", "image": "layerwise/absent:1"}]},
            "sample_images_containers",
        ),
    ],
    ids=["no-base-no-archive", "archive-missing", "unknown-context", "unknown-image"],
)
@pytest.mark.usefixtures("unchanged")
def test_bad_input_is_refused(run_role: RunRole, extra: dict[str, Any], named: str) -> None:
    rc, out = run_role(layerwise_role="sample_images", **extra)
    assert rc != 0
    assert named in out


@pytest.mark.usefixtures("unchanged")
def test_a_container_it_did_not_make_is_never_replaced(
    run_role: RunRole, foreign_container: str
) -> None:
    rc, out = run_role(
        layerwise_role="sample_images",
        sample_images_images=[WEB],
        sample_images_containers=[{"name": foreign_container, "image": WEB["name"]}],
    )
    assert rc != 0
    assert "sample_images_containers" in out
    assert f"{foreign_container} exists" in out
