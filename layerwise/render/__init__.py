"""The report formats of a compliance run, each a pure function of the report dict, and
writing them all: JSON, JUnit XML, HTML, Prometheus textfile (the terminal is printed)."""

from __future__ import annotations

import contextlib
import errno
import json
import os
from pathlib import Path
from typing import Any

from . import html, junit, prometheus, terminal

__all__ = ["html", "junit", "prometheus", "terminal", "write_all"]


class WriteError(OSError):
    """The reports could not be written; none of them was replaced."""


def write_all(report: dict[str, Any], out: Path, textfile: Path | None = None) -> list[Path]:
    """Every report file under ``out`` (and the Prometheus textfile where asked), all or
    nothing: each is rendered, then written next to its target, and only when every one was
    written are they renamed into place (readers such as node_exporter never see half a
    file); on any failure the partial files are removed, the old reports stay, and
    WriteError says which file and why."""
    files = {
        out / "compliance.json": json.dumps(report, indent=1, sort_keys=True, allow_nan=False)
        + "\n",
        out / "compliance-junit.xml": junit.render(report),
        out / "compliance.html": html.render(report),
        textfile or out / "compliance.prom": prometheus.render(report),
    }
    partials: dict[Path, Path] = {}
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_dir():  # the one target a rename cannot replace: found before any is
                raise IsADirectoryError(errno.EISDIR, "a directory is in the way", str(path))
            partials[path] = path.with_name(f".{path.name}.{os.getpid()}.partial")
            partials[path].write_text(text, encoding="utf-8")
        for path, partial in partials.items():
            partial.replace(path)
    except OSError as exc:
        for partial in partials.values():
            with contextlib.suppress(OSError):  # a directory in a partial's way stays, named
                partial.unlink(missing_ok=True)
        where = exc.filename or out
        raise WriteError(f"cannot write the reports ({where}: {exc.strerror or exc})") from None
    return list(files)
