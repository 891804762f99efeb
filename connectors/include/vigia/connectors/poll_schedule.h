// When to poll a feed next: its interval after a success, exponential backoff after failures,
// never sooner than the source asked (Retry-After), all with jitter so that feeds configured
// together (or failing together) do not stay in lock-step. A pure function, so the policy is
// tested without clocks or threads; thread-safe, never fails.
#pragma once

#include <chrono>
#include <optional>

namespace vigia::connectors {

struct BackoffPolicy {
  // The first retry waits min(initial, interval); each further failure doubles the wait, up to
  // max(interval, max).
  std::chrono::milliseconds initial{std::chrono::seconds(30)};
  std::chrono::milliseconds max{std::chrono::hours(1)};
  double jitter = 0.1;  // each delay is scaled by a factor in [1 - jitter, 1 + jitter)
  // A Retry-After longer than this is taken as this: a source must not park a feed for weeks.
  std::chrono::milliseconds max_retry_after{std::chrono::hours(24)};
};

// The delay before the next poll of a feed polled every `interval`, after `consecutive_failures`
// failed polls in a row (0: the last poll succeeded). `retry_after` is what the source asked for
// with its last answer; the result is never below it (as capped by the policy). `unit_random` is
// a uniform draw in [0, 1) that drives the jitter. Never returns less than 1 ms.
std::chrono::milliseconds next_poll_delay(std::chrono::milliseconds interval, int consecutive_failures,
                                          std::optional<std::chrono::milliseconds> retry_after, double unit_random,
                                          const BackoffPolicy& policy = {});

}  // namespace vigia::connectors
