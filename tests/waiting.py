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


def step_to(
    command: list[str], env: dict[str, str], log: Path, task: str, timeout: float = 600
) -> subprocess.Popen[bytes]:
    """Start ``command`` (an ansible-playbook) with --step, answer yes to every task up to
    ``task`` (its name, as "role : name") and leave it waiting for that answer, in a process
    group of its own: a SIGKILL of the group then cuts the run exactly after the task before
    ``task``, however fast or slow the host is. The caller kills the group."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "--step"],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    assert proc.stdin is not None
    answered = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        asked = STEP_PROMPT.findall(log.read_bytes())
        if len(asked) > answered:
            if asked[answered].decode() == task:
                return proc
            proc.stdin.write(b"y\n")
            proc.stdin.flush()
            answered += 1
        elif proc.poll() is not None:
            pytest.fail(f"the run ended before {task!r}:\n{log.read_text()[-3000:]}")
        else:
            time.sleep(0.05)
    pytest.fail(f"{task!r} not reached within {timeout} s:\n{log.read_text()[-3000:]}")
