// SIGINT/SIGTERM/SIGHUP handled synchronously on a dedicated thread, so no code runs in signal
// context. Construct it before any other thread exists: the blocked-signal mask is inherited.
// The first SIGINT/SIGTERM asks for a drain (wait_for_stop returns), a second one sets force().
#pragma once

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace vigia::daemon {

class SignalWatcher {
 public:
  SignalWatcher();
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  void start();
  void wait_for_stop();
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
};

}  // namespace vigia::daemon
