#include "health_command.h"

#include <cstdio>

#include "health_probe.h"
#include "pipeline.h"
#include "vigia/daemon/config.h"

namespace vigia::daemon {

int health_command(const HealthOptions& options) {
  std::string url = options.url;
  if (url.empty()) {
    // Reading the operator's config keeps the probe on the address the daemon really listens on.
    std::string listen = DaemonConfig{}.http_listen;
    if (!options.config.empty()) {
      Registries registries;
      auto loaded = load_config(options.config, registries.connectors, registries.sinks);
      if (!loaded.config) {
        std::fputs(loaded.diagnostics.to_text().c_str(), stderr);
        std::fprintf(stderr, "vigia: %s has %zu error(s)\n", options.config.c_str(), loaded.diagnostics.error_count());
        return 2;
      }
      listen = loaded.config->http_listen;
    }
    auto resolved = health_url(listen);
    if (!resolved.ok()) {
      std::fprintf(stderr, "vigia health: %s\n", resolved.error().message.c_str());
      return 2;
    }
    url = *resolved;
  }
  if (auto probed = probe_health(url, options.timeout); !probed.ok()) {
    std::fprintf(stderr, "vigia health: unhealthy: %s\n", probed.error().message.c_str());
    return 1;
  }
  return 0;
}

}  // namespace vigia::daemon
