#include "retry.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace vigia::alerting {
namespace {

constexpr std::array<std::string_view, 12> kMonths{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
// A receiver asking for more than a day is treated as asking for a day; the cap keeps the
// arithmetic far from overflow whatever the header says.
constexpr long long kMaxRetryAfterSeconds = 86'400;

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool all_letters(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); });
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::optional<unsigned> month_number(std::string_view s) {
  for (std::size_t i = 0; i < kMonths.size(); ++i) {
    if (kMonths[i] == s) return static_cast<unsigned>(i + 1);
  }
  return std::nullopt;
}

// "08:49:37" as seconds into the day.
std::optional<int> time_of_day(std::string_view s) {
  if (s.size() != 8 || s[2] != ':' || s[5] != ':') return std::nullopt;
  const std::string_view h = s.substr(0, 2), m = s.substr(3, 2), sec = s.substr(6, 2);
  if (!all_digits(h) || !all_digits(m) || !all_digits(sec)) return std::nullopt;
  const int hh = to_int(h), mm = to_int(m), ss = to_int(sec);
  if (hh > 23 || mm > 59 || ss > 60) return std::nullopt;
  return hh * 3600 + mm * 60 + ss;
}

std::vector<std::string_view> tokens(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ',' || text[i] == '-' || text[i] == '\t')) ++i;
    const std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != ',' && text[i] != '-' && text[i] != '\t') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

}  // namespace

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempts_made,
                                        std::optional<std::chrono::milliseconds> retry_after, double unit) {
  using std::chrono::milliseconds;
  const milliseconds cap = std::max(policy.max_backoff, milliseconds{0});
  // Doubling in floating point saturates instead of overflowing for any attempt count.
  const double exponent = std::max(0, attempts_made - 1);
  const double ceiling = std::min(static_cast<double>(cap.count()),
                                  static_cast<double>(std::max(policy.initial_backoff, milliseconds{0}).count()) *
                                      std::pow(2.0, std::min(exponent, 62.0)));
  const double u = std::clamp(unit, 0.0, 1.0);
  milliseconds delay{static_cast<long long>(std::llround(ceiling * u))};
  if (retry_after && *retry_after > delay) delay = *retry_after;
  return std::min(delay, cap);
}

std::optional<Timestamp> parse_http_date(std::string_view text) {
  const auto t = tokens(text);
  if (t.size() < 5 || !all_letters(t[0])) return std::nullopt;
  std::string_view day, month, year, clock;
  if (month_number(t[1])) {  // asctime: "Sun Nov  6 08:49:37 1994"
    if (t.size() != 5) return std::nullopt;
    month = t[1];
    day = t[2];
    clock = t[3];
    year = t[4];
  } else {  // IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT" or RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT"
    if (t.size() != 6 || t[5] != "GMT") return std::nullopt;
    day = t[1];
    month = t[2];
    year = t[3];
    clock = t[4];
  }
  const auto mon = month_number(month);
  const auto secs = time_of_day(clock);
  if (!mon || !secs || !all_digits(day) || day.size() > 2 || !all_digits(year)) return std::nullopt;
  int y = to_int(year);
  if (year.size() == 2) {
    y += y < 70 ? 2000 : 1900;  // RFC 850's two-digit years; Retry-After dates are near "now"
  } else if (year.size() != 4) {
    return std::nullopt;
  }
  const int d = to_int(day);
  if (d < 1 || d > 31) return std::nullopt;
  const std::int64_t days = days_from_civil(y, *mon, static_cast<unsigned>(d));
  return Timestamp{std::chrono::milliseconds{(days * 86'400 + *secs) * 1000}};
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value, Timestamp now) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (all_digits(value)) {
    long long seconds = 0;
    for (char c : value) {
      seconds = seconds * 10 + (c - '0');
      if (seconds > kMaxRetryAfterSeconds) {
        seconds = kMaxRetryAfterSeconds;
        break;
      }
    }
    return std::chrono::milliseconds{seconds * 1000};
  }
  const auto when = parse_http_date(value);
  if (!when) return std::nullopt;
  const auto wait = *when - now;
  if (wait <= std::chrono::milliseconds{0}) return std::chrono::milliseconds{0};
  return std::min(std::chrono::duration_cast<std::chrono::milliseconds>(wait),
                  std::chrono::milliseconds{kMaxRetryAfterSeconds * 1000});
}

}  // namespace vigia::alerting
