// The environment layer: OUTBOX_RELAY_<KEY_PATH> variables into raw settings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/raw_settings.h"

namespace outbox::config_internal {

// The test harness sets this one for its own use; it is not configuration.
inline constexpr std::string_view kTestHarnessVariable = "OUTBOX_RELAY_TEST_ENV";

// True for the variables kubelet injects into every pod of a namespace for a Service named
// outbox-relay (service links): OUTBOX_RELAY_SERVICE_HOST, OUTBOX_RELAY_SERVICE_PORT,
// OUTBOX_RELAY_SERVICE_PORT_<PORT NAME>, OUTBOX_RELAY_PORT and
// OUTBOX_RELAY_PORT_<port>_<TCP|UDP|SCTP>[_PROTO|_PORT|_ADDR], in exactly kubelet's shapes. No key
// path starts with "service" or "port", so none of them can be meant as configuration.
bool is_kubernetes_service_link(std::string_view name);

// `environment` holds "NAME=value" entries. Names not starting with OUTBOX_RELAY_ are ignored, and
// so are Kubernetes service links; any other OUTBOX_RELAY_ name that maps to no key is a problem.
void read_environment(const std::vector<std::string>& environment, RawSettings& settings,
                      Problems& problems);

}  // namespace outbox::config_internal
