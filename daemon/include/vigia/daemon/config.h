// The daemon's configuration file (config/vigia.yaml is the embedded default). Loaded in two
// passes like rule files: YAML with positions, then validation into typed structs, where every
// problem is a Diagnostic at file:line:col and unknown keys come with a suggestion. Relative
// paths are taken from the config file's folder, so `vigia run --config X` works from anywhere.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vigia/alerting/routing.h"
#include "vigia/alerting/silence_store.h"
#include "vigia/alerting/sink.h"
#include "vigia/alerting/story_grouper.h"
#include "vigia/connectors/connector.h"
#include "vigia/core/diagnostics.h"
#include "vigia/daemon/role.h"

namespace vigia::daemon {

// The admin API (silences). Without a token it is off: never open by default.
struct ApiConfig {
  std::string token_env = "VIGIA_API_TOKEN";  // read first
  std::filesystem::path token_file;           // read when the variable is unset or empty
};

// One topic of the Kafka bus (`bus.topics.*`). partitions is what create_topics uses and the most
// consumers of one group that can share the topic.
struct KafkaTopicConfig {
  std::string name;
  int partitions = 1;
  int linger_ms = -1;  // producer linger.ms for this topic; -1: librdkafka's default
};

// `bus.kafka`, `bus.topics` and friends: only read when bus.kind is kafka.
struct KafkaConfig {
  // librdkafka properties as librdkafka wants them (YAML numbers and booleans written "5",
  // "true"), secrets already read from their variable or file. Never has a key Vigía manages
  // itself (enable.auto.commit, enable.auto.offset.store, enable.idempotence, acks, group.id,
  // transactional.id): the config refuses them.
  std::map<std::string, std::string> properties;
  // The keys of `properties` whose values are secrets: never log or print their values. Every
  // key given as {env: ...} or {file: ...}, and password-like keys (*password*, *secret*,
  // sasl.oauthbearer.config, ssl.key.pem) even when written inline.
  std::set<std::string> secret_properties;
  KafkaTopicConfig items{"vigia.items", 12, 20};  // ingest -> score: batched
  KafkaTopicConfig hits{"vigia.hits", 6, 1};      // score -> alert: latency first
  KafkaTopicConfig dlq{"vigia.dlq", 1, -1};       // records no stage could read
  KafkaTopicConfig feeds{"vigia.feeds", 12, -1};  // which ingest process polls which feed
  bool create_topics = false;                     // create missing topics with the admin API at start
  int replication_factor = -1;                    // for created topics; -1: the broker's default
  std::string group_prefix = "vigia";             // consumer groups are <prefix>-score, <prefix>-alert, <prefix>-ingest
};

struct DaemonConfig {
  std::filesystem::path file;
  std::string log_level = "info";
  std::string http_listen = "127.0.0.1:9464";  // "" disables /metrics, /healthz and /readyz
  std::filesystem::path state_dir;             // vigia.db (dedup, validators, cursors), dead letters
  std::string bus_kind = "memory";             // "memory" (embedded: one process) or "kafka"
  std::size_t bus_capacity = 1024;             // memory bus only
  KafkaConfig kafka;                           // bus.kind kafka only
  Role role = Role::kAll;                      // not from the file: `vigia run --role` (kafka only)
  std::vector<std::filesystem::path> rule_paths;
  std::size_t scorer_workers = 2;
  struct Ingest {
    std::size_t workers = 16;          // feeds polled at once (each waits on its own fetch)
    std::size_t max_connections = 16;  // HTTP transfers at once, all feeds together
    std::size_t max_per_host = 2;      // ... and per scheme://host:port: be polite to publishers
    int broken_after = 5;              // failed polls in a row that make a feed "broken"
    std::chrono::milliseconds backoff{30'000};          // first retry after a failed poll
    std::chrono::milliseconds max_backoff{3'600'000};   // retries double up to this
    std::chrono::milliseconds seen_ttl{std::chrono::hours(24 * 30)};  // how long published ids are kept
    std::size_t dedup_memory = 200'000;  // ids kept in memory in front of the database
  } ingest;
  std::chrono::milliseconds shutdown_grace{10'000};
  std::vector<connectors::FeedSpec> feeds;  // enabled feeds only
  std::vector<alerting::SinkSpec> sinks;    // enabled sinks only
  struct Alerting {
    bool stories = true;              // alerting.stories.enabled: group hits into stories
    alerting::StoryOptions story;     // alerting.stories.*
    std::chrono::milliseconds digest_interval{std::chrono::minutes(5)};  // storm digests go out this often
  } alerting;
  std::optional<alerting::RoutingConfig> routing;  // nullopt: no `routing:` section
  std::vector<alerting::Silence> silences;         // `silences:`, applied to the store on start
  ApiConfig api;
};

struct ConfigLoad {
  std::optional<DaemonConfig> config;  // nullopt when any error was found
  Diagnostics diagnostics;
};

ConfigLoad load_config(const std::filesystem::path& file, const connectors::ConnectorRegistry& connectors,
                       const alerting::SinkRegistry& sinks);

// Same, from text (tests); relative paths resolve against `file`'s folder.
ConfigLoad load_config_text(const std::string& file, const std::string& text,
                            const connectors::ConnectorRegistry& connectors, const alerting::SinkRegistry& sinks);

}  // namespace vigia::daemon
