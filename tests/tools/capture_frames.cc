// capture_frames: records, byte for byte, the replication stream a real PostgreSQL sends for a
// scripted workload, so decoder tests replay frames the server produced rather than frames an
// encoder of ours produced (which would share our misreadings of the protocol).
//
//   capture_frames [--conninfo CONNINFO] SCENARIO OUTPUT    capture SCENARIO into OUTPUT
//   capture_frames --print-sql SCENARIO                     show what SCENARIO runs
//   capture_frames --list                                   the scenario names
//
// CONNINFO (default "dbname=postgres") names the server; libpq takes what it leaves out from
// PGHOST, PGPORT and PGUSER. A run creates a scratch database, runs the scenario's setup and
// workload on an ordinary connection, then streams the slot over a replication connection and
// writes every CopyData payload it receives (XLogData 'w' and primary keepalive 'k') to OUTPUT as
// records of a 4-byte big-endian length followed by the payload, in received order. The scratch
// database, its slot and the scenario's replication origin are dropped before exiting, also when
// the capture fails. Exit status: 0 captured, 1 failed (the message says what), 2 usage.
#include <libpq-fe.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outbox::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Every wait on the replication connection ends by then; a healthy capture takes seconds.
constexpr auto kStreamTimeout = 60s;
// How long after the end marker we wait for the keepalive that proves the walsender has nothing
// more to send (it pings when it catches up and we have not confirmed what it sent).
constexpr auto kKeepaliveTimeout = 30s;
// Ordinary statements (setup, workload, cleanup) are cancelled by the server after this.
constexpr const char* kStatementTimeout = "60s";

constexpr std::string_view kEndPrefix = "fixture-end";
constexpr const char* kPublication = "fixture_pub";
// The origin's name is part of the Origin message, so it is fixed rather than unique per run.
constexpr const char* kOrigin = "fixture_origin";
// Small enough that a few thousand rows overflow it and the walsender streams the transaction.
constexpr const char* kStreamingOptions = "-c logical_decoding_work_mem=64kB";

// XLogData: 'w', start LSN, end LSN, send time (3 x int64), then the pgoutput message.
constexpr std::size_t kXLogDataHeader = 1 + 8 + 8 + 8;

class CaptureError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Scenario {
  std::string name;
  int proto_version = 1;
  bool streaming = false;
  bool two_phase = false;
  bool uses_origin = false;
  std::vector<std::string> setup;     // run before the slot exists
  std::vector<std::string> workload;  // one statement per entry, in order, after the slot exists
};

// --- scenarios -----------------------------------------------------------------------------

const char* const kOutboxDdl =
    "CREATE TABLE outbox_events (id UUID PRIMARY KEY, aggregate_type VARCHAR(255) NOT NULL, "
    "aggregate_id VARCHAR(255) NOT NULL, event_type VARCHAR(255) NOT NULL, payload JSONB NOT "
    "NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, published BOOLEAN DEFAULT "
    "FALSE, published_at TIMESTAMP)";

const char* const kOtherTableDdl =
    "CREATE TABLE other_table (id int primary key, note text, big text)";

std::string outbox_insert(const std::string& id, const std::string& aggregate_type,
                          const std::string& aggregate_id, const std::string& event_type,
                          const std::string& payload, const std::string& created_at) {
  return "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload, "
         "created_at, published_at) VALUES ('" +
         id + "', '" + aggregate_type + "', '" + aggregate_id + "', '" + event_type + "', '" +
         payload + "', '" + created_at + "', NULL)";
}

// `count` outbox rows whose values follow from `label` and the row number n alone (id =
// md5('<label>-' || n)::uuid, aggregate_id '<label>-' || n), so a recapture inserts the same rows.
std::string bulk_outbox_insert(const std::string& label, int count) {
  return "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload, "
         "created_at) SELECT md5('" +
         label + "-' || n)::uuid, 'Bulk', '" + label +
         "-' || n, 'BulkEvent', jsonb_build_object('n', n), TIMESTAMP '2026-01-02 03:04:05' "
         "FROM generate_series(1, " +
         std::to_string(count) + ") AS n";
}

Scenario basic_v1() {
  Scenario s;
  s.name = "basic_v1";
  s.proto_version = 1;
  s.uses_origin = true;
  s.setup = {
      kOutboxDdl,
      kOtherTableDdl,
      "CREATE TABLE full_table (id int primary key, v text)",
      "ALTER TABLE full_table REPLICA IDENTITY FULL",
      "CREATE TYPE mood AS ENUM ('happy', 'sad')",
      "CREATE TABLE typed_table (id int primary key, m mood)",
      // FOR ALL TABLES publishes inserts, updates, deletes and truncates.
      std::string("CREATE PUBLICATION ") + kPublication + " FOR ALL TABLES",
      std::string("SELECT pg_replication_origin_create('") + kOrigin + "')",
  };
  s.workload = {
      // One outbox row.
      outbox_insert("11111111-1111-1111-1111-111111111111", "Order", "order-1", "OrderCreated",
                    R"({"orderId": 1, "amount": 100})", "2026-01-02 03:04:05.123456"),
      // Three outbox rows in one transaction.
      "BEGIN",
      outbox_insert("22222222-2222-2222-2222-222222222222", "Order", "order-2", "OrderCreated",
                    R"({"orderId": 2, "amount": 250})", "2026-01-02 03:04:06"),
      outbox_insert("33333333-3333-3333-3333-333333333333", "Payment", "payment-1",
                    "PaymentApproved", R"({"paymentId": 1, "orderId": 2, "amount": 250})",
                    "2026-01-02 03:04:07"),
      outbox_insert("44444444-4444-4444-4444-444444444444", "Order", "order-2", "OrderCancelled",
                    R"({"orderId": 2, "reason": "customer request"})", "2026-01-02 03:04:08"),
      "COMMIT",
      // Rolled back: nothing of it may reach the stream.
      "BEGIN",
      outbox_insert("55555555-5555-5555-5555-555555555555", "Order", "rolled-back", "OrderCreated",
                    R"({"orderId": 5})", "2026-01-02 03:04:09"),
      "ROLLBACK",
      // Inserted and deleted in one transaction.
      "BEGIN",
      outbox_insert("66666666-6666-6666-6666-666666666666", "Order", "order-6", "OrderCreated",
                    R"({"orderId": 6})", "2026-01-02 03:04:10"),
      "DELETE FROM outbox_events WHERE id = '66666666-6666-6666-6666-666666666666'",
      "COMMIT",
      // 22,400 bytes of md5 hex: too random for pglz, so stored out of line uncompressed; the
      // next update leaves it alone and the server sends it as unchanged-toast 'u'.
      "INSERT INTO other_table VALUES (1, 'toasted', (SELECT string_agg(md5(i::text), '') FROM "
      "generate_series(1, 700) i))",
      "UPDATE other_table SET note = 'note changed' WHERE id = 1",
      // A new primary key: the update carries the old key ('K').
      "UPDATE other_table SET id = 2 WHERE id = 1",
      // REPLICA IDENTITY FULL: the update and the delete carry the whole old row ('O').
      "INSERT INTO full_table VALUES (1, 'full before')",
      "UPDATE full_table SET v = 'full after' WHERE id = 1",
      "DELETE FROM full_table WHERE id = 1",
      // A column of a user-defined type: a Type message ('Y') precedes the relation.
      "INSERT INTO typed_table VALUES (1, 'happy')",
      // A transactional logical message next to an outbox row.
      "BEGIN",
      outbox_insert("77777777-7777-7777-7777-777777777777", "Order", "order-7", "OrderCreated",
                    R"({"orderId": 7})", "2026-01-02 03:04:11"),
      "SELECT pg_logical_emit_message(true, 'fixture-tx', 'transactional content')",
      "COMMIT",
      "SELECT pg_logical_emit_message(false, 'fixture-nontx', 'non-transactional content')",
      "TRUNCATE other_table, full_table RESTART IDENTITY CASCADE",
      // A transaction replayed from elsewhere: the server sends an Origin message after Begin.
      std::string("SELECT pg_replication_origin_session_setup('") + kOrigin + "')",
      "BEGIN",
      "SELECT pg_replication_origin_xact_setup('0/AABBCCDD', now())",
      "INSERT INTO other_table VALUES (100, 'from origin', NULL)",
      "COMMIT",
      "SELECT pg_replication_origin_session_reset()",
      // A NULL column.
      "INSERT INTO other_table VALUES (200, NULL, 'note is null')",
  };
  return s;
}

Scenario streaming_v2() {
  Scenario s;
  s.name = "streaming_v2";
  s.proto_version = 2;
  s.streaming = true;
  s.setup = {
      kOutboxDdl,
      kOtherTableDdl,
      std::string("CREATE PUBLICATION ") + kPublication + " FOR ALL TABLES",
  };
  s.workload = {
      // Small: sent whole at commit (Begin ... Commit), not streamed.
      outbox_insert("11111111-1111-1111-1111-111111111111", "Order", "order-1", "OrderCreated",
                    R"({"orderId": 1, "amount": 100})", "2026-01-02 03:04:05.123456"),
      // Large: streamed in chunks, then Stream Commit.
      "BEGIN",
      bulk_outbox_insert("stream", 2000),
      "INSERT INTO other_table VALUES (1, 'inside the streamed transaction', NULL)",
      "COMMIT",
      // The subtransaction's rows are streamed before it is rolled back: Stream Abort of the
      // subtransaction, then the rest and Stream Commit of the top-level transaction.
      "BEGIN",
      bulk_outbox_insert("savepoint-kept", 10),
      "SAVEPOINT sp",
      bulk_outbox_insert("savepoint-discarded", 1000),
      "ROLLBACK TO SAVEPOINT sp",
      bulk_outbox_insert("savepoint-after", 10),
      "COMMIT",
      // Streamed, then rolled back entirely: Stream Abort of the top-level transaction.
      "BEGIN",
      bulk_outbox_insert("aborted", 1000),
      "ROLLBACK",
  };
  return s;
}

Scenario two_phase_v3() {
  Scenario s;
  s.name = "two_phase_v3";
  s.proto_version = 3;
  s.streaming = true;
  s.two_phase = true;
  s.setup = {
      kOutboxDdl,
      std::string("CREATE PUBLICATION ") + kPublication + " FOR ALL TABLES",
  };
  s.workload = {
      // Prepared, then committed: Begin Prepare, Prepare, later Commit Prepared.
      "BEGIN",
      outbox_insert("11111111-1111-1111-1111-111111111111", "Order", "order-1", "OrderCreated",
                    R"({"orderId": 1, "amount": 100})", "2026-01-02 03:04:05.123456"),
      "PREPARE TRANSACTION 'fixture-gid-1'",
      "COMMIT PREPARED 'fixture-gid-1'",
      // Prepared, then rolled back: Rollback Prepared.
      "BEGIN",
      outbox_insert("22222222-2222-2222-2222-222222222222", "Order", "order-2", "OrderCreated",
                    R"({"orderId": 2, "amount": 250})", "2026-01-02 03:04:06"),
      "PREPARE TRANSACTION 'fixture-gid-2'",
      "ROLLBACK PREPARED 'fixture-gid-2'",
      // Large and prepared: streamed, then Stream Prepare, later Commit Prepared.
      "BEGIN",
      bulk_outbox_insert("prepared", 2000),
      "PREPARE TRANSACTION 'fixture-gid-3'",
      "COMMIT PREPARED 'fixture-gid-3'",
  };
  return s;
}

std::vector<Scenario> all_scenarios() { return {basic_v1(), streaming_v2(), two_phase_v3()}; }

const Scenario* find_scenario(const std::vector<Scenario>& scenarios, std::string_view name) {
  for (const auto& scenario : scenarios) {
    if (scenario.name == name) return &scenario;
  }
  return nullptr;
}

// --- libpq ---------------------------------------------------------------------------------

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

std::string pg_error(PGconn* conn) {
  std::string message = PQerrorMessage(conn);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  return message;
}

// Connects to `database` (the conninfo's own when empty). Later keywords override earlier ones and
// the expanded conninfo, so the scratch database and replication mode win over what the caller
// wrote, while the caller's connect_timeout wins over our default.
PgConnPtr connect(const std::string& conninfo, const std::string& database, bool replication,
                  const std::string& options) {
  std::vector<const char*> keywords{"connect_timeout", "application_name", "dbname"};
  std::vector<const char*> values{"10", "capture_frames", conninfo.c_str()};
  if (!database.empty()) {
    keywords.push_back("dbname");
    values.push_back(database.c_str());
  }
  if (replication) {
    keywords.push_back("replication");
    values.push_back("database");
  }
  if (!options.empty()) {
    keywords.push_back("options");
    values.push_back(options.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PgConnPtr conn(PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/1));
  const std::string what = std::string(replication ? "replication connection" : "connection") +
                           " to database " + (database.empty() ? "of " + conninfo : database);
  if (conn == nullptr) throw CaptureError(what + ": out of memory");
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw CaptureError(what + " failed: " + pg_error(conn.get()));
  }
  return conn;
}

PgResultPtr exec(PGconn* conn, const std::string& sql) {
  PgResultPtr result(PQexec(conn, sql.c_str()));
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw CaptureError("SQL failed: " + sql + "\n" + pg_error(conn));
  }
  return result;
}

std::string literal(PGconn* conn, const std::string& text) {
  char* quoted = PQescapeLiteral(conn, text.data(), text.size());
  if (quoted == nullptr) throw CaptureError("cannot quote a literal: " + pg_error(conn));
  std::string result(quoted);
  PQfreemem(quoted);
  return result;
}

// Waits until the connection's socket is ready for `events`, or throws once `deadline` has passed.
void wait_socket(PGconn* conn, short events, Clock::time_point deadline, const std::string& what) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) throw CaptureError("timed out waiting for " + what);
    pollfd fd{PQsocket(conn), events, 0};
    if (fd.fd < 0) throw CaptureError("replication connection has no socket: " + pg_error(conn));
    const int ready = ::poll(&fd, 1, static_cast<int>(left));
    if (ready > 0) return;
    if (ready < 0 && errno != EINTR) {
      throw CaptureError(std::string("poll on the replication connection: ") +
                         std::strerror(errno));
    }
  }
}

// --- the stream ----------------------------------------------------------------------------

std::string create_slot_sql(const Scenario& scenario, const std::string& slot) {
  return "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput', false, " +
         (scenario.two_phase ? "true" : "false") + ")";
}

// Non-transactional, so the server sends it as soon as it decodes it: the stream's last message.
std::string end_marker_sql() {
  return "SELECT pg_logical_emit_message(false, '" + std::string(kEndPrefix) + "', 'end')";
}

std::string start_replication_command(const Scenario& scenario, const std::string& slot) {
  std::string command = "START_REPLICATION SLOT " + slot + " LOGICAL 0/0 (proto_version '" +
                        std::to_string(scenario.proto_version) + "', publication_names '" +
                        kPublication + "', messages 'true'";
  if (scenario.streaming) command += ", streaming 'on'";
  if (scenario.two_phase) command += ", two_phase 'on'";
  return command + ")";
}

// Whether an XLogData frame carries the non-transactional end marker: a Message 'M' of flags
// (int8), LSN (int64), then the prefix as a C string. Non-transactional messages are never inside
// a streamed block, so no xid precedes the flags.
bool is_end_marker(const std::string& frame) {
  constexpr std::size_t kPrefixAt = kXLogDataHeader + 1 + 1 + 8;
  if (frame.size() <= kPrefixAt + kEndPrefix.size() || frame[0] != 'w' ||
      frame[kXLogDataHeader] != 'M') {
    return false;
  }
  return std::string_view(frame).substr(kPrefixAt, kEndPrefix.size()) == kEndPrefix &&
         frame[kPrefixAt + kEndPrefix.size()] == '\0';
}

// Streams the slot and returns every CopyData payload until the end marker and a keepalive after
// it have arrived. Sends nothing after the command, no standby status update in particular: the
// frames are what the server sends a client that has confirmed nothing, and the slot stays put.
std::vector<std::string> read_stream(PGconn* conn, const std::string& command) {
  const auto deadline = Clock::now() + kStreamTimeout;
  if (PQsetnonblocking(conn, 1) != 0 || PQsendQuery(conn, command.c_str()) == 0) {
    throw CaptureError("cannot send " + command + ": " + pg_error(conn));
  }
  for (int pending = PQflush(conn); pending != 0; pending = PQflush(conn)) {
    if (pending < 0) throw CaptureError("cannot send " + command + ": " + pg_error(conn));
    wait_socket(conn, POLLIN | POLLOUT, deadline, "the server to take " + command);
  }
  for (;;) {
    if (PQconsumeInput(conn) == 0) {
      throw CaptureError("replication connection lost: " + pg_error(conn));
    }
    if (PQisBusy(conn) == 0) break;
    wait_socket(conn, POLLIN, deadline, "the server to answer " + command);
  }
  {
    PgResultPtr result(PQgetResult(conn));
    if (PQresultStatus(result.get()) != PGRES_COPY_BOTH) {
      throw CaptureError(command + " failed: " + pg_error(conn));
    }
  }

  std::vector<std::string> frames;
  bool end_seen = false;
  auto keepalive_deadline = deadline;
  // What we are waiting for, for error messages.
  auto awaiting = [&] {
    return std::string(end_seen ? "a keepalive after the fixture-end message"
                                : "the fixture-end message") +
           " (" + std::to_string(frames.size()) + " frames received)";
  };
  for (;;) {
    char* buffer = nullptr;
    const int length = PQgetCopyData(conn, &buffer, /*async=*/1);
    if (length > 0) {
      frames.emplace_back(buffer, static_cast<std::size_t>(length));
      PQfreemem(buffer);
      const std::string& frame = frames.back();
      if (end_seen && frame[0] == 'k') return frames;
      if (!end_seen && is_end_marker(frame)) {
        end_seen = true;
        keepalive_deadline = std::min(deadline, Clock::now() + kKeepaliveTimeout);
      }
      continue;
    }
    if (length == -1) {
      PgResultPtr result(PQgetResult(conn));
      throw CaptureError("the server ended the replication stream while we waited for " +
                         awaiting() + ": " + PQresultErrorMessage(result.get()));
    }
    if (length == -2) {
      throw CaptureError("reading the replication stream while we waited for " + awaiting() + ": " +
                         pg_error(conn));
    }
    wait_socket(conn, POLLIN, end_seen ? keepalive_deadline : deadline, awaiting());
    if (PQconsumeInput(conn) == 0) {
      // The walsender ends the connection itself after wal_sender_timeout without a reply.
      throw CaptureError("the replication connection broke while we waited for " + awaiting() +
                         ": " + pg_error(conn));
    }
  }
}

// Writes next to `path` and renames, so a failed capture never leaves a truncated fixture.
void write_frames(const std::string& path, const std::vector<std::string>& frames) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw CaptureError("cannot create " + temporary);
    for (const auto& frame : frames) {
      const auto size = static_cast<std::uint32_t>(frame.size());
      const char length[4] = {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                              static_cast<char>(size >> 8), static_cast<char>(size)};
      out.write(length, sizeof length);
      out.write(frame.data(), static_cast<std::streamsize>(frame.size()));
    }
    out.close();
    if (!out) throw CaptureError("cannot write " + temporary);
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error)
    throw CaptureError("cannot rename " + temporary + " to " + path + ": " + error.message());
}

// --- one capture ---------------------------------------------------------------------------

class Capture {
 public:
  Capture(std::string conninfo, const Scenario& scenario)
      : conninfo_(std::move(conninfo)),
        scenario_(scenario),
        // Slots are per cluster: the pid keeps concurrent captures apart.
        name_("capture_frames_" + std::to_string(::getpid()) + "_" + scenario.name) {}
  ~Capture() { cleanup(); }
  Capture(const Capture&) = delete;
  Capture& operator=(const Capture&) = delete;

  std::vector<std::string> run() {
    admin_ = connect(conninfo_, {}, false, {});
    exec(admin_.get(), std::string("SET statement_timeout = '") + kStatementTimeout + "'");
    exec(admin_.get(), "CREATE DATABASE " + name_);
    database_created_ = true;

    session_ = connect(conninfo_, name_, false, {});
    exec(session_.get(), std::string("SET statement_timeout = '") + kStatementTimeout + "'");
    if (scenario_.uses_origin) {
      // Origins are per cluster and the name is fixed: drop what an interrupted run left.
      drop_origin(admin_.get());
      origin_used_ = true;
    }
    for (const auto& sql : scenario_.setup) exec(session_.get(), sql);
    try {
      exec(session_.get(), create_slot_sql(scenario_, name_));
    } catch (const CaptureError& error) {
      throw CaptureError(std::string(error.what()) +
                         "\n(creating a slot waits for every transaction running in the cluster, "
                         "prepared ones included, to end)");
    }
    slot_created_ = true;
    for (const auto& sql : scenario_.workload) exec(session_.get(), sql);
    exec(session_.get(), end_marker_sql());

    replication_ = connect(conninfo_, name_, true, scenario_.streaming ? kStreamingOptions : "");
    auto frames = read_stream(replication_.get(), start_replication_command(scenario_, name_));
    replication_.reset();
    return frames;
  }

  // Drops what run() created; never throws. False when something could not be dropped.
  bool cleanup() noexcept {
    bool ok = true;
    auto attempt = [&](const char* what, auto&& step) {
      try {
        step();
      } catch (const std::exception& error) {
        std::fprintf(stderr, "capture_frames: cleanup: %s: %s\n", what, error.what());
        ok = false;
      }
    };
    // Closing the replication connection ends its walsender and so releases the slot.
    replication_.reset();
    if (session_ != nullptr) {
      attempt("rolling back prepared transactions", [&] { rollback_prepared(); });
      session_.reset();
    }
    if (admin_ != nullptr) {
      PGconn* admin = admin_.get();
      if (slot_created_) {
        attempt("dropping the replication slot", [&] {
          // The walsender may still be exiting: wait for it (up to 10 s) before dropping.
          exec(admin,
               "SELECT pg_terminate_backend(active_pid, 10000) FROM pg_replication_slots "
               "WHERE slot_name = " +
                   literal(admin, name_) + " AND active_pid IS NOT NULL");
          exec(admin,
               "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE "
               "slot_name = " +
                   literal(admin, name_));
        });
        slot_created_ = false;
      }
      if (origin_used_) {
        attempt("dropping the replication origin", [&] { drop_origin(admin); });
        origin_used_ = false;
      }
      if (database_created_) {
        attempt("dropping the scratch database",
                [&] { exec(admin, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"); });
        database_created_ = false;
      }
      admin_.reset();
    }
    return ok;
  }

 private:
  // A failed PREPARE-scenario leaves prepared transactions that would block DROP DATABASE.
  void rollback_prepared() {
    PGconn* session = session_.get();
    if (PQtransactionStatus(session) != PQTRANS_IDLE) exec(session, "ROLLBACK");
    auto gids =
        exec(session, "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()");
    for (int row = 0; row < PQntuples(gids.get()); ++row) {
      exec(session, "ROLLBACK PREPARED " + literal(session, PQgetvalue(gids.get(), row, 0)));
    }
  }

  static void drop_origin(PGconn* conn) {
    exec(conn, std::string("SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin "
                           "WHERE roname = '") +
                   kOrigin + "'");
  }

  std::string conninfo_;
  const Scenario& scenario_;
  std::string name_;
  PgConnPtr admin_;
  PgConnPtr session_;
  PgConnPtr replication_;
  bool database_created_ = false;
  bool slot_created_ = false;
  bool origin_used_ = false;
};

void print_sql(const Scenario& scenario) {
  const std::string slot = "capture_frames_<pid>_" + scenario.name;
  std::printf("-- setup, in a scratch database capture_frames_<pid>_%s\n", scenario.name.c_str());
  for (const auto& sql : scenario.setup) std::printf("%s;\n", sql.c_str());
  std::printf("%s;\n\n-- workload, one statement at a time on the same connection\n",
              create_slot_sql(scenario, slot).c_str());
  for (const auto& sql : scenario.workload) std::printf("%s;\n", sql.c_str());
  std::printf("%s;\n\n-- replication connection (replication=database%s%s%s)\n%s\n",
              end_marker_sql().c_str(), scenario.streaming ? ", options='" : "",
              scenario.streaming ? kStreamingOptions : "", scenario.streaming ? "'" : "",
              start_replication_command(scenario, slot).c_str());
}

int usage() {
  std::fprintf(stderr,
               "usage: capture_frames [--conninfo CONNINFO] SCENARIO OUTPUT\n"
               "       capture_frames --print-sql SCENARIO\n"
               "       capture_frames --list\n");
  return 2;
}

int main_impl(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const auto scenarios = all_scenarios();
  if (args.size() == 1 && args[0] == "--list") {
    for (const auto& scenario : scenarios) std::printf("%s\n", scenario.name.c_str());
    return 0;
  }
  if (args.size() == 2 && args[0] == "--print-sql") {
    const Scenario* scenario = find_scenario(scenarios, args[1]);
    if (scenario == nullptr) {
      std::fprintf(stderr, "capture_frames: unknown scenario %s\n", args[1].c_str());
      return 2;
    }
    print_sql(*scenario);
    return 0;
  }

  std::string conninfo = "dbname=postgres";
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--conninfo" && i + 1 < args.size()) {
      conninfo = args[++i];
    } else if (args[i].rfind("--conninfo=", 0) == 0) {
      conninfo = args[i].substr(std::strlen("--conninfo="));
    } else if (args[i].rfind("--", 0) == 0) {
      return usage();
    } else {
      positional.push_back(args[i]);
    }
  }
  if (positional.size() != 2) return usage();
  const Scenario* scenario = find_scenario(scenarios, positional[0]);
  if (scenario == nullptr) {
    std::fprintf(stderr, "capture_frames: unknown scenario %s\n", positional[0].c_str());
    return 2;
  }
  const std::string& output = positional[1];

  Capture capture(conninfo, *scenario);
  try {
    const auto frames = capture.run();
    const bool cleaned = capture.cleanup();
    write_frames(output, frames);
    std::printf("capture_frames: %s: %zu frames written to %s\n", scenario->name.c_str(),
                frames.size(), output.c_str());
    if (!cleaned) {
      std::fprintf(stderr, "capture_frames: %s: captured, but the cleanup failed (see above)\n",
                   scenario->name.c_str());
      return 1;
    }
    return 0;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "capture_frames: %s: %s\n", scenario->name.c_str(), error.what());
    capture.cleanup();
    return 1;
  }
}

}  // namespace
}  // namespace outbox::testing

int main(int argc, char** argv) { return outbox::testing::main_impl(argc, argv); }
