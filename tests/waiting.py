"""Waiting on a host's state and on a run's steps, shared by the host suites (tests/role,
tests/lab).

Every wait polls with a deadline and fails with what it waited for; none sleeps for a fixed
time.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

# ansible-playbook --step asks before each task: "Perform task: TASK: <role> : <name> ...";
# the same words followed by stars are the banner of the task it let run, not a question
STEP_PROMPT = re.compile(rb"Perform task: TASK: (.+?) \(N\)o/\(y\)es/\(c\)ontinue: (?!\*)")


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


def start(
    command: list[str], env: dict[str, str], log: Path, at: str = "", timeout: float = 600
) -> subprocess.Popen[bytes]:
    """Start ``command`` (an ansible-playbook) in a process group of its own, its output in
    ``log``, and return without waiting for it; the caller kills the group.

    With ``at`` (the start of a task's name, as "role : name") it runs with --step, every
    task before ``at`` answered yes, and is returned waiting for the answer that lets ``at``
    run: a
    SIGKILL of the group then cuts the run exactly after the task before, however fast or
    slow the host is.
    """
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "--step"] if at else command,
            stdin=subprocess.PIPE if at else subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    if not at:
        return proc
    assert proc.stdin is not None
    answered = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        asked = STEP_PROMPT.findall(log.read_bytes())
        if len(asked) > answered:
            if asked[answered].decode().startswith(at):
                return proc
            proc.stdin.write(b"y\n")
            proc.stdin.flush()
            answered += 1
        elif proc.poll() is not None:
            pytest.fail(f"the run ended before {at!r}:\n{log.read_text()[-3000:]}")
        else:
            time.sleep(0.05)
    pytest.fail(f"{at!r} not reached within {timeout} s:\n{log.read_text()[-3000:]}")
