// The checks on the merged configuration: required keys, names PostgreSQL and Kafka would refuse,
// and rules between keys. Each problem names the origin of the value that won.
#pragma once

#include <set>
#include <string>

#include "config/config.h"
#include "config/raw_settings.h"

namespace outbox::config_internal {

// Checks `config` and normalises what has one canonical form (source.table gains its schema).
// `unparsed` holds the key paths whose value failed to parse: checks that depend on them are
// skipped, since the problem is already reported.
void validate_config(Config& config, const RawSettings& settings,
                     const std::set<std::string, std::less<>>& unparsed, Problems& problems);

}  // namespace outbox::config_internal
