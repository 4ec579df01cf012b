// The logical replication stream as the session sees it: CopyData frames in, standby status
// updates out, a socket to poll, never blocking. relay/pg_replication_stream.h is the libpq one;
// unit tests script their own.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "common/result.h"
#include "decoder/replication_message.h"

namespace outbox {

// One CopyData frame, owning its bytes. Views decoded from it (a mapped event's topic, key,
// value and headers) are valid while the frame lives.
class ReplicationFrame {
 public:
  using Release = void (*)(void*);

  ReplicationFrame() = default;
  ReplicationFrame(char* data, std::size_t size, Release release)
      : data_(data, release), size_(size) {}

  std::string_view bytes() const { return {data_.get(), size_}; }

 private:
  static void release_nothing(void*) {}
  std::unique_ptr<char, Release> data_{nullptr, &release_nothing};
  std::size_t size_ = 0;
};

class ReplicationStream {
 public:
  enum class ReadStatus { kFrame, kNeedInput, kEnded };

  virtual ~ReplicationStream() = default;

  // The descriptor to poll: readable when frames may be waiting, writable when queued output
  // can go. -1 when there is none (a scripted stream).
  virtual int socket() const = 0;

  // The next complete frame already received, if any: kFrame with `frame` set, kNeedInput when
  // the socket must be read first, kEnded when the server ended the stream. Errors carry the
  // code that says what the relay does (a lost connection is kConnectionLost).
  virtual Result<ReadStatus> next_frame(ReplicationFrame& frame) = 0;

  // Reads what the socket has (call when poll says readable).
  virtual Result<void> consume_input() = 0;

  // Queues a standby status update and sends what it can.
  virtual Result<void> send_status(const StandbyStatusUpdate& update) = 0;

  // True while queued output waits for the socket to become writable.
  virtual bool wants_write() const = 0;
  // Sends queued output (call when poll says writable).
  virtual Result<void> flush() = 0;
};

}  // namespace outbox
