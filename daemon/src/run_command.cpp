// `vigia run` and `vigia config check`.
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "commands.h"
#include "health_probe.h"
#include "pipeline.h"
#include "signal_watcher.h"
#include "vigia/core/log.h"

namespace vigia::daemon {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// Waits for a stop signal; under a systemd watchdog (WatchdogSec=, which sets WATCHDOG_USEC) it
// wakes at half the interval and pings — but only while the daemon's own /healthz answers, the
// same liveness an orchestrator probes, so a daemon whose admin server is wedged stops pinging
// and systemd restarts it rather than trusting a main thread that merely sleeps. Without admin
// endpoints (http.listen: "") the pings vouch for the main loop alone.
void wait_for_stop_feeding_watchdog(SignalWatcher& signals, const std::string& listen, int admin_port) {
  std::uint64_t usec = 0;
  // WATCHDOG_PID, when set, must be ours: a watchdog meant for a parent is not for us to feed.
  if (sd_watchdog_enabled(/*unset_environment=*/0, &usec) <= 0 || usec == 0) {
    signals.wait_for_stop();
    return;
  }
  auto log = log::get("daemon");
  const microseconds period(usec / 2);
  // A probe that takes longer than a quarter interval would leave too little margin before the
  // deadline; five seconds is more than a loopback GET ever needs.
  const milliseconds probe_timeout = std::clamp(duration_cast<milliseconds>(period / 2), milliseconds(50),
                                                milliseconds(5000));
  std::string url;
  if (auto resolved = health_url(listen, admin_port); resolved.ok()) url = *resolved;
  log->info("systemd watchdog: pinging every {} ms while {} answers", duration_cast<milliseconds>(period).count(),
            url.empty() ? std::string("the main loop") : url);
  bool failing = false;
  do {
    const Status healthy = url.empty() ? ok_status() : probe_health(url, probe_timeout);
    if (healthy.ok()) {
      sd_notify(0, "WATCHDOG=1");
      if (failing) log->warn("health check passes again: systemd watchdog pings resumed");
      failing = false;
    } else if (!failing) {
      log->error("health check failed, systemd watchdog not pinged (systemd restarts the daemon if this lasts): {}",
                 healthy.error().message);
      failing = true;
    }
  } while (!signals.wait_for_stop_for(period));
}

}  // namespace

int run_command(const std::filesystem::path& config, Role role) {
  SignalWatcher signals;  // before any thread exists, so every thread inherits the mask
  Registries registries;
  auto outcome = prepare(config, registries, /*dry_run=*/false, role);
  if (!outcome.prepared) return outcome.exit_code;
  log::set_level(outcome.prepared->config.log_level);
  auto log = log::get("daemon");
  const std::string listen = outcome.prepared->config.http_listen;

  Pipeline pipeline(std::move(*outcome.prepared));
  // The signal thread only wakes the reloader; the reload runs on the reloader's own thread.
  signals.on_hangup([&pipeline] { pipeline.request_reload(); });
  if (auto started = pipeline.start(); !started.ok()) {
    log->critical("cannot start: {}", started.error().message);
    signals.stop();  // the callback refers to the pipeline, which goes first
    return 1;
  }
  signals.start();
  sd_notify(0, "READY=1");
  wait_for_stop_feeding_watchdog(signals, listen, pipeline.admin_port());
  sd_notify(0, "STOPPING=1");
  pipeline.shutdown(signals.force());
  signals.stop();  // no SIGHUP callback into the pipeline once it is gone
  return 0;
}

int config_check_command(const std::filesystem::path& config) {
  Registries registries;
  auto outcome = prepare(config, registries, /*dry_run=*/true);
  if (!outcome.prepared) return outcome.exit_code;
  const Prepared& p = *outcome.prepared;
  std::printf("OK: %s — %zu feeds, %zu sinks, %zu rules (version %s)\n", config.c_str(), p.config.feeds.size(),
              p.config.sinks.size(), p.rules->enabled_rule_count(), p.rules->version().c_str());
  return 0;
}

}  // namespace vigia::daemon
