#!/usr/bin/env bash
# systemd.verify: `systemd-analyze verify` accepts packaging/systemd/outbox-relay.service with no
# warning at all, and systemd-sysusers accepts the sysusers.d file.
#
#   systemd-verify.sh SOURCE_DIR RELAY_BINARY WORK_DIR
#
# verify needs ExecStart's program to exist and runs no systemd: it checks a copy of the unit
# whose ExecStart names the built binary (the only line that differs), and finds the manual
# page of Documentation=man:outbox-relay(1) through MANPATH. Works in a container without
# systemd as PID 1.
set -euo pipefail
source_dir=$1 binary=$2 work=$3
unit=$source_dir/packaging/systemd/outbox-relay.service

rm -rf "$work" && mkdir -p "$work/units" "$work/man/man1" "$work/sysroot"
sed "s|^ExecStart=/usr/bin/outbox-relay |ExecStart=$binary |" "$unit" >"$work/units/outbox-relay.service"
if [ "$(diff "$unit" "$work/units/outbox-relay.service" | grep -c '^[<>]')" != 2 ]; then
  echo "FAIL: ExecStart=/usr/bin/outbox-relay ... not found (exactly once) in $unit" >&2
  exit 1
fi
cp "$source_dir/docs/outbox-relay.1" "$work/man/man1/"

# Warnings (an unknown key, a value that does not parse) leave the exit status 0: any output
# fails the test.
out=$(MANPATH="$work/man" systemd-analyze verify --man=yes "$work/units/outbox-relay.service" 2>&1) \
  || { echo "$out" >&2; echo "FAIL: systemd-analyze verify" >&2; exit 1; }
if [ -n "$out" ]; then
  echo "$out" >&2
  echo "FAIL: systemd-analyze verify reported problems" >&2
  exit 1
fi
echo "ok: systemd-analyze verify $(basename "$unit")"

out=$(systemd-sysusers --root="$work/sysroot" --dry-run \
  "$source_dir/packaging/systemd/outbox-relay.sysusers" 2>&1) \
  || { echo "$out" >&2; echo "FAIL: systemd-sysusers" >&2; exit 1; }
grep -q "outbox-relay" <<<"$out" || { echo "$out" >&2; echo "FAIL: no user outbox-relay" >&2; exit 1; }
echo "ok: systemd-sysusers accepts outbox-relay.sysusers"
