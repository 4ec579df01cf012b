// `outbox-relay check`, `run` and `migrate` refusing to start on bad input: a bad configuration
// (exit 2, naming the key), an unreachable server, a wrong wal_level, missing privileges, a
// missing table, column, publication or slot (exit 1, naming the problem and what to run).
// And the healthy path: check passes, status --json, migrate twice.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/integration/support/json_object.h"
#include "tests/integration/support/kafka_reader.h"
#include "tests/integration/support/private_services.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/services.h"
#include "tests/integration/support/temp_file.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

// A TCP port on 127.0.0.1 that refuses connections: bound (so nobody else takes it) but not
// listening, for as long as the object lives.
class ClosedPort {
 public:
  ClosedPort() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot reserve a closed port";
      return;
    }
    port_ = std::to_string(ntohs(address.sin_port));
  }
  ~ClosedPort() {
    if (fd_ >= 0) ::close(fd_);
  }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;

  const std::string& port() const { return port_; }

 private:
  int fd_;
  std::string port_;
};

// A login role without REPLICATION, dropped with the object (declare it before the database
// the test uses, so the database goes first).
class PlainRole {
 public:
  PlainRole() : name_(unique_name("plain_role")) {
    PgSession().exec("CREATE ROLE " + name_ + " LOGIN");
  }
  ~PlainRole() { PgSession().exec("DROP ROLE IF EXISTS " + name_); }
  PlainRole(const PlainRole&) = delete;
  PlainRole& operator=(const PlainRole&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// A configuration file for `database` on the fixture's servers; `source_extra` lines go under
// `source:` (indented by the caller), `sink_extra` under `sink:`.
std::string config_for(const std::string& dsn, const std::string& slot,
                       const std::string& bootstrap, const std::string& source_extra = {},
                       const std::string& sink_extra = {}) {
  return write_temp_file(slot + ".yaml",
                         "source:\n  dsn: \"" + dsn + "\"\n  slot: " + slot + "\n" + source_extra +
                             "sink:\n  kafka:\n    bootstrap.servers: \"" + bootstrap + "\"\n" +
                             sink_extra + "metrics:\n  listen: \"\"\n");
}

RelayRun run(std::vector<std::string> args, std::vector<std::string> environment = {},
             std::chrono::milliseconds timeout = 30s) {
  return run_relay_command(std::move(args), std::move(environment), timeout);
}

// What a failed command printed, for assertion messages (without check's configuration block).
std::string printed(const RelayRun& result) {
  std::string out = result.out;
  if (out.rfind("configuration:\n", 0) == 0) {
    const auto end = out.find("\n\n");
    out = "[configuration block left out]" + (end == std::string::npos ? "" : out.substr(end + 1));
  }
  return "exit " + std::to_string(result.status) + "\n--- stdout\n" + out + "\n--- stderr\n" +
         result.err;
}

// `outbox-relay run` that must refuse to start: its exit status (-1 when it was still running
// after `timeout`, then killed) and its log.
RelayRun run_expecting_exit(const std::string& config_path, std::vector<std::string> extra = {},
                            std::chrono::milliseconds timeout = 10s) {
  std::vector<std::string> args = {"run", "--config", config_path};
  args.insert(args.end(), extra.begin(), extra.end());
  return run(args, {}, timeout);
}

std::string slot_count(PgSession& admin, const std::string& slot) {
  return admin.column("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'")
      .at(0);
}

// ---------------------------------------------------------------------------------------------
// A bad configuration: exit 2 for every sub-command, naming where and what; nothing started.

TEST(RelayCheck, EverySubCommandRefusesABadConfigFileWithExitTwoNamingEachKeyPath) {
  ScratchDatabase database("badconf");
  const std::string slot = unique_name("slot");
  struct Case {
    std::string what;
    std::string source_extra;
    std::string sink_extra;
    std::vector<std::string> expected;  // each must appear in stderr
  };
  const std::vector<Case> cases = {
      {"unknown key", "  slto: x\n", "", {":4: source.slto: unknown key", "known: dsn"}},
      {"wrong type",
       "  create_slot: maybe\n",
       "",
       {":4: source.create_slot: expected true or false, got \"maybe\""}},
      {"bad enumeration",
       "",
       "  on_permanent_error: retry\n",
       {"sink.on_permanent_error: expected one of halt, dlq, skip, got \"retry\""}},
  };
  PgSession admin(database.name());
  for (const auto& c : cases) {
    const auto file = config_for(services().pg_conninfo(database.name()), slot,
                                 services().kafka_bootstrap, c.source_extra, c.sink_extra);
    for (const std::string command : {"run", "check", "migrate"}) {
      SCOPED_TRACE(c.what + ", " + command);
      const auto result = run({command, "--config", file});
      EXPECT_EQ(result.status, 2) << printed(result);
      EXPECT_THAT(result.err, HasSubstr("invalid configuration")) << printed(result);
      EXPECT_THAT(result.err, HasSubstr(file)) << "names the file\n" << printed(result);
      for (const auto& part : c.expected) {
        EXPECT_THAT(result.err, HasSubstr(part)) << "expected: " << part << "\n" << printed(result);
      }
    }
  }
  // A missing required key, without a file line number.
  const auto no_dsn = write_temp_file(
      "no-dsn.yaml", "source:\n  slot: " + slot + "\nsink:\n  kafka:\n    bootstrap.servers: \"" +
                         services().kafka_bootstrap + "\"\n");
  for (const std::string command : {"run", "check", "migrate"}) {
    SCOPED_TRACE("missing source.dsn, " + command);
    const auto result = run({command, "--config", no_dsn});
    EXPECT_EQ(result.status, 2) << printed(result);
    EXPECT_THAT(result.err, HasSubstr("source.dsn: is required")) << printed(result);
  }
  // Nothing was started or created: no slot, no outbox table.
  EXPECT_EQ(slot_count(admin, slot), "0");
  EXPECT_EQ(
      admin.column("SELECT coalesce(to_regclass('public.outbox_events')::text, 'none')").at(0),
      "none");
}

TEST(RelayCheck, AMissingConfigFileIsExitTwoNamingTheFile) {
  const std::string missing = "/nonexistent-" + unique_name("dir") + "/relay.yaml";
  for (const std::string command : {"run", "check", "migrate", "status"}) {
    SCOPED_TRACE(command);
    const auto result = run({command, "--config", missing});
    EXPECT_EQ(result.status, 2) << printed(result);
    EXPECT_THAT(result.err, HasSubstr(missing + ": cannot read the configuration file"))
        << printed(result);
  }
}

// A DSN libpq cannot parse is a configuration error: exit 2 before anything starts (the systemd
// unit does not restart on 2), with libpq's reason but not the piece of the DSN it quotes.
TEST(RelayCheck, AMalformedDsnIsExitTwoForEveryCommandWithoutTheSecret) {
  const auto file = config_for("host=127.0.0.1 user=postgres password='hunter2 secret-tail",
                               unique_name("slot"), services().kafka_bootstrap);
  for (const std::string command : {"run", "check", "migrate", "status"}) {
    SCOPED_TRACE(command);
    const auto result = run({command, "--config", file});
    EXPECT_EQ(result.status, 2) << printed(result);
    EXPECT_THAT(result.err, HasSubstr("invalid configuration:\nsource.dsn is not a valid libpq "
                                      "connection string: unterminated quoted string"))
        << printed(result);
    EXPECT_THAT(result.out + result.err, Not(HasSubstr("hunter2"))) << printed(result);
    EXPECT_THAT(result.out + result.err, Not(HasSubstr("secret-tail"))) << printed(result);
  }
}

TEST(RelayCheck, ABadSetValueAndAnUnknownEnvironmentVariableAreExitTwoNamingThem) {
  ScratchDatabase database("badset");
  const auto file = config_for(services().pg_conninfo(database.name()), unique_name("slot"),
                               services().kafka_bootstrap);
  {
    const auto result = run({"check", "--config", file, "--set", "source.status_interval_ms=soon"});
    EXPECT_EQ(result.status, 2) << printed(result);
    EXPECT_THAT(result.err, HasSubstr("--set source.status_interval_ms: expected a positive "
                                      "integer (milliseconds), got \"soon\""))
        << printed(result);
  }
  {
    const auto result = run({"run", "--config", file, "--set", "source.slto=x"});
    EXPECT_EQ(result.status, 2) << printed(result);
    EXPECT_THAT(result.err, HasSubstr("--set source.slto: unknown key")) << printed(result);
  }
  for (const std::string command : {"run", "check", "migrate"}) {
    SCOPED_TRACE(command);
    const auto result = run({command, "--config", file}, {"OUTBOX_RELAY_SOURCE_SLTO=x"});
    EXPECT_EQ(result.status, 2) << printed(result);
    EXPECT_THAT(result.err, HasSubstr("environment OUTBOX_RELAY_SOURCE_SLTO: source.slto: unknown "
                                      "key"))
        << printed(result);
  }
  {
    const auto result = run({"check", "--config", file}, {"OUTBOX_RELAY_SINK_TYPE=kafak"});
    EXPECT_EQ(result.status, 2) << printed(result);
    EXPECT_THAT(result.err, HasSubstr("environment OUTBOX_RELAY_SINK_TYPE: sink.type: expected one "
                                      "of kafka, stdout, got \"kafak\""))
        << printed(result);
  }
}

// ---------------------------------------------------------------------------------------------
// Servers that cannot be reached.

TEST(RelayCheck, CheckFailsOnAnUnreachablePostgresNamingTheConnectionProblem) {
  ClosedPort closed;
  const std::string dsn = "host=127.0.0.1 port=" + closed.port() +
                          " user=postgres dbname=app connect_timeout=2 password=hunter2";
  const auto file = config_for(dsn, unique_name("slot"), services().kafka_bootstrap);
  const auto result = run({"check", "--config", file});
  EXPECT_EQ(result.status, 1) << printed(result);
  EXPECT_THAT(result.out, HasSubstr("FAIL  PostgreSQL connection: cannot connect to PostgreSQL"))
      << printed(result);
  EXPECT_THAT(result.out, HasSubstr("port " + closed.port())) << printed(result);
  EXPECT_THAT(result.out, HasSubstr("Connection refused")) << printed(result);
  EXPECT_THAT(result.out, HasSubstr("the relay cannot run")) << printed(result);
  EXPECT_THAT(result.out + result.err, Not(HasSubstr("hunter2"))) << "the password leaked";
}

TEST(RelayCheck, RunKeepsRetryingAnUnreachablePostgresAndStopsCleanlyOnSigterm) {
  ClosedPort closed;
  const std::string dsn = "host=127.0.0.1 port=" + closed.port() +
                          " user=postgres dbname=app connect_timeout=2 password=hunter2";
  const auto file = config_for(dsn, unique_name("slot"), services().kafka_bootstrap);
  RelayProcess relay({"run", "--config", file});
  // Two attempts: it retries rather than giving up after the first.
  ASSERT_TRUE(relay.wait_for_log("attempt=2", 15s)) << relay.err();
  const auto log = relay.err();
  EXPECT_THAT(log, HasSubstr("PostgreSQL unreachable; retrying"));
  EXPECT_THAT(log, HasSubstr("delay_ms="));
  EXPECT_THAT(log, HasSubstr("Connection refused"));
  EXPECT_THAT(log, Not(HasSubstr("hunter2"))) << "the password leaked";
  EXPECT_TRUE(relay.running());
  relay.signal(SIGTERM);
  const auto status = relay.wait(10s);
  ASSERT_TRUE(status.has_value()) << "no exit within 10 s of SIGTERM\n" << relay.err();
  EXPECT_EQ(*status, 0) << relay.err();
}

TEST(RelayCheck, CheckFailsOnAnUnreachableKafkaNamingTheServers) {
  RelayFixture fixture("nokafka");
  ClosedPort closed;
  const std::string servers = "127.0.0.1:" + closed.port();
  const auto result = run({"check", "--config", fixture.config_file(), "--set",
                           "sink.kafka.bootstrap.servers=" + servers});
  EXPECT_EQ(result.status, 1) << printed(result);
  EXPECT_THAT(result.out,
              HasSubstr("FAIL  Kafka: Kafka at " + servers + " did not answer a metadata request"))
      << printed(result);
  EXPECT_THAT(result.out, HasSubstr("check bootstrap.servers")) << printed(result);
  // PostgreSQL itself is fine: only Kafka fails.
  EXPECT_THAT(result.out, HasSubstr("ok    outbox table")) << printed(result);
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL reachable, but not set up for the relay.

TEST(RelayCheck, ARoleWithoutReplicationIsNamedWithTheAlterRoleToRun) {
  PlainRole role;
  RelayFixture fixture("norepl");
  const std::string dsn = "host=" + services().pg_host + " port=" + services().pg_port +
                          " user=" + role.name() + " dbname=" + fixture.database() +
                          " connect_timeout=10";
  const auto file = fixture.config_file();
  const std::string fix = "ALTER ROLE \"" + role.name() + "\" REPLICATION";

  const auto checked = run({"check", "--config", file, "--set", "source.dsn=" + dsn});
  EXPECT_EQ(checked.status, 1) << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("FAIL  role privileges: role " + role.name() +
                                     " lacks the REPLICATION attribute"))
      << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr(fix)) << printed(checked);

  const auto ran = run_expecting_exit(file, {"--set", "source.dsn=" + dsn});
  EXPECT_EQ(ran.status, 1) << printed(ran);
  EXPECT_THAT(ran.err, HasSubstr(fix)) << printed(ran);
  EXPECT_THAT(ran.err, Not(HasSubstr("streaming"))) << printed(ran);
  PgSession admin;
  EXPECT_EQ(slot_count(admin, fixture.slot()), "0");
}

TEST(RelayCheck, AMissingOutboxTableIsNamedWithMigrateAsTheFix) {
  ScratchDatabase database("notable");  // never migrated
  const std::string slot = unique_name("slot");
  const auto file =
      config_for(services().pg_conninfo(database.name()), slot, services().kafka_bootstrap);

  const auto checked = run({"check", "--config", file});
  EXPECT_EQ(checked.status, 1) << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("FAIL  outbox table: public.outbox_events does not exist"))
      << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("outbox-relay migrate")) << printed(checked);

  const auto ran = run_expecting_exit(file);
  EXPECT_EQ(ran.status, 1) << printed(ran);
  EXPECT_THAT(ran.err, HasSubstr("public.outbox_events does not exist")) << printed(ran);
  // Nothing created: a relay restarted on this failure for ever must not pin WAL for ever.
  PgSession admin;
  EXPECT_EQ(slot_count(admin, slot), "0") << printed(ran);
  EXPECT_THAT(ran.err, HasSubstr(slot + " does not exist and was not created, because a check "
                                        "above failed"))
      << printed(ran);
  EXPECT_EQ(PgSession(database.name()).column("SELECT count(*) FROM pg_publication").at(0), "0");
}

TEST(RelayCheck, MigrateCreatesNoSlotWhenTheTableItMadeLacksAConfiguredColumn) {
  ScratchDatabase database("migratenoslot");
  const std::string slot = unique_name("slot");
  const auto file =
      config_for(services().pg_conninfo(database.name()), slot, services().kafka_bootstrap);
  const auto migrated =
      run({"migrate", "--config", file, "--set", "source.columns.event_type=kind"});
  EXPECT_THAT(migrated.out, HasSubstr("migrations: applied")) << printed(migrated);
  EXPECT_THAT(migrated.out, HasSubstr("lacks column kind (source.columns.event_type)"))
      << printed(migrated);
  EXPECT_THAT(migrated.out,
              HasSubstr("WARN  replication slot: " + slot + " does not exist and was not created"))
      << printed(migrated);
  PgSession admin;
  EXPECT_EQ(slot_count(admin, slot), "0") << printed(migrated);
}

TEST(RelayCheck, AnOutboxTableWithoutARequiredColumnIsNamedWithTheColumn) {
  ScratchDatabase database("nocolumn");
  PgSession(database.name())
      .exec(
          "CREATE TABLE outbox_events (id uuid PRIMARY KEY, aggregate_type text, "
          "aggregate_id text, payload jsonb, created_at timestamp)");
  const auto file = config_for(services().pg_conninfo(database.name()), unique_name("slot"),
                               services().kafka_bootstrap);
  const auto checked = run({"check", "--config", file});
  EXPECT_EQ(checked.status, 1) << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("FAIL  outbox table: public.outbox_events lacks column "
                                     "event_type (source.columns.event_type)"))
      << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("its columns are: id, aggregate_type, aggregate_id, payload"))
      << printed(checked);

  const auto ran = run_expecting_exit(file);
  EXPECT_EQ(ran.status, 1) << printed(ran);
  EXPECT_THAT(ran.err, HasSubstr("lacks column event_type")) << printed(ran);
}

TEST(RelayCheck, APublicationWithoutTheOutboxTableIsNamedWithTheAlterPublicationToRun) {
  RelayFixture fixture("pubnotable");
  const std::string publication = unique_name("pub");
  fixture.sql().exec("CREATE PUBLICATION " + publication);  // for no table at all
  const std::string fix =
      "ALTER PUBLICATION \"" + publication + "\" ADD TABLE \"public\".\"outbox_events\"";
  const auto file = fixture.config_file();

  const auto checked =
      run({"check", "--config", file, "--set", "source.publication=" + publication});
  EXPECT_EQ(checked.status, 1) << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("FAIL  publication: " + publication +
                                     " exists but does not include public.outbox_events"))
      << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr(fix)) << printed(checked);

  const auto ran = run_expecting_exit(file, {"--set", "source.publication=" + publication});
  EXPECT_EQ(ran.status, 1) << printed(ran);
  EXPECT_THAT(ran.err, HasSubstr(fix)) << printed(ran);
}

TEST(RelayCheck, AMissingSlotItMayNotCreateIsNamedWithTheSqlToRun) {
  RelayFixture fixture("noslot");
  const std::string fix =
      "SELECT pg_create_logical_replication_slot('" + fixture.slot() + "', 'pgoutput')";
  const auto file = fixture.config_file();

  const auto checked = run({"check", "--config", file, "--set", "source.create_slot=false"});
  EXPECT_EQ(checked.status, 1) << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("FAIL  replication slot: " + fixture.slot() +
                                     " does not exist and source.create_slot is false"))
      << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr(fix)) << printed(checked);

  const auto ran = run_expecting_exit(file, {"--set", "source.create_slot=false"});
  EXPECT_EQ(ran.status, 1) << printed(ran);
  EXPECT_THAT(ran.err, HasSubstr(fix)) << printed(ran);
  EXPECT_EQ(fixture.sql()
                .column("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" +
                        fixture.slot() + "'")
                .at(0),
            "0");
}

// The default outbox table, made by hand (no migrate, so no publication).
void create_default_table(const std::string& database) {
  PgSession(database).exec(
      "CREATE TABLE outbox_events (id UUID PRIMARY KEY, aggregate_type VARCHAR(255) NOT NULL, "
      "aggregate_id VARCHAR(255) NOT NULL, event_type VARCHAR(255) NOT NULL, payload JSONB NOT "
      "NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, published BOOLEAN DEFAULT "
      "FALSE, published_at TIMESTAMP)");
}

TEST(RelayCheck, AMissingPublicationItMayNotCreateIsNamedWithTheCreatePublicationToRun) {
  ScratchDatabase database("nopub");
  create_default_table(database.name());
  const auto file = config_for(services().pg_conninfo(database.name()), unique_name("slot"),
                               services().kafka_bootstrap, "  create_publication: false\n");
  const std::string fix =
      "CREATE PUBLICATION \"outbox_pub\" FOR TABLE \"public\".\"outbox_events\" WITH (publish = "
      "'insert', publish_via_partition_root = true)";

  const auto checked = run({"check", "--config", file});
  EXPECT_EQ(checked.status, 1) << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("FAIL  publication: outbox_pub does not exist and "
                                     "source.create_publication is false"))
      << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr(fix)) << printed(checked);

  const auto ran = run_expecting_exit(file);
  EXPECT_EQ(ran.status, 1) << printed(ran);
  EXPECT_THAT(ran.err, HasSubstr(fix)) << printed(ran);
}

TEST(RelayCheck, RunCreatesAMissingPublicationItMayCreateAndStreamsThroughIt) {
  RelayFixture fixture("makepub");
  // The fixture migrated the default publication; the relay is pointed at another one.
  const std::string publication = unique_name("pub");
  const auto file = fixture.config_file();
  const std::vector<std::string> set = {"--set", "source.publication=" + publication};

  std::vector<std::string> check_args = {"check", "--config", file};
  check_args.insert(check_args.end(), set.begin(), set.end());
  const auto checked = run(check_args);
  EXPECT_EQ(checked.status, 0) << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("ok    publication: " + publication +
                                     " does not exist yet; run will create it"))
      << printed(checked);

  auto relay = fixture.start_relay(file, set);
  ASSERT_EQ(fixture.sql()
                .column("SELECT count(*) FROM pg_publication_tables WHERE pubname = '" +
                        publication + "' AND tablename = 'outbox_events'")
                .at(0),
            "1")
      << relay->err();
  fixture.insert_event(event_id(1), "Order", "order-1", "OrderCreated", R"({"n": 1})");
  const auto records = read_topics({fixture.topic("order")}, 1, 20s);
  EXPECT_EQ(records.size(), 1u) << relay->err();
  relay->signal(SIGTERM);
  const auto status = relay->wait(30s);
  ASSERT_TRUE(status.has_value()) << relay->err();
  EXPECT_EQ(*status, 0) << relay->err();
}

// The default outbox table, partitioned by aggregate type into outbox_events_order and
// outbox_events_other (the primary key must hold the partition key).
void create_partitioned_default_table(const std::string& database) {
  PgSession(database).exec(
      "CREATE TABLE outbox_events (id UUID NOT NULL, aggregate_type VARCHAR(255) NOT NULL, "
      "aggregate_id VARCHAR(255) NOT NULL, event_type VARCHAR(255) NOT NULL, payload JSONB NOT "
      "NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, PRIMARY KEY (id, "
      "aggregate_type)) PARTITION BY LIST (aggregate_type);"
      "CREATE TABLE outbox_events_order PARTITION OF outbox_events FOR VALUES IN ('Order');"
      "CREATE TABLE outbox_events_other PARTITION OF outbox_events DEFAULT;");
}

TEST(RelayCheck, APublicationOfAPartitionedTableMustPublishTheWholeTableThroughItsRoot) {
  struct Case {
    std::string what;
    std::string publication_sql;  // "%s" stands for the publication's name
    std::string expected;         // in check's output
    std::string unexpected;       // must not be in check's output
  };
  const std::string via_root = " WITH (publish = 'insert', publish_via_partition_root = true)";
  const std::string plain = " WITH (publish = 'insert')";
  const std::vector<Case> cases = {
      {"the table, without publish_via_partition_root",
       "CREATE PUBLICATION %s FOR TABLE outbox_events" + plain,
       "FAIL  publication: %s sends the rows of public.outbox_events's partitions under each "
       "partition's name (publish_via_partition_root is off), which the relay does not read: "
       "every event would be lost. Run ALTER PUBLICATION \"%s\" SET "
       "(publish_via_partition_root = true)\n",
       "ADD TABLE"},
      {"FOR ALL TABLES, without publish_via_partition_root",
       "CREATE PUBLICATION %s FOR ALL TABLES" + plain,
       "Run ALTER PUBLICATION \"%s\" SET (publish_via_partition_root = true)\n",
       "ok    publication"},
      {"one partition, without publish_via_partition_root",
       "CREATE PUBLICATION %s FOR TABLE outbox_events_order" + plain,
       "Run ALTER PUBLICATION \"%s\" SET (publish_via_partition_root = true); ALTER PUBLICATION "
       "\"%s\" ADD TABLE \"public\".\"outbox_events\"\n",
       "ok    publication"},
      {"one partition, through the root",
       "CREATE PUBLICATION %s FOR TABLE outbox_events_order" + via_root,
       "FAIL  publication: %s exists but does not include public.outbox_events: run ALTER "
       "PUBLICATION \"%s\" ADD TABLE \"public\".\"outbox_events\"\n",
       "ok    publication"},
      {"the table, through the root", "CREATE PUBLICATION %s FOR TABLE outbox_events" + via_root,
       "ok    publication: %s publishes inserts into public.outbox_events, every partition "
       "through the root",
       "FAIL"},
      {"FOR ALL TABLES, through the root", "CREATE PUBLICATION %s FOR ALL TABLES" + via_root,
       "ok    publication: %s publishes inserts into public.outbox_events, every partition "
       "through the root",
       "FAIL"},
  };
  ScratchDatabase database("partitionpub");
  create_partitioned_default_table(database.name());
  PgSession sql(database.name());
  const std::string slot = unique_name("slot");
  const auto file =
      config_for(services().pg_conninfo(database.name()), slot, services().kafka_bootstrap);
  auto with_name = [](std::string text, const std::string& name) {
    for (auto at = text.find("%s"); at != std::string::npos; at = text.find("%s", at)) {
      text.replace(at, 2, name);
    }
    return text;
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const std::string publication = unique_name("pub");
    sql.exec(with_name(c.publication_sql, publication));
    const auto checked =
        run({"check", "--config", file, "--set", "source.publication=" + publication});
    EXPECT_THAT(checked.out, HasSubstr(with_name(c.expected, publication))) << printed(checked);
    EXPECT_THAT(checked.out, Not(HasSubstr(c.unexpected))) << printed(checked);
    EXPECT_EQ(checked.status, c.expected.find("ok    publication") != std::string::npos ? 0 : 1)
        << printed(checked);
    sql.exec("DROP PUBLICATION " + publication);
  }
  // run refuses what check refuses, and creates no slot for it.
  const std::string publication = unique_name("pub");
  sql.exec("CREATE PUBLICATION " + publication + " FOR TABLE outbox_events" + plain);
  const auto ran = run_expecting_exit(file, {"--set", "source.publication=" + publication});
  EXPECT_EQ(ran.status, 1) << printed(ran);
  EXPECT_THAT(ran.err, HasSubstr("SET (publish_via_partition_root = true)")) << printed(ran);
  PgSession admin;
  EXPECT_EQ(slot_count(admin, slot), "0") << printed(ran);
}

TEST(RelayCheck, AnOutboxTableThatIsAPartitionOfAPublishedRootIsRefused) {
  ScratchDatabase database("partitionleaf");
  // outbox_events is itself a partition of outbox_all, which the publication publishes.
  PgSession sql(database.name());
  sql.exec(
      "CREATE TABLE outbox_all (id UUID NOT NULL, aggregate_type VARCHAR(255) NOT NULL, "
      "aggregate_id VARCHAR(255) NOT NULL, event_type VARCHAR(255) NOT NULL, payload JSONB NOT "
      "NULL, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP) PARTITION BY LIST "
      "(aggregate_type);"
      "CREATE TABLE outbox_events PARTITION OF outbox_all FOR VALUES IN ('Order');");
  const std::string publication = unique_name("pub");
  sql.exec("CREATE PUBLICATION " + publication +
           " FOR TABLE outbox_all WITH (publish = 'insert', publish_via_partition_root = true)");
  const auto file = config_for(services().pg_conninfo(database.name()), unique_name("slot"),
                               services().kafka_bootstrap, "  publication: " + publication + "\n");
  const auto checked = run({"check", "--config", file});
  EXPECT_EQ(checked.status, 1) << printed(checked);
  EXPECT_THAT(checked.out,
              HasSubstr("FAIL  publication: public.outbox_events is a partition of "
                        "public.outbox_all and " +
                        publication +
                        " publishes through the partition root, so its rows arrive under "
                        "public.outbox_all's name"))
      << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("set source.table to public.outbox_all, or run ALTER "
                                     "PUBLICATION \"" +
                                     publication + "\" SET (publish_via_partition_root = false)"))
      << printed(checked);
}

TEST(RelayCheck, ASlotWithTwoPhaseDecodingIsRefusedWithTheWaysOut) {
  RelayFixture fixture("twophase");
  fixture.sql().exec("SELECT pg_create_logical_replication_slot('" + fixture.slot() +
                     "', 'pgoutput', false, true)");
  ASSERT_EQ(fixture.sql()
                .column("SELECT two_phase::text FROM pg_replication_slots WHERE slot_name = '" +
                        fixture.slot() + "'")
                .at(0),
            "true");
  const std::string fix = "SELECT pg_drop_replication_slot('" + fixture.slot() + "')";
  const auto file = fixture.config_file();

  const auto checked = run({"check", "--config", file});
  EXPECT_EQ(checked.status, 1) << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("FAIL  replication slot: " + fixture.slot() +
                                     " was created with two-phase decoding"))
      << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("Set source.slot to another slot")) << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr(fix)) << printed(checked);

  const auto ran = run_expecting_exit(file);
  EXPECT_EQ(ran.status, 1) << printed(ran);
  EXPECT_THAT(ran.err, HasSubstr("two-phase decoding")) << printed(ran);
  EXPECT_THAT(ran.err, Not(HasSubstr("streaming"))) << printed(ran);
}

// ---------------------------------------------------------------------------------------------
// A server without logical decoding: a private PostgreSQL, since wal_level needs a restart.

TEST(RelayCheck, AServerWithoutLogicalWalLevelIsNamedAndRunRefusesToStart) {
  PrivateServices servers("walreplica");
  ASSERT_TRUE(servers.ok());
  {
    std::unique_ptr<PGconn, PgConnDeleter> admin(PQconnectdb(servers.conninfo("postgres").c_str()));
    ASSERT_EQ(PQstatus(admin.get()), CONNECTION_OK) << PQerrorMessage(admin.get());
    PgResultPtr altered(PQexec(admin.get(), "ALTER SYSTEM SET wal_level = replica"));
    ASSERT_EQ(PQresultStatus(altered.get()), PGRES_COMMAND_OK) << PQerrorMessage(admin.get());
  }
  ASSERT_TRUE(servers.stop_postgres());
  ASSERT_TRUE(servers.start_postgres());
  const auto file =
      config_for(servers.conninfo("app"), unique_name("slot"), servers.kafka_bootstrap());

  const auto checked = run({"check", "--config", file});
  EXPECT_EQ(checked.status, 1) << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("FAIL  wal_level: is 'replica'; logical decoding needs "
                                     "'logical'"))
      << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("wal_level = logical")) << printed(checked);

  const auto ran = run_expecting_exit(file);
  EXPECT_EQ(ran.status, 1) << printed(ran);
  EXPECT_THAT(ran.err, HasSubstr("wal_level: is 'replica'")) << printed(ran);
}

// ---------------------------------------------------------------------------------------------
// All is well.

TEST(RelayCheck, AHealthySetupPassesCheckReportsStatusAsJsonAndMigratesIdempotently) {
  RelayFixture fixture("healthy");  // migrated once already
  const auto file = fixture.config_file();

  const auto checked = run({"check", "--config", file});
  EXPECT_EQ(checked.status, 0) << printed(checked);
  EXPECT_THAT(checked.out, HasSubstr("the relay can run")) << printed(checked);
  EXPECT_THAT(checked.out, Not(HasSubstr("FAIL"))) << printed(checked);

  auto relay = fixture.start_relay(file);
  fixture.insert_event(event_id(1), "Order", "order-1", "OrderCreated", R"({"n": 1})");
  ASSERT_EQ(read_topics({fixture.topic("order")}, 1, 20s).size(), 1u) << relay->err();
  relay->signal(SIGTERM);
  const auto stopped = relay->wait(30s);
  ASSERT_TRUE(stopped.has_value()) << relay->err();
  EXPECT_EQ(*stopped, 0) << relay->err();

  const auto status = run({"status", "--config", file, "--json"});
  EXPECT_EQ(status.status, 0) << printed(status);
  std::string error;
  const auto json = parse_json_object(status.out, &error);
  ASSERT_TRUE(json.has_value()) << error << "\n" << printed(status);
  using Kind = JsonMember::Kind;
  ASSERT_EQ(json->count("slot"), 1u) << status.out;
  EXPECT_EQ(json->at("slot").kind, Kind::kString);
  EXPECT_EQ(json->at("slot").text, fixture.slot());
  ASSERT_EQ(json->count("exists"), 1u) << status.out;
  EXPECT_EQ(json->at("exists").text, "true");
  ASSERT_EQ(json->count("connected"), 1u) << status.out;
  EXPECT_EQ(json->at("connected").text, "false") << "the relay has stopped";
  ASSERT_EQ(json->count("lag_bytes"), 1u) << status.out;
  EXPECT_EQ(json->at("lag_bytes").kind, Kind::kNumber) << status.out;
  ASSERT_EQ(json->count("confirmed_lsn"), 1u) << status.out;
  EXPECT_EQ(json->at("confirmed_lsn").text, fixture.confirmed_lsn());
  EXPECT_NE(json->at("confirmed_lsn").text, "");

  for (int round = 0; round < 2; ++round) {
    const auto migrated = run({"migrate", "--config", file});
    EXPECT_EQ(migrated.status, 0) << printed(migrated);
    EXPECT_THAT(migrated.out, HasSubstr("migrations: up to date")) << printed(migrated);
  }
}

TEST(RelayCheck, StatusOfASlotThatDoesNotExistSaysSoAndFails) {
  RelayFixture fixture("noslotstatus");
  const auto status = run({"status", "--config", fixture.config_file(), "--json"});
  EXPECT_EQ(status.status, 1) << printed(status);
  const auto json = parse_json_object(status.out);
  ASSERT_TRUE(json.has_value()) << printed(status);
  EXPECT_EQ(json->at("slot").text, fixture.slot());
  EXPECT_EQ(json->at("exists").text, "false");
}

}  // namespace
}  // namespace outbox::testing
