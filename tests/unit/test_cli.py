"""The layerwise command in-process: its arguments and their defaults, what `compliance` hands
ansible-playbook and makes of what comes back, and what `report` and `inputs` do with the
policy and waivers. Ansible itself is replaced by a stand-in here (the real runs are in
test_hostile_results.py and the lab suite); what is proven is the command's own logic."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from layerwise import cli, collection, fleet

from . import snapshots as s
from .test_compliance import judged, noncompliant

POLICY = Path(cli.__file__).parent / "policy/default.yml"
FAILING = judged(noncompliant())


def raw(*hosts: dict[str, Any]) -> dict[str, Any]:
    """What layerwise.docker.compliance writes for these hosts (web-1, web-2, ...)."""
    return {"hosts": {f"web-{n}": host for n, host in enumerate(hosts, 1)}}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        ([], "layerwise: the following arguments are required: command"),
        (["frob"], "layerwise: argument command: invalid choice: 'frob'"),
        (["compliance"], "layerwise compliance: the following arguments are required: -i"),
        (["compliance", "-i", "h,", "--forks", "many"],
         "layerwise compliance: argument --forks: invalid int value: 'many'"),
    ],
    ids=["none", "unknown", "no-inventory", "forks-not-a-number"],
)  # fmt: skip
def test_a_wrong_argument_is_one_line_and_exit_2(
    args: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(args)
    assert stopped.value.code == 2
    prog = "layerwise compliance" if args[:1] == ["compliance"] else "layerwise"
    err = capsys.readouterr().err
    assert err.startswith(said), err
    assert err.endswith(f" (see {prog} --help)\n")
    assert err.count("\n") == 1


def test_the_defaults_and_types_of_compliance() -> None:
    args = cli.parser().parse_args(["compliance", "-i", "inv.yml"])
    assert vars(args) == {
        "command": "compliance", "inventory": "inv.yml", "limit": "all", "policy": None,
        "waivers": None, "out": Path("reports"), "textfile": None, "previous": None, "top": 10,
        "forks": 20, "walk_layers": False,
    }  # fmt: skip
    given = cli.parser().parse_args(
        ["compliance", "-i", "i", "--policy", "p.yml", "--waivers", "w.yml", "--forks", "3",
         "--textfile", "t.prom", "--out", "o"]
    )  # fmt: skip
    assert (given.policy, given.waivers, given.textfile, given.out) == tuple(
        Path(p) for p in ("p.yml", "w.yml", "t.prom", "o")
    )
    assert given.forks == 3


def test_report_takes_the_results_file_and_the_same_outputs() -> None:
    args = cli.parser().parse_args(["report", "--raw", "r.json"])
    assert vars(args) == {
        "command": "report", "raw": Path("r.json"), "policy": None, "waivers": None,
        "out": Path("reports"), "textfile": None, "previous": None, "top": 10,
    }  # fmt: skip


def test_extra_vars_are_given_to_ansible_literally() -> None:
    assert cli.unsafe_vars({"a": "x", "b": "{{ lookup('pipe', 'id') }}", "c": 'q"\n'}) == (
        'a: !unsafe "x"\nb: !unsafe "{{ lookup(\'pipe\', \'id\') }}"\nc: !unsafe "q\\"\\n"\n'
    )


@pytest.mark.parametrize("inventory", ["h1,", "h1,h2", "inventories/example"])
def test_an_inventory_that_exists_or_is_a_host_list_is_taken(
    inventory: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(cli.__file__).parents[1])
    assert cli.inventory_problem(inventory) == ""


def test_a_missing_inventory_is_named_with_the_fix(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yml")
    assert cli.inventory_problem(missing) == (
        f"the inventory {missing} does not exist (give a file, a directory, or 'host1,host2,')"
    )


@dataclass
class Ansible:
    """Stands in for ansible-playbook: records what it was given, writes a log and (unless
    told not to) the report the playbook's last task writes."""

    out: Path
    report: dict[str, Any] | None
    log: str = "PLAY RECAP\n"
    calls: list[dict[str, Any]] = field(default_factory=list)

    def run(self, command: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
        given = Path(command[-1].removeprefix("@"))
        self.calls.append(
            {
                "command": command,
                "env": kw["env"],
                "check": kw["check"],
                "stderr": kw["stderr"],
                "extra": given.read_text(encoding="utf-8"),
                "old report gone": not (self.out / "compliance.json").exists(),
            }
        )
        kw["stdout"].buffer.write(self.log.encode("utf-8", "surrogateescape"))
        if self.report is not None:
            (self.out / "compliance.json").write_text(json.dumps(self.report))
        return subprocess.CompletedProcess(command, 0)


@pytest.fixture
def ansible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Ansible, Path]:
    out = tmp_path / "deep" / "reports"
    stand_in = Ansible(out, fleet.report(raw(FAILING), fleet.checks.defaults(), []))
    monkeypatch.setattr(cli.subprocess, "run", stand_in.run)
    clock = iter([100.0, 103.25])
    monkeypatch.setattr(cli.time, "monotonic", lambda: next(clock))
    return stand_in, out


def test_compliance_runs_the_playbook_with_its_inputs_and_exits_with_the_verdict(
    ansible: tuple[Ansible, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    stand_in, out = ansible
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy.yml").write_text(POLICY.read_text())
    (tmp_path / "waivers.yml").write_text("waivers: []\n")
    rc = cli.main(
        ["compliance", "-i", "h1,h2,", "--limit", "web*", "--forks", "7", "--out", str(out),
         "--policy", "policy.yml", "--waivers", "waivers.yml", "--textfile", "t.prom"]
    )  # fmt: skip
    assert rc == 1  # FAILING fails a check
    [call] = stand_in.calls
    given = out / ".compliance-extra-vars.yml"
    assert call["command"] == [
        str(Path(sys.executable).with_name("ansible-playbook")), "-i", "h1,h2,",
        "layerwise.docker.compliance", "--forks", "7", "-e", f"@{given}",
    ]  # fmt: skip
    assert call["env"] == collection.ansible_env()
    assert call["check"] is False
    assert call["stderr"] == subprocess.STDOUT
    assert call["extra"] == (
        'layerwise_hosts: !unsafe "web*"\n'
        f'layerwise_reports: !unsafe "{out.resolve()}"\n'
        f'layerwise_policy_file: !unsafe "{tmp_path / "policy.yml"}"\n'
        f'layerwise_waivers_file: !unsafe "{tmp_path / "waivers.yml"}"\n'
        f'layerwise_textfile: !unsafe "{tmp_path / "t.prom"}"\n'
        'layerwise_previous_file: !unsafe ""\n'
        'layerwise_top: !unsafe "10"\n'
        'layerwise_walk_layers: !unsafe "false"\n'
    )
    assert not given.exists()  # the extra-vars file is removed after the run
    assert (out / "compliance-ansible.log").read_text() == "PLAY RECAP\n"
    shown = capsys.readouterr().out.splitlines()
    log = out / "compliance-ansible.log"
    assert (
        shown[0]
        == f"layerwise: checking 'web*' of h1,h2,, 7 hosts at a time (Ansible's log: {log})"
    )
    assert any(line.startswith("layerwise compliance: FAIL (exit 1)") for line in shown)
    assert shown[-1] == f"layerwise: 3.2 s; reports in {out}/"


def test_compliance_without_policy_or_waivers_gives_empty_paths_and_drops_an_old_report(
    ansible: tuple[Ansible, Path],
) -> None:
    stand_in, out = ansible
    out.mkdir(parents=True)
    (out / "compliance.json").write_text("{}")  # last run's: never taken for this run's
    stand_in.report = fleet.report(raw(judged(s.healthy())), fleet.checks.defaults(), [])
    assert cli.main(["compliance", "-i", "h1,", "--out", str(out)]) == 0
    [call] = stand_in.calls
    assert call["old report gone"]
    assert call["extra"].splitlines()[2:] == [
        'layerwise_policy_file: !unsafe ""',
        'layerwise_waivers_file: !unsafe ""',
        'layerwise_textfile: !unsafe ""',
        'layerwise_previous_file: !unsafe ""',
        'layerwise_top: !unsafe "10"',
        'layerwise_walk_layers: !unsafe "false"',
    ]


def test_a_run_that_writes_no_report_shows_the_end_of_the_log_and_exits_2(
    ansible: tuple[Ansible, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in, out = ansible
    stand_in.report = None
    stand_in.log = "".join(f"line {n}\n" for n in range(1, 21)) + "ERROR! \x1b[31mboom\n"
    assert cli.main(["compliance", "-i", "h1,", "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "layerwise: the end of Ansible's log:"
    assert err[1:16] == [*(f"line {n}" for n in range(7, 21)), "ERROR! ?[31mboom"]
    assert err[16:] == [
        f"layerwise: the run wrote no report; its log: {out / 'compliance-ansible.log'}"
    ]


def test_a_run_whose_log_names_the_cause_says_only_that(
    ansible: tuple[Ansible, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in, out = ansible
    stand_in.report = None
    stand_in.log = "[WARNING]: provided hosts list is empty, only localhost is available\n"
    assert cli.main(["compliance", "-i", "h1,", "--limit", "db", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        "layerwise: no host of h1, matches --limit 'db': nothing was checked\n"
    )


def test_no_ansible_playbook_beside_python_is_one_line(
    ansible: tuple[Ansible, Path], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    _, out = ansible

    def missing(command: list[str], **_: Any) -> None:
        raise FileNotFoundError(2, "No such file or directory", command[0])

    monkeypatch.setattr(cli.subprocess, "run", missing)
    assert cli.main(["compliance", "-i", "h1,", "--out", str(out)]) == 2
    playbook = Path(sys.executable).with_name("ansible-playbook")
    assert capsys.readouterr().err == (
        f"layerwise: cannot run {playbook}: No such file or directory\n"
    )
    assert not (out / ".compliance-extra-vars.yml").exists()


@pytest.mark.parametrize(
    ("inventory", "out_is_a_file", "said"),
    [
        ("nope.yml", False, "the inventory nope.yml does not exist"),
        ("h1,", True, "--out out is not a directory (give the reports' directory)"),
        ("nope.yml", True, "the inventory nope.yml does not exist"),  # the first problem
    ],
    ids=["no-inventory", "out-a-file", "both"],
)
def test_compliance_refuses_before_running_ansible(
    ansible: tuple[Ansible, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], inventory: str, out_is_a_file: bool, said: str,
) -> None:  # fmt: skip
    stand_in, _ = ansible
    monkeypatch.chdir(tmp_path)
    if out_is_a_file:
        Path("out").write_text("")
    assert cli.main(["compliance", "-i", inventory, "--out", "out"]) == 2
    assert stand_in.calls == []
    err = capsys.readouterr().err
    assert err.startswith(f"layerwise: the input is wrong, nothing was checked:\n{said}"), err


def test_a_waiver_beyond_the_policys_horizon_stops_every_command(
    ansible: tuple[Ansible, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in, out = ansible
    policy = tmp_path / "policy.yml"
    policy.write_text(POLICY.read_text().replace("waiver_max_days: 180", "waiver_max_days: 10"))
    assert "waiver_max_days: 10\n" in policy.read_text()
    waivers = tmp_path / "waivers.yml"  # within the default's 180 days, not the policy's 10
    waivers.write_text(
        "waivers:\n  - check: CFG-006\n    hosts: [web-1]\n    justification: j\n"
        f"    approved_by: ops\n    expires: {dt.date.today() + dt.timedelta(days=30)}\n"
    )
    inputs = ["--policy", str(policy), "--waivers", str(waivers)]
    raw_file = tmp_path / "raw.json"
    raw_file.write_text(json.dumps(raw(FAILING)))
    for command in (
        ["compliance", "-i", "h1,", "--out", str(out), *inputs],
        ["report", "--raw", str(raw_file), "--out", str(out), *inputs],
        ["inputs", *inputs],
    ):
        assert cli.main(command) == 2, command
        err = capsys.readouterr().err
        assert err.startswith("layerwise: the input is wrong, nothing was checked:\n"), err
        assert "further ahead than the policy's waiver_max_days allows" in err
    assert stand_in.calls == []


def test_report_judges_with_the_waivers_given_and_writes_the_textfile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw_file, out, textfile = tmp_path / "raw.json", tmp_path / "out", tmp_path / "lw.prom"
    raw_file.write_text(json.dumps(raw(FAILING)))
    args = ["report", "--raw", str(raw_file), "--out", str(out), "--textfile", str(textfile)]
    assert cli.main(args) == 1
    assert textfile.read_text().startswith("# HELP layerwise_")
    assert not (out / "compliance.prom").exists()  # the textfile is written there instead
    built = json.loads((out / "compliance.json").read_text())
    assert built["exit_code"] == 1
    assert "layerwise compliance: FAIL (exit 1)" in capsys.readouterr().out
    failed = sorted({r["id"] for r in built["hosts"][0]["results"] if r["status"] == "fail"})
    assert failed
    waivers = tmp_path / "waivers.yml"
    waivers.write_text(
        "waivers:\n"
        + "".join(
            f"  - check: {check}\n    hosts: [web-1]\n    justification: j\n"
            "    approved_by: ops\n    expires: 2030-01-01\n"
            for check in failed
        )
    )
    wide = tmp_path / "wide.yml"
    wide.write_text(POLICY.read_text().replace("waiver_max_days: 180", "waiver_max_days: 3650"))
    assert cli.main([*args, "--policy", str(wide), "--waivers", str(waivers)]) == 0
    built = json.loads((out / "compliance.json").read_text())
    assert {r["status"] for r in built["hosts"][0]["results"] if r["id"] in failed} == {"waived"}
    assert built["policy"]["waiver_max_days"] == 3650  # the policy given, as the report says


def test_inputs_prints_the_policy_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text(POLICY.read_text().replace("driver: overlay2", "driver: btrfs"))
    assert cli.main(["inputs", "--policy", str(policy)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == cli.load_policy(policy)
    assert printed["driver"] == "btrfs"


def test_reports_that_cannot_be_written_keep_the_old_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw_file, onto = tmp_path / "raw.json", tmp_path / "a-file"
    raw_file.write_text(json.dumps(raw(judged(s.healthy()))))
    onto.write_text("")
    assert cli.main(["report", "--raw", str(raw_file), "--out", str(onto)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("layerwise: cannot write the reports (")
    assert err.endswith("; the reports there before are kept\n")


@pytest.mark.parametrize(
    ("log", "said"),
    [
        (b"[WARNING]: provided hosts list is empty, only localhost is available",
         "no host of inv.yml matches --limit 'web*': nothing was checked"),
        (b"[WARNING]: Could not match supplied host pattern, ignoring: web*",
         "no host of inv.yml matches --limit 'web*': nothing was checked"),
        (b"[WARNING]:  * Failed to parse inv.yml with yaml plugin: ...\nUnable to parse inv.yml",
         "Ansible could not parse the inventory inv.yml"),
        (b"[WARNING]: Failed to parse inventory with 'auto' plugin: YAML parsing failed: x",
         "Ansible could not parse the inventory inv.yml (Failed to parse inventory with 'auto'"),
        (b"ERROR! something else", "the run wrote no report; its log: "),
        (b"ERROR! inv.yml is not a valid YAML document\n",
         "Ansible could not parse the inventory inv.yml (not a valid YAML; its log: "),
        (b"[WARNING]: Failed to parse " + b"x" * 300 + b"\n",
         "Ansible could not parse the inventory inv.yml (Failed to parse " + "x" * 144 + "; its"),
        (b"\xff\xfe not UTF-8 \xc3\n[WARNING]: Could not match supplied host pattern\n",
         "no host of inv.yml matches --limit 'web*': nothing was checked"),
    ],
    ids=["empty", "no-match", "unparsable", "unparsable-auto", "other", "not-valid-yaml",
         "long-cause-cut-at-160", "not-utf8"],
)  # fmt: skip
def test_the_cause_of_a_run_without_a_report(tmp_path: Path, log: bytes, said: str) -> None:
    path = tmp_path / "compliance-ansible.log"
    path.write_bytes(log)
    args = cli.parser().parse_args(["compliance", "-i", "inv.yml", "--limit", "web*"])
    assert cli.why_no_report(path, args).startswith(said)


def test_a_log_that_is_not_utf8_is_still_shown(
    ansible: tuple[Ansible, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in, out = ansible
    stand_in.report = None
    stand_in.log = "ERROR! caf\udce9\n"  # written back as the byte 0xe9: not UTF-8
    assert cli.main(["compliance", "-i", "h1,", "--out", str(out)]) == 2
    assert capsys.readouterr().err.splitlines()[1] == "ERROR! caf\ufffd"  # replaced, shown
