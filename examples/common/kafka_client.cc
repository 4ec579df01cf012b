#include "examples/common/kafka_client.h"

#include <stdexcept>

namespace examples {

KafkaPtr make_client(rd_kafka_type_t type, const std::map<std::string, std::string>& settings,
                     DeliveryCallback on_delivery, void* opaque) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char error[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error("kafka setting " + name + ": " + error);
    }
  }
  if (on_delivery != nullptr) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  if (opaque != nullptr) rd_kafka_conf_set_opaque(conf, opaque);
  rd_kafka_t* kafka = rd_kafka_new(type, conf, error, sizeof error);  // owns conf on success
  if (kafka == nullptr) {
    rd_kafka_conf_destroy(conf);
    throw std::runtime_error(std::string("kafka client: ") + error);
  }
  return KafkaPtr(kafka);
}

}  // namespace examples
