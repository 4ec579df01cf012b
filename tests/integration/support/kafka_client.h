// What every librdkafka client of the tests needs: ownership of the handle and configuration
// that fails the test, naming the property, when librdkafka refuses it.
#pragma once

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <memory>
#include <string>

namespace outbox::testing {

struct KafkaDeleter {
  void operator()(rd_kafka_t* kafka) const { rd_kafka_destroy(kafka); }
};
using KafkaPtr = std::unique_ptr<rd_kafka_t, KafkaDeleter>;

// Sets one property on `conf`; a test failure when librdkafka refuses it.
inline void set_property(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK) {
    ADD_FAILURE() << name << ": " << error;
  }
}

}  // namespace outbox::testing
