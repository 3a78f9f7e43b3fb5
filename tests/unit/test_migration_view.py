"""The engine's view before and after a data root move: what counts as the same."""

from __future__ import annotations

from layerwise_migration import view

IMAGES = ["sha256:1 layerwise/sample-web:latest", "sha256:2 <none>:<none>"]
CONTAINERS = [
    "c1 web layerwise/sample-web:latest running",
    "c2 old layerwise/sample-web:latest exited",
    "c3 restarting sample restarting",
]


def a_view(
    images: list[str] = IMAGES, containers: list[str] = CONTAINERS, volumes: list[str] | None = None
) -> view.View:
    if volumes is None:
        volumes = ["data"]
    return view.parse(images, containers, volumes)


def test_the_cli_lines_become_a_view() -> None:
    found = a_view()
    assert found["containers"]["c2"] == {
        "name": "old",
        "image": "layerwise/sample-web:latest",
        "state": "exited",
    }
    assert view.running(found) == ["c1", "c3"]


def test_the_same_view_has_no_differences_whatever_runs() -> None:
    after = a_view(containers=[line.replace("running", "exited") for line in CONTAINERS])
    assert view.differences(a_view(), after) == []
    assert view.not_running(a_view(), after) == ["c1"]


def test_what_is_gone_or_new_is_named() -> None:
    after = a_view(
        images=[*IMAGES[:1], "sha256:9 x:y"],
        containers=[*CONTAINERS[1:], "c4 new x:y created"],
        volumes=[],
    )
    assert view.differences(a_view(), after) == [
        "image sha256:2 <none>:<none> is gone",
        "image sha256:9 x:y is new",
        "volume data is gone",
        "container web (c1) is gone",
        "container new (c4) is new",
    ]


def test_a_container_renamed_or_on_another_image_differs() -> None:
    after = a_view(containers=["c1 other layerwise/sample-web:latest running", *CONTAINERS[1:]])
    assert view.differences(a_view(), after) == [
        "container c1 was web of layerwise/sample-web:latest, "
        "now other of layerwise/sample-web:latest"
    ]
