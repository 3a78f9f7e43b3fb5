"""The rules of a compliance run's inputs in layerwise/inputs.py: what a policy or waiver file
may say, and the exact message, file and line of each thing it may not.

Messages are a contract: a user fixes the file from them, so each is pinned whole.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
from layerwise import fleet, inputs
from layerwise.inputs import InputError, Waiver, load_policy, load_waivers

from .test_compliance import judged, noncompliant

TODAY = dt.date(2026, 12, 7)
KEYS = "approved_by, check, expires, fleet, groups, hosts, justification"
GOOD = {
    "check": "CFG-006",
    "hosts": ["lab-2"],
    "justification": "  vendor agent  ",
    "expires": "2027-01-31",
    "approved_by": " ops ",
}


def write(tmp_path: Path, text: str, name: str = "given.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def flow(value: Any) -> str:
    """A value as YAML flow text: strings quoted, so that none is read as another type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return str(value)


def entry_text(entry: dict[str, Any]) -> str:
    """One waiver entry as a YAML list item on one line."""
    return "  - {" + ", ".join(f"{k}: {flow(v)}" for k, v in entry.items()) + "}\n"


def waivers_file(tmp_path: Path, *entries: dict[str, Any]) -> Path:
    return write(tmp_path, "waivers:\n" + "".join(entry_text(e) for e in entries), "w.yml")


def refused(
    tmp_path: Path, *entries: dict[str, Any], max_days: int = 180, today: dt.date = TODAY
) -> str:
    """The message a waiver file of ``entries`` is refused with, its path shown as FILE."""
    path = waivers_file(tmp_path, *entries)
    with pytest.raises(InputError) as raised:
        load_waivers(path, max_days, today)
    return str(raised.value).replace(str(path), "FILE")


def loaded(
    tmp_path: Path, *entries: dict[str, Any], max_days: int = 180, today: dt.date = TODAY
) -> list[Waiver]:
    return load_waivers(waivers_file(tmp_path, *entries), max_days, today)


# ---- the policy ------------------------------------------------------------------------------


def test_the_default_policy_is_the_file_next_to_the_package() -> None:
    assert Path(inputs.__file__).parent / "policy" / "default.yml" == inputs.DEFAULT_POLICY
    assert load_policy(None) == checks.defaults()


def test_a_policy_file_sets_what_it_says_over_the_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "version: 1\nlive_restore: true\naudit_paths: [/x]\n")
    assert load_policy(path) == {**checks.defaults(), "live_restore": True, "audit_paths": ["/x"]}


def test_every_policy_error_is_one_line_with_its_keys_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, "# a policy\n\ndriver: 3\nversion: 1\naudit_paths: ['a:b', '']\ndrivr: x\n"
    )
    with pytest.raises(InputError) as raised:
        load_policy(path)
    assert str(raised.value) == (
        f"{path}:3: driver: 3 is not a string\n"
        f"{path}:5: audit_paths: ['a:b', ''] is not a list of non-empty strings\n"
        f"{path}:6: drivr: not a policy key; known keys: {', '.join(sorted(checks.POLICY))}"
    )


def test_a_policy_that_is_not_a_mapping_is_refused_at_line_1(tmp_path: Path) -> None:
    path = write(tmp_path, "\n\n- driver\n")
    with pytest.raises(InputError) as raised:
        load_policy(path)
    assert str(raised.value) == f"{path}:1: a policy is a mapping of keys to values, not list"


def test_an_unreadable_policy_is_an_input_error_with_the_readers_words(tmp_path: Path) -> None:
    path = tmp_path / "absent.yml"
    with pytest.raises(InputError) as raised:
        load_policy(path)
    assert str(raised.value) == f"{path}: cannot read it: No such file or directory"
    bad = write(tmp_path, "a: [\n")
    with pytest.raises(InputError, match=r"given.yml:2: not valid YAML: "):
        load_policy(bad)


# ---- a waiver's rules ------------------------------------------------------------------------


def test_a_good_waiver_is_loaded_with_its_words_stripped_and_its_line(tmp_path: Path) -> None:
    second = {**GOOD, "hosts": "web-*", "groups": ["db", "app-?"], "check": "OVL-008"}
    fleet_wide = {k: v for k, v in GOOD.items() if k != "hosts"} | {"fleet": True}
    assert loaded(tmp_path, GOOD, second, fleet_wide) == [
        Waiver("CFG-006", ("lab-2",), (), "vendor agent", dt.date(2027, 1, 31), "ops", 2, False),
        Waiver(
            "OVL-008", ("web-*",), ("db", "app-?"), "vendor agent", dt.date(2027, 1, 31), "ops", 3
        ),
        Waiver("CFG-006", (), (), "vendor agent", dt.date(2027, 1, 31), "ops", 4, True),
    ]


def test_a_waiver_as_in_the_report() -> None:
    given = Waiver("CFG-006", ("a", "b"), ("web",), "why", dt.date(2027, 1, 2), "ops", 7)
    assert given.fleet is False
    assert given.as_dict() == {
        "check": "CFG-006",
        "hosts": ["a", "b"],
        "groups": ["web"],
        "fleet": False,
        "justification": "why",
        "expires": "2027-01-02",
        "approved_by": "ops",
        "line": 7,
    }


def test_a_waiver_that_is_not_a_mapping_names_every_key(tmp_path: Path) -> None:
    path = write(tmp_path, "waivers:\n  - CFG-006\n  - [a]\n")
    with pytest.raises(InputError) as raised:
        load_waivers(path)
    assert str(raised.value) == (
        f"{path}:2: a waiver is a mapping with {KEYS}\n{path}:3: a waiver is a mapping with {KEYS}"
    )


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"owner": "me", "ticket": 1}, ["unknown key 'owner'", "unknown key 'ticket'"]),
        ({"check": 3}, ["check 3 is not a layerwise check id (e.g. CFG-001)"]),
        ({"check": "cfg-006"}, ["check 'cfg-006' is not a layerwise check id (e.g. CFG-001)"]),
        (
            {"hosts": []},
            [
                "hosts must be a host name pattern or a list of them",
                "name the hosts or groups it waives (patterns such as 'build-*')",
            ],
        ),
        ({"hosts": ["a", ""]}, ["hosts must be a host name pattern or a list of them"]),
        (
            {"hosts": ""},
            [
                "hosts must be a host name pattern or a list of them",
                "name the hosts or groups it waives (patterns such as 'build-*')",
            ],
        ),
        (
            {"hosts": [1], "groups": [None]},
            [
                "hosts must be a host name pattern or a list of them",
                "groups must be a group name pattern or a list of them",
            ],
        ),
        ({"fleet": "yes"}, ["fleet 'yes' is not true or false"]),
        ({"fleet": None}, ["fleet None is not true or false"]),
        ({"fleet": True}, ["fleet: true waives every host: give no hosts or groups with it"]),
        (
            {"fleet": True, "hosts": [], "groups": ["db"]},
            [
                "hosts must be a host name pattern or a list of them",
                "fleet: true waives every host: give no hosts or groups with it",
            ],
        ),
        (
            {"fleet": False, "hosts": None},
            [
                "hosts must be a host name pattern or a list of them",
                "name the hosts or groups it waives (patterns such as 'build-*')",
            ],
        ),
        (
            {"hosts": ["a", "*?", "**"]},
            [
                "hosts pattern '*?' names every one: a fleet-wide waiver says so with fleet: true"
                " (and no hosts or groups)"
            ],
        ),
        (
            {"hosts": "?*?", "groups": ["db", "*"]},
            [
                "hosts pattern '?*?' names every one: a fleet-wide waiver says so with fleet: true"
                " (and no hosts or groups)",
                "groups pattern '*' names every one: a fleet-wide waiver says so with fleet: true"
                " (and no hosts or groups)",
            ],
        ),
        ({"justification": "  "}, ["justification is required: who and why, in words"]),
        ({"justification": 5}, ["justification is required: who and why, in words"]),
        ({"approved_by": ""}, ["approved_by is required: who and why, in words"]),
        ({"expires": "2027-02-30"}, ["expires '2027-02-30' is not a date (YYYY-MM-DD)"]),
        ({"expires": 20270101}, ["expires 20270101 is not a date (YYYY-MM-DD)"]),
        (
            {"expires": "2027-06-06"},
            [
                "expires 2027-06-06 is after 2027-06-05, further ahead than the policy's"
                " waiver_max_days allows: waive for a shorter time, and renew it then"
            ],
        ),
    ],
)
def test_each_waiver_rule_has_its_exact_message(
    tmp_path: Path, change: dict[str, Any], errors: list[str]
) -> None:
    assert refused(tmp_path, {**GOOD, **change}) == "\n".join(f"FILE:2: {e}" for e in errors)


def test_a_waiver_without_any_field_lists_every_problem_in_order(tmp_path: Path) -> None:
    path = write(tmp_path, "waivers:\n  - {}\n")
    with pytest.raises(InputError) as raised:
        load_waivers(path)
    assert str(raised.value).replace(str(path), "FILE") == "\n".join(
        [
            "FILE:2: check None is not a layerwise check id (e.g. CFG-001)",
            "FILE:2: name the hosts or groups it waives (patterns such as 'build-*')",
            "FILE:2: justification is required: who and why, in words",
            "FILE:2: approved_by is required: who and why, in words",
            "FILE:2: expires None is not a date (YYYY-MM-DD)",
        ]
    )


@pytest.mark.parametrize("pattern", ["a*", "*a", "?", "??", "[*]"])
def test_a_pattern_with_a_name_part_is_not_everything(tmp_path: Path, pattern: str) -> None:
    (given,) = loaded(tmp_path, {**GOOD, "hosts": [pattern], "groups": pattern})
    assert (given.hosts, given.groups) == ((pattern,), (pattern,))


def test_a_group_waiver_from_a_file_waives_the_hosts_of_that_group(tmp_path: Path) -> None:
    (by_group,) = loaded(
        tmp_path, {k: v for k, v in GOOD.items() if k != "hosts"} | {"groups": "we*"}
    )
    raw = {
        "hosts": {"lab-1": judged(noncompliant()), "lab-2": judged(noncompliant())},
        "groups": {"lab-1": ["lab"], "lab-2": ["lab", "web"]},
    }
    report = fleet.report(raw, checks.defaults(), [by_group], TODAY)
    waived = {
        h["name"]: [o["id"] for o in h["results"] if o["status"] == "waived"]
        for h in report["hosts"]
    }
    assert waived == {"lab-1": [], "lab-2": ["CFG-006"]}


# ---- how far ahead a waiver may expire --------------------------------------------------------


@pytest.mark.parametrize(("max_days", "latest"), [(0, TODAY), (10, dt.date(2026, 12, 17))])
def test_a_waiver_may_expire_up_to_max_days_ahead(
    tmp_path: Path, max_days: int, latest: dt.date
) -> None:
    on_time = {**GOOD, "expires": latest.isoformat()}
    assert loaded(tmp_path, on_time, max_days=max_days)[0].expires == latest
    late = {**GOOD, "expires": (latest + dt.timedelta(days=1)).isoformat()}
    assert refused(tmp_path, late, max_days=max_days).startswith(
        f"FILE:2: expires {latest + dt.timedelta(days=1)} is after {latest}, further ahead"
    )


def test_without_a_limit_or_a_date_the_policys_default_and_today_bound_a_waiver(
    tmp_path: Path,
) -> None:
    today = dt.date.today()
    latest = today + dt.timedelta(days=checks.defaults()["waiver_max_days"])
    on_time = write(tmp_path, "waivers:\n" + entry_text({**GOOD, "expires": str(latest)}), "a.yml")
    assert load_waivers(on_time)[0].expires == latest
    late = latest + dt.timedelta(days=1)
    too_late = write(tmp_path, "waivers:\n" + entry_text({**GOOD, "expires": str(late)}), "b.yml")
    with pytest.raises(InputError, match=f"expires {late} is after {latest}, further"):
        load_waivers(too_late)
    with pytest.raises(InputError, match=f"expires {late} is after {latest}, further"):
        load_waivers(too_late, None, None)


# ---- a waiver file ---------------------------------------------------------------------------


def test_no_waiver_file_is_no_waivers(tmp_path: Path) -> None:
    assert load_waivers(None) == []
    assert load_waivers(write(tmp_path, "waivers: []\n")) == []


@pytest.mark.parametrize("text", ["", "- a\n", "waivers: x\n", "others: []\n", "waivers:\n"])
def test_a_file_without_a_list_of_waivers_is_refused(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as raised:
        load_waivers(path)
    assert str(raised.value) == f"{path}:1: a waiver file holds 'waivers:', a list of waivers"


def test_a_waiver_file_names_the_line_of_each_bad_entry_and_loads_none(tmp_path: Path) -> None:
    """A block entry's line is that of its first key, under the dash."""
    text = (
        "# waivers\nother: 1\nwaivers:\n"
        + entry_text(GOOD)
        + entry_text({**GOOD, "check": "X"})
        + "  -\n    check: CFG-006\n    hosts: [a]\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(InputError) as raised:
        load_waivers(path, 180, TODAY)
    assert str(raised.value).replace(str(path), "FILE") == "\n".join(
        [
            "FILE:5: check 'X' is not a layerwise check id (e.g. CFG-001)",
            "FILE:7: justification is required: who and why, in words",
            "FILE:7: approved_by is required: who and why, in words",
            "FILE:7: expires None is not a date (YYYY-MM-DD)",
        ]
    )


def test_an_unreadable_waiver_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.yml"
    with pytest.raises(InputError) as raised:
        load_waivers(path)
    assert str(raised.value) == f"{path}: cannot read it: No such file or directory"
