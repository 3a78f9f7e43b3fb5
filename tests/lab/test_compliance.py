"""Fleet compliance on the lab: three hosts, one clean, one made non-compliant on purpose, one
stopped. The report names exactly the failures made, the stopped host as not checkable, and
exits 2; a waiver waives, an expired one does not; the playbook gives the same verdicts; the
HTML report renders in a real browser.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from .conftest import ROOT, shell

LAB_INVENTORY = ROOT / "inventories/lab/hosts.yml"
ORPHAN = "0" * 64
ORPHAN_LINK = "LAYERWISETESTORPHANAAAAAAA"
MADE = ["OVL-008", "CFG-006", "CFG-017"]  # orphan dir, daemon.json 0664, live-restore pending
REPORTS = ROOT / "reports"
CHROMIUM = [
    "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

BREAK = f"""set -e
chmod 0664 /etc/docker/daemon.json
python3 - <<'PY'
import json
path = "/etc/docker/daemon.json"
config = json.load(open(path))
config["live-restore"] = True
open(path, "w").write(json.dumps(config, indent=2))
PY
home=/var/lib/docker/overlay2
mkdir -m 0710 $home/{ORPHAN} $home/{ORPHAN}/diff
printf {ORPHAN_LINK} > $home/{ORPHAN}/link
ln -s ../{ORPHAN}/diff $home/l/{ORPHAN_LINK}
"""

REPAIR = f"""set -e
python3 - <<'PY'
import json
path = "/etc/docker/daemon.json"
config = json.load(open(path))
config.pop("live-restore", None)
open(path, "w").write(json.dumps(config, indent=2))
PY
chmod 0644 /etc/docker/daemon.json
rm -rf /var/lib/docker/overlay2/{ORPHAN} /var/lib/docker/overlay2/l/{ORPHAN_LINK}
"""


def docker_sh(host: str, script: str) -> None:
    done = subprocess.run(
        ["docker", "exec", "-i", host, "bash"], input=script, text=True, capture_output=True
    )
    assert done.returncode == 0, done.stderr


def lab_hosts() -> list[str]:
    """The lab's hosts, as make lab wrote them: <prefix>-1, -2, -3."""
    hosts = yaml.safe_load(LAB_INVENTORY.read_text())["lab"]["hosts"]
    return sorted(hosts, key=lambda name: int(name.rsplit("-", 1)[1]))


class Lab(NamedTuple):
    clean: str
    broken: str
    stopped: str


@pytest.fixture(scope="module")
def lab(made_lab: tuple[int, str]) -> Iterator[Lab]:
    """The lab as make lab leaves it, then host 2 broken on purpose and host 3 stopped."""
    rc, out = made_lab
    assert rc == 0, out[-3000:]
    hosts = Lab(*lab_hosts()[:3])
    docker_sh(hosts.broken, BREAK)
    subprocess.run(["docker", "stop", hosts.stopped], check=True, capture_output=True)
    yield hosts
    docker_sh(hosts.broken, REPAIR)
    # start host 3 again and wait until it has booted (role lab_hosts)
    extra = json.dumps({"names": [hosts.stopped], "state": "present"})
    rc, out = shell(f".venv/bin/ansible-playbook tests/lab/boot_host.yml -e '{extra}'", 900)
    assert rc == 0, out[-3000:]


def compliance(*args: str) -> tuple[int, str, dict[str, Any]]:
    report = REPORTS / "compliance.json"
    report.unlink(missing_ok=True)
    rc, out = shell(
        " ".join([".venv/bin/python -m layerwise compliance -i inventories/lab", *args]), 900
    )
    return rc, out, json.loads(report.read_text()) if report.exists() else {}


def verdicts(report: dict[str, Any]) -> dict[str, Any]:
    return {
        h["name"]: (h["status"], {o["id"]: o["status"] for o in h["results"]})
        for h in report["hosts"]
    }


def failed(report: dict[str, Any], host: str) -> list[str]:
    entry = next(h for h in report["hosts"] if h["name"] == host)
    return [o["id"] for o in entry["results"] if o["status"] == "fail"]


Run = tuple[int, str, dict[str, Any]]


@pytest.fixture(scope="module")
def run(lab: Lab) -> Run:
    return compliance()


def test_the_report_names_exactly_what_was_broken(lab: Lab, run: Run) -> None:
    rc, out, report = run
    assert rc == 2, out
    assert failed(report, lab.clean) == []
    assert failed(report, lab.broken) == MADE
    statuses = {h["name"]: h["status"] for h in report["hosts"]}
    assert statuses == {lab.clean: "checked", lab.broken: "checked", lab.stopped: "error"}
    stopped = next(h for h in report["hosts"] if h["name"] == lab.stopped)
    assert stopped["reason"].endswith("is not running"), stopped["reason"]
    cannot = [
        o["id"] for h in report["hosts"] for o in h["results"] if o["status"] == "cannot_check"
    ]
    assert cannot == []
    assert f"NOT CHECKED  {lab.stopped}" in out
    assert "fix:" in out


def test_a_waiver_waives_and_an_expired_one_fails_again(lab: Lab, tmp_path: Path) -> None:
    live = (dt.date.today() + dt.timedelta(days=30)).isoformat()  # within waiver_max_days
    for expires, status in ((live, "waived"), ("2020-01-31", "fail")):
        waivers = tmp_path / f"waivers-{expires}.yml"
        waivers.write_text(
            f"waivers:\n  - check: CFG-006\n    hosts: [{lab.broken}]\n    justification: test\n"
            f"    expires: {expires}\n    approved_by: tests/lab\n"
        )
        rc, out, report = compliance("--waivers", str(waivers))
        assert rc == 2, out
        outcome = verdicts(report)[lab.broken][1]["CFG-006"]
        assert outcome == status, out
    assert f"waiver for {lab.broken} expired on 2020-01-31" in out


def test_the_playbook_gives_the_same_verdicts(run: Run) -> None:
    rc, out = shell(
        ".venv/bin/ansible-playbook -i inventories/lab layerwise.docker.compliance", timeout=900
    )
    assert rc != 0, "the playbook must fail when checks fail"
    report = json.loads((REPORTS / "compliance.json").read_text())
    assert verdicts(report) == verdicts(run[2])
    assert "Fail unless every check passed or is waived" in out


def test_bad_waivers_stop_the_run_before_any_host(lab: Lab, tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yml"
    waivers.write_text("waivers:\n  - check: CFG-999\n    hosts: [x]\n")
    log = REPORTS / "compliance-ansible.log"
    log.unlink(missing_ok=True)
    rc, out, report = compliance("--waivers", str(waivers))
    assert rc == 2
    assert report == {}
    assert f"{waivers}:2: check 'CFG-999' is not a layerwise check id" in out
    assert not log.exists(), "Ansible ran although the input was wrong"


def test_the_html_report_renders_in_a_browser(run: Run) -> None:
    page = (REPORTS / "compliance.html").as_uri()
    profile = REPORTS / ".chromium-profile"
    base = [*CHROMIUM, f"--user-data-dir={profile}", "--window-size=1400,1000"]
    dom = subprocess.run([*base, "--dump-dom", page], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr
    html = dom.stdout
    assert 'id="verdict">ERROR (exit 2)' in html
    for check in MADE:
        assert f"<td>{check}</td><td>fail</td>" in html
    # the filters ran: passed outcomes are hidden, failed ones shown
    assert 'class="outcome pass hidden"' in html
    assert 'class="outcome fail hidden"' not in html
    assert "not checked (error)" in html
    assert "is not running" in html
    # where the disk went: a bar for each host that was read, its image layers drawn
    assert html.count('<div class="bar">') == 2, html[html.find('id="disk"') :][:2000]
    assert html.count('data-kind="image_layers_shared"') == 2
    shot = REPORTS / "compliance.png"
    shot.unlink(missing_ok=True)
    done = subprocess.run([*base, f"--screenshot={shot}", page], capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert shot.stat().st_size > 10_000
