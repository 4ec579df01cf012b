#!/usr/bin/env bash
# The ctest fixture behind every integration test: `up` starts a fresh PostgreSQL and Kafka
# broker in STATE_DIR (through scripts/local-env, on free ports) and writes their coordinates to
# STATE_DIR/env.sh; `down` stops both and removes their data.
#
#   tests/services.sh up|down STATE_DIR
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -eq 2 ] || { echo "usage: $0 up|down STATE_DIR" >&2; exit 2; }
state=$2

case $1 in
  up)
    # Leftovers of an interrupted run (servers, slots, topics) must not leak into this one.
    "$root/scripts/local-env" --state "$state" destroy
    mkdir -p "$state"
    "$root/scripts/local-env" --state "$state" up >"$state/env.sh.tmp"
    mv "$state/env.sh.tmp" "$state/env.sh"
    cat "$state/env.sh"
    ;;
  down)
    "$root/scripts/local-env" --state "$state" destroy
    ;;
  *) echo "usage: $0 up|down STATE_DIR" >&2; exit 2 ;;
esac
