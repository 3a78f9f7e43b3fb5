"""The reader as one ``python3 -c`` command: the zipapp bootstrap runs here, under the cap."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from layerwise import shipping


@pytest.fixture(scope="module")
def code() -> str:
    return shipping.bootstrap()


def run(code: str, params: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, "--params", params],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_bootstrap_is_well_under_one_argument_s_cap(code: str) -> None:
    assert len(code.encode()) < shipping.MAX_ARG_STRLEN // 2


def test_the_zipapp_holds_the_reader_the_judge_and_a_main() -> None:
    names = zipfile.ZipFile(BytesIO(shipping.zipapp())).namelist()
    assert "__main__.py" in names
    assert "layerwise_facts/__init__.py" in names
    assert "layerwise_checks/__init__.py" in names
    assert shipping.zipapp() == shipping.zipapp(), "the same sources make the same bytes"


def test_the_bootstrap_reads_this_machine_without_an_engine(code: str, tmp_path: Path) -> None:
    params = {"layers": False, "docker_host": f"unix://{tmp_path}/none.sock"}
    done = run(code, json.dumps(params))
    assert done.returncode == 0, done.stderr
    snap = json.loads(done.stdout)
    assert snap["docker"]["answers"] is False
    assert "overlay2" not in snap
    assert set(snap["summary"]) >= {"engine_version", "image_store"}


def test_the_bootstrap_refuses_bad_params_in_one_line(code: str) -> None:
    done = run(code, '{"layers": "yes"}')
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("overlay2_facts: option 'layers' takes a bool")
