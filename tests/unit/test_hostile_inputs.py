"""Policy and waiver files as a hostile user writes them: each is refused quickly, in one line
per problem with the file and the line, quoting at most a few characters of the value, and the
command exits 2 without a traceback (layerwise/yamlfile.py, layerwise/inputs.py)."""

from __future__ import annotations

import datetime as dt
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
from layerwise import fleet, inputs, render, yamlfile

from . import snapshots as s
from .conftest import ROOT

# a few hundred bytes that expand to 10^9 strings if aliases are followed
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(8)
)
LONG = "x" * 500_000
CUT = "'" + "x" * 36 + "..."  # what an error quotes of LONG: 40 characters

# (file content, the problem named, the line named): refused by the reader, whatever the keys
REFUSED_TEXT = [
    pytest.param(BOMB + "driver: *i\n", "aliases (*name) are not accepted", 2, id="alias-bomb"),
    pytest.param("[" * 100_000, "nested more than 32 levels deep", 1, id="deep-nesting"),
    pytest.param("driver: overlay2\ndriver: vfs\n", "the key 'driver' is given twice", 2, id="dup"),
    pytest.param("daemon_json:\n  x: !!binary aGk=\n", "the tag", 2, id="binary"),
    pytest.param("daemon_json:\n  x: !!set {a}\n", "is not accepted", 2, id="set"),
    pytest.param("daemon_json:\n  x: .nan\n", ".nan is not a finite number", 2, id="nan"),
    pytest.param("daemon_json:\n  x: -.inf\n", "-.inf is not a finite number", 2, id="inf"),
    pytest.param("min_free_percent: " + "9" * 5000, "a number longer than 30", 1, id="huge-int"),
    pytest.param("1: x\n", "the key '1' is not a string", 1, id="int-key"),
    pytest.param('"\\uD800": null\n', "a lone surrogate", 1, id="surrogate-key"),
    pytest.param('driver: "a\\udfffb"\n', "a lone surrogate", 1, id="surrogate-value"),
    pytest.param("driver: a\0b\n", "character #x0000 is not allowed", 1, id="nul"),
]


def write(tmp_path: Path, content: str | bytes, name: str = "given.yml") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


@pytest.mark.parametrize(("content", "problem", "line"), REFUSED_TEXT)
def test_hostile_yaml_is_refused_with_its_line(
    tmp_path: Path, content: str, problem: str, line: int
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(yamlfile.FileError) as refused:
        yamlfile.load(path)
    message = str(refused.value)
    assert message.startswith(f"{path}:{line}: not valid YAML: "), message
    assert problem in message
    assert "\n" not in message
    assert len(message) < len(str(path)) + 300


@pytest.mark.parametrize(
    ("content", "problem", "line"),
    [
        pytest.param(
            b"driver: o\n\xff\xfe\n", "not UTF-8 (byte 0xff at offset 10)", 2, id="binary"
        ),
        pytest.param(
            "driver: x\n".encode("utf-16"), "not UTF-8 (byte 0xff at offset 0)", 1, id="16"
        ),
        pytest.param(
            "#\n\ndriver: \xef\n".encode("latin-1"), "not UTF-8 (byte 0xef", 3, id="latin1"
        ),
    ],
)
def test_a_file_that_is_not_utf8_is_refused(
    tmp_path: Path, content: bytes, problem: str, line: int
) -> None:
    path = write(tmp_path, content)
    with pytest.raises(yamlfile.FileError, match="save it as UTF-8") as refused:
        yamlfile.load(path)
    assert str(refused.value).startswith(f"{path}:{line}: {problem}")


def test_only_a_regular_file_of_bounded_size_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yml"
    os.mkfifo(fifo)  # opened without blocking: no writer ever comes
    big = write(tmp_path, "# " + "x" * yamlfile.MAX_BYTES)
    refusals = {
        Path("/dev/zero"): "not a regular file but a device, FIFO or socket",
        fifo: "not a regular file but a device, FIFO or socket",
        tmp_path: "not a regular file but a directory",
        big: f"larger than {yamlfile.MAX_BYTES} bytes",
        tmp_path / "absent.yml": "cannot read it: No such file or directory",
    }
    for path, problem in refusals.items():
        with pytest.raises(yamlfile.FileError) as refused:
            yamlfile.read_text(path)
        assert str(refused.value).startswith(f"{path}: {problem}"), refused.value


def test_plain_data_is_read_as_written(tmp_path: Path) -> None:
    """An unquoted date stays its text (daemon.json gets it as a string), a BOM is dropped,
    and merge keys are plain keys (their aliases are refused anyway)."""
    path = write(tmp_path, "\ufeffa: 2024-01-31\nb: [1, 2.5, true, null, '<<']\n<<: {c: d}\n")
    data, node = yamlfile.load(path)
    assert data == {"a": "2024-01-31", "b": [1, 2.5, True, None, "<<"], "<<": {"c": "d"}}
    assert node is not None
    assert yamlfile.load(write(tmp_path, "", "empty.yml")) == (None, None)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("version: true\n", "given.yml:1: version: True is not a policy version"),
        ("version: 1.0\n", "given.yml:1: version: 1.0 is not a policy version"),
        (f"min_free_percent: {LONG}\n", f"given.yml:1: min_free_percent: {CUT} is not"),
        (f"{LONG[:500]}: 1\n", f"given.yml:1: {CUT}: not a policy key"),
    ],
    ids=["version-bool", "version-float", "long-value", "long-key"],
)
def test_a_policy_error_quotes_a_bounded_value(tmp_path: Path, content: str, error: str) -> None:
    with pytest.raises(inputs.InputError) as refused:
        inputs.load_policy(write(tmp_path, content))
    assert str(refused.value).startswith(str(tmp_path / error)), str(refused.value)[:500]
    # the path, the value cut to SHOWN characters, and at most the list of known keys
    known = ", ".join(sorted(checks.POLICY))
    assert len(str(refused.value)) < len(str(tmp_path)) + 100 + len(known)


def test_version_1_is_the_policy_version(tmp_path: Path) -> None:
    assert inputs.load_policy(write(tmp_path, "version: 1\n"))["driver"] == "overlay2"


WAIVER = """waivers:
  - check: {check}
    hosts: [h]
    justification: j
    expires: {expires}
    approved_by: a
"""


@pytest.mark.parametrize(
    ("check", "expires", "error"),
    [
        ("[CFG-006]", "2099-12-31", "2: check ['CFG-006'] is not a layerwise check id"),
        ("CFG-006", LONG, f"2: expires {CUT} is not a date"),
        ("CFG-006", "2099-12-31 10:00:00", "2: expires '2099-12-31 10:00:00' is not a date"),
        ("CFG-006", "*i", "2: not valid YAML: aliases (*name) are not accepted"),
    ],
    ids=["check-a-list", "long-expires", "expires-a-time", "alias-bomb"],
)
def test_a_waiver_error_is_one_bounded_line(
    tmp_path: Path, check: str, expires: str, error: str
) -> None:
    text = WAIVER.format(check=check, expires=expires)
    path = write(tmp_path, BOMB + text if expires == "*i" else text)
    with pytest.raises(inputs.InputError) as refused:
        inputs.load_waivers(path)
    assert str(refused.value).startswith(f"{path}:{error}"), str(refused.value)[:500]
    assert len(str(refused.value)) < 500


def limited() -> None:
    """A child's limits: 1 GiB of address space, 30 s of CPU."""
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    resource.setrlimit(resource.RLIMIT_CPU, (30, 30))


@pytest.mark.parametrize(
    ("option", "content"),
    [
        ("--policy", BOMB + "driver: *i\n"),
        ("--waivers", BOMB + WAIVER.format(check="CFG-006", expires="*i")),
    ],
    ids=["policy", "waivers"],
)
def test_the_command_exits_2_with_one_line_and_no_traceback(
    tmp_path: Path, option: str, content: str
) -> None:
    path = write(tmp_path, content)
    done = subprocess.run(
        [sys.executable, "-m", "layerwise", "inputs", option, str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, preexec_fn=limited, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0] == "layerwise: the input is wrong, nothing was checked:"
    assert lines[1:] == [
        f"{path}:2: not valid YAML: aliases (*name) are not accepted: write the value out"
    ]


TODAY = dt.date(2026, 12, 7)


def waivers_file(tmp_path: Path, body: str) -> Path:
    return write(
        tmp_path,
        "waivers:\n  - check: CFG-006\n    justification: j\n    approved_by: a\n" + body,
        "waivers.yml",
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("    hosts: ['*']\n    expires: 2027-01-01\n", "hosts pattern '*' names every one"),
        ("    groups: ['**', web]\n    expires: 2027-01-01\n", "groups pattern '**' names every"),
        ("    hosts: ['?*']\n    expires: 2027-01-01\n", "hosts pattern '?*' names every one"),
        (
            "    fleet: true\n    hosts: [a]\n    expires: 2027-01-01\n",
            "fleet: true waives every host: give no",
        ),
        ("    fleet: yes please\n    expires: 2027-01-01\n", "fleet 'yes please' is not true"),
        ("    hosts: [a]\n    expires: 2027-06-06\n", "expires 2027-06-06 is after 2027-06-05"),
    ],
    ids=["star", "double-star", "any-name", "fleet-and-hosts", "fleet-not-bool", "too-far"],
)
def test_a_waiver_for_everyone_or_for_too_long_is_refused(
    tmp_path: Path, body: str, error: str
) -> None:
    path = waivers_file(tmp_path, body)
    with pytest.raises(inputs.InputError) as refused:
        inputs.load_waivers(path, 180, TODAY)
    assert str(refused.value).startswith(f"{path}:2: {error}"), refused.value


def test_a_fleet_wide_waiver_is_explicit_and_shown_as_such_everywhere(tmp_path: Path) -> None:
    path = waivers_file(tmp_path, "    fleet: true\n    expires: 2027-06-05\n")
    (fleet_wide,) = inputs.load_waivers(path, 180, TODAY)
    assert fleet_wide.fleet
    assert fleet_wide.as_dict()["fleet"] is True
    snap = s.healthy()
    snap["daemon_json"]["file"]["mode"] = 0o664  # CFG-006 fails on every host
    result = {"results": checks.results(snap), "summary": {}}
    report = fleet.report({"hosts": {"a": result, "b": result}}, checks.defaults(), [fleet_wide])
    outcomes = [o["status"] for h in report["hosts"] for o in h["results"] if o["id"] == "CFG-006"]
    assert outcomes == ["waived"] * 2
    assert report["waivers"][0]["fleet"] is True
    texts = {
        "terminal": render.terminal.render(report),
        "html": render.html.render(report),
        "junit": render.junit.render(report),
    }
    for name, text in texts.items():
        assert fleet.FLEET_WIDE in text, name
    narrow = waivers_file(tmp_path, "    hosts: [a]\n    expires: 2027-06-05\n")
    assert not inputs.load_waivers(narrow, 180, TODAY)[0].fleet
