#!/bin/sh
# Run inside a lab host (docker exec, from the controller): wait until systemd has finished
# booting, for at most LIMIT seconds. wait-booted.sh HOST LIMIT
#
# Nothing is copied to the host for this: the controller sends the script as an argument, so
# the boot's cleanup of /tmp cannot remove it. Right after a start systemd's bus may not
# answer yet ("offline"), so the question is asked again until the deadline.
host=$1
limit=$2
end=$(( $(date +%s) + limit ))
state=unknown
while :; do
    left=$(( end - $(date +%s) ))
    [ "$left" -gt 0 ] || break
    state=$(timeout "$left" systemctl is-system-running --wait 2>/dev/null)
    case $state in
        running|degraded) echo "$state"; exit 0 ;;
    esac
    sleep 1
done
state=$(systemctl is-system-running 2>/dev/null)
echo "$host has not finished booting after ${limit} s (systemd says: ${state:-no answer}); jobs still running:"
systemctl list-jobs --no-pager --no-legend 2>&1 | head -n 20
exit 1
