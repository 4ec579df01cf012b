#include "relay/topic_template.h"

#include <cctype>

namespace outbox {

std::string expand_topic_template(std::string_view topic_template, std::string_view aggregate_type,
                                  std::string_view event_type) {
  std::string topic;
  topic.reserve(topic_template.size() + aggregate_type.size());
  std::size_t pos = 0;
  while (pos < topic_template.size()) {
    const auto open = topic_template.find('{', pos);
    if (open == std::string_view::npos) break;
    const auto close = topic_template.find('}', open);
    if (close == std::string_view::npos) break;
    topic.append(topic_template.substr(pos, open - pos));
    const auto name = topic_template.substr(open + 1, close - open - 1);
    if (name == "aggregate_type") {
      topic.append(aggregate_type);
    } else if (name == "aggregate_type_lower") {
      for (char c : aggregate_type) {
        topic += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    } else if (name == "event_type") {
      topic.append(event_type);
    } else {
      topic.append(topic_template.substr(open, close - open + 1));  // validated by config/
    }
    pos = close + 1;
  }
  topic.append(topic_template.substr(pos));
  return topic;
}

bool topic_template_uses_event_type(std::string_view topic_template) {
  return topic_template.find("{event_type}") != std::string_view::npos;
}

}  // namespace outbox
