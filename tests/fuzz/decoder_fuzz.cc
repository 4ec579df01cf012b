// libFuzzer target for the decoder's entry points.
//
// An input is a sequence of replication frames in the fixture format (a 4-byte big-endian
// length, then that many bytes of CopyData payload), so the captured fixtures seed it as they
// are. Every frame goes through the framing decoder; every XLogData payload through pgoutput
// decoders of all four protocol versions, a relation cache and the outbox row view, with state
// carried from frame to frame within one input as the relay carries it within one stream.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "decoder/outbox_row.h"
#include "decoder/pgoutput_decoder.h"
#include "decoder/relation_cache.h"
#include "decoder/replication_message.h"

namespace {

using namespace outbox;

struct Pipeline {
  explicit Pipeline(PgoutputOptions options) : decoder(options) {}

  void feed(std::string_view payload) {
    const auto message = decoder.decode(payload);
    if (!message.ok()) return;
    if (const auto* relation = std::get_if<Relation>(&*message)) {
      const auto& cached = relations.update(*relation);
      auto layout = OutboxLayout::from_relation(cached, OutboxColumnNames{});
      if (layout.ok()) {
        layouts.insert_or_assign(relation->relation_id, std::move(layout).value());
      } else {
        layouts.erase(relation->relation_id);
      }
    } else if (const auto* insert = std::get_if<Insert>(&*message)) {
      const auto layout = layouts.find(insert->relation_id);
      if (layout == layouts.end()) return;
      const auto row = read_outbox_row(layout->second, insert->new_tuple);
      if (row.ok()) {
        // Touch every byte the view hands out, so a bad view shows up under ASan.
        volatile char sink = 0;
        for (std::string_view field :
             {row->id, row->aggregate_type, row->aggregate_id, row->event_type, row->payload}) {
          for (char c : field) sink = static_cast<char>(sink ^ c);
        }
        if (row->created_at) {
          for (char c : *row->created_at) sink = static_cast<char>(sink ^ c);
        }
      }
    }
  }

  PgoutputDecoder decoder;
  RelationCache relations;
  std::unordered_map<std::uint32_t, OutboxLayout> layouts;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Pipeline pipelines[] = {Pipeline({1, false}), Pipeline({2, false}), Pipeline({3, false}),
                          Pipeline({4, true})};
  while (input.size() >= 4) {
    const auto* p = reinterpret_cast<const unsigned char*>(input.data());
    const std::size_t length = (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) |
                               (std::size_t{p[2]} << 8) | std::size_t{p[3]};
    input.remove_prefix(4);
    const std::string_view frame = input.substr(0, length);
    input.remove_prefix(frame.size());
    const auto message = decode_replication_message(frame);
    if (!message.ok()) continue;
    if (const auto* xlog = std::get_if<XLogData>(&*message)) {
      for (auto& pipeline : pipelines) pipeline.feed(xlog->data);
    }
  }
  return 0;
}
