// `vigia run` and `vigia config check`.
#include <pthread.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "commands.h"
#include "pipeline.h"
#include "vigia/core/log.h"

namespace vigia::daemon {
namespace {

// Signals are taken off every thread (the mask is inherited) and handled here, synchronously,
// so no code runs in signal context. A second SIGINT/SIGTERM cuts the drain short.
class SignalWatcher {
 public:
  SignalWatcher() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
  }

  void start() {
    thread_ = std::thread([this] { loop(); });
  }

  ~SignalWatcher() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }

  void wait_for_stop() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return stop_; });
  }

  const std::atomic<bool>& force() const { return force_; }

 private:
  void loop() {
    const timespec tick{0, 200'000'000};
    while (!done_) {
      const int sig = sigtimedwait(&set_, nullptr, &tick);
      if (sig < 0) continue;
      auto log = log::get("daemon");
      if (sig == SIGHUP) {
        log->warn("SIGHUP received: live rule reload is not available in this version; restart to apply changes");
        continue;
      }
      std::lock_guard lock(mu_);
      if (!stop_) {
        log->info("{} received: draining (send it again to stop at once)", sig == SIGINT ? "SIGINT" : "SIGTERM");
        stop_ = true;
        cv_.notify_all();
      } else {
        log->warn("second stop signal: cutting the drain short");
        force_ = true;
      }
    }
  }

  sigset_t set_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  std::atomic<bool> force_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace

int run_command(const std::filesystem::path& config) {
  SignalWatcher signals;  // before any thread exists, so every thread inherits the mask
  Registries registries;
  auto prepared = prepare(config, registries);
  if (!prepared) return 2;
  log::set_level(prepared->config.log_level);
  auto log = log::get("daemon");

  Pipeline pipeline(std::move(*prepared));
  if (auto started = pipeline.start(); !started.ok()) {
    log->critical("cannot start: {}", started.error().message);
    return 1;
  }
  signals.start();
  sd_notify(0, "READY=1");
  signals.wait_for_stop();
  sd_notify(0, "STOPPING=1");
  pipeline.shutdown(signals.force());
  return 0;
}

int config_check_command(const std::filesystem::path& config) {
  Registries registries;
  auto prepared = prepare(config, registries);
  if (!prepared) return 2;
  const DaemonConfig& c = prepared->config;
  std::printf("OK: %s — %zu feeds, %zu sinks, %zu rules (version %s)\n", config.c_str(), c.feeds.size(), c.sinks.size(),
              prepared->rules->enabled_rule_count(), prepared->rules->version().c_str());
  return 0;
}

}  // namespace vigia::daemon
