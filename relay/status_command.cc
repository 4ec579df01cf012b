#include <iostream>

#include "common/log.h"
#include "relay/commands.h"
#include "relay/leader_lease.h"
#include "relay/pg_connection.h"

namespace outbox {

int status_command(const Config& config, bool json) {
  auto connection = PgConnection::connect(config.source.dsn, PgConnection::Kind::kNormal);
  if (!connection.ok()) {
    std::cerr << "outbox-relay status: " << connection.error().message() << "\n";
    return kExitFailure;
  }
  auto rows = connection->exec(
      "SELECT s.slot_name, s.active::text, coalesce(s.active_pid::text, ''), "
      "coalesce(s.confirmed_flush_lsn::text, ''), pg_current_wal_lsn()::text, "
      "coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint::text, ''), "
      "coalesce(s.wal_status, ''), coalesce(a.application_name, '') "
      "FROM pg_replication_slots s LEFT JOIN pg_stat_activity a ON a.pid = s.active_pid "
      "WHERE s.slot_name = $1",
      {config.source.slot});
  if (!rows.ok()) {
    std::cerr << "outbox-relay status: " << rows.error().message() << "\n";
    return kExitFailure;
  }
  PGresult* r = rows->get();
  if (PQntuples(r) == 0) {
    if (json) {
      std::string out = "{\"slot\":";
      append_json_string(out, config.source.slot);
      std::cout << out << ",\"exists\":false}\n";
    } else {
      std::cout << "slot " << config.source.slot << " does not exist (run creates it)\n";
    }
    return kExitFailure;
  }
  auto field = [&](int column) { return std::string(PQgetvalue(r, 0, column)); };
  const bool active = field(1) == "true";
  const bool leadership = config.source.leader_lease.count() > 0;
  LeadershipView view;
  if (leadership) {
    auto observed = LeaderLease::observe(*connection, config.source.slot);
    if (!observed.ok()) {
      std::cerr << "outbox-relay status: " << observed.error().message() << "\n";
      return kExitFailure;
    }
    view = *observed;
  }
  if (json) {
    std::string out = "{\"slot\":";
    append_json_string(out, field(0));
    out += ",\"exists\":true,\"connected\":" + std::string(active ? "true" : "false");
    out += ",\"active_pid\":" + (field(2).empty() ? std::string("null") : field(2));
    out += ",\"application_name\":";
    append_json_string(out, field(7));
    out += ",\"confirmed_lsn\":";
    append_json_string(out, field(3));
    out += ",\"server_lsn\":";
    append_json_string(out, field(4));
    out += ",\"lag_bytes\":" + (field(5).empty() ? std::string("null") : field(5));
    out += ",\"wal_status\":";
    append_json_string(out, field(6));
    out += ",\"leadership\":";
    if (!leadership) {
      out += "null";
    } else {
      out += "{\"leader\":";
      if (view.held) {
        out += "{\"backend_pid\":" + view.leader_pid + ",\"application_name\":";
        append_json_string(out, view.leader_name);
        out += ",\"client_addr\":";
        append_json_string(out, view.leader_address);
        out += "}";
      } else {
        out += "null";
      }
      out += ",\"standbys\":" + std::to_string(view.standbys) + "}";
    }
    std::cout << out << "}\n";
  } else {
    std::cout << "slot:          " << field(0) << "\n"
              << "connected:     "
              << (active ? "yes (PID " + field(2) + ", " + field(7) + ")" : std::string("no"))
              << "\n"
              << "confirmed LSN: " << field(3) << "\n"
              << "server LSN:    " << field(4) << "\n"
              << "lag:           " << field(5) << " bytes\n"
              << "WAL status:    " << field(6) << "\n"
              << "leadership:    "
              << (leadership ? describe_leadership(view)
                             : std::string("off (source.leader_lease_ms: 0)"))
              << "\n";
  }
  return kExitOk;
}

}  // namespace outbox
