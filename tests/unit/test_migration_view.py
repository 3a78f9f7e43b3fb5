"""The engine's view before and after a data root move: what counts as the same."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

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


# Real engine IDs: 64 hex digits, shown shortened to 12 (containers) or 19 with the
# "sha256:" prefix (images).
WEB = "sha256:" + "1" * 64
BASE = "sha256:" + "2" * 64
C_DEAD, C_DONE, C_JOB, C_WEB = ("a" * 64, "b" * 64, "c" * 64, "d" * 64)


class Engine:
    """A docker CLI stand-in for ``subprocess.run``: each command's answer by its whole argv,
    ``(exit code, stdout, stderr)`` or just stdout; every argv asked is recorded. A command it
    was not told about fails the test (KeyError)."""

    def __init__(self, answers: dict[tuple[str, ...], str | tuple[int, str, str]]) -> None:
        self.answers = answers
        self.asked: list[list[str]] = []

    def __call__(self, argv: list[str], **how: Any) -> subprocess.CompletedProcess[str]:
        assert how == {"capture_output": True, "text": True, "check": False, "timeout": 120}, (
            "output read as text, failure read from the exit code, a hung engine given up"
        )
        self.asked.append(argv)
        answer = self.answers[tuple(argv)]
        code, out, err = (0, answer, "") if isinstance(answer, str) else answer
        return subprocess.CompletedProcess(argv, code, out, err)


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[tuple[str, ...], Any]], Engine]:
    """Installs an Engine with the given answers in place of the docker CLI."""

    def install(answers: dict[tuple[str, ...], Any]) -> Engine:
        fake = Engine(answers)
        monkeypatch.setattr(view.subprocess, "run", fake)
        return fake

    return install


def test_read_records_the_engines_whole_view_through_the_cli(
    engine: Callable[[dict[tuple[str, ...], Any]], Engine],
) -> None:
    """Images by ID (one image under two names is inspected once), each container's layer
    changes unless it runs (a dead one the engine cannot diff is left out, and the next is
    still diffed), --rm read even when a container went away since the listing."""
    fake = engine(
        {
            tuple(view._IMAGES): f"{WEB} web:latest\n{WEB} web:v1\n\n{BASE} <none>:<none>\n",
            tuple(view._CONTAINERS): (
                f"{C_WEB} web web:latest running\n{C_DONE} done web:v1 exited\n"
                f"{C_DEAD} dead web:v1 dead\n{C_JOB} job web:v1 running\n"
            ),
            tuple(view._VOLUMES): "data\ncache\n",
            (*view._LAYERS, WEB, BASE): f"{WEB} sha256:a,sha256:b,\n{BASE} sha256:a,\n",
            ("docker", "diff", C_DEAD): (1, "", "Error: container is dead"),
            ("docker", "diff", C_DONE): "C /etc\nA /etc/motd\n",
            (*view._AUTOREMOVE, C_DEAD, C_DONE, C_JOB, C_WEB): (
                1,
                f"{C_DEAD} false\n{C_DONE} true\n{C_JOB} true\n",
                f"Error: No such container: {C_WEB}",
            ),
        }
    )
    assert view.read() == {
        "images": sorted([f"{WEB} web:latest", f"{WEB} web:v1", f"{BASE} <none>:<none>"]),
        "containers": {
            C_DEAD: {"name": "dead", "image": "web:v1", "state": "dead"},
            C_DONE: {"name": "done", "image": "web:v1", "state": "exited", "autoremove": "true"},
            C_JOB: {"name": "job", "image": "web:v1", "state": "running", "autoremove": "true"},
            C_WEB: {"name": "web", "image": "web:latest", "state": "running"},
        },
        "volumes": ["cache", "data"],
        "layers": {BASE: ["sha256:a"], WEB: ["sha256:a", "sha256:b"]},
        "changes": {C_DONE: ["A /etc/motd", "C /etc"]},
    }
    assert [argv[1] for argv in fake.asked] == [
        "image",
        "ps",
        "volume",
        "image",
        "diff",
        "diff",
        "container",
    ]


def test_an_empty_engine_is_asked_for_no_layers_and_no_containers_flags(
    engine: Callable[[dict[tuple[str, ...], Any]], Engine],
) -> None:
    """docker image inspect and docker container inspect with no ID fail: they are not run."""
    fake = engine({tuple(view._IMAGES): "", tuple(view._CONTAINERS): "", tuple(view._VOLUMES): ""})
    assert view.read() == {
        "images": [],
        "containers": {},
        "volumes": [],
        "layers": {},
        "changes": {},
    }
    assert len(fake.asked) == 3


def test_containers_lists_them_by_id_alone(
    engine: Callable[[dict[tuple[str, ...], Any]], Engine],
) -> None:
    fake = engine({tuple(view._CONTAINERS): f"{C_WEB} web web:latest running\n"})
    assert view.containers() == {C_WEB: {"name": "web", "image": "web:latest", "state": "running"}}
    assert fake.asked == [view._CONTAINERS]


@pytest.mark.parametrize(
    ("answer", "some", "said"),
    [
        (
            (1, "", "Cannot connect to the Docker daemon\n"),
            False,
            "Cannot connect to the Docker daemon",
        ),
        ((3, "", "  \n"), False, "3"),
        ((3, "\n  \n", "partly\n"), True, "partly"),
    ],
)
def test_a_failed_command_is_named_by_its_first_words_and_its_error(
    engine: Callable[[dict[tuple[str, ...], Any]], Engine],
    answer: tuple[int, str, str],
    some: bool,
    said: str,
) -> None:
    """The error, or the exit code when it printed none; with ``some``, blank output is no
    output."""
    engine({tuple(view._IMAGES): answer})
    with pytest.raises(view.EngineError) as failed:
        view._lines(view._IMAGES, some=some)
    assert str(failed.value) == f"docker image ls failed: {said}"


@pytest.mark.parametrize(
    ("line", "name"), [("c9", ""), ("c9 lone", "lone")], ids=["id alone", "id and name"]
)
def test_a_short_container_line_leaves_the_rest_empty(line: str, name: str) -> None:
    assert view.parse([], [line], [])["containers"] == {
        "c9": {"name": name, "image": "", "state": ""}
    }


def test_diff_ids_are_each_images_layers_and_none_for_an_old_record() -> None:
    seen = view.parse([f"{WEB} web:1"], [], [], [f"{WEB} sha256:a,sha256:b,"])
    assert view.diff_ids(seen) == {WEB: ["sha256:a", "sha256:b"]}
    assert view.diff_ids({"images": [], "containers": {}, "volumes": []}) == {}


def test_other_layers_and_other_layer_changes_are_named_with_short_ids() -> None:
    before = view.parse(
        [f"{WEB} web:1", f"{BASE} base:1"],
        [f"{C_DONE} done web:1 exited", f"{C_JOB} job web:1 exited", f"{C_WEB} w web:1 exited"],
        [],
        [f"{WEB} sha256:a,sha256:b,", f"{BASE} sha256:a,"],
        {
            C_DONE: ["A /a", "A /b", "A /c", "A /d", "C /etc"],
            C_JOB: ["C /etc"],
            C_WEB: ["A /w"],
        },
    )
    after = view.parse(
        [f"{WEB} web:1"],
        [f"{C_DONE} done web:1 exited", f"{C_JOB} job web:1 exited"],
        [],
        [f"{WEB} sha256:a,"],
        {C_DONE: ["C /etc", "A /e"], C_JOB: ["C /etc", "A /new"]},
    )
    assert view.differences(before, after) == [
        f"image {BASE} base:1 is gone",
        f"container w ({'d' * 12}) is gone",
        f"image sha256:{'1' * 12} has other layers than before (2 then, 1 now)",
        f"container done ({'b' * 12}): its layer's changes differ "
        "(docker diff: 4 lines gone, 1 new, e.g. ['A /a', 'A /b', 'A /c'])",
        f"container job ({'c' * 12}): its layer's changes differ "
        "(docker diff: 0 lines gone, 1 new, e.g. ['A /new'])",
    ]


def test_views_recorded_without_layers_or_changes_still_compare() -> None:
    """A record made before layers and changes were read has neither: nothing differs there,
    whichever side lacks them."""
    old = {"images": ["i"], "containers": {"c1": {"name": "x", "image": "i"}}, "volumes": []}
    new = view.parse(["i"], ["c1 x i exited"], [], ["i d1,"], {"c1": ["A /x"]})
    assert view.differences(old, new) == []
    assert view.differences(new, old) == []


def test_a_container_renamed_or_new_is_named_by_its_short_id() -> None:
    before = view.parse([], [f"{C_WEB} web web:1 running"], [])
    after = view.parse([], [f"{C_WEB} www web:2 running", f"{C_JOB} job web:2 exited"], [])
    assert view.differences(before, after) == [
        f"container {'d' * 12} was web of web:1, now www of web:2",
        f"container job ({'c' * 12}) is new",
    ]


def test_a_container_run_with_rm_that_is_still_there_was_not_removed_by_docker() -> None:
    before = a_view()
    for cid in ("c1", "c2"):
        before["containers"][cid]["autoremove"] = "true"
    assert view.removed_by_docker(before, a_view(containers=CONTAINERS[1:])) == ["web"]
