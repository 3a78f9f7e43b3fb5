"""Reclaim: remove the layer and snapshot dirs nothing uses, each proven unused just before.

Standard library only (it runs on the managed hosts' python3, shipped with the
docker_storage_reclaim module). One unit per job:

- ``candidates``: the orphans of one snapshot (pure; the sets OVL-008 and CTD-004 report)
- ``proof``: whether anything uses a dir, read afresh from the host each time
- ``run``: one run: list, prove, remove what is proven again, record it on the host
"""

from __future__ import annotations

from .candidates import Refused, orphans
from .proof import prove
from .run import grace_seconds, reclaim

__all__ = ["Refused", "grace_seconds", "orphans", "prove", "reclaim"]
