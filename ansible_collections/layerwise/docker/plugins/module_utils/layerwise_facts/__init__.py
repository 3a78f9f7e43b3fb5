"""The layerwise reader: a Docker host's whole storage state, read-only, as one dict.

Standard library only: it runs on the managed hosts' python3, shipped by Ansible (AnsiballZ,
as the collection's ``plugins.module_utils.layerwise_facts``) or as a zipapp in one
``python3 -c`` command (``layerwise.shipping``). One unit per thing it reads:

- ``engine``: the Docker API over its socket (docker info, containers)
- ``dockerd``: docker.service, the config file dockerd reads, daemon.json
- ``audit``: the paths the audit rules watch
- ``mounts``: mountinfo, overlay mount options, the backing filesystem, fstab, the source device
- ``graphdriver``: the overlay2 home, l/ links, layer dirs, layerdb, the images' layers
- ``files``: small shared readers (commands, files, path descriptions, digests)

``snapshot(params)`` (in ``reader``) is the one entry point; ``summary(snap)`` what fleet drift
compares; ``run(argv)`` runs it on its own (``--params JSON``).
"""

from __future__ import annotations

from .params import ARGUMENT_SPEC, BadParams, standalone_params
from .reader import snapshot, summary
from .standalone import encode, run

__all__ = [
    "ARGUMENT_SPEC",
    "BadParams",
    "encode",
    "run",
    "snapshot",
    "standalone_params",
    "summary",
]
