"""Jinja filter that turns `make lab LAB_SPEC=...` into lab hosts: name, Debian suite and the
inventory variables that choose each host's engine and image store."""

from __future__ import annotations

from typing import Any

# Engines a lab host can run: the Debian suite of its image and the inventory variables that
# install that engine (docker_engine role). Docker 28 is Debian testing's, pinned on Debian 13;
# the lab's mirror serves testing's Release file past its Valid-Until date.
TRIXIE_SAMPLES = {
    "sample_images_base_image": "layerwise/sample-base:trixie",
    "sample_images_base_archive": "/var/tmp/layerwise/sample-base-trixie.tar",
    # Docker >= 26 cannot give a container a bridge interface inside a lab host (/proc/sys
    # is read-only there): the sample containers run without a network
    "sample_images_network": "none",
}
ENGINES: dict[str, dict[str, Any]] = {
    "20.10": {"suite": "bookworm", "vars": {}},
    "26": {"suite": "trixie", "vars": dict(TRIXIE_SAMPLES)},
    "28": {
        "suite": "trixie",
        "vars": {
            **TRIXIE_SAMPLES,
            "docker_engine_source": "pinned",
            "docker_engine_pin_check_valid_until": False,
        },
    },
}
STORES = ("overlay2", "containerd")
CONTAINERD_FROM = "24"  # the first engine with the containerd image store
DEFAULT_WORD = "20.10/overlay2"


class LabSpecError(ValueError):
    """A LAB_SPEC word that names no engine or store this lab can run."""


def lab_plan(spec: str, count: int | str, prefix: str) -> dict[str, dict[str, Any]]:
    """``{name: {"suite", "engine", "store", "vars"}}`` for each host, in order.

    ``spec`` is one word per host, ``<engine>[/<store>]`` (e.g. ``"20.10 28/containerd"``);
    empty gives ``count`` hosts of Debian 12's Docker 20.10 on overlay2.
    """
    words = spec.split() or [DEFAULT_WORD] * int(count)
    plan: dict[str, dict[str, Any]] = {}
    for number, word in enumerate(words, start=1):
        engine, _, store = word.partition("/")
        store = store or "overlay2"
        if engine not in ENGINES:
            raise LabSpecError(
                f"LAB_SPEC word {word!r}: engine {engine!r} is not one of {', '.join(ENGINES)}"
            )
        if store not in STORES:
            raise LabSpecError(
                f"LAB_SPEC word {word!r}: image store {store!r} is not one of {', '.join(STORES)}"
            )
        if store == "containerd" and float(engine) < float(CONTAINERD_FROM):
            raise LabSpecError(
                f"LAB_SPEC word {word!r}: Docker {engine} has no containerd image store "
                f"(Docker {CONTAINERD_FROM}+): use 28/containerd"
            )
        host_vars = dict(ENGINES[engine]["vars"])
        if store != "overlay2":
            host_vars["docker_storage_image_store"] = store
        plan[f"{prefix}-{number}"] = {
            "suite": ENGINES[engine]["suite"],
            "engine": engine,
            "store": store,
            "vars": host_vars,
        }
    return plan


class FilterModule:
    """Ansible entry point."""

    def filters(self) -> dict[str, Any]:
        return {"layerwise_lab_plan": lab_plan}
