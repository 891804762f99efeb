#include "kafka_config.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>

#include "vigia/core/secret.h"

namespace vigia::daemon {
namespace {

const std::vector<std::string> kBusKeys{"kind",          "capacity",           "kafka",       "topics",
                                        "create_topics", "replication_factor", "group_prefix"};
const std::vector<std::string> kKafkaOnlyKeys{"kafka", "topics", "create_topics", "replication_factor", "group_prefix"};
const std::vector<std::string> kTopicKeys{"items", "hits", "dlq", "feeds"};
const std::vector<std::string> kTopicFields{"name", "partitions", "linger_ms"};
const std::vector<std::string> kSecretKeys{"env", "file"};
constexpr long long kMaxLingerMs = 900'000;  // librdkafka's range for linger.ms
constexpr long long kMaxReplicationFactor = std::numeric_limits<std::int16_t>::max();  // an INT16 on the wire
constexpr std::size_t kMaxTopicName = 249;                                             // Kafka's limit

// Properties the bus sets itself, because at-least-once delivery (kafka_bus.h) depends on them.
// The value says why, for the error message.
const std::vector<std::pair<std::string, std::string>> kManaged{
    {"enable.auto.commit", "offsets are committed only once a record's outputs are acknowledged"},
    {"enable.auto.offset.store", "offsets are committed only once a record's outputs are acknowledged"},
    {"enable.idempotence", "producers are always idempotent, so a retried send is never doubled"},
    {"acks", "producers always wait for every in-sync replica (acks=all)"},
    {"request.required.acks", "producers always wait for every in-sync replica (acks=all)"},
    {"group.id", "consumer groups are <group_prefix>-ingest, -score and -alert; set bus.group_prefix"},
    {"transactional.id", "the bus does not use transactions"},
};

// Keys whose values are secrets even when written inline: never to be logged.
bool secret_by_name(const std::string& key) {
  return key.find("password") != std::string::npos || key.find("secret") != std::string::npos ||
         key == "sasl.oauthbearer.config" || key == "ssl.key.pem";
}

bool valid_topic_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxTopicName || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
           ch == '-';
  });
}

// Every property name this librdkafka knows, for "did you mean" suggestions: the first column of
// the table rd_kafka_conf_properties_show() prints (rdkafka.h has no other way to list them).
const std::vector<std::string>& librdkafka_property_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    char* text = nullptr;
    std::size_t size = 0;
    FILE* f = open_memstream(&text, &size);
    if (f == nullptr) return out;
    rd_kafka_conf_properties_show(f);
    std::fclose(f);
    std::istringstream lines(std::string(text, size));
    std::free(text);
    for (std::string line; std::getline(lines, line);) {
      const std::size_t bar = line.find('|');
      if (bar == std::string::npos) continue;
      std::string name = line.substr(0, bar);
      name.erase(name.find_last_not_of(' ') + 1);
      if (name.empty() || name == "Property" || name.front() == '-') continue;
      out.push_back(std::move(name));
    }
    return out;
  }();
  return names;
}

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};

class BusReader {
 public:
  explicit BusReader(const YamlDoc& doc) : doc_(doc) {}

  void read(const YAML::Node& bus, DaemonConfig& c) {
    if (!bus) return;
    if (!doc_.check_keys(bus, kBusKeys, "config", "section 'bus'")) return;
    if (const auto v = bus["kind"]) {
      if (auto s = doc_.string_at(v, "config")) {
        if (*s == "memory" || *s == "kafka") {
          c.bus_kind = *s;
        } else {
          doc_.error(v, "config.bad-value", "bus kind '" + *s + "' is not one of memory, kafka");
          return;  // the other keys depend on the kind
        }
      } else {
        return;
      }
    }
    if (const auto v = bus["capacity"]) {
      if (auto n = doc_.integer_at(v, "config")) {
        if (*n < 1) {
          doc_.error(v, "config.bad-value", "must be at least 1");
        } else {
          c.bus_capacity = static_cast<std::size_t>(*n);
        }
      }
      if (c.bus_kind == "kafka") {
        doc_.warning(v, "config.unused",
                     "bus.capacity is only used with kind: memory (Kafka mode buffers in librdkafka)");
      }
    }
    if (c.bus_kind != "kafka") {
      for (const auto& kv : bus) {
        const std::string key = kv.first.Scalar();
        if (std::find(kKafkaOnlyKeys.begin(), kKafkaOnlyKeys.end(), key) != kKafkaOnlyKeys.end()) {
          doc_.error(kv.first, "config.kafka-only", "bus." + key + " is only used with kind: kafka");
        }
      }
      return;
    }
    read_kafka(bus, c.kafka);
  }

 private:
  void read_kafka(const YAML::Node& bus, KafkaConfig& k) {
    const YAML::Node props = bus["kafka"];
    if (!props) {
      doc_.error(bus, "config.missing-key",
                 "bus kind kafka needs bus.kafka.bootstrap.servers (the brokers to start from)");
    } else if (!props.IsMap()) {
      doc_.error(props, "config.type", "bus.kafka must be a mapping of librdkafka properties");
    } else {
      read_properties(props, k);
      if (!bootstrap_written_) {
        doc_.error(props, "config.missing-key",
                   "bus kind kafka needs bus.kafka.bootstrap.servers (the brokers to start from)");
      }
    }
    if (const auto t = bus["topics"]) read_topics(t, k);
    if (const auto v = bus["create_topics"]) {
      if (auto b = doc_.bool_at(v, "config")) k.create_topics = *b;
    }
    if (const auto v = bus["replication_factor"]) {
      if (auto n = doc_.integer_at(v, "config")) {
        if (*n == -1 || (*n >= 1 && *n <= kMaxReplicationFactor)) {
          k.replication_factor = static_cast<int>(*n);
        } else {
          doc_.error(v, "config.bad-value", "replication_factor must be -1 (the broker's default) or at least 1");
        }
      }
    }
    if (const auto v = bus["group_prefix"]) {
      if (auto s = doc_.string_at(v, "config")) {
        if (s->empty()) {
          doc_.error(v, "config.bad-value", "group_prefix must not be empty");
        } else {
          k.group_prefix = *s;
        }
      }
    }
  }

  void read_properties(const YAML::Node& props, KafkaConfig& k) {
    // Each property goes through librdkafka's own parser now, so a typo or a bad value is an
    // error at its line instead of a failed start later.
    std::unique_ptr<rd_kafka_conf_t, ConfDeleter> conf(rd_kafka_conf_new());
    for (const auto& kv : props) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (key == "bootstrap.servers" || key == "metadata.broker.list") bootstrap_written_ = true;
      const auto managed =
          std::find_if(kManaged.begin(), kManaged.end(), [&](const auto& m) { return m.first == key; });
      if (managed != kManaged.end()) {
        doc_.error(kv.first, "config.managed-key",
                   "kafka property '" + key + "' is set by Vigía itself and cannot be configured: " + managed->second);
        continue;
      }
      std::optional<std::string> value;
      bool secret = secret_by_name(key);
      if (v.IsScalar()) {
        value = scalar_value(v);
      } else if (v.IsMap()) {
        secret = true;
        value = read_secret(key, v);
      } else {
        doc_.error(
            v, "config.type",
            "kafka property '" + key + "' must be a string, a number, true/false, {env: VARIABLE} or {file: PATH}");
      }
      if (!value) continue;
      if ((key == "bootstrap.servers" || key == "metadata.broker.list") && value->empty()) {
        doc_.error(v, "config.bad-value", "kafka property '" + key + "' must not be empty");
        continue;
      }
      char err[512] = "";
      const rd_kafka_conf_res_t res = rd_kafka_conf_set(conf.get(), key.c_str(), value->c_str(), err, sizeof err);
      if (res == RD_KAFKA_CONF_UNKNOWN) {
        std::string msg = "unknown librdkafka property '" + key + "'";
        const std::string suggestion = closest_match(key, librdkafka_property_names());
        if (!suggestion.empty()) msg += " (did you mean '" + suggestion + "'?)";
        doc_.error(kv.first, "config.unknown-key", msg);
        continue;
      }
      if (res != RD_KAFKA_CONF_OK) {
        // librdkafka's message quotes the value: not for a secret.
        doc_.error(v, "config.bad-value",
                   secret ? "librdkafka refuses the value of kafka property '" + key + "' (not shown: it is a secret)"
                          : "kafka property '" + key + "': " + err);
        continue;
      }
      if (secret) k.secret_properties.insert(key);
      k.properties[key] = std::move(*value);
    }
  }

  // A plain YAML boolean in any of its spellings becomes librdkafka's "true"/"false"; numbers and
  // strings are already what librdkafka parses. A quoted scalar is taken as written.
  static std::string scalar_value(const YAML::Node& v) {
    const std::string& s = v.Scalar();
    if (v.Tag() != "?") return s;
    std::string lower = s;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    if (lower == "true" || lower == "yes" || lower == "on") return "true";
    if (lower == "false" || lower == "no" || lower == "off") return "false";
    return s;
  }

  // {env: VARIABLE} or {file: PATH}. Messages name the variable or the file, never the value.
  std::optional<std::string> read_secret(const std::string& key, const YAML::Node& v) {
    const std::string what = "kafka property '" + key + "'";
    if (!doc_.check_keys(v, kSecretKeys, "config", what)) return std::nullopt;
    const YAML::Node env = v["env"];
    const YAML::Node file = v["file"];
    if (env && file) {
      doc_.error(v, "config.bad-value", what + " takes one of env or file, not both");
      return std::nullopt;
    }
    if (!env && !file) {
      if (v.size() == 0) doc_.error(v, "config.missing-key", what + " needs env: VARIABLE or file: PATH");
      return std::nullopt;  // else an unknown key, already reported
    }
    const YAML::Node& at = env ? env : file;
    auto name = doc_.string_at(at, "config");
    if (!name) return std::nullopt;
    if (name->empty()) {
      doc_.error(at, "config.bad-value", what + ": " + (env ? "env" : "file") + " must not be empty");
      return std::nullopt;
    }
    auto secret = env ? read_secret_env(*name) : read_secret_file(doc_.resolve_path(*name));
    if (!secret.ok()) {
      doc_.error(at, "config.secret", what + ": " + secret.error().message);
      return std::nullopt;
    }
    return std::move(*secret);
  }

  void read_topics(const YAML::Node& t, KafkaConfig& k) {
    if (!doc_.check_keys(t, kTopicKeys, "config", "section 'bus.topics'")) return;
    const std::vector<std::pair<std::string, KafkaTopicConfig*>> topics{
        {"items", &k.items}, {"hits", &k.hits}, {"dlq", &k.dlq}, {"feeds", &k.feeds}};
    for (const auto& [key, topic] : topics) {
      if (const auto n = t[key]) read_topic(n, key, *topic);
    }
    // Two stages on one topic would read each other's records.
    for (std::size_t i = 0; i < topics.size(); ++i) {
      for (std::size_t j = i + 1; j < topics.size(); ++j) {
        if (topics[i].second->name != topics[j].second->name) continue;
        const YAML::Node at = t[topics[j].first] ? t[topics[j].first] : t[topics[i].first];
        const YAML::Node name_at = at.IsMap() && at["name"] ? at["name"] : at;
        doc_.error(name_at, "config.duplicate-name",
                   "topics " + topics[i].first + " and " + topics[j].first + " are both named '" +
                       topics[i].second->name + "'; each needs its own topic");
      }
    }
  }

  void read_topic(const YAML::Node& n, const std::string& key, KafkaTopicConfig& topic) {
    if (!doc_.check_keys(n, kTopicFields, "config", "section 'bus.topics." + key + "'")) return;
    if (const auto v = n["name"]) {
      if (auto s = doc_.string_at(v, "config")) {
        if (!valid_topic_name(*s)) {
          doc_.error(v, "config.bad-value",
                     s->empty() ? "topic name must not be empty"
                                : "topic name '" + *s +
                                      "' must be at most 249 letters, digits, '.', '_' or '-' (and not '.' or '..')");
        } else {
          topic.name = *s;
        }
      }
    }
    if (const auto v = n["partitions"]) {
      if (auto p = doc_.integer_at(v, "config")) {
        if (*p < 1 || *p > std::numeric_limits<int>::max()) {
          doc_.error(v, "config.bad-value", "partitions must be at least 1");
        } else {
          topic.partitions = static_cast<int>(*p);
        }
      }
    }
    if (const auto v = n["linger_ms"]) {
      if (auto ms = doc_.integer_at(v, "config")) {
        if (*ms < 0 || *ms > kMaxLingerMs) {
          doc_.error(v, "config.bad-value", "linger_ms must be between 0 and 900000");
        } else {
          topic.linger_ms = static_cast<int>(*ms);
        }
      }
    }
  }

  const YamlDoc& doc_;
  bool bootstrap_written_ = false;  // even when refused: a bad bootstrap.servers is not also "missing"
};

}  // namespace

void read_bus_config(const YamlDoc& doc, const YAML::Node& bus, DaemonConfig& c) { BusReader(doc).read(bus, c); }

}  // namespace vigia::daemon
