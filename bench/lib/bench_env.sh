# Shared by the load harness (bench/load, bench/search, bench/compare): private servers for a
# benchmark, a run's table, topic and contender, and cleaning up on every way out (also on a
# failure or Ctrl-C). Source it from a bench script after setting OR_ROOT.
#
#   bench_build CONTENDER...          scripts/setup, the Release load generator, each contender's setup
#   bench_servers_up STATE_DIR        PostgreSQL with track_commit_timestamp and a Kafka broker
#   bench_new_run NAME                BENCH_RUN, BENCH_TABLE, BENCH_TOPIC, BENCH_WORK: made
#   bench_contender_start CONTENDER   bench/contenders/CONTENDER start, then CONTENDER_PID
#   bench_contender_stop              the running contender's stop
#   bench_measure CONTENDER RATE SECONDS [loadgen options]
#                                     one run: a new table and topic, the contender started,
#                                     a writer connection per 2,000 events/s (at least 4) unless
#                                     the options say --connections,
#                                     outbox-loadgen run, the contender stopped; prints the
#                                     loadgen's report, ending with its RESULT line
#   bench_result_value LINE KEY       a RESULT line's value for KEY
#   bench_servers_down                destroys the servers (the EXIT trap does it too)

BENCH_STATE=""
BENCH_CONTENDER=""
BENCH_LOADGEN=${BENCH_LOADGEN:-$OR_ROOT/build/release/bench/outbox-loadgen}
BENCH_PRODUCER_FLOOR=${BENCH_PRODUCER_FLOOR:-$OR_ROOT/build/release/bench/outbox-producer-floor}

bench_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
bench_die() {
  bench_log "error: $*"
  exit 1
}

bench_cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$BENCH_CONTENDER" ]; then bench_contender_stop || true; fi
  if [ -n "$BENCH_STATE" ]; then bench_servers_down || true; fi
  exit "$status"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

bench_build() {
  "$OR_ROOT/scripts/setup" >/dev/null
  (cd "$OR_ROOT" && cmake --preset release >/dev/null &&
    cmake --build --preset release --target outbox-loadgen outbox-producer-floor >/dev/null)
  local name
  for name in "$@"; do "$OR_ROOT/bench/contenders/$name" setup >/dev/null; done
}

# The broker as Kafka's own start scripts run it (kafka-run-class.sh's KAFKA_HEAP_OPTS and
# KAFKA_JVM_PERFORMANCE_OPTS), not the tests' quick-starting JVM without its optimizing compiler.
BENCH_KAFKA_JVM_OPTS="-Xms1g -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
-XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15"

bench_servers_up() {
  BENCH_STATE=$1
  export OR_KAFKA_JVM_OPTS=$BENCH_KAFKA_JVM_OPTS
  "$OR_ROOT/scripts/local-env" --state "$BENCH_STATE" destroy
  bench_log "starting PostgreSQL and Kafka in $BENCH_STATE"
  eval "$("$OR_ROOT/scripts/local-env" --state "$BENCH_STATE" up)"
  # Each row's commit time, for commit-to-Kafka latency: the server records it only with this on.
  if [ "$(psql -X -tAc 'SHOW track_commit_timestamp')" != on ]; then
    psql -X -qc "ALTER SYSTEM SET track_commit_timestamp = on" >/dev/null
    "$OR_ROOT/scripts/local-env" --state "$BENCH_STATE" pg-stop
    eval "$("$OR_ROOT/scripts/local-env" --state "$BENCH_STATE" up)"
  fi
  [ "$(psql -X -tAc 'SHOW track_commit_timestamp')" = on ] ||
    bench_die "track_commit_timestamp is still off"
  BENCH_BROKER_PID=$(cat "$BENCH_STATE/kafka/broker/pid" 2>/dev/null || true)
  export BENCH_BROKER_PID
}

bench_servers_down() {
  "$OR_ROOT/scripts/local-env" --state "$BENCH_STATE" destroy
  BENCH_STATE=""
}

# A run: its own table (the default outbox DDL, no publication), topic (6 partitions,
# LogAppendTime) and work directory.
bench_new_run() {
  # A contender's name may have a dash; SQL names and BENCH_RUN's contract do not.
  BENCH_RUN=${1//-/_}
  BENCH_TABLE=public.outbox_$BENCH_RUN
  BENCH_TOPIC=bench.$BENCH_RUN
  BENCH_WORK=$BENCH_STATE/runs/$BENCH_RUN
  export BENCH_RUN BENCH_TABLE BENCH_TOPIC BENCH_WORK
  rm -rf "$BENCH_WORK"
  mkdir -p "$BENCH_WORK"
  # migrations/001 up to its publication, for this run's table and index names.
  sed -n '/^DO \$migration\$/q;p' "$OR_ROOT/migrations/001_create_outbox_events.sql" |
    sed -e "s/{{table}}/$BENCH_TABLE/g" -e "s/idx_outbox_unpublished/idx_${BENCH_RUN}_unpublished/" |
    psql -X -q -v ON_ERROR_STOP=1 >/dev/null || bench_die "cannot create $BENCH_TABLE"
  "$BENCH_LOADGEN" create-topic --brokers "$KAFKA_BOOTSTRAP" --topic "$BENCH_TOPIC" ||
    bench_die "cannot create topic $BENCH_TOPIC"
}

bench_contender_start() {
  BENCH_CONTENDER=$1
  local script=$OR_ROOT/bench/contenders/$BENCH_CONTENDER
  [ -x "$script" ] || bench_die "no such contender: $BENCH_CONTENDER (see bench/contenders/)"
  bench_log "starting $BENCH_CONTENDER (run $BENCH_RUN)"
  "$script" start || bench_die "$BENCH_CONTENDER did not start (logs in $BENCH_WORK)"
  CONTENDER_PID=$(cat "$BENCH_WORK/pid" 2>/dev/null || true)
  [ -n "$CONTENDER_PID" ] && kill -0 "$CONTENDER_PID" 2>/dev/null ||
    bench_die "$BENCH_CONTENDER wrote no live PID to $BENCH_WORK/pid"
}

bench_contender_stop() {
  local contender=$BENCH_CONTENDER
  BENCH_CONTENDER=""
  bench_log "stopping $contender"
  # A drain pauses the contender; one interrupted then must be able to hear SIGTERM.
  [ -z "${CONTENDER_PID:-}" ] || kill -CONT "$CONTENDER_PID" 2>/dev/null || true
  "$OR_ROOT/bench/contenders/$contender" stop
}

BENCH_RUNS=0
bench_measure() {
  local contender=$1 rate=$2 seconds=$3
  shift 3
  BENCH_RUNS=$((BENCH_RUNS + 1))
  bench_new_run "${contender}_${BENCH_RUNS}_$(date +%s)"
  bench_contender_start "$contender"
  bench_log "$contender at $rate events/s for $seconds s"
  # One commit's round trip must not cap the rate.
  local connections=() status=0
  [[ " $* " == *" --connections "* ]] ||
    connections=(--connections $(((rate + 1999) / 2000 > 4 ? (rate + 1999) / 2000 : 4)))
  "$BENCH_LOADGEN" run --table "$BENCH_TABLE" --brokers "$KAFKA_BOOTSTRAP" \
    --topic "$BENCH_TOPIC" --rate "$rate" --seconds "$seconds" --contender "$contender" \
    --contender-pid "$CONTENDER_PID" --broker-pid "$BENCH_BROKER_PID" "${connections[@]}" "$@" |
    tee "$BENCH_WORK/result.txt" || status=$?
  bench_contender_stop
  # What the run no longer needs: its rows (its topic stays on the broker until the servers go).
  psql -X -qc "DROP TABLE IF EXISTS $BENCH_TABLE" >/dev/null || true
  return "$status"
}

bench_result_value() {
  local line=$1 key=$2 field
  for field in $line; do
    if [ "${field%%=*}" = "$key" ]; then
      echo "${field#*=}"
      return 0
    fi
  done
  return 1
}
