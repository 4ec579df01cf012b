#include "relay/leader_lease.h"

#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <ctime>
#include <vector>

#include "common/log.h"

namespace outbox {
namespace {

const Logger kLog("relay");

// idle_session_timeout exists from PostgreSQL 14.
constexpr int kIdleSessionTimeoutVersion = 140000;

// libpq's message on one line: it breaks lines with "\n\t".
std::string trimmed_error(PGconn* conn) {
  std::string text;
  for (const char* c = PQerrorMessage(conn); *c != '\0'; ++c) {
    if (*c == '\n' || *c == '\t') {
      if (!text.empty() && text.back() != ' ') text += ' ';
    } else {
      text += *c;
    }
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

// This host's name, as characters that need no quoting in SQL.
std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::string name;
  for (const char* c = host; *c != '\0'; ++c) {
    if (std::isalnum(static_cast<unsigned char>(*c)) || *c == '.' || *c == '-' || *c == '_') {
      name += *c;
    }
  }
  return name;
}

// PostgreSQL keeps 63 bytes of an application_name: the host goes last, where a long one is cut.
std::string standby_name() {
  return "outbox-relay standby pid " + std::to_string(::getpid()) + " " + host_name();
}

// The key's halves as pg_locks shows a bigint advisory lock: classid, objid (objsubid 1).
std::vector<std::string> lock_columns(std::int64_t key) {
  const auto bits = static_cast<std::uint64_t>(key);
  return {std::to_string(bits >> 32), std::to_string(bits & 0xffffffffu)};
}

constexpr const char* kLockRows =
    "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND l.classid = $1::oid "
    "AND l.objid = $2::oid "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())";

}  // namespace

std::string describe_leadership(const LeadershipView& view) {
  const std::string waiting = std::to_string(view.standbys) +
                              (view.standbys == 1 ? " standby waiting" : " standbys waiting");
  if (!view.held) return "nobody leads now (the first relay to start leads); " + waiting;
  return "held by " + (view.leader_name.empty() ? std::string("a session") : view.leader_name) +
         " (backend pid " + view.leader_pid + ", from " + view.leader_address + "); " + waiting;
}

std::int64_t LeaderLease::key_of(std::string_view slot) {
  std::uint64_t hash = 14695981039346656037ull;
  auto mix = [&hash](std::string_view text) {
    for (const char c : text) {
      hash ^= static_cast<unsigned char>(c);
      hash *= 1099511628211ull;
    }
  };
  mix("outbox-relay slot ");
  mix(slot);
  return static_cast<std::int64_t>(hash);
}

Result<std::unique_ptr<LeaderLease>> LeaderLease::connect(const std::string& dsn,
                                                          const std::string& slot,
                                                          std::chrono::milliseconds lease) {
  auto connection = PgConnection::connect(dsn, PgConnection::Kind::kNormal, standby_name());
  if (!connection.ok()) return std::move(connection).error();
  const bool enforced = PQserverVersion(connection->raw()) >= kIdleSessionTimeoutVersion;
  std::vector<std::string> setup = {"SET statement_timeout = 0", "SET lock_timeout = 0"};
  if (enforced) setup.push_back("SET idle_session_timeout = " + std::to_string(lease.count()));
  for (const std::string& statement : setup) {
    if (auto set = connection->exec(statement); !set.ok()) return std::move(set).error();
  }
  if (!enforced) {
    kLog.warn(
        "this PostgreSQL has no idle_session_timeout (it needs 14 or later): the leadership "
        "lock is held without a lease, and a hung leader keeps it until its connection dies",
        {{"slot", slot}, {"server_version", std::to_string(PQserverVersion(connection->raw()))}});
  }
  if (PQsetnonblocking(connection->raw(), 1) != 0) {
    return Error{ErrorCode::kConnectionLost, "cannot make the leadership session non-blocking: " +
                                                 trimmed_error(connection->raw())};
  }
  return std::unique_ptr<LeaderLease>(
      new LeaderLease(std::move(connection).value(), slot, lease, enforced));
}

Error LeaderLease::lost(const std::string& why) const {
  return Error{ErrorCode::kConnectionLost, "leadership of slot " + slot_ + " lost: " + why};
}

Result<void> LeaderLease::send(const std::string& sql) {
  if (PQsendQuery(connection_.raw(), sql.c_str()) != 1 || PQflush(connection_.raw()) < 0) {
    return lost("PostgreSQL connection lost (the leadership session): " +
                trimmed_error(connection_.raw()));
  }
  query_outstanding_ = true;
  return {};
}

Result<bool> LeaderLease::read_answers(bool& saw_true) {
  PGconn* conn = connection_.raw();
  if (PQconsumeInput(conn) != 1 || PQstatus(conn) != CONNECTION_OK) {
    return lost("PostgreSQL connection lost (the leadership session): " + trimmed_error(conn));
  }
  // A flush left over from a send that did not fit the socket buffer.
  if (PQflush(conn) < 0) {
    return lost("PostgreSQL connection lost (the leadership session): " + trimmed_error(conn));
  }
  while (query_outstanding_ && PQisBusy(conn) == 0) {
    PgResult result(PQgetResult(conn));
    if (result == nullptr) {
      query_outstanding_ = false;
      break;
    }
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      return lost("the leadership session refused a query: " +
                  std::string(PQresultErrorMessage(result.get())));
    }
    if (PQntuples(result.get()) == 1 && std::string_view(PQgetvalue(result.get(), 0, 0)) == "t") {
      saw_true = true;
    }
  }
  return !query_outstanding_;
}

Result<bool> LeaderLease::try_acquire() {
  const Time sent_at = std::chrono::steady_clock::now();
  if (auto sent = send("SELECT pg_try_advisory_lock(" + std::to_string(key_of(slot_)) + ")");
      !sent.ok()) {
    return std::move(sent).error();
  }
  // A short query on an idle session: its answer is waited for here (within the lease).
  bool got = false;
  if (auto answered = wait_for_answers(sent_at + lease_, "the lock request", &got);
      !answered.ok()) {
    return std::move(answered).error();
  }
  // The server went idle after answering, so no earlier than the request was sent.
  if (got) renewed_at_ = ping_sent_at_ = sent_at;
  return got;
}

Result<void> LeaderLease::start_waiting() {
  return send("SELECT pg_advisory_lock(" + std::to_string(key_of(slot_)) + ") IS NULL");
}

Result<bool> LeaderLease::poll_waiting() {
  bool unused = false;
  return read_answers(unused);
}

std::string LeaderLease::holder() {
  auto found = connection_.query_value(
      std::string("SELECT concat_ws(', ', 'backend pid ' || l.pid, nullif(a.application_name, ''), "
                  "'from ' || coalesce(host(a.client_addr), 'a local socket')) ") +
          kLockRows + " AND l.granted",
      lock_columns(key_of(slot_)));
  return found.ok() && found->has_value() ? **found : std::string();
}

Result<LeadershipView> LeaderLease::observe(PgConnection& connection, const std::string& slot) {
  auto rows = connection.exec(std::string("SELECT l.granted::text, l.pid::text, "
                                          "coalesce(a.application_name, ''), "
                                          "coalesce(host(a.client_addr), 'local socket') ") +
                                  kLockRows,
                              lock_columns(key_of(slot)));
  if (!rows.ok()) return std::move(rows).error();
  LeadershipView view;
  PGresult* result = rows->get();
  for (int row = 0; row < PQntuples(result); ++row) {
    if (std::string_view(PQgetvalue(result, row, 0)) != "true") {
      ++view.standbys;
      continue;
    }
    view.held = true;
    view.leader_pid = PQgetvalue(result, row, 1);
    view.leader_name = PQgetvalue(result, row, 2);
    view.leader_address = PQgetvalue(result, row, 3);
  }
  return view;
}

Result<void> LeaderLease::announce_leadership(std::chrono::system_clock::time_point since) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(since);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  const std::string name = "outbox-relay leader " + std::string(stamp) + " pid " +
                           std::to_string(::getpid()) + " " + host_name();
  if (auto answered = wait_for_answers(std::chrono::steady_clock::now() + lease_, "a ping");
      !answered.ok()) {
    return answered;
  }
  if (auto sent = send("SET application_name = '" + name + "'"); !sent.ok()) return sent;
  return wait_for_answers(std::chrono::steady_clock::now() + lease_, "SET application_name");
}

Result<void> LeaderLease::renew(Time now) {
  bool unused = false;
  auto done = read_answers(unused);
  if (!done.ok()) return std::move(done).error();
  if (*done && ping_sent_at_ > renewed_at_) renewed_at_ = ping_sent_at_;
  if (enforced_ && now >= renewed_at_ + lease_) {
    return lost(
        "no ping answered for " +
        std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(now - renewed_at_).count()) +
        " ms, longer than the lease (source.leader_lease_ms " + std::to_string(lease_.count()) +
        ")");
  }
  if (!query_outstanding_ && now >= renewed_at_ + lease_ / 3) {
    if (auto sent = send("SELECT true"); !sent.ok()) return std::move(sent).error();
    ping_sent_at_ = now;
  }
  return {};
}

Result<void> LeaderLease::wait_for_answers(Time deadline, const char* what, bool* saw_true) {
  bool unused = false;
  while (true) {
    auto done = read_answers(saw_true != nullptr ? *saw_true : unused);
    if (!done.ok()) return std::move(done).error();
    if (*done) return {};
    if (std::chrono::steady_clock::now() >= deadline) {
      return lost(std::string("the server did not answer ") + what + " within the lease");
    }
    pollfd fd{socket(), POLLIN, 0};
    ::poll(&fd, 1, 100);
  }
}

Result<void> LeaderLease::renew_now() {
  if (auto answered = wait_for_answers(std::chrono::steady_clock::now() + lease_, "a ping");
      !answered.ok()) {
    return answered;
  }
  const Time sent_at = std::chrono::steady_clock::now();
  if (auto sent = send("SELECT true"); !sent.ok()) return std::move(sent).error();
  if (auto answered = wait_for_answers(sent_at + lease_, "a ping"); !answered.ok()) {
    return answered;
  }
  ping_sent_at_ = sent_at;
  renewed_at_ = sent_at;
  return {};
}

LeaderLease::Time LeaderLease::next_deadline() const {
  if (query_outstanding_) return renewed_at_ + lease_;
  return renewed_at_ + lease_ / 3;
}

}  // namespace outbox
