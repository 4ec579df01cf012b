// The YAML file layer: reads --config FILE into raw settings, checking its shape (known keys,
// maps where sections are, single values where scalars are) and leaving value parsing to later.
#pragma once

#include <string>

#include "config/raw_settings.h"

namespace outbox::config_internal {

// Adds what the file says to `settings` and what is wrong with it to `problems`. Returns false
// when the file could not be used at all (unreadable, or not YAML): then checks that depend on the
// whole configuration, like required keys, would only add noise.
bool read_yaml_file(const std::string& path, RawSettings& settings, Problems& problems);

}  // namespace outbox::config_internal
