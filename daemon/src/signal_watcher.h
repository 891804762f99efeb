// SIGINT/SIGTERM/SIGHUP handled synchronously on a dedicated thread, so no code runs in signal
// context. Construct it before any other thread exists: the blocked-signal mask is inherited.
// The first SIGINT/SIGTERM asks for a drain (wait_for_stop returns), a second one sets force().
// SIGHUP calls the on_hangup() callback, which must only wake up whoever does the work (the rule
// reloader writes an eventfd): this thread has to stay free for a second SIGTERM.
//
// Thread-safety: on_hangup() may be called from any thread; the other methods from the one
// controlling thread. Ownership: the callback's captures must stay valid until on_hangup({}) or
// stop() returned.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace vigia::daemon {

class SignalWatcher {
 public:
  SignalWatcher();
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // What SIGHUP does; empty: it is logged and ignored.
  void on_hangup(std::function<void()> callback);
  void start();
  // Joins the watcher thread; no callback runs after it returns. Signals stay blocked.
  void stop();
  void wait_for_stop();
  // Waits at most `timeout` for a stop signal; true once one came. The main loop wakes on this to
  // ping the systemd watchdog between signals.
  bool wait_for_stop_for(std::chrono::microseconds timeout);
  const std::atomic<bool>& force() const { return force_; }

 private:
  void loop();

  sigset_t set_;
  std::thread thread_;
  std::atomic<bool> done_{false};
  std::atomic<bool> force_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::mutex hangup_mu_;  // held while the callback runs, so on_hangup({}) waits for it
  std::function<void()> hangup_;
};

}  // namespace vigia::daemon
