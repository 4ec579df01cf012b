#include "tests/integration/support/relay_fixture.h"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>

#include "tests/integration/support/relay_config.h"
#include "tests/integration/support/services.h"
#include "tests/integration/support/temp_file.h"

namespace outbox::testing {

std::string event_id(long n) {
  char id[40];
  std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012lx", n);
  return id;
}

RelayFixture::RelayFixture(const std::string& name)
    : database_(name), slot_(unique_name("slot")), prefix_(unique_name(name)) {
  // Without the slot: the tests see `run` create it (see RelayMapping for migrate creating it).
  const auto migrated = run_relay_command(
      {"migrate", "--config", config_file(), "--set", "source.create_slot=false"});
  EXPECT_EQ(migrated.status, 0) << migrated.out << migrated.err;
  session_ = std::make_unique<PgSession>(database_.name());
}

std::string RelayFixture::dsn() const { return services().pg_conninfo(database_.name()); }

std::string RelayFixture::config(const std::string& sink_extra, const std::string& kafka_extra,
                                 const std::string& routing_extra) const {
  return relay_config({dsn(), slot_, prefix_, services().kafka_bootstrap}, sink_extra, kafka_extra,
                      routing_extra);
}

std::string RelayFixture::config_file(const std::string& sink_extra, const std::string& kafka_extra,
                                      const std::string& routing_extra) const {
  return write_temp_file(prefix_ + ".yaml", config(sink_extra, kafka_extra, routing_extra));
}

std::unique_ptr<RelayProcess> RelayFixture::start_relay(const std::string& config_path,
                                                        std::vector<std::string> extra_args) {
  return start_streaming_relay(config_path, std::move(extra_args));
}

void RelayFixture::insert_event(const std::string& id, const std::string& aggregate_type,
                                const std::string& aggregate_id, const std::string& event_type,
                                const std::string& payload) {
  session_->exec(
      "INSERT INTO outbox_events (id, aggregate_type, aggregate_id, event_type, payload) VALUES "
      "('" +
      id + "', '" + aggregate_type + "', '" + aggregate_id + "', '" + event_type + "', '" +
      payload + "')");
}

std::string RelayFixture::topic_of_type(const std::string& aggregate_type) const {
  std::string lowered = aggregate_type;
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return topic(lowered);
}

bool RelayFixture::slot_confirmed_at_least(const std::string& lsn) {
  const auto values = session_->column(
      "SELECT coalesce(confirmed_flush_lsn >= '" + lsn +
      "'::pg_lsn, false)::text FROM pg_replication_slots WHERE slot_name = '" + slot_ + "'");
  return values.size() == 1 && values[0] == "true";
}

std::string RelayFixture::confirmed_lsn() {
  const auto values = session_->column(
      "SELECT coalesce(confirmed_flush_lsn::text, '') FROM pg_replication_slots WHERE slot_name = "
      "'" +
      slot_ + "'");
  return values.empty() ? std::string() : values.front();
}

}  // namespace outbox::testing
