"""Where the engine's packages come from: with ``docker_engine_source: pinned`` only the
engine's own packages come from the pinned suite; nothing else on the host moves to it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from layerwise.collection import HOME as COLLECTION

ENGINE_DEFAULTS = COLLECTION / "roles/docker_engine/defaults/main.yml"

# Each installed package with the suites (archive and codename) its installed version is
# available from, read with python3-apt in one command.
ORIGINS = """
import json, apt_pkg
apt_pkg.init()
found = {}
for pkg in apt_pkg.Cache(None).packages:
    ver = pkg.current_ver
    if ver:
        found[pkg.name] = sorted(
            {f.archive for f, _ in ver.file_list if f.archive and f.archive != "now"}
            | {f.codename for f, _ in ver.file_list if f.codename}
        )
print(json.dumps(found))
"""


@pytest.fixture(scope="module")
def engine(host_vars: dict[str, Any]) -> dict[str, Any]:
    defaults = yaml.safe_load(ENGINE_DEFAULTS.read_text())
    return {k: host_vars.get(k, v) for k, v in defaults.items()}


def test_only_the_engines_packages_come_from_the_pinned_suite(
    host: Any, engine: dict[str, Any]
) -> None:
    if not host.exists("python3") or host.run("python3 -c 'import apt_pkg'").rc != 0:
        pytest.skip("python3-apt is not on the host: where packages come from cannot be read")
    origins = json.loads(host.check_output("python3 -c %s", ORIGINS))
    codename = host.system_info.codename
    foreign = {name for name, suites in origins.items() if suites and not own(suites, codename)}
    allowed = set(engine["docker_engine_pin_packages"])
    assert foreign <= allowed, f"not from {codename} nor the engine's: {sorted(foreign - allowed)}"
    if engine["docker_engine_source"] == "pinned":
        wanted = set(engine["docker_engine_packages_pinned"])
        assert wanted <= foreign, (
            f"not from {engine['docker_engine_pin_suite']}: {wanted - foreign}"
        )


def own(suites: list[str], codename: str) -> bool:
    """Whether a version is available from the host's own release (its codename or the
    stable archives it is, with their -updates and -security suites)."""
    names = (codename, "stable", "oldstable", "oldoldstable")
    return any(s in names or s.startswith(tuple(f"{n}-" for n in names)) for s in suites)
