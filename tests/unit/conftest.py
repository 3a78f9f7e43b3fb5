"""Load the lab's Python (its filter plugins, scripts/) as plain modules for unit tests; the
collection's modules, filters and module_utils are imported by their names, as users do."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import (
    containerd as c,
)
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import mounts

from . import containerd_store as store

ROOT = Path(__file__).resolve().parents[2]


def load(relative: str) -> ModuleType:
    """Import a file of the repository by path, e.g. a role's filter plugin."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def section(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The containerd store's section as the reader reads containerd_store's tree."""
    base = tmp_path_factory.mktemp("ctd")
    root, mountinfo = store.make_tree(base)
    return c.read_containerd(
        store.INFO, str(base / "data"), mounts.parse_mountinfo(mountinfo), f'root = "{root}"\n'
    )
