"""make bench: where the disk went on the bench host, three ways in one run, side by side.

- layerwise: the reader with usage (one ``python3 -c`` command, the sizes Docker recorded for
  image layers, walks of what changes) and the account made of it on this machine;
- ``docker system df -v`` as people run it, and the same numbers in bytes (GET /system/df);
- ``du -x -s`` of the data root: every byte its filesystem allocated there, beside the
  account with every layer and Docker's own records walked (``usage_walk_layers``).

Prints the times and the totals and writes them to reports/bench-usage.json. The figures
differ where they count different things (docs/usage.md says how): Docker's are apparent
sizes (st_size) and leave logs out; du and layerwise count allocated blocks.

    python -m scripts.bench_usage HOST
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
from layerwise.shipping import bootstrap

SYSTEM_DF = """import http.client, json, socket
c = http.client.HTTPConnection("localhost", timeout=900)
s = socket.socket(socket.AF_UNIX); s.connect("/var/run/docker.sock"); c.sock = s
c.request("GET", "/system/df"); print(c.getresponse().read().decode())"""


def on_host(host: str, *argv: str) -> tuple[float, str]:
    """Run ``argv`` on the lab host -> (seconds, stdout); fails on a non-zero exit."""
    started = time.perf_counter()
    done = subprocess.run(
        ["docker", "exec", host, *argv], capture_output=True, text=True, check=True, timeout=1800
    )
    return time.perf_counter() - started, done.stdout


def engine_totals(df: dict[str, Any]) -> dict[str, int]:
    """GET /system/df in bytes: image layers, writable layers, volumes, build cache."""
    return {
        "image_layers": int(df.get("LayersSize") or 0),
        "writable_layers": sum(int(c.get("SizeRw") or 0) for c in df.get("Containers") or []),
        "volumes": sum(
            max(int((v.get("UsageData") or {}).get("Size") or 0), 0)
            for v in df.get("Volumes") or []
        ),
        "build_cache": sum(int(b.get("Size") or 0) for b in df.get("BuildCache") or []),
    }


def our_totals(account: dict[str, Any]) -> dict[str, int]:
    """The account's parts over every filesystem, in the engine's four kinds and the rest."""
    parts: dict[str, int] = {}
    for fs in account["filesystems"]:
        for kind, size in (fs.get("parts") or {}).items():
            parts[kind] = parts.get(kind, 0) + int(size or 0)
    layers = sum(v for k, v in parts.items() if k.startswith("image_layers"))
    return {
        "image_layers": layers,
        "writable_layers": parts.get("writable_layers", 0),
        "volumes": parts.get("volumes", 0),
        "build_cache": parts.get("build_cache", 0),
        "logs": parts.get("logs", 0),
        "all_parts_but_the_filesystems_own": sum(
            v for k, v in parts.items() if k not in ("filesystem", "open_deleted")
        ),
    }


def main(host: str) -> int:
    reader = bootstrap()
    read_s, out = on_host(host, "python3", "-c", reader, "--params", '{"usage": true}')
    snap = json.loads(out)
    started = time.perf_counter()
    account = checks.account(snap)
    account_s = time.perf_counter() - started
    root = snap["docker"]["root_dir"] or snap["data_root"]
    df_s, _shown = on_host(host, "docker", "system", "df", "-v")
    _api_s, api = on_host(host, "python3", "-c", SYSTEM_DF)
    # the exact account (every layer and Docker's own records walked) against du -x
    walked_s, out = on_host(
        host, "python3", "-c", reader, "--params", '{"usage": true, "usage_walk_layers": true}'
    )
    walked = our_totals(checks.account(json.loads(out)))
    du_s, du = on_host(host, "du", "-x", "-s", "-B1", root)
    ours, engine = our_totals(account), engine_totals(json.loads(api))
    found = {
        "layer_dirs": len(snap.get("overlay2", {}).get("layers", {}))
        or len((snap.get("containerd") or {}).get("dirs", {})),
        "layerwise_s": round(read_s + account_s, 3),
        "read_s": round(read_s, 3),
        "account_s": round(account_s, 3),
        "docker_system_df_v_s": round(df_s, 3),
        "walked_read_s": round(walked_s, 3),
        "du_s": round(du_s, 3),
        "walked": walked,
        "layerwise": ours,
        "engine": engine,
        "du_bytes": int(du.split()[0]),
        "data_root": root,
    }
    Path("reports/bench-usage.json").write_text(json.dumps(found, indent=1) + "\n")
    faster = df_s / found["layerwise_s"] if found["layerwise_s"] else 0.0
    print(
        f"  where the disk went, {found['layer_dirs']} layer dirs: layerwise "
        f"{found['layerwise_s']:.3f} s (read {read_s:.3f} s, account {account_s:.3f} s), "
        f"docker system df -v {df_s:.3f} s ({faster:.1f}x as long)"
    )
    for kind in ("image_layers", "writable_layers", "volumes", "build_cache"):
        print(f"    {kind}: layerwise {ours[kind]:,} B, docker {engine[kind]:,} B")
    print(
        f"    logs: layerwise {ours['logs']:,} B (docker system df leaves logs out); "
        f"du -x {root} ({du_s:.3f} s): {found['du_bytes']:,} B, layerwise's parts with every "
        f"layer walked ({walked_s:.3f} s): {walked['all_parts_but_the_filesystems_own']:,} B"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
