"""The report formats of a compliance run, each a pure function of the report dict, and
writing them all: JSON, JUnit XML, HTML, Prometheus textfile (the terminal is printed)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from . import html, junit, prometheus, terminal

__all__ = ["html", "junit", "prometheus", "terminal", "write_all"]


def write_atomically(path: Path, text: str) -> None:
    """Write next to the target, then rename: readers (node_exporter) never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def write_all(report: dict[str, Any], out: Path, textfile: Path | None = None) -> list[Path]:
    """Every report file under ``out`` (and the Prometheus textfile where asked)."""
    files = {
        out / "compliance.json": json.dumps(report, indent=1, sort_keys=True) + "\n",
        out / "compliance-junit.xml": junit.render(report),
        out / "compliance.html": html.render(report),
        textfile or out / "compliance.prom": prometheus.render(report),
    }
    for path, text in files.items():
        write_atomically(path, text)
    return list(files)
