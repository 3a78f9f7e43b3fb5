"""Waiting on a host's state, shared by the host suites (tests/role, tests/lab).

Every wait polls with a deadline and fails with what it waited for; none sleeps for a fixed
time.
"""

from __future__ import annotations

import time
from typing import Any

import pytest


def wait_for(what: str, probe: Any, timeout: float = 120, interval: float = 0.5) -> Any:
    """Poll ``probe()`` until it returns something true; fail with ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not seen within {timeout} s")
        time.sleep(interval)
