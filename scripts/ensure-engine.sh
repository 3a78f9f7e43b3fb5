#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine (the controller that runs the lab).
# Installs Debian's docker.io when dockerd is missing, then starts it under systemd when
# systemd runs this machine, or in the background otherwise (CI machines boot without it).
set -euo pipefail

log() { printf 'layerwise: %s\n' "$*" >&2; }
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/layerwise-dockerd.log}

if docker info >/dev/null 2>&1; then
    exit 0
fi

if ! command -v dockerd >/dev/null 2>&1; then
    log "no dockerd on this machine: installing Debian's docker.io"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends docker.io >/dev/null
fi

if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; then
    log "starting docker.service"
    systemctl start docker.service
else
    log "starting dockerd in the background (log: $DOCKERD_LOG)"
    nohup dockerd >>"$DOCKERD_LOG" 2>&1 &
fi

for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        log "engine up: $(docker version --format '{{.Server.Version}}')"
        exit 0
    fi
    sleep 1
done
log "dockerd did not answer within 60 s; last lines of its log:"
tail -n 20 "$DOCKERD_LOG" >&2 || true
exit 1
