#include <catch2/catch.hpp>

#include "vigia/alerting/sink.h"
#include "vigia/connectors/connector.h"
#include "vigia/daemon/config.h"

using namespace vigia;
using namespace vigia::daemon;

namespace {

struct Registries {
  connectors::ConnectorRegistry connectors;
  alerting::SinkRegistry sinks;
  Registries() {
    connectors::register_builtin_connectors(connectors);
    alerting::register_builtin_sinks(sinks);
  }
};

ConfigLoad load(const std::string& text) {
  static const Registries r;
  return load_config_text("/etc/vigia/vigia.yaml", text, r.connectors, r.sinks);
}

}  // namespace

TEST_CASE("a full config loads into typed settings with paths relative to the config file", "[daemon][config]") {
  auto c = load(R"(
log: {level: debug}
http: {listen: "127.0.0.1:0"}
state_dir: state
bus: {kind: memory, capacity: 64}
rules: {paths: [packs, /opt/extra.yaml]}
scorer: {workers: 3}
ingest: {workers: 8, max_connections: 12, max_per_host: 1, broken_after: 3, seen_ttl: 7d}
shutdown: {grace: 5s}
feeds:
  - name: samples
    type: file
    path: samples
    interval: 30s
    stale_after: 0
  - name: off
    type: file
    path: x
    enabled: false
sinks:
  - name: console
    type: console
    min_severity: medium
    categories: [fake_vaccine_site]
    max_attempts: 3
    backoff: 200ms
)");
  INFO(c.diagnostics.to_text());
  REQUIRE(c.config);
  const DaemonConfig& d = *c.config;
  CHECK(d.log_level == "debug");
  CHECK(d.http_listen == "127.0.0.1:0");
  CHECK(d.state_dir == "/etc/vigia/state");
  CHECK(d.bus_capacity == 64);
  CHECK(d.rule_paths == std::vector<std::filesystem::path>{"/etc/vigia/packs", "/opt/extra.yaml"});
  CHECK(d.scorer_workers == 3);
  CHECK(d.shutdown_grace == std::chrono::seconds(5));
  REQUIRE(d.feeds.size() == 1);
  CHECK(d.feeds[0].name == "samples");
  CHECK(d.feeds[0].interval == std::chrono::seconds(30));
  CHECK(d.feeds[0].settings.string("path") == "/etc/vigia/samples");
  CHECK(d.feeds[0].stale_after == std::chrono::milliseconds(0));
  CHECK(d.ingest.workers == 8);
  CHECK(d.ingest.max_connections == 12);
  CHECK(d.ingest.max_per_host == 1);
  CHECK(d.ingest.broken_after == 3);
  CHECK(d.ingest.seen_ttl == std::chrono::hours(24 * 7));
  REQUIRE(d.sinks.size() == 1);
  CHECK(d.sinks[0].min_severity == "medium");
  CHECK(d.sinks[0].categories == std::vector<std::string>{"fake_vaccine_site"});
  CHECK(d.sinks[0].retry.max_attempts == 3);
  CHECK(d.sinks[0].retry.initial_backoff == std::chrono::milliseconds(200));
}

TEST_CASE("config errors name file, line and column, with suggestions", "[daemon][config]") {
  auto c = load(R"(rules: {paths: [packs]}
feeds:
  - name: a
    type: rss
    url: http://x
  - name: b
    type: http
    urll: http://x
sinks:
  - name: out
    type: console
    min_severity: urgent
  - name: out
    type: console
)");
  CHECK_FALSE(c.config);
  const std::string text = c.diagnostics.to_text();
  CHECK_THAT(text, Catch::Contains("/etc/vigia/vigia.yaml:4:11: error[feed.unknown-type]: unknown feed type 'rss' (types:"));
  CHECK_THAT(text, Catch::Contains("/etc/vigia/vigia.yaml:8:5: error[feed.unknown-key]: unknown key 'urll' in feed 'b' (did you mean 'url'?)"));
  CHECK_THAT(text, Catch::Contains("error[feed.missing-key]: feed 'b' needs key 'url'"));
  CHECK_THAT(text, Catch::Contains("/etc/vigia/vigia.yaml:12:19: error[sink.bad-value]: min_severity 'urgent'"));
  CHECK_THAT(text, Catch::Contains("/etc/vigia/vigia.yaml:13:11: error[sink.duplicate-name]"));
}

TEST_CASE("config refuses what it does not know instead of ignoring it", "[daemon][config]") {
  auto c = load("bus: {kind: nats}\nrules: {paths: [p]}\nsinks: [{name: c, type: console}]\n");
  CHECK_FALSE(c.config);
  CHECK_THAT(c.diagnostics.to_text(), Catch::Contains("bus kind 'nats' is not one of memory, kafka"));

  auto typo = load("rulez: {paths: [p]}\nsinks: [{name: c, type: console}]\n");
  CHECK_FALSE(typo.config);
  CHECK_THAT(typo.diagnostics.to_text(), Catch::Contains("unknown key 'rulez' in the config file (did you mean 'rules'?)"));
}

TEST_CASE("alerting settings for stories, storms and digests load, and nonsense is refused where it is",
          "[daemon][config]") {
  const std::string base = R"(
rules: {paths: [packs]}
sinks:
  - {name: console, type: console}
)";
  auto c = load(base + R"(alerting:
  digest_interval: 15m
  stories:
    window: 24h
    realert: 10m
    min_word_overlap: 0.4
    update_min_new_sources: 3
    storm: {max_alerts: 50, window: 5m, cooldown: 1h}
)");
  INFO(c.diagnostics.to_text());
  REQUIRE(c.config);
  CHECK(c.config->alerting.stories);
  CHECK(c.config->alerting.digest_interval == std::chrono::minutes(15));
  CHECK(c.config->alerting.story.window == std::chrono::hours(24));
  CHECK(c.config->alerting.story.realert == std::chrono::minutes(10));
  CHECK(c.config->alerting.story.min_word_overlap == 0.4);
  CHECK(c.config->alerting.story.update_min_new_sources == 3);
  CHECK(c.config->alerting.story.storm.max_alerts == 50);
  CHECK(c.config->alerting.story.storm.cooldown == std::chrono::hours(1));

  auto off = load(base + "alerting: {stories: {enabled: false}}\n");
  REQUIRE(off.config);
  CHECK_FALSE(off.config->alerting.stories);

  auto bad = load(base + "alerting:\n  stories:\n    min_word_overlap: 3\n    realret: 5m\n");
  CHECK_FALSE(bad.config);
  const std::string text = bad.diagnostics.to_text();
  CHECK_THAT(text, Catch::Contains("min_word_overlap"));
  CHECK_THAT(text, Catch::Contains("/etc/vigia/vigia.yaml:7:5"));  // the misspelt key, with a suggestion
  CHECK_THAT(text, Catch::Contains("realert"));
}
