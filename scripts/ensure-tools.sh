#!/usr/bin/env bash
# Debian packages the controller needs to build the lab: debootstrap makes the base image
# (no registry is reachable), xfsprogs/e2fsprogs let tests inspect loop-backed filesystems,
# chromium renders the HTML compliance report in tests, rsync is a floor of make bench-move.
set -euo pipefail
missing=()
for tool in debootstrap:debootstrap mkfs.xfs:xfsprogs mkfs.ext4:e2fsprogs losetup:mount chromium:chromium rsync:rsync; do
    command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool##*:}")
done
[ -x /usr/bin/time ] || missing+=(time)  # make bench times compliance runs with it
if [ ${#missing[@]} -gt 0 ]; then
    printf 'layerwise: installing %s\n' "${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
