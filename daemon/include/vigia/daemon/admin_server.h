// The daemon's own HTTP endpoints, on cpp-httplib:
//   GET /metrics  Prometheus text format (0.0.4) of the shared registry
//   GET /healthz  200 while the process serves requests (liveness)
//   GET /readyz   200 once every stage is up, 503 before that and while shutting down
// It listens on loopback by default; it carries no secrets, but exposing it is the operator's
// choice. enable_silence_api() adds /api/v1/silences (daemon/src/silence_api.h): bearer-token
// authenticated, and answering 403 when no token is configured. Thread-safety: set_ready() may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "vigia/core/clock.h"
#include "vigia/core/metrics.h"
#include "vigia/core/result.h"

namespace httplib {
class Server;
}

namespace vigia::alerting {
class SilenceStore;
}

namespace vigia::daemon {

class AdminServer {
 public:
  // `before_scrape` refreshes gauges that are read on demand (e.g. bus depth) right before a
  // scrape; it may be empty.
  AdminServer(MetricsRegistry& registry, std::function<void()> before_scrape);
  ~AdminServer();

  // Binds "host:port" (port 0 picks a free one) and serves on a background thread.
  Status start(const std::string& listen);
  int port() const { return port_; }
  void set_ready(bool ready) { ready_ = ready; }
  // Serves the silences API on this server; call before start(). An empty `token` keeps the
  // routes but makes them answer 403 (the API is never open without a token).
  void enable_silence_api(std::shared_ptr<alerting::SilenceStore> store, std::string token, ClockPtr clock);
  void stop();

 private:
  MetricsRegistry& registry_;
  std::function<void()> before_scrape_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> ready_{false};
  int port_ = 0;
};

}  // namespace vigia::daemon
