#include "relay/topic_template.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "decoder/relation_cache.h"
#include "relay/outbox_mapper.h"

namespace outbox {
namespace {

TEST(TopicTemplate, PutsTheAggregateTypeInAsWritten) {
  EXPECT_EQ(expand_topic_template("{aggregate_type}", "OrderLine", "Created"), "OrderLine");
}

TEST(TopicTemplate, LowerCasesTheAggregateTypeForItsLowerPlaceholder) {
  EXPECT_EQ(expand_topic_template("{aggregate_type_lower}.events", "OrderLine", "Created"),
            "orderline.events");
}

TEST(TopicTemplate, PutsTheEventTypeInAsWrittenWithoutLowerCasingIt) {
  EXPECT_EQ(expand_topic_template("{event_type}", "Order", "OrderCreated"), "OrderCreated");
}

TEST(TopicTemplate, KeepsTheTextBeforeBetweenAndAfterPlaceholders) {
  EXPECT_EQ(expand_topic_template("shop.{aggregate_type_lower}-{event_type}.v1", "Order", "Paid"),
            "shop.order-Paid.v1");
}

TEST(TopicTemplate, ExpandsAPlaceholderEveryTimeItAppears) {
  EXPECT_EQ(expand_topic_template("{aggregate_type}.{aggregate_type_lower}.{aggregate_type}",
                                  "Order", ""),
            "Order.order.Order");
}

TEST(TopicTemplate, ATemplateWithoutPlaceholdersIsTheTopicItself) {
  EXPECT_EQ(expand_topic_template("all.events", "Order", "Created"), "all.events");
}

TEST(TopicTemplate, AnEmptyAggregateTypeLeavesOnlyTheText) {
  EXPECT_EQ(expand_topic_template("{aggregate_type_lower}.events", "", "Created"), ".events");
}

TEST(TopicTemplate, CopiesAnUnknownPlaceholderAsWritten) {
  EXPECT_EQ(expand_topic_template("{nope}.{aggregate_type}", "Order", "Created"), "{nope}.Order");
  EXPECT_EQ(expand_topic_template("{}.{aggregate_type}", "Order", "Created"), "{}.Order");
}

TEST(TopicTemplate, PlaceholderNamesAreCaseSensitive) {
  EXPECT_EQ(expand_topic_template("{Aggregate_Type}.{EVENT_TYPE}", "Order", "Created"),
            "{Aggregate_Type}.{EVENT_TYPE}");
}

TEST(TopicTemplate, CopiesAnUnclosedBraceAndEverythingAfterItAsWritten) {
  EXPECT_EQ(expand_topic_template("{aggregate_type}.{event_type", "Order", "Created"),
            "Order.{event_type");
  EXPECT_EQ(expand_topic_template("events.{", "Order", "Created"), "events.{");
}

TEST(TopicTemplate, ABraceInsideAPlaceholderMakesItUnknown) {
  // The name runs from the first '{' to the next '}', so "x{aggregate_type" is not a placeholder.
  EXPECT_EQ(expand_topic_template("{x{aggregate_type}.events", "Order", "Created"),
            "{x{aggregate_type}.events");
}

TEST(TopicTemplate, LowerCasesAsciiLettersOnly) {
  // "ÄB-1_X" in UTF-8: the two bytes of Ä pass through unchanged.
  EXPECT_EQ(expand_topic_template("{aggregate_type_lower}",
                                  "\xC3\x84"
                                  "B-1_X",
                                  ""),
            "\xC3\x84"
            "b-1_x");
}

TEST(TopicTemplate, DoesNotCheckTheResultAgainstKafkasNamingRule) {
  EXPECT_EQ(expand_topic_template("{aggregate_type}.events", "Order Line", "Created"),
            "Order Line.events");
}

TEST(TopicTemplate, KnowsWhetherTopicsDependOnTheEventType) {
  EXPECT_TRUE(topic_template_uses_event_type("{aggregate_type_lower}.{event_type}"));
  EXPECT_FALSE(topic_template_uses_event_type("{aggregate_type_lower}.events"));
  EXPECT_FALSE(topic_template_uses_event_type("{Event_Type}"));
}

// The mapper applies the template to outbox rows, and refuses a row whose topic Kafka would
// refuse.
class TopicTemplateRouting : public ::testing::Test {
 protected:
  // The mapper stays in place: the record's views point into it.
  OutboxMapper& mapper_with(const std::string& topic_template) {
    Config config;
    config.routing.topic = topic_template;
    OutboxMapper& mapper = mapper_.emplace(config);
    relation_.relation_id = 7;
    relation_.namespace_name = "public";
    relation_.relation_name = "outbox_events";
    for (const char* name :
         {"id", "aggregate_type", "aggregate_id", "event_type", "payload", "created_at"}) {
      relation_.columns.push_back({name, 25, -1, false});
    }
    EXPECT_TRUE(mapper.on_relation(relation_).ok());
    return mapper;
  }

  std::vector<TupleColumn> row(std::string_view aggregate_type, std::string_view event_type) {
    return {{TupleColumnKind::Text, "e-1"},       {TupleColumnKind::Text, aggregate_type},
            {TupleColumnKind::Text, "42"},        {TupleColumnKind::Text, event_type},
            {TupleColumnKind::Text, "{\"a\":1}"}, {TupleColumnKind::Null, {}}};
  }

  CachedRelation relation_;
  std::optional<OutboxMapper> mapper_;
};

TEST_F(TopicTemplateRouting, RoutesARowToTheExpandedTopic) {
  auto& mapper = mapper_with("shop.{aggregate_type_lower}.events");
  const auto columns = row("Order", "Created");
  const auto event = mapper.map(columns, 0);
  ASSERT_TRUE(event.ok()) << event.error().message();
  EXPECT_EQ(event->record.topic, "shop.order.events");
}

TEST_F(TopicTemplateRouting, RoutesEventTypesOfOneAggregateToTheirOwnTopics) {
  auto& mapper = mapper_with("{aggregate_type_lower}.{event_type}");
  const auto created = row("Order", "Created");
  const auto paid = row("Order", "Paid");
  const auto first = mapper.map(created, 0);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(first->record.topic, "order.Created");
  const auto second = mapper.map(paid, 0);
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(second->record.topic, "order.Paid");
}

TEST_F(TopicTemplateRouting, RefusesARowWhoseTopicIsNotAValidKafkaName) {
  auto& mapper = mapper_with("{aggregate_type}.events");
  const auto columns = row("Order Line", "Created");
  const auto event = mapper.map(columns, 0);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.error().code(), ErrorCode::kInvalidOutboxRow);
  EXPECT_NE(event.error().message().find("\"Order Line.events\", which is not a valid Kafka topic"),
            std::string::npos)
      << event.error().message();
  // What the row would route to stays known, for the log line and a dead letter.
  EXPECT_EQ(mapper.salvage(columns, 0).record.topic, "Order Line.events");
}

TEST_F(TopicTemplateRouting, RefusesATopicLongerThanKafkaAllows) {
  auto& mapper = mapper_with("{aggregate_type}.events");
  const std::string long_type(249, 'a');
  const auto columns = row(long_type, "Created");
  const auto event = mapper.map(columns, 0);
  ASSERT_FALSE(event.ok());
  EXPECT_EQ(event.error().code(), ErrorCode::kInvalidOutboxRow);
}

}  // namespace
}  // namespace outbox
