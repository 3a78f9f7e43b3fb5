#!/usr/bin/python
# Copyright: (c) 2026, layerwise maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Move Docker's data root onto its new filesystem, one step per call, resumable.

The docker_storage role drives the steps (tasks/migrate.yml) and does the stopping, mounting
and starting; this module does what must be exact: read where a move stands, record what the
engine shows, copy, prove the copy equal, and finish once Docker runs on the copy. The logic
is in plugins/module_utils/layerwise_migration (standard library only).
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: docker_data_root_migration
short_description: Move Docker's data root onto a new filesystem with nothing lost
description:
  - One step of a move per call. The new filesystem is mounted at I(staging) until the copy is
    proven equal, then at I(data_root). Where the move stands is kept in
    C(.layerwise-migration/state.json) on the new filesystem, so a run killed at any step (or
    a reboot) is finished by the next run.
  - C(inspect) reads where the move stands and the space it needs; C(record) saves the engine's
    images (with their layers' diff IDs), containers (with their states, and for those that do
    not run the changes C(docker diff) lists) and volumes, and hashes every image layer as
    C(docker save) gives it out (module_utils layerwise_migration/layers.py); C(stopped) notes
    that Docker is down, and when; C(copy) copies the data root (C(cp --archive --sparse=always)
    - hard links, extended attributes including trusted.*, whiteouts, sparse files, owners,
    modes, times) after removing any earlier partial copy; C(verify) compares both trees entry
    by entry, file contents by sha256; C(finish) compares the engine's view with the recorded
    one and hashes every layer again (each layer that gave its diff ID before must give it
    again), starts the containers that ran before and do not run now, removes the old data root
    unless I(keep_old), and removes the state.
  - With the containerd image store the image and container layers are under containerd's
    root, not the data root. Given I(containerd_root), C(copy) also copies it to
    C(containerd/system) on the new filesystem (the role bind-mounts that back on containerd's
    root), C(verify) proves that copy too, and C(finish) removes or keeps its old copy at
    I(containerd_old) as it does the data root's. C(copy) refuses while a containerd shim
    still runs (a container of another containerd client, which outlives containerd's stop
    and keeps using its root).
options:
  step:
    description: The step to run.
    type: str
    required: true
    choices: [inspect, record, stopped, copy, verify, finish]
  data_root:
    description: Docker's data root.
    type: path
    required: true
  staging:
    description: Where the new filesystem is mounted until the copy is verified.
    type: path
    required: true
  old_path:
    description: Where the old data root is renamed to once the copy is verified.
    type: path
    required: true
  containerd_root:
    description: containerd's root, moved with the data root (the containerd image store);
      empty when only the data root moves.
    type: path
    default: ""
  containerd_old:
    description: Where containerd's old root is renamed to once the copy is verified (with
      I(containerd_root)).
    type: path
    default: ""
  containerd_address:
    description: The socket of the containerd whose root moves (with I(containerd_root)), as
      the engine reported it. C(copy) refuses while a shim of that containerd still runs;
      shims of another containerd (another socket and root, such as k3s's) are left out.
      Empty (the engine was not asked) counts every shim.
    type: str
    default: ""
  keep_old:
    description: With C(finish), keep the old data root at I(old_path) (and containerd's at
      I(containerd_old)) instead of removing them.
    type: bool
    default: false
  lock:
    description: Lock file held while a copy runs (a copy left running by a killed run is
      waited for).
    type: path
    default: /run/layerwise-migration.lock
author: layerwise maintainers (@layerwise)
"""

EXAMPLES = r"""
# The docker_storage role (docker_storage_migrate_data_root: true) runs the steps in order,
# stopping, mounting and starting Docker between them; one step on its own:
- name: Where a move stands (changes nothing)
  layerwise.docker.docker_data_root_migration:
    step: inspect
    data_root: /var/lib/docker
    staging: /var/lib/docker.layerwise-new
    old_path: /var/lib/docker.layerwise-old
  register: move
"""

RETURN = r"""
state:
  description: Where the move stands (phase, the recorded view, copy and verify figures), {}
    when none was started; returned by every step.
  type: dict
  returned: always
where:
  description: Where the state was found, C(data_root), C(staging) or empty (inspect).
  type: str
  returned: when step is inspect
data_root_mounted:
  description: Whether the data root is a mount point of its own (inspect).
  type: bool
  returned: when step is inspect
data_root_entries:
  description: Names at the top of the data root (inspect).
  type: list
  returned: when step is inspect
needed_bytes:
  description: Bytes the data root (and I(containerd_root)) occupy (du -sx), what the copy
    needs (inspect, while no copy is verified).
  type: int
  returned: when step is inspect
free_bytes:
  description: Bytes free on the new filesystem once an earlier partial copy is removed
    (inspect, when it is mounted at staging).
  type: int
  returned: when step is inspect
copy:
  description: The copy's seconds, bytes and MiB/s (copy).
  type: dict
  returned: when step is copy
verify:
  description: What was compared (entries, files, bytes, hard links, whiteouts, sparse
    files, entries with xattrs, layers, containers, volumes, containerd snapshots) and the
    seconds it took (verify).
  type: dict
  returned: when step is verify
started:
  description: Containers started again because they ran before the move (finish).
  type: list
  returned: when step is finish
not_running:
  description: Containers that ran before and were started but do not run now (finish).
  type: list
  returned: when step is finish
layers:
  description: The image layers hashed as C(docker save) gives them out, on the copy
    (finish) - C(proven) (diff IDs whose content hashed to them), C(not_proven) (layer ->
    image; also not proven before the move, such as zstd blobs), C(refused) (image -> the
    engine's reason), C(bytes), C(seconds).
  type: dict
  returned: when step is finish
removed_by_docker:
  description: Names of containers run with --rm that are gone after the move (finish) -
    Docker removes such a container when it stops, as at any restart of Docker.
  type: list
  returned: when step is finish
downtime:
  description: Seconds from Docker's stop for the copy to the engine answering on the copy
    (finish); null when the move was recorded by an older version.
  type: float
  returned: when step is finish
old:
  description: What became of the old data root, C(removed) or C(kept at <path>), and of
    containerd's old root with I(containerd_root) (finish).
  type: str
  returned: when step is finish
"""

import fcntl
import glob
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_migration import (
    layers,
    tree,
    view,
)
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_migration import (
    state as states,
)


def du_bytes(path: str) -> int:
    out = subprocess.run(
        ["du", "-sx", "--block-size=1", path], capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[0])


def top_entries(top: str, keep: tuple[str, ...] = ()) -> list[str]:
    try:
        return sorted(n for n in os.listdir(top) if n != tree.STATE_DIR and n not in keep)
    except FileNotFoundError:
        return []


def inspect(p: dict[str, Any]) -> dict[str, Any]:
    data_root, staging = p["data_root"], p["staging"]
    found, where = states.load(data_root), "data_root"
    if not found and os.path.ismount(staging):
        found, where = states.load(staging), "staging"
    result: dict[str, Any] = {
        "state": found,
        "where": where if found else "",
        "data_root_mounted": os.path.ismount(data_root),
        "data_root_entries": top_entries(data_root),
    }
    if not states.at_least(found, "verified") and os.path.isdir(data_root):
        result["needed_bytes"] = sum(du_bytes(top) for top in sources(p) if os.path.isdir(top))
    if os.path.ismount(staging):
        vfs = os.statvfs(staging)
        partial = sum(du_bytes(os.path.join(staging, n)) for n in top_entries(staging, tree.FS_OWN))
        result["free_bytes"] = vfs.f_bavail * vfs.f_frsize + partial
    return result


def sources(p: dict[str, Any]) -> list[str]:
    """What the move copies: the data root, and containerd's root with the containerd store."""
    return [p["data_root"], *([p["containerd_root"]] if p.get("containerd_root") else [])]


def cp_archive(source: str, target: str, lock: int) -> None:
    """The directory ``source`` copied into the directory ``target`` (tree.copy_argv)."""
    argv = tree.copy_argv(source, target)
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, pass_fds=(lock,))
    if proc.returncode != 0:
        raise RuntimeError(f"the copy failed (rc {proc.returncode}): {proc.stderr.strip()[-2000:]}")


def set_phase(staging: str, phase: str, **extra: Any) -> dict[str, Any]:
    found = states.load(staging)
    found.update(extra, phase=phase)
    states.save(staging, found)
    return found


def record(p: dict[str, Any]) -> dict[str, Any]:
    seen = view.read()
    # a run cut by a reboot records again after it: what ran before the reboot still counts
    earlier = states.load(p["staging"]).get("ran", [])
    ran = sorted(set(view.running(seen)) | {c for c in earlier if c in seen["containers"]})
    hashed = layers.reproduced(view.diff_ids(seen))
    return {
        "state": set_phase(
            p["staging"],
            "recorded",
            view=seen,
            ran=ran,
            layers_before=hashed,
            data_root=p["data_root"],
            started=time.time(),
        )
    }


def same_socket(a: str, b: str) -> bool:
    """Whether two socket paths name the same socket (/var/run is /run on Debian)."""

    def canonical(path: str) -> str:
        path = os.path.normpath(path)
        return "/run" + path[len("/var/run") :] if path.startswith("/var/run/") else path

    return canonical(a) == canonical(b)


def shims(proc: str = "/proc", address: str = "") -> list[str]:
    """The containerd shims still running ("pid: command line"): each keeps a container of
    some containerd client running on containerd's root after containerd stopped. Given
    ``address``, a shim of another containerd (its ``-address`` another socket, such as k3s's)
    is left out: that containerd has a root of its own. A shim that names no address counts."""
    found = []
    for pid in sorted((n for n in os.listdir(proc) if n.isdigit()), key=int):
        try:
            with open(os.path.join(proc, pid, "comm"), encoding="utf-8") as handle:
                comm = handle.read().strip()
            if not comm.startswith("containerd-shim"):
                continue
            with open(os.path.join(proc, pid, "cmdline"), "rb") as handle:
                argv = [a.decode(errors="replace") for a in handle.read().split(b"\0") if a]
        except OSError:  # the process ended meanwhile
            continue
        theirs = argv[argv.index("-address") + 1] if "-address" in argv[:-1] else ""
        if address and theirs and not same_socket(theirs, address):
            continue
        found.append(f"{pid}: {' '.join(argv)}")
    return found


def shims_left(proc: str, wait: float, address: str = "") -> list[str]:
    """The shims still running once ``wait`` seconds have passed (or none is left): a shim
    whose container Docker just stopped exits a moment after it."""
    deadline = time.monotonic() + wait
    running = shims(proc, address)
    while running and time.monotonic() < deadline:
        time.sleep(0.5)
        running = shims(proc, address)
    return running


def copy(p: dict[str, Any]) -> dict[str, Any]:
    data_root, staging = p["data_root"], p["staging"]
    containerd = p.get("containerd_root")
    running = (
        shims_left(
            p.get("proc", "/proc"), p.get("shim_wait", 10.0), p.get("containerd_address", "")
        )
        if containerd
        else []
    )
    if running:
        raise RuntimeError(
            f"{len(running)} containerd shims"
            f"{' of ' + p['containerd_address'] if p.get('containerd_address') else ''}"
            " still run with Docker and containerd stopped "
            f"({'; '.join(running[:5])}): containers of another containerd client (ctr, "
            "nerdctl, a kubelet) use containerd's root, and a copy of a root in use could not be "
            "proven. List them (ctr namespaces ls; ctr -n NAMESPACE tasks ls) and stop them, "
            "then run again"
        )
    lock = os.open(p["lock"], os.O_CREAT | os.O_RDWR, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)  # a copy a killed run left behind finishes first
    try:
        set_phase(staging, "copying")
        tree.clear(staging, (tree.STATE_DIR, *tree.FS_OWN))  # an earlier, partial copy
        began = time.monotonic()
        cp_archive(data_root, staging, lock)
        if p.get("containerd_root"):
            target = os.path.join(staging, tree.CONTAINERD_DIR)
            if os.path.lexists(target):
                raise RuntimeError(
                    f"the data root holds {tree.CONTAINERD_DIR} already, where containerd's root "
                    f"{p['containerd_root']} is to go: see what it is before moving"
                )
            parent = os.path.dirname(target)
            had_parent = os.path.isdir(parent)
            os.makedirs(target, mode=0o700)
            if had_parent:  # the data root's own containerd/ keeps its time, as copied
                st = os.lstat(os.path.join(data_root, os.path.dirname(tree.CONTAINERD_DIR)))
                os.utime(parent, ns=(st.st_atime_ns, st.st_mtime_ns))
            cp_archive(p["containerd_root"], target, lock)
        seconds = time.monotonic() - began
        copied = sum(du_bytes(os.path.join(staging, n)) for n in top_entries(staging, tree.FS_OWN))
        figures = {
            "seconds": round(seconds, 2),
            "bytes": copied,
            "mib_per_s": round(copied / 1048576 / max(seconds, 1e-3), 1),
        }
        return {"state": set_phase(staging, "copied", copy=figures), "copy": figures}
    finally:
        os.close(lock)


def verify(p: dict[str, Any]) -> dict[str, Any]:
    began = time.monotonic()
    containerd = p.get("containerd_root")
    # (what, original, copy, paths only the copy holds): containerd's root is copied beside
    # the data root's content, to containerd/system
    beside = (os.path.dirname(tree.CONTAINERD_DIR), tree.CONTAINERD_DIR) if containerd else ()
    pairs = [("the data root", p["data_root"], p["staging"], beside)]
    if containerd:
        copied_to = os.path.join(p["staging"], tree.CONTAINERD_DIR)
        pairs.append((f"containerd's root {containerd}", containerd, copied_to, ()))
    tallies = []
    for what, old_top, new_top, new_own in pairs:
        outcome = tree.compare(old_top, new_top, new_own=new_own)
        if not outcome["equal"]:
            raise RuntimeError(
                f"the copy on the new filesystem differs from {what}: "
                + "; ".join(outcome["differences"])
            )
        tallies.append(outcome["counts"])
    figures = dict(tree.add(*tallies), seconds=round(time.monotonic() - began, 2))
    return {"state": set_phase(p["staging"], "verified", verify=figures), "verify": figures}


def wait_until_none_left(
    left_now: Callable[[], list[str]], timeout: float, interval: float
) -> list[str]:
    """Poll ``left_now()`` (what is still to happen) until it is empty or ``timeout`` runs
    out; what was left at the last look."""
    deadline = time.monotonic() + timeout
    while True:
        left = left_now()
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(interval)


def start_again(ids: list[str], timeout: float = 60.0) -> list[str]:
    """Start ``ids``; the ones not running when ``timeout`` runs out."""
    if not ids:
        return []
    subprocess.run(
        ["docker", "start", *ids], capture_output=True, text=True, check=False, timeout=300
    )

    def not_running() -> list[str]:
        now = view.containers()
        return [cid for cid in ids if now.get(cid, {}).get("state") != "running"]

    return wait_until_none_left(not_running, timeout, 1)


def removal_settled(data_root: str, ids: list[str], timeout: float = 60.0) -> list[str]:
    """Wait until containers Docker has dropped from its list are gone from disk too.

    Docker removes a --rm container at its start on the copy (moby daemon restore()) and lists
    it as gone before its directory and its layer mount record are deleted: a read of the data
    root in between sees a half-removed container (a layerdb mount without its mount-id).
    Returns the ids still on disk when ``timeout`` runs out (the role's verify then judges
    them)."""
    patterns = (
        "containers/{id}",
        "*/containers/{id}",  # userns-remap: <uid>.<gid>/containers
        "image/*/layerdb/mounts/{id}",
        "*/image/*/layerdb/mounts/{id}",
    )

    def on_disk(cid: str) -> bool:
        return any(glob.glob(os.path.join(data_root, p.format(id=cid))) for p in patterns)

    return wait_until_none_left(lambda: [cid for cid in ids if on_disk(cid)], timeout, 0.5)


def release(old_path: str, keep: bool) -> str:
    """Remove an old copy the move proved (unless ``keep``); what became of it."""
    if not os.path.lexists(old_path):
        return "removed"
    if keep:
        return f"kept at {old_path}"
    shutil.rmtree(old_path)
    return "removed"


def finish(p: dict[str, Any]) -> dict[str, Any]:
    data_root = p["data_root"]
    found = states.load(data_root)
    if not states.at_least(found, "verified"):
        raise RuntimeError(
            f"no verified move to finish under {data_root} (state {found.get('phase')!r})"
        )
    # Docker answers again (the role waited for it): the downtime since it stopped for the copy
    down = round(time.time() - found["stopped_at"], 1) if "stopped_at" in found else None
    now = view.read()
    differ = view.differences(found["view"], now)
    if differ:
        raise RuntimeError(
            "Docker on the new filesystem does not show what it showed before the move: "
            f"{'; '.join(differ[:20])}. The old data root is untouched at {p['old_path']}."
        )
    # image layers are read-only: the containers may run while their content is hashed
    now_running = set(view.running(now))
    to_start = [
        c
        for c in found.get("ran", view.running(found["view"]))
        if c in now["containers"] and c not in now_running
    ]
    left = start_again(to_start)
    removal_settled(
        data_root,
        [
            cid
            for cid, c in found["view"]["containers"].items()
            if c.get("autoremove") and cid not in now["containers"]
        ],
    )
    hashed = layers.reproduced(view.diff_ids(now))
    lost = layers.lost(found.get("layers_before", {}).get("proven", []), hashed)
    if lost:
        raise RuntimeError(
            "Image layers on the new filesystem do not hash to their diff IDs as they did "
            f"before the move: {'; '.join(lost[:20])}. "
            f"The old data root is untouched at {p['old_path']}."
        )
    old = release(p["old_path"], p["keep_old"])
    if p.get("containerd_old"):
        old += f"; containerd's old root was {release(p['containerd_old'], p['keep_old'])}"
    shutil.rmtree(os.path.join(data_root, tree.STATE_DIR))
    return {
        "state": found,
        "layers": hashed,
        "downtime": down,
        "removed_by_docker": view.removed_by_docker(found["view"], now),
        "started": to_start,
        "not_running": left,
        "old": old,
        "changed": True,
    }


STEPS = {
    "inspect": inspect,
    "record": record,
    "copy": copy,
    "verify": verify,
    "finish": finish,
    "stopped": lambda p: {"state": set_phase(p["staging"], "stopped", stopped_at=time.time())},
}


ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "step": {"type": "str", "required": True, "choices": sorted(STEPS)},
    "data_root": {"type": "path", "required": True},
    "staging": {"type": "path", "required": True},
    "old_path": {"type": "path", "required": True},
    "containerd_root": {"type": "path", "default": ""},
    "containerd_old": {"type": "path", "default": ""},
    "containerd_address": {"type": "str", "default": ""},
    "keep_old": {"type": "bool", "default": False},
    "lock": {"type": "path", "default": "/run/layerwise-migration.lock"},
}


def main() -> None:
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=False,
    )
    step = module.params["step"]
    try:
        result = STEPS[step](module.params)
    except (OSError, ValueError, RuntimeError, view.EngineError, subprocess.SubprocessError) as exc:
        module.fail_json(msg=f"data root move, step {step}: {exc}")
    result.setdefault("changed", step not in ("inspect",))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
