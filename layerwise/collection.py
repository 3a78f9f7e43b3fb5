"""Where the collection layerwise.docker this package carries is: its playbooks and the
module_utils the hosts run (importable as ``ansible_collections.layerwise.docker``, from a
checkout or from site-packages after ``pip install``)."""

from __future__ import annotations

import os
from pathlib import Path

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks

NAME = "layerwise.docker"
# .../ansible_collections/layerwise/docker/plugins/module_utils/layerwise_checks/__init__.py
MODULE_UTILS = Path(layerwise_checks.__file__).resolve().parents[1]
HOME = MODULE_UTILS.parents[1]
# the directory that holds ansible_collections/: what ANSIBLE_COLLECTIONS_PATH names
SEARCH_PATH = HOME.parents[2]


def ansible_env() -> dict[str, str]:
    """The environment for ansible-playbook: this collection first, then the user's own paths
    (the same version of the modules as of the judge that reads their results)."""
    env = dict(os.environ)
    given = env.get("ANSIBLE_COLLECTIONS_PATH", "")
    env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(p for p in (str(SEARCH_PATH), given) if p)
    return env
