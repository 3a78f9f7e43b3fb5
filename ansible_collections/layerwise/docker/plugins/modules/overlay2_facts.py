#!/usr/bin/python
# Copyright: (c) 2026, layerwise maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a Docker host's whole storage state in one call, changing nothing.

The one reader of a host in layerwise: the docker_storage role decides and verifies with it,
the testinfra suite and compliance runs take their snapshot from it. The reading is done by
plugins/module_utils/layerwise_facts (standard library only: target hosts have nothing but
python3), which Ansible ships with this module; this file is the module's interface. The same
reader runs on a host without Ansible as a zipapp (layerwise.shipping):

    python -m layerwise.shipping --out reader.pyz
    python3 reader.pyz --params '{"data_root": "/var/lib/docker"}'
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: overlay2_facts
short_description: A Docker host's storage state as one JSON snapshot
description:
  - Returns, in one call, daemon.json as parsed, the engine's info, every overlay2 layer dir
    with its parts and modes, the l/ links, the layer database (layers and container mounts),
    the overlay mounts from /proc/self/mountinfo, the images and containers as the engine
    reports them (containers with their GraphDriver data), the backing filesystem of the data
    root, the backing device or loop file, and storage flags on dockerd's command line.
  - With I(checks) it also judges that snapshot with the layerwise checks against I(policy)
    (plugins/module_utils/layerwise_checks), on the host, and returns every outcome.
  - Also reads the files the CIS Docker Benchmark judges (the config file dockerd really
    reads, docker.service, /etc/docker), live-restore and userns-remap in effect, and the
    paths audit rules watch.
  - Changes nothing; check mode is supported.
options:
  data_root:
    description: Docker's data root. Empty means the engine's DockerRootDir, else daemon.json's
      data-root, else /var/lib/docker.
    type: str
    default: ""
  source:
    description: Block device, LV or loop image file meant to hold the data root; empty for none.
    type: str
    default: ""
  daemon_json:
    description: The file dockerd reads when neither the running dockerd nor docker.service
      gives it a --config-file - dockerd's own default. Set it only for a dockerd built with
      another default; a file dockerd is not told to read is never reported as its config.
    type: str
    default: /etc/docker/daemon.json
  docker_host:
    description: The engine's API socket, unix:// or tcp://.
    type: str
    default: unix:///var/run/docker.sock
  layers:
    description: Read the overlay2 layer dirs, l/ links, layerdb, images and containers.
    type: bool
    default: true
  usage:
    description:
      - Also measure where the disk went and return the host's account of it, C(accounting) -
        the filesystems, image layers (the size Docker recorded), containers' writable layers
        and logs, volumes, build cache, dirs nothing names, deleted files still held open,
        and what of the used bytes none of these explain. Needs I(layers).
      - Walks what changes (writable layers, logs, volumes, unregistered dirs, the content
        store); image layers take the size Docker recorded.
    type: bool
    default: false
  usage_walk_layers:
    description: With I(usage), account for every byte - walk the image layers and committed
      snapshots instead of taking the size Docker recorded, and the rest of the data root and
      containerd's root (Docker's own records) - so that what is not accounted for is exact
      (slower - a stat of every file of the store).
    type: bool
    default: false
  files:
    description: Paths to describe (type, mode, size, device numbers, sha256, opaque xattr).
    type: list
    elements: str
    default: []
  digests:
    description: Layer dir names whose diff/ content is hashed (names, modes, content).
    type: list
    elements: str
    default: []
  checks:
    description: Also judge the snapshot with the layerwise checks (Ansible module only).
    type: bool
    default: true
  policy:
    description: What the fleet expects (layerwise/policy/default.yml lists the keys); unset keys
      take their defaults. A bad key fails the module before anything is read.
    type: dict
    default: {}
  only:
    description: Check id prefixes to run (e.g. [OVL]); empty runs every check.
    type: list
    elements: str
    default: []
  snapshot:
    description: Return the whole snapshot; false returns only the outcomes and the summary
      (what a compliance run brings back).
    type: bool
    default: true
author: layerwise maintainers (@layerwise)
"""

EXAMPLES = r"""
- name: Read the storage state (the layers too), changing nothing
  layerwise.docker.overlay2_facts:
  register: storage

- name: Judge the host against a policy on the host, returning only the outcomes
  layerwise.docker.overlay2_facts:
    data_root: /var/lib/docker
    policy:
      driver: overlay2
      backing_filesystems: [xfs]
    snapshot: false
  register: judged

- name: Fail on any finding
  ansible.builtin.fail:
    msg: "{{ judged.findings_message }}"
  when: judged.findings | length > 0
"""

RETURN = r"""
data_root:
  description: The data root read (the option, else daemon.json's data-root, else /var/lib/docker).
  type: str
  returned: always
docker:
  description: The engine's storage facts (answers, error, engine_version, driver, driver_status,
    backing_filesystem, d_type, root_dir, images, containers, validate_supported, live_restore,
    userns).
  type: dict
  returned: always
daemon_json:
  description: The config file dockerd reads (its --config-file, else the option) - path, what
    tells dockerd to read it (told_by), exists,
    content or the parse error, the path itself as lstat sees it (type, owner, mode; a symbolic
    link's target), the role's backups.
  type: dict
  returned: always
config_dir:
  description: The directory of that file (/etc/docker) - path, owner and mode.
  type: dict
  returned: always
audit:
  description: The paths the loaded audit rules watch (auditctl -l), or why they cannot be read.
  type: dict
  returned: always
unit:
  description: docker.service - found, masked, its file with owner and mode, its drop-ins,
    whether systemd needs a daemon-reload, storage flags on dockerd's command line,
    RequiresMountsFor, its --config-file; when the running dockerd started (started_at, epoch
    seconds), whether the config it started with is known (config_at_start - copied by the
    docker_storage role's drop-in at each start) and why it does not run what is on disk
    (restart_pending - the config file differs from that copy, or without one was changed
    after the start; the unit or a drop-in changed after it; empty when it does).
  type: dict
  returned: always
source:
  description: The device or loop file meant for the data root - size in bytes (a file's
    length, a block device's size), signature, xfs ftype.
  type: dict
  returned: always
backing_fs:
  description: The filesystem holding the data root (mount, device, loop file, type, options,
    xfs ftype, fstab entries, bytes and inodes total and free; device_bytes, the size of the
    mounted device now, and fs_bytes, the size of the filesystem itself, xfs or ext4).
  type: dict
  returned: always
xfs_quota_supported:
  description: Whether the kernel has XFS quota (/proc/fs/xfs/xqmstat).
  type: bool
  returned: always
capabilities:
  description: Whether the capability bounding set holds sys_admin (xfs_growfs) and
    sys_resource (resize2fs of a mounted ext4); null when not read.
  type: dict
  returned: always
overlay_mounts:
  description: Overlay mounts under the driver home (lowerdir, upperdir, workdir, absolute).
  type: list
  returned: always
files:
  description: The asked-for paths described (type, mode, size, owner, rdev, sha256, target,
    opaque).
  type: dict
  returned: always
digests:
  description: A content hash of each asked-for layer's diff/.
  type: dict
  returned: always
overlay2:
  description: Driver home, layer dirs with parts and modes, l/ links.
  type: dict
  returned: when layers is true and the engine does not use the containerd image store
layerdb:
  description: Image layers by chain id and container mounts.
  type: dict
  returned: when layers is true and the engine does not use the containerd image store
containerd:
  description: The containerd image store (address, namespace, snapshotter, root and how it
    was found (root_from), snapshots_dir, error, snapshots by key with id, kind, parent and
    labels and recorded size, other_ids, dirs with fs and work, mounts of container rootfs
    overlays with their snapshot ids, on_data_root_filesystem).
  type: dict
  returned: when layers is true and the engine uses the containerd image store
images:
  description: The engine's images with tags, RootFS diff ids and history (on the containerd
    store listed from containerd's meta.db, configs from its content store).
  type: list
  returned: when layers is true
containers:
  description: Every container with its state, image, GraphDriver data, snapshotter, log path,
    the log driver and options it was created with, and the names of the volumes it mounts.
  type: list
  returned: when layers is true
usage:
  description: The measurements of where the disk went (walked_layers, filesystems with path,
    dev, mount_point, size, used, free, inodes, inodes_used, inodes_free; walks by path with
    bytes and files or error; logs by container id; volumes; volumes_error; content_store;
    buildkit; rest of each root; open_deleted with path, dev, bytes, pid, command,
    container).
  type: dict
  returned: when usage and layers are true
accounting:
  description: The host's account of its disk (plugins/module_utils/layerwise_checks/accounting
    - store, layer_sizes recorded or walked, filesystems with their parts and what is not
    accounted for, layers, images with shared and unique bytes, containers with writable,
    init and log bytes and their effective log rotation, volumes with the containers using
    them, build_cache_bytes, orphans, open_deleted, cannot_size).
  type: dict
  returned: when usage and layers are true
summary:
  description: The host's effective storage in a few fields, for fleet drift (engine_version,
    driver, image_store, backing_filesystem, storage_keys).
  type: dict
  returned: always
elapsed:
  description: Seconds the read took on the host.
  type: float
  returned: always
results:
  description: Every check's outcome (id, title, severity, cis, status pass, fail, skip or
    cannot_check, problems, reason, rationale, remediation).
  type: list
  returned: when checks is true
findings:
  description: The outcomes that failed or could not be checked.
  type: list
  returned: when checks is true
findings_message:
  description: The findings as one readable message (empty when there are none).
  type: str
  returned: when checks is true
"""


from ansible.module_utils.basic import AnsibleModule

from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_checks import (
    account,
    brief,
    describe,
    failed,
    results,
    validate,
)
from ansible_collections.layerwise.docker.plugins.module_utils.layerwise_facts import (
    ARGUMENT_SPEC,
    snapshot,
)


def main() -> None:
    """Read (and judge) the host; return the snapshot, the outcomes, or both."""
    module = AnsibleModule(
        argument_spec=ARGUMENT_SPEC,
        supports_check_mode=True,
    )
    policy, errors = validate(module.params["policy"])
    if errors:
        module.fail_json(msg="the policy is not valid: " + "; ".join(errors))
    try:
        snap = snapshot(module.params)
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"cannot read the storage state: {exc}")
    if "usage" in snap:
        snap["accounting"] = account(snap)
    if module.params["checks"]:
        snap["results"] = results(snap, policy, module.params["only"])
        snap["findings"] = failed(snap["results"])
        snap["findings_message"] = describe(snap["findings"])
    if not module.params["snapshot"]:
        kept = ("results", "findings", "findings_message", "summary", "elapsed")
        if "accounting" in snap:
            snap["usage_brief"] = brief(snap["accounting"])
        snap = {key: snap[key] for key in (*kept, "usage_brief") if key in snap}
    module.exit_json(changed=False, **snap)


if __name__ == "__main__":
    main()
