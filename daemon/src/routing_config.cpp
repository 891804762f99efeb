#include "routing_config.h"

#include <algorithm>
#include <set>

#include "vigia/core/time.h"

namespace vigia::daemon {
namespace {

const std::vector<std::string> kIntervalKeys{"name", "utc_offset", "intervals", "times", "weekdays", "days_of_month"};
const std::vector<std::string> kSpecKeys{"times", "weekdays", "days_of_month"};
const std::vector<std::string> kRouteKeys{"matchers", "receivers", "continue", "mute_time_intervals", "routes"};
const std::vector<std::string> kRootKeys{"receivers", "mute_time_intervals", "routes"};
const std::vector<std::string> kSilenceKeys{"matchers", "starts_at", "ends_at", "created_by", "comment"};
const std::vector<std::string> kApiKeys{"token_env", "token_file"};
constexpr int kMaxRouteDepth = 32;

class RoutingReader {
 public:
  RoutingReader(const YamlDoc& doc, const DaemonConfig& c) : doc_(doc) {
    for (const auto& s : c.sinks) enabled_sinks_.insert(s.name);
    // Disabled sinks are not in c.sinks; their names still count as defined.
    if (const auto sinks = doc.root()["sinks"]; sinks && sinks.IsSequence()) {
      for (const auto& n : sinks) {
        if (n.IsMap() && n["name"] && n["name"].IsScalar()) all_sinks_.push_back(n["name"].Scalar());
      }
    }
  }

  void read(DaemonConfig& c) {
    const YAML::Node& root = doc_.root();
    if (const auto n = root["api"]) read_api(n, c.api);
    if (const auto n = root["time_intervals"]) read_intervals(n);
    if (const auto n = root["routing"]) {
      alerting::RoutingConfig rc;
      rc.time_intervals = intervals_;
      if (doc_.check_keys(n, kRootKeys, "route", "the routing tree's root (it matches everything)")) {
        read_route_body(n, rc.root, 0);
        if (!rc.root.receivers) doc_.error(n, "route.missing-key", "the routing root needs 'receivers' (the default)");
      }
      c.routing = std::move(rc);
    } else if (!intervals_.empty()) {
      doc_.warning(root["time_intervals"], "route.unused",
                   "time_intervals are defined but there is no 'routing' section");
    }
    if (const auto n = root["silences"]) read_silences(n, c.silences);
  }

 private:
  void read_api(const YAML::Node& n, ApiConfig& api) {
    if (!doc_.check_keys(n, kApiKeys, "api", "section 'api'")) return;
    if (const auto v = n["token_env"]) {
      if (auto s = doc_.string_at(v, "api")) api.token_env = *s;
    }
    if (const auto v = n["token_file"]) {
      if (auto s = doc_.string_at(v, "api")) api.token_file = doc_.resolve_path(*s);
    }
  }

  std::optional<std::vector<alerting::Matcher>> matchers(const YAML::Node& v, const char* prefix) {
    auto texts = doc_.strings_at(v, prefix);
    if (!texts) return std::nullopt;
    std::vector<alerting::Matcher> out;
    bool ok = true;
    for (std::size_t i = 0; i < texts->size(); ++i) {
      auto m = alerting::Matcher::parse((*texts)[i]);
      if (!m.ok()) {
        doc_.error(v.IsSequence() ? v[i] : v, std::string(prefix) + ".bad-matcher", m.error().message);
        ok = false;
        continue;
      }
      out.push_back(std::move(*m));
    }
    if (!ok) return std::nullopt;
    return out;
  }

  void read_intervals(const YAML::Node& list) {
    if (!list.IsSequence()) {
      doc_.error(list, "interval.type", "'time_intervals' must be a list");
      return;
    }
    std::set<std::string> names;
    for (const auto& n : list) {
      if (!doc_.check_keys(n, kIntervalKeys, "interval", "a time interval")) continue;
      alerting::TimeInterval ti;
      ti.where = doc_.where(n);
      const auto name = n["name"];
      if (!name) {
        doc_.error(n, "interval.missing-key", "every time interval needs a 'name'");
        continue;
      }
      if (auto s = doc_.string_at(name, "interval")) ti.name = *s;
      if (!names.insert(ti.name).second) {
        doc_.error(name, "interval.duplicate-name", "time interval '" + ti.name + "' is defined twice");
      }
      if (const auto v = n["utc_offset"]) {
        if (auto s = doc_.string_at(v, "interval")) {
          if (auto off = alerting::parse_utc_offset(*s)) {
            ti.utc_offset = *off;
          } else {
            doc_.error(v, "interval.bad-value",
                       "utc_offset '" + *s + "' is not UTC or +HH:MM / -HH:MM (e.g. \"-06:00\")");
          }
        }
      }
      if (const auto alts = n["intervals"]) {
        for (const auto& k : kSpecKeys) {
          if (n[k]) doc_.error(n[k], "interval.bad-value", "put '" + k + "' inside 'intervals', or drop 'intervals'");
        }
        if (!alts.IsSequence()) {
          doc_.error(alts, "interval.type", "'intervals' must be a list of {times, weekdays, days_of_month}");
          continue;
        }
        for (const auto& a : alts) {
          if (!doc_.check_keys(a, kSpecKeys, "interval", "an interval")) continue;
          ti.specs.push_back(read_spec(a));
        }
      } else {
        ti.specs.push_back(read_spec(n));
      }
      intervals_.push_back(std::move(ti));
    }
  }

  alerting::TimeSpec read_spec(const YAML::Node& n) {
    alerting::TimeSpec spec;
    if (const auto v = n["times"]) {
      const YAML::Node list = v.IsSequence() ? v : YAML::Node();
      if (!v.IsSequence()) {
        doc_.error(v, "interval.type", "'times' must be a list of \"HH:MM-HH:MM\" or {start, end}");
      }
      for (const auto& t : list) read_time_range(t, spec);
    }
    if (const auto v = n["weekdays"]) {
      if (auto days = doc_.strings_at(v, "interval")) {
        for (std::size_t i = 0; i < days->size(); ++i) {
          const std::string& d = (*days)[i];
          const auto colon = d.find(':');
          auto first = alerting::parse_weekday(d.substr(0, colon));
          auto last = colon == std::string::npos ? first : alerting::parse_weekday(d.substr(colon + 1));
          if (!first || !last) {
            doc_.error(v.IsSequence() ? v[i] : v, "interval.bad-value",
                       "'" + d + "' is not a weekday or a range like monday:friday");
            continue;
          }
          for (int w = *first;; w = (w + 1) % 7) {  // saturday:monday wraps over the week end
            spec.weekdays.set(static_cast<std::size_t>(w));
            if (w == *last) break;
          }
        }
      }
    }
    if (const auto v = n["days_of_month"]) {
      if (auto days = doc_.strings_at(v, "interval")) {
        for (std::size_t i = 0; i < days->size(); ++i) {
          const std::string& d = (*days)[i];
          const auto colon = d.find(':');
          int a = 0;
          int b = 0;
          try {
            a = std::stoi(d.substr(0, colon));
            b = colon == std::string::npos ? a : std::stoi(d.substr(colon + 1));
          } catch (const std::exception&) {
            a = 0;
          }
          if (a < 1 || b > 31 || a > b) {
            doc_.error(v.IsSequence() ? v[i] : v, "interval.bad-value",
                       "'" + d + "' is not a day of the month (1..31) or a range like 1:7");
            continue;
          }
          spec.days_of_month.emplace_back(a, b);
        }
      }
    }
    return spec;
  }

  void read_time_range(const YAML::Node& t, alerting::TimeSpec& spec) {
    std::string start;
    std::string end;
    if (t.IsScalar()) {
      const std::string s = t.Scalar();
      const auto dash = s.find('-');
      if (dash != std::string::npos) {
        start = s.substr(0, dash);
        end = s.substr(dash + 1);
      }
    } else if (t.IsMap()) {
      if (!doc_.check_keys(t, {"start", "end"}, "interval", "a time range")) return;
      if (t["start"]) start = doc_.string_at(t["start"], "interval").value_or("");
      if (t["end"]) end = doc_.string_at(t["end"], "interval").value_or("");
    }
    const auto a = alerting::parse_clock_minutes(start);
    const auto b = alerting::parse_clock_minutes(end);
    if (!a || !b || *a >= *b) {
      doc_.error(t, "interval.bad-value",
                 "a time range is \"HH:MM-HH:MM\" with start before end "
                 "(00:00..24:00); split one across midnight "
                 "into \"22:00-24:00\" and \"00:00-06:00\"");
      return;
    }
    spec.times.push_back({*a, *b});
  }

  std::optional<std::vector<std::string>> receivers(const YAML::Node& v) {
    auto names = doc_.strings_at(v, "route");
    if (!names) return std::nullopt;
    std::vector<std::string> out;
    for (std::size_t i = 0; i < names->size(); ++i) {
      const std::string& r = (*names)[i];
      const YAML::Node at = v.IsSequence() ? v[i] : v;
      if (enabled_sinks_.count(r) != 0) {
        out.push_back(r);
      } else if (std::find(all_sinks_.begin(), all_sinks_.end(), r) != all_sinks_.end()) {
        doc_.warning(at, "route.disabled-receiver", "receiver '" + r + "' is a disabled sink; this route skips it");
      } else {
        std::string msg = "receiver '" + r + "' is not a sink defined under 'sinks'";
        if (auto guess = closest_match(r, all_sinks_); !guess.empty()) msg += " (did you mean '" + guess + "'?)";
        doc_.error(at, "route.unknown-receiver", msg);
      }
    }
    return out;
  }

  // The keys a route shares with the root.
  void read_route_body(const YAML::Node& n, alerting::RouteSpec& r, int depth) {
    r.where = doc_.where(n);
    if (const auto v = n["receivers"]) r.receivers = receivers(v);
    if (const auto v = n["mute_time_intervals"]) {
      if (auto names = doc_.strings_at(v, "route")) {
        for (std::size_t i = 0; i < names->size(); ++i) {
          const std::string& name = (*names)[i];
          const bool known = std::any_of(intervals_.begin(), intervals_.end(),
                                         [&](const alerting::TimeInterval& ti) { return ti.name == name; });
          if (!known) {
            std::vector<std::string> defined;
            for (const auto& ti : intervals_) defined.push_back(ti.name);
            std::string msg = "time interval '" + name + "' is not defined under 'time_intervals'";
            if (auto guess = closest_match(name, defined); !guess.empty()) msg += " (did you mean '" + guess + "'?)";
            doc_.error(v.IsSequence() ? v[i] : v, "route.unknown-interval", msg);
          }
        }
        r.mute_time_intervals = std::move(*names);
      }
    }
    if (const auto v = n["routes"]) {
      if (!v.IsSequence()) {
        doc_.error(v, "route.type", "'routes' must be a list of routes");
        return;
      }
      if (depth >= kMaxRouteDepth) {
        doc_.error(v, "route.too-deep", "routes nest more than " + std::to_string(kMaxRouteDepth) + " levels");
        return;
      }
      for (const auto& child : v) {
        if (!doc_.check_keys(child, kRouteKeys, "route", "a route")) continue;
        alerting::RouteSpec cr;
        if (const auto m = child["matchers"]) {
          if (auto ms = matchers(m, "route")) cr.matchers = std::move(*ms);
        } else {
          doc_.warning(child, "route.no-matchers", "a route without matchers takes every alert its parent gets");
        }
        if (const auto c = child["continue"]) cr.continue_matching = doc_.bool_at(c, "route").value_or(false);
        read_route_body(child, cr, depth + 1);
        r.routes.push_back(std::move(cr));
      }
    }
  }

  void read_silences(const YAML::Node& list, std::vector<alerting::Silence>& out) {
    if (!list.IsSequence()) {
      doc_.error(list, "silence.type", "'silences' must be a list");
      return;
    }
    for (const auto& n : list) {
      if (!doc_.check_keys(n, kSilenceKeys, "silence", "a silence")) continue;
      alerting::Silence s;
      s.origin = alerting::SilenceOrigin::kConfig;
      s.created_by = "config";
      bool ok = true;
      if (const auto m = n["matchers"]) {
        auto ms = matchers(m, "silence");
        ok = ok && ms.has_value();
        if (ms) s.matchers = std::move(*ms);
      }
      const auto time_at = [&](const char* key, Timestamp& into) {
        const auto v = n[key];
        if (!v) return;
        auto text = doc_.string_at(v, "silence");
        auto t = text ? parse_rfc3339(*text) : std::nullopt;
        if (!t) {
          doc_.error(v, "silence.bad-value",
                     std::string(key) + " must be an RFC 3339 time, e.g. 2025-07-01T06:00:00-06:00");
          ok = false;
          return;
        }
        into = *t;
      };
      time_at("starts_at", s.starts_at);
      if (!n["ends_at"]) {
        doc_.error(n, "silence.missing-key", "a silence needs 'ends_at' (silences always expire)");
        ok = false;
      }
      time_at("ends_at", s.ends_at);
      if (const auto v = n["created_by"]) s.created_by = doc_.string_at(v, "silence").value_or("config");
      if (const auto v = n["comment"]) s.comment = doc_.string_at(v, "silence").value_or("");
      if (!ok) continue;
      if (auto why = alerting::validate_silence(s); !why.empty()) {
        doc_.error(n, "silence.invalid", why);
        continue;
      }
      out.push_back(std::move(s));
    }
  }

  const YamlDoc& doc_;
  std::set<std::string> enabled_sinks_;
  std::vector<std::string> all_sinks_;
  std::vector<alerting::TimeInterval> intervals_;
};

}  // namespace

const std::vector<std::string>& routing_config_keys() {
  static const std::vector<std::string> keys{"api", "time_intervals", "routing", "silences"};
  return keys;
}

void read_routing_config(const YamlDoc& doc, DaemonConfig& c) { RoutingReader(doc, c).read(c); }

}  // namespace vigia::daemon
