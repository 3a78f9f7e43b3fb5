"""The reader run on its own: ``--params JSON`` in, the snapshot as one JSON document out.

Bad parameters give one line for stderr and exit code 2, before anything is read. The zipapp's
``__main__`` (layerwise.shipping) prints what ``run`` returns and exits with its code.
"""

from __future__ import annotations

import json
from typing import Any

from .params import BadParams, standalone_params
from .reader import snapshot


def run(argv: list[str]) -> tuple[int, str, str]:
    """The snapshot that ``argv`` (``[prog, "--params", JSON]``) asks for, as
    (exit code, stdout, stderr)."""
    try:
        params = standalone_params(argv)
    except BadParams as exc:
        return 2, "", f"overlay2_facts: {exc}\n"
    return 0, encode(snapshot(params)) + "\n", ""


def encode(snap: dict[str, Any]) -> str:
    """The snapshot as the JSON document a host sends back: compact, keys in the reader's
    order (no indent, no sorting: both cost time on thousands of layers). A snapshot is a
    tree, no cycles: the encoder need not look for them."""
    return json.dumps(snap, check_circular=False)
