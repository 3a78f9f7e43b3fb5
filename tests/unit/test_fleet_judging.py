"""The judging of a compliance run in layerwise/fleet.py, rule by rule: what a host's values
become when kept, why a host could not be checked, each host's entry, which waiver waives
what and until when, drift within a group, and the report's verdict and totals.

Each test pins an exact value a report format or a machine reading compliance.json relies on.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
from layerwise import fleet
from layerwise.inputs import Waiver

from . import snapshots as s
from .test_compliance import judged, noncompliant

TODAY = dt.date(2026, 11, 29)
IDS = [c.id for c in checks.CHECKS]
MISSING = "the host did not report this check (an older layerwise?)"
TOO_DEEP = "(nested too deep)"


def waiver(
    check: str = "CFG-006",
    expires: dt.date = TODAY,
    hosts: tuple[str, ...] = ("h",),
    groups: tuple[str, ...] = (),
    fleet_wide: bool = False,
    line: int = 3,
) -> Waiver:
    return Waiver(check, hosts, groups, "vendor agent", expires, "ops", line, fleet_wide)


def outcome(check: str, status: str = "pass", **kw: Any) -> dict[str, Any]:
    """An outcome as host_entry keeps it."""
    return {"id": check, "status": status, "problems": [], "reason": "", "waiver": None, **kw}


def nested(levels: int, leaf: Any) -> Any:
    for _ in range(levels):
        leaf = [leaf]
    return leaf


# ---- printable, number, clean --------------------------------------------------------------


@pytest.mark.parametrize(
    "char", ["\x00", "\x1f", "\x7f", "\x9f", "\u202a", "\u202e", "\u2066", "\u2069", "\ud800"]
)
def test_control_bidi_and_surrogate_characters_are_shown_as_a_question_mark(char: str) -> None:
    assert fleet.printable(f"a{char}b{char}") == "a?b?"


@pytest.mark.parametrize("char", [" ", "~", "\xa0", "\u2029", "\u202f", "\u2065", "\u206a", "é"])
def test_characters_next_to_the_unshown_ranges_are_kept(char: str) -> None:
    assert fleet.printable(f"a{char}b") == f"a{char}b"


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (0, 0),
        (-5, -5),
        (1.5, 1.5),
        (2**63 - 1, 2**63 - 1),
        (-(2**63) + 1, -(2**63) + 1),
        (2**63, None),
        (-(2**63), None),
        (float("nan"), None),
        (float("inf"), None),
        (True, None),
        (False, None),
        ("3", None),
        (None, None),
    ],
)
def test_a_number_is_kept_only_when_finite_and_below_2_to_the_63(value: Any, kept: Any) -> None:
    assert fleet.number(value) == kept
    assert type(fleet.number(value)) is type(kept)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("http://user:s3cret@proxy:3128/x", "http://***:***@proxy:3128/x"),
        ("HTTPS://U:P@host", "HTTPS://***:***@host"),
        (
            "proxy=git+ssh://me:pw@h and s3.x-y://a:b@c",
            "proxy=git+ssh://***:***@h and s3.x-y://***:***@c",
        ),
        ("http://user@host", "http://user@host"),
        ("http://host:3128/a:b@c", "http://host:3128/a:b@c"),
        ("1http://a:b@c", "1http://a:b@c"),
        ("ftp://a\x1b:b@c\x1b", "ftp://***:***@c?"),
    ],
)
def test_credentials_in_urls_are_redacted(text: str, shown: str) -> None:
    assert fleet.clean(text) == shown


def test_text_is_cut_after_max_text_characters() -> None:
    assert fleet.clean("x" * fleet.MAX_TEXT) == "x" * fleet.MAX_TEXT
    assert fleet.clean("y" * (fleet.MAX_TEXT + 1)) == "y" * fleet.MAX_TEXT + "... (truncated)"
    assert fleet.MAX_TEXT == 2000


def test_lists_keep_max_items_and_say_how_many_more() -> None:
    assert fleet.clean(list(range(fleet.MAX_ITEMS))) == list(range(200))
    assert fleet.clean(list(range(fleet.MAX_ITEMS + 3))) == [*range(200), "... and 3 more"]
    assert fleet.clean([]) == []


def test_mappings_keep_their_first_max_items_keys_as_clean_strings() -> None:
    big = {f"k{n:03}": n for n in range(fleet.MAX_ITEMS + 5)}
    assert fleet.clean(big) == {f"k{n:03}": n for n in range(fleet.MAX_ITEMS)}
    assert fleet.clean({1: "a", "x\x1b": [None, True, False, 1.5]}) == {
        "1": "a",
        "x?": [None, True, False, 1.5],
    }


def test_other_values_are_kept_as_their_clean_text() -> None:
    assert fleet.clean(("a\x07", 1)) == "('a\\x07', 1)"
    assert fleet.clean(Path("/a\x1bb")) == "/a?b"
    assert fleet.clean(float("inf")) is None


def test_nesting_is_kept_six_levels_deep_then_cut() -> None:
    assert fleet.clean(nested(6, 1)) == nested(6, 1)
    assert fleet.clean(nested(7, 1)) == nested(7, TOO_DEEP)
    assert fleet.clean(nested(9, "s")) == nested(7, TOO_DEEP)
    assert fleet.clean(nested(7, "s")) == nested(7, "s")  # text is kept at any depth
    assert fleet.clean({"a": nested(6, None)}) == {"a": nested(6, TOO_DEEP)}
    assert fleet.clean([1], 6) == [TOO_DEEP]
    assert fleet.clean([1], 7) == TOO_DEEP


# ---- the results file ------------------------------------------------------------------------


def test_the_results_file_is_read_with_a_256_mib_bound(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "raw.json"
    path.write_text('{"hosts": {"a": {}}, "generated": "now"}')
    asked: list[int] = []
    read = fleet.yamlfile.read_text

    def spy(given: Path, limit: int) -> str:
        asked.append(limit)
        return read(given, limit)

    monkeypatch.setattr(fleet.yamlfile, "read_text", spy)
    assert fleet.load_raw(path) == {"hosts": {"a": {}}, "generated": "now"}
    assert asked == [256 * 1024 * 1024]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            '{\n"hosts": {,}}',
            ":2: not valid JSON: Expecting property name enclosed in double quotes",
        ),
        ('{"hosts": {}, "x": Infinity}', ": not valid JSON: Infinity is not JSON"),
        ('{"hosts": {}, "x": -Infinity}', ": not valid JSON: -Infinity is not JSON"),
        ("[" * 100_000 + "]" * 100_000, ": not valid JSON: nested too deep"),
        (
            '{"groups": {}}',
            ": not what layerwise.docker.compliance writes: a mapping with 'hosts' "
            "(host name: its result)",
        ),
        (
            '{"hosts": null}',
            ": not what layerwise.docker.compliance writes: a mapping with 'hosts' "
            "(host name: its result)",
        ),
    ],
)
def test_a_results_file_error_is_exact(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "raw.json"
    path.write_text(content)
    with pytest.raises(fleet.yamlfile.FileError) as refused:
        fleet.load_raw(path)
    assert str(refused.value) == f"{path}{problem}"


def test_a_huge_number_in_the_results_file_is_one_bounded_line(tmp_path: Path) -> None:
    path = tmp_path / "raw.json"
    path.write_text('{"hosts": {}, "n": ' + "9" * 5000 + "}")
    with pytest.raises(fleet.yamlfile.FileError) as refused:
        fleet.load_raw(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: not valid JSON: Exceeds the limit"), message
    assert len(message) <= len(f"{path}: not valid JSON: ") + 200


# ---- why a host could not be checked ---------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        ({}, "no result came back"),
        ({"msg": None, "stderr": "   "}, "no result came back"),
        ({"msg": "  boom \n"}, "boom"),
        ({"msg": "failed", "module_stderr": "one\ntwo\n"}, "failed: two"),
        (
            {"msg": "MODULE FAILURE\nSee stdout", "module_stderr": "a\nb", "module_stdout": "c"},
            "b: c",
        ),
        ({"msg": "Module result deserialization failed: x", "stderr": "why\n"}, "why"),
        ({"msg": "MODULE FAILURE"}, "MODULE FAILURE"),
        ({"module_stdout": "out", "stderr": "err"}, "out: err"),
        ({"msg": "x MODULE FAILURE", "module_stderr": "e"}, "x MODULE FAILURE: e"),
        ({"msg": "python3 is there"}, "python3 is there"),
        ({"msg": "file not found"}, "file not found"),
        ({"msg": "python: not found"}, "no python3 on the host (python: not found)"),
        (
            {"msg": "Failed to create temporary directory"},
            "Ansible could not run a command on the host (stopped, or no writable home?): "
            "Failed to create temporary directory",
        ),
    ],
)
def test_why_not_checked_says_the_most_telling_words(result: dict[str, Any], reason: str) -> None:
    assert fleet.why_not_checked(result) == reason


# ---- a host's entry --------------------------------------------------------------------------


def test_an_unreachable_host_is_its_name_groups_and_reason_only() -> None:
    result = {"unreachable": True, "msg": "ssh: no route", "summary": {"driver": "x\x1b"}}
    assert fleet.host_entry("h\x07", ["web", "db", "a\x1b"], result) == {
        "name": "h?",
        "groups": ["a?", "db", "web"],
        "status": "unreachable",
        "reason": "ssh: no route",
        "results": [],
        "summary": {"driver": "x?"},
        "usage": None,
    }


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        ({"failed": True}, "no result came back"),
        ({"results": 3, "summary": "x"}, "its results are not a list of checks (int)"),
        ({"results": None}, "its results are not a list of checks (NoneType)"),
    ],
)
def test_a_host_without_a_list_of_results_is_an_error(result: dict[str, Any], reason: str) -> None:
    assert fleet.host_entry("h", [], result) == {
        "name": "h",
        "groups": [],
        "status": "error",
        "reason": reason,
        "results": [],
        "summary": {},
        "usage": None,
    }


def test_a_long_reason_is_bounded_and_redacted() -> None:
    entry = fleet.host_entry("h", [], {"unreachable": False, "msg": "http://a:b@c " + "x" * 3000})
    assert entry["status"] == "error"
    assert entry["reason"] == ("http://***:***@c " + "x" * 3000)[:2000] + "... (truncated)"


def test_a_checked_host_has_every_check_in_order_with_no_reason_of_its_own() -> None:
    sent = [
        {"id": "CFG-006", "status": "fail", "problems": ["mode 0664\x1b", 7], "reason": "r"},
        "not a mapping",
        {"id": "XYZ-999", "status": "fail"},
        {"id": "OVL-001", "status": "waived"},
        {"id": "OVL-002", "status": "skip", "problems": None, "reason": None},
    ]
    result = {"unreachable": False, "results": sent, "elapsed": 1.25, "summary": ["x"]}
    entry = fleet.host_entry("h", ["lab"], result)
    assert (entry["status"], entry["reason"], entry["elapsed"], entry["summary"]) == (
        "checked",
        "",
        1.25,
        {},
    )
    assert [o["id"] for o in entry["results"]] == IDS
    kept = {o["id"]: o for o in entry["results"]}
    assert kept["CFG-006"] == outcome("CFG-006", "fail", problems=["mode 0664?", "7"], reason="r")
    assert kept["OVL-001"] == outcome("OVL-001", "cannot_check")
    assert kept["OVL-002"] == outcome("OVL-002", "skip")
    assert kept["OVL-003"] == outcome("OVL-003", "cannot_check", reason=MISSING)
    assert len(entry["results"]) == len(IDS)


def test_an_empty_list_of_results_is_every_check_unreported() -> None:
    entry = fleet.host_entry("h", [], {"results": [], "elapsed": float("nan")})
    assert entry["results"] == [outcome(i, "cannot_check", reason=MISSING) for i in IDS]
    assert entry["elapsed"] is None
    assert entry["summary"] == {}


def test_every_outcome_of_a_judged_host_keeps_its_own_reason() -> None:
    result = judged(noncompliant())
    entry = fleet.host_entry("h", [], result)
    sent = {o["id"]: o for o in result["results"]}
    for kept in entry["results"]:
        assert kept["reason"] == sent[kept["id"]]["reason"], kept["id"]
        assert kept["status"] == sent[kept["id"]]["status"], kept["id"]
    assert entry["summary"] == {"driver": "overlay2", "storage_keys": {}}
    assert "elapsed" in entry
    assert entry["elapsed"] is None


# ---- waivers ---------------------------------------------------------------------------------


def test_a_waivers_scope_is_fleet_wide_or_its_hosts_then_groups() -> None:
    assert fleet.scope({"fleet": True, "hosts": ["a"], "groups": []}) == "FLEET-WIDE: every host"
    assert fleet.scope({"fleet": False, "hosts": ["a", "b*"], "groups": ["web", "db"]}) == (
        "a, b*, group web, group db"
    )
    assert fleet.scope({"fleet": False, "hosts": [], "groups": ["web"]}) == "group web"


@pytest.mark.parametrize(
    ("hosts", "groups", "fleet_wide", "matched"),
    [
        ((), (), True, True),
        (("x", "we?-*"), (), False, True),
        (("WEB-*",), (), False, False),
        (("web",), (), False, False),
        ((), ("nope", "d*"), False, True),
        ((), ("web-1",), False, False),
        ((), ("DB",), False, False),
        ((), (), False, False),
    ],
)
def test_a_waiver_matches_by_host_or_group_pattern_case_sensitively(
    hosts: tuple[str, ...], groups: tuple[str, ...], fleet_wide: bool, matched: bool
) -> None:
    host = {"name": "web-1", "groups": ["app", "db"]}
    given = waiver(hosts=hosts, groups=groups, fleet_wide=fleet_wide)
    assert fleet.matches(given, host) is matched


def failing_host(name: str, *failed: str, groups: list[str] | None = None) -> dict[str, Any]:
    results = [outcome(i, "fail" if i in failed else "pass") for i in IDS]
    return {"name": name, "groups": groups or [], "status": "checked", "results": results}


def statuses(host: dict[str, Any]) -> dict[str, str]:
    return {o["id"]: o["status"] for o in host["results"] if o["status"] != "pass"}


def test_a_waiver_expiring_today_still_waives_and_one_from_yesterday_does_not() -> None:
    today, yesterday = failing_host("h", "CFG-006"), failing_host("h", "CFG-006")
    fleet.apply_waivers([today], [waiver(expires=TODAY)], TODAY)
    fleet.apply_waivers([yesterday], [waiver(expires=TODAY - dt.timedelta(days=1))], TODAY)
    assert statuses(today) == {"CFG-006": "waived"}
    assert statuses(yesterday) == {"CFG-006": "fail"}
    (waived,) = [o for o in today["results"] if o["id"] == "CFG-006"]
    assert waived["waiver"] == {**waiver().as_dict(), "expired": False}
    (failed,) = [o for o in yesterday["results"] if o["id"] == "CFG-006"]
    assert failed["waiver"] == {**waiver(expires=dt.date(2026, 11, 28)).as_dict(), "expired": True}


def test_a_live_waiver_wins_over_an_expired_one_and_the_first_live_one_is_kept() -> None:
    old = waiver(expires=dt.date(2026, 1, 1), line=2)
    first, second = waiver(expires=dt.date(2027, 1, 1), line=9), waiver(line=20)
    host = failing_host("h", "CFG-006")
    fleet.apply_waivers([host], [old, first, second], TODAY)
    (waived,) = [o for o in host["results"] if o["id"] == "CFG-006"]
    assert (waived["status"], waived["waiver"]["line"], waived["waiver"]["expired"]) == (
        "waived",
        9,
        False,
    )
    only_old = failing_host("h", "CFG-006")
    fleet.apply_waivers([only_old], [old, waiver(expires=dt.date(2026, 2, 1), line=5)], TODAY)
    (failed,) = [o for o in only_old["results"] if o["id"] == "CFG-006"]
    assert (failed["status"], failed["waiver"]["line"]) == ("fail", 5)


def test_waivers_reach_every_failed_outcome_of_every_host_and_nothing_else() -> None:
    hosts = [
        failing_host("a", "CFG-006", "OVL-008"),
        failing_host("b", "CFG-006", "OVL-008"),
        failing_host("c", "CFG-006"),
    ]
    given = [
        waiver(hosts=("a", "b")),
        waiver(check="OVL-008", hosts=("a", "b")),
        waiver(check="CFG-007", hosts=("c",)),
    ]
    fleet.apply_waivers(hosts, given, TODAY)
    assert [statuses(h) for h in hosts] == [
        {"CFG-006": "waived", "OVL-008": "waived"},
        {"CFG-006": "waived", "OVL-008": "waived"},
        {"CFG-006": "fail"},
    ]
    passed = [o for h in hosts for o in h["results"] if o["status"] == "pass"]
    assert all(o["waiver"] is None for o in passed)
    (unwaived,) = [o for o in hosts[2]["results"] if o["id"] == "CFG-006"]
    assert unwaived["waiver"] is None


def test_a_waiver_does_not_touch_a_passing_or_unchecked_outcome_of_its_check() -> None:
    host = failing_host("h")
    host["results"][IDS.index("CFG-006")]["status"] = "cannot_check"
    fleet.apply_waivers([host], [waiver(check="CFG-006"), waiver(check="OVL-001")], TODAY)
    assert statuses(host) == {"CFG-006": "cannot_check"}
    assert all(o["waiver"] is None for o in host["results"])


# ---- drift -----------------------------------------------------------------------------------


def checked(name: str, groups: list[str] | None = None, **summary: Any) -> dict[str, Any]:
    return {
        "name": name,
        "groups": groups or [],
        "status": "checked",
        "results": [],
        "summary": summary,
    }


def test_drift_in_a_two_host_group_names_the_greater_value_as_different() -> None:
    hosts = [
        checked("a", ["web"], engine_version="28.5.2"),
        checked("b", ["web"], engine_version="26.1.5"),
        checked("c", ["db"], engine_version="28.5.2"),
        checked("d", ["db"], engine_version="28.5.2"),
    ]
    assert fleet.drift(hosts) == [
        {"group": "all", "field": "engine_version", "usual": "28.5.2", "hosts": {"b": "26.1.5"}},
        {"group": "web", "field": "engine_version", "usual": "26.1.5", "hosts": {"a": "28.5.2"}},
    ]


def test_drift_is_reported_once_per_set_of_hosts_all_first_fields_in_order() -> None:
    hosts = [
        checked("c", ["aaa", "zz"], driver="vfs", engine_version="1", image_store="x"),
        checked("b", ["aaa", "zz"], driver="overlay2", engine_version="2", image_store="x"),
        checked("a", ["aaa"], driver="overlay2", engine_version="2", image_store="y"),
        checked("solo", ["one"], driver="btrfs"),
    ]
    assert fleet.drift(hosts) == [
        {"group": "all", "field": "engine_version", "usual": "2", "hosts": {"c": "1"}},
        {
            "group": "all",
            "field": "driver",
            "usual": "overlay2",
            "hosts": {"c": "vfs", "solo": "btrfs"},
        },
        {"group": "all", "field": "image_store", "usual": "x", "hosts": {"a": "y"}},
        {"group": "aaa", "field": "engine_version", "usual": "2", "hosts": {"c": "1"}},
        {"group": "aaa", "field": "driver", "usual": "overlay2", "hosts": {"c": "vfs"}},
        {"group": "aaa", "field": "image_store", "usual": "x", "hosts": {"a": "y"}},
        {"group": "zz", "field": "engine_version", "usual": "1", "hosts": {"b": "2"}},
        {"group": "zz", "field": "driver", "usual": "overlay2", "hosts": {"c": "vfs"}},
    ]


def test_a_group_with_the_same_hosts_as_all_is_not_reported_again() -> None:
    hosts = [checked(n, ["aaa"], driver=d) for n, d in (("a", "x"), ("b", "x"), ("c", "y"))]
    assert fleet.drift(hosts) == [
        {"group": "all", "field": "driver", "usual": "x", "hosts": {"c": "y"}}
    ]


def test_drift_ignores_hosts_not_checked_and_fields_not_reported() -> None:
    down = {"name": "z", "groups": ["web"], "status": "unreachable", "results": [], "summary": {}}
    error = {**checked("y", ["web"], driver="vfs"), "status": "error"}
    hosts = [
        checked("a", ["web"], driver="overlay2"),
        checked("b", ["web"], driver=None),
        down,
        error,
    ]
    assert fleet.drift(hosts) == []
    assert fleet.drift([checked("a", driver="overlay2")]) == []
    assert fleet.drift([]) == []


def test_drift_compares_mappings_and_lists_by_content_and_other_values_as_text() -> None:
    hosts = [
        checked("a", storage_keys={"b": 1, "a": [2]}, backing_filesystem=5),
        checked("b", storage_keys={"a": [2], "b": 1}, backing_filesystem=5),
        checked("c", storage_keys={"a": [3]}, backing_filesystem=True),
    ]
    assert fleet.drift(hosts) == [
        {"group": "all", "field": "backing_filesystem", "usual": "5", "hosts": {"c": "True"}},
        {
            "group": "all",
            "field": "storage_keys",
            "usual": '{"a": [2], "b": 1}',
            "hosts": {"c": '{"a": [3]}'},
        },
    ]


# ---- exit code and the report ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("hosts", "code"),
    [
        ([], 0),
        ([["pass", "skip", "waived"]], 0),
        ([["pass"], ["fail", "waived"]], 1),
        ([["fail"], ["cannot_check"]], 2),
        ([["pass"], None], 2),
    ],
)
def test_exit_code_is_2_before_1_before_0(hosts: list[list[str] | None], code: int) -> None:
    made = [
        {"status": "unreachable", "results": []}
        if given is None
        else {"status": "checked", "results": [{"status": x} for x in given]}
        for given in hosts
    ]
    assert fleet.exit_code(made) == code


def sent_back(*failed: str) -> dict[str, Any]:
    """A judged host whose checks pass except ``failed``."""
    return {
        "results": [{"id": i, "status": "fail" if i in failed else "pass"} for i in IDS],
        "summary": {"driver": "overlay2"},
        "elapsed": 2,
    }


@pytest.mark.parametrize(
    ("hosts", "verdict", "code"),
    [
        ({"a": sent_back()}, "pass", 0),
        ({"a": sent_back(), "b": sent_back("CFG-006")}, "fail", 1),
        ({"a": sent_back(), "b": {"unreachable": True}}, "error", 2),
    ],
)
def test_the_verdict_is_pass_fail_or_error(hosts: dict[str, Any], verdict: str, code: int) -> None:
    report = fleet.report({"hosts": hosts}, {}, [], today=TODAY)
    assert (report["verdict"], report["exit_code"]) == (verdict, code)


def test_the_report_counts_hosts_and_outcomes_including_zeros() -> None:
    raw = {
        "hosts": {
            "c": {"unreachable": True, "msg": "down"},
            "a": sent_back("CFG-006", "OVL-008"),
            "b": sent_back("CFG-006"),
            "d": "not a result",
        },
        "groups": {"a": ["web", 3, None], "b": "web", "c": ["db"]},
        "generated": "2026-11-29T10:00:00+00:00",
        "duration_seconds": 12.5,
    }
    report = fleet.report(raw, {"driver": "overlay2"}, [waiver(hosts=("a", "b"))], today=TODAY)
    assert report["totals"] == {
        "hosts": 4,
        "checked": 2,
        "not_checked": 2,
        "pass": 2 * len(IDS) - 3,
        "fail": 1,
        "waived": 2,
        "cannot_check": 0,
        "skip": 0,
    }
    assert [(h["name"], h["groups"], h["status"]) for h in report["hosts"]] == [
        ("a", ["web"], "checked"),
        ("b", [], "checked"),
        ("c", ["db"], "unreachable"),
        ("d", [], "error"),
    ]
    assert report["hosts"][3]["reason"] == "no result came back"
    assert (report["schema_version"], report["generated"], report["duration_seconds"]) == (
        2,
        "2026-11-29T10:00:00+00:00",
        12.5,
    )
    assert report["policy"] == {"driver": "overlay2"}
    assert report["waivers"] == [{**waiver(hosts=("a", "b")).as_dict(), "expired": False}]
    assert report["drift"] == []
    assert list(report) == [
        "schema_version", "generated", "duration_seconds", "verdict", "exit_code", "totals",
        "policy", "waivers", "checks", "hosts", "drift", "usage",
    ]  # fmt: skip


def test_the_report_describes_every_check() -> None:
    report = fleet.report({"hosts": {}}, {}, [], today=TODAY)
    assert report["checks"] == [
        {
            "id": c.id,
            "title": c.title,
            "severity": c.severity,
            "cis": c.cis,
            "rationale": c.rationale,
            "remediation": c.remediation,
        }
        for c in checks.CHECKS
    ]
    assert report["totals"] == {
        "hosts": 0, "checked": 0, "not_checked": 0,
        "pass": 0, "fail": 0, "waived": 0, "cannot_check": 0, "skip": 0,
    }  # fmt: skip
    assert report["hosts"] == []
    assert report["verdict"] == "pass"


def test_a_report_of_no_hosts_or_odd_groups_is_still_a_report() -> None:
    for raw in ({}, {"hosts": None}, {"hosts": {}, "groups": ["a"]}):
        assert fleet.report(raw, {}, [], today=TODAY)["totals"]["hosts"] == 0
    odd = fleet.report({"hosts": {"a": sent_back()}, "groups": ["a"]}, {}, [], today=TODAY)
    assert odd["hosts"][0]["groups"] == []


def test_a_report_says_which_waivers_expired_before_today() -> None:
    given = [waiver(expires=TODAY), waiver(expires=TODAY - dt.timedelta(days=1))]
    report = fleet.report({"hosts": {}}, {}, given, today=TODAY)
    assert [w["expired"] for w in report["waivers"]] == [False, True]


def test_a_report_without_a_date_judges_by_today_and_stamps_the_time() -> None:
    today = dt.date.today()
    given = [waiver(hosts=("a",), expires=today), waiver(expires=today - dt.timedelta(days=1))]
    report = fleet.report({"hosts": {"a": sent_back("CFG-006")}}, {}, given)
    assert report["totals"]["waived"] == 1
    assert [w["expired"] for w in report["waivers"]] == [False, True]
    stamped = dt.datetime.fromisoformat(report["generated"])
    assert stamped.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.timezone.utc) - stamped) < dt.timedelta(minutes=5)
    assert report["duration_seconds"] is None


def test_the_generated_stamp_a_host_sends_is_cleaned() -> None:
    report = fleet.report({"hosts": {}, "generated": 20261129}, {}, [], today=TODAY)
    assert report["generated"] == "20261129"
    report = fleet.report({"hosts": {}, "generated": "x\x1b" * 1500}, {}, [], today=TODAY)
    assert report["generated"] == ("x?" * 1000) + "... (truncated)"


def test_a_real_lab_report_waives_by_group() -> None:
    raw = {
        "hosts": {"lab-1": judged(s.healthy()), "lab-2": judged(noncompliant())},
        "groups": {"lab-1": ["lab"], "lab-2": ["lab", "web"]},
    }
    report = fleet.report(raw, checks.defaults(), [waiver(hosts=(), groups=("we*",))], TODAY)
    assert report["totals"]["waived"] == 1
    assert report["totals"]["fail"] == 2
