// The clock every stage reads, so tests can inject time instead of sleeping.
// Thread-safety: implementations are safe to call from any thread.
#pragma once

#include <atomic>
#include <memory>

#include "vigia/core/time.h"

namespace vigia {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp now() const = 0;
};
using ClockPtr = std::shared_ptr<const Clock>;

class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
};

// A clock that only moves when told to; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Timestamp start) : now_ms_(start.time_since_epoch().count()) {}
  Timestamp now() const override { return Timestamp{std::chrono::milliseconds{now_ms_.load()}}; }
  void advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }

 private:
  std::atomic<std::int64_t> now_ms_;
};

ClockPtr system_clock();

}  // namespace vigia
