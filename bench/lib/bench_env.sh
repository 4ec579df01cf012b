# Shared by the load harness (bench/load, bench/search, bench/compare): private servers for a
# benchmark, a run's table, topic and contender, and cleaning up on every way out (also on a
# failure or Ctrl-C). Source it from a bench script after setting OR_ROOT.
#
#   bench_servers_up STATE_DIR        PostgreSQL with track_commit_timestamp and a Kafka broker
#   bench_new_run NAME                BENCH_RUN, BENCH_TABLE, BENCH_TOPIC, BENCH_WORK: made
#   bench_contender_start CONTENDER   bench/contenders/CONTENDER start, then CONTENDER_PID
#   bench_contender_stop              the running contender's stop
#   bench_servers_down                destroys the servers (the EXIT trap does it too)

BENCH_STATE=""
BENCH_CONTENDER=""
BENCH_LOADGEN=${BENCH_LOADGEN:-$OR_ROOT/build/release/bench/outbox-loadgen}

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

bench_servers_up() {
  BENCH_STATE=$1
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
  BENCH_RUN=$1
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
  "$OR_ROOT/bench/contenders/$contender" stop
}
