// Replays a golden fixture (tests/fixtures/pgoutput/*.frames, captured from a real server)
// through the decoder and keeps owned copies of what each frame decoded to, so tests can look
// at the whole stream at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "decoder/pgoutput_decoder.h"
#include "decoder/relation_cache.h"
#include "decoder/replication_message.h"

namespace outbox::testing {

struct OwnedColumn {
  TupleColumnKind kind;
  std::string value;
};
using OwnedTuple = std::vector<OwnedColumn>;

struct DecodedFrame {
  char frame_type;  // 'w' or 'k'
  std::optional<XLogData> xlog;
  std::optional<PrimaryKeepalive> keepalive;
  char message_type = 0;  // pgoutput type letter of a 'w' frame
  // The message; its string views point into the fixture (kept alive), its spans do not: use
  // the owned copies below for tuples and relation columns.
  std::optional<PgoutputMessage> message;
  OwnedTuple old_tuple;
  OwnedTuple new_tuple;
  std::vector<CachedColumn> relation_columns;
};

struct FixtureStream {
  std::vector<DecodedFrame> frames;
  std::vector<std::string> errors;  // one per frame that failed to decode
  RelationCache relations;

  // The pgoutput letters of the 'w' frames and 'k' for keepalives, in order.
  std::string letters() const;
  // Letters of 'w' frames only, with runs of 4 or more of the same letter written "I*2000".
  std::string summary() const;

  template <typename T>
  std::vector<const DecodedFrame*> all() const {
    std::vector<const DecodedFrame*> found;
    for (const auto& frame : frames) {
      if (frame.message && std::holds_alternative<T>(*frame.message)) found.push_back(&frame);
    }
    return found;
  }
};

// The raw records of a fixture file (each one CopyData payload); empty and a test failure when
// it cannot be read.
const std::vector<std::string>& fixture_records(const std::string& name);

// Decodes every record of the fixture `name` with `options`.
FixtureStream replay_fixture(const std::string& name, PgoutputOptions options);

}  // namespace outbox::testing
