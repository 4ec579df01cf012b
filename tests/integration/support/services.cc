#include "tests/integration/support/services.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>

namespace outbox::testing {
namespace {

[[noreturn]] void fail_setup(const std::string& why) {
  std::fprintf(stderr,
               "integration test setup: %s\n"
               "Integration tests need the `services` ctest fixture (run them through ctest, or "
               "set OUTBOX_RELAY_TEST_ENV to the env.sh of `tests/services.sh up DIR`).\n",
               why.c_str());
  std::exit(2);
}

Services load() {
  const char* path = std::getenv("OUTBOX_RELAY_TEST_ENV");
  if (path == nullptr || *path == '\0') fail_setup("OUTBOX_RELAY_TEST_ENV is not set");
  std::ifstream in(path);
  if (!in) fail_setup(std::string("cannot read ") + path);

  // Lines look like `export NAME=value`.
  std::map<std::string, std::string> vars;
  for (std::string line; std::getline(in, line);) {
    const std::string prefix = "export ";
    if (line.rfind(prefix, 0) != 0) continue;
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    vars[line.substr(prefix.size(), eq - prefix.size())] = line.substr(eq + 1);
  }
  auto need = [&](const char* name) {
    auto it = vars.find(name);
    if (it == vars.end() || it->second.empty()) {
      fail_setup(std::string(path) + " does not set " + name);
    }
    return it->second;
  };
  return Services{.pg_host = need("PGHOST"),
                  .pg_port = need("PGPORT"),
                  .pg_user = need("PGUSER"),
                  .pg_database = need("PGDATABASE"),
                  .kafka_bootstrap = need("KAFKA_BOOTSTRAP"),
                  .kafka_sasl_bootstrap = need("KAFKA_SASL_BOOTSTRAP"),
                  .kafka_scram_user = need("KAFKA_SCRAM_USER"),
                  .kafka_scram_password = need("KAFKA_SCRAM_PASSWORD")};
}

}  // namespace

std::string Services::pg_conninfo(const std::string& database) const {
  return "host=" + pg_host + " port=" + pg_port + " user=" + pg_user +
         " dbname=" + (database.empty() ? pg_database : database) + " connect_timeout=10";
}

const Services& services() {
  static const Services loaded = load();
  return loaded;
}

std::string unique_name(const std::string& prefix) {
  static std::atomic<unsigned> counter{0};
  return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
}

}  // namespace outbox::testing
