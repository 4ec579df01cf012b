// The stdout sink, for demos and debugging: each record becomes one JSON line,
//
//   {"topic":"order.events","key":"42","value":"{\"total\":
//   10}","headers":{"id":"..."},"timestamp":1767312000000}
//
// written and flushed in publish(). The value is a JSON string holding the payload text exactly
// (not embedded JSON), so any payload round-trips. A zero timestamp becomes the current time.
// Delivery reports are ready as soon as publish() returns (wakeup_fd() is -1): delivered, or not
// with the write's errno text. It never reports kQueueFull, and probe() always succeeds.
#pragma once

#include <cstdio>
#include <memory>

#include "sinks/sink.h"

namespace outbox {

// `out` is not owned and must outlive the sink.
std::unique_ptr<Sink> make_stdout_sink(std::FILE* out = stdout);

}  // namespace outbox
