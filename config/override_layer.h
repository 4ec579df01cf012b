// The command-line layer: --set key.path=value entries into raw settings.
#pragma once

#include <string>
#include <vector>

#include "config/raw_settings.h"

namespace outbox::config_internal {

// Each entry is "key.path=value", split at the first '=' (values may contain '=', as DSNs do).
void read_overrides(const std::vector<std::string>& overrides, RawSettings& settings,
                    Problems& problems);

}  // namespace outbox::config_internal
