"""The layerwise command's own runs of ansible-playbook, on inventories that give it no host to
contact (no Docker, no host): an inventory that does not parse is named as the cause, and
--limit is taken literally, never templated. The rest of the command is proven in-process by
tests/unit/test_cli.py and test_hostile_results.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.unit.conftest import ROOT
from tests.unit.test_hostile_results import run


def test_an_inventory_that_does_not_parse_is_named_in_one_line(tmp_path: Path) -> None:
    """One ansible-playbook run, no host contacted: Ansible's cause, not 'no host matches'."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  hosts: [web-1\n")
    done = run("compliance", "-i", str(inventory), "--out", str(tmp_path / "r"), cwd=tmp_path,
               timeout=120)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(
        f"layerwise: Ansible could not parse the inventory {inventory} (Failed to parse"
    ), done.stderr


def test_the_limit_is_taken_literally_never_templated(tmp_path: Path) -> None:
    """--limit "{{ 'h1' }}" names no host of 'h1,': templated, it would be h1 (and a
    lookup('pipe', ...) there would run on this machine). One ansible-playbook run, no host
    contacted: the inventory has no host matching those characters."""
    out, home = tmp_path / "reports", tmp_path / "home"
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "layerwise", "compliance", "-i", "h1,", "--limit", "{{ 'h1' }}",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last == "layerwise: no host of h1, matches --limit \"{{ 'h1' }}\": nothing was checked"
    assert sorted(p.name for p in out.iterdir()) == ["compliance-ansible.log"]  # no report
