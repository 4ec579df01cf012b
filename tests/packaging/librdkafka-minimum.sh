#!/usr/bin/env bash
# build.librdkafka-minimum: configuring without the librdkafka scripts/setup builds falls back to
# the system's, and refuses it, naming what to do, when it is older than the relay's minimum.
#
#   librdkafka-minimum.sh SOURCE_DIR WORK_DIR
set -euo pipefail
source_dir=$1 work=$2
minimum=$(sed -nE 's/^set\(OUTBOX_RELAY_RDKAFKA_MINIMUM ([0-9.]+)\)$/\1/p' \
  "$source_dir/cmake/librdkafka.cmake")
[ -n "$minimum" ] || { echo "FAIL: no OUTBOX_RELAY_RDKAFKA_MINIMUM in cmake/librdkafka.cmake" >&2; exit 1; }
system=$(pkg-config --modversion rdkafka 2>/dev/null || echo none)

rm -rf "$work" && mkdir -p "$work"
set +e
# The package preset's flags, with the prefix given on top of them as a user would.
cmake -S "$source_dir" --preset package -B "$work/build" \
  -DOUTBOX_RELAY_RDKAFKA_PREFIX="$work/no-such-prefix" >"$work/configure.log" 2>&1
status=$?
set -e
if [ "$system" != none ] &&
  [ "$(printf '%s\n%s\n' "$minimum" "$system" | sort -V | head -n1)" = "$minimum" ]; then
  [ "$status" -eq 0 ] || { cat "$work/configure.log" >&2; echo "FAIL: the system's librdkafka $system is new enough, yet configuring failed" >&2; exit 1; }
  echo "ok: the system's librdkafka $system (>= $minimum) is taken"
  exit 0
fi
[ "$status" -ne 0 ] || { echo "FAIL: configuring with librdkafka $system (< $minimum) succeeded" >&2; exit 1; }
for text in "librdkafka $system" "older than" "$minimum" "Run scripts/setup"; do
  tr -s ' \n' ' ' <"$work/configure.log" | grep -qF "$text" ||
    { cat "$work/configure.log" >&2; echo "FAIL: the refusal does not say \"$text\"" >&2; exit 1; }
done
echo "ok: librdkafka $system (< $minimum) is refused with what to do"
