// The LSN tracker: what may be confirmed to PostgreSQL.
//
// The one law: the confirmed position never passes an event Kafka has not acknowledged. Every
// transaction gets an entry, in commit order, counting its events not yet done (delivered,
// dead-lettered or skipped). While the oldest entry is committed and has nothing pending it is
// popped and its end LSN becomes confirmable. When nothing is pending and no transaction is open,
// a position the server reports (keepalive) is confirmable too, so the slot moves on a database
// whose outbox is quiet while other tables are busy.
//
// Single-threaded: the relay's loop calls it, delivery reports included.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

#include "common/lsn.h"
#include "common/result.h"
#include "decoder/pg_time.h"

namespace outbox {

class LsnTracker {
 public:
  // Identifies the transaction an event belongs to; handed to the sink with each record.
  using Ticket = std::uint64_t;

  // `confirmed` is where the stream starts: the slot's confirmed position.
  explicit LsnTracker(Lsn confirmed) : confirmable_(confirmed) {}

  // pgoutput Begin, with the transaction's commit time (for latency and lag). Fails when a
  // transaction is already open (a malformed stream).
  Result<void> begin_transaction(PgTimestamp commit_time = {});

  // One event of the open transaction handed to the sink; the ticket comes back with its
  // delivery report. Fails when no transaction is open.
  Result<Ticket> add_event();

  // pgoutput Commit. `end_lsn` is the position just past the commit record.
  Result<void> commit_transaction(Lsn end_lsn);

  // An event of `ticket`'s transaction is done: delivered (or dead-lettered, or skipped by
  // policy). A ticket with nothing pending is a bug in the caller and terminates.
  void event_done(Ticket ticket);

  // A position the server reports (a keepalive's WAL end): confirmable when idle.
  void server_position(Lsn wal_end);

  // The commit time of `ticket`'s transaction (valid while it has events pending).
  PgTimestamp commit_time(Ticket ticket) const;
  // The commit time of the oldest transaction not yet confirmable; nullopt when none waits.
  std::optional<PgTimestamp> oldest_pending_commit_time() const;

  Lsn confirmable() const { return confirmable_; }
  std::size_t in_flight_events() const { return in_flight_; }
  // Transactions kept: at most one per transaction with events not yet confirmable, plus the
  // open one (a transaction without events merges into the entry before it).
  std::size_t entries() const { return entries_.size(); }
  bool transaction_open() const { return open_; }

 private:
  struct Entry {
    Lsn end_lsn;  // invalid until committed
    PgTimestamp commit_time;
    std::size_t pending = 0;
    bool committed = false;
  };

  void pop_done();

  std::deque<Entry> entries_;
  Ticket front_ticket_ = 0;  // ticket of entries_.front()
  Lsn confirmable_;
  std::size_t in_flight_ = 0;
  bool open_ = false;
};

}  // namespace outbox
