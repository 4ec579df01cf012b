#include "config/names.h"

#include <gtest/gtest.h>

#include <string>

namespace outbox {
namespace {

TEST(SlotNames, FollowPostgresqlsRule) {
  EXPECT_TRUE(is_valid_slot_name("outbox_relay"));
  EXPECT_TRUE(is_valid_slot_name("0_slot_9"));
  EXPECT_TRUE(is_valid_slot_name(std::string(63, 'a')));
  EXPECT_FALSE(is_valid_slot_name(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_slot_name(""));
  EXPECT_FALSE(is_valid_slot_name("Outbox"));
  EXPECT_FALSE(is_valid_slot_name("outbox-relay"));
  EXPECT_FALSE(is_valid_slot_name("outbox.relay"));
}

TEST(Identifiers, StartWithALetterOrUnderscore) {
  EXPECT_TRUE(is_valid_identifier("outbox_pub"));
  EXPECT_TRUE(is_valid_identifier("_Outbox$1"));
  EXPECT_FALSE(is_valid_identifier("1pub"));
  EXPECT_FALSE(is_valid_identifier("$pub"));
  EXPECT_FALSE(is_valid_identifier(""));
  EXPECT_FALSE(is_valid_identifier("out box"));
  EXPECT_FALSE(is_valid_identifier(std::string(64, 'a')));
}

TEST(KafkaTopicNames, FollowKafkasRule) {
  EXPECT_TRUE(is_valid_kafka_topic("order.events"));
  EXPECT_TRUE(is_valid_kafka_topic("Order_Events-v1"));
  EXPECT_TRUE(is_valid_kafka_topic("..."));
  EXPECT_TRUE(is_valid_kafka_topic(std::string(249, 't')));
  EXPECT_FALSE(is_valid_kafka_topic(std::string(250, 't')));
  EXPECT_FALSE(is_valid_kafka_topic(""));
  EXPECT_FALSE(is_valid_kafka_topic("."));
  EXPECT_FALSE(is_valid_kafka_topic(".."));
  EXPECT_FALSE(is_valid_kafka_topic("order events"));
  EXPECT_FALSE(is_valid_kafka_topic("orders/v1"));
}

}  // namespace
}  // namespace outbox
