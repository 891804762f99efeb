#include <catch2/catch.hpp>

#include "vigia/core/time.h"

using vigia::format_rfc3339;
using vigia::parse_rfc3339;

TEST_CASE("RFC 3339 timestamps round-trip through parse and format", "[core][time]") {
  auto t = parse_rfc3339("2021-05-03T12:34:56Z");
  REQUIRE(t);
  CHECK(format_rfc3339(*t) == "2021-05-03T12:34:56Z");
  CHECK(format_rfc3339(*parse_rfc3339("2020-02-29T23:59:59.250Z")) == "2020-02-29T23:59:59.250Z");
}

TEST_CASE("RFC 3339 offsets are converted to UTC", "[core][time]") {
  CHECK(format_rfc3339(*parse_rfc3339("2021-05-03T07:00:00-05:00")) == "2021-05-03T12:00:00Z");
  CHECK(format_rfc3339(*parse_rfc3339("2021-05-03T14:30:00+0230")) == "2021-05-03T12:00:00Z");
  CHECK(format_rfc3339(*parse_rfc3339("2021-01-01T00:30:00+01:00")) == "2020-12-31T23:30:00Z");
}

TEST_CASE("RFC 3339 parser accepts common variants and bare dates", "[core][time]") {
  CHECK(format_rfc3339(*parse_rfc3339("2021-05-03 12:00")) == "2021-05-03T12:00:00Z");
  CHECK(format_rfc3339(*parse_rfc3339("2021-05-03")) == "2021-05-03T00:00:00Z");
  CHECK(format_rfc3339(*parse_rfc3339("  2021-05-03t12:00:00.5z ")) == "2021-05-03T12:00:00.500Z");
}

TEST_CASE("RFC 3339 parser rejects garbage instead of guessing", "[core][time]") {
  CHECK_FALSE(parse_rfc3339(""));
  CHECK_FALSE(parse_rfc3339("yesterday"));
  CHECK_FALSE(parse_rfc3339("2021-13-01T00:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2021-05-03T25:00:00Z"));
  CHECK_FALSE(parse_rfc3339("2021-05-03T12:00:00Zjunk"));
  CHECK_FALSE(parse_rfc3339("Mon, 03 May 2021 12:00:00 GMT"));
  CHECK_FALSE(parse_rfc3339("2021-05-03T12:00:00-99:99"));
}
