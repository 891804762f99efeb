// `vigia health`: is a running daemon alive? A GET of its /healthz, for a container HEALTHCHECK
// (the runtime image has no curl) or an operator's script.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

namespace vigia::daemon {

struct HealthOptions {
  std::string url;                         // probe this URL...
  std::filesystem::path config;            // ...or the /healthz of this config's http.listen
  std::chrono::milliseconds timeout{5000};  // neither: the default listen address, 127.0.0.1:9464
};

// 0 when /healthz answers 200; 1 when it does not (the reason on stderr); 2 for a config that does
// not load or names no fixed admin address.
int health_command(const HealthOptions& options);

}  // namespace vigia::daemon
