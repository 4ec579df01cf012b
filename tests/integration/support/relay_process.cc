#include "tests/integration/support/relay_process.h"

#include <gtest/gtest.h>

namespace outbox::testing {
namespace {

std::vector<std::string> relay_argv(std::vector<std::string> args) {
  args.insert(args.begin(), relay_binary());
  return args;
}

}  // namespace

std::string relay_binary() { return OUTBOX_RELAY_BINARY; }

RelayProcess::RelayProcess(std::vector<std::string> args, std::vector<std::string> environment)
    : ChildProcess(relay_argv(std::move(args)), std::move(environment)) {}

std::unique_ptr<RelayProcess> start_streaming_relay(const std::string& config_path,
                                                    std::vector<std::string> extra_args,
                                                    std::vector<std::string> environment) {
  std::vector<std::string> args = {"run", "--config", config_path};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  auto relay = std::make_unique<RelayProcess>(std::move(args), std::move(environment));
  EXPECT_TRUE(relay->wait_for_log("streaming", std::chrono::seconds(60))) << relay->err();
  return relay;
}

RelayRun run_relay_command(std::vector<std::string> args, std::vector<std::string> environment,
                           std::chrono::milliseconds timeout) {
  RelayProcess process(std::move(args), std::move(environment));
  auto status = process.wait(timeout);
  if (!status) {
    process.kill_hard();
    return {-1, process.out(), process.err() + "\n[test: killed after the timeout]"};
  }
  return {*status, process.out(), process.err()};
}

}  // namespace outbox::testing
