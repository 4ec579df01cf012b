// Leadership among relays that share a slot, with PostgreSQL as the only coordinator: a relay
// streams only while it holds a session advisory lock keyed by the slot, on a connection of its
// own (the lock session). That session is a lease: the relay sets `idle_session_timeout` on it
// to the lease and pings it every third of the lease, so a leader that hangs (stopped, stuck)
// for longer than the lease has its session ended by the server and its lock released, and a
// standby waiting on the lock (a blocking pg_advisory_lock, sent asynchronously) gets it at once.
//
// The leader's side of the lease is kept on the steady clock: the server ends the session no
// earlier than a lease after the last ping it answered, so until then the lock is certainly
// held. renew() reports the lease lost once that moment has passed without a newer answer, or
// once the session is gone, and the loop stops streaming before it reads or confirms anything
// more. A relay resumed after a stop longer than the lease finds out on its first turn.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "relay/pg_connection.h"

namespace outbox {

// Who leads a slot and how many wait, as the server's lock table says, for `status` and `check`.
struct LeadershipView {
  bool held = false;
  std::string leader_pid;      // the leader's lease session (backend pid)
  std::string leader_name;     // its application_name: role, since when, relay pid, host
  std::string leader_address;  // where it connects from ("local socket" for a Unix socket)
  int standbys = 0;            // sessions waiting for the lock
};

// One line: "held by <application_name> (backend pid N, from ADDR); 1 standby waiting", or
// that nobody leads.
std::string describe_leadership(const LeadershipView& view);

class LeaderLease {
 public:
  // Reads the slot's leadership from pg_locks over `connection` (any session of the database).
  static Result<LeadershipView> observe(PgConnection& connection, const std::string& slot);

  using Time = std::chrono::steady_clock::time_point;

  // The advisory lock's key for `slot`: a 64-bit FNV-1a hash of "outbox-relay slot <name>".
  // Slot names are unique in a cluster and a slot belongs to one database, so every relay that
  // could stream from the slot takes the same lock in the same database.
  static std::int64_t key_of(std::string_view slot);

  // Connects the lock session and sets it up (the lease as idle_session_timeout, no statement or
  // lock timeout). Errors as PgConnection::connect's.
  static Result<std::unique_ptr<LeaderLease>> connect(const std::string& dsn,
                                                      const std::string& slot,
                                                      std::chrono::milliseconds lease);

  // Takes the lock if nobody holds it: true when this relay leads now.
  Result<bool> try_acquire();
  // Asks for the lock, waiting in the server; the answer comes on socket(). Only after
  // try_acquire() said false: the session must be idle.
  Result<void> start_waiting();
  // Reads what the server sent: true once the waiting request holds the lock. Then call
  // renew_now(): when the lock came is not known here, so the lease starts with a ping.
  Result<bool> poll_waiting();

  // Who holds the lock, for a standby's log line ("backend pid 123, outbox-relay leader
  // 20261202T101500Z pid 77 host-a, from 10.0.0.5"), or empty when the server does not say. On an
  // idle session only (before start_waiting()).
  std::string holder();
  // Names this session after the leader it now is, with the time it became one (UTC), so that
  // `status`, a standby's log and pg_stat_activity show who leads and since when.
  Result<void> announce_leadership(std::chrono::system_clock::time_point since);

  // While leading, once per loop turn: reads answers, sends the ping that is due. An error
  // (kConnectionLost) when the lease may have run out or the session is gone: stop streaming.
  Result<void> renew(Time now);
  // Pings and waits for the answer (at most until the lease runs out): the lease is then fresh
  // for a whole lease, for the start of a session after a slow connect.
  Result<void> renew_now();
  // When renew() must run next at the latest.
  Time next_deadline() const;
  // Whether the lock is certainly still held at `now`, from the last answered ping alone (no I/O):
  // checked before every frame read, record published and position confirmed, so that a leader
  // stopped and resumed in the middle of a turn does none of them once its lease may have run out.
  bool held_at(Time now) const { return !enforced_ || now < renewed_at_ + lease_; }

  int socket() const { return PQsocket(connection_.raw()); }
  // The lease session, for synchronous queries while no lock request or ping is outstanding (a
  // standby's checks of the server before it waits).
  PgConnection& connection() { return connection_; }
  // Whether the server enforces the lease (idle_session_timeout, PostgreSQL 14 and later).
  bool enforced() const { return enforced_; }
  std::chrono::milliseconds lease() const { return lease_; }

 private:
  LeaderLease(PgConnection connection, std::string slot, std::chrono::milliseconds lease,
              bool enforced)
      : connection_(std::move(connection)),
        slot_(std::move(slot)),
        lease_(lease),
        enforced_(enforced) {}

  Result<void> send(const std::string& sql);
  // Reads input; then, when no query is outstanding any more, true; `saw_true` is set when an
  // answer was the single value true. Errors for a broken session or a query the server refused.
  Result<bool> read_answers(bool& saw_true);
  // Reads until nothing is outstanding, or fails at `deadline` (`what` names the query);
  // `saw_true` as read_answers().
  Result<void> wait_for_answers(Time deadline, const char* what, bool* saw_true = nullptr);
  Error lost(const std::string& why) const;

  PgConnection connection_;
  const std::string slot_;
  const std::chrono::milliseconds lease_;
  const bool enforced_;
  bool query_outstanding_ = false;
  Time ping_sent_at_{};
  // The send time of the last ping (or lock request) the server answered: it ends the session no
  // earlier than a lease after that.
  Time renewed_at_{};
};

}  // namespace outbox
