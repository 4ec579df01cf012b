# shellcheck shell=bash
# A throwaway PostgreSQL 15 cluster and a single-node KRaft Kafka broker on 127.0.0.1, kept under
# one state directory. Sourced by scripts/local-env, which both users and the test fixtures call,
# so the tests run against servers started exactly the way a developer starts them.
#
# The caller sets:
#   OR_ROOT   the project's root
#   OR_STATE  the state directory (.local for local-env, a folder under build/ for tests)

OR_PG_BIN=${OR_PG_BIN:-/usr/lib/postgresql/15/bin}
OR_KAFKA_LIBS=${OR_KAFKA_LIBS:-$OR_ROOT/.local/kafka/libs}
OR_PG_DATABASE=app
OR_PG_USER=postgres
# The one SCRAM-SHA-512 user of the broker's SASL_PLAINTEXT listener, created when its storage is
# formatted. Fixed test values: the broker listens on 127.0.0.1 only and holds throwaway data.
OR_KAFKA_SCRAM_USER=outbox-relay-test
OR_KAFKA_SCRAM_PASSWORD=scram-test-secret-7f3c9a

die() {
  echo "local-env: $*" >&2
  exit 1
}

# --- ports ---------------------------------------------------------------------------------

port_in_use() {
  [ -n "$(ss -Htln "( sport = :$1 )" 2>/dev/null)" ]
}

# A port nobody listens on now, from the range above the usual services and below the
# ephemeral range. Whoever binds it may still lose a race, so starters retry with another.
free_port() {
  local p tries=0
  while [ $tries -lt 200 ]; do
    p=$((20000 + RANDOM % 12000))
    if ! port_in_use "$p" && [[ " $* " != *" $p "* ]]; then
      echo "$p"
      return 0
    fi
    tries=$((tries + 1))
  done
  die "no free TCP port found on 127.0.0.1"
}

# --- PostgreSQL ----------------------------------------------------------------------------

# initdb and postgres refuse to run as root; as root we run them as the postgres user that
# Debian's postgresql-common creates.
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Where the cluster lives: $OR_STATE/pg, unless we run as root and the postgres user cannot reach
# that folder (a checkout in a 0700 directory); then a folder under /var/tmp named after it.
pg_home() {
  local home="$OR_STATE/pg"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$OR_STATE"; then
    home="/var/tmp/outbox-relay-pg-$(printf '%s' "$OR_STATE" | sha1sum | cut -c1-12)"
  fi
  echo "$home"
}

pg_port() {
  cat "$(pg_home)/port" 2>/dev/null || true
}

pg_running() {
  local home
  home=$(pg_home)
  [ -f "$home/data/postmaster.pid" ] &&
    pg_as_owner "$OR_PG_BIN/pg_ctl" status -D "$home/data" >/dev/null 2>&1
}

pg_ready() {
  local port
  port=$(pg_port)
  [ -n "$port" ] && "$OR_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2
}

pg_init() {
  local home=$1
  [ -x "$OR_PG_BIN/initdb" ] || die "PostgreSQL 15 is not installed ($OR_PG_BIN/initdb missing): run scripts/setup"
  mkdir -p "$home"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$home"
  pg_as_owner "$OR_PG_BIN/initdb" -D "$home/data" -U "$OR_PG_USER" --auth=trust \
    --encoding=UTF8 --locale=C >"$home/initdb.log" 2>&1 ||
    { cat "$home/initdb.log" >&2; die "initdb failed in $home/data"; }
  # Settings for a throwaway cluster: logical decoding on, room for many slots (every test has
  # its own), prepared transactions (two-phase decoding is tested), no fsync (nothing here must
  # survive a machine crash), no Unix socket (TCP only).
  pg_as_owner tee -a "$home/data/postgresql.conf" >/dev/null <<'CONF'

# --- outbox-relay local environment ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = logical
max_replication_slots = 100
max_wal_senders = 100
max_connections = 200
max_prepared_transactions = 20
fsync = off
full_page_writes = off
log_min_messages = warning
CONF
}

pg_start() {
  local home port attempt
  home=$(pg_home)
  [ -d "$home/data" ] || pg_init "$home"
  for attempt in 1 2 3 4 5; do
    # The port of the last start when it is still free, so a restarted server is where its
    # clients expect it; a fresh one otherwise.
    port=$(cat "$home/port" 2>/dev/null || true)
    if [ "$attempt" -gt 1 ] || [ -z "$port" ] || port_in_use "$port"; then port=$(free_port); fi
    if pg_as_owner "$OR_PG_BIN/pg_ctl" start -D "$home/data" -l "$home/server.log" -w -t 60 \
      -o "-p $port" >/dev/null 2>&1; then
      echo "$port" >"$home/port"
      break
    fi
    port=
    pg_running && break # started but slow to answer: do not start a second one
  done
  [ -n "$port" ] || { tail -n 20 "$home/server.log" >&2; die "PostgreSQL did not start (log: $home/server.log)"; }
  local deadline=$((SECONDS + 60))
  until pg_ready; do
    [ $SECONDS -lt $deadline ] || die "PostgreSQL on port $port did not answer within 60 s"
    sleep 0.2
  done
  psql_local -d postgres -tAc "select 1 from pg_database where datname = '$OR_PG_DATABASE'" | grep -q 1 ||
    psql_local -d postgres -qc "create database $OR_PG_DATABASE" >/dev/null
}

pg_stop() {
  local home
  home=$(pg_home)
  [ -d "$home/data" ] || return 0
  pg_running || return 0
  pg_as_owner "$OR_PG_BIN/pg_ctl" stop -D "$home/data" -m fast -w -t 60 >/dev/null 2>&1 ||
    pg_as_owner "$OR_PG_BIN/pg_ctl" stop -D "$home/data" -m immediate -w -t 30 >/dev/null 2>&1 ||
    die "PostgreSQL in $home/data did not stop"
}

psql_local() {
  PGHOST=127.0.0.1 PGPORT=$(pg_port) PGUSER=$OR_PG_USER psql -X -v ON_ERROR_STOP=1 "$@"
}

# --- Kafka ---------------------------------------------------------------------------------

# The broker's state; .local/kafka/libs beside it holds the jars and survives `destroy`.
kafka_home() {
  echo "$OR_STATE/kafka/broker"
}

kafka_port() {
  cat "$(kafka_home)/port" 2>/dev/null || true
}

# The SASL_PLAINTEXT (SCRAM-SHA-512) listener's port; empty for a state from before it existed.
kafka_sasl_port() {
  cat "$(kafka_home)/sasl.port" 2>/dev/null || true
}

kafka_pid() {
  cat "$(kafka_home)/pid" 2>/dev/null || true
}

kafka_running() {
  local pid
  pid=$(kafka_pid)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'
}

kafka_ready() {
  local port
  port=$(kafka_port)
  [ -n "$port" ] && timeout 10 kcat -L -b "127.0.0.1:$port" -m 5 2>/dev/null | grep -q 'broker 1 at'
}

# The JVM command line of a Kafka tool or the broker: a small heap and quick start-up suit a
# single test broker. OR_KAFKA_JVM_OPTS replaces these options (the benchmarks run the broker
# with the JIT and collector Kafka's own start scripts use). Sets the array kafka_java.
kafka_java_command() {
  local home jvm_options
  home=$(kafka_home)
  read -r -a jvm_options <<<"${OR_KAFKA_JVM_OPTS:--Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1}"
  kafka_java=(java "${jvm_options[@]}" -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$home/log4j2.properties" "-Dkafka.logs.dir=$home/logs" \
    -cp "$OR_KAFKA_LIBS/*")
}

kafka_write_config() {
  local home=$1 port=$2 controller_port=$3 sasl_port=$4
  cat >"$home/server.properties" <<CONF
# Single-node KRaft broker for local use and tests; rewritten on every start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sasl_port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL_PLAINTEXT://127.0.0.1:$sasl_port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
# Clients that log in: SCRAM-SHA-512 against the credentials in the cluster metadata (the user
# is added at format time). The server side needs a JAAS entry, without credentials of its own.
listener.name.sasl_plaintext.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=$home/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
log.segment.bytes=16777216
log.retention.check.interval.ms=60000
message.max.bytes=4194304
CONF
  cat >"$home/log4j2.properties" <<'CONF'
rootLogger.level = warn
rootLogger.appenderRef.file.ref = file
appender.file.type = File
appender.file.name = file
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
logger.broker.name = kafka.server.BrokerServer
logger.broker.level = info
CONF
}

kafka_start() {
  local home port controller_port sasl_port attempt pid
  home=$(kafka_home)
  command -v java >/dev/null || die "java is not installed: run scripts/setup"
  command -v kcat >/dev/null || die "kcat is not installed: run scripts/setup"
  compgen -G "$OR_KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null ||
    die "the Kafka broker jars are missing in $OR_KAFKA_LIBS: run scripts/setup"
  mkdir -p "$home/logs"
  for attempt in 1 2 3; do
    # Reuse the last ports when free: a restarted broker must be where its clients expect it.
    port=$(cat "$home/port" 2>/dev/null || true)
    controller_port=$(cat "$home/controller.port" 2>/dev/null || true)
    sasl_port=$(kafka_sasl_port)
    if [ "$attempt" -gt 1 ] || [ -z "$port" ] || [ -z "$controller_port" ] ||
      port_in_use "$port" || port_in_use "$controller_port"; then
      port=$(free_port)
      controller_port=$(free_port "$port")
      sasl_port=
    fi
    # A state from before the SASL listener keeps its other ports and gets one for it.
    if [ -z "$sasl_port" ] || port_in_use "$sasl_port"; then
      sasl_port=$(free_port "$port" "$controller_port")
    fi
    kafka_write_config "$home" "$port" "$controller_port" "$sasl_port"
    local kafka_java
    kafka_java_command
    if [ ! -f "$home/data/meta.properties" ]; then
      "${kafka_java[@]}" kafka.tools.StorageTool format --ignore-formatted \
        -t "$("${kafka_java[@]}" kafka.tools.StorageTool random-uuid)" \
        --add-scram "SCRAM-SHA-512=[name=$OR_KAFKA_SCRAM_USER,password=$OR_KAFKA_SCRAM_PASSWORD]" \
        -c "$home/server.properties" >"$home/logs/format.log" 2>&1 ||
        { cat "$home/logs/format.log" >&2; die "formatting Kafka storage in $home/data failed"; }
      touch "$home/scram-user"
    elif [ ! -f "$home/scram-user" ]; then
      echo "local-env: the Kafka data in $home/data was formatted before the SCRAM user" \
        "existed: its SASL listener refuses every login. To get the user, recreate the data" \
        "(scripts/local-env destroy, then up)." >&2
    fi
    echo "$port" >"$home/port"
    echo "$controller_port" >"$home/controller.port"
    echo "$sasl_port" >"$home/sasl.port"
    # setsid: the broker gets a process group of its own, so stopping it reaches every child and
    # a terminal's Ctrl-C in the caller does not. Its output goes to a file, never to our
    # stdout: `eval "$(local-env up)"` would otherwise wait for the broker to exit.
    (cd "$home" && exec setsid "${kafka_java[@]}" kafka.Kafka "$home/server.properties" \
      </dev/null >"$home/logs/stdout.log" 2>&1) &
    pid=$!
    echo "$pid" >"$home/pid"
    local deadline=$((SECONDS + 90))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
      kafka_ready && return 0
      sleep 0.5
    done
    kafka_stop
    # A lost port race shows as an exit with "Address already in use": try other ports.
    grep -q 'Address already in use' "$home/logs/stdout.log" "$home/logs/server.log" 2>/dev/null ||
      break
  done
  tail -n 30 "$home/logs/stdout.log" "$home/logs/server.log" >&2 2>/dev/null
  die "the Kafka broker did not start (logs in $home/logs)"
}

kafka_stop() {
  local pid home
  home=$(kafka_home)
  pid=$(kafka_pid)
  [ -n "$pid" ] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  rm -f "$home/pid"
}

# --- together ------------------------------------------------------------------------------

env_lines() {
  cat <<ENV
export PGHOST=127.0.0.1
export PGPORT=$(pg_port)
export PGUSER=$OR_PG_USER
export PGDATABASE=$OR_PG_DATABASE
export KAFKA_BOOTSTRAP=127.0.0.1:$(kafka_port)
ENV
  # A broker started before the SASL listener existed has none until it restarts.
  if [ -n "$(kafka_sasl_port)" ]; then
    cat <<ENV
export KAFKA_SASL_BOOTSTRAP=127.0.0.1:$(kafka_sasl_port)
export KAFKA_SCRAM_USER=$OR_KAFKA_SCRAM_USER
export KAFKA_SCRAM_PASSWORD=$OR_KAFKA_SCRAM_PASSWORD
ENV
  fi
}
