"""The compliance command line.

  python -m layerwise compliance -i INVENTORY [--limit PATTERN] [--policy FILE]
      [--waivers FILE] [--out DIR] [--textfile PATH] [--previous FILE] [--top N] [--forks N]
  python -m layerwise inputs [--policy FILE] [--waivers FILE]      check them, print the policy
  python -m layerwise report --raw FILE [--policy ...] [--waivers ...] [--out DIR] [--textfile]

``compliance`` checks the inputs, runs layerwise.docker.compliance (which runs ``report``) and
exits with the report's code: 0 every check passed or is waived, 1 a check failed, 2 a host or
a check could not be checked, or the input is wrong.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

from . import collection, fleet, render
from .inputs import InputError, load_policy, load_waivers
from .usage import TOP
from .yamlfile import FileError

EXIT_BAD_INPUT = 2


class Parser(argparse.ArgumentParser):
    """Wrong arguments are one line on stderr and exit 2 (argparse prints the usage first)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message} (see {self.prog} --help)\n")


def positive(text: str) -> int:
    """A whole number of 1 or more, for argparse."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


EXIT_CODES = (
    "exit codes: 0 every check passed or is waived, 1 a check failed, 2 a host or a check "
    "could not be checked, or the input is wrong"
)


def parser() -> argparse.ArgumentParser:
    top = Parser(
        prog="layerwise",
        description="Judge Docker hosts' storage against a policy and write the reports.",
        epilog=EXIT_CODES,
    )
    sub = top.add_subparsers(dest="command", required=True)  # each a Parser, as its parent

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            epilog=EXIT_CODES,
        )

    def inputs(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--policy", type=Path, help="policy YAML (default: layerwise/policy/default.yml)"
        )
        p.add_argument("--waivers", type=Path, help="waivers YAML")

    def outputs(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--out",
            type=Path,
            default=Path("reports"),
            help="reports directory (default: ./reports)",
        )
        p.add_argument("--textfile", type=Path, help="also write the Prometheus textfile here")
        p.add_argument(
            "--previous",
            type=Path,
            help="an earlier compliance.json: growth per day and days until full (USE-005)",
        )
        p.add_argument(
            "--top",
            type=positive,
            default=TOP,
            help=f"largest writable layers, logs and fullest hosts listed (default {TOP})",
        )

    run = command("compliance", "check a fleet and write the reports")
    run.add_argument("-i", "--inventory", required=True, help="Ansible inventory")
    run.add_argument("--limit", default="all", help="host pattern (default: all)")
    inputs(run)
    outputs(run)
    run.add_argument("--forks", type=int, default=20, help="hosts checked at once (default 20)")
    run.add_argument(
        "--walk-layers",
        action="store_true",
        help="account for every byte: walk image layers and Docker's own records instead of"
        " taking the sizes Docker recorded (slower; USE-003 judges only such an account)",
    )
    inputs(command("inputs", "check the policy and waivers; print the policy"))
    report = command("report", "judge what hosts sent back, write the reports")
    report.add_argument("--raw", type=Path, required=True, help="compliance-raw.json")
    inputs(report)
    outputs(report)
    return top


def compliance(args: argparse.Namespace) -> int:
    started = time.monotonic()
    policy = load_policy(args.policy)  # a bad input stops here, before any host is contacted
    load_waivers(args.waivers, policy["waiver_max_days"])
    if args.previous:
        fleet.load_previous(args.previous)
    problem = inventory_problem(args.inventory)
    if args.out.exists() and not args.out.is_dir():
        problem = problem or f"--out {args.out} is not a directory (give the reports' directory)"
    if problem:
        raise InputError(problem)
    extra = {
        "layerwise_hosts": args.limit,
        "layerwise_reports": str(args.out.resolve()),
        "layerwise_policy_file": str(args.policy.resolve()) if args.policy else "",
        "layerwise_waivers_file": str(args.waivers.resolve()) if args.waivers else "",
        "layerwise_textfile": str(args.textfile.resolve()) if args.textfile else "",
        "layerwise_previous_file": str(args.previous.resolve()) if args.previous else "",
        "layerwise_top": str(args.top),
        "layerwise_walk_layers": "true" if args.walk_layers else "false",
    }
    result = args.out / "compliance.json"
    result.unlink(missing_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    given = args.out / ".compliance-extra-vars.yml"
    given.write_text(unsafe_vars(extra), encoding="utf-8")
    env = collection.ansible_env()
    playbook = Path(sys.executable).with_name("ansible-playbook")
    command = [
        str(playbook),
        "-i",
        args.inventory,
        f"{collection.NAME}.compliance",
        "--forks",
        str(args.forks),
        "-e",
        f"@{given}",
    ]
    log = args.out / "compliance-ansible.log"
    print(
        f"layerwise: checking '{args.limit}' of {args.inventory}, {args.forks} hosts at a time "
        f"(Ansible's log: {log})",
        flush=True,
    )
    try:
        with log.open("w") as handle:
            subprocess.run(command, env=env, stdout=handle, stderr=subprocess.STDOUT, check=False)
    except OSError as exc:  # no ansible-playbook beside this python: not installed with it
        print(f"layerwise: cannot run {playbook}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        given.unlink(missing_ok=True)
    if not result.exists():
        why = why_no_report(log, args)
        if why.startswith(UNKNOWN):  # no known cause: what Ansible said last, then the line
            tail = log.read_text(errors="replace").strip().splitlines()[-15:]
            print("layerwise: the end of Ansible's log:", file=sys.stderr)
            print("\n".join(fleet.printable(line) for line in tail), file=sys.stderr)
        print(f"layerwise: {why}", file=sys.stderr)
        return EXIT_BAD_INPUT
    built = json.loads(result.read_text())
    sys.stdout.write(render.terminal.render(built))
    print(f"layerwise: {time.monotonic() - started:.1f} s; reports in {args.out}/", flush=True)
    return int(built["exit_code"])


def report(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy)
    waivers = load_waivers(args.waivers, policy["waiver_max_days"])
    raw = fleet.load_raw(args.raw)
    previous = fleet.load_previous(args.previous) if args.previous else None
    built = fleet.report(raw, policy, waivers, previous=previous, top=args.top)
    render.write_all(built, args.out, args.textfile)
    sys.stdout.write(render.terminal.render(built))
    return int(built["exit_code"])


def unsafe_vars(values: dict[str, str]) -> str:
    """An extra-vars file (``-e @file``) giving each value to Ansible literally: tagged
    ``!unsafe``, a value is never templated ("{{ lookup('pipe', ...) }}" in --limit stays those
    characters); a JSON string is a YAML double-quoted scalar."""
    return "".join(f"{key}: !unsafe {json.dumps(value)}\n" for key, value in values.items())


def inventory_problem(inventory: str) -> str:
    """Why ``inventory`` cannot be an Ansible inventory, or '' (a file or directory that
    exists, or a comma-separated host list as ansible-playbook -i takes)."""
    if "," in inventory or Path(inventory).exists():
        return ""
    return f"the inventory {inventory} does not exist (give a file, a directory, or 'host1,host2,')"


# what Ansible's log says when the inventory gave no host to check, and what that means
UNKNOWN = "the run wrote no report"
NO_HOSTS = (
    "provided hosts list is empty",
    "Could not match supplied host pattern",
    "The inventory has no host matching",
)


def why_no_report(log: Path, args: argparse.Namespace) -> str:
    """The last line of a run that wrote no report: its cause, where Ansible's log names one."""
    text = log.read_text(errors="replace")
    # an inventory Ansible cannot parse leaves it no hosts: that is the cause, said first
    unparsed = re.search(r"(?:Failed to parse|Unable to parse) [^\n]*", text)
    if unparsed or "not a valid YAML" in text:
        said = fleet.printable(unparsed.group(0)[:160]) if unparsed else "not a valid YAML"
        return f"Ansible could not parse the inventory {args.inventory} ({said}; its log: {log})"
    if any(words in text for words in NO_HOSTS):
        return f"no host of {args.inventory} matches --limit {args.limit!r}: nothing was checked"
    return f"{UNKNOWN}; its log: {log}"


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "inputs":
            policy = load_policy(args.policy)
            load_waivers(args.waivers, policy["waiver_max_days"])
            print(json.dumps(policy))
            return 0
        if args.command == "report":
            return report(args)
        return compliance(args)
    except (InputError, FileError) as exc:
        print(f"layerwise: the input is wrong, nothing was checked:\n{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except render.WriteError as exc:
        print(f"layerwise: {exc}; the reports there before are kept", file=sys.stderr)
        return EXIT_BAD_INPUT
