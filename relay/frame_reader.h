// One replication frame to what the session acts on: a keepalive, a transaction boundary or a
// Relation (kept here and in the tracker), or an outbox row to publish. Owns the decoder, the
// relation cache and the outbox mapper; adds each outbox row's event to the LSN tracker's open
// transaction.
//
// Views: an event's topic, key, value and headers point into the frame it came from and into the
// mapper (the topic name and the header list), so they stay valid until the next read(). A
// session that keeps an event across loop turns (a stalled record) reads no frame meanwhile.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/lsn.h"
#include "common/result.h"
#include "config/config.h"
#include "decoder/pgoutput_decoder.h"
#include "decoder/relation_cache.h"
#include "decoder/replication_message.h"
#include "relay/lsn_tracker.h"
#include "relay/outbox_mapper.h"

namespace outbox {

struct FrameContent {
  enum class Kind {
    kNothing,     // nothing to publish
    kEvent,       // `event` is to be published
    kUnroutable,  // the row cannot become a record (`why`); `event` is what it does carry
  };
  Kind kind = Kind::kNothing;
  MappedEvent event;
  LsnTracker::Ticket transaction = 0;  // the tracker's, for an event or an unroutable row
  std::string why;
  bool reply_requested = false;  // a keepalive asked for a status update now
};

class FrameReader {
 public:
  FrameReader(const Config& config, LsnTracker& tracker);

  // Errors are the stream's (kMalformedMessage, kUnknownMessage) or the outbox table's
  // (kInvalidOutboxRow: a column missing), with the position they happened at.
  Result<FrameContent> read(std::string_view frame);

  // The furthest WAL position received, and the server's WAL end as last reported.
  Lsn received() const { return received_; }
  Lsn server_end() const { return server_end_; }
  // The open (or last) transaction's commit time, Unix milliseconds.
  std::int64_t commit_time_ms() const { return commit_time_ms_; }
  std::uint64_t transactions() const { return transactions_; }

 private:
  Result<FrameContent> on_message(const PgoutputMessage& message);
  Result<FrameContent> on_insert(const Insert& insert);

  LsnTracker& tracker_;
  PgoutputDecoder decoder_;
  RelationCache relations_;
  OutboxMapper mapper_;
  Lsn received_;
  Lsn server_end_;
  std::int64_t commit_time_ms_ = 0;
  std::uint64_t transactions_ = 0;
};

}  // namespace outbox
