"""The docker_storage role refuses bad input and unsafe changes before touching the host,
and rolls daemon.json back when Docker does not come back.

Each case runs the role with ansible-playbook against one converged molecule instance and
checks three things: it failed, its message names the variable to fix, and the host is as it
was (daemon.json byte-identical, Docker not restarted).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.waiting import wait_for

from .conftest import RunRole, daemon_json_key
from .test_faults import RESTART_WAIT_S, Facts, judge, layer_store_findings, running_containers

pytestmark = pytest.mark.role


def host_state(host: Any) -> tuple[str, str]:
    """daemon.json's hash and when docker.service last started."""
    digest = host.check_output("sha256sum /etc/docker/daemon.json").split()[0]
    started = host.check_output(
        "systemctl show --property ActiveEnterTimestampMonotonic docker.service"
    )
    return digest, started


@pytest.fixture
def unchanged(host: Any) -> Iterator[None]:
    """Asserts after the test that daemon.json and the running Docker were left alone."""
    before = host_state(host)
    yield
    assert host_state(host) == before, "the role changed the host although it refused"
    assert host.service("docker").is_running


@pytest.fixture
def signed_device(host: Any) -> Iterator[str]:
    """A real block device (loop) that carries an ext4 filesystem."""
    image = "/var/lib/layerwise/test-signed.img"
    host.check_output("truncate --size 64M %s && mkfs.ext4 -q -F %s", image, image)
    device = host.check_output("losetup --find --show %s", image)
    yield device
    host.run("losetup --detach %s", device)
    host.run("rm -f %s", image)


@pytest.fixture
def flag_in_unit(host: Any) -> Iterator[None]:
    """A drop-in that sets the storage driver on dockerd's command line."""
    dropin = "/etc/systemd/system/docker.service.d/50-test-flag.conf"
    host.check_output(
        "printf '[Service]\\nExecStart=\\nExecStart=/usr/sbin/dockerd -H fd:// "
        "--storage-driver=overlay2\\n' > %s && systemctl daemon-reload",
        dropin,
    )
    yield
    host.check_output("rm -f %s && systemctl daemon-reload", dropin)


BAD_INPUT = [
    pytest.param(
        {"docker_storage_device": "/dev/layerwise-missing", "docker_storage_loop_file": ""},
        "docker_storage_device '/dev/layerwise-missing' does not exist",
        id="device-missing",
    ),
    pytest.param(
        {"docker_storage_driver": "overlay3"},
        "docker_storage_driver",
        id="unknown-driver",
    ),
    pytest.param(
        {"docker_storage_fstype": "ext4", "docker_storage_opts": ["overlay2.size=1G"]},
        "docker_storage_fstype is 'ext4'",
        id="overlay2-size-on-ext4",
    ),
    pytest.param(
        {"docker_storage_loop_size": "lots"},
        "docker_storage_loop_size must be a size",
        id="loop-size-not-a-size",
    ),
    pytest.param(
        {"docker_storage_image_store": "zfs"},
        "docker_storage_image_store",
        id="unknown-image-store",
    ),
    pytest.param(
        {"docker_storage_image_store": "containerd", "docker_storage_opts": ["overlay2.size=1G"]},
        "are options of the overlay2 graph driver, but docker_storage_image_store is containerd",
        id="storage-opts-with-containerd-store",
    ),
    pytest.param(
        {"docker_storage_data_root": "var/lib/docker"},
        "docker_storage_data_root must be an absolute path",
        id="relative-data-root",
    ),
]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("extra", "message"), BAD_INPUT)
def test_bad_input_fails_before_any_change(
    run_role: RunRole, extra: dict[str, Any], message: str
) -> None:
    rc, out = run_role(**extra)
    assert rc != 0
    assert message in out


# Refusals of the host's state (plugins/filter/docker_storage_guard.py, each message proven
# exactly in tests/unit/test_guard.py): here, that the message reaches the user and nothing
# changed, one per kind of state the role reads.
UNSAFE_STATE = [
    pytest.param(
        {"docker_storage_loop_file": "/var/lib/layerwise"},
        "docker_storage_loop_file '/var/lib/layerwise' exists but is not a regular file",
        id="loop-file-a-directory",
    ),
    pytest.param(
        {"docker_storage_loop_file": "/var/lib/layerwise/layerwise-other.img"},
        "/var/lib/docker is already mounted from /var/lib/layerwise/docker-data.img, not from "
        "/var/lib/layerwise/layerwise-other.img",
        id="data-root-mounted-from-elsewhere",
    ),
    pytest.param(
        {"docker_storage_migrate_images": True, "docker_storage_image_store": "containerd"},
        "only Docker 29.0 and later migrate overlay2 images into the containerd image store",
        id="image-migration-before-docker-29",
    ),
    pytest.param(
        {"docker_storage_daemon_json": "/etc/docker/storage.json"},
        "reads /etc/docker/daemon.json (dockerd's default: no --config-file is given), not "
        "/etc/docker/storage.json",
        id="daemon-json-dockerd-does-not-read",
    ),
]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("extra", "message"), UNSAFE_STATE)
def test_unsafe_host_state_is_refused_before_any_change(
    host: Any, run_role: RunRole, extra: dict[str, Any], message: str
) -> None:
    rc, out = run_role(**extra)
    assert rc != 0
    assert message in out, out[-3000:]
    for made in ("/var/lib/layerwise/layerwise-other.img", "/etc/docker/storage.json"):
        assert not host.file(made).exists, made


@pytest.mark.usefixtures("unchanged")
def test_device_with_a_filesystem_is_not_formatted(
    host: Any, run_role: RunRole, signed_device: str
) -> None:
    rc, out = run_role(
        docker_storage_device=signed_device,
        docker_storage_loop_file="",
        docker_storage_fstype="xfs",
    )
    assert rc != 0
    assert f"docker_storage_device '{signed_device}' already carries a ext4 filesystem" in out
    assert "docker_storage_force_format: true" in out
    assert host.check_output("blkid -p -o value -s TYPE %s", signed_device) == "ext4"


@pytest.mark.usefixtures("unchanged", "flag_in_unit")
def test_storage_flag_on_dockerd_is_refused(run_role: RunRole) -> None:
    rc, out = run_role()
    assert rc != 0
    assert "--storage-driver=overlay2" in out
    assert "Remove the flag" in out


@pytest.mark.usefixtures("unchanged")
def test_overlay2_size_needs_xfs_quota_in_the_kernel(host: Any, run_role: RunRole) -> None:
    if host.file("/proc/fs/xfs/xqmstat").exists:
        pytest.skip("this kernel has XFS quota support, so the role would not refuse")
    rc, out = run_role(docker_storage_opts=["overlay2.size=1G"])
    assert rc != 0
    assert "kernel XFS quota not supported" in out


def test_failed_restart_rolls_daemon_json_back(
    host: Any, run_role: RunRole, facts: Facts, policy: dict[str, Any]
) -> None:
    """An option dockerd rejects at start: the role restores daemon.json and Docker, and the
    containers that ran run again, mounted. A dockerd that fails to start unmounts every
    container's overlay, also those live-restore kept running (Debian 13's instance): the
    role stops and starts those, which mounts them again."""
    digest_before, _ = host_state(host)
    running = running_containers(host)
    assert running, "no running container to see come back"
    rc, out = run_role(docker_storage_opts=["overlay2.bogus_option=1"])
    assert rc != 0
    assert "The previous daemon.json was restored and Docker is running again" in out
    assert "bogus_option" in out.split("dockerd said:", 1)[1]
    assert host_state(host)[0] == digest_before
    assert host.service("docker").is_running
    assert host.check_output("docker info --format '{{.Driver}}'") == "overlay2"
    # without live-restore, dockerd stopped them and their restart policy starts them
    wait_for(
        "the containers that ran running again",
        lambda: running_containers(host) == running,
        RESTART_WAIT_S,
    )
    assert layer_store_findings(judge(facts, policy)) == []


@pytest.fixture
def an_image(host: Any) -> Iterator[str]:
    """An image in the host's Docker (imported from an empty tar: no registry needed)."""
    name = "layerwise/test-empty:latest"
    host.check_output("tar -cf - -T /dev/null | docker import - %s", name)
    yield name
    host.run("docker image rm %s", name)


@pytest.mark.usefixtures("unchanged", "an_image")
def test_new_data_root_that_would_hide_images_is_refused(host: Any, run_role: RunRole) -> None:
    rc, out = run_role(docker_storage_data_root="/srv/docker")
    assert rc != 0
    assert "would hide them" in out
    assert "docker_storage_allow_data_root_change: true" in out
    assert not host.file("/srv/docker").exists


def engine_major(host: Any) -> int:
    return int(host.check_output("docker version --format '{{.Server.Version}}'").split(".")[0])


@pytest.mark.usefixtures("unchanged", "an_image")
def test_switching_the_image_store_with_images_present_is_refused(
    host: Any, run_role: RunRole
) -> None:
    """Images would vanish from view: refused, with where they stay and the opt-in. An
    engine without the containerd store (Docker < 24) is refused for that first."""
    rc, out = run_role(docker_storage_image_store="containerd")
    assert rc != 0
    if engine_major(host) < 24:
        assert "older than 24.0, the first engine with the containerd image store" in out
    else:
        assert "Switching to containerd would hide them" in out
        assert "under /var/lib/docker/overlay2 and /var/lib/docker/image/overlay2" in out
        assert "docker_storage_allow_image_store_change: true" in out
    assert host.check_output("docker info --format '{{.Driver}}'") == "overlay2"


@pytest.fixture
def userns_in_daemon_json(host: Any) -> Iterator[None]:
    """daemon.json asks for userns-remap (Docker not restarted); the file is put back."""
    with daemon_json_key(host, "userns-remap", "default"):
        yield


@pytest.mark.usefixtures("userns_in_daemon_json")
def test_containerd_store_with_userns_remap_is_refused(host: Any, run_role: RunRole) -> None:
    before = host.check_output("sha256sum /etc/docker/daemon.json")
    rc, out = run_role(docker_storage_image_store="containerd")
    assert rc != 0
    assert "docker_storage_image_store is containerd, but" in out
    assert "userns-remap is set" in out
    assert "drop userns-remap" in out
    assert host.check_output("sha256sum /etc/docker/daemon.json") == before


@pytest.mark.usefixtures("unchanged")
def test_pinned_engine_from_a_suite_the_mirror_lacks_is_refused(
    host: Any, run_role: RunRole
) -> None:
    rc, out = run_role(
        layerwise_role="docker_engine",
        docker_engine_source="pinned",
        docker_engine_pin_suite="layerwise-nosuch",
    )
    assert rc != 0
    assert (
        "docker_engine_pin_suite 'layerwise-nosuch' is not on http://deb.debian.org/debian" in out
    )
    assert "answered 404" in out
    assert not host.file("/etc/apt/sources.list.d/layerwise-layerwise-nosuch.sources").exists
    assert not host.file("/etc/apt/preferences.d/layerwise-docker-engine").exists or (
        "layerwise-nosuch"
        not in host.file("/etc/apt/preferences.d/layerwise-docker-engine").content_string
    )
