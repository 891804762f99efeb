#include "signal_watcher.h"

#include <pthread.h>

#include "vigia/core/log.h"

namespace vigia::daemon {

SignalWatcher::SignalWatcher() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

SignalWatcher::~SignalWatcher() { stop(); }

void SignalWatcher::on_hangup(std::function<void()> callback) {
  std::lock_guard lock(hangup_mu_);
  hangup_ = std::move(callback);
}

void SignalWatcher::stop() {
  done_ = true;
  if (thread_.joinable()) thread_.join();
}

void SignalWatcher::start() {
  thread_ = std::thread([this] { loop(); });
}

void SignalWatcher::wait_for_stop() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return stop_; });
}

bool SignalWatcher::wait_for_stop_for(std::chrono::microseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return stop_; });
}

void SignalWatcher::loop() {
  const timespec tick{0, 200'000'000};
  while (!done_) {
    const int sig = sigtimedwait(&set_, nullptr, &tick);
    if (sig < 0) continue;
    auto log = log::get("daemon");
    if (sig == SIGHUP) {
      std::lock_guard lock(hangup_mu_);
      if (hangup_) {
        log->info("SIGHUP received: rule reload requested");
        hangup_();
      } else {
        log->warn("SIGHUP received: nothing to reload yet");
      }
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

}  // namespace vigia::daemon
