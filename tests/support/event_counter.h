// Counts events from any thread and lets a test wait (bounded) for a number of them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace vigia::test {

class EventCounter {
 public:
  void bump() {
    {
      std::lock_guard lock(mu_);
      ++n_;
    }
    cv_.notify_all();
  }
  bool wait_for(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return n_ >= n; });
  }
  int value() {
    std::lock_guard lock(mu_);
    return n_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
};

}  // namespace vigia::test
