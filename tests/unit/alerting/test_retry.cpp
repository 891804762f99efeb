#include <catch2/catch.hpp>

#include "alerting_test_util.h"
#include "retry.h"

using namespace vigia;
using namespace vigia::alerting;
using namespace vigia::alerting::test;
using std::chrono::milliseconds;

TEST_CASE("backoff doubles per attempt with full jitter and never exceeds max_backoff", "[alerting][retry]") {
  const RetryPolicy p{10, milliseconds{100}, milliseconds{1000}};
  // The top of the jitter range is the exponential ceiling...
  CHECK(backoff_delay(p, 1, std::nullopt, 1.0) == milliseconds{100});
  CHECK(backoff_delay(p, 2, std::nullopt, 1.0) == milliseconds{200});
  CHECK(backoff_delay(p, 4, std::nullopt, 1.0) == milliseconds{800});
  CHECK(backoff_delay(p, 5, std::nullopt, 1.0) == milliseconds{1000});
  CHECK(backoff_delay(p, 60, std::nullopt, 1.0) == milliseconds{1000});  // no overflow on long outages
  // ...and the draw spreads over all of it, down to zero.
  CHECK(backoff_delay(p, 4, std::nullopt, 0.0) == milliseconds{0});
  CHECK(backoff_delay(p, 4, std::nullopt, 0.5) == milliseconds{400});
}

TEST_CASE("a larger Retry-After wins over the jittered backoff but max_backoff still caps it", "[alerting][retry]") {
  const RetryPolicy p{10, milliseconds{100}, milliseconds{5000}};
  CHECK(backoff_delay(p, 1, milliseconds{2000}, 0.5) == milliseconds{2000});
  CHECK(backoff_delay(p, 1, milliseconds{10}, 1.0) == milliseconds{100});  // smaller: ignored
  CHECK(backoff_delay(p, 1, milliseconds{3'600'000}, 0.5) == milliseconds{5000});
}

TEST_CASE("Retry-After accepts delta-seconds and the three HTTP-date forms", "[alerting][retry]") {
  const Timestamp now = at("1994-11-06T08:49:00Z");
  CHECK(parse_retry_after("120", now) == milliseconds{120'000});
  CHECK(parse_retry_after(" 0 ", now) == milliseconds{0});
  CHECK(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now) == milliseconds{37'000});   // IMF-fixdate
  CHECK(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now) == milliseconds{37'000});  // RFC 850
  CHECK(parse_retry_after("Sun Nov  6 08:49:37 1994", now) == milliseconds{37'000});        // asctime
  CHECK(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT") == Timestamp{});
}

TEST_CASE("Retry-After ignores garbage, waits zero for past dates and caps absurd values", "[alerting][retry]") {
  const Timestamp now = at("2024-05-03T12:00:00Z");
  CHECK_FALSE(parse_retry_after("", now));
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("-5", now));
  CHECK_FALSE(parse_retry_after("1.5", now));
  CHECK_FALSE(parse_retry_after("Fri, 03 May 2024 12:00:00 CEST", now));
  CHECK_FALSE(parse_retry_after("Fri, 32 May 2024 12:00:00 GMT", now));
  CHECK(parse_retry_after("Fri, 03 May 2024 11:00:00 GMT", now) == milliseconds{0});
  CHECK(parse_retry_after("99999999999999999999999", now) == milliseconds{86'400'000});
}
