#include <catch2/catch.hpp>

#include "vigia/connectors/poll_schedule.h"

using namespace vigia::connectors;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

TEST_CASE("after a success the next poll is one interval away, give or take the jitter", "[connectors][schedule]") {
  CHECK(next_poll_delay(15min, 0, std::nullopt, 0.5) == 15min);
  CHECK(next_poll_delay(15min, 0, std::nullopt, 0.0) == milliseconds(810'000));  // -10%
  CHECK(next_poll_delay(15min, 0, std::nullopt, 0.999999) >= milliseconds(989'990));
  CHECK(next_poll_delay(15min, 0, std::nullopt, 0.999999) <= milliseconds(990'000));
}

TEST_CASE("failures back off exponentially from 30 s up to the cap", "[connectors][schedule]") {
  BackoffPolicy p;
  p.jitter = 0;
  CHECK(next_poll_delay(15min, 1, std::nullopt, 0.5, p) == 30s);
  CHECK(next_poll_delay(15min, 2, std::nullopt, 0.5, p) == 60s);
  CHECK(next_poll_delay(15min, 3, std::nullopt, 0.5, p) == 120s);
  CHECK(next_poll_delay(15min, 7, std::nullopt, 0.5, p) == 1920s);
  CHECK(next_poll_delay(15min, 8, std::nullopt, 0.5, p) == 1h);
  CHECK(next_poll_delay(15min, 1000, std::nullopt, 0.5, p) == 1h);
  // A feed polled less often than the cap is never retried later than its own interval.
  CHECK(next_poll_delay(6h, 1000, std::nullopt, 0.5, p) == 6h);
  // A fast feed starts its backoff at its own interval.
  CHECK(next_poll_delay(5s, 1, std::nullopt, 0.5, p) == 5s);
  CHECK(next_poll_delay(5s, 3, std::nullopt, 0.5, p) == 20s);
}

TEST_CASE("a source's Retry-After is honoured when longer, and capped", "[connectors][schedule]") {
  BackoffPolicy p;
  p.jitter = 0;
  CHECK(next_poll_delay(15min, 1, 10min, 0.5, p) == 10min);  // longer than the 30 s backoff
  CHECK(next_poll_delay(15min, 1, 5s, 0.5, p) == 30s);       // shorter: backoff wins
  CHECK(next_poll_delay(15min, 0, 2h, 0.5, p) == 2h);        // also after a success
  CHECK(next_poll_delay(15min, 1, std::chrono::hours(24 * 30), 0.5, p) == 24h);
  p.jitter = 0.1;
  CHECK(next_poll_delay(15min, 1, 10min, 0.0, p) == 10min);  // jitter never undercuts it
}

TEST_CASE("delays are at least a millisecond even for nonsense intervals", "[connectors][schedule]") {
  CHECK(next_poll_delay(0ms, 0, std::nullopt, 0.0) >= 1ms);
  CHECK(next_poll_delay(-5s, 3, std::nullopt, 0.0) >= 1ms);
}
