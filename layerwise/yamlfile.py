"""Reading a policy or waiver file as hostile input: bounded before it is parsed.

A file is read only when it is a regular file of at most ``MAX_BYTES`` (no device, FIFO or
directory: ``/dev/zero`` is refused, not read until memory runs out), decoded as UTF-8, and
parsed once into plain data: mappings with string keys, lists, strings, whole numbers of at
most ``MAX_DIGITS`` digits, finite floats, booleans and null. Refused, each with the file and
line: aliases (``*name``: a few hundred bytes of them expand to gigabytes), nesting deeper than
``MAX_DEPTH``, duplicate keys (the last would silently win), and tags that make other types
(``!!binary``, ``!!set``, ``!!timestamp``...). An unquoted date stays the string it is written
as. Error messages quote at most 40 characters of a value (``shown``).
"""

from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path
from typing import Any, ClassVar

import yaml

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_checks.policy import shown

MAX_BYTES = 1 << 20  # 1 MiB: a policy or a waiver file is a few KiB
MAX_DEPTH = 32
MAX_DIGITS = 30
_SURROGATE = re.compile("[\ud800-\udfff]")
_PLAIN = {
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")
}


class FileError(ValueError):
    """A file that cannot be used; the message is one line per problem: file, line, what."""


def _problem(exc: yaml.YAMLError) -> tuple[int, str]:
    """An error's line (0 when unknown) and its problem, cut to one bounded line."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    text = str(getattr(exc, "problem", None) or exc).replace("\n", " ")
    return (mark.line + 1 if mark else 0), text[:200]


class _Loader(yaml.SafeLoader):
    """SafeLoader that makes plain data only, without aliases, deep nesting or duplicates."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag in _PLAIN]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(
                None,
                None,
                "aliases (*name) are not accepted: write the value out",
                self.peek_event().start_mark,
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node.tag not in _PLAIN:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"the tag {shown(node.tag)} is not accepted: plain values only",
                node.start_mark,
            )
        if node.tag.endswith((":int", ":float")) and len(str(node.value)) > MAX_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"a number longer than {MAX_DIGITS} characters", node.start_mark
            )
        value = super().construct_object(node, deep=deep)
        if isinstance(value, str) and _SURROGATE.search(value):
            raise yaml.constructor.ConstructorError(
                None, None, "a lone surrogate (\\ud800-\\udfff) is not text", node.start_mark
            )
        if isinstance(value, float) and not math.isfinite(value):
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value} is not a finite number", node.start_mark
            )
        return value

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag != "tag:yaml.org,2002:str":
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {shown(key_node.value)} is not a string",
                    key_node.start_mark,
                )
            if key_node.value in seen:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"the key {shown(key_node.value)} is given twice",
                    key_node.start_mark,
                )
            seen.add(key_node.value)
        return super().construct_mapping(node, deep=True)


def read_text(path: Path, limit: int = MAX_BYTES) -> str:
    """The text of ``path``: a regular file of at most ``limit`` bytes, UTF-8 (FileError if
    not)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as exc:
        raise FileError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a device, FIFO or socket"
            raise FileError(f"{path}: not a regular file but {kind}; give a YAML file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise FileError(f"{path}: larger than {limit} bytes, the most a file here may hold")
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileError(
            f"{path}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None


def load(path: Path) -> tuple[Any, yaml.Node | None]:
    """The plain data of the YAML file ``path`` and its node tree (for line numbers), parsed
    once; FileError names the file, the line and what is wrong."""
    text = read_text(path)
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, found up front
        line = text[: exc.position].count("\n") + 1
        raise FileError(
            f"{path}:{line}: not valid YAML: character #x{exc.character:04x} is not allowed"
        ) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        line, problem = _problem(exc)
        raise FileError(f"{path}{f':{line}' if line else ''}: not valid YAML: {problem}") from None
    finally:
        loader.dispose()
    return data, node
