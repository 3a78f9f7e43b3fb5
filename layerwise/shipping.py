"""The reader as one ``python3 -c`` command: a zipapp built in memory, sent in one argument.

Everything that runs the reader on a host outside Ansible (tests/conftest.py, scripts/bench.sh,
playbooks/bench.yml) takes it from here. The zipapp holds the collection's module_utils
layerwise_facts and layerwise_checks and a ``__main__`` that runs the reader with ``--params JSON``;
the bootstrap base85-decodes (6% shorter than base64, and no quote or backslash in
its alphabet) and unpacks it into a temporary file, runs it from there
(zipimport) and removes the file. The sources go in without their comments and docstrings
(``bare``: the same code on the same lines, so a traceback on a host names the line of the
source here). The archive's files are stored, and the whole archive packed
with xz (lzma, in every CPython's standard library on the hosts we know): across files it
packs a quarter smaller than deflate file by file, which keeps the one argument far under
Linux's 128 KiB cap on a single argv string (MAX_ARG_STRLEN).

    python -m layerwise.shipping             # print the bootstrap (for python3 -c)
    python -m layerwise.shipping --out FILE  # write the zipapp: python3 FILE --params JSON
"""

from __future__ import annotations

import ast
import base64
import io
import lzma
import sys
import tokenize
import zipfile
from pathlib import Path

from .collection import MODULE_UTILS

PACKAGES = ("layerwise_facts", "layerwise_checks")
MAX_ARG_STRLEN = 128 * 1024
# the same bytes for the same sources: no timestamps of the checkout in the archive
_EPOCH = (1980, 1, 1, 0, 0, 0)

MAIN = """\
import sys

from layerwise_facts import run

code, out, err = run(sys.argv)
sys.stdout.write(out)
sys.stderr.write(err)
sys.exit(code)
"""

# Runs on the host's python3 (3.9+): stdlib only, argv is [-c, --params, JSON].
BOOTSTRAP = """\
import base64, lzma, os, runpy, tempfile
fd, path = tempfile.mkstemp(prefix="layerwise-", suffix=".pyz")
try:
    os.write(fd, lzma.decompress(base64.b85decode({zipapp!r})))
    os.close(fd)
    runpy.run_path(path, run_name="__main__")
finally:
    os.unlink(path)
"""


def bare(source: str) -> str:
    """``source`` without comments and docstrings, each line where it was: a docstring becomes
    ``""`` on its first line and empty lines after, a comment is cut from the line."""
    lines = source.splitlines(keepends=True)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            row, column = token.start
            lines[row - 1] = lines[row - 1][:column].rstrip() + "\n"
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            continue
        doc = body[0]
        first, last = doc.lineno - 1, (doc.end_lineno or doc.lineno) - 1
        indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
        lines[first] = f'{indent}""\n'
        for row in range(first + 1, last + 1):
            lines[row] = "\n"
    return "".join(lines)


def zipapp(root: Path = MODULE_UTILS) -> bytes:
    """The zipapp's bytes: the reader's and the judge's packages and a ``__main__``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(zipfile.ZipInfo("__main__.py", _EPOCH), MAIN)
        for package in PACKAGES:
            for path in sorted((root / package).glob("*.py")):
                info = zipfile.ZipInfo(f"{package}/{path.name}", _EPOCH)
                archive.writestr(info, bare(path.read_text(encoding="utf-8")))
    return buffer.getvalue()


def bootstrap(root: Path = MODULE_UTILS) -> str:
    """The ``python3 -c`` source that runs the zipapp; arguments after it go to the reader."""
    packed = lzma.compress(zipapp(root), preset=9 | lzma.PRESET_EXTREME)
    code = BOOTSTRAP.format(zipapp=base64.b85encode(packed).decode())
    if len(code.encode()) >= MAX_ARG_STRLEN:
        raise ValueError(f"the reader's bootstrap is {len(code)} bytes, over MAX_ARG_STRLEN")
    return code


def main(argv: list[str]) -> int:
    if argv[1:2] == ["--out"] and len(argv) == 3:
        Path(argv[2]).write_bytes(zipapp())
        return 0
    if len(argv) > 1:
        print("usage: python -m layerwise.shipping [--out FILE]", file=sys.stderr)
        return 2
    sys.stdout.write(bootstrap())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
