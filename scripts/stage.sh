#!/usr/bin/env bash
# Run one stage of `make test` and say how long it took: stage.sh NAME COMMAND...
# Each stage's result is also appended to $LAYERWISE_STAGES (default reports/stages.tsv),
# which `make test` prints as its closing table (scripts/junit_totals.py --stages).
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
stages=${LAYERWISE_STAGES:-reports/stages.tsv}
mkdir -p "$(dirname "$stages")" && printf '%s\t%s\t%s\n' "$name" "$status" "$seconds" >>"$stages"
exit $rc
