#!/usr/bin/env bash
# make bench: the remote commands the host suite sends, with the lab's own layers and with
# BENCH_IMAGES x BENCH_LAYERS more (default 10 x 110), and the overlay2_facts module's run time
# and memory on them.
# Needs a lab (make lab); BENCH_HOST picks the host (default: the first lab host).
set -euo pipefail
host=${BENCH_HOST:-$(ansible lab --list-hosts | sed -n '2{s/^ *//;p}')}
mkdir -p reports

suite() {  # run the host suite, keep its per-host remote command count in reports/
  LAYERWISE_COMMAND_COUNTS="reports/bench-commands-$1.json" \
    pytest tests/infra --hosts="ansible://$host" -p no:cacheprovider -q | tail -3
}

layers() {  # layer dirs in the driver home (l/ is not one), or the containerd store's snapshots
  docker exec "$host" sh -c 'find /var/lib/docker/overlay2 \
    /var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots \
    -mindepth 1 -maxdepth 1 -type d ! -name l 2>/dev/null | wc -l'
}

echo "==> bench host $host: the suite on the lab's layers"
before=$(layers)
suite lab
echo "==> loading ${BENCH_IMAGES:-10} x ${BENCH_LAYERS:-110} more layers and timing the module"
ansible-playbook playbooks/bench.yml -e bench_host="$host"
loaded=$(layers)
echo "==> the suite again, on $loaded layer dirs"
suite loaded
echo "==> the checks over that host's snapshot, on this machine"
docker exec "$host" python3 -c "$(python -m layerwise.shipping)" --params '{}' \
  >reports/bench-snapshot.json
checks_s=$(python3 - <<'PY'
import json, sys, time
from ansible_collections.layerwise.docker.plugins.module_utils import layerwise_checks as checks
snap = json.load(open("reports/bench-snapshot.json"))
runs = []
for _ in range(5):
    started = time.perf_counter()
    outcomes = checks.results(snap)
    runs.append(time.perf_counter() - started)
found = checks.failed([o for o in outcomes if o["id"].startswith(("OVL", "CTD"))])
assert not found, checks.describe(found)
print(f"{sorted(runs)[2]:.3f}")
PY
)
echo "==> reclaim, listing only (what a scheduled run costs), on $loaded layer dirs"
ANSIBLE_LOAD_CALLBACK_PLUGINS=1 ANSIBLE_STDOUT_CALLBACK=json /usr/bin/time -f '%e' \
  -o reports/bench-reclaim.wall ansible "$host" -m layerwise.docker.docker_storage_reclaim \
  >reports/bench-reclaim.json
echo "==> where the disk went: layerwise, docker system df -v and du -x, on $loaded layer dirs"
python -m scripts.bench_usage "$host" >reports/bench-usage.txt
ansible-playbook playbooks/bench.yml -e bench_host="$host" -e bench_state=absent >/dev/null
after=$(layers)

echo "==> compliance runs: one host, then every lab host"
compliance() {  # compliance LIMIT NAME: wall and controller CPU seconds, report bytes
  /usr/bin/time -f '{"wall_s": %e, "user_s": %U, "sys_s": %S}' -o "reports/bench-compliance-$2.json" \
    python -m layerwise compliance -i inventories/lab --limit "$1" --out "reports/bench-compliance-$2" \
    >/dev/null || true
  ANSIBLE_CONFIG=ansible.cfg ansible-playbook -i inventories/lab layerwise.docker.compliance -vvv \
    -e layerwise_hosts="$1" -e layerwise_reports="$PWD/reports/bench-compliance-$2" 2>&1 |
    grep -c "^<$host> EXEC" >"reports/bench-compliance-$2.execs" || true
}
compliance "$host" one
compliance lab all

python3 - "$host" "$before" "$loaded" "$after" "$checks_s" <<'PY'
import json, os, sys
host, before, loaded, after, checks_s = sys.argv[1:]
counts = [json.load(open(f"reports/bench-commands-{n}.json")).get(host) for n in ("lab", "loaded")]
facts = json.load(open("reports/bench-facts.json"))
wall, mod = facts["wall_s"], facts["module_s"]
print(f"""
bench on {host}
  remote commands, whole host suite: {counts[0]} with {before} layer dirs, {counts[1]} with {loaded}
  overlay2_facts on {facts['layer_dirs']} layer dirs, {facts['runs']} runs:
    wall (python3 start included): median {wall['median']:.3f} s, min {wall['min']:.3f} s, max {wall['max']:.3f} s
    inside the module:             median {mod['median']:.3f} s
    peak RSS {facts['peak_rss_mb']:.1f} MB, snapshot {facts['snapshot_kb']:.0f} KB of JSON
  every check of the registry over that snapshot, median of 5: {checks_s} s; layer store: no findings
  docker load of the bench images: {facts['load']}
  layer dirs after removing the bench images: {after} (before: {before})""")
run = json.load(open("reports/bench-reclaim.json"))["plays"][0]["tasks"][0]["hosts"][host]
print(f"""  reclaim, listing only, on {loaded} layer dirs: wall {open('reports/bench-reclaim.wall').read().split()[-1]} s \
(ansible included), inside the module {run['elapsed']:.3f} s, {len(run['candidates'])} orphan(s) found""")
print(open("reports/bench-usage.txt").read().rstrip())
for name in ("one", "all"):
    run = json.load(open(f"reports/bench-compliance-{name}.json"))
    report = json.load(open(f"reports/bench-compliance-{name}/compliance.json"))
    hosts = report["totals"]["hosts"]
    size = os.path.getsize(f"reports/bench-compliance-{name}/compliance.json")
    execs = open(f"reports/bench-compliance-{name}.execs").read().strip()
    cpu = run["user_s"] + run["sys_s"]
    print(f"""  compliance, {hosts} host(s): wall {run['wall_s']:.1f} s, controller CPU {cpu:.1f} s \
({cpu / hosts:.2f} s per host), compliance.json {size / hosts / 1024:.1f} KB per host, \
remote commands on {host}: {execs}, verdict {report['verdict']}""")
PY
