#!/usr/bin/env bash
# bench/load for a few seconds through the relay, with this tree's binaries, on servers of its own:
# the harness must start and stop everything, measure every event, and end with a RESULT line
# that has every key, no missing event and no duplicate. Keeps the harness from rotting; the
# real comparisons (bench/compare) are not part of the test run.
#
#   bench-load-smoke.sh ROOT RELAY_BINARY LOADGEN_BINARY
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 ROOT RELAY_BINARY LOADGEN_BINARY" >&2; exit 2; }
root=$1
state=$(mktemp -d "${TMPDIR:-/tmp}/outbox-bench-smoke.XXXXXX")
output=$state.out
trap '"$root/scripts/local-env" --state "$state" destroy >/dev/null 2>&1 || true; rm -rf "$state" "$output"' EXIT

status=0
OUTBOX_BENCH_STATE=$state OUTBOX_BENCH_RELAY=$2 BENCH_LOADGEN=$3 \
  timeout 240 "$root/bench/load" --no-build --contender relay --rate 300 --seconds 3 \
  --warmup-seconds 1 >"$output" 2>&1 || status=$?
cat "$output"
[ "$status" -eq 0 ] || { echo "FAIL: bench/load exited $status"; exit 1; }
result=$(grep '^RESULT ' "$output" | tail -1)
[ -n "$result" ] || { echo "FAIL: no RESULT line"; exit 1; }
for key in contender rate achieved_rate events missing duplicates p50_ms p90_ms p99_ms p999_ms \
  max_ms cpu_us_per_event peak_rss_mib broker_cpu_us_per_event; do
  [[ " $result " == *" $key="* ]] || { echo "FAIL: RESULT has no $key"; exit 1; }
done
for expected in "contender=relay" "events=900" "missing=0" "duplicates=0"; do
  [[ " $result " == *" $expected "* ]] || { echo "FAIL: RESULT lacks $expected"; exit 1; }
done
# The harness destroyed its servers: nothing of them answers any more (`status` finds the
# cluster wherever services.sh keeps it, /var/tmp when run as root).
if "$root/scripts/local-env" --state "$state" status >/dev/null 2>&1; then
  echo "FAIL: servers of $state still run"
  exit 1
fi
echo "PASS"
