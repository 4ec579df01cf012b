// The environment layer: OUTBOX_RELAY_<KEY_PATH> variables into raw settings.
#pragma once

#include <string>
#include <vector>

#include "config/raw_settings.h"

namespace outbox::config_internal {

// The test harness sets this one for its own use; it is not configuration.
inline constexpr std::string_view kTestHarnessVariable = "OUTBOX_RELAY_TEST_ENV";

// `environment` holds "NAME=value" entries. Names not starting with OUTBOX_RELAY_ are ignored;
// an OUTBOX_RELAY_ name that maps to no key is a problem.
void read_environment(const std::vector<std::string>& environment, RawSettings& settings,
                      Problems& problems);

}  // namespace outbox::config_internal
