// Decodes pgoutput messages: bytes in, typed messages out. No I/O, no allocation per message
// once the scratch space has grown to the widest tuple seen.
#pragma once

#include <string_view>
#include <vector>

#include "common/result.h"
#include "decoder/pgoutput_message.h"

namespace outbox {

struct PgoutputOptions {
  // The proto_version given to START_REPLICATION. Messages the version does not allow (stream
  // messages before 2, two-phase messages before 3) are errors.
  int protocol_version = 1;
  // streaming 'parallel' (protocol 4): Stream Abort then carries the abort LSN and time.
  bool parallel_streaming = false;
};

class PgoutputDecoder {
 public:
  explicit PgoutputDecoder(PgoutputOptions options = {}) : options_(options) {}

  // Decodes one message: the payload of one XLogData. On success the message's views point into
  // `bytes` and into this decoder, and stay valid until the next call. Truncated or malformed
  // input, trailing bytes and unknown types are errors naming the message type, the byte offset
  // and what was expected; a failed call changes no state.
  Result<PgoutputMessage> decode(std::string_view bytes);

  // Between Stream Start and Stream Stop, where messages carry their transaction's xid.
  bool in_stream_block() const { return in_stream_block_; }

  const PgoutputOptions& options() const { return options_; }

 private:
  PgoutputOptions options_;
  bool in_stream_block_ = false;
  std::vector<TupleColumn> old_columns_;
  std::vector<TupleColumn> new_columns_;
  std::vector<RelationColumn> relation_columns_;
};

}  // namespace outbox
