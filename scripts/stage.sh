#!/usr/bin/env bash
# Run one stage of `make test` and say how long it took: stage.sh NAME COMMAND...
# Under `make test` each stage's result is also appended to $LAYERWISE_STAGES, which it
# prints as its closing table (scripts/junit_totals.py --stages).
set -uo pipefail
name=$1
shift
start=$(date +%s)
printf '\n==> %s\n' "$name"
"$@"
rc=$?
seconds=$(( $(date +%s) - start ))
status=$([ $rc -eq 0 ] && echo ok || echo FAILED)
printf '==> %s: %s in %ss\n' "$name" "$status" "$seconds"
if [ -n "${LAYERWISE_STAGES:-}" ]; then
    printf '%s\t%s\t%s\n' "$name" "$status" "$seconds" >>"$LAYERWISE_STAGES"
fi
exit $rc
