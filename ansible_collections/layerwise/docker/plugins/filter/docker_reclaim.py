"""Jinja filter: what a docker_storage_reclaim run found, kept and removed, as report lines."""

from __future__ import annotations

from typing import Any

UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human(size: int | None) -> str:
    """Bytes in binary units, one decimal ("?" when unknown)."""
    if size is None:
        return "?"
    value, unit = float(size), 0
    while value >= 1024 and unit < len(UNITS) - 1:
        value, unit = value / 1024, unit + 1
    return f"{int(value)} B" if unit == 0 else f"{value:.1f} {UNITS[unit]}"


def _total(items: list[dict[str, Any]]) -> int:
    return sum(int(item.get("bytes") or 0) for item in items)


def reclaim_report(run: dict[str, Any]) -> list[str]:
    """The run as lines: a headline, one line per dir (removed, would remove, kept with
    every reason, not removed with its error), what was freed and where it is recorded, and
    the deleted files processes still hold open."""
    candidates = run.get("candidates", [])
    unused = run.get("removed", []) + run.get("would_remove", [])
    lines = [
        f"{run.get('store', '?')}: {len(candidates)} dirs nothing names; "
        f"{len(unused)} proven unused ({human(_total(unused))}), "
        f"{len(run.get('kept', []))} kept because something uses them"
    ]
    for item in run.get("removed", []):
        lines.append(f"removed {item['path']} ({human(item.get('bytes'))})")
    for item in run.get("would_remove", []):
        lines.append(f"would remove {item['path']} ({human(item.get('bytes'))})")
    for item in run.get("kept", []):
        since = " (in use since it was listed)" if item.get("used_since_listed") else ""
        reasons = "; ".join(item.get("reasons", []))
        lines.append(f"kept {item['path']} ({human(item.get('bytes'))}){since}: {reasons}")
    for item in run.get("not_removed", []):
        lines.append(f"NOT REMOVED {item['path']}: {item.get('error', '')}")
    if run.get("applied"):
        record = run.get("record")
        lines.append(
            f"freed {human(run.get('freed_bytes', 0))}"
            + (f"; recorded in {record}" if record else "; nothing to record")
        )
    elif unused:
        lines.append(
            "nothing removed: set docker_reclaim_remove=true (not in check mode) to remove "
            "what is proven unused; each dir is proven again just before"
        )
    for done in run.get("prunes", []):
        until = done["filters"]["until"][0]
        what = "dangling images" if done["what"] == "images" else "the build cache"
        if done.get("applied"):
            lines.append(
                f"docker pruned {what} older than {until}: {done.get('deleted', 0)} deleted, "
                f"{human(done.get('freed_bytes', 0))} freed"
            )
        elif done["what"] == "images":
            lines.append(
                f"would prune {len(done.get('would_delete', []))} {what} older than {until} "
                f"(at most {human(done.get('at_most_bytes'))}: sizes count shared layers)"
            )
        else:
            lines.append(f"would prune {what} older than {until} (Docker says how much after)")
    for held in run.get("deleted_but_open", []):
        container = f", container {held['container'][:12]}" if held.get("container") else ""
        lines.append(
            f"deleted but open: {held.get('path')} ({human(held.get('bytes'))}) held by "
            f"process {held.get('pid')} ({held.get('command')}){container}: the space returns "
            "when that process closes it or stops; reclaim never signals a process"
        )
    for container in run.get("unrotated_logs", []):
        lines.append(
            f"log without rotation: container {container['name']} ({container['rotation']}); "
            "the docker_storage role's docker_storage_log_max_size sets log-opts max-size in "
            "daemon.json for new containers; recreate this one to rotate it (it keeps the log "
            "config it was created with)"
        )
    return lines


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {"docker_reclaim_report": reclaim_report}
