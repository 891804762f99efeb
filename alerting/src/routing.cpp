#include "vigia/alerting/routing.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>

namespace vigia::alerting {
namespace {

constexpr std::array<std::string_view, 7> kWeekdays{"sunday",   "monday", "tuesday", "wednesday",
                                                    "thursday", "friday", "saturday"};

int two_digits(std::string_view s) {
  if (s.size() != 2 || !std::isdigit(static_cast<unsigned char>(s[0])) ||
      !std::isdigit(static_cast<unsigned char>(s[1]))) {
    return -1;
  }
  return (s[0] - '0') * 10 + (s[1] - '0');
}

Status check_route(const RouteSpec& node, const std::set<std::string>& intervals) {
  if (node.mute_time_intervals) {
    for (const auto& name : *node.mute_time_intervals) {
      if (intervals.count(name) == 0) return make_error("config", "unknown time interval '" + name + "'");
    }
  }
  for (const auto& child : node.routes) {
    if (auto s = check_route(child, intervals); !s.ok()) return s;
  }
  return ok_status();
}

}  // namespace

bool TimeInterval::contains(Timestamp t) const {
  const auto local = std::chrono::time_point_cast<std::chrono::minutes>(t) + utc_offset;
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const int minute = static_cast<int>((local - day).count());
  const unsigned weekday = std::chrono::weekday(day).c_encoding();
  const unsigned mday = static_cast<unsigned>(std::chrono::year_month_day(day).day());
  for (const auto& spec : specs) {
    if (spec.weekdays.any() && !spec.weekdays.test(weekday)) continue;
    if (!spec.days_of_month.empty() &&
        std::none_of(spec.days_of_month.begin(), spec.days_of_month.end(), [&](const auto& r) {
          return static_cast<int>(mday) >= r.first && static_cast<int>(mday) <= r.second;
        })) {
      continue;
    }
    if (!spec.times.empty() && std::none_of(spec.times.begin(), spec.times.end(), [&](const TimeSpec::Range& r) {
          return minute >= r.start_minute && minute < r.end_minute;
        })) {
      continue;
    }
    return true;
  }
  return false;
}

struct Router::Walk {
  const Alert& alert;
  Timestamp now;
  RouteResult& result;
  struct Reached {
    std::string receiver;
    bool delivered = false;
    std::string muted_by;
  };
  std::vector<Reached> reached;
};

Result<Router> Router::make(RoutingConfig config) {
  if (!config.root.matchers.empty())
    return make_error("config", "the root route matches everything and takes no matchers");
  std::set<std::string> names;
  for (const auto& ti : config.time_intervals) {
    if (!names.insert(ti.name).second) return make_error("config", "time interval '" + ti.name + "' is defined twice");
  }
  if (auto s = check_route(config.root, names); !s.ok()) return s.error();
  return Router(std::move(config));
}

const TimeInterval* Router::interval(const std::string& name) const {
  for (const auto& ti : config_.time_intervals) {
    if (ti.name == name) return &ti;
  }
  return nullptr;
}

void Router::visit(const RouteSpec& node, const std::vector<std::string>& receivers,
                   const std::vector<std::string>& mutes, const std::string& path, Walk& walk) const {
  const auto& own_receivers = node.receivers ? *node.receivers : receivers;
  const auto& own_mutes = node.mute_time_intervals ? *node.mute_time_intervals : mutes;
  bool child_took = false;
  for (std::size_t i = 0; i < node.routes.size(); ++i) {
    const auto& child = node.routes[i];
    if (!matches_all(child.matchers, walk.alert)) continue;
    child_took = true;
    visit(child, own_receivers, own_mutes, path.empty() ? std::to_string(i) : path + "." + std::to_string(i), walk);
    if (!child.continue_matching) break;
  }
  if (child_took) return;

  walk.result.matched_routes.push_back(path);
  std::string muted_by;
  for (const auto& name : own_mutes) {
    const TimeInterval* ti = interval(name);
    if (ti && ti->contains(walk.now)) {
      muted_by = name;
      break;
    }
  }
  for (const auto& r : own_receivers) {
    auto it =
        std::find_if(walk.reached.begin(), walk.reached.end(), [&](const Walk::Reached& x) { return x.receiver == r; });
    if (it == walk.reached.end()) {
      walk.reached.push_back({r, false, {}});
      it = std::prev(walk.reached.end());
    }
    if (muted_by.empty()) {
      it->delivered = true;
    } else if (it->muted_by.empty()) {
      it->muted_by = muted_by;
    }
  }
}

RouteResult Router::route(const Alert& alert, Timestamp now) const {
  RouteResult result;
  Walk walk{alert, now, result, {}};
  visit(config_.root, {}, {}, "", walk);
  for (auto& r : walk.reached) {
    if (r.delivered) {
      result.receivers.push_back(std::move(r.receiver));
    } else {
      result.muted.push_back({std::move(r.receiver), std::move(r.muted_by)});
    }
  }
  return result;
}

std::optional<int> parse_clock_minutes(std::string_view text) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  const int h = two_digits(text.substr(0, 2));
  const int m = two_digits(text.substr(3, 2));
  if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

std::optional<int> parse_weekday(std::string_view text) {
  std::string lower;
  for (const char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::size_t i = 0; i < kWeekdays.size(); ++i) {
    if (kWeekdays[i] == lower) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<std::chrono::minutes> parse_utc_offset(std::string_view text) {
  if (text == "UTC" || text == "Z" || text == "utc") return std::chrono::minutes{0};
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':') return std::nullopt;
  const int h = two_digits(text.substr(1, 2));
  const int m = two_digits(text.substr(4, 2));
  if (h < 0 || m < 0 || h > 14 || m > 59) return std::nullopt;
  const int total = h * 60 + m;
  return std::chrono::minutes{text[0] == '-' ? -total : total};
}

}  // namespace vigia::alerting
