"""The terminal report of a whole fleet, exactly: the matrix, each failure with what was found,
an expired waiver and the fix, hosts not checked, checks that could not be checked, waived
checks with their scope, drift in each group, and the verdict line."""

from __future__ import annotations

from layerwise.render import terminal

from .test_render_html import fleet_report, with_disagreement

EXPECTED = """\
host   state          pass    fail  waived  cannot    skip
db-1   unreachable       0       0       0       0       0
web-1  checked           0       1       1       0       0
web-2  checked           1       1       0       0       1
db-2   checked           2       0       0       1       0

NOT CHECKED  db-1: ssh: no <route>
FAIL    web-1  OVL-001 [critical] overlay2 on d_type
          found: d_type is false
          found: driver <vfs>
          fix:   run the role & retry
WAIVED  web-1  CFG-006 [high] daemon.json mode: the agent "rewrites" it \
(for group web, approved by ops' team, expires 2026-12-07)
FAIL    web-2  CFG-006 [high] daemon.json mode
          found: mode 0666
          waiver for web-2 expired on 2026-01-31: old exception
          fix:   chmod 0644
CANNOT  db-2  CFG-012 [low] live-restore is <on>: gone

DRIFT   group web: engine_version is 28.0 on most hosts; web-1 has 20.10, web-9 has <27>
DRIFT   group all: driver is overlay2 on most hosts; db-2 has vfs

disk         used          of  days left  largest parts
web-1       600 B      1000 B        4.0  image layers, shared 300 B, logs 200 B, not accounted for 100 B
largest writable layers: web-1/app<1> 2.0 KiB
largest logs: web-1/app<1> 200 B

layerwise compliance: FAIL (exit 1): 4 hosts, 3 checked, 1 not checked; 3 passed, 2 failed, \
1 waived, 5 could not be checked, 6 not asked
"""  # noqa: E501


def test_the_terminal_report_of_a_fleet_is_exactly_this() -> None:
    assert terminal.render(fleet_report()) == EXPECTED


def test_host_strings_cannot_drive_the_terminal() -> None:
    report = fleet_report()
    report["hosts"][0]["reason"] = "\x1b[2J\x1b]0;pwned\x07 \u202egone"
    assert "NOT CHECKED  db-1: ?[2J?]0;pwned? ?gone" in terminal.render(report).splitlines()


def test_without_a_measured_host_the_terminal_has_no_disk_lines() -> None:
    report = fleet_report()
    report["hosts"][1]["usage"] = None
    report["usage"]["writable_layers"] = report["usage"]["logs"] = []
    assert "\ndisk " not in terminal.render(report)
    assert "largest" not in terminal.render(report)


def test_recorded_sizes_that_disagree_are_said_per_host() -> None:
    report = with_disagreement(fleet_report())
    lines = terminal.render(report).splitlines()
    assert (
        "DISAGREE web-1: 2 recorded sizes disagree with the disk (the walks are counted):"
        " /var/lib/docker/overlay2/<b>x</b> recorded 100 B, walked 3.0 MiB"
    ) in lines
    report["hosts"][1]["usage"]["disagreements"][0]["path"] = "\x1b[2Jx"
    assert "DISAGREE web-1: 2 recorded sizes disagree with the disk (the walks are counted):" in (
        terminal.render(report)
    )
    assert "\x1b" not in terminal.render(report)
    del report["hosts"][1]["usage"]["disagreements"]
    del report["hosts"][1]["usage"]["disagreement_count"]
    assert "DISAGREE" not in terminal.render(report)
