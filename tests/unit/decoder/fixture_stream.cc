#include "tests/unit/decoder/fixture_stream.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>

namespace outbox::testing {

const std::vector<std::string>& fixture_records(const std::string& name) {
  // Loaded once and never freed: decoded views point into these strings.
  static std::map<std::string, std::unique_ptr<std::vector<std::string>>> loaded;
  auto& records = loaded[name];
  if (records) return *records;
  records = std::make_unique<std::vector<std::string>>();
  const std::string path = std::string(OUTBOX_RELAY_FIXTURES_DIR) + "/pgoutput/" + name + ".frames";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ADD_FAILURE() << "cannot read fixture " << path;
    return *records;
  }
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t offset = 0;
  while (offset + 4 <= bytes.size()) {
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + offset);
    const std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                               (std::size_t{p[2]} << 8) | std::size_t{p[3]};
    offset += 4;
    if (length > bytes.size() - offset) {
      ADD_FAILURE() << path << ": record at byte " << offset - 4 << " runs past the end";
      break;
    }
    records->push_back(bytes.substr(offset, length));
    offset += length;
  }
  EXPECT_EQ(offset, bytes.size()) << path << ": trailing bytes";
  return *records;
}

namespace {
OwnedTuple own(Tuple tuple) {
  OwnedTuple owned;
  for (const auto& column : tuple) owned.push_back({column.kind, std::string(column.value)});
  return owned;
}
}  // namespace

FixtureStream replay_fixture(const std::string& name, PgoutputOptions options) {
  FixtureStream stream;
  PgoutputDecoder decoder(options);
  for (const std::string& record : fixture_records(name)) {
    const auto frame = decode_replication_message(record);
    if (!frame.ok()) {
      stream.errors.push_back(frame.error().message());
      continue;
    }
    DecodedFrame decoded;
    if (const auto* keepalive = std::get_if<PrimaryKeepalive>(&*frame)) {
      decoded.frame_type = 'k';
      decoded.keepalive = *keepalive;
      stream.frames.push_back(std::move(decoded));
      continue;
    }
    const auto& xlog = std::get<XLogData>(*frame);
    decoded.frame_type = 'w';
    decoded.xlog = xlog;
    const auto message = decoder.decode(xlog.data);
    if (!message.ok()) {
      stream.errors.push_back(message.error().message());
      continue;
    }
    decoded.message_type = xlog.data[0];
    decoded.message = *message;
    std::visit(
        [&](const auto& m) {
          using T = std::decay_t<decltype(m)>;
          if constexpr (std::is_same_v<T, Insert>) {
            decoded.new_tuple = own(m.new_tuple);
          } else if constexpr (std::is_same_v<T, Update>) {
            decoded.old_tuple = own(m.old_tuple);
            decoded.new_tuple = own(m.new_tuple);
          } else if constexpr (std::is_same_v<T, Delete>) {
            decoded.old_tuple = own(m.old_tuple);
          } else if constexpr (std::is_same_v<T, Relation>) {
            decoded.relation_columns = stream.relations.update(m).columns;
          }
        },
        *message);
    stream.frames.push_back(std::move(decoded));
  }
  return stream;
}

std::string FixtureStream::letters() const {
  std::string text;
  for (const auto& frame : frames) text += frame.frame_type == 'k' ? 'k' : frame.message_type;
  return text;
}

std::string FixtureStream::summary() const {
  std::string text;
  std::string run;
  auto flush = [&] {
    if (run.size() >= 4) {
      text += run[0];
      text += "*" + std::to_string(run.size());
    } else {
      text += run;
    }
    run.clear();
  };
  for (const auto& frame : frames) {
    if (frame.frame_type != 'w') continue;
    if (!run.empty() && run[0] != frame.message_type) flush();
    run += frame.message_type;
  }
  flush();
  return text;
}

}  // namespace outbox::testing
