#!/usr/bin/env bash
# scripts/demo on a machine that has never run it: an empty state directory (no servers, no
# database, no outbox table, no slot), so it starts its own PostgreSQL and Kafka there. Passes
# when the demo exits 0 having checked, streamed and stopped the relay. The demo's processes and
# servers are stopped, and their data deleted, however it ends.
#
#   demo-from-fresh-state.sh ROOT RELAY_BINARY
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 ROOT RELAY_BINARY" >&2; exit 2; }
root=$1
relay=$2

# mktemp's 0700 directory is one the postgres user cannot enter when this runs as root:
# scripts/lib/services.sh then keeps the cluster under /var/tmp, and `destroy` deletes it there.
state=$(mktemp -d "${TMPDIR:-/tmp}/outbox-relay-demo.XXXXXX")
output=$(mktemp "${TMPDIR:-/tmp}/outbox-relay-demo-output.XXXXXX")
demo_pid=
cleanup() {
  # The demo runs in a process group of its own: this reaches the relay it started in the
  # background too. The broker and PostgreSQL run detached; `destroy` stops them.
  [ -z "$demo_pid" ] || kill -TERM -- "-$demo_pid" 2>/dev/null || true
  "$root/scripts/local-env" --state "$state" destroy || echo "FAIL: local-env destroy" >&2
  rm -rf "$state" "$output"
}
trap cleanup EXIT

status=0
OR_DEMO_STATE=$state OR_DEMO_RELAY=$relay \
  setsid timeout 300 "$root/scripts/demo" >"$output" 2>&1 </dev/null &
demo_pid=$!
wait "$demo_pid" || status=$?
cat "$output"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
[ "$status" -eq 0 ] || fail "scripts/demo exited with status $status (124: it ran for 300 s)"
[ -f "$state/demo/relay.yaml" ] || fail "the demo did not keep its files in OR_DEMO_STATE"
grep -q '^the relay can run$' "$output" || fail "no passing outbox-relay check in the output"
grep -q '^relay exited with status 0$' "$output" || fail "no graceful stop in the output"
echo "scripts/demo ran end to end from a fresh state directory"
