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
# generated from schema/snapshot.schema.json (python -m layerwise.docs): edit that
data_root:
  description: 'The data root read: the option, else daemon.json''s data-root,
    else /var/lib/docker.'
  type: str
  returned: always
docker:
  description: The engine's info over its API socket, or why it does not answer.
  type: dict
  returned: always
  contains:
    answers:
      description: Whether the engine answered GET /info.
      type: bool
      returned: always
    error:
      description: Why the engine does not answer; empty when it does.
      type: str
      returned: always
    engine_version:
      description: The engine's ServerVersion (empty when it does not answer).
      type: str
      returned: always
    driver:
      description: The storage driver the engine runs (overlay2; overlayfs on
        the containerd store).
      type: str
      returned: always
    driver_status:
      description: 'DriverStatus as name: value pairs (Backing Filesystem, Supports
        d_type, driver-type).'
      type: dict
      returned: always
    backing_filesystem:
      description: DriverStatus' Backing Filesystem (extfs, xfs), empty when not
        given.
      type: str
      returned: always
    d_type:
      description: DriverStatus' Supports d_type, null when not given.
      type: bool
      returned: always
    root_dir:
      description: 'DockerRootDir: the data root, with the uid.gid part under
        userns-remap.'
      type: str
      returned: always
    images:
      description: The number of images the engine counts.
      type: int
      returned: always
    containers:
      description: The number of containers the engine counts.
      type: int
      returned: always
    validate_supported:
      description: Whether the engine is 23.0 or newer (dockerd --validate).
      type: bool
      returned: always
    live_restore:
      description: LiveRestoreEnabled, null when the engine does not answer.
      type: bool
      returned: always
    userns:
      description: Whether userns-remap is in effect (SecurityOptions).
      type: bool
      returned: always
    logging_driver:
      description: 'LoggingDriver: the log driver of containers created from now
        on (daemon.json''s log-driver or dockerd''s --log-driver); empty when
        the engine does not answer.'
      type: str
      returned: always
daemon_json:
  description: The config file dockerd reads, parsed or the parse error, its owner
    and mode, the role's backups.
  type: dict
  returned: always
  contains:
    path:
      description: 'The file dockerd reads: its --config-file, else the option
        daemon_json.'
      type: str
      returned: always
    told_by:
      description: What tells dockerd to read that file.
      type: str
      returned: always
    exists:
      description: Whether the path exists (a dangling symlink exists).
      type: bool
      returned: always
    content:
      description: The file's JSON object ({} when absent or empty), null when
        it does not parse.
      type: dict
      returned: always
    error:
      description: Why the file does not parse; empty when it does.
      type: str
      returned: always
    file:
      description: The path as lstat sees it; present when it exists.
      type: dict
      returned: when it exists
      contains:
        type:
          description: The kind of file, or absent.
          type: str
          returned: always
        mode:
          description: Its permission bits; present when it exists.
          type: int
          returned: when it exists
        size:
          description: Its size in bytes (st_size); present when it exists.
          type: int
          returned: when it exists
        uid:
          description: Its owner's uid; present when it exists.
          type: int
          returned: when it exists
        gid:
          description: Its group's gid; present when it exists.
          type: int
          returned: when it exists
        rdev:
          description: Major and minor device numbers; present when it is a char
            or block device.
          type: list
          returned: when it is a char or block device
          elements: int
        sha256:
          description: The sha256 of its content; present when it is a regular
            file.
          type: str
          returned: when it is a regular file
        target:
          description: Where the symbolic link points; present when it is a symlink.
          type: str
          returned: when it is a symlink
        opaque:
          description: Its trusted.overlay.opaque xattr (y on an opaque overlay
            dir, else empty); present when it is a dir.
          type: str
          returned: when it is a dir
    backups:
      description: The docker_storage role's backups beside it (<path>.*~); present
        when it exists and parses.
      type: list
      returned: when it exists and parses
      elements: str
config_dir:
  description: 'The config file''s directory (/etc/docker): its path, owner and
    mode.'
  type: dict
  returned: always
  contains:
    path:
      description: The directory.
      type: str
      returned: always
    file:
      description: The directory as lstat sees it.
      type: dict
      returned: always
      contains:
        type:
          description: The kind of file, or absent.
          type: str
          returned: always
        mode:
          description: Its permission bits; present when it exists.
          type: int
          returned: when it exists
        size:
          description: Its size in bytes (st_size); present when it exists.
          type: int
          returned: when it exists
        uid:
          description: Its owner's uid; present when it exists.
          type: int
          returned: when it exists
        gid:
          description: Its group's gid; present when it exists.
          type: int
          returned: when it exists
        rdev:
          description: Major and minor device numbers; present when it is a char
            or block device.
          type: list
          returned: when it is a char or block device
          elements: int
        sha256:
          description: The sha256 of its content; present when it is a regular
            file.
          type: str
          returned: when it is a regular file
        target:
          description: Where the symbolic link points; present when it is a symlink.
          type: str
          returned: when it is a symlink
        opaque:
          description: Its trusted.overlay.opaque xattr (y on an opaque overlay
            dir, else empty); present when it is a dir.
          type: str
          returned: when it is a dir
audit:
  description: The paths the loaded audit rules watch (auditctl -l), or why they
    cannot be read.
  type: dict
  returned: always
  contains:
    available:
      description: Whether auditctl -l could be read.
      type: bool
      returned: always
    watched:
      description: The paths watched (-w, or -F path= / dir=).
      type: list
      returned: always
      elements: str
    error:
      description: Why the rules cannot be read; empty when they can.
      type: str
      returned: always
unit:
  description: 'docker.service: its file, drop-ins, storage flags on dockerd''s
    command line, RequiresMountsFor, pending restarts.'
  type: dict
  returned: always
  contains:
    found:
      description: Whether systemd knows docker.service (a masked unit is found).
      type: bool
      returned: always
    masked:
      description: Whether docker.service is masked.
      type: bool
      returned: always
    path:
      description: The unit's file (FragmentPath); empty when not found or masked.
      type: str
      returned: always
    file:
      description: The unit's file as lstat sees it.
      type: dict
      returned: always
      contains:
        type:
          description: The kind of file, or absent.
          type: str
          returned: always
        mode:
          description: Its permission bits; present when it exists.
          type: int
          returned: when it exists
        size:
          description: Its size in bytes (st_size); present when it exists.
          type: int
          returned: when it exists
        uid:
          description: Its owner's uid; present when it exists.
          type: int
          returned: when it exists
        gid:
          description: Its group's gid; present when it exists.
          type: int
          returned: when it exists
        rdev:
          description: Major and minor device numbers; present when it is a char
            or block device.
          type: list
          returned: when it is a char or block device
          elements: int
        sha256:
          description: The sha256 of its content; present when it is a regular
            file.
          type: str
          returned: when it is a regular file
        target:
          description: Where the symbolic link points; present when it is a symlink.
          type: str
          returned: when it is a symlink
        opaque:
          description: Its trusted.overlay.opaque xattr (y on an opaque overlay
            dir, else empty); present when it is a dir.
          type: str
          returned: when it is a dir
    drop_ins:
      description: Its drop-in files (DropInPaths).
      type: list
      returned: always
      elements: str
    needs_reload:
      description: Whether systemd needs a daemon-reload to see its files as they
        are.
      type: bool
      returned: always
    flag_conflicts:
      description: Storage settings dockerd gets as flags from the unit.
      type: list
      returned: always
      elements: dict
      contains:
        flag:
          description: The flag as given, e.g. --storage-driver=overlay2.
          type: str
          returned: always
        key:
          description: The daemon.json key it clashes with.
          type: str
          returned: always
        command:
          description: The ExecStart command it sits in.
          type: str
          returned: always
        via:
          description: The environment variables it came through, e.g. $DOCKER_OPTS;
            empty when written out.
          type: str
          returned: always
    log_flags:
      description: 'Logging settings dockerd gets as flags from the unit (--log-driver,
        --log-opt): daemon.json''s log-opts beside a --log-opt make dockerd refuse
        to start.'
      type: list
      returned: always
      elements: dict
      contains:
        flag:
          description: The flag as given, e.g. --log-opt.
          type: str
          returned: always
        key:
          description: The daemon.json key it sets.
          type: str
          returned: always
        command:
          description: The ExecStart command it sits in.
          type: str
          returned: always
        via:
          description: The environment variables it came through, e.g. $DOCKER_OPTS;
            empty when written out.
          type: str
          returned: always
    requires_mounts_for:
      description: The unit's RequiresMountsFor paths.
      type: list
      returned: always
      elements: str
    config_file:
      description: The --config-file the unit gives dockerd; empty when none.
      type: str
      returned: always
    started_at:
      description: When the running dockerd started, epoch seconds; null when
        none runs.
      type: float
      returned: always
    config_at_start:
      description: Whether the config the running dockerd started with is known
        (the role's copy at its start).
      type: bool
      returned: always
    restart_pending:
      description: Why the running dockerd does not run what is on disk; empty
        when it does.
      type: list
      returned: always
      elements: str
source:
  description: 'The device or loop file meant for the data root (the option source):
    kind, signature, xfs ftype.'
  type: dict
  returned: always
  contains:
    path:
      description: The path given; empty for none.
      type: str
      returned: always
    exists:
      description: Whether it exists.
      type: bool
      returned: always
    realpath:
      description: Its real path; empty when it does not exist.
      type: str
      returned: always
    is_block:
      description: Whether it is a block device.
      type: bool
      returned: always
    is_file:
      description: Whether it is a regular file (a loop image).
      type: bool
      returned: always
    size:
      description: Its st_size (0 for a block device or when absent).
      type: int
      returned: always
    signature:
      description: What blkid -p finds on it (TYPE, PTTYPE, UUID, LABEL, USAGE);
        empty for none.
      type: dict
      returned: always
      contains:
        TYPE:
          description: blkid's TYPE; present when blkid reports it.
          type: str
          returned: when blkid reports it
        PTTYPE:
          description: blkid's PTTYPE; present when blkid reports it.
          type: str
          returned: when blkid reports it
        UUID:
          description: blkid's UUID; present when blkid reports it.
          type: str
          returned: when blkid reports it
        LABEL:
          description: blkid's LABEL; present when blkid reports it.
          type: str
          returned: when blkid reports it
        USAGE:
          description: blkid's USAGE; present when blkid reports it.
          type: str
          returned: when blkid reports it
    signature_error:
      description: blkid's error; present when blkid fails.
      type: str
      returned: when blkid fails
    xfs_ftype:
      description: The xfs ftype on it, null when not xfs or unknown.
      type: int
      returned: always
    xfs_isize:
      description: The xfs inode size, null (it is not read from the source).
      type: int
      returned: always
backing_fs:
  description: 'The filesystem holding the data root: mount, device, loop file,
    type, options, xfs ftype, fstab entries, room left.'
  type: dict
  returned: always
  contains:
    exists:
      description: Whether the data root is a directory.
      type: bool
      returned: always
    mounted:
      description: Whether the data root is itself a mount point.
      type: bool
      returned: always
    mount_point:
      description: The mount point holding the data root; empty when none is found.
      type: str
      returned: always
    device:
      description: The mount's source device.
      type: str
      returned: always
    realdevice:
      description: The source device with symlinks resolved.
      type: str
      returned: always
    backing_file:
      description: The file behind a loop device; empty otherwise.
      type: str
      returned: always
    fstype:
      description: The mount's filesystem type (xfs, ext4).
      type: str
      returned: always
    options:
      description: The mount's options and its superblock's.
      type: list
      returned: always
      elements: str
    xfs_ftype:
      description: xfs_info's ftype, null when not xfs or unknown.
      type: int
      returned: always
    xfs_isize:
      description: xfs_info's inode size, null when not xfs or unknown.
      type: int
      returned: always
    device_bytes:
      description: The mounted device's size in bytes now (sysfs), null when the
        data root is not a mount or the size is unknown.
      type: int
      returned: always
    fs_bytes:
      description: The filesystem's own size in bytes (xfs_info's data section;
        dumpe2fs -h for a mounted ext4 on a /dev device), null otherwise.
      type: int
      returned: always
    fstab:
      description: The /etc/fstab lines that mount something on the data root.
      type: list
      returned: always
      elements: dict
      contains:
        source:
          description: What it mounts.
          type: str
          returned: always
        fstype:
          description: Its filesystem type.
          type: str
          returned: always
        options:
          description: Its mount options.
          type: list
          returned: always
          elements: str
        dump:
          description: Its dump field (0 when left out).
          type: str
          returned: always
        passno:
          description: Its fsck pass field (0 when left out).
          type: str
          returned: always
    bytes_total:
      description: Its size in bytes; present when the data root's filesystem
        can be read (statvfs).
      type: int
      returned: when the data root's filesystem can be read (statvfs)
    bytes_free:
      description: Bytes an unprivileged writer can still use; present when the
        data root's filesystem can be read (statvfs).
      type: int
      returned: when the data root's filesystem can be read (statvfs)
    inodes_total:
      description: Its inodes in all; present when the data root's filesystem
        can be read (statvfs).
      type: int
      returned: when the data root's filesystem can be read (statvfs)
    inodes_free:
      description: Inodes an unprivileged writer can still use; present when the
        data root's filesystem can be read (statvfs).
      type: int
      returned: when the data root's filesystem can be read (statvfs)
xfs_quota_supported:
  description: Whether the kernel has XFS quota (/proc/fs/xfs/xqmstat).
  type: bool
  returned: always
capabilities:
  description: 'Whether the capability bounding set holds what growing a filesystem
    online needs: sys_admin (xfs_growfs) and sys_resource (resize2fs of a mounted
    ext4); each null when /proc/self/status was not read.'
  type: dict
  returned: always
  contains:
    sys_admin:
      description: CAP_SYS_ADMIN is in the bounding set.
      type: bool
      returned: always
    sys_resource:
      description: CAP_SYS_RESOURCE is in the bounding set.
      type: bool
      returned: always
overlay_mounts:
  description: 'Overlay mounts under the driver home from /proc/self/mountinfo:
    lowerdir, upperdir, workdir.'
  type: list
  returned: always
  elements: dict
  contains:
    mount_point:
      description: Where it is mounted.
      type: str
      returned: always
    lowerdir:
      description: Its lower dirs, the top one first.
      type: list
      returned: always
      elements: str
    upperdir:
      description: Its upper dir (empty for a read-only mount).
      type: str
      returned: always
    workdir:
      description: Its work dir (empty for a read-only mount).
      type: str
      returned: always
files:
  description: 'The paths the option files asked for, described: type, mode, size,
    owner, rdev, sha256, target, opaque.'
  type: dict
  returned: always
digests:
  description: A content hash of each asked-for layer dir's diff/ (option digests),
    null when it has none.
  type: dict
  returned: always
overlay2:
  description: 'The overlay2 driver home: its mode, every layer dir with its parts
    and modes, link id and lower chain; the l/ links; present when layers is true
    and the engine does not use the containerd image store.'
  type: dict
  returned: when layers is true and the engine does not use the containerd image
    store
  contains:
    home:
      description: The driver home, <root dir>/overlay2.
      type: str
      returned: always
    exists:
      description: Whether the driver home is a directory.
      type: bool
      returned: always
    mode:
      description: The driver home's permission bits, null when it does not exist.
      type: int
      returned: always
    links_mode:
      description: l/'s permission bits, null when there is no l/ dir.
      type: int
      returned: always
    layers:
      description: 'Every dir in the home but l/, by name: its mode, parts, link
        and lower.'
      type: dict
      returned: always
    links:
      description: 'Every entry of l/ by name: its symlink target, null when it
        is not a symlink.'
      type: dict
      returned: always
    other:
      description: 'Anything else in the home (backingFsBlockDev on xfs) by name:
        its type and mode.'
      type: dict
      returned: always
    buildkit:
      description: Whether <root dir>/buildkit exists (BuildKit's build cache
        keeps dirs of its own here).
      type: bool
      returned: always
layerdb:
  description: 'The layer database: image layers by chain id, container mounts
    by container id; present when layers is true and the engine does not use the
    containerd image store.'
  type: dict
  returned: when layers is true and the engine does not use the containerd image
    store
  contains:
    layers:
      description: 'image/overlay2/layerdb/sha256/<chain id> by sha256:<chain
        id>: the text of each of its files that can be read.'
      type: dict
      returned: always
    mounts:
      description: 'image/overlay2/layerdb/mounts/<container id> by container
        id: the text of each of its files that can be read.'
      type: dict
      returned: always
containerd:
  description: 'The containerd image store: where containerd keeps it, its snapshots
    with their parents and dirs, container rootfs mounts; present when layers
    is true and the engine uses the containerd image store.'
  type: dict
  returned: when layers is true and the engine uses the containerd image store
  contains:
    address:
      description: containerd's socket (docker info Containerd.Address).
      type: str
      returned: always
    namespace:
      description: The containerd namespace of Docker's containers (moby).
      type: str
      returned: always
    snapshotter:
      description: 'The snapshotter (docker info Driver: overlayfs).'
      type: str
      returned: always
    root:
      description: containerd's root; empty when not found.
      type: str
      returned: always
    root_from:
      description: How the root was found (system default, root in config.toml,
        containerd started by dockerd).
      type: str
      returned: always
    snapshots_dir:
      description: The overlayfs snapshotter's dir; empty when the root is not
        found.
      type: str
      returned: always
    error:
      description: Why the store cannot be read; empty when it can.
      type: str
      returned: always
    snapshots:
      description: The namespace's snapshots by key (chain id, container id, <id>-init).
      type: dict
      returned: always
    other_ids:
      description: The snapshot ids of other namespaces, in number order.
      type: list
      returned: always
      elements: str
    dirs:
      description: 'snapshots/<N> by N: whether each has fs and work.'
      type: dict
      returned: always
    mounts:
      description: The overlay mounts under <data root>/rootfs/<snapshotter>/.
      type: list
      returned: always
      elements: dict
      contains:
        mount_point:
          description: Where it is mounted.
          type: str
          returned: always
        container:
          description: The container id its mount point names.
          type: str
          returned: always
        lowerdir:
          description: Its lower dirs, the top one first.
          type: list
          returned: always
          elements: str
        upperdir:
          description: Its upper dir.
          type: str
          returned: always
        workdir:
          description: Its work dir.
          type: str
          returned: always
        lower_ids:
          description: The snapshot id of each lower dir (empty for a dir outside
            the snapshots).
          type: list
          returned: always
          elements: str
        upper_id:
          description: The snapshot id of its upper dir.
          type: str
          returned: always
        work_id:
          description: The snapshot id of its work dir.
          type: str
          returned: always
    on_data_root_filesystem:
      description: Whether the snapshots dir is on the data root's filesystem,
        null when unknown.
      type: bool
      returned: always
    content:
      description: The namespace's content-store blobs by digest, with the size
        containerd recorded for each in meta.db (null when none); empty when the
        content could not be read.
      type: dict
      returned: always
    image_blobs:
      description: 'Each image''s blobs by image id, the content store holds:
        its target (index or manifest), the index''s manifests, each manifest''s
        config and layers.'
      type: dict
      returned: always
    content_error:
      description: Why the content store's records could not be read; empty when
        they could.
      type: str
      returned: always
images:
  description: The engine's images with tags, RootFS diff ids and history; present
    when layers is true.
  type: list
  returned: when layers is true
  elements: dict
  contains:
    id:
      description: The image id (sha256:...; on the containerd store, its target's
        digest).
      type: str
      returned: always
    tags:
      description: Its repo:tag names (<none>:<none> left out).
      type: list
      returned: always
      elements: str
    diff_ids:
      description: Its RootFS layer diff ids, base first; empty when its config
        could not be read.
      type: list
      returned: always
      elements: str
    history:
      description: Its config's history, an entry per instruction.
      type: list
      returned: always
      elements: dict
      contains:
        created_by:
          description: The instruction.
          type: str
          returned: always
        empty_layer:
          description: Whether it added no filesystem layer (CMD, ENV...).
          type: bool
          returned: always
containers:
  description: Every container with its state, image, GraphDriver data, snapshotter,
    log config and volumes; present when layers is true.
  type: list
  returned: when layers is true
  elements: dict
  contains:
    id:
      description: The container id.
      type: str
      returned: always
    name:
      description: Its name without the leading slash.
      type: str
      returned: always
    image:
      description: Its image id.
      type: str
      returned: always
    status:
      description: State.Status (running, exited, created...).
      type: str
      returned: always
    running:
      description: State.Running.
      type: bool
      returned: always
    graph_driver:
      description: GraphDriver.
      type: dict
      returned: always
      contains:
        name:
          description: GraphDriver.Name (overlay2; overlayfs on the containerd
            store).
          type: str
          returned: always
        data:
          description: GraphDriver.Data (LowerDir, UpperDir, WorkDir, MergedDir);
            empty on the containerd store.
          type: dict
          returned: always
    snapshotter:
      description: The containerd store's snapshotter its rootfs is a snapshot
        of; empty on the graph driver store.
      type: str
      returned: always
    log_path:
      description: 'LogPath: its log file; empty when its log driver keeps none
        there.'
      type: str
      returned: always
    log_driver:
      description: The log driver it was created with (HostConfig.LogConfig.Type).
      type: str
      returned: always
    log_options:
      description: The log options it was created with (HostConfig.LogConfig.Config).
      type: dict
      returned: always
    volumes:
      description: The names of the volumes it mounts, sorted.
      type: list
      returned: always
      elements: str
usage:
  description: 'Where the disk went: the filesystems, the trees walked, logs,
    volumes and deleted files held open (bytes allocated); present when usage
    and layers are true.'
  type: dict
  returned: when usage and layers are true
  contains:
    walked_layers:
      description: Whether image layers were walked (usage_walk_layers) instead
        of taking Docker's recorded sizes.
      type: bool
      returned: always
    filesystems:
      description: The data root's filesystem and containerd root's.
      type: dict
      returned: always
      contains:
        data_root:
          description: The data root's filesystem.
          type: dict
          returned: always
          contains:
            path:
              description: The path whose filesystem this is.
              type: str
              returned: always
            error:
              description: Why it could not be read; present when it could not
                be.
              type: str
              returned: when it could not be
            dev:
              description: Its device number; present when it was read.
              type: int
              returned: when it was read
            mount_point:
              description: Whether the path is a mount point; present when it
                was read.
              type: bool
              returned: when it was read
            size:
              description: Its size in bytes; present when it was read.
              type: int
              returned: when it was read
            block_size:
              description: 'Its allocation unit in bytes (statvfs f_frsize): what
                block rounding rounds to; present when it was read.'
              type: int
              returned: when it was read
            used:
              description: Bytes used, as df counts them; present when it was
                read.
              type: int
              returned: when it was read
            free:
              description: Bytes an unprivileged writer can still use (df's Avail);
                present when it was read.
              type: int
              returned: when it was read
            inodes:
              description: Its inodes in all; present when it was read.
              type: int
              returned: when it was read
            inodes_used:
              description: Inodes in use; present when it was read.
              type: int
              returned: when it was read
            inodes_free:
              description: Inodes an unprivileged writer can still use; present
                when it was read.
              type: int
              returned: when it was read
            used_when_empty:
              description: Bytes it used when docker_storage made it, null without
                the role's record; present when the data root is a mount of its
                own.
              type: int
              returned: when the data root is a mount of its own
            inode_size:
              description: Its xfs inode size, null when not xfs; present when
                the data root is a mount of its own.
              type: int
              returned: when the data root is a mount of its own
        containerd_root:
          description: Containerd root's filesystem; present when containerd's
            root is known.
          type: dict
          returned: when containerd's root is known
          contains:
            path:
              description: The path whose filesystem this is.
              type: str
              returned: always
            error:
              description: Why it could not be read; present when it could not
                be.
              type: str
              returned: when it could not be
            dev:
              description: Its device number; present when it was read.
              type: int
              returned: when it was read
            mount_point:
              description: Whether the path is a mount point; present when it
                was read.
              type: bool
              returned: when it was read
            size:
              description: Its size in bytes; present when it was read.
              type: int
              returned: when it was read
            block_size:
              description: 'Its allocation unit in bytes (statvfs f_frsize): what
                block rounding rounds to; present when it was read.'
              type: int
              returned: when it was read
            used:
              description: Bytes used, as df counts them; present when it was
                read.
              type: int
              returned: when it was read
            free:
              description: Bytes an unprivileged writer can still use (df's Avail);
                present when it was read.
              type: int
              returned: when it was read
            inodes:
              description: Its inodes in all; present when it was read.
              type: int
              returned: when it was read
            inodes_used:
              description: Inodes in use; present when it was read.
              type: int
              returned: when it was read
            inodes_free:
              description: Inodes an unprivileged writer can still use; present
                when it was read.
              type: int
              returned: when it was read
            used_when_empty:
              description: Bytes it used when docker_storage made it, null without
                the role's record; present when the data root is a mount of its
                own.
              type: int
              returned: when the data root is a mount of its own
            inode_size:
              description: Its xfs inode size, null when not xfs; present when
                the data root is a mount of its own.
              type: int
              returned: when the data root is a mount of its own
    walks:
      description: 'Every tree walked by path: writable layers, layer dirs without
        a recorded size, volumes, the content store, BuildKit.'
      type: dict
      returned: always
    logs:
      description: Each container's log files by container id.
      type: dict
      returned: always
    volumes:
      description: The engine's volumes.
      type: list
      returned: always
      elements: dict
      contains:
        name:
          description: Its name.
          type: str
          returned: always
        driver:
          description: Its driver.
          type: str
          returned: always
        mountpoint:
          description: Where its data is.
          type: str
          returned: always
    volumes_error:
      description: Why the volumes could not be listed; empty when they were.
      type: str
      returned: always
    content_store:
      description: containerd's content store, walked; empty unless containerd's
        root is known.
      type: str
      returned: always
    buildkit:
      description: <root dir>/buildkit, walked; empty when it does not exist.
      type: str
      returned: always
    rest:
      description: Each root walked whole for what nothing else counts (Docker's
        own records); empty unless usage_walk_layers.
      type: dict
      returned: always
    open_deleted:
      description: Deleted files a process still holds open under the roots or
        in a container, largest first.
      type: list
      returned: always
      elements: dict
      contains:
        path:
          description: Its path when it was deleted.
          type: str
          returned: always
        mount:
          description: The container's rootfs mount it lies in; empty for the
            host's.
          type: str
          returned: always
        dev:
          description: The device of the filesystem its blocks are on.
          type: int
          returned: always
        bytes:
          description: Bytes it holds.
          type: int
          returned: always
        pid:
          description: The process holding it.
          type: int
          returned: always
        command:
          description: The process's command.
          type: str
          returned: always
        container:
          description: The process's container id; empty for a host process.
          type: str
          returned: always
summary:
  description: 'The host''s effective storage in a few fields: what fleet drift
    compares.'
  type: dict
  returned: always
  contains:
    engine_version:
      description: The engine's version.
      type: str
      returned: always
    driver:
      description: The storage driver.
      type: str
      returned: always
    image_store:
      description: The image store the engine uses; empty when it does not answer.
      type: str
      returned: always
    backing_filesystem:
      description: The data root's filesystem type.
      type: str
      returned: always
    storage_keys:
      description: daemon.json's storage keys (storage-driver, storage-opts, data-root,
        features) it sets.
      type: dict
      returned: always
      contains:
        storage-driver:
          description: daemon.json's storage-driver; present when daemon.json
            sets it.
          type: raw
          returned: when daemon.json sets it
        storage-opts:
          description: daemon.json's storage-opts; present when daemon.json sets
            it.
          type: raw
          returned: when daemon.json sets it
        data-root:
          description: daemon.json's data-root; present when daemon.json sets
            it.
          type: raw
          returned: when daemon.json sets it
        features:
          description: daemon.json's features; present when daemon.json sets it.
          type: raw
          returned: when daemon.json sets it
elapsed:
  description: Seconds the read took on the host.
  type: float
  returned: always
accounting:
  description: The host's account of its disk (plugins/module_utils/layerwise_checks/accounting)
    - store, layer_sizes recorded or walked, filesystems with their parts and
    what is not accounted for, layers, images with shared and unique bytes (on
    the containerd store also their content-store blobs - blobs, blob_bytes, blob_shared_bytes,
    blob_unique_bytes), containers with writable, init and log bytes and their
    effective log rotation, volumes with the containers using them, build_cache_bytes,
    orphans, open_deleted, cannot_size, disagreements (a size Docker recorded
    that a walk of the same dir contradicts by more than block rounding - both
    figures, the walk counted).
  type: dict
  returned: when usage and layers are true
usage_brief:
  description: What a compliance run brings back of the account - its filesystems
    with their parts, and the largest items of each kind.
  type: dict
  returned: when usage and layers are true and snapshot is false
results:
  description: Every check's outcome (id, title, severity, cis, status pass, fail,
    skip or cannot_check, problems, reason, rationale, remediation).
  type: list
  elements: dict
  returned: when checks is true
findings:
  description: The outcomes that failed or could not be checked.
  type: list
  elements: dict
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
