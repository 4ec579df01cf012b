// The routing.topic template: the topic name of an event, from its aggregate type and event type.
//
// Placeholders are {aggregate_type}, {aggregate_type_lower} (ASCII letters lower-cased, other
// bytes unchanged) and {event_type}, spelled exactly so. config/ refuses a template with any other
// placeholder or with a '{' left open before the relay starts; should one get here anyway, it is
// copied into the topic as written. The result is not checked against Kafka's naming rule: an
// aggregate type may hold characters a topic name may not, and the caller (OutboxMapper::map)
// refuses such a row.
#pragma once

#include <string>
#include <string_view>

namespace outbox {

std::string expand_topic_template(std::string_view topic_template, std::string_view aggregate_type,
                                  std::string_view event_type);

// Whether the template's topics depend on the event type (so topics cannot be cached by aggregate
// type alone).
bool topic_template_uses_event_type(std::string_view topic_template);

}  // namespace outbox
