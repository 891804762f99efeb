// Timestamps on the bus are RFC 3339 in UTC; in memory they are milliseconds since the epoch.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace vigia {

using Timestamp = std::chrono::sys_time<std::chrono::milliseconds>;

// "2021-05-03T12:00:00Z", with ".123" before the Z only when there are milliseconds.
std::string format_rfc3339(Timestamp t);

// Accepts RFC 3339 / ISO 8601 date-times with 'Z' or a numeric offset, fractional seconds,
// 't'/' ' as separator, and a bare date (midnight UTC). Returns nullopt for anything else.
std::optional<Timestamp> parse_rfc3339(std::string_view text);

// Days since 1970-01-01 for a proleptic Gregorian date; no range checks beyond the arithmetic.
std::int64_t days_from_civil(int year, unsigned month, unsigned day);

}  // namespace vigia
