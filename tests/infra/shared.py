"""What the host suite's modules share: the sample role's files and what Docker writes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_ROLE = ROOT / "roles/sample_images"

Snapshot = dict[str, Any]
# what Docker puts in every container's -init layer, and their kinds
INIT_FILES = {
    ".dockerenv": "file",
    "etc/hosts": "file",
    "etc/hostname": "file",
    "etc/resolv.conf": "file",
    "dev/console": "file",
    "etc/mtab": "symlink",
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
