#include "vigia/connectors/poll_schedule.h"

#include <algorithm>
#include <cmath>

namespace vigia::connectors {

std::chrono::milliseconds next_poll_delay(std::chrono::milliseconds interval, int consecutive_failures,
                                          std::optional<std::chrono::milliseconds> retry_after, double unit_random,
                                          const BackoffPolicy& policy) {
  using std::chrono::milliseconds;
  interval = std::max(interval, milliseconds(1));
  double base = static_cast<double>(interval.count());
  if (consecutive_failures > 0) {
    // A feed polled more often than `initial` retries at its own pace; a slow feed retries
    // sooner than its interval at first, since most failures are transient.
    const double first = static_cast<double>(std::max(std::min(policy.initial, interval), milliseconds(1)).count());
    const double cap = static_cast<double>(std::max(interval, policy.max).count());
    base = first;
    for (int i = 1; i < consecutive_failures && base < cap; ++i) base *= 2;
    base = std::min(base, cap);
  }
  const double u = std::clamp(unit_random, 0.0, 1.0);
  double delay = base * (1.0 + policy.jitter * (2.0 * u - 1.0));
  if (retry_after && retry_after->count() > 0) {
    delay = std::max(delay, static_cast<double>(std::min(*retry_after, policy.max_retry_after).count()));
  }
  return milliseconds(std::max<long long>(1, std::llround(delay)));
}

}  // namespace vigia::connectors
