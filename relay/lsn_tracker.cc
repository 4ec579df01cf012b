#include "relay/lsn_tracker.h"

#include "common/check.h"

namespace outbox {

Result<void> LsnTracker::begin_transaction(PgTimestamp commit_time) {
  if (open_) {
    return Error{ErrorCode::kMalformedMessage,
                 "Begin arrived while a transaction was still open (no Commit before it)"};
  }
  open_ = true;
  entries_.push_back(Entry{.end_lsn = Lsn{}, .commit_time = commit_time});
  return {};
}

Result<LsnTracker::Ticket> LsnTracker::add_event() {
  if (!open_) {
    return Error{ErrorCode::kMalformedMessage, "a change arrived outside a transaction"};
  }
  ++entries_.back().pending;
  ++in_flight_;
  return front_ticket_ + entries_.size() - 1;
}

Result<void> LsnTracker::commit_transaction(Lsn end_lsn) {
  if (!open_) {
    return Error{ErrorCode::kMalformedMessage, "Commit arrived without a Begin"};
  }
  open_ = false;
  Entry& entry = entries_.back();
  entry.committed = true;
  entry.end_lsn = end_lsn;
  // A transaction without events behind one still pending adds nothing to wait for: its end
  // becomes the earlier entry's, so a busy database's other transactions cost no memory however
  // long Kafka takes (pgoutput before PostgreSQL 15 sends every transaction, empty or not).
  if (entry.pending == 0 && entries_.size() >= 2) {
    Entry& previous = entries_[entries_.size() - 2];
    if (end_lsn > previous.end_lsn) previous.end_lsn = end_lsn;
    entries_.pop_back();
  }
  pop_done();
  return {};
}

void LsnTracker::event_done(Ticket ticket) {
  OUTBOX_CHECK(ticket >= front_ticket_ && ticket - front_ticket_ < entries_.size() &&
                   entries_[ticket - front_ticket_].pending > 0,
               "a delivery for a transaction that has nothing pending");
  --entries_[ticket - front_ticket_].pending;
  --in_flight_;
  pop_done();
}

PgTimestamp LsnTracker::commit_time(Ticket ticket) const {
  if (ticket < front_ticket_ || ticket - front_ticket_ >= entries_.size()) return {};
  return entries_[ticket - front_ticket_].commit_time;
}

std::optional<PgTimestamp> LsnTracker::oldest_pending_commit_time() const {
  if (entries_.empty()) return std::nullopt;
  return entries_.front().commit_time;
}

void LsnTracker::server_position(Lsn wal_end) {
  // Never while anything is pending or a transaction is open: the server may report a position
  // past the commit of the transaction it is still sending.
  if (entries_.empty() && wal_end > confirmable_) confirmable_ = wal_end;
}

void LsnTracker::pop_done() {
  while (!entries_.empty() && entries_.front().committed && entries_.front().pending == 0) {
    if (entries_.front().end_lsn > confirmable_) confirmable_ = entries_.front().end_lsn;
    entries_.pop_front();
    ++front_ticket_;
  }
}

}  // namespace outbox
