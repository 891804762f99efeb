// The routing tree: which receivers (sink names) get an alert, in the spirit of
// Alertmanager's.
//
//   - The root matches every alert. Children are tried depth-first, in order;
//   the first child
//     whose matchers all match takes the alert and the search stops, unless
//     that child says `continue: true`, in which case its later siblings are
//     tried too.
//   - A node none of whose children matched delivers to its own receivers. A
//   node without
//     `receivers` inherits its parent's; `receivers: []` delivers nowhere (a
//     drop route).
//   - `mute_time_intervals` names top-level time intervals during which the
//   node's receivers are
//     muted (not delivered to, but counted). A node without the key inherits
//     its parent's list;
//     `[]` clears it. (Alertmanager does not inherit mute times; we do, so
//     muting a whole subtree at night is one line. Stated in docs/alerting.md.)
//   - A receiver reached by several routes (through `continue`) is delivered to
//   once; it is
//     muted only when every route that reached it was muted.
//
// Time zones: a time interval carries a fixed UTC offset (`utc_offset:
// "-06:00"`), not a TZ database name. libstdc++ 12 has no
// std::chrono::zoned_time/tzdb, and localtime_r needs the process-wide TZ
// variable, which is not thread-safe to switch. Mexico has kept fixed offsets
// without DST since 2022 (outside the border strip), so a fixed offset is exact
// for our floors; a zone with DST needs two intervals or a later tzdb-backed
// implementation.
//
// Thread-safety: a Router is immutable after make(); route() may be called from
// any thread.
#pragma once

#include <bitset>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "vigia/alerting/matcher.h"
#include "vigia/core/diagnostics.h"
#include "vigia/core/model.h"
#include "vigia/core/result.h"
#include "vigia/core/time.h"

namespace vigia::alerting {

// One alternative of a time interval: all its given fields must hold. An empty
// field holds always.
struct TimeSpec {
  struct Range {
    int start_minute = 0;   // minutes since local midnight, inclusive
    int end_minute = 1440;  // exclusive; 1440 is "24:00"
  };
  std::vector<Range> times;                        // any of them; empty: all day
  std::bitset<7> weekdays;                         // bit 0 = Sunday ... 6 = Saturday; none set: every day
  std::vector<std::pair<int, int>> days_of_month;  // inclusive ranges of 1..31; empty: every day
};

// A named set of times; it holds when any of its specs holds, evaluated at
// local time now + utc_offset.
struct TimeInterval {
  std::string name;
  std::chrono::minutes utc_offset{0};
  std::vector<TimeSpec> specs;
  SourceLocation where;

  bool contains(Timestamp t) const;
};

struct RouteSpec {
  std::vector<Matcher> matchers;                      // must be empty on the root
  std::optional<std::vector<std::string>> receivers;  // nullopt: inherit
  bool continue_matching = false;
  std::optional<std::vector<std::string>> mute_time_intervals;  // nullopt: inherit
  std::vector<RouteSpec> routes;
  SourceLocation where;
};

struct RoutingConfig {
  RouteSpec root;
  std::vector<TimeInterval> time_intervals;
};

struct RouteResult {
  struct Muted {
    std::string receiver;
    std::string interval;  // the time interval that muted it
  };
  std::vector<std::string> receivers;  // deliver to these, in tree order, each once
  std::vector<Muted> muted;            // reached but muted; not in `receivers`
  // The path of each route that took the alert, e.g. "0.2" (root's first
  // child's third child);
  // "" is the root itself. For logs and `vigia alerts explain`-style debugging.
  std::vector<std::string> matched_routes;
};

class Router {
 public:
  // Checks that every mute_time_intervals name is defined, names are unique,
  // and the root has no matchers. Errors have reason "config" and name the
  // first problem (the config loader reports positions itself).
  static Result<Router> make(RoutingConfig config);

  RouteResult route(const Alert& alert, Timestamp now) const;

  const RoutingConfig& config() const { return config_; }

 private:
  explicit Router(RoutingConfig config) : config_(std::move(config)) {}
  struct Walk;
  // `node` already matched: tries its children, else delivers to the node's own
  // receivers.
  void visit(const RouteSpec& node, const std::vector<std::string>& receivers, const std::vector<std::string>& mutes,
             const std::string& path, Walk& walk) const;
  const TimeInterval* interval(const std::string& name) const;

  RoutingConfig config_;
};

// Helpers the config loader shares: "HH:MM" (00:00..24:00) in minutes; a
// weekday name
// ("monday", case-insensitive) as 0..6 from Sunday; "+05:30"/"-06:00"/"UTC"/"Z"
// in minutes.
std::optional<int> parse_clock_minutes(std::string_view text);
std::optional<int> parse_weekday(std::string_view text);
std::optional<std::chrono::minutes> parse_utc_offset(std::string_view text);

}  // namespace vigia::alerting
