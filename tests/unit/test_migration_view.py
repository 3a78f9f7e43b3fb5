"""The engine's view before and after a data root move: what counts as the same."""

from __future__ import annotations

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_migration import view

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


def test_a_container_run_with_rm_and_gone_is_dockers_doing_not_a_loss() -> None:
    """Docker removes a --rm container when it stops it, and at its next start one that is not
    running: gone after the move, it is reported, not a difference."""
    before = a_view()
    before["containers"]["c1"]["autoremove"] = "true"
    after = a_view(containers=CONTAINERS[1:])
    assert view.differences(before, after) == []
    assert view.removed_by_docker(before, after) == ["web"]
    assert view.differences(a_view(), after) == ["container web (c1) is gone"]
    assert view.removed_by_docker(a_view(), after) == []


def test_a_command_failing_for_some_arguments_still_gives_its_lines() -> None:
    """docker inspect of containers one of which went away since they were listed."""
    failing = ["sh", "-c", "echo found; echo 'No such container: x' >&2; exit 1"]
    assert view._lines(failing, some=True) == ["found"]
    with pytest.raises(view.EngineError, match="No such container"):
        view._lines(failing)
    with pytest.raises(view.EngineError, match="gone"):
        view._lines(["sh", "-c", "echo gone >&2; exit 1"], some=True)


def test_read_marks_the_containers_run_with_rm(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = {
        "image": ["sha256:1 web:1"],
        "ps": ["c1 web web:1 running", "c2 job web:1 running", "c3 old web:1 exited"],
        "volume": [],
        "container": ["c2 true", "c3 false"],  # c1 went away between the listing and this
        "diff": ["A /x"],
    }

    def lines(argv: list[str], some: bool = False) -> list[str]:
        key = argv[1] if argv[1] not in ("image",) or argv[2] == "ls" else "layers"
        return {**answers, "layers": ["sha256:1 d1,"]}[key]

    monkeypatch.setattr(view, "_lines", lines)
    seen = view.read()
    assert [c.get("autoremove") for c in seen["containers"].values()] == [None, "true", None]
    assert seen["layers"] == {"sha256:1": ["d1"]}
    assert seen["changes"] == {"c3": ["A /x"]}


def test_read_asks_the_engine_for_each_images_layers_by_image_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The layers are asked for by image ID (two names of one image are one image; a name
    can move to another image between the record and the check)."""
    asked: list[list[str]] = []
    answers = {
        "ls": ["sha256:1 web:latest", "sha256:1 web:v1", "sha256:2 <none>:<none>"],
        "ps": ["c1 one web:latest running", "c2 two web:latest exited"],
        "volume": ["data"],
        "inspect": ["sha256:1 sha256:a,sha256:b,", "sha256:2 sha256:a,"],
        "container": ["c1 true", "c2 false"],
        "diff": ["A /x"],
    }

    def engine(argv: list[str], some: bool = False) -> list[str]:
        asked.append(argv)
        return answers[argv[2] if argv[1] == "image" else argv[1]]

    monkeypatch.setattr(view, "_lines", engine)
    seen = view.read()
    inspect = next(a for a in asked if a[1:3] == ["image", "inspect"])
    assert inspect[-2:] == ["sha256:1", "sha256:2"]
    assert seen["layers"] == {"sha256:1": ["sha256:a", "sha256:b"], "sha256:2": ["sha256:a"]}
    assert seen["containers"]["c1"]["autoremove"] == "true"
    assert "autoremove" not in seen["containers"]["c2"]
    assert seen["changes"] == {"c2": ["A /x"]}
