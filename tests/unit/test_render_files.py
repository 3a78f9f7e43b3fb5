"""Writing the report files (render.write_all): every format under the output directory, the
Prometheus textfile where asked, all or nothing. Each file is first written next to its
target under a hidden ``.partial`` name (node_exporter reads only ``*.prom``), and renamed
into place only when all were written; on a failure no report is replaced, no partial file
is left, and the one-line error names the file and the cause.
"""

from __future__ import annotations

import errno
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from layerwise import render

from .test_render_html import fleet_report

NAMES = ["compliance.json", "compliance-junit.xml", "compliance.html", "compliance.prom"]
PID = os.getpid()


def empty_report() -> dict[str, Any]:
    """A run over no hosts: small enough to show its JSON whole."""
    totals = ["hosts", "checked", "not_checked", "pass", "fail", "waived", "cannot_check", "skip"]
    return {
        "verdict": "pass",
        "schema_version": 1,
        "generated": "2026-12-07T10:00:00+00:00",
        "duration_seconds": None,
        "exit_code": 0,
        "totals": dict.fromkeys(totals, 0),
        "policy": {"driver": "overlay2"},
        "waivers": [],
        "checks": [],
        "hosts": [],
        "drift": [],
    }


def contents(directory: Path) -> dict[str, bytes]:
    """Every entry of a directory: a file's bytes, or b"<dir>"."""
    return {
        p.name: (p.read_bytes() if p.is_file() else b"<dir>") for p in sorted(directory.iterdir())
    }


@pytest.fixture
def old(tmp_path: Path) -> Path:
    """An output directory holding the reports of an earlier run (over no hosts)."""
    out = tmp_path / "reports"
    render.write_all(empty_report(), out)
    return out


def test_every_format_is_written_and_listed_in_order(tmp_path: Path) -> None:
    """The output directory is made, parents included; each file is its renderer's text."""
    report = fleet_report()
    out = tmp_path / "a" / "b"
    written = render.write_all(report, out)
    assert written == [out / name for name in NAMES]
    assert sorted(p.name for p in out.iterdir()) == sorted(NAMES)
    texts = [p.read_bytes().decode("utf-8") for p in written]
    assert json.loads(texts[0]) == report
    assert texts[1:] == [
        render.junit.render(report),
        render.html.render(report),
        render.prometheus.render(report),
    ]


def test_the_json_is_sorted_indented_by_one_and_ends_in_a_newline(tmp_path: Path) -> None:
    render.write_all(empty_report(), tmp_path)
    totals = "".join(
        f'  "{key}": 0{"," if key != "waived" else ""}\n'
        for key in sorted(empty_report()["totals"])
    )
    assert (tmp_path / "compliance.json").read_text(encoding="utf-8") == (
        "{\n"
        ' "checks": [],\n'
        ' "drift": [],\n'
        ' "duration_seconds": null,\n'
        ' "exit_code": 0,\n'
        ' "generated": "2026-12-07T10:00:00+00:00",\n'
        ' "hosts": [],\n'
        ' "policy": {\n'
        '  "driver": "overlay2"\n'
        " },\n"
        ' "schema_version": 1,\n'
        ' "totals": {\n'
        f"{totals}"
        " },\n"
        ' "verdict": "pass",\n'
        ' "waivers": []\n'
        "}\n"
    )


def test_a_report_that_is_not_strict_json_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    """NaN is not JSON: no reader of compliance.json could load it."""
    report = empty_report()
    report["duration_seconds"] = math.nan
    with pytest.raises(ValueError, match="not JSON compliant"):
        render.write_all(report, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_writing_again_replaces_every_report(old: Path) -> None:
    report = fleet_report()
    render.write_all(report, old)
    assert contents(old) == {
        "compliance-junit.xml": render.junit.render(report).encode(),
        "compliance.html": render.html.render(report).encode(),
        "compliance.json": (json.dumps(report, indent=1, sort_keys=True) + "\n").encode(),
        "compliance.prom": render.prometheus.render(report).encode(),
    }


def test_the_prometheus_textfile_goes_where_asked_instead(tmp_path: Path) -> None:
    """node_exporter's textfile directory is made if missing; no compliance.prom is left
    in the output directory then."""
    report = fleet_report()
    textfile = tmp_path / "node" / "textfile" / "layerwise.prom"
    written = render.write_all(report, tmp_path / "out", textfile)
    assert written == [tmp_path / "out" / name for name in NAMES[:3]] + [textfile]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(NAMES[:3])
    assert textfile.read_text(encoding="utf-8") == render.prometheus.render(report)
    assert [p.name for p in textfile.parent.iterdir()] == ["layerwise.prom"]


def test_each_file_is_written_beside_its_target_then_all_are_renamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every partial is in its target's directory (so the rename is atomic), hidden, and not
    named *.prom; no target is replaced before every partial is written."""
    events: list[tuple[str, str]] = []
    write_text, replace = Path.write_text, Path.replace

    def spy_write(self: Path, *args: Any, **kwargs: Any) -> int:
        events.append(("write", str(self)))
        return write_text(self, *args, **kwargs)

    def spy_replace(self: Path, target: Path) -> Path:
        events.append(("rename", f"{self} -> {target}"))
        return replace(self, target)

    monkeypatch.setattr(Path, "write_text", spy_write)
    monkeypatch.setattr(Path, "replace", spy_replace)
    out, textfile = tmp_path / "out", tmp_path / "text" / "layerwise.prom"
    render.write_all(empty_report(), out, textfile)
    targets = [out / name for name in NAMES[:3]] + [textfile]
    partials = [p.with_name(f".{p.name}.{PID}.partial") for p in targets]
    assert events == [("write", str(p)) for p in partials] + [
        ("rename", f"{p} -> {t}") for p, t in zip(partials, targets, strict=True)
    ]


@pytest.mark.parametrize("name", NAMES)
def test_a_directory_in_the_way_of_any_report_fails_before_one_is_replaced(
    old: Path, name: str
) -> None:
    """A rename cannot replace a directory: found before the first rename, so the earlier
    run's reports all stay as they were, and no partial file is left."""
    (old / name).unlink()
    (old / name).mkdir()
    before = contents(old)
    with pytest.raises(render.WriteError) as caught:
        render.write_all(fleet_report(), old)
    assert (
        str(caught.value) == f"cannot write the reports ({old / name}: a directory is in the way)"
    )
    assert contents(old) == before


def fail_writing(monkeypatch: pytest.MonkeyPatch, target: str, error: OSError) -> None:
    """Make the write of ``target``'s partial file raise ``error`` before writing anything."""
    write_text = Path.write_text

    def failing(self: Path, *args: Any, **kwargs: Any) -> int:
        if self.name.startswith(f".{target}."):
            raise error
        return write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", failing)


ENOSPC = "No space left on device"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ((errno.ENOSPC, ENOSPC, "PARTIAL"), f"PARTIAL: {ENOSPC}"),
        ((errno.ENOSPC, ENOSPC), f"OUT: {ENOSPC}"),
        (("quota exceeded",), "OUT: quota exceeded"),
    ],
    ids=["named", "unnamed", "no-strerror"],
)
def test_a_write_that_fails_leaves_the_old_reports_and_no_partial(
    old: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[Any, ...], said: str
) -> None:
    """Say the disk fills while the HTML is written: the error names the file (or the output
    directory when the system named none) and the cause, in one line without a traceback
    chain; the JSON and JUnit partials already written are removed."""
    partial = str(old / f".compliance.html.{PID}.partial")
    before = contents(old)
    fail_writing(
        monkeypatch, "compliance.html", OSError(*(partial if a == "PARTIAL" else a for a in args))
    )
    with pytest.raises(render.WriteError) as caught:
        render.write_all(fleet_report(), old)
    where = said.replace("PARTIAL", partial).replace("OUT", str(old))
    assert str(caught.value) == f"cannot write the reports ({where})"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    assert contents(old) == before


def test_a_textfile_directory_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    """The textfile's directory is a file: nothing is written, not even in the output
    directory, which was made for the other reports."""
    (tmp_path / "node").write_text("not a directory")
    with pytest.raises(render.WriteError) as caught:
        render.write_all(empty_report(), tmp_path / "out", tmp_path / "node" / "layerwise.prom")
    assert str(caught.value) == f"cannot write the reports ({tmp_path / 'node'}: File exists)"
    assert list((tmp_path / "out").iterdir()) == []


def test_a_directory_where_a_partial_goes_is_a_write_error_not_a_traceback(old: Path) -> None:
    """The partial's name is taken (a directory of that name): the write fails, the cleanup
    cannot remove that directory, and the error is still WriteError (one line, exit 2)."""
    before = contents(old)
    blocker = old / f".compliance.html.{os.getpid()}.partial"
    blocker.mkdir()
    (blocker / "kept").write_text("")
    with pytest.raises(render.WriteError) as refused:
        render.write_all(fleet_report(), old)
    assert str(refused.value).startswith(f"cannot write the reports ({blocker}: ")
    assert {k: v for k, v in contents(old).items() if not k.startswith(".")} == before
    assert (blocker / "kept").exists()
