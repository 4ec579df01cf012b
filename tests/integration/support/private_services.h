// A PostgreSQL and a Kafka broker of a test's own, started through scripts/local-env like the
// shared ones, for tests that stop, restart or reconfigure a server (which would disturb every
// other test on the shared ones). Destroyed, data and all, with the object.
#pragma once

#include <string>

namespace outbox::testing {

class PrivateServices {
 public:
  explicit PrivateServices(const std::string& name);
  ~PrivateServices();
  PrivateServices(const PrivateServices&) = delete;
  PrivateServices& operator=(const PrivateServices&) = delete;

  bool ok() const { return ok_; }
  const std::string& pg_port() const { return pg_port_; }
  const std::string& kafka_bootstrap() const { return kafka_bootstrap_; }
  // A conninfo for `database` on the private server.
  std::string conninfo(const std::string& database = "app") const;

  // scripts/local-env pg-stop / pg-start / kafka-stop / kafka-start: the server comes back on
  // the same port with its data. Each returns false (and fails the test) when the script does.
  bool stop_postgres();
  bool start_postgres();
  bool stop_kafka();
  bool start_kafka();

 private:
  bool local_env(const std::string& command, std::string* output = nullptr);

  std::string state_;
  std::string pg_port_;
  std::string kafka_bootstrap_;
  bool ok_ = false;
};

// Runs a shell command (bounded by `timeout_seconds`), returns its exit status and output.
int run_shell(const std::string& command, std::string* output, int timeout_seconds = 300);

}  // namespace outbox::testing
