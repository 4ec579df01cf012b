#include "config/environment_layer.h"

#include <gtest/gtest.h>

#include "config/key_paths.h"

namespace outbox::config_internal {
namespace {

// What kubelet injects for a Service "outbox-relay" with ports "metrics" (9464/TCP) and
// "http-admin" (8080/TCP), plus the protocols a Service port may have.
TEST(KubernetesServiceLinks, AreRecognisedInEveryShapeKubeletWrites) {
  for (const char* name :
       {"OUTBOX_RELAY_SERVICE_HOST", "OUTBOX_RELAY_SERVICE_PORT",
        "OUTBOX_RELAY_SERVICE_PORT_METRICS", "OUTBOX_RELAY_SERVICE_PORT_HTTP_ADMIN",
        "OUTBOX_RELAY_SERVICE_PORT_P2", "OUTBOX_RELAY_PORT", "OUTBOX_RELAY_PORT_9464_TCP",
        "OUTBOX_RELAY_PORT_9464_TCP_PROTO", "OUTBOX_RELAY_PORT_9464_TCP_PORT",
        "OUTBOX_RELAY_PORT_9464_TCP_ADDR", "OUTBOX_RELAY_PORT_8080_TCP_ADDR",
        "OUTBOX_RELAY_PORT_53_UDP", "OUTBOX_RELAY_PORT_1_SCTP_PORT",
        "OUTBOX_RELAY_PORT_65535_TCP"}) {
    EXPECT_TRUE(is_kubernetes_service_link(name)) << name;
  }
}

TEST(KubernetesServiceLinks, AreOnlyThoseShapes) {
  for (const char* name : {"OUTBOX_RELAY_SERVICE",
                           "OUTBOX_RELAY_SERVICE_HOSTS",
                           "OUTBOX_RELAY_SERVICE_ADDR",
                           "OUTBOX_RELAY_SERVICE_PORT_",
                           "OUTBOX_RELAY_SERVICE_PORT_metrics",
                           "OUTBOX_RELAY_SERVICE_PORT_9464",
                           "OUTBOX_RELAY_SERVICE_PORT__X",
                           "OUTBOX_RELAY_SERVICE_PORT_X_",
                           "OUTBOX_RELAY_SERVICE_PORT_A__B",
                           "OUTBOX_RELAY_SERVICE_PORT_SIXTEEN_CHARS_XY",
                           "OUTBOX_RELAY_PORTS",
                           "OUTBOX_RELAY_PORT_",
                           "OUTBOX_RELAY_PORT_9464",
                           "OUTBOX_RELAY_PORT_9464_",
                           "OUTBOX_RELAY_PORT_9464_HTTP",
                           "OUTBOX_RELAY_PORT_9464_tcp",
                           "OUTBOX_RELAY_PORT_9464_TCP_HOST",
                           "OUTBOX_RELAY_PORT_9464_TCPX",
                           "OUTBOX_RELAY_PORT_9464_TCP_ADDR_X",
                           "OUTBOX_RELAY_PORT_0_TCP",
                           "OUTBOX_RELAY_PORT_09464_TCP",
                           "OUTBOX_RELAY_PORT_65536_TCP",
                           "OUTBOX_RELAY_PORT_X_TCP",
                           "OUTBOX_RELAY_METRICS_PORT",
                           "OUTBOX_RELAY_SOURCE_SERVICE_HOST",
                           "OTHER_SERVICE_HOST",
                           "SERVICE_HOST"}) {
    EXPECT_FALSE(is_kubernetes_service_link(name)) << name;
  }
}

// What makes skipping them safe: no key's variable, nor any variable under a map key, starts
// with OUTBOX_RELAY_SERVICE or OUTBOX_RELAY_PORT.
TEST(KubernetesServiceLinks, CannotBeTakenForAnyKey) {
  for (const auto& spec : key_specs()) {
    const std::string_view section = spec.path.substr(0, spec.path.find('.'));
    EXPECT_NE(section, "service") << spec.path;
    EXPECT_NE(section, "port") << spec.path;
    EXPECT_FALSE(section.starts_with("service_") || section.starts_with("port_")) << spec.path;
    EXPECT_FALSE(is_kubernetes_service_link(environment_name(spec.path))) << spec.path;
  }
}

}  // namespace
}  // namespace outbox::config_internal
