#!/usr/bin/env bash
# systemd.security: the unit's `systemd-analyze security` exposure stays at or below the level
# docs/packaging.md records (offline: reads the unit file, needs no running systemd).
#
#   systemd-security.sh SOURCE_DIR THRESHOLD
#
# THRESHOLD is in tenths (12 = 1.2). Raising it means weakening the sandbox: update
# docs/packaging.md and say why.
set -euo pipefail
source_dir=$1 threshold=$2
unit=$source_dir/packaging/systemd/outbox-relay.service

status=0
out=$(systemd-analyze security --offline=true --no-pager --threshold="$threshold" "$unit" 2>&1) ||
  status=$?
line=$(grep 'Overall exposure level' <<<"$out" || true)
if [ -z "$line" ]; then
  echo "$out" >&2
  echo "FAIL: systemd-analyze security printed no exposure level" >&2
  exit 1
fi
echo "$line"
if [ "$status" -ne 0 ]; then
  grep '✗' <<<"$out" >&2 || true
  echo "FAIL: exposure above $((threshold / 10)).$((threshold % 10))" >&2
  exit 1
fi
