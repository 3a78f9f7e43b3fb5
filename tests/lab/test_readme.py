"""Every command README.md prints works as printed, from a fresh shell.

The commands are read from README's ``sh`` blocks and its table of make targets; each must
have an expectation below (a new command without one fails the first test), and each is run
with bash in the repository with a fresh login environment (no venv on PATH, no ANSIBLE_*
variables), in README's order: the lab comes up first and goes down last. ``make lab`` runs
once for the whole lab suite: the compliance tests break the lab that run made, and its test
here reads the same run's output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from .conftest import ROOT, shell

README = ROOT / "README.md"


def readme_commands(text: str) -> list[str]:
    """Commands of the ``sh`` blocks (continuations joined) and of the make-target table."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"\s+#.*$", "", line).strip()
            if command:
                commands.append(re.sub(r"\s+", " ", command))
    for target in re.findall(r"^\| `(make [a-z-]+)[^`]*` \|", text, flags=re.M):
        commands.append(target)
    return list(dict.fromkeys(commands))


@dataclass(frozen=True)
class Expect:
    """What a command must do: its exit code and lines its output must contain."""

    rc: int
    says: tuple[str, ...]
    timeout: float = 900


# The example inventory names real-looking ssh hosts that do not exist here: its commands
# must get as far as contacting them (tools found, inventory and playbook valid) and fail
# there only.
UNREACHABLE = ("build-01.example.com", "run-01.example.com")
# the lab as make lab leaves it passes the default policy
PASSED = "layerwise compliance: PASS (exit 0)"

EXPECTED = {
    "make lab": Expect(0, ("site.yml: ok", "passed", "remote commands per host")),
    "make lab-test": Expect(0, ("passed", "remote commands per host")),
    ".venv/bin/pytest tests/infra --hosts='ansible://all' --ansible-inventory=inventories/lab": (
        Expect(0, (" passed",))
    ),
    # mutmut on one function (the whole run, make mutate's default, takes about 20 minutes)
    "make mutate MUTANTS='layerwise.render.x_write_all*'": Expect(
        0, ("==> mutation testing: ok", "layerwise/render/__init__.py")
    ),
    # the benchmarks at the quick sizes README prints for them (their defaults are the full
    # sizes whose figures the project reports; see QUICK below)
    "make bench BENCH_IMAGES=2 BENCH_LAYERS=50 LAYERS=1111": Expect(
        0, ("==> bench: ok", "loading 2 x 50 more layers", "remote commands, whole host suite")
    ),
    "make bench-layers LAYERS=1111": Expect(
        0,
        (
            "==> bench: reader + judge on crafted layers: ok",
            "==> bench: reader + judge on crafted layers, containerd store: ok",
        ),
    ),
    "make bench-move MOVE_LAYERS=111 MOVE_GIB=1": Expect(
        0, ("proven equal: ", "move: total", "==> bench: data root move: ok")
    ),
    "make bench-move-host MOVE_IMAGES=2 MOVE_IMAGE_LAYERS=50 MOVE_GIB=1": Expect(
        0,
        ("move: whole run", "move: downtime", "==> bench: data root move on a lab host: ok"),
        timeout=1800,
    ),
    ".venv/bin/ansible-galaxy collection build ansible_collections/layerwise/docker "
    "--output-path reports/dist --force": Expect(0, ("Created collection for layerwise.docker",)),
    ".venv/bin/ansible-playbook -i inventories/example layerwise.docker.site": Expect(
        4, ("UNREACHABLE", *UNREACHABLE)
    ),
    ".venv/bin/pytest tests/infra -m 'not samples and not acting' "
    "--hosts='ansible://docker_hosts' --ansible-inventory=inventories/example": Expect(
        1, ("Could not resolve hostname", *(f"cannot read {h}: rc=255" for h in UNREACHABLE))
    ),
    "make compliance INVENTORY=inventories/lab": Expect(0, (PASSED,)),
    ".venv/bin/layerwise compliance -i inventories/lab "
    "--waivers layerwise/policy/waivers.example.yml": Expect(0, (PASSED,)),
    ".venv/bin/ansible-playbook -i inventories/lab layerwise.docker.compliance": Expect(
        0, (PASSED, "failed=0")
    ),
    "make compliance": Expect(0, (PASSED,)),
    ".venv/bin/ansible-playbook -i inventories/lab layerwise.docker.reclaim": Expect(
        0, ("dirs nothing names", "changed=0", "failed=0")
    ),
    "make lab-down": Expect(0, ("lab down: ok",)),
}

# make test (.ci/run) runs these itself, this file included: not run again from here.
# (Its check lane runs `make check fuzz`, whose stages are make lint (with make sanity) and
# make unit; its molecule lanes run make molecule SCENARIO=<each scenario>; it makes the venv
# and the images first.)
RUN_BY_CI = {
    "make test",
    "make venv",
    "make check",
    "make lint",
    "make sanity",
    "make unit",
    "make fuzz",
    "make images",
    "make molecule",
    "make lab-check",
}

# The benchmarks' table rows (the full sizes, their defaults) are proven by the quick run
# README prints for each: the same target with smaller sizes.
QUICK = {
    "make mutate",
    "make bench",
    "make bench-layers",
    "make bench-move",
    "make bench-move-host",
}


def test_every_readme_command_has_an_expectation() -> None:
    commands = readme_commands(README.read_text())
    assert len(commands) >= len(EXPECTED), commands
    assert set(commands) == set(EXPECTED) | RUN_BY_CI | QUICK


@pytest.mark.parametrize("target", sorted(QUICK))
def test_each_benchmark_has_a_quick_run_that_is_run(target: str) -> None:
    quick = [c for c in EXPECTED if c.startswith(target + " ")]
    assert quick, f"README prints no quick run of {target} (e.g. {target} SIZE=small)"
    assert all(c in readme_commands(README.read_text()) for c in quick)


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci/run").read_text()


def ordered() -> list[str]:
    """README's order, with make lab-down last whatever its place in README."""
    commands = [c for c in readme_commands(README.read_text()) if c in EXPECTED]
    return sorted(commands, key=lambda c: c == "make lab-down")


# run once for the whole lab suite (tests/lab/conftest.py), its output read here
SHARED = {"make lab": "made_lab"}


@pytest.mark.parametrize("command", ordered())
def test_readme_command_works_as_printed(command: str, request: pytest.FixtureRequest) -> None:
    expect = EXPECTED[command]
    if command in SHARED:
        rc, out = request.getfixturevalue(SHARED[command])
    else:
        rc, out = shell(command, timeout=expect.timeout)
    tail = out[-4000:]
    assert rc == expect.rc, f"{command!r} exited {rc}, README promises {expect.rc}:\n{tail}"
    for line in expect.says:
        assert line in out, f"{command!r} did not say {line!r}:\n{tail}"
    assert "command not found" not in out, tail
