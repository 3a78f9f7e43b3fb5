"""The policy: layerwise/policy/default.yml is the judge's defaults, and bad policies name the
key."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from ansible_collections.layerwise.docker.plugins.filter import docker_storage as role_filters
from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
from layerwise.inputs import DEFAULT_POLICY as DEFAULT


def test_default_policy_file_is_the_judges_defaults_with_each_key_explained() -> None:
    text = DEFAULT.read_text()
    given = yaml.safe_load(text)
    assert given.pop("version") == 1
    assert given == checks.defaults()
    for key, (_, _, doc) in checks.POLICY.items():
        assert f"# {doc}\n{key}:" in text, key


def test_a_valid_policy_is_the_defaults_with_what_it_sets() -> None:
    policy, errors = checks.validate({"version": 1, "live_restore": True, "audit_paths": ["/x"]})
    assert errors == []
    assert policy == {**checks.defaults(), "live_restore": True, "audit_paths": ["/x"]}
    assert checks.validate(None) == (checks.defaults(), [])


@pytest.mark.parametrize(
    ("given", "error"),
    [
        ({"drivr": "overlay2"}, "drivr: not a policy key; known keys: audit_paths"),
        ({"version": 2}, "version: 2 is not a policy version this layerwise reads (1)"),
        ({"driver": 3}, "driver: 3 is not a string"),
        ({"fstab_entry": "yes"}, "fstab_entry: 'yes' is not true or false"),
        ({"live_restore": "on"}, "live_restore: 'on' is not true, false or null"),
        ({"min_free_percent": 101}, "min_free_percent: 101 is not a whole number from 0 to 100"),
        ({"min_free_percent": True}, "min_free_percent: True is not a whole number"),
        ({"min_free_percent": -1}, "min_free_percent: -1 is not a whole number"),
        ({"daemon_json_max_mode": 644}, "daemon_json_max_mode: 644 is not an octal mode"),
        ({"unit_max_mode": "0648"}, "unit_max_mode: '0648' is not an octal mode"),
        ({"backing_filesystems": "xfs"}, "backing_filesystems: 'xfs' is not a list"),
        ({"audit_paths": [""]}, "audit_paths: [''] is not a list of non-empty strings"),
        ({"daemon_json": ["a"]}, "daemon_json: ['a'] is not a mapping"),
    ],
)
def test_a_bad_policy_names_the_key_and_what_it_takes(given: dict[str, Any], error: str) -> None:
    policy, errors = checks.validate(given)
    assert len(errors) == 1
    assert errors[0].startswith(error), errors
    assert policy == checks.defaults()


def test_a_policy_that_is_not_a_mapping_is_refused() -> None:
    assert checks.validate(["driver"])[1] == ["a policy is a mapping of keys to values, not list"]


@pytest.mark.parametrize(
    ("source", "opts", "owns_fs"),
    [("/dev/vdb", ["overlay2.size=10G"], True), ("", [], False)],
)
def test_the_roles_promise_is_a_valid_policy(source: str, opts: list[str], owns_fs: bool) -> None:
    given = role_filters.role_policy("overlay2", "/var/lib/docker", opts, "xfs", source)
    policy, errors = checks.validate(given)
    assert errors == []
    assert policy["daemon_json"] == {
        "storage-driver": "overlay2",
        "data-root": "/var/lib/docker",
        **({"storage-opts": opts} if opts else {}),
    }
    assert policy["data_root_own_filesystem"] is owns_fs
    assert policy["fstab_entry"] is owns_fs
    assert policy["mount_dependency"] is owns_fs
    assert policy["log_rotation"] is False, "containers' log rotation is not the role's promise"
    assert policy["backing_filesystems"] == (["xfs"] if source else ["xfs", "ext4"])
    assert policy["image_store"] == "overlay2"
    assert policy["driver"] == "overlay2"


def test_the_roles_promise_for_the_containerd_store() -> None:
    """The store is judged by its own key; daemon.json's features map stays the user's."""
    given = role_filters.role_policy("overlay2", "/srv/docker", [], "xfs", "/dev/vdb", "containerd")
    policy, errors = checks.validate(given)
    assert errors == []
    assert policy["image_store"] == "containerd"
    assert policy["driver"] == "overlayfs"  # what docker info reports for that store
    assert policy["daemon_json"] == {"data-root": "/srv/docker"}
    assert policy["data_root_own_filesystem"] is True


WRONG_KIND = {
    "str": 3,
    "bool": "yes",
    "int": "10",
    "days": 0,
    "mode": 644,
    "strings": "xfs",
    "dict": ["a"],
    "tristate": "on",
    "store": "btrfs",
    "mib": 0,
}


@pytest.mark.parametrize("key", sorted(checks.POLICY))
def test_every_policy_key_refuses_a_value_of_the_wrong_kind(key: str) -> None:
    kind = checks.POLICY[key][0]
    errors = checks.validate({key: WRONG_KIND[kind]})[1]
    assert len(errors) == 1
    assert errors[0].startswith(f"{key}: {WRONG_KIND[kind]!r} is not "), errors


@pytest.mark.parametrize(("value", "errors"), [(1, 0), (3650, 0), (3651, 1), (True, 1), (7.0, 1)])
def test_waiver_max_days_is_a_whole_number_of_days_up_to_ten_years(value: Any, errors: int) -> None:
    assert len(checks.validate({"waiver_max_days": value})[1]) == errors


@pytest.mark.parametrize(
    ("value", "errors"), [(1, 0), (1 << 30, 0), (0, 1), ((1 << 30) + 1, 1), (True, 1), (1.0, 1)]
)
def test_a_size_in_mib_is_a_whole_number_from_one_mib_to_a_pib(value: Any, errors: int) -> None:
    found = checks.validate({"max_writable_layer_mb": value})[1]
    assert len(found) == errors
    if errors:
        assert found == [
            f"max_writable_layer_mb: {value!r} is not a whole number of MiB from 1 to 1073741824"
        ]


@pytest.mark.parametrize("value", [0, 100])
def test_percent_bounds_are_inclusive(value: int) -> None:
    assert checks.validate({"min_free_percent": value})[0]["min_free_percent"] == value


def test_every_error_of_a_policy_is_reported_at_once() -> None:
    errors = checks.validate({"drivr": 1, "fstab_entry": "yes", "bogus": 2})[1]
    assert [e.split(":")[0] for e in errors] == ["drivr", "fstab_entry", "bogus"]
    assert errors[0] == ("drivr: not a policy key; known keys: " + ", ".join(sorted(checks.POLICY)))
