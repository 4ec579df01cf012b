#!/usr/bin/env bash
# Checks the Grafana dashboard (ctest monitoring.grafana-dashboard-json):
#   check-dashboard.sh DASHBOARD.json METRICS.txt
# - the file is JSON, with a title, a uid and a numeric schemaVersion;
# - a `datasource` variable of type datasource (prometheus) and an `instance` query variable;
# - every panel and query uses the ${datasource} variable, every query filters on $instance,
#   panel ids are unique and panels fit the 24-column grid;
# - every metric a query or variable reads is one the relay exports (METRICS.txt, where a
#   histogram also allows its _bucket, _sum and _count series), and every exported metric is shown.
# Needs jq (scripts/setup installs it).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 DASHBOARD.json METRICS.txt" >&2
  exit 2
fi
dashboard=$1
metrics=$2

if ! command -v jq >/dev/null; then
  echo "check-dashboard: jq is missing; run scripts/setup" >&2
  exit 1
fi

if ! jq empty "$dashboard"; then
  echo "check-dashboard: $dashboard is not valid JSON" >&2
  exit 1
fi

# Structure: one line per problem.
problems=$(jq -r '
  def panels: [.panels[]? | ., (.panels[]? )] | map(select(type == "object"));
  def var($name): [.templating.list[]? | select(.name == $name)];
  (if (.title | type) != "string" or .title == "" then "no title" else empty end),
  (if (.uid | type) != "string" or .uid == "" then "no uid" else empty end),
  (if (.schemaVersion | type) != "number" then "no numeric schemaVersion" else empty end),
  (var("datasource") as $v
   | if ($v | length) != 1 or $v[0].type != "datasource" or $v[0].query != "prometheus"
     then "no `datasource` variable of type datasource with query prometheus" else empty end),
  (var("instance") as $v
   | if ($v | length) != 1 or $v[0].type != "query" or $v[0].datasource.uid != "${datasource}"
     then "no `instance` query variable on ${datasource}" else empty end),
  (panels | map(.id) | group_by(.) | map(select(length > 1) | "panel id \(.[0]) is used twice")[]),
  (panels[] | .title as $t
   | (if (.gridPos.x + .gridPos.w) > 24 then "panel \"\($t)\" is wider than the grid" else empty end),
     (select(.type != "row")
      | (if .datasource.uid != "${datasource}" then "panel \"\($t)\" does not use ${datasource}"
         else empty end),
        (if (.targets | length) == 0 then "panel \"\($t)\" has no query" else empty end),
        (.targets[]? | .refId as $r
         | (if .datasource.uid != "${datasource}"
            then "panel \"\($t)\" query \($r) does not use ${datasource}" else empty end),
           (if (.expr | type) != "string" or .expr == ""
            then "panel \"\($t)\" query \($r) has no expr"
            elif (.expr | contains("$instance") | not)
            then "panel \"\($t)\" query \($r) does not filter on $instance"
            else empty end))))
' "$dashboard")

# Metric names: strip strings, variables, label matchers, ranges, grouping clauses, offsets and
# function names from each PromQL expression; the identifiers left are metric names.
used=$(jq -r '
  def panels: [.panels[]? | ., (.panels[]? )] | map(select(type == "object"));
  def names:
    gsub("\"(\\\\.|[^\"\\\\])*\""; " ")
    | gsub("\\$\\{[^}]*\\}|\\$[A-Za-z_][A-Za-z0-9_]*"; " ")
    | gsub("\\{[^}]*\\}"; " ")
    | gsub("\\[[^\\]]*\\]"; " ")
    | gsub("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)"; " ")
    | gsub("\\boffset\\s+-?[0-9a-z]+"; " ")
    | gsub("[A-Za-z_][A-Za-z0-9_]*\\s*\\("; " (")
    | [scan("(?<![A-Za-z0-9_.:])[A-Za-z_:][A-Za-z0-9_:]*")]
    | map(select(. as $w | ["and", "or", "unless", "bool", "group_left", "group_right", "inf", "nan",
                             "Inf", "NaN"]
                            | index($w) | not))
    | .[];
  (panels[] | select(.type != "row") | .title as $t | .targets[]? | .refId as $r
   | .expr | names | "\(.)\tpanel \"\($t)\" query \($r)"),
  (.templating.list[]? | select(.type == "query") | .name as $n
   | (if (.query | type) == "object" then .query.query else .query end)
   | (if test("^\\s*label_values\\(")
      then capture("^\\s*label_values\\((?<m>.*),\\s*[A-Za-z_][A-Za-z0-9_]*\\s*\\)\\s*$").m
      else . end)
   | names | "\(.)\tvariable \($n)")
' "$dashboard")

declare -A type_of=() shown=()
while read -r name type _; do
  [ -n "$name" ] && [ "${name:0:1}" != "#" ] || continue
  type_of[$name]=$type
done <"$metrics"

while IFS=$'\t' read -r name where; do
  [ -n "$name" ] || continue
  base=$name
  for suffix in _bucket _sum _count; do
    candidate=${name%"$suffix"}
    if [ "$candidate" != "$name" ] && [ "${type_of[$candidate]:-}" = histogram ]; then
      base=$candidate
    fi
  done
  if [ -z "${type_of[$base]:-}" ]; then
    problems+=$'\n'"$where reads \`$name\`, which the relay does not export ($metrics)"
  else
    shown[$base]=1
  fi
done <<<"$used"

for name in "${!type_of[@]}"; do
  [ -n "${shown[$name]:-}" ] || problems+=$'\n'"no panel shows \`$name\`"
done

problems=$(sed '/^$/d' <<<"$problems" | sort)
if [ -n "$problems" ]; then
  echo "check-dashboard: $dashboard:" >&2
  sed 's/^/  /' <<<"$problems" >&2
  exit 1
fi
echo "check-dashboard: $dashboard: $(jq '[.panels[] | select(.type != "row")] | length' \
  "$dashboard") panels, $(grep -c . <<<"$used") metric references, all exported"
