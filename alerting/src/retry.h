// Retry arithmetic for deliveries: exponential backoff with full jitter, and the receiver's
// Retry-After header. Pure functions, so the stage's timing is testable without waiting.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "vigia/alerting/sink.h"
#include "vigia/core/time.h"

namespace vigia::alerting {

// The wait before the next attempt, after `attempts_made` (>= 1) failed ones: a uniform draw
// (`unit` in [0, 1)) from [0, min(max_backoff, initial_backoff * 2^(attempts_made - 1))] — AWS's
// "full jitter", which spreads a burst of failures instead of retrying them in lockstep. A
// larger `retry_after` from the receiver wins; max_backoff caps the result either way, so one
// receiver cannot park an alert for an hour.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempts_made,
                                        std::optional<std::chrono::milliseconds> retry_after, double unit);

// Parses a Retry-After value (RFC 9110 §10.2.3): delta-seconds, or an HTTP-date in any of the
// three forms recipients must accept (IMF-fixdate, RFC 850, asctime). A date in the past gives
// zero. nullopt when the value is neither.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, Timestamp now);

// An HTTP-date as a timestamp (second resolution); nullopt when it is not one.
std::optional<Timestamp> parse_http_date(std::string_view text);

}  // namespace vigia::alerting
