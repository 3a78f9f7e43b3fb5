#!/usr/bin/env bash
# Exit 0 when the lab that make lab wrote (inventories/lab/hosts.yml) is up: every host it
# lists is a running container. make bench uses the lab as it is, and runs make lab first
# only when this says no.
set -euo pipefail
inventory=inventories/lab/hosts.yml
[ -s "$inventory" ] || { echo "layerwise: no lab inventory ($inventory)" >&2; exit 1; }
hosts=$(ansible-inventory -i "$inventory" --list 2>/dev/null |
    python3 -c 'import json, sys; print(" ".join(json.load(sys.stdin).get("lab", {}).get("hosts", [])))')
[ -n "$hosts" ] || { echo "layerwise: $inventory lists no lab host" >&2; exit 1; }
for host in $hosts; do
    if [ "$(docker inspect --format '{{.State.Running}}' "$host" 2>/dev/null)" != true ]; then
        echo "layerwise: lab host $host is not running" >&2
        exit 1
    fi
done
echo "layerwise: the lab is up ($hosts)" >&2
