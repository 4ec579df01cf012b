#!/usr/bin/env bash
# bench/first-record with two restarts of this tree's relay, on servers of its own: the harness
# must stop and start the relay, time each restart, end with a RESULT line that has every key,
# and leave no server running. Keeps the harness from rotting; what it measures is recorded in
# docs/benchmarks.md, not checked here.
#
#   bench-first-record-smoke.sh ROOT RELAY_BINARY LOADGEN_BINARY
set -euo pipefail
[ $# -eq 3 ] || { echo "usage: $0 ROOT RELAY_BINARY LOADGEN_BINARY" >&2; exit 2; }
root=$1
state=$(mktemp -d "${TMPDIR:-/tmp}/outbox-first-smoke.XXXXXX")
output=$state.out
trap '"$root/scripts/local-env" --state "$state" destroy >/dev/null 2>&1 || true; rm -rf "$state" "$output"' EXIT

status=0
OUTBOX_BENCH_STATE=$state OUTBOX_BENCH_RELAY=$2 BENCH_LOADGEN=$3 \
  timeout 240 "$root/bench/first-record" --no-build --contenders relay --rows 20 --restarts 2 \
  >"$output" 2>&1 || status=$?
cat "$output"
[ "$status" -eq 0 ] || { echo "FAIL: bench/first-record exited $status"; exit 1; }
result=$(grep '^RESULT ' "$output" | tail -1)
[ -n "$result" ] || { echo "FAIL: no RESULT line"; exit 1; }
for expected in "contender=relay" "mode=first_record" "rows=20" "restarts=2"; do
  [[ " $result " == *" $expected "* ]] || { echo "FAIL: RESULT lacks $expected"; exit 1; }
done
[[ " $result " =~ \ first_ms_median=[0-9]+\  ]] || { echo "FAIL: no median"; exit 1; }
[[ " $result " =~ \ first_ms=[0-9]+,[0-9]+\  ]] || { echo "FAIL: not one time per restart"; exit 1; }
if "$root/scripts/local-env" --state "$state" status >/dev/null 2>&1; then
  echo "FAIL: servers of $state still run"
  exit 1
fi
echo "PASS"
