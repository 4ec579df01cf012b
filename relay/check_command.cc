#include <iostream>

#include "config/redact.h"
#include "relay/bootstrap.h"
#include "relay/commands.h"
#include "relay/leader_lease.h"
#include "relay/pg_connection.h"

namespace outbox {

int check_command(const Config& config) {
  std::cout << "configuration:\n" << describe_config(config) << "\n";
  bool ok = true;
  auto print = [&](bool passed, const std::string& what, const std::string& detail) {
    std::cout << (passed ? "ok    " : "FAIL  ") << what << ": " << detail << "\n";
    ok = ok && passed;
  };

  auto connection = PgConnection::connect(config.source.dsn, PgConnection::Kind::kNormal);
  if (!connection.ok()) {
    print(false, "PostgreSQL connection", connection.error().message());
  } else {
    print(true, "PostgreSQL connection", redact_dsn(config.source.dsn));
    const BootstrapReport report = bootstrap(*connection, config, BootstrapMode::kCheckOnly);
    for (const auto& line : report.lines) print(line.ok, line.what, line.detail);
    if (config.source.leader_lease.count() == 0) {
      print(true, "leadership", "off (source.leader_lease_ms: 0): relays on the slot do not elect");
    } else if (auto view = LeaderLease::observe(*connection, config.source.slot); !view.ok()) {
      print(false, "leadership", view.error().message());
    } else {
      print(true, "leadership", describe_leadership(*view));
    }
    auto replication = PgConnection::connect(config.source.dsn, PgConnection::Kind::kReplication);
    if (!replication.ok()) {
      // The server refuses a role without REPLICATION the same way as a pg_hba.conf rule does:
      // point at the cause it names.
      const std::string& why = replication.error().message();
      print(false, "replication connection",
            why + (why.find("superuser or replication role") != std::string::npos
                       ? " (the role lacks the REPLICATION attribute: see role privileges)"
                       : " (pg_hba.conf must allow a 'replication' connection for this role)"));
    } else {
      PgResult identify(PQexec(replication->raw(), "IDENTIFY_SYSTEM"));
      if (PQresultStatus(identify.get()) == PGRES_TUPLES_OK && PQntuples(identify.get()) == 1) {
        print(true, "replication connection",
              std::string("allowed; server at ") + PQgetvalue(identify.get(), 0, 2));
      } else {
        print(false, "replication connection", replication->last_error());
      }
    }
  }

  auto sink = make_configured_sink(config);
  if (!sink.ok()) {
    print(false, "sink", sink.error().message());
  } else {
    auto probe = (*sink)->probe(std::chrono::seconds(10));
    print(probe.ok(), config.sink.type == SinkType::kKafka ? "Kafka" : "sink",
          probe.ok() ? "metadata round trip succeeded" : probe.error().message());
  }
  std::cout << (ok ? "the relay can run\n" : "the relay cannot run: fix the FAIL lines above\n");
  return ok ? kExitOk : kExitFailure;
}

}  // namespace outbox
