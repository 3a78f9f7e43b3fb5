"""The reader as one ``python3 -c`` command: the zipapp bootstrap runs here, under the cap."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from layerwise import shipping
from layerwise.collection import MODULE_UTILS

SHIPPED = sorted(p for package in shipping.PACKAGES for p in (MODULE_UTILS / package).glob("*.py"))


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


def code_and_places(source: str) -> tuple[str, list[tuple[str, int, int]]]:
    """The source's tree with every docstring emptied, and where each node starts (line,
    column: what a traceback names)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            body[0].value.value = ""
    places = [
        (type(node).__name__, node.lineno, node.col_offset)
        for node in ast.walk(tree)
        if isinstance(node, (ast.stmt, ast.expr))
    ]
    return ast.dump(tree), places


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_shipped_source_is_the_same_code_on_the_same_lines(path: Path) -> None:
    """Without comments and docstrings, every node (line and column included) is where it was:
    a traceback on a host names the line of the source here."""
    source = path.read_text(encoding="utf-8")
    shipped = shipping.bare(source)
    assert code_and_places(shipped) == code_and_places(source)
    assert len(shipped) < len(source), "nothing was taken out"
    assert "#" not in "".join(
        line for line in shipped.splitlines() if line.lstrip().startswith("#")
    ), "a comment line was kept"


def test_bare_keeps_code_that_shares_a_line_with_a_comment_or_a_string() -> None:
    source = '''"""Module."""

x = "# not a comment"  # a comment
def f():
    """Doc
    on two lines."""
    return x


class C:
    """Doc."""

    y = 1
'''
    assert (
        shipping.bare(source)
        == """""

x = "# not a comment"
def f():
    ""

    return x


class C:
    ""

    y = 1
"""
    )
