#!/usr/bin/env bash
# bench/backlog-drain on a small backlog through the relay, with this tree's binaries, on servers
# of its own: the harness must write the backlog, time the relay through it, run the ceiling
# (pg_recvlogical) and the floor (librdkafka alone), and end with a RESULT line that has every
# key, no missing event and no duplicate. Keeps the harness from rotting; the real drains are not
# part of the test run.
#
#   bench-drain-smoke.sh ROOT RELAY_BINARY LOADGEN_BINARY PRODUCER_FLOOR_BINARY
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 ROOT RELAY_BINARY LOADGEN_BINARY PRODUCER_FLOOR_BINARY" >&2; exit 2; }
root=$1
state=$(mktemp -d "${TMPDIR:-/tmp}/outbox-bench-drain-smoke.XXXXXX")
output=$state.out
trap '"$root/scripts/local-env" --state "$state" destroy >/dev/null 2>&1 || true; rm -rf "$state" "$output"' EXIT

status=0
OUTBOX_BENCH_STATE=$state OUTBOX_BENCH_RELAY=$2 BENCH_LOADGEN=$3 BENCH_PRODUCER_FLOOR=$4 \
  timeout 240 "$root/bench/backlog-drain" 2000 --rows-per-txn 10 --contenders relay --no-build \
  >"$output" 2>&1 || status=$?
cat "$output"
[ "$status" -eq 0 ] || { echo "FAIL: bench/backlog-drain exited $status"; exit 1; }
result=$(grep '^RESULT ' "$output" | tail -1)
[ -n "$result" ] || { echo "FAIL: no RESULT line"; exit 1; }
for key in contender mode events missing duplicates seconds events_per_s cpu_us_per_event \
  peak_rss_mib broker_cpu_us_per_event ceiling_events_per_s ceiling_cpu_us_per_event \
  ceiling_peak_rss_mib ceiling_ratio floor_cpu_us_per_event; do
  [[ " $result " == *" $key="* ]] || { echo "FAIL: RESULT has no $key"; exit 1; }
done
for expected in "contender=relay" "mode=drain" "events=2000" "missing=0" "duplicates=0"; do
  [[ " $result " == *" $expected "* ]] || { echo "FAIL: RESULT lacks $expected"; exit 1; }
done
floor=$(sed -n 's/.* floor_cpu_us_per_event=\([0-9.]*\).*/\1/p' <<<"$result")
[[ "$floor" =~ ^[0-9]+\.[0-9]+$ ]] && [ "$floor" != "0.00" ] ||
  { echo "FAIL: floor_cpu_us_per_event is not a positive figure: '$floor'"; exit 1; }
if "$root/scripts/local-env" --state "$state" status >/dev/null 2>&1; then
  echo "FAIL: servers of $state still run"
  exit 1
fi
echo "PASS"
