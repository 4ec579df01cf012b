#!/usr/bin/env bash
# Checks that the alerting and recording rules read only metrics the relay exports (ctest
# monitoring.rules-metric-names):
#   check-rules-metrics.sh RULES.yml METRICS.txt
# Every `outbox_relay_...` name in the rules that is not part of a recorded name (level:name:op)
# must be in METRICS.txt; a histogram also allows its _bucket, _sum and _count series.
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 RULES.yml METRICS.txt" >&2
  exit 2
fi
rules=$1
metrics=$2

declare -A type_of=()
while read -r name type _; do
  [ -n "$name" ] && [ "${name:0:1}" != "#" ] || continue
  type_of[$name]=$type
done <"$metrics"

status=0
count=0
while read -r name; do
  [ -n "$name" ] || continue
  count=$((count + 1))
  base=$name
  for suffix in _bucket _sum _count; do
    candidate=${name%"$suffix"}
    if [ "$candidate" != "$name" ] && [ "${type_of[$candidate]:-}" = histogram ]; then
      base=$candidate
    fi
  done
  if [ -z "${type_of[$base]:-}" ]; then
    echo "check-rules-metrics: $rules reads \`$name\`, which the relay does not export ($metrics)" >&2
    status=1
  fi
done < <(grep -v '^\s*#' "$rules" | grep -oE '(^|[^A-Za-z0-9_:])outbox_relay_[A-Za-z0-9_]+' |
  sed -E 's/^[^o]//' | sort -u)

if [ "$count" -eq 0 ]; then
  echo "check-rules-metrics: no outbox_relay_ metric found in $rules" >&2
  exit 1
fi
[ "$status" -ne 0 ] || echo "check-rules-metrics: $rules: $count metrics, all exported"
exit "$status"
