#include "vigia/daemon/config.h"

#include <fstream>
#include <set>
#include <sstream>

#include "kafka_config.h"
#include "routing_config.h"
#include "vigia/core/severity.h"
#include "vigia/core/yaml_doc.h"

namespace vigia::daemon {
namespace {

const std::vector<std::string> kTopKeys{"log", "http", "state_dir", "bus", "rules", "scorer", "ingest", "shutdown",
                                        "feeds", "sinks", "alerting", "api", "time_intervals", "routing", "silences"};
const std::vector<std::string> kFeedCommon{"name", "type", "interval", "stale_after", "enabled"};
constexpr std::chrono::hours kDefaultStaleAfter{48};
const std::vector<std::string> kSinkCommon{"name",         "type",         "enabled",         "min_severity",
                                           "categories",   "max_attempts", "backoff",         "max_backoff",
                                           "max_age",      "circuit_failures", "circuit_cooldown", "digest_every"};

class ConfigReader {
 public:
  ConfigReader(const YamlDoc& doc, const connectors::ConnectorRegistry& connectors, const alerting::SinkRegistry& sinks)
      : doc_(doc), connectors_(connectors), sinks_(sinks) {}

  void read(DaemonConfig& c) {
    const YAML::Node& root = doc_.root();
    if (!doc_.check_keys(root, kTopKeys, "config", "the config file")) return;
    section(root, "log", {"level"}, [&](const YAML::Node& n) {
      if (const auto v = n["level"]) {
        if (auto s = doc_.string_at(v, "config")) {
          static const std::set<std::string> kLevels{"trace", "debug", "info", "warn", "error", "critical", "off"};
          if (kLevels.count(*s) == 0) {
            doc_.error(v, "config.bad-value", "log level '" + *s + "' is not one of trace, debug, info, warn, error, critical, off");
          }
          c.log_level = *s;
        }
      }
    });
    section(root, "http", {"listen"}, [&](const YAML::Node& n) {
      if (const auto v = n["listen"]) {
        if (auto s = doc_.string_at(v, "config")) c.http_listen = *s;
        if (!c.http_listen.empty() && c.http_listen.rfind(':') == std::string::npos) {
          doc_.error(v, "config.bad-value", "http.listen must be host:port, e.g. 127.0.0.1:9464");
        }
      }
    });
    if (const auto v = root["state_dir"]) {
      if (auto s = doc_.string_at(v, "config")) c.state_dir = doc_.resolve_path(*s);
    } else {
      c.state_dir = doc_.resolve_path("var");
    }
    read_bus_config(doc_, root["bus"], c);  // kafka_config.cpp
    section(root, "rules", {"paths"}, [&](const YAML::Node& n) {
      if (const auto v = n["paths"]) {
        if (auto paths = doc_.strings_at(v, "config")) {
          for (const auto& p : *paths) c.rule_paths.emplace_back(doc_.resolve_path(p));
        }
      }
    });
    if (c.rule_paths.empty()) doc_.error(root, "config.missing-key", "the config needs rules.paths (files or folders of rule packs)");
    section(root, "scorer", {"workers"}, [&](const YAML::Node& n) {
      if (const auto v = n["workers"]) c.scorer_workers = positive(v, c.scorer_workers);
    });
    section(root, "ingest",
            {"workers", "max_connections", "max_per_host", "broken_after", "seen_ttl", "dedup_memory", "backoff",
             "max_backoff"},
            [&](const YAML::Node& n) {
              auto& i = c.ingest;
              if (const auto v = n["workers"]) i.workers = positive(v, i.workers);
              if (const auto v = n["max_connections"]) i.max_connections = positive(v, i.max_connections);
              if (const auto v = n["max_per_host"]) i.max_per_host = positive(v, i.max_per_host);
              if (const auto v = n["broken_after"]) i.broken_after = static_cast<int>(positive(v, 5));
              if (const auto v = n["dedup_memory"]) i.dedup_memory = positive(v, i.dedup_memory);
              if (const auto v = n["seen_ttl"]) {
                if (auto d = doc_.duration_at(v, "config")) i.seen_ttl = *d;
              }
              if (const auto v = n["backoff"]) {
                if (auto d = doc_.duration_at(v, "config")) i.backoff = *d;
              }
              if (const auto v = n["max_backoff"]) {
                if (auto d = doc_.duration_at(v, "config")) i.max_backoff = *d;
              }
            });
    section(root, "shutdown", {"grace"}, [&](const YAML::Node& n) {
      if (const auto v = n["grace"]) {
        if (auto d = doc_.duration_at(v, "config")) c.shutdown_grace = *d;
      }
    });
    read_feeds(root["feeds"], c);
    read_sinks(root["sinks"], c);
    section(root, "alerting", {"stories", "digest_interval"}, [&](const YAML::Node& n) { read_alerting(n, c); });
    read_routing_config(doc_, c);  // routing_config.cpp: api, time_intervals, routing, silences
  }

 private:
  template <typename Fn>
  void section(const YAML::Node& root, const char* name, const std::vector<std::string>& keys, Fn fn) {
    const YAML::Node n = root[name];
    if (!n) return;
    if (doc_.check_keys(n, keys, "config", std::string("section '") + name + "'")) fn(n);
  }

  std::size_t positive(const YAML::Node& v, std::size_t fallback) {
    auto n = doc_.integer_at(v, "config");
    if (!n) return fallback;
    if (*n < 1) {
      doc_.error(v, "config.bad-value", "must be at least 1");
      return fallback;
    }
    return static_cast<std::size_t>(*n);
  }

  std::optional<std::string> required_name(const YAML::Node& n, const char* what, std::set<std::string>& seen) {
    const YAML::Node v = n["name"];
    if (!v) {
      doc_.error(n, std::string(what) + ".missing-key", std::string("every ") + what + " needs a 'name'");
      return std::nullopt;
    }
    auto name = doc_.string_at(v, what);
    if (!name) return std::nullopt;
    if (!seen.insert(*name).second) {
      doc_.error(v, std::string(what) + ".duplicate-name", std::string(what) + " name '" + *name + "' is used twice");
      return std::nullopt;
    }
    return name;
  }

  template <typename Registry>
  const auto* kind_of(const YAML::Node& n, const Registry& registry, const char* what, const std::string& label) {
    using Kind = std::remove_pointer_t<decltype(registry.find(""))>;
    const YAML::Node v = n["type"];
    if (!v) {
      doc_.error(n, std::string(what) + ".missing-key", label + " needs a 'type'");
      return static_cast<const Kind*>(nullptr);
    }
    auto type = doc_.string_at(v, what);
    if (!type) return static_cast<const Kind*>(nullptr);
    const Kind* kind = registry.find(*type);
    if (!kind) {
      std::vector<std::string> names;
      for (const auto& k : registry.kinds()) names.push_back(k.name);
      std::string msg = "unknown " + std::string(what) + " type '" + *type + "' (types:";
      for (const auto& k : names) msg += " " + k;
      msg += ")";
      doc_.error(v, std::string(what) + ".unknown-type", msg);
    }
    return kind;
  }

  bool enabled(const YAML::Node& n, const char* what) {
    if (const auto v = n["enabled"]) return doc_.bool_at(v, what).value_or(true);
    return true;
  }

  void read_feeds(const YAML::Node& feeds, DaemonConfig& c) {
    if (!feeds) return;
    if (!feeds.IsSequence()) {
      doc_.error(feeds, "feed.type", "'feeds' must be a list");
      return;
    }
    std::set<std::string> names;
    for (const auto& n : feeds) {
      if (!n.IsMap()) {
        doc_.error(n, "feed.type", "each feed must be a mapping");
        continue;
      }
      auto name = required_name(n, "feed", names);
      const std::string label = "feed '" + name.value_or("?") + "'";
      const auto* kind = kind_of(n, connectors_, "feed", label);
      if (!name || !kind) continue;
      connectors::FeedSpec spec;
      spec.name = *name;
      spec.type = kind->name;
      spec.where = doc_.where(n);
      if (const auto v = n["interval"]) {
        if (auto d = doc_.duration_at(v, "feed")) {
          if (*d < std::chrono::seconds(1)) {
            doc_.error(v, "feed.bad-value", "interval must be at least 1s");
          } else {
            spec.interval = *d;
          }
        }
      }
      spec.stale_after = kDefaultStaleAfter;
      if (const auto v = n["stale_after"]) {
        if (auto d = doc_.duration_at(v, "feed")) spec.stale_after = *d;  // 0 turns the check off
      }
      auto settings = validate_config(doc_, n, kind->schema, kFeedCommon, "feed", label);
      if (!settings) continue;
      spec.settings = std::move(*settings);
      if (enabled(n, "feed")) c.feeds.push_back(std::move(spec));
    }
  }

  void read_alerting(const YAML::Node& n, DaemonConfig& c) {
    if (const auto v = n["digest_interval"]) {
      if (auto d = doc_.duration_at(v, "config")) c.alerting.digest_interval = *d;
    }
    const YAML::Node s = n["stories"];
    if (!s || !doc_.check_keys(s, {"enabled", "window", "similarity_bits", "min_word_overlap", "lead_bytes", "realert",
                                   "update_min_new_sources", "update_score_margin", "max_updates", "max_sources",
                                   "storm"},
                               "config", "section 'alerting.stories'")) {
      return;
    }
    auto& o = c.alerting.story;
    auto duration = [&](const char* key, std::chrono::milliseconds& out) {
      if (const auto v = s[key]) {
        if (auto d = doc_.duration_at(v, "config")) out = *d;
      }
    };
    if (const auto v = s["enabled"]) {
      if (auto b = doc_.bool_at(v, "config")) c.alerting.stories = *b;
    }
    duration("window", o.window);
    duration("realert", o.realert);
    if (const auto v = s["similarity_bits"]) {
      if (auto i = doc_.integer_at(v, "config")) o.similarity_bits = static_cast<int>(*i);
    }
    if (const auto v = s["min_word_overlap"]) {
      if (auto d = doc_.number_at(v, "config")) o.min_word_overlap = *d;
    }
    if (const auto v = s["update_score_margin"]) {
      if (auto d = doc_.number_at(v, "config")) o.update_score_margin = *d;
    }
    if (const auto v = s["lead_bytes"]) o.lead_bytes = positive(v, o.lead_bytes);
    if (const auto v = s["update_min_new_sources"]) o.update_min_new_sources = positive(v, o.update_min_new_sources);
    if (const auto v = s["max_updates"]) o.max_updates = positive(v, o.max_updates);
    if (const auto v = s["max_sources"]) o.max_sources = positive(v, o.max_sources);
    if (const auto storm = s["storm"]) {
      if (doc_.check_keys(storm, {"max_alerts", "window", "cooldown"}, "config", "section 'alerting.stories.storm'")) {
        if (const auto v = storm["max_alerts"]) o.storm.max_alerts = positive(v, o.storm.max_alerts);
        if (const auto v = storm["window"]) {
          if (auto d = doc_.duration_at(v, "config")) o.storm.window = *d;
        }
        if (const auto v = storm["cooldown"]) {
          if (auto d = doc_.duration_at(v, "config")) o.storm.cooldown = *d;
        }
      }
    }
    if (auto problem = alerting::validate(o)) doc_.error(s, "config.bad-value", *problem);
  }

  void read_sinks(const YAML::Node& sinks, DaemonConfig& c) {
    if (!sinks) {
      doc_.error(doc_.root(), "config.missing-key", "the config needs at least one sink under 'sinks'");
      return;
    }
    if (!sinks.IsSequence()) {
      doc_.error(sinks, "sink.type", "'sinks' must be a list");
      return;
    }
    std::set<std::string> names;
    for (const auto& n : sinks) {
      if (!n.IsMap()) {
        doc_.error(n, "sink.type", "each sink must be a mapping");
        continue;
      }
      auto name = required_name(n, "sink", names);
      const std::string label = "sink '" + name.value_or("?") + "'";
      const auto* kind = kind_of(n, sinks_, "sink", label);
      if (!name || !kind) continue;
      alerting::SinkSpec spec;
      spec.name = *name;
      spec.type = kind->name;
      spec.where = doc_.where(n);
      if (const auto v = n["min_severity"]) {
        if (auto s = doc_.string_at(v, "sink")) {
          if (!severity_rank(*s)) {
            doc_.error(v, "sink.bad-value", "min_severity '" + *s + "' is not one of info, low, medium, high, critical");
          }
          spec.min_severity = *s;
        }
      }
      if (const auto v = n["categories"]) {
        if (auto s = doc_.strings_at(v, "sink")) spec.categories = *s;
      }
      if (const auto v = n["max_attempts"]) spec.retry.max_attempts = static_cast<int>(positive(v, 5));
      if (const auto v = n["backoff"]) {
        if (auto d = doc_.duration_at(v, "sink")) spec.retry.initial_backoff = *d;
      }
      if (const auto v = n["max_backoff"]) {
        if (auto d = doc_.duration_at(v, "sink")) spec.retry.max_backoff = *d;
      }
      if (const auto v = n["digest_every"]) {
        if (auto d = doc_.duration_at(v, "sink")) spec.digest_every = *d;
      }
      if (const auto v = n["max_age"]) {
        if (auto d = doc_.duration_at(v, "sink")) spec.retry.max_age = *d;
      }
      if (const auto v = n["circuit_failures"]) spec.retry.circuit_failures = static_cast<int>(positive(v, 5));
      if (const auto v = n["circuit_cooldown"]) {
        if (auto d = doc_.duration_at(v, "sink")) spec.retry.circuit_cooldown = *d;
      }
      auto settings = validate_config(doc_, n, kind->schema, kSinkCommon, "sink", label);
      if (!settings) continue;
      spec.settings = std::move(*settings);
      if (enabled(n, "sink")) c.sinks.push_back(std::move(spec));
    }
  }

  const YamlDoc& doc_;
  const connectors::ConnectorRegistry& connectors_;
  const alerting::SinkRegistry& sinks_;
};

}  // namespace

ConfigLoad load_config_text(const std::string& file, const std::string& text,
                            const connectors::ConnectorRegistry& connectors, const alerting::SinkRegistry& sinks) {
  ConfigLoad result;
  YamlDoc doc(file, text, result.diagnostics);
  if (!doc.ok()) return result;
  DaemonConfig c;
  c.file = file;
  ConfigReader(doc, connectors, sinks).read(c);
  if (!result.diagnostics.has_errors()) result.config = std::move(c);
  return result;
}

ConfigLoad load_config(const std::filesystem::path& file, const connectors::ConnectorRegistry& connectors,
                       const alerting::SinkRegistry& sinks) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    ConfigLoad result;
    result.diagnostics.error("io.read", "cannot read the config file", {file.string(), 0, 0});
    return result;
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  return load_config_text(file.string(), buf.str(), connectors, sinks);
}

}  // namespace vigia::daemon
