// What the relay writes to its log: JSON lines when asked, and never a secret.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>

#include "tests/integration/support/json_object.h"
#include "tests/integration/support/relay_fixture.h"
#include "tests/integration/support/services.h"
#include "tests/integration/support/temp_file.h"

namespace outbox::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using namespace std::chrono_literals;

TEST(RelayLogging, NeverPrintsThePasswordOfTheDsnOrOfKafka) {
  // A closed port: the connection fails, and the failure is logged and printed by check.
  const std::string dsn =
      "host=127.0.0.1 port=1 user=someone password=hunter2-dsn dbname=app connect_timeout=2";
  const std::string config = write_temp_file(
      "secret.yaml", "source:\n  dsn: \"" + dsn +
                         "\"\nsink:\n  kafka:\n    bootstrap.servers: \"127.0.0.1:1\"\n"
                         "    sasl.password: hunter2-kafka\n    security.protocol: sasl_plaintext\n"
                         "    sasl.mechanisms: PLAIN\n    sasl.username: someone\n"
                         "metrics:\n  listen: \"\"\nlog:\n  level: debug\n");
  const auto check = run_relay_command({"check", "--config", config});
  EXPECT_EQ(check.status, 1) << check.out << check.err;
  EXPECT_THAT(check.out, HasSubstr("<redacted>"));
  for (const std::string& output : {check.out, check.err}) {
    EXPECT_THAT(output, Not(HasSubstr("hunter2")));
  }

  RelayProcess relay({"run", "--config", config});
  ASSERT_TRUE(relay.wait_for_log("retrying", 30s)) << relay.err();
  relay.signal(SIGTERM);
  ASSERT_TRUE(relay.wait(30s).has_value());
  EXPECT_THAT(relay.err(), Not(HasSubstr("hunter2")));
}

TEST(RelayLogging, JsonFormatWritesOneJsonObjectPerLine) {
  RelayFixture fixture("jsonlog");
  auto relay = fixture.start_relay(fixture.config_file(), {"--set", "log.format=json"});
  fixture.insert_event(event_id(1), "Order", "o-1", "Created", "{}");
  relay->signal(SIGTERM);
  const auto exited = relay->wait(60s);
  ASSERT_TRUE(exited.has_value());
  EXPECT_EQ(*exited, 0);
  std::istringstream lines(relay->err());
  int count = 0;
  bool saw_summary = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    ++count;
    const auto object = parse_json_object(line);
    ASSERT_TRUE(object.has_value()) << "not a JSON object: " << line;
    EXPECT_EQ(object->count("time"), 1u) << line;
    EXPECT_EQ(object->count("level"), 1u) << line;
    EXPECT_EQ(object->count("logger"), 1u) << line;
    EXPECT_EQ(object->count("message"), 1u) << line;
    if (object->count("message") && object->at("message").text == "session ended") {
      saw_summary = true;
    }
  }
  EXPECT_GT(count, 3);
  EXPECT_TRUE(saw_summary) << relay->err();
}

}  // namespace
}  // namespace outbox::testing
