// `vigia run` and `vigia config check`.
#include <systemd/sd-daemon.h>

#include <cstdio>
#include <string>

#include "commands.h"
#include "pipeline.h"
#include "signal_watcher.h"
#include "vigia/core/log.h"

namespace vigia::daemon {

int run_command(const std::filesystem::path& config, Role role) {
  SignalWatcher signals;  // before any thread exists, so every thread inherits the mask
  Registries registries;
  auto outcome = prepare(config, registries, /*dry_run=*/false, role);
  if (!outcome.prepared) return outcome.exit_code;
  log::set_level(outcome.prepared->config.log_level);
  auto log = log::get("daemon");

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
  signals.wait_for_stop();
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
