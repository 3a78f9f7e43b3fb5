"""Shared by the lab suites: run a command on this machine, from a fresh shell."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# What a new login shell on a Debian machine has: no venv on PATH, no ANSIBLE_* variables.
FRESH_ENV = {
    "HOME": "/root",
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
    # the one setting passed on: a second lab beside another (make lab LAB_PREFIX=...)
    **({"LAB_PREFIX": os.environ["LAB_PREFIX"]} if os.environ.get("LAB_PREFIX") else {}),
}


def shell(command: str, timeout: float) -> tuple[int, str]:
    """Run ``command`` with bash in the repository from a fresh environment -> (rc, output)."""
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=FRESH_ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout


def lab_host(name: str, state: str, suite: str = "bookworm") -> None:
    """A lab host of its own for a test (tests/lab/boot_host.yml) on Debian ``suite``:
    ``present``, ``absent``, or ``fresh`` (present, with what an earlier run killed midway
    left of it, container and data volume, removed first)."""
    extra = json.dumps({"names": [name], "state": state, "suite": suite})
    rc, out = shell(f".venv/bin/ansible-playbook tests/lab/boot_host.yml -e '{extra}'", timeout=900)
    assert rc == 0, out


@pytest.fixture(scope="session")
def made_lab() -> tuple[int, str]:
    """``make lab`` as README prints it, run once from a fresh shell -> (rc, output): the
    compliance lab starts from it, and README's test of the command reads this same run."""
    return shell("make lab", timeout=1800)
