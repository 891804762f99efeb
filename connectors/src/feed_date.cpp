#include "vigia/connectors/feed_date.h"

#include <array>
#include <string>
#include <vector>

#include "xml_node.h"

namespace vigia::connectors {
namespace {

using detail::lower_ascii;
using detail::trim;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

bool has_digit(std::string_view s) {
  for (char c : s) {
    if (is_digit(c)) return true;
  }
  return false;
}

int to_int(std::string_view digits) {
  int v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

// 1..12, or 0. English and Spanish names, full or abbreviated ("Sept", "Ene.").
int month_of(std::string_view token) {
  struct Name {
    std::string_view name;
    int month;
  };
  static constexpr std::array<Name, 43> kMonths = {{
      {"jan", 1},      {"january", 1},   {"feb", 2},        {"february", 2}, {"mar", 3},      {"march", 3},
      {"apr", 4},      {"april", 4},     {"may", 5},        {"jun", 6},      {"june", 6},     {"jul", 7},
      {"july", 7},     {"aug", 8},       {"august", 8},     {"sep", 9},      {"sept", 9},     {"september", 9},
      {"oct", 10},     {"october", 10},  {"nov", 11},       {"november", 11}, {"dec", 12},    {"december", 12},
      {"ene", 1},      {"enero", 1},     {"febrero", 2},    {"marzo", 3},    {"abr", 4},      {"abril", 4},
      {"mayo", 5},     {"junio", 6},     {"julio", 7},      {"ago", 8},      {"agosto", 8},   {"set", 9},
      {"septiembre", 9}, {"setiembre", 9}, {"octubre", 10}, {"noviembre", 11}, {"dic", 12},   {"diciembre", 12},
      {"sep.", 9},
  }};
  std::string lower = lower_ascii(token);
  if (!lower.empty() && lower.back() == '.') lower.pop_back();
  for (const auto& m : kMonths) {
    if (m.name == lower) return m.month;
  }
  return 0;
}

// Offsets of the zone names feeds use, in minutes east of UTC. North American names first
// (RFC 822's own), then the European ones Spanish-language outlets emit.
std::optional<int> named_zone(std::string_view upper) {
  struct Zone {
    std::string_view name;
    int minutes;
  };
  static constexpr std::array<Zone, 38> kZones = {{
      {"UT", 0},        {"UTC", 0},       {"GMT", 0},      {"Z", 0},         {"WET", 0},       {"EST", -300},
      {"EDT", -240},    {"CST", -360},    {"CDT", -300},   {"MST", -420},    {"MDT", -360},    {"PST", -480},
      {"PDT", -420},    {"AST", -240},    {"ADT", -180},   {"AKST", -540},   {"AKDT", -480},   {"HST", -600},
      {"AT", -240},     {"ET", -300},     {"CT", -360},    {"MT", -420},     {"PT", -480},     {"CET", 60},
      {"CEST", 120},    {"MET", 60},      {"MEST", 120},   {"WEST", 60},     {"BST", 60},      {"EET", 120},
      {"EEST", 180},    {"MSK", 180},     {"JST", 540},    {"KST", 540},     {"AEST", 600},    {"AEDT", 660},
      {"ART", -180},    {"BRT", -180},
  }};
  for (const auto& z : kZones) {
    if (z.name == upper) return z.minutes;
  }
  return std::nullopt;
}

// "+hhmm", "-hh:mm", "+hh", "+h" -> minutes east of UTC.
std::optional<int> numeric_offset(std::string_view s) {
  if (s.size() < 2 || (s[0] != '+' && s[0] != '-')) return std::nullopt;
  const int sign = s[0] == '-' ? -1 : 1;
  s.remove_prefix(1);
  std::string_view hh;
  std::string_view mm;
  if (const std::size_t colon = s.find(':'); colon != std::string_view::npos) {
    hh = s.substr(0, colon);
    mm = s.substr(colon + 1);
    if (mm.size() != 2) return std::nullopt;
  } else if (s.size() == 4) {
    hh = s.substr(0, 2);
    mm = s.substr(2);
  } else {
    hh = s;
  }
  if (hh.empty() || hh.size() > 2 || !all_digits(hh) || (!mm.empty() && !all_digits(mm))) return std::nullopt;
  const int h = to_int(hh);
  const int m = mm.empty() ? 0 : to_int(mm);
  if (h > 23 || m > 59) return std::nullopt;
  return sign * (h * 60 + m);
}

std::optional<int> zone_offset(std::string_view token) {
  if (token.empty() || token.front() == '(') return 0;  // absent, or only a comment like "(CET)"
  if (token.front() == '+' || token.front() == '-') return numeric_offset(token);
  std::string upper(token);
  for (char& c : upper) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  if (upper.starts_with("ETC/")) upper.erase(0, 4);
  std::size_t name_len = 0;
  while (name_len < upper.size() && is_alpha(upper[name_len])) ++name_len;
  const std::string_view name = std::string_view(upper).substr(0, name_len);
  const std::string_view rest = std::string_view(upper).substr(name_len);
  if (name.empty()) return std::nullopt;
  // RFC 2822 §4.3: an unknown alphabetic zone (military letters included) means UTC.
  const int base = named_zone(name).value_or(0);
  if (rest.empty()) return base;
  const auto extra = numeric_offset(rest);  // "GMT+2", "GMT-01:01"
  if (!extra) return std::nullopt;
  return base + *extra;
}

struct Clock {
  int hour = 0;
  int minute = 0;
  int second = 0;
};

std::optional<Clock> parse_time(std::string_view s) {
  if (const std::size_t dot = s.find('.'); dot != std::string_view::npos) {
    if (!all_digits(s.substr(dot + 1))) return std::nullopt;
    s = s.substr(0, dot);  // fractional seconds are noise for a news date
  }
  std::array<std::string_view, 3> parts;
  std::size_t n = 0;
  while (true) {
    const std::size_t colon = s.find(':');
    if (n == parts.size()) return std::nullopt;
    parts[n++] = s.substr(0, colon);
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
  }
  if (n < 2) return std::nullopt;
  for (std::size_t i = 0; i < n; ++i) {
    if (parts[i].empty() || parts[i].size() > 2 || !all_digits(parts[i])) return std::nullopt;
  }
  Clock c{to_int(parts[0]), to_int(parts[1]), n == 3 ? to_int(parts[2]) : 0};
  if (c.hour > 23 || c.minute > 59 || c.second > 60) return std::nullopt;
  if (c.second == 60) c.second = 59;
  return c;
}

std::optional<int> parse_year(std::string_view s) {
  if (!all_digits(s)) return std::nullopt;
  const int y = to_int(s);
  switch (s.size()) {
    case 2: return y < 50 ? 2000 + y : 1900 + y;  // RFC 2822 §4.3
    case 3: return 1900 + y;
    case 4: return y;
    default: return std::nullopt;
  }
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : kDays[static_cast<std::size_t>(m - 1)];
}

// Splits on blanks and commas; "06-Nov-94" (RFC 850) becomes three tokens.
std::vector<std::string_view> tokenize(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == ',' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != ',' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') ++i;
    if (i == start) continue;
    const std::string_view tok = s.substr(start, i - start);
    const std::size_t d1 = tok.find('-');
    const std::size_t d2 = d1 == std::string_view::npos ? d1 : tok.find('-', d1 + 1);
    if (d1 != std::string_view::npos && d2 != std::string_view::npos && d1 > 0 && all_digits(tok.substr(0, d1)) &&
        month_of(tok.substr(d1 + 1, d2 - d1 - 1)) != 0) {
      out.push_back(tok.substr(0, d1));
      out.push_back(tok.substr(d1 + 1, d2 - d1 - 1));
      out.push_back(tok.substr(d2 + 1));
    } else {
      out.push_back(tok);
    }
  }
  return out;
}

std::optional<Timestamp> assemble(int year, int month, int day, const Clock& clock, int offset_minutes) {
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const std::int64_t secs =
      days * 86400 + clock.hour * 3600 + clock.minute * 60 + clock.second - std::int64_t{offset_minutes} * 60;
  return Timestamp{std::chrono::milliseconds{secs * 1000}};
}

// tokens[at..]: "day month year [time] [zone]", "month day year [time] [zone]" or asctime's
// "month day time year".
std::optional<Timestamp> parse_from(const std::vector<std::string_view>& t, std::size_t at) {
  if (t.size() < at + 3) return std::nullopt;
  int day = 0;
  int month = 0;
  if (all_digits(t[at]) && t[at].size() <= 2 && month_of(t[at + 1]) != 0) {
    day = to_int(t[at]);
    month = month_of(t[at + 1]);
  } else if (month_of(t[at]) != 0 && all_digits(t[at + 1]) && t[at + 1].size() <= 2) {
    month = month_of(t[at]);
    day = to_int(t[at + 1]);
  } else {
    return std::nullopt;
  }
  std::size_t i = at + 2;
  std::optional<int> year;
  Clock clock;
  std::optional<int> asctime_offset;
  if (t[i].find(':') != std::string_view::npos) {  // asctime: the time comes before the year
    auto c = parse_time(t[i]);
    if (!c || i + 1 >= t.size()) return std::nullopt;
    clock = *c;
    // Twitter's variant puts the zone between time and year: "Sun Jul 15 01:16:00 +0000 2012".
    if (i + 2 < t.size() && !all_digits(t[i + 1]) && all_digits(t[i + 2])) {
      asctime_offset = zone_offset(t[i + 1]);
      if (!asctime_offset) return std::nullopt;
      ++i;
    }
    year = parse_year(t[i + 1]);
    i += 2;
  } else {
    year = parse_year(t[i]);
    ++i;
    if (i < t.size() && t[i].find(':') != std::string_view::npos && is_digit(t[i].front())) {
      auto c = parse_time(t[i]);
      if (!c) return std::nullopt;
      clock = *c;
      ++i;
    }
  }
  if (!year) return std::nullopt;
  std::optional<int> offset = asctime_offset.value_or(0);
  if (i < t.size() && !asctime_offset) offset = zone_offset(t[i]);
  if (!offset) return std::nullopt;
  return assemble(*year, month, day, clock, *offset);
}

}  // namespace

std::optional<Timestamp> parse_rfc822_date(std::string_view text) {
  const auto tokens = tokenize(trim(text));
  // Leading day names ("Thu", "Jueves", "mié") are skipped, but "Mar" is also a Spanish month:
  // try each starting point over the leading digit-free tokens.
  for (std::size_t at = 0; at < tokens.size() && at <= 2; ++at) {
    if (auto t = parse_from(tokens, at)) return t;
    if (has_digit(tokens[at])) break;
  }
  return std::nullopt;
}

namespace {

// W3C-DTF's reduced precisions, "2003" and "2003-12": the first day of that year or month.
std::optional<Timestamp> parse_year_month(std::string_view text) {
  if (text.size() == 4 && all_digits(text)) return assemble(to_int(text), 1, 1, {}, 0);
  if (text.size() == 7 && text[4] == '-' && all_digits(text.substr(0, 4)) && all_digits(text.substr(5))) {
    return assemble(to_int(text.substr(0, 4)), to_int(text.substr(5)), 1, {}, 0);
  }
  return std::nullopt;
}

// An ISO 8601 date-time ending in an offset that no clock uses ("-99:99"); parse_rfc3339 takes
// the digits at face value.
bool impossible_offset(std::string_view text) {
  if (text.size() < 7 || text.find('T') == std::string_view::npos) return false;
  const std::string_view tail = text.substr(text.size() - 6);
  if ((tail[0] != '+' && tail[0] != '-') || tail[3] != ':') return false;
  if (!all_digits(tail.substr(1, 2)) || !all_digits(tail.substr(4, 2))) return false;
  return to_int(tail.substr(1, 2)) > 23 || to_int(tail.substr(4, 2)) > 59;
}

}  // namespace

std::optional<Timestamp> parse_feed_date(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (auto t = parse_year_month(text)) return t;
  if (impossible_offset(text)) return std::nullopt;
  if (auto t = parse_rfc3339(text)) return t;
  // "2004-07-08 23:56:58 -00:20": ISO with a blank before the offset.
  if (text.size() > 20 && is_digit(text[0]) && text[4] == '-') {
    const std::size_t blank = text.rfind(' ');
    if (blank != std::string_view::npos && blank + 1 < text.size() && (text[blank + 1] == '+' || text[blank + 1] == '-')) {
      std::string joined(text.substr(0, blank));
      joined += text.substr(blank + 1);
      if (auto t = parse_rfc3339(joined)) return t;
    }
  }
  return parse_rfc822_date(text);
}

}  // namespace vigia::connectors
