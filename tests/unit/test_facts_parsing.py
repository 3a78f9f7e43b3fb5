"""Pure parsing in overlay2_facts: unit files, env files, engine info, xfs_info, mountinfo."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import (
    audit,
    dockerd,
    engine,
    mounts,
    reader,
)
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import (
    params as options,
)
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import (
    run as standalone,
)
from ansible_collections.layerwise.docker.plugins.modules import overlay2_facts as facts
from layerwise import shipping
from layerwise.collection import HOME as COLLECTION

DEBIAN_UNIT = """\
# /lib/systemd/system/docker.service
[Service]
EnvironmentFile=-/etc/default/docker
ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS
"""


def test_plain_unit_has_no_conflicts() -> None:
    assert dockerd.flag_conflicts(DEBIAN_UNIT, "") == []


def test_flag_in_environment_file_is_found_and_attributed() -> None:
    env = '# Docker options\nDOCKER_OPTS="--storage-driver=devicemapper --dns 8.8.8.8"\n'
    (conflict,) = dockerd.flag_conflicts(DEBIAN_UNIT, env)
    assert conflict["flag"] == "--storage-driver=devicemapper"
    assert conflict["key"] == "storage-driver"
    assert conflict["via"] == "$DOCKER_OPTS"


def test_dropin_replacing_execstart_is_what_counts() -> None:
    unit = (
        DEBIAN_UNIT
        + "\n# /etc/systemd/system/docker.service.d/override.conf\n[Service]\nExecStart=\n"
        + "ExecStart=/usr/bin/dockerd -H fd:// \\\n  --data-root /srv/docker -s overlay2\n"
    )
    found = dockerd.flag_conflicts(unit, 'DOCKER_OPTS="--storage-opt dm.basesize=20G"')
    assert [(c["flag"], c["key"]) for c in found] == [
        ("--data-root", "data-root"),
        ("-s", "storage-driver"),
    ]


def test_empty_execstart_resets_earlier_commands() -> None:
    unit = "ExecStart=/usr/bin/dockerd --graph /old\nExecStart=\n"
    assert dockerd.unit_exec_starts(unit) == []
    assert dockerd.flag_conflicts(unit) == []


def test_non_dockerd_commands_are_ignored() -> None:
    unit = "ExecStart=/usr/bin/other -s overlay2\nExecStartPre=/usr/bin/dockerd -s vfs\n"
    assert dockerd.flag_conflicts(unit) == []


def test_log_flags_are_found_apart_from_the_storage_flags() -> None:
    env = 'DOCKER_OPTS="--log-driver=json-file --log-opt max-size=10m -s overlay2"\n'
    logs = dockerd.command_flags(DEBIAN_UNIT, env, dockerd.LOG_FLAGS)
    assert [(f["flag"], f["key"], f["via"]) for f in logs] == [
        ("--log-driver=json-file", "log-driver", "$DOCKER_OPTS"),
        ("--log-opt", "log-opts", "$DOCKER_OPTS"),
    ]
    assert [c["key"] for c in dockerd.flag_conflicts(DEBIAN_UNIT, env)] == ["storage-driver"]
    assert dockerd.command_flags(DEBIAN_UNIT, "", dockerd.LOG_FLAGS) == []


@pytest.mark.parametrize(
    ("text", "ftype"),
    [
        ("naming   =version 2              bsize=4096   ascii-ci=0, ftype=1\n", 1),
        ("naming   =version 2              bsize=4096   ascii-ci=0, ftype=0\n", 0),
        ("meta-data=/dev/loop0 isize=512\n", None),
    ],
)
def test_xfs_ftype(text: str, ftype: int | None) -> None:
    assert mounts.xfs_ftype(text) == ftype


def test_storage_info_from_docker_info() -> None:
    info = {
        "ServerVersion": "26.1.5+dfsg1",
        "Driver": "overlay2",
        "DriverStatus": [
            ["Backing Filesystem", "extfs"],
            ["Supports d_type", "true"],
            ["Using metacopy", "false"],
        ],
        "DockerRootDir": "/var/lib/docker",
        "Images": 3,
        "Containers": 2,
        "LoggingDriver": "local",
    }
    found = engine.storage_info(info)
    assert found["logging_driver"] == "local"
    assert found["backing_filesystem"] == "extfs"
    assert found["d_type"] is True
    assert (found["images"], found["containers"]) == (3, 2)
    assert found["engine_version"] == "26.1.5+dfsg1"
    assert found["validate_supported"] is True


def test_storage_info_of_nothing_has_every_key() -> None:
    found = engine.storage_info(None)
    assert found["driver"] == ""
    assert found["d_type"] is None
    assert found["images"] == 0
    assert found["validate_supported"] is False
    assert found["logging_driver"] == ""


@pytest.mark.parametrize(
    ("version", "expected"),
    [("20.10.24+dfsg1", (20, 10, 24)), ("28.2.2", (28, 2, 2)), ("23.0.0-rc.1", (23, 0, 0))],
)
def test_version_tuple(version: str, expected: tuple[int, ...]) -> None:
    assert engine.version_tuple(version) == expected


def test_blkid_export_lines() -> None:
    out = "DEVNAME=/dev/loop3\nUUID=1234\nTYPE=ext4\nUSAGE=filesystem\n"
    assert mounts.kv_lines(out)["TYPE"] == "ext4"


def test_daemon_json_that_is_not_an_object(tmp_path) -> None:
    path = tmp_path / "daemon.json"
    path.write_text('["storage-driver"]')
    result = dockerd.read_daemon_json(str(path))
    assert result["content"] is None
    assert "not a JSON object" in result["error"]


def test_daemon_json_that_is_not_json(tmp_path) -> None:
    path = tmp_path / "daemon.json"
    path.write_text("{'storage-driver': 'overlay2'}")
    result = dockerd.read_daemon_json(str(path))
    assert result["content"] is None
    assert result["error"]


def test_missing_daemon_json_is_an_empty_object(tmp_path) -> None:
    path = str(tmp_path / "absent.json")
    result = dockerd.read_daemon_json(path)
    assert result == {"exists": False, "path": path, "content": {}, "error": ""}


HOME = "/var/lib/docker/overlay2"
MOUNTINFO = f"""\
25 1 259:1 / / rw,relatime shared:1 - ext4 /dev/root rw
88 25 7:0 / /var/lib/docker rw,noatime shared:40 - xfs /dev/loop0 rw,attr2,inode64,noquota
91 88 0:52 / {HOME}/abc/merged rw,relatime - overlay overlay \
rw,lowerdir=/var/lib/docker/overlay2/l/INIT:/var/lib/docker/overlay2/l/BASE,\
upperdir={HOME}/abc/diff,workdir={HOME}/abc/work
92 88 0:53 / {HOME}/def/merged rw,relatime - overlay overlay \
rw,lowerdir=l/INIT2:l/BASE,upperdir=def/diff,workdir=def/work
93 25 0:60 / /mnt/with\\040space rw - tmpfs tmpfs rw
"""


def test_mountinfo_lines() -> None:
    found = mounts.parse_mountinfo(MOUNTINFO)
    assert [m["mount_point"] for m in found][-1] == "/mnt/with space"
    data_root = found[1]
    assert (data_root["fstype"], data_root["source"]) == ("xfs", "/dev/loop0")
    # per-mount options first, then the filesystem's own, without repeats
    assert data_root["options"] == ["rw", "noatime", "attr2", "inode64", "noquota"]


def test_overlay_mounts_under_the_driver_home_with_relative_dirs_made_absolute() -> None:
    found = mounts.overlay_mounts(mounts.parse_mountinfo(MOUNTINFO), HOME)
    assert [m["mount_point"] for m in found] == [f"{HOME}/abc/merged", f"{HOME}/def/merged"]
    assert found[0]["lowerdir"] == [f"{HOME}/l/INIT", f"{HOME}/l/BASE"]
    assert found[1]["lowerdir"] == [f"{HOME}/l/INIT2", f"{HOME}/l/BASE"]
    assert (found[1]["upperdir"], found[1]["workdir"]) == (f"{HOME}/def/diff", f"{HOME}/def/work")


@pytest.mark.parametrize(
    ("path", "mount_point"),
    [
        ("/var/lib/docker", "/var/lib/docker"),
        ("/var/lib/docker/overlay2", "/var/lib/docker"),
        ("/var/lib/dockerx", "/"),
        ("/srv", "/"),
    ],
)
def test_mount_of_a_path_is_its_longest_prefix(path: str, mount_point: str) -> None:
    mount = mounts.mount_of(path, mounts.parse_mountinfo(MOUNTINFO))
    assert mount is not None
    assert mount["mount_point"] == mount_point


def test_audit_rules_name_the_paths_they_watch() -> None:
    rules = (
        "-w /var/lib/docker -p wa -k docker\n"
        "-a always,exit -F arch=b64 -F path=/etc/docker/daemon.json -F perm=wa -k docker\n"
        "-a always,exit -F dir=/etc/docker -F perm=wa\n"
        "No rules\n"
    )
    assert audit.audit_watches(rules) == [
        "/var/lib/docker",
        "/etc/docker/daemon.json",
        "/etc/docker",
    ]
    assert audit.audit_watches("") == []


@pytest.mark.parametrize(
    ("command", "path"),
    [
        ("/usr/sbin/dockerd -H fd:// --config-file=/srv/d.json", "/srv/d.json"),
        ("/usr/sbin/dockerd --config-file /srv/d.json -H fd://", "/srv/d.json"),
        ("/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock", ""),
        ("/usr/sbin/dockerd --config-file", ""),
    ],
)
def test_config_file_flag_of_dockerd(command: str, path: str) -> None:
    assert dockerd.config_file_flag(command) == path


STARTED = 1_800_000_000.0


@pytest.mark.parametrize(
    ("changed", "needs_reload", "pending"),
    [
        ({"/etc/docker/daemon.json": STARTED - 60, "/lib/docker.service": 1.0}, False, []),
        ({"/etc/docker/daemon.json": None}, False, []),
        (
            {"/etc/docker/daemon.json": STARTED + 2.5},
            False,
            [
                "/etc/docker/daemon.json changed 2.5 s after dockerd started "
                "(2027-01-15 08:00:00 UTC)"
            ],
        ),
        (
            {"/b.conf": STARTED + 1, "/a.conf": STARTED + 3, "/c.conf": STARTED},
            False,
            [
                "/a.conf changed 3.0 s after dockerd started (2027-01-15 08:00:00 UTC)",
                "/b.conf changed 1.0 s after dockerd started (2027-01-15 08:00:00 UTC)",
            ],
        ),
        ({}, True, ["docker.service or one of its drop-ins changed since systemd read them"]),
    ],
    ids=["older", "absent", "daemon.json newer", "drop-ins newer, in order", "not reloaded"],
)
def test_a_file_written_after_dockerd_started_is_a_pending_restart(
    changed: dict[str, float | None], needs_reload: bool, pending: list[str]
) -> None:
    found = dockerd.restart_pending(STARTED, changed, needs_reload)
    assert [why.split(" (systemctl")[0] for why in found] == pending


def test_without_a_running_dockerd_nothing_is_pending() -> None:
    assert dockerd.restart_pending(None, {"/etc/docker/daemon.json": STARTED}, True) == []


def test_a_process_start_is_read_to_the_tick(tmp_path: Path) -> None:
    before = time.time()
    proc = subprocess.Popen(["sleep", "30"])
    try:
        started = dockerd.process_start(f"/proc/{proc.pid}")
    finally:
        proc.kill()
        proc.wait()
    # CLOCK_BOOTTIME ticks (10 ms) against the wall clock: within a few ticks of the spawn
    assert before - 0.05 <= started <= time.time() + 0.05, (before, started)


@pytest.mark.parametrize(
    ("content", "at_start", "mtime", "pending"),
    [
        ({"data-root": "/d"}, {"data-root": "/d"}, STARTED + 60, []),
        ({"data-root": "/d", "debug": True}, {"data-root": "/d"}, STARTED - 60, ["(debug)"]),
        ({"b": 1}, {"a": 1, "b": 2}, STARTED + 1, ["(a, b)"]),
        (None, {}, STARTED + 1, ["does not parse"]),
        ({"a": 1}, None, STARTED + 2, ["changed 2.0 s after dockerd started"]),
        ({"a": 1}, None, STARTED - 2, []),
    ],
    ids=[
        "undone edit",
        "a key added",
        "keys in order",
        "broken",
        "no copy: newer",
        "no copy: older",
    ],
)
def test_the_config_is_judged_by_its_copy_at_start_else_by_its_mtime(
    content: dict[str, Any] | None,
    at_start: dict[str, Any] | None,
    mtime: float,
    pending: list[str],
) -> None:
    found = dockerd.config_pending("/etc/docker/daemon.json", content, mtime, STARTED, at_start)
    assert len(found) == len(pending), found
    for why, words in zip(found, pending):
        assert why.startswith("/etc/docker/daemon.json "), why
        assert words in why, why
    assert dockerd.config_pending("/x", content, mtime, None, at_start) == []


@pytest.mark.parametrize(
    ("taken", "text", "known"),
    [
        (STARTED - 0.2, '{"data-root": "/d"}', {"data-root": "/d"}),
        (STARTED - 0.2, "", {}),
        (STARTED + 30, '{"a": 1}', None),
        (STARTED - 3600, '{"a": 1}', None),
        (STARTED - 0.2, "{not json", None),
        (STARTED - 0.2, "[1]", None),
    ],
    ids=["this start", "no file then", "after the start", "an older start", "broken", "a list"],
)
def test_the_copy_at_start_counts_only_for_this_start(
    tmp_path: Path, taken: float, text: str, known: dict[str, Any] | None
) -> None:
    copy = tmp_path / "at-start.json"
    copy.write_text(text)
    os.utime(copy, (taken, taken))
    assert dockerd.config_at_start(STARTED, str(copy)) == known
    assert dockerd.config_at_start(None, str(copy)) is None
    assert dockerd.config_at_start(STARTED, str(tmp_path / "absent")) is None


def test_the_role_and_the_reader_name_the_same_copy_at_start() -> None:
    role_vars = yaml.safe_load((COLLECTION / "roles/docker_storage/vars/main.yml").read_text())
    assert role_vars["docker_storage_config_at_start"] == dockerd.CONFIG_AT_START


DROP_IN = "/etc/systemd/system/docker.service.d/10-layerwise-storage.conf"
SHOW = {
    "loaded": "LoadState=loaded\nFragmentPath=/lib/systemd/system/docker.service\n"
    "DropInPaths=/etc/systemd/system/docker.service.d/10-layerwise-storage.conf\n"
    "RequiresMountsFor=/var/lib/docker\nNeedDaemonReload=no\n",
    # systemctl cat still succeeds on a masked unit that has drop-ins (systemd 252, 257)
    "masked": "LoadState=masked\nFragmentPath=/etc/systemd/system/docker.service\n"
    "DropInPaths=/etc/systemd/system/docker.service.d/10-layerwise-storage.conf\n"
    "NeedDaemonReload=yes\n",
    "not-found": "LoadState=not-found\nFragmentPath=\nDropInPaths=\n",
}


@pytest.mark.parametrize(
    ("load", "cat_rc", "found", "masked"),
    [("loaded", 0, True, False), ("masked", 0, True, True), ("not-found", 1, False, False)],
)
def test_docker_service_is_read_as_systemd_loads_it(
    monkeypatch: pytest.MonkeyPatch, load: str, cat_rc: int, found: bool, masked: bool
) -> None:
    def fake_run(argv: list[str]) -> tuple[int, str, str]:
        if argv[1] == "show":
            return 0, SHOW[load], ""
        return cat_rc, DEBIAN_UNIT if cat_rc == 0 else "", ""

    monkeypatch.setattr(dockerd, "run", fake_run)
    unit = dockerd.read_unit()
    assert (unit["found"], unit["masked"]) == (found, masked)
    if load == "loaded":
        assert unit["requires_mounts_for"] == ["/var/lib/docker"]
        assert unit["drop_ins"] == [
            "/etc/systemd/system/docker.service.d/10-layerwise-storage.conf"
        ]
        assert unit["needs_reload"] is False


def test_the_running_dockerds_config_file_comes_from_its_argv() -> None:
    argv = ["/usr/bin/dockerd", "-H", "fd://", "--config-file", "/srv/d.json"]
    assert dockerd.running_config_file({"argv": argv}) == "/srv/d.json"
    assert dockerd.running_config_file({}) == ""


RUNNING = {"argv": ["/usr/bin/dockerd", "--config-file=/srv/running.json"]}
UNIT = {"config_file": "/srv/unit.json"}


@pytest.mark.parametrize(
    ("running", "unit", "read"),
    [
        (RUNNING, UNIT, ("/srv/running.json", "the running dockerd's --config-file")),
        ({}, UNIT, ("/srv/unit.json", "docker.service's --config-file")),
        (
            {"argv": ["/usr/bin/dockerd"]},
            {"config_file": ""},
            ("/etc/docker/daemon.json", "dockerd's default: no --config-file is given"),
        ),
    ],
)
def test_the_file_dockerd_reads_is_never_the_one_merely_asked_for(
    running: dict[str, Any], unit: dict[str, Any], read: tuple[str, str]
) -> None:
    assert dockerd.config_file_read(running, unit, "/etc/docker/daemon.json") == read


def test_standalone_params_take_the_defaults_and_what_is_given() -> None:
    params = options.standalone_params(["x", "--params", '{"layers": false, "files": ["/a"]}'])
    assert params["layers"] is False
    assert params["files"] == ["/a"]
    assert params["daemon_json"] == "/etc/docker/daemon.json"
    assert options.standalone_params(["x", "--params"])["layers"] is True


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "--params is not JSON"),
        ("[1, 2]", "must be a JSON object of options, not list"),
        ('{"bogus": 1}', "unknown option 'bogus'"),
        ('{"files": "/etc/hosts"}', "option 'files' takes a list, not '/etc/hosts'"),
        ('{"files": [1]}', "option 'files' takes a list of strings"),
        ('{"layers": "yes"}', "option 'layers' takes a bool"),
        ('{"docker_host": "ftp://host"}', "use unix:///path or tcp://host:port"),
        ('{"data_root": "/var/lib/\\u0000docker"}', "option 'data_root' holds a NUL character"),
        ('{"files": ["/a", "/b\\u0000"]}', "option 'files' holds a NUL character"),
        ("[" * 100_000 + "]" * 100_000, "--params is nested too deep"),
        ('{"layers": NaN}', "--params is not JSON (NaN is not JSON)"),
        ('{"checks": true}', "option 'checks' is for the Ansible module"),
        ('{"policy": {}}', "option 'policy' is for the Ansible module"),
        ('{"only": ["CFG-001"]}', "option 'only' is for the Ansible module"),
        ('{"snapshot": false}', "option 'snapshot' is for the Ansible module"),
        (
            '{"files": "' + "x" * 100_000 + '"}',
            "takes a list, not 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\n",
        ),
    ],
)
def test_bad_standalone_params_get_one_clear_line_and_exit_2(text: str, says: str) -> None:
    code, out, err = standalone(["reader.pyz", "--params", text])
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.endswith("\n")
    assert err.startswith("overlay2_facts: ")
    assert says in err


@pytest.mark.parametrize(
    "argv", [[], ["--help"], ["--param", "{}"], ["--params", "{}", "more"]], ids=str
)
def test_the_reader_on_its_own_takes_only_params(argv: list[str], tmp_path: Path) -> None:
    """The zipapp, as a host runs it without Ansible: no arguments, another one, or one too
    many give the usage line."""
    zipapp = tmp_path / "reader.pyz"
    assert shipping.main(["shipping", "--out", str(zipapp)]) == 0
    done = subprocess.run(
        [sys.executable, str(zipapp), *argv],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("overlay2_facts: usage: reader.pyz --params JSON")
    assert done.stderr.count("\n") == 1


def test_summary_names_the_image_store() -> None:
    snap = {
        "docker": {
            "answers": True,
            "engine_version": "28.5.2",
            "driver": "overlayfs",
            "driver_status": {"driver-type": "io.containerd.snapshotter.v1"},
        },
        "daemon_json": {"content": {"features": {"containerd-snapshotter": True}, "debug": True}},
        "backing_fs": {"fstype": "ext4"},
    }
    assert reader.summary(snap) == {
        "engine_version": "28.5.2",
        "driver": "overlayfs",
        "image_store": "containerd",
        "backing_filesystem": "ext4",
        "storage_keys": {"features": {"containerd-snapshotter": True}},
    }


def test_return_documents_every_key_the_module_returns(tmp_path) -> None:
    """A host without an engine (no socket here) still gets every top-level key."""
    import yaml

    params = options.standalone_params(["x", "--params"])
    params.update(docker_host=f"unix://{tmp_path}/none.sock", data_root=str(tmp_path), usage=True)
    # what the module adds to the reader's snapshot
    added = {"results", "findings", "findings_message", "accounting", "usage_brief"}
    returned = set(reader.snapshot(params)) | added
    documented = set(yaml.safe_load(facts.RETURN))
    # containerd: only on an engine with the containerd image store (the section's keys are
    # the ones test_containerd_facts.py reads from a real store)
    assert returned | {"containerd"} == documented
    assert "containerd" not in returned


@pytest.mark.parametrize("running", [{}, {"pid": 1, "argv": ["dockerd"], "started_at": STARTED}])
def test_a_host_with_or_without_a_running_dockerd_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, running: dict[str, Any]
) -> None:
    monkeypatch.setattr(dockerd, "running_dockerd", lambda: running)
    params = options.standalone_params(["x", "--params"])
    params.update(docker_host=f"unix://{tmp_path}/none.sock", data_root=str(tmp_path))
    snap = reader.snapshot(params)
    assert snap["unit"]["started_at"] == running.get("started_at")
    assert 0 <= snap["elapsed"] < 60
    if not running:
        assert snap["unit"]["restart_pending"] == []


def test_return_names_every_key_of_the_containerd_section(tmp_path) -> None:
    import yaml

    from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import containerd

    section = containerd.read_containerd({}, str(tmp_path), [], None)
    described = yaml.safe_load(facts.RETURN)["containerd"]["contains"]
    assert list(described) == list(section)


def test_a_drop_in_removed_without_daemon_reload_leaves_the_unit_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """systemctl cat fails on a drop-in systemd still lists; the unit's files left are read."""
    unit_file = DEBIAN_UNIT.replace("$DOCKER_OPTS", "--config-file /srv/d.json")
    files = {"/lib/systemd/system/docker.service": unit_file}

    def fake_run(argv: list[str]) -> tuple[int, str, str]:
        if argv[1] == "show":
            return 0, SHOW["loaded"], ""
        return 1, "", f"No such file or directory: {DROP_IN}"

    monkeypatch.setattr(dockerd, "run", fake_run)
    monkeypatch.setattr(dockerd, "read_text", files.get)
    unit = dockerd.read_unit()
    assert (unit["found"], unit["masked"]) == (True, False)
    assert unit["config_file"] == "/srv/d.json"


def test_the_reader_reads_only_regular_files_of_bounded_size(tmp_path: Path) -> None:
    """A hostile host's daemon.json: a FIFO (no writer: opening must not wait), a link to
    /dev/zero (endless), or more than the reader reads: each is reported, none read."""
    from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import files

    fifo, zero, big = tmp_path / "fifo.json", tmp_path / "zero.json", tmp_path / "big.json"
    os.mkfifo(fifo)
    zero.symlink_to("/dev/zero")
    big.write_bytes(b" " * (files.MAX_FILE + 1))
    said = {
        fifo: "not a regular file but a fifo",
        zero: "not a regular file but a char",
        big: f"larger than {files.MAX_FILE} bytes",
    }
    for path, problem in said.items():
        read = dockerd.read_daemon_json(str(path))
        assert read["content"] is None
        assert read["error"].startswith(f"{path}: {problem}"), read["error"]
        assert files.read_text(str(path)) is None
    small = tmp_path / "daemon.json"
    small.write_text('{"data-root": "/srv/docker"}\n')
    assert dockerd.read_daemon_json(str(small))["content"] == {"data-root": "/srv/docker"}
    with pytest.raises(files.Unreadable, match="larger than 10 bytes"):
        files.read_bytes(str(small), limit=10)
