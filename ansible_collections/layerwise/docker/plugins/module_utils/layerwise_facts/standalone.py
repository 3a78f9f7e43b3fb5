"""The reader run on its own: ``--params JSON`` in, the snapshot as one JSON document out.

Bad parameters print one line on stderr and exit 2, before anything is read.
"""

from __future__ import annotations

import json
import sys

from .params import BadParams, standalone_params
from .reader import snapshot


def main(argv: list[str]) -> None:
    """Print the snapshot that ``argv`` (``[prog, "--params", JSON]``) asks for."""
    try:
        params = standalone_params(argv)
    except BadParams as exc:
        print(f"overlay2_facts: {exc}", file=sys.stderr)
        sys.exit(2)
    # no cycles in a snapshot: the encoder need not look for them
    print(json.dumps(snapshot(params), check_circular=False))
