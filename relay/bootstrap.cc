// Longer than the other files in relay/ on purpose: the checks are one ordered sequence that
// shares the report and the rule that nothing is created after a failed check (see may_create),
// and each check is one method of the Checker below, read top to bottom in the order it runs.
#include "relay/bootstrap.h"

#include <algorithm>

namespace outbox {

bool BootstrapReport::ok() const {
  return std::all_of(lines.begin(), lines.end(), [](const CheckLine& line) { return line.ok; });
}

QualifiedName split_table_name(const std::string& table) {
  const auto dot = table.find('.');
  if (dot == std::string::npos) return {"public", table};
  return {table.substr(0, dot), table.substr(dot + 1)};
}

namespace {

class Checker {
 public:
  Checker(PgConnection& connection, const Config& config, BootstrapMode mode,
          BootstrapReport& report)
      : pg_(connection), config_(config), mode_(mode), report_(report) {}

  void run() {
    if (!check_wal_level()) return;
    check_role();
    const bool table_ok = check_table();
    if (table_ok) check_publication();
    check_slot();
  }

 private:
  void pass(std::string what, std::string detail) {
    report_.lines.push_back({true, std::move(what), std::move(detail)});
  }
  void fail(std::string what, std::string detail, ErrorCode code = ErrorCode::kServerRefused) {
    if (report_.ok()) report_.failure_code = code;
    report_.lines.push_back({false, std::move(what), std::move(detail)});
  }
  // A query that should not fail; a failure becomes a check line (and nullopt). No row or a
  // NULL is the empty string, which callers test for ("no such table", "no such publication").
  std::optional<std::string> value(const char* what, const std::string& sql,
                                   const std::vector<std::string>& params = {}) {
    auto result = pg_.query_value(sql, params);
    if (!result.ok()) {
      fail(what, result.error().message(), result.error().code());
      return std::nullopt;
    }
    return result->value_or(std::string());
  }

  bool check_wal_level() {
    auto level = pg_.query_value("SHOW wal_level");
    if (!level.ok()) {
      fail("wal_level", level.error().message(), level.error().code());
      return false;
    }
    const std::string found = level->value_or("?");
    if (found != "logical") {
      fail("wal_level", "is '" + found +
                            "'; logical decoding needs 'logical': set wal_level = logical in "
                            "postgresql.conf (or ALTER SYSTEM SET wal_level = logical) and "
                            "restart PostgreSQL");
      return false;
    }
    pass("wal_level", "logical");
    return true;
  }

  void check_role() {
    auto privileged = value("role privileges",
                            "SELECT rolname || ':' || (rolreplication OR rolsuper)::text FROM "
                            "pg_roles WHERE rolname = current_user");
    if (!privileged) return;
    const auto colon = privileged->rfind(':');
    const std::string role = privileged->substr(0, colon);
    if (privileged->substr(colon + 1) != "true") {
      fail("role privileges", "role " + role +
                                  " lacks the REPLICATION attribute needed for logical "
                                  "replication: run ALTER ROLE " +
                                  quote_identifier(role) + " REPLICATION; as a superuser");
      return;
    }
    pass("role privileges", "role " + role + " may replicate");
  }

  bool check_table() {
    const auto table = split_table_name(config_.source.table);
    auto oid = value("outbox table", "SELECT to_regclass($1)::oid::text",
                     {quote_identifier(table.schema) + "." + quote_identifier(table.name)});
    if (!oid) return false;
    if (oid->empty()) {
      fail("outbox table", config_.source.table +
                               " does not exist: create it (outbox-relay migrate creates the "
                               "default table) or set source.table");
      return false;
    }
    auto columns = pg_.exec(
        "SELECT attname FROM pg_attribute WHERE attrelid = $1::oid AND attnum > 0 AND NOT "
        "attisdropped ORDER BY attnum",
        {*oid});
    if (!columns.ok()) {
      fail("outbox table", columns.error().message(), columns.error().code());
      return false;
    }
    std::vector<std::string> present;
    for (int row = 0; row < PQntuples(columns->get()); ++row) {
      present.emplace_back(PQgetvalue(columns->get(), row, 0));
    }
    const auto& c = config_.source.columns;
    std::vector<std::pair<std::string, std::string>> needed = {
        {"source.columns.id", c.id},
        {"source.columns.aggregate_type", c.aggregate_type},
        {"source.columns.aggregate_id", c.aggregate_id},
        {"source.columns.event_type", c.event_type},
        {"source.columns.payload", c.payload},
        {"routing.key", config_.routing.key}};
    for (const auto& header : config_.routing.headers) {
      // created_at is optional: a table without it simply has no such header.
      if (header != c.created_at) needed.emplace_back("routing.headers", header);
    }
    std::string missing;
    for (const auto& [key, column] : needed) {
      if (std::find(present.begin(), present.end(), column) == present.end()) {
        missing += (missing.empty() ? "" : ", ") + column + " (" + key + ")";
      }
    }
    if (!missing.empty()) {
      std::string columns_text;
      for (const auto& name : present) columns_text += (columns_text.empty() ? "" : ", ") + name;
      fail("outbox table", config_.source.table + " lacks column " + missing +
                               "; its columns are: " + columns_text +
                               ". Fix the table or source.columns / routing in the configuration");
      return false;
    }
    auto kind = value("outbox table",
                      "SELECT relkind::text || ':' || relispartition::text FROM pg_class WHERE "
                      "oid = $1::oid",
                      {*oid});
    if (!kind) return false;
    table_oid_ = *oid;
    table_partitioned_ = kind->rfind("p:", 0) == 0;
    pass("outbox table", config_.source.table + " has every column the relay reads" +
                             (table_partitioned_ ? " (partitioned)" : ""));
    return true;
  }

  // In kPrepare mode, whether `what` may be created now: only when every check so far passed.
  // Otherwise a failure line says why it was not.
  bool may_create(const std::string& what, const std::string& name) {
    if (report_.ok()) return true;
    fail(what, name +
                   " does not exist and was not created, because a check above failed: fix it, "
                   "then run again");
    return false;
  }

  void check_publication() {
    const auto table = split_table_name(config_.source.table);
    const std::string& publication = config_.source.publication;
    const std::string alter = "ALTER PUBLICATION " + quote_identifier(publication);
    const std::string qualified =
        quote_identifier(table.schema) + "." + quote_identifier(table.name);
    // Always through the partition root: for a partitioned table it is what makes PostgreSQL send
    // the partitions' rows under the table's own name (without it they arrive under each
    // partition's name, which the relay does not read, and the slot moves past them: every event
    // lost). For a plain table it changes nothing, and the publication stays right if the table
    // is ever recreated as a partitioned one and added back.
    const std::string create_sql = "CREATE PUBLICATION " + quote_identifier(publication) +
                                   " FOR TABLE " + qualified +
                                   " WITH (publish = 'insert', publish_via_partition_root = true)";
    auto exists =
        value("publication", "SELECT pubinsert::text FROM pg_publication WHERE pubname = $1",
              {publication});
    if (!exists) return;
    if (exists->empty()) {
      if (!config_.source.create_publication) {
        fail("publication", publication +
                                " does not exist and source.create_publication is "
                                "false: run " +
                                create_sql);
        return;
      }
      if (mode_ == BootstrapMode::kCheckOnly) {
        pass("publication", publication + " does not exist yet; run will create it");
        return;
      }
      if (!may_create("publication", publication)) return;
      if (auto created = pg_.exec(create_sql); !created.ok()) {
        fail("publication", "cannot create it: " + created.error().message() +
                                "; run as a privileged role: " + create_sql);
        return;
      }
      pass("publication", "created " + publication + " for " + config_.source.table);
      return;
    }
    if (*exists != "true") {
      fail("publication",
           publication + " does not publish inserts: run " + alter + " SET (publish = 'insert')");
      return;
    }
    // pg_publication_tables lists each table under the name its rows are sent with: with
    // pubviaroot, the topmost published ancestor (a partitioned table), without it the leaf
    // partitions only. So the outbox table is listed exactly when its inserts arrive under its
    // own name, whether it is in the publication by name, by schema or FOR ALL TABLES.
    auto rows = pg_.exec(
        "SELECT p.pubviaroot::text, (p.puballtables OR EXISTS (SELECT 1 FROM pg_publication_rel "
        "r WHERE r.prpubid = p.oid AND r.prrelid = $2::oid))::text, EXISTS (SELECT 1 FROM "
        "pg_publication_tables t WHERE t.pubname = p.pubname AND t.schemaname = $3 AND "
        "t.tablename = $4)::text, coalesce((SELECT format('%I.%I', t.schemaname, t.tablename) "
        "FROM pg_partition_ancestors($2::oid) a JOIN pg_class c ON c.oid = a.relid JOIN "
        "pg_namespace n ON n.oid = c.relnamespace JOIN pg_publication_tables t ON t.pubname = "
        "p.pubname AND t.schemaname = n.nspname AND t.tablename = c.relname WHERE a.relid <> "
        "$2::oid LIMIT 1), '') FROM pg_publication p WHERE p.pubname = $1",
        {publication, table_oid_, table.schema, table.name});
    if (!rows.ok()) {
      fail("publication", rows.error().message(), rows.error().code());
      return;
    }
    if (PQntuples(rows->get()) != 1) {
      fail("publication", publication + " was dropped while being checked: run check again");
      return;
    }
    auto field = [&](int column) { return std::string(PQgetvalue(rows->get(), 0, column)); };
    const bool via_root = field(0) == "true";
    const bool names_table = field(1) == "true";
    const bool listed = field(2) == "true";
    const std::string& ancestor = field(3);
    if (listed) {
      pass("publication", publication + " publishes inserts into " + config_.source.table +
                              (table_partitioned_ ? ", every partition through the root" : ""));
      return;
    }
    if (!ancestor.empty()) {
      // Only with pubviaroot can an ancestor be listed instead of the table.
      fail("publication",
           config_.source.table + " is a partition of " + ancestor + " and " + publication +
               " publishes through the partition root, so its rows arrive under " + ancestor +
               "'s name and the relay would never see them: set source.table to " + ancestor +
               (table_partitioned_
                    ? ", or publish the table itself: " + alter + " DROP TABLE " + ancestor + "; " +
                          alter + " ADD TABLE " + qualified
                    : ", or run " + alter + " SET (publish_via_partition_root = false)"));
      return;
    }
    if (table_partitioned_ && !via_root) {
      fail("publication", publication + " sends the rows of " + config_.source.table +
                              "'s partitions under each partition's name "
                              "(publish_via_partition_root is off), which the relay does not "
                              "read: every event would be lost. Run " +
                              alter + " SET (publish_via_partition_root = true)" +
                              (names_table ? "" : "; " + alter + " ADD TABLE " + qualified));
      return;
    }
    fail("publication", publication + " exists but does not include " + config_.source.table +
                            ": run " + alter + " ADD TABLE " + qualified);
  }

  void check_slot() {
    const std::string& slot = config_.source.slot;
    auto rows = pg_.exec(
        "SELECT plugin, slot_type, database, active::text, coalesce(active_pid::text, ''), "
        "coalesce(confirmed_flush_lsn::text, ''), coalesce(wal_status, ''), current_database(), "
        "coalesce(to_jsonb(s) ->> 'two_phase', 'false') "
        "FROM pg_replication_slots s WHERE slot_name = $1",
        {slot});
    if (!rows.ok()) {
      fail("replication slot", rows.error().message(), rows.error().code());
      return;
    }
    PGresult* r = rows->get();
    if (PQntuples(r) == 0) {
      create_slot();
      return;
    }
    auto field = [&](int column) { return std::string(PQgetvalue(r, 0, column)); };
    if (field(1) != "logical" || field(0) != "pgoutput") {
      fail("replication slot", slot + " exists but is a " + field(1) + " slot for plugin '" +
                                   field(0) +
                                   "'; the relay needs a logical pgoutput slot: pick "
                                   "another source.slot, or drop it (SELECT "
                                   "pg_drop_replication_slot(" +
                                   quote_literal(slot) + "))");
      return;
    }
    if (field(2) != field(7)) {
      fail("replication slot", slot + " belongs to database " + field(2) + ", not " + field(7) +
                                   ": pick another source.slot or connect to " + field(2));
      return;
    }
    if (field(6) == "lost") {
      fail("replication slot", slot +
                                   " has lost WAL it needed (wal_status = lost; see "
                                   "max_slot_wal_keep_size): events in the lost range cannot "
                                   "be recovered. Drop and recreate the slot after checking "
                                   "what was missed");
      return;
    }
    if (field(8) == "true") {
      // Refused rather than decoded. On a two_phase slot PostgreSQL 15 sends a prepared
      // transaction's rows at PREPARE TRANSACTION (Begin Prepare 'b', rows, Prepare 'P'), then
      // only Commit Prepared 'K' or Rollback Prepared 'r', even to protocol version 1 without the
      // two_phase option. Publishing them correctly would mean holding every row of a prepared
      // transaction until its COMMIT PREPARED, which may come days later (memory no longer
      // bounded by max_in_flight_events), and never confirming past its PREPARE meanwhile (the
      // server does not send the rows again at COMMIT PREPARED once the slot has moved past it).
      fail("replication slot",
           slot +
               " was created with two-phase decoding (pg_replication_slots.two_phase): "
               "PostgreSQL would send prepared transactions before they commit, which the relay "
               "does not decode. Set source.slot to another slot, or drop this one (SELECT "
               "pg_drop_replication_slot(" +
               quote_literal(slot) +
               ")) and let the relay recreate it without two_phase: events committed between "
               "its confirmed position (" +
               field(5) + ") and the new slot's are then not published");
      return;
    }
    // With leadership (source.leader_lease_ms) a slot in use is the leader's: `check` reports
    // it, and a new leader ends that walsender, a previous leader's, before it starts
    // (relay/stream_opener.cc).
    const bool leadership = config_.source.leader_lease.count() > 0;
    if (field(3) == "true" && !leadership) {
      fail("replication slot",
           slot + " is in use by another connection (PID " + field(4) +
               "): is another relay running? This relay waits and retries",
           ErrorCode::kConnectionLost);
      return;
    }
    report_.slot_confirmed_lsn = Lsn::parse(field(5)).value_or(Lsn{});
    pass("replication slot",
         slot + " (pgoutput) confirmed up to " + field(5) +
             (field(3) == "true" ? "; streaming to walsender PID " + field(4) : std::string()));
  }

  void create_slot() {
    const std::string& slot = config_.source.slot;
    const std::string create_sql =
        "SELECT pg_create_logical_replication_slot(" + quote_literal(slot) + ", 'pgoutput')";
    if (!config_.source.create_slot) {
      fail("replication slot",
           slot + " does not exist and source.create_slot is false: run " + create_sql);
      return;
    }
    auto free_slots = value("replication slot",
                            "SELECT (current_setting('max_replication_slots')::int - "
                            "(SELECT count(*) FROM pg_replication_slots))::text");
    if (!free_slots) return;
    if (std::stol(*free_slots) <= 0) {
      fail("replication slot", "no free replication slot to create " + slot +
                                   ": raise max_replication_slots (restart needed) or drop an "
                                   "unused slot (see pg_replication_slots)");
      return;
    }
    if (mode_ == BootstrapMode::kCheckOnly) {
      pass("replication slot", slot + " does not exist yet; run will create it");
      return;
    }
    if (!may_create("replication slot", slot)) return;
    auto created = pg_.query_value(
        "SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')", {slot});
    if (!created.ok()) {
      fail("replication slot", "cannot create " + slot + ": " + created.error().message());
      return;
    }
    report_.slot_confirmed_lsn = Lsn::parse(created->value_or("")).value_or(Lsn{});
    report_.slot_created = true;
    pass("replication slot", "created " + slot + " (pgoutput) at " + created->value_or("?"));
  }

  PgConnection& pg_;
  const Config& config_;
  BootstrapMode mode_;
  BootstrapReport& report_;
  // Set by check_table once the table is found.
  std::string table_oid_;
  bool table_partitioned_ = false;
};

}  // namespace

BootstrapReport bootstrap(PgConnection& connection, const Config& config, BootstrapMode mode) {
  BootstrapReport report;
  Checker(connection, config, mode, report).run();
  return report;
}

}  // namespace outbox
