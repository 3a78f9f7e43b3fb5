#!/usr/bin/python
# Copyright: (c) 2026, layerwise maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remove the layer and snapshot dirs nothing uses, each proven unused immediately before.

The interface of plugins/module_utils/layerwise_reclaim (standard library only); the role
docker_reclaim and the playbook layerwise.docker.reclaim call it.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: docker_storage_reclaim
short_description: Reclaim the space of layer and snapshot dirs that nothing uses
description:
  - Lists the overlay2 layer dirs the layer database does not name, or the containerd
    snapshot dirs no snapshot of any namespace names (what checks OVL-008 and CTD-004
    report), each with its bytes and the evidence that nothing uses it.
  - The evidence is read afresh for each dir - the store's record (the layer database with its
    write sets not yet committed and every layer's lower chain; the snapshotter's
    metadata.db), every mount (overlay lower, upper and work dirs, bind mounts, mounts inside
    it), every process (open files, cwd, root, exe) - and nothing in the dir may have
    changed within I(grace) (a pull or build writes its dir before it registers it).
  - With I(remove) and not in check mode, each dir proven unused is proven again immediately
    before it is removed, together with its C(l/) link, and the run is written to a file in
    I(record_dir). Without I(remove), or in check mode, nothing changes.
  - Also lists deleted files that a process still holds open under Docker's roots or in a
    container, with the process and its container (it never signals a process), and the
    containers whose log grows without rotation as they were created.
  - Refuses (fails, nothing removed) when the engine does not answer or the store cannot be
    read.
options:
  data_root:
    description: Docker's data root; empty for the engine's own, else daemon.json's data-root,
      else /var/lib/docker.
    type: str
    default: ""
  daemon_json:
    description: The file dockerd reads when neither dockerd nor docker.service names one.
    type: str
    default: /etc/docker/daemon.json
  docker_host:
    description: The engine's API socket, unix:// or tcp://.
    type: str
    default: unix:///var/run/docker.sock
  grace:
    description: A dir in which anything changed less than this long ago is kept, as a
      duration such as C(90s), C(30m), C(1h) or C(2d).
    type: str
    default: 1h
  remove:
    description: Remove the dirs proven unused. False lists them only (as check mode does).
    type: bool
    default: false
  prune:
    description:
      - What Docker's own prunes should take besides, through the Engine API with an C(until)
        filter of I(prune_until) - C(images) (dangling images, as C(docker image prune)) and
        C(build_cache) (as C(docker builder prune)). Applied only with I(remove) outside check
        mode; otherwise the dangling images such a prune would take are listed. Volumes are
        never pruned.
    type: list
    elements: str
    choices: [images, build_cache]
    default: []
  prune_until:
    description: Prune only what was created longer ago than this duration (C(24h), C(7d)).
    type: str
    default: 24h
  record_dir:
    description: Where a run that removed something writes its record (one JSON file).
    type: path
    default: /var/lib/layerwise/reclaim
author: layerwise maintainers (@layerwise)
notes:
  - Supports check mode (lists, removes nothing).
"""

EXAMPLES = r"""
- name: List what reclaim would remove, and why each is unused
  layerwise.docker.docker_storage_reclaim:
  register: reclaim

- name: Remove it, each dir proven unused again first
  layerwise.docker.docker_storage_reclaim:
    remove: true
    grace: 2h
"""

RETURN = r"""
store:
  description: The engine's image store, C(overlay2) or C(containerd).
  type: str
  returned: success
applied:
  description: Whether dirs proven unused were removed (I(remove) and not check mode).
  type: bool
  returned: success
grace_seconds:
  description: The grace period, in seconds.
  type: int
  returned: success
candidates:
  description:
    - Every orphan found, as listed, each with C(store), C(name), C(path), C(home), C(link)
      (its overlay2 C(l/) name, or empty), C(bytes) (allocated, each inode once; null when
      it cannot be walked), C(files), C(unchanged_seconds), C(evidence) (what was proven)
      and C(reasons) (each use found; empty when proven unused).
  type: list
  elements: dict
  returned: success
would_remove:
  description: The candidates proven unused that were not removed (I(remove) false, check mode).
  type: list
  elements: dict
  returned: success
removed:
  description: The dirs removed, proven unused again immediately before, with C(removed_at).
  type: list
  elements: dict
  returned: success
kept:
  description: The candidates kept because something uses them (C(reasons)); C(used_since_listed)
    when the use began between the listing and the removal.
  type: list
  elements: dict
  returned: success
not_removed:
  description: Dirs proven unused whose removal failed, with C(error) (what is left).
  type: list
  elements: dict
  returned: success
freed_bytes:
  description: The bytes of the dirs removed.
  type: int
  returned: success
prunes:
  description:
    - One entry per I(prune), with C(what), C(filters) and C(applied); applied, C(freed_bytes)
      (Docker's SpaceReclaimed) and C(deleted) (how many); listed, C(at_most_bytes) (the
      images' sizes, which count layers they share; null for the build cache, which cannot
      be asked beforehand) and, for images, C(would_delete) (C(id), C(bytes)).
  type: list
  elements: dict
  returned: success
pruned_bytes:
  description: The bytes Docker's prunes freed.
  type: int
  returned: success
deleted_but_open:
  description: Deleted files a process still holds open, with C(path), C(bytes), C(pid),
    C(command), C(container) and C(dev); close or restart the process to free them.
  type: list
  elements: dict
  returned: success
unrotated_logs:
  description:
    - The containers whose log file grows without rotation, as they were created (C(name),
      C(id), C(rotation) in words, C(log_path)). daemon.json's log-opts reach only containers
      created after them; each of these keeps its old log config until it is recreated.
  type: list
  elements: dict
  returned: success
record:
  description: The file on the host that holds this run, when it removed or failed to remove.
  type: str
  returned: when a dir was removed or failed to be
elapsed:
  description: Seconds the run took.
  type: float
  returned: success
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import (
    ARGUMENT_SPEC as READER_SPEC,
)
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_reclaim import (
    Refused,
    grace_seconds,
    reclaim,
)

ARGUMENT_SPEC = {
    **{key: READER_SPEC[key] for key in ("data_root", "daemon_json", "docker_host")},
    "grace": {"type": "str", "default": "1h"},
    "remove": {"type": "bool", "default": False},
    "prune": {
        "type": "list",
        "elements": "str",
        "choices": ["images", "build_cache"],
        "default": [],
    },
    "prune_until": {"type": "str", "default": "24h"},
    "record_dir": {"type": "path", "default": "/var/lib/layerwise/reclaim"},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    for option in ("grace", "prune_until"):
        try:
            grace_seconds(module.params[option])
        except ValueError as exc:
            module.fail_json(msg=str(exc).replace("grace", option, 1))
    params = {**{k: v["default"] for k, v in READER_SPEC.items()}, **module.params}
    try:
        run = reclaim(params, apply=module.params["remove"] and not module.check_mode)
    except Refused as exc:
        module.fail_json(msg=f"reclaim refused, nothing removed: {exc}")
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"reclaim refused, nothing removed: cannot read the storage: {exc}")
    pruned = any(p.get("deleted") for p in run["prunes"])
    module.exit_json(changed=bool(run["removed"] or run["not_removed"] or pruned), **run)


if __name__ == "__main__":
    main()
