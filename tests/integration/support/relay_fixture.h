// A database of its own with the outbox migrated, a relay configuration pointing at it and at
// topics no other test uses, for relay integration tests.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/support/pg.h"
#include "tests/integration/support/relay_process.h"

namespace outbox::testing {

class RelayFixture {
 public:
  // `extra_yaml` is appended to the generated configuration's sections: pass whole top-level
  // sections only for keys the fixture does not set (see config()).
  explicit RelayFixture(const std::string& name);

  const std::string& database() const { return database_.name(); }
  const std::string& slot() const { return slot_; }
  // Topics are "<prefix>.<aggregate type lower-cased>.events".
  const std::string& topic_prefix() const { return prefix_; }
  std::string topic(const std::string& aggregate_type_lower) const {
    return prefix_ + "." + aggregate_type_lower + ".events";
  }
  // The topic the default template routes `aggregate_type` to (its lower-cased form).
  std::string topic_of_type(const std::string& aggregate_type) const;
  std::string dsn() const;

  // The YAML configuration; `sink_extra` lines go under `sink:` (indented by the caller's
  // two spaces), `kafka_extra` lines under `sink.kafka:`.
  std::string config(const std::string& sink_extra = {}, const std::string& kafka_extra = {},
                     const std::string& routing_extra = {}) const;
  // Writes config(...) to a file and returns its path.
  std::string config_file(const std::string& sink_extra = {}, const std::string& kafka_extra = {},
                          const std::string& routing_extra = {}) const;

  // Starts `outbox-relay run --config <file>` and waits until it streams.
  std::unique_ptr<RelayProcess> start_relay(const std::string& config_path,
                                            std::vector<std::string> extra_args = {});

  PgSession& sql() { return *session_; }

  // Inserts one outbox row (payload is JSON text) in its own transaction.
  void insert_event(const std::string& id, const std::string& aggregate_type,
                    const std::string& aggregate_id, const std::string& event_type,
                    const std::string& payload);

  // The slot's confirmed_flush_lsn as text.
  std::string confirmed_lsn();
  // Whether the slot's confirmed_flush_lsn is at or past `lsn` (pg_lsn text).
  bool slot_confirmed_at_least(const std::string& lsn);

 private:
  ScratchDatabase database_;
  std::string slot_;
  std::string prefix_;
  std::unique_ptr<PgSession> session_;
};

// A fresh UUID-shaped id: n as the last 12 hex digits.
std::string event_id(long n);

}  // namespace outbox::testing
