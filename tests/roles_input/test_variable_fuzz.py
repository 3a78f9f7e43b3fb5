"""Every variable of every role, fuzzed: a wrong type and a malformed or out-of-range value of
the right type each fail in the role's argument validation (meta/argument_specs.yml) or in its
validate step (tasks/validate.yml), with a message that names the variable, before any change.

The variables and their types come from each role's meta/argument_specs.yml. The wrong type is
generated from the declared type, choosing a value Ansible does not coerce into a valid one (a
str takes a list as its text, a list splits a comma string, a bool takes yes/no/1/0, an int
takes "10"); the malformed values of the right type are in MALFORMED, one entry per variable,
and a test keeps MALFORMED and the specs the same set of variables.

No host is needed and nothing can change: one ansible-playbook run includes each case's role
on a fake host of its own (the bad value is that host's variable) whose connection is refused
(ssh to 127.0.0.1 port 1). Argument validation and validate.yml run on the controller (assert,
set_fact), so a refused value fails there; a value the role accepts reaches the first task that
needs the host and comes back UNREACHABLE: a validation gap. One baseline host per role, with
the defaults, must come back UNREACHABLE, which proves the harness can see a gap.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from layerwise.collection import HOME as COLLECTION

ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = ROOT / ".venv/bin/ansible-playbook"
# each role by the name a playbook gives it: the collection's by FQCN, the lab's by its own
ROLES = ("docker_engine", "docker_storage", "docker_reclaim", "sample_images", "lab_hosts")
FQCN = {r: f"layerwise.docker.{r}" for r in ("docker_engine", "docker_storage", "docker_reclaim")}


def role_dir(role: str) -> Path:
    return COLLECTION / "roles" / role if role in FQCN else ROOT / "roles" / role


def options_of(role: str) -> dict[str, dict[str, Any]]:
    specs = yaml.safe_load((role_dir(role) / "meta/argument_specs.yml").read_text())
    return specs["argument_specs"]["main"]["options"]


OPTIONS = {role: options_of(role) for role in ROLES}

# Variables a case of the role needs besides its bad one (required ones without a default).
CONTEXT: dict[str, dict[str, Any]] = {
    "lab_hosts": {"lab_hosts_names": ["layerwise-fuzz-1"]},
}


def wrong_type(spec: dict[str, Any]) -> Any:
    """A value of another type that Ansible's argument spec does not coerce into a valid one.

    A str takes anything as its text, so it gets a list: "['...']" is neither a choice nor a
    path, a size, a URL or a name. A list gets a mapping (a string would be split on commas,
    a number wrapped). A bool gets a word that is not yes/no/true/false/on/off/1/0. An int gets
    a word (a string of digits would be converted). A dict gets a list.
    """
    kind = spec["type"]
    if kind == "str":
        return [spec.get("default") or "x"]
    if kind == "list":
        return {"fuzz": spec.get("default")}
    if kind == "bool":
        return "maybe"
    if kind == "int":
        return "ninety"
    if kind == "dict":
        return ["fuzz"]
    raise AssertionError(f"no wrong type for type {kind}")


# Malformed or out-of-range values of the right type, per variable. A bool has none: every
# bool is valid.
MALFORMED: dict[str, list[Any]] = {
    # docker_engine
    "docker_engine_source": ["apt"],
    "docker_engine_packages_distro": [[], ["docker io"], [{"name": "docker.io"}]],
    "docker_engine_packages_docker": [[], ["docker-ce", ""]],
    "docker_engine_packages_pinned": [[], ["docker.io", "nginx"]],
    "docker_engine_pin_suite": ["", "Testing", "../testing"],
    "docker_engine_pin_mirror": ["", "deb.debian.org/debian", "http://deb.debian.org/debian /x"],
    "docker_engine_pin_packages": [[], ["docker.io", 5]],
    "docker_engine_pin_check_valid_until": [],
    "docker_engine_package_state": ["absent"],
    "docker_engine_repo_url": ["", "download.docker.com/linux"],
    "docker_engine_repo_channel": ["nightly"],
    "docker_engine_service_enabled": [],
    "docker_engine_service_state": ["restarted"],
    "docker_engine_users": [[""], ["Bad User"]],
    "docker_engine_apt_cache_valid_time": [-1],
    # docker_storage
    "docker_storage_driver": ["overlay3", "devicemapper"],
    "docker_storage_image_store": ["zfs"],
    "docker_storage_containerd_root": ["", "var/lib/containerd", "/"],
    "docker_storage_opts": [["size=20G"], [""]],
    "docker_storage_data_root": ["", "docker", "/", "/var/..", "//"],
    "docker_storage_fstype": ["btrfs"],
    "docker_storage_device": ["vdb", "/dev/"],
    "docker_storage_loop_file": ["docker.img", "/var/lib/docker/docker.img", "/var/lib/layerwise/"],
    "docker_storage_loop_size": ["lots", "0G", "10GB", "", "10g", "010G"],
    "docker_storage_grow_filesystem": [],
    "docker_storage_mount_options": [[""], ["no atime"]],
    "docker_storage_mkfs_options": [[""], ["-n", "ftype=0"]],
    "docker_storage_force_format": [],
    "docker_storage_allow_driver_change": [],
    "docker_storage_allow_image_store_change": [],
    "docker_storage_migrate_images": [],
    "docker_storage_migrate_images_max_size": ["lots", "0", ""],
    "docker_storage_allow_data_root_change": [],
    "docker_storage_migrate_data_root": [],
    "docker_storage_migrate_keep_old": [],
    "docker_storage_daemon_json": ["", "daemon.json", "/etc/docker/"],
    "docker_storage_log_max_size": ["50", "50M", "0m", "-1", "1.5g", " 50m", "50mb"],
    "docker_storage_log_max_file": [-1, 3],  # 3 without docker_storage_log_max_size
    "docker_storage_restart_timeout": [0, -5],
    "docker_storage_verify": [],
    # docker_reclaim
    "docker_reclaim_remove": [],
    "docker_reclaim_grace": ["", "1", "1w", "-1h", "1.5h", "1h30m"],
    "docker_reclaim_prune": [["volumes"], ["images", "everything"]],
    "docker_reclaim_prune_until": ["", "7", "1y"],
    "docker_reclaim_record_dir": ["", "reclaim", "/"],
    "docker_reclaim_data_root": ["docker", "/", "/var/.."],
    "docker_reclaim_docker_host": ["", "docker.sock", "http//x", "unix://"],
    # sample_images
    "sample_images_state": ["built"],
    "sample_images_base_image": ["", "Layerwise/Sample-Base", "a b"],
    "sample_images_base_archive": ["sample-base.tar", "/var/tmp/"],
    "sample_images_build_dir": ["", "tmp/samples", "/"],
    "sample_images_images": [
        [{"name": "layerwise/sample-web:latest"}],
        [{"name": "layerwise/sample-web:latest", "context": "nope"}],
        [{"name": "Bad Name", "context": "web"}],
        [{"name": "layerwise/sample-web:latest", "context": "../web"}],
        ["web"],
    ],
    "sample_images_containers": [
        [{"name": "layerwise-sample-web"}],
        [{"name": "bad name", "image": "layerwise/sample-web:latest"}],
        [{"name": "layerwise-sample-web", "image": ""}],
        ["layerwise-sample-web"],
    ],
    "sample_images_network": ["", "two words"],
    "sample_images_label": ["", "has space", "a=b"],
    # lab_hosts
    "lab_hosts_names": [[], ["bad name"], [""], [{"name": "lab-1"}]],
    "lab_hosts_state": ["running"],
    "lab_hosts_suite": ["", "Bookworm", "../bookworm"],
    "lab_hosts_mirror": ["", "deb.debian.org/debian"],
    "lab_hosts_base_image": ["", "Layerwise/Debian", "a b"],
    "lab_hosts_image": ["", "Layerwise/Labhost"],
    "lab_hosts_sample_base_image": ["", "a b"],
    "lab_hosts_archive_dir": ["", "var/tmp/layerwise", "/"],
    "lab_hosts_rebuild": [],
    "lab_hosts_data_dir": ["", "var/lib/layerwise", "/"],
    "lab_hosts_label": ["", "has space", "a=b"],
    "lab_hosts_inventory_file": ["hosts.yml", "/tmp/"],
    "lab_hosts_inventory_group": ["", "lab hosts", "1lab"],
    "lab_hosts_inventory_hosts": [{"bad name": {}}, {"lab-1": "not a mapping"}],
    "lab_hosts_boot_timeout": [0, -1],
}


@dataclass(frozen=True)
class Case:
    id: str
    role: str
    variable: str  # "" for a role's baseline
    value: Any = None
    hostvars: dict[str, Any] = field(default_factory=dict)


def cases() -> list[Case]:
    found = []
    for role in ROLES:
        context = CONTEXT.get(role, {})
        found.append(Case(f"{role}-defaults", role, "", hostvars=dict(context)))
        for name, spec in OPTIONS[role].items():
            values = [("wrong-type", wrong_type(spec))]
            values += [(json.dumps(v), v) for v in MALFORMED.get(name, [])]
            for label, value in values:
                hostvars = {**context, name: value}
                found.append(Case(f"{name}={label}", role, name, value, hostvars))
    return found


CASES = cases()

# What may run on a case's host before it fails: controller-side actions that change nothing.
HARMLESS = {
    "ansible.builtin.validate_argument_spec",
    "ansible.builtin.assert",
    "ansible.builtin.set_fact",
    "ansible.builtin.include_role",
    "ansible.builtin.include_tasks",
}
ARGUMENT_VALIDATION = "ansible.builtin.validate_argument_spec"

PLAYBOOK = """\
- name: The facts docker_engine checks, without contacting its hosts
  hosts: docker_engine
  gather_facts: false
  tasks:
    - name: A Debian host
      ansible.builtin.set_fact:
        os_family: Debian
        cacheable: true

- name: Each case's role on its own unreachable host
  hosts: all
  gather_facts: false
  tasks:
    - name: The case's role
      ansible.builtin.include_role:
        name: "{{ fuzz_role }}"
"""


@dataclass
class Outcome:
    """What happened on a case's host: the tasks that ran, and where it stopped."""

    ran: list[tuple[str, str, str]] = field(default_factory=list)  # (action, task, path)
    stopped: str = ""  # "failed", "unreachable" or "" (it completed)
    task: str = ""
    path: str = ""
    action: str = ""
    message: str = ""
    changed: bool = False


def inventory_of(hosts: dict[str, Case]) -> dict[str, Any]:
    """Each case a host with its role and bad value, all refused at ssh's door."""
    return {
        "all": {
            "vars": {
                "ansible_connection": "ssh",
                "ansible_host": "127.0.0.1",
                "ansible_port": 1,  # refused at once: nothing listens there
                "ansible_python_interpreter": "/usr/bin/python3",
            },
            "hosts": {
                h: {"fuzz_role": FQCN.get(c.role, c.role), **c.hostvars} for h, c in hosts.items()
            },
            "children": {
                role: {"hosts": {h: None for h, c in hosts.items() if c.role == role}}
                for role in ROLES
            },
        }
    }


def record(outcome: Outcome, task: dict[str, Any], result: dict[str, Any]) -> None:
    """Adds a task's result on a host to what happened there, up to where it stopped."""
    if outcome.stopped or result.get("skipped"):
        return
    action = result.get("action", "")
    outcome.ran.append((action, task["name"], task.get("path", "")))
    outcome.changed |= bool(result.get("changed"))
    if result.get("unreachable") or result.get("failed"):
        outcome.stopped = "unreachable" if result.get("unreachable") else "failed"
        outcome.task = task["name"]
        outcome.path = task.get("path", "")
        outcome.action = action
        outcome.message = failure_message(result)


def failure_message(result: dict[str, Any]) -> str:
    messages = [str(result.get("msg", ""))]
    items = result.get("results", [])
    messages += [str(item.get("msg", "")) for item in items if item.get("failed")]
    return "\n".join(messages)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    work = tmp_path_factory.mktemp("fuzz")
    hosts = {f"case-{i:03d}": case for i, case in enumerate(CASES)}
    (work / "play.yml").write_text(PLAYBOOK)
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_HOME": str(work / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(work / "tmp"),
        "ANSIBLE_SSH_CONTROL_PATH_DIR": str(work / "cp"),
        "ANSIBLE_SSH_RETRIES": "0",
    }
    # one run per core, each with its share of the hosts: the controller's own process, which
    # templates every task for every host, is what takes the time
    shards = max(1, min(4, os.cpu_count() or 1))
    runs = []
    for shard in range(shards):
        mine = {h: c for i, (h, c) in enumerate(hosts.items()) if i % shards == shard}
        inventory = work / f"hosts-{shard}.yml"
        inventory.write_text(yaml.safe_dump(inventory_of(mine)))
        runs.append(
            subprocess.Popen(
                [
                    str(ANSIBLE_PLAYBOOK),
                    "-i",
                    str(inventory),
                    str(work / "play.yml"),
                    "--forks",
                    "50",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    found = {h: Outcome() for h in hosts}
    for run in runs:
        stdout, stderr = run.communicate(timeout=300)
        assert stdout.lstrip().startswith("{"), stderr[-3000:]
        for play in json.loads(stdout)["plays"]:
            for task in play["tasks"]:
                for host, result in task["hosts"].items():
                    record(found[host], task["task"], result)
    return {hosts[h].id: outcome for h, outcome in found.items()}


def test_every_variable_of_every_role_has_malformed_values() -> None:
    variables = {name for options in OPTIONS.values() for name in options}
    assert set(MALFORMED) == variables, "MALFORMED and the roles' argument_specs differ"
    for role, options in OPTIONS.items():
        for name, spec in options.items():
            assert spec["type"] == "bool" or MALFORMED[name], f"{role}: {name} has no bad value"


@pytest.mark.parametrize("case", [c for c in CASES if not c.variable], ids=lambda c: c.id)
def test_defaults_pass_validation_and_reach_the_host(
    case: Case, outcomes: dict[str, Outcome]
) -> None:
    outcome = outcomes[case.id]
    assert outcome.stopped == "unreachable", (outcome.task, outcome.message)
    assert not outcome.changed
    assert {action for action, _, _ in outcome.ran[:-1]} <= HARMLESS, outcome.ran


@pytest.mark.parametrize("case", [c for c in CASES if c.variable], ids=lambda c: c.id)
def test_bad_value_is_refused_naming_the_variable(case: Case, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.id]
    assert outcome.stopped != "unreachable", (
        f"{case.variable}={case.value!r} was accepted: the role went on to "
        f"'{outcome.task}' on the host"
    )
    assert outcome.stopped == "failed", f"{case.variable}={case.value!r}: the role completed"
    validate = str(role_dir(case.role) / "tasks/validate.yml")
    assert outcome.action == ARGUMENT_VALIDATION or outcome.path.startswith(validate + ":"), (
        f"refused by '{outcome.task}' ({outcome.path}), not by argument validation or "
        f"{case.role}'s validate.yml: {outcome.message}"
    )
    assert case.variable in outcome.message, outcome.message
    # before any change: only controller-side checks ran before the refusal
    assert not outcome.changed
    assert {action for action, _, _ in outcome.ran} <= HARMLESS, outcome.ran
