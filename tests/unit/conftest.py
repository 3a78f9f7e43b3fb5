"""Load the roles' Python (filter plugins, modules) as plain modules for unit tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the controller package, layerwise/
# the judge is a package of module_utils; hosts get it through Ansible, tests import it
sys.path.insert(0, str(ROOT / "module_utils"))


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
