"""The reader run on its own: ``--params JSON`` in, the snapshot as one JSON document out.

Bad parameters give one line for stderr and exit code 2, before anything is read. The zipapp's
``__main__`` (layerwise.shipping) prints what ``run`` returns and exits with its code.
"""

from __future__ import annotations

import json

from .params import BadParams, standalone_params
from .reader import snapshot


def run(argv: list[str]) -> tuple[int, str, str]:
    """The snapshot that ``argv`` (``[prog, "--params", JSON]``) asks for, as
    (exit code, stdout, stderr)."""
    try:
        params = standalone_params(argv)
    except BadParams as exc:
        return 2, "", f"overlay2_facts: {exc}\n"
    # no cycles in a snapshot: the encoder need not look for them
    return 0, json.dumps(snapshot(params), check_circular=False) + "\n", ""
