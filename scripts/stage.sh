#!/usr/bin/env bash
# Run one stage of `make test` and say how long it took: stage.sh NAME COMMAND...
set -uo pipefail
name=$1
shift
start=$(date +%s)
printf '\n==> %s\n' "$name"
"$@"
rc=$?
printf '==> %s: %s in %ss\n' "$name" "$([ $rc -eq 0 ] && echo ok || echo FAILED)" "$(( $(date +%s) - start ))"
exit $rc
