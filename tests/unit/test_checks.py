"""The judge on synthetic snapshots: a healthy host passes, each breakage fails the check that
names it, and what cannot be seen is "cannot check", never a pass."""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks

from . import snapshots as s

Snapshot = dict[str, Any]
CTD = {f"CTD-{n:03d}" for n in range(1, 9)}
# policy image_store any: a graph driver host is not asked the containerd store's checks
NOT_ASKED_BY_DEFAULT = {"CFG-002", "CFG-012", "CFG-013", "CFG-016", "CFG-018", "USE-005", *CTD}


def outcomes(snap: Snapshot, policy: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in checks.results(snap, policy)}


def failing(snap: Snapshot, policy: dict[str, Any] | None = None) -> dict[str, list[str]]:
    return {i: o["problems"] for i, o in outcomes(snap, policy).items() if o["status"] == "fail"}


def statuses(snap: Snapshot, policy: dict[str, Any] | None = None) -> dict[str, str]:
    return {i: o["status"] for i, o in outcomes(snap, policy).items()}


def policy(**given: Any) -> dict[str, Any]:
    valid, errors = checks.validate(given)
    assert errors == []
    return valid


# ---- the registry ----------------------------------------------------------------------------


def test_a_healthy_host_passes_every_check_the_policy_asks() -> None:
    found = statuses(s.healthy())
    assert {i for i, status in found.items() if status == "skip"} == NOT_ASKED_BY_DEFAULT
    assert {i for i, status in found.items() if status != "skip"} == {
        c.id for c in checks.CHECKS if c.id not in NOT_ASKED_BY_DEFAULT
    }
    assert set(found.values()) == {"pass", "skip"}


def test_every_check_says_what_a_report_needs() -> None:
    ids = [c.id for c in checks.CHECKS]
    assert len(ids) == len(set(ids)) >= 27
    for item in checks.CHECKS:
        assert all((item.title, item.rationale, item.remediation)), item.id
        assert item.severity in checks.SEVERITIES, item.id
    assert [o["id"] for o in checks.results(s.healthy())] == ids


def test_rationale_and_remediation_are_sentences() -> None:
    for item in checks.CHECKS:
        assert item.rationale.endswith("."), item.id
        assert item.remediation.endswith((".", ")")), item.id
        assert not item.title.endswith("."), item.id


DESTRUCTIVE = ("remove", "delete", "umount", "prune", "unmount")


def test_no_remediation_removes_or_unmounts_without_saying_how_to_confirm_first() -> None:
    for item in checks.CHECKS:
        text = item.remediation.lower()
        if any(word in text for word in DESTRUCTIVE):
            assert "confirm" in text or "check" in text or "after" in text, item.id


@pytest.mark.parametrize(
    ("check_id", "cis"),
    [
        ("CFG-001", "1.1.1"),
        ("CFG-006", "3.17, 3.18"),
        ("CFG-007", "3.1, 3.2"),
        ("CFG-008", "3.5, 3.6"),
        ("CFG-010", "2.6"),
        ("CFG-011", "2.11"),
        ("CFG-012", "2.15"),
    ],
)
def test_cis_items_are_mapped(check_id: str, cis: str) -> None:
    assert checks.by_id()[check_id].cis == cis


def test_registering_a_check_twice_or_with_an_unknown_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        checks.registry.check("OVL-001", "x", severity="low", rationale="r", remediation="f")(
            lambda snap, pol: []
        )
    with pytest.raises(ValueError, match="severity 'urgent'"):
        checks.registry.check("X-1", "x", severity="urgent", rationale="r", remediation="f")


def test_only_keeps_the_checks_of_a_prefix() -> None:
    ids = [o["id"] for o in checks.results(s.healthy(), None, ["OVL"])]
    assert ids == [f"OVL-{n:03d}" for n in range(1, 11)]


# ---- breakages of the layer store ------------------------------------------------------------


def dangling_link(snap: Snapshot) -> None:
    snap["overlay2"]["links"]["GONEAAAAAAAAAAAAAAAAAAAAAA"] = "../" + "d" * 64 + "/diff"


def link_to_work(snap: Snapshot) -> None:
    snap["overlay2"]["links"]["WORKAAAAAAAAAAAAAAAAAAAAAA"] = f"../{s.TOP}/work"


def layer_without_its_link(snap: Snapshot) -> None:
    del snap["overlay2"]["links"][s.LINKS[s.BASE]]


def layer_without_link_file(snap: Snapshot) -> None:
    del snap["overlay2"]["layers"][s.TOP]["parts"]["link"]
    snap["overlay2"]["layers"][s.TOP]["link"] = None


def lower_names_missing_layer(snap: Snapshot) -> None:
    snap["overlay2"]["layers"][s.TOP]["lower"] = ["l/MISSINGAAAAAAAAAAAAAAAAAA"]


def lower_in_wrong_order(snap: Snapshot) -> None:
    snap["overlay2"]["layers"][s.INIT]["lower"].reverse()


def lower_shortened(snap: Snapshot) -> None:
    snap["overlay2"]["layers"][s.CONTAINER]["lower"].pop()


def orphan_dir(snap: Snapshot) -> None:
    s.add_unreferenced_layer(snap, "e" * 64, "ORPHANAAAAAAAAAAAAAAAAAAAA")


def orphan_next_to_build_cache(snap: Snapshot) -> None:
    snap["overlay2"]["buildkit"] = True
    s.add_unreferenced_layer(snap, "j9cv4hnpokcyfoh1uhz81hn4a", "CACHEAAAAAAAAAAAAAAAAAAAAA")
    s.add_unreferenced_layer(snap, "e" * 64, "ORPHANAAAAAAAAAAAAAAAAAAAA")


def merged_left_by_removed_container(snap: Snapshot) -> None:
    snap["containers"] = []
    snap["layerdb"]["mounts"] = {}
    for name in (s.CONTAINER, s.INIT):
        del snap["overlay2"]["layers"][name]
        del snap["overlay2"]["links"][s.LINKS[name]]


def merged_left_by_stopped_container(snap: Snapshot) -> None:
    snap["containers"][0]["running"] = False


def mount_beside_merged(snap: Snapshot) -> None:
    mount = copy.deepcopy(snap["overlay_mounts"][0])
    mount["mount_point"] = f"{s.HOME}/{s.CONTAINER}/diff"
    snap["overlay_mounts"].append(mount)


def mounted_twice(snap: Snapshot) -> None:
    snap["overlay_mounts"].append(copy.deepcopy(snap["overlay_mounts"][0]))


def base_layer_with_lower(snap: Snapshot) -> None:
    snap["overlay2"]["layers"][s.BASE]["parts"].update(s.parts("lower"))


def child_layer_without_work(snap: Snapshot) -> None:
    del snap["overlay2"]["layers"][s.TOP]["parts"]["work"]


def diff_that_is_a_file(snap: Snapshot) -> None:
    snap["overlay2"]["layers"][s.BASE]["parts"]["diff"]["type"] = "file"


def layer_dir_missing(snap: Snapshot) -> None:
    del snap["overlay2"]["layers"][s.TOP]
    del snap["overlay2"]["links"][s.LINKS[s.TOP]]


def layer_dir_open_to_others(snap: Snapshot) -> None:
    snap["overlay2"]["layers"][s.TOP]["mode"] = 0o755


def home_open_to_others(snap: Snapshot) -> None:
    snap["overlay2"]["mode"] = 0o711


def links_dir_open(snap: Snapshot) -> None:
    snap["overlay2"]["links_mode"] = 0o750


def links_dir_missing(snap: Snapshot) -> None:
    snap["overlay2"]["links_mode"] = None


def another_driver(snap: Snapshot) -> None:
    snap["docker"].update(driver="vfs")
    snap["daemon_json"]["content"]["storage-driver"] = "vfs"


def no_d_type(snap: Snapshot) -> None:
    snap["docker"].update(d_type=False)


def inspect_disagrees_with_mount(snap: Snapshot) -> None:
    snap["containers"][0]["graph_driver"]["data"]["UpperDir"] = "/elsewhere/diff"


def merged_dir_disagrees(snap: Snapshot) -> None:
    snap["containers"][0]["graph_driver"]["data"]["MergedDir"] = "/elsewhere/merged"


def mount_workdir_wrong(snap: Snapshot) -> None:
    snap["overlay_mounts"][0]["workdir"] = f"{s.HOME}/{s.TOP}/work"


def running_container_not_mounted(snap: Snapshot) -> None:
    snap["overlay_mounts"] = []


def image_layer_not_in_layerdb(snap: Snapshot) -> None:
    snap["images"][0]["diff_ids"].append("sha256:" + "3" * 64)


def init_layer_dir_missing(snap: Snapshot) -> None:
    snap["layerdb"]["mounts"][s.CID]["init_id"] = "gone-init"


# ---- breakages of the configuration ----------------------------------------------------------


def data_root_on_root_fs(snap: Snapshot) -> None:
    snap["backing_fs"].update(mounted=False, mount_point="/", device="/dev/vda1")


def on_btrfs(snap: Snapshot) -> None:
    snap["backing_fs"].update(fstype="btrfs", xfs_ftype=None)


def xfs_without_ftype(snap: Snapshot) -> None:
    snap["backing_fs"]["xfs_ftype"] = 0


def no_fstab_entry(snap: Snapshot) -> None:
    snap["backing_fs"]["fstab"] = []


def no_mount_dependency(snap: Snapshot) -> None:
    snap["unit"]["requires_mounts_for"] = []


def daemon_json_group_writable(snap: Snapshot) -> None:
    snap["daemon_json"]["file"]["mode"] = 0o664


def daemon_json_0466(snap: Snapshot) -> None:
    """docker-bench compares 466 <= 644 as numbers and passes it; its bits say otherwise."""
    snap["daemon_json"]["file"]["mode"] = 0o466


def daemon_json_setuid(snap: Snapshot) -> None:
    snap["daemon_json"]["file"]["mode"] = 0o4644


def daemon_json_owned_by_a_user(snap: Snapshot) -> None:
    snap["daemon_json"]["file"]["uid"] = 1000


def unit_group_writable(snap: Snapshot) -> None:
    snap["unit"]["file"]["mode"] = 0o664


def config_dir_group_writable(snap: Snapshot) -> None:
    snap["config_dir"]["file"]["mode"] = 0o775


def config_dir_owned_by_a_group(snap: Snapshot) -> None:
    snap["config_dir"]["file"]["gid"] = 100


def storage_flag(snap: Snapshot) -> None:
    snap["unit"]["flag_conflicts"] = [
        {
            "flag": "--storage-driver=vfs",
            "key": "storage-driver",
            "command": "dockerd -s",
            "via": "",
        }
    ]


def aufs(snap: Snapshot) -> None:
    snap["docker"]["driver"] = "aufs"
    snap["daemon_json"]["content"]["storage-driver"] = "aufs"


def dm_basesize(snap: Snapshot) -> None:
    snap["daemon_json"]["content"]["storage-opts"] = ["dm.basesize=20G"]


def little_space(snap: Snapshot) -> None:
    snap["backing_fs"]["bytes_free"] = 2**29


def few_inodes(snap: Snapshot) -> None:
    snap["backing_fs"]["inodes_free"] = 1000


def live_restore_pending(snap: Snapshot) -> None:
    snap["daemon_json"]["content"]["live-restore"] = True


def written_after_start(snap: Snapshot) -> None:
    snap["unit"]["restart_pending"] = [
        "/etc/docker/daemon.json changed 12.0 s after dockerd started (2026-12-03 08:00:00 UTC)"
    ]


def driver_pending(snap: Snapshot) -> None:
    snap["daemon_json"]["content"]["storage-driver"] = "vfs"


def data_root_pending(snap: Snapshot) -> None:
    snap["daemon_json"]["content"]["data-root"] = "/srv/docker"


@pytest.mark.parametrize(
    ("breakage", "failed_ids", "named"),
    [
        (dangling_link, {"OVL-007"}, "GONEAAAA"),
        (link_to_work, {"OVL-007"}, f"../{s.TOP}/work"),
        (layer_without_its_link, {"OVL-006", "OVL-007", "OVL-010"}, f"link {s.LINKS[s.BASE]}"),
        (layer_without_link_file, {"OVL-005", "OVL-007"}, "has no link file"),
        (lower_names_missing_layer, {"OVL-006"}, "MISSING"),
        (lower_in_wrong_order, {"OVL-006"}, "parent chain"),
        (lower_shortened, {"OVL-006"}, "parent chain"),
        (orphan_dir, {"OVL-008"}, "e" * 64),
        (orphan_next_to_build_cache, {"OVL-008"}, "e" * 64),
        (merged_left_by_removed_container, {"OVL-009"}, f"{s.CONTAINER}/merged"),
        (merged_left_by_stopped_container, {"OVL-009"}, f"{s.CONTAINER}/merged"),
        (mount_beside_merged, {"OVL-009"}, f"{s.CONTAINER}/diff"),
        (mounted_twice, {"OVL-010"}, "2 overlay mounts"),
        (base_layer_with_lower, {"OVL-005"}, "also holds lower"),
        (child_layer_without_work, {"OVL-005"}, "lacks work"),
        (diff_that_is_a_file, {"OVL-005"}, "has mistyped diff"),
        (layer_dir_missing, {"OVL-003", "OVL-006", "OVL-010"}, s.TOP),
        (init_layer_dir_missing, {"OVL-003", "OVL-006", "OVL-008", "OVL-010"}, "gone-init"),
        (layer_dir_open_to_others, {"OVL-002"}, "1 layer dir open to others"),
        (home_open_to_others, {"OVL-002"}, "mode 0711, open to others"),
        (links_dir_open, {"OVL-002"}, "l has mode 0750, want 0700"),
        (links_dir_missing, {"OVL-002"}, "l does not exist"),
        (another_driver, {"OVL-001"}, "'vfs', policy wants 'overlay2'"),
        (no_d_type, {"OVL-001"}, "does not support d_type"),
        (inspect_disagrees_with_mount, {"OVL-010"}, "/elsewhere/diff"),
        (merged_dir_disagrees, {"OVL-010"}, "MergedDir is /elsewhere/merged"),
        (mount_workdir_wrong, {"OVL-010"}, f"mount workdir is {s.HOME}/{s.TOP}/work"),
        (running_container_not_mounted, {"OVL-010"}, "0 overlay mounts"),
        (image_layer_not_in_layerdb, {"OVL-004"}, "3" * 64),
        (data_root_on_root_fs, {"CFG-001"}, "mounted at '/' (/dev/vda1), not on its own"),
        (on_btrfs, {"CFG-003"}, "on 'btrfs', policy allows ['xfs', 'ext4']"),
        (xfs_without_ftype, {"CFG-003"}, "ftype=0, want 1"),
        (no_fstab_entry, {"CFG-004"}, "no entry for /var/lib/docker"),
        (no_mount_dependency, {"CFG-005"}, "without /var/lib/docker"),
        (daemon_json_group_writable, {"CFG-006"}, "mode 0664: bits 0020 are outside 0644"),
        (daemon_json_0466, {"CFG-006"}, "mode 0466: bits 0022 are outside 0644"),
        (daemon_json_setuid, {"CFG-006"}, "bits 4000"),
        (daemon_json_owned_by_a_user, {"CFG-006"}, "owned by 1000:0"),
        (unit_group_writable, {"CFG-007"}, "docker.service has mode 0664"),
        (config_dir_group_writable, {"CFG-008"}, "/etc/docker has mode 0775"),
        (config_dir_owned_by_a_group, {"CFG-008"}, "owned by 0:100"),
        (storage_flag, {"CFG-009"}, "--storage-driver=vfs in 'dockerd -s'"),
        (aufs, {"OVL-001", "CFG-010"}, "the engine's storage driver is aufs"),
        (dm_basesize, {"CFG-011"}, "'dm.basesize=20G'"),
        (little_space, {"CFG-014"}, "536870912 of 10737418240 bytes free (5.0%)"),
        (few_inodes, {"CFG-015"}, "1000 of 5000000 inodes free (0.0%)"),
        (live_restore_pending, {"CFG-017"}, "live-restore True, the running engine has False"),
        (data_root_pending, {"CFG-017"}, "data-root '/srv/docker'"),
        (written_after_start, {"CFG-017"}, "12.0 s after dockerd started"),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_a_broken_host_fails_the_check_that_names_it(
    breakage: Callable[[Snapshot], None], failed_ids: set[str], named: str
) -> None:
    snap = s.healthy()
    breakage(snap)
    found = failing(snap)
    assert set(found) == failed_ids, found
    assert any(named in problem for problems in found.values() for problem in problems), found


@pytest.mark.parametrize(
    ("breakage", "problems"),
    [
        (
            data_root_on_root_fs,
            {
                "CFG-001": [
                    "/var/lib/docker is on the filesystem mounted at '/' (/dev/vda1), "
                    "not on its own"
                ]
            },
        ),
        (on_btrfs, {"CFG-003": ["the data root is on 'btrfs', policy allows ['xfs', 'ext4']"]}),
        (xfs_without_ftype, {"CFG-003": ["xfs on /dev/vdb has ftype=0, want 1"]}),
        (no_fstab_entry, {"CFG-004": ["/etc/fstab has no entry for /var/lib/docker"]}),
        (
            no_mount_dependency,
            {"CFG-005": ["docker.service RequiresMountsFor is [], without /var/lib/docker"]},
        ),
        (
            daemon_json_group_writable,
            {"CFG-006": ["/etc/docker/daemon.json has mode 0664: bits 0020 are outside 0644"]},
        ),
        (
            daemon_json_owned_by_a_user,
            {"CFG-006": ["/etc/docker/daemon.json is owned by 1000:0, want 0:0 (root:root)"]},
        ),
        (
            unit_group_writable,
            {
                "CFG-007": [
                    "/lib/systemd/system/docker.service has mode 0664: bits 0020 are outside 0644"
                ]
            },
        ),
        (
            config_dir_group_writable,
            {"CFG-008": ["/etc/docker has mode 0775: bits 0020 are outside 0755"]},
        ),
        (storage_flag, {"CFG-009": ["--storage-driver=vfs in 'dockerd -s'"]}),
        (
            aufs,
            {
                "OVL-001": ["storage driver is 'aufs', policy wants 'overlay2'"],
                "CFG-010": [
                    "daemon.json's storage driver is aufs",
                    "the engine's storage driver is aufs",
                ],
            },
        ),
        (dm_basesize, {"CFG-011": ["storage-opts has 'dm.basesize=20G'"]}),
        (
            little_space,
            {"CFG-014": ["536870912 of 10737418240 bytes free (5.0%), policy wants at least 10%"]},
        ),
        (
            few_inodes,
            {"CFG-015": ["1000 of 5000000 inodes free (0.0%), policy wants at least 10%"]},
        ),
        (
            live_restore_pending,
            {
                "CFG-017": [
                    "daemon.json sets live-restore True, the running engine has False: "
                    "restart pending"
                ]
            },
        ),
        (
            data_root_pending,
            {
                "CFG-017": [
                    "daemon.json sets data-root '/srv/docker', the running engine uses "
                    "'/var/lib/docker': restart pending"
                ]
            },
        ),
        (another_driver, {"OVL-001": ["storage driver is 'vfs', policy wants 'overlay2'"]}),
        (
            driver_pending,
            {
                "CFG-017": [
                    "daemon.json sets storage-driver 'vfs', the running engine has 'overlay2': "
                    "restart pending"
                ]
            },
        ),
        (no_d_type, {"OVL-001": ["backing filesystem 'xfs' does not support d_type"]}),
        (home_open_to_others, {"OVL-002": [f"{s.HOME} has mode 0711, open to others"]}),
        (links_dir_open, {"OVL-002": [f"{s.HOME}/l has mode 0750, want 0700"]}),
        (
            links_dir_missing,
            {"OVL-002": [f"{s.HOME}/l does not exist, yet the home holds layer dirs"]},
        ),
        (layer_dir_open_to_others, {"OVL-002": [f"1 layer dir open to others: ['{s.TOP}']"]}),
        (
            orphan_dir,
            {"OVL-008": [f"layer dir {'e' * 64} is not referenced by the layer database"]},
        ),
        (
            merged_left_by_stopped_container,
            {
                "OVL-009": [
                    f"overlay on {s.HOME}/{s.CONTAINER}/merged belongs to no running container"
                ]
            },
        ),
        (
            mounted_twice,
            {"OVL-010": [f"web: 2 overlay mounts on {s.HOME}/{s.CONTAINER}/merged, want 1"]},
        ),
        (base_layer_with_lower, {"OVL-005": [f"base layer {s.BASE} also holds lower"]}),
        (child_layer_without_work, {"OVL-005": [f"layer with a parent {s.TOP} lacks work"]}),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_problems_say_what_was_found_and_what_is_wanted(
    breakage: Callable[[Snapshot], None], problems: dict[str, list[str]]
) -> None:
    snap = s.healthy()
    breakage(snap)
    assert failing(snap) == problems


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o640, 0o400, 0o444])
def test_modes_within_0644_pass(mode: int) -> None:
    snap = s.healthy()
    snap["daemon_json"]["file"]["mode"] = mode
    assert statuses(snap)["CFG-006"] == "pass"


# ---- what the policy asks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "check_id", "named"),
    [
        ({"data_root": "/srv/docker", "mount_dependency": False}, "CFG-002", "root dir is"),
        ({"live_restore": True}, "CFG-012", "live-restore False, policy wants True"),
        (
            {"audit_paths": ["/etc/docker/daemon.json"]},
            "CFG-013",
            "watches /etc/docker/daemon.json",
        ),
        ({"daemon_json": {"log-driver": "journald"}}, "CFG-016", "log-driver is None"),
        ({"driver": "overlayfs"}, "OVL-001", "policy wants 'overlayfs'"),
        ({"backing_filesystems": ["ext4"]}, "CFG-003", "policy allows ['ext4']"),
        ({"min_free_percent": 90}, "CFG-014", "at least 90%"),
        ({"min_free_inodes_percent": 99}, "CFG-015", "at least 99%"),
        ({"daemon_json_max_mode": "0600"}, "CFG-006", "bits 0044 are outside 0600"),
        ({"unit_max_mode": "0640"}, "CFG-007", "bits 0004"),
        ({"config_dir_max_mode": "0750"}, "CFG-008", "bits 0005"),
    ],
)
def test_the_policy_decides_what_passes(given: dict[str, Any], check_id: str, named: str) -> None:
    found = failing(s.healthy(), policy(**given))
    assert set(found) == {check_id}, found
    assert any(named in p for p in found[check_id]), found


@pytest.mark.parametrize(
    ("given", "check_id"),
    [
        ({"data_root_own_filesystem": False}, "CFG-001"),
        ({"fstab_entry": False}, "CFG-004"),
        ({"mount_dependency": False}, "CFG-005"),
    ],
)
def test_what_the_policy_turns_off_is_skipped_with_the_key(
    given: dict[str, Any], check_id: str
) -> None:
    snap = s.healthy()
    data_root_on_root_fs(snap)
    no_fstab_entry(snap)
    no_mount_dependency(snap)
    found = outcomes(snap, policy(**given))[check_id]
    assert (found["status"], found["reason"]) == ("skip", f"policy {next(iter(given))} is false")


def test_policy_matching_the_host_passes_what_it_asks() -> None:
    snap = s.healthy()
    snap["daemon_json"]["content"]["live-restore"] = True
    snap["docker"]["live_restore"] = True
    found = statuses(
        snap,
        policy(
            data_root="/var/lib/docker",
            live_restore=True,
            audit_paths=["/var/lib/docker"],
            daemon_json={"storage-driver": "overlay2", "live-restore": True},
            image_store="overlay2",
        ),
    )
    assert {i for i, status in found.items() if status != "pass"} == CTD | {"USE-005"}
    assert {found[i] for i in CTD | {"USE-005"}} == {"skip"}


def test_data_root_under_userns_remap_is_the_parent_of_the_engine_root() -> None:
    snap = s.healthy()
    snap["docker"].update(userns=True, root_dir="/var/lib/docker/100000.100000")
    assert statuses(snap, policy(data_root="/var/lib/docker"))["CFG-002"] == "pass"
    assert statuses(snap)["CFG-017"] == "pass"
    snap["docker"]["userns"] = False
    assert statuses(snap, policy(data_root="/var/lib/docker"))["CFG-002"] == "fail"


# ---- what cannot be seen is never a pass -----------------------------------------------------


def engine_down(snap: Snapshot) -> None:
    snap["docker"] = {"answers": False, "error": "connection refused", "driver": ""}


def home_missing(snap: Snapshot) -> None:
    snap["overlay2"] = {"home": "/srv/wrong/overlay2", "exists": False, "layers": {}, "links": {}}


def layers_not_read(snap: Snapshot) -> None:
    for key in ("overlay2", "layerdb", "images", "containers"):
        del snap[key]


def data_root_missing(snap: Snapshot) -> None:
    snap["backing_fs"] = {"exists": False}


def daemon_json_broken(snap: Snapshot) -> None:
    snap["daemon_json"].update(content=None, error="Expecting value: line 1 column 1")


OVL_BUT_FIRST = {f"OVL-{n:03d}" for n in range(2, 11)}
# the disk usage checks a host judges (USE-005 is judged by the fleet, from a past report)
USE = {c.id for c in checks.CHECKS if c.id.startswith("USE-")} - {"USE-005"}


@pytest.mark.parametrize(
    ("blindness", "cannot", "why"),
    [
        (
            engine_down,
            {*OVL_BUT_FIRST, "OVL-001", "CFG-010", "CFG-017", *CTD, *USE},
            "connection refused",
        ),
        (home_missing, {*OVL_BUT_FIRST, *USE}, "/srv/wrong/overlay2 does not exist"),
        (layers_not_read, {*OVL_BUT_FIRST, *USE}, "layer store was not read"),
        (another_driver, {*OVL_BUT_FIRST, *USE}, "runs 'vfs', not overlay2"),
        (
            data_root_missing,
            {"CFG-001", "CFG-003", "CFG-004", "CFG-014", "CFG-015"},
            "does not exist",
        ),
        (daemon_json_broken, {"CFG-010", "CFG-011", "CFG-017"}, "does not parse"),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_what_a_check_cannot_see_is_cannot_check_with_the_reason(
    blindness: Callable[[Snapshot], None], cannot: set[str], why: str
) -> None:
    snap = s.healthy()
    blindness(snap)
    found = outcomes(snap)
    assert {i for i, o in found.items() if o["status"] == "cannot_check"} == cannot
    assert all(why in found[i]["reason"] for i in cannot), {i: found[i]["reason"] for i in cannot}


@pytest.mark.parametrize(
    ("blindness", "check_id", "reason"),
    [
        (engine_down, "OVL-001", "Docker does not answer: connection refused"),
        (engine_down, "CFG-017", "Docker does not answer: connection refused"),
        (
            home_missing,
            "OVL-002",
            "the driver home /srv/wrong/overlay2 does not exist: the data root is not where "
            "Docker keeps its layers",
        ),
        (
            layers_not_read,
            "OVL-003",
            "the layer store was not read (overlay2_facts with layers: false)",
        ),
        (another_driver, "OVL-004", "the engine runs 'vfs', not overlay2: no overlay2 layer store"),
        (data_root_missing, "CFG-001", "the data root /var/lib/docker does not exist on the host"),
        (
            daemon_json_broken,
            "CFG-011",
            "/etc/docker/daemon.json does not parse: Expecting value: line 1 column 1",
        ),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_cannot_check_says_exactly_why(
    blindness: Callable[[Snapshot], None], check_id: str, reason: str
) -> None:
    snap = s.healthy()
    blindness(snap)
    found = outcomes(snap)[check_id]
    assert (found["status"], found["reason"]) == ("cannot_check", reason)


def test_a_masked_docker_service_is_cannot_check() -> None:
    snap = s.healthy()
    snap["unit"] = {"found": True, "masked": True, "flag_conflicts": [], "requires_mounts_for": []}
    found = outcomes(snap)["CFG-009"]
    assert found["status"] == "cannot_check"
    assert found["reason"].startswith("docker.service is masked")


@pytest.mark.parametrize(
    ("missing", "check_id", "reason"),
    [
        ("docker", "OVL-001", "the snapshot holds no engine facts"),
        ("backing_fs", "CFG-003", "the snapshot holds no facts about the data root's filesystem"),
        ("daemon_json", "CFG-011", "the snapshot holds no daemon.json facts"),
        ("daemon_json", "CFG-016", "the snapshot holds no daemon.json facts"),
        ("unit", "CFG-009", "docker.service was not found (systemctl cat docker.service failed)"),
    ],
)
def test_a_section_missing_from_the_snapshot_is_cannot_check(
    missing: str, check_id: str, reason: str
) -> None:
    snap = s.healthy()
    del snap[missing]
    found = outcomes(snap)[check_id]
    assert (found["status"], found["reason"]) == ("cannot_check", reason)


def test_an_empty_snapshot_passes_nothing() -> None:
    found = statuses({})
    assert "pass" not in found.values()
    assert {i for i, status in found.items() if status == "cannot_check"} >= {
        c.id for c in checks.CHECKS if c.id not in NOT_ASKED_BY_DEFAULT | {"CFG-006"} | USE
    }
    # a snapshot read without usage: true was not asked to measure the disk
    assert {found[i] for i in USE} == {"skip"}


def test_engine_down_never_advises_unmounting_running_containers() -> None:
    snap = s.healthy()
    engine_down(snap)
    assert outcomes(snap)["OVL-009"]["status"] == "cannot_check"


def test_a_daemon_json_that_does_not_parse_fails_the_declared_keys() -> None:
    snap = s.healthy()
    daemon_json_broken(snap)
    assert "does not parse" in failing(snap)["CFG-016"][0]


def test_missing_unit_and_files_cannot_be_checked() -> None:
    snap = s.healthy()
    snap["unit"] = {"found": False}
    snap["config_dir"] = {"path": "/etc/docker", "file": {"type": "absent"}}
    found = outcomes(snap)
    for check_id in ("CFG-005", "CFG-007", "CFG-009"):
        assert found[check_id]["status"] == "cannot_check"
        assert "docker.service was not found" in found[check_id]["reason"]
    assert found["CFG-008"]["reason"] == "/etc/docker does not exist"


def test_no_daemon_json_is_not_asked_and_no_audit_is_cannot_check() -> None:
    snap = s.healthy()
    snap["daemon_json"] = {"exists": False, "path": "/etc/docker/daemon.json", "content": {}}
    snap["audit"] = {"available": False, "watched": [], "error": "auditctl not found: no auditd"}
    found = outcomes(snap, policy(audit_paths=["/etc/docker"]))
    assert found["CFG-006"]["status"] == "skip"
    assert (found["CFG-013"]["status"], found["CFG-013"]["reason"]) == (
        "cannot_check",
        "auditctl not found: no auditd",
    )


# ---- helpers the tests and roles share -------------------------------------------------------


def test_chain_ids_follow_docker() -> None:
    """A parent/diff/chain triple read off a real host's layerdb."""
    parent = "sha256:f7f8d1ef980e626b6fde568971fad5075da1035b318c9ca953d3682aa9a2d1e5"
    diff = "sha256:07055cb84ca75862d9f2b1638407f58481858ed1b56fbc65f0eb9b2bbd7ae78e"
    chain = "sha256:006c885a277be08585c7dc0b695c78583c415c556480228ce6469fc749f720dd"
    assert checks.chain_ids([parent, diff]) == [parent, chain]
    assert checks.chain_ids([]) == []


def test_lower_chain_of_a_container_is_init_then_image_top_to_base() -> None:
    wanted = checks.overlay2.expected_lower(s.healthy())
    assert wanted[s.CONTAINER] == [s.INIT, s.TOP, s.BASE]
    assert wanted[s.INIT] == [s.TOP, s.BASE]
    assert wanted[s.TOP] == [s.BASE]
    assert s.BASE not in wanted


def test_child_dirs_are_the_dirs_with_an_expected_lower() -> None:
    snap = s.healthy()
    assert checks.overlay2.child_dirs(snap) == set(checks.overlay2.expected_lower(snap))


def test_image_lookups_by_tag_and_layer_dirs_top_to_base() -> None:
    snap = s.healthy()
    image = checks.image_named(snap, "app")
    assert image is not None
    assert image is checks.image_named(snap, "app:latest")
    assert checks.image_named(snap, "app:other") is None
    assert checks.image_dirs(snap, image) == [s.TOP, s.BASE]


def test_findings_read_as_one_message_with_the_fix() -> None:
    snap = s.healthy()
    for n in range(5):
        snap["overlay2"]["links"][f"GONE{n}AAAAAAAAAAAAAAAAAAAAA"] = f"../{n}/diff"
    engine_down_too = s.healthy()
    engine_down(engine_down_too)
    message = checks.describe(checks.failed(checks.results(snap)))
    assert message.startswith("OVL-007 Every l/ link points to")
    assert "(and 2 more)" in message
    assert "Fix: Dangling l/ links" in message
    assert checks.describe([]) == ""
    down = checks.describe(checks.failed(checks.results(engine_down_too, None, ["OVL-001"])))
    assert down == (
        "OVL-001 The engine runs the policy's storage driver on a filesystem with d_type: "
        "cannot check: Docker does not answer: connection refused."
    )


# ---- every word a report shows (what mutation testing asked for) -----------------------------


def test_an_outcome_has_exactly_the_fields_reports_read() -> None:
    outcome = checks.results(s.healthy(), None, ["OVL-001"])[0]
    assert outcome == {
        "id": "OVL-001",
        "title": checks.by_id()["OVL-001"].title,
        "severity": "critical",
        "cis": "",
        "status": "pass",
        "problems": [],
        "reason": "",
        "rationale": checks.by_id()["OVL-001"].rationale,
        "remediation": checks.by_id()["OVL-001"].remediation,
    }


def test_a_registered_check_cannot_be_changed() -> None:
    with pytest.raises(AttributeError):
        checks.CHECKS[0].severity = "low"  # type: ignore[misc]


def test_registry_refusals_name_the_check() -> None:
    with pytest.raises(ValueError, match="twice") as twice:
        checks.registry.check("OVL-001", "x", severity="low", rationale="r", remediation="f")(
            lambda snap, pol: []
        )
    assert str(twice.value) == "OVL-001 is registered twice"
    with pytest.raises(ValueError, match="severity") as severity:
        checks.registry.check("X-1", "x", severity="urgent", rationale="r", remediation="f")
    assert str(severity.value) == (
        "X-1: severity 'urgent' is not one of ('critical', 'high', 'medium', 'low')"
    )


@pytest.mark.parametrize(
    ("check_id", "reason"),
    [
        ("CFG-002", "policy data_root is empty"),
        ("CFG-012", "policy live_restore is null"),
        ("CFG-013", "policy audit_paths is empty"),
        ("CFG-016", "policy daemon_json is empty"),
    ],
)
def test_what_the_default_policy_does_not_ask_says_which_key(check_id: str, reason: str) -> None:
    found = outcomes(s.healthy())[check_id]
    assert (found["status"], found["reason"], found["problems"]) == ("skip", reason, [])


@pytest.mark.parametrize(
    ("given", "problems"),
    [
        (
            {"data_root": "/srv/docker", "mount_dependency": False},
            {"CFG-002": ["the engine's root dir is '/var/lib/docker', policy wants '/srv/docker'"]},
        ),
        (
            {"live_restore": True},
            {"CFG-012": ["the engine runs with live-restore False, policy wants True"]},
        ),
        (
            {"audit_paths": ["/etc/docker/daemon.json", "/etc/docker"]},
            {"CFG-013": ["no audit rule watches /etc/docker/daemon.json"]},
        ),
        (
            {"daemon_json": {"log-driver": "journald", "storage-driver": "overlay2"}},
            {"CFG-016": ["daemon.json log-driver is None, policy wants 'journald'"]},
        ),
        (
            {"min_free_percent": 90},
            {
                "CFG-014": [
                    "8589934592 of 10737418240 bytes free (80.0%), policy wants at least 90%"
                ]
            },
        ),
    ],
)
def test_policy_problems_say_found_and_wanted(
    given: dict[str, Any], problems: dict[str, list[str]]
) -> None:
    assert failing(s.healthy(), policy(**given)) == problems


@pytest.mark.parametrize(
    ("free", "inodes", "failed_ids"),
    [
        (2**30, 500_000, set()),  # exactly 10 %: enough
        (int(0.0995 * 10 * 2**30), 497_500, {"CFG-014", "CFG-015"}),  # 9.95 %: not enough
    ],
)
def test_the_free_space_floor_is_inclusive(free: int, inodes: int, failed_ids: set[str]) -> None:
    snap = s.healthy()
    snap["backing_fs"].update(bytes_free=free, inodes_free=inodes)
    assert set(failing(snap)) == failed_ids


@pytest.mark.parametrize(
    ("drop", "check_id", "reason"),
    [
        ("bytes_total", "CFG-014", "the data root's filesystem reports no bytes count"),
        ("bytes_free", "CFG-014", "the data root's filesystem reports no bytes count"),
        ("inodes_total", "CFG-015", "the data root's filesystem reports no inodes count"),
    ],
)
def test_free_space_that_was_not_read_cannot_be_checked(
    drop: str, check_id: str, reason: str
) -> None:
    snap = s.healthy()
    del snap["backing_fs"][drop]
    found = outcomes(snap)[check_id]
    assert (found["status"], found["reason"]) == ("cannot_check", reason)


def test_files_without_a_path_are_named_by_their_usual_one() -> None:
    snap = s.healthy()
    snap["config_dir"] = {"file": {"type": "dir", "mode": 0o775, "uid": 0, "gid": 0}}
    del snap["unit"]["path"]
    snap["unit"]["file"]["mode"] = 0o664
    del snap["daemon_json"]["path"]
    snap["daemon_json"]["file"]["mode"] = 0o664
    assert failing(snap) == {
        "CFG-006": ["daemon.json has mode 0664: bits 0020 are outside 0644"],
        "CFG-007": ["docker.service has mode 0664: bits 0020 are outside 0644"],
        "CFG-008": ["/etc/docker has mode 0775: bits 0020 are outside 0755"],
    }


def test_no_daemon_json_without_a_path_says_daemon_json() -> None:
    snap = s.healthy()
    snap["daemon_json"] = {"exists": False}
    found = outcomes(snap)["CFG-006"]
    assert found["reason"] == "there is no daemon.json: dockerd uses its defaults"


def test_unparseable_daemon_json_messages() -> None:
    snap = s.healthy()
    snap["daemon_json"] = {"exists": True, "content": None, "error": "bad"}
    found = outcomes(snap)
    assert found["CFG-016"]["problems"] == ["daemon.json does not parse: bad"]
    assert found["CFG-011"]["reason"] == "daemon.json does not parse: bad"


def test_a_flag_from_an_environment_file_says_which_variable() -> None:
    snap = s.healthy()
    snap["unit"]["flag_conflicts"] = [
        {"flag": "-s=vfs", "key": "storage-driver", "command": "dockerd $OPTS", "via": "$OPTS"}
    ]
    assert failing(snap) == {"CFG-009": ["-s=vfs in 'dockerd $OPTS' (via $OPTS)"]}


def test_an_engine_without_live_restore_or_reason_cannot_be_checked() -> None:
    snap = s.healthy()
    del snap["docker"]["live_restore"]
    assert outcomes(snap, policy(live_restore=True))["CFG-012"]["reason"] == (
        "the engine does not report LiveRestoreEnabled"
    )
    snap["docker"] = {"answers": False}
    assert outcomes(snap)["OVL-001"]["reason"] == "Docker does not answer: no reason given"


def test_audit_that_cannot_be_read_without_a_reason() -> None:
    snap = s.healthy()
    snap["audit"] = {"available": False}
    found = outcomes(snap, policy(audit_paths=["/etc/docker"]))["CFG-013"]
    assert found["reason"] == "no audit rules could be read (auditctl -l)"


def test_a_home_without_its_path_and_a_store_without_layerdb() -> None:
    snap = s.healthy()
    snap["overlay2"] = {"exists": False}
    assert outcomes(snap)["OVL-002"]["reason"] == (
        "the driver home <data-root>/overlay2 does not exist: the data root is not where "
        "Docker keeps its layers"
    )
    snap = s.healthy()
    del snap["layerdb"]
    assert outcomes(snap)["OVL-002"]["status"] == "cannot_check"


@pytest.mark.parametrize(("buildkit", "failed_ids"), [(True, set()), (False, {"OVL-008"})])
def test_buildkit_cache_dirs_are_not_orphans(buildkit: bool, failed_ids: set[str]) -> None:
    """BuildKit records its cache in <root>/buildkit, not in the layer database."""
    snap = s.healthy()
    snap["overlay2"]["buildkit"] = buildkit
    s.add_unreferenced_layer(snap, "j9cv4hnpokcyfoh1uhz81hn4a", "CACHEAAAAAAAAAAAAAAAAAAAAA")
    assert set(failing(snap)) == failed_ids


def test_a_build_cache_dir_without_a_link_file_is_not_a_broken_layer() -> None:
    snap = s.healthy()
    snap["overlay2"]["buildkit"] = True
    s.add_unreferenced_layer(snap, "j9cv4hnpokcyfoh1uhz81hn4a", "CACHEAAAAAAAAAAAAAAAAAAAAA")
    cache = snap["overlay2"]["layers"]["j9cv4hnpokcyfoh1uhz81hn4a"]
    cache["link"] = None
    del cache["parts"]["link"]
    del snap["overlay2"]["links"]["CACHEAAAAAAAAAAAAAAAAAAAAA"]
    assert "OVL-007" not in failing(snap)


def test_many_open_layer_dirs_are_counted_and_five_named() -> None:
    snap = s.healthy()
    names = [f"{n:064x}" for n in range(7)]
    for name in names:
        s.add_unreferenced_layer(snap, name, f"OPEN{name[-2:]}AAAAAAAAAAAAAAAAAAAA")
        snap["overlay2"]["layers"][name]["mode"] = 0o755
    assert failing(snap)["OVL-002"] == [f"7 layer dirs open to others: {sorted(names)[:5]}"]


def test_layer_store_messages() -> None:
    snap = s.healthy()
    snap["layerdb"]["mounts"][s.CID]["init_id"] = "gone-init"
    snap["images"][0].pop("tags")
    snap["images"][0]["diff_ids"].append("sha256:" + "3" * 64)
    del snap["overlay2"]["layers"][s.BASE]["parts"]["link"]
    del snap["overlay2"]["layers"][s.BASE]["parts"]["diff"]
    found = failing(snap)
    assert found["OVL-003"] == [f"container {s.CID[:12]} init_id 'gone-init' has no layer dir"]
    chain = checks.chain_ids([*s.DIFFS, "sha256:" + "3" * 64])[-1]
    assert found["OVL-004"] == [
        f"image sha256:aaaaaaaaaaaa: layer sha256:{'3' * 64} (chain {chain}) is not in layerdb"
    ]
    assert found["OVL-005"] == [f"base layer {s.BASE} lacks diff, link"]


def test_a_missing_layer_dir_is_named_in_layerdb_terms() -> None:
    snap = s.healthy()
    layer_dir_missing(snap)
    assert failing(snap)["OVL-003"] == [
        f"layer {s.TOP_CHAIN} names layer dir '{s.TOP}', which does not exist"
    ]


def test_lower_and_link_messages() -> None:
    snap = s.healthy()
    snap["overlay2"]["links"]["NOWHEREAAAAAAAAAAAAAAAAAAA"] = "../" + "9" * 64 + "/diff"
    snap["overlay2"]["layers"][s.TOP]["lower"] = ["l/NOWHEREAAAAAAAAAAAAAAAAAAA"]
    found = failing(snap)
    assert found["OVL-006"] == [
        f"{s.TOP}: lower entry l/NOWHEREAAAAAAAAAAAAAAAAAAA leads to no existing layer",
        f"{s.TOP}: lower names {['9' * 64]}, the parent chain is {[s.BASE]}",
    ]
    assert found["OVL-007"] == [
        f"l/NOWHEREAAAAAAAAAAAAAAAAAAA -> ../{'9' * 64}/diff "
        "does not lead to an existing layer's diff"
    ]
    snap = s.healthy()
    lower_in_wrong_order(snap)
    assert failing(snap)["OVL-006"] == [
        f"{s.INIT}: lower names {[s.BASE, s.TOP]}, the parent chain is {[s.TOP, s.BASE]}"
    ]
    snap = s.healthy()
    layer_without_link_file(snap)
    assert failing(snap)["OVL-007"] == [f"{s.TOP}: has no link file, so no l/ link names it"]
    snap = s.healthy()
    snap["overlay2"]["layers"][s.BASE]["link"] = "OTHERAAAAAAAAAAAAAAAAAAAAA"
    assert failing(snap)["OVL-007"] == [
        f"{s.BASE}: its link OTHERAAAAAAAAAAAAAAAAAAAAA is not "
        f"l/OTHERAAAAAAAAAAAAAAAAAAAAA -> ../{s.BASE}/diff"
    ]


def test_mount_and_inspect_messages() -> None:
    snap = s.healthy()
    snap["containers"][0]["graph_driver"]["data"] = {}
    snap["overlay_mounts"][0]["upperdir"] = "/elsewhere"
    upper = f"{s.HOME}/{s.CONTAINER}/diff"
    work = f"{s.HOME}/{s.CONTAINER}/work"
    lower = [f"{s.HOME}/{d}/diff" for d in (s.INIT, s.TOP, s.BASE)]
    assert failing(snap)["OVL-010"] == [
        f"web: docker inspect lowerdir is [''], want {lower}",
        f"web: mount upperdir is /elsewhere, want {upper}",
        f"web: docker inspect upperdir is , want {upper}",
        f"web: docker inspect workdir is , want {work}",
        "web: docker inspect MergedDir is None",
    ]


def test_every_running_container_is_judged_after_one_without_a_mount() -> None:
    snap = s.healthy()
    other = copy.deepcopy(snap["containers"][0])
    other.update(id="8" * 64, name="api")
    snap["containers"].insert(0, other)
    snap["layerdb"]["mounts"]["8" * 64] = {"mount_id": s.TOP, "init_id": s.INIT, "parent": ""}
    snap["containers"][1]["graph_driver"]["data"]["MergedDir"] = "/x"
    problems = failing(snap)["OVL-010"]
    assert f"api: 0 overlay mounts on {s.HOME}/{s.TOP}/merged, want 1" in problems
    assert "web: docker inspect MergedDir is /x" in problems


def test_image_lookups_by_registry_name_and_missing_layers() -> None:
    snap = s.healthy()
    snap["images"][0]["tags"] = ["registry:5000/team/app:latest"]
    assert checks.image_named(snap, "registry:5000/team/app") is snap["images"][0]
    image = {"diff_ids": [*s.DIFFS, "sha256:" + "3" * 64]}
    assert checks.image_dirs(snap, image) == ["", s.TOP, s.BASE]


def test_describe_lists_three_problems_then_counts_the_rest() -> None:
    fail = {
        "id": "X-1",
        "title": "T",
        "status": "fail",
        "problems": ["a", "b", "c"],
        "remediation": "R",
    }
    cannot = {"id": "X-2", "title": "U", "status": "cannot_check", "reason": "why"}
    assert checks.describe([cannot, fail]) == "X-2 U: cannot check: why. X-1 T: a; b; c. Fix: R"
    assert checks.describe([{**fail, "problems": ["a", "b", "c", "d"]}]) == (
        "X-1 T: a; b; c (and 1 more). Fix: R"
    )


def test_a_parent_missing_from_the_layer_database_ends_the_chain_without_a_crash() -> None:
    snap = s.healthy()
    snap["layerdb"]["layers"][s.TOP_CHAIN]["parent"] = "sha256:" + "7" * 64
    found = failing(snap)
    assert found["OVL-006"][0] == f"{s.TOP}: lower names {[s.BASE]}, the parent chain is []"


def test_an_image_with_a_tag_is_named_by_it() -> None:
    snap = s.healthy()
    image_layer_not_in_layerdb(snap)
    chain = checks.chain_ids(snap["images"][0]["diff_ids"])[-1]
    assert failing(snap)["OVL-004"] == [
        f"image app:latest: layer sha256:{'3' * 64} (chain {chain}) is not in layerdb"
    ]


def test_files_are_named_by_the_path_the_host_reported() -> None:
    snap = s.healthy()
    snap["config_dir"] = {
        "path": "/srv/etc/docker",
        "file": {"type": "dir", "mode": 0o775, "uid": 0, "gid": 0},
    }
    snap["daemon_json"].update(path="/srv/etc/docker/d.json", content=None, error="bad")
    found = outcomes(snap)
    assert found["CFG-008"]["problems"] == [
        "/srv/etc/docker has mode 0775: bits 0020 are outside 0755"
    ]
    assert found["CFG-016"]["problems"] == ["/srv/etc/docker/d.json does not parse: bad"]
    snap["daemon_json"] = {"exists": False, "path": "/srv/etc/docker/d.json"}
    assert outcomes(snap)["CFG-006"]["reason"] == (
        "there is no /srv/etc/docker/d.json: dockerd uses its defaults"
    )
