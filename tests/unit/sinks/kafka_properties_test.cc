#include "sinks/kafka_properties.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <map>
#include <string>

namespace outbox::kafka {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

using Properties = std::map<std::string, std::string>;

const Properties kBroker{{"bootstrap.servers", "127.0.0.1:9092"}};

Properties with(Properties extra) {
  extra.insert(kBroker.begin(), kBroker.end());
  return extra;
}

std::string get(const ProducerConf& conf, const char* name) {
  char value[512];
  std::size_t size = sizeof value;
  EXPECT_EQ(rd_kafka_conf_get(conf.conf.get(), name, value, &size), RD_KAFKA_CONF_OK) << name;
  return value;
}

std::string error_of(const Result<ProducerConf>& conf) {
  EXPECT_FALSE(conf.ok());
  if (conf.ok()) return {};
  EXPECT_EQ(conf.error().code(), ErrorCode::kInvalidConfig);
  return conf.error().message();
}

TEST(KafkaProperties, AppliesTheRelayDefaultsWhenTheOperatorSetsNone) {
  const auto conf = make_producer_conf(kBroker);
  ASSERT_TRUE(conf.ok()) << conf.error().message();
  EXPECT_EQ(get(*conf, "enable.idempotence"), "true");
  EXPECT_EQ(get(*conf, "acks"), "-1");  // librdkafka's spelling of all
  EXPECT_EQ(get(*conf, "message.timeout.ms"), "0");
  EXPECT_EQ(get(*conf, "queue.buffering.max.messages"), "1000000");
  EXPECT_EQ(get(*conf, "socket.nagle.disable"), "true");
  EXPECT_TRUE(conf->warnings.empty());
  EXPECT_EQ(conf->bootstrap_servers, "127.0.0.1:9092");
  EXPECT_EQ(conf->message_max_bytes, 1'000'000);
}

TEST(KafkaProperties, PassesOperatorPropertiesThroughVerbatim) {
  const auto conf = make_producer_conf(
      with({{"linger.ms", "20"}, {"compression.type", "zstd"}, {"message.max.bytes", "10000"}}));
  ASSERT_TRUE(conf.ok()) << conf.error().message();
  EXPECT_EQ(get(*conf, "linger.ms"), "20");
  EXPECT_EQ(get(*conf, "compression.type"), "zstd");
  EXPECT_EQ(conf->message_max_bytes, 10'000);
}

TEST(KafkaProperties, SettingADefaultToWhatItAlreadyMeansIsNoOverride) {
  const auto conf = make_producer_conf(
      with({{"acks", "-1"}, {"enable.idempotence", "T"}, {"delivery.timeout.ms", "0"}}));
  ASSERT_TRUE(conf.ok()) << conf.error().message();
  EXPECT_TRUE(conf->warnings.empty()) << conf->warnings.front();
}

TEST(KafkaProperties, WarnsOncePerOverriddenGuaranteeNamingItAndTheConsequence) {
  const auto conf = make_producer_conf(with({{"request.required.acks", "1"},
                                             {"enable.idempotence", "false"},
                                             {"delivery.timeout.ms", "30000"}}));
  ASSERT_TRUE(conf.ok()) << conf.error().message();
  ASSERT_EQ(conf->warnings.size(), 3u);
  EXPECT_EQ(conf->warnings[0].rfind("enable.idempotence=false overrides the relay's default "
                                    "enable.idempotence=true: ",
                                    0),
            0u)
      << conf->warnings[0];
  EXPECT_EQ(conf->warnings[1].rfind("request.required.acks=1 overrides the relay's default "
                                    "acks=all: ",
                                    0),
            0u)
      << conf->warnings[1];
  EXPECT_THAT(conf->warnings[1], HasSubstr("lose events"));
  EXPECT_EQ(conf->warnings[2].rfind("delivery.timeout.ms=30000 overrides the relay's default "
                                    "message.timeout.ms=0: ",
                                    0),
            0u)
      << conf->warnings[2];
  EXPECT_EQ(get(*conf, "acks"), "1");
  EXPECT_EQ(get(*conf, "message.timeout.ms"), "30000");
}

TEST(KafkaProperties, ATuningDefaultIsOverriddenSilently) {
  const auto conf = make_producer_conf(with({{"queue.buffering.max.messages", "5"}}));
  ASSERT_TRUE(conf.ok()) << conf.error().message();
  EXPECT_EQ(get(*conf, "queue.buffering.max.messages"), "5");
  EXPECT_TRUE(conf->warnings.empty());
}

TEST(KafkaProperties, AnUnknownPropertyIsAnErrorNamingIt) {
  const auto message = error_of(make_producer_conf(with({{"no.such.property", "x"}})));
  EXPECT_THAT(message, HasSubstr("\"no.such.property\""));
}

TEST(KafkaProperties, AnInvalidValueIsAnErrorNamingThePropertyButNotTheValue) {
  const auto message =
      error_of(make_producer_conf(with({{"socket.timeout.ms", "secret-looking-value"}})));
  EXPECT_THAT(message, HasSubstr("\"socket.timeout.ms\""));
  EXPECT_THAT(message, Not(HasSubstr("secret-looking-value")));
}

TEST(KafkaProperties, AcksOtherThanAllWithoutDisablingIdempotenceSaysWhatToSet) {
  const auto message = error_of(make_producer_conf(with({{"acks", "1"}})));
  EXPECT_THAT(message, HasSubstr("acks=1 needs enable.idempotence=false"));
}

TEST(KafkaProperties, RefusesPropertiesThatBreakTheDeliveryContract) {
  EXPECT_THAT(error_of(make_producer_conf(with({{"transactional.id", "x"}}))),
              HasSubstr("\"transactional.id\" is the relay's to set"));
  EXPECT_THAT(error_of(make_producer_conf(with({{"delivery.report.only.error", "true"}}))),
              HasSubstr("\"delivery.report.only.error\" cannot be true"));
  EXPECT_TRUE(make_producer_conf(with({{"delivery.report.only.error", "false"}})).ok());
}

TEST(KafkaProperties, ABrokerListIsRequiredUnlessTheMockClusterIsAsked) {
  EXPECT_THAT(error_of(make_producer_conf({})), HasSubstr("\"bootstrap.servers\" is not set"));
  const auto conf = make_producer_conf({{"metadata.broker.list", "h:1"}});
  ASSERT_TRUE(conf.ok()) << conf.error().message();
  EXPECT_EQ(conf->bootstrap_servers, "h:1");
  EXPECT_TRUE(make_producer_conf({{"test.mock.num.brokers", "1"}}).ok());
}

}  // namespace
}  // namespace outbox::kafka
