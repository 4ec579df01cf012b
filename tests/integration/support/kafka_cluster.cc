#include "tests/integration/support/kafka_cluster.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/integration/support/private_services.h"
#include "tests/integration/support/services.h"

namespace outbox::testing {

KafkaCluster::KafkaCluster(const std::string& name) {
  state_ = (std::filesystem::path(OUTBOX_RELAY_BUILD_DIR) / "kafka-cluster" / unique_name(name))
               .string();
  std::string output;
  if (!script("up", &output)) return;
  const std::string key = "export KAFKA_CLUSTER_BOOTSTRAP=";
  const auto at = output.find(key);
  if (at != std::string::npos) {
    const auto start = at + key.size();
    bootstrap_ = output.substr(start, output.find('\n', start) - start);
  }
  ok_ = !bootstrap_.empty();
  EXPECT_TRUE(ok_) << output;
}

KafkaCluster::~KafkaCluster() {
  script("destroy");
  std::error_code ignored;
  std::filesystem::remove_all(state_, ignored);
}

bool KafkaCluster::script(const std::string& command, std::string* output) {
  std::string text;
  const int status = run_shell(std::string(OUTBOX_RELAY_SOURCE_DIR) +
                                   "/scripts/kafka-cluster --state " + state_ + " " + command,
                               &text, 180);
  if (output != nullptr) *output = text;
  EXPECT_EQ(status, 0) << "scripts/kafka-cluster " << command << ":\n" << text;
  return status == 0;
}

bool KafkaCluster::kill(int node) { return script("kill " + std::to_string(node)); }
bool KafkaCluster::stop(int node) { return script("stop " + std::to_string(node)); }
bool KafkaCluster::start(int node) { return script("start " + std::to_string(node)); }

std::optional<int> KafkaCluster::leader(const std::string& topic, int partition) {
  std::string output;
  if (!script("leader " + topic + " " + std::to_string(partition), &output)) return std::nullopt;
  try {
    const int node = std::stoi(output);
    if (node >= 1 && node <= 3) return node;
  } catch (const std::exception&) {
  }
  ADD_FAILURE() << "no leader for " << topic << "/" << partition << ": " << output;
  return std::nullopt;
}

}  // namespace outbox::testing
