// A three-node Kafka cluster of a test's own (scripts/kafka-cluster: replication factor 3,
// min.insync.replicas 2, on free ports), whose nodes the test kills, stops and starts.
// Destroyed, data and all, with the object.
#pragma once

#include <optional>
#include <string>

namespace outbox::testing {

class KafkaCluster {
 public:
  explicit KafkaCluster(const std::string& name);
  ~KafkaCluster();
  KafkaCluster(const KafkaCluster&) = delete;
  KafkaCluster& operator=(const KafkaCluster&) = delete;

  bool ok() const { return ok_; }
  // host:port of every node, comma-separated.
  const std::string& bootstrap() const { return bootstrap_; }

  // kill -9, a controlled stop, and a start (on the same ports, with its data) of node 1..3.
  // Each returns false (and fails the test) when the script does.
  bool kill(int node);
  bool stop(int node);
  bool start(int node);
  // The node that leads the partition now, as the cluster's metadata says.
  std::optional<int> leader(const std::string& topic, int partition);

 private:
  bool script(const std::string& command, std::string* output = nullptr);

  std::string state_;
  std::string bootstrap_;
  bool ok_ = false;
};

}  // namespace outbox::testing
