"""Jinja filters of the docker_storage role: merge its storage keys into daemon.json, and
say as a layerwise policy what the role promises.

debops-style: daemon.json is a dict merged key by key, never a string built by hand, so keys
the role does not own (log-driver, registry-mirrors, ...) survive untouched.
"""

from __future__ import annotations

from typing import Any

# daemon.json keys this role owns; every other key is left as it is.
MANAGED_KEYS = ("storage-driver", "storage-opts", "data-root")

# "graph" is the pre-17.05 name of "data-root": both at once make dockerd refuse to start,
# so the role replaces it rather than leaving a second, conflicting data root behind.
REPLACED_KEYS = ("graph",)


def daemon_config(
    existing: dict[str, Any] | None,
    driver: str,
    opts: list[str],
    data_root: str,
) -> dict[str, Any]:
    """Return ``existing`` with the storage keys set; keys the role does not own survive.

    An empty ``opts`` removes ``storage-opts``: the role owns the key, and an empty list
    would only say the same thing less clearly.
    """
    if existing is None:
        existing = {}
    if not isinstance(existing, dict):
        raise TypeError(f"daemon.json must hold a JSON object, not {type(existing).__name__}")
    merged = {k: v for k, v in existing.items() if k not in REPLACED_KEYS}
    merged["storage-driver"] = driver
    if opts:
        merged["storage-opts"] = list(opts)
    else:
        merged.pop("storage-opts", None)
    merged["data-root"] = data_root
    return merged


def role_policy(
    driver: str, data_root: str, opts: list[str], fstype: str, source: str
) -> dict[str, Any]:
    """What the role promises, as a layerwise policy (policy/default.yml lists the keys).

    The role's verify step, tests/infra and a compliance run judge a host the role set up
    against this, with the same checks. Without a source (device or loop file) the role
    leaves the data root's filesystem as it is, so where it lives is not judged.
    """
    daemon_json: dict[str, Any] = {"storage-driver": driver, "data-root": data_root}
    if opts:
        daemon_json["storage-opts"] = list(opts)
    policy: dict[str, Any] = {
        "driver": driver,
        "data_root": data_root,
        "daemon_json": daemon_json,
        "data_root_own_filesystem": bool(source),
        "fstab_entry": bool(source),
        "mount_dependency": bool(source),
    }
    if source:
        policy["backing_filesystems"] = [fstype]
    return policy


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {
            "docker_storage_daemon_config": daemon_config,
            "docker_storage_policy": role_policy,
        }
